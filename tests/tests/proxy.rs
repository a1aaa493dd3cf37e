//! `vault run --proxy` with the real binaries, agent and clients (curl, Python `requests` and
//! `httpx`) against a real HTTPS server on loopback with its own CA: the server gets the key,
//! the program never holds it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use vault_tests::{TestVault, bin, wait_until};

#[path = "../../crates/vault-proxy/tests/upstream/mod.rs"]
mod upstream;

/// Made up, in the shape of an OpenAI project key (so its placeholder keeps `sk-proj-`).
const KEY: &str = "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"; // vault-scan:allow
const ROTATED: &str = "sk-proj-ROTATEDxHbEL31IeL2HPcHyGcFRl1SPnXNYvMIHa_2o76umfXfKm_r5kJP1VrT-1FJors_6ILi8T3BlbkFJIHn5kxsC7tVO_HbkQfyy_KV5zjR3j1twdTKWTddB-XhkAS1voQG6yyzyN9zHYIa4UOrGNATMuD";

/// requests and httpx from PyPI, in the venv `make deps-clients` makes.
const PYTHON: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/clients/.venv/bin/python3");

struct Setup {
    v: TestVault,
    up: upstream::Upstream,
    ca_file: PathBuf,
}

fn setup() -> Setup {
    assert!(
        std::path::Path::new(PYTHON).exists(),
        "{PYTHON} is missing: run `make deps-clients`"
    );
    let v = TestVault::new();
    let up = upstream::upstream();
    let ca_file = v.dir.path().join("upstream-ca.pem");
    std::fs::write(&ca_file, &up.ca_pem).unwrap();
    let host = format!("localhost:{}", up.port);
    v.add("openai", KEY, &["--env", "OPENAI_API_KEY", "--host", &host]);
    // The agent runs the proxy: it holds the vault unlocked, and `vault run` is answered by
    // the front, as at a user's terminal.
    v.run(&["unlock"]).ok();
    Setup { v, up, ca_file }
}

impl Setup {
    /// `vault run --item openai --proxy --proxy-ca-file UPSTREAM_CA EXTRA -- sh -c SCRIPT`.
    fn command(&self, extra: &[&str], script: &str) -> Command {
        let mut c = self.v.bare();
        c.args(["run", "--item", "openai", "--proxy", "--proxy-ca-file"])
            .arg(&self.ca_file)
            .args(extra)
            .args(["--", "sh", "-c", script])
            .env("PORT", self.up.port.to_string())
            .env("TUNNEL_PORT", self.up.tunnel_port.to_string())
            .env("PYTHON", PYTHON)
            .env("VAULT", bin("vault"))
            .env("VAULT_PATH", &self.v.path);
        c
    }

    fn run(&self, extra: &[&str], script: &str) -> Output {
        self.command(extra, script).output().unwrap()
    }
}

/// The server was sent exactly `requests` requests, each with the real key.
fn server_got_the_key(s: &Setup, requests: usize) {
    let seen = s.up.seen.authorizations();
    assert_eq!(seen.len(), requests, "{seen:?}");
    assert!(
        seen.iter()
            .all(|(_, auth)| *auth == format!("Bearer {KEY}")),
        "{seen:?}"
    );
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The lines of `out` that start with `prefix`, without it.
fn field(out: &str, prefix: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no {prefix} line in:\n{out}"))
        .to_owned()
}

const REQUESTS: &str = "import os, requests; print(requests.get(f\"https://localhost:{os.environ['PORT']}/echo\", \
    headers={'Authorization': 'Bearer ' + os.environ['OPENAI_API_KEY']}).text, end='')";
const HTTPX: &str = "import os, httpx; print(httpx.get(f\"https://localhost:{os.environ['PORT']}/echo\", \
    headers={'Authorization': 'Bearer ' + os.environ['OPENAI_API_KEY']}).text, end='')";

#[test]
fn curl_requests_and_httpx_hold_a_placeholder_and_the_server_gets_the_key() {
    let s = setup();
    let script = "printf 'env=%s\\n' \"$OPENAI_API_KEY\"; \
         curl -sS -H \"Authorization: Bearer $OPENAI_API_KEY\" https://localhost:$PORT/echo; \
         \"$PYTHON\" -c \"$REQUESTS\"; \"$PYTHON\" -c \"$HTTPX\"; \
         tr '\\0' '\\n' < /proc/self/environ; sh -c 'tr \"\\0\" \"\\n\" < /proc/$PPID/environ'";
    let out = s
        .command(&[], script)
        .env("REQUESTS", REQUESTS)
        .env("HTTPX", HTTPX)
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}\n{stdout}", text(&out.stderr));
    let placeholder = field(&stdout, "env=");
    assert!(
        placeholder.starts_with("sk-proj-") && placeholder.len() == KEY.len(),
        "same shape as the key: {placeholder}"
    );
    assert_ne!(placeholder, KEY);
    assert!(
        !stdout.contains(KEY) && !text(&out.stderr).contains(KEY),
        "the program, its environment and its child's never held the key:\n{stdout}"
    );
    // Each client's echo came back with the placeholder, while the server got the key.
    let echoed = format!("auth=Bearer {placeholder}");
    assert_eq!(stdout.matches(&echoed).count(), 3, "{stdout}");
    server_got_the_key(&s, 3);
    // The program was pointed at the proxy and at a bundle that trusts it.
    assert!(stdout.contains("HTTPS_PROXY=http://"));
    assert!(stdout.contains("https_proxy=http://"));
    assert!(stdout.contains("REQUESTS_CA_BUNDLE="));
    assert!(stdout.contains("NO_PROXY=127.0.0.1,::1"), "{stdout}");
}

