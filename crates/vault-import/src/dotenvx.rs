//! dotenvx's encrypted `.env` files: each value `encrypted:BASE64` is ECIES over secp256k1 (an
//! ephemeral public key, HKDF-SHA256, AES-256-GCM, as `eciesjs` writes it), opened with the
//! private key in `.env.keys` beside the file (`DOTENV_PRIVATE_KEY` for `.env`,
//! `DOTENV_PRIVATE_KEY_PRODUCTION` for `.env.production`), or the one the user gives.
//! `DOTENV_PUBLIC_KEY*` lines are dotenvx's own and left out; plain values are kept as they are.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use vault_core::{SecretValue, dotenv};
use zeroize::Zeroizing;

use crate::{Draft, ImportError, Input, Read, Skip};

const ENCRYPTED: &str = "encrypted:";

/// A `.env` with an encrypted value or a dotenvx public key.
pub(crate) fn looks_like(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with("DOTENV_PUBLIC_KEY")
            || l.split_once('=')
                .is_some_and(|(_, v)| v.trim().trim_matches(['"', '\'']).starts_with(ENCRYPTED))
    })
}

/// The name of the private key for `path` (`.env.production` → `DOTENV_PRIVATE_KEY_PRODUCTION`).
pub(crate) fn key_name(path: &Path) -> String {
    let file = path
        .file_name()
        .and_then(|f| f.to_str())
        .unwrap_or_default();
    match file.strip_prefix(".env.").filter(|e| !e.is_empty()) {
        Some(env) => format!(
            "DOTENV_PRIVATE_KEY_{}",
            env.to_ascii_uppercase().replace(['.', '-'], "_")
        ),
        None => "DOTENV_PRIVATE_KEY".to_owned(),
    }
}

/// `.env.keys` beside `path`.
pub(crate) fn keys_file(path: &Path) -> PathBuf {
    path.with_file_name(".env.keys")
}

/// The private key for `path` from its `.env.keys`, if that file has it.
pub(crate) fn key_from_keys_file(path: &Path) -> Option<SecretValue> {
    let text = Zeroizing::new(std::fs::read_to_string(keys_file(path)).ok()?);
    let name = key_name(path);
    dotenv::parse(&text)
        .entries
        .into_iter()
        .find(|e| e.key == name)
        .map(|e| e.value)
}

pub(crate) fn read(input: &Input<'_>) -> Result<Read, ImportError> {
    let file = input.path.display().to_string();
    let what = "the dotenvx private key";
    let text = std::str::from_utf8(input.bytes)
        .map_err(|_| ImportError::corrupt(input, "not UTF-8 text, not a .env file"))?;
    let parsed = dotenv::parse(text);
    let from_file = key_from_keys_file(input.path);
    let key = input.secret.or(from_file.as_ref());
    let secret_key = match key {
        Some(k) => Some(Zeroizing::new(hex::decode(k.expose().trim()).map_err(
            |_| ImportError::WrongSecret {
                file: file.clone(),
                what: "the dotenvx private key (64 hexadecimal digits)",
            },
        )?)),
        None => None,
    };
    let mut out = Read::default();
    for skipped in parsed.skipped {
        out.skipped.push(Skip {
            origin: format!("line {}", skipped.line),
            reason: skipped.reason,
        });
    }
    for entry in parsed.entries {
        let origin = format!("{} (line {})", entry.key, entry.line);
        if entry.key.starts_with("DOTENV_PUBLIC_KEY") {
            out.skipped.push(Skip {
                origin,
                reason: "dotenvx's public key, not a secret".into(),
            });
            continue;
        }
        let value = match entry.value.expose().strip_prefix(ENCRYPTED) {
            Some(encoded) => {
                let Some(sk) = &secret_key else {
                    return Err(ImportError::SecretNeeded {
                        file,
                        what: "the dotenvx private key (no .env.keys beside it holds it)",
                    });
                };
                let sealed = base64::engine::general_purpose::STANDARD
                    .decode(encoded.trim())
                    .map_err(|_| {
                        ImportError::entry(input, &origin, "its encrypted value is not base64")
                    })?;
                let plain = Zeroizing::new(ecies::decrypt(sk, &sealed).map_err(|_| {
                    ImportError::WrongSecret {
                        file: file.clone(),
                        what,
                    }
                })?);
                SecretValue::from_utf8(plain)
                    .map_err(|_| ImportError::entry(input, &origin, "its value is not UTF-8"))?
            }
            None => entry.value,
        };
        let mut d = Draft::new(origin, entry.key.clone());
        d.env = vec![entry.key];
        d.value = Some(value);
        d.finish(&mut out);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_named_after_the_environment() {
        assert_eq!(key_name(Path::new("/p/.env")), "DOTENV_PRIVATE_KEY");
        assert_eq!(
            key_name(Path::new("/p/.env.production")),
            "DOTENV_PRIVATE_KEY_PRODUCTION"
        );
        assert_eq!(
            key_name(Path::new(".env.ci-local")),
            "DOTENV_PRIVATE_KEY_CI_LOCAL"
        );
    }

    #[test]
    fn a_value_sealed_to_the_key_opens_and_another_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (sk, pk) = ecies::utils::generate_keypair();
        let sealed = ecies::encrypt(&pk.serialize(), b"sk-live-dotenvx").unwrap();
        let env = dir.path().join(".env");
        let text = format!(
            "DOTENV_PUBLIC_KEY=\"{}\"\nSTRIPE_KEY=\"encrypted:{}\"\nPLAIN=kept\n",
            hex::encode(pk.serialize_compressed()),
            base64::engine::general_purpose::STANDARD.encode(sealed)
        );
        let key = SecretValue::new(hex::encode(sk.serialize()));
        let input = Input {
            path: &env,
            bytes: text.as_bytes(),
            secret: Some(&key),
            key_file: None,
        };
        let read = read(&input).unwrap();
        let got: Vec<_> = read
            .entries
            .iter()
            .map(|e| (e.name.as_str(), e.value.expose()))
            .collect();
        assert_eq!(got, [("STRIPE_KEY", "sk-live-dotenvx"), ("PLAIN", "kept")]);
        assert_eq!(read.skipped.len(), 1, "the public key");

        let (other, _) = ecies::utils::generate_keypair();
        let wrong = SecretValue::new(hex::encode(other.serialize()));
        let input = Input {
            secret: Some(&wrong),
            ..input
        };
        assert!(matches!(read_err(&input), ImportError::WrongSecret { .. }));
    }

    fn read_err(input: &Input<'_>) -> ImportError {
        read(input).err().unwrap()
    }
}
