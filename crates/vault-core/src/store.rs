//! The SQLite file: creation, opening, migrations and row access.
//!
//! This layer moves opaque sealed blobs; it never sees a key or a plaintext. Plaintext columns
//! hold only ids, kinds, keyed name tags and KDF parameters.
//!
//! The header row carries a checksum of itself (format 2): without it, a flipped salt or KDF
//! parameter would surface as "wrong master password", sending the user hunting for a password
//! they never forgot. The checksum is unkeyed (it must be checked before any password is
//! known), so it catches damage and naive edits; a deliberate edit that recomputes it can only
//! make the vault refuse the right password, never open to other data.
//!
//! `header` holds that row, `rows` the other tables' rows, `commitment` the rows' images for
//! the whole-vault commitment, `schema` the check that the file's schema is exactly this
//! build's, and `file` the checks on the file itself.

use std::cell::{Cell, RefCell};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use crate::crypto::random_array;
use crate::error::{Error, Result};
use crate::platform::{self, FileId};

mod commitment;
mod file;
mod header;
mod rows;
mod schema;

pub(crate) use commitment::{Changes, Commit};
use file::{check_magic, file_id};
pub(crate) use header::Header;
use header::insert_header;

/// `PRAGMA application_id`: "VALT". Tells a vault apart from any other SQLite file.
const APPLICATION_ID: i64 = 0x5641_4C54;
/// The format this build writes (`PRAGMA user_version`). Format 4 changed how the commitment
/// is computed (a sum, which a duplicated row cannot cancel, instead of an XOR), not the tables;
/// a format-3 file is brought to it at its first unlock, which needs the key. Format 5 items may
/// carry named fields in their sealed metadata, which a format-4 build would drop when it
/// rewrote one: it refuses the file instead. Format 6 items may keep secret fields in their
/// secret cell (see `vault::bundle`), which a format-5 build would take for part of the value.
/// A format-4 or 5 file is marked 6 at its first unlock.
pub const FORMAT_VERSION: i64 = 6;
/// The last format that changed the tables: [`Store::open`] migrates up to it.
const SCHEMA_FORMAT: i64 = 3;
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

const SCHEMA_V1: &str = "
CREATE TABLE vault (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    vault_id BLOB NOT NULL,
    kdf TEXT NOT NULL,
    kdf_memory_kib INTEGER NOT NULL,
    kdf_iterations INTEGER NOT NULL,
    kdf_parallelism INTEGER NOT NULL,
    salt BLOB NOT NULL,
    key_check BLOB NOT NULL,
    wrapped_key BLOB NOT NULL
);
CREATE TABLE items (
    id BLOB PRIMARY KEY,
    kind INTEGER NOT NULL,
    name_tag BLOB NOT NULL UNIQUE,
    meta BLOB NOT NULL,
    secret BLOB NOT NULL
);
CREATE TABLE item_versions (
    id BLOB PRIMARY KEY,
    item_id BLOB NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    sealed BLOB NOT NULL
);
CREATE INDEX item_versions_by_item ON item_versions(item_id, seq);
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id BLOB NOT NULL UNIQUE,
    sealed BLOB NOT NULL
);
";

/// Format 2: a checksum of the header row (see the module docs). NULL only between the column
/// being added and the migration filling it, inside one transaction.
const MIGRATION_V2: &str = "ALTER TABLE vault ADD COLUMN header_digest BLOB;";

/// Format 3: the whole-vault commitment, sealed under the data key (see `Commit`). NULL only in
/// a vault migrated from format 2 and not unlocked since: its first unlock computes it.
/// Also each item row's revision (+1 on every write of the row), bound into its cells'
/// associated data: 0 for cells sealed before format 3.
const MIGRATION_V3: &str = "ALTER TABLE vault ADD COLUMN commitment BLOB;
    ALTER TABLE items ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;";

/// The associated data of an item row's cells: the row id and, from format 3, its revision
/// (revision 0 is a cell sealed before, with the id alone). An older copy of a cell does not
/// open at a later revision, and one cell cannot be rolled back without the other.
pub(crate) fn cell_aad(id: &[u8; 16], rev: i64) -> Vec<u8> {
    let mut out = id.to_vec();
    if rev != 0 {
        out.extend_from_slice(&rev.to_be_bytes());
    }
    out
}

