//! Docker's credential helper, byte for byte as the Docker CLI calls it (docker-credential-
//! helpers' client: `store` gets the JSON `docker login` made, `get` and `erase` the bare
//! server URL with no newline, `list` the word "unused"), through the `docker-credential-vault`
//! link `vault setup docker` makes on PATH. No Docker daemon runs here, so no `docker login`:
//! the exchanges are the documented ones.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;

use vault_tests::{Run, TestVault, pipe};

const HUB: &str = "https://index.docker.io/v1/";
const PAT: &str = "dckr_pat_EXAMPLEexample0123456789ab"; // vault-scan:allow
const NEW_PAT: &str = "dckr_pat_EXAMPLEnewvalue9876543210cd"; // vault-scan:allow
const NOT_FOUND: &str = "credentials not found in native keychain";

fn bin_dir(v: &TestVault) -> PathBuf {
    v.dir.path().join(".local/bin")
}

/// `docker-credential-vault ACTION` as Docker runs it: found on PATH, the request on stdin.
fn helper(v: &TestVault, action: &str, stdin: &str) -> Run {
    let template = v.bare();
    let path = format!(
        "{}:{}",
        bin_dir(v).display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut c = Command::new("docker-credential-vault");
    c.env_clear()
        .envs(template.get_envs().filter_map(|(k, val)| Some((k, val?))))
        .env("PATH", path)
        .env("VAULT_PATH", &v.path)
        .arg(action);
    pipe(&mut c, stdin.as_bytes())
}

fn login_json(server: &str, user: &str, secret: &str) -> String {
    // Docker's encoder ends the object with a newline.
    format!("{{\"ServerURL\":\"{server}\",\"Username\":\"{user}\",\"Secret\":\"{secret}\"}}\n")
}

#[test]
fn docker_logs_in_pulls_and_logs_out_through_vault() {
    let v = TestVault::new();
    let config = v.dir.path().join(".docker/config.json");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(
        &config,
        r#"{"auths":{"ghcr.io":{"auth":"dXNlcjpwYXNz"}},"currentContext":"default"}"#,
    )
    .unwrap();
    let setup = v.run(&["setup", "docker"]);
    setup.ok();
    assert!(
        setup.stderr.contains("\"credsStore\": \"vault\"") && setup.stderr.contains("ghcr.io"),
        "{}",
        setup.stderr
    );
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&config).unwrap()).unwrap();
    assert_eq!(json["credsStore"], "vault");
    assert_eq!(json["currentContext"], "default", "other settings stay");
    assert!(bin_dir(&v).join("docker-credential-vault").exists());
    let again = v.run(&["setup", "docker"]);
    assert!(again.stderr.contains("Already set up"), "{}", again.stderr);

    // Not logged in yet: the exact message Docker takes for "no credential".
    let none = helper(&v, "get", HUB);
    assert_eq!(none.code, Some(1));
    assert_eq!(none.stdout.trim(), NOT_FOUND);

    // `docker login`: stored, nothing printed.
    let stored = helper(&v, "store", &login_json(HUB, "dev", PAT));
    assert_eq!(stored.code, Some(0), "{}{}", stored.stdout, stored.stderr);
    assert!(stored.stdout.is_empty());
    helper(
        &v,
        "store",
        &login_json("registry.example.com:5000", "<token>", "identity-token-1"),
    );
    assert_eq!(v.run(&["get", "docker-index.docker.io"]).ok().trim(), PAT);

    // A pull: Docker asks with the server as configured.
    let got = helper(&v, "get", HUB);
    assert_eq!(got.code, Some(0), "{}", got.stdout);
    let creds: serde_json::Value = serde_json::from_str(&got.stdout).unwrap();
    assert_eq!(
        creds,
        serde_json::json!({"ServerURL": HUB, "Username": "dev", "Secret": PAT})
    );
    let token = helper(&v, "get", "registry.example.com:5000");
    let creds: serde_json::Value = serde_json::from_str(&token.stdout).unwrap();
    assert_eq!(
        creds["Username"], "<token>",
        "an identity token comes back as one"
    );
    let log = v.run(&["log"]);
    assert!(
        log.ok().contains("to docker (credential helper)"),
        "{}",
        log.stdout
    );

    let listed = helper(&v, "list", "unused");
    assert_eq!(listed.code, Some(0));
    let map: serde_json::Value = serde_json::from_str(&listed.stdout).unwrap();
    assert_eq!(
        map,
        serde_json::json!({HUB: "dev", "registry.example.com:5000": "<token>"})
    );

    // A new login to the same registry replaces the secret (the old one stays in history).
    helper(&v, "store", &login_json(HUB, "dev", NEW_PAT));
    let got: serde_json::Value = serde_json::from_str(&helper(&v, "get", HUB).stdout).unwrap();
    assert_eq!(got["Secret"], NEW_PAT);
    let history = v.run(&["history", "docker-index.docker.io", "--json"]);
    let versions: serde_json::Value = serde_json::from_str(history.ok()).unwrap();
    assert_eq!(versions.as_array().map(Vec::len), Some(2), "{versions}");

    // Bad input: a message for Docker, nothing stored.
    let bad = helper(&v, "store", "{\"ServerURL\": 5");
    assert_eq!(bad.code, Some(1));
    assert!(bad.stdout.contains("not JSON"), "{}", bad.stdout);
    assert!(!bad.stdout.contains(NEW_PAT));

    // Locked: "not logged in" to Docker, the way out on stderr; a login is refused.
    v.run(&["lock"]).ok();
    let locked = helper(&v, "get", HUB);
    assert_eq!((locked.code, locked.stdout.trim()), (Some(1), NOT_FOUND));
    assert!(locked.stderr.contains("vault unlock"), "{}", locked.stderr);
    let refused = helper(&v, "store", &login_json(HUB, "dev", PAT));
    assert_eq!(refused.code, Some(1));
    assert!(
        refused.stdout.contains("vault unlock"),
        "{}",
        refused.stdout
    );
    v.run(&["unlock"]).ok();

    // `docker logout`.
    let erased = helper(&v, "erase", HUB);
    assert_eq!(erased.code, Some(0), "{}", erased.stdout);
    assert_eq!(helper(&v, "get", HUB).stdout.trim(), NOT_FOUND);
    assert_eq!(helper(&v, "erase", HUB).stdout.trim(), NOT_FOUND);

    let undo = v.run(&["setup", "docker", "--undo"]);
    undo.ok();
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&config).unwrap()).unwrap();
    assert!(json.get("credsStore").is_none());
}

