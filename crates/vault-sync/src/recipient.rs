//! Team members' keys: age X25519 identities and recipients (`age1...`), and age v1 files
//! sealed to them, byte for byte as age (<https://age-encryption.org/v1>) writes them, so a
//! member's key is one `age-keygen` would make, and what vault seals to a member opens with
//! `age -d`.
//!
//! Built on the primitives already in the tree (X25519 from the same curve25519-dalek as the
//! devices' Ed25519 keys, HKDF-SHA256, HMAC-SHA256, ChaCha20-Poly1305) rather than the `age`
//! crate, which brings an older generation of each (deny.toml allows one). Only the X25519
//! recipient type is read; a file with any other stanza, a bad MAC or a damaged chunk is
//! refused as a whole.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use bech32::{Bech32, Hrp};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use crate::{Error, Result, random};

const INTRO: &str = "age-encryption.org/v1";
const STANZA_INFO: &[u8] = b"age-encryption.org/v1/X25519";
const RECIPIENT_HRP: &str = "age";
const IDENTITY_HRP: &str = "age-secret-key-";
/// The payload's plaintext chunk size.
const CHUNK: usize = 64 * 1024;
const TAG: usize = 16;

fn bad(why: &str) -> Error {
    Error::Corrupt(format!("an age file {why}"))
}

/// A member's public key: `age1` and 58 bech32 characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Recipient([u8; 32]);

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hrp = Hrp::parse_unchecked(RECIPIENT_HRP);
        match bech32::encode::<Bech32>(hrp, &self.0) {
            Ok(s) => f.write_str(&s),
            Err(_) => Err(fmt::Error),
        }
    }
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Recipient({self})")
    }
}

impl FromStr for Recipient {
    type Err = Error;

    fn from_str(s: &str) -> Result<Recipient> {
        let refuse = || {
            Error::Pairing(format!(
                "{:?} is not an age public key (age1 and 58 letters and digits, as `vault share whoami` or age-keygen prints it)",
                s.chars().take(70).collect::<String>()
            ))
        };
        let (hrp, data) = bech32::decode(s.trim()).map_err(|_| refuse())?;
        if hrp.as_str() != RECIPIENT_HRP || s.trim().starts_with("AGE") {
            return Err(refuse());
        }
        let key: [u8; 32] = data.try_into().map_err(|_| refuse())?;
        Ok(Recipient(key))
    }
}

impl Recipient {
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// A member's secret key. Never printed but by `to_secret_string`.
pub struct Identity(StaticSecret);

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Identity({})", self.recipient())
    }
}

impl Identity {
    pub fn generate() -> Result<Identity> {
        Ok(Identity(StaticSecret::from(random::<32>()?)))
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Identity {
        Identity(StaticSecret::from(bytes))
    }

    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    pub fn recipient(&self) -> Recipient {
        Recipient(PublicKey::from(&self.0).to_bytes())
    }

    /// `AGE-SECRET-KEY-1...`, as age-keygen writes it (for `age -d -i`).
    pub fn to_secret_string(&self) -> Result<Zeroizing<String>> {
        let hrp = Hrp::parse_unchecked(IDENTITY_HRP);
        let bytes = self.to_bytes();
        bech32::encode::<Bech32>(hrp, bytes.as_slice())
            .map(|s| Zeroizing::new(s.to_uppercase()))
            .map_err(|_| Error::Corrupt("an age identity does not encode".into()))
    }

    /// Reads `AGE-SECRET-KEY-1...`.
    pub fn parse(text: &str) -> Result<Identity> {
        let refuse =
            || Error::Pairing("that is not an age secret key (AGE-SECRET-KEY-1...)".into());
        let text = Zeroizing::new(text.trim().to_owned());
        let (hrp, data) = bech32::decode(&text).map_err(|_| refuse())?;
        if !hrp.as_str().eq_ignore_ascii_case(IDENTITY_HRP) {
            return Err(refuse());
        }
        let data = Zeroizing::new(data);
        let bytes: [u8; 32] = data.as_slice().try_into().map_err(|_| refuse())?;
        Ok(Identity::from_bytes(bytes))
    }
}

fn hkdf(ikm: &[u8], salt: &[u8], info: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
    let mut out = Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(info, out.as_mut_slice())
        .map_err(|_| Error::Corrupt("HKDF output length".into()))?;
    Ok(out)
}

fn aead(key: &[u8; 32]) -> ChaCha20Poly1305 {
    ChaCha20Poly1305::new(&(*key).into())
}

fn header_mac(file_key: &[u8; 16], header: &[u8]) -> Result<[u8; 32]> {
    let key = hkdf(file_key, b"", b"header")?;
    let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key.as_slice())
        .map_err(|_| Error::Corrupt("HMAC key length".into()))?;
    mac.update(header);
    Ok(mac.finalize().into_bytes().into())
}

/// The 12-byte nonce of chunk `counter` (11 bytes big-endian, then 1 for the last chunk).
fn chunk_nonce(counter: u64, last: bool) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    nonce[3..11].copy_from_slice(&counter.to_be_bytes());
    nonce[11] = u8::from(last);
    nonce
}

