//! The sources that are names and values: Doppler's JSON download (`doppler secrets download
//! --no-file --format json`: one object of names to values), Infisical's export (`infisical
//! export --format json`: an array of `{key, value}`) and shell profiles (`export NAME=value`
//! lines; anything a shell would expand is left out, with the reason).

use vault_core::SecretValue;
use vault_core::names::check_env_name;

use crate::{Draft, Format, ImportError, Input, Read, Skip};

/// Which JSON export `json` is.
pub(crate) fn detect_json(json: &serde_json::Value) -> Option<Format> {
    match json {
        serde_json::Value::Object(o) if o.get("items").is_some_and(|i| i.is_array()) => {
            Some(Format::Bitwarden)
        }
        serde_json::Value::Object(o) if o.contains_key("encrypted") => Some(Format::Bitwarden),
        serde_json::Value::Object(o) if !o.is_empty() && o.values().all(|v| v.is_string()) => {
            Some(Format::Doppler)
        }
        serde_json::Value::Array(a)
            if a.iter().all(|e| e.get("key").is_some()) && !a.is_empty() =>
        {
            Some(Format::Infisical)
        }
        // `vault export --format json`: the caller's own.
        serde_json::Value::Array(a) if a.iter().all(|e| e.get("name").is_some()) => {
            Some(Format::Env)
        }
        _ => None,
    }
}

/// The files `--from shell` is for.
pub(crate) fn is_shell_profile(file_name: &str) -> bool {
    matches!(
        file_name,
        ".bashrc"
            | ".bash_profile"
            | ".bash_login"
            | ".profile"
            | ".zshrc"
            | ".zprofile"
            | ".zshenv"
            | ".zlogin"
            | ".kshrc"
            | ".mkshrc"
    )
}

fn json(input: &Input<'_>, what: &str) -> Result<serde_json::Value, ImportError> {
    serde_json::from_slice(input.bytes).map_err(|e| {
        ImportError::corrupt(
            input,
            format!("not {what} (at line {}, column {})", e.line(), e.column()),
        )
    })
}

/// One variable: the name is the item's and its environment variable's.
fn variable(out: &mut Read, origin: String, name: &str, value: &str) {
    if let Err(e) = check_env_name(name) {
        out.skipped.push(Skip {
            origin,
            reason: e.to_string(),
        });
        return;
    }
    let mut d = Draft::new(origin, name);
    d.env = vec![name.to_owned()];
    d.value = Some(SecretValue::new(value));
    d.finish(out);
}

pub(crate) fn doppler(input: &Input<'_>) -> Result<Read, ImportError> {
    let value = json(input, "a Doppler JSON download")?;
    let Some(map) = value.as_object() else {
        return Err(ImportError::corrupt(
            input,
            "not a Doppler JSON download (an object of names to values)",
        ));
    };
    let mut out = Read::default();
    // By name: the download's order is not kept by every JSON reader.
    let mut vars: Vec<_> = map.iter().collect();
    vars.sort_by(|a, b| a.0.cmp(b.0));
    for (name, v) in vars {
        match v.as_str() {
            // Doppler's own settings (`DOPPLER_PROJECT`...) come with every download.
            Some(_) if name.starts_with("DOPPLER_") => out.skipped.push(Skip {
                origin: name.clone(),
                reason: "Doppler's own setting, not a secret".into(),
            }),
            Some(s) => variable(&mut out, name.clone(), name, s),
            None => {
                return Err(ImportError::entry(
                    input,
                    name,
                    "its value is not a string, not a Doppler download",
                ));
            }
        }
    }
    Ok(out)
}

pub(crate) fn infisical(input: &Input<'_>) -> Result<Read, ImportError> {
    let value = json(input, "an Infisical JSON export")?;
    let Some(list) = value.as_array() else {
        return Err(ImportError::corrupt(
            input,
            "not an Infisical JSON export (an array of {\"key\", \"value\"})",
        ));
    };
    let mut out = Read::default();
    for (i, e) in list.iter().enumerate() {
        let key = e.get("key").and_then(|k| k.as_str());
        let origin = key.map_or_else(|| format!("entry {}", i + 1), str::to_owned);
        let (Some(key), Some(value)) = (key, e.get("value").and_then(|v| v.as_str())) else {
            return Err(ImportError::entry(
                input,
                origin,
                "without a string \"key\" and \"value\"",
            ));
        };
        variable(&mut out, origin, key, value);
        if let (Some(entry), Some(comment)) = (
            out.entries.last_mut().filter(|e| e.name == key),
            e.get("comment").and_then(|c| c.as_str()),
        ) {
            entry.notes = comment.to_owned();
        }
    }
    Ok(out)
}

