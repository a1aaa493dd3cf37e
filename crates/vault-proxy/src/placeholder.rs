//! What the child holds instead of a secret: random text with the secret's public shape.
//!
//! A placeholder keeps the literal prefix of a recognised key format (`sk-proj-`, `ghp_`), so an
//! SDK that checks the prefix accepts it, and the value's length, so an echoed value swapped
//! back does not change a response's length. Nothing else of the value goes into it: the rest
//! is uniformly random letters and digits, fresh for every run.

use vault_core::formats;

/// Random characters a placeholder has at least, so it never turns up in ordinary text.
const MIN_RANDOM: usize = 24;

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A fresh placeholder for `value`.
pub fn placeholder(value: &str) -> Result<String, getrandom::Error> {
    let prefix = formats::detect(value).map_or("", |f| f.prefix());
    let random = value.len().saturating_sub(prefix.len()).max(MIN_RANDOM);
    let mut text = String::with_capacity(prefix.len() + random);
    text.push_str(prefix);
    let mut pool = [0u8; 64];
    while text.len() < prefix.len() + random {
        getrandom::fill(&mut pool)?;
        // 248 = 4 * 62: the bytes below it map onto the alphabet without bias.
        for b in pool.iter().filter(|b| **b < 248) {
            if text.len() == prefix.len() + random {
                break;
            }
            text.push(char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]));
        }
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recognised_key_keeps_its_prefix_and_length_and_nothing_else() {
        let key = format!("ghp_{}", "a1B2".repeat(9));
        let p = placeholder(&key).unwrap();
        assert!(p.starts_with("ghp_"), "{p}");
        assert_eq!(p.len(), key.len());
        assert_ne!(p, key);
        assert!(p[4..].bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(placeholder(&key).unwrap(), p, "fresh for every run");
    }

    #[test]
    fn an_unknown_or_short_value_gets_enough_randomness() {
        let p = placeholder("x").unwrap();
        assert_eq!(p.len(), MIN_RANDOM);
        let long = "q".repeat(100);
        assert_eq!(placeholder(&long).unwrap().len(), 100);
        assert_ne!(placeholder(&long).unwrap(), long);
    }
}
