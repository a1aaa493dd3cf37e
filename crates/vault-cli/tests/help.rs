//! Every `--help` page as a newcomer reads it: each option says what it does, each command has
//! an example, and every example line is a command line `vault` accepts when pasted (a
//! comment after `#`, never bare words a shell would pass as arguments).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use clap::{CommandFactory, Parser};
use vault_cli::cli::Cli;

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
