//! Items with named fields, through the real CLI and agent: `vault add --field`, `vault get
//! --field` and `vault://NAME/FIELD` in a command's environment and a template, `vault edit
//! --field/--remove-field`, `ls --json` and `export`/`import` keeping them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use vault_tests::TestVault;

#[test]
fn a_username_field_is_kept_with_its_token_and_read_by_name_everywhere() {
    let v = TestVault::new();
    v.add(
        "github",
        "ghp_fields_token",
        &["--field", "username=alice", "--field", "org=acme=corp"],
    );
    // Through the agent, as at a user's terminal.
    v.run(&["unlock"]).ok();
    assert_eq!(
        v.run(&["get", "github", "--field", "username"]).ok(),
        "alice\n"
    );
    assert_eq!(v.run(&["get", "vault://github/org"]).ok(), "acme=corp\n");

    // A reference to a field in the environment of `vault run` and in a template.
    let out = v
        .cmd()
        .args([
            "run",
            "--no-mask",
            "--",
            "sh",
            "-c",
            "printf '%s:%s' \"$GIT_USER\" \"$GIT_TOKEN\"",
        ])
        .env("GIT_USER", "vault://github/username")
        .env("GIT_TOKEN", "vault://github")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "alice:ghp_fields_token"
    );
    let template = v.dir.path().join("netrc.tpl");
    std::fs::write(&template, "login {{ vault://github/username }}\n").unwrap();
    let rendered = v.run(&["inject", "-i", template.to_str().unwrap()]);
    assert_eq!(rendered.ok(), "login alice\n");

    // Listed as metadata (never the value); changed and removed by `vault edit`.
    let listed = v.run(&["ls", "--json"]).ok().to_owned();
    let items: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(items[0]["fields"]["username"], "alice", "{listed}");
    assert!(!listed.contains("ghp_fields_token"));
    v.run(&[
        "edit",
        "github",
        "--field",
        "username=bob",
        "--remove-field",
        "org",
    ])
    .ok();
    assert_eq!(
        v.run(&["get", "github", "--field", "username"]).ok(),
        "bob\n"
    );
    let gone = v.run(&["get", "github", "--field", "org"]);
    assert!(
        gone.fails(1).contains("no field \"org\""),
        "{}",
        gone.stderr
    );

    // An export and an import into another vault keep them.
    let file = v.dir.path().join("export.json");
    v.run(&[
        "export",
        "--format",
        "json",
        "--yes",
        "-o",
        file.to_str().unwrap(),
    ])
    .ok();
    let other = TestVault::new();
    other.run(&["import", file.to_str().unwrap()]).ok();
    assert_eq!(
        other.run(&["get", "github", "--field", "username"]).ok(),
        "bob\n"
    );
}

#[test]
fn a_bad_field_is_refused_with_a_clear_message_and_nothing_is_added() {
    let v = TestVault::new();
    let cases: [(&[&str], &str); 3] = [
        (&["--field", "username"], "is not NAME=VALUE"),
        (&["--field", "user name=alice"], "is not a field name"),
        (&["--field", "notes=x"], "is a built-in field"),
    ];
    for (args, says) in cases {
        let mut all = vec!["add", "k"];
        all.extend_from_slice(args);
        let r = v.run_with_stdin(&all, b"value");
        assert_ne!(r.code, Some(0), "{args:?}");
        assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
        assert!(!r.stderr.contains("panicked"));
    }
    assert_eq!(v.run(&["ls", "--json"]).ok().trim(), "[]");
}

