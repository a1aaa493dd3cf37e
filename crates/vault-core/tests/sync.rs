//! Sync between vaults through a real bare git repository (the system `git`, `file://`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use vault_core::crypto::KdfParams;
use vault_core::model::ItemMeta;
use vault_core::vault_sync::DeviceKeys;
use vault_core::vault_sync::git::Remote;
use vault_core::{Error, NewApiKey, SecretValue, SyncRound, Timestamp, Vault};

fn at(secs: i64) -> Timestamp {
    Timestamp::from_second(1_780_000_000 + secs).unwrap()
}

fn pw() -> SecretValue {
    SecretValue::new("correct horse")
}

struct Device {
    vault: Vault,
    mirror: PathBuf,
}

impl Device {
    fn new(dir: &Path, name: &str) -> Device {
        let vault = Vault::create(
            &dir.join(name).join("vault.db"),
            &pw(),
            KdfParams::MINIMUM,
            at(0),
        )
        .unwrap();
        Device {
            vault,
            mirror: dir.join(name).join("mirror.git"),
        }
    }

    fn remote(&self) -> Remote {
        let (url, _) = self.vault.sync_target().unwrap().unwrap();
        Remote::open(&self.mirror, &url).unwrap()
    }

    fn try_sync(&mut self, now: Timestamp) -> Result<SyncRound, Error> {
        let remote = self.remote();
        remote.fetch()?;
        let round = self.vault.sync_round(&remote, now)?;
        let unsent = self.vault.sync_unsent()?;
        let (_, me) = self.vault.sync_target()?.unwrap();
        remote.append(&me, &unsent)?;
        remote.push(me.id)?;
        if let Some((last, _)) = unsent.last() {
            self.vault.sync_sent(*last)?;
        }
        Ok(round)
    }

    fn sync(&mut self, now: Timestamp) -> SyncRound {
        self.try_sync(now).unwrap()
    }

    fn value(&self, name: &str) -> String {
        self.vault.api_key(name).unwrap().value.expose().to_owned()
    }

    fn names(&self) -> Vec<String> {
        self.vault
            .items()
            .unwrap()
            .iter()
            .map(|i| i.meta.name().to_owned())
            .collect()
    }

    fn add(&mut self, name: &str, value: &str, now: Timestamp) {
        self.vault
            .add_api_key(NewApiKey::new(name, SecretValue::new(value)), now)
            .unwrap();
    }
}

fn bare(dir: &Path) -> String {
    let path = dir.join("remote.git");
    assert!(
        Command::new("git")
            .args(["init", "--bare", "--quiet"])
            .arg(&path)
            .status()
            .unwrap()
            .success()
    );
    format!("file://{}", path.display())
}

/// `joiner` joins through `inviter` (the pairing exchange itself is the agent's: here the
/// handover is given directly).
fn pair(inviter: &mut Device, joiner: &mut Device, name: &str, now: Timestamp) {
    let keys = DeviceKeys::generate().unwrap();
    let welcome = inviter.vault.sync_admit(&keys.public(), name, now).unwrap();
    joiner.vault.sync_accept(keys, name, &welcome, now).unwrap();
}

fn conflict_of(d: &Device, name: &str) -> Option<String> {
    match d.vault.item(name).unwrap().meta {
        ItemMeta::ApiKey(m) => m.conflict.map(|c| c.with),
        _ => None,
    }
}

#[test]
fn three_devices_converge_and_keep_both_values_of_a_concurrent_edit() {
    let dir = tempfile::tempdir().unwrap();
    let url = bare(dir.path());
    let mut a = Device::new(dir.path(), "a");
    let mut b = Device::new(dir.path(), "b");
    let mut c = Device::new(dir.path(), "c");
    a.vault.sync_init(&url, "laptop", at(1)).unwrap();
    for i in 0..3 {
        a.add(&format!("KEY_{i}"), &format!("value-{i}"), at(2));
    }
    assert_eq!(a.sync(at(3)).sent, 3);

    pair(&mut a, &mut b, "desktop", at(4));
    b.add("FROM_B", "b-value", at(4));
    a.sync(at(5));
    let round = b.sync(at(6));
    assert_eq!(round.received, 3);
    assert_eq!(b.value("KEY_1"), "value-1");
    a.sync(at(7));
    assert_eq!(a.value("FROM_B"), "b-value");

    // Plain edits both ways, then a deletion.
    b.vault
        .rotate("KEY_0", &SecretValue::new("rotated-on-b"), at(8))
        .unwrap();
    a.vault.remove("KEY_2", at(8)).unwrap();
    b.sync(at(9));
    a.sync(at(10));
    b.sync(at(11));
    assert_eq!(a.value("KEY_0"), "rotated-on-b");
    assert_eq!(b.names(), a.names());
    assert!(!b.names().contains(&"KEY_2".to_owned()));
    assert_eq!(conflict_of(&a, "KEY_0"), None);

    // Both change KEY_1 before either syncs: the later one wins everywhere, the other stays in
    // history, both devices flag it.
    a.vault
        .rotate("KEY_1", &SecretValue::new("from-a"), at(12))
        .unwrap();
    b.vault
        .rotate("KEY_1", &SecretValue::new("from-b"), at(13))
        .unwrap();
    a.sync(at(14));
    let round = b.sync(at(15));
    assert_eq!(round.conflicts, vec!["KEY_1".to_owned()]);
    a.sync(at(16));
    let (va, vb) = (a.value("KEY_1"), b.value("KEY_1"));
    assert_eq!(va, vb, "both devices hold the same value");
    for d in [&a, &b] {
        let history: Vec<String> = d
            .vault
            .history("KEY_1")
            .unwrap()
            .into_iter()
            .map(|v| {
                d.vault
                    .version_value("KEY_1", v.version)
                    .unwrap()
                    .expose()
                    .to_owned()
            })
            .collect();
        assert!(
            history.contains(&"from-a".to_owned()) || va == "from-a",
            "{history:?}"
        );
        assert!(
            history.contains(&"from-b".to_owned()) || va == "from-b",
            "{history:?}"
        );
        assert!(conflict_of(d, "KEY_1").is_some());
    }

    // A third device gets everything, history-free but current.
    pair(&mut b, &mut c, "server", at(17));
    b.sync(at(18));
    c.sync(at(19));
    assert_eq!(c.names(), a.names());
    assert_eq!(c.value("KEY_1"), va);
    let status = c.vault.sync_status().unwrap().unwrap();
    assert_eq!(status.devices.len(), 3);
    assert_eq!(status.pending, 0);
    assert_eq!(status.unsent, 0);
}
