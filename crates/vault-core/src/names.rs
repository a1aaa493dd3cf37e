//! Names users give items, and environment variable names.

use crate::error::{Error, Result};

const MAX_NAME_LEN: usize = 128;

/// Checks an item name. `/` is refused because `vault://NAME/FIELD` uses it as a separator.
pub fn check_item_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid("an item name cannot be empty"));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(Error::invalid(format!(
            "an item name is at most {MAX_NAME_LEN} bytes"
        )));
    }
    if name.trim() != name {
        return Err(Error::invalid(format!(
            "item name {name:?} starts or ends with whitespace"
        )));
    }
    if let Some(c) = name.chars().find(|c| c.is_control() || *c == '/') {
        return Err(Error::invalid(format!(
            "item name {name:?} contains {c:?}; names cannot contain `/` or control characters"
        )));
    }
    Ok(())
}

/// The form names are compared in: two names that differ only in case are the same item.
pub fn fold(name: &str) -> String {
    name.to_lowercase()
}

/// Checks an environment variable name: a letter or `_`, then letters, digits or `_`.
pub fn check_env_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let valid = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "{name:?} is not a valid environment variable name (letters, digits and `_`, not starting with a digit)"
        )))
    }
}

/// The environment variable name suggested for an item name: `openai prod` → `OPENAI_PROD`.
pub fn env_name_for(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let trimmed = out.trim_matches('_');
    match trimmed.chars().next() {
        None => "SECRET".to_owned(),
        Some(c) if c.is_ascii_digit() => format!("_{trimmed}"),
        Some(_) => trimmed.to_owned(),
    }
}

/// Checks a tag: non-empty, no whitespace or commas (tags are given comma-separated too).
pub fn check_tag(tag: &str) -> Result<()> {
    if tag.is_empty()
        || tag
            .chars()
            .any(|c| c.is_whitespace() || c == ',' || c.is_control())
    {
        return Err(Error::invalid(format!(
            "tag {tag:?} must be non-empty, without spaces or commas"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_names() {
        assert!(check_item_name("openai").is_ok());
        assert!(check_item_name("Stripe live key (EU)").is_ok());
        assert!(check_item_name("").is_err());
        assert!(check_item_name(" x").is_err());
        assert!(check_item_name("a/b").is_err());
        assert!(check_item_name("a\nb").is_err());
        assert!(check_item_name(&"x".repeat(129)).is_err());
    }

    #[test]
    fn env_names() {
        assert!(check_env_name("OPENAI_API_KEY").is_ok());
        assert!(check_env_name("_x1").is_ok());
        assert!(check_env_name("1X").is_err());
        assert!(check_env_name("A-B").is_err());
        assert!(check_env_name("").is_err());
        assert_eq!(env_name_for("openai prod"), "OPENAI_PROD");
        assert_eq!(env_name_for("stripe-live.key"), "STRIPE_LIVE_KEY");
        assert_eq!(env_name_for("3scale"), "_3SCALE");
        assert_eq!(env_name_for("ключ"), "SECRET");
    }
}
