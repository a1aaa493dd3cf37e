//! The vault's own keys (the proxy's CA): sealed, kept across a password change, never
//! listed as items, and refused when their row is moved.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use vault_core::crypto::KdfParams;
use vault_core::vault::{PROXY_CA, Record};
use vault_core::{LockedVault, NewApiKey, SecretValue, Timestamp, Vault};
use zeroize::Zeroizing;

fn now() -> Timestamp {
    "2026-03-01T12:00:00Z".parse().unwrap()
}

#[test]
fn a_record_is_sealed_kept_across_a_password_change_and_not_an_item() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.db");
    let pw = SecretValue::new("correct horse");
    let mut v = Vault::create(&path, &pw, KdfParams::MINIMUM, now()).unwrap();
    assert!(v.own_record(PROXY_CA).unwrap().is_none());
    let secret = b"private-key-bytes-CANARY-7c1f".to_vec();
    v.put_own_record(
        PROXY_CA,
        &Record {
            public: b"certificate".to_vec(),
            secret: Zeroizing::new(secret.clone()),
        },
    )
    .unwrap();
    v.add_api_key(NewApiKey::new("k", SecretValue::new("v")), now())
        .unwrap();
    assert_eq!(v.items().unwrap().len(), 1, "a record is not an item");
    let new_pw = SecretValue::new("battery staple");
    v.change_password(&new_pw, Some(KdfParams::MINIMUM), now())
        .unwrap();
    drop(v);

    let file = std::fs::read(&path).unwrap();
    assert!(
        !file.windows(secret.len()).any(|w| w == secret.as_slice()),
        "the key is sealed"
    );
    let v = LockedVault::open(&path).unwrap().unlock(&new_pw).unwrap();
    let record = v.own_record(PROXY_CA).unwrap().unwrap();
    assert_eq!(record.public, b"certificate");
    assert_eq!(*record.secret, secret);
    assert!(v.own_record("another").unwrap().is_none());
}
