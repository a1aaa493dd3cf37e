//! Every `--help` page as a newcomer reads it: each option says what it does, each command has
//! an example, and every example line is a command line `vault` accepts when pasted (a
//! comment after `#`, never bare words a shell would pass as arguments). And what the program
//! prints, recorded: every `--help` page (`tests/cmd/help/`) and every exit code of the README's
//! table that a command line alone can produce (`tests/cmd/exit-codes.md`), run through the
//! real binaries by trycmd, so a change of wording is a reviewed diff
//! (`TRYCMD=overwrite cargo test -p vault-cli --test help` records it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use clap::{CommandFactory, Parser};
use vault_cli::cli::Cli;

/// The recorded cases, run by the real `vault` (and the `vault-full` beside it) with a terminal
/// width of 100 columns and no colour, so the pages are the same on every machine.
fn cases() -> trycmd::TestCases {
    let cases = trycmd::TestCases::new();
    cases
        .register_bin("vault", Path::new(env!("CARGO_BIN_EXE_vault")))
        .env("COLUMNS", "100")
        .env("NO_COLOR", "1")
        .env("TZ", "UTC")
        .env("VAULT_PATH", "");
    cases
}

/// Every command and subcommand, with the words that reach it (`["oauth", "add"]`).
fn commands() -> Vec<(Vec<String>, clap::Command)> {
    fn walk(cmd: &clap::Command, path: &[String], out: &mut Vec<(Vec<String>, clap::Command)>) {
        for sub in cmd.get_subcommands() {
            if sub.get_name() == "help" || sub.is_hide_set() {
                continue;
            }
            let mut p = path.to_vec();
            p.push(sub.get_name().to_owned());
            out.push((p.clone(), sub.clone()));
            walk(sub, &p, out);
        }
    }
    let mut root = Cli::command();
    root.build();
    let mut out = vec![(Vec::new(), root.clone())];
    walk(&root, &[], &mut out);
    out
}

/// The command lines in a help text's examples: each line that starts with `vault`, or holds a
/// `$(vault ...)`, cut where the shell would stop passing arguments to it.
fn example_lines(text: &str) -> Vec<Vec<String>> {
    let mut lines = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let mut candidates = Vec::new();
        if line.starts_with("vault ") {
            candidates.push(line.to_owned());
        }
        let mut rest = line;
        while let Some(at) = rest.find("$(vault ") {
            let inner = &rest[at + 2..];
            let end = inner.find(')').unwrap_or(inner.len());
            candidates.push(inner[..end].to_owned());
            rest = &inner[end..];
        }
        for candidate in candidates {
            let words = shlex::split(&candidate)
                .unwrap_or_else(|| panic!("example does not parse as shell words: {line}"));
            // `a && vault b`, `x | vault y`: each command of a list or pipeline on its own.
            for segment in words.split(|w| matches!(w.as_str(), "|" | "||" | "&&" | ";" | "&")) {
                if segment.first().map(String::as_str) != Some("vault") {
                    continue;
                }
                let args = segment.iter().take_while(|w| {
                    !w.starts_with('>')
                        && !w.starts_with('<')
                        && !(w.len() > 1
                            && w.as_bytes()[0].is_ascii_digit()
                            && (w.contains('<') || w.contains('>')))
                });
                lines.push(args.cloned().collect());
            }
        }
    }
    lines
}

#[test]
fn every_option_and_argument_says_what_it_does() {
    let mut missing = Vec::new();
    for (path, cmd) in commands() {
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if arg.is_hide_set() || id == "help" || id == "version" {
                continue;
            }
            let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
            if help.trim().is_empty() {
                missing.push(format!("vault {} {id}", path.join(" ")));
            }
        }
        if cmd.get_about().is_none() && !path.is_empty() {
            missing.push(format!("vault {} (no description)", path.join(" ")));
        }
    }
    assert!(missing.is_empty(), "options without help: {missing:#?}");
}

