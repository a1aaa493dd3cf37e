//! The proxy between real curl and a real HTTPS server on loopback (its own throwaway CA):
//! the server sees the real value only where the item's hosts allow, curl never does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use vault_core::SecretValue;
use vault_proxy::table::Binding;
use vault_proxy::{Proxy, Secrets, SessionKeys, SessionSpec, Unavailable, ca, placeholder};

mod upstream;
use upstream::{Upstream, upstream};

/// Made up, in the shape of an OpenAI project key (so its placeholder keeps `sk-proj-`).
const KEY: &str = "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"; // vault-scan:allow

/// The vault side: values by item, a lock, and the refusals it was told of.
#[derive(Default)]
struct Vault {
    values: Mutex<HashMap<String, String>>,
    locked: Mutex<bool>,
    refusals: Mutex<Vec<(String, String)>>,
}

impl Secrets for Vault {
    fn value(&self, item: &str) -> Result<SecretValue, Unavailable> {
        if *self.locked.lock().unwrap() {
            return Err(Unavailable::Locked);
        }
        self.values
            .lock()
            .unwrap()
            .get(item)
            .map(SecretValue::new)
            .ok_or_else(|| Unavailable::Gone("no such item".into()))
    }

    fn refused(&self, item: &str, destination: &str) {
        self.refusals
            .lock()
            .unwrap()
            .push((item.to_owned(), destination.to_owned()));
    }
}

struct Setup {
    minter: Arc<ca::Minter>,
    up: Upstream,
    vault: Arc<Vault>,
    proxy: Proxy,
    dir: tempfile::TempDir,
}

fn setup() -> Setup {
    let up = upstream();
    let vault = Arc::new(Vault::default());
    vault
        .values
        .lock()
        .unwrap()
        .insert("openai".into(), KEY.into());
    vault
        .values
        .lock()
        .unwrap()
        .insert("other".into(), "other-real-value-0123456789".into());
    // The real time: curl checks the minted leaves against its own clock.
    let now = Timestamp::now();
    let parts = ca::generate(now).unwrap();
    let minter = Arc::new(ca::Minter::new(&parts, now).unwrap());
    let dir = tempfile::tempdir().unwrap();
    // What the child trusts: the proxy's CA (for the hosts it opens) and, in this test, the
    // upstream's own (for the ones it tunnels).
    std::fs::write(
        dir.path().join("bundle.pem"),
        format!("{}{}", ca::pem(&parts.cert_der), up.ca_pem),
    )
    .unwrap();
    let proxy = Proxy::start(Arc::new(move || now)).unwrap();
    Setup {
        minter,
        up,
        vault,
        proxy,
        dir,
    }
}

impl Setup {
    fn bundle(&self) -> PathBuf {
        self.dir.path().join("bundle.pem")
    }

    /// A session where `openai` may go to localhost:PORT and `other` to 127.0.0.1:PORT.
    fn session(&self, strict: bool) -> (SessionKeys, String, String) {
        let openai = placeholder::placeholder(KEY).unwrap();
        let other = placeholder::placeholder("other-real-value-0123456789").unwrap();
        let port = self.up.port;
        let keys = self
            .proxy
            .open(SessionSpec {
                bindings: vec![
                    Binding {
                        item: "openai".into(),
                        placeholder: openai.clone(),
                        hosts: vec![format!("localhost:{port}").parse().unwrap()],
                    },
                    Binding {
                        item: "other".into(),
                        placeholder: other.clone(),
                        hosts: vec![format!("127.0.0.1:{port}/other").parse().unwrap()],
                    },
                ],
                strict,
                verbose: true,
                log: None,
                extra_roots: vec![self.up.ca_der.clone()],
                secrets: self.vault.clone(),
                minter: self.minter.clone(),
                upstream_proxy: None,
            })
            .unwrap();
        (keys, openai, other)
    }
}

