//! The agent's listing: every item's decrypted metadata, kept while the vault is unlocked, so
//! that listing and searching a large vault costs no decryption. It holds no values.
//!
//! After a change (by this process or another: SQLite's `data_version`), the listing compares
//! each row's revision with the one it holds and decrypts only the rows that changed, so one
//! write to a vault of 100,000 items costs one decryption instead of 100,000 (sync applies
//! hundreds of changes at once). A change to most of the vault (a `passwd`, an import of half
//! of it) reads everything again, in parallel.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::crypt::Crypt;
use crate::error::Result;
use crate::model::{ALLOWANCE_KIND_CODE, Item, PROVIDER_KIND_CODE, RECORD_KIND_CODE};
use crate::names::fold;
use crate::store::{Db, ItemRow};

type RowId = [u8; 16];

/// The state of the file the listing was last brought up to (see `Store::version_stamp`).
pub(super) type Stamp = (i64, u64);

#[derive(Debug)]
pub(super) struct Listing {
    stamp: Stamp,
    /// Sorted by folded name, then name (two names may fold alike).
    entries: Vec<Entry>,
    /// The revision each listed row was read at, and its place in the order (to find it again
    /// without a pass over all entries).
    revs: HashMap<[u8; 16], (i64, Arc<Item>)>,
    /// Names of the items added, changed or removed by the refreshes since the last
    /// [`Self::take_changed`] (a renamed item under both names).
    changed: Vec<String>,
}

#[derive(Debug)]
struct Entry {
    key: String,
    /// What a search looks in (name, env names, tags, service), folded.
    text: String,
    item: Arc<Item>,
}

impl Entry {
    fn of(item: Item) -> Entry {
        Entry {
            key: fold(item.meta.name()),
            text: item.meta.search_text(),
            item: Arc::new(item),
        }
    }

    fn order(&self) -> (&str, &str) {
        (&self.key, self.item.meta.name())
    }
}

/// Where an item goes in the listing.
fn order_of(item: &Item) -> (String, &str) {
    (fold(item.meta.name()), item.meta.name())
}

/// Rows of these kinds are the vault's own (providers, allowances, records), never listed.
fn listed(kind: i64) -> bool {
    kind != PROVIDER_KIND_CODE && kind != ALLOWANCE_KIND_CODE && kind != RECORD_KIND_CODE
}

impl Listing {
    /// Decrypts every item's metadata, on all cores: the one place a large vault is read whole.
    pub(super) fn fill(crypt: &Crypt<'_>, db: &Db<'_>, stamp: Stamp) -> Result<Listing> {
        use rayon::prelude::*;
        let rows = db.items()?;
        let mut entries = rows
            .par_iter()
            .filter(|row| listed(row.kind))
            .map(|row| Ok(Entry::of(crypt.item(row)?)))
            .collect::<Result<Vec<_>>>()?;
        entries.par_sort_unstable_by(|a, b| a.order().cmp(&b.order()));
        let rev_of: HashMap<[u8; 16], i64> = rows.iter().map(|row| (row.id, row.rev)).collect();
        let revs = entries
            .iter()
            .map(|e| {
                let rev = rev_of.get(&e.item.id.0).copied().unwrap_or_default();
                (e.item.id.0, (rev, Arc::clone(&e.item)))
            })
            .collect();
        Ok(Listing {
            stamp,
            entries,
            revs,
            changed: Vec::new(),
        })
    }

    /// The names changed since the last call, sorted, once each.
    pub(super) fn take_changed(&mut self) -> Vec<String> {
        let mut names = std::mem::take(&mut self.changed);
        names.sort_unstable();
        names.dedup();
        names
    }

    pub(super) fn stamp(&self) -> Stamp {
        self.stamp
    }

