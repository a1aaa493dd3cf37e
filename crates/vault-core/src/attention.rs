//! What needs the user's attention, most urgent first.
//!
//! The one computation behind `vault due`, the due section of `vault status` and the desktop
//! app: a client lists items (metadata only, no values) and calls [`report`] with its clock and
//! lead time. Nothing here reads the clock or a value, or changes the vault.
//!
//! API keys need attention for their rotation schedule and expiry; OAuth grants when only a new
//! login can make them work again (the provider refused the refresh token, or it has run out).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::model::{GrantMeta, GrantStatus, Item, ItemId, ItemKind, ItemMeta};
use crate::names::fold;
use crate::rotation::{DueState, Reason, lead_days};

/// One item that needs attention.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Attention {
    pub name: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: ItemId,
    pub kind: ItemKind,
    /// `expired`, `overdue` or `due_soon` (never `ok`).
    pub state: DueState,
    pub reason: Reason,
    /// The instant that decides the state: the rotation due date or the expiry.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub at: Timestamp,
    /// Whole days from now until `at`, negative once it has passed (rounded toward zero).
    pub days_left: i64,
    #[serde(default)]
    pub service: Option<String>,
    /// The rotation due date; absent when the item is never rotated.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<String>"))]
    pub due: Option<Timestamp>,
    /// The hard expiry, when there is one.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<String>"))]
    pub expires: Option<Timestamp>,
}

/// How many items are in each state that needs attention.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub expired: usize,
    pub overdue: usize,
    pub due_soon: usize,
}

/// The next deadline among the items that need nothing today.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upcoming {
    pub name: String,
    /// What happens at `at` (an event to come, not a state the item is in).
    pub event: Deadline,
    pub at: Timestamp,
}

/// A deadline to come.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Deadline {
    /// The key's rotation falls due.
    RotationDue,
    /// The key expires.
    Expires,
    /// The grant's login ends (its refresh token, or its access token with none).
    LoginExpires,
}

impl Deadline {
    /// In words: "rotation due", "expires", "login expires".
    pub fn words(self) -> &'static str {
        match self {
            Deadline::RotationDue => "rotation due",
            Deadline::Expires => "expires",
            Deadline::LoginExpires => "login expires",
        }
    }
}

/// Everything that needs attention on `now`, most urgent first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueReport {
    pub now: Timestamp,
    /// Items are `due_soon` this many days ahead of a due date or expiry.
    pub lead_days: u32,
    /// How many items were looked at.
    pub checked: usize,
    pub counts: Counts,
    /// Expired first, then overdue, then due soon; within a state, the earliest date first.
    pub items: Vec<Attention>,
    /// The next deadline after the lead time, so a clean report can say when to look again.
    #[serde(default)]
    pub next: Option<Upcoming>,
}

impl DueReport {
    /// Whether anything is overdue or expired: what `vault due --check` fails on. Items that are
    /// only due soon are warnings.
    pub fn has_overdue_or_expired(&self) -> bool {
        self.counts.expired + self.counts.overdue > 0
    }
}

/// What `item` needs on `now`, if anything.
pub fn attention_of(item: &Item, now: Timestamp, lead_days_: u32) -> Option<Attention> {
    attention_with(item, now, lead_days_, &Exposure::default())
}

/// Who may hold values this vault no longer trusts them with: a device removed from its sync
/// (every value set before then), members removed from a share (the items they could read).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exposure {
    /// A device of this vault's sync was removed at this time.
    pub devices_before: Option<Timestamp>,
    /// Items a removed member could read, by id, and when the member was removed.
    pub members: std::collections::BTreeMap<[u8; 16], Timestamp>,
}

