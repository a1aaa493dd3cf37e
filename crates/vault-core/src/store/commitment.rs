//! The whole-vault commitment's side of the store: the canonical image of every row, the
//! images a transaction toggles, and the sealed commitment cell. The key that folds them is
//! the unlocked vault's (`Commit`); this module never sees one.

use rusqlite::OptionalExtension;

use super::Db;
use crate::error::Result;

/// Keeps the whole-vault commitment: an XOR of a keyed tag of every row's image (ids, plaintext
/// columns and sealed blobs), sealed under the data key. A transaction toggles the images of
/// the rows it adds, changes (old and new) and removes, and the commitment changes with it in
/// the same commit; unlocking recomputes it from every row. A row deleted, added back or
/// replaced by an older copy no longer matches. Only the unlocked vault (which holds the key)
/// implements it; this layer never sees a key.
pub(crate) trait Commit {
    fn apply(&self, db: &Db<'_>, toggled: &[Vec<u8>]) -> Result<()>;
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
    pub(super) fn toggle(&self, image: Vec<u8>) {
        self.toggled.borrow_mut().push(image);
    }

    /// The image of item `id` as stored, and of its previous values (when `with_versions`).
    pub(super) fn toggle_stored_item(&self, id: &[u8; 16], with_versions: bool) -> Result<()> {
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
            self.toggle(item_image(id, kind, &tag, &meta, &secret, rev));
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
                self.toggle(version_image(&vid, id, seq, &sealed));
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

    /// Forgets the rows toggled so far: for a transaction that recomputes the commitment whole.
    pub fn forget_toggled(&self) {
        self.toggled.borrow_mut().clear();
    }

    /// The image of every row the commitment covers.
    pub fn images(&self) -> Result<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        self.collect(
            "SELECT id, kind, name_tag, meta, secret, rev FROM items",
            &mut out,
            |r| {
                Ok(item_image(
                    &r.get::<_, Vec<u8>>(0)?,
                    r.get(1)?,
                    &r.get::<_, Vec<u8>>(2)?,
                    &r.get::<_, Vec<u8>>(3)?,
                    &r.get::<_, Vec<u8>>(4)?,
                    r.get(5)?,
                ))
            },
        )?;
        self.collect(
            "SELECT id, item_id, seq, sealed FROM item_versions",
            &mut out,
            |r| {
                Ok(version_image(
                    &r.get::<_, Vec<u8>>(0)?,
                    &r.get::<_, Vec<u8>>(1)?,
                    r.get(2)?,
                    &r.get::<_, Vec<u8>>(3)?,
                ))
            },
        )?;
        self.collect("SELECT seq, id, sealed FROM audit", &mut out, |r| {
            Ok(audit_image(
                r.get(0)?,
                &r.get::<_, Vec<u8>>(1)?,
                &r.get::<_, Vec<u8>>(2)?,
            ))
        })?;
        Ok(out)
    }

    /// Appends the image of every row `sql` selects.
    fn collect(
        &self,
        sql: &str,
        out: &mut Vec<Vec<u8>>,
        image: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<Vec<u8>>,
    ) -> Result<()> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.err(e))?;
        let rows = stmt.query_map([], image).map_err(|e| self.err(e))?;
        for row in rows {
            out.push(row.map_err(|e| self.err(e))?);
        }
        Ok(())
    }
}
