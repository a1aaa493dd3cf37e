//! `vault run --mask`: replaces injected secrets in a stream with `<redacted:NAME>`.
//!
//! Output arrives in arbitrary chunks, so a secret may be split across writes, with pauses in
//! between. The masker holds back the shortest tail that could still be the start of a secret,
//! and only that: everything else is passed on at once, so interactive output stays
//! interactive. A held tail is never shown unmasked because time passed: after a pause only a
//! tail shorter than [`MIN_MASKED_LEN`] is let through (a prompt ending in `s` must not wait
//! for a key starting `sk-`), and what follows it keeps being matched against what was shown,
//! so a secret written a few bytes at a time is caught with at most those few bytes shown. At
//! the end of the stream a held tail of [`MIN_MASKED_LEN`] bytes or more is redacted too.
//!
//! What masking cannot catch: a secret transformed (encoded, reversed, split by other text),
//! written to `/dev/tty` or a file instead of stdout/stderr, or sent over the network. It
//! protects against accidents (a config dump in a CI log), not against a hostile program.

use aho_corasick::{AhoCorasick, MatchKind};
use zeroize::Zeroizing;

/// Secrets shorter than this are not masked: replacing every `42` or `true` in the output
/// would hide more than it protects.
pub const MIN_MASKED_LEN: usize = 4;

pub struct Masker {
    finder: AhoCorasick,
    patterns: Vec<Zeroizing<Vec<u8>>>,
    labels: Vec<String>,
    /// The last bytes passed on (at most the longest secret's length less one): a secret may
    /// have started among them, released by a pause.
    shown: Zeroizing<Vec<u8>>,
    /// Bytes not passed on yet: a possible start (or continuation) of a secret.
    pending: Zeroizing<Vec<u8>>,
    longest: usize,
}

impl std::fmt::Debug for Masker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The patterns are the secrets themselves: only their labels are shown.
        f.debug_struct("Masker")
            .field("labels", &self.labels)
            .finish_non_exhaustive()
    }
}

