//! `vault get --copy` on a real X server (Xvfb), read back with `xclip` as any program pastes:
//! the value is there, marked for clipboard managers to skip, and gone once its time is up;
//! something copied since is left alone. Run by `make test-gui` (it installs Xvfb and xclip).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;
use std::time::Duration;

use vault_tests::desktop::{require, xvfb};
use vault_tests::{Run, TestVault, wait_until};

const VALUE: &str = "sk-proj-clipboard0123456789";

fn xclip(display: &str, args: &[&str]) -> String {
    let out = Command::new(require("xclip"))
        .env("DISPLAY", display)
        .args(args)
        .output()
        .expect("run xclip");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn clipboard(display: &str) -> String {
    xclip(display, &["-o", "-selection", "clipboard"])
}

/// Whether a clipboard helper of this test's vault still runs (found by its runtime dir).
fn helper_running(v: &TestVault) -> bool {
    let needle = format!("XDG_RUNTIME_DIR={}", v.runtime_dir.display());
    std::fs::read_dir("/proc").unwrap().flatten().any(|p| {
        let cmdline = std::fs::read(p.path().join("cmdline")).unwrap_or_default();
        let environ = std::fs::read(p.path().join("environ")).unwrap_or_default();
        vault_tests::contains(&cmdline, b"clipboard-hold")
            && vault_tests::contains(&environ, needle.as_bytes())
    })
}

#[test]
#[ignore = "needs Xvfb and xclip: run `make test-gui`"]
fn get_copy_puts_the_value_on_the_clipboard_and_clears_it() {
    let (_x, display) = xvfb();
    let v = TestVault::new();
    v.add("openai", VALUE, &[]);
    let copy = |clear_after: &str| {
        Run::from_output(
            v.cmd()
                .env("DISPLAY", &display)
                .args(["get", "openai", "--copy", "--clear-after", clear_after])
                .output()
                .unwrap(),
        )
    };

    let run = copy("3s");
    assert_eq!(run.ok(), "", "nothing on stdout");
    assert!(
        run.stderr.contains("Copied openai to the clipboard"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(VALUE));
    assert_eq!(clipboard(&display), VALUE);
    let targets = xclip(
        &display,
        &["-o", "-selection", "clipboard", "-t", "TARGETS"],
    );
    assert!(targets.contains("x-kde-passwordManagerHint"), "{targets}");
    // Its time up, the clipboard is empty and the helper gone.
    wait_until(
        Duration::from_secs(60),
        "the clipboard to be cleared",
        || clipboard(&display).is_empty(),
    );
    wait_until(Duration::from_secs(60), "the helper to end", || {
        !helper_running(&v)
    });

    // Copying something else meanwhile: the helper ends early and leaves it alone.
    copy("60s").ok();
    assert_eq!(clipboard(&display), VALUE);
    // xclip stays behind to serve what it copied: only its first process is waited for.
    let mut other = Command::new(require("xclip"))
        .env("DISPLAY", &display)
        .args(["-i", "-selection", "clipboard"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut other.stdin.take().unwrap(), b"something else").unwrap();
    other.wait().unwrap();
    wait_until(
        Duration::from_secs(60),
        "the helper to notice and end",
        || !helper_running(&v),
    );
    assert_eq!(clipboard(&display), "something else");

    // The audit log says where the value went.
    assert!(
        v.run(&["log"])
            .ok()
            .contains("gave openai to the clipboard")
    );

    // No display: a clear error, and the value is not printed instead.
    let none = Run::from_output(
        v.cmd()
            .env_remove("DISPLAY")
            .args(["get", "openai", "--copy"])
            .output()
            .unwrap(),
    );
    assert!(none.fails(1).contains("no clipboard"), "{}", none.stderr);
    assert!(none.stdout.is_empty());
}
