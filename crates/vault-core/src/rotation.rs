//! Rotation policy and due dates. Every function takes `now`: nothing here reads the clock.
//!
//! Intervals are whole days of 24 hours, so a due date is an instant, the same in every time
//! zone; zones matter only when a date is typed or shown.

use std::fmt;

use jiff::{SignedDuration, Span, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Rotate every 90 days unless told otherwise: the common advice for long-lived API keys.
pub const DEFAULT_INTERVAL_DAYS: u32 = 90;
/// Warn this long before a key is due or expires.
pub const DEFAULT_LEAD_DAYS: u32 = 14;

const DAY: SignedDuration = SignedDuration::from_hours(24);

/// Why an item needs attention.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The hard expiry has passed: the value no longer works, or must not be used.
    Expired,
    /// The rotation due date has passed.
    RotationOverdue,
    /// The hard expiry is within the lead time.
    ExpiresSoon,
    /// The rotation due date is within the lead time.
    RotationDueSoon,
    /// An OAuth grant the provider refused to refresh (`invalid_grant`): `vault login` again.
    NeedsRelogin,
    /// An OAuth grant's refresh token (or, without one, its access token) has run out.
    LoginExpired,
    /// An OAuth grant's refresh token (or, without one, its access token) runs out within the
    /// lead time.
    LoginExpiresSoon,
    /// A server refused the key's current value (git's `erase`): rotate it.
    RefusedByServer,
    /// Sync: the item was changed on two devices at once; the other value is in its history.
    ChangedOnTwoDevices,
    /// Sync: a device that held this value was removed (lost, retired): rotate it (a grant:
    /// log in again and revoke the old login).
    HeldByRemovedDevice,
    /// Sharing: a member who could read this value was removed: rotate it.
    SharedWithRemovedMember,
}

impl Reason {
    /// How urgent this reason is.
    pub fn state(self) -> DueState {
        match self {
            Reason::Expired
            | Reason::NeedsRelogin
            | Reason::LoginExpired
            | Reason::RefusedByServer => DueState::Expired,
            Reason::RotationOverdue
            | Reason::HeldByRemovedDevice
            | Reason::SharedWithRemovedMember => DueState::Overdue,
            Reason::ExpiresSoon
            | Reason::RotationDueSoon
            | Reason::LoginExpiresSoon
            | Reason::ChangedOnTwoDevices => DueState::DueSoon,
        }
    }
}

/// How often an item's value should be replaced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "policy", rename_all = "snake_case")]
pub enum RotationPolicy {
    /// The default interval (or the provider's, when known).
    #[default]
    Default,
    Every {
        days: u32,
    },
    Never,
}

impl RotationPolicy {
    /// The interval in days, `None` for never.
    pub fn interval_days(&self, default_days: u32) -> Option<u32> {
        match self {
            RotationPolicy::Default => Some(default_days),
            RotationPolicy::Every { days } => Some(*days),
            RotationPolicy::Never => None,
        }
    }

    /// `90d`, `never`, or `default (90d)` with the interval `default` stands for.
    pub fn describe(&self, default_days: u32) -> String {
        match self {
            RotationPolicy::Default => format!("default ({default_days}d)"),
            other => other.to_string(),
        }
    }

    /// Parses `90d`, `12w`, `2 weeks`, `never` or `default`.
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        match text {
            "never" | "none" | "off" => return Ok(RotationPolicy::Never),
            "default" => return Ok(RotationPolicy::Default),
            _ => {}
        }
        let days = parse_days(text).map_err(|e| match e {
            Error::Invalid(m) => Error::invalid(format!("{m}; or `never` for no rotation")),
            other => other,
        })?;
        if days == 0 {
            return Err(Error::invalid(
                "a rotation interval must be at least one day (or `never`)",
            ));
        }
        Ok(RotationPolicy::Every { days })
    }
}

impl fmt::Display for RotationPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RotationPolicy::Default => write!(f, "default"),
            RotationPolicy::Every { days } => write!(f, "{days}d"),
            RotationPolicy::Never => f.write_str("never"),
        }
    }
}

