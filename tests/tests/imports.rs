//! `vault import` from other secret stores, through the real CLI: KeePass databases written by
//! the real `keepassxc-cli` (KDBX 3.1, and KDBX 4 with a key file), `.env` files encrypted by
//! the real `@dotenvx/dotenvx`, and 1Password (.1pux and CSV), Bitwarden, Doppler, Infisical
//! and shell-profile files made to their formats' own documentation. Every part of an entry
//! lands where `vault get --field` and `--json` find it; bad input names the file (and the
//! entry) and imports nothing; a second import reports duplicates.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;

use vault_tests::sources::{dotenvx, keepassxc, onepux};
use vault_tests::{Run, TestVault};

/// A KeePass XML database, as `keepassxc-cli import` takes it: one entry with everything an
/// entry can carry, one without a password. `kdbx4` adds custom data, which makes KeePassXC
/// write KDBX 4 (without it, it writes 3.1).
fn keepass_xml(kdbx4: bool) -> String {
    let custom = if kdbx4 {
        "<CustomData><Item><Key>vault-test</Key><Value>kdbx4</Value></Item></CustomData>"
    } else {
        ""
    };
    format!(
        r#"<?xml version="1.0" encoding="utf-8" standalone="yes"?>
<KeePassFile>
 <Meta><Generator>vault-tests</Generator><DatabaseName>imports</DatabaseName></Meta>
 <Root>
  <Group>
   <UUID>AAAAAAAAAAAAAAAAAAAAAQ==</UUID><Name>Root</Name>
   <Group><UUID>AAAAAAAAAAAAAAAAAAAAAg==</UUID><Name>Dev Tools</Name>
     <Entry><UUID>AAAAAAAAAAAAAAAAAAAAAw==</UUID>
       <Times><Expires>True</Expires><ExpiryTime>2031-01-31T00:00:00Z</ExpiryTime></Times>
       <Tags>ci;github</Tags>{custom}
       <String><Key>Title</Key><Value>GitHub CI</Value></String>
       <String><Key>UserName</Key><Value>ci-bot</Value></String>
       <String><Key>Password</Key><Value ProtectInMemory="True">ghp_kdbx_token_value</Value></String>
       <String><Key>URL</Key><Value>https://github.com</Value></String>
       <String><Key>Notes</Key><Value>the CI token</Value></String>
       <String><Key>org</Key><Value>acme</Value></String>
       <String><Key>webhook secret</Key><Value ProtectInMemory="True">whsec_kdbx_secret</Value></String>
     </Entry>
     <Entry><UUID>AAAAAAAAAAAAAAAAAAAABA==</UUID>
       <String><Key>Title</Key><Value>Just a note</Value></String>
       <String><Key>Password</Key><Value ProtectInMemory="True"></Value></String>
     </Entry>
   </Group>
  </Group>
 </Root>
</KeePassFile>
"#
    )
}

fn file(v: &TestVault, name: &str, content: &[u8]) -> PathBuf {
    let path = v.dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    path
}

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(run.ok()).unwrap()
}

fn get(v: &TestVault, item: &str, field: &str) -> String {
    v.run(&["get", item, "--field", field])
        .ok()
        .trim_end_matches('\n')
        .to_owned()
}

