//! The whole-vault commitment's side of the store: the canonical image of every row, the
//! images a transaction adds and removes, and the sealed commitment cell. The key that folds them is
//! the unlocked vault's (`Commit`); this module never sees one.

use rusqlite::OptionalExtension;

use super::Db;
use crate::error::{Error, Result};

/// Keeps the whole-vault commitment: a sum of a keyed tag of every row's image (ids, plaintext
/// columns and sealed blobs), sealed under the data key. A transaction adds the images of the
/// rows it inserts and the new images of those it changes, subtracts the old ones and those of
/// the rows it removes, and the commitment changes with it in the same commit; unlocking
/// recomputes it from every row. A row deleted, added back, duplicated or replaced by an older
/// copy no longer matches. Only the unlocked vault (which holds the key) implements it; this
/// layer never sees a key.
pub(crate) trait Commit {
    /// Folds one transaction's changes into the stored commitment.
    fn apply(&self, db: &Db<'_>, changes: &Changes) -> Result<()>;
    /// Checks every row against the stored commitment.
    fn verify(&self, db: &Db<'_>) -> Result<()>;
}

/// The row images one transaction added and removed (a changed row is both).
#[derive(Debug, Default)]
pub(crate) struct Changes {
    pub added: Vec<Vec<u8>>,
    pub removed: Vec<Vec<u8>>,
    /// The ids of the item rows it inserted, changed or deleted (for the listing).
    pub items: Vec<[u8; 16]>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }
}

/// The canonical image of a row: a table byte, then every field length-prefixed.
fn image(table: u8, fields: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + fields.iter().map(|f| 4 + f.len()).sum::<usize>());
    out.push(table);
    for f in fields {
        out.extend_from_slice(&(f.len() as u32).to_be_bytes());
        out.extend_from_slice(f);
    }
    out
}

pub(super) fn item_image(
    id: &[u8],
    kind: i64,
    name_tag: &[u8],
    meta: &[u8],
    secret: &[u8],
    rev: i64,
) -> Vec<u8> {
    image(
        1,
        &[
            id,
            &kind.to_be_bytes(),
            name_tag,
            meta,
            secret,
            &rev.to_be_bytes(),
        ],
    )
}

pub(super) fn version_image(id: &[u8], item: &[u8], seq: i64, sealed: &[u8]) -> Vec<u8> {
    image(2, &[id, item, &seq.to_be_bytes(), sealed])
}

pub(super) fn audit_image(seq: i64, id: &[u8], sealed: &[u8]) -> Vec<u8> {
    image(3, &[&seq.to_be_bytes(), id, sealed])
}

