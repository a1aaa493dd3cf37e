//! Harness for the desktop app: a private X server (Xvfb), a private D-Bus session, and
//! `tauri-driver` in front of Debian's `WebKitWebDriver`, driving the real `vault-desktop`
//! binary on a temp vault with its own HOME and runtime dir. Every process started here is
//! stopped when its guard drops.

use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};

use crate::{TestVault, bin};

/// A child process killed (and reaped) on drop.
#[derive(Debug)]
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A process group (the driver, WebKitWebDriver and the app it starts) killed on drop, so a
/// failed run leaves no window behind.
#[derive(Debug)]
pub struct GroupGuard(pub Child);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.0.wait();
    }
}

/// Where screenshots go: `$CARGO_TARGET_DIR/e2e-screenshots` (next to the built binaries).
pub fn screenshot_dir() -> PathBuf {
    let dir = bin("vault")
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .join("e2e-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// The driver's (and the app's) output, kept for a failed run to be read: (stdout, stderr)
/// sharing one file offset.
fn driver_log() -> (Stdio, Stdio) {
    let path = screenshot_dir().join("driver.log");
    match std::fs::File::create(&path).and_then(|f| Ok((f.try_clone()?, f))) {
        Ok((out, err)) => (out.into(), err.into()),
        Err(_) => (Stdio::null(), Stdio::null()),
    }
}

/// A tool the suite needs, with the command that installs it when missing.
pub fn require(tool: &str) -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(tool))
            .find(|f| f.is_file())
    });
    found.unwrap_or_else(|| {
        panic!("{tool} is not installed; `make test-gui` installs it (apt webkit2gtk-driver xvfb xclip dbus, cargo tauri-driver)")
    })
}

/// An X server of our own: `Xvfb -displayfd` picks a free display and tells us which.
pub fn xvfb() -> (Guard, String) {
    let mut child = Command::new(require("Xvfb"))
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start Xvfb");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("Xvfb stdout"))
        .read_line(&mut line)
        .expect("Xvfb display number");
    let display = format!(":{}", line.trim());
    assert!(line.trim().parse::<u32>().is_ok(), "Xvfb said {line:?}");
    (Guard(child), display)
}

