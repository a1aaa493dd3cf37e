//! An AWS access key set the way the SDKs read it from the environment (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, maybe `AWS_SESSION_TOKEN`), in a `.env`, a shell profile or a
//! secrets manager's variables: one item, as `vault add` makes of a pasted key and `vault aws`
//! answers with, instead of two or three unrelated ones.

use vault_core::formats;

use crate::{Format, Loaded};

pub use vault_core::formats::{AWS_KEY_ID_FIELD as KEY_ID_FIELD, AWS_TOKEN_FIELD as TOKEN_FIELD};

const ID_VAR: &str = "AWS_ACCESS_KEY_ID";
const SECRET_VAR: &str = "AWS_SECRET_ACCESS_KEY";
const TOKEN_VAR: &str = "AWS_SESSION_TOKEN";

/// What `vault_import::load` joined: the item (named as the secret's variable), and each variable
/// that became one of its fields, with that field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Joined {
    pub item: String,
    pub fields: Vec<(String, &'static str)>,
}

/// Joins the key id (and session token) to the secret's entry as its `access_key_id` (and
/// secret `session_token`) fields, when a source of variables has a key id and a secret of
/// AWS's shapes. A password manager's entries, and `vault export`'s (which say what their
/// items are), are left as they are.
pub(crate) fn join_pair(format: Format, loaded: &mut Loaded) -> Option<Joined> {
    if matches!(
        format,
        Format::Keepass | Format::OnePassword | Format::Bitwarden
    ) {
        return None;
    }
    let Loaded { parsed, metas, .. } = loaded;
    // A variable: a dotenv line (no metadata), or a variable source's entry (no fields).
    let at = |name: &str| {
        parsed
            .entries
            .iter()
            .position(|e| e.key == name)
            .filter(|&i| match metas.get(i) {
                Some(None) => true,
                Some(Some(m)) => {
                    format != Format::Env && m.fields.is_empty() && m.secret_fields.is_empty()
                }
                None => false,
            })
    };
    let id_at = at(ID_VAR)?;
    let secret_at = at(SECRET_VAR)?;
    let key_id = parsed.entries[id_at].value.expose().to_owned();
    if !formats::is_aws_key_id(&key_id)
        || !formats::is_aws_secret_key(parsed.entries[secret_at].value.expose())
    {
        return None;
    }
    let token_at = at(TOKEN_VAR);
    let mut meta = metas[secret_at].take().unwrap_or_default();
    if meta.env.is_empty() {
        meta.env.push(SECRET_VAR.to_owned());
    }
    // The key id's format (long-term or temporary) says the service and rotation policy, as
    // it would have for the key id imported alone.
    let format = formats::detect(&key_id);
    meta.service = meta
        .service
        .or_else(|| format.map(|f| f.service.id.to_owned()));
    if let Some(f) = format {
        meta.rotation = f.policy();
    }
    if !meta.tags.iter().any(|t| t == "aws") {
        meta.tags.push("aws".to_owned());
    }
    let joined_note = format!(
        "Imported with its key id ({ID_VAR}{}).",
        if token_at.is_some() {
            format!(" and session token, {TOKEN_VAR}")
        } else {
            String::new()
        }
    );
    meta.notes = if meta.notes.is_empty() {
        joined_note
    } else {
        format!("{}\n{joined_note}", meta.notes)
    };
    meta.fields.insert(KEY_ID_FIELD.to_owned(), key_id);
    metas[secret_at] = Some(meta);
    let mut fields = vec![(ID_VAR.to_owned(), KEY_ID_FIELD)];
    // Highest index first, so that the other indices stay right.
    let mut gone: Vec<usize> = [Some(id_at), token_at].into_iter().flatten().collect();
    gone.sort_unstable_by(|a, b| b.cmp(a));
    let mut token = None;
    for i in gone {
        let entry = parsed.entries.remove(i);
        metas.remove(i);
        if entry.key == TOKEN_VAR {
            token = Some(entry.value);
        }
    }
    if let Some(token) = token {
        let secret_at = parsed.entries.iter().position(|e| e.key == SECRET_VAR)?;
        if let Some(meta) = metas[secret_at].as_mut() {
            meta.secret_fields.insert(TOKEN_FIELD.to_owned(), token);
        }
        fields.push((TOKEN_VAR.to_owned(), TOKEN_FIELD));
    }
    Some(Joined {
        item: SECRET_VAR.to_owned(),
        fields,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use vault_core::model::ImportedMeta;

    use super::*;

    // Made up, in AWS's shapes.
    const ENV: &str = concat!(
        "API_URL=https://api.example.com\n",
        "AWS_ACCESS_KEY_ID=AKIAQ3EGRJ6TLZ4RDMEW\n", // vault-scan:allow
        "AWS_SECRET_ACCESS_KEY=importTESTsecretK7MDENG/bPxRfiCYzEXAMPL1\n", // vault-scan:allow
        "AWS_SESSION_TOKEN=FwoGZXIvYXdzEXAMPLEtokenTESTvalue\n",
        "AWS_REGION=eu-west-1\n",
    );

    fn loaded(text: &str) -> Loaded {
        let parsed = vault_core::dotenv::parse(text);
        let metas = vec![None; parsed.entries.len()];
        Loaded {
            parsed,
            metas,
            joined: None,
        }
    }

    fn keys(l: &Loaded) -> Vec<&str> {
        l.parsed.entries.iter().map(|e| e.key.as_str()).collect()
    }

    #[test]
    fn the_key_id_and_session_token_become_fields_of_the_secrets_item() {
        let mut l = loaded(ENV);
        let joined = join_pair(Format::Env, &mut l).unwrap();
        assert_eq!(joined.item, SECRET_VAR);
        assert_eq!(
            joined.fields,
            [
                (ID_VAR.to_owned(), KEY_ID_FIELD),
                (TOKEN_VAR.to_owned(), TOKEN_FIELD)
            ]
        );
        assert_eq!(keys(&l), ["API_URL", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"]);
        assert_eq!(l.metas.len(), 3);
        assert!(l.metas[0].is_none() && l.metas[2].is_none());
        let meta = l.metas[1].as_ref().unwrap();
        assert_eq!(meta.fields[KEY_ID_FIELD], "AKIAQ3EGRJ6TLZ4RDMEW"); // vault-scan:allow
        assert_eq!(
            meta.secret_fields[TOKEN_FIELD].expose(),
            "FwoGZXIvYXdzEXAMPLEtokenTESTvalue"
        );
        assert_eq!(meta.service.as_deref(), Some("aws"));
        assert_eq!(meta.env, [SECRET_VAR]);
        assert_eq!(meta.tags, ["aws"]);
    }

    #[test]
    fn a_variable_sources_entries_are_joined_keeping_their_metadata() {
        let mut l = loaded(ENV);
        l.metas = (0..l.parsed.entries.len())
            .map(|_| {
                Some(ImportedMeta {
                    env: Vec::new(),
                    tags: vec!["doppler".into()],
                    ..ImportedMeta::default()
                })
            })
            .collect();
        join_pair(Format::Doppler, &mut l).unwrap();
        let meta = l.metas[1].as_ref().unwrap();
        assert_eq!(meta.tags, ["doppler", "aws"]);
        assert!(meta.fields.contains_key(KEY_ID_FIELD));
        // Another manager's entries are not variables.
        let mut l = loaded(ENV);
        l.metas = vec![Some(ImportedMeta::default()); l.parsed.entries.len()];
        assert!(join_pair(Format::Keepass, &mut l).is_none());
    }

    #[test]
    fn nothing_is_joined_unless_both_are_there_in_aws_shapes() {
        for text in [
            // No secret.
            "AWS_ACCESS_KEY_ID=AKIAQ3EGRJ6TLZ4RDMEW\n", // vault-scan:allow
            // Not a key id.
            "AWS_ACCESS_KEY_ID=minioadmin\nAWS_SECRET_ACCESS_KEY=importTESTsecretK7MDENG/bPxRfiCYzEXAMPL1\n", // vault-scan:allow
            // Not a secret access key (MinIO's defaults, say).
            "AWS_ACCESS_KEY_ID=AKIAQ3EGRJ6TLZ4RDMEW\nAWS_SECRET_ACCESS_KEY=minioadmin\n", // vault-scan:allow
        ] {
            let mut l = loaded(text);
            let before = keys(&l).len();
            assert!(join_pair(Format::Env, &mut l).is_none(), "{text}");
            assert_eq!(keys(&l).len(), before);
            assert!(l.metas.iter().all(Option::is_none));
        }
        // `vault export`'s entries keep what they say.
        let mut l = loaded(ENV);
        l.metas[1] = Some(ImportedMeta::default());
        assert!(join_pair(Format::Env, &mut l).is_none());
    }
}