impl Db<'_> {
    pub(super) fn added(&self, image: Vec<u8>) {
        self.changes.borrow_mut().added.push(image);
    }

    pub(super) fn removed(&self, image: Vec<u8>) {
        self.changes.borrow_mut().removed.push(image);
    }

    /// Records the image of item `id` as stored (and of its previous values, when
    /// `with_versions`) as added or removed.
    pub(super) fn stored_item(
        &self,
        id: &[u8; 16],
        with_versions: bool,
        added: bool,
    ) -> Result<()> {
        let record = |image| {
            if added {
                self.added(image)
            } else {
                self.removed(image)
            }
        };
        let row = self
            .conn
            .prepare_cached("SELECT kind, name_tag, meta, secret, rev FROM items WHERE id = ?1")
            .and_then(|mut s| {
                s.query_row([&id[..]], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, Vec<u8>>(1)?,
                        r.get::<_, Vec<u8>>(2)?,
                        r.get::<_, Vec<u8>>(3)?,
                        r.get::<_, i64>(4)?,
                    ))
                })
                .optional()
            })
            .map_err(|e| self.err(e))?;
        if let Some((kind, tag, meta, secret, rev)) = row {
            record(item_image(id, kind, &tag, &meta, &secret, rev));
        }
        if with_versions {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT id, seq, sealed FROM item_versions WHERE item_id = ?1")
                .map_err(|e| self.err(e))?;
            let rows = stmt
                .query_map([&id[..]], |r| {
                    Ok((
                        r.get::<_, Vec<u8>>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, Vec<u8>>(2)?,
                    ))
                })
                .map_err(|e| self.err(e))?;
            for row in rows {
                let (vid, seq, sealed) = row.map_err(|e| self.err(e))?;
                record(version_image(&vid, id, seq, &sealed));
            }
        }
        Ok(())
    }

    /// The stored commitment (sealed), `None` in a vault migrated and not unlocked since.
    pub fn commitment(&self) -> Result<Option<Vec<u8>>> {
        self.conn
            .query_row(
                "SELECT commitment FROM vault WHERE singleton = 1",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    pub fn set_commitment(&self, sealed: &[u8]) -> Result<()> {
        self.conn
            .execute(
                "UPDATE vault SET commitment = ?1 WHERE singleton = 1",
                [sealed],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Forgets the changes recorded so far: for a transaction that recomputes the commitment
    /// whole.
    pub fn forget_changes(&self) {
        self.changes.take();
    }

    /// The image of every row the commitment covers. Each row's keys must be unique: the
    /// schema's constraints say so, and this read (which the commitment is computed from) checks
    /// it again, so a row that appears twice is refused here whatever the file's schema says,
    /// rather than counted twice.
    pub fn images(&self) -> Result<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        let mut ids = Unique::new(self, "items", "id");
        let mut tags = Unique::new(self, "items", "name tag");
        self.collect(
            "SELECT id, kind, name_tag, meta, secret, rev FROM items",
            &mut out,
            |r| {
                let id = r.get::<_, Vec<u8>>(0)?;
                let tag = r.get::<_, Vec<u8>>(2)?;
                let image = item_image(
                    &id,
                    r.get(1)?,
                    &tag,
                    &r.get::<_, Vec<u8>>(3)?,
                    &r.get::<_, Vec<u8>>(4)?,
                    r.get(5)?,
                );
                Ok((image, [Some(id), Some(tag)]))
            },
            [&mut ids, &mut tags],
        )?;
        let mut ids = Unique::new(self, "item_versions", "id");
        let mut none = Unique::new(self, "item_versions", "");
        self.collect(
            "SELECT id, item_id, seq, sealed FROM item_versions",
            &mut out,
            |r| {
                let id = r.get::<_, Vec<u8>>(0)?;
                let image = version_image(
                    &id,
                    &r.get::<_, Vec<u8>>(1)?,
                    r.get(2)?,
                    &r.get::<_, Vec<u8>>(3)?,
                );
                Ok((image, [Some(id), None]))
            },
            [&mut ids, &mut none],
        )?;
        let mut seqs = Unique::new(self, "audit", "sequence number");
        let mut ids = Unique::new(self, "audit", "id");
        self.collect(
            "SELECT seq, id, sealed FROM audit",
            &mut out,
            |r| {
                let seq: i64 = r.get(0)?;
                let id = r.get::<_, Vec<u8>>(1)?;
                let image = audit_image(seq, &id, &r.get::<_, Vec<u8>>(2)?);
                Ok((image, [Some(seq.to_be_bytes().to_vec()), Some(id)]))
            },
            [&mut seqs, &mut ids],
        )?;
        Ok(out)
    }

    /// Appends the image of every row `sql` selects, checking that its two keys are unique.
    fn collect(
        &self,
        sql: &str,
        out: &mut Vec<Vec<u8>>,
        image: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<(Vec<u8>, [Option<Vec<u8>>; 2])>,
        mut unique: [&mut Unique<'_>; 2],
    ) -> Result<()> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.err(e))?;
        let rows = stmt.query_map([], image).map_err(|e| self.err(e))?;
        for row in rows {
            let (image, keys) = row.map_err(|e| self.err(e))?;
            for (set, key) in unique.iter_mut().zip(keys) {
                if let Some(key) = key {
                    set.insert(key);
                }
            }
            out.push(image);
        }
        for set in unique {
            set.check()?;
        }
        Ok(())
    }
}

/// The keys of one column that must be unique. Checked by sorting once they are all read
/// (O(n log n) whatever the keys are: an attacker who chooses them cannot make it slow; about
/// 40 ms at 100,000 rows, a third of what hashing each one cost).
struct Unique<'a> {
    path: &'a std::path::Path,
    table: &'static str,
    column: &'static str,
    keys: Vec<Vec<u8>>,
}

