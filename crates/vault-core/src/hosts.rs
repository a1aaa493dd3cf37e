//! Where a key may be sent: an item's allowed hosts.
//!
//! `vault run --proxy` is to add a key to a request only when the request goes to one of
//! these. A rule is `[http://|https://][*.]host[:port][/path]`: HTTPS unless it says `http://`
//! (a key is never sent in the clear by accident), the scheme's port unless it names one, and
//! any path unless it names a prefix (matched at `/` boundaries). `*.example.com` is any name
//! under example.com at any depth, not example.com itself.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One allowed destination of a key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HostRule {
    /// `false`: HTTPS only (the default); `true`: plain HTTP only, said explicitly.
    plain: bool,
    /// Lower case; without the `*.` of a wildcard; an IPv6 address without brackets.
    host: String,
    wildcard: bool,
    port: Option<u16>,
    /// Starts with `/`; never ends with one (except the bare `/`, which is dropped).
    path: Option<String>,
}

/// Where a request goes, as the proxy sees it.
#[derive(Clone, Copy, Debug)]
pub struct Destination<'a> {
    pub tls: bool,
    /// Any case; an IPv6 address with or without brackets.
    pub host: &'a str,
    pub port: u16,
    /// The request target's path, with or without its query.
    pub path: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{rule:?} is not a host rule: {why} (write e.g. api.example.com, *.example.com, localhost:8443 or api.example.com/v1)"
)]
pub struct BadHostRule {
    rule: String,
    why: &'static str,
}

impl HostRule {
    /// Whether a request to `to` may carry the key.
    pub fn allows(&self, to: &Destination<'_>) -> bool {
        self.allows_authority(to.tls, to.host, to.port) && self.allows_path(to.path)
    }

    /// Whether some request to `host:port` may carry the key (the path is not known yet: the
    /// proxy decides from this whether to open a tunnel's TLS at all).
    pub fn allows_authority(&self, tls: bool, host: &str, port: u16) -> bool {
        if tls == self.plain {
            return false;
        }
        let default_port = if self.plain { 80 } else { 443 };
        if self.port.unwrap_or(default_port) != port {
            return false;
        }
        let host = normalize_host(host);
        if self.wildcard {
            host.len() > self.host.len() + 1
                && host.ends_with(&self.host)
                && host.as_bytes()[host.len() - self.host.len() - 1] == b'.'
        } else {
            host == self.host
        }
    }

    fn allows_path(&self, path: &str) -> bool {
        let Some(prefix) = &self.path else {
            return true;
        };
        let path = path.split(['?', '#']).next().unwrap_or_default();
        match path.strip_prefix(prefix.as_str()) {
            Some(rest) => rest.is_empty() || rest.starts_with('/'),
            None => false,
        }
    }

    /// The host name or address (without `*.`), for messages and certificate names.
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn is_wildcard(&self) -> bool {
        self.wildcard
    }
}

fn normalize_host(host: &str) -> String {
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.trim_end_matches('.').to_ascii_lowercase()
}

impl FromStr for HostRule {
    type Err = BadHostRule;

