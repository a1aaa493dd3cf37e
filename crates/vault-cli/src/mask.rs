//! `vault run --mask`: replaces injected secrets in a stream with `<redacted:NAME>`.
//!
//! Output arrives in arbitrary chunks, so a secret may be split across two writes. The masker
//! therefore holds back the shortest tail that could still be the start of a secret, and only
//! that: everything else is passed on at once, so interactive output stays interactive.

use aho_corasick::{AhoCorasick, MatchKind};
use zeroize::Zeroizing;

/// Secrets shorter than this are not masked: replacing every `42` or `true` in the output
/// would hide more than it protects.
pub const MIN_MASKED_LEN: usize = 4;

pub struct Masker {
    finder: AhoCorasick,
    patterns: Vec<Zeroizing<Vec<u8>>>,
    labels: Vec<String>,
    pending: Zeroizing<Vec<u8>>,
}

impl Masker {
    /// `secrets`: (label, value). Returns `None` when nothing is long enough to mask.
    pub fn new(secrets: Vec<(String, Zeroizing<Vec<u8>>)>) -> Option<Masker> {
        let mut secrets: Vec<_> = secrets
            .into_iter()
            .filter(|(_, v)| v.len() >= MIN_MASKED_LEN)
            .collect();
        // One label per value: the first name it was injected as.
        let mut seen = std::collections::HashSet::new();
        secrets.retain(|(_, v)| seen.insert(v.to_vec()));
        if secrets.is_empty() {
            return None;
        }
        let (labels, patterns): (Vec<_>, Vec<_>) = secrets.into_iter().unzip();
        let finder = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(patterns.iter().map(|p| p.as_slice()))
            .ok()?;
        Some(Masker {
            finder,
            patterns,
            labels,
            pending: Zeroizing::new(Vec::new()),
        })
    }

    /// Takes a chunk of output; returns what can be shown now.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<u8> {
        self.pending.extend_from_slice(chunk);
        let mut out = Vec::with_capacity(self.pending.len());
        let mut pos = 0;
        loop {
            let rest = &self.pending[pos..];
            let hold_from = pos + self.partial_tail_start(rest);
            match self.finder.find(rest) {
                Some(m) if pos + m.start() < hold_from => {
                    out.extend_from_slice(&rest[..m.start()]);
                    out.extend_from_slice(
                        format!("<redacted:{}>", self.labels[m.pattern().as_usize()]).as_bytes(),
                    );
                    pos += m.end();
                }
                _ => {
                    out.extend_from_slice(&self.pending[pos..hold_from]);
                    let held = self.pending[hold_from..].to_vec();
                    self.pending = Zeroizing::new(held);
                    return out;
                }
            }
        }
    }

    /// The end of the stream (or a pause long enough that the tail is not waiting for the rest
    /// of a secret): whatever is held back, as it is.
    pub fn flush(&mut self) -> Vec<u8> {
        std::mem::take(&mut *self.pending)
    }

    pub fn holds_back(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Where the longest suffix of `text` that is a proper prefix of some secret starts
    /// (`text.len()` when there is none).
    fn partial_tail_start(&self, text: &[u8]) -> usize {
        let mut start = text.len();
        for p in &self.patterns {
            let longest = (p.len() - 1).min(text.len());
            for k in (1..=longest).rev() {
                if text.len() - k < start && text.ends_with(&p[..k]) {
                    start = text.len() - k;
                    break;
                }
            }
        }
        start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masker() -> Masker {
        Masker::new(vec![
            ("API_KEY".into(), Zeroizing::new(b"sk-live-123456".to_vec())),
            ("TOKEN".into(), Zeroizing::new(b"ghp_abcdef".to_vec())),
            ("SHORT".into(), Zeroizing::new(b"42".to_vec())),
        ])
        .unwrap()
    }

    fn run(m: &mut Masker, chunks: &[&[u8]]) -> String {
        let mut out = Vec::new();
        for c in chunks {
            out.extend(m.feed(c));
        }
        out.extend(m.flush());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn whole_and_split_secrets_are_replaced() {
        let mut m = masker();
        assert_eq!(
            run(&mut m, &[b"key=sk-live-123456 and ghp_abcdef, 42\n"]),
            "key=<redacted:API_KEY> and <redacted:TOKEN>, 42\n"
        );
        assert_eq!(
            run(&mut m, &[b"key=sk-li", b"ve-12", b"3456!"]),
            "key=<redacted:API_KEY>!"
        );
        // Split byte by byte.
        let text = b"[ghp_abcdef]";
        let chunks: Vec<&[u8]> = text.chunks(1).collect();
        assert_eq!(run(&mut m, &chunks), "[<redacted:TOKEN>]");
    }

    #[test]
    fn only_a_possible_start_of_a_secret_is_held_back() {
        let mut m = masker();
        assert_eq!(m.feed(b"hello sk-li"), b"hello ");
        assert!(m.holds_back());
        assert_eq!(m.feed(b"nt is not a key\n"), b"sk-lint is not a key\n");
        assert!(!m.holds_back());
        assert_eq!(m.feed(b"plain text\n"), b"plain text\n");
    }

    #[test]
    fn nothing_to_mask_without_long_enough_secrets() {
        assert!(Masker::new(vec![("A".into(), Zeroizing::new(b"abc".to_vec()))]).is_none());
    }
}
