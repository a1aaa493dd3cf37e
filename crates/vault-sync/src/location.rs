//! Where a vault syncs, as the user gives it and reads it: a git remote (any URL or path git
//! takes) or S3-compatible storage, `s3://bucket/prefix` with its settings (endpoint, region,
//! the item holding the access key). Stored as one URL; shown with the settings spelled out.

use crate::{Error, Result};

/// Where a vault syncs: `s3://bucket/prefix`, and for storage other than AWS its endpoint;
/// optionally the vault item holding the access key (else the AWS environment variables).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub bucket: String,
    /// Without leading or trailing slashes; may be empty.
    pub prefix: String,
    /// `http(s)://host[:port]` of S3-compatible storage; none for AWS.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// The item of this vault holding the access key (value: the secret access key, field
    /// `access_key_id`, secret field `session_token`), as `vault aws` reads it.
    pub key: Option<String>,
}

fn invalid(message: impl Into<String>) -> Error {
    Error::Location(message.into())
}

impl Location {
    /// Whether `url` names S3 storage (else it is a git remote).
    pub fn is_s3(url: &str) -> bool {
        url.starts_with("s3://")
    }

    /// Parses `s3://bucket[/prefix][?endpoint=URL&region=R&key=ITEM]`.
    pub fn parse(text: &str) -> Result<Location> {
        let url = url::Url::parse(text.trim())
            .map_err(|e| invalid(format!("{text:?} is not an s3:// URL: {e}")))?;
        if url.scheme() != "s3" {
            return Err(invalid(format!(
                "{text:?} is not an s3://bucket/prefix URL"
            )));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "the s3:// URL holds a user or key: name the vault item that holds the access key with --key instead",
            ));
        }
        let bucket = url.host_str().unwrap_or_default().to_owned();
        let valid_bucket = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
        if !valid_bucket {
            return Err(invalid(format!(
                "{bucket:?} is not a bucket name (3 to 63 lowercase letters, digits, dots and dashes)"
            )));
        }
        let prefix = url.path().trim_matches('/').to_owned();
        // An empty segment (`a//b`), `.` or `..` name no object store path.
        if !prefix.is_empty()
            && prefix
                .split('/')
                .any(|p| p.is_empty() || p == "." || p == "..")
        {
            return Err(invalid(format!("{prefix:?} is not a usable prefix")));
        }
        let mut location = Location {
            bucket,
            prefix,
            endpoint: None,
            region: None,
            key: None,
        };
        for (k, v) in url.query_pairs() {
            let v = v.trim().to_owned();
            match &*k {
                "endpoint" => location.endpoint = Some(v),
                "region" => location.region = Some(v),
                "key" => location.key = Some(v),
                other => {
                    return Err(invalid(format!(
                        "unknown setting {other:?} in the s3:// URL (endpoint, region and key are known)"
                    )));
                }
            }
        }
        if let Some(endpoint) = &location.endpoint {
            let parsed = url::Url::parse(endpoint)
                .map_err(|_| invalid(format!("the endpoint {endpoint:?} is not a URL")))?;
            if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
                return Err(invalid(format!(
                    "the endpoint {endpoint:?} is not an http:// or https:// URL"
                )));
            }
            if !parsed.username().is_empty() || parsed.password().is_some() {
                return Err(invalid(
                    "the endpoint holds a user or key: name the vault item that holds the access key with --key instead",
                ));
            }
            location.endpoint = Some(endpoint.trim_end_matches('/').to_owned());
        }
        Ok(location)
    }

    /// `s3://bucket/prefix`, without the settings.
    pub fn base_url(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }

    /// The settings people pass as flags: `("endpoint", value)`..., in a fixed order.
    pub fn settings(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("endpoint", &self.endpoint),
            ("region", &self.region),
            ("key", &self.key),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
    }

    /// The URL this location is stored and shown as (settings in a fixed order).
    pub fn url(&self) -> String {
        let mut url = self.base_url();
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.settings() {
            query.append_pair(k, v);
        }
        let query = query.finish();
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query);
        }
        url
    }

    /// `url` with the given settings put in (the flags `--endpoint`, `--region`, `--key`, or
    /// the app's fields), checked as a whole: an endpoint with a password in it is refused.
    pub fn with_settings(
        url: &str,
        endpoint: Option<&str>,
        region: Option<&str>,
        key: Option<&str>,
    ) -> Result<String> {
        let mut location = Location::parse(url)?;
        for (setting, value) in [
            (&mut location.endpoint, endpoint),
            (&mut location.region, region),
            (&mut location.key, key),
        ] {
            if let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) {
                *setting = Some(v.to_owned());
            }
        }
        Ok(Location::parse(&location.url())?.url())
    }
}

