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

fn secrets(pairs: &[(&str, &str)]) -> vault_core::model::SecretFields {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), SecretValue::new(*v)))
        .collect()
}

fn read(v: &Vault, item: &str, field: &str) -> String {
    v.api_key(item)
        .unwrap()
        .field(field)
        .unwrap()
        .expose()
        .to_owned()
}

/// A secret field is sealed with the value, not with the metadata: a listing names it and
/// never holds it, and the file never holds it in clear.
#[test]
fn secret_fields_are_kept_with_the_value_and_listed_by_name_only() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut v) = vault(dir.path());
    let mut key = with_fields("aws-dev", &[("region", "eu-west-1")]);
    key.value = SecretValue::new("AKIAIOSFODNN7EXAMPLE");
    key.secret_fields = secrets(&[("secret", "wJalrXUtnFEMI-canary")]);
    let item = v.add_api_key(key, now()).unwrap();
    let listed = serde_json::to_string(&item).unwrap();
    assert!(
        listed.contains("\"secret_fields\":[\"secret\"]"),
        "{listed}"
    );
    assert!(!listed.contains("canary"), "{listed}");
    let all = serde_json::to_string(&v.items().unwrap()).unwrap();
    assert!(!all.contains("canary"), "{all}");
    assert_eq!(read(&v, "aws-dev", "secret"), "wJalrXUtnFEMI-canary");
    assert_eq!(read(&v, "aws-dev", "value"), "AKIAIOSFODNN7EXAMPLE");
    let err = v
        .api_key("aws-dev")
        .unwrap()
        .field("nope")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("region") && err.contains("secret"),
        "both kinds are named: {err}"
    );
    drop(v);
    let bytes = std::fs::read(&path).unwrap();
    assert!(!bytes.windows(6).any(|w| w == b"canary"));
    // A new password re-seals them with everything else.
    let mut v = LockedVault::open(&path)
        .unwrap()
        .unlock(&SecretValue::new("correct horse"))
        .unwrap();
    v.change_password(&SecretValue::new("battery staple"), None, now())
        .unwrap();
    drop(v);
    let v = LockedVault::open(&path)
        .unwrap()
        .unlock(&SecretValue::new("battery staple"))
        .unwrap();
    assert_eq!(read(&v, "aws-dev", "secret"), "wJalrXUtnFEMI-canary");
}

/// Changing a secret field is a new version, so history and rollback bring back the pair a
/// value went with; a rotation of the value keeps the item's secret fields.
#[test]
fn secret_fields_have_history_rotate_with_the_item_and_roll_back() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut v) = vault(dir.path());
    let mut key = NewApiKey::new("registry", SecretValue::new("alice"));
    key.secret_fields = secrets(&[("password", "pw-one")]);
    v.add_api_key(key, now()).unwrap();

    let edited = v
        .edit_api_key_with(
            "registry",
            ApiKeyEdit::default(),
            secrets(&[("password", "pw-two"), ("otp", "JBSWY3DP")]),
            now(),
        )
        .unwrap();
    assert_eq!(edited.meta.as_api_key().unwrap().version, 2);
    assert_eq!(read(&v, "registry", "password"), "pw-two");
    assert_eq!(v.history("registry").unwrap().len(), 2);

    // The same values again: nothing changes, no new version.
    v.edit_api_key_with(
        "registry",
        ApiKeyEdit::default(),
        secrets(&[("password", "pw-two")]),
        now(),
    )
    .unwrap();
    assert_eq!(v.history("registry").unwrap().len(), 2);

    v.rotate("registry", &SecretValue::new("bob"), now())
        .unwrap();
    assert_eq!(read(&v, "registry", "password"), "pw-two");
    assert_eq!(read(&v, "registry", "otp"), "JBSWY3DP");

    v.rollback("registry", Some(1), now()).unwrap();
    let key = v.api_key("registry").unwrap();
    assert_eq!(key.value.expose(), "alice");
    assert_eq!(key.field("password").unwrap().expose(), "pw-one");
    assert_eq!(key.meta.secret_fields, ["password"], "otp came later");
    assert!(key.field("otp").is_err());
}

