//! What a newcomer meets in the first hour, beyond the README's walk (tests/readme.rs): one
//! spelling of `--json`, JSON that names every key, references and typos that `vault get`
//! understands, and commands that say what they did.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use vault_tests::TestVault;

use vault_tests::json;

fn openai() -> TestVault {
    let v = TestVault::new();
    v.add(
        "openai",
        "sk-proj-newcomer123",
        &["--env", "OPENAI_API_KEY"],
    );
    v
}

#[test]
fn json_is_one_flag_and_names_every_key() {
    let v = openai();
    // `--json` on env and export is --format json.
    let env = json(v.run(&["env", "--item", "openai", "--json"]).ok());
    assert_eq!(env["OPENAI_API_KEY"], "sk-proj-newcomer123");
    assert_eq!(
        v.run(&["env", "--item", "openai", "--json"]).ok(),
        v.run(&["env", "--item", "openai", "--format", "json"]).ok()
    );
    let exported = json(v.run(&["export", "--json", "--yes"]).ok());
    assert_eq!(exported[0]["value"], "sk-proj-newcomer123");
    // Settings: the key, its value and whether it is the default.
    let setting = json(v.run(&["config", "get", "lock-after", "--json"]).ok());
    assert_eq!(setting["key"], "lock-after");
    assert_eq!(setting["default"], true);
    v.run(&["config", "set", "lock-after", "5m"]).ok();
    let setting = json(v.run(&["config", "get", "lock-after", "--json"]).ok());
    assert_eq!(
        (&setting["value"], &setting["default"]),
        (&"5m".into(), &false.into())
    );
    // An absent value is a null, not a missing key: scripts can rely on the shape.
    let item = json(v.run(&["get", "openai", "--json"]).ok());
    assert_eq!(item.get("expires"), Some(&Value::Null), "{item}");
    assert_eq!(item.get("service"), Some(&Value::Null), "{item}");
    let listed = json(v.run(&["ls", "--json"]).ok());
    assert_eq!(listed[0].get("expires"), Some(&Value::Null), "{listed}");
}

#[test]
fn get_takes_a_reference_and_suggests_a_name_for_a_typo() {
    let v = openai();
    assert_eq!(
        v.run(&["get", "vault://openai"]).ok(),
        "sk-proj-newcomer123\n"
    );
    assert_eq!(
        v.run(&["get", "vault://openai/env"]).ok(),
        "OPENAI_API_KEY\n"
    );
    assert!(
        v.run(&["get", "vault://openai/env", "--field", "notes"])
            .fails(1)
            .contains("names the field env")
    );
    // A typo: exit 4 as before, with the name meant.
    let typo = v.run(&["get", "opena"]).fails(4).to_owned();
    assert!(typo.contains("did you mean \"openai\""), "{typo}");
    let typo = v.run(&["rm", "opeani", "--yes"]).fails(4).to_owned();
    assert!(typo.contains("did you mean \"openai\""), "{typo}");
    // Nothing alike: no guess.
    let far = v.run(&["get", "stripe"]).fails(4).to_owned();
    assert!(!far.contains("did you mean"), "{far}");
}