/// `export NAME=value` lines. Single-quoted values are literal; double-quoted and bare ones
/// are taken only when a shell would not change them (no `$`, backquote or backslash).
pub(crate) fn shell(input: &Input<'_>) -> Result<Read, ImportError> {
    let text = std::str::from_utf8(input.bytes)
        .map_err(|_| ImportError::corrupt(input, "not UTF-8 text, not a shell profile"))?;
    let mut out = Read::default();
    for (i, line) in text.lines().enumerate() {
        let Some(rest) = line.trim_start().strip_prefix("export ") else {
            continue;
        };
        let Some((name, raw)) = rest.trim_start().split_once('=') else {
            continue;
        };
        let origin = format!("{name} (line {})", i + 1);
        match literal(raw.trim_end()) {
            Ok(value) if value.is_empty() => {}
            // A profile sets EDITOR and PAGER too: only secrets move in.
            Ok(value) if !looks_secret(name, &value) => out.skipped.push(Skip {
                origin,
                reason: "not a secret by its name or value (add it with `vault add` if it is)"
                    .into(),
            }),
            Ok(value) => variable(&mut out, origin, name, &value),
            Err(why) => out.skipped.push(Skip {
                origin,
                reason: why.into(),
            }),
        }
    }
    Ok(out)
}

/// Whether a profile's variable is a secret: its value in a known key format, or a name that
/// says so (`*_TOKEN`, `*_API_KEY`, `*PASSWORD*`...).
fn looks_secret(name: &str, value: &str) -> bool {
    const WORDS: [&str; 10] = [
        "KEY",
        "TOKEN",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "PASS",
        "CREDENTIAL",
        "AUTH",
        "DSN",
        "PRIVATE",
    ];
    let upper = name.to_ascii_uppercase();
    vault_core::formats::detect(value).is_some()
        || upper
            .split('_')
            .any(|part| WORDS.iter().any(|w| part == *w || part.ends_with(w)))
}

/// The value a shell assigns for `raw`, when it is a literal.
fn literal(raw: &str) -> Result<String, &'static str> {
    let expands = |s: &str| s.contains(['$', '`', '\\']);
    if let Some(inner) = raw.strip_prefix('\'') {
        return match inner.split_once('\'') {
            Some((v, tail)) if tail.trim().is_empty() || tail.trim_start().starts_with('#') => {
                Ok(v.to_owned())
            }
            _ => Err("not a single quoted value a profile line can hold"),
        };
    }
    if let Some(inner) = raw.strip_prefix('"') {
        return match inner.split_once('"') {
            Some((v, _)) if expands(v) => Err("the shell expands it ($, ` or \\): not a literal"),
            Some((v, tail)) if tail.trim().is_empty() || tail.trim_start().starts_with('#') => {
                Ok(v.to_owned())
            }
            _ => Err("not a double quoted value a profile line can hold"),
        };
    }
    let bare = raw.split(" #").next().unwrap_or_default().trim();
    if expands(bare)
        || bare.contains(char::is_whitespace)
        || bare.contains(['(', ')', ';', '&', '|'])
    {
        return Err("the shell expands it or runs something: not a literal");
    }
    Ok(bare.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_literals_are_taken_from_a_profile() {
        assert_eq!(literal("'sk-a$b'"), Ok("sk-a$b".into()));
        assert_eq!(literal("\"sk-plain\" # work"), Ok("sk-plain".into()));
        assert_eq!(literal("sk-bare"), Ok("sk-bare".into()));
        assert!(literal("\"$HOME/x\"").is_err());
        assert!(literal("$(pass show x)").is_err());
        assert!(literal("`cat f`").is_err());
        assert!(literal("a b").is_err());
    }

    #[test]
    fn only_secrets_move_in_from_a_profile() {
        assert!(looks_secret("OPENAI_API_KEY", "x"));
        assert!(looks_secret("NPM_TOKEN", "x"));
        assert!(looks_secret("PGPASSWORD", "x"));
        assert!(looks_secret("SENTRY_DSN", "x"));
        assert!(looks_secret(
            "WHATEVER",
            "ghp_0123456789abcdefghijABCDEFGHIJ012345"
        ));
        assert!(!looks_secret("EDITOR", "vim"));
        assert!(!looks_secret("KEYBOARD_LAYOUT", "us"));
    }

    #[test]
    fn json_exports_are_told_apart() {
        let j = |s: &str| detect_json(&serde_json::from_str(s).unwrap());
        assert_eq!(
            j(r#"{"encrypted":false,"items":[]}"#),
            Some(Format::Bitwarden)
        );
        assert_eq!(j(r#"{"STRIPE_KEY":"sk"}"#), Some(Format::Doppler));
        assert_eq!(j(r#"[{"key":"A","value":"b"}]"#), Some(Format::Infisical));
        assert_eq!(j(r#"[{"name":"a","value":"b"}]"#), Some(Format::Env));
        assert_eq!(j(r#"{"a":1}"#), None);
    }
}