/// Parses a whole number of days from `30d`, `4w`, `2 weeks 3 days` or a bare number.
pub fn parse_days(text: &str) -> Result<u32> {
    if let Ok(n) = text.parse::<u32>() {
        return Ok(n);
    }
    let bad = || {
        Error::invalid(format!(
            "{text:?} is not a number of days or weeks (examples: 14d, 12w)"
        ))
    };
    let span: Span = text.parse().map_err(|_| bad())?;
    let calendar = span.get_years() != 0 || span.get_months() != 0;
    let sub_day = span.get_hours() != 0
        || span.get_minutes() != 0
        || span.get_seconds() != 0
        || span.get_milliseconds() != 0
        || span.get_microseconds() != 0
        || span.get_nanoseconds() != 0;
    if calendar || sub_day || span.is_negative() {
        return Err(Error::invalid(format!(
            "{text:?}: give the interval in days or weeks (for example 180d rather than 6 months)"
        )));
    }
    let days = i64::from(span.get_weeks()) * 7 + i64::from(span.get_days());
    u32::try_from(days).map_err(|_| bad())
}

/// Where an item stands on `now`, most urgent first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum DueState {
    Expired,
    Overdue,
    DueSoon,
    Ok,
}

impl DueState {
    pub fn needs_attention(&self) -> bool {
        *self != DueState::Ok
    }

    pub fn label(&self) -> &'static str {
        match self {
            DueState::Expired => "expired",
            DueState::Overdue => "overdue",
            DueState::DueSoon => "due soon",
            DueState::Ok => "ok",
        }
    }
}

/// The dates that decide an item's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Schedule {
    /// When the value should be rotated; `None` when the policy is never.
    #[cfg_attr(feature = "ts", ts(as = "Option<String>"))]
    pub due: Option<Timestamp>,
    /// A hard expiry, when the provider sets one.
    #[cfg_attr(feature = "ts", ts(as = "Option<String>"))]
    pub expires: Option<Timestamp>,
}

impl Schedule {
    pub fn new(
        last_rotated: Timestamp,
        policy: RotationPolicy,
        default_days: u32,
        expires: Option<Timestamp>,
    ) -> Self {
        let due = policy.interval_days(default_days).and_then(|days| {
            last_rotated
                .checked_add(DAY * i32::try_from(days).ok()?)
                .ok()
        });
        Schedule { due, expires }
    }

    /// What needs attention on `now`, warning `lead` ahead of the due date or the expiry: the
    /// reason and the instant that decides it, or `None` when all is well. Due and expiry
    /// instants themselves count as reached; a passed expiry outranks an overdue rotation, and
    /// of two near dates the earlier one is reported.
    pub fn check(&self, now: Timestamp, lead: SignedDuration) -> Option<(Reason, Timestamp)> {
        if let Some(x) = self.expires.filter(|x| now >= *x) {
            return Some((Reason::Expired, x));
        }
        if let Some(d) = self.due.filter(|d| now >= *d) {
            return Some((Reason::RotationOverdue, d));
        }
        let near = |t: &Timestamp| now >= t.saturating_sub(lead).unwrap_or(*t);
        let due = self.due.filter(near).map(|d| (Reason::RotationDueSoon, d));
        let expiry = self.expires.filter(near).map(|x| (Reason::ExpiresSoon, x));
        match (due, expiry) {
            (Some(d), Some(x)) => Some(if x.1 < d.1 { x } else { d }),
            (d, x) => d.or(x),
        }
    }

    /// The state on `now`, warning `lead` ahead of the due date or the expiry.
    pub fn state(&self, now: Timestamp, lead: SignedDuration) -> DueState {
        self.check(now, lead)
            .map_or(DueState::Ok, |(reason, _)| reason.state())
    }

