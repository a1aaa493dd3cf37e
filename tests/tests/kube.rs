//! kubectl asks vault for a cluster's token: Debian's kubectl (unpacked by `make deps-clients`
//! into tests/clients/kubectl) runs the exec plugin `vault setup kube` wrote, against a loopback
//! HTTPS endpoint that records each request's Authorization header; the token is an OAuth
//! grant's from the real authorization server (`oidc-provider`), refreshed when near expiry.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use jiff::SignedDuration;
use vault_core::Timestamp;
use vault_tests::oauth::{OAuthServer, add_provider, login, wait_until};
use vault_tests::{Run, TestVault};

#[path = "../../crates/vault-proxy/tests/upstream/mod.rs"]
mod upstream;

/// Debian 12's kubernetes-client: kubectl 1.20, which knows only the v1beta1 plugin API.
const KUBECTL_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/clients/kubectl/usr/bin");

/// A cluster `dev` at the test server, whose context's user has a static token, as a
/// kubeconfig of a cluster before vault would have it.
fn kubeconfig(v: &TestVault, up: &upstream::Upstream) -> PathBuf {
    assert!(
        Path::new(KUBECTL_DIR).join("kubectl").exists(),
        "{KUBECTL_DIR}/kubectl is missing; run `make deps-clients` (make test does)"
    );
    let ca = v.dir.path().join("cluster-ca.pem");
    std::fs::write(&ca, &up.ca_pem).unwrap();
    let config = v.dir.path().join("kubeconfig");
    std::fs::write(
        &config,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: dev\n  cluster:\n    \
             server: https://localhost:{}\n    certificate-authority: {}\ncontexts:\n\
             - name: dev\n  context:\n    cluster: dev\n    user: dev-admin\n\
             current-context: dev\nusers:\n- name: dev-admin\n  user:\n    token: static-token\n",
            up.port,
            ca.display()
        ),
    )
    .unwrap();
    config
}

/// PATH with `dir` first (where `vault setup kube` looks for kubectl to learn its version).
fn path_with(dir: Option<&str>) -> OsString {
    let mut paths: Vec<PathBuf> = dir.map(PathBuf::from).into_iter().collect();
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).unwrap()
}

/// `vault ARGS` with the kubeconfig and PATH given.
fn vault(v: &TestVault, config: &Path, path: &OsString, args: &[&str]) -> Run {
    Run::from_output(
        v.cmd()
            .env("KUBECONFIG", config)
            .env("PATH", path)
            .args(args)
            .output()
            .unwrap(),
    )
}

/// `kubectl get --raw /echo` (a request with the context's credentials, no API discovery) in
/// the vault's environment, so the plugin finds its agent.
fn kubectl_echo(v: &TestVault, kubectl: &Path, config: &Path) -> Run {
    let template = v.bare();
    Run::from_output(
        Command::new(kubectl)
            .env_clear()
            .envs(template.get_envs().filter_map(|(k, val)| Some((k, val?))))
            .env("KUBECONFIG", config)
            .args(["--context", "dev", "get", "--raw", "/echo"])
            .output()
            .unwrap(),
    )
}

fn bearer(run: &Run) -> String {
    run.ok()
        .trim()
        .strip_prefix("auth=Bearer ")
        .unwrap_or_else(|| panic!("no bearer token: {}", run.stdout))
        .to_owned()
}

fn kubectl_minor(kubectl: &Path) -> Option<u32> {
    let out = Command::new(kubectl)
        .args(["version", "--client", "-o", "json"])
        .output()
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    v["clientVersion"]["minor"]
        .as_str()?
        .trim_end_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .ok()
}

/// A vault logged in to the OAuth server (access tokens living `access_ttl` seconds), the
/// cluster's endpoint, its kubeconfig, and Debian's kubectl.
struct Cluster {
    server: OAuthServer,
    v: TestVault,
    up: upstream::Upstream,
    config: PathBuf,
    kubectl: PathBuf,
}

fn cluster(access_ttl: u64) -> Cluster {
    let server = OAuthServer::start(access_ttl);
    let v = TestVault::new();
    add_provider(&v, &server).ok();
    login(&v).ok();
    let up = upstream::upstream();
    let config = kubeconfig(&v, &up);
    Cluster {
        server,
        v,
        up,
        config,
        kubectl: Path::new(KUBECTL_DIR).join("kubectl"),
    }
}

