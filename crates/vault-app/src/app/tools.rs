//! What the settings screen shows of other tools asking vault: whether git's credential
//! helpers include vault, and the button that adds or removes it, as `vault setup git
//! [--undo]` does.

use vault_agent::git_config::{self, GitHelpers};

use super::App;
use crate::error::{AppError, AppErrorCode, AppResult};
use crate::host::Host;
use crate::views::VaultSource;

fn git_error(e: git_config::GitConfigError) -> AppError {
    AppError::app(AppErrorCode::Unexpected, e.to_string())
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
}