/// Base64 of a stanza body, in lines of 64 characters, the last one shorter (possibly empty).
fn wrap_body(body: &[u8]) -> String {
    let text = STANDARD_NO_PAD.encode(body);
    let mut out = String::new();
    let mut rest = text.as_str();
    loop {
        let (line, tail) = rest.split_at(rest.len().min(64));
        out.push_str(line);
        out.push('\n');
        if line.len() < 64 {
            return out;
        }
        rest = tail;
    }
}

/// An age v1 file of `plaintext` that each of `to` (and no one else) can open.
pub fn seal(plaintext: &[u8], to: &[Recipient]) -> Result<Vec<u8>> {
    if to.is_empty() {
        return Err(Error::Corrupt("an age file needs a recipient".into()));
    }
    let file_key = Zeroizing::new(random::<16>()?);
    let mut header = format!("{INTRO}\n");
    for r in to {
        let ephemeral = StaticSecret::from(random::<32>()?);
        let share = PublicKey::from(&ephemeral).to_bytes();
        let shared = ephemeral.diffie_hellman(&PublicKey::from(r.0));
        if !shared.was_contributory() {
            return Err(Error::Pairing(format!("{r} is not a usable age key")));
        }
        let mut salt = [0u8; 64];
        salt[..32].copy_from_slice(&share);
        salt[32..].copy_from_slice(&r.0);
        let wrap = hkdf(shared.as_bytes(), &salt, STANZA_INFO)?;
        let body = aead(&wrap)
            .encrypt(&Nonce::from([0; 12]), file_key.as_slice())
            .map_err(|_| Error::Corrupt("sealing a file key".into()))?;
        header.push_str(&format!("-> X25519 {}\n", STANDARD_NO_PAD.encode(share)));
        header.push_str(&wrap_body(&body));
    }
    header.push_str("---");
    let mac = header_mac(&file_key, header.as_bytes())?;
    let mut out = header.into_bytes();
    out.push(b' ');
    out.extend_from_slice(STANDARD_NO_PAD.encode(mac).as_bytes());
    out.push(b'\n');
    let nonce = random::<16>()?;
    out.extend_from_slice(&nonce);
    let payload_key = hkdf(file_key.as_slice(), &nonce, b"payload")?;
    let cipher = aead(&payload_key);
    let chunks: Vec<&[u8]> = if plaintext.is_empty() {
        vec![&[]]
    } else {
        plaintext.chunks(CHUNK).collect()
    };
    let n = chunks.len();
    for (i, chunk) in chunks.into_iter().enumerate() {
        let sealed = cipher
            .encrypt(&Nonce::from(chunk_nonce(i as u64, i + 1 == n)), chunk)
            .map_err(|_| Error::Corrupt("sealing a chunk".into()))?;
        out.extend_from_slice(&sealed);
    }
    Ok(out)
}

/// One line of the header (without its newline), and the rest.
fn line(bytes: &[u8]) -> Result<(&str, &[u8])> {
    let end = bytes
        .iter()
        .position(|b| *b == b'\n')
        .ok_or_else(|| bad("has a header line without an end"))?;
    let text =
        std::str::from_utf8(&bytes[..end]).map_err(|_| bad("has a header that is not text"))?;
    Ok((text, &bytes[end + 1..]))
}

