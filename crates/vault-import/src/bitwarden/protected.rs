//! Bitwarden's password-protected export: the unencrypted export's JSON, sealed under a key
//! derived from a password the user chose at export time. As Bitwarden's clients write and
//! read it (`deriveVaultExportKey`, `EncString`):
//! - the key: PBKDF2-HMAC-SHA256 (`kdfType` 0) or Argon2id (`kdfType` 1, salted with the
//!   SHA-256 of the salt) of the password, over the `salt` field's text as written (not
//!   base64-decoded), 32 bytes;
//! - stretched with HKDF-Expand-SHA256 into an encryption key (`info` "enc") and a MAC key
//!   (`info` "mac");
//! - `encKeyValidation_DO_NOT_EDIT` and `data` are EncStrings of type 2,
//!   `2.IV|CIPHERTEXT|MAC` in base64: AES-256-CBC (PKCS#7), then HMAC-SHA256 over IV and
//!   ciphertext, checked before anything is decrypted. A validation string that does not open
//!   means a wrong password.

use base64::Engine as _;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeDecrypt, KeyIvInit};
use hmac::{KeyInit, Mac};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use vault_core::SecretValue;
use zeroize::Zeroizing;

use crate::{ImportError, Input};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Protected {
    salt: String,
    kdf_type: u32,
    kdf_iterations: u32,
    #[serde(default)]
    kdf_memory: Option<u32>,
    #[serde(default)]
    kdf_parallelism: Option<u32>,
    #[serde(rename = "encKeyValidation_DO_NOT_EDIT")]
    validation: String,
    data: String,
}

const WHAT: &str = "the Bitwarden export's password";

/// The two halves of a stretched key.
struct Keys {
    enc: Zeroizing<[u8; 32]>,
    mac: Zeroizing<[u8; 32]>,
}

/// The export's plaintext JSON, opened with `input.secret`.
pub(super) fn open(input: &Input<'_>) -> Result<Zeroizing<Vec<u8>>, ImportError> {
    let file = input.path.display().to_string();
    let p: Protected = serde_json::from_slice(input.bytes).map_err(|e| {
        ImportError::corrupt(
            input,
            format!(
                "a password-protected Bitwarden export without its key fields (at line {}, \
                 column {})",
                e.line(),
                e.column()
            ),
        )
    })?;
    let Some(password) = input.secret else {
        return Err(ImportError::SecretNeeded { file, what: WHAT });
    };
    let keys = derive(input, &p, password)?;
    if open_enc_string(&keys, &p.validation).is_none() {
        return Err(ImportError::WrongSecret { file, what: WHAT });
    }
    open_enc_string(&keys, &p.data).ok_or_else(|| {
        ImportError::corrupt(
            input,
            "its data does not open with the password that opens its key check",
        )
    })
}

fn derive(input: &Input<'_>, p: &Protected, password: &SecretValue) -> Result<Keys, ImportError> {
    let bad = |why: String| ImportError::corrupt(input, why);
    let mut master = Zeroizing::new([0u8; 32]);
    let pw = password.expose().as_bytes();
    match p.kdf_type {
        0 => {
            // Bitwarden's floor is 5,000; a file asking for billions would never finish.
            if !(1..=10_000_000).contains(&p.kdf_iterations) {
                return Err(bad(format!("PBKDF2 with {} iterations", p.kdf_iterations)));
            }
            pbkdf2::pbkdf2_hmac::<Sha256>(pw, p.salt.as_bytes(), p.kdf_iterations, &mut master[..]);
        }
        1 => {
            let memory_mib = p.kdf_memory.unwrap_or(64);
            let lanes = p.kdf_parallelism.unwrap_or(4);
            // Bitwarden's own limits: up to 1 GiB, 10 passes, 16 lanes.
            if memory_mib == 0 || memory_mib > 1024 || p.kdf_iterations > 10 || lanes > 16 {
                return Err(bad(format!(
                    "Argon2id with {memory_mib} MiB, {} passes, {lanes} lanes",
                    p.kdf_iterations
                )));
            }
            let params = argon2::Params::new(memory_mib * 1024, p.kdf_iterations, lanes, Some(32))
                .map_err(|e| bad(format!("Argon2id parameters: {e}")))?;
            let salt = Sha256::digest(p.salt.as_bytes());
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
                .hash_password_into(pw, &salt, &mut master[..])
                .map_err(|e| bad(format!("Argon2id: {e}")))?;
        }
        other => {
            return Err(bad(format!(
                "a key derivation of type {other}, which vault does not know"
            )));
        }
    }
    let hk = hkdf::Hkdf::<Sha256>::from_prk(&master[..]).map_err(|_| bad("its key".into()))?;
    let mut keys = Keys {
        enc: Zeroizing::new([0u8; 32]),
        mac: Zeroizing::new([0u8; 32]),
    };
    hk.expand(b"enc", &mut keys.enc[..])
        .and_then(|()| hk.expand(b"mac", &mut keys.mac[..]))
        .map_err(|_| bad("its key".into()))?;
    Ok(keys)
}

