//! Row access: the items table (API keys, grants, provider configurations, allowances), each
//! item's previous values and the audit log. Every write records the images it adds and
//! removes, for the commitment (`commitment`).

use rusqlite::{OptionalExtension, params};

use super::commitment::{audit_image, item_image, version_image};
use super::{Db, ItemRow, Sealed};
use crate::error::Result;

impl Db<'_> {
    pub fn items(&self) -> Result<Vec<ItemRow>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, kind, name_tag, meta, rev FROM items")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, kind, name_tag, meta, rev) = row.map_err(|e| self.err(e))?;
            out.push(ItemRow {
                id: self.row_id(id)?,
                kind,
                name_tag,
                meta,
                rev,
            });
        }
        Ok(out)
    }

    /// Every item row's id, kind and revision, without the sealed cells: what the listing
    /// compares with what it holds (`vault/listing.rs`).
    pub fn item_revisions(&self) -> Result<Vec<([u8; 16], i64, i64)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, kind, rev FROM items")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get(1)?, r.get(2)?)))
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, kind, rev) = row.map_err(|e| self.err(e))?;
            out.push((self.row_id(id)?, kind, rev));
        }
        Ok(out)
    }

    pub fn item_by_id(&self, id: &[u8; 16]) -> Result<Option<ItemRow>> {
        let row = self
            .conn
            .prepare_cached("SELECT kind, name_tag, meta, rev FROM items WHERE id = ?1")
            .and_then(|mut s| {
                s.query_row([&id[..]], |r| {
                    Ok(ItemRow {
                        id: *id,
                        kind: r.get(0)?,
                        name_tag: r.get(1)?,
                        meta: r.get(2)?,
                        rev: r.get(3)?,
                    })
                })
                .optional()
            })
            .map_err(|e| self.err(e))?;
        Ok(row)
    }

    pub fn item_by_tag(&self, tag: &[u8]) -> Result<Option<ItemRow>> {
        let row = self
            .conn
            .prepare_cached("SELECT id, kind, name_tag, meta, rev FROM items WHERE name_tag = ?1")
            .and_then(|mut s| {
                s.query_row([tag], |r| {
                    Ok((
                        r.get::<_, Vec<u8>>(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                    ))
                })
                .optional()
            })
            .map_err(|e| self.err(e))?;
        match row {
            Some((id, kind, name_tag, meta, rev)) => Ok(Some(ItemRow {
                id: self.row_id(id)?,
                kind,
                name_tag,
                meta,
                rev,
            })),
            None => Ok(None),
        }
    }

    pub fn secret(&self, id: &[u8; 16]) -> Result<Sealed> {
        self.conn
            .prepare_cached("SELECT rev, secret FROM items WHERE id = ?1")
            .and_then(|mut s| {
                s.query_row([&id[..]], |r| {
                    Ok(Sealed {
                        rev: r.get(0)?,
                        blob: r.get(1)?,
                    })
                })
            })
            .map_err(|e| self.err(e))
    }

    pub fn insert_item(&self, row: &ItemRow, secret: &[u8]) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO items (id, kind, name_tag, meta, secret, rev)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    &row.id[..],
                    row.kind,
                    row.name_tag,
                    row.meta,
                    secret,
                    row.rev
                ])
            })
            .map_err(|e| self.err(e))?;
        self.changes.borrow_mut().items.push(row.id);
        self.added(item_image(
            &row.id,
            row.kind,
            &row.name_tag,
            &row.meta,
            secret,
            row.rev,
        ));
        Ok(())
    }

    /// Replaces an item's name tag, metadata and secret, sealed at `row.rev`, which must be the
    /// stored revision + 1 (both cells are always written together: a cell's revision is in
    /// its associated data).
    pub fn update_item(&self, row: &ItemRow, secret: &[u8]) -> Result<()> {
        self.stored_item(&row.id, false, false)?;
        self.changes.borrow_mut().items.push(row.id);
        let changed = self
            .conn
            .execute(
                "UPDATE items SET name_tag = ?2, meta = ?3, secret = ?4, rev = ?5
                 WHERE id = ?1 AND rev = ?5 - 1",
                params![&row.id[..], row.name_tag, row.meta, secret, row.rev],
            )
            .map_err(|e| self.err(e))?;
        if changed != 1 {
            return Err(self.corrupt("an item disappeared or changed during an update"));
        }
        self.stored_item(&row.id, false, true)
    }

    pub fn delete_item(&self, id: &[u8; 16]) -> Result<()> {
        // Its previous values go with it (ON DELETE CASCADE).
        self.stored_item(id, true, false)?;
        self.changes.borrow_mut().items.push(*id);
        self.conn
            .execute("DELETE FROM items WHERE id = ?1", [&id[..]])
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// `(version id, sealed)` of an item's previous values, oldest first.
    pub fn versions(&self, item: &[u8; 16]) -> Result<Vec<([u8; 16], Vec<u8>)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, sealed FROM item_versions WHERE item_id = ?1 ORDER BY seq")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([&item[..]], |r| {
                Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, sealed) = row.map_err(|e| self.err(e))?;
            out.push((self.row_id(id)?, sealed));
        }
        Ok(out)
    }

    pub fn insert_version(
        &self,
        id: &[u8; 16],
        item: &[u8; 16],
        seq: u32,
        sealed: &[u8],
    ) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO item_versions (id, item_id, seq, sealed) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| s.execute(params![&id[..], &item[..], seq, sealed]))
            .map_err(|e| self.err(e))?;
        self.added(version_image(id, item, i64::from(seq), sealed));
        Ok(())
    }

    /// Re-seals a previous value (a new data key). The commitment is then recomputed whole.
    pub fn update_version(&self, id: &[u8; 16], sealed: &[u8]) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE item_versions SET sealed = ?2 WHERE id = ?1")
            .and_then(|mut s| s.execute(params![&id[..], sealed]))
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// `(entry id, sealed)` of the newest `limit` audit entries, newest first.
    pub fn audit(&self, limit: usize) -> Result<Vec<([u8; 16], Vec<u8>)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, sealed FROM audit ORDER BY seq DESC LIMIT ?1")
            .map_err(|e| self.err(e))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map([limit], |r| {
                Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, sealed) = row.map_err(|e| self.err(e))?;
            out.push((self.row_id(id)?, sealed));
        }
        Ok(out)
    }

    pub fn insert_audit(&self, id: &[u8; 16], sealed: &[u8]) -> Result<()> {
        self.conn
            .prepare_cached("INSERT INTO audit (id, sealed) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute(params![&id[..], sealed]))
            .map_err(|e| self.err(e))?;
        self.added(audit_image(self.conn.last_insert_rowid(), id, sealed));
        Ok(())
    }

    /// Re-seals an audit entry (a new data key). The commitment is then recomputed whole.
    pub fn update_audit(&self, id: &[u8; 16], sealed: &[u8]) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE audit SET sealed = ?2 WHERE id = ?1")
            .and_then(|mut s| s.execute(params![&id[..], sealed]))
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    fn row_id(&self, raw: Vec<u8>) -> Result<[u8; 16]> {
        raw.try_into().map_err(|_| self.corrupt("invalid row id"))
    }
}
