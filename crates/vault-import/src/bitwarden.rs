//! Bitwarden's JSON export (`bw export --format json`, or the web vault's "File format: .json"),
//! unencrypted or password-protected (`protected`): logins, secure notes and SSH keys become
//! items, folders become tags, custom fields become fields (hidden ones secret). Payment cards
//! and identities are left out. An account-restricted export, which only that Bitwarden account
//! can open, is refused with what to do instead.

use serde::Deserialize;

use crate::{Draft, ImportError, Input, Read, Skip};

mod protected;

/// Whether the file is sealed, read before anything else.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    #[serde(default)]
    encrypted: bool,
    #[serde(default)]
    password_protected: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Export {
    #[serde(default)]
    encrypted: bool,
    #[serde(default)]
    folders: Vec<Folder>,
    #[serde(default)]
    items: Vec<Item>,
}

#[derive(Deserialize)]
struct Folder {
    id: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    #[serde(rename = "type")]
    kind: u32,
    name: String,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default)]
    folder_id: Option<String>,
    #[serde(default)]
    fields: Vec<Field>,
    #[serde(default)]
    login: Option<Login>,
    #[serde(default)]
    ssh_key: Option<SshKey>,
}

#[derive(Deserialize)]
struct Field {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    value: Option<String>,
    #[serde(rename = "type")]
    kind: u32,
}

#[derive(Deserialize)]
struct Login {
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    totp: Option<String>,
    #[serde(default)]
    uris: Option<Vec<Uri>>,
}

#[derive(Deserialize)]
struct Uri {
    #[serde(default)]
    uri: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SshKey {
    #[serde(default)]
    private_key: Option<String>,
    #[serde(default)]
    public_key: Option<String>,
    #[serde(default)]
    key_fingerprint: Option<String>,
}

const LOGIN: u32 = 1;
const SECURE_NOTE: u32 = 2;
const CARD: u32 = 3;
const IDENTITY: u32 = 4;
const SSH_KEY: u32 = 5;

pub(crate) fn read(input: &Input<'_>) -> Result<Read, ImportError> {
    let opened;
    let bytes = match serde_json::from_slice::<Envelope>(input.bytes) {
        Ok(Envelope {
            encrypted: true,
            password_protected: true,
        }) => {
            opened = protected::open(input)?;
            &opened[..]
        }
        _ => input.bytes,
    };
    // Only the position is told: serde's message may quote a value.
    let export: Export = serde_json::from_slice(bytes).map_err(|e| {
        ImportError::corrupt(
            input,
            format!(
                "not a Bitwarden JSON export (at line {}, column {})",
                e.line(),
                e.column()
            ),
        )
    })?;
    if export.encrypted {
        return Err(ImportError::corrupt(
            input,
            "an account-restricted encrypted Bitwarden export, which only that Bitwarden \
             account can open: export again as \"Password protected\" (or unencrypted) JSON",
        ));
    }
    let mut out = Read::default();
    for item in export.items {
        let folder = item
            .folder_id
            .as_deref()
            .and_then(|id| export.folders.iter().find(|f| f.id == id))
            .map(|f| f.name.as_str());
        let origin = match folder {
            Some(f) => format!("{f}/{}", item.name),
            None => item.name.clone(),
        };
        let mut d = Draft::new(origin.clone(), item.name.clone());
        let notes = item.notes.clone().unwrap_or_default();
        match item.kind {
            LOGIN => {
                let login = item.login.as_ref();
                d.value = login
                    .and_then(|l| l.password.as_deref())
                    .map(vault_core::SecretValue::new);
                if let Some(user) = login.and_then(|l| l.username.as_deref()) {
                    d.field("username", user);
                }
                let uris = login.and_then(|l| l.uris.as_deref()).unwrap_or_default();
                for (i, uri) in uris.iter().filter_map(|u| u.uri.as_deref()).enumerate() {
                    let name = if i == 0 {
                        "url".to_owned()
                    } else {
                        format!("url-{}", i + 1)
                    };
                    d.field(&name, uri);
                }
                if let Some(totp) = login.and_then(|l| l.totp.as_deref()) {
                    d.secret_field("otp", totp);
                }
                d.notes = notes;
            }
            // A note's text is its secret (a key pasted into a note, a certificate...).
            SECURE_NOTE => d.value = Some(vault_core::SecretValue::new(notes)),
            SSH_KEY => {
                let key = item.ssh_key.as_ref();
                d.value = key
                    .and_then(|k| k.private_key.as_deref())
                    .map(vault_core::SecretValue::new);
                if let Some(public) = key.and_then(|k| k.public_key.as_deref()) {
                    d.field("public-key", public);
                }
                if let Some(fp) = key.and_then(|k| k.key_fingerprint.as_deref()) {
                    d.field("fingerprint", fp);
                }
                d.notes = notes;
            }
            CARD | IDENTITY => {
                out.skipped.push(Skip {
                    origin,
                    reason: if item.kind == CARD {
                        "a payment card, not a developer credential".into()
                    } else {
                        "an identity, not a developer credential".into()
                    },
                });
                continue;
            }
            other => {
                return Err(ImportError::entry(
                    input,
                    origin,
                    format!("an item of type {other}, which vault does not know"),
                ));
            }
        }
        for field in &item.fields {
            let name = field.name.as_deref().unwrap_or("field");
            let value = field.value.as_deref().unwrap_or_default();
            match field.kind {
                // Text, and a boolean's "true"/"false".
                0 | 2 => d.field(name, value),
                1 => d.secret_field(name, value),
                // A linked field points at the username or password, already imported.
                3 => {}
                other => {
                    return Err(ImportError::entry(
                        input,
                        origin,
                        format!(
                            "custom field {name:?} is of type {other}, which vault does not know"
                        ),
                    ));
                }
            }
        }
        if let Some(f) = folder {
            d.tag(f);
        }
        d.finish(&mut out);
    }
    Ok(out)
}
