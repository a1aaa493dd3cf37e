//! The vault's side of pairing and of removing a device: what the inviting device hands over
//! (sealed by the pairing exchange's key, in `vault-sync`'s `pairing`), taking it on the
//! joining device, and a removal with its new sync key.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use vault_sync::{DeviceId, DeviceKeys, DevicePublic, Op, OpHeader, SyncKey};
use zeroize::Zeroizing;

use super::super::Vault;
use super::state::{DeviceEntry, Secrets, Space, State, load, save};
use super::{announce_if_first, not_set_up, seal_segment};
use crate::error::{Error, Result};
use crate::model::AuditEvent;

/// What the inviting device hands the new one: the remote, the devices and every sync key.
#[derive(Serialize, Deserialize)]
struct Welcome {
    url: String,
    devices: Vec<(DevicePublic, String)>,
    epoch: u32,
    keys: BTreeMap<u32, String>,
}

impl Vault {
    /// On the inviting device, once the pairing code checked: adds `joiner` (its log will be
    /// read from now on; the operation goes out with the next push) and returns what the new
    /// device needs, to be sealed with the pairing key.
    pub fn sync_admit(
        &mut self,
        joiner: &DevicePublic,
        name: &str,
        now: Timestamp,
    ) -> Result<Zeroizing<Vec<u8>>> {
        joiner.check()?;
        let (store, crypt) = self.parts();
        store.write(&crypt, |db| {
            let (mut state, secrets) = load(&crypt, db)?.ok_or_else(not_set_up)?;
            if state.devices.contains_key(&joiner.id) {
                return Err(Error::invalid("that device is already paired"));
            }
            let mut ops = Vec::new();
            announce_if_first(&state, &secrets, &mut ops);
            ops.push(Op::new(
                OpHeader::DeviceAdded {
                    device: joiner.clone(),
                    name: name.to_owned(),
                },
                Vec::new(),
            ));
            seal_segment(&crypt, db, Space::Own, &mut state, &secrets, &ops)?;
            state.devices.insert(
                joiner.id,
                DeviceEntry {
                    public: joiner.clone(),
                    name: name.to_owned(),
                    removed_after: None,
                },
            );
            let welcome = Welcome {
                url: state.url.clone(),
                devices: state
                    .devices
                    .values()
                    .filter(|d| d.removed_after.is_none())
                    .map(|d| (d.public.clone(), d.name.clone()))
                    .collect(),
                epoch: state.epoch,
                keys: secrets
                    .keys
                    .iter()
                    .map(|(e, k)| (*e, vault_sync::hex::encode(k.expose())))
                    .collect(),
            };
            let out = Zeroizing::new(
                serde_json::to_vec(&welcome).map_err(|e| Error::invalid(e.to_string()))?,
            );
            for (_, k) in welcome.keys {
                drop(Zeroizing::new(k));
            }
            save(&crypt, db, &state, &secrets)?;
            crypt.audit(
                db,
                AuditEvent::SyncDeviceAdded {
                    device: name.to_owned(),
                },
                now,
            )?;
            Ok(out)
        })
    }

