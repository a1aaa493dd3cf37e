//! The storage side of the helper: what git prompted for and the server accepted (`store`)
//! becomes an item of the vault, and what the server then refuses (`erase`) goes again, as
//! git's own storage helpers do. An item git stored is tagged `git` and carries the URL it was
//! for in its `git-url` field; git never changes or deletes any other item.

use std::collections::BTreeMap;

use anyhow::Result;
use vault_agent::protocol::{NewKey, Op, WireSecret};
use vault_core::model::ApiKeyMeta;
use vault_core::{Item, SecretValue};

use super::protocol::Request;
use super::{Found, ask, choose, destination, known, refusal};
use crate::session::Session;

/// The tag and field that mark an item as git's.
pub const TAG: &str = "git";
pub const URL_FIELD: &str = "git-url";

/// `https://host[:port][/path]`, lower-cased host: what a stored item is for.
fn url_of(r: &Request) -> Option<String> {
    let origin = r.origin()?.to_ascii_lowercase();
    Some(match r.path.as_deref().filter(|p| !p.is_empty()) {
        Some(path) => format!("{origin}/{path}"),
        None => origin,
    })
}

/// The item git stored for `r`'s URL and user, if any.
fn stored<'a>(items: &'a [Item], url: &str, user: &str) -> Option<&'a ApiKeyMeta> {
    items.iter().filter_map(|i| i.meta.as_api_key()).find(|m| {
        m.tags.iter().any(|t| t == TAG)
            && m.fields.get(URL_FIELD).map(String::as_str) == Some(url)
            && m.fields.get("username").map(String::as_str) == Some(user)
    })
}

/// `store`: keeps what git used, unless the vault already answers for it.
pub fn store(session: &mut Session, r: &Request) -> Result<()> {
    let (Some(url), Some(user), Some(password)) = (url_of(r), r.username.as_deref(), &r.password)
    else {
        return Ok(());
    };
    let Some(to) = destination(r) else {
        return Ok(());
    };
    let (items, providers) = known(session)?;
    let value = || WireSecret::new(SecretValue::new(password.as_str()));
    let expires = r
        .password_expiry_utc
        .and_then(|t| vault_core::Timestamp::from_second(t).ok());
    if let Some(own) = stored(&items, &url, user) {
        // git stores after every request that got in, most with what vault gave it.
        let rotated = ask(
            session,
            Op::Rotate {
                name: own.name.clone(),
                value: value(),
                expires,
            },
        );
        return match rotated {
            Ok(_) => {
                eprintln!(
                    "vault: {} now holds the credential git used for {url}.",
                    own.name
                );
                Ok(())
            }
            Err(e) if unchanged(&e) => Ok(()),
            Err(e) => Err(e),
        };
    }
    if let Some(found) = choose(&items, &providers, &to.as_destination(), Some(user)) {
        if refusal(&items, found.name()).is_none() {
            // An item of the user's answers for this host: git got it from vault.
            return Ok(());
        }
        // The server refused the item's value, then took what the user typed at git's
        // prompt: that is the item's new value (the refused one stays in its history). The
        // same value typed again was a passing refusal: the mark goes.
        let name = found.name().to_owned();
        let rotated = ask(
            session,
            Op::Rotate {
                name: name.clone(),
                value: value(),
                expires,
            },
        );
        return match rotated {
            Ok(_) => {
                eprintln!(
                    "vault: {name} now holds the credential git used for {url} (the refused one \
                     is kept in its history)."
                );
                Ok(())
            }
            Err(e) if unchanged(&e) => {
                ask(session, Op::MarkRefused { name, by: None })?;
                Ok(())
            }
            Err(e) => Err(e),
        };
    }
    let name = free_name(
        &items,
        &format!("git-{}-{user}", r.host.as_deref().unwrap_or("")),
    );
    let host_rule = match r.protocol.as_deref() {
        Some("http") => format!("http://{}", to.host_port()),
        _ => to.host_port(),
    };
    let mut fields = BTreeMap::new();
    fields.insert("username".to_owned(), user.to_owned());
    fields.insert(URL_FIELD.to_owned(), url.clone());
    let key = NewKey {
        tags: vec![TAG.to_owned()],
        notes: format!("Stored by git for {url} (vault git-credential)."),
        expires,
        hosts: Some(vec![host_rule.parse().map_err(|e| anyhow::anyhow!("{e}"))?]),
        fields,
        ..NewKey::new(name.clone(), value())
    };
    ask(session, Op::Add { key })?;
    eprintln!("vault: stored the credential git used for {url} as {name}.");
    Ok(())
}

/// `erase`: the server refused what git sent. git's own item goes; the user's are kept.
pub fn erase(session: &mut Session, r: &Request) -> Result<()> {
    let (Some(url), Some(user)) = (url_of(r), r.username.as_deref()) else {
        return Ok(());
    };
    let (items, providers) = known(session)?;
    if let Some(own) = stored(&items, &url, user) {
        ask(
            session,
            Op::Remove {
                name: own.name.clone(),
            },
        )?;
        eprintln!(
            "vault: the server refused {}; git's stored credential is removed.",
            own.name
        );
        return Ok(());
    }
    let Some(to) = destination(r) else {
        return Ok(());
    };
    match choose(&items, &providers, &to.as_destination(), Some(user)) {
        Some(found @ Found::Key { .. }) => {
            // git never deletes an item the user added: it is marked instead, and shows in
            // `vault due` and the app until it gets a new value.
            ask(
                session,
                Op::MarkRefused {
                    name: found.name().to_owned(),
                    by: Some(url.clone()),
                },
            )?;
            eprintln!(
                "vault: the server refused what git sent for {url}; {0}, which vault gives for \
                 it, is kept (git never deletes an item you added) and marked as refused (see \
                 `vault due`): `vault rotate {0}` with a new one.",
                found.name()
            );
        }
        Some(found) => eprintln!(
            "vault: the server refused the token of {0} for {url}; the grant is kept: \
             `vault refresh {0}`, or `vault login` again if it was revoked.",
            found.name()
        ),
        None => {}
    }
    Ok(())
}

/// The vault's answer to a rotation to the value it already holds.
pub(crate) fn unchanged(e: &anyhow::Error) -> bool {
    e.downcast_ref::<crate::exit::Failure>().is_some_and(|f| {
        f.code == crate::exit::OTHER && f.message.contains("is the same as the current one")
    })
}

/// `base`, made a valid item name, with `-2`, `-3`... when taken.
pub(crate) fn free_name(items: &[Item], base: &str) -> String {
    let clean: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@') {
                c
            } else {
                '-'
            }
        })
        .collect::<String>()
        .to_ascii_lowercase();
    let clean: String = clean.chars().take(100).collect();
    let taken = |n: &str| {
        items
            .iter()
            .any(|i| vault_core::names::fold(i.meta.name()) == vault_core::names::fold(n))
    };
    if !taken(&clean) {
        return clean;
    }
    (2..)
        .map(|i| format!("{clean}-{i}"))
        .find(|n| !taken(n))
        .unwrap_or(clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_items_url_and_name_come_from_what_git_sent() {
        let r = super::super::protocol::parse(
            b"protocol=https\nhost=Git.Example.com:8443\npath=team/app.git\nusername=alice\n",
        )
        .unwrap();
        assert_eq!(
            url_of(&r).as_deref(),
            Some("https://git.example.com:8443/team/app.git")
        );
        assert_eq!(
            free_name(&[], "git-Git.Example.com:8443-alice"),
            "git-git.example.com-8443-alice"
        );
    }
}