#[test]
fn kubectl_gets_the_grants_token_and_undo_gives_the_context_its_user_back() {
    let Cluster {
        server,
        v,
        up,
        config,
        kubectl,
    } = cluster(3600);
    let debian = path_with(Some(KUBECTL_DIR));

    // Before: the static token of the file.
    assert_eq!(bearer(&kubectl_echo(&v, &kubectl, &config)), "static-token");

    // A typo in the grant changes nothing.
    let run = vault(&v, &config, &debian, &["setup", "kube", "--grant", "tset"]);
    assert_eq!(run.code, Some(4), "{}", run.stderr);
    assert!(
        std::fs::read_to_string(&config)
            .unwrap()
            .contains("user: dev-admin")
    );

    let run = vault(&v, &config, &debian, &["setup", "kube", "--grant", "test"]);
    run.ok();
    assert!(
        run.stderr.contains("context dev: uses the user vault-test")
            && run.stderr.contains("client.authentication.k8s.io/v1beta1")
            && run.stderr.contains("The user dev-admin stays in the file"),
        "{}",
        run.stderr
    );
    let token = bearer(&kubectl_echo(&v, &kubectl, &config));
    assert_eq!(token, v.run(&["token", "test"]).ok().trim());
    assert!(server.is_active(&token));
    assert!(server.refreshes().is_empty());
    // Again: nothing changes.
    let run = vault(&v, &config, &debian, &["setup", "kube", "--grant", "test"]);
    assert!(
        run.ok().is_empty() && run.stderr.contains("Already set up"),
        "{}",
        run.stderr
    );

    // Locked: kubectl fails with vault's line, and the server sees no token.
    v.run(&["lock"]).ok();
    let seen = up.seen.authorizations().len();
    let run = kubectl_echo(&v, &kubectl, &config);
    assert_ne!(run.code, Some(0));
    assert!(run.stderr.contains("run `vault unlock`"), "{}", run.stderr);
    assert_eq!(up.seen.authorizations().len(), seen);
    v.run(&["unlock"]).ok();

    // A kubectl that reads the v1 API (this machine's own, when it has one): the entry is
    // written again for it, and it works the same.
    let system = path_with(None);
    let which = Command::new("sh")
        .args(["-c", "command -v kubectl"])
        .env("PATH", &system)
        .output()
        .unwrap();
    let other = PathBuf::from(String::from_utf8_lossy(&which.stdout).trim());
    if kubectl_minor(&other).is_some_and(|m| m >= 22) {
        let run = vault(&v, &config, &system, &["setup", "kube", "--grant", "test"]);
        assert!(
            run.stderr.contains("(client.authentication.k8s.io/v1)"),
            "{}",
            run.stderr
        );
        assert_eq!(bearer(&kubectl_echo(&v, &other, &config)), token);
    } else {
        eprintln!("no kubectl 1.22 or later on PATH: the v1 entry is not run here");
    }

    let run = vault(
        &v,
        &config,
        &debian,
        &["setup", "kube", "--context", "dev", "--undo"],
    );
    assert!(
        run.stderr
            .contains("The context dev uses the user dev-admin again"),
        "{}",
        run.stderr
    );
    assert!(
        !std::fs::read_to_string(&config)
            .unwrap()
            .contains("vault-test")
    );
    assert_eq!(bearer(&kubectl_echo(&v, &kubectl, &config)), "static-token");
    let run = vault(&v, &config, &debian, &["setup", "kube", "--undo"]);
    assert!(run.stderr.contains("nothing to undo"), "{}", run.stderr);
}

fn expires(v: &TestVault) -> Timestamp {
    let grants: serde_json::Value =
        serde_json::from_str(v.run(&["grants", "--json"]).ok()).unwrap();
    grants[0]["expires"].as_str().unwrap().parse().unwrap()
}

/// A token near its expiry is refreshed before kubectl gets it. With tokens living 20 s, vault
/// refreshes in the last 10 (half the lifetime, when that is under a minute).
#[test]
fn a_token_near_expiry_is_refreshed_before_kubectl_gets_it() {
    let Cluster {
        server,
        v,
        up: _up,
        config,
        kubectl,
    } = cluster(20);
    vault(
        &v,
        &config,
        &path_with(Some(KUBECTL_DIR)),
        &["setup", "kube", "--context", "dev", "--grant", "test"],
    )
    .ok();
    let old = expires(&v);
    wait_until(
        Duration::from_secs(60),
        "the token to be near expiry",
        || Timestamp::now() > old - SignedDuration::from_secs(10),
    );
    assert!(server.refreshes().is_empty());
    let token = bearer(&kubectl_echo(&v, &kubectl, &config));
    assert_eq!(server.refreshes().len(), 1);
    assert!(server.is_active(&token));
    assert!(expires(&v) > old);
}