/// `--remove-field` removes either kind; a plain field given a secret value becomes secret
/// (and back); a name cannot be both.
#[test]
fn secret_and_plain_fields_trade_places_and_are_removed_alike() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut v) = vault(dir.path());
    v.add_api_key(with_fields("gh", &[("username", "alice")]), now())
        .unwrap();
    v.edit_api_key_with(
        "gh",
        ApiKeyEdit::default(),
        secrets(&[("username", "alice-hidden")]),
        now(),
    )
    .unwrap();
    let key = v.api_key("gh").unwrap();
    assert!(key.meta.fields.is_empty());
    assert_eq!(key.meta.secret_fields, ["username"]);
    assert_eq!(key.field("username").unwrap().expose(), "alice-hidden");

    let mut back = BTreeMap::new();
    back.insert("username".to_owned(), Some("alice".to_owned()));
    v.edit_api_key(
        "gh",
        ApiKeyEdit {
            fields: Some(back),
            ..Default::default()
        },
        now(),
    )
    .unwrap();
    let key = v.api_key("gh").unwrap();
    assert!(key.meta.secret_fields.is_empty());
    assert_eq!(key.field("username").unwrap().expose(), "alice");

    v.edit_api_key_with(
        "gh",
        ApiKeyEdit::default(),
        secrets(&[("token2", "t2")]),
        now(),
    )
    .unwrap();
    let mut gone = BTreeMap::new();
    gone.insert("token2".to_owned(), None);
    v.edit_api_key(
        "gh",
        ApiKeyEdit {
            fields: Some(gone),
            ..Default::default()
        },
        now(),
    )
    .unwrap();
    assert!(v.api_key("gh").unwrap().meta.secret_fields.is_empty());

    let mut both = with_fields("k", &[("password", "plain")]);
    both.secret_fields = secrets(&[("password", "hidden")]);
    let r = v.add_api_key(both, now());
    assert!(
        matches!(&r, Err(Error::Invalid(m)) if m.contains("both as a plain field and as a secret")),
        "{r:?}"
    );
    let mut bad = NewApiKey::new("k", SecretValue::new("v"));
    bad.secret_fields = secrets(&[("pass word", "x")]);
    assert!(v.add_api_key(bad, now()).is_err());
    let mut nul = NewApiKey::new("k", SecretValue::new("v"));
    nul.secret_fields = secrets(&[("password", "a\0b")]);
    assert!(v.add_api_key(nul, now()).is_err());
    assert!(v.api_key("k").is_err());
}

/// An export carries secret fields beside the value; importing it brings them back.
#[test]
fn secret_fields_travel_through_export_and_import() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut v) = vault(dir.path());
    let mut key = NewApiKey::new("registry", SecretValue::new("alice"));
    key.secret_fields = secrets(&[("password", "pw-one")]);
    v.add_api_key(key, now()).unwrap();
    let exported = v.export(now()).unwrap();
    assert_eq!(exported[0].secret_fields["password"].expose(), "pw-one");

    let other = tempfile::tempdir().unwrap();
    let (_, mut w) = vault(other.path());
    let meta = vault_core::model::ImportedMeta {
        env: vec!["REGISTRY".into()],
        secret_fields: secrets(&[("password", "pw-one")]),
        ..Default::default()
    };
    let entry = vault_core::dotenv::Entry {
        key: "registry".into(),
        value: SecretValue::new("alice"),
        line: 1,
    };
    w.import_with(
        vec![(entry, Some(meta))],
        &[],
        vault_core::model::OnConflict::Skip,
        now(),
    )
    .unwrap();
    assert_eq!(read(&w, "registry", "password"), "pw-one");
}
