//! What the settings screen shows of other tools asking vault: whether git's credential
//! helpers include vault, and the button that adds or removes it, as `vault setup git
//! [--undo]` does; which AWS profiles, Docker registries and kubectl contexts ask vault
//! (`vault setup aws`, `vault setup docker`, `vault setup kube`).

use serde::Serialize;
use ts_rs::TS;
use vault_agent::aws_config::{self, AwsFiles, AwsProfile};
use vault_agent::docker_config::{self, DockerSetup};
use vault_agent::git_config::{self, GitHelpers};
use vault_agent::kube_config::{self, KubeContext};

use super::App;
use crate::error::{AppError, AppErrorCode, AppResult};
use crate::host::Host;
use crate::views::VaultSource;

fn git_error(e: git_config::GitConfigError) -> AppError {
    AppError::app(AppErrorCode::Unexpected, e.to_string())
}

fn unexpected(e: impl std::fmt::Display) -> AppError {
    AppError::app(AppErrorCode::Unexpected, e.to_string())
}

/// Which AWS profiles, Docker registries and kubectl contexts ask vault, and where that is
/// written.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ToolSetups {
    /// Profiles whose `credential_process` is vault's.
    pub aws: Vec<AwsProfile>,
    /// Profiles whose keys are still in plain in the credentials file and do not ask vault.
    pub aws_plain: Vec<String>,
    /// The AWS config file read.
    pub aws_config: String,
    /// The AWS credentials file read.
    pub aws_credentials: String,
    pub docker: DockerSetup,
    /// The Docker config file read.
    pub docker_config: String,
    /// kubectl contexts whose token comes from a grant.
    pub kube: Vec<KubeContext>,
    /// The kubeconfig files read (`KUBECONFIG`'s list, else ~/.kube/config).
    pub kube_config: Vec<String>,
}

impl<H: Host> App<H> {
    /// git's credential helpers in the user's global config, and vault's among them.
    pub fn git_helpers(&self) -> AppResult<GitHelpers> {
        git_config::helpers().map_err(git_error)
    }

    /// Adds vault to git's credential helpers (or removes it): the `vault` command the app
    /// uses, with this vault when it is not the default one.
    pub fn set_up_git(&self, undo: bool) -> AppResult<GitHelpers> {
        if undo {
            git_config::uninstall().map_err(git_error)?;
        } else {
            let Some(agent) = &self.inner.config.agent else {
                return Err(AppError::app(
                    AppErrorCode::Unexpected,
                    "git needs the `vault` command to ask, and none was found next to the app or on PATH",
                ));
            };
            let (path, source) = self.vault()?;
            let vault = (source != VaultSource::Default).then_some(path);
            git_config::install(&agent.vault_exe, vault.as_deref()).map_err(git_error)?;
        }
        self.git_helpers()
    }

    /// Which AWS profiles, Docker registries and kubectl contexts ask vault (read from their
    /// config files).
    pub fn tool_setups(&self) -> AppResult<ToolSetups> {
        let aws = AwsFiles::locate().map_err(unexpected)?;
        let docker = docker_config::config_path().map_err(unexpected)?;
        let kube = kube_config::files().map_err(unexpected)?;
        let profiles = aws_config::profiles(&aws).map_err(unexpected)?;
        Ok(ToolSetups {
            aws_plain: aws_config::plain_profiles(&aws, &profiles).map_err(unexpected)?,
            aws: profiles,
            aws_config: aws.config.display().to_string(),
            aws_credentials: aws.credentials.display().to_string(),
            docker: docker_config::status(&docker).map_err(unexpected)?,
            docker_config: docker.display().to_string(),
            kube: kube_config::status(&kube).map_err(unexpected)?,
            kube_config: kube.iter().map(|f| f.display().to_string()).collect(),
        })
    }
}