#[test]
fn a_placeholder_bound_elsewhere_is_refused_and_audited_and_strict_refuses_other_hosts() {
    let s = setup();
    // 127.0.0.2 is not one of openai's hosts: tunnelled untouched, the server there gets only
    // the useless placeholder.
    let out = s.run(
        &[],
        "curl -sS -H \"Authorization: Bearer $OPENAI_API_KEY\" https://127.0.0.2:$TUNNEL_PORT/echo",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let got = s.up.seen.authorizations().last().unwrap().1.clone();
    assert_eq!(format!("auth={got}\n"), text(&out.stdout));
    assert!(!got.contains(KEY));

    // Plain HTTP is readable: a placeholder in it, bound elsewhere, stops the request.
    let out = s.run(
        &[],
        "curl -sS -o /dev/null -w '%{http_code}' -H \"Authorization: Bearer $OPENAI_API_KEY\" http://127.0.0.2:9/",
    );
    assert_eq!(text(&out.stdout), "403");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "vault proxy: refused a request to http://127.0.0.2:9/: it carries the placeholder of \"openai\", which may go only to localhost:{}",
            s.up.port
        )),
        "said on the program's stderr: {stderr}"
    );
    let log = s.v.run(&["log"]);
    assert!(
        log.ok()
            .contains("the proxy kept openai from http://127.0.0.2:9"),
        "{}",
        log.ok()
    );

    // --strict: a host no key goes to is refused at CONNECT (curl: "CONNECT tunnel failed").
    let out = s.run(
        &["--strict"],
        "curl -sS https://127.0.0.2:$TUNNEL_PORT/echo; echo \"exit=$?\"",
    );
    assert!(
        text(&out.stdout).contains("exit=56"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stderr).contains("refused 127.0.0.2:"),
        "{}",
        text(&out.stderr)
    );
    // -v: each key added is said, never its value.
    let out = s.run(
        &["-v"],
        "curl -sS -o /dev/null -H \"Authorization: Bearer $OPENAI_API_KEY\" https://localhost:$PORT/echo",
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "vault proxy: https://localhost:{}: \"openai\" added",
            s.up.port
        )),
        "{stderr}"
    );
    assert!(!stderr.contains(KEY));
}