/// A remote as people read it: an `s3://` URL with its settings spelled out, any other as is.
pub fn shown(url: &str) -> String {
    let Ok(l) = Location::parse(url) else {
        return url.to_owned();
    };
    let settings: Vec<String> = l.settings().map(|(k, v)| format!("{k} {v}")).collect();
    if settings.is_empty() {
        l.base_url()
    } else {
        format!("{} ({})", l.base_url(), settings.join(", "))
    }
}

/// The `vault sync join` command another device runs for this remote.
pub fn join_command(url: &str) -> String {
    command_for("vault sync join", url)
}

/// `command` followed by the location `url` spelled as the CLI takes it (its settings as
/// flags): what another machine types to reach the same place.
pub fn command_for(command: &str, url: &str) -> String {
    let Ok(l) = Location::parse(url) else {
        return format!("{command} {url}");
    };
    let mut command = format!("{command} {}", l.base_url());
    for (flag, value) in l.settings() {
        command.push_str(&format!(" --{flag} {value}"));
    }
    command
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn locations_read_back_and_bad_ones_are_refused() {
        let l = Location::parse(
            "s3://team-vault/sync/alice?endpoint=http://127.0.0.1:9000/&key=S3_KEY",
        )
        .unwrap();
        assert_eq!(l.bucket, "team-vault");
        assert_eq!(l.prefix, "sync/alice");
        assert_eq!(l.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(l.key.as_deref(), Some("S3_KEY"));
        assert_eq!(Location::parse(&l.url()).unwrap(), l);
        assert_eq!(
            l.url(),
            "s3://team-vault/sync/alice?endpoint=http%3A%2F%2F127.0.0.1%3A9000&key=S3_KEY"
        );
        let plain = Location::parse("s3://bucket").unwrap();
        assert_eq!(plain.prefix, "");
        assert_eq!(plain.url(), "s3://bucket");
        for (bad, says) in [
            ("s3://AKIA:secret@bucket/p", "user or key"),
            ("s3://Bucket_Name/p", "bucket name"),
            ("s3://bucket/a//b", "prefix"),
            ("s3://bucket/p?endpoint=ftp://x", "http://"),
            ("s3://bucket/p?endpoint=http://me:pw@host", "user or key"),
            ("s3://bucket/p?secret=x", "unknown setting"),
            ("https://bucket/p", "s3://"),
        ] {
            let e = Location::parse(bad).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
            assert!(!e.contains("secret") || bad.contains("?secret"), "{e}");
        }
    }

    #[test]
    fn settings_are_put_in_and_spelled_out() {
        let url = Location::with_settings(
            "s3://team-vault/sync",
            Some("http://nas.local:9000"),
            Some(" "),
            Some("S3_KEY"),
        )
        .unwrap();
        assert_eq!(
            shown(&url),
            "s3://team-vault/sync (endpoint http://nas.local:9000, key S3_KEY)"
        );
        assert_eq!(
            join_command(&url),
            "vault sync join s3://team-vault/sync --endpoint http://nas.local:9000 --key S3_KEY"
        );
        let e = Location::with_settings("s3://b-1/p", Some("http://me:pw@host"), None, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("user or key") && !e.contains("pw"), "{e}");
        for git in ["git@github.com:me/vault-sync.git", "/srv/git/vault.git"] {
            assert_eq!(shown(git), git);
            assert_eq!(join_command(git), format!("vault sync join {git}"));
        }
    }
}