#[test]
fn keepass_databases_written_by_keepassxc_land_with_their_fields_tags_and_expiry() {
    let v = TestVault::new();
    let pw = file(&v, "kp-password", b"correct horse kp\n");
    let kdbx3 = v.dir.path().join("three.kdbx");
    keepassxc(
        v.dir.path(),
        &keepass_xml(false),
        &kdbx3,
        "correct horse kp",
        None,
    );
    assert_eq!(
        &std::fs::read(&kdbx3).unwrap()[8..12],
        &[1, 0, 3, 0],
        "KDBX 3.1"
    );

    let run = v.run(&[
        "import",
        kdbx3.to_str().unwrap(),
        "--source-password-file",
        pw.to_str().unwrap(),
        "--json",
    ]);
    let report = json(&run);
    assert_eq!(report["format"], "keepass");
    assert_eq!(report["added"], serde_json::json!(["GitHub CI"]));
    assert_eq!(report["skipped"][0]["key"], "Dev Tools/Just a note");

    v.run(&["unlock"]).ok();
    assert_eq!(get(&v, "GitHub CI", "value"), "ghp_kdbx_token_value");
    assert_eq!(get(&v, "GitHub CI", "username"), "ci-bot");
    assert_eq!(get(&v, "GitHub CI", "url"), "https://github.com");
    assert_eq!(get(&v, "GitHub CI", "org"), "acme");
    assert_eq!(get(&v, "GitHub CI", "webhook-secret"), "whsec_kdbx_secret");
    assert_eq!(get(&v, "GitHub CI", "notes"), "the CI token");
    assert_eq!(get(&v, "GitHub CI", "env"), "GITHUB_CI");
    let listed = v.run(&["ls", "--json"]);
    let item = &json(&listed)[0];
    assert_eq!(
        item["tags"],
        serde_json::json!(["Dev-Tools", "ci", "github"])
    );
    assert_eq!(item["secret_fields"], serde_json::json!(["webhook-secret"]));
    assert!(item["expires"].as_str().unwrap().starts_with("2031-01-31"));
    assert!(!listed.stdout.contains("whsec_kdbx_secret"));

    // Again: a duplicate, reported, not doubled.
    let again = v.run(&[
        "import",
        kdbx3.to_str().unwrap(),
        "--source-password-file",
        pw.to_str().unwrap(),
    ]);
    assert!(again.ok().is_empty());
    assert!(
        again.stderr.contains("an item with this name exists"),
        "{}",
        again.stderr
    );
    assert_eq!(json(&v.run(&["ls", "--json"])).as_array().unwrap().len(), 1);

    // KDBX 4 with a key file: both are needed.
    let other = TestVault::new();
    let kdbx4 = other.dir.path().join("four.kdbx");
    let key = other.dir.path().join("four.key");
    keepassxc(
        other.dir.path(),
        &keepass_xml(true),
        &kdbx4,
        "correct horse kp",
        Some(&key),
    );
    assert_eq!(
        &std::fs::read(&kdbx4).unwrap()[8..12],
        &[0, 0, 4, 0],
        "KDBX 4"
    );
    let without_key = other.run(&[
        "import",
        kdbx4.to_str().unwrap(),
        "--source-password-file",
        pw.to_str().unwrap(),
    ]);
    assert!(
        without_key
            .fails(1)
            .contains("does not open it; nothing was imported"),
        "{}",
        without_key.stderr
    );
    other
        .run(&[
            "import",
            kdbx4.to_str().unwrap(),
            "--source-password-file",
            pw.to_str().unwrap(),
            "--key-file",
            key.to_str().unwrap(),
        ])
        .ok();
    other.run(&["unlock"]).ok();
    assert_eq!(
        get(&other, "GitHub CI", "webhook-secret"),
        "whsec_kdbx_secret"
    );
}

