//! The desktop app end to end: the real `vault-desktop` window under Xvfb, driven through
//! `tauri-driver` + `WebKitWebDriver`, on a temp vault shared with the real `vault` CLI and
//! agent. What a user does and sees: create a vault, add keys, search, copy (and the
//! clipboard cleared after 30 s), reveal, rotate, lock from a terminal, unlock in the window;
//! and OAuth connections against the real test provider (`oidc-provider`), the browser leg in
//! headless Chromium as `$BROWSER`. Screenshots of each main screen land in
//! `$CARGO_TARGET_DIR/e2e-screenshots/`.
//!
//! Needs Xvfb, dbus-daemon, xclip, WebKitWebDriver, tauri-driver, Node with `tests/oauth`'s
//! packages and chromium: run it with `make test-gui` (part of `make test`), which installs
//! them. Ignored by a plain `cargo test`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use vault_tests::PASSWORD;
use vault_tests::desktop::{Desktop, screenshot, text, wait_css, wait_js};
use vault_tests::oauth::{OAuthServer, browser, wait_until};

const OPENAI: &str = "sk-e2e-openai-7f3a9c";
const LEGACY: &str = "legacy-token-old-1";
const LEGACY_NEW: &str = "legacy-token-new-2";

/// Says where the run is, so a failure or a hang names its step.
fn step(what: &str) {
    eprintln!("[gui e2e] {what}");
}

async fn click(c: &Client, css: &str) {
    wait_css(c, css)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

async fn click_button(c: &Client, label: &str) {
    let xpath = format!("//button[normalize-space(.)={label:?}]");
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|e| panic!("no button {label:?}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {label:?}: {e}"));
}

async fn type_into(c: &Client, css: &str, text: &str) {
    let el = wait_css(c, css).await;
    el.clear().await.ok();
    if !text.is_empty() {
        el.send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }
}

/// Presses Ctrl+`key` in the focused element.
async fn ctrl(c: &Client, key: char) {
    let el = c.active_element().await.expect("focused element");
    el.send_keys(&format!("\u{E009}{key}\u{E000}"))
        .await
        .expect("ctrl key");
}

async fn rows(c: &Client) -> Vec<String> {
    let v = c
        .execute(
            "return [...document.querySelectorAll('[role=option]')].map(r => r.dataset.name);",
            vec![],
        )
        .await
        .expect("rows");
    serde_json::from_value(v).unwrap_or_default()
}

async fn attention_count(c: &Client) -> Option<u64> {
    let v = c
        .execute(
            "const e = document.querySelector('[data-count=attention]'); return e ? Number(e.textContent) : null;",
            vec![],
        )
        .await
        .ok()?;
    v.as_u64()
}