fn curl(bundle: &Path, proxy: &str, auth: &str, url: &str) -> Output {
    Command::new("curl")
        .args(["-sS", "--max-time", "20", "--proxy", proxy, "--cacert"])
        .arg(bundle)
        .args(["-H", &format!("Authorization: Bearer {auth}"), url])
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .output()
        .unwrap()
}

/// [`curl`], which must succeed (its stderr says why not).
fn curl_ok(bundle: &Path, proxy: &str, auth: &str, url: &str) -> Output {
    let out = curl(bundle, proxy, auth, url);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn the_real_key_reaches_only_its_own_host_and_never_comes_back() {
    let s = setup();
    let (keys, openai, _) = s.session(false);
    assert!(openai.starts_with("sk-proj-") && openai.len() == KEY.len());
    let url = keys.url();
    let port = s.up.port;

    let out = curl_ok(
        &s.bundle(),
        &url,
        &openai,
        &format!("https://localhost:{port}/echo"),
    );
    assert_eq!(
        s.up.seen.authorizations().last().unwrap().1,
        format!("Bearer {KEY}"),
        "the server got the real key"
    );
    assert_eq!(
        stdout(&out),
        format!("auth=Bearer {openai}\n"),
        "the echo came back as the placeholder"
    );
    assert!(!stdout(&out).contains(KEY));

    // 127.0.0.1 is opened for `other`; openai's placeholder may not go there.
    let out = curl(
        &s.bundle(),
        &url,
        &openai,
        &format!("https://127.0.0.1:{port}/other"),
    );
    assert!(
        stdout(&out).contains("refused a request to https://127.0.0.1"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("\"openai\""));
    assert_eq!(s.up.seen.authorizations().len(), 1, "nothing was sent");
    assert_eq!(
        s.vault.refusals.lock().unwrap().as_slice(),
        [("openai".to_owned(), format!("https://127.0.0.1:{port}"))]
    );
}

#[test]
fn other_hosts_are_tunnelled_with_the_placeholder_or_refused_when_strict() {
    let s = setup();
    let (keys, openai, _) = s.session(false);
    let port = s.up.port;
    // A host no binding may reach: tunnelled, so the server sees only the useless placeholder
    // (and the child talks TLS with the server itself).
    let tunnel = s.up.tunnel_port;
    let out = curl_ok(
        &s.bundle(),
        &keys.url(),
        &openai,
        &format!("https://127.0.0.2:{tunnel}/echo"),
    );
    assert_eq!(stdout(&out), format!("auth=Bearer {openai}\n"));
    assert_eq!(
        s.up.seen.authorizations().last().unwrap().1,
        format!("Bearer {openai}")
    );

    // 127.0.0.1 is opened for `other`'s /other only: another path gets no value, and openai's
    // placeholder is refused there.
    let out = curl(
        &s.bundle(),
        &keys.url(),
        &openai,
        &format!("https://127.0.0.1:{port}/other"),
    );
    assert!(stdout(&out).contains("refused"), "{}", stdout(&out));

    let (strict, openai, _) = s.session(true);
    let proxy = strict.url();
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "20", "--proxy", &proxy, "--cacert"])
        .arg(s.bundle())
        .args(["-H", &format!("Authorization: Bearer {openai}")])
        .arg(format!("https://127.0.0.2:{tunnel}/echo"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("403"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_locked_vault_or_a_closed_session_sends_nothing() {
    let s = setup();
    let (keys, openai, _) = s.session(false);
    let port = s.up.port;
    *s.vault.locked.lock().unwrap() = true;
    let out = curl(
        &s.bundle(),
        &keys.url(),
        &openai,
        &format!("https://localhost:{port}/echo"),
    );
    assert!(
        stdout(&out).contains("the vault is locked"),
        "{}",
        stdout(&out)
    );
    assert!(s.up.seen.authorizations().is_empty());
    *s.vault.locked.lock().unwrap() = false;

    s.proxy.close(&keys.id);
    let out = curl(
        &s.bundle(),
        &keys.url(),
        &openai,
        &format!("https://localhost:{port}/echo"),
    );
    assert!(
        !out.status.success(),
        "a closed session's credential is refused"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("407"));
    let wrong = format!(
        "http://{}:{}@127.0.0.1:{}",
        keys.id,
        "0".repeat(48),
        keys.port
    );
    let out = curl(
        &s.bundle(),
        &wrong,
        &openai,
        &format!("https://localhost:{port}/echo"),
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("407"));
    assert!(s.up.seen.authorizations().is_empty());
}

#[test]
fn server_sent_events_arrive_one_by_one() {
    let s = setup();
    let (keys, openai, _) = s.session(false);
    let mut child = Command::new("curl")
        .args([
            "-sS",
            "-N",
            "--max-time",
            "20",
            "--proxy",
            &keys.url(),
            "--cacert",
        ])
        .arg(s.bundle())
        .args(["-H", &format!("Authorization: Bearer {openai}")])
        .arg(format!("https://localhost:{}/sse", s.up.port))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // The second event is sent only once the first has arrived here.
    assert_eq!(lines.next().unwrap().unwrap(), "data: one");
    s.up.next_event.notify_one();
    assert_eq!(lines.next().unwrap().unwrap(), "");
    assert_eq!(lines.next().unwrap().unwrap(), "data: two");
    let _ = child.wait_timeout_or_kill(Duration::from_secs(20));
}

trait WaitOrKill {
    fn wait_timeout_or_kill(&mut self, after: Duration) -> std::process::ExitStatus;
}

impl WaitOrKill for std::process::Child {
    fn wait_timeout_or_kill(&mut self, after: Duration) -> std::process::ExitStatus {
        let start = std::time::Instant::now();
        loop {
            if let Some(status) = self.try_wait().unwrap() {
                return status;
            }
            if start.elapsed() > after {
                let _ = self.kill();
                return self.wait().unwrap();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Sends `request` on a fresh connection to the proxy and reads until it closes or answers.
fn raw(port: u16, request: &[u8]) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut buf = [0u8; 4096];
    let n = stream.read(&mut buf).unwrap_or(0);
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

fn basic(keys: &SessionKeys) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", keys.id, *keys.credential))
}

#[test]
fn bad_clients_and_a_dying_server_get_a_clear_answer_and_the_next_request_is_served() {
    let s = setup();
    let (keys, openai, _) = s.session(false);
    let port = s.up.port;
    let auth = basic(&keys);

    // A CONNECT without a port, and one that is not HTTP at all.
    let answer = raw(
        keys.port,
        format!("CONNECT localhost HTTP/1.1\r\nProxy-Authorization: Basic {auth}\r\n\r\n")
            .as_bytes(),
    );
    assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");
    let answer = raw(keys.port, b"\x16\x03\x01 not a request at all\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");

    // A tunnel the proxy opens, then garbage instead of a TLS hello: the connection ends.
    {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", keys.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        stream
            .write_all(
                format!(
                    "CONNECT localhost:{port} HTTP/1.1\r\nProxy-Authorization: Basic {auth}\r\n\r\n"
                )
                .as_bytes(),
            )
            .unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            stream.read_exact(&mut byte).unwrap();
            head.push(byte[0]);
        }
        assert!(head.starts_with(b"HTTP/1.1 200 OK\r\n"));
        stream.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest);
        assert!(
            !String::from_utf8_lossy(&rest).contains("HTTP/1.1 200"),
            "no plaintext request is served inside a tunnel the proxy opens"
        );
    }

    // A server that dies mid-answer: curl says so (the body is short).
    let out = curl(
        &s.bundle(),
        &keys.url(),
        &openai,
        &format!("https://localhost:{port}/cut"),
    );
    assert!(!out.status.success(), "{}", stdout(&out));

    // And the proxy still serves the same session.
    let out = curl_ok(
        &s.bundle(),
        &keys.url(),
        &openai,
        &format!("https://localhost:{port}/echo"),
    );
    assert_eq!(stdout(&out), format!("auth=Bearer {openai}\n"));
}