#[test]
fn import_dry_run_lists_what_it_would_do_and_warns_about_references() {
    let v = openai();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(".env");
    std::fs::write(
        &file,
        "openai=sk-proj-other\nDATABASE_URL=postgres://x\nSTRIPE_KEY=vault://stripe\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let dry = v.run(&["import", file, "--dry-run"]);
    dry.ok();
    let said = &dry.stderr;
    assert!(said.contains("Would import 2 new items"), "{said}");
    assert!(
        said.contains("  add DATABASE_URL") && said.contains("  add STRIPE_KEY"),
        "{said}"
    );
    assert!(
        said.contains("openai: an item of this name exists"),
        "{said}"
    );
    assert!(
        said.contains("vault:// reference") && said.contains("STRIPE_KEY"),
        "{said}"
    );
    assert_eq!(v.run(&["ls", "--json"]).ok().matches("\"name\"").count(), 1);
    let dry = json(
        v.run(&["import", file, "--dry-run", "--json", "--rotate-existing"])
            .ok(),
    );
    assert_eq!(dry["rotated"], serde_json::json!(["openai"]));
    assert_eq!(dry["references"], serde_json::json!(["STRIPE_KEY"]));
    // The real import warns the same way.
    let real = v.run(&["import", file]);
    real.ok();
    assert!(
        real.stderr.contains("vault:// reference"),
        "{}",
        real.stderr
    );
}

#[test]
fn inject_says_what_it_wrote() {
    let v = openai();
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("t.tpl");
    std::fs::write(
        &template,
        "a: {{ vault://openai }}\nb: {{ vault://openai/env }}\n",
    )
    .unwrap();
    let out = dir.path().join("out.yml");
    let run = v.run(&[
        "inject",
        "-i",
        template.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    run.ok();
    assert!(
        run.stderr.contains("Wrote ")
            && run
                .stderr
                .contains("with 2 secrets from vault://openai, vault://openai/env."),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("sk-proj"));
}

/// Format recognition gives `stripe` and `stripe-live` the same variable: `add` says so, and
/// `vault run --profile` refuses to pick one by list order until one is named.
#[test]
fn two_items_setting_one_variable_are_never_picked_by_order() {
    let v = TestVault::new();
    let test_key = "sk_test_51Hx0000000000000000000000";
    let live_key = "sk_live_51Hx1111111111111111111111";
    let first = v.run_with_stdin(&["add", "stripe", "--tag", "billing"], test_key.as_bytes());
    first.ok();
    assert!(!first.stderr.contains("also set by"), "{}", first.stderr);
    let second = v.run_with_stdin(
        &["add", "stripe-live", "--tag", "billing"],
        live_key.as_bytes(),
    );
    second.ok();
    assert!(
        second
            .stderr
            .contains("STRIPE_SECRET_KEY is also set by stripe;"),
        "{}",
        second.stderr
    );
    let print = ["sh", "-c", "printf %s \"$STRIPE_SECRET_KEY\""];
    let mut args = vec!["run", "--profile", "billing", "--"];
    args.extend(print);
    let refused = v.run(&args).fails(125).to_owned();
    assert!(
        refused.contains("STRIPE_SECRET_KEY (items stripe, stripe-live)")
            && refused.contains("--item"),
        "{refused}"
    );
    assert!(!refused.contains(live_key) && !refused.contains(test_key));
    let mut args = vec![
        "run",
        "--no-mask",
        "--profile",
        "billing",
        "--item",
        "stripe-live",
        "--",
    ];
    args.extend(print);
    assert_eq!(v.run(&args).ok(), live_key);
    v.run(&["env", "--profile", "billing"]).fails(1);
}

/// Where output is kept (a pipe, a file, a CI log), `vault run` masks injected secrets by
/// default; at a terminal it becomes the command, output untouched. Either can be chosen.
#[test]
fn run_masks_by_default_where_output_is_kept() {
    let v = openai();
    let print = ["--item", "openai", "--", "printenv", "OPENAI_API_KEY"];
    let run = |extra: &[&str]| {
        let mut args = vec!["run"];
        args.extend_from_slice(extra);
        args.extend(print);
        v.run(&args).ok().to_owned()
    };
    assert_eq!(run(&[]), "<redacted:OPENAI_API_KEY>\n");
    assert_eq!(run(&["--no-mask"]), "sk-proj-newcomer123\n");
    let both = v.run(&["run", "--mask", "--no-mask", "--", "true"]);
    assert_eq!(both.code, Some(2), "{}", both.stderr);

    let at_terminal = |extra: &str| {
        let command = format!(
            "{} --vault {} run {extra} --item openai -- printenv OPENAI_API_KEY",
            vault_tests::bin("vault").display(),
            v.path.display()
        );
        v.at_terminal(&command, b"").ok().to_owned()
    };
    assert!(at_terminal("").contains("sk-proj-newcomer123"));
    let masked = at_terminal("--mask");
    assert!(
        masked.contains("<redacted:OPENAI_API_KEY>") && !masked.contains("sk-proj"),
        "{masked}"
    );
}

/// `vault generate`: a random value stored as an item, never shown; `--rotate` gives an
/// existing item a new one and keeps the old in its history.
#[test]
fn generate_stores_a_random_value_it_never_prints() {
    let v = TestVault::new();
    let made = v.run(&[
        "generate",
        "webhook",
        "--env",
        "WEBHOOK_SECRET",
        "--length",
        "40",
        "--charset",
        "hex",
    ]);
    assert_eq!(made.ok(), "", "nothing on stdout");
    let value = v.run(&["get", "webhook", "-n"]).ok().to_owned();
    assert_eq!(value.len(), 40);
    assert!(
        value
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    assert!(!made.stderr.contains(&value), "{}", made.stderr);
    assert!(made.stderr.contains("160 bits"), "{}", made.stderr);
    assert_eq!(
        v.run(&["get", "webhook", "--field", "env"]).ok(),
        "WEBHOOK_SECRET\n"
    );
    v.run(&["generate", "webhook"]).fails(6);
    v.run(&["generate", "webhook", "--rotate", "--tag", "x"])
        .fails(1);
    v.run(&["generate", "webhook", "--rotate"]).ok();
    let rotated = v.run(&["get", "webhook", "-n"]).ok().to_owned();
    assert_eq!(rotated.len(), 32);
    assert_ne!(rotated, value);
    assert_eq!(v.run(&["get", "webhook", "--field", "version"]).ok(), "2\n");
    assert_eq!(
        v.run(&["rollback", "webhook"]).code,
        Some(0),
        "the generated value it replaced is in the history"
    );
    assert_eq!(v.run(&["get", "webhook", "-n"]).ok(), value);
    v.run(&["generate", "x", "--length", "0"]).fails(1);
}

/// Completion in a real bash, from `vault completions bash`: item names from the unlocked
/// agent, setting keys, presets; nothing (and no password prompt) while the vault is locked.
#[test]
fn bash_completes_item_names_setting_keys_and_presets() {
    let v = openai();
    v.add(
        "stripe",
        "sk_test_completion00000000000000",
        &["--tag", "billing"],
    );
    let bin_dir = vault_tests::bin("vault").parent().unwrap().to_owned();
    let complete = |words: &[&str]| -> Vec<String> {
        let script = format!(
            "source <(vault completions bash)\nCOMP_WORDS=({words})\nCOMP_CWORD={cword}\n\
             COMP_TYPE=9\n_clap_complete_vault vault '{current}' '{previous}'\n\
             printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
            words = words.join(" "),
            cword = words.len() - 1,
            current = words[words.len() - 1],
            previous = words[words.len() - 2],
        );
        let template = v.bare();
        let out = std::process::Command::new("bash")
            .env_clear()
            .envs(template.get_envs().filter_map(|(k, val)| Some((k, val?))))
            .env(
                "PATH",
                format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap()),
            )
            .env("VAULT_PATH", &v.path)
            .args(["-c", &script])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty())
            .collect()
    };
    v.run(&["unlock"]).ok();
    assert_eq!(complete(&["vault", "get", "op"]), ["openai"]);
    assert_eq!(complete(&["vault", "rotate", "s"]), ["stripe"]);
    assert_eq!(complete(&["vault", "run", "--profile", "bil"]), ["billing"]);
    assert_eq!(
        complete(&["vault", "config", "set", "lock"]),
        ["lock-after"]
    );
    assert!(complete(&["vault", "oauth", "add", "git"]).contains(&"github".to_owned()));
    // Subcommands still complete as before.
    assert!(complete(&["vault", "gen"]).contains(&"generate".to_owned()));
    // Locked: no names, and nothing asked.
    v.run(&["lock"]).ok();
    assert!(complete(&["vault", "get", "op"]).is_empty());
}
