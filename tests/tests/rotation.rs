//! Rotation end to end with the real binary: known key formats on `add` and `import`, `vault
//! due` (table, JSON, `--check` exit codes, lead time), and rotate -> history -> rollback.
//!
//! The binary reads the real clock, so time is set up with dates far from now instead:
//! `--last-rotated` years ago (overdue), `--expires` in the past (expired), a 1-day interval
//! (due soon under the default 14-day lead) and intervals measured against `--lead`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use vault_tests::{Run, TestVault, pipe};

use vault_tests::json;

/// Key-shaped values made at run time (so no real-looking key sits in the source), from a
/// fixed generator so failures repeat.
fn random(alphabet: &str, len: usize, seed: u64) -> String {
    let chars: Vec<char> = alphabet.chars().collect();
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            chars[(x % chars.len() as u64) as usize]
        })
        .collect()
}

const B62: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn github_pat(seed: u64) -> String {
    format!("ghp_{}", random(B62, 36, seed))
}

fn stripe_live(seed: u64) -> String {
    format!("sk_live_{}", random(B62, 99, seed))
}

/// Runs `vault add NAME EXTRA...` with `value` on stdin and returns the run.
fn add(v: &TestVault, name: &str, value: &str, extra: &[&str]) -> Run {
    let mut args = vec!["add", name];
    args.extend_from_slice(extra);
    v.run_with_stdin(&args, value.as_bytes())
}