impl<'a> Unique<'a> {
    fn new(db: &Db<'a>, table: &'static str, column: &'static str) -> Self {
        Unique {
            path: db.path,
            table,
            column,
            keys: Vec::new(),
        }
    }

    fn insert(&mut self, key: Vec<u8>) {
        self.keys.push(key);
    }

    /// Refuses a key seen twice.
    fn check(&mut self) -> Result<()> {
        let mut keys = std::mem::take(&mut self.keys);
        keys.sort_unstable();
        if keys.windows(2).all(|w| w[0] != w[1]) {
            return Ok(());
        }
        Err(Error::Altered {
            path: self.path.to_owned(),
            what: format!(
                "two rows of {} have the same {} (a row was duplicated)",
                self.table, self.column
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use std::cell::RefCell;
    use std::path::Path;

    use rusqlite::Connection;

    use super::super::{Db, MIGRATION_V2, MIGRATION_V3, SCHEMA_V1};
    use crate::error::Error;

    /// Whatever the schema lets in, the rows the commitment is computed from are checked for
    /// duplicates: a row counted twice is refused, not folded.
    #[test]
    fn a_duplicated_key_is_refused_even_without_the_schemas_constraints() {
        let plain = "CREATE TABLE items (id BLOB, kind INTEGER, name_tag BLOB, meta BLOB, \
                     secret BLOB, rev INTEGER); CREATE TABLE item_versions (id BLOB, item_id BLOB, \
                     seq INTEGER, sealed BLOB); CREATE TABLE audit (seq INTEGER, id BLOB, sealed BLOB);";
        let cases = [
            (
                "INSERT INTO items VALUES (x'01', 1, x'aa', x'', x'', 1), (x'01', 1, x'bb', x'', x'', 1);",
                "items have the same id",
            ),
            (
                "INSERT INTO items VALUES (x'01', 1, x'aa', x'', x'', 1), (x'02', 1, x'aa', x'', x'', 1);",
                "items have the same name tag",
            ),
            (
                "INSERT INTO item_versions VALUES (x'01', x'01', 1, x''), (x'01', x'01', 1, x'');",
                "item_versions have the same id",
            ),
            (
                "INSERT INTO audit VALUES (1, x'01', x''), (1, x'02', x'');",
                "audit have the same sequence number",
            ),
        ];
        for (rows, want) in cases {
            let conn = Connection::open_in_memory().unwrap();
            conn.execute_batch(plain).unwrap();
            conn.execute_batch(rows).unwrap();
            let db = Db {
                conn: &conn,
                path: Path::new("v.db"),
                changes: RefCell::default(),
            };
            match db.images() {
                Err(Error::Altered { what, .. }) => assert!(what.contains(want), "{what}"),
                other => panic!("{rows}: {:?}", other.map(|i| i.len())),
            }
        }
        // The real schema, with one row of each: no complaint.
        let conn = Connection::open_in_memory().unwrap();
        for s in [SCHEMA_V1, MIGRATION_V2, MIGRATION_V3] {
            conn.execute_batch(s).unwrap();
        }
        conn.execute_batch(
            "INSERT INTO items VALUES (x'01', 1, x'aa', x'', x'', 1);
             INSERT INTO item_versions VALUES (x'02', x'01', 1, x'');
             INSERT INTO audit (id, sealed) VALUES (x'03', x'');",
        )
        .unwrap();
        let db = Db {
            conn: &conn,
            path: Path::new("v.db"),
            changes: RefCell::default(),
        };
        assert_eq!(db.images().unwrap().len(), 3);
    }
}