#[test]
fn a_rotation_is_used_at_the_next_request_and_a_lock_stops_the_key_at_once() {
    let s = setup();
    let script = format!(
        "echo1() {{ curl -sS -H \"Authorization: Bearer $OPENAI_API_KEY\" https://localhost:$PORT/echo; }}; \
         echo1; printf %s '{ROTATED}' | \"$VAULT\" rotate openai >/dev/null; echo1; \
         \"$VAULT\" lock; echo1; \
         printf 'proxy=%s\\nbundle=%s\\n' \"$HTTPS_PROXY\" \"$SSL_CERT_FILE\""
    );
    let out = s.run(&[], &script);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}\n{stdout}", text(&out.stderr));
    let seen: Vec<String> =
        s.up.seen
            .authorizations()
            .into_iter()
            .map(|s| s.1)
            .collect();
    assert_eq!(
        seen,
        [format!("Bearer {KEY}"), format!("Bearer {ROTATED}")],
        "the rotated key from the next request on, and nothing once locked"
    );
    assert!(
        stdout.contains("the vault is locked, so \"openai\" is not sent (run `vault unlock`)"),
        "{stdout}"
    );
    // The program has exited: its credential and its CA bundle are gone with it.
    let proxy = field(&stdout, "proxy=");
    let bundle = PathBuf::from(field(&stdout, "bundle="));
    wait_until(Duration::from_secs(20), "the bundle to be removed", || {
        !bundle.exists()
    });
    let after = Command::new("curl")
        .args([
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--proxy",
            &proxy,
        ])
        .arg("http://127.0.0.2:9/")
        .output()
        .unwrap();
    assert_eq!(text(&after.stdout), "407", "{}", text(&after.stderr));
}