#[test]
fn add_recognises_known_formats_fills_in_what_was_not_given_and_says_so() {
    let v = TestVault::new();
    let gh = github_pat(1);
    let run = add(&v, "work", &gh, &[]);
    run.ok();
    assert!(
        run.stderr
            .contains("Recognised a GitHub personal access token (classic)")
            && run.stderr.contains("env GITHUB_TOKEN")
            && run.stderr.contains("service github")
            && run.stderr.contains("rotation every 90 days"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(&gh) && !run.stdout.contains(&gh));
    let j = json(v.run(&["get", "work", "--json"]).ok());
    assert_eq!(j["env"], serde_json::json!(["GITHUB_TOKEN"]));
    assert_eq!(j["service"], "github");
    assert_eq!(
        v.run(&["get", "work", "--field", "rotation"]).ok(),
        "default (90d)\n"
    );

    // What the user gives wins; only the rest is filled in.
    let run = add(
        &v,
        "billing",
        &stripe_live(2),
        &["--env", "PAY_KEY", "--rotate-every", "30d"],
    );
    run.ok();
    assert!(
        run.stderr
            .contains("Recognised a Stripe live secret key: service stripe ("),
        "{}",
        run.stderr
    );
    let j = json(v.run(&["get", "billing", "--json"]).ok());
    assert_eq!(j["env"], serde_json::json!(["PAY_KEY"]));
    assert_eq!(j["service"], "stripe");
    assert_eq!(j["rotation"]["days"], 30);

    // A service that contradicts the value is kept, with a warning.
    let run = add(&v, "mixup", &stripe_live(3), &["--service", "openai"]);
    run.ok();
    assert!(
        run.stderr
            .contains("looks like a Stripe live secret key, but the service given is OpenAI"),
        "{}",
        run.stderr
    );
    assert_eq!(
        v.run(&["get", "mixup", "--field", "service"]).ok(),
        "openai\n"
    );

    // Kinds with their own policy: publishable keys are never rotated, STS ids daily.
    let pk = format!("pk_live_{}", random(B62, 99, 4));
    add(&v, "checkout", &pk, &[]).ok();
    assert_eq!(
        v.run(&["get", "checkout", "--field", "rotation"]).ok(),
        "never\n"
    );
    let sts = format!("ASIA{}", random("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16, 5));
    add(&v, "sts", &sts, &[]).ok();
    assert_eq!(v.run(&["get", "sts", "--field", "rotation"]).ok(), "1d\n");
    assert_eq!(
        v.run(&["get", "sts", "--field", "env"]).ok(),
        "AWS_ACCESS_KEY_ID\n"
    );

    // Anything else: no suggestion, env name from the item name, as before.
    for (name, value) in [
        ("plain", "just-a-password"),
        ("almost", &github_pat(6)[..39]),
        ("random", &random(B62, 40, 7)),
    ] {
        let run = add(&v, name, value, &[]);
        run.ok();
        assert!(!run.stderr.contains("Recognised"), "{name}: {}", run.stderr);
        assert_eq!(
            v.run(&["get", name, "--field", "env"]).ok(),
            format!("{}\n", name.to_uppercase())
        );
        assert_eq!(v.run(&["get", name, "--field", "service"]).ok(), "\n");
    }
}

#[test]
fn due_lists_by_urgency_and_check_fails_only_on_overdue_or_expired() {
    let v = TestVault::new();

    // Empty: nothing to do, and `--check` is silent for cron.
    let run = v.run(&["due"]);
    assert_eq!(run.ok(), "");
    assert!(
        run.stderr
            .contains("Nothing is expired, overdue or due within 14 days (0 items checked)"),
        "{}",
        run.stderr
    );
    let run = v.run(&["due", "--check"]);
    assert_eq!((run.ok(), run.stderr.as_str()), ("", ""));

    add(&v, "fresh", "v-fresh", &["--tag", "prod"]).ok();
    add(
        &v,
        "never",
        "v-never",
        &["--rotate-every", "never", "--last-rotated", "2001-01-01"],
    )
    .ok();
    let run = v.run(&["due", "--check"]);
    assert_eq!((run.ok(), run.stderr.as_str()), ("", ""));
    assert!(v.run(&["due"]).stderr.contains("Next: fresh, rotation due"));

    // Due soon is a warning: listed, but `--check` still passes.
    add(
        &v,
        "daily",
        "v-daily",
        &["--rotate-every", "1d", "--tag", "prod"],
    )
    .ok();
    let run = v.run(&["due", "--check"]);
    let table = run.ok();
    assert!(table.starts_with("STATE"), "{table}");
    assert!(table.contains("due soon  daily"), "{table}");

    // Overdue (issued years ago) and expired (a past expiry), added with notes saying so.
    let run = add(
        &v,
        "stale",
        "v-stale",
        &[
            "--last-rotated",
            "2020-03-01",
            "--rotate-every",
            "30d",
            "--tag",
            "prod",
        ],
    );
    run.ok();
    assert!(
        run.stderr.contains("note: stale: rotation due ") && run.stderr.contains("(2020-03-31)"),
        "{}",
        run.stderr
    );
    add(&v, "gone", "v-gone", &["--expires", "2021-06-01"]).ok();
    add(&v, "staler", "v-staler", &["--last-rotated", "2019-01-01"]).ok();

    let run = v.run(&["due"]);
    let table = run.ok().to_owned();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 5, "{table}");
    for (line, (state, name, what, date)) in lines[1..].iter().zip([
        ("expired", "gone", "expired ", "2021-06-01"),
        ("overdue", "staler", "rotation due ", "2019-04-01"),
        ("overdue", "stale", "rotation due ", "2020-03-31"),
        ("due soon", "daily", "rotation due in ", ""),
    ]) {
        let cells: Vec<&str> = line
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(cells[..2], [state, name], "{table}");
        assert!(
            cells[2].starts_with(what) && cells[3].starts_with(date),
            "{table}"
        );
    }
    for value in ["v-stale", "v-gone", "v-daily"] {
        assert!(!table.contains(value), "due must never print values");
    }
    assert!(run.stderr.contains("vault rotate NAME"), "{}", run.stderr);

    // --check: the same table, exit 9, and a one-line reason.
    let run = v.run(&["due", "--check"]);
    let stderr = run.fails(9);
    assert_eq!(
        stderr,
        "vault: 3 of 6 items need action: 1 expired, 2 overdue for rotation\n"
    );
    assert_eq!(run.stdout, table);

    // JSON for scripts, with --check too.
    let run = v.run(&["due", "--json", "--check"]);
    run.fails(9);
    let j = json(&run.stdout);
    assert_eq!(j["lead_days"], 14);
    assert_eq!(
        j["counts"],
        serde_json::json!({"expired": 1, "overdue": 2, "due_soon": 1})
    );
    let items = j["items"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    assert_eq!(items[0]["name"], "gone");
    assert_eq!(items[0]["state"], "expired");
    assert_eq!(items[0]["reason"], "expired");
    assert_eq!(items[0]["at"], "2021-06-01T00:00:00Z");
    assert!(items[0]["days_left"].as_i64().unwrap() < -365);
    assert_eq!(items[1]["name"], "staler");
    assert_eq!(items[1]["reason"], "rotation_overdue");
    assert_eq!(items[1]["at"], "2019-04-01T00:00:00Z");
    assert_eq!(items[3]["state"], "due_soon");
    assert_eq!(items[3]["reason"], "rotation_due_soon");
    assert_eq!(items[3]["days_left"], 0);
    assert!(!run.stdout.contains("v-"), "JSON must never hold values");

    // --tag narrows the view; --lead 0 drops what is only due soon.
    let j = json(v.run(&["due", "--tag", "prod", "--json"]).ok());
    let names: Vec<&str> = j["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["stale", "daily"]);
    let j = json(v.run(&["due", "--lead", "0", "--json"]).ok());
    assert_eq!(j["counts"]["due_soon"], 0);

    // Dealing with each one clears `--check`: rotate the overdue keys, drop the expiry.
    v.run_with_stdin(&["rotate", "stale"], b"v-stale-2").ok();
    v.run_with_stdin(&["rotate", "staler"], b"v-staler-2").ok();
    v.run(&["due", "--check"]).fails(9);
    v.run(&["edit", "gone", "--no-expiry"]).ok();
    let run = v.run(&["due", "--check"]);
    assert!(run.ok().contains("daily"), "due soon is still shown");

    // `ls` shows the same states.
    let ls = v.run(&["ls"]).ok().to_owned();
    assert!(ls.contains("due soon, rotation due in"), "{ls}");
    let j = json(v.run(&["ls", "--json"]).ok());
    assert!(
        j.as_array()
            .unwrap()
            .iter()
            .all(|i| i["state"] != "overdue")
    );
}

#[test]
fn lead_time_edges_without_a_clock() {
    let v = TestVault::new();
    // Due exactly 30 days after it is added: a 30-day lead reaches it, 29 days does not.
    add(&v, "monthly", "value", &["--rotate-every", "30d"]).ok();
    let listed = |lead: &str| {
        json(v.run(&["due", "--lead", lead, "--json"]).ok())["items"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(listed("29d"), 0);
    assert_eq!(listed("30d"), 1);
    assert_eq!(listed("5w"), 1);
    assert_eq!(listed("29"), 0);
    // An expiry 20 days out is reached by the default 14-day lead only when it is that close.
    add(
        &v,
        "expiring",
        "value",
        &["--rotate-every", "never", "--expires", "2999-01-01"],
    )
    .ok();
    assert_eq!(listed("14d"), 0);

    for bad in ["soon", "6mo", "36h", "-3d"] {
        let run = v.run(&["due", &format!("--lead={bad}")]);
        let err = run.fails(1);
        assert!(err.contains("days"), "{bad}: {err}");
    }
}

#[test]
fn dates_typed_by_the_user_are_local_midnight() {
    let v = TestVault::new();
    // Nine hours ahead of UTC (POSIX form, so no tz database is needed).
    let run = pipe(
        v.cmd().env("TZ", "JST-9").args([
            "add",
            "tokyo",
            "--last-rotated",
            "2020-01-01",
            "--expires",
            "2030-01-31",
        ]),
        b"value",
    );
    run.ok();
    assert_eq!(
        v.run(&["get", "tokyo", "--field", "last_rotated"]).ok(),
        "2019-12-31T15:00:00Z\n"
    );
    assert_eq!(
        v.run(&["get", "tokyo", "--field", "expires"]).ok(),
        "2030-01-30T15:00:00Z\n"
    );
    // A last rotation in the future is refused and nothing is stored.
    let run = add(&v, "later", "value", &["--last-rotated", "2999-01-01"]);
    assert!(run.fails(1).contains("in the future"), "{}", run.stderr);
    v.run(&["get", "later"]).fails(4);
}

#[test]
fn rotate_history_rollback_round_trip() {
    let v = TestVault::new();
    let gh = |seed| github_pat(seed);
    let (v1, v2, v3) = (gh(11), gh(12), gh(13));
    add(&v, "gh", &v1, &["--last-rotated", "2020-01-01"]).ok();
    assert_eq!(
        json(v.run(&["due", "--json"]).ok())["items"][0]["state"],
        "overdue"
    );

    // rotate: new value current, old kept, clock reset, the previous value never printed.
    let run = v.run_with_stdin(&["rotate", "gh"], format!("{v2}\n").as_bytes());
    run.ok();
    assert!(
        run.stderr
            .contains("Rotated gh: version 2 is current (next rotation due "),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(&v1) && !run.stderr.contains(&v2));
    assert_eq!(v.run(&["get", "gh"]).ok(), format!("{v2}\n"));
    assert!(
        json(v.run(&["due", "--json"]).ok())["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    v.run_with_stdin(&["rotate", "gh"], v3.as_bytes()).ok();

    // The same value again is refused and changes nothing.
    let run = v.run_with_stdin(&["rotate", "gh"], v3.as_bytes());
    assert!(
        run.fails(1).contains("same as the current"),
        "{}",
        run.stderr
    );
    assert_eq!(v.run(&["get", "gh", "--field", "version"]).ok(), "3\n");

    // history: every version, newest first in JSON as in the table, no values; the current
    // one's `replaced_at` is there, as null.
    let h = json(v.run(&["history", "gh", "--json"]).ok());
    let h = h.as_array().unwrap();
    assert_eq!(
        h.iter()
            .map(|x| x["version"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [3, 2, 1]
    );
    assert_eq!(h[2]["set_at"], "2020-01-01T00:00:00Z");
    assert!(h[2]["replaced_at"].is_string());
    assert_eq!(h[0].get("replaced_at"), Some(&serde_json::Value::Null));
    let table = v.run(&["history", "gh"]).ok().to_owned();
    assert!(table.lines().nth(1).unwrap().starts_with("3 "), "{table}");
    assert!(table.contains("current"));
    for value in [&v1, &v2, &v3] {
        assert!(!table.contains(value.as_str()));
    }

    // rollback: the previous value by default, any version with --to; always a new version.
    let run = v.run(&["rollback", "gh"]);
    run.ok();
    assert!(run.stderr.contains("now version 4"), "{}", run.stderr);
    assert_eq!(v.run(&["get", "gh"]).ok(), format!("{v2}\n"));
    v.run(&["rollback", "gh", "--to", "1"]).ok();
    assert_eq!(v.run(&["get", "gh"]).ok(), format!("{v1}\n"));
    assert_eq!(v.run(&["get", "gh", "--field", "version"]).ok(), "5\n");
    let h = json(v.run(&["history", "gh", "--json"]).ok());
    assert_eq!(h.as_array().unwrap().len(), 5);

    // Bad rollbacks explain themselves and change nothing.
    assert!(
        v.run(&["rollback", "gh", "--to", "5"])
            .fails(1)
            .contains("already current")
    );
    assert!(
        v.run(&["rollback", "gh", "--to", "99"])
            .fails(1)
            .contains("no version 99")
    );
    add(&v, "single", "only", &[]).ok();
    assert!(
        v.run(&["rollback", "single"])
            .fails(1)
            .contains("no previous value")
    );
    assert_eq!(v.run(&["get", "gh", "--field", "version"]).ok(), "5\n");

    // A missing item fails before a value is read; a value in argv is refused.
    v.run_with_stdin(&["rotate", "nope"], b"x").fails(4);
    v.run(&["history", "nope"]).fails(4);
    v.run(&["rollback", "nope"]).fails(4);
    v.run(&["rotate", "gh", "in-argv"]).fails(1);

    // A value of another provider's format gets a warning (and rollback undoes it).
    let run = v.run_with_stdin(&["rotate", "gh"], stripe_live(14).as_bytes());
    run.ok();
    assert!(
        run.stderr
            .contains("looks like a Stripe live secret key, but gh is a GitHub item"),
        "{}",
        run.stderr
    );
    v.run(&["rollback", "gh"]).ok();
    assert_eq!(v.run(&["get", "gh"]).ok(), format!("{v1}\n"));

    let log = v.run(&["log"]).ok().to_owned();
    for event in [
        "rotated gh (version 2)",
        "rotated gh (version 3)",
        "rolled gh back to version 2 (now version 4)",
        "rolled gh back to version 1 (now version 5)",
    ] {
        assert!(log.contains(event), "log lacks {event:?}:\n{log}");
    }
}

#[test]
fn import_reports_recognised_formats() {
    let v = TestVault::new();
    let gh = github_pat(21);
    let aws = format!("AKIA{}", random("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16, 22));
    let file = v.dir.path().join("app.env");
    std::fs::write(
        &file,
        format!("GH_TOKEN={gh}\nexport AWS_ACCESS_KEY_ID={aws}\nDATABASE_URL=postgres://x\n"),
    )
    .unwrap();
    let file = file.to_str().unwrap();

    let dry = v.run(&["import", file, "--dry-run", "--json"]);
    let j = json(dry.ok());
    assert_eq!(j["recognised"].as_array().unwrap().len(), 2);
    v.run(&["get", "GH_TOKEN"]).fails(4);

    let run = v.run(&["import", file]);
    run.ok();
    assert!(
        run.stderr.contains("Recognised 2 known key formats")
            && run
                .stderr
                .contains("GH_TOKEN: GitHub personal access token (classic)")
            && run.stderr.contains("AWS_ACCESS_KEY_ID: AWS access key ID"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(&gh) && !run.stderr.contains(&aws));
    let j = json(v.run(&["get", "GH_TOKEN", "--json"]).ok());
    assert_eq!(j["service"], "github");
    assert_eq!(
        j["env"],
        serde_json::json!(["GH_TOKEN"]),
        "the file's name stays"
    );
    assert_eq!(
        v.run(&["get", "AWS_ACCESS_KEY_ID", "--field", "service"])
            .ok(),
        "aws\n"
    );
    assert_eq!(
        v.run(&["get", "DATABASE_URL", "--field", "service"]).ok(),
        "\n"
    );

    let again = v.dir.path().join("more.env");
    std::fs::write(&again, format!("OTHER={}\n", stripe_live(23))).unwrap();
    let j = json(v.run(&["import", again.to_str().unwrap(), "--json"]).ok());
    assert_eq!(j["recognised"][0]["key"], "OTHER");
    assert_eq!(j["recognised"][0]["service"], "stripe");
    assert_eq!(j["recognised"][0]["format"], "stripe-live-secret-key");
}

#[test]
fn exit_code_9_is_documented() {
    let v = TestVault::uninitialised();
    let help = pipe(v.bare().arg("--help"), b"");
    assert!(
        help.ok().contains("9  `vault due --check`"),
        "{}",
        help.stdout
    );
    let help = pipe(v.bare().args(["due", "--help"]), b"");
    assert!(help.ok().contains("--check"), "{}", help.stdout);
    assert!(help.stdout.contains("9 when"), "{}", help.stdout);
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    assert!(readme.contains("| 9 |"), "README's exit-code table lacks 9");
}

#[test]
fn status_shows_what_is_due_and_the_due_lead_setting_applies() {
    let v = TestVault::new();
    let status = v.run(&["status"]).ok().to_owned();
    assert!(
        status.contains("Due:    nothing expired, overdue or due within 14 days"),
        "{status}"
    );
    // A value no temp dir name in the output can hold by chance (the vault's path is shown).
    add(
        &v,
        "stale",
        "stale-value-Qz9",
        &["--last-rotated", "2020-01-01"],
    )
    .ok();
    add(&v, "monthly", "v2", &["--rotate-every", "30d"]).ok();
    let status = v.run(&["status"]).ok().to_owned();
    assert!(
        status.contains("Due:    1 overdue (within 14 days;"),
        "{status}"
    );
    assert!(status.contains("overdue  stale  rotation due "), "{status}");
    assert!(!status.contains("stale-value-Qz9"), "{status}");
    let j = json(v.run(&["status", "--json"]).ok());
    assert_eq!(j["due"]["counts"]["overdue"], 1);
    assert_eq!(j["due"]["items"][0]["name"], "stale");

    // `due-lead` moves the horizon of `vault due` and `vault status`; `--lead` wins over it.
    let run = v.run(&["config", "set", "due-lead", "5w"]);
    run.ok();
    assert!(run.stderr.contains("Set due-lead to 35d"), "{}", run.stderr);
    let j = json(v.run(&["due", "--json"]).ok());
    assert_eq!(j["lead_days"], 35);
    assert_eq!(j["counts"]["due_soon"], 1, "monthly is within 35 days");
    let j = json(v.run(&["due", "--json", "--lead", "14d"]).ok());
    assert_eq!(
        (j["lead_days"].as_u64(), j["counts"]["due_soon"].as_u64()),
        (Some(14), Some(0))
    );
    assert!(
        v.run(&["status"])
            .ok()
            .contains("1 overdue, 1 due soon (within 35 days;")
    );
    assert_eq!(v.run(&["config", "get", "due-lead"]).ok(), "35d\n");
    assert!(
        v.run(&["config", "set", "due-lead", "soon"])
            .fails(1)
            .contains("due-lead")
    );
    assert_eq!(v.run(&["config", "get", "due-lead"]).ok(), "35d\n");

    // A bad value written by hand names the file; the flag still works.
    let file = v.dir.path().join(".config/vault/config.toml");
    std::fs::write(&file, "due-lead = \"fortnight\"\n").unwrap();
    let err = v.run(&["due"]).fails(1).to_owned();
    assert!(
        err.contains("config.toml") && err.contains("due-lead"),
        "{err}"
    );
    v.run(&["due", "--lead", "1d"]).ok();

    // Locked: status does not ask for a password, it says the section is unknown.
    std::fs::remove_file(&file).unwrap();
    v.run(&["lock"]).ok();
    let run = pipe(v.bare().arg("status"), b"");
    assert!(
        run.ok().contains("Due:    unknown while locked"),
        "{}",
        run.stdout
    );
    let j = json(pipe(v.bare().args(["status", "--json"]), b"").ok());
    assert_eq!(j.get("due"), Some(&serde_json::Value::Null), "{j}");
}

#[test]
fn polling_what_is_due_does_not_keep_the_vault_unlocked() {
    let v = TestVault::new();
    add(&v, "stale", "value", &["--last-rotated", "2020-01-01"]).ok();
    v.run(&["config", "set", "lock-after", "2s"]).ok();
    // As a shell prompt or a cron job would: no password, every 300 ms. The agent must still
    // lock after 2 s of no real use, and `--check` then says locked (8), not "all fine".
    let start = std::time::Instant::now();
    let mut saw_overdue = false;
    loop {
        let status = pipe(v.bare().arg("status"), b"");
        status.ok();
        let run = pipe(v.bare().args(["due", "--check"]), b"");
        match run.code {
            Some(9) => saw_overdue = true,
            Some(8) => break,
            _ => panic!("unexpected: {run:?}"),
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "polling kept the vault unlocked"
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    assert!(saw_overdue, "the overdue key was reported while unlocked");
}

/// Rotating an expired key: the warning of `vault run` names the command to type (with the
/// item's name, not `NAME`); the expiry, which was the replaced value's, is cleared and said to
/// be, or the new value's is given with `--expires` (a past date is refused).
#[test]
fn rotating_an_expired_key_takes_the_new_values_expiry() {
    let v = TestVault::new();
    add(&v, "old", "v-old-1", &["--expires", "2020-01-01"]).ok();
    let run = v.run(&["run", "--item", "old", "--", "true"]);
    run.ok();
    assert!(
        run.stderr.contains("old: expired") && run.stderr.contains("`vault rotate old`"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("NAME"), "{}", run.stderr);

    let rotated = v.run_with_stdin(&["rotate", "old"], b"v-old-2");
    rotated.ok();
    assert!(
        rotated.stderr.contains("expiry was cleared"),
        "{}",
        rotated.stderr
    );
    let due = json(v.run(&["due", "--json"]).ok());
    assert_eq!(due["counts"]["expired"], 0, "{due}");

    let refused = v.run_with_stdin(&["rotate", "old", "--expires", "2020-06-01"], b"v-old-3");
    refused.fails(1);
    let rotated = v.run_with_stdin(&["rotate", "old", "--expires", "2099-01-01"], b"v-old-3");
    rotated.ok();
    assert!(
        rotated.stderr.contains("The new value expires 2099-01-01"),
        "{}",
        rotated.stderr
    );
    assert_eq!(v.run(&["get", "old"]).ok(), "v-old-3\n");
}
