//! `vault run --proxy`, the command's side: what the agent needs to open the session (the
//! user's own proxy and CA settings, `--proxy-ca-file`), and the variables that point the
//! command at it.

use std::ffi::{OsStr, OsString};

use anyhow::{Context, Result};
use vault_agent::protocol::{ProxyRequest, ProxySession, UpstreamProxy};

use crate::cli::RunArgs;

/// The proxy variables real clients read (curl, Python, Node, Go, git...), in both cases.
const PROXY_VARS: &[&str] = &[
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
];
/// Node reads none of the above by default: its own switch (Node 22.21 and 24.5 on, for `fetch`
/// and `https`), and global-agent's (`node -r global-agent/bootstrap`, for older Nodes).
const NODE_PROXY_VARS: &[&str] = &["GLOBAL_AGENT_HTTP_PROXY", "GLOBAL_AGENT_HTTPS_PROXY"];
const NO_PROXY_VARS: &[&str] = &["NO_PROXY", "no_proxy", "GLOBAL_AGENT_NO_PROXY"];
/// Where clients look for the CA bundle to trust: OpenSSL (and Python's ssl, Ruby, Go on
/// Linux), requests, curl, Node (added to its own), git, the AWS CLI and SDKs, Deno.
const CA_VARS: &[&str] = &[
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
    "GIT_SSL_CAINFO",
    "AWS_CA_BUNDLE",
    "DENO_CERT",
];

/// What the agent needs to open this run's session.
pub(super) fn request(args: &RunArgs, inherited: &[(OsString, OsString)]) -> Result<ProxyRequest> {
    let var = |name: &str| -> Option<String> {
        inherited
            .iter()
            .find(|(n, _)| n == OsStr::new(name))
            .and_then(|(_, v)| v.to_str())
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let either = |upper: &str, lower: &str| var(lower).or_else(|| var(upper));
    let mut extra_roots_pem = Vec::new();
    for path in &args.proxy_ca_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read --proxy-ca-file {}", path.display()))?;
        check_pem(&text).with_context(|| format!("--proxy-ca-file {}", path.display()))?;
        extra_roots_pem.push(text);
    }
    // A bundle the user already points their tools at (a corporate root) stays trusted by the
    // command, in place of the system's roots.
    let trusted_pem = match ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"]
        .iter()
        .find_map(|name| var(name).map(|path| (*name, path)))
    {
        Some((name, path)) => Some(
            std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {path}, which your {name} names"))?,
        ),
        None => None,
    };
    let upstream = UpstreamProxy {
        all: either("ALL_PROXY", "all_proxy"),
        http: either("HTTP_PROXY", "http_proxy"),
        https: either("HTTPS_PROXY", "https_proxy"),
        no: either("NO_PROXY", "no_proxy"),
    };
    let chained = upstream.all.is_some() || upstream.http.is_some() || upstream.https.is_some();
    Ok(ProxyRequest {
        strict: args.strict,
        verbose: args.verbose,
        plain: args.plain.clone(),
        extra_roots_pem,
        trusted_pem,
        upstream: chained.then_some(upstream),
        pid: None,
        program: None,
    })
}

/// A PEM file with at least one certificate, said plainly before anything starts.
fn check_pem(text: &str) -> Result<()> {
    if text.contains("-----BEGIN CERTIFICATE-----") {
        Ok(())
    } else {
        anyhow::bail!("no PEM certificate in it (-----BEGIN CERTIFICATE-----)")
    }
}

/// Points the command's environment at the session: its proxy variables (the user's own
/// proxy is chained by the agent, so it is replaced here), loopback left direct, and the CA
/// bundle that trusts the proxy's certificates.
pub(super) fn point_at(env: &mut Vec<(OsString, OsString)>, session: &ProxySession) {
    let url = session.url.0.expose();
    let no_proxy = session.no_proxy.join(",");
    let bundle = session.ca_bundle.as_os_str();
    let set: Vec<(&str, &OsStr)> = PROXY_VARS
        .iter()
        .chain(NODE_PROXY_VARS)
        .map(|n| (*n, OsStr::new(url)))
        .chain([("NODE_USE_ENV_PROXY", OsStr::new("1"))])
        .chain(NO_PROXY_VARS.iter().map(|n| (*n, OsStr::new(&no_proxy))))
        .chain(CA_VARS.iter().map(|n| (*n, bundle)))
        .collect();
    env.retain(|(name, _)| !set.iter().any(|(n, _)| OsStr::new(n) == name));
    env.extend(
        set.into_iter()
            .map(|(n, v)| (OsString::from(n), v.to_owned())),
    );
}