#[test]
fn server_sent_events_reach_the_program_one_by_one() {
    let s = setup();
    let stream = "import os, httpx\n\
        with httpx.stream('GET', f\"https://localhost:{os.environ['PORT']}/sse\", timeout=60) as r:\n\
        \x20   for line in r.iter_lines():\n\
        \x20       print(line, flush=True)\n";
    let mut child = s
        .command(&[], "exec \"$PYTHON\" -c \"$STREAM\"")
        .env("STREAM", stream)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                return;
            }
        }
    });
    let next = |what: &str| {
        rx.recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("{what} never reached the program"))
    };
    // The server sends the second event only once the first has reached the program: a
    // proxy that buffered the stream would never deliver the first.
    assert_eq!(next("the first event"), "data: one");
    s.up.next_event.notify_one();
    let mut line = next("the second event");
    if line.is_empty() {
        line = next("the second event");
    }
    assert_eq!(line, "data: two");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn a_key_with_nowhere_to_go_stops_the_run_unless_passed_in_plain() {
    let s = setup();
    s.v.add(
        "internal",
        "internal-token-0123456789",
        &["--env", "INTERNAL_TOKEN"],
    );
    let run = |extra: &[&str]| {
        let mut c = s.v.bare();
        c.args(["run", "--item", "internal", "--proxy"])
            .args(extra)
            .args(["--", "sh", "-c", "printf 'started %s' \"$INTERNAL_TOKEN\""]);
        c.output().unwrap()
    };
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(125), "{}", text(&out.stderr));
    assert!(text(&out.stdout).is_empty(), "nothing started");
    assert!(
        text(&out.stderr).contains(
            "internal has no allowed hosts, so --proxy would send it nowhere: add one with \
             `vault edit internal --add-host HOST`, or pass it in plain with --plain internal"
        ),
        "{}",
        text(&out.stderr)
    );
    let out = run(&["--plain", "internal", "--no-mask"]);
    assert_eq!(text(&out.stdout), "started internal-token-0123456789");
    // --no-agent has no proxy to run the session: said, and nothing starts.
    let mut c = s.v.cmd();
    c.args([
        "--no-agent",
        "run",
        "--item",
        "openai",
        "--proxy",
        "--",
        "true",
    ]);
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(125));
    assert!(
        text(&out.stderr).contains("needs the agent"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn the_vaults_ca_is_made_once_kept_sealed_and_the_same_after_an_agent_restart() {
    let s = setup();
    let last_certificate = |out: &Output| {
        let bundle = text(&out.stdout);
        let start = bundle.rfind("-----BEGIN CERTIFICATE-----").unwrap();
        bundle[start..].to_owned()
    };
    let first = s.run(&[], "cat \"$SSL_CERT_FILE\"");
    assert!(first.status.success(), "{}", text(&first.stderr));
    s.v.stop_agent();
    s.v.run(&["unlock"]).ok();
    let second = s.run(&[], "cat \"$SSL_CERT_FILE\"");
    assert_eq!(last_certificate(&first), last_certificate(&second));
    // The bundle also holds the roots the program trusted before (the system's) and the
    // --proxy-ca-file root, so tunnelled hosts still verify.
    assert!(text(&first.stdout).matches("BEGIN CERTIFICATE").count() > 2);
    assert!(text(&first.stdout).contains(s.up.ca_pem.trim()));
    // Only the certificate is in the clear: the vault file holds no private key.
    assert!(!vault_tests::contains(&s.v.file_bytes(), b"PRIVATE KEY"));
}

const HTTPX_H2: &str = "import os, httpx; r = httpx.Client(http2=True).get(f\"https://localhost:{os.environ['PORT']}/version\", \
    headers={'Authorization': 'Bearer ' + os.environ['OPENAI_API_KEY']}); print('httpx', r.http_version, r.text, end='')";
const WEBSOCKET: &str = "import asyncio, os, websockets\n\
async def main():\n\
\x20   async with websockets.connect(f\"wss://localhost:{os.environ['PORT']}/ws\", \
additional_headers={'Authorization': 'Bearer ' + os.environ['OPENAI_API_KEY']}) as ws:\n\
\x20       await ws.send('hello')\n\
\x20       print('ws', await ws.recv())\n\
asyncio.run(main())\n";

#[test]
fn http2_a_websocket_and_a_chunked_upload_carry_the_key_on_their_way() {
    let s = setup();
    let script = "set -e; \
        curl -sS --http2 -w 'curl %{http_version}\\n' -H \"Authorization: Bearer $OPENAI_API_KEY\" https://localhost:$PORT/version; \
        curl -sS --http1.1 -w 'curl %{http_version}\\n' -H \"Authorization: Bearer $OPENAI_API_KEY\" https://localhost:$PORT/version; \
        \"$PYTHON\" -c \"$HTTPX_H2\"; \
        \"$PYTHON\" -c \"$WEBSOCKET\"; \
        head -c 3000000 /dev/zero | curl -sS -T - -H 'Transfer-Encoding: chunked' \
          -H \"Authorization: Bearer $OPENAI_API_KEY\" https://localhost:$PORT/upload";
    let out = s
        .command(&[], script)
        .env("HTTPX_H2", HTTPX_H2)
        .env("WEBSOCKET", WEBSOCKET)
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}\n{stdout}", text(&out.stderr));
    // HTTP/2 on both legs: curl and httpx negotiated it with the proxy, which spoke it to the
    // server (the server says which version it was sent).
    assert!(stdout.contains("HTTP/2.0\ncurl 2\n"), "{stdout}");
    // A program on HTTP/1.1 gets HTTP/1.1 on the way out too: the server sees its choice.
    assert!(stdout.contains("HTTP/1.1\ncurl 1.1\n"), "{stdout}");
    assert!(stdout.contains("httpx HTTP/2 HTTP/2.0\n"), "{stdout}");
    // The WebSocket handshake carried the key, then frames went both ways.
    assert!(stdout.contains("ws echo:hello\n"), "{stdout}");
    // Three megabytes streamed up, chunked.
    assert!(stdout.contains("received=3000000\n"), "{stdout}");
    server_got_the_key(&s, 5);
    assert!(!stdout.contains(KEY));
}

/// Node 20's built-in `fetch` through undici's `EnvHttpProxyAgent` (set as the global
/// dispatcher, which the built-in `fetch` shares), undici's own `request`, and the plain
/// `https` module through global-agent: the three ways a Node program reaches an API.
const NODE: &str = "const { EnvHttpProxyAgent, setGlobalDispatcher, request } = require('undici');\n\
setGlobalDispatcher(new EnvHttpProxyAgent());\n\
const url = `https://localhost:${process.env.PORT}/echo`;\n\
const headers = { authorization: `Bearer ${process.env.OPENAI_API_KEY}` };\n\
(async () => {\n\
  console.log('fetch', await (await fetch(url, { headers })).text().then(t => t.trim()));\n\
  const r = await request(url, { headers });\n\
  console.log('undici', (await r.body.text()).trim());\n\
  require('global-agent/bootstrap');\n\
  require('https').get(url, { headers }, res => {\n\
    let body = '';\n\
    res.on('data', d => body += d);\n\
    res.on('end', () => console.log('https', body.trim()));\n\
  });\n\
})();\n";

#[test]
fn node_fetch_undici_and_https_hold_a_placeholder_and_the_server_gets_the_key() {
    let s = setup();
    let out = s
        .command(
            &[],
            "printf 'env=%s\\n' \"$OPENAI_API_KEY\"; node -e \"$NODE\"",
        )
        .env("NODE", NODE)
        .env(
            "NODE_PATH",
            concat!(env!("CARGO_MANIFEST_DIR"), "/clients/node_modules"),
        )
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}\n{stdout}", text(&out.stderr));
    let placeholder = field(&stdout, "env=");
    for client in ["fetch", "undici", "https"] {
        assert!(
            stdout.contains(&format!("{client} auth=Bearer {placeholder}\n")),
            "{client}: {stdout}"
        );
    }
    server_got_the_key(&s, 3);
    assert!(!stdout.contains(KEY));
}

