//! What an API key's secret cell (and each of its previous versions) holds: the value, and the
//! item's secret fields when it has some.
//!
//! A cell without secret fields is the value's bytes, exactly as every format before 6 wrote
//! it, so no existing cell is rewritten. With secret fields it is
//! `NUL value (NUL name NUL field-value)*`. A value may not hold a NUL (an environment variable
//! cannot), nor may a field name or a field's value, so the first byte tells the two shapes
//! apart and the split is exact.

use std::collections::BTreeMap;

use zeroize::Zeroizing;

use crate::model::SecretFields;
use crate::secret::SecretValue;

pub(crate) struct Bundle {
    pub value: SecretValue,
    pub fields: SecretFields,
}

impl Bundle {
    pub fn plain(value: SecretValue) -> Bundle {
        Bundle {
            value,
            fields: BTreeMap::new(),
        }
    }

    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        let size = self.value.len()
            + self
                .fields
                .iter()
                .map(|(n, v)| n.len() + v.len() + 2)
                .sum::<usize>();
        let mut out = Zeroizing::new(Vec::with_capacity(size + 1));
        if !self.fields.is_empty() {
            out.push(0);
        }
        out.extend_from_slice(self.value.expose().as_bytes());
        for (name, value) in &self.fields {
            out.push(0);
            out.extend_from_slice(name.as_bytes());
            out.push(0);
            out.extend_from_slice(value.expose().as_bytes());
        }
        out
    }

    /// `None` when the bytes are not a bundle this module wrote (not UTF-8, a name without a
    /// value, a name given twice): the caller calls that tampering.
    pub fn decode(bytes: &[u8]) -> Option<Bundle> {
        let text = std::str::from_utf8(bytes).ok()?;
        let Some(rest) = text.strip_prefix('\0') else {
            return Some(Bundle::plain(SecretValue::new(text)));
        };
        let mut parts = rest.split('\0');
        let value = SecretValue::new(parts.next()?);
        let mut fields = BTreeMap::new();
        while let Some(name) = parts.next() {
            let field = parts.next()?;
            if name.is_empty() || field.is_empty() {
                return None;
            }
            if fields
                .insert(name.to_owned(), SecretValue::new(field))
                .is_some()
            {
                return None;
            }
        }
        // An empty bundle is written as the plain value: a NUL prefix with no field is not ours.
        (!fields.is_empty()).then_some(Bundle { value, fields })
    }

    /// Same value and same fields, compared in constant time per value.
    pub fn ct_eq(&self, other: &Bundle) -> bool {
        self.value.ct_eq(&other.value)
            && self.fields.len() == other.fields.len()
            && self
                .fields
                .iter()
                .zip(&other.fields)
                .all(|((n, v), (m, w))| n == m && v.ct_eq(w))
    }

    pub fn names(&self) -> Vec<String> {
        self.fields.keys().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(value: &str, fields: &[(&str, &str)]) -> Bundle {
        Bundle {
            value: SecretValue::new(value),
            fields: fields
                .iter()
                .map(|(n, v)| ((*n).to_owned(), SecretValue::new(*v)))
                .collect(),
        }
    }

    #[test]
    fn a_value_alone_is_stored_as_before() {
        let b = bundle("sk-live-1", &[]);
        assert_eq!(&b.encode()[..], b"sk-live-1");
        let back = Bundle::decode(b"sk-live-1").unwrap();
        assert_eq!(back.value.expose(), "sk-live-1");
        assert!(back.fields.is_empty());
    }

    #[test]
    fn fields_round_trip() {
        let b = bundle("AKIAEXAMPLE", &[("secret", "wJalr/x"), ("mfa", "12 34")]);
        let bytes = b.encode();
        assert_eq!(&bytes[..], b"\0AKIAEXAMPLE\0mfa\x0012 34\0secret\0wJalr/x");
        let back = Bundle::decode(&bytes).unwrap();
        assert!(back.ct_eq(&b));
        assert_eq!(back.names(), ["mfa", "secret"]);
    }

    #[test]
    fn malformed_bundles_are_refused() {
        for bad in [
            &b"\0value"[..],
            b"\0value\0name",
            b"\0value\0name\0",
            b"\0value\0\0v",
            b"\0value\0a\x001\0a\x002",
            b"\xff\xfe",
        ] {
            assert!(Bundle::decode(bad).is_none(), "{bad:?}");
        }
    }
}