/// `value` as a terminal with ONLCR shows it: each `\n` not already after a `\r` as `\r\n`.
fn onlcr(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 8);
    for (i, &b) in value.iter().enumerate() {
        if b == b'\n' && (i == 0 || value[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

impl Masker {
    /// `secrets`: (label, value). Returns `None` when nothing is long enough to mask.
    pub fn new(secrets: Vec<(String, Zeroizing<Vec<u8>>)>) -> Option<Masker> {
        let mut secrets: Vec<_> = secrets
            .into_iter()
            .filter(|(_, v)| v.len() >= MIN_MASKED_LEN)
            .flat_map(|(label, v)| {
                // A terminal turns each `\n` into `\r\n` (ONLCR): a multi-line secret written
                // to a pty reaches us in that form, so it is looked for in both.
                let crlf = v
                    .contains(&b'\n')
                    .then(|| (label.clone(), Zeroizing::new(onlcr(&v))));
                std::iter::once((label, v)).chain(crlf)
            })
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
        let longest = patterns.iter().map(|p| p.len()).max().unwrap_or(0);
        Some(Masker {
            finder,
            patterns,
            labels,
            shown: Zeroizing::new(Vec::new()),
            pending: Zeroizing::new(Vec::new()),
            longest,
        })
    }

    /// Takes a chunk of output; returns what can be shown now.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<u8> {
        self.pending.extend_from_slice(chunk);
        let mut out = Vec::with_capacity(self.pending.len());
        loop {
            let s = self.shown.len();
            let mut window = Zeroizing::new(Vec::with_capacity(s + self.pending.len()));
            window.extend_from_slice(&self.shown);
            window.extend_from_slice(&self.pending);
            let (hold_from, _) = self.partial_tail(&window);
            // Matches wholly among shown bytes were redacted when they were current.
            let found = self.finder.find_iter(&window[..]).find(|m| m.end() > s);
            match found {
                Some(m) if m.start() < hold_from => {
                    // A match that began among shown bytes: the rest of it is redacted.
                    let before = m.start().saturating_sub(s);
                    out.extend_from_slice(&self.pending[..before]);
                    out.extend_from_slice(self.label(m.pattern().as_usize()).as_bytes());
                    let consumed = m.end() - s;
                    self.pending = Zeroizing::new(self.pending[consumed..].to_vec());
                    self.shown = Zeroizing::new(Vec::new());
                }
                _ => {
                    let release = hold_from.saturating_sub(s).min(self.pending.len());
                    let released = self.pending[..release].to_vec();
                    self.pending = Zeroizing::new(self.pending[release..].to_vec());
                    self.show(&released);
                    out.extend_from_slice(&released);
                    return out;
                }
            }
        }
    }

    /// Nothing arrived for a while: what of the held tail may be shown anyway (only a tail too
    /// short to give a secret away, and never the continuation of one already shown).
    pub fn pause(&mut self) -> Vec<u8> {
        let s = self.shown.len();
        let mut window = Zeroizing::new(self.shown.to_vec());
        window.extend_from_slice(&self.pending);
        let (hold_from, _) = self.partial_tail(&window);
        if hold_from < s || self.pending.len() >= MIN_MASKED_LEN {
            return Vec::new();
        }
        let released = std::mem::take(&mut *self.pending);
        self.show(&released);
        released
    }

    /// The end of the stream: the held tail, redacted when long enough to be most of a secret.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut window = Zeroizing::new(self.shown.to_vec());
        window.extend_from_slice(&self.pending);
        let (hold_from, pattern) = self.partial_tail(&window);
        let held = window.len() - hold_from;
        let pending = std::mem::take(&mut *self.pending);
        match pattern {
            Some(p) if held >= MIN_MASKED_LEN => {
                let keep = pending.len().saturating_sub(held);
                let mut out = pending[..keep].to_vec();
                out.extend_from_slice(self.label(p).as_bytes());
                out
            }
            _ => pending.to_vec(),
        }
    }

    pub fn holds_back(&self) -> bool {
        !self.pending.is_empty()
    }

    fn label(&self, pattern: usize) -> String {
        format!("<redacted:{}>", self.labels[pattern])
    }

    /// Remembers the last bytes passed on, as many as a secret could have started in.
    fn show(&mut self, bytes: &[u8]) {
        self.shown.extend_from_slice(bytes);
        let keep = self.longest.saturating_sub(1);
        if self.shown.len() > keep {
            let cut = self.shown.len() - keep;
            self.shown = Zeroizing::new(self.shown[cut..].to_vec());
        }
    }

    /// Where the longest suffix of `text` that is a proper prefix of some secret starts
    /// (`text.len()` when there is none), and that secret.
    fn partial_tail(&self, text: &[u8]) -> (usize, Option<usize>) {
        let mut start = text.len();
        let mut which = None;
        for (i, p) in self.patterns.iter().enumerate() {
            let longest = (p.len() - 1).min(text.len());
            for k in (1..=longest).rev() {
                if text.len() - k < start && text.ends_with(&p[..k]) {
                    start = text.len() - k;
                    which = Some(i);
                    break;
                }
            }
        }
        (start, which)
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
        out.extend(m.finish());
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

    /// What a stream shows when `text` is written in the given pieces, with a pause (long
    /// enough for the relay to give up waiting) after each.
    fn with_pauses(m: &mut Masker, pieces: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for p in pieces {
            out.extend(m.feed(p));
            out.extend(m.pause());
        }
        out.extend(m.finish());
        out
    }

    #[test]
    fn a_pause_never_lets_a_secret_through() {
        let secret = b"sk-live-123456";
        // Split at every offset, and byte by byte, with a pause after every piece.
        for cut in 1..secret.len() {
            let mut m = masker();
            let mut first = b"key=".to_vec();
            first.extend_from_slice(&secret[..cut]);
            let mut second = secret[cut..].to_vec();
            second.extend_from_slice(b" done\n");
            let out = with_pauses(&mut m, &[&first, &second]);
            let text = String::from_utf8(out).unwrap();
            assert!(text.contains("<redacted:API_KEY>"), "cut {cut}: {text}");
            assert!(
                !text.contains("123456") && text.ends_with(" done\n"),
                "cut {cut}: {text}"
            );
            let shown = text.len() - "key=<redacted:API_KEY> done\n".len();
            assert!(
                shown < MIN_MASKED_LEN,
                "cut {cut}: {shown} bytes shown: {text}"
            );
        }
        let mut m = masker();
        let pieces: Vec<&[u8]> = secret.chunks(1).collect();
        let text = String::from_utf8(with_pauses(&mut m, &pieces)).unwrap();
        assert!(
            text.ends_with("<redacted:API_KEY>") && text.len() < 3 + 18,
            "{text}"
        );
    }

    #[test]
    fn a_short_tail_is_shown_after_a_pause_and_a_long_one_redacted_at_the_end() {
        let mut m = masker();
        // A prompt ending in `sk` (a possible start of the key) is not kept waiting.
        assert_eq!(m.feed(b"Continue? ask"), b"Continue? a");
        assert_eq!(m.pause(), b"sk");
        assert_eq!(m.feed(b" me\n"), b" me\n");
        // Most of a key, then the end of the stream: redacted, not shown.
        assert_eq!(m.feed(b"x sk-live-1234"), b"x ");
        assert!(m.pause().is_empty());
        assert_eq!(m.finish(), b"<redacted:API_KEY>");
    }

    #[test]
    fn debug_names_the_secrets_but_never_shows_them() {
        let text = format!("{:?}", masker());
        assert!(
            text.contains("API_KEY") && !text.contains("sk-live"),
            "{text}"
        );
    }

    #[test]
    fn nothing_to_mask_without_long_enough_secrets() {
        assert!(Masker::new(vec![("A".into(), Zeroizing::new(b"abc".to_vec()))]).is_none());
    }
}
