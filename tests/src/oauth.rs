//! The OAuth parts of the end-to-end suites: a real authorization server (npm `oidc-provider`,
//! `tests/oauth/server.mjs`) started per test on 127.0.0.1, and the browser (`tests/oauth/browser`,
//! headless Debian chromium through playwright-core) to set as `$BROWSER`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::{Run, TestVault};

/// `tests/oauth`: the node project (run `make deps-oauth` to install it).
pub fn oauth_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("oauth");
    assert!(
        dir.join("node_modules/oidc-provider").exists(),
        "{}/node_modules is missing; run `make deps-oauth` (make test does)",
        dir.display()
    );
    dir
}

/// The `$BROWSER` of the suites.
pub fn browser() -> PathBuf {
    oauth_dir().join("browser")
}

/// A running `oidc-provider`, stopped on drop.
#[derive(Debug)]
pub struct OAuthServer {
    child: Child,
    pub issuer: String,
    pub dir: tempfile::TempDir,
    http: reqwest::blocking::Client,
}

impl OAuthServer {
    /// Starts the server with access tokens living `access_ttl` seconds; waits until it
    /// prints its issuer (it listens before it prints).
    pub fn start(access_ttl: u64) -> OAuthServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("token-requests.jsonl");
        std::fs::write(&log, "").expect("log file");
        let mut child = Command::new("node")
            .current_dir(oauth_dir())
            .arg("server.mjs")
            .arg("--log")
            .arg(&log)
            .arg("--access-ttl")
            .arg(access_ttl.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start node (is Node.js installed?)");
        let stdout = child.stdout.take().expect("server stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(issuer) = line.strip_prefix("ISSUER=") {
                    let _ = tx.send(issuer.to_owned());
                }
            }
        });
        let issuer = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(issuer) => issuer,
            Err(_) => {
                let _ = child.kill();
                panic!("the OAuth test server did not start within 60 s");
            }
        };
        OAuthServer {
            child,
            issuer,
            dir,
            http: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("http client"),
        }
    }

    /// Every token-endpoint request so far: `{grant_type, outcome, refresh_token}` where
    /// `refresh_token` is a fingerprint of the one presented; and every revocation request:
    /// `{revocation: true, outcome, token}` (see [`OAuthServer::revocations`]).
    pub fn token_requests(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.path().join("token-requests.jsonl"))
            .expect("read the token log")
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON log line"))
            .collect()
    }

    /// Token requests with `grant_type=refresh_token`.
    pub fn refreshes(&self) -> Vec<Value> {
        self.token_requests()
            .into_iter()
            .filter(|r| r["grant_type"] == "refresh_token")
            .collect()
    }

    /// Revocation requests (RFC 7009): `token` names the kind of live token the provider was
    /// handed (`"RefreshToken"`, `"AccessToken"`), or is null for one it did not know.
    pub fn revocations(&self) -> Vec<Value> {
        self.token_requests()
            .into_iter()
            .filter(|r| r["revocation"] == true)
            .collect()
    }

    /// RFC 7662 introspection as the resource server: whether the provider holds `token` active.
    pub fn is_active(&self, token: &str) -> bool {
        let answer: Value = self
            .http
            .post(format!("{}/token/introspection", self.issuer))
            .basic_auth("resource-server", Some("resource-server-secret"))
            .form(&[("token", token)])
            .send()
            .expect("introspection request")
            .json()
            .expect("introspection JSON");
        answer["active"].as_bool().expect("`active` in the answer")
    }

    /// The next `count` token requests get HTTP `status` with `body`.
    pub fn fault(&self, status: u16, body: &str, count: u32) {
        let r = self
            .http
            .post(format!("{}/test/fault", self.issuer))
            .json(&serde_json::json!({"status": status, "body": body, "count": count}))
            .send()
            .expect("fault request");
        assert!(r.status().is_success());
    }

    /// The next `count` token requests are answered `ms` milliseconds after they arrive.
    pub fn delay(&self, ms: u64, count: u32) {
        let r = self
            .http
            .post(format!("{}/test/delay", self.issuer))
            .json(&serde_json::json!({"ms": ms, "count": count}))
            .send()
            .expect("delay request");
        assert!(r.status().is_success());
    }

    /// Ends every grant at the provider (as a user revoking the app in its settings).
    pub fn revoke_all_grants(&self) {
        let r = self
            .http
            .post(format!("{}/test/revoke-grants", self.issuer))
            .send()
            .expect("revoke request");
        assert!(r.status().is_success());
    }
}

impl Drop for OAuthServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub use crate::wait_until;

/// `vault oauth add test` for the test server.
pub fn add_provider(v: &TestVault, server: &OAuthServer) -> Run {
    v.run(&[
        "oauth",
        "add",
        "test",
        "--issuer",
        &server.issuer,
        "--client-id",
        "vault-cli",
    ])
}

/// `vault ARGS` with `$BROWSER` set to the test browser doing `action`.
pub fn with_browser(v: &TestVault, action: &str, args: &[&str]) -> Run {
    let out = v
        .cmd()
        .env("BROWSER", browser())
        .env("OAUTH_BROWSER_ACTION", action)
        .env("OAUTH_BROWSER_LOG", v.dir.path().join("browser.log"))
        .args(args)
        .output()
        .expect("run vault");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `vault login test`, approved in the browser.
pub fn login(v: &TestVault) -> Run {
    with_browser(v, "approve", &["login", "test", "--timeout", "120s"])
}