/// Opens an age v1 file with `identity`: its plaintext, or `None` when it was not sealed to
/// this identity. A damaged or altered file is an error.
pub fn open(file: &[u8], identity: &Identity) -> Result<Option<Zeroizing<Vec<u8>>>> {
    let (intro, mut rest) = line(file)?;
    if intro != INTRO {
        return Err(bad("does not start with age-encryption.org/v1"));
    }
    let me = identity.recipient();
    let mut file_key: Option<Zeroizing<[u8; 16]>> = None;
    let mac_line: &str;
    loop {
        let (text, after) = line(rest)?;
        if let Some(mac) = text.strip_prefix("--- ") {
            mac_line = mac;
            let header_len = file.len() - rest.len() + 3;
            let header = &file[..header_len];
            rest = after;
            let Some(key) = &file_key else {
                return Ok(None);
            };
            let expected = header_mac(key, header)?;
            let given = STANDARD_NO_PAD
                .decode(mac_line)
                .map_err(|_| bad("has a malformed MAC"))?;
            if !bool::from(given.as_slice().ct_eq(&expected)) {
                return Err(bad("was altered (its header MAC does not match)"));
            }
            break;
        }
        let args: Vec<&str> = text
            .strip_prefix("-> ")
            .ok_or_else(|| bad("has a malformed stanza"))?
            .split(' ')
            .collect();
        // The body: lines of 64 characters, ended by a shorter one.
        let mut body = String::new();
        let mut next = after;
        loop {
            let (l, a) = line(next)?;
            next = a;
            body.push_str(l);
            if l.len() < 64 {
                break;
            }
        }
        rest = next;
        if args.first() != Some(&"X25519") || file_key.is_some() {
            continue;
        }
        let [_, share] = args.as_slice() else {
            return Err(bad("has a malformed X25519 stanza"));
        };
        let share: [u8; 32] = STANDARD_NO_PAD
            .decode(share)
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| bad("has a malformed X25519 stanza"))?;
        let body = STANDARD_NO_PAD
            .decode(&body)
            .map_err(|_| bad("has a malformed X25519 stanza"))?;
        if body.len() != 32 {
            return Err(bad("has a malformed X25519 stanza"));
        }
        let shared = identity.0.diffie_hellman(&PublicKey::from(share));
        if !shared.was_contributory() {
            return Err(bad("has a malformed X25519 stanza"));
        }
        let mut salt = [0u8; 64];
        salt[..32].copy_from_slice(&share);
        salt[32..].copy_from_slice(&me.0);
        let wrap = hkdf(shared.as_bytes(), &salt, STANZA_INFO)?;
        // Not ours: another member's stanza.
        if let Ok(key) = aead(&wrap).decrypt(&Nonce::from([0; 12]), body.as_slice()) {
            let key: [u8; 16] = key
                .as_slice()
                .try_into()
                .map_err(|_| bad("has a malformed file key"))?;
            file_key = Some(Zeroizing::new(key));
        }
    }
    let Some(file_key) = file_key else {
        return Ok(None);
    };
    if rest.len() < 16 + TAG {
        return Err(bad("is cut short"));
    }
    let (nonce, sealed) = rest.split_at(16);
    let payload_key = hkdf(file_key.as_slice(), nonce, b"payload")?;
    let cipher = aead(&payload_key);
    let chunks: Vec<&[u8]> = sealed.chunks(CHUNK + TAG).collect();
    let n = chunks.len();
    let mut out = Zeroizing::new(Vec::with_capacity(sealed.len()));
    for (i, chunk) in chunks.into_iter().enumerate() {
        let last = i + 1 == n;
        let plain = cipher
            .decrypt(
                &Nonce::from(chunk_nonce(i as u64, last)),
                Payload::from(chunk),
            )
            .map_err(|_| bad("is damaged or was altered (a chunk does not open)"))?;
        // Only the first chunk of an empty file may be empty.
        if plain.is_empty() && i > 0 {
            return Err(bad("has an empty last chunk"));
        }
        out.extend_from_slice(&plain);
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    #[test]
    fn keys_read_back_in_ages_text_forms() {
        let id = Identity::generate().unwrap();
        let r = id.recipient();
        let text = r.to_string();
        assert!(text.starts_with("age1") && text.len() == 62, "{text}");
        assert_eq!(text.parse::<Recipient>().unwrap(), r);
        let secret = id.to_secret_string().unwrap();
        assert!(
            secret.starts_with("AGE-SECRET-KEY-1"),
            "{}",
            secret.as_str()
        );
        assert_eq!(Identity::parse(&secret).unwrap().recipient(), r);
        assert!(!format!("{id:?}").contains(&secret[16..]));
        for bad in ["age1xyz", "", "AGE-SECRET-KEY-1QQQ", &text[..60]] {
            assert!(bad.parse::<Recipient>().is_err(), "{bad}");
        }
        assert!(Identity::parse(&text).is_err());
    }

    #[test]
    fn a_file_opens_for_each_recipient_and_no_one_else() {
        let alice = Identity::generate().unwrap();
        let bob = Identity::generate().unwrap();
        let eve = Identity::generate().unwrap();
        for size in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK] {
            let plain: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let file = seal(&plain, &[alice.recipient(), bob.recipient()]).unwrap();
            assert_eq!(open(&file, &alice).unwrap().unwrap().as_slice(), plain);
            assert_eq!(open(&file, &bob).unwrap().unwrap().as_slice(), plain);
            assert!(open(&file, &eve).unwrap().is_none());
        }
    }

    #[test]
    fn an_altered_or_cut_file_is_refused() {
        let alice = Identity::generate().unwrap();
        let file = seal(&vec![7u8; CHUNK + 10], &[alice.recipient()]).unwrap();
        // Every byte of the header and some of the payload, flipped one at a time.
        let header_end = file.windows(4).position(|w| w == b"\n---").unwrap() + 4;
        for i in (0..file.len()).filter(|i| *i < header_end + 50 || i % 997 == 0) {
            let mut bad = file.clone();
            bad[i] ^= 0x01;
            match open(&bad, &alice) {
                Err(_) | Ok(None) => {}
                Ok(Some(p)) => panic!("byte {i} flipped still opened ({} bytes)", p.len()),
            }
        }
        for cut in [file.len() - 1, file.len() - (TAG + 10), header_end + 20] {
            assert!(open(&file[..cut], &alice).is_err(), "cut at {cut}");
        }
        // A last chunk dropped: the one before is not marked last.
        assert!(open(&file[..file.len() - (10 + TAG)], &alice).is_err());
    }
}
