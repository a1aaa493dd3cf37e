//! Pairing a new device: a one-time code authenticates a SPAKE2 exchange (Ed25519 group), and
//! the key it yields seals the sync keys to the new device. The master password is never
//! involved, and the code never crosses the remote: the remote (or anyone who reads it) sees
//! two SPAKE2 messages, which let no one test a guess of the code offline. Someone who
//! guesses gets one try: the inviting device ends the invitation at the first answer, right or
//! wrong.
//!
//! A code reads `NNNN-XXXX-XXXX-XXXX`: four digits naming the invitation on the remote, then 60
//! random bits in Crockford's base 32 (no I, L, O or U; typed in any case, O read as 0 and
//! I or L as 1).

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use spake2::{Ed25519Group, Identity, Password, Spake2};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::{Error, Result, random};

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const INVITER: &[u8] = b"vault-sync inviter";
const JOINER: &[u8] = b"vault-sync joiner";

/// A pairing code. Shown once, typed once; never logged.
pub struct Code {
    /// Four digits: which invitation on the remote.
    pub nameplate: String,
    secret: Zeroizing<String>,
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Code({}-…)", self.nameplate)
    }
}

impl Code {
    pub fn generate() -> Result<Code> {
        let bytes = Zeroizing::new(random::<10>()?);
        let number = u16::from_be_bytes([bytes[0], bytes[1]]) % 9000 + 1000;
        let mut secret = Zeroizing::new(String::with_capacity(12));
        // 60 bits: five per character from bytes 2..10 (64 bits, 4 unused).
        let mut acc = Zeroizing::new(u64::from_be_bytes([
            bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9],
        ]));
        for _ in 0..12 {
            secret.push(ALPHABET[(*acc & 31) as usize] as char);
            *acc >>= 5;
        }
        Ok(Code {
            nameplate: number.to_string(),
            secret,
        })
    }

    /// Reads a code as a person typed it.
    pub fn parse(text: &str) -> Result<Code> {
        let bad = || {
            Error::Pairing(
                "that is not a pairing code: it reads like 1234-ABCD-EFGH-JKMN (run `vault sync invite` on a paired device)".into(),
            )
        };
        let mut clean = Zeroizing::new(String::new());
        for c in text.chars() {
            match c.to_ascii_uppercase() {
                '-' | ' ' => {}
                'O' => clean.push('0'),
                'I' | 'L' => clean.push('1'),
                c if ALPHABET.contains(&(c as u8)) && c.is_ascii() => clean.push(c),
                _ => return Err(bad()),
            }
        }
        if clean.len() != 16 || !clean[..4].bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        Ok(Code {
            nameplate: clean[..4].to_owned(),
            secret: Zeroizing::new(clean[4..].to_owned()),
        })
    }

    /// The code as it is shown.
    pub fn display(&self) -> Zeroizing<String> {
        let s = &self.secret;
        Zeroizing::new(format!(
            "{}-{}-{}-{}",
            self.nameplate,
            &s[..4],
            &s[4..8],
            &s[8..]
        ))
    }

    fn password(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(format!("{}{}", self.nameplate, &*self.secret).into_bytes())
    }
}

/// The inviting side, between its message and the joiner's.
pub struct Inviter {
    state: Spake2<Ed25519Group>,
}

impl fmt::Debug for Inviter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Inviter")
    }
}

/// Starts an invitation: the message to publish.
pub fn invite(code: &Code) -> (Inviter, Vec<u8>) {
    let (state, msg) = Spake2::<Ed25519Group>::start_a(
        &Password::new(code.password().as_slice()),
        &Identity::new(INVITER),
        &Identity::new(JOINER),
    );
    (Inviter { state }, msg)
}

impl Inviter {
    /// The shared key, from the joiner's message. A wrong code gives a key that does not
    /// match: [`Shared::check`] on the joiner's confirmation tells.
    pub fn finish(self, joiner_msg: &[u8]) -> Result<Shared> {
        let key = self
            .state
            .finish(joiner_msg)
            .map_err(|_| Error::Pairing("the new device's answer is malformed".into()))?;
        Ok(Shared(Zeroizing::new(key)))
    }
}

/// The joining side: the message to publish and the shared key.
pub fn join(code: &Code, inviter_msg: &[u8]) -> Result<(Shared, Vec<u8>)> {
    let (state, msg) = Spake2::<Ed25519Group>::start_b(
        &Password::new(code.password().as_slice()),
        &Identity::new(INVITER),
        &Identity::new(JOINER),
    );
    let key = state
        .finish(inviter_msg)
        .map_err(|_| Error::Pairing("the invitation on the remote is malformed".into()))?;
    Ok((Shared(Zeroizing::new(key)), msg))
}

