//! What the window shows of `vault run --proxy`: where an item's value may be sent, and the
//! running sessions, each of which the user may end. The same operations as `vault edit
//! --host`, `vault oauth edit --host`, `vault proxy ls` and `vault proxy end`.

use vault_agent::grants::Grants;
use vault_agent::protocol::{Op, ProxySessionInfo, Response};
use vault_core::ItemMeta;
use vault_core::model::ProviderMeta;

use super::{App, unexpected};
use crate::error::AppResult;
use crate::host::Host;
use crate::views::ItemHosts;

impl<H: Host> App<H> {
    /// The vault's running `vault run --proxy` sessions, oldest first. Not use: the window
    /// polls it while the view is open, and that must not keep the vault from locking.
    pub fn proxy_sessions(&self) -> AppResult<Vec<ProxySessionInfo>> {
        let vault = self.vault_path()?;
        let request = vault_agent::protocol::Request::Vault {
            vault,
            op: Op::ProxySessions,
        };
        // Not `op`: no touch, so a window left on this page still idles out.
        match self.heard(self.inner.backend.call(request))? {
            Response::ProxySessions { sessions } => Ok(sessions),
            other => Err(unexpected("proxy sessions", &other)),
        }
    }

    /// Ends a session: its program's next request through the proxy is refused.
    pub fn end_proxy_session(&self, id: &str) -> AppResult<()> {
        self.op(Op::ProxyEnd { id: id.to_owned() }).map(|_| ())
    }

    /// Sets where a provider's grants' tokens may be sent; `None`: its preset's API hosts.
    pub fn set_provider_hosts(
        &self,
        name: &str,
        hosts: Option<Vec<String>>,
    ) -> AppResult<ProviderMeta> {
        match self.op(Op::OauthHosts {
            name: name.to_owned(),
            hosts,
        })? {
            Response::Provider { provider } => Ok(provider),
            other => Err(unexpected("provider hosts", &other)),
        }
    }

    /// Where `vault run --proxy` may send an item's value: an API key's own hosts or its
    /// service's; a grant's provider's own hosts or its preset's.
    pub(super) fn item_hosts(&self, meta: &ItemMeta) -> AppResult<ItemHosts> {
        let text = |rules: Vec<vault_core::hosts::HostRule>| -> Vec<String> {
            rules.iter().map(ToString::to_string).collect()
        };
        Ok(match meta {
            ItemMeta::ApiKey(m) => ItemHosts {
                rules: text(m.allowed_hosts()),
                own: m.hosts.is_some(),
                defaults: text(vault_core::formats::default_hosts(m.service.as_deref())),
                provider: None,
            },
            ItemMeta::Grant(g) => {
                let providers = self.oauth_providers()?;
                match providers.into_iter().find(|p| p.name == g.provider) {
                    Some(mut p) => ItemHosts {
                        rules: text(Grants::provider_hosts(&p)),
                        own: p.hosts.take().is_some(),
                        // With its own hosts taken away: its preset's.
                        defaults: text(Grants::provider_hosts(&p)),
                        provider: Some(p.name),
                    },
                    // Its provider was removed: nothing can refresh it, nothing goes anywhere.
                    None => ItemHosts {
                        rules: Vec::new(),
                        own: false,
                        defaults: Vec::new(),
                        provider: None,
                    },
                }
            }
        })
    }
}
