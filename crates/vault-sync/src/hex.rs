//! Lowercase hex, for ids, hashes and keys in sync's JSON (one implementation for the crate
//! and its users: vault-core's sync state, the agent's pairing files).

pub fn encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Exactly `N` bytes, or `None`.
pub fn decode_array<const N: usize>(s: &str) -> Option<[u8; N]> {
    decode(s)?.try_into().ok()
}

/// Any even number of hex digits, or `None`.
pub fn decode(s: &str) -> Option<Vec<u8>> {
    if !s.is_ascii() || !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[i * 2..i * 2 + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trips_and_refuses_what_is_not_hex() {
        assert_eq!(super::encode(&[0, 171, 255]), "00abff");
        assert_eq!(super::decode("00ABff"), Some(vec![0, 171, 255]));
        assert_eq!(super::decode_array::<2>("0a0b"), Some([10, 11]));
        for bad in ["0", "zz", "0a0", "é0"] {
            assert_eq!(super::decode(bad), None, "{bad}");
        }
        assert_eq!(super::decode_array::<2>("0a"), None);
    }
}