/// [`attention_of`], for a vault whose values may be in other hands (`exposure`): a value set
/// (or a login made) before a device's removal may be in that device's hands, and an item a
/// removed member could read is to be rotated if its value is older than the removal.
pub fn attention_with(
    item: &Item,
    now: Timestamp,
    lead_days_: u32,
    exposure: &Exposure,
) -> Option<Attention> {
    let lead = lead_days(lead_days_);
    let exposed = |set: Timestamp| exposure.devices_before.filter(|removed| set < *removed);
    let shared = |set: Timestamp| {
        exposure
            .members
            .get(&item.id.0)
            .copied()
            .filter(|removed| set < *removed)
    };
    let (name, (reason, at), service, due, expires) = match &item.meta {
        ItemMeta::ApiKey(meta) => {
            let schedule = meta.schedule();
            // A refused value does not work, whatever its schedule says; one a lost device
            // held is to be replaced before anything else.
            let set = meta.last_rotated;
            let check = match (&meta.refused, exposed(set), shared(set), &meta.conflict) {
                (Some(r), ..) => (Reason::RefusedByServer, r.at),
                (None, Some(removed), ..) => (Reason::HeldByRemovedDevice, removed),
                (None, None, Some(removed), _) => (Reason::SharedWithRemovedMember, removed),
                (None, None, None, Some(c)) => (Reason::ChangedOnTwoDevices, c.at),
                (None, None, None, None) => schedule.check(now, lead)?,
            };
            (
                &meta.name,
                check,
                meta.service.clone(),
                schedule.due,
                schedule.expires,
            )
        }
        ItemMeta::Grant(meta) => (
            &meta.name,
            match exposed(meta.obtained) {
                Some(removed) => (Reason::HeldByRemovedDevice, removed),
                None => grant_check(meta, now, lead)?,
            },
            Some(meta.provider.clone()),
            None,
            login_end(meta),
        ),
    };
    Some(Attention {
        name: name.clone(),
        id: item.id,
        kind: item.meta.kind(),
        state: reason.state(),
        reason,
        at,
        days_left: whole_days(now, at),
        service,
        due,
        expires,
    })
}

/// When a grant stops working without a new login: its refresh token's end, or, when it has
/// none, its access token's. A grant that refreshes itself has no routine deadline.
fn login_end(meta: &GrantMeta) -> Option<Timestamp> {
    if meta.refreshable {
        meta.refresh_expires
    } else {
        meta.expires
    }
}

fn grant_check(
    meta: &GrantMeta,
    now: Timestamp,
    lead: jiff::SignedDuration,
) -> Option<(Reason, Timestamp)> {
    if let GrantStatus::NeedsRelogin { .. } = meta.status {
        return Some((Reason::NeedsRelogin, meta.updated));
    }
    let end = login_end(meta)?;
    if now >= end {
        Some((Reason::LoginExpired, end))
    } else if now >= end.saturating_sub(lead).unwrap_or(end) {
        Some((Reason::LoginExpiresSoon, end))
    } else {
        None
    }
}

/// The report for `items` on `now`, warning `lead_days` ahead.
pub fn report<'a>(
    items: impl IntoIterator<Item = &'a Item>,
    now: Timestamp,
    lead_days_: u32,
) -> DueReport {
    report_with(items, now, lead_days_, &Exposure::default())
}

/// [`report`] for a vault whose values may be in other hands (see [`attention_with`]).
pub fn report_with<'a>(
    items: impl IntoIterator<Item = &'a Item>,
    now: Timestamp,
    lead_days_: u32,
    exposure: &Exposure,
) -> DueReport {
    let mut out = Vec::new();
    let mut next: Option<Upcoming> = None;
    let mut checked = 0;
    for item in items {
        checked += 1;
        if let Some(a) = attention_with(item, now, lead_days_, exposure) {
            out.push(a);
            continue;
        }
        let deadlines = match &item.meta {
            ItemMeta::ApiKey(meta) => {
                let schedule = meta.schedule();
                [
                    schedule.due.map(|t| (Deadline::RotationDue, t)),
                    schedule.expires.map(|t| (Deadline::Expires, t)),
                ]
            }
            ItemMeta::Grant(meta) => [login_end(meta).map(|t| (Deadline::LoginExpires, t)), None],
        };
        for (event, at) in deadlines.into_iter().flatten() {
            if next.as_ref().is_none_or(|n| at < n.at) {
                next = Some(Upcoming {
                    name: item.meta.name().to_owned(),
                    event,
                    at,
                });
            }
        }
    }
    out.sort_by(|a, b| {
        a.state
            .cmp(&b.state)
            .then(a.at.cmp(&b.at))
            .then_with(|| fold(&a.name).cmp(&fold(&b.name)))
    });
    let mut counts = Counts::default();
    for a in &out {
        match a.state {
            DueState::Expired => counts.expired += 1,
            DueState::Overdue => counts.overdue += 1,
            DueState::DueSoon => counts.due_soon += 1,
            DueState::Ok => {}
        }
    }
    DueReport {
        now,
        lead_days: lead_days_,
        checked,
        counts,
        items: out,
        next,
    }
}

