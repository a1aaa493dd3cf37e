//! The AWS SDK asks vault for its keys: botocore (the SDK under the AWS CLI and boto3, from
//! PyPI) resolves `credential_process = vault aws NAME` from ~/.aws/config, as written by `vault
//! setup aws`, and signs requests to a loopback endpoint that recomputes each SigV4 signature
//! with the secret the vault holds. Also: a short Expiration makes the SDK ask again, a locked
//! vault is the SDK's own error with the way out, and `--migrate` empties ~/.aws/credentials.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use vault_tests::TestVault;

const PYTHON: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/clients/.venv/bin/python3");
const CLIENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/clients/aws_client.py");

// Made up, in the shape of AWS keys.
const KEY_ID: &str = "AKIAQ3EGRJ6TLZ4WXN7B"; // vault-scan:allow
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE01"; // vault-scan:allow
const TEMP_ID: &str = "ASIAQ3EGRJ6TLZ4TMP22"; // vault-scan:allow
const TEMP_SECRET: &str = "tEMPsecretK7MDENG/bPxRfiCYzEXAMPLE02+abc"; // vault-scan:allow
const TEMP_TOKEN: &str = "FwoGZXIvYXdzEJr//////////wEaDEXAMPLEtoken"; // vault-scan:allow
const NEXT_ID: &str = "ASIAQ3EGRJ6TLZ4NXT33"; // vault-scan:allow
const NEXT_SECRET: &str = "nEXTsecretK7MDENG/bPxRfiCYzEXAMPLE03+xyz"; // vault-scan:allow

/// botocore in a process of its own, with the test vault's home, agent and AWS profile, and
/// the endpoint that knows `keys` (rewritten with [`Sdk::knows`]).
struct Sdk {
    child: Child,
    stdin: ChildStdin,
    out: BufReader<ChildStdout>,
    keys: PathBuf,
}

impl Sdk {
    fn start(v: &TestVault, profile: &str) -> Sdk {
        assert!(
            Path::new(PYTHON).exists(),
            "{PYTHON} is missing: run `make deps-clients`"
        );
        let keys = v.dir.path().join("endpoint-keys.json");
        std::fs::write(&keys, "{}").unwrap();
        let template = v.bare();
        let mut child = Command::new(PYTHON)
            .env_clear()
            .envs(template.get_envs().filter_map(|(k, val)| Some((k, val?))))
            .env("AWS_PROFILE", profile)
            .arg(CLIENT)
            .arg(&keys)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let out = BufReader::new(child.stdout.take().unwrap());
        Sdk {
            child,
            stdin,
            out,
            keys,
        }
    }

    fn knows(&self, keys: &[(&str, &str, Option<&str>)]) {
        let map: serde_json::Map<String, serde_json::Value> = keys
            .iter()
            .map(|(id, secret, token)| {
                (
                    (*id).to_owned(),
                    serde_json::json!({ "secret": secret, "token": token }),
                )
            })
            .collect();
        std::fs::write(&self.keys, serde_json::Value::Object(map).to_string()).unwrap();
    }

    /// One request; what the endpoint saw, or botocore's error.
    fn call(&mut self) -> serde_json::Value {
        writeln!(self.stdin, "call").unwrap();
        let mut line = String::new();
        self.out.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line:?}"))
    }
}