/// A session bus of our own, for single-instance and notifications.
pub fn dbus() -> (Guard, String) {
    let mut child = Command::new(require("dbus-daemon"))
        .args(["--session", "--nofork", "--nopidfile", "--print-address=1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start dbus-daemon");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("dbus stdout"))
        .read_line(&mut line)
        .expect("dbus address");
    (Guard(child), line.trim().to_owned())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Everything the app, the CLI and the clipboard tool need to meet: one X display, one session
/// bus, one HOME and runtime dir, one vault path.
#[derive(Debug)]
pub struct Desktop {
    pub vault: TestVault,
    pub display: String,
    pub dbus_address: String,
    // Dropped in reverse order of start: the driver (and the app) before the servers.
    driver: Option<GroupGuard>,
    /// Set with [`Desktop::set_env`], after the base environment.
    extra_env: Vec<(String, String)>,
    _dbus: Guard,
    _xvfb: Guard,
    pub driver_port: u16,
}

impl Desktop {
    pub fn new() -> Self {
        let vault = TestVault::uninitialised();
        let (xvfb, display) = xvfb();
        let (dbus, dbus_address) = dbus();
        Desktop {
            vault,
            display,
            dbus_address,
            driver: None,
            extra_env: Vec::new(),
            _dbus: dbus,
            _xvfb: xvfb,
            driver_port: 0,
        }
    }

    /// The environment the app runs in (and the CLI and xclip beside it).
    pub fn env(&self) -> Vec<(String, String)> {
        let home = self.vault.dir.path();
        let bins = bin("vault")
            .parent()
            .expect("bin dir")
            .display()
            .to_string();
        let path = format!(
            "{bins}:{}",
            std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into())
        );
        [
            ("HOME", home.display().to_string()),
            ("PATH", path),
            ("DISPLAY", self.display.clone()),
            ("DBUS_SESSION_BUS_ADDRESS", self.dbus_address.clone()),
            (
                "XDG_RUNTIME_DIR",
                self.vault.runtime_dir.display().to_string(),
            ),
            (
                "XDG_CONFIG_HOME",
                home.join("xdg-config").display().to_string(),
            ),
            ("XDG_DATA_HOME", home.join("xdg-data").display().to_string()),
            ("VAULT_PATH", self.vault.path.display().to_string()),
            ("TZ", "UTC".into()),
            ("LANG", "C.UTF-8".into()),
            // No accessibility bus to find in this session.
            ("NO_AT_BRIDGE", "1".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .chain(self.extra_env.iter().cloned())
        .collect()
    }

    /// Adds `key=value` to the environment of the app launched next (and of the CLI beside
    /// it), e.g. the OAuth suites' `$BROWSER`; a key of the base environment is overridden.
    pub fn set_env(&mut self, key: &str, value: impl Into<String>) {
        self.extra_env.retain(|(k, _)| k != key);
        self.extra_env.push((key.to_owned(), value.into()));
    }

    /// A command with the app's environment and nothing else.
    pub fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear().envs(self.env()).stdin(Stdio::null());
        cmd
    }

    /// `vault ARGS` as a user types it in a terminal of this desktop: no password source, so
    /// it works only while the agent holds the vault unlocked.
    pub fn cli(&self, args: &[&str]) -> crate::Run {
        let out = self
            .command(&bin("vault"))
            .args(args)
            .output()
            .expect("run vault");
        crate::Run::from_output(out)
    }

    /// Starts `tauri-driver` and opens a WebDriver session on the real app; returns when the
    /// session is up (the window exists and its page loaded).
    pub async fn launch(&mut self) -> Client {
        let port = free_port();
        let native = free_port();
        let (log_out, log_err) = driver_log();
        let driver = self
            .command(&require("tauri-driver"))
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            .arg("--native-driver")
            .arg(require("WebKitWebDriver"))
            // tauri-driver reports proxy errors on stdout.
            .stdout(log_out)
            .stderr(log_err)
            .process_group(0)
            .spawn()
            .expect("start tauri-driver");
        self.driver = Some(GroupGuard(driver));
        self.driver_port = port;
        // tauri-driver listens at once but starts WebKitWebDriver beside it and forwards the
        // new-session request without waiting for it: on a cold machine the native driver is
        // not listening yet and the session request is dropped. Wait for both.
        let deadline = Instant::now() + Duration::from_secs(30);
        for p in [port, native] {
            while TcpStream::connect(("127.0.0.1", p)).is_err() {
                assert!(
                    Instant::now() < deadline,
                    "tauri-driver or WebKitWebDriver did not listen on {p}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        let mut caps = Capabilities::new();
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": bin("vault-desktop") }),
        );
        caps.insert("browserName".into(), serde_json::json!("wry"));
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a WebDriver session on vault-desktop")
    }

    /// The driver's process id (the app is among its descendants).
    pub fn driver_pid(&self) -> Option<u32> {
        self.driver.as_ref().map(|g| g.0.id())
    }

    /// The app's process id: the `vault-desktop` among the driver's descendants.
    pub fn app_pid(&self) -> Option<u32> {
        let driver = self.driver_pid()?;
        let parent_of = |pid: u32| -> Option<u32> {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // `pid (comm) state ppid ...`; comm may hold spaces, so split after the last ')'.
            stat.rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()
        };
        std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
            if comm.trim() != "vault-desktop" {
                return None;
            }
            let mut p = pid;
            for _ in 0..8 {
                p = parent_of(p)?;
                if p == driver {
                    return Some(pid);
                }
            }
            None
        })
    }

    /// Stops the driver, and with it the app.
    pub fn stop_driver(&mut self) {
        self.driver.take();
    }

    /// The clipboard's text, read with xclip like any other program would (empty: nothing).
    pub fn clipboard(&self) -> String {
        let out = self
            .command(&require("xclip"))
            .args(["-o", "-selection", "clipboard"])
            .output()
            .expect("run xclip");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The formats the clipboard offers (for the password-manager hint).
    pub fn clipboard_targets(&self) -> String {
        let out = self
            .command(&require("xclip"))
            .args(["-o", "-selection", "clipboard", "-t", "TARGETS"])
            .output()
            .expect("run xclip");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Default for Desktop {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        self.driver.take();
        self.vault.stop_agent();
    }
}

/// Waits for an element by CSS selector.
pub async fn wait_css(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css} within 20 s: {e}"))
}

/// Waits until `script` (a JS expression) is truthy in the page.
pub async fn wait_js(c: &Client, what: &str, script: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let js = format!("return !!({script});");
        let call = c.execute(&js, vec![]);
        let v = match tokio::time::timeout(Duration::from_secs(10), call).await {
            Ok(r) => r.unwrap_or(serde_json::Value::Bool(false)),
            Err(_) => panic!("the WebDriver did not answer within 10 s while waiting for {what}"),
        };
        if v == serde_json::Value::Bool(true) {
            return;
        }
        assert!(Instant::now() < deadline, "waited {timeout:?} for {what}");
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
}

/// The page's visible text.
pub async fn text(c: &Client) -> String {
    c.execute("return document.body.innerText;", vec![])
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Saves a PNG of the window's page as `name` under [`screenshot_dir`].
pub async fn screenshot(c: &Client, name: &str) -> PathBuf {
    // The capture is of the last painted frame: wait for two more, so what was just typed or
    // shown is in the picture (a hidden page paints none: the timer ends the wait).
    let _ = c
        .execute_async(
            "const done = arguments[arguments.length - 1]; let over = false; \
             const end = () => { if (!over) { over = true; done(); } }; \
             requestAnimationFrame(() => requestAnimationFrame(end)); setTimeout(end, 1000);",
            vec![],
        )
        .await;
    let png = c.screenshot().await.expect("screenshot");
    let path = screenshot_dir().join(name);
    std::fs::write(&path, png).expect("write screenshot");
    path
}

/// Reads all of a child's stdout (for small outputs).
pub fn read_all(mut r: impl Read) -> String {
    let mut s = String::new();
    let _ = r.read_to_string(&mut s);
    s
}