/// proxy.py (PyPI), a real HTTP proxy, on a port of its own choosing, logging each CONNECT.
struct CorporateProxy {
    url: String,
    log: PathBuf,
    child: std::process::Child,
}

impl Drop for CorporateProxy {
    /// proxy.py forks its workers: the whole process group goes, not only the parent (its
    /// workers outlived the suite before).
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn corporate_proxy(dir: &std::path::Path) -> CorporateProxy {
    let port_file = dir.join("corporate.port");
    let log = dir.join("corporate.log");
    let child = Command::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/clients/.venv/bin/proxy"
    ))
    .args(["--hostname", "127.0.0.1", "--port", "0", "--port-file"])
    .arg(&port_file)
    .args(["--num-workers", "1", "--num-acceptors", "1"])
    .process_group(0)
    .stdout(Stdio::null())
    .stderr(std::fs::File::create(&log).unwrap())
    .spawn()
    .expect("proxy.py (make deps-clients installs it)");
    // It writes the port it bound once it listens.
    let mut port = String::new();
    wait_until(Duration::from_secs(60), "proxy.py to listen", || {
        port = std::fs::read_to_string(&port_file).unwrap_or_default();
        !port.trim().is_empty()
    });
    CorporateProxy {
        url: format!("http://127.0.0.1:{}", port.trim()),
        log,
        child,
    }
}

#[test]
fn a_proxy_already_in_the_environment_is_chained_not_bypassed() {
    let s = setup();
    let corporate = corporate_proxy(s.v.dir.path());
    let out = s
        .command(
            &[],
            "printf 'proxy=%s\\n' \"$HTTPS_PROXY\"; \
             curl -sS -H \"Authorization: Bearer $OPENAI_API_KEY\" https://localhost:$PORT/echo; \
             curl -sS https://127.0.0.2:$TUNNEL_PORT/echo",
        )
        .env("HTTPS_PROXY", &corporate.url)
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}\n{stdout}", text(&out.stderr));
    // The command talks to vault's proxy; vault's proxy goes out through the corporate one,
    // for the host it opens and for the one it tunnels.
    assert!(
        !stdout.contains(&format!("proxy={}", corporate.url)),
        "{stdout}"
    );
    assert_eq!(
        s.up.seen.authorizations()[0].1,
        format!("Bearer {KEY}"),
        "the key went through the chain"
    );
    // proxy.py logs a CONNECT when it closes: the opened host's connection closes when the
    // session ends, with the command.
    for target in [
        format!("CONNECT localhost:{}", s.up.port),
        format!("CONNECT 127.0.0.2:{}", s.up.tunnel_port),
    ] {
        wait_until(
            Duration::from_secs(60),
            &format!("the corporate proxy to log {target}"),
            || std::fs::read_to_string(&corporate.log).is_ok_and(|log| log.contains(&target)),
        );
    }
}