impl Drop for Sdk {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn aws_config(v: &TestVault) -> String {
    std::fs::read_to_string(v.dir.path().join(".aws/config")).unwrap_or_default()
}

#[test]
fn the_sdk_signs_with_the_key_the_vault_holds() {
    let v = TestVault::new();
    // The key pasted whole: one item, the id as its field.
    let added = v.run_with_stdin(
        &["add", "aws-prod"],
        format!("{KEY_ID} {SECRET}\n").as_bytes(),
    );
    assert!(added.ok().is_empty());
    assert!(
        added.stderr.contains("An AWS access key"),
        "{}",
        added.stderr
    );
    let id = v.run(&["get", "aws-prod", "--field", "access_key_id"]);
    assert_eq!(id.ok().trim(), KEY_ID);
    assert_eq!(v.run(&["get", "aws-prod"]).ok().trim(), SECRET);

    let setup = v.run(&["setup", "aws", "aws-prod", "--profile", "prod"]);
    setup.ok();
    assert!(setup.stderr.contains("[profile prod]"), "{}", setup.stderr);
    let config = aws_config(&v);
    assert!(
        config.contains("[profile prod]") && config.contains(" aws aws-prod"),
        "{config}"
    );
    let again = v.run(&["setup", "aws", "aws-prod", "--profile", "prod"]);
    assert!(again.stderr.contains("Already set up"), "{}", again.stderr);
    assert_eq!(aws_config(&v), config, "setting up twice changes nothing");

    v.run(&["unlock"]).ok();
    let mut sdk = Sdk::start(&v, "prod");
    sdk.knows(&[(KEY_ID, SECRET, None)]);
    let seen = sdk.call();
    assert_eq!(seen["key_id"], KEY_ID, "{seen}");
    assert_eq!(
        seen["verified"], true,
        "signed with the stored secret: {seen}"
    );
    let log = v.run(&["log"]);
    assert!(
        log.ok()
            .contains("gave aws-prod to aws (credential_process)"),
        "{}",
        log.stdout
    );

    // Locked: botocore's own error, carrying the way out, and no key.
    v.run(&["lock"]).ok();
    let mut locked = Sdk::start(&v, "prod");
    locked.knows(&[(KEY_ID, SECRET, None)]);
    let refused = locked.call();
    let error = refused["error"].as_str().unwrap_or_default();
    assert!(error.contains("vault unlock"), "{refused}");
    assert!(!error.contains(SECRET));

    let undo = v.run(&["setup", "aws", "--undo", "--profile", "prod"]);
    undo.ok();
    assert!(!aws_config(&v).contains("credential_process"));
}

/// A temporary key with its session token and a near expiry: the SDK passes the token, and
/// asks vault again before every request, so a rotation shows at once.
#[test]
fn a_short_expiration_makes_the_sdk_ask_again() {
    let v = TestVault::new();
    let soon = (jiff::Timestamp::now() + jiff::SignedDuration::from_mins(5)).to_string();
    v.run_with_stdin(
        &["add", "aws-temp", "--expires", &soon],
        format!("{TEMP_ID}\n{TEMP_SECRET}\n{TEMP_TOKEN}\n").as_bytes(),
    )
    .ok();
    v.run(&["setup", "aws", "aws-temp"]).ok();
    assert!(aws_config(&v).contains("[default]"));
    v.run(&["unlock"]).ok();
    let mut sdk = Sdk::start(&v, "default");
    sdk.knows(&[
        (TEMP_ID, TEMP_SECRET, Some(TEMP_TOKEN)),
        (NEXT_ID, NEXT_SECRET, None),
    ]);
    let first = sdk.call();
    assert_eq!(first["key_id"], TEMP_ID, "{first}");
    assert_eq!(first["verified"], true, "{first}");
    assert_eq!(
        first["token_ok"], true,
        "the session token is sent: {first}"
    );

    // New credentials in the vault: the same SDK session uses them on its next request.
    v.run(&[
        "edit",
        "aws-temp",
        "--field",
        &format!("access_key_id={NEXT_ID}"),
    ])
    .ok();
    // A temporary key again: the SDK expects every refresh to say when it runs out.
    v.run_with_stdin(
        &["rotate", "aws-temp", "--expires", &soon],
        NEXT_SECRET.as_bytes(),
    )
    .ok();
    v.run(&["edit", "aws-temp", "--remove-field", "session_token"])
        .ok();
    let second = sdk.call();
    assert_eq!(second["key_id"], NEXT_ID, "{second}");
    assert_eq!(second["verified"], true, "{second}");
}

#[test]
fn migrate_moves_every_key_out_of_the_credentials_file() {
    let v = TestVault::new();
    let aws = v.dir.path().join(".aws");
    std::fs::create_dir_all(&aws).unwrap();
    let original = format!(
        "[default]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n\n\
         [work]\naws_access_key_id = {TEMP_ID}\naws_secret_access_key = {TEMP_SECRET}\n\
         aws_session_token = {TEMP_TOKEN}\nregion = eu-west-1\n"
    );
    std::fs::write(aws.join("credentials"), &original).unwrap();
    std::fs::write(aws.join("config"), "[profile work]\noutput = json\n").unwrap();

    // Without a terminal or --yes: nothing changes.
    let asked = v.run(&["setup", "aws", "--migrate"]);
    asked.fails(10);
    assert_eq!(
        std::fs::read_to_string(aws.join("credentials")).unwrap(),
        original
    );

    let moved = v.run(&["setup", "aws", "--migrate", "--yes"]);
    moved.ok();
    assert!(
        moved.stderr.contains("AKIA...XN7B") && !moved.stderr.contains(SECRET),
        "{}",
        moved.stderr
    );
    let left = std::fs::read_to_string(aws.join("credentials")).unwrap();
    assert_eq!(left, "[work]\nregion = eu-west-1\n");
    let backups: Vec<PathBuf> = std::fs::read_dir(&aws)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("credentials.vault-backup-")
        })
        .collect();
    assert_eq!(backups.len(), 1);
    assert_eq!(std::fs::read_to_string(&backups[0]).unwrap(), original);
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&backups[0]).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let config = aws_config(&v);
    assert!(
        config.contains("[profile work]\noutput = json\ncredential_process = ")
            && config.contains(" aws aws-work")
            && config.contains("[default]"),
        "{config}"
    );
    assert_eq!(v.run(&["get", "aws"]).ok().trim(), SECRET);
    assert_eq!(
        v.run(&["get", "aws-work", "--field", "session_token"])
            .ok()
            .trim(),
        TEMP_TOKEN
    );

    v.run(&["unlock"]).ok();
    let mut sdk = Sdk::start(&v, "work");
    sdk.knows(&[(TEMP_ID, TEMP_SECRET, Some(TEMP_TOKEN))]);
    let seen = sdk.call();
    assert_eq!(
        (&seen["key_id"], &seen["verified"], &seen["token_ok"]),
        (
            &serde_json::json!(TEMP_ID),
            &serde_json::json!(true),
            &serde_json::json!(true)
        ),
        "{seen}"
    );

    // Again: nothing left to move.
    let again = v.run(&["setup", "aws", "--migrate", "--yes"]);
    assert!(again.stderr.contains("nothing to move"), "{}", again.stderr);
}

