//! What a scan looks for: every secret the vault holds, verbatim (one Aho-Corasick automaton),
//! and keys in the formats vault-core knows (their literal prefixes through a second automaton,
//! then each candidate's pattern at that spot).
//!
//! Stored values are matched exactly and anywhere, so a value the vault knows is never missed,
//! whatever its shape. Formats are matched only at token boundaries, so a long random string
//! that happens to contain `ghp_` is not called a GitHub token.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex::bytes::Regex;
use vault_core::formats::{FORMATS, KeyFormat};
use vault_core::vault::KnownSecret;

use crate::report::StoredAs;

/// Shorter stored values are not looked for: a PIN or `true` would be found everywhere.
pub const MIN_VALUE_LEN: usize = 8;

/// How far past its prefix a key's pattern may reach (the longest known keys are ~250 bytes).
const MAX_KEY_LEN: usize = 1024;

/// A match in a buffer: bytes `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub start: usize,
    pub end: usize,
    pub what: HitKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitKind {
    /// Index into [`Matcher::stored_as`].
    Stored(usize),
    /// Index into vault-core's `FORMATS`.
    Format(usize),
}

/// The compiled detectors of one scan. Built from the values, it holds them (inside the
/// automaton, which is not wiped when dropped: it lives in the process that already holds the
/// vault open, for the length of one scan).
pub struct Matcher {
    values: Option<AhoCorasick>,
    /// Per pattern of `values`: every item and role holding that value.
    labels: Vec<Vec<StoredAs>>,
    formats: Option<&'static Formats>,
    /// Stored values shorter than [`MIN_VALUE_LEN`], not looked for.
    pub too_short: usize,
}

impl std::fmt::Debug for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matcher")
            .field("values", &self.labels.len())
            .field("formats", &self.formats.is_some())
            .finish_non_exhaustive()
    }
}

/// Compiled once per process: forty patterns are worth not compiling at every scan.
static FORMATS_FINDER: std::sync::LazyLock<Formats> = std::sync::LazyLock::new(Formats::new);

struct Formats {
    prefixes: Option<AhoCorasick>,
    /// The pattern of each entry of `FORMATS` at its spot, `None` for a format that is not
    /// secret (publishable keys, account ids) and is never reported.
    patterns: Vec<Option<Regex>>,
}

/// Bytes a key is made of, on either side of which a key in a known format cannot start or end.
fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// A key in documentation or a test, not one a provider issued: AWS's `...EXAMPLE` keys, a run
/// of one character (`xxxxxxxx`, `00000000`), or the alphabet or digits in order. A random key
/// holds none of these (the chance of 8 equal characters in a row in 40 random base-62 ones is
/// about 10^-12). Stored values are never judged so: the vault knows those are secrets.
fn is_placeholder(body: &[u8]) -> bool {
    const SEQUENCES: [&[u8]; 3] = [b"0123456789", b"abcdefghij", b"ABCDEFGHIJ"];
    let run = body.windows(8).any(|w| w.iter().all(|&b| b == w[0]));
    run || SEQUENCES
        .iter()
        .chain([&b"EXAMPLE"[..], b"example"].iter())
        .any(|s| memchr::memmem::find(body, s).is_some())
}

