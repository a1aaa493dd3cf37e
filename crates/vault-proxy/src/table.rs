//! A session's placeholders and where each may go: which requests get which real value, and
//! which are refused because a placeholder would reach a host it does not belong to.

use aho_corasick::AhoCorasick;
use vault_core::hosts::{Destination, HostRule};

/// One secret of a session: the item it stands for, its placeholder and its hosts.
#[derive(Clone, Debug)]
pub struct Binding {
    /// The item (or reference) the agent resolves at each request, e.g. `openai`.
    pub item: String,
    /// What the child holds. Not secret: it is useless anywhere but through this proxy.
    pub placeholder: String,
    pub hosts: Vec<HostRule>,
}

/// What to do with a request, from the placeholders it carries.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No placeholder anywhere the proxy can read: pass it on as it is.
    Pass,
    /// Swap these bindings' placeholders for their values.
    Substitute(Vec<usize>),
    /// A placeholder would reach a host it does not belong to: nothing is sent.
    Refuse { binding: usize },
}

#[derive(Debug)]
pub struct Table {
    bindings: Vec<Binding>,
    finder: Option<AhoCorasick>,
}

impl Table {
    pub fn new(bindings: Vec<Binding>) -> Self {
        let finder = if bindings.is_empty() {
            None
        } else {
            // Placeholders are plain ASCII; building can only fail on sizes far beyond these.
            AhoCorasick::new(bindings.iter().map(|b| b.placeholder.as_bytes())).ok()
        };
        Table { bindings, finder }
    }

    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// The bindings whose placeholder occurs in `text`, each once, in binding order.
    pub fn found_in<'a>(&self, texts: impl IntoIterator<Item = &'a [u8]>) -> Vec<usize> {
        let Some(finder) = &self.finder else {
            return Vec::new();
        };
        let mut found = vec![false; self.bindings.len()];
        for text in texts {
            for m in finder.find_overlapping_iter(text) {
                found[m.pattern().as_usize()] = true;
            }
        }
        (0..found.len()).filter(|i| found[*i]).collect()
    }

    /// Whether a tunnel to `host:port` must be opened (TLS terminated) because some binding
    /// may go there; every other tunnel is passed through untouched.
    pub fn terminates(&self, host: &str, port: u16) -> bool {
        self.bindings
            .iter()
            .any(|b| b.hosts.iter().any(|h| h.allows_authority(true, host, port)))
    }

    /// Whether some binding may go to this authority at all (`--strict` refuses the rest).
    pub fn serves(&self, tls: bool, host: &str, port: u16) -> bool {
        self.bindings
            .iter()
            .any(|b| b.hosts.iter().any(|h| h.allows_authority(tls, host, port)))
    }

    /// The verdict on a request to `to` whose readable parts hold the bindings `found`.
    pub fn judge(&self, to: &Destination<'_>, found: &[usize]) -> Verdict {
        if found.is_empty() {
            return Verdict::Pass;
        }
        for &i in found {
            if !self.bindings[i].hosts.iter().any(|h| h.allows(to)) {
                return Verdict::Refuse { binding: i };
            }
        }
        Verdict::Substitute(found.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table::new(vec![
            Binding {
                item: "openai".into(),
                placeholder: "sk-PLACEHOLDERaaaaaaaaaaaaaaaa".into(),
                hosts: vec!["api.openai.com".parse().unwrap()],
            },
            Binding {
                item: "internal".into(),
                placeholder: "PLACEHOLDERbbbbbbbbbbbbbbbbbb".into(),
                hosts: vec!["*.corp.example/api".parse().unwrap()],
            },
        ])
    }

    fn to<'a>(host: &'a str, path: &'a str) -> Destination<'a> {
        Destination {
            tls: true,
            host,
            port: 443,
            path,
        }
    }

    #[test]
    fn a_placeholder_is_swapped_only_toward_its_own_hosts() {
        let t = table();
        let header = b"Bearer sk-PLACEHOLDERaaaaaaaaaaaaaaaa".as_slice();
        let found = t.found_in([header]);
        assert_eq!(found, [0]);
        assert_eq!(
            t.judge(&to("api.openai.com", "/v1"), &found),
            Verdict::Substitute(vec![0])
        );
        assert_eq!(
            t.judge(&to("evil.example", "/"), &found),
            Verdict::Refuse { binding: 0 }
        );
        let both = t.found_in([header, b"x=PLACEHOLDERbbbbbbbbbbbbbbbbbb".as_slice()]);
        assert_eq!(both, [0, 1]);
        assert_eq!(
            t.judge(&to("api.openai.com", "/v1"), &both),
            Verdict::Refuse { binding: 1 },
            "one misplaced placeholder refuses the whole request"
        );
        assert_eq!(
            t.judge(
                &to("evil.example", "/"),
                &t.found_in([b"nothing".as_slice()])
            ),
            Verdict::Pass
        );
    }

    #[test]
    fn only_hosts_some_binding_may_reach_are_terminated() {
        let t = table();
        assert!(t.terminates("api.openai.com", 443));
        assert!(t.terminates("git.corp.example", 443));
        assert!(!t.terminates("api.openai.com", 8443));
        assert!(!t.terminates("example.com", 443));
        assert!(!t.serves(false, "api.openai.com", 80));
        assert!(
            Table::new(Vec::new())
                .found_in([b"anything".as_slice()])
                .is_empty()
        );
    }
}
