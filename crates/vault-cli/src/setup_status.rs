//! `vault setup status`: which tools ask vault for their credentials (git, the pre-commit
//! hook, Docker, the AWS CLI and SDKs, kubectl), read from each tool's own files as the
//! desktop app's Settings does, and what is still in plain in those files. Reads only.

use anyhow::Result;
use serde::Serialize;
use vault_agent::aws_config::{self, AwsFiles};
use vault_agent::{docker_config, git_config, kube_config};

use crate::output;

/// One tool set up to ask vault, or not.
#[derive(Debug, Serialize)]
struct Row {
    tool: &'static str,
    /// What asks vault (`None`: nothing yet).
    asks: Option<String>,
    /// The file or setting that says so.
    r#where: String,
    /// The command that sets it up, when nothing does.
    #[serde(skip_serializing_if = "Option::is_none")]
    set_up_with: Option<String>,
}

#[derive(Debug, Default, Serialize)]
struct Report {
    tools: Vec<Row>,
    /// What still bypasses vault or sits in plain in a tool's file, with the way out.
    warnings: Vec<String>,
}

fn git(report: &mut Report) {
    match git_config::helpers() {
        Ok(h) => {
            report.tools.push(Row {
                tool: "git",
                asks: h.ours.as_ref().map(|_| "credential helper (HTTPS)".into()),
                r#where: "git config --global credential.helper".into(),
                set_up_with: h.ours.is_none().then(|| "vault setup git".into()),
            });
            if h.ours.is_some() && !h.before.is_empty() {
                report.warnings.push(format!(
                    "git asks {} before vault: a credential held there wins",
                    h.before.join(", ")
                ));
            }
        }
        Err(e) => report.warnings.push(format!("git: {e}")),
    }
    if let Some((hook, ours)) = crate::git::hook_status() {
        report.tools.push(Row {
            tool: "pre-commit",
            asks: ours.then(|| "`vault scan --staged` before each commit".into()),
            r#where: hook.display().to_string(),
            set_up_with: (!ours).then(|| "vault setup pre-commit".into()),
        });
    }
}

fn docker(report: &mut Report) {
    let setup = docker_config::config_path().and_then(|path| {
        let status = docker_config::status(&path)?;
        Ok((path, status))
    });
    let (path, status) = match setup {
        Ok(found) => found,
        Err(e) => {
            report.warnings.push(format!("docker: {e}"));
            return;
        }
    };
    let r#where = path.display().to_string();
    if status.every_registry {
        report.tools.push(Row {
            tool: "docker",
            asks: Some("every registry (credsStore)".into()),
            r#where: r#where.clone(),
            set_up_with: None,
        });
    }
    for registry in &status.registries {
        report.tools.push(Row {
            tool: "docker",
            asks: Some(format!("{registry} (credHelpers)")),
            r#where: r#where.clone(),
            set_up_with: None,
        });
    }
    if !status.every_registry && status.registries.is_empty() {
        report.tools.push(Row {
            tool: "docker",
            asks: None,
            r#where,
            set_up_with: Some("vault setup docker".into()),
        });
    }
    for registry in &status.plaintext {
        report.warnings.push(format!(
            "docker: the login to {registry} is still in {} (base64, not encrypted): \
             `docker logout {registry}`, then `docker login {registry}` stores it in vault",
            path.display()
        ));
    }
}

fn aws(report: &mut Report) {
    let found = AwsFiles::locate().and_then(|files| {
        let profiles = aws_config::profiles(&files)?;
        let plain = aws_config::plain_profiles(&files, &profiles)?;
        Ok((files, profiles, plain))
    });
    let (files, profiles, plain) = match found {
        Ok(found) => found,
        Err(e) => {
            report.warnings.push(format!("aws: {e}"));
            return;
        }
    };
    let r#where = files.config.display().to_string();
    for p in &profiles {
        // The line ends with the item's name (`vault [--vault V] aws NAME`).
        let item = p.process.split_whitespace().last().unwrap_or_default();
        report.tools.push(Row {
            tool: "aws",
            asks: Some(format!("profile {} (item {item})", p.profile)),
            r#where: r#where.clone(),
            set_up_with: None,
        });
        if p.shadowed {
            report.warnings.push(format!(
                "aws: {} still holds keys for profile {}, and they win over vault's in every \
                 SDK: `vault setup aws --migrate` moves them into vault",
                files.credentials.display(),
                p.profile
            ));
        }
    }
    if !plain.is_empty() {
        report.warnings.push(format!(
            "aws: {} holds the keys of {} {} in plain text: `vault setup aws --migrate` moves \
             them into vault",
            files.credentials.display(),
            if plain.len() == 1 {
                "profile"
            } else {
                "profiles"
            },
            plain.join(", ")
        ));
    }
    if profiles.is_empty() {
        report.tools.push(Row {
            tool: "aws",
            asks: None,
            r#where,
            set_up_with: Some(if plain.is_empty() {
                "vault setup aws NAME".into()
            } else {
                "vault setup aws --migrate".into()
            }),
        });
    }
}

fn kube(report: &mut Report) {
    let found = kube_config::files().and_then(|files| {
        let contexts = kube_config::status(&files)?;
        Ok((files, contexts))
    });
    let (files, contexts) = match found {
        Ok(found) => found,
        Err(e) => {
            report.warnings.push(format!("kubectl: {e}"));
            return;
        }
    };
    for c in &contexts {
        report.tools.push(Row {
            tool: "kubectl",
            asks: Some(format!("context {} (grant {})", c.context, c.grant)),
            r#where: c.file.clone(),
            set_up_with: None,
        });
    }
    if contexts.is_empty() {
        report.tools.push(Row {
            tool: "kubectl",
            asks: None,
            r#where: files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(":"),
            set_up_with: Some("vault setup kube --grant GRANT".into()),
        });
    }
}

/// `vault setup status [--json]`.
pub fn status(json: bool) -> Result<()> {
    let mut report = Report::default();
    git(&mut report);
    docker(&mut report);
    aws(&mut report);
    kube(&mut report);
    if json {
        return output::json(&report);
    }
    let rows: Vec<Vec<String>> = report
        .tools
        .iter()
        .map(|r| {
            let asks = match (&r.asks, &r.set_up_with) {
                (Some(what), _) => what.clone(),
                (None, Some(how)) => format!("no: `{how}`"),
                (None, None) => "no".into(),
            };
            vec![r.tool.to_owned(), asks, r.r#where.clone()]
        })
        .collect();
    print!("{}", output::table(&["TOOL", "ASKS VAULT", "WHERE"], &rows));
    for w in &report.warnings {
        println!("warning: {w}");
    }
    Ok(())
}
