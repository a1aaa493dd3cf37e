//! An API key's allowed hosts: its service's until it is given its own, kept sealed with the
//! rest of its metadata.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use vault_core::crypto::KdfParams;
use vault_core::hosts::{Destination, HostRule};
use vault_core::model::ApiKeyEdit;
use vault_core::{LockedVault, NewApiKey, SecretValue, Timestamp, Vault};

fn now() -> Timestamp {
    "2026-03-01T12:00:00Z".parse().unwrap()
}

fn names(hosts: &[HostRule]) -> Vec<String> {
    hosts.iter().map(ToString::to_string).collect()
}

#[test]
fn hosts_default_to_the_service_and_an_edit_replaces_or_restores_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.db");
    let pw = SecretValue::new("correct horse");
    let mut v = Vault::create(&path, &pw, KdfParams::MINIMUM, now()).unwrap();
    let mut openai = NewApiKey::new("openai", SecretValue::new("sk-abc"));
    openai.service = Some("openai".into());
    v.add_api_key(openai, now()).unwrap();
    let mut internal = NewApiKey::new("internal", SecretValue::new("s3cr3t"));
    internal.hosts = Some(vec![
        "*.corp.example".parse().unwrap(),
        "*.CORP.example".parse().unwrap(),
    ]);
    v.add_api_key(internal, now()).unwrap();
    v.add_api_key(NewApiKey::new("unknown", SecretValue::new("x")), now())
        .unwrap();

    let meta = v.api_key("openai").unwrap().meta;
    assert_eq!(meta.hosts, None);
    assert_eq!(names(&meta.allowed_hosts()), ["api.openai.com"]);
    assert_eq!(
        v.api_key("openai")
            .unwrap()
            .field("hosts")
            .unwrap()
            .expose(),
        "api.openai.com"
    );
    assert_eq!(
        names(&v.api_key("internal").unwrap().meta.allowed_hosts()),
        ["*.corp.example"]
    );
    assert!(
        v.api_key("unknown")
            .unwrap()
            .meta
            .allowed_hosts()
            .is_empty()
    );

    let edit = |hosts| ApiKeyEdit {
        hosts: Some(hosts),
        ..Default::default()
    };
    let bad = v.edit_api_key("openai", edit(Some(vec!["*.com".into()])), now());
    assert!(
        bad.unwrap_err()
            .to_string()
            .contains("\"*.com\" is not a host rule")
    );
    let own: Vec<HostRule> = vec!["localhost:8443".parse().unwrap()];
    v.edit_api_key("openai", edit(Some(vec!["LOCALHOST:8443".into()])), now())
        .unwrap();
    drop(v);
    let mut v = LockedVault::open(&path).unwrap().unlock(&pw).unwrap();
    let meta = v.api_key("openai").unwrap().meta;
    assert_eq!(
        meta.allowed_hosts(),
        own,
        "the item's own hosts replace the service's"
    );
    let to = |host, port| Destination {
        tls: true,
        host,
        port,
        path: "/v1/models",
    };
    assert!(
        meta.allowed_hosts()
            .iter()
            .any(|h| h.allows(&to("localhost", 8443)))
    );
    assert!(
        !meta
            .allowed_hosts()
            .iter()
            .any(|h| h.allows(&to("api.openai.com", 443)))
    );

    v.edit_api_key("openai", edit(Some(Vec::new())), now())
        .unwrap();
    assert!(
        v.api_key("openai").unwrap().meta.allowed_hosts().is_empty(),
        "none at all is a choice"
    );
    v.edit_api_key("openai", edit(None), now()).unwrap();
    assert_eq!(
        names(&v.api_key("openai").unwrap().meta.allowed_hosts()),
        ["api.openai.com"]
    );
}
