//! Every secret the vault holds, each with what it is, for `vault scan`: the scanner looks for
//! them verbatim in files, so it must know the previous values and the secret fields too.
//! What leaves here stays in the process that holds the vault open (the agent).

use super::Vault;
use crate::error::Result;
use crate::model::ItemMeta;
use crate::secret::SecretValue;

/// Which of an item's secrets a [`KnownSecret`] is. Names and numbers only, never a value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum SecretRole {
    /// An API key's current value.
    Value,
    /// One of its secret fields, current.
    Field { field: String },
    /// A value it had before (`vault history`).
    Previous { version: u32 },
    /// A secret field it had in that version.
    PreviousField { version: u32, field: String },
    /// An OAuth grant's access token.
    AccessToken,
    /// An OAuth grant's refresh token.
    RefreshToken,
    /// An OAuth provider's client secret (`item` is the provider's name).
    ClientSecret,
}

/// One secret and where it belongs.
#[derive(Debug)]
pub struct KnownSecret {
    pub item: String,
    pub role: SecretRole,
    pub value: SecretValue,
}

impl Vault {
    /// Every value, secret field, previous value, token and client secret, read in one
    /// transaction. A previous value equal to the current one (a rollback) is listed once.
    pub fn known_secrets(&self) -> Result<Vec<KnownSecret>> {
        self.reading(|v| {
            let mut out = Vec::new();
            for item in v.items()? {
                let name = item.meta.name().to_owned();
                match &item.meta {
                    ItemMeta::ApiKey(_) => v.api_key_secrets(&name, &mut out)?,
                    ItemMeta::Grant(_) => {
                        let grant = v.grant(&name)?;
                        out.push(KnownSecret {
                            item: name.clone(),
                            role: SecretRole::AccessToken,
                            value: grant.tokens.access_token,
                        });
                        if let Some(refresh) = grant.tokens.refresh_token {
                            out.push(KnownSecret {
                                item: name,
                                role: SecretRole::RefreshToken,
                                value: refresh,
                            });
                        }
                    }
                }
            }
            for provider in v.providers()? {
                if let (_, Some(secret)) = v.provider(&provider.name)? {
                    out.push(KnownSecret {
                        item: provider.name,
                        role: SecretRole::ClientSecret,
                        value: secret,
                    });
                }
            }
            Ok(out)
        })
    }

    fn api_key_secrets(&self, name: &str, out: &mut Vec<KnownSecret>) -> Result<()> {
        let crypt = self.crypt_parts();
        let db = self.store.db();
        let (row, id, _) = crypt.find_api_key(&db, name)?;
        let current = crypt.open_secret(&id, &db.secret(&row.id)?)?;
        for (vid, blob) in db.versions(&row.id)? {
            let (info, old) = crypt.open_version(&id, &vid, &blob)?;
            if !old.value.ct_eq(&current.value) {
                out.push(KnownSecret {
                    item: name.to_owned(),
                    role: SecretRole::Previous {
                        version: info.version,
                    },
                    value: old.value,
                });
            }
            for (field, value) in old.fields {
                if current.fields.get(&field).is_some_and(|c| c.ct_eq(&value)) {
                    continue;
                }
                out.push(KnownSecret {
                    item: name.to_owned(),
                    role: SecretRole::PreviousField {
                        version: info.version,
                        field,
                    },
                    value,
                });
            }
        }
        out.push(KnownSecret {
            item: name.to_owned(),
            role: SecretRole::Value,
            value: current.value,
        });
        for (field, value) in current.fields {
            out.push(KnownSecret {
                item: name.to_owned(),
                role: SecretRole::Field { field },
                value,
            });
        }
        Ok(())
    }
}