    fn from_str(text: &str) -> Result<Self, BadHostRule> {
        let bad = |why| BadHostRule {
            rule: text.to_owned(),
            why,
        };
        let trimmed = text.trim();
        let (plain, rest) = if let Some(rest) = strip_prefix_ci(trimmed, "https://") {
            (false, rest)
        } else if let Some(rest) = strip_prefix_ci(trimmed, "http://") {
            (true, rest)
        } else if trimmed
            .find("://")
            .is_some_and(|i| !trimmed[..i].contains('/'))
        {
            // A scheme before the first `/` (one in a path prefix is part of the path).
            return Err(bad("only https:// and http:// are proxied"));
        } else {
            (false, trimmed)
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], Some(&rest[i..])),
            None => (rest, None),
        };
        let path = match path {
            // Printed as it is, so nothing that reads differently (a trimmed space, a query).
            Some(p)
                if p.chars()
                    .any(|c| matches!(c, '?' | '#') || c.is_whitespace() || c.is_control()) =>
            {
                return Err(bad(
                    "a path prefix cannot hold ?, #, spaces or control characters",
                ));
            }
            Some(p) => Some(p.trim_end_matches('/')).filter(|p| !p.is_empty()),
            None => None,
        };
        let (host, port) = split_port(authority).ok_or_else(|| bad("the port is not 1-65535"))?;
        let (wildcard, host) = match host.strip_prefix("*.") {
            Some(h) => (true, h),
            None => (false, host),
        };
        let host = normalize_host(host);
        if host.is_empty() {
            return Err(bad("no host"));
        }
        if host.parse::<std::net::IpAddr>().is_ok() {
            if wildcard {
                return Err(bad("an address cannot have a wildcard"));
            }
        } else {
            let labels: Vec<&str> = host.split('.').collect();
            let valid = labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
            if !valid || host.len() > 253 {
                return Err(bad(
                    "not a host name (letters, digits, - and dots; `*.` only in front)",
                ));
            }
            if wildcard && labels.len() < 2 {
                return Err(bad(
                    "a wildcard needs at least a domain and its suffix after *.",
                ));
            }
        }
        Ok(HostRule {
            plain,
            host,
            wildcard,
            port,
            path: path.map(str::to_owned),
        })
    }
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`; `None` for a bad port.
fn split_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let port_of = |p: &str| p.parse::<u16>().ok().filter(|p| *p != 0);
    if authority.starts_with('[') {
        let end = authority.find(']')?;
        let host = &authority[..=end];
        return match &authority[end + 1..] {
            "" => Some((host, None)),
            rest => Some((host, Some(port_of(rest.strip_prefix(':')?)?))),
        };
    }
    match authority.rsplit_once(':') {
        // Two colons without brackets: a bare IPv6 address.
        Some((host, _)) if host.contains(':') => Some((authority, None)),
        Some((host, port)) => Some((host, Some(port_of(port)?))),
        None => Some((authority, None)),
    }
}

impl fmt::Display for HostRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.plain {
            f.write_str("http://")?;
        }
        if self.wildcard {
            f.write_str("*.")?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]", self.host)?;
        } else {
            f.write_str(&self.host)?;
        }
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        if let Some(path) = &self.path {
            f.write_str(path)?;
        }
        Ok(())
    }
}

impl Serialize for HostRule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for HostRule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Parses rules given one by one (`--host`), naming the first bad one.
pub fn parse_all<S: AsRef<str>>(rules: &[S]) -> Result<Vec<HostRule>, BadHostRule> {
    let mut out: Vec<HostRule> = Vec::with_capacity(rules.len());
    for rule in rules {
        let rule: HostRule = rule.as_ref().parse()?;
        if !out.contains(&rule) {
            out.push(rule);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(s: &str) -> HostRule {
        s.parse().unwrap()
    }

    fn https<'a>(host: &'a str, port: u16, path: &'a str) -> Destination<'a> {
        Destination {
            tls: true,
            host,
            port,
            path,
        }
    }

    #[test]
    fn an_exact_name_allows_only_itself_on_https_443() {
        let r = rule("api.openai.com");
        assert!(r.allows(&https("api.openai.com", 443, "/v1/chat")));
        assert!(r.allows(&https("API.OpenAI.com.", 443, "/")));
        assert!(!r.allows(&https("api.openai.com", 8443, "/")));
        assert!(!r.allows(&https("api.openai.com.evil.test", 443, "/")));
        assert!(!r.allows(&https("evilapi.openai.com", 443, "/")));
        let plain = Destination {
            tls: false,
            ..https("api.openai.com", 80, "/")
        };
        assert!(
            !r.allows(&plain),
            "a key never goes out in the clear unless a rule says http://"
        );
        assert!(rule("http://api.openai.com").allows(&plain));
        assert!(!rule("http://api.openai.com").allows(&https("api.openai.com", 443, "/")));
    }

    #[test]
    fn a_wildcard_allows_names_below_it_not_the_domain_itself() {
        let r = rule("*.googleapis.com");
        assert!(r.allows(&https("storage.googleapis.com", 443, "/")));
        assert!(r.allows(&https("a.b.googleapis.com", 443, "/")));
        assert!(!r.allows(&https("googleapis.com", 443, "/")));
        assert!(!r.allows(&https("evilgoogleapis.com", 443, "/")));
        assert!(!r.allows(&https("googleapis.com.evil.test", 443, "/")));
    }

    #[test]
    fn a_path_prefix_matches_whole_segments() {
        let r = rule("api.example.com/v1/");
        assert_eq!(r.to_string(), "api.example.com/v1");
        assert!(r.allows(&https("api.example.com", 443, "/v1")));
        assert!(r.allows(&https("api.example.com", 443, "/v1/models?x=1")));
        assert!(r.allows(&https("api.example.com", 443, "/v1?x=1")));
        assert!(!r.allows(&https("api.example.com", 443, "/v10")));
        assert!(!r.allows(&https("api.example.com", 443, "/v2/v1")));
        assert!(r.allows_authority(true, "api.example.com", 443));
    }

    #[test]
    fn ports_and_addresses() {
        assert!(rule("localhost:8443").allows(&https("localhost", 8443, "/")));
        assert!(!rule("localhost:8443").allows(&https("localhost", 443, "/")));
        assert!(rule("127.0.0.1:9000").allows(&https("127.0.0.1", 9000, "/")));
        let v6 = rule("[::1]:9000");
        assert_eq!(v6.to_string(), "[::1]:9000");
        assert!(v6.allows(&https("[::1]", 9000, "/")));
        assert!(v6.allows(&https("::1", 9000, "/")));
        assert_eq!(
            rule("HTTPS://Api.Example.com:443/").to_string(),
            "api.example.com:443"
        );
    }

    #[test]
    fn bad_rules_are_refused_with_the_reason() {
        for bad in [
            "",
            "ftp://example.com",
            "*.com",
            "*.127.0.0.1",
            "exa mple.com",
            "example..com",
            "-bad.com",
            "example.com:0",
            "example.com:65536",
            "example.com:http",
            "example.com/a?b",
            "[::1",
            "foo.*.com",
        ] {
            let err = bad.parse::<HostRule>().unwrap_err().to_string();
            assert!(err.contains("is not a host rule"), "{bad}: {err}");
        }
    }

    #[test]
    fn a_rule_prints_as_text_that_parses_back_to_it() {
        // Found by fuzzing: `://` in a path prefix read as a scheme once printed without its
        // `https://`, and a tab before a trailing `/` was trimmed away once printed.
        for text in [
            "https://a.example/x://y",
            "a.example/x://y",
            "http://a.example/p://",
        ] {
            let r = rule(text);
            assert_eq!(rule(&r.to_string()), r, "{text}");
        }
        assert!("a.example/x\t/".parse::<HostRule>().is_err());
        assert!("a.example/x\u{7f}".parse::<HostRule>().is_err());
        assert!("ftp://a.example".parse::<HostRule>().is_err());
    }

    #[test]
    fn rules_survive_json_and_duplicates_collapse() {
        let rules = parse_all(&[
            "*.example.com",
            "http://localhost:8080/api",
            "*.EXAMPLE.com",
        ])
        .unwrap();
        assert_eq!(rules.len(), 2);
        let json = serde_json::to_string(&rules).unwrap();
        assert_eq!(json, r#"["*.example.com","http://localhost:8080/api"]"#);
        assert_eq!(serde_json::from_str::<Vec<HostRule>>(&json).unwrap(), rules);
        assert!(serde_json::from_str::<Vec<HostRule>>(r#"["*.com"]"#).is_err());
    }
}
