//! Project files are trusted like code. A `.vault.env` another user could have written is
//! never read; one the user has not allowed as it is (`vault allow`) starts nothing; variables
//! that make programs run other code need allowing by name. `--env-file` is an explicit choice.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use vault_tests::{Run, TestVault};

const KEY: &str = "sk-proj-trust-4b1d9e";

fn project(file: &str) -> (TestVault, PathBuf) {
    let v = TestVault::new();
    v.add("openai", KEY, &["--env", "OPENAI_API_KEY"]);
    let proj = v.dir.path().join("proj");
    std::fs::create_dir_all(proj.join("sub")).unwrap();
    std::fs::write(proj.join(".vault.env"), file).unwrap();
    (v, proj)
}

fn vault_in(v: &TestVault, dir: &Path, args: &[&str]) -> Run {
    let out = v.cmd().current_dir(dir).args(args).output().unwrap();
    Run::from_output(out)
}

/// `vault run ARGS -- sh -c 'touch MARKER; printf ...'`: whether the command started, and what
/// it saw of `vars`.
fn run_in(v: &TestVault, dir: &Path, args: &[&str], vars: &[&str]) -> (Run, bool) {
    let marker = v.dir.path().join("started");
    let _ = std::fs::remove_file(&marker);
    let script = format!(
        "touch '{}'; {}",
        marker.display(),
        vars.iter()
            .map(|n| format!("printf '%s=%s\\n' {n} \"${n}\";"))
            .collect::<String>()
    );
    let mut cmd: Command = v.cmd();
    cmd.current_dir(dir)
        .args(["run", "--no-mask"])
        .args(args)
        .args(["--", "sh", "-c", &script]);
    let run = Run::from_output(cmd.output().unwrap());
    (run, marker.exists())
}

#[test]
fn a_new_or_changed_project_file_starts_nothing_until_allowed() {
    let (v, proj) = project("OPENAI_API_KEY=vault://openai\nPORT=3000\n");
    let dir = proj.join("sub");
    let (run, started) = run_in(&v, &dir, &[], &["OPENAI_API_KEY"]);
    assert_eq!(run.code, Some(125), "{}", run.stderr);
    assert!(!started, "nothing may start from a file never allowed");
    assert!(
        run.stderr.contains("is not allowed") && run.stderr.contains("vault allow"),
        "{}",
        run.stderr
    );

    // `vault allow` shows what the file asks for, needs a confirmation, then records it.
    let refused = vault_in(&v, &dir, &["allow"]);
    assert_eq!(
        refused.code,
        Some(10),
        "no terminal to confirm on: {refused:?}"
    );
    let shown = vault_in(&v, &dir, &["allow", "--yes"]);
    shown.ok();
    assert!(
        shown.stderr.contains("OPENAI_API_KEY")
            && shown.stderr.contains("vault://openai")
            && shown.stderr.contains("PORT")
            && shown.stderr.contains("\"3000\""),
        "references and plain values are shown in full: {}",
        shown.stderr
    );
    assert!(!shown.stderr.contains("allow-var"), "{}", shown.stderr);
    let (run, started) = run_in(&v, &dir, &[], &["OPENAI_API_KEY", "PORT"]);
    assert!(started, "{}", run.stderr);
    assert_eq!(run.stdout, format!("OPENAI_API_KEY={KEY}\nPORT=3000\n"));
    let again = vault_in(&v, &dir, &["allow", "--yes"]);
    assert!(again.ok().is_empty() && again.stderr.contains("already allowed as it is"));

    // A change (a new reference slipped in by a pull) needs allowing again.
    std::fs::write(
        proj.join(".vault.env"),
        "OPENAI_API_KEY=vault://openai\nPORT=3000\nEXFIL=vault://openai\n",
    )
    .unwrap();
    let (run, started) = run_in(&v, &dir, &[], &["EXFIL"]);
    assert_eq!(run.code, Some(125));
    assert!(!started && run.stderr.contains("changed since you allowed it"));
    let review = vault_in(&v, &dir, &["allow", "--yes"]);
    review.ok();
    assert!(
        review.stderr.contains("changed since you allowed it") && review.stderr.contains("EXFIL"),
        "{}",
        review.stderr
    );
    assert!(run_in(&v, &dir, &[], &[]).1);

    // `vault deny` forgets it; the record lives in the vault, not beside the file.
    vault_in(&v, &dir, &["deny"]).ok();
    let (run, started) = run_in(&v, &dir, &[], &[]);
    assert!(!started && run.stderr.contains("is not allowed"));
    assert_eq!(vault_in(&v, &dir, &["deny"]).code, Some(4));

    // An explicit --env-file needs no allow (scripts and CI).
    let (run, started) = run_in(
        &v,
        &dir,
        &["--env-file", proj.join(".vault.env").to_str().unwrap()],
        &["OPENAI_API_KEY"],
    );
    assert!(started, "{}", run.stderr);
    assert_eq!(run.stdout, format!("OPENAI_API_KEY={KEY}\n"));
    // The audit log says who allowed and denied what.
    let log = v.run(&["log"]).ok().to_owned();
    assert!(log.contains("allowed project file") && log.contains("denied project file"));
}

