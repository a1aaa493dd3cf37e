//! git's credential helper protocol (`gitcredentials(7)`, `git-credential(1)`): `key=value`
//! lines up to a blank line or the end of input; `key[]` attributes repeat. Unknown
//! attributes are ignored, as git asks of helpers. Values never hold a newline or a NUL: git
//! refuses them, and so does this parser, so an answer can never smuggle a second attribute.

use std::collections::BTreeMap;

/// The longest input a helper reads: git sends a few hundred bytes.
const MAX_INPUT: usize = 64 * 1024;

/// What git asks about. Its `Debug` leaves the password out.
#[derive(Default, Clone, PartialEq, Eq)]
pub struct Request {
    pub protocol: Option<String>,
    /// `host` or `host:port`, as git sends it.
    pub host: Option<String>,
    /// Only with `credential.useHttpPath`: the repository path, without a leading `/`.
    pub path: Option<String>,
    pub username: Option<String>,
    /// Sent by git to `store` and `erase`, never kept here beyond the call.
    pub password: Option<zeroize::Zeroizing<String>>,
    /// Unix seconds: when the password stops working, if its issuer said.
    pub password_expiry_utc: Option<i64>,
    /// `capability[]` values (`authtype`, `state`): what this git understands.
    pub capabilities: Vec<String>,
    /// `wwwauth[]`: the server's `WWW-Authenticate` headers.
    pub wwwauth: Vec<String>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("protocol", &self.protocol)
            .field("host", &self.host)
            .field("path", &self.path)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .finish_non_exhaustive()
    }
}

impl Request {
    /// `https://host[:port]`, the origin git asks about.
    pub fn origin(&self) -> Option<String> {
        Some(format!(
            "{}://{}",
            self.protocol.as_deref()?,
            self.host.as_deref()?
        ))
    }
}

/// Why input is refused: said on stderr, and git gets no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed(String);

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "git sent a credential request this helper cannot read: {}",
            self.0
        )
    }
}

impl std::error::Error for Malformed {}

/// Reads a request. A `url=` attribute is taken apart into the others, as git does.
pub fn parse(input: &[u8]) -> Result<Request, Malformed> {
    if input.len() > MAX_INPUT {
        return Err(Malformed("longer than 64 KiB".into()));
    }
    let text = std::str::from_utf8(input).map_err(|_| Malformed("it is not UTF-8 text".into()))?;
    let mut r = Request::default();
    for (n, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line.contains('\0') {
            return Err(Malformed(format!("line {} holds a NUL byte", n + 1)));
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(Malformed(format!("line {} is not key=value", n + 1)));
        };
        let value = value.to_owned();
        match key {
            "protocol" => r.protocol = Some(value),
            "host" => r.host = Some(value),
            "path" => r.path = Some(value),
            "username" => r.username = Some(value),
            "password" => r.password = Some(zeroize::Zeroizing::new(value)),
            // An expiry git cannot read is none (as git treats it).
            "password_expiry_utc" => r.password_expiry_utc = value.parse().ok(),
            "capability[]" => r.capabilities.push(value),
            "wwwauth[]" => r.wwwauth.push(value),
            "url" => apply_url(&mut r, &value)?,
            // password_expiry_utc, oauth_refresh_token, authtype, state[]...: not needed here.
            _ => {}
        }
    }
    Ok(r)
}

/// `url=https://user@host:port/path`: git's own shorthand for the attributes.
fn apply_url(r: &mut Request, url: &str) -> Result<(), Malformed> {
    let Some((protocol, rest)) = url.split_once("://") else {
        return Err(Malformed(format!("{url:?} is not a URL")));
    };
    r.protocol = Some(protocol.to_owned());
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = match authority.rsplit_once('@') {
        Some((user, host)) => {
            let user = user.split(':').next().unwrap_or_default();
            if !user.is_empty() {
                r.username = Some(user.to_owned());
            }
            host
        }
        None => authority,
    };
    r.host = Some(host.to_owned());
    if !path.is_empty() {
        r.path = Some(path.to_owned());
    }
    Ok(())
}

