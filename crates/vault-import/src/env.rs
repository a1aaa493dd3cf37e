//! vault's own sources: a dotenv file (each `KEY=value` an item named KEY, with no metadata:
//! the vault derives it) and `vault export --format json`'s output (each item with its
//! metadata and secret fields).

use std::collections::BTreeMap;

use vault_core::model::ImportedMeta;
use vault_core::{SecretValue, dotenv};

use crate::{ImportError, Input, Loaded};

pub(crate) fn load(input: &Input<'_>) -> Result<Loaded, ImportError> {
    let text = std::str::from_utf8(input.bytes)
        .map_err(|_| ImportError::corrupt(input, "not UTF-8 text, and not a format vault knows"))?;
    if !text.trim_start().starts_with('[') {
        let parsed = dotenv::parse(text);
        let metas = vec![None; parsed.entries.len()];
        return Ok(Loaded {
            parsed,
            metas,
            joined: None,
        });
    }
    #[derive(serde::Deserialize)]
    struct ExportedKey {
        name: String,
        value: String,
        #[serde(default)]
        secret_values: BTreeMap<String, String>,
        #[serde(flatten)]
        meta: ImportedMeta,
    }
    // Only the position is told: serde's message may quote a value.
    let list: Vec<ExportedKey> = serde_json::from_str(text).map_err(|e| {
        ImportError::corrupt(
            input,
            format!(
                "a JSON file, but not a `vault export --format json` (at line {}, column {})",
                e.line(),
                e.column()
            ),
        )
    })?;
    let mut parsed = dotenv::Parsed::default();
    let mut metas = Vec::with_capacity(list.len());
    for (i, k) in list.into_iter().enumerate() {
        parsed.entries.push(dotenv::Entry {
            key: k.name,
            value: SecretValue::from(k.value),
            line: i + 1,
        });
        let mut meta = k.meta;
        meta.secret_fields = k
            .secret_values
            .into_iter()
            .map(|(n, v)| (n, SecretValue::from(v)))
            .collect();
        metas.push(Some(meta));
    }
    Ok(Loaded {
        parsed,
        metas,
        joined: None,
    })
}
