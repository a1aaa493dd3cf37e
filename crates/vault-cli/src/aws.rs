//! The AWS CLI and SDKs ask vault for access keys: `vault aws NAME` is a profile's
//! `credential_process` (JSON `Version: 1` on stdout, as the SDKs define it), and `vault setup
//! aws` writes that line into ~/.aws/config, or moves the keys of ~/.aws/credentials into the
//! vault (`--migrate`). An access key is an API key item: its value the secret access key, its
//! field `access_key_id` the key id, a `session_token` secret field and its expiry when it is a
//! temporary one.

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use jiff::Timestamp;
use serde::Serialize;
use vault_agent::aws_config::{self, AwsFiles, StoredKeys};
use vault_agent::protocol::{NewKey, Op, Response, WireFields, WireSecret};
use vault_core::{SecretValue, formats};
use zeroize::Zeroizing;

use crate::exit::{self, fail, unexpected};
use crate::session::{Session, confirm, interactive};

/// The field holding the access key id.
pub const KEY_ID_FIELD: &str = vault_import::aws::KEY_ID_FIELD;
/// The secret field holding a temporary key's session token.
pub const TOKEN_FIELD: &str = vault_import::aws::TOKEN_FIELD;
/// Who the audit log says a value went to.
const PROGRAM: &str = "aws (credential_process)";

/// What `credential_process` prints. No `Debug`: it holds the secret.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ProcessCredentials<'a> {
    version: u8,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration: Option<String>,
}

/// `vault aws NAME`: the agent only (never a prompt on the SDK's pipes); a locked vault, a
/// missing item or field, or an expired key: nothing on stdout, one line on stderr, which the
/// AWS CLI shows in its error, and a non-zero exit.
pub fn credential_process(session: &mut Session, name: &str) -> Result<()> {
    let response = crate::git::ask(
        session,
        Op::Get {
            name: name.to_owned(),
            program: Some(PROGRAM.to_owned()),
        },
    )
    .map_err(|e| match e.downcast_ref::<exit::Failure>() {
        Some(f) if f.code == exit::LOCKED => exit::Failure::new(
            exit::LOCKED,
            "the vault is locked: run `vault unlock`, then the AWS command again",
        )
        .into(),
        _ => e,
    })?;
    let (item, value, fields) = match response {
        Response::Secret {
            item,
            value,
            fields,
        } => (item, value.into_inner(), fields),
        other => return Err(unexpected(other)),
    };
    let token = fields
        .into_iter()
        .find(|(f, _)| f == TOKEN_FIELD)
        .map(|(_, v)| v.into_inner());
    let Some(meta) = item.meta.as_api_key() else {
        return fail(exit::OTHER, format!("{name} is not an API key"));
    };
    let Some(key_id) = meta.fields.get(KEY_ID_FIELD) else {
        return fail(
            exit::OTHER,
            format!(
                "{name} has no {KEY_ID_FIELD} field: `vault edit {name} --field {KEY_ID_FIELD}=AKIA...`"
            ),
        );
    };
    if let Some(x) = meta.expires
        && x <= Timestamp::now()
    {
        return fail(
            exit::OTHER,
            format!(
                "{name} expired {}: store a new key with `vault rotate {name}`",
                crate::output::date_time(x)
            ),
        );
    }
    let out = ProcessCredentials {
        version: 1,
        access_key_id: key_id,
        secret_access_key: value.expose(),
        session_token: token.as_ref().map(|t| t.expose()),
        expiration: meta.expires.map(|t| t.to_string()),
    };
    let json = Zeroizing::new(serde_json::to_vec(&out)?);
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&json)?;
    stdout.write_all(b"\n")?;
    stdout.flush()?;
    Ok(())
}

/// An access key pasted whole: `AKIA... SECRET [SESSION_TOKEN]`, separated by blanks or lines
/// (as the console shows them, or as `aws configure get` prints them one by one). Its `Debug`
/// shows no secret ([`SecretValue`]'s is redacted).
#[derive(Debug)]
pub struct Pasted {
    pub key_id: String,
    pub secret: SecretValue,
    pub session_token: Option<SecretValue>,
}

