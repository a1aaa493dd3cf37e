//! `vault get`: one value or field of an item, printed, as JSON, or copied.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;
use serde::Serialize;
use vault_agent::protocol::{Op, Response, into_secret_fields};
use vault_core::SecretValue;
use vault_core::model::{Item, ItemMeta, SecretFields};

use crate::cli::GetArgs;
use crate::exit::{self, fail, unexpected};
use crate::output;
use crate::session::Session;

#[derive(Serialize)]
struct ItemWithValue<'a> {
    #[serde(flatten)]
    item: &'a Item,
    value: &'a str,
    /// The secret fields' values: `--json` asked for the item's secrets.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    secret_values: BTreeMap<&'a str, &'a str>,
}

/// `vault get`: one of the `vault` front's fast paths.
pub fn get(session: &mut Session, args: &GetArgs) -> Result<()> {
    let GetArgs {
        name,
        field,
        no_newline,
        json,
        copy,
        clear_after,
    } = args;
    let clear_after = if *copy {
        let d = super::oauth::parse_duration(clear_after)?;
        if d.as_secs() == 0 {
            return fail(exit::OTHER, "--clear-after must be at least 1s");
        }
        Some(d)
    } else {
        None
    };
    // `vault get vault://ITEM/FIELD`, as in a project file (and as `op read` takes).
    let (name, field) = if vault_core::refs::Reference::looks_like(name) {
        let r = vault_core::refs::Reference::parse(name)
            .map_err(|e| crate::exit::Failure::new(exit::OTHER, e.to_string()))?;
        match r.field {
            Some(f) if field != "value" && *field != f => {
                return fail(
                    exit::OTHER,
                    format!("{name} names the field {f}; --field {field} asks for another"),
                );
            }
            Some(f) => (r.item, f),
            None => (r.item, field.clone()),
        }
    } else {
        (name.clone(), field.clone())
    };
    let field = field.as_str();
    let (item, value, secret_fields) = match session.op(Op::Get {
        name: name.clone(),
        // The audit log says where the value went.
        program: clear_after.map(|_| "the clipboard".to_owned()),
    })? {
        Response::Secret {
            item,
            value,
            fields,
        } => (item, value.into_inner(), into_secret_fields(fields)),
        other => return Err(unexpected(other)),
    };
    if *json {
        return output::json(&ItemWithValue {
            item: &item,
            value: value.expose(),
            secret_values: secret_fields
                .iter()
                .map(|(n, v)| (n.as_str(), v.expose()))
                .collect(),
        });
    }
    let text = field_text(&item, value, secret_fields, field)?;
    if let Some(clear_after) = clear_after {
        crate::clipboard::copy(&text, clear_after)?;
        eprintln!(
            "Copied {}{} to the clipboard; it is cleared in {} if the clipboard still holds it.",
            item.meta.name(),
            if field == "value" {
                String::new()
            } else {
                format!("'s {field}")
            },
            output::duration(clear_after.as_secs())
        );
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    out.write_all(text.expose().as_bytes())?;
    if !no_newline {
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

fn field_text(
    item: &Item,
    value: SecretValue,
    secret_fields: SecretFields,
    field: &str,
) -> Result<SecretValue> {
    let ItemMeta::ApiKey(meta) = item.meta.clone() else {
        return fail(
            exit::OTHER,
            format!("{} is an OAuth grant; see `vault grants`", item.meta.name()),
        );
    };
    let key = vault_core::ApiKey {
        id: item.id,
        meta,
        value,
        secret_fields,
    };
    key.field(field)
        .map_err(|e| crate::exit::Failure::new(exit::OTHER, e.to_string()).into())
}
