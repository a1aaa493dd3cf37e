//! What a member gets: the selector words of `vault share add --items`, matched against an
//! API key's metadata on the sharing device before anything is sealed.

use crate::error::{Error, Result};
use crate::model::ApiKeyMeta;

/// What the selector words mean: `tag:T`, `service:S`, `name:GLOB` (`*` and `?`), or a name.
#[derive(Debug)]
pub(super) enum Rule {
    Tag(String),
    Service(String),
    Name(regex::Regex),
    Exact(String),
}

pub(super) fn parse_selector(words: &[String]) -> Result<Vec<Rule>> {
    if words.is_empty() {
        return Err(Error::invalid(
            "say what the member gets: --items tag:staging (or service:S, name:GLOB, an item's name)",
        ));
    }
    let mut rules = Vec::new();
    for word in words.iter().flat_map(|w| w.split(',')).map(str::trim) {
        let rule = match word.split_once(':') {
            Some(("tag", t)) if !t.is_empty() => Rule::Tag(t.to_lowercase()),
            Some(("service", s)) if !s.is_empty() => Rule::Service(s.to_lowercase()),
            Some(("name", g)) if !g.is_empty() => Rule::Name(glob(g)?),
            Some((kind, _)) => {
                return Err(Error::invalid(format!(
                    "{word:?} is not a selector: use tag:T, service:S, name:GLOB or an item's name{}",
                    if ["tag", "service", "name"].contains(&kind) {
                        " (nothing after the colon)"
                    } else {
                        ""
                    }
                )));
            }
            None if !word.is_empty() => Rule::Exact(word.to_lowercase()),
            None => continue,
        };
        rules.push(rule);
    }
    if rules.is_empty() {
        return Err(Error::invalid("the selector names nothing"));
    }
    Ok(rules)
}

fn glob(pattern: &str) -> Result<regex::Regex> {
    let mut re = String::from("(?i)^");
    for c in pattern.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    regex::Regex::new(&re).map_err(|e| Error::invalid(format!("{pattern:?}: {e}")))
}

pub(super) fn selects(rules: &[Rule], meta: &ApiKeyMeta) -> bool {
    rules.iter().any(|r| match r {
        Rule::Tag(t) => meta.tags.iter().any(|x| x.to_lowercase() == *t),
        Rule::Service(s) => meta
            .service
            .as_deref()
            .is_some_and(|x| x.to_lowercase() == *s),
        Rule::Name(re) => re.is_match(&meta.name),
        Rule::Exact(n) => meta.name.to_lowercase() == *n,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use jiff::Timestamp;

    fn meta(name: &str, tags: &[&str], service: Option<&str>) -> ApiKeyMeta {
        let now = Timestamp::UNIX_EPOCH;
        ApiKeyMeta {
            name: name.into(),
            env: vec![name.into()],
            service: service.map(Into::into),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            notes: String::new(),
            created: now,
            updated: now,
            last_rotated: now,
            rotation: Default::default(),
            expires: None,
            version: 1,
            hosts: None,
            fields: Default::default(),
            secret_fields: Vec::new(),
            refused: None,
            conflict: None,
        }
    }

    #[test]
    fn selectors_name_what_they_say_and_nothing_else() {
        let words = |w: &[&str]| w.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let staging = parse_selector(&words(&["tag:staging"])).unwrap();
        assert!(selects(&staging, &meta("A", &["Staging"], None)));
        assert!(!selects(&staging, &meta("A", &["prod"], None)));
        let names = parse_selector(&words(&["name:STRIPE_*", "service:openai"])).unwrap();
        assert!(selects(&names, &meta("stripe_test", &[], None)));
        assert!(selects(&names, &meta("X", &[], Some("OpenAI"))));
        assert!(!selects(&names, &meta("MY_STRIPE", &[], None)));
        let exact = parse_selector(&words(&["DB_URL,REDIS_URL"])).unwrap();
        assert!(selects(&exact, &meta("REDIS_URL", &[], None)));
        assert!(!selects(&exact, &meta("DB_URL2", &[], None)));
        let literal = parse_selector(&words(&["A*B"])).unwrap();
        assert!(
            !selects(&literal, &meta("AxB", &[], None)),
            "a bare name is not a glob"
        );
        for bad in [&[][..], &["color:red"][..], &["tag:"][..], &[","][..]] {
            assert!(parse_selector(&words(bad)).is_err(), "{bad:?}");
        }
    }
}