/// The access key in `text`, when it is a key id (`AKIA`/`ASIA` and 16 base32 characters), a
/// 40-character secret, and maybe a session token, and nothing else.
pub fn pasted(text: &str) -> Option<Pasted> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let (id, secret, token) = match parts.as_slice() {
        [id, secret] => (*id, *secret, None),
        [id, secret, token] => (*id, *secret, Some(*token)),
        _ => return None,
    };
    (formats::is_aws_key_id(id) && formats::is_aws_secret_key(secret)).then(|| Pasted {
        key_id: id.to_owned(),
        secret: SecretValue::from(secret.to_owned()),
        session_token: token.map(|t| SecretValue::from(t.to_owned())),
    })
}

/// `vault setup aws ...`.
pub fn setup(
    session: &mut Session,
    name: Option<String>,
    profile: &str,
    undo: bool,
    migrate: bool,
    yes: bool,
) -> Result<()> {
    let files = AwsFiles::locate()?;
    if undo {
        match aws_config::uninstall(&files, profile)? {
            Some(line) => eprintln!(
                "Removed from {}: [{}] credential_process = {line}",
                files.config.display(),
                aws_config::config_section(profile)
            ),
            None => eprintln!(
                "The {profile} profile does not get its keys from vault: nothing to undo."
            ),
        }
        return Ok(());
    }
    if migrate {
        return self::migrate(session, &files, yes);
    }
    let Some(name) = name else {
        return fail(exit::OTHER, "name the item holding the access key");
    };
    let item = match session.op(Op::Describe { name: name.clone() })? {
        Response::Item { item } => item,
        other => return Err(unexpected(other)),
    };
    let has_key_id = item
        .meta
        .as_api_key()
        .is_some_and(|m| m.fields.contains_key(KEY_ID_FIELD));
    if !has_key_id {
        return fail(
            exit::OTHER,
            format!(
                "{} has no {KEY_ID_FIELD} field, so AWS could not use it: `vault edit {0} --field {KEY_ID_FIELD}=AKIA...`",
                item.meta.name()
            ),
        );
    }
    install(session, &files, profile, item.meta.name())
}

/// Sets `profile` to run `vault aws NAME`, and says what changed.
fn install(session: &Session, files: &AwsFiles, profile: &str, name: &str) -> Result<()> {
    let line = aws_config::process_line(&crate::git::program()?, pinned_vault(session), name);
    let done = aws_config::install(files, profile, &line)?;
    if done.already {
        eprintln!(
            "Already set up: [{}] credential_process = {line}",
            done.section
        );
    } else {
        if let Some(old) = &done.replaced {
            eprintln!("Replaced credential_process = {old}");
        }
        eprintln!(
            "Set in {}:\n  [{}]\n  credential_process = {line}",
            files.config.display(),
            done.section
        );
    }
    if done.shadowed {
        eprintln!(
            "note: {} also holds keys for the {profile} profile, and the AWS CLI and SDKs use \
             those first: `vault setup aws --migrate` moves them into vault.",
            files.credentials.display()
        );
    }
    let flag = if profile == "default" {
        String::new()
    } else {
        format!(" --profile {profile}")
    };
    eprintln!("Try it: aws sts get-caller-identity{flag}   (undo: vault setup aws --undo{flag})");
    Ok(())
}

/// The vault the line names: none when it is the default one, which then follows the user.
pub(crate) fn pinned_vault(session: &Session) -> Option<&Path> {
    let default = crate::vault_path(None).ok();
    (default.as_deref() != Some(session.vault_path())).then(|| session.vault_path())
}

/// The item a profile's key goes into: `aws` for the default profile, `aws-PROFILE` else.
fn item_for(profile: &str) -> String {
    if profile == "default" {
        "aws".to_owned()
    } else {
        format!("aws-{profile}")
    }
}

fn masked(key_id: &str) -> String {
    let tail = key_id.get(key_id.len().saturating_sub(4)..).unwrap_or("");
    format!("{}...{tail}", key_id.get(..4).unwrap_or(""))
}

