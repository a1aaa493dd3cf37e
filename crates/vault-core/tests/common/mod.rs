//! Fixtures shared by the vault-core suites: a provider configuration, a login's outcome, and
//! the header row copied from one vault file to another (as an attacker splicing files would).
#![allow(clippy::unwrap_used, dead_code)]

use std::path::Path;

use rusqlite::Connection;
use rusqlite::types::Value;
use vault_core::model::{GrantTokens, NewGrant, ProviderMeta};
use vault_core::{SecretValue, Timestamp};

pub fn provider(name: &str, now: Timestamp) -> ProviderMeta {
    ProviderMeta {
        name: name.into(),
        preset: None,
        issuer: Some("http://127.0.0.1:9".into()),
        client_id: "vault-cli".into(),
        has_client_secret: false,
        scopes: vec!["openid".into()],
        authorization_endpoint: "http://127.0.0.1:9/auth".into(),
        token_endpoint: "http://127.0.0.1:9/token".into(),
        revocation_endpoint: None,
        device_authorization_endpoint: None,
        iss_parameter_supported: true,
        hosts: None,
        created: now,
        updated: now,
    }
}

/// What a login to provider `test` stores as grant `name`.
pub fn new_grant(name: &str, access: &str, refresh: Option<&str>) -> NewGrant {
    NewGrant {
        name: name.into(),
        provider: "test".into(),
        tokens: GrantTokens {
            access_token: SecretValue::new(access),
            refresh_token: refresh.map(SecretValue::new),
        },
        token_type: "bearer".into(),
        scopes: vec!["openid".into()],
        expires: Some("2026-03-01T13:00:00Z".parse().unwrap()),
        refresh_expires: None,
        subject: Some("alice".into()),
        email: Some("alice@example.test".into()),
        env: Vec::new(),
    }
}

/// Every column of the vault file's header row.
pub fn header_row(path: &Path) -> Vec<Value> {
    Connection::open(path)
        .unwrap()
        .query_row("SELECT * FROM vault", [], |r| {
            (0..r.as_ref().column_count()).map(|i| r.get(i)).collect()
        })
        .unwrap()
}

/// Replaces the header row of the file at `path` with `row`.
pub fn put_header_row(path: &Path, row: &[Value]) {
    let c = Connection::open(path).unwrap();
    c.execute("DELETE FROM vault", []).unwrap();
    let marks = vec!["?"; row.len()].join(", ");
    c.execute(
        &format!("INSERT INTO vault VALUES ({marks})"),
        rusqlite::params_from_iter(row),
    )
    .unwrap();
}