#[test]
fn setup_status_names_what_asks_vault_and_what_is_still_in_plain() {
    let v = TestVault::new();
    let home = v.dir.path();
    std::fs::create_dir_all(home.join(".docker")).unwrap();
    std::fs::write(
        home.join(".docker/config.json"),
        r#"{"auths":{"ghcr.io":{"auth":"dXNlcjpwYXNz"}}}"#,
    )
    .unwrap();
    std::fs::create_dir_all(home.join(".aws")).unwrap();
    std::fs::write(
        home.join(".aws/credentials"),
        "[staging]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = plain\n",
    )
    .unwrap();
    let before = v.run(&["setup", "status"]);
    let out = before.ok();
    for expected in [
        "git         no: `vault setup git`",
        "docker      no: `vault setup docker`",
        "aws         no: `vault setup aws --migrate`",
        "kubectl     no: `vault setup kube --grant GRANT`",
        "the login to ghcr.io is still in",
        "holds the keys of profile staging in plain text",
    ] {
        assert!(out.contains(expected), "{expected:?} in:\n{out}");
    }
    assert!(
        !out.contains("plain\n") && !out.contains("dXNlcjpwYXNz"),
        "{out}"
    );

    v.run(&["setup", "git"]).ok();
    v.run(&["setup", "docker", "--registry", "ghcr.io"]).ok();
    v.run_with_stdin(
        &["add", "S3_KEY"],
        b"AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEK1\n",
    )
    .ok();
    v.run(&["setup", "aws", "S3_KEY", "--profile", "staging"])
        .ok();
    std::fs::create_dir_all(home.join(".kube")).unwrap();
    std::fs::write(
        home.join(".kube/config"),
        "apiVersion: v1\nkind: Config\ncontexts:\n- name: prod\n  context:\n    cluster: prod\n    user: vault-corp-sso\n",
    )
    .unwrap();
    let after = v.run(&["setup", "status", "--json"]);
    let report: serde_json::Value = serde_json::from_str(after.ok()).unwrap();
    let asks: Vec<String> = report["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| format!("{} {}", t["tool"].as_str().unwrap(), t["asks"]))
        .collect();
    for expected in [
        "git \"credential helper (HTTPS)\"",
        "docker \"ghcr.io (credHelpers)\"",
        "aws \"profile staging (item S3_KEY)\"",
        "kubectl \"context prod (grant corp-sso)\"",
    ] {
        assert!(asks.iter().any(|a| a == expected), "{expected} in {asks:?}");
    }
    // The staging keys are still in the credentials file, and win over vault's.
    let warnings = report["warnings"].to_string();
    assert!(
        warnings.contains("still holds keys for profile staging"),
        "{warnings}"
    );
}