impl Formats {
    fn new() -> Formats {
        let mut prefixes: Vec<&str> = FORMATS.iter().map(KeyFormat::prefix).collect();
        prefixes.sort_unstable();
        prefixes.dedup();
        let patterns = FORMATS
            .iter()
            .map(|f| {
                if !f.is_secret() {
                    return None;
                }
                // The whole pattern, anchored at both ends, run on a whole token: a regex's
                // leftmost-first choice between lengths (`{58}|{74}`) must not decide.
                Regex::new(f.pattern()).ok()
            })
            .collect();
        // Leftmost-longest: at one spot `sk-proj-` is the candidate, not `sk-`; every format
        // whose prefix fits is then tried in the table's order (most specific first).
        let prefixes = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&prefixes)
            .ok();
        Formats { prefixes, patterns }
    }

    fn find(&self, hay: &[u8], out: &mut Vec<Hit>) {
        let Some(prefixes) = &self.prefixes else {
            return;
        };
        for m in prefixes.find_iter(hay) {
            let start = m.start();
            if start > 0 && is_key_byte(hay[start - 1]) {
                continue;
            }
            // The token: key bytes and dots (SendGrid's and GitLab's keys hold dots), up to
            // the longest key. It may end before a dot that ends a sentence, so each dot is
            // also tried as its end, longest first.
            let limit = hay.len().min(start + MAX_KEY_LEN);
            let token_end = hay[start..limit]
                .iter()
                .position(|&b| !(is_key_byte(b) || b == b'.'))
                .map_or(limit, |n| start + n);
            if token_end < hay.len() && token_end == limit {
                continue; // longer than any key
            }
            let token = &hay[start..token_end];
            let ends = std::iter::once(token.len()).chain(
                token
                    .iter()
                    .enumerate()
                    .rev()
                    .filter(|(_, b)| **b == b'.')
                    .map(|(n, _)| n),
            );
            let found = ends.into_iter().find_map(|len| {
                let candidate = &token[..len];
                FORMATS
                    .iter()
                    .enumerate()
                    .find(|(i, format)| {
                        candidate.starts_with(format.prefix().as_bytes())
                            && self.patterns[*i]
                                .as_ref()
                                .is_some_and(|p| p.is_match(candidate))
                            && !is_placeholder(&candidate[format.prefix().len()..])
                    })
                    .map(|(i, _)| (i, start + len))
            });
            if let Some((i, end)) = found {
                out.push(Hit {
                    start,
                    end,
                    what: HitKind::Format(i),
                });
            }
        }
    }
}

