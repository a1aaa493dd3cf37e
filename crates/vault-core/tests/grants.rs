//! OAuth grants and provider configurations in a real vault file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use vault_core::crypto::KdfParams;
use vault_core::model::{AuditEvent, RefreshedTokens};
use vault_core::{
    Error, GrantStatus, ItemMeta, LockedVault, NewApiKey, SecretValue, Timestamp, Vault,
};

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn now() -> Timestamp {
    at("2026-03-01T12:00:00Z")
}

fn vault(dir: &Path) -> Vault {
    Vault::create(
        &dir.join("v.db"),
        &SecretValue::new("correct horse"),
        KdfParams::MINIMUM,
        now(),
    )
    .unwrap()
}

#[test]
fn a_grant_is_sealed_listed_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path());
    let item = v
        .save_grant(
            common::new_grant("gh", "at-canary-1", Some("rt-canary-1")),
            false,
            now(),
        )
        .unwrap();
    assert_eq!(item.meta.env(), ["GH"]);
    let g = v.grant("GH").unwrap();
    assert_eq!(g.tokens.access_token.expose(), "at-canary-1");
    assert_eq!(g.tokens.refresh_token.unwrap().expose(), "rt-canary-1");
    assert_eq!(g.meta.status, GrantStatus::Ok);
    assert!(g.meta.refreshable);
    let listed = v.items().unwrap();
    assert!(
        matches!(&listed[0].meta, ItemMeta::Grant(m) if m.email.as_deref() == Some("alice@example.test"))
    );
    // Neither tokens nor metadata are on disk in plaintext.
    drop(v);
    let mut bytes = std::fs::read(dir.path().join("v.db")).unwrap();
    bytes.extend(std::fs::read(dir.path().join("v.db-wal")).unwrap_or_default());
    for canary in [&b"at-canary-1"[..], b"rt-canary-1", b"alice@example.test"] {
        assert!(!bytes.windows(canary.len()).any(|w| w == canary));
    }
    // An API key getter refuses a grant with a pointer to `vault token`.
    let v = LockedVault::open(&dir.path().join("v.db"))
        .unwrap()
        .unlock(&SecretValue::new("correct horse"))
        .unwrap();
    let e = v.api_key("gh").unwrap_err().to_string();
    assert!(e.contains("vault token gh"), "{e}");
}

#[test]
fn names_are_shared_with_api_keys_and_relogin_replaces_only_grants() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path());
    v.add_api_key(NewApiKey::new("openai", SecretValue::new("sk")), now())
        .unwrap();
    let e = v
        .save_grant(common::new_grant("openai", "a", None), true, now())
        .unwrap_err();
    assert!(matches!(e, Error::AlreadyExists { .. }), "{e:?}");
    v.save_grant(common::new_grant("gh", "a1", Some("r1")), false, now())
        .unwrap();
    assert!(matches!(
        v.save_grant(common::new_grant("gh", "a2", Some("r2")), false, now()),
        Err(Error::AlreadyExists { .. })
    ));
    v.save_grant(common::new_grant("gh", "a2", Some("r2")), true, now())
        .unwrap();
    let g = v.grant("gh").unwrap();
    assert_eq!(g.tokens.access_token.expose(), "a2");
    assert_eq!(g.meta.generation, 2);
}

#[test]
fn a_refresh_commits_only_over_the_generation_it_started_from() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path());
    v.save_grant(common::new_grant("gh", "a1", Some("r1")), false, now())
        .unwrap();
    let later = at("2026-03-01T12:59:00Z");
    let refreshed = |a: &str, r: Option<&str>| RefreshedTokens {
        access_token: SecretValue::new(a),
        refresh_token: r.map(SecretValue::new),
        token_type: "bearer".into(),
        scopes: None,
        expires: Some(at("2026-03-01T13:59:00Z")),
        refresh_expires: None,
    };
    let (g, committed) = v
        .commit_refresh("gh", 1, refreshed("a2", Some("r2")), later)
        .unwrap();
    assert!(committed);
    assert_eq!(g.meta.generation, 2);
    assert_eq!(g.meta.last_refresh, Some(later));
    // A second refresher that started from generation 1 loses: nothing is written.
    let (g, committed) = v
        .commit_refresh("gh", 1, refreshed("a3", Some("r3")), later)
        .unwrap();
    assert!(!committed);
    assert_eq!(g.tokens.refresh_token.unwrap().expose(), "r2");
    // A refresh without a new refresh token keeps the old one.
    let (g, _) = v
        .commit_refresh("gh", 2, refreshed("a4", None), later)
        .unwrap();
    assert_eq!(g.tokens.access_token.expose(), "a4");
    assert_eq!(g.tokens.refresh_token.unwrap().expose(), "r2");
}

#[test]
fn failures_keep_the_tokens_and_invalid_grant_marks_relogin_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path());
    v.save_grant(common::new_grant("gh", "a1", Some("r1")), false, now())
        .unwrap();
    let m = v
        .record_refresh_failure("gh", false, "cannot reach x: timed out", now())
        .unwrap();
    assert_eq!(m.status, GrantStatus::Ok);
    assert_eq!(m.last_error.as_deref(), Some("cannot reach x: timed out"));
    for _ in 0..2 {
        let m = v
            .record_refresh_failure("gh", true, "invalid_grant", now())
            .unwrap();
        assert!(matches!(m.status, GrantStatus::NeedsRelogin { .. }));
    }
    let g = v.grant("gh").unwrap();
    assert_eq!(g.tokens.refresh_token.unwrap().expose(), "r1");
    let relogins = v
        .audit_log(100)
        .unwrap()
        .into_iter()
        .filter(|e| matches!(e.event, AuditEvent::GrantNeedsRelogin { .. }))
        .count();
    assert_eq!(relogins, 1);
}

#[test]
fn providers_live_beside_items_with_a_sealed_secret() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path());
    v.save_provider(
        common::provider("test", now()),
        Some(SecretValue::new("cs-canary")),
        false,
        now(),
    )
    .unwrap();
    v.save_provider(common::provider("plain", now()), None, false, now())
        .unwrap();
    assert!(v.items().unwrap().is_empty(), "providers are not items");
    let names: Vec<String> = v.providers().unwrap().into_iter().map(|p| p.name).collect();
    assert_eq!(names, ["plain", "test"]);
    let (meta, secret) = v.provider("TEST").unwrap();
    assert!(meta.has_client_secret);
    assert_eq!(secret.unwrap().expose(), "cs-canary");
    assert!(v.provider("plain").unwrap().1.is_none());
    assert!(matches!(v.provider("nope"), Err(Error::NoProvider { .. })));
    // A provider and a grant may share a name; removal is refused while a grant uses it.
    v.save_grant(common::new_grant("test", "a", None), false, now())
        .unwrap();
    let e = v.remove_provider("test", now()).unwrap_err().to_string();
    assert!(e.contains("used by test"), "{e}");
    v.remove_grant("test", true, now()).unwrap();
    v.remove_provider("test", now()).unwrap();
    assert!(v.provider("test").is_err());
}