/// The key both sides hold once the exchange is done (equal only when the codes were).
pub struct Shared(Zeroizing<Vec<u8>>);

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Shared(…)")
    }
}

/// Who sends a confirmation (each side's tag differs, so one cannot be reflected).
#[derive(Clone, Copy, Debug)]
pub enum Role {
    Inviter,
    Joiner,
}

impl Shared {
    fn subkey(&self, label: &[u8]) -> Zeroizing<[u8; 32]> {
        let mut out = Zeroizing::new([0u8; 32]);
        // 32 bytes from HKDF-SHA256 cannot fail.
        let _ = Hkdf::<Sha256>::new(None, &self.0).expand(label, &mut out[..]);
        out
    }

    /// A tag proving this side holds the key, bound to everything exchanged (`transcript`).
    pub fn confirm(&self, role: Role, transcript: &[u8]) -> [u8; 32] {
        let label: &[u8] = match role {
            Role::Inviter => b"vault-sync confirm inviter",
            Role::Joiner => b"vault-sync confirm joiner",
        };
        let key = self.subkey(label);
        let Ok(mut mac) = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&key[..]) else {
            return [0; 32];
        };
        mac.update(transcript);
        mac.finalize().into_bytes().into()
    }

    /// Checks the other side's tag, in constant time.
    pub fn check(&self, role: Role, transcript: &[u8], tag: &[u8]) -> bool {
        let expected = self.confirm(role, transcript);
        tag.len() == 32 && bool::from(expected.ct_eq(tag))
    }

    /// Encrypts what the inviter hands over (the sync keys and the devices).
    pub fn seal(&self, payload: &[u8]) -> Result<Vec<u8>> {
        let key = self.subkey(b"vault-sync welcome");
        let aes = Aes256Gcm::new_from_slice(&key[..])
            .map_err(|_| Error::Corrupt("bad key length".into()))?;
        let nonce: [u8; 12] = random()?;
        let mut out = nonce.to_vec();
        out.extend(
            aes.encrypt(&Nonce::from(nonce), payload)
                .map_err(|_| Error::Corrupt("encryption failed".into()))?,
        );
        Ok(out)
    }

    pub fn open(&self, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let refused = || Error::Pairing("the paired device's answer does not open".into());
        if sealed.len() < 12 {
            return Err(refused());
        }
        let key = self.subkey(b"vault-sync welcome");
        let aes = Aes256Gcm::new_from_slice(&key[..])
            .map_err(|_| Error::Corrupt("bad key length".into()))?;
        let (nonce, ciphertext) = sealed.split_at(12);
        aes.decrypt(
            &Nonce::from(<[u8; 12]>::try_from(nonce).map_err(|_| refused())?),
            ciphertext,
        )
        .map(Zeroizing::new)
        .map_err(|_| refused())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn codes_read_back_as_people_type_them() {
        let code = Code::generate().unwrap();
        let shown = code.display();
        assert_eq!(shown.len(), 19);
        let typed = shown.to_lowercase().replace('-', " ");
        assert_eq!(*Code::parse(&typed).unwrap().display(), *shown);
        assert_eq!(
            *Code::parse("1234-abcd-efgh-ijko").unwrap().display(),
            "1234-ABCD-EFGH-1JK0"
        );
        for bad in [
            "",
            "1234",
            "12a4-ABCD-EFGH-JKMN",
            "1234-ABCD-EFGH-JKMNP",
            "1234-ABCD-EFGH-JKM!",
        ] {
            assert!(Code::parse(bad).is_err(), "{bad}");
        }
        assert!(!format!("{code:?}").contains(&shown[5..]));
    }

    #[test]
    fn the_same_code_agrees_and_a_wrong_one_is_caught() {
        let code = Code::generate().unwrap();
        let (inviter, msg_a) = invite(&code);
        let (joined, msg_b) = join(&Code::parse(&code.display()).unwrap(), &msg_a).unwrap();
        let shared = inviter.finish(&msg_b).unwrap();
        let tag = joined.confirm(Role::Joiner, b"t");
        assert!(shared.check(Role::Joiner, b"t", &tag));
        assert!(
            !shared.check(Role::Inviter, b"t", &tag),
            "a tag cannot be reflected"
        );
        assert!(!shared.check(Role::Joiner, b"u", &tag));
        let sealed = shared.seal(b"keys").unwrap();
        assert_eq!(&joined.open(&sealed).unwrap()[..], b"keys");

        let wrong = Code::generate().unwrap();
        let (inviter, msg_a) = invite(&code);
        let (guess, msg_b) = join(&wrong, &msg_a).unwrap();
        let shared = inviter.finish(&msg_b).unwrap();
        assert!(!shared.check(Role::Joiner, b"t", &guess.confirm(Role::Joiner, b"t")));
        assert!(guess.open(&shared.seal(b"keys").unwrap()).is_err());
    }
}
