//! Random values for `vault generate`: webhook secrets, database passwords, signing keys.
//!
//! Each character is drawn uniformly from the chosen alphabet by rejection sampling (a byte is
//! used only when it falls below the largest multiple of the alphabet's size), so no character
//! is likelier than another, as a plain `byte % len` would make the first ones.

use crate::error::{Error, Result};
use crate::secret::SecretValue;

/// The alphabets a generated value can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Charset {
    /// A-Z a-z 0-9: safe in URLs, shells, YAML and `.env` files unquoted.
    Alnum,
    /// A-Z a-z.
    Alpha,
    /// 0-9 (a PIN).
    Digits,
    /// 0-9 a-f (a key given as hex).
    Hex,
    /// Alnum and `!#%+-.:=@^_~`: punctuation no shell, URL or dotenv line treats specially
    /// unquoted.
    Symbols,
}

const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const DIGITS: &str = "0123456789";

impl Charset {
    pub fn parse(text: &str) -> Result<Charset> {
        Ok(match text {
            "alnum" => Charset::Alnum,
            "alpha" => Charset::Alpha,
            "digits" => Charset::Digits,
            "hex" => Charset::Hex,
            "symbols" => Charset::Symbols,
            other => {
                return Err(Error::invalid(format!(
                    "unknown charset {other:?}: alnum, alpha, digits, hex or symbols"
                )));
            }
        })
    }

    fn alphabet(self) -> String {
        match self {
            Charset::Alnum => format!("{UPPER}{LOWER}{DIGITS}"),
            Charset::Alpha => format!("{UPPER}{LOWER}"),
            Charset::Digits => DIGITS.to_owned(),
            Charset::Hex => "0123456789abcdef".to_owned(),
            Charset::Symbols => format!("{UPPER}{LOWER}{DIGITS}!#%+-.:=@^_~"),
        }
    }

    /// Bits of entropy per character.
    pub fn bits_per_char(self) -> f64 {
        (self.alphabet().len() as f64).log2()
    }
}

/// The longest value generated: far above any key size, well inside a value's limit.
pub const MAX_LENGTH: usize = 4096;

/// A value of `length` characters from `charset`, from the system's random source.
pub fn value(length: usize, charset: Charset) -> Result<SecretValue> {
    value_from(length, charset, crate::crypto::random_bytes)
}

/// [`value`] with the random source passed in (tests give a fixed one).
pub fn value_from(
    length: usize,
    charset: Charset,
    mut fill: impl FnMut(&mut [u8]) -> Result<()>,
) -> Result<SecretValue> {
    if length == 0 || length > MAX_LENGTH {
        return Err(Error::invalid(format!(
            "a length from 1 to {MAX_LENGTH}, not {length}"
        )));
    }
    let alphabet = charset.alphabet().into_bytes();
    // Every alphabet has at most 256 characters, so this is at least 1.
    let n = alphabet.len();
    let limit = 256 - 256 % n;
    let mut out = String::with_capacity(length);
    let mut buf = zeroize::Zeroizing::new([0u8; 64]);
    while out.len() < length {
        fill(&mut buf[..])?;
        for &b in buf.iter() {
            if usize::from(b) < limit && out.len() < length {
                out.push(char::from(alphabet[usize::from(b) % n]));
            }
        }
    }
    Ok(SecretValue::from(out))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn values_have_the_length_and_alphabet_asked_for() {
        for (charset, allowed) in [
            (Charset::Alnum, format!("{UPPER}{LOWER}{DIGITS}")),
            (Charset::Digits, DIGITS.to_owned()),
            (Charset::Hex, "0123456789abcdef".to_owned()),
            (Charset::Symbols, Charset::Symbols.alphabet()),
        ] {
            let v = value(200, charset).unwrap();
            assert_eq!(v.expose().len(), 200);
            assert!(
                v.expose().chars().all(|c| allowed.contains(c)),
                "{charset:?}"
            );
        }
        assert_ne!(
            value(32, Charset::Alnum).unwrap().expose(),
            value(32, Charset::Alnum).unwrap().expose()
        );
        assert!(value(0, Charset::Alnum).is_err());
        assert!(value(MAX_LENGTH + 1, Charset::Alnum).is_err());
        assert!(Charset::parse("emoji").is_err());
    }

    #[test]
    fn bytes_past_the_last_whole_alphabet_are_rejected_not_folded() {
        // 62 characters: bytes 248..=255 would make the first eight likelier; they are skipped.
        let mut calls = 0;
        let v = value_from(3, Charset::Alnum, |buf| {
            calls += 1;
            buf.fill(if calls == 1 { 250 } else { 61 });
            Ok(())
        })
        .unwrap();
        assert_eq!(calls, 2, "a buffer of rejected bytes is drawn again");
        assert_eq!(v.expose(), "999");
    }

    #[test]
    fn every_character_is_about_as_likely() {
        let mut counts = std::collections::HashMap::new();
        for _ in 0..31 {
            let v = value(4000, Charset::Alnum).unwrap();
            for c in v.expose().chars() {
                *counts.entry(c).or_insert(0usize) += 1;
            }
        }
        assert_eq!(counts.len(), 62);
        // 124,000 draws: 2000 each expected, standard deviation about 44, so these bounds are
        // nearly seven deviations wide. `byte % 62` would give the first eight characters 5
        // bytes of 256 each (about 2420 draws) and the others 4 (about 1940): caught.
        assert!(
            counts.values().all(|&n| (1700..2300).contains(&n)),
            "{counts:?}"
        );
    }
}
