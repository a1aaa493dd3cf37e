//! The committed TypeScript bindings match the Rust types. When this fails, run `make bindings`
//! (or `UPDATE_BINDINGS=1 cargo test -p vault-app --test bindings`) and commit the result.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn read_dir(dir: &Path) -> BTreeMap<String, String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ts"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

#[test]
fn typescript_bindings_are_current() {
    let committed_dir: PathBuf =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/bindings");
    let fresh = tempfile::tempdir().unwrap();
    vault_app::bindings::export(fresh.path()).unwrap();
    let generated = read_dir(fresh.path());
    assert!(
        generated.contains_key("ItemView.ts"),
        "{:?}",
        generated.keys()
    );

    // Every type a generated file imports is generated too (a command's result type that is
    // not in `bindings::export` would leave the window's build broken).
    for (name, text) in &generated {
        for line in text.lines() {
            if let Some(module) = line
                .strip_prefix("import type ")
                .and_then(|l| l.split("from './").nth(1))
                .and_then(|m| m.strip_suffix("';"))
            {
                assert!(
                    generated.contains_key(&format!("{module}.ts")),
                    "{name} imports ./{module}, which is not generated: add it to bindings::export"
                );
            }
        }
    }

    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        if committed_dir.exists() {
            for name in read_dir(&committed_dir).keys() {
                std::fs::remove_file(committed_dir.join(name)).unwrap();
            }
        }
        std::fs::create_dir_all(&committed_dir).unwrap();
        for (name, text) in &generated {
            std::fs::write(committed_dir.join(name), text).unwrap();
        }
        return;
    }

    let committed = read_dir(&committed_dir);
    let stale: Vec<&String> = generated
        .iter()
        .filter(|(name, text)| committed.get(*name) != Some(text))
        .map(|(name, _)| name)
        .chain(committed.keys().filter(|n| !generated.contains_key(*n)))
        .collect();
    assert!(
        stale.is_empty(),
        "ui/src/lib/bindings is stale ({stale:?}); run `make bindings` and commit the result"
    );
}