    /// Brings the listing up to the file's state `stamp`. `touched` is what this connection
    /// wrote since the last call (`Store::take_touched`): when no other process committed, only
    /// those rows are read again; otherwise every row's revision is compared with the one held,
    /// and only the rows that differ are decrypted, unless most of the vault changed.
    pub(super) fn refresh(
        &mut self,
        crypt: &Crypt<'_>,
        db: &Db<'_>,
        stamp: Stamp,
        touched: Option<Vec<[u8; 16]>>,
    ) -> Result<()> {
        let (changed, removed) = match touched {
            Some(mut ids) if stamp.0 == self.stamp.0 => {
                ids.sort_unstable();
                ids.dedup();
                (ids, Vec::new())
            }
            _ => self.compare(db)?,
        };
        // Their names as they were (an item deleted or renamed goes by its old one)...
        for id in changed.iter().chain(&removed) {
            if let Some((_, item)) = self.revs.get(id) {
                self.changed.push(item.meta.name().to_owned());
            }
        }
        if changed.len() + removed.len() > self.entries.len() / 4 + 64 {
            let mut fresh = Listing::fill(crypt, db, stamp)?;
            // ...and as they are now.
            for id in &changed {
                if let Some((_, item)) = fresh.revs.get(id) {
                    self.changed.push(item.meta.name().to_owned());
                }
            }
            fresh.changed = std::mem::take(&mut self.changed);
            *self = fresh;
            return Ok(());
        }
        let mut fresh = Vec::with_capacity(changed.len());
        let mut dropped: HashSet<[u8; 16]> = removed.into_iter().collect();
        for id in changed {
            dropped.insert(id);
            // Gone (deleted since, by this process or another) or never listed: dropped.
            if let Some(row) = db.item_by_id(&id)?
                && listed(row.kind)
            {
                fresh.push(row);
            }
        }
        let fresh = fresh
            .iter()
            .map(|row: &ItemRow| Ok((row.id, row.rev, Entry::of(crypt.item(row)?))))
            .collect::<Result<Vec<_>>>()?;
        for id in &dropped {
            let Some((_, item)) = self.revs.remove(id) else {
                continue;
            };
            let (key, name) = order_of(&item);
            let at = self
                .entries
                .partition_point(|e| e.order() < (key.as_str(), name));
            if self.entries.get(at).is_some_and(|e| e.item.id == item.id) {
                self.entries.remove(at);
            } else {
                // Not where its name puts it: the order was broken somewhere; find it anyway.
                self.entries.retain(|e| e.item.id != item.id);
            }
        }
        for (id, rev, entry) in fresh {
            self.changed.push(entry.item.meta.name().to_owned());
            let at = self.entries.partition_point(|e| e.order() < entry.order());
            self.revs.insert(id, (rev, Arc::clone(&entry.item)));
            self.entries.insert(at, entry);
        }
        self.stamp = stamp;
        Ok(())
    }

    /// The rows whose revision differs from the one held or that are new, and the rows held
    /// that are gone: after another process wrote.
    fn compare(&self, db: &Db<'_>) -> Result<(Vec<RowId>, Vec<RowId>)> {
        let rows = db.item_revisions()?;
        let mut changed = Vec::new();
        let mut still_there = 0usize;
        for &(id, kind, rev) in &rows {
            if !listed(kind) {
                continue;
            }
            match self.revs.get(&id) {
                Some(&(held, _)) => {
                    still_there += 1;
                    if held != rev {
                        changed.push(id);
                    }
                }
                None => changed.push(id),
            }
        }
        // Most rows stay: the set of ids is built only when some row went away.
        if still_there == self.revs.len() {
            return Ok((changed, Vec::new()));
        }
        let live: HashSet<[u8; 16]> = rows
            .iter()
            .filter(|(_, kind, _)| listed(*kind))
            .map(|(id, _, _)| *id)
            .collect();
        let removed = self
            .revs
            .keys()
            .filter(|id| !live.contains(*id))
            .copied()
            .collect();
        Ok((changed, removed))
    }

    /// Items whose name, env names, tags or service contain `query` (folded) and that carry
    /// `tag`, in order.
    pub(super) fn search(&self, query: Option<&str>, tag: Option<&str>) -> Vec<Arc<Item>> {
        let needle = query.map(fold);
        self.entries
            .iter()
            .filter(|e| needle.as_deref().is_none_or(|n| e.text.contains(n)))
            .filter(|e| tag.is_none_or(|t| e.item.meta.tags().iter().any(|x| x == t)))
            .map(|e| Arc::clone(&e.item))
            .collect()
    }
}