/// `--secret-field`: read from stdin's next lines (never argv), listed by name only, read by
/// `get --field` and references, changed by `edit` as a new version, kept by export/import.
#[test]
fn secret_fields_come_from_stdin_are_listed_by_name_and_resolve_like_the_others() {
    let v = TestVault::new();
    let added = v.run_with_stdin(
        &[
            "add",
            "aws-dev",
            "--field",
            "region=eu-west-1",
            "--secret-field",
            "secret",
        ],
        b"AKIAIOSFODNN7EXAMPLE\nwJalrXUtnFEMI-canary-secret\n",
    );
    added.ok();
    v.run(&["unlock"]).ok();
    assert_eq!(
        v.run(&["get", "aws-dev", "--field", "secret"]).ok(),
        "wJalrXUtnFEMI-canary-secret\n"
    );
    assert_eq!(
        v.run(&["get", "aws-dev"]).ok(),
        "AKIAIOSFODNN7EXAMPLE\n",
        "the value is the first line only"
    );
    let out = v
        .cmd()
        .args([
            "run",
            "--no-mask",
            "--",
            "sh",
            "-c",
            "printf %s \"$AWS_SECRET\"",
        ])
        .env("AWS_SECRET", "vault://aws-dev/secret")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "wJalrXUtnFEMI-canary-secret"
    );

    // Listings name it; only `get --json`, which asks for the secrets, holds its value.
    let listed = v.run(&["ls", "--json"]).ok().to_owned();
    assert!(!listed.contains("canary"), "{listed}");
    let items: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(items[0]["secret_fields"][0], "secret", "{listed}");
    let got: serde_json::Value =
        serde_json::from_str(v.run(&["get", "aws-dev", "--json"]).ok()).unwrap();
    assert_eq!(
        got["secret_values"]["secret"],
        "wJalrXUtnFEMI-canary-secret"
    );

    // A changed secret field is a new version; the previous pair stays in the history.
    v.run_with_stdin(
        &["edit", "aws-dev", "--secret-field", "secret"],
        b"second-secret\n",
    )
    .ok();
    assert_eq!(
        v.run(&["get", "aws-dev", "--field", "secret"]).ok(),
        "second-secret\n"
    );
    let history: serde_json::Value =
        serde_json::from_str(v.run(&["history", "aws-dev", "--json"]).ok()).unwrap();
    assert_eq!(history.as_array().unwrap().len(), 2);
    v.run(&["rollback", "aws-dev"]).ok();
    assert_eq!(
        v.run(&["get", "aws-dev", "--field", "secret"]).ok(),
        "wJalrXUtnFEMI-canary-secret\n"
    );

    let file = v.dir.path().join("export.json");
    v.run(&[
        "export",
        "--format",
        "json",
        "--yes",
        "-o",
        file.to_str().unwrap(),
    ])
    .ok();
    let other = TestVault::new();
    other.run(&["import", file.to_str().unwrap()]).ok();
    assert_eq!(
        other.run(&["get", "aws-dev", "--field", "secret"]).ok(),
        "wJalrXUtnFEMI-canary-secret\n"
    );
    v.run(&["edit", "aws-dev", "--remove-field", "secret"]).ok();
    assert!(
        v.run(&["get", "aws-dev", "--field", "secret"])
            .fails(1)
            .contains("no field \"secret\"")
    );
}

#[test]
fn a_secret_field_is_never_taken_from_argv_and_a_short_stdin_stores_nothing() {
    let v = TestVault::new();
    let r = v.run_with_stdin(
        &["add", "k", "--secret-field", "password=hunter2"],
        b"value",
    );
    assert!(
        r.fails(1)
            .contains("refusing to take a secret field's value from the command line"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("hunter2"), "{}", r.stderr);
    let r = v.run_with_stdin(
        &[
            "add",
            "k",
            "--secret-field",
            "password",
            "--secret-field",
            "otp",
        ],
        b"value\nonly-one\n",
    );
    assert!(
        r.fails(1).contains("2 line(s), but 3 value(s) are needed"),
        "{}",
        r.stderr
    );
    let r = v.run_with_stdin(&["add", "k", "--secret-field", "password"], b"value\n\n");
    assert!(r.fails(1).contains("password is empty"), "{}", r.stderr);
    assert_eq!(v.run(&["ls", "--json"]).ok().trim(), "[]");
}
