//! KeePass and KeePassXC databases (KDBX 3.1 and 4), opened with the `keepass` crate: each
//! entry with a password is an item, its user name and URL plain fields, its protected
//! custom attributes (and its TOTP seed) secret fields, the others plain fields, its group path
//! and tags the item's tags, its expiry the item's. The recycle bin is left out.

use keepass::db::{EntryRef, GroupId};
use keepass::error::{DatabaseKeyError, DatabaseOpenError};
use keepass::{Database, DatabaseKey};

use crate::{Draft, ImportError, Input, Read, Skip};

/// The KDBX signature (`0x9AA2D903`, little-endian).
const SIGNATURE: [u8; 4] = [0x03, 0xd9, 0xa2, 0x9a];

pub(crate) fn looks_like(bytes: &[u8]) -> bool {
    bytes.starts_with(&SIGNATURE)
}

/// The standard fields, which are not custom attributes.
const STANDARD: [&str; 5] = ["Title", "UserName", "Password", "URL", "Notes"];

pub(crate) fn read(input: &Input<'_>) -> Result<Read, ImportError> {
    let file = input.path.display().to_string();
    let what = "the KeePass database's password (and key file)";
    let mut key = DatabaseKey::new();
    match input.secret {
        Some(password) => key = key.with_password(password.expose()),
        None if input.key_file.is_none() => {
            return Err(ImportError::SecretNeeded { file, what });
        }
        None => {}
    }
    if let Some(mut key_file) = input.key_file {
        key = key
            .with_keyfile(&mut key_file)
            .map_err(|e| ImportError::corrupt(input, format!("the key file: {e}")))?;
    }
    let db = Database::parse(input.bytes, key).map_err(|e| match e {
        DatabaseOpenError::Key(DatabaseKeyError::IncorrectKey) => {
            ImportError::WrongSecret { file, what }
        }
        DatabaseOpenError::Key(e) => ImportError::corrupt(input, format!("its key: {e}")),
        DatabaseOpenError::UnexpectedEof => {
            ImportError::corrupt(input, "the file ends too early (truncated?)")
        }
        other => ImportError::corrupt(input, format!("not a readable KeePass database ({other})")),
    })?;

    let recycle_bin = db.recycle_bin().map(|g| g.id());
    let mut out = Read::default();
    let mut entries: Vec<_> = db.iter_all_entries().collect();
    // The file's order is a hash map's: sort for a stable report.
    entries.sort_by_cached_key(|e| {
        (
            group_path(&db, e).join("/"),
            e.get_title().map(str::to_owned),
        )
    });
    for entry in entries {
        let path = group_path(&db, &entry);
        let title = entry.get_title().unwrap_or("untitled").to_owned();
        let origin = if path.is_empty() {
            title.clone()
        } else {
            format!("{}/{title}", path.join("/"))
        };
        if in_group(&db, &entry, recycle_bin) {
            out.skipped.push(Skip {
                origin,
                reason: "in the recycle bin".into(),
            });
            continue;
        }
        let mut d = Draft::new(origin, title);
        d.value = entry.get_password().map(vault_core::SecretValue::new);
        if let Some(user) = entry.get_username() {
            d.field("username", user);
        }
        if let Some(url) = entry.get_url() {
            d.field("url", url);
        }
        d.notes = entry.get("Notes").unwrap_or_default().to_owned();
        let mut custom: Vec<_> = entry
            .fields
            .iter()
            .filter(|(k, _)| !STANDARD.contains(&k.as_str()))
            .collect();
        custom.sort_by(|a, b| a.0.cmp(b.0));
        for (name, value) in custom {
            // KeePassXC keeps a TOTP seed in `otp`: a secret, whatever its protection says.
            if value.is_protected() || name == "otp" {
                d.secret_field(name, value.get());
            } else {
                d.field(name, value.get());
            }
        }
        for group in &path {
            d.tag(group);
        }
        for tag in &entry.tags {
            d.tag(tag);
        }
        if entry.times.expires == Some(true) {
            d.expires = crate::from_unix(entry.times.expiry.and_utc().timestamp());
        }
        d.finish(&mut out);
    }
    Ok(out)
}

/// The names of the groups above `entry`, outermost first, without the root.
fn group_path(db: &Database, entry: &EntryRef<'_>) -> Vec<String> {
    let mut names = Vec::new();
    let mut id = Some(entry.parent().id());
    while let Some(g) = id.and_then(|id| db.group(id)) {
        let parent = g.parent().map(|p| p.id());
        if parent.is_some() {
            names.push(g.name.clone());
        }
        id = parent;
    }
    names.reverse();
    names
}

/// Whether `entry` is inside the group `target` (at any depth).
fn in_group(db: &Database, entry: &EntryRef<'_>, target: Option<GroupId>) -> bool {
    let Some(target) = target else {
        return false;
    };
    let mut id = Some(entry.parent().id());
    while let Some(g) = id.and_then(|id| db.group(id)) {
        if g.id() == target {
            return true;
        }
        id = g.parent().map(|p| p.id());
    }
    false
}