/// A row of `items`.
#[derive(Clone)]
pub(crate) struct ItemRow {
    pub id: [u8; 16],
    pub kind: i64,
    pub name_tag: Vec<u8>,
    pub meta: Vec<u8>,
    /// The revision `meta` (and the secret written with it) was sealed at.
    pub rev: i64,
}

/// An item's secret cell, with the revision it was read at (in the same statement).
pub(crate) struct Sealed {
    pub rev: i64,
    pub blob: Vec<u8>,
}

/// Past this many item rows written since the listing last looked, it compares every row's
/// revision instead (`Store::take_touched`).
const MAX_TOUCHED: usize = 4096;

pub(crate) struct Store {
    conn: Connection,
    path: PathBuf,
    /// Device and inode of the file opened, to notice it being replaced under a long-lived
    /// process (a backup restored with `mv`): writes would otherwise go to the unlinked file.
    file_id: FileId,
    /// Transactions this connection committed (SQLite's `data_version` counts only others').
    writes: u64,
    /// The item rows this connection's commits touched since [`Self::take_touched`] last
    /// took them; `None` once there are too many to be worth listing one by one.
    touched: RefCell<Option<Vec<[u8; 16]>>>,
    /// The checksum of the header this connection's key was unwrapped from. A write finding
    /// another header (the password was changed, and the data key with it, by another process)
    /// is refused: it would seal rows under a key the file no longer holds.
    unlocked_header: Option<[u8; 32]>,
    /// The `data_version` at which every row was last checked against the commitment: a
    /// read or a write finding another means someone else committed, and checks again.
    verified: Cell<Option<i64>>,
    /// A write that erased sealed rows committed, but the WAL still holds their old copies
    /// (another connection was reading): the next use retries the truncation.
    erase_pending: Cell<bool>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Creates a vault file atomically: it is built under a temporary name beside the target and
    /// linked into place only when complete, so a crash never leaves a half-made vault.
    pub fn create(path: &Path, header: &Header) -> Result<Store> {
        if path.exists() {
            return Err(Error::VaultExists {
                path: path.to_owned(),
            });
        }
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
            _ => PathBuf::from("."),
        };
        if !dir.exists() {
            platform::create_private_dir_all(&dir)
                .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
        }
        // A WAL or shared-memory file beside a path with no database is what a deleted vault
        // left (its agent may still hold it open): SQLite would replay its pages into the new
        // file, which would then be the old vault's header over new rows.
        for companion in ["-wal", "-shm", "-journal"] {
            let mut p = path.as_os_str().to_owned();
            p.push(companion);
            match fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(Error::io(
                        format!("cannot remove {}", Path::new(&p).display()),
                        e,
                    ));
                }
            }
        }
        let suffix: [u8; 8] = random_array()?;
        let tmp = dir.join(format!(
            ".{}.{}.tmp",
            path.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default(),
            suffix
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        ));
        let result = Self::build(&tmp, header).and_then(|()| {
            // hard_link fails if the target exists: no check-then-act race with another init.
            fs::hard_link(&tmp, path).map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => Error::VaultExists {
                    path: path.to_owned(),
                },
                _ => Error::io(format!("cannot create {}", path.display()), e),
            })
        });
        let _ = fs::remove_file(&tmp);
        result?;
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        Store::open(path)
    }

    fn build(tmp: &Path, header: &Header) -> Result<()> {
        let io = |e| Error::io(format!("cannot create {}", tmp.display()), e);
        // Created 0600 before SQLite sees it; SQLite gives its -wal and -shm the same mode.
        platform::create_private_file(tmp).map_err(io)?;
        let mut conn = Connection::open_with_flags(tmp, OpenFlags::SQLITE_OPEN_READ_WRITE)
            .map_err(|e| db_error(tmp, e))?;
        let db = |e| db_error(tmp, e);
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db)?;
        let tx = conn.transaction().map_err(db)?;
        tx.execute_batch(SCHEMA_V1).map_err(db)?;
        tx.execute_batch(MIGRATION_V2).map_err(db)?;
        tx.execute_batch(MIGRATION_V3).map_err(db)?;
        insert_header(&tx, header).map_err(db)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(db)?;
        tx.pragma_update(None, "user_version", FORMAT_VERSION)
            .map_err(db)?;
        if let Some(m) = schema::check(&tx, FORMAT_VERSION).map_err(db)? {
            return Err(Error::invalid(format!(
                "this build's own schema does not check: {m}"
            )));
        }
        tx.commit().map_err(db)?;
        conn.close().map_err(|(_, e)| db_error(tmp, e))?;
        File::open(tmp).and_then(|f| f.sync_all()).map_err(io)?;
        Ok(())
    }

    /// Opens an existing vault, refusing anything that is not one before writing a byte.
    pub fn open(path: &Path) -> Result<Store> {
        check_magic(path)?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| db_error(path, e))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| db_error(path, e))?;
        let store = Store {
            conn,
            path: path.to_owned(),
            file_id: file_id(path)?,
            writes: 0,
            touched: RefCell::new(Some(Vec::new())),
            unlocked_header: None,
            verified: Cell::new(None),
            erase_pending: Cell::new(false),
        };
        let app_id: i64 = store.pragma("application_id")?;
        if app_id != APPLICATION_ID {
            return Err(Error::NotAVault {
                path: path.to_owned(),
                reason: "an SQLite database, but not a vault".into(),
            });
        }
        store.check_format()?;
        // Before anything runs against the file: a trigger would fire inside our first write.
        store.check_schema(store.pragma("user_version")?)?;
        let db = |e| db_error(path, e);
        store
            .conn
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(db)?;
        store
            .conn
            .pragma_update(None, "synchronous", "FULL")
            .map_err(db)?;
        store
            .conn
            .pragma_update(None, "foreign_keys", "ON")
            .map_err(db)?;
        // Freed cells and pages are zero-filled: without it a deleted row's sealed blobs stay
        // in free space, and put back, they open under the same key.
        store
            .conn
            .pragma_update(None, "secure_delete", "ON")
            .map_err(db)?;
        let mut store = store;
        store.migrate()?;
        Ok(store)
    }

    /// Brings an older format's tables up to [`SCHEMA_FORMAT`], each step in its own
    /// transaction that re-reads the version, so two processes opening the same old file
    /// migrate it once. The step to format 4 needs the key: [`Self::set_format`], at unlock.
    fn migrate(&mut self) -> Result<()> {
        if self.pragma("user_version")? >= SCHEMA_FORMAT {
            return Ok(());
        }
        let path = self.path.clone();
        let db = |e| db_error(&path, e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let version: i64 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(db)?;
        if version == 1 {
            tx.execute_batch(MIGRATION_V2).map_err(db)?;
            // A format-1 header is trusted as it stands, as format 1 trusted it.
            let header = Db {
                conn: &tx,
                path: &path,
                changes: RefCell::default(),
            }
            .header_unchecked()?
            .0;
            tx.execute(
                "UPDATE vault SET header_digest = ?1 WHERE singleton = 1",
                [&header.digest()[..]],
            )
            .map_err(db)?;
            tx.pragma_update(None, "user_version", 2).map_err(db)?;
        }
        if version <= 2 {
            tx.execute_batch(MIGRATION_V3).map_err(db)?;
            tx.pragma_update(None, "user_version", 3).map_err(db)?;
        }
        tx.commit().map_err(db)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's format (`PRAGMA user_version`).
    pub fn format(&self) -> Result<i64> {
        self.pragma("user_version")
    }

    /// Refuses a schema other than the one of `format` (see `schema`).
    fn check_schema(&self, format: i64) -> Result<()> {
        self.db().check_schema(format)
    }

    /// Refuses a format this build does not know (newer, or missing).
    fn check_format(&self) -> Result<()> {
        let version: i64 = self.pragma("user_version")?;
        if version > FORMAT_VERSION {
            return Err(Error::NewerFormat {
                path: self.path.clone(),
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        if version < 1 {
            return Err(Error::Corrupt {
                path: self.path.clone(),
                reason: "format version missing".into(),
            });
        }
        Ok(())
    }

    /// For a vault kept open for a long time: is the file at our path still the one we opened,
    /// in a format we know? `Ok(false)` when it was replaced or removed.
    pub fn is_current(&self) -> Result<bool> {
        match file_id(&self.path) {
            Ok(id) if id == self.file_id => {}
            Ok(_) | Err(Error::NoVault { .. }) => return Ok(false),
            Err(e) => return Err(e),
        }
        self.check_format()?;
        Self::header_unchanged(self.unlocked_header, &self.db())
    }

    /// Ties this connection's writes to `header` (see `unlocked_header`).
    pub fn expect_header(&mut self, header: &Header) {
        self.unlocked_header = Some(header.digest());
    }

    /// Whether the header in the file is still the one this connection's key came from.
    fn header_unchanged(unlocked: Option<[u8; 32]>, db: &Db<'_>) -> Result<bool> {
        let Some(expected) = unlocked else {
            return Ok(true);
        };
        let stored: Option<Vec<u8>> = db
            .conn
            .prepare_cached("SELECT header_digest FROM vault WHERE singleton = 1")
            .and_then(|mut st| st.query_row([], |r| r.get(0)).optional())
            .map_err(|e| db.err(e))?
            .flatten();
        Ok(stored.is_some_and(|d| d == expected))
    }

    fn pragma(&self, name: &str) -> Result<i64> {
        // Cached: the agent reads `data_version` and `user_version` on every request.
        self.conn
            .prepare_cached(&format!("PRAGMA {name}"))
            .and_then(|mut st| st.query_row([], |r| r.get(0)))
            .map_err(|e| db_error(&self.path, e))
    }

    /// A read transaction until the guard is dropped: the reads through [`Self::db`] meanwhile
    /// see one state of the file, and SQLite takes its locks once instead of for each statement.
    /// Ended by a rollback (nothing is written through `&self`).
    pub(crate) fn begin_read(&self) -> Result<rusqlite::Transaction<'_>> {
        self.conn
            .unchecked_transaction()
            .map_err(|e| db_error(&self.path, e))
    }

    /// Read access outside a transaction (each statement sees the latest commit).
    pub fn db(&self) -> Db<'_> {
        Db {
            conn: &self.conn,
            path: &self.path,
            changes: RefCell::default(),
        }
    }

    /// Whether every row was checked against the commitment since anyone else committed.
    pub fn is_verified(&self) -> Result<bool> {
        Ok(self.verified.get() == Some(self.data_version()?))
    }

    /// Checks the schema and every row against the commitment, in one read transaction (a
    /// consistent snapshot, whatever another writer commits meanwhile), and remembers which
    /// state of the file was checked.
    pub fn verify(&self, commit: &dyn Commit) -> Result<()> {
        let version = self.data_version()?;
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(|e| db_error(&self.path, e))?;
        let db = Db {
            conn: &tx,
            path: &self.path,
            changes: RefCell::default(),
        };
        db.check_schema(FORMAT_VERSION)?;
        commit.verify(&db)?;
        drop(db);
        tx.commit().map_err(|e| db_error(&self.path, e))?;
        // `version` was read before the snapshot: a commit in between makes the next use
        // check again, never the other way round.
        self.verified.set(Some(version));
        Ok(())
    }

    /// Runs `f` in one write transaction, taken up front so concurrent writers queue (up to the
    /// busy timeout) instead of failing half-way, and folds its rows into the commitment. Either
    /// all of `f` lands, commitment included, or none of it.
    ///
    /// What `f` reads is checked first, inside the transaction (where no one else can change
    /// it): the schema, and every row against the commitment when another connection has
    /// committed since the last check. A write never builds on rows it has not checked.
    pub fn write<T>(
        &mut self,
        commit: &dyn Commit,
        f: impl FnOnce(&Db<'_>) -> Result<T>,
    ) -> Result<T> {
        self.transact(Some(commit), f)
    }

    /// Like [`Self::write`], for a transaction that computes the commitment whole itself (a new
    /// vault, a new data key, a format step): nothing is folded, and the rows are not checked
    /// against the stored commitment unless `f` does so.
    pub fn write_whole<T>(&mut self, f: impl FnOnce(&Db<'_>) -> Result<T>) -> Result<T> {
        self.transact(None, f)
    }

    fn transact<T>(
        &mut self,
        commit: Option<&dyn Commit>,
        f: impl FnOnce(&Db<'_>) -> Result<T>,
    ) -> Result<T> {
        let path = self.path.clone();
        let unlocked = self.unlocked_header;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| db_error(&path, e))?;
        let db = Db {
            conn: &tx,
            path: &path,
            changes: RefCell::default(),
        };
        if !Self::header_unchanged(unlocked, &db)? {
            return Err(Error::KeyChanged { path });
        }
        let format: i64 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| db.err(e))?;
        db.check_schema(format)?;
        // Read under the write lock: no one else can commit until this transaction ends.
        let version: i64 = tx
            .pragma_query_value(None, "data_version", |r| r.get(0))
            .map_err(|e| db.err(e))?;
        if let Some(commit) = commit
            && self.verified.get() != Some(version)
        {
            commit.verify(&db)?;
        }
        let value = f(&db)?;
        let changes = db.changes.take();
        if let Some(commit) = commit {
            commit.apply(&db, &changes)?;
        }
        drop(db);
        tx.commit().map_err(|e| db_error(&path, e))?;
        self.writes += 1;
        let mut touched = self.touched.borrow_mut();
        if let Some(ids) = touched.as_mut() {
            ids.extend_from_slice(&changes.items);
            if ids.len() > MAX_TOUCHED {
                *touched = None;
            }
        }
        drop(touched);
        // This connection's own commit leaves its data_version as it was.
        self.verified.set(Some(version));
        Ok(value)
    }

    /// Like [`Self::write`], for a transaction that deletes or replaces sealed rows: once it
    /// commits, the WAL (which still holds the rows as they were) is copied into the main file,
    /// where `secure_delete` has zeroed them, and truncated to nothing. The change is made
    /// either way: when the WAL cannot be truncated yet (another process holds a read
    /// snapshot), [`Self::erased`] says so and [`Self::retry_erase`] tries again.
    pub fn write_erasing<T>(
        &mut self,
        commit: &dyn Commit,
        f: impl FnOnce(&Db<'_>) -> Result<T>,
    ) -> Result<T> {
        let value = self.write(commit, f)?;
        self.erase_after_commit();
        Ok(value)
    }

    /// [`Self::write_whole`] followed by the truncation of [`Self::write_erasing`].
    pub fn write_whole_erasing<T>(&mut self, f: impl FnOnce(&Db<'_>) -> Result<T>) -> Result<T> {
        let value = self.write_whole(f)?;
        self.erase_after_commit();
        Ok(value)
    }

    /// After a commit, an error is not an answer: the change is in. A truncation that cannot
    /// finish is left pending.
    fn erase_after_commit(&self) {
        let done = matches!(self.truncate_wal(BUSY_TIMEOUT), Ok(true));
        self.erase_pending.set(!done);
    }

    /// Whether the erasing writes so far are erased from the files too.
    pub fn erased(&self) -> Erased {
        if self.erase_pending.get() {
            Erased::Pending
        } else {
            Erased::Done
        }
    }

    /// Finishes an erasure an earlier process could not (a reader held the WAL), if no one
    /// reads now; never waits. For a vault just unlocked: a locked open writes nothing.
    pub fn finish_others_erasure(&self) {
        if file::wal_has_frames(&self.path) {
            self.erase_pending.set(true);
            let _ = self.retry_erase();
        }
    }

    /// Retries a truncation left pending, without waiting for a reader: `Erased::Done` once
    /// the WAL holds nothing of the erased rows.
    pub fn retry_erase(&self) -> Result<Erased> {
        if !self.erase_pending.get() {
            return Ok(Erased::Done);
        }
        if self.truncate_wal(Duration::ZERO)? {
            self.erase_pending.set(false);
            return Ok(Erased::Done);
        }
        Ok(Erased::Pending)
    }

    /// `PRAGMA wal_checkpoint(TRUNCATE)`, retried while another connection reads, for up to
    /// `patience`: a reader's snapshot can pin frames of the WAL. `Ok(false)` when it could not
    /// finish in that time.
    fn truncate_wal(&self, patience: Duration) -> Result<bool> {
        let deadline = std::time::Instant::now() + patience;
        // SQLite's own busy handler would wait the full timeout inside each attempt.
        self.conn
            .busy_timeout(Duration::ZERO)
            .map_err(|e| db_error(&self.path, e))?;
        let result = loop {
            let busy = self
                .conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                    r.get::<_, i64>(0)
                });
            match busy {
                Ok(0) => break Ok(true),
                Ok(_) | Err(_) if std::time::Instant::now() >= deadline => break Ok(false),
                Ok(_) => {}
                Err(rusqlite::Error::SqliteFailure(f, _))
                    if matches!(
                        f.code,
                        rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                    ) => {}
                Err(e) => break Err(db_error(&self.path, e)),
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        self.conn
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| db_error(&self.path, e))?;
        result
    }

    /// Like [`Self::write`], for a transaction that only appends to the audit log: caches of
    /// the items stay valid (a `vault run` does not cost the next listing a full read).
    pub fn append_log<T>(
        &mut self,
        commit: &dyn Commit,
        f: impl FnOnce(&Db<'_>) -> Result<T>,
    ) -> Result<T> {
        let writes = self.writes;
        let value = self.write(commit, f)?;
        self.writes = writes;
        Ok(value)
    }

    /// Sets the format inside a [`Self::write_whole`] transaction (the step to format 4).
    pub fn set_format(db: &Db<'_>, format: i64) -> Result<()> {
        db.conn
            .pragma_update(None, "user_version", format)
            .map_err(|e| db.err(e))
    }

    /// The item rows this connection's own commits inserted, changed or deleted since the last
    /// call (an id may repeat), or `None` when they were too many to keep count of. Another
    /// process's commits are not in it: they show in [`Self::data_version`].
    pub fn take_touched(&self) -> Option<Vec<[u8; 16]>> {
        self.touched.replace(Some(Vec::new()))
    }

    /// A pair that differs whenever items may have changed, by this connection or another:
    /// what caches of the items are keyed on.
    pub fn version_stamp(&self) -> Result<(i64, u64)> {
        Ok((self.data_version()?, self.writes))
    }

    /// Changes committed by any other connection since the last call.
    pub fn data_version(&self) -> Result<i64> {
        self.pragma("data_version")
    }
}

/// Whether a write that erased sealed rows could also clear them from the WAL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Erased {
    /// Nothing of the old rows is left in the files.
    Done,
    /// The WAL still holds them (another process was reading the vault): a copy of the vault
    /// file with its `-wal` could still open them, until a later use finishes the truncation.
    Pending,
}

/// Row access over a connection or an open transaction.
pub(crate) struct Db<'a> {
    conn: &'a Connection,
    path: &'a Path,
    /// Images of the rows this transaction added, changed (before and after) or removed.
    changes: RefCell<Changes>,
}

impl Db<'_> {
    fn err(&self, e: rusqlite::Error) -> Error {
        db_error(self.path, e)
    }

    /// Refuses a schema other than the one of `format` (see `schema`).
    pub fn check_schema(&self, format: i64) -> Result<()> {
        match schema::check(self.conn, format).map_err(|e| self.err(e))? {
            None => Ok(()),
            Some(what) => Err(Error::Altered {
                path: self.path.to_owned(),
                what: format!("its database schema is not vault's ({what})"),
            }),
        }
    }

    fn corrupt(&self, reason: &str) -> Error {
        Error::Corrupt {
            path: self.path.to_owned(),
            reason: reason.into(),
        }
    }
}

/// Maps SQLite failures to what the user should hear.
pub(crate) fn db_error(path: &Path, e: rusqlite::Error) -> Error {
    use rusqlite::ErrorCode as C;
    if let rusqlite::Error::SqliteFailure(f, _) = &e {
        match f.code {
            C::DatabaseBusy | C::DatabaseLocked => {
                return Error::Busy {
                    path: path.to_owned(),
                    waited_secs: BUSY_TIMEOUT.as_secs(),
                };
            }
            C::NotADatabase => {
                return Error::NotAVault {
                    path: path.to_owned(),
                    reason: "not an SQLite database".into(),
                };
            }
            C::DatabaseCorrupt => {
                return Error::Corrupt {
                    path: path.to_owned(),
                    reason: "the database structure is damaged or the file is truncated".into(),
                };
            }
            C::ReadOnly | C::PermissionDenied | C::CannotOpen => {
                return Error::io(
                    format!("cannot write {}", path.display()),
                    std::io::Error::from(std::io::ErrorKind::PermissionDenied),
                );
            }
            C::DiskFull => {
                return Error::io(
                    format!("cannot write {}", path.display()),
                    std::io::Error::from(std::io::ErrorKind::StorageFull),
                );
            }
            _ => {}
        }
    }
    if let rusqlite::Error::InvalidColumnType(..) | rusqlite::Error::FromSqlConversionFailure(..) =
        e
    {
        return Error::Corrupt {
            path: path.to_owned(),
            reason: "a row holds data of the wrong type".into(),
        };
    }
    Error::Database {
        path: path.to_owned(),
        source: e,
    }
}