#[test]
fn a_wrong_password_or_a_damaged_database_imports_nothing_and_says_which_file() {
    let v = TestVault::new();
    let kdbx = v.dir.path().join("db.kdbx");
    keepassxc(
        v.dir.path(),
        &keepass_xml(true),
        &kdbx,
        "right password",
        None,
    );
    let wrong = file(&v, "wrong", b"wrong password\n");
    let r = v.run(&[
        "import",
        kdbx.to_str().unwrap(),
        "--source-password-file",
        wrong.to_str().unwrap(),
    ]);
    let err = r.fails(1);
    assert!(
        err.contains(&format!(
            "{}: the KeePass database's password",
            kdbx.display()
        )) && err.contains("does not open it"),
        "{err}"
    );
    let bytes = std::fs::read(&kdbx).unwrap();
    let truncated = file(&v, "truncated.kdbx", &bytes[..bytes.len() / 2]);
    let right = file(&v, "right", b"right password\n");
    let r = v.run(&[
        "import",
        truncated.to_str().unwrap(),
        "--source-password-file",
        right.to_str().unwrap(),
    ]);
    let err = r.fails(1);
    assert!(err.contains("truncated.kdbx: "), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // Not a KeePass file, and nothing vault knows.
    let unknown = file(&v, "blob.bin", &[0xff, 0xfe, 0x00, 0x01, 0x02]);
    let r = v.run(&["import", unknown.to_str().unwrap()]);
    assert!(
        r.fails(1).contains("not a format vault imports"),
        "{}",
        r.stderr
    );
    assert_eq!(v.run(&["ls", "--json"]).ok().trim(), "[]");
}

#[test]
fn a_dotenvx_file_encrypted_by_dotenvx_opens_with_its_env_keys() {
    let v = TestVault::new();
    let project = v.dir.path().join("project");
    std::fs::create_dir(&project).unwrap();
    let env = project.join(".env.production");
    std::fs::write(
        &env,
        "STRIPE_KEY=sk_live_dotenvx_value\nDATABASE_URL=\"postgres://app:pw@db/app\"\n",
    )
    .unwrap();
    let out = Command::new(dotenvx())
        .args(["encrypt", "-f", ".env.production"])
        .current_dir(&project)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let encrypted = std::fs::read_to_string(&env).unwrap();
    assert!(encrypted.contains("STRIPE_KEY=encrypted:"), "{encrypted}");
    assert!(!encrypted.contains("sk_live_dotenvx_value"));

    let run = v.run(&["import", env.to_str().unwrap(), "--json"]);
    let report = json(&run);
    assert_eq!(report["format"], "dotenvx");
    assert_eq!(
        report["added"],
        serde_json::json!(["STRIPE_KEY", "DATABASE_URL"])
    );
    v.run(&["unlock"]).ok();
    assert_eq!(get(&v, "STRIPE_KEY", "value"), "sk_live_dotenvx_value");
    assert_eq!(get(&v, "DATABASE_URL", "value"), "postgres://app:pw@db/app");

    // Without its .env.keys, and no terminal to ask on: said, nothing imported.
    let keys = std::fs::read_to_string(project.join(".env.keys")).unwrap();
    std::fs::remove_file(project.join(".env.keys")).unwrap();
    let other = TestVault::new();
    let r = other.run(&["import", env.to_str().unwrap()]);
    assert!(
        r.fails(1).contains("needs the dotenvx private key"),
        "{}",
        r.stderr
    );
    // The key given in a file works the same.
    let key_line = keys
        .lines()
        .find(|l| l.starts_with("DOTENV_PRIVATE_KEY_PRODUCTION="))
        .unwrap();
    let key = key_line.split_once('=').unwrap().1.trim_matches('"');
    let key_file = file(&other, "dotenvx-key", format!("{key}\n").as_bytes());
    other
        .run(&[
            "import",
            env.to_str().unwrap(),
            "--source-password-file",
            key_file.to_str().unwrap(),
        ])
        .ok();
    other.run(&["unlock"]).ok();
    assert_eq!(get(&other, "STRIPE_KEY", "value"), "sk_live_dotenvx_value");
}

fn onepassword_items() -> serde_json::Value {
    serde_json::json!([
        {
            "uuid": "i1", "favIndex": 0, "createdAt": 1700000000, "updatedAt": 1700000000,
            "state": "active", "categoryUuid": "112",
            "overview": {"title": "OpenAI API", "url": "", "tags": ["ai"]},
            "details": {
                "notesPlain": "team key",
                "sections": [{"title": "", "fields": [
                    {"title": "username", "id": "username", "value": {"string": "svc-ai"}},
                    {"title": "credential", "id": "credential", "value": {"concealed": "sk-1pux-credential"}},
                    {"title": "expires", "id": "expires", "value": {"date": 1924992000}},
                    {"title": "org id", "id": "org", "value": {"concealed": "org-secret-1pux"}}
                ]}]
            }
        },
        {
            "uuid": "i2", "favIndex": 0, "createdAt": 1700000000, "updatedAt": 1700000000,
            "state": "active", "categoryUuid": "001",
            "overview": {"title": "Grafana", "url": "https://grafana.acme.test", "tags": []},
            "details": {
                "loginFields": [
                    {"value": "admin", "id": "u", "name": "username", "fieldType": "T", "designation": "username"},
                    {"value": "grafana-pw-1pux", "id": "p", "name": "password", "fieldType": "P", "designation": "password"}
                ],
                "sections": []
            }
        },
        {
            "uuid": "i3", "favIndex": 0, "createdAt": 1700000000, "updatedAt": 1700000000,
            "state": "active", "categoryUuid": "003",
            "overview": {"title": "Signing cert", "url": "", "tags": []},
            "details": {"notesPlain": "-----BEGIN KEY-----\nabc\n-----END KEY-----", "sections": []}
        },
        {
            "uuid": "i4", "favIndex": 0, "createdAt": 1700000000, "updatedAt": 1700000000,
            "state": "active", "categoryUuid": "002",
            "overview": {"title": "Company card", "url": "", "tags": []},
            "details": {"sections": []}
        }
    ])
}

#[test]
fn onepassword_exports_land_as_items_with_fields_and_an_unknown_category_stops_it_all() {
    let v = TestVault::new();
    let pux = file(&v, "acme.1pux", &onepux(onepassword_items()));
    let report = json(&v.run(&["import", pux.to_str().unwrap(), "--json"]));
    assert_eq!(report["format"], "1password");
    assert_eq!(
        report["added"],
        serde_json::json!(["OpenAI API", "Grafana", "Signing cert"])
    );
    assert_eq!(report["skipped"][0]["key"], "Engineering/Company card");
    v.run(&["unlock"]).ok();
    assert_eq!(get(&v, "OpenAI API", "value"), "sk-1pux-credential");
    assert_eq!(get(&v, "OpenAI API", "username"), "svc-ai");
    assert_eq!(get(&v, "OpenAI API", "org-id"), "org-secret-1pux");
    assert_eq!(get(&v, "OpenAI API", "tags"), "Engineering\nai");
    assert!(get(&v, "OpenAI API", "expires").starts_with("2031-01-01"));
    assert_eq!(get(&v, "Grafana", "value"), "grafana-pw-1pux");
    assert_eq!(get(&v, "Grafana", "url"), "https://grafana.acme.test");
    assert!(get(&v, "Signing cert", "value").starts_with("-----BEGIN KEY-----\nabc"));

    let mut items = onepassword_items();
    items.as_array_mut().unwrap().push(serde_json::json!({
        "uuid": "i9", "categoryUuid": "999", "state": "active",
        "overview": {"title": "From the future"}, "details": {}
    }));
    let other = TestVault::new();
    let bad = file(&other, "future.1pux", &onepux(items));
    let r = other.run(&["import", bad.to_str().unwrap()]);
    assert!(
        r.fails(1)
            .contains("future.1pux: Engineering/From the future: an item of category \"999\""),
        "{}",
        r.stderr
    );
    assert_eq!(other.run(&["ls", "--json"]).ok().trim(), "[]");

    // The CSV export.
    let csv = file(
        &other,
        "1password.csv",
        b"Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes\n\
          Sentry,https://sentry.io,ops,sentry-csv-pw,otpauth://totp/x?secret=JBSWY3DP,false,false,\"ops,monitoring\",\"two\nlines\"\n\
          Old,https://old.test,me,old-pw,,false,true,,\n",
    );
    let report = json(&other.run(&["import", csv.to_str().unwrap(), "--json"]));
    assert_eq!(report["added"], serde_json::json!(["Sentry"]));
    other.run(&["unlock"]).ok();
    assert_eq!(get(&other, "Sentry", "value"), "sentry-csv-pw");
    assert_eq!(
        get(&other, "Sentry", "otp"),
        "otpauth://totp/x?secret=JBSWY3DP"
    );
    assert_eq!(get(&other, "Sentry", "notes"), "two\nlines");
    assert_eq!(get(&other, "Sentry", "tags"), "ops\nmonitoring");
}

#[test]
fn a_bitwarden_export_lands_plain_or_password_protected() {
    let v = TestVault::new();
    let export = serde_json::json!({
        "encrypted": false,
        "folders": [{"id": "f1", "name": "Work"}],
        "items": [
            {"id": "1", "folderId": "f1", "type": 1, "name": "AWS console", "notes": "prod account",
             "favorite": false, "reprompt": 0,
             "fields": [
                {"name": "account id", "value": "123456789012", "type": 0, "linkedId": null},
                {"name": "mfa seed", "value": "MFA-SEED-BW", "type": 1, "linkedId": null},
                {"name": "linked", "value": null, "type": 3, "linkedId": 100}
             ],
             "login": {"uris": [{"match": null, "uri": "https://console.aws.amazon.com"}],
                       "username": "ops", "password": "bw-login-password", "totp": null}},
            {"id": "2", "folderId": null, "type": 2, "name": "npm token", "notes": "npm_0123456789abcdefghijABCDEFGHIJ012345",
             "secureNote": {"type": 0}, "fields": []},
            {"id": "3", "folderId": null, "type": 3, "name": "Visa", "card": {}, "fields": []}
        ]
    });
    let path = file(&v, "bitwarden_export.json", export.to_string().as_bytes());
    let report = json(&v.run(&["import", path.to_str().unwrap(), "--json"]));
    assert_eq!(report["format"], "bitwarden");
    assert_eq!(
        report["added"],
        serde_json::json!(["AWS console", "npm token"])
    );
    assert_eq!(report["skipped"][0]["key"], "Visa");
    v.run(&["unlock"]).ok();
    assert_eq!(get(&v, "AWS console", "value"), "bw-login-password");
    assert_eq!(get(&v, "AWS console", "account-id"), "123456789012");
    assert_eq!(get(&v, "AWS console", "mfa-seed"), "MFA-SEED-BW");
    assert_eq!(
        get(&v, "AWS console", "url"),
        "https://console.aws.amazon.com"
    );
    assert_eq!(get(&v, "AWS console", "tags"), "Work");
    assert_eq!(
        get(&v, "npm token", "value"),
        "npm_0123456789abcdefghijABCDEFGHIJ012345"
    );
    // A value in a known format brings its service, as `vault add` would.
    assert_eq!(get(&v, "npm token", "service"), "npm");
    assert_eq!(report["recognised"][0]["key"], "npm token");

    // The same export, password-protected as Bitwarden's clients seal it (sealed here by an
    // independent Node implementation of their scheme).
    let other = TestVault::new();
    let plain = file(&other, "plain.json", export.to_string().as_bytes());
    let protected = other.dir.path().join("bitwarden_protected.json");
    let out = Command::new("node")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/clients/bitwarden-protect.mjs"
        ))
        .arg(&plain)
        .arg(&protected)
        .args(["export password", "5000"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_file(&plain).unwrap();
    let r = other.run(&["import", protected.to_str().unwrap()]);
    assert!(
        r.fails(1).contains("needs the Bitwarden export's password"),
        "{}",
        r.stderr
    );
    let wrong = file(&other, "wrong", b"Export password\n");
    let r = other.run(&[
        "import",
        protected.to_str().unwrap(),
        "--source-password-file",
        wrong.to_str().unwrap(),
    ]);
    assert!(r.fails(1).contains("does not open it"), "{}", r.stderr);
    assert_eq!(other.run(&["ls", "--json"]).ok().trim(), "[]");
    let right = file(&other, "right", b"export password\n");
    let report = json(&other.run(&[
        "import",
        protected.to_str().unwrap(),
        "--source-password-file",
        right.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(report["format"], "bitwarden");
    assert_eq!(
        report["added"],
        serde_json::json!(["AWS console", "npm token"])
    );
    other.run(&["unlock"]).ok();
    assert_eq!(get(&other, "AWS console", "mfa-seed"), "MFA-SEED-BW");

    let odd = serde_json::json!({"encrypted": false, "items": [
        {"id": "1", "type": 1, "name": "Odd", "login": {"password": "p"},
         "fields": [{"name": "x", "value": "y", "type": 7}]}
    ]});
    let odd = file(&v, "odd.json", odd.to_string().as_bytes());
    let r = v.run(&["import", odd.to_str().unwrap()]);
    assert!(
        r.fails(1)
            .contains("odd.json: Odd: custom field \"x\" is of type 7"),
        "{}",
        r.stderr
    );
}

#[test]
fn doppler_infisical_and_shell_profiles_land_as_variables() {
    let v = TestVault::new();
    let doppler = file(
        &v,
        "doppler.json",
        br#"{"DOPPLER_PROJECT":"api","DOPPLER_CONFIG":"dev","SENTRY_DSN":"https://k@sentry.io/1","API_TOKEN":"doppler-token"}"#,
    );
    let report = json(&v.run(&["import", doppler.to_str().unwrap(), "--json"]));
    assert_eq!(report["format"], "doppler");
    assert_eq!(
        report["added"],
        serde_json::json!(["API_TOKEN", "SENTRY_DSN"])
    );
    let infisical = file(
        &v,
        "infisical.json",
        br#"[{"key":"REDIS_URL","value":"redis://:pw@cache:6379","comment":"cache"},{"key":"JWT_SECRET","value":"infisical-jwt"}]"#,
    );
    let report = json(&v.run(&["import", infisical.to_str().unwrap(), "--json"]));
    assert_eq!(report["format"], "infisical");
    assert_eq!(
        report["added"],
        serde_json::json!(["REDIS_URL", "JWT_SECRET"])
    );
    let rc = file(
        &v,
        ".bashrc",
        b"alias ll='ls -l'\nexport PATH=\"$HOME/bin:$PATH\"\nexport OPENAI_API_KEY='sk-shell-literal'\nexport GH_TOKEN=$(pass show gh)\nexport EDITOR=vim\n",
    );
    let report = json(&v.run(&["import", rc.to_str().unwrap(), "--json"]));
    assert_eq!(report["format"], "shell");
    assert_eq!(report["added"], serde_json::json!(["OPENAI_API_KEY"]));
    let skipped = report["skipped"].to_string();
    assert!(
        skipped.contains("PATH (line 2)")
            && skipped.contains("GH_TOKEN (line 4)")
            && skipped.contains("EDITOR (line 5)"),
        "{skipped}"
    );
    v.run(&["unlock"]).ok();
    assert_eq!(get(&v, "OPENAI_API_KEY", "value"), "sk-shell-literal");
    assert_eq!(get(&v, "OPENAI_API_KEY", "env"), "OPENAI_API_KEY");
    assert_eq!(get(&v, "REDIS_URL", "notes"), "cache");
    assert_eq!(get(&v, "API_TOKEN", "value"), "doppler-token");
}

/// The rewrite is offered, never forced: without --rewrite (and no terminal) the file stays as
/// it is and one line says how; with it, a .env becomes a .vault.env of references and a
/// profile's imported lines become references, each original kept as FILE.vault-backup (0600).
#[test]
fn a_plaintext_source_is_rewritten_as_references_only_when_asked() {
    use std::os::unix::fs::PermissionsExt;
    let v = TestVault::new();
    let project = v.dir.path().join("app");
    std::fs::create_dir(&project).unwrap();
    let env = project.join(".env");
    std::fs::write(
        &env,
        "STRIPE_KEY=sk_test_rewrite\nSENTRY_DSN=https://k@sentry.io/1\n",
    )
    .unwrap();
    let told = v.run(&["import", env.to_str().unwrap()]);
    assert!(told.ok().is_empty());
    assert!(told.stderr.contains("--rewrite"), "{}", told.stderr);
    assert!(
        std::fs::read_to_string(&env)
            .unwrap()
            .contains("sk_test_rewrite")
    );

    let other = TestVault::new();
    other
        .run(&["import", env.to_str().unwrap(), "--rewrite"])
        .ok();
    assert!(!env.exists(), "moved to the backup");
    let backup = project.join(".env.vault-backup");
    assert!(
        std::fs::read_to_string(&backup)
            .unwrap()
            .contains("sk_test_rewrite")
    );
    let refs = std::fs::read_to_string(project.join(".vault.env")).unwrap();
    assert!(refs.contains("STRIPE_KEY=vault://STRIPE_KEY\n"), "{refs}");
    assert!(refs.contains("SENTRY_DSN=vault://SENTRY_DSN\n"), "{refs}");
    assert!(!refs.contains("sk_test_rewrite"));
    // The references resolve through `vault run` once the file is allowed.
    other.allow_project_file(&project);
    let out = other
        .cmd()
        .args([
            "run",
            "--no-mask",
            "--",
            "sh",
            "-c",
            "printf %s \"$STRIPE_KEY\"",
        ])
        .current_dir(&project)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "sk_test_rewrite",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let rc = v.dir.path().join(".zshrc");
    let original = "alias g=git\n  export NPM_TOKEN=\"npm_rewrite_token\" # npm\nexport EDITOR=vim\nexport GOPATH=$HOME/go\n";
    std::fs::write(&rc, original).unwrap();
    let third = TestVault::new();
    third
        .run(&["import", rc.to_str().unwrap(), "--rewrite"])
        .ok();
    let rewritten = std::fs::read_to_string(&rc).unwrap();
    assert_eq!(
        rewritten,
        "alias g=git\n  export NPM_TOKEN='vault://NPM_TOKEN'\nexport EDITOR=vim\nexport GOPATH=$HOME/go\n"
    );
    let backup = v.dir.path().join(".zshrc.vault-backup");
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), original);
    assert_eq!(
        std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777,
        0o600
    );
}
