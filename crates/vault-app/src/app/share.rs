//! What the window shows of sharing: the members and what each gets, the shares this vault
//! receives, this user's key, adding and removing a member. The same operations as
//! `vault share whoami`, `ls`, `add` and `rm`.

use serde::Serialize;
use ts_rs::TS;
use vault_agent::protocol::{Op, Response};
use vault_core::ShareInfo;

use super::{App, unexpected};
use crate::error::AppResult;
use crate::host::Host;

/// A member just added, and the line they run to accept.
#[derive(Debug, Clone, Serialize, TS)]
pub struct MemberAdded {
    pub share: ShareInfo,
    /// `vault share accept URL ID` (with the storage's flags for S3).
    pub accept: String,
}

fn shares(response: Response) -> AppResult<Vec<ShareInfo>> {
    match response {
        Response::Shares { shares } => Ok(shares),
        other => Err(unexpected("shares", &other)),
    }
}

impl<H: Host> App<H> {
    /// Every share: the members this vault gives to, and the shares it receives.
    pub fn shares(&self) -> AppResult<Vec<ShareInfo>> {
        shares(self.op(Op::ShareList)?)
    }

    /// This user's public key for sharing (`age1...`), made on first use.
    pub fn share_key(&self) -> AppResult<String> {
        match self.op(Op::ShareWhoami)? {
            Response::ShareKey { recipient } => Ok(recipient),
            other => Err(unexpected("share key", &other)),
        }
    }

    /// Shares what `items` names (selectors, one per line or comma) with `member`.
    pub fn share_add(&self, member: &str, recipient: &str, items: &str) -> AppResult<MemberAdded> {
        let items: Vec<String> = items
            .split([',', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        match self.op(Op::ShareAdd {
            member: member.trim().to_owned(),
            recipient: recipient.trim().to_owned(),
            items,
        })? {
            Response::ShareAdded { share, accept } => Ok(MemberAdded { share, accept }),
            other => Err(unexpected("share add", &other)),
        }
    }

    /// Removes a member: nothing new reaches them; what they could read comes due.
    pub fn share_remove(&self, member: &str) -> AppResult<Vec<ShareInfo>> {
        shares(self.op(Op::ShareRemove {
            member: member.to_owned(),
        })?)
    }
}
