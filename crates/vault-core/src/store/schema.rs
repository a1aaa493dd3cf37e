//! The database schema a vault must have, and the check that it has exactly that.
//!
//! Whoever can write the file can also change its schema, and SQLite obeys the file: a trigger
//! runs inside vault's own transactions (and can put an old row back after each update), a table
//! rebuilt without its `PRIMARY KEY` or `UNIQUE` holds duplicates that a lookup answers with the
//! first of, a view or an index changes what a query returns. None of that is sealed, so none
//! of it fails authentication. Instead the schema (every table, index, trigger and view in
//! `sqlite_schema`, with its SQL) must be the one this build writes for the file's format:
//! checked when the file is opened, inside every write transaction, and whenever another
//! connection changed the file.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use rusqlite::Connection;

use super::{MIGRATION_V2, MIGRATION_V3, SCHEMA_V1};

/// `(type, name)` → `(table, normalised SQL)` of every object in a schema.
type Objects = BTreeMap<(String, String), (String, Option<String>)>;

/// Why a schema is not the expected one, in words for the user.
pub(crate) type Mismatch = String;

/// Reads every object of `conn`'s main schema.
fn objects(conn: &Connection) -> rusqlite::Result<Objects> {
    let mut stmt = conn.prepare("SELECT type, name, tbl_name, sql FROM main.sqlite_schema")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            (r.get::<_, String>(0)?, r.get::<_, String>(1)?),
            (
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?.map(|s| normalise(&s)),
            ),
        ))
    })?;
    rows.collect()
}

/// SQL text with every run of whitespace made one space: SQLite keeps the text a statement was
/// written with (and splices `ALTER TABLE ... ADD COLUMN` into it), so layout is not meaning.
fn normalise(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The objects a vault of `format` has, built by running this build's own schema statements
/// in an in-memory database: the reference is what SQLite itself records for them.
fn expected(format: i64) -> Option<&'static Objects> {
    static BY_FORMAT: OnceLock<Option<[Objects; 3]>> = OnceLock::new();
    let all = BY_FORMAT.get_or_init(|| {
        let build = |steps: &[&str]| -> rusqlite::Result<Objects> {
            let conn = Connection::open_in_memory()?;
            for step in steps {
                conn.execute_batch(step)?;
            }
            objects(&conn)
        };
        Some([
            build(&[SCHEMA_V1]).ok()?,
            build(&[SCHEMA_V1, MIGRATION_V2]).ok()?,
            build(&[SCHEMA_V1, MIGRATION_V2, MIGRATION_V3]).ok()?,
        ])
    });
    let all = all.as_ref()?;
    // Format 4 changed how the commitment is computed, formats 5 and 6 what rows may hold:
    // not the tables.
    match format {
        1 => Some(&all[0]),
        2 => Some(&all[1]),
        3..=6 => Some(&all[2]),
        _ => None,
    }
}

/// `Ok(None)` when `conn`'s schema is exactly the one of `format`, else what differs.
pub(crate) fn check(conn: &Connection, format: i64) -> rusqlite::Result<Option<Mismatch>> {
    let Some(want) = expected(format) else {
        return Ok(Some(format!("format {format} has no known schema")));
    };
    let have = objects(conn)?;
    Ok(difference(want, &have))
}

fn difference(want: &Objects, have: &Objects) -> Option<Mismatch> {
    for ((kind, name), (table, sql)) in have {
        match want.get(&(kind.clone(), name.clone())) {
            None => {
                let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
                    "an"
                } else {
                    "a"
                };
                return Some(format!(
                    "{article} {kind} {name:?} on {table:?} that vault never creates"
                ));
            }
            Some((t, s)) if t != table || s != sql => {
                return Some(format!("the {kind} {name:?} was altered"));
            }
            Some(_) => {}
        }
    }
    want.keys()
        .find(|k| !have.contains_key(*k))
        .map(|(kind, name)| format!("the {kind} {name:?} is missing"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn db(steps: &[&str]) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        for s in steps {
            conn.execute_batch(s).unwrap();
        }
        conn
    }

    const V3: &[&str] = &[SCHEMA_V1, MIGRATION_V2, MIGRATION_V3];

    #[test]
    fn each_format_matches_its_own_schema_only() {
        assert_eq!(check(&db(&[SCHEMA_V1]), 1).unwrap(), None);
        assert_eq!(check(&db(&[SCHEMA_V1, MIGRATION_V2]), 2).unwrap(), None);
        assert_eq!(check(&db(V3), 3).unwrap(), None);
        assert_eq!(check(&db(V3), 4).unwrap(), None);
        assert_eq!(check(&db(V3), 5).unwrap(), None);
        assert_eq!(check(&db(V3), 6).unwrap(), None);
        // A format-3 file whose version was set back to 2 (or 1) has columns that format lacks.
        assert!(check(&db(V3), 2).unwrap().unwrap().contains("altered"));
        assert!(check(&db(V3), 1).unwrap().is_some());
        assert!(check(&db(V3), 7).unwrap().is_some());
    }

    #[test]
    fn layout_is_not_meaning() {
        let spaced = SCHEMA_V1.replace(' ', "   ").replace('\n', "\n\t ");
        assert_eq!(
            check(&db(&[&spaced, MIGRATION_V2, MIGRATION_V3]), 3).unwrap(),
            None
        );
    }

    #[test]
    fn triggers_views_indexes_and_rebuilt_tables_are_named() {
        let cases = [
            (
                "CREATE TRIGGER keep AFTER UPDATE OF secret ON items BEGIN SELECT 1; END;",
                "trigger \"keep\"",
            ),
            ("CREATE VIEW v AS SELECT * FROM items;", "view \"v\""),
            ("CREATE INDEX extra ON items(kind);", "index \"extra\""),
            (
                "DROP INDEX item_versions_by_item;",
                "index \"item_versions_by_item\" is missing",
            ),
            (
                "ALTER TABLE audit ADD COLUMN x;",
                "table \"audit\" was altered",
            ),
            (
                "PRAGMA foreign_keys = OFF; PRAGMA legacy_alter_table = ON; \
                 ALTER TABLE items RENAME TO old; CREATE TABLE items (id BLOB, kind INTEGER, \
                 name_tag BLOB, meta BLOB, secret BLOB, rev INTEGER); DROP TABLE old;",
                "the table \"items\" was altered",
            ),
        ];
        for (sql, named) in cases {
            let conn = db(V3);
            conn.execute_batch(sql).unwrap();
            let found = check(&conn, 3).unwrap();
            assert!(
                found.as_deref().is_some_and(|m| m.contains(named)),
                "{sql}: {found:?}"
            );
        }
    }
}
