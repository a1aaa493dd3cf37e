//! An API key's named fields (`username`, `account`...): kept sealed with its metadata, read
//! by name like the built-in fields, set and removed by an edit, checked on the way in.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use vault_core::crypto::KdfParams;
use vault_core::model::ApiKeyEdit;
use vault_core::{Error, LockedVault, NewApiKey, SecretValue, Timestamp, Vault};

fn now() -> Timestamp {
    "2026-03-01T12:00:00Z".parse().unwrap()
}

fn vault(dir: &std::path::Path) -> (std::path::PathBuf, Vault) {
    let path = dir.join("v.db");
    let v = Vault::create(
        &path,
        &SecretValue::new("correct horse"),
        KdfParams::MINIMUM,
        now(),
    )
    .unwrap();
    (path, v)
}

fn with_fields(name: &str, fields: &[(&str, &str)]) -> NewApiKey {
    let mut key = NewApiKey::new(name, SecretValue::new("ghp_token"));
    key.fields = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    key
}

#[test]
fn fields_are_stored_sealed_read_by_name_and_survive_a_relock() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut v) = vault(dir.path());
    v.add_api_key(
        with_fields("github", &[("username", "alice"), ("org", "acme-corp")]),
        now(),
    )
    .unwrap();
    let key = v.api_key("github").unwrap();
    assert_eq!(key.field("username").unwrap().expose(), "alice");
    assert_eq!(key.field("org").unwrap().expose(), "acme-corp");
    assert_eq!(key.field("value").unwrap().expose(), "ghp_token");
    let err = key.field("password").unwrap_err().to_string();
    assert!(err.contains("no field \"password\""), "{err}");
    assert!(
        err.contains("username"),
        "the item's own fields are named: {err}"
    );
    drop(v);
    let bytes = std::fs::read(&path).unwrap();
    assert!(
        !bytes.windows(9).any(|w| w == b"acme-corp"),
        "a field's value is sealed, never in the file in clear"
    );
    let v = LockedVault::open(&path)
        .unwrap()
        .unlock(&SecretValue::new("correct horse"))
        .unwrap();
    let meta = v.api_key("github").unwrap().meta;
    assert_eq!(
        meta.fields.get("username").map(String::as_str),
        Some("alice")
    );
}

#[test]
fn an_edit_sets_replaces_and_removes_fields_and_leaves_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut v) = vault(dir.path());
    v.add_api_key(
        with_fields("github", &[("username", "alice"), ("org", "acme")]),
        now(),
    )
    .unwrap();
    let mut change = BTreeMap::new();
    change.insert("username".to_owned(), Some("bob".to_owned()));
    change.insert("org".to_owned(), None);
    change.insert("team".to_owned(), Some("infra".to_owned()));
    let edit = ApiKeyEdit {
        fields: Some(change),
        ..Default::default()
    };
    v.edit_api_key("github", edit, now()).unwrap();
    let fields = v.api_key("github").unwrap().meta.fields;
    assert_eq!(
        fields.into_iter().collect::<Vec<_>>(),
        [
            ("team".to_owned(), "infra".to_owned()),
            ("username".to_owned(), "bob".to_owned())
        ]
    );
    // A rotation keeps them: they describe the credential, not one value of it.
    v.rotate("github", &SecretValue::new("ghp_new"), now())
        .unwrap();
    assert_eq!(
        v.api_key("github")
            .unwrap()
            .field("username")
            .unwrap()
            .expose(),
        "bob"
    );

    let mut gone = BTreeMap::new();
    gone.insert("org".to_owned(), None);
    let r = v.edit_api_key(
        "github",
        ApiKeyEdit {
            fields: Some(gone),
            ..Default::default()
        },
        now(),
    );
    assert!(
        matches!(&r, Err(Error::Invalid(m)) if m.contains("no field \"org\" to remove")),
        "{r:?}"
    );
}

#[test]
fn bad_field_names_and_values_are_refused_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut v) = vault(dir.path());
    let long = "x".repeat(5000);
    let cases: [(&str, &str, &str); 6] = [
        ("user name", "alice", "is not a field name"),
        ("1st", "alice", "is not a field name"),
        ("Value", "alice", "is a built-in field"),
        ("notes", "alice", "is a built-in field"),
        ("username", "", "is empty"),
        ("username", &long, "longer than 4096 bytes"),
    ];
    for (name, value, says) in cases {
        let r = v.add_api_key(with_fields("k", &[(name, value)]), now());
        match r {
            Err(Error::Invalid(m)) => assert!(m.contains(says), "{name:?}: {m}"),
            other => panic!("{name:?}={value:?}: {other:?}"),
        }
    }
    let r = v.add_api_key(with_fields("k", &[("username", "a\0b")]), now());
    assert!(matches!(r, Err(Error::Invalid(m)) if m.contains("NUL")));
    assert!(v.items().unwrap().is_empty());
}
