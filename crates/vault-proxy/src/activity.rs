//! What a session has done, for whoever watches it (the desktop app's sessions view,
//! `vault proxy ls`): where its values went and what was refused. Names, destinations and
//! counts only: never a value.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Mutex;

/// How many refusals are kept word for word (all are counted).
const RECENT_REFUSALS: usize = 5;

/// How many destinations are told apart; past it, requests still count in the total. Only hosts
/// an item allows get a value, so only a wildcard rule can lead to this many.
const DESTINATIONS: usize = 64;

/// A session's activity so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Activity {
    /// Requests a value was put into.
    pub requests: u64,
    /// Where they went, in order of destination.
    pub sent: Vec<Sent>,
    /// Requests refused (a placeholder toward a host its item may not go to, a locked vault, a
    /// host `--strict` does not allow).
    pub refusals: u64,
    /// The latest refusals as the program's stderr said them, oldest first.
    pub recent_refusals: Vec<String>,
}

/// Values put into requests to one destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    /// `https://host:port` (or `http://`).
    pub destination: String,
    /// The items whose values went there.
    pub items: Vec<String>,
    pub requests: u64,
}

/// The running record behind [`Activity`]: one short lock per request that carries a value.
#[derive(Default)]
pub(crate) struct Recorder {
    log: Mutex<Log>,
}

#[derive(Default)]
struct Log {
    requests: u64,
    sent: BTreeMap<String, (BTreeSet<String>, u64)>,
    refusals: u64,
    recent: VecDeque<String>,
}

impl Recorder {
    fn log(&self) -> std::sync::MutexGuard<'_, Log> {
        // Counters only: a panic elsewhere leaves nothing half-done worth refusing over.
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn sent<'a>(&self, destination: &str, items: impl IntoIterator<Item = &'a str>) {
        let mut log = self.log();
        log.requests += 1;
        let full = log.sent.len() >= DESTINATIONS;
        let entry = match log.sent.get_mut(destination) {
            Some(entry) => entry,
            None if full => return,
            None => log
                .sent
                .entry(destination.to_owned())
                .or_insert_with(|| (BTreeSet::new(), 0)),
        };
        entry.1 += 1;
        for item in items {
            if !entry.0.contains(item) {
                entry.0.insert(item.to_owned());
            }
        }
    }

    pub(crate) fn refused(&self, line: &str) {
        let mut log = self.log();
        log.refusals += 1;
        if log.recent.len() == RECENT_REFUSALS {
            log.recent.pop_front();
        }
        log.recent.push_back(line.to_owned());
    }

    pub(crate) fn activity(&self) -> Activity {
        let log = self.log();
        Activity {
            requests: log.requests,
            sent: log
                .sent
                .iter()
                .map(|(destination, (items, requests))| Sent {
                    destination: destination.clone(),
                    items: items.iter().cloned().collect(),
                    requests: *requests,
                })
                .collect(),
            refusals: log.refusals,
            recent_refusals: log.recent.iter().cloned().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_destinations_and_items_and_keeps_the_latest_refusals() {
        let r = Recorder::default();
        r.sent("https://api.openai.com:443", ["openai"]);
        r.sent("https://api.openai.com:443", ["openai", "org"]);
        r.sent("https://api.github.com:443", ["github"]);
        for i in 0..7 {
            r.refused(&format!("refused {i}"));
        }
        let a = r.activity();
        assert_eq!(a.requests, 3);
        assert_eq!(
            a.sent,
            vec![
                Sent {
                    destination: "https://api.github.com:443".into(),
                    items: vec!["github".into()],
                    requests: 1
                },
                Sent {
                    destination: "https://api.openai.com:443".into(),
                    items: vec!["openai".into(), "org".into()],
                    requests: 2
                },
            ]
        );
        assert_eq!(a.refusals, 7);
        assert_eq!(
            a.recent_refusals,
            [
                "refused 2",
                "refused 3",
                "refused 4",
                "refused 5",
                "refused 6"
            ]
        );
    }

    #[test]
    fn destinations_past_the_limit_still_count() {
        let r = Recorder::default();
        for i in 0..DESTINATIONS + 10 {
            r.sent(&format!("https://h{i}.example.com:443"), ["k"]);
        }
        let a = r.activity();
        assert_eq!(a.sent.len(), DESTINATIONS);
        assert_eq!(a.requests, (DESTINATIONS + 10) as u64);
    }
}