/// An EncString of type 2, opened: `None` when it is not one, or its MAC does not match.
fn open_enc_string(keys: &Keys, text: &str) -> Option<Zeroizing<Vec<u8>>> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let rest = text.strip_prefix("2.")?;
    let mut parts = rest.split('|');
    let (iv, ct, mac) = (
        b64.decode(parts.next()?).ok()?,
        b64.decode(parts.next()?).ok()?,
        b64.decode(parts.next()?).ok()?,
    );
    if parts.next().is_some() {
        return None;
    }
    let mut check = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(&keys.mac[..]).ok()?;
    check.update(&iv);
    check.update(&ct);
    // Constant time: a guessed MAC learns nothing from how long the comparison took.
    check.verify_slice(&mac).ok()?;
    let dec = cbc::Decryptor::<aes::Aes256>::new_from_slices(&keys.enc[..], &iv).ok()?;
    let mut out = Zeroizing::new(vec![0u8; ct.len()]);
    let len = dec.decrypt_padded_b2b::<Pkcs7>(&ct, &mut out).ok()?.len();
    out.truncate(len);
    Some(out)
}

#[cfg(test)]
pub(super) mod tests {
    use cbc::cipher::BlockModeEncrypt;

    use super::*;

    /// Seals `plain` as Bitwarden's clients do, for the tests (vault never writes this format).
    pub(crate) fn seal(password: &str, salt: &str, iterations: u32, plain: &str) -> String {
        let p = Protected {
            salt: salt.into(),
            kdf_type: 0,
            kdf_iterations: iterations,
            kdf_memory: None,
            kdf_parallelism: None,
            validation: String::new(),
            data: String::new(),
        };
        let input = Input {
            path: std::path::Path::new("t.json"),
            bytes: b"",
            secret: None,
            key_file: None,
        };
        let keys = derive(&input, &p, &SecretValue::new(password)).unwrap();
        let enc = |text: &str| {
            let iv = [7u8; 16];
            let ct = cbc::Encryptor::<aes::Aes256>::new_from_slices(&keys.enc[..], &iv)
                .unwrap()
                .encrypt_padded_vec::<Pkcs7>(text.as_bytes());
            let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(&keys.mac[..]).unwrap();
            mac.update(&iv);
            mac.update(&ct);
            let b64 = base64::engine::general_purpose::STANDARD;
            format!(
                "2.{}|{}|{}",
                b64.encode(iv),
                b64.encode(&ct),
                b64.encode(mac.finalize().into_bytes())
            )
        };
        serde_json::json!({
            "encrypted": true,
            "passwordProtected": true,
            "salt": salt,
            "kdfType": 0,
            "kdfIterations": iterations,
            "encKeyValidation_DO_NOT_EDIT": enc("0b6e4a1c-5c1f-4c36-9a52-1b8d9f0d3e77"),
            "data": enc(plain),
        })
        .to_string()
    }

    #[test]
    fn a_sealed_export_opens_with_its_password_only() {
        let text = seal(
            "export pw",
            "c2FsdHNhbHQ=",
            5000,
            r#"{"encrypted":false,"items":[]}"#,
        );
        let pw = SecretValue::new("export pw");
        let input = Input {
            path: std::path::Path::new("e.json"),
            bytes: text.as_bytes(),
            secret: Some(&pw),
            key_file: None,
        };
        assert_eq!(
            &open(&input).unwrap()[..],
            br#"{"encrypted":false,"items":[]}"#
        );
        let wrong = SecretValue::new("Export pw");
        let input = Input {
            secret: Some(&wrong),
            ..input
        };
        assert!(matches!(open(&input), Err(ImportError::WrongSecret { .. })));
        let input = Input {
            secret: None,
            ..input
        };
        assert!(matches!(
            open(&input),
            Err(ImportError::SecretNeeded { .. })
        ));
    }

    #[test]
    fn a_tampered_enc_string_does_not_open() {
        let text = seal("pw", "s", 5000, "{}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let data = v["data"].as_str().unwrap();
        let (head, mac) = data.rsplit_once('|').unwrap();
        let mut bytes = base64::engine::general_purpose::STANDARD
            .decode(mac)
            .unwrap();
        bytes[0] ^= 1;
        let forged = format!(
            "{head}|{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        );
        let p: Protected = serde_json::from_str(&text).unwrap();
        let input = Input {
            path: std::path::Path::new("t.json"),
            bytes: b"",
            secret: None,
            key_file: None,
        };
        let keys = derive(&input, &p, &SecretValue::new("pw")).unwrap();
        assert!(open_enc_string(&keys, data).is_some());
        assert!(open_enc_string(&keys, &forged).is_none());
        assert!(open_enc_string(&keys, "3.abc").is_none());
    }
}