#[test]
fn every_command_has_an_example_that_parses_when_pasted() {
    let mut problems = Vec::new();
    for (path, cmd) in commands() {
        if cmd.has_subcommands() && !path.is_empty() {
            continue; // `vault oauth`, `vault config`: their subcommands carry the examples.
        }
        let text = cmd
            .get_after_help()
            .map(ToString::to_string)
            .unwrap_or_default();
        let examples = example_lines(&text);
        let own: Vec<_> = examples
            .iter()
            .filter(|words| path.iter().all(|p| words.contains(p)))
            .collect();
        if !path.is_empty() && own.is_empty() {
            problems.push(format!("vault {}: no example of itself", path.join(" ")));
        }
        for words in &examples {
            if let Err(e) = Cli::try_parse_from(words) {
                problems.push(format!(
                    "vault {}: example `{}` is refused: {}",
                    path.join(" "),
                    words.join(" "),
                    e.kind()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn global_options_are_grouped_under_their_own_heading() {
    let mut cmd = Cli::command();
    cmd.build(); // global options reach the subcommands here
    let help = cmd
        .find_subcommand_mut("add")
        .expect("vault add exists")
        .render_help()
        .to_string();
    let heading = help
        .find("Global options:")
        .expect("a Global options heading");
    let own = help.find("--tag").expect("add's own --tag");
    let global = help
        .find("--password-stdin")
        .expect("the global --password-stdin");
    assert!(own < heading && heading < global, "{help}");
}

#[test]
fn json_is_spelled_one_way_on_every_read_command() {
    for line in [
        "vault env --json",
        "vault export --json --yes",
        "vault config get lock-after --json",
        "vault token github --json",
        "vault get openai --json",
        "vault ls --json",
        "vault history openai --json",
        "vault due --json",
        "vault status --json",
        "vault log --json",
        "vault grants --json",
        "vault oauth ls --json",
        "vault config list --json",
        "vault import .env --dry-run --json",
    ] {
        let words: Vec<&str> = line.split(' ').collect();
        assert!(Cli::try_parse_from(&words).is_ok(), "{line} is refused");
    }
}

#[test]
fn help_pages_are_as_recorded() {
    cases().case("tests/cmd/help/*.md").run();
}

#[test]
fn every_command_has_a_recorded_help_page() {
    let mut recorded = String::new();
    for entry in std::fs::read_dir("tests/cmd/help").unwrap() {
        recorded += &std::fs::read_to_string(entry.unwrap().path()).unwrap();
    }
    let missing: Vec<String> = commands()
        .into_iter()
        .map(|(path, _)| {
            let mut line = vec!["$ vault"];
            line.extend(path.iter().map(String::as_str));
            line.push("--help");
            line.join(" ")
        })
        .filter(|line| !recorded.lines().any(|l| l == line))
        .collect();
    assert!(
        missing.is_empty(),
        "not recorded in tests/cmd/help: {missing:#?}"
    );
}

/// Stops the agent the exit-code session started, even when a case failed half-way.
struct StopAgent<'a>(&'a Path);

impl Drop for StopAgent<'_> {
    fn drop(&mut self) {
        let _ = std::process::Command::new(env!("CARGO_BIN_EXE_vault"))
            .args(["agent", "--stop"])
            .env("HOME", self.0)
            .env("XDG_RUNTIME_DIR", self.0.join("run"))
            .env("XDG_DATA_HOME", self.0.join("data"))
            .output();
    }
}

#[test]
fn exit_codes_are_as_recorded() {
    let home = tempfile::tempdir().unwrap();
    let runtime = home.path().join("run");
    std::fs::create_dir(&runtime).unwrap();
    std::fs::set_permissions(
        &runtime,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    let _stop = StopAgent(home.path());
    let path = |p: &Path| p.to_str().expect("a UTF-8 temp dir").to_owned();
    cases()
        .env("HOME", path(home.path()))
        .env("XDG_RUNTIME_DIR", path(&runtime))
        .env("XDG_DATA_HOME", path(&home.path().join("data")))
        .env("VAULT_PATH", "vault.db")
        .case("tests/cmd/exit-codes.md")
        .run();
}
