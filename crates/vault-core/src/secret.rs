//! Secret values: redacted in `Debug`, never `Serialize`, zeroized on drop.
//!
//! A value is exposed only where it is used: a ciphertext operation, a child's environment, an
//! explicit reveal. Everything else passes the wrapper around.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// A secret string, such as an API key value or a master password.
pub struct SecretValue(SecretString);

impl SecretValue {
    pub fn new(value: impl Into<String>) -> Self {
        SecretValue(SecretString::from(value.into()))
    }

    /// Takes ownership of bytes that must be UTF-8; the buffer is wiped either way.
    pub fn from_utf8(bytes: Zeroizing<Vec<u8>>) -> Result<Self, std::str::Utf8Error> {
        let text = std::str::from_utf8(&bytes)?;
        Ok(SecretValue::new(text))
    }

    /// The plaintext, for the moment of use only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }

    pub fn len(&self) -> usize {
        self.expose().len()
    }

    /// Constant-time equality, so comparing a guess leaks no prefix length.
    pub fn ct_eq(&self, other: &SecretValue) -> bool {
        let (a, b) = (self.expose().as_bytes(), other.expose().as_bytes());
        a.len() == b.len() && bool::from(a.ct_eq(b))
    }
}

impl Clone for SecretValue {
    fn clone(&self) -> Self {
        SecretValue::new(self.expose())
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue(<redacted>)")
    }
}

impl From<String> for SecretValue {
    fn from(value: String) -> Self {
        SecretValue(SecretString::from(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let v = SecretValue::new("sk-canary-123");
        assert_eq!(format!("{v:?}"), "SecretValue(<redacted>)");
        assert!(!format!("{:?}", Some(&v)).contains("canary"));
    }

    #[test]
    fn equality_is_by_content() {
        assert!(SecretValue::new("a").ct_eq(&SecretValue::new("a")));
        assert!(!SecretValue::new("a").ct_eq(&SecretValue::new("ab")));
        assert!(!SecretValue::new("ab").ct_eq(&SecretValue::new("ac")));
    }
}