/// A `.env` with the three variables the SDKs read: `vault import` makes one item of them
/// (the key id and token its fields), `--rewrite` references the fields, `vault run` gives
/// the command all three, and the SDK signs with the item; a new pair imported with
/// `--rotate-existing` replaces the key id with the secret.
#[test]
fn an_imported_env_file_key_is_one_item_the_sdk_and_vault_run_use() {
    let v = TestVault::new();
    let project = v.dir.path().join("app");
    std::fs::create_dir(&project).unwrap();
    let env = project.join(".env");
    std::fs::write(
        &env,
        format!(
            "AWS_REGION=eu-west-1\nAWS_ACCESS_KEY_ID={TEMP_ID}\n\
             AWS_SECRET_ACCESS_KEY={TEMP_SECRET}\nAWS_SESSION_TOKEN={TEMP_TOKEN}\n"
        ),
    )
    .unwrap();
    let run = v.run(&["import", env.to_str().unwrap(), "--rewrite"]);
    run.ok();
    assert!(
        run.stderr.contains(
            "AWS_SECRET_ACCESS_KEY takes in AWS_ACCESS_KEY_ID as its access_key_id field and \
             AWS_SESSION_TOKEN as its session_token field"
        ),
        "{}",
        run.stderr
    );
    let names: Vec<String> =
        serde_json::from_str::<serde_json::Value>(v.run(&["ls", "--json"]).ok())
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_owned())
            .collect();
    assert_eq!(names, ["AWS_REGION", "AWS_SECRET_ACCESS_KEY"]);
    let field = |f: &str| {
        v.run(&["get", "AWS_SECRET_ACCESS_KEY", "--field", f])
            .ok()
            .trim()
            .to_owned()
    };
    assert_eq!(field("access_key_id"), TEMP_ID);
    assert_eq!(field("session_token"), TEMP_TOKEN);
    let refs = std::fs::read_to_string(project.join(".vault.env")).unwrap();
    assert!(
        refs.contains("AWS_ACCESS_KEY_ID=vault://AWS_SECRET_ACCESS_KEY/access_key_id\n")
            && refs.contains("AWS_SESSION_TOKEN=vault://AWS_SECRET_ACCESS_KEY/session_token\n")
            && refs.contains("AWS_SECRET_ACCESS_KEY=vault://AWS_SECRET_ACCESS_KEY\n"),
        "{refs}"
    );

    // `vault run` gives the command the three variables again, from the one item.
    v.allow_project_file(&project);
    let out = v
        .cmd()
        .args(["run", "--no-mask", "--", "sh", "-c"])
        .arg("printf '%s %s %s' \"$AWS_ACCESS_KEY_ID\" \"$AWS_SECRET_ACCESS_KEY\" \"$AWS_SESSION_TOKEN\"")
        .current_dir(&project)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{TEMP_ID} {TEMP_SECRET} {TEMP_TOKEN}"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The SDK signs with it through `vault setup aws`.
    v.run(&["setup", "aws", "AWS_SECRET_ACCESS_KEY"]).ok();
    v.run(&["unlock"]).ok();
    let mut sdk = Sdk::start(&v, "default");
    sdk.knows(&[
        (TEMP_ID, TEMP_SECRET, Some(TEMP_TOKEN)),
        (NEXT_ID, NEXT_SECRET, None),
    ]);
    let seen = sdk.call();
    assert_eq!(seen["key_id"], TEMP_ID, "{seen}");
    assert_eq!(seen["verified"], true, "{seen}");

    // A new pair over the old: the key id moves with the secret.
    let next = v.dir.path().join("next.env");
    std::fs::write(
        &next,
        format!("AWS_ACCESS_KEY_ID={NEXT_ID}\nAWS_SECRET_ACCESS_KEY={NEXT_SECRET}\n"),
    )
    .unwrap();
    v.run(&["import", next.to_str().unwrap(), "--rotate-existing"])
        .ok();
    assert_eq!(field("access_key_id"), NEXT_ID);
    // The old pair's session token went with it.
    let token = v.run(&["get", "AWS_SECRET_ACCESS_KEY", "--field", "session_token"]);
    assert!(
        token.code != Some(0) && token.stderr.contains("has no field \"session_token\""),
        "{}",
        token.stderr
    );
    let mut sdk = Sdk::start(&v, "default");
    sdk.knows(&[(NEXT_ID, NEXT_SECRET, None)]);
    let seen = sdk.call();
    assert_eq!(seen["key_id"], NEXT_ID, "{seen}");
    assert_eq!(seen["verified"], true, "{seen}");
}
