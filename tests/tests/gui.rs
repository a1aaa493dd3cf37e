//! The desktop app end to end: the real `vault-desktop` window under Xvfb, driven through
//! `tauri-driver` + `WebKitWebDriver`, on a temp vault shared with the real `vault` CLI and
//! agent. What a user does and sees: create a vault, add keys, search, copy (and the
//! clipboard cleared after 30 s), reveal, rotate, lock from a terminal, unlock in the window.
//! Screenshots of each main screen land in `$CARGO_TARGET_DIR/e2e-screenshots/`.
//!
//! Needs Xvfb, dbus-daemon, xclip, WebKitWebDriver and tauri-driver: run it with `make
//! test-gui` (part of `make test`), which installs them. Ignored by a plain `cargo test`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use vault_tests::PASSWORD;
use vault_tests::desktop::{Desktop, screenshot, text, wait_css, wait_js};

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
    screenshot(&c, "09-settings.png").await;
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