/// Whole days from `now` to `at`, rounded toward zero.
fn whole_days(now: Timestamp, at: Timestamp) -> i64 {
    // On the full-precision difference: truncating each side to seconds first would count a
    // day that is a fraction of a second short.
    at.duration_since(now).as_secs() / 86_400
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ApiKeyMeta;
    use crate::rotation::RotationPolicy;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn key(
        name: &str,
        last_rotated: &str,
        rotation: RotationPolicy,
        expires: Option<&str>,
    ) -> Item {
        let at = ts(last_rotated);
        Item {
            id: ItemId([name.len() as u8; 16]),
            meta: ItemMeta::ApiKey(ApiKeyMeta {
                name: name.into(),
                env: vec![name.to_uppercase()],
                service: None,
                tags: vec![],
                notes: String::new(),
                created: at,
                updated: at,
                last_rotated: at,
                rotation,
                expires: expires.map(ts),
                version: 1,
                hosts: None,
                fields: Default::default(),
                secret_fields: Default::default(),
                refused: None,
                conflict: None,
            }),
        }
    }

    fn grant(name: &str, refreshable: bool, expires: &str, refresh_expires: Option<&str>) -> Item {
        Item {
            id: ItemId([name.len() as u8; 16]),
            meta: ItemMeta::Grant(GrantMeta {
                name: name.into(),
                env: vec![],
                tags: vec![],
                notes: String::new(),
                provider: "github".into(),
                token_type: "bearer".into(),
                scopes: vec![],
                expires: Some(ts(expires)),
                refresh_expires: refresh_expires.map(ts),
                obtained: ts("2026-04-01T00:00:00Z"),
                subject: None,
                email: None,
                created: ts("2026-04-01T00:00:00Z"),
                updated: ts("2026-04-02T00:00:00Z"),
                last_refresh: None,
                refreshable,
                status: GrantStatus::Ok,
                last_error: None,
                generation: 1,
            }),
        }
    }

    #[test]
    fn a_refused_key_needs_a_new_value_whatever_its_schedule() {
        let now = ts("2026-05-01T12:00:00Z");
        let mut item = key("forge", "2026-04-30T00:00:00Z", RotationPolicy::Never, None);
        assert_eq!(attention_of(&item, now, 14), None);
        if let ItemMeta::ApiKey(m) = &mut item.meta {
            m.refused = Some(crate::model::Refused {
                at: ts("2026-05-01T10:00:00Z"),
                by: "https://git.example.com".into(),
            });
        }
        let a = attention_of(&item, now, 14).unwrap();
        assert_eq!(
            (a.reason, a.state),
            (Reason::RefusedByServer, DueState::Expired)
        );
        assert_eq!(a.at, ts("2026-05-01T10:00:00Z"));
    }

    #[test]
    fn grants_need_attention_only_when_a_new_login_is_needed() {
        let now = ts("2026-05-01T12:00:00Z");
        let reason = |item: &Item| attention_of(item, now, 14).map(|a| (a.reason, a.state));
        // Refreshes itself: an expired access token is routine.
        assert_eq!(
            reason(&grant("ok", true, "2026-05-01T11:00:00Z", None)),
            None
        );
        // Its refresh token runs out: soon, then past.
        let soon = grant(
            "gh",
            true,
            "2026-05-01T13:00:00Z",
            Some("2026-05-10T00:00:00Z"),
        );
        assert_eq!(
            reason(&soon),
            Some((Reason::LoginExpiresSoon, DueState::DueSoon))
        );
        let gone = grant(
            "gh",
            true,
            "2026-05-01T13:00:00Z",
            Some("2026-05-01T00:00:00Z"),
        );
        assert_eq!(
            reason(&gone),
            Some((Reason::LoginExpired, DueState::Expired))
        );
        // No refresh token: the access token's end is the login's end.
        let once = grant("once", false, "2026-05-01T11:00:00Z", None);
        assert_eq!(
            reason(&once),
            Some((Reason::LoginExpired, DueState::Expired))
        );
        // Refused by the provider.
        let mut refused = grant("refused", true, "2026-06-01T00:00:00Z", None);
        if let ItemMeta::Grant(m) = &mut refused.meta {
            m.status = GrantStatus::NeedsRelogin {
                reason: "invalid_grant".into(),
            };
        }
        let a = attention_of(&refused, now, 14).unwrap();
        assert_eq!(
            (a.reason, a.state),
            (Reason::NeedsRelogin, DueState::Expired)
        );
        let r = report([&soon, &refused, &once], now, 14);
        assert!(
            r.has_overdue_or_expired(),
            "`vault due --check` fails on them"
        );
        assert_eq!(r.counts.expired, 2);
    }

    #[test]
    fn sorted_by_urgency_then_date_then_name() {
        let now = ts("2026-05-01T12:00:00Z");
        let every = |days| RotationPolicy::Every { days };
        let items = vec![
            key("fine", "2026-04-30T00:00:00Z", every(90), None),
            key("soon-b", "2026-04-01T00:00:00Z", every(40), None), // due 05-11
            key("soon-a", "2026-04-01T00:00:00Z", every(40), None), // due 05-11
            key("soon-first", "2026-04-01T00:00:00Z", every(35), None), // due 05-06
            key("late-long", "2026-01-01T00:00:00Z", every(30), None), // due 01-31
            key("late", "2026-04-01T00:00:00Z", every(20), None),   // due 04-21
            key(
                "dead",
                "2026-04-01T00:00:00Z",
                RotationPolicy::Never,
                Some("2026-04-30T00:00:00Z"),
            ),
            key(
                "expiring",
                "2026-04-29T00:00:00Z",
                every(90),
                Some("2026-05-03T00:00:00Z"),
            ),
            key("never", "2020-01-01T00:00:00Z", RotationPolicy::Never, None),
        ];
        let r = report(&items, now, 14);
        let names: Vec<&str> = r.items.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "dead",
                "late-long",
                "late",
                "expiring",
                "soon-first",
                "soon-a",
                "soon-b"
            ]
        );
        assert_eq!(
            r.counts,
            Counts {
                expired: 1,
                overdue: 2,
                due_soon: 4
            }
        );
        assert!(r.has_overdue_or_expired());
        let dead = &r.items[0];
        assert_eq!(
            (dead.reason, dead.state),
            (Reason::Expired, DueState::Expired)
        );
        assert_eq!(dead.days_left, -1, "expired 36 hours ago");
        let expiring = &r.items[3];
        assert_eq!(expiring.reason, Reason::ExpiresSoon);
        assert_eq!(expiring.at, ts("2026-05-03T00:00:00Z"));
        assert_eq!(expiring.days_left, 1);
        assert_eq!(r.items[4].reason, Reason::RotationDueSoon);
        assert_eq!(
            r.next,
            Some(Upcoming {
                name: "fine".into(),
                event: Deadline::RotationDue,
                at: ts("2026-07-29T00:00:00Z"),
            })
        );
    }

    #[test]
    fn only_due_soon_does_not_fail_the_check() {
        let now = ts("2026-05-01T00:00:00Z");
        let items = vec![key(
            "a",
            "2026-04-01T00:00:00Z",
            RotationPolicy::Every { days: 31 },
            None,
        )];
        let r = report(&items, now, 14);
        assert_eq!(r.counts.due_soon, 1);
        assert!(!r.has_overdue_or_expired());
        // A lead of zero warns about nothing ahead of time.
        let r = report(&items, now, 0);
        assert!(r.items.is_empty());
        assert_eq!(r.next.map(|n| n.at), Some(ts("2026-05-02T00:00:00Z")));
    }

    #[test]
    fn empty_vault_and_never_rotated_items_need_nothing() {
        let now = ts("2026-05-01T00:00:00Z");
        let r = report(&[], now, 14);
        assert_eq!(r.counts, Counts::default());
        assert!(r.items.is_empty() && r.next.is_none());
        let never = [key(
            "n",
            "2000-01-01T00:00:00Z",
            RotationPolicy::Never,
            None,
        )];
        let r = report(&never, now, 14);
        assert!(r.items.is_empty() && r.next.is_none());
    }

    #[test]
    fn days_left_rounds_toward_zero_at_full_precision() {
        let now = ts("2026-05-01T00:00:00.7Z");
        assert_eq!(whole_days(now, ts("2026-05-02T00:00:00.5Z")), 0);
        assert_eq!(whole_days(now, ts("2026-05-02T00:00:00.7Z")), 1);
        assert_eq!(whole_days(now, ts("2026-04-30T00:00:00.9Z")), 0);
        assert_eq!(whole_days(now, ts("2026-04-30T00:00:00.7Z")), -1);
        assert_eq!(whole_days(now, now), 0);
    }

    #[test]
    fn json_is_stable_for_scripts() {
        let now = ts("2026-05-01T00:00:00Z");
        let items = [key(
            "gh",
            "2026-01-01T00:00:00Z",
            RotationPolicy::Every { days: 30 },
            None,
        )];
        let json = serde_json::to_value(report(&items, now, 14)).unwrap();
        assert_eq!(json["lead_days"], 14);
        assert_eq!(json["checked"], 1);
        assert_eq!(json["counts"]["overdue"], 1);
        let item = &json["items"][0];
        assert_eq!(item["name"], "gh");
        assert_eq!(item["kind"], "api_key");
        assert_eq!(item["state"], "overdue");
        assert_eq!(item["reason"], "rotation_overdue");
        assert_eq!(item["at"], "2026-01-31T00:00:00Z");
        assert_eq!(item["days_left"], -90);
        assert_eq!(item.get("expires"), Some(&serde_json::Value::Null));
    }
}