/// `--migrate`: every key of the credentials file into an item, each profile set up, then the
/// file rewritten without them (a copy kept first). Nothing is written before the user agrees,
/// and the file is changed last, once every key is in the vault.
fn migrate(session: &mut Session, files: &AwsFiles, yes: bool) -> Result<()> {
    let keys = aws_config::stored_keys(files)?;
    if keys.is_empty() {
        eprintln!(
            "No access keys in {}: nothing to move.",
            files.credentials.display()
        );
        return Ok(());
    }
    let existing: Vec<String> = match session.op(Op::List {
        query: None,
        tag: None,
    })? {
        Response::Items { items } => items.iter().map(|i| i.meta.name().to_owned()).collect(),
        other => return Err(unexpected(other)),
    };
    let taken: Vec<String> = keys
        .iter()
        .map(|k| item_for(&k.profile))
        .filter(|n| existing.iter().any(|e| e.eq_ignore_ascii_case(n)))
        .collect();
    if !taken.is_empty() {
        return fail(
            exit::EXISTS,
            format!(
                "the vault already has {}: rename {} (`vault edit NAME --rename NEW`), then migrate; nothing was changed",
                taken.join(", "),
                if taken.len() == 1 { "it" } else { "them" }
            ),
        );
    }
    if !yes && !interactive() {
        return fail(
            exit::CANCELLED,
            "not moving keys without confirmation; pass --yes, or run it at a terminal to see what moves first",
        );
    }
    let backup = files.credentials.with_file_name(format!(
        "credentials.vault-backup-{}",
        Timestamp::now().strftime("%Y%m%dT%H%M%S")
    ));
    eprintln!(
        "Move these access keys into the vault, set their profiles to ask vault, and take them out of {}:",
        files.credentials.display()
    );
    for k in &keys {
        eprintln!(
            "  [{}]  {}{}  ->  item {}",
            k.profile,
            masked(&k.access_key_id),
            if k.session_token.is_some() {
                " with its session token"
            } else {
                ""
            },
            item_for(&k.profile)
        );
    }
    eprintln!(
        "A copy of the file as it is now is kept at {} (0600): delete it once the profiles work.",
        backup.display()
    );
    if !yes && !confirm("Move them?")? {
        return fail(exit::CANCELLED, "cancelled; nothing was changed");
    }
    for k in &keys {
        add_key(session, k)?;
    }
    for k in &keys {
        install(session, files, &k.profile, &item_for(&k.profile))?;
    }
    let profiles: Vec<String> = keys.iter().map(|k| k.profile.clone()).collect();
    aws_config::remove_keys(files, &profiles, &backup)?;
    eprintln!(
        "Done: {} no longer holds access keys.",
        files.credentials.display()
    );
    Ok(())
}

fn add_key(session: &mut Session, k: &StoredKeys) -> Result<()> {
    let mut secret_fields = WireFields::new();
    if let Some(t) = &k.session_token {
        secret_fields.insert(
            TOKEN_FIELD.to_owned(),
            WireSecret::new(SecretValue::from(t.to_string())),
        );
    }
    let key = NewKey {
        env: vec!["AWS_SECRET_ACCESS_KEY".to_owned()],
        service: Some("AWS".to_owned()),
        tags: vec!["aws".to_owned()],
        notes: format!(
            "Moved from the {} profile of ~/.aws/credentials.",
            k.profile
        ),
        fields: [(KEY_ID_FIELD.to_owned(), k.access_key_id.clone())]
            .into_iter()
            .collect(),
        secret_fields,
        ..NewKey::new(
            item_for(&k.profile),
            WireSecret::new(SecretValue::from(k.secret_access_key.to_string())),
        )
    };
    match session.op(Op::Add { key })? {
        Response::Item { item } => {
            eprintln!("Added {}.", item.meta.name());
            Ok(())
        }
        other => Err(unexpected(other)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_pasted_access_key_is_split_and_nothing_else_is() {
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        let p = pasted(&format!("AKIAIOSFODNN7EXAMPLE {secret}")).unwrap();
        assert_eq!(p.key_id, "AKIAIOSFODNN7EXAMPLE");
        assert_eq!(p.secret.expose(), secret);
        assert!(p.session_token.is_none());
        let t = pasted(&format!(
            "ASIAIOSFODNN7EXAMPLE\n{secret}\nFwoGZXIvYXdzEJr//token=\n"
        ))
        .unwrap();
        assert_eq!(t.session_token.unwrap().expose(), "FwoGZXIvYXdzEJr//token=");
        for not in [
            secret.to_owned(),
            format!("AKIAIOSFODNN7EXAMPL {secret}"),
            format!("AKIAIOSFODNN7EXAMPLE {secret}x"),
            format!("akiaiosfodnn7example {secret}"),
            "sk-proj-abc def".to_owned(),
        ] {
            assert!(pasted(&not).is_none(), "{not}");
        }
    }

    #[test]
    fn key_ids_are_shown_masked() {
        assert_eq!(masked("AKIAIOSFODNN7EXAMPLE"), "AKIA...MPLE");
        assert_eq!(item_for("default"), "aws");
        assert_eq!(item_for("work"), "aws-work");
    }
}
