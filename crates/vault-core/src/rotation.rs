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

    /// Parses `90d`, `12w`, `2 weeks`, `never` or `default`.
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        match text {
            "never" | "none" | "off" => return Ok(RotationPolicy::Never),
            "default" => return Ok(RotationPolicy::Default),
            _ => {}
        }
        let days = parse_days(text)?;
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
            RotationPolicy::Default => write!(f, "default ({DEFAULT_INTERVAL_DAYS}d)"),
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
            "{text:?} is not a number of days or weeks (examples: 90d, 12w, never)"
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

    /// The state on `now`, warning `lead` ahead of the due date or the expiry. Due and expiry
    /// instants themselves count as reached.
    pub fn state(&self, now: Timestamp, lead: SignedDuration) -> DueState {
        let reached = |t: Option<Timestamp>| t.is_some_and(|t| now >= t);
        let near =
            |t: Option<Timestamp>| t.is_some_and(|t| now >= t.saturating_sub(lead).unwrap_or(t));
        if reached(self.expires) {
            DueState::Expired
        } else if reached(self.due) {
            DueState::Overdue
        } else if near(self.due) || near(self.expires) {
            DueState::DueSoon
        } else {
            DueState::Ok
        }
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
}