#[test]
fn a_project_file_others_could_write_is_never_read() {
    let (v, proj) = project("OPENAI_API_KEY=vault://openai\nLD_PRELOAD=/tmp/evil.so\n");
    let file = proj.join(".vault.env");
    for (mode, who) in [(0o666, "every user"), (0o620, "its group")] {
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
        let (run, started) = run_in(&v, &proj, &[], &[]);
        assert_eq!(run.code, Some(125), "{}", run.stderr);
        assert!(!started);
        assert!(
            run.stderr.contains(&file.display().to_string()) && run.stderr.contains(who),
            "the file and the reason are named: {}",
            run.stderr
        );
        // `vault allow` cannot bless it either.
        assert_eq!(vault_in(&v, &proj, &["allow", "--yes"]).code, Some(1));
    }
    // --item says what to inject: the refused file is left out, with a warning.
    let (run, started) = run_in(
        &v,
        &proj,
        &["--item", "openai"],
        &["OPENAI_API_KEY", "LD_PRELOAD"],
    );
    assert!(started, "{}", run.stderr);
    assert_eq!(run.stdout, format!("OPENAI_API_KEY={KEY}\nLD_PRELOAD=\n"));
    assert!(run.stderr.contains("warning") && run.stderr.contains("was not read"));

    // A directory others can write to is as bad as the file.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&proj, std::fs::Permissions::from_mode(0o777)).unwrap();
    let (run, started) = run_in(&v, &proj.join("sub"), &[], &[]);
    assert!(
        !started && run.stderr.contains("can write to"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_search_stops_where_another_users_directory_begins() {
    // Another user's shared folder (like /tmp) holding a project file with a loader hook.
    let (v, shared) = project("LD_PRELOAD=/tmp/evil.so\nOPENAI_API_KEY=vault://openai\n");
    let mine = shared.join("sub");
    if std::os::unix::fs::chown(&shared, Some(65534), Some(65534)).is_err() {
        eprintln!("skipped: giving a folder to another user needs root (CI runs as root)");
        return;
    }
    std::os::unix::fs::chown(shared.join(".vault.env"), Some(65534), Some(65534)).unwrap();
    let (run, started) = run_in(&v, &mine, &[], &["LD_PRELOAD"]);
    assert!(started, "{}", run.stderr);
    assert_eq!(run.stdout, "LD_PRELOAD=\n", "their file was not read");
    assert!(run.stderr.contains("no .vault.env found"), "{}", run.stderr);
    // Their file named by path is refused for its owner, even by `vault allow`.
    let allow = vault_in(&v, &mine, &["allow", "--yes", "../.vault.env"]);
    assert_eq!(allow.code, Some(1));
    assert!(
        allow.stderr.contains("owned by another user"),
        "{}",
        allow.stderr
    );
}

#[test]
fn code_loading_variables_need_allowing_by_name() {
    let (v, proj) = project("OPENAI_API_KEY=vault://openai\nNODE_OPTIONS=--require ./hook.js\n");
    let shown = vault_in(&v, &proj, &["allow", "--yes"]);
    shown.ok();
    assert!(
        shown.stderr.contains("--require ./hook.js")
            && shown.stderr.contains("refused unless --allow-var"),
        "a hook's value is shown, flagged: {}",
        shown.stderr
    );
    let (run, started) = run_in(&v, &proj, &[], &[]);
    assert_eq!(run.code, Some(125));
    assert!(!started);
    assert!(
        run.stderr.contains("NODE_OPTIONS") && run.stderr.contains("--allow-var"),
        "{}",
        run.stderr
    );
    // Allowed on this run only ...
    let (run, started) = run_in(
        &v,
        &proj,
        &["--allow-var", "NODE_OPTIONS", "-v"],
        &["NODE_OPTIONS"],
    );
    assert!(started, "{}", run.stderr);
    assert_eq!(run.stdout, "NODE_OPTIONS=--require ./hook.js\n");
    // ... and `-v` says which file was read and where each variable came from.
    assert!(
        run.stderr
            .contains(&format!("read {}", proj.join(".vault.env").display()))
            && run.stderr.contains("OPENAI_API_KEY from .vault.env:1")
            && run.stderr.contains("NODE_OPTIONS from .vault.env:2"),
        "{}",
        run.stderr
    );
    assert!(!run_in(&v, &proj, &[], &[]).1, "only on that run");
    // ... or recorded with the allowance.
    let bad = vault_in(&v, &proj, &["allow", "--yes", "--allow-var", "PATH"]);
    assert_eq!(bad.code, Some(1), "the file does not set PATH: {bad:?}");
    vault_in(
        &v,
        &proj,
        &["allow", "--yes", "--allow-var", "NODE_OPTIONS"],
    )
    .ok();
    assert!(run_in(&v, &proj, &[], &[]).1);
}

/// A project file allowed to set PATH (and to override the user's, `--override`) gets its
/// command looked up along that PATH, as `env PATH=... COMMAND` would, not along the user's.
#[test]
fn a_command_is_found_along_the_path_the_project_gives_it() {
    let (v, proj) = project("");
    let tool = |dir: &Path, says: &str| {
        std::fs::create_dir(dir).unwrap();
        let path = dir.join("project-tool");
        std::fs::write(
            &path,
            format!("#!/bin/sh\necho \"{says}: $OPENAI_API_KEY\"\n"),
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    let (users, projects) = (v.dir.path().join("user-bin"), proj.join("bin"));
    tool(&users, "the user's");
    tool(&projects, "the project's");
    std::fs::write(
        proj.join(".vault.env"),
        format!(
            "OPENAI_API_KEY=vault://openai\nPATH={}:/usr/bin:/bin\n",
            projects.display()
        ),
    )
    .unwrap();
    vault_in(&v, &proj, &["allow", "--yes", "--allow-var", "PATH"]).ok();
    let user_path = format!("{}:{}", users.display(), std::env::var("PATH").unwrap());
    let out = v
        .cmd()
        .current_dir(&proj)
        .env("PATH", &user_path)
        .args(["run", "--no-mask", "--override", "--", "project-tool"])
        .output()
        .unwrap();
    let run = Run::from_output(out);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, format!("the project's: {KEY}\n"));
}

/// A cloned repository whose `.vault.env` is a symbolic link to a file the user allowed for
/// another project (directly, or through a hop in a directory the repository's author controls
/// and can re-point at will) gets none of that project's secrets: a project file that is a link
/// is refused, and the message names the file it points to.
#[test]
fn a_symlinked_project_file_borrows_no_allowance() {
    let (v, proj) = project("OPENAI_API_KEY=vault://openai\n");
    vault_in(&v, &proj, &["allow", "--yes"]).ok();
    assert!(run_in(&v, &proj, &[], &[]).1, "the real project runs");
    let allowed = proj.join(".vault.env");
    let repo = v.dir.path().join("cloned");
    std::fs::create_dir(&repo).unwrap();
    let hop_dir = v.dir.path().join("theirs");
    std::fs::create_dir(&hop_dir).unwrap();
    std::os::unix::fs::symlink(&allowed, hop_dir.join("hop")).unwrap();
    // As root, the hop's directory belongs to another user, as in the review's reproduction.
    let _ = std::os::unix::fs::chown(&hop_dir, Some(65534), Some(65534));
    for (target, case) in [(allowed.clone(), "direct"), (hop_dir.join("hop"), "hop")] {
        let link = repo.join(".vault.env");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let (run, started) = run_in(&v, &repo, &[], &["OPENAI_API_KEY"]);
        assert_eq!(run.code, Some(125), "{case}: {}", run.stderr);
        assert!(
            !started,
            "{case}: the command started with a borrowed allowance"
        );
        assert!(
            run.stderr.contains("symbolic link")
                && run.stderr.contains(&allowed.display().to_string()),
            "{case}: the link and the real file are named: {}",
            run.stderr
        );
        let allow = vault_in(&v, &repo, &["allow", "--yes"]);
        assert_eq!(allow.code, Some(1), "{case}: {}", allow.stderr);
        assert!(allow.stderr.contains("symbolic link"), "{}", allow.stderr);
    }
}

/// What the second review got past the old list of names after `vault allow --yes`: each makes
/// a program load code, read a file the project chose, or see every request. Classed by what
/// the variable does (its name's family or ending, or a plain value that is a path or command),
/// each needs `--allow-var`; `vault allow` shows every value and marks each one; data variables
/// pass as before.
#[test]
fn variables_are_classed_by_what_they_do() {
    let risky = [
        ("PYTHONUSERBASE", "./pyuser"),
        ("XDG_CONFIG_HOME", "./cfg"),
        ("http_proxy", "http://127.0.0.1:9"),
        ("GCONV_PATH", "./gconv"),
        ("HOSTALIASES", "./hosts"),
        ("npm_config_script_shell", "./sh"),
        ("RUSTC_WRAPPER", "./wrap"),
        ("DOTNET_STARTUP_HOOKS", "./hook.dll"),
        ("MYTOOL_PLUGIN_DIR", "plugins"),
        ("WEBHOOK_TARGET", "$(id)"),
    ];
    let mut file = String::from("OPENAI_API_KEY=vault://openai\nPORT=3000\nNODE_ENV=dev\n");
    for (name, value) in risky {
        file.push_str(&format!("{name}={value}\n"));
    }
    let (v, proj) = project(&file);
    let shown = vault_in(&v, &proj, &["allow", "--yes"]);
    shown.ok();
    for (name, value) in risky {
        let line = shown
            .stderr
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("{name} not shown: {}", shown.stderr));
        assert!(
            line.contains(value) && line.contains("refused unless --allow-var"),
            "{line}"
        );
    }
    let (run, started) = run_in(&v, &proj, &[], &[]);
    assert_eq!(run.code, Some(125), "{}", run.stderr);
    assert!(!started);
    for (name, _) in risky {
        assert!(run.stderr.contains(name), "{name}: {}", run.stderr);
    }
    let mut args = Vec::new();
    for (name, _) in risky {
        args.extend(["--allow-var", name]);
    }
    let (run, started) = run_in(&v, &proj, &args, &["PORT", "NODE_ENV"]);
    assert!(started, "{}", run.stderr);
    assert_eq!(run.stdout, "PORT=3000\nNODE_ENV=dev\n");
}

/// A repository's `.env` imported into the vault: items named like code-loading variables are
/// said out loud, `--profile` refuses to inject them without `--allow-var`, `--item` warns; and
/// an `--env-file` that sets one is used as it is, with a warning.
#[test]
fn code_loading_names_from_imports_profiles_and_env_files_are_never_silent() {
    let v = TestVault::new();
    let env = v.dir.path().join("repo.env");
    std::fs::write(&env, "LD_PRELOAD=/tmp/evil.so\nSTRIPE_KEY=sk_test_x\n").unwrap();
    let import = v.run(&["import", env.to_str().unwrap(), "--tag", "repo"]);
    import.ok();
    assert!(
        import.stderr.contains("Note:") && import.stderr.contains("LD_PRELOAD"),
        "{}",
        import.stderr
    );
    let dir = v.dir.path();
    let (run, started) = run_in(&v, dir, &["--profile", "repo"], &["LD_PRELOAD"]);
    assert_eq!(run.code, Some(125), "{}", run.stderr);
    assert!(!started && run.stderr.contains("LD_PRELOAD") && run.stderr.contains("--allow-var"));
    let (run, started) = run_in(
        &v,
        dir,
        &["--profile", "repo", "--allow-var", "LD_PRELOAD"],
        &["STRIPE_KEY"],
    );
    assert!(started, "{}", run.stderr);
    let item = v
        .run(&["ls", "--json"])
        .ok()
        .split('"')
        .find(|s| s.to_ascii_lowercase().contains("ld_preload"))
        .unwrap()
        .to_owned();
    let (run, started) = run_in(&v, dir, &["--item", &item], &[]);
    assert!(started, "{}", run.stderr);
    assert!(run.stderr.contains("warning") && run.stderr.contains("LD_PRELOAD"));

    let file = v.dir.path().join("explicit.env");
    std::fs::write(&file, "LD_PRELOAD=/nonexistent.so\n").unwrap();
    let (run, started) = run_in(&v, dir, &["--env-file", file.to_str().unwrap()], &[]);
    assert!(started, "{}", run.stderr);
    assert!(
        run.stderr.contains("warning") && run.stderr.contains("LD_PRELOAD"),
        "{}",
        run.stderr
    );
}

/// `vault allow` tells the truth at allow time: a missing file is missing (not "could have been
/// written by another user"), and a file that sets a variable needing `--allow-var` is allowed
/// with a line saying the next run would still refuse it, and how to allow it.
#[test]
fn allow_says_what_is_missing_and_what_a_run_would_still_refuse() {
    let (v, proj) = project("OPENAI_API_KEY=vault://openai\nNODE_OPTIONS=--require ./hook.js\n");
    let missing = vault_in(&v, &proj, &["allow", "--yes", "nope.env"]);
    assert_eq!(missing.code, Some(4), "{}", missing.stderr);
    assert!(
        missing.stderr.contains("no such file") && !missing.stderr.contains("another user"),
        "{}",
        missing.stderr
    );
    let allowed = vault_in(&v, &proj, &["allow", "--yes"]);
    allowed.ok();
    assert!(
        allowed.stderr.contains("still refuses")
            && allowed
                .stderr
                .contains("vault allow --allow-var NODE_OPTIONS"),
        "{}",
        allowed.stderr
    );
    // A group-writable file: the reason, then what to do, in that order.
    let file = proj.join(".vault.env");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o664)).unwrap();
    let (run, _) = run_in(&v, &proj, &[], &[]);
    assert!(
        run.stderr.contains("was not read: it is writable by its group (mode 664), so another user could have written it; `chmod go-w` it"),
        "{}",
        run.stderr
    );
}
