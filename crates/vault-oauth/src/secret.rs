//! The one type that holds a token, code or client secret in this crate.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

/// A token, code or client secret: redacted in `Debug`, not `Serialize`, zeroized on drop.
#[derive(Clone)]
pub struct Token(SecretString);

impl Token {
    pub fn new(value: impl Into<String>) -> Self {
        Token(SecretString::from(value.into()))
    }

    /// The plaintext, at the moment of use only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Constant-time equality.
    pub fn ct_eq(&self, other: &Token) -> bool {
        let (a, b) = (self.expose().as_bytes(), other.expose().as_bytes());
        a.len() == b.len() && bool::from(a.ct_eq(b))
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}
