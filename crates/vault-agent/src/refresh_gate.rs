//! Refreshes in flight, and the lock that waits for them.
//!
//! A refresh at a provider that rotates refresh tokens spends the old one the moment the
//! provider answers. If the vault locked before the answer was committed, the new refresh token
//! was lost and the next refresh presented the spent one, which a provider with reuse detection
//! (RFC 9700 §4.14.2) answers by revoking the whole grant. So a lock waits for the refreshes in
//! flight to commit (bounded by the HTTP timeout), no refresh starts while it waits, and a
//! refresh token whose successor could not be stored anyway is remembered and never sent again.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use vault_core::SecretValue;

/// How long a lock waits for refreshes in flight: one HTTP request's timeout, and a margin
/// for the commit.
pub const MAX_WAIT: Duration = Duration::from_secs(35);

#[derive(Debug, Default)]
pub struct RefreshGate {
    state: Mutex<State>,
    changed: Condvar,
    /// Refresh tokens the provider rotated away whose successor could not be stored.
    spent: Mutex<Vec<SecretValue>>,
}

#[derive(Debug, Default)]
struct State {
    in_flight: usize,
    /// Locks waiting for the refreshes in flight; while any does, none starts.
    locking: usize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A refresh in flight; ends when dropped.
#[derive(Debug)]
pub struct InFlight<'a>(&'a RefreshGate);

/// A lock in progress: refreshes may start again when dropped.
#[derive(Debug)]
pub struct Quiet<'a>(&'a RefreshGate);

impl RefreshGate {
    /// Registers a refresh about to go to the provider; `None` while a lock is in progress.
    pub fn begin(&self) -> Option<InFlight<'_>> {
        let mut s = lock(&self.state);
        if s.locking > 0 {
            return None;
        }
        s.in_flight += 1;
        Some(InFlight(self))
    }

    /// Whether a lock is waiting (a refresh should not retry then).
    pub fn locking(&self) -> bool {
        lock(&self.state).locking > 0
    }

    /// Stops new refreshes and waits (at most `max`) for those in flight to finish.
    pub fn quiesce(&self, max: Duration) -> Quiet<'_> {
        let deadline = Instant::now() + max;
        let mut s = lock(&self.state);
        s.locking += 1;
        while s.in_flight > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            s = self
                .changed
                .wait_timeout(s, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        Quiet(self)
    }

    /// Remembers a refresh token the provider has rotated away.
    pub fn spend(&self, token: SecretValue) {
        lock(&self.spent).push(token);
    }

    pub fn is_spent(&self, token: &SecretValue) -> bool {
        lock(&self.spent).iter().any(|t| t.ct_eq(token))
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        lock(&self.0.state).in_flight -= 1;
        self.0.changed.notify_all();
    }
}

impl Drop for Quiet<'_> {
    fn drop(&mut self) {
        lock(&self.0.state).locking -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_lock_waits_for_a_refresh_in_flight_and_none_starts_meanwhile() {
        let gate = Arc::new(RefreshGate::default());
        let flight = gate.begin().unwrap();
        let (g, started) = (Arc::clone(&gate), Instant::now());
        let locker = std::thread::spawn(move || {
            let _quiet = g.quiesce(Duration::from_secs(10));
            started.elapsed()
        });
        std::thread::sleep(Duration::from_millis(200));
        assert!(gate.locking());
        assert!(gate.begin().is_none(), "no refresh starts while locking");
        drop(flight);
        let waited = locker.join().unwrap();
        assert!(waited >= Duration::from_millis(200), "{waited:?}");
        assert!(gate.begin().is_some(), "refreshes resume after the lock");
    }

    #[test]
    fn the_wait_is_bounded() {
        let gate = RefreshGate::default();
        let _stuck = gate.begin().unwrap();
        let t = Instant::now();
        drop(gate.quiesce(Duration::from_millis(100)));
        assert!(t.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn a_spent_refresh_token_is_recognised() {
        let gate = RefreshGate::default();
        gate.spend(SecretValue::new("rt-1"));
        assert!(gate.is_spent(&SecretValue::new("rt-1")));
        assert!(!gate.is_spent(&SecretValue::new("rt-2")));
    }
}