impl Matcher {
    /// Looks for these values (those of at least [`MIN_VALUE_LEN`] bytes) and, with `formats`,
    /// for keys in known formats.
    pub fn new(secrets: Vec<KnownSecret>, formats: bool) -> Matcher {
        let mut needles = secrets;
        let before = needles.len();
        needles.retain(|n| n.value.len() >= MIN_VALUE_LEN);
        let too_short = before - needles.len();
        // One pattern per distinct value, naming every item that holds it.
        needles.sort_by(|a, b| a.value.expose().cmp(b.value.expose()));
        let mut patterns: Vec<&[u8]> = Vec::new();
        let mut labels: Vec<Vec<StoredAs>> = Vec::new();
        for n in &needles {
            let label = StoredAs {
                item: n.item.clone(),
                role: n.role.clone(),
            };
            match patterns.last() {
                Some(last) if *last == n.value.expose().as_bytes() => {
                    if let Some(l) = labels.last_mut() {
                        l.push(label);
                    }
                }
                _ => {
                    patterns.push(n.value.expose().as_bytes());
                    labels.push(vec![label]);
                }
            }
        }
        // A DFA: several times faster than the crate's default for hundreds of values, and
        // small for what a vault holds (states ~ total bytes of the values); the default
        // where a vault is large enough for the DFA to be refused.
        let build = |kind| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .kind(kind)
                .build(&patterns)
                .ok()
        };
        let values = if patterns.is_empty() {
            None
        } else {
            build(Some(AhoCorasickKind::DFA)).or_else(|| build(None))
        };
        for l in &mut labels {
            l.sort();
        }
        Matcher {
            values,
            labels,
            formats: formats.then(|| &*FORMATS_FINDER),
            too_short,
        }
    }

    /// Keys in known formats only: what a scan can do while the vault is locked.
    pub fn formats_only() -> Matcher {
        Matcher::new(Vec::new(), true)
    }

    /// How many distinct stored values are looked for.
    pub fn values(&self) -> usize {
        self.labels.len()
    }

    /// Who holds the value of a [`HitKind::Stored`] hit.
    pub fn stored_as(&self, index: usize) -> &[StoredAs] {
        self.labels.get(index).map_or(&[], Vec::as_slice)
    }

    /// Every hit in `hay`, in order. A known-format key that is (part of) a stored value is
    /// reported once, as the stored value: that says which item it is.
    pub fn find(&self, hay: &[u8]) -> Vec<Hit> {
        let mut out = Vec::new();
        if let Some(values) = &self.values {
            out.extend(values.find_iter(hay).map(|m| Hit {
                start: m.start(),
                end: m.end(),
                what: HitKind::Stored(m.pattern().as_usize()),
            }));
        }
        if let Some(formats) = &self.formats {
            let stored = out.len();
            let mut found = Vec::new();
            formats.find(hay, &mut found);
            let covered = &out[..stored];
            found.retain(|f| !covered.iter().any(|s| s.start < f.end && f.start < s.end));
            out.extend(found);
            out.sort_by_key(|h| (h.start, h.end));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vault_core::SecretValue;
    use vault_core::vault::SecretRole;

    fn needle(item: &str, value: &str) -> KnownSecret {
        KnownSecret {
            item: item.into(),
            role: SecretRole::Value,
            value: SecretValue::new(value),
        }
    }

    #[test]
    fn finds_stored_values_anywhere_and_formats_at_boundaries() {
        let m = Matcher::new(
            vec![needle("db", "hunter2-but-longer"), needle("pin", "1234")],
            true,
        );
        assert_eq!(m.values(), 1);
        assert_eq!(m.too_short, 1);
        let token = "ghp_R4nd0mL00k1ngT0k3nV4lu3Qw3rtY8u9i0pZ"; // vault-scan:allow (a made-up key)
        let text = format!("x=hunter2-but-longer\nTOKEN={token}\nnot: x{token}\n1234");
        let hits = m.find(text.as_bytes());
        assert_eq!(hits.len(), 2, "{hits:?}");
        assert_eq!(hits[0].what, HitKind::Stored(0));
        assert_eq!(&text[hits[1].start..hits[1].end], token);
        assert!(matches!(hits[1].what, HitKind::Format(i) if FORMATS[i].id == "github-pat"));
    }

    #[test]
    fn a_stored_key_is_reported_once_with_every_item_that_holds_it() {
        let token = "ghp_An0th3rR4nd0mT0k3nV4lu3Xy7Wv6Ut5Sr4Q"; // vault-scan:allow (a made-up key)
        let m = Matcher::new(vec![needle("gh", token), needle("gh-copy", token)], true);
        let hits = m.find(format!("GITHUB_TOKEN={token}").as_bytes());
        assert_eq!(hits.len(), 1);
        let HitKind::Stored(i) = hits[0].what else {
            unreachable!("{hits:?}")
        };
        let names: Vec<_> = m.stored_as(i).iter().map(|s| s.item.as_str()).collect();
        assert_eq!(names, ["gh", "gh-copy"]);
    }

    #[test]
    fn the_longer_of_two_lengths_and_a_key_before_a_full_stop_are_found() {
        let m = Matcher::formats_only();
        let body = "Rr7".repeat(25);
        let openai = format!("sk-proj-{}T3BlbkFJ{}", &body[..74], &body[..74]);
        let sendgrid = format!("SG.{}.{}", &body[..22], &body[..43]);
        let text = format!("key {openai}\nsee {sendgrid}.\n");
        let found: Vec<&str> = m
            .find(text.as_bytes())
            .iter()
            .map(|h| &text[h.start..h.end])
            .collect();
        assert_eq!(found, [openai.as_str(), sendgrid.as_str()]);
    }

    #[test]
    fn publishable_keys_and_longer_strings_are_not_findings() {
        let m = Matcher::formats_only();
        let publishable = format!("pk_live_{}", "c".repeat(24));
        let too_long = "ghp_R4nd0mL00k1ngT0k3nV4lu3Qw3rtY8u9i0pZabcd";
        assert!(m.find(publishable.as_bytes()).is_empty());
        assert!(m.find(too_long.as_bytes()).is_empty());
        for placeholder in [
            "AKIAIOSFODNN7EXAMPLE",
            "ghp_0123456789abcdefghijABCDEFGHIJ012345",
            "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        ] {
            assert!(m.find(placeholder.as_bytes()).is_empty(), "{placeholder}");
        }
        assert_eq!(m.find(b"AKIAQ3EGRJ6TLZ4WXN7B").len(), 1); // vault-scan:allow (a made-up key)
    }
}
