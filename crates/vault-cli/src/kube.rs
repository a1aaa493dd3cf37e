//! kubectl asks vault for a token: `vault kube token GRANT` is a client-go exec credential
//! plugin (an `ExecCredential` with the grant's access token and its expiry on stdout), so a
//! cluster that signs in with OIDC uses the grant `vault login` made, refreshed by the agent
//! first when it runs out within a minute. `vault setup kube` writes the user entry and points
//! the context at it (`vault_agent::kube_config`).

use std::io::Write;
use std::process::Command;

use anyhow::Result;
use serde::Serialize;
use vault_agent::kube_config::{self, ApiVersion, Plugin, Undone};
use vault_agent::protocol::{Op, Response};
use vault_core::ItemMeta;

use crate::exit::{self, fail, unexpected};
use crate::session::Session;

/// The API version answered when kubectl does not say which it wants.
const API_VERSION: &str = "client.authentication.k8s.io/v1";
/// A token handed out is good for at least this long (kubectl caches it until it expires).
const MIN_VALID_SECS: u64 = 60;

/// What the plugin prints. No `Debug`: it holds the token.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExecCredential<'a> {
    api_version: String,
    kind: &'static str,
    status: Status<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Status<'a> {
    token: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration_timestamp: Option<String>,
}

/// The API version kubectl asked for in `KUBERNETES_EXEC_INFO`, else v1.
fn api_version() -> String {
    std::env::var("KUBERNETES_EXEC_INFO")
        .ok()
        .and_then(|info| serde_json::from_str::<serde_json::Value>(&info).ok())
        .and_then(|v| v.get("apiVersion")?.as_str().map(str::to_owned))
        .filter(|v| v.starts_with("client.authentication.k8s.io/"))
        .unwrap_or_else(|| API_VERSION.to_owned())
}

/// `vault kube token GRANT`: from the running agent only; a locked vault exits non-zero with
/// one line kubectl shows, never a prompt.
pub fn token(session: &mut Session, grant: &str) -> Result<()> {
    let response = crate::git::ask(
        session,
        Op::Token {
            name: grant.to_owned(),
            min_valid_secs: MIN_VALID_SECS,
        },
    )
    .map_err(|e| match e.downcast_ref::<exit::Failure>() {
        Some(f) if f.code == exit::LOCKED => exit::Failure::new(
            exit::LOCKED,
            "the vault is locked: run `vault unlock`, then kubectl again",
        )
        .into(),
        _ => e,
    })?;
    let (item, value) = match response {
        Response::Token { item, value, .. } => (item, value.into_inner()),
        other => return Err(unexpected(other)),
    };
    // Only a grant has a token (`Op::Token`); its expiry is the access token's.
    let expires = item.meta.as_grant().and_then(|g| g.expires);
    let out = ExecCredential {
        api_version: api_version(),
        kind: "ExecCredential",
        status: Status {
            token: value.expose(),
            // RFC 3339 in whole seconds, as Kubernetes writes its times.
            expiration_timestamp: expires.map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()),
        },
    };
    let json = zeroize::Zeroizing::new(serde_json::to_vec(&out)?);
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&json)?;
    stdout.write_all(b"\n")?;
    stdout.flush()?;
    Ok(())
}

/// Which `client.authentication.k8s.io` version the plugin entry declares: v1 where the
/// kubectl on PATH reads it (1.22 and later), v1beta1 for an older one (Debian 12 has 1.20).
fn api_version_for_kubectl() -> ApiVersion {
    let minor = Command::new("kubectl")
        .args(["version", "--client", "-o", "json"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .and_then(|out| serde_json::from_slice::<serde_json::Value>(&out.stdout).ok())
        .and_then(|v| {
            let minor = v["clientVersion"]["minor"].as_str()?;
            minor
                .trim_end_matches(|c: char| !c.is_ascii_digit())
                .parse::<u32>()
                .ok()
        });
    match minor {
        Some(m) if m < 22 => ApiVersion::V1Beta1,
        // A newer kubectl, or none yet: v1, which every kubectl of the last years reads.
        _ => ApiVersion::V1,
    }
}

/// `vault setup kube --context C --grant G [--undo]`.
pub fn setup(
    session: &mut Session,
    context: Option<&str>,
    grant: Option<&str>,
    undo: bool,
) -> Result<()> {
    let files = kube_config::files()?;
    let current;
    let context = match context {
        Some(c) => c,
        None => {
            current = kube_config::current_context(&files)?;
            match &current {
                Some(c) => c.as_str(),
                None => {
                    return fail(
                        exit::OTHER,
                        "kubectl has no current context: name one with --context \
                         (`kubectl config get-contexts` lists them)",
                    );
                }
            }
        }
    };
    if undo {
        match kube_config::uninstall(&files, context)? {
            Undone::NotVaults { user } => eprintln!(
                "The context {context} does not get its token from vault (its user is {}): nothing to undo.",
                user.as_deref().unwrap_or("not set")
            ),
            Undone::Removed {
                file,
                user,
                restored,
                comments_dropped,
            } => {
                match restored {
                    Some(previous) => eprintln!(
                        "The context {context} uses the user {previous} again (in {}).",
                        file.display()
                    ),
                    None => eprintln!(
                        "The context {context} has no user now (in {}): give it one with \
                         `kubectl config set-context {context} --user=NAME`.",
                        file.display()
                    ),
                }
                eprintln!("vault's user {user} is taken off it.");
                comments_note(&file, comments_dropped);
            }
        }
        return Ok(());
    }
    let Some(grant) = grant else {
        return fail(
            exit::OTHER,
            "name the grant with --grant (`vault grants` lists them)",
        );
    };
    // The grant must exist (a typo would only show at kubectl's next request).
    let item = match session.op(Op::Describe {
        name: grant.to_owned(),
    })? {
        Response::Item { item } => item,
        other => return Err(unexpected(other)),
    };
    if !matches!(item.meta, ItemMeta::Grant(_)) {
        return fail(
            exit::OTHER,
            format!(
                "{grant} is an API key, not an OAuth grant: kubectl needs a grant, which \
                 `vault login PROVIDER` makes"
            ),
        );
    }
    let grant = item.meta.name().to_owned();
    let mut args = Vec::new();
    if let Some(v) = crate::aws::pinned_vault(session) {
        args.push("--vault".to_owned());
        args.push(v.display().to_string());
    }
    args.extend(["kube".to_owned(), "token".to_owned(), grant.clone()]);
    let plugin = Plugin {
        command: crate::git::program()?.display().to_string(),
        args,
        api_version: api_version_for_kubectl(),
    };
    let done = kube_config::install(&files, context, &grant, &plugin)?;
    let line = format!("{} {}", plugin.command, plugin.args.join(" "));
    if done.already {
        eprintln!(
            "Already set up: the context {context} runs `{line}` (user {}).",
            done.user
        );
    } else {
        eprintln!(
            "Set in {}:\n  user {}: runs `{line}` ({})\n  context {context}: uses the user {}",
            done.file.display(),
            done.user,
            plugin.api_version.as_str(),
            done.user
        );
        if let Some(previous) = &done.previous {
            eprintln!(
                "The user {previous} stays in the file; `--undo` gives it back to the context."
            );
        }
        comments_note(&done.file, done.comments_dropped);
    }
    eprintln!(
        "Try it: kubectl --context {context} get namespaces   (undo: vault setup kube --context {context} --undo)"
    );
    Ok(())
}

fn comments_note(file: &std::path::Path, dropped: bool) {
    if dropped {
        eprintln!(
            "note: the comments of {} are not kept (kubectl drops them too when it writes the file).",
            file.display()
        );
    }
}