/// An answer to `get`: the attributes set, in git's order.
#[derive(Default)]
pub struct Answer {
    pub username: Option<String>,
    pub password: Option<zeroize::Zeroizing<String>>,
    /// Unix seconds.
    pub password_expiry_utc: Option<i64>,
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answer")
            .field("username", &self.username)
            .field("password_expiry_utc", &self.password_expiry_utc)
            .finish_non_exhaustive()
    }
}

impl Answer {
    /// The lines git reads; `None` when a value could break the protocol (a newline in a
    /// stored username, say): better no answer than a forged attribute.
    pub fn render(&self) -> Option<zeroize::Zeroizing<String>> {
        let mut out = zeroize::Zeroizing::new(String::new());
        let mut attrs: BTreeMap<u8, (&str, &str)> = BTreeMap::new();
        let expiry = self.password_expiry_utc.map(|t| t.to_string());
        if let Some(u) = &self.username {
            attrs.insert(0, ("username", u));
        }
        if let Some(p) = &self.password {
            attrs.insert(1, ("password", p.as_str()));
        }
        if let Some(e) = &expiry {
            attrs.insert(2, ("password_expiry_utc", e));
        }
        for (key, value) in attrs.values() {
            if value.contains(['\n', '\r', '\0']) {
                return None;
            }
            out.push_str(key);
            out.push('=');
            out.push_str(value);
            out.push('\n');
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_git_sends_and_ignores_what_it_does_not_know() {
        let r = parse(
            b"capability[]=authtype\ncapability[]=state\nprotocol=https\nhost=github.com:8443\n\
              path=acme/app.git\nusername=alice\nwwwauth[]=Basic realm=\"git\"\nfuture=1\n\nafter=x\n",
        )
        .unwrap();
        assert_eq!(r.protocol.as_deref(), Some("https"));
        assert_eq!(r.host.as_deref(), Some("github.com:8443"));
        assert_eq!(r.path.as_deref(), Some("acme/app.git"));
        assert_eq!(r.username.as_deref(), Some("alice"));
        assert_eq!(r.capabilities, ["authtype", "state"]);
        assert_eq!(r.wwwauth, ["Basic realm=\"git\""]);
        assert_eq!(r.origin().as_deref(), Some("https://github.com:8443"));
    }

    #[test]
    fn a_url_attribute_is_taken_apart() {
        let r = parse(b"url=https://bob:secret@git.example.com/team/repo.git\n").unwrap();
        assert_eq!(r.protocol.as_deref(), Some("https"));
        assert_eq!(r.host.as_deref(), Some("git.example.com"));
        assert_eq!(r.username.as_deref(), Some("bob"));
        assert_eq!(r.path.as_deref(), Some("team/repo.git"));
    }

    #[test]
    fn malformed_input_is_refused_never_guessed() {
        for bad in [
            &b"protocol=https\nno equals sign\n"[..],
            b"host=a\0b\n",
            b"\xff\xfe=1\n",
            b"url=not a url\n",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        assert!(parse(&vec![b'a'; MAX_INPUT + 1]).is_err());
        assert_eq!(parse(b"").unwrap(), Request::default());
    }

    #[test]
    fn an_answer_never_carries_a_line_break() {
        let ok = Answer {
            username: Some("x-access-token".into()),
            password: Some(zeroize::Zeroizing::new("ghp_abc".into())),
            password_expiry_utc: Some(1_800_000_000),
        };
        assert_eq!(
            ok.render().unwrap().as_str(),
            "username=x-access-token\npassword=ghp_abc\npassword_expiry_utc=1800000000\n"
        );
        let forged = Answer {
            username: Some("alice\npassword=evil".into()),
            ..Answer::default()
        };
        assert!(forged.render().is_none());
    }
}