#[test]
fn a_name_that_resolves_to_a_loopback_address_does_not_get_the_key_unless_named_so() {
    use std::net::ToSocketAddrs;
    let s = setup();
    // This machine's own name resolves to a loopback address through /etc/hosts (Debian's
    // 127.0.1.1): a name an item may allow, which a poisoned resolver could point anywhere.
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_owned();
    let resolved: Vec<_> = (name.as_str(), 1).to_socket_addrs().unwrap().collect();
    assert!(
        resolved.iter().all(|a| a.ip().is_loopback()),
        "{name} should resolve to loopback here: {resolved:?}"
    );
    let port = s.up.port;
    s.v.add(
        "internal",
        "internal-token-0123456789abcdef",
        &[
            "--env",
            "INTERNAL_TOKEN",
            "--host",
            &format!("{name}:{port}"),
        ],
    );
    let run = |script: &str| {
        let mut c = s.v.bare();
        c.args(["run", "--item", "internal", "--proxy", "--proxy-ca-file"])
            .arg(&s.ca_file)
            .args(["--", "sh", "-c", script])
            .env("PORT", port.to_string())
            .env("NAME", &name);
        c.output().unwrap()
    };
    let out = run("curl -sS -H \"Authorization: Bearer $INTERNAL_TOKEN\" https://$NAME:$PORT/echo");
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!("{name} resolves to 127."))
            && stdout.contains("a loopback address"),
        "{stdout}{}",
        text(&out.stderr)
    );
    assert!(
        s.up.seen.authorizations().is_empty(),
        "nothing reached the server"
    );
    // Named as an address, it is explicit: the key goes there.
    s.v.run(&["edit", "internal", "--host", &format!("127.0.0.1:{port}")])
        .ok();
    let out =
        run("curl -sS -H \"Authorization: Bearer $INTERNAL_TOKEN\" https://127.0.0.1:$PORT/echo");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        s.up.seen.authorizations()[0].1,
        "Bearer internal-token-0123456789abcdef"
    );
}

#[test]
fn a_session_is_listed_with_where_its_key_went_and_what_was_refused_and_the_user_can_end_it() {
    let s = setup();
    // One request that gets the key, one refused; then the program waits for the test.
    let script = "curl -sS -o /dev/null -H \"Authorization: Bearer $OPENAI_API_KEY\" https://localhost:$PORT/echo; \
         curl -sS -o /dev/null -H \"Authorization: Bearer $OPENAI_API_KEY\" http://127.0.0.2:9/; \
         echo ready; read go; \
         curl -sS -o /dev/null -w 'after=%{http_connect}\\n' -H \"Authorization: Bearer $OPENAI_API_KEY\" https://localhost:$PORT/echo; \
         printf 'bundle=%s\\n' \"$SSL_CERT_FILE\"";
    let mut child = s
        .command(&[], script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");

    let listed = s.v.run(&["proxy", "ls", "--json"]).ok().to_owned();
    let sessions: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let sessions = sessions.as_array().unwrap();
    assert_eq!(sessions.len(), 1, "{listed}");
    let one = &sessions[0];
    // `vault run` became the program: the same process, named as the user typed it.
    assert_eq!(one["program"], "sh", "{listed}");
    assert_eq!(one["pid"], child.id(), "{listed}");
    assert_eq!(one["items"], serde_json::json!(["openai"]), "{listed}");
    assert_eq!(
        one["sent"],
        serde_json::json!([{
            "destination": format!("https://localhost:{}", s.up.port),
            "items": ["openai"],
            "requests": 1,
        }]),
        "{listed}"
    );
    assert_eq!(one["refusals"], 1, "{listed}");
    assert!(
        one["recent_refusals"][0]
            .as_str()
            .unwrap()
            .starts_with("refused a request to http://127.0.0.2:9/"),
        "{listed}"
    );
    assert!(!listed.contains(KEY), "never a value");
    let table = s.v.run(&["proxy", "ls"]).ok().to_owned();
    assert!(
        table.contains(&format!("https://localhost:{} (1)", s.up.port)),
        "{table}"
    );

    let id = one["id"].as_str().unwrap();
    let ended = s.v.run(&["proxy", "end", id]);
    ended.ok();
    assert!(
        ended.stderr.contains("Ended proxy session"),
        "{}",
        ended.stderr
    );
    assert_eq!(s.v.run(&["proxy", "ls", "--json"]).ok().trim(), "[]");
    let again = s.v.run(&["proxy", "end", id]);
    assert!(again.fails(4).contains("no running"), "{}", again.stderr);

    // The program carries on, but its next request gets nothing: not even a tunnel.
    use std::io::Write as _;
    writeln!(child.stdin.take().unwrap(), "go").unwrap();
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    assert!(child.wait().unwrap().success());
    assert_eq!(field(&rest.join("\n"), "after="), "407", "{rest:?}");
    assert!(
        !PathBuf::from(field(&rest.join("\n"), "bundle=")).exists(),
        "its CA bundle went with the session"
    );
    server_got_the_key(&s, 1);
}