    /// The next date that needs the user: the earlier of due and expiry.
    pub fn next(&self) -> Option<Timestamp> {
        match (self.due, self.expires) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// A lead time in days as a duration.
pub fn lead_days(days: u32) -> SignedDuration {
    DAY * i32::try_from(days).unwrap_or(i32::MAX / 86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn parses_intervals() {
        assert_eq!(
            RotationPolicy::parse("90d").unwrap(),
            RotationPolicy::Every { days: 90 }
        );
        assert_eq!(
            RotationPolicy::parse("12w").unwrap(),
            RotationPolicy::Every { days: 84 }
        );
        assert_eq!(
            RotationPolicy::parse("2 weeks 3 days").unwrap(),
            RotationPolicy::Every { days: 17 }
        );
        assert_eq!(
            RotationPolicy::parse("30").unwrap(),
            RotationPolicy::Every { days: 30 }
        );
        assert_eq!(
            RotationPolicy::parse("never").unwrap(),
            RotationPolicy::Never
        );
        assert!(RotationPolicy::parse("6mo").is_err());
        assert!(RotationPolicy::parse("36h").is_err());
        assert!(RotationPolicy::parse("0d").is_err());
        assert!(RotationPolicy::parse("soon").is_err());
    }

    #[test]
    fn due_boundaries() {
        let rotated = ts("2026-01-01T00:00:00Z");
        let s = Schedule::new(rotated, RotationPolicy::Every { days: 30 }, 90, None);
        let due = ts("2026-01-31T00:00:00Z");
        assert_eq!(s.due, Some(due));
        let lead = lead_days(14);
        assert_eq!(
            s.state(due, lead),
            DueState::Overdue,
            "exactly at due counts as due"
        );
        assert_eq!(s.state(ts("2026-01-30T23:59:59Z"), lead), DueState::DueSoon);
        assert_eq!(s.state(ts("2026-01-17T00:00:00Z"), lead), DueState::DueSoon);
        assert_eq!(s.state(ts("2026-01-16T23:59:59Z"), lead), DueState::Ok);
    }

    #[test]
    fn expiry_wins_over_due() {
        let rotated = ts("2026-01-01T00:00:00Z");
        let s = Schedule::new(
            rotated,
            RotationPolicy::Never,
            90,
            Some(ts("2026-02-01T00:00:00Z")),
        );
        assert_eq!(s.due, None);
        assert_eq!(
            s.state(ts("2026-01-01T00:00:00Z"), lead_days(14)),
            DueState::Ok
        );
        assert_eq!(
            s.state(ts("2026-01-20T00:00:00Z"), lead_days(14)),
            DueState::DueSoon
        );
        assert_eq!(
            s.state(ts("2026-02-01T00:00:00Z"), lead_days(14)),
            DueState::Expired
        );
    }

    fn every(days: u32) -> RotationPolicy {
        RotationPolicy::Every { days }
    }

    #[test]
    fn lead_time_edges() {
        let s = Schedule::new(ts("2026-03-01T09:30:00Z"), every(30), 90, None);
        let due = ts("2026-03-31T09:30:00Z");
        assert_eq!(s.due, Some(due));
        let at = |t: &str, lead: u32| s.check(ts(t), lead_days(lead));
        // Exactly `lead` before due is the first due-soon instant; a second earlier is ok.
        assert_eq!(
            at("2026-03-17T09:30:00Z", 14),
            Some((Reason::RotationDueSoon, due))
        );
        assert_eq!(at("2026-03-17T09:29:59Z", 14), None);
        // A one-day lead, and a zero lead that never warns early.
        assert_eq!(at("2026-03-30T09:29:59Z", 1), None);
        assert_eq!(
            at("2026-03-30T09:30:00Z", 1),
            Some((Reason::RotationDueSoon, due))
        );
        assert_eq!(at("2026-03-31T09:29:59Z", 0), None);
        assert_eq!(
            at("2026-03-31T09:30:00Z", 0),
            Some((Reason::RotationOverdue, due))
        );
        // A lead longer than the interval: due soon from the moment of rotation.
        assert_eq!(
            at("2026-03-01T09:30:00Z", 45),
            Some((Reason::RotationDueSoon, due))
        );
        // Overdue stays overdue, years later.
        assert_eq!(
            at("2030-01-01T00:00:00Z", 14),
            Some((Reason::RotationOverdue, due))
        );
    }

    #[test]
    fn due_dates_are_instants_in_every_time_zone() {
        // Rotated at 09:00 in New York, the day before clocks go forward (2026-03-08): 30 days
        // of 24 hours later is 10:00 local time, the same instant seen from anywhere.
        // POSIX rules rather than names, so the test needs no tz database on the machine.
        let new_york = jiff::tz::TimeZone::posix("EST5EDT,M3.2.0,M11.1.0").unwrap();
        let tokyo = jiff::tz::TimeZone::posix("JST-9").unwrap();
        let rotated = ts("2026-03-07T09:00:00-05:00");
        let s = Schedule::new(rotated, every(30), 90, None);
        let due = s.due.unwrap();
        assert_eq!(due, ts("2026-04-06T14:00:00Z"));
        let local = due.to_zoned_datetime(new_york);
        assert_eq!(local.datetime().to_string(), "2026-04-06T10:00:00");
        assert_eq!(local.offset().to_string(), "-04");
        let there = due.to_zoned_datetime(tokyo);
        assert_eq!(there.datetime().to_string(), "2026-04-06T23:00:00");
        // The same `now` written with different offsets gives the same state.
        let lead = lead_days(14);
        for now in [
            "2026-04-06T13:59:59Z",
            "2026-04-06T09:59:59-04:00",
            "2026-04-06T22:59:59+09:00",
        ] {
            assert_eq!(s.state(ts(now), lead), DueState::DueSoon, "{now}");
        }
        for now in ["2026-04-06T14:00:00Z", "2026-04-07T00:00:00+10:00"] {
            assert_eq!(s.state(ts(now), lead), DueState::Overdue, "{now}");
        }
    }

    #[test]
    fn leap_days() {
        // 2028 is a leap year: a day after Feb 28 is Feb 29, and 365 days after Feb 29 is
        // Feb 28 of 2029 (not Mar 1), because intervals count days, not calendar years.
        let s = Schedule::new(ts("2028-02-28T12:00:00Z"), every(1), 90, None);
        assert_eq!(s.due, Some(ts("2028-02-29T12:00:00Z")));
        let s = Schedule::new(ts("2028-02-29T12:00:00Z"), every(365), 90, None);
        assert_eq!(s.due, Some(ts("2029-02-28T12:00:00Z")));
        let s = Schedule::new(ts("2027-02-28T12:00:00Z"), every(1), 90, None);
        assert_eq!(s.due, Some(ts("2027-03-01T12:00:00Z")));
        // A lead window that spans Feb 29: 14 days before Mar 10 is Feb 25 in a leap year.
        let s = Schedule::new(ts("2028-01-10T00:00:00Z"), every(60), 90, None);
        assert_eq!(s.due, Some(ts("2028-03-10T00:00:00Z")));
        assert_eq!(
            s.state(ts("2028-02-25T00:00:00Z"), lead_days(14)),
            DueState::DueSoon
        );
        assert_eq!(
            s.state(ts("2028-02-24T23:59:59Z"), lead_days(14)),
            DueState::Ok
        );
        // An expiry on Feb 29 itself.
        let s = Schedule::new(
            ts("2028-01-01T00:00:00Z"),
            RotationPolicy::Never,
            90,
            Some(ts("2028-02-29T00:00:00Z")),
        );
        assert_eq!(
            s.state(ts("2028-02-28T23:59:59Z"), lead_days(14)),
            DueState::DueSoon
        );
        assert_eq!(
            s.state(ts("2028-02-29T00:00:00Z"), lead_days(14)),
            DueState::Expired
        );
    }

    #[test]
    fn expiry_against_due() {
        let lead = lead_days(14);
        let rotated = ts("2026-01-01T00:00:00Z");
        // Expiry before the due date: it is the expiry that comes first.
        let s = Schedule::new(rotated, every(90), 90, Some(ts("2026-02-01T00:00:00Z")));
        assert_eq!(
            s.check(ts("2026-01-20T00:00:00Z"), lead),
            Some((Reason::ExpiresSoon, ts("2026-02-01T00:00:00Z")))
        );
        assert_eq!(s.next(), Some(ts("2026-02-01T00:00:00Z")));
        // Both near: the earlier is reported.
        let s = Schedule::new(rotated, every(30), 90, Some(ts("2026-02-05T00:00:00Z")));
        assert_eq!(
            s.check(ts("2026-01-25T00:00:00Z"), lead),
            Some((Reason::RotationDueSoon, ts("2026-01-31T00:00:00Z")))
        );
        // Overdue, and the expiry near: overdue is the more urgent.
        assert_eq!(
            s.check(ts("2026-02-02T00:00:00Z"), lead),
            Some((Reason::RotationOverdue, ts("2026-01-31T00:00:00Z")))
        );
        // Overdue and expired: expired wins, even though the due date came first.
        assert_eq!(
            s.check(ts("2026-02-05T00:00:00Z"), lead),
            Some((Reason::Expired, ts("2026-02-05T00:00:00Z")))
        );
        // Due and expiry at the same instant: expired.
        let same = ts("2026-01-31T00:00:00Z");
        let s = Schedule::new(rotated, every(30), 90, Some(same));
        assert_eq!(s.check(same, lead), Some((Reason::Expired, same)));
        assert_eq!(
            s.check(ts("2026-01-30T23:59:59Z"), lead),
            Some((Reason::RotationDueSoon, same))
        );
    }

    #[test]
    fn default_interval_comes_from_the_caller() {
        let rotated = ts("2026-01-01T00:00:00Z");
        let s = Schedule::new(rotated, RotationPolicy::Default, 30, None);
        assert_eq!(s.due, Some(ts("2026-01-31T00:00:00Z")));
        assert_eq!(RotationPolicy::Default.describe(30), "default (30d)");
        assert_eq!(every(7).describe(30), "7d");
        assert_eq!(RotationPolicy::Never.describe(30), "never");
        // An interval too large for the calendar has no due date rather than a panic.
        let s = Schedule::new(rotated, every(u32::MAX), 90, None);
        assert_eq!(s.due, None);
        assert_eq!(s.state(rotated, lead_days(u32::MAX)), DueState::Ok);
    }
}
