//! OAuth end to end: the real `vault` binary against a real authorization server
//! (`oidc-provider` on 127.0.0.1) with the browser leg in headless Debian chromium.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use vault_core::Timestamp;
use vault_tests::oauth::{OAuthServer, add_provider, browser, login, wait_until, with_browser};
use vault_tests::{Run, TestVault};

/// Generous: the machine may be loaded (2 cores shared by several builds).
const LONG: Duration = Duration::from_secs(120);

fn setup(access_ttl: u64) -> (TestVault, OAuthServer) {
    let server = OAuthServer::start(access_ttl);
    let v = TestVault::new();
    add_provider(&v, &server).ok();
    (v, server)
}

/// Asserts a clean failure with `code`; the error is the last line (progress lines come first).
#[track_caller]
fn fails(run: &Run, code: i32) -> String {
    assert_eq!(
        run.code,
        Some(code),
        "expected exit {code}\nstdout: {}\nstderr: {}",
        run.stdout,
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let last = run
        .stderr
        .lines()
        .rev()
        .find(|l| !l.is_empty())
        .unwrap_or("");
    assert!(last.starts_with("vault: "), "{}", run.stderr);
    last.to_owned()
}

fn grants(v: &TestVault) -> Vec<Value> {
    let text = v.run(&["grants", "--json"]).ok().to_owned();
    serde_json::from_str::<Value>(&text)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn token(v: &TestVault) -> String {
    v.run(&["token", "test"]).ok().trim_end().to_owned()
}

/// Waits until the stored access token has expired (the provider's clock and ours agree:
/// same machine).
fn wait_for_expiry(v: &TestVault) {
    let expires: Timestamp = grants(v)[0]["expires"].as_str().unwrap().parse().unwrap();
    wait_until(LONG, "the access token to expire", || {
        Timestamp::now() > expires
    });
}

#[test]
fn login_token_and_logout_against_a_real_provider() {
    let (v, server) = setup(60);
    let run = login(&v);
    run.ok();
    // The URL is always printed (for a user on SSH), with PKCE S256 and the loopback redirect.
    assert!(
        run.stderr.contains(&format!("{}/auth?", server.issuer)),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("code_challenge_method=S256"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("alice@example.test"), "{}", run.stderr);

    let g = &grants(&v)[0];
    assert_eq!(g["name"], "test");
    assert_eq!(g["email"], "alice@example.test");
    assert_eq!(g["state"], "ok");
    assert_eq!(g["refreshable"], true);
    assert!(
        g["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "openid")
    );
    // `vault ls` lists the grant; never a token.
    let t1 = token(&v);
    assert!(server.is_active(&t1));
    let ls = v.run(&["ls"]).ok().to_owned();
    assert!(ls.contains("OAuth grant (test)"), "{ls}");
    assert!(!ls.contains(&t1));
    // A valid token is served from the vault: no refresh request.
    assert_eq!(token(&v), t1);
    // `--json`: the token with what a script needs to use it, absent keys as null.
    let j: Value = serde_json::from_str(v.run(&["token", "test", "--json"]).ok()).unwrap();
    assert_eq!(j["access_token"], t1.as_str());
    assert_eq!(j["name"], "test");
    assert!(
        j["expires"].is_string() && j["token_type"].is_string(),
        "{j}"
    );
    assert_eq!(j["warning"], Value::Null);
    assert!(
        server.refreshes().is_empty(),
        "{:?}",
        server.token_requests()
    );
    // The token never reaches the vault file in plaintext.
    assert!(!vault_tests::contains(&v.file_bytes(), t1.as_bytes()));

    let out = v.run(&["logout", "test"]);
    out.ok();
    assert!(out.stderr.contains("Revoked test"), "{}", out.stderr);
    assert!(
        !server.is_active(&t1),
        "the provider still accepts the token"
    );
    assert!(grants(&v).is_empty());
    v.run(&["token", "test"]).fails(4);
}

#[test]
fn expired_tokens_refresh_and_rotation_never_reuses_a_refresh_token() {
    let (v, server) = setup(3);
    login(&v).ok();
    let mut seen = vec![token(&v)];
    for round in 1..=3 {
        wait_for_expiry(&v);
        let t = token(&v);
        assert!(
            !seen.contains(&t),
            "round {round}: the expired token came back"
        );
        assert!(server.is_active(&t));
        seen.push(t);
        assert_eq!(server.refreshes().len(), round);
    }
    let refreshes = server.refreshes();
    assert!(
        refreshes.iter().all(|r| r["outcome"] == "ok"),
        "{refreshes:?}"
    );
    let mut presented: Vec<&str> = refreshes
        .iter()
        .map(|r| r["refresh_token"].as_str().unwrap())
        .collect();
    presented.sort_unstable();
    presented.dedup();
    assert_eq!(
        presented.len(),
        3,
        "a refresh token was presented twice: {refreshes:?}"
    );
    let g = &grants(&v)[0];
    assert!(g["last_refresh"].is_string());
}

/// A lock (here `vault lock`; the idle timer takes the same path) while a refresh waits for a
/// slow provider: the provider has rotated the refresh token by the time it answers, so the
/// lock must wait for the answer to be committed. Dropping the key first lost the new token,
/// and the next refresh presented the spent one, which revokes the grant at this provider.
#[test]
fn a_lock_during_a_refresh_waits_for_it_and_the_grant_survives() {
    let (v, server) = setup(60);
    login(&v).ok();
    server.delay(4000, 1);
    let refresh = v
        .cmd()
        .args(["refresh", "test"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The request is at the provider well within this (the answer takes 4 s).
    std::thread::sleep(Duration::from_millis(1000));
    let started = std::time::Instant::now();
    v.run(&["lock"]).ok();
    let refreshed = Run::from_output(refresh.wait_with_output().unwrap());
    refreshed.ok();
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "the lock waited for the answer ({:?})",
        started.elapsed()
    );

    // Unlocked again: the stored refresh token is the rotated one, and it works.
    v.run(&["refresh", "test"]).ok();
    let refreshes = server.refreshes();
    assert_eq!(refreshes.len(), 2, "{refreshes:?}");
    assert!(
        refreshes.iter().all(|r| r["outcome"] == "ok"),
        "no spent refresh token was presented: {refreshes:?}"
    );
    assert_ne!(refreshes[0]["refresh_token"], refreshes[1]["refresh_token"]);
    assert_eq!(grants(&v)[0]["status"]["state"], "ok");
}

#[test]
fn twenty_concurrent_token_requests_at_expiry_make_one_refresh() {
    // The new token must outlive the 20 processes by its refresh margin (half its lifetime):
    // 30 s, which a loaded 2-core machine running the other suites beside this one does not
    // use up (with 20 s tokens it once took over 10 s, and the token was refreshed twice).
    let (v, server) = setup(60);
    login(&v).ok();
    wait_for_expiry(&v);
    let children: Vec<_> = (0..20)
        .map(|_| {
            v.cmd()
                .args(["token", "test"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn vault token")
        })
        .collect();
    let mut tokens = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "vault token failed: {stderr}");
        tokens.push(String::from_utf8(out.stdout).unwrap().trim_end().to_owned());
    }
    let refreshes = server.refreshes();
    assert_eq!(refreshes.len(), 1, "{refreshes:?}");
    assert_eq!(refreshes[0]["outcome"], "ok");
    tokens.sort();
    tokens.dedup();
    assert_eq!(tokens.len(), 1, "every process gets the one fresh token");
    assert!(server.is_active(&tokens[0]));
}

/// A refresh on request (`vault refresh`, the desktop app's "Refresh now") leaves the new token
/// in the vault: the answer on the agent's socket carries the grant's metadata, never a token.
#[test]
fn a_refresh_on_request_answers_without_the_token() {
    let (v, server) = setup(3600);
    login(&v).ok();
    let before = token(&v);
    let mut agent = vault_agent::Client::connect(&vault_agent::AgentDir { dir: v.agent_dir() })
        .unwrap()
        .expect("the agent runs");
    let answer = agent
        .call(&vault_agent::Request::Vault {
            vault: v.path.clone(),
            op: vault_agent::protocol::Op::Refresh {
                name: "test".into(),
            },
        })
        .unwrap();
    let wire = serde_json::to_string(&answer).unwrap();
    assert!(wire.starts_with(r#"{"type":"refreshed""#), "{wire}");
    assert_eq!(server.refreshes().len(), 1);
    let after = token(&v);
    assert_ne!(after, before, "the refresh stored a new token");
    assert!(!wire.contains(&after), "the new token crossed the socket");
    assert!(!wire.contains(&before));
}

#[test]
fn invalid_grant_marks_the_grant_for_login_and_keeps_it() {
    let (v, server) = setup(60);
    login(&v).ok();
    server.revoke_all_grants();
    let e = v.run(&["refresh", "test"]).fails(11).to_owned();
    assert!(e.contains("needs a new login"), "{e}");
    assert!(e.contains("vault login test"), "{e}");
    let g = &grants(&v)[0];
    assert_eq!(g["state"], "needs_login");
    // `vault due` (and cron's `--check`) flag it with the keys that need attention.
    let due: serde_json::Value = serde_json::from_str(v.run(&["due", "--json"]).ok()).unwrap();
    assert_eq!(due["items"][0]["name"], "test");
    assert_eq!(due["items"][0]["reason"], "needs_relogin");
    v.run(&["due", "--check"]).fails(9);
    // No second attempt with a dead refresh token.
    let before = server.refreshes().len();
    v.run(&["refresh", "test"]).fails(11);
    assert_eq!(server.refreshes().len(), before);
    // Logging in again revives it.
    login(&v).ok();
    assert_eq!(grants(&v)[0]["state"], "ok");
    assert!(server.is_active(&token(&v)));
}

#[test]
fn provider_failures_lose_nothing() {
    let (v, server) = setup(60);
    login(&v).ok();
    let t1 = token(&v);
    // A 503 on every try (one + two retries): a clear error, tokens unchanged.
    server.fault(503, "<html>down</html>", 3);
    let e = v.run(&["refresh", "test"]).fails(12).to_owned();
    assert!(e.contains("503") && e.contains("unchanged"), "{e}");
    assert!(
        grants(&v)[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("503")
    );
    // Malformed JSON from the token endpoint: a clear error, no token in it.
    server.fault(200, r#"{"access_token": 42, "token_type": "bearer"}"#, 1);
    let e = v.run(&["refresh", "test"]).fails(1).to_owned();
    assert!(e.contains("malformed"), "{e}");
    // The stored refresh token was never spent: refreshing works, the old token was valid
    // until then.
    assert!(server.is_active(&t1));
    v.run(&["refresh", "test"]).ok();
    let t2 = token(&v);
    assert_ne!(t1, t2);
    assert!(server.is_active(&t2));
    assert_eq!(grants(&v)[0]["state"], "ok");
    assert_eq!(grants(&v)[0]["last_error"], Value::Null);
}

#[test]
fn a_token_still_valid_is_served_while_the_provider_is_down() {
    let (v, server) = setup(30);
    login(&v).ok();
    let t1 = token(&v);
    // Wait until the token is due for refresh (within half its lifetime) but still valid.
    let expires: Timestamp = grants(&v)[0]["expires"].as_str().unwrap().parse().unwrap();
    wait_until(LONG, "the token to be due for refresh", || {
        expires.duration_since(Timestamp::now()).as_secs() < 14
    });
    server.fault(503, "", 3);
    let out = v.run(&["token", "test"]);
    assert_eq!(out.ok().trim_end(), t1);
    assert!(
        out.stderr.contains("warning") && out.stderr.contains("503"),
        "{}",
        out.stderr
    );
    assert_eq!(server.refreshes().len(), 3, "one try and two retries");
    // Once the provider is back, the next call refreshes.
    let t2 = token(&v);
    assert_ne!(t1, t2);
    assert!(server.is_active(&t2));
}

#[test]
fn a_forged_state_is_refused() {
    let (v, _server) = setup(60);
    let e = fails(
        &with_browser(&v, "bad-state", &["login", "test", "--timeout", "120s"]),
        13,
    );
    assert!(e.contains("state"), "{e}");
    assert!(grants(&v).is_empty());
}

#[test]
fn a_forged_issuer_is_refused() {
    let (v, _server) = setup(60);
    let e = fails(
        &with_browser(&v, "bad-iss", &["login", "test", "--timeout", "120s"]),
        13,
    );
    assert!(
        e.contains("https://attacker.example"),
        "names the other issuer: {e}"
    );
    assert!(grants(&v).is_empty());
}

#[test]
fn ctrl_c_during_a_login_closes_the_callback_port_at_once() {
    let (v, _server) = setup(60);
    let mut child = v
        .cmd()
        .env("BROWSER", browser())
        .env("OAUTH_BROWSER_ACTION", "ignore")
        .args(["login", "test", "--timeout", "300s"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The printed URL carries the redirect URI: http://127.0.0.1:PORT/callback.
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut text = String::new();
    let port = loop {
        let mut line = String::new();
        assert!(
            std::io::BufRead::read_line(&mut err, &mut line).unwrap() > 0,
            "{text}"
        );
        text.push_str(&line);
        if let Some(at) = line.find("redirect_uri=http%3A%2F%2F127.0.0.1%3A") {
            let rest = &line[at + "redirect_uri=http%3A%2F%2F127.0.0.1%3A".len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            break digits.parse::<u16>().unwrap();
        }
    };
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
        "listening"
    );
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "128 + SIGINT");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    assert!(rest.contains("login cancelled"), "{rest}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "the callback port should close, not wait for the 5-minute timeout"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(grants(&v).is_empty());
}

#[test]
fn access_denied_and_timeouts_are_clear() {
    let (v, _server) = setup(60);
    let e = fails(
        &with_browser(&v, "deny", &["login", "test", "--timeout", "120s"]),
        13,
    );
    assert!(e.contains("access_denied"), "{e}");
    let e = fails(
        &with_browser(&v, "ignore", &["login", "test", "--timeout", "2s"]),
        13,
    );
    assert!(e.contains("no login completed within 2 s"), "{e}");
    assert!(grants(&v).is_empty());
}

#[test]
fn device_flow_login() {
    let (v, server) = setup(60);
    let mut child = v
        .cmd()
        .args(["login", "test", "--device", "--timeout", "120s"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = String::new();
    let url = loop {
        let line = lines
            .next()
            .expect("vault login --device printed no URL")
            .unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if let Some(rest) = line.strip_prefix("(or open ") {
            break rest.trim_end_matches(')').to_owned();
        }
    };
    assert!(seen.contains("enter the code"), "{seen}");
    let status = Command::new(browser())
        .arg(&url)
        .env("OAUTH_BROWSER_LOG", v.dir.path().join("browser.log"))
        .status()
        .unwrap();
    assert!(status.success());
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(child.wait().unwrap().success(), "{seen}{}", rest.join("\n"));
    assert_eq!(grants(&v)[0]["email"], "alice@example.test");
    assert!(server.is_active(&token(&v)));
    assert!(server.token_requests().iter().any(|r| r["grant_type"]
        == "urn:ietf:params:oauth:grant-type:device_code"
        && r["outcome"] == "ok"));
}

#[test]
fn the_agent_refreshes_ahead_of_expiry_in_the_background() {
    // 20 s tokens: the agent refreshes once less than half the lifetime is left.
    let (v, server) = setup(20);
    login(&v).ok();
    let t1 = token(&v);
    wait_until(LONG, "a background refresh by the agent", || {
        !server.refreshes().is_empty()
    });
    let refreshed = grants(&v);
    assert!(refreshed[0]["last_refresh"].is_string(), "{refreshed:?}");
    // `vault token` now answers the refreshed token without asking the provider again.
    let count = server.refreshes().len();
    let t2 = token(&v);
    assert_ne!(t1, t2);
    assert!(server.is_active(&t2));
    assert_eq!(server.refreshes().len(), count);
}

#[test]
fn vault_run_resolves_a_grant_reference_to_a_fresh_access_token() {
    let (v, server) = setup(3);
    login(&v).ok();
    let stale = token(&v);
    wait_for_expiry(&v);
    let proj = v.dir.path().join("proj");
    std::fs::create_dir_all(&proj).unwrap();
    std::fs::write(proj.join(".vault.env"), "API_TOKEN=vault://test\n").unwrap();
    v.allow_project_file(&proj);
    let out = v
        .cmd()
        .current_dir(&proj)
        .args([
            "run",
            "--no-mask",
            "--",
            "sh",
            "-c",
            "printf %s \"$API_TOKEN\"",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let injected = String::from_utf8(out.stdout).unwrap();
    assert_ne!(injected, stale, "an expired token was injected");
    assert!(server.is_active(&injected));
    assert_eq!(server.refreshes().len(), 1);
    // A grant that needs a new login is a clear error, and the command does not start.
    server.revoke_all_grants();
    wait_for_expiry(&v);
    let out = v
        .cmd()
        .current_dir(&proj)
        .args(["run", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(125));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs a new login"), "{err}");
}

/// A project file that is not allowed yet gets nothing from the vault, not even a refresh of the
/// grant it names: the allowance is checked before any token is fetched.
#[test]
fn a_project_file_not_allowed_yet_makes_no_token_request() {
    // Once the access token has expired, a run that is handed it refreshes it first.
    let (v, server) = setup(3);
    login(&v).ok();
    wait_for_expiry(&v);
    let proj = v.dir.path().join("cloned");
    std::fs::create_dir(&proj).unwrap();
    std::fs::write(proj.join(".vault.env"), "TOKEN=vault://test\n").unwrap();
    let run_there = || {
        Run::from_output(
            v.cmd()
                .current_dir(&proj)
                .args(["run", "--", "true"])
                .output()
                .unwrap(),
        )
    };
    let run = run_there();
    assert_eq!(run.code, Some(125), "{}", run.stderr);
    assert!(run.stderr.contains("is not allowed"), "{}", run.stderr);
    assert!(
        server.refreshes().is_empty(),
        "a refresh for a refused file: {:?}",
        server.refreshes()
    );
    // Allowed, the same run refreshes and starts.
    v.allow_project_file(&proj);
    run_there().ok();
    assert_eq!(server.refreshes().len(), 1);
}

/// The errors a newcomer meets before the first login say what to do: a token asked for by the
/// provider's name before any login points at `vault login`, and adding the same provider twice
/// points at `--replace`.
#[test]
fn errors_before_the_first_login_say_what_to_do() {
    let (v, server) = setup(60);
    let token = v.run(&["token", "test"]);
    let err = fails(&token, 4);
    assert!(
        err.contains("no grant named \"test\" yet") && err.contains("vault login test"),
        "{err}"
    );
    let err = fails(&add_provider(&v, &server), 6);
    assert!(
        err.contains("already configured") && err.contains("--replace"),
        "{err}"
    );
    // With --no-browser nothing promises that a browser opens, and neither the command nor its
    // help says the URL may be opened elsewhere: the login comes back to 127.0.0.1 here.
    let login = v.run(&["login", "test", "--no-browser", "--timeout", "1s"]);
    assert!(
        login
            .stderr
            .contains("open this URL in a browser on this machine")
            && !login.stderr.contains("If it does not open"),
        "{}",
        login.stderr
    );
    let help = v.run(&["login", "--help"]).ok().to_owned();
    assert!(
        !help.contains("another machine") && help.contains("--device"),
        "{help}"
    );
}

#[path = "../../crates/vault-proxy/tests/upstream/mod.rs"]
mod upstream;

/// `vault run --proxy` with a grant: the command holds a placeholder for a week if it likes,
/// and each request carries the grant's access token of that moment, refreshed by the agent.
#[test]
fn a_grant_through_the_proxy_carries_each_fresh_token_the_command_never_holds() {
    let (v, server) = setup(5);
    login(&v).ok();
    let up = upstream::upstream();
    let ca = v.dir.path().join("upstream-ca.pem");
    std::fs::write(&ca, &up.ca_pem).unwrap();
    // A provider found by discovery has no API hosts until it is given some.
    let out = v.run(&[
        "oauth",
        "edit",
        "test",
        "--host",
        &format!("localhost:{}", up.port),
    ]);
    assert!(
        out.ok().is_empty()
            && out
                .stderr
                .contains(&format!("test's tokens may go to: localhost:{}", up.port)),
        "{}",
        out.stderr
    );
    let stop = v.dir.path().join("stop");
    // The command asks until the test has seen three different tokens arrive; it waits a
    // second between requests so that the tokens (5 s) expire while it runs.
    let script = "while [ ! -e \"$STOP\" ]; do \
        curl -sS -H \"Authorization: Bearer $API_TOKEN\" https://localhost:$PORT/echo; sleep 1; done; \
        printf 'env=%s\\n' \"$API_TOKEN\"";
    let child = v
        .bare()
        .args(["run", "--proxy", "--proxy-ca-file"])
        .arg(&ca)
        .args(["--", "sh", "-c", script])
        .env("API_TOKEN", "vault://test")
        .env("PORT", up.port.to_string())
        .env("STOP", &stop)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let distinct = || {
        let mut tokens: Vec<String> = up.seen.authorizations().into_iter().map(|s| s.1).collect();
        tokens.dedup();
        tokens
    };
    wait_until(LONG, "three tokens to reach the server", || {
        distinct().len() >= 3
    });
    std::fs::write(&stop, "").unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let placeholder = stdout
        .lines()
        .find_map(|l| l.strip_prefix("env="))
        .unwrap()
        .to_owned();
    let tokens = distinct();
    for t in &tokens {
        let t = t.strip_prefix("Bearer ").unwrap();
        assert_ne!(t, placeholder);
        assert!(!stdout.contains(t), "the command held a token:\n{stdout}");
    }
    // Every echo the command got back showed the placeholder, never a token.
    assert!(
        stdout
            .lines()
            .filter(|l| l.starts_with("auth="))
            .all(|l| l == format!("auth=Bearer {placeholder}")),
        "{stdout}"
    );
    assert!(
        server.refreshes().len() >= 2,
        "{:?}",
        server.token_requests()
    );
    let last = tokens.last().unwrap().strip_prefix("Bearer ").unwrap();
    assert!(server.is_active(last));
}

/// git over HTTPS to a host the provider's own hosts name: the helper answers with the
/// grant's current access token (the one `vault token` gives) and its expiry.
#[test]
fn git_gets_a_grants_access_token_for_its_providers_host() {
    // The provider runs until the end of the test.
    let (v, _provider) = setup(3600);
    let forge = vault_tests::git_http::GitServer::start(v.dir.path(), "oauth2", "not-yet");
    let url = forge.repo("app");
    v.run(&[
        "oauth",
        "edit",
        "test",
        "--add-host",
        &format!("localhost:{}", forge.port),
    ])
    .ok();
    login(&v).ok();
    let token = token(&v);
    forge.expect("oauth2", &token);
    let setup = v.bare().args(["setup", "git"]).output().unwrap();
    assert!(
        setup.status.success(),
        "{}",
        String::from_utf8_lossy(&setup.stderr)
    );
    let listed = forge.git(
        v.dir.path(),
        &v.runtime_dir,
        v.dir.path(),
        &["ls-remote", &url],
    );
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    assert!(
        forge
            .seen
            .lock()
            .unwrap()
            .contains(&format!("oauth2:{token}")),
        "the forge got the grant's token"
    );
    let mut fill = v.bare();
    fill.args(["git-credential", "get"]);
    let answer = vault_tests::pipe(
        &mut fill,
        format!("protocol=https\nhost=localhost:{}\n\n", forge.port).as_bytes(),
    );
    let expiry = answer
        .ok()
        .lines()
        .find_map(|l| l.strip_prefix("password_expiry_utc="))
        .map(|t| t.parse::<i64>().unwrap())
        .expect("an expiry");
    let now = jiff::Timestamp::now().as_second();
    assert!(
        (now + 3000..=now + 3700).contains(&expiry),
        "the token's expiry, about an hour ahead: {expiry} at {now}"
    );
}