fn date_in(days: i64) -> String {
    let t = vault_core::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(24 * days))
        .unwrap();
    t.strftime("%Y-%m-%d").to_string()
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs Xvfb, tauri-driver and WebKitWebDriver: run `make test-gui`"]
async fn a_user_session_in_the_real_window() {
    let mut desktop = Desktop::new();
    let c = desktop.launch().await;

    // The app receives master passwords and, without an agent, holds the data key: it runs
    // with the CLI's hardening (private umask, no core file).
    step("The app process is hardened like the CLI.");
    let pid = desktop.app_pid().expect("the vault-desktop process");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    assert!(status.contains("Umask:\t0077"), "{status}");
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap();
    assert_eq!(core.split_whitespace().nth(4), Some("0"), "{core}");

    // First run: no vault yet. The unlock cost of every strength is measured and shown.
    step("First run: no vault yet. The unlock cost of every strength is measured and shown.");
    wait_css(&c, "#new-password").await;
    wait_js(
        &c,
        "every strength measured",
        "[...document.querySelectorAll('[data-measured]')].every(e => /to unlock/.test(e.textContent))",
        Duration::from_secs(60),
    )
    .await;
    screenshot(&c, "01-first-run.png").await;
    step("short password");
    type_into(&c, "#new-password", "short").await;
    assert!(
        !wait_css(&c, "button[type=submit]")
            .await
            .is_enabled()
            .await
            .unwrap(),
        "a short password cannot create a vault"
    );
    step("password");
    type_into(&c, "#new-password", PASSWORD).await;
    type_into(&c, "#confirm-password", PASSWORD).await;
    step("strength");
    click(&c, "input[value=minimum]").await;
    step("create");
    click_button(&c, "Create vault").await;
    step("created");
    wait_js(
        &c,
        "the empty vault",
        "document.body.innerText.includes('Your vault is empty.')",
        Duration::from_secs(30),
    )
    .await;
    assert!(desktop.vault.path.exists(), "the vault file was created");
    screenshot(&c, "02-empty-vault.png").await;

    // Add keys through the window (Ctrl+N opens the form).
    step("Add keys through the window (Ctrl+N opens the form).");
    ctrl(&c, 'n').await;
    type_into(&c, "#add-name", "openai").await;
    type_into(&c, "#add-value", OPENAI).await;
    type_into(&c, "#add-env", "OPENAI_API_KEY").await;
    type_into(&c, "#add-tags", "ai, prod").await;
    screenshot(&c, "03-add-key.png").await;
    click_button(&c, "Add key").await;
    wait_css(&c, "[data-name=openai]").await;

    click_button(&c, "New API key").await;
    type_into(&c, "#add-name", "stripe").await;
    type_into(&c, "#add-value", "sk_live_e2e_stripe").await;
    type_into(&c, "#add-tags", "billing").await;
    click_button(&c, "Add key").await;
    wait_css(&c, "[data-name=stripe]").await;

    // One that expired yesterday: it needs attention.
    step("One that expired yesterday: it needs attention.");
    click_button(&c, "New API key").await;
    type_into(&c, "#add-name", "legacy").await;
    type_into(&c, "#add-value", LEGACY).await;
    c.execute(
        "const e = document.querySelector('#add-expires'); e.value = arguments[0]; e.dispatchEvent(new Event('input', {bubbles: true}));",
        vec![serde_json::json!(date_in(-1))],
    )
    .await
    .unwrap();
    click_button(&c, "Add key").await;
    wait_css(&c, "[data-name=legacy] [data-due=expired]").await;
    wait_js(
        &c,
        "one item needing attention",
        "document.querySelector('[data-count=attention]')?.textContent === '1'",
        Duration::from_secs(5),
    )
    .await;

    // The CLI sees what the window added: one vault, one agent.
    step("The CLI sees what the window added: one vault, one agent.");
    let ls = desktop.cli(&["ls"]);
    let out = ls.ok();
    assert!(
        out.contains("openai") && out.contains("stripe") && out.contains("legacy"),
        "{out}"
    );
    assert_eq!(desktop.cli(&["get", "openai"]).ok(), format!("{OPENAI}\n"));

    // Search: Ctrl+F, then names, env names and tags all match, instantly.
    step("Search: Ctrl+F, then names, env names and tags all match, instantly.");
    ctrl(&c, 'f').await;
    let focused = c.active_element().await.unwrap();
    assert_eq!(focused.attr("id").await.unwrap().as_deref(), Some("search"));
    focused.send_keys("billing").await.unwrap();
    wait_js(
        &c,
        "only stripe",
        "document.querySelectorAll('[role=option]').length === 1",
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(rows(&c).await, vec!["stripe"]);
    type_into(&c, "#search", "openai_api").await;
    wait_js(&c, "only openai", "document.querySelector('[role=option]')?.dataset.name === 'openai' && document.querySelectorAll('[role=option]').length === 1", Duration::from_secs(5)).await;
    screenshot(&c, "04-search.png").await;
    c.execute("const s = document.querySelector('#search'); s.value=''; s.dispatchEvent(new Event('input', {bubbles:true}));", vec![]).await.unwrap();
    wait_js(
        &c,
        "all rows",
        "document.querySelectorAll('[role=option]').length === 3",
        Duration::from_secs(5),
    )
    .await;

    // Copy: from Rust to the clipboard; the value never enters the page.
    step("Copy: from Rust to the clipboard; the value never enters the page.");
    click(&c, "[data-name=openai]").await;
    click(&c, "button[aria-label='Copy value']").await;
    let copied_at = Instant::now();
    wait_js(
        &c,
        "the copy toast",
        "document.body.innerText.includes('Copied openai')",
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(desktop.clipboard(), OPENAI, "the clipboard holds the value");
    assert!(
        desktop
            .clipboard_targets()
            .contains("x-kde-passwordManagerHint"),
        "marked for clipboard managers to skip: {}",
        desktop.clipboard_targets()
    );
    let source = c.source().await.unwrap();
    assert!(
        !source.contains(OPENAI),
        "the value is not in the page after a copy"
    );
    screenshot(&c, "05-item-detail.png").await;

    // Reveal is explicit and shows the value in the page, hidden again later.
    step("Reveal is explicit and shows the value in the page, hidden again later.");
    click_button(&c, "Reveal").await;
    let shown = wait_css(&c, "[data-testid=revealed-value]").await;
    assert_eq!(shown.text().await.unwrap(), OPENAI);
    click_button(&c, "Hide").await;
    wait_js(
        &c,
        "value hidden",
        "!document.querySelector('[data-testid=revealed-value]')",
        Duration::from_secs(5),
    )
    .await;

    // Needs attention lists the expired key; rotating it (with the new key's expiry) clears
    step("Needs attention lists the expired key; rotating it (with the new key's expiry) clears");
    // its badge and the count.
    step("its badge and the count.");
    click(&c, "[data-view=attention]").await;
    wait_css(&c, "[data-name=legacy]").await;
    assert_eq!(rows(&c).await, vec!["legacy"]);
    screenshot(&c, "06-needs-attention.png").await;
    click(&c, "[data-name=legacy]").await;
    click_button(&c, "Rotate…").await;
    type_into(&c, "#rotate-value", LEGACY_NEW).await;
    c.execute(
        "const e = document.querySelector('#rotate-expires'); e.value = arguments[0]; e.dispatchEvent(new Event('input', {bubbles: true}));",
        vec![serde_json::json!(date_in(365))],
    )
    .await
    .unwrap();
    click_button(&c, "Rotate").await;
    wait_js(
        &c,
        "nothing needs attention",
        "document.body.innerText.includes('Nothing needs attention.')",
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(
        attention_count(&c).await,
        None,
        "the attention count is gone"
    );
    click(&c, "[data-view=items]").await;
    wait_css(&c, "[data-name=legacy]").await;
    let badges = c
        .find_all(Locator::Css("[data-name=legacy] [data-due]"))
        .await
        .unwrap();
    assert!(badges.is_empty(), "no badge once rotated");
    click(&c, "[data-name=legacy]").await;
    wait_js(&c, "version 2 current", "document.body.innerText.includes('Version 2') && document.body.innerText.includes('Current')", Duration::from_secs(5)).await;
    screenshot(&c, "07-rotated.png").await;
    assert_eq!(
        desktop.cli(&["get", "legacy"]).ok(),
        format!("{LEGACY_NEW}\n")
    );

    step("A rotation from the CLI shows in the open window at once: the agent pushes it.");
    vault_tests::pipe(
        desktop
            .command(&vault_tests::bin("vault"))
            .args(["rotate", "legacy"]),
        b"legacy-from-the-terminal\n",
    )
    .ok();
    // No focus change, no reload, no timer (the app's own is 30 s): only the pushed event.
    wait_js(
        &c,
        "version 3 in the open item",
        "document.body.innerText.includes('Version 3')",
        Duration::from_secs(5),
    )
    .await;
    screenshot(&c, "07a-rotated-from-the-cli.png").await;

    // A field and where --proxy may send a key: typed into the edit form, seen by the CLI.
    step("A field and where --proxy may send a key: typed into the edit form, seen by the CLI.");
    click(&c, "[data-name=openai]").await;
    click_button(&c, "Edit").await;
    click_button(&c, "Add a field").await;
    type_into(&c, "[aria-label='Field 1 name']", "organization").await;
    type_into(&c, "[aria-label='Field 1 value']", "org-e2e").await;
    click_button(&c, "Add a secret field").await;
    type_into(&c, "[aria-label='Field 2 name']", "deploy-token").await;
    type_into(&c, "[aria-label='Field 2 secret value']", "gui-secret-e2e").await;
    type_into(&c, "#edit-hosts", "localhost:8443").await;
    screenshot(&c, "07b-edit-hosts.png").await;
    // The earlier toasts sit over the form's foot until they go, as for a user.
    wait_js(
        &c,
        "the toasts gone",
        "!document.querySelector('.toast')",
        Duration::from_secs(15),
    )
    .await;
    click_button(&c, "Save").await;
    wait_js(
        &c,
        "the key's own host",
        "document.querySelector('[data-testid=hosts]')?.textContent.includes('localhost:8443')",
        Duration::from_secs(10),
    )
    .await;
    wait_css(&c, "[data-field=organization]").await;
    wait_css(&c, "[data-secret-field=deploy-token]").await;
    assert_eq!(
        desktop
            .cli(&["get", "openai", "--field", "organization"])
            .ok(),
        "org-e2e\n"
    );
    assert_eq!(
        desktop
            .cli(&["get", "openai", "--field", "deploy-token"])
            .ok(),
        "gui-secret-e2e\n"
    );
    let shown: String = c
        .execute("return document.body.innerText", vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        !shown.contains("gui-secret-e2e"),
        "a secret field stays hidden until its Reveal"
    );
    let described = desktop.cli(&["ls", "--json"]);
    assert!(
        described.ok().contains("\"localhost:8443\""),
        "{}",
        described.stdout
    );

    // A program run with --proxy is on the Proxy sessions page, live, and can be ended there.
    step("A program run with --proxy is on the Proxy sessions page, live, and can be ended there.");
    click(&c, "[data-view=proxy]").await;
    wait_js(
        &c,
        "no session yet",
        "document.body.innerText.includes('No program is running with')",
        Duration::from_secs(10),
    )
    .await;
    let mut proxied = desktop
        .command(&vault_tests::bin("vault"))
        .args(["run", "--item", "openai", "--proxy", "--", "sleep", "600"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("vault run --proxy");
    let card = format!("[aria-label='sleep (process {})']", proxied.id());
    wait_css(&c, &card).await;
    assert!(
        text(&c).await.contains("openai"),
        "the session's items are shown"
    );
    screenshot(&c, "07c-proxy-sessions.png").await;
    click(&c, "button[aria-label='End the session of sleep']").await;
    click_button(&c, "End session").await;
    wait_js(
        &c,
        "the session ended",
        "document.body.innerText.includes('No program is running with')",
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(desktop.cli(&["proxy", "ls", "--json"]).ok().trim(), "[]");
    assert!(
        proxied.try_wait().unwrap().is_none(),
        "ending the session leaves the program running"
    );
    proxied.kill().ok();
    proxied.wait().ok();

    // Import: a KeePass database written by keepassxc-cli; the window asks for its password
    // only once the file turns out to need one.
    step("Import: a KeePass database, its password asked for, the report shown.");
    let home = desktop.vault.dir.path();
    std::fs::write(
        home.join("kp.xml"),
        r#"<?xml version="1.0" encoding="utf-8" standalone="yes"?>
<KeePassFile><Meta><Generator>gui</Generator></Meta><Root><Group><UUID>AAAAAAAAAAAAAAAAAAAAAQ==</UUID><Name>Root</Name>
<Group><UUID>AAAAAAAAAAAAAAAAAAAAAg==</UUID><Name>Ops</Name>
<Entry><UUID>AAAAAAAAAAAAAAAAAAAAAw==</UUID>
<String><Key>Title</Key><Value>Grafana</Value></String>
<String><Key>UserName</Key><Value>admin</Value></String>
<String><Key>Password</Key><Value ProtectInMemory="True">grafana-gui-import</Value></String>
</Entry></Group></Group></Root></KeePassFile>
"#,
    )
    .unwrap();
    let mut kp = std::process::Command::new("keepassxc-cli")
        .args(["import", "-q", "-p", "-t", "100"])
        .arg(home.join("kp.xml"))
        .arg(home.join("ops.kdbx"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("keepassxc-cli (make test installs keepassxc)");
    std::io::Write::write_all(&mut kp.stdin.take().unwrap(), b"kp gui pw\nkp gui pw\n").unwrap();
    assert!(kp.wait().unwrap().success());
    click(&c, "[data-view=import]").await;
    type_into(
        &c,
        "#import-path",
        &home.join("ops.kdbx").display().to_string(),
    )
    .await;
    // (The page's button: the navigation's is named Import too.)
    click(&c, "form[aria-label='Import a file'] button[type=submit]").await;
    wait_css(&c, "#import-secret").await;
    type_into(&c, "#import-secret", "kp gui pw").await;
    click_button(&c, "Open and import").await;
    wait_js(
        &c,
        "the import report",
        "document.querySelector('[data-testid=import-report]')?.textContent.includes('Imported 1 new item from KeePass')",
        Duration::from_secs(20),
    )
    .await;
    screenshot(&c, "07d-import.png").await;
    assert_eq!(
        desktop.cli(&["get", "Grafana", "--field", "username"]).ok(),
        "admin\n"
    );

    // Find leaked keys: a folder holding the value just imported, and a key in a known
    // format; the page names the item and the place, never the value.
    step("Find leaked keys: a folder scanned, each finding by place and item.");
    let leaky = home.join("leaky");
    std::fs::create_dir_all(&leaky).unwrap();
    std::fs::write(leaky.join(".gitignore"), ".env\n").unwrap();
    std::fs::write(leaky.join(".env"), "GRAFANA_PASSWORD=grafana-gui-import\n").unwrap();
    click(&c, "[data-view=scan]").await;
    type_into(&c, "#scan-path", &leaky.display().to_string()).await;
    click(&c, "form[aria-label='Scan a folder'] button[type=submit]").await;
    wait_js(
        &c,
        "the scan results",
        "document.querySelector('[data-testid=scan-report]')?.textContent.includes('.env:1:18')",
        Duration::from_secs(20),
    )
    .await;
    let shown: String = c
        .execute(
            "return document.querySelector('[data-testid=scan-report]').textContent",
            vec![],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(shown.contains("the value of Grafana"), "{shown}");
    assert!(!shown.contains("grafana-gui-import"), "{shown}");
    screenshot(&c, "07e-scan.png").await;

    // Sync: started from the window through a bare repository; "Add a device" shows the
    // pairing code, a second device (its own vault and agent) types it at the CLI, and the
    // window says it paired.
    step("Sync: started, and a device paired with the code the window shows.");
    let remote = vault_tests::sync::bare_repo(home);
    let url = format!("file://{}", remote.display());
    click(&c, "[data-view=sync]").await;
    type_into(&c, "#sync-url", &url).await;
    click(&c, "form[aria-label='Start syncing'] button[type=submit]").await;
    wait_css(&c, "[data-testid=sync-status]").await;
    screenshot(&c, "07f-sync.png").await;
    click_button(&c, "Add a device").await;
    wait_css(&c, "[data-testid=invitation] .code").await;
    let code: String = c
        .execute(
            "return document.querySelector('[data-testid=invitation] .code').textContent",
            vec![],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(code.trim().len(), 19, "{code:?}");
    screenshot(&c, "07g-sync-invitation.png").await;
    let joined = std::thread::spawn({
        let (url, code) = (url.clone(), code.trim().to_owned());
        move || {
            let laptop = vault_tests::TestVault::new();
            let out = vault_tests::pipe(
                laptop
                    .cmd()
                    .args(["sync", "join", &url, "--name", "laptop", "--code-stdin"]),
                format!("{code}\n").as_bytes(),
            );
            let grafana = laptop.run(&["get", "Grafana", "--field", "username"]);
            (laptop, out, grafana)
        }
    });
    wait_js(
        &c,
        "the pairing",
        "document.body.innerText.includes('Paired laptop')",
        Duration::from_secs(60),
    )
    .await;
    let (_laptop, out, grafana) = joined.join().unwrap();
    out.ok();
    assert_eq!(
        grafana.ok(),
        "admin\n",
        "the new device has the vault's items"
    );
    screenshot(&c, "07h-sync-paired.png").await;

    // A member: the key they sent, what they get; the page shows the line they run.
    step("Sharing with a member.");
    let member_key = vault_core::vault_sync::recipient::Identity::generate()
        .unwrap()
        .recipient()
        .to_string();
    type_into(&c, "#member-name", "alice").await;
    type_into(&c, "#member-key", &member_key).await;
    type_into(&c, "#member-items", "name:Grafana").await;
    click_button(&c, "Add member").await;
    wait_js(
        &c,
        "the member added",
        "(document.querySelector('[data-testid=member-added]')?.innerText ?? '').includes('vault share accept')",
        Duration::from_secs(60),
    )
    .await;
    wait_js(
        &c,
        "the members list",
        "(document.querySelector('table[aria-label=Members]')?.innerText ?? '').includes('name:Grafana')",
        Duration::from_secs(10),
    )
    .await;
    screenshot(&c, "07i-sync-members.png").await;

    // Audit log and settings.
    step("Audit log and settings.");
    click(&c, "[data-view=audit]").await;
    wait_js(
        &c,
        "the audit log",
        "document.body.innerText.includes('Rotated legacy (version 2)')",
        Duration::from_secs(10),
    )
    .await;
    screenshot(&c, "08-audit-log.png").await;
    click(&c, "[data-view=settings]").await;
    wait_css(&c, "#auto-lock").await;
    // git asks vault once set up from here, as `vault setup git` does.
    wait_css(&c, "[data-git=not-set-up]").await;
    click_button(&c, "Set up git").await;
    wait_css(&c, "[data-git=set-up]").await;
    let gitconfig = std::fs::read_to_string(desktop.vault.dir.path().join(".gitconfig")).unwrap();
    assert!(gitconfig.contains("git-credential"), "{gitconfig}");
    screenshot(&c, "09-settings.png").await;
    // Which AWS profiles and Docker registries ask vault, read from their own files: none for
    // AWS here, every registry for Docker once `vault setup docker` ran.
    desktop.vault.run(&["setup", "docker"]).ok();
    click(&c, "[data-view=items]").await;
    click(&c, "[data-view=settings]").await;
    wait_css(&c, "[data-tool=aws-none]").await;
    wait_css(&c, "[data-tool=docker-all]").await;
    c.execute(
        "document.querySelector('[data-testid=tool-setups]').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    screenshot(&c, "09b-tool-setups.png").await;
    click_button(&c, "Dark").await;
    wait_js(
        &c,
        "dark theme",
        "document.documentElement.dataset.theme === 'dark'",
        Duration::from_secs(5),
    )
    .await;
    click(&c, "[data-view=items]").await;
    click(&c, "[data-name=openai]").await;
    wait_css(&c, "[aria-label='Value hidden']").await;
    screenshot(&c, "10-dark-theme.png").await;
    click(&c, "[data-view=settings]").await;
    click_button(&c, "Same as the system").await;

    // 30 s after the copy the clipboard is empty again (nothing else was copied since).
    step("30 s after the copy the clipboard is empty again (nothing else was copied since).");
    let deadline = copied_at + Duration::from_secs(40);
    while !desktop.clipboard().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the clipboard still holds the value after 40 s"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        copied_at.elapsed() >= Duration::from_secs(29),
        "not cleared before its time"
    );

    // `vault lock` in a terminal: the window shows its lock screen within a second.
    step("`vault lock` in a terminal: the window shows its lock screen within a second.");
    desktop.cli(&["lock"]).ok();
    let locked_at = Instant::now();
    wait_js(
        &c,
        "the lock screen",
        "!!document.querySelector('#master-password')",
        Duration::from_secs(5),
    )
    .await;
    let took = locked_at.elapsed();
    assert!(took <= Duration::from_secs(1), "lock screen after {took:?}");
    let page = text(&c).await;
    assert!(
        page.contains("Vault is locked") && !page.contains("openai"),
        "{page}"
    );
    screenshot(&c, "11-locked.png").await;
    assert_eq!(desktop.cli(&["ls"]).code, Some(8), "the CLI is locked too");

    // A wrong password is said plainly; the right one unlocks the window and the CLI.
    step("A wrong password is said plainly; the right one unlocks the window and the CLI.");
    type_into(&c, "#master-password", "not my password").await;
    click_button(&c, "Unlock").await;
    wait_js(
        &c,
        "the wrong-password message",
        "document.body.innerText.includes('That password is not right')",
        Duration::from_secs(10),
    )
    .await;
    screenshot(&c, "12-wrong-password.png").await;
    type_into(&c, "#master-password", PASSWORD).await;
    click_button(&c, "Unlock").await;
    // Back where the user was (the settings); the items are there again.
    click(&c, "[data-view=items]").await;
    wait_css(&c, "[data-name=openai]").await;
    assert_eq!(desktop.cli(&["get", "stripe"]).ok(), "sk_live_e2e_stripe\n");

    // Ctrl+L locks everything, the CLI included.
    step("Ctrl+L locks everything, the CLI included.");
    click(&c, "[data-name=openai]").await;
    ctrl(&c, 'l').await;
    wait_css(&c, "#master-password").await;
    assert_eq!(desktop.cli(&["ls"]).code, Some(8));

    // A second launch does not open a second window: it hands over to this one and exits.
    step("A second launch does not open a second window: it hands over to this one and exits.");
    let started = Instant::now();
    let second = desktop
        .command(&vault_tests::bin("vault-desktop"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("second launch");
    assert!(second.success(), "{second:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(c.windows().await.unwrap().len(), 1);

    c.close().await.ok();
}

/// Lifetime of the test server's access tokens: long enough that the agent's own refresh (at
/// half the lifetime) does not come before the user's "Refresh now", short enough that the
/// countdown shows seconds.
const ACCESS_TTL: u64 = 590;

/// Runs `f` on a thread of its own: the OAuth server's checks use a blocking HTTP client, which
/// must not run inside the test's async runtime.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join().expect("a blocking check"))
}

/// `$BROWSER` for the app: records the address it was asked to open, then holds the sign-in
/// until the test has seen the window wait for it (the file `go` appears), then hands over to
/// the OAuth suites' browser, which signs in as alice and approves.
fn gated_browser(dir: &Path) -> PathBuf {
    let script = dir.join("gated-browser");
    let body = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{opened}'\nwhile [ ! -e '{go}' ]; do sleep 0.1; done\nexec '{browser}' \"$@\"\n",
        opened = dir.join("opened").display(),
        go = dir.join("go").display(),
        browser = browser().display(),
    );
    std::fs::write(&script, body).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

/// The sign-in address the connect dialog shows (the page, or where to enter a device code).
async fn login_url(c: &Client) -> String {
    c.execute("return document.querySelector('#login-url').value;", vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

/// The card of grant `name`, once the browser's sign-in has brought it (with what the browser
/// saw, when it never comes).
async fn connected_card(c: &Client, name: &str, browser_log: impl Fn() -> String) -> String {
    let css = format!("[data-grant={name}]");
    c.wait()
        .at_most(Duration::from_secs(120))
        .for_element(Locator::Css(&css))
        .await
        .unwrap_or_else(|e| {
            panic!(
                "no connection {name} after the sign-in: {e}\n{}",
                browser_log()
            )
        });
    wait_css(c, &css).await.text().await.unwrap()
}

/// The seconds left on the card's access-token countdown ("Access token expires in 9 min 48 s").
async fn seconds_left(c: &Client) -> u64 {
    let line = wait_css(c, "[data-grant=test] [data-testid=token-expiry]")
        .await
        .text()
        .await
        .unwrap();
    let parsed = line
        .strip_prefix("Access token expires in ")
        .and_then(|rest| rest.split_once(" min "))
        .and_then(|(min, rest)| {
            let secs = rest.split_once(" s")?.0;
            Some(min.parse::<u64>().ok()? * 60 + secs.parse::<u64>().ok()?)
        });
    parsed.unwrap_or_else(|| panic!("not a countdown in seconds: {line:?}"))
}

#[test]
#[ignore = "needs Xvfb, tauri-driver, WebKitWebDriver and the OAuth test server: run `make test-gui`"]
fn oauth_connections_in_the_real_window() {
    // Outside the async runtime: the server's HTTP client is a blocking one.
    let server = OAuthServer::start(ACCESS_TTL);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(connections_session(&server));
}

async fn connections_session(server: &OAuthServer) {
    let mut desktop = Desktop::new();
    // A vault made in a terminal earlier; its agent is gone, so the window starts one and
    // asks for the password.
    desktop.vault.run(&["init", "--kdf", "minimum"]).ok();
    desktop.vault.stop_agent();
    let gate = desktop.vault.dir.path().join("browser-gate");
    std::fs::create_dir(&gate).unwrap();
    desktop.set_env("BROWSER", gated_browser(&gate).display().to_string());
    desktop.set_env("OAUTH_BROWSER_ACTION", "approve");
    desktop.set_env(
        "OAUTH_BROWSER_LOG",
        gate.join("browser.log").display().to_string(),
    );
    let browser_log = || std::fs::read_to_string(gate.join("browser.log")).unwrap_or_default();
    let c = desktop.launch().await;

    step("unlock, open the connections screen: no providers yet");
    type_into(&c, "#master-password", PASSWORD).await;
    click_button(&c, "Unlock").await;
    click(&c, "[data-view=connections]").await;
    wait_js(
        &c,
        "the empty connections screen",
        "document.body.innerText.includes('No providers yet.')",
        Duration::from_secs(20),
    )
    .await;
    screenshot(&c, "oauth-01-empty.png").await;

    step("add the test provider by its issuer URL (discovered by the agent)");
    click_button(&c, "Add a provider").await;
    click(&c, "dialog[open] input[value=issuer]").await;
    type_into(&c, "#provider-issuer", &server.issuer).await;
    type_into(&c, "#provider-name", "test").await;
    type_into(&c, "#provider-client-id", "vault-cli").await;
    screenshot(&c, "oauth-02-add-provider.png").await;
    click(&c, "dialog[open] button[type=submit]").await;
    let row = wait_css(&c, "[data-provider=test]").await;
    let row_text = row.text().await.unwrap();
    assert!(
        row_text.contains(&server.issuer) && row_text.contains("public client"),
        "{row_text}"
    );
    let providers = desktop.cli(&["oauth", "ls"]);
    assert!(
        providers.ok().contains(&server.issuer),
        "the CLI sees the provider: {}",
        providers.stdout
    );

    step("connect: the system browser is asked to open the sign-in page, the window waits");
    click(&c, "[data-provider=test] button").await;
    wait_css(&c, "dialog[open] #connect-provider").await;
    click(&c, "dialog[open] form button[type=submit]").await;
    let waiting = wait_css(&c, "[data-testid=login-waiting]").await;
    let progress = waiting.text().await.unwrap();
    // "Waiting for the sign-in… 4:58 left", out of `vault login`'s 5 minutes.
    let left = progress
        .trim()
        .strip_prefix("Waiting for the sign-in… ")
        .and_then(|rest| rest.strip_suffix(" left"))
        .and_then(|t| t.split_once(':'))
        .and_then(|(m, s)| Some(m.parse::<u64>().ok()? * 60 + s.parse::<u64>().ok()?));
    assert!(
        left.is_some_and(|secs| (180..=300).contains(&secs)),
        "the wait and the time it has left are shown: {progress:?}"
    );
    let page = text(&c).await;
    assert!(
        page.contains("Your browser has opened test’s sign-in page"),
        "{page}"
    );
    let shown_url = login_url(&c).await;
    assert!(
        shown_url.starts_with(&format!("{}/auth?", server.issuer))
            && shown_url.contains("code_challenge_method=S256")
            && shown_url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A"),
        "{shown_url}"
    );
    wait_until(Duration::from_secs(20), "the browser to be opened", || {
        gate.join("opened").exists()
    });
    assert_eq!(
        std::fs::read_to_string(gate.join("opened")).unwrap().trim(),
        shown_url,
        "$BROWSER opened the page the window shows"
    );
    screenshot(&c, "oauth-03-connecting.png").await;

    step("the browser signs in and approves: the grant is listed with its countdown");
    std::fs::write(gate.join("go"), "").unwrap();
    let card = "[data-grant=test]";
    connected_card(&c, "test", browser_log).await;
    wait_js(
        &c,
        "the connect dialog to close",
        "!document.querySelector('dialog[open]')",
        Duration::from_secs(10),
    )
    .await;
    let card_text = wait_css(&c, card).await.text().await.unwrap();
    assert!(
        card_text.contains("Connected") && card_text.contains("alice@example.test"),
        "{card_text}"
    );
    assert_eq!(
        wait_css(&c, "[data-grant=test] [data-testid=last-refresh]")
            .await
            .text()
            .await
            .unwrap(),
        "Not refreshed yet"
    );
    let first = seconds_left(&c).await;
    assert!(
        first <= ACCESS_TTL && first > ACCESS_TTL - 120,
        "{first} s left"
    );
    // It counts down by itself.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let later = seconds_left(&c).await;
    assert!(later < first, "{first} s left, then {later} s");
    assert_eq!(
        c.find(Locator::Css("[data-count=connections]"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "1"
    );
    screenshot(&c, "oauth-04-connected.png").await;

    // The token is the CLI's to use; the window never holds it.
    let t1 = desktop.cli(&["token", "test"]).ok().trim_end().to_owned();
    assert!(off_runtime(|| server.is_active(&t1)));
    assert!(!c.source().await.unwrap().contains(&t1));

    step("refresh now: a new access token, the last refresh shown");
    click_button(&c, "Refresh now").await;
    wait_js(
        &c,
        "the last refresh",
        "document.querySelector('[data-grant=test] [data-testid=last-refresh]')?.textContent.includes('Refreshed just now')",
        Duration::from_secs(30),
    )
    .await;
    wait_js(
        &c,
        "the refresh toast",
        "document.body.innerText.includes('Refreshed test. The new access token expires in')",
        Duration::from_secs(5),
    )
    .await;
    let refreshes = server.refreshes();
    assert_eq!(refreshes.len(), 1, "{refreshes:?}");
    assert_eq!(refreshes[0]["outcome"], "ok");
    let t2 = desktop.cli(&["token", "test"]).ok().trim_end().to_owned();
    assert_ne!(t2, t1, "the refresh brought a new access token");
    assert!(!c.source().await.unwrap().contains(&t2));
    screenshot(&c, "oauth-05-refreshed.png").await;

    step("the provider ends the grant: the refresh fails, and Log in again brings it back");
    off_runtime(|| server.revoke_all_grants());
    click_button(&c, "Refresh now").await;
    wait_js(
        &c,
        "the grant to need a new login",
        "!!document.querySelector('[data-grant=test] button.primary')?.textContent.includes('Log in again')",
        Duration::from_secs(30),
    )
    .await;
    let card_text = wait_css(&c, card).await.text().await.unwrap();
    assert!(!card_text.contains("Connected"), "{card_text}");
    let cli = desktop.cli(&["token", "test"]);
    assert_eq!(cli.code, Some(11), "the CLI is told to log in again too");
    screenshot(&c, "oauth-06-needs-login.png").await;
    click_button(&c, "Log in again").await;
    wait_js(
        &c,
        "the new sign-in to complete",
        "document.body.innerText.includes('Logged in to test again; test is connected.')",
        Duration::from_secs(120),
    )
    .await;
    wait_js(
        &c,
        "the card to show the grant connected",
        "document.querySelector('[data-grant=test]')?.innerText.includes('Connected')",
        Duration::from_secs(10),
    )
    .await;
    let t3 = desktop.cli(&["token", "test"]).ok().trim_end().to_owned();
    assert!(
        off_runtime(|| server.is_active(&t3)),
        "a working token again"
    );
    assert_ne!(t3, t2);
    assert!(!c.source().await.unwrap().contains(&t3));
    screenshot(&c, "oauth-07-logged-in-again.png").await;

    step("disconnect, confirmed: revoked at the provider and gone from the vault");
    click_button(&c, "Disconnect…").await;
    let confirm = wait_css(&c, "dialog[open]").await.text().await.unwrap();
    assert!(
        confirm.contains("Disconnect test?") && confirm.contains("revoke"),
        "{confirm}"
    );
    screenshot(&c, "oauth-08-disconnect-confirm.png").await;
    c.find(Locator::XPath(
        "//dialog[@open]//button[normalize-space(.)='Disconnect']",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    wait_js(
        &c,
        "the connection gone",
        "!document.querySelector('[data-grant=test]') && document.body.innerText.includes('No connections yet.')",
        Duration::from_secs(30),
    )
    .await;
    let page = text(&c).await;
    assert!(
        page.contains("Disconnected test. test has revoked its access."),
        "{page}"
    );
    screenshot(&c, "oauth-09-disconnected.png").await;
    let revocations = server.revocations();
    assert!(
        revocations
            .iter()
            .any(|r| r["outcome"] == "ok" && r["token"].is_string()),
        "the provider was handed no live token to revoke: {revocations:?}"
    );
    assert!(
        !off_runtime(|| server.is_active(&t3)),
        "the provider still accepts the token"
    );
    assert_eq!(
        desktop.cli(&["token", "test"]).code,
        Some(4),
        "the CLI has no grant left"
    );

    step("the device flow: a code to enter on any device; opened in this browser, it connects");
    click(&c, "[data-provider=test] button").await;
    wait_css(&c, "dialog[open] #connect-provider").await;
    type_into(&c, "#connect-name", "test-device").await;
    click(&c, "dialog[open] label.check input[type=checkbox]").await;
    click(&c, "dialog[open] form button[type=submit]").await;
    let code = wait_css(&c, "[data-testid=user-code]")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        code.trim().len() >= 6,
        "a code to type in is shown: {code:?}"
    );
    let device_url = login_url(&c).await;
    assert!(device_url.starts_with(&server.issuer), "{device_url}");
    screenshot(&c, "oauth-10-device-code.png").await;
    click_button(&c, "Open in this browser").await;
    let card_text = connected_card(&c, "test-device", browser_log).await;
    assert!(
        card_text.contains("Connected") && card_text.contains("alice@example.test"),
        "{card_text}"
    );
    let t4 = desktop
        .cli(&["token", "test-device"])
        .ok()
        .trim_end()
        .to_owned();
    assert!(off_runtime(|| server.is_active(&t4)));
    assert!(!c.source().await.unwrap().contains(&t4));
    assert!(
        server.token_requests().iter().any(|r| r["grant_type"]
            == "urn:ietf:params:oauth:grant-type:device_code"
            && r["outcome"] == "ok"),
        "the grant came from the device flow"
    );
    screenshot(&c, "oauth-11-device-connected.png").await;

    c.close().await.ok();
}
