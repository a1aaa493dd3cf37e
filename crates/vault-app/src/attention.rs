//! Which items need the user, and which got worse since the app last looked.
//!
//! The first look after the app starts is a baseline: items already due then are counted but
//! not announced, so a notification always means "this changed while the app was running".
//! Items added later enter the baseline silently too. Nothing here reads the clock.

use std::collections::HashMap;

use vault_core::{DueState, ItemId};

use crate::views::DueItem;

#[derive(Debug, Default)]
pub struct Tracker {
    known: Option<HashMap<ItemId, DueState>>,
    count: Option<usize>,
}

/// What changed with a new look at the items.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Update {
    /// The new count when it differs from the last one reported.
    pub count: Option<usize>,
    /// Items whose state got worse, most urgent first.
    pub worse: Vec<DueItem>,
}

impl Tracker {
    /// A new look: `(id, name, state)` of the items, where an item left out is `ok` (the
    /// agent's passive `due` report lists only those needing attention).
    pub fn observe(&mut self, states: Vec<(ItemId, String, DueState)>) -> Update {
        let mut worse: Vec<DueItem> = match &self.known {
            None => Vec::new(),
            Some(before) => states
                .iter()
                // DueState orders most urgent first, so "worse" is "less than".
                .filter(|(id, _, due)| *due < before.get(id).copied().unwrap_or(DueState::Ok))
                .map(|(_, name, due)| DueItem {
                    name: name.clone(),
                    due: *due,
                })
                .collect(),
        };
        worse.sort_by(|a, b| a.due.cmp(&b.due).then_with(|| a.name.cmp(&b.name)));
        let count = states
            .iter()
            .filter(|(_, _, d)| d.needs_attention())
            .count();
        self.known = Some(states.into_iter().map(|(id, _, due)| (id, due)).collect());
        let changed = self.count != Some(count);
        self.count = Some(count);
        Update {
            count: changed.then_some(count),
            worse,
        }
    }

    /// The vault locked: the count is unknown until the next look, the baseline stays.
    pub fn locked(&mut self) -> bool {
        self.count.take().is_some()
    }

    pub fn count(&self) -> Option<usize> {
        self.count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::ItemView;
    use vault_core::model::{ApiKeyMeta, Item, ItemMeta};
    use vault_core::{RotationPolicy, Timestamp};

    fn view(id: u8, name: &str, rotated: &str, now: &str) -> (ItemId, String, DueState) {
        let at: Timestamp = rotated.parse().unwrap();
        let item = Item {
            id: ItemId([id; 16]),
            meta: ItemMeta::ApiKey(ApiKeyMeta {
                name: name.into(),
                env: vec![name.to_uppercase()],
                service: None,
                tags: vec![],
                notes: String::new(),
                created: at,
                updated: at,
                last_rotated: at,
                rotation: RotationPolicy::Every { days: 30 },
                expires: None,
                version: 1,
                hosts: None,
                fields: Default::default(),
                secret_fields: Default::default(),
                refused: None,
                conflict: None,
            }),
        };
        let v = ItemView::new(item, now.parse().unwrap(), 14);
        (v.item.id, v.name().to_owned(), v.due)
    }

    #[test]
    fn announces_only_what_got_worse_after_the_baseline() {
        let mut t = Tracker::default();
        // On 2026-02-05: a (rotated 2026-01-01) is overdue, b is fine.
        let day1 = "2026-02-05T00:00:00Z";
        let first = t.observe(vec![
            view(1, "a", "2026-01-01T00:00:00Z", day1),
            view(2, "b", "2026-02-01T00:00:00Z", day1),
        ]);
        assert_eq!(first.count, Some(1));
        assert!(first.worse.is_empty(), "the baseline announces nothing");

        // Same day again: nothing new to say.
        let again = t.observe(vec![
            view(1, "a", "2026-01-01T00:00:00Z", day1),
            view(2, "b", "2026-02-01T00:00:00Z", day1),
        ]);
        assert_eq!(again, Update::default());

        // 20 days later b is due soon.
        let day2 = "2026-02-25T00:00:00Z";
        let later = t.observe(vec![
            view(1, "a", "2026-01-01T00:00:00Z", day2),
            view(2, "b", "2026-02-01T00:00:00Z", day2),
        ]);
        assert_eq!(later.count, Some(2));
        assert_eq!(
            later.worse,
            vec![DueItem {
                name: "b".into(),
                due: DueState::DueSoon
            }]
        );
    }

    #[test]
    fn locking_forgets_the_count_but_not_the_baseline() {
        let mut t = Tracker::default();
        let day1 = "2026-01-20T00:00:00Z";
        t.observe(vec![view(1, "a", "2026-01-01T00:00:00Z", day1)]);
        assert!(t.locked());
        assert_eq!(t.count(), None);
        // Overdue by the time it is unlocked again: announced.
        let u = t.observe(vec![view(
            1,
            "a",
            "2026-01-01T00:00:00Z",
            "2026-02-02T00:00:00Z",
        )]);
        assert_eq!(u.count, Some(1));
        assert_eq!(u.worse[0].due, DueState::Overdue);
    }
}