    /// On the joining device: takes what the inviting device handed over. `device` is the key
    /// pair this device made for the exchange. Its items (if any) go out with the first round.
    pub fn sync_accept(
        &mut self,
        device: DeviceKeys,
        name: &str,
        welcome: &[u8],
        now: Timestamp,
    ) -> Result<()> {
        let bad = || {
            Error::from(vault_sync::Error::Pairing(
                "the paired device's answer does not parse".into(),
            ))
        };
        let welcome: Welcome = serde_json::from_slice(welcome).map_err(|_| bad())?;
        let mut keys = BTreeMap::new();
        for (epoch, hex) in welcome.keys {
            let hex = Zeroizing::new(hex);
            let bytes = Zeroizing::new(vault_sync::hex::decode(&hex).ok_or_else(bad)?);
            keys.insert(epoch, SyncKey::from_bytes(epoch, &bytes)?);
        }
        if !keys.contains_key(&welcome.epoch) {
            return Err(bad());
        }
        let mut devices = BTreeMap::new();
        for (public, name) in welcome.devices {
            public.check()?;
            devices.insert(
                public.id,
                DeviceEntry {
                    public,
                    name,
                    removed_after: None,
                },
            );
        }
        let public = device.public();
        devices.insert(
            public.id,
            DeviceEntry {
                public,
                name: name.to_owned(),
                removed_after: None,
            },
        );
        let (store, crypt) = self.parts();
        store.write(&crypt, |db| {
            if load(&crypt, db)?.is_some() {
                return Err(Error::invalid(
                    "this vault already syncs; `vault sync status` shows where",
                ));
            }
            let state = State {
                url: welcome.url.clone(),
                name: name.to_owned(),
                devices: devices.clone(),
                heads: BTreeMap::new(),
                epoch: welcome.epoch,
                items: BTreeMap::new(),
                deleted: BTreeMap::new(),
                outbox: Vec::new(),
                last_sync: None,
                exposed_before: None,
                notes: Vec::new(),
                removed: false,
                share: None,
            };
            let secrets = Secrets {
                device: DeviceKeys::from_secret(&device.to_secret())?,
                keys: keys.clone(),
            };
            save(&crypt, db, &state, &secrets)?;
            crypt.audit(
                db,
                AuditEvent::SyncStarted {
                    device: name.to_owned(),
                },
                now,
            )
        })
    }

    /// Removes another device: nothing it writes from now on is read, a new sync key that it
    /// does not receive seals every later segment, and every value set before now comes due
    /// for rotation (it may be in that device's hands).
    pub fn sync_remove_device(&mut self, name_or_id: &str, now: Timestamp) -> Result<String> {
        let (store, crypt) = self.parts();
        store.write(&crypt, |db| {
            let (mut state, mut secrets) = load(&crypt, db)?.ok_or_else(not_set_up)?;
            let me = secrets.device.id();
            let wanted = name_or_id.to_lowercase();
            let found: Vec<DeviceId> = state
                .devices
                .values()
                .filter(|d| d.removed_after.is_none())
                .filter(|d| {
                    d.name.to_lowercase() == wanted
                        || d.public.id.hex().starts_with(&wanted) && wanted.len() >= 4
                })
                .map(|d| d.public.id)
                .collect();
            let id = match found.as_slice() {
                [id] => *id,
                [] => {
                    return Err(Error::NotFound {
                        name: format!("device {name_or_id}"),
                    });
                }
                _ => {
                    return Err(Error::invalid(format!(
                        "several devices match {name_or_id:?}; give its id (`vault sync devices`)"
                    )));
                }
            };
            if id == me {
                return Err(Error::invalid(
                    "this is the device you are on; remove it from another one",
                ));
            }
            let last_seq = state.heads.get(&id).map_or(0, |h| h.seq);
            let epoch = state.epoch + 1;
            let key = SyncKey::generate(epoch)?;
            let remaining: Vec<DevicePublic> = state
                .devices
                .values()
                .filter(|d| d.removed_after.is_none() && d.public.id != id)
                .map(|d| d.public.clone())
                .collect();
            let sealed = key.seal_to(&remaining)?;
            let name = state
                .devices
                .get(&id)
                .map(|d| d.name.clone())
                .unwrap_or_default();
            let ops = vec![
                Op::new(
                    OpHeader::DeviceRemoved {
                        device: id,
                        last_seq,
                    },
                    Vec::new(),
                ),
                Op::new(OpHeader::NewKey { epoch }, sealed),
            ];
            // The removal is sealed under the old key: every device still holds it.
            seal_segment(&crypt, db, Space::Own, &mut state, &secrets, &ops)?;
            secrets.keys.insert(epoch, key);
            state.epoch = epoch;
            if let Some(d) = state.devices.get_mut(&id) {
                d.removed_after = Some(last_seq);
            }
            state.exposed_before = Some(now);
            save(&crypt, db, &state, &secrets)?;
            crypt.audit(
                db,
                AuditEvent::SyncDeviceRemoved {
                    device: name.clone(),
                },
                now,
            )?;
            Ok(name)
        })
    }
}
