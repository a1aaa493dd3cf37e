//! Which side of the agent's service answers an op: the sync and sharing side and the OAuth
//! side talk to the network, so they run outside the service lock; the proxy side has its
//! sessions; a passive op leaves the idle timer alone.

use super::Op;

impl Op {
    /// Whether answering this op leaves the idle timer alone.
    pub fn is_passive(&self) -> bool {
        matches!(self, Op::Due { .. })
    }

    /// Whether the sync side of the service answers this op: it talks to the remote, so it
    /// runs outside the service lock but for the moments it reads or writes the vault.
    pub fn is_sync(&self) -> bool {
        matches!(
            self,
            Op::SyncInit { .. }
                | Op::Sync
                | Op::SyncStatus
                | Op::SyncCompact
                | Op::SyncRemoveDevice { .. }
                | Op::SyncInvite
                | Op::SyncInviteWait { .. }
                | Op::SyncJoin { .. }
        )
    }

    /// Whether it is about sharing, which talks to the remote as sync does (outside the
    /// service lock).
    pub fn is_share(&self) -> bool {
        matches!(
            self,
            Op::ShareWhoami
                | Op::ShareList
                | Op::ShareAdd { .. }
                | Op::ShareAccept { .. }
                | Op::ShareRemove { .. }
        )
    }

    /// Whether it is about `vault run --proxy` sessions, which the proxy side of the service
    /// answers.
    pub fn is_proxy(&self) -> bool {
        matches!(self, Op::ProxySessions | Op::ProxyEnd { .. })
    }

    /// Whether the OAuth side of the service answers this op: it may wait on a provider, so it
    /// runs outside the service lock.
    pub fn is_oauth(&self) -> bool {
        matches!(
            self,
            Op::OauthPresets
                | Op::OauthProviders
                | Op::OauthAdd { .. }
                | Op::OauthRemove { .. }
                | Op::OauthHosts { .. }
                | Op::LoginStart { .. }
                | Op::LoginWait { .. }
                | Op::LoginCancel { .. }
                | Op::Token { .. }
                | Op::Refresh { .. }
                | Op::Logout { .. }
        )
    }
}
