//! Per-item merge: deterministic, so every device that has read the same operations holds the
//! same items.
//!
//! Every item version carries a [`Version`]: a hybrid logical clock reading and the device
//! that made it. A version made from another is always later than it (`next_clock`), whatever
//! the devices' clocks say, so causality is never inverted; two versions made from the same one
//! on two devices are concurrent, and the later (clock, then device id) wins everywhere. The
//! loser is never dropped: the caller keeps its value in the item's history and flags the item
//! "changed on two devices". A deletion concurrent with an edit loses to the edit (a value the
//! user just set is not thrown away by a delete made without seeing it).

use serde::{Deserialize, Serialize};

use crate::keys::DeviceId;

/// One version of an item: compared by clock, then device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Version {
    /// Milliseconds since 1970 in the high 48 bits, a counter in the low 16.
    pub clock: u64,
    pub device: DeviceId,
}

/// The clock of a version made now from `base`: the wall clock, or just after `base` when the
/// wall clock is behind it (another device's clock ran ahead).
pub fn next_clock(now_ms: u64, base: Option<&Version>) -> u64 {
    let wall = now_ms.min(u64::MAX >> 16) << 16;
    base.map_or(wall, |b| wall.max(b.clock.saturating_add(1)))
}

/// What the device holds of an item when an operation on it arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Local {
    /// The item is here at `current` (a change of this device's not yet sent counts: it is
    /// in this sync's own segment, with its version).
    Present { current: Version },
    /// Not here; `deleted` is the version a deletion removed, when one did.
    Absent { deleted: Option<Version> },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Seen already, or superseded: nothing to do.
    Ignore,
    /// The incoming version becomes current (the current value, if any, goes to history);
    /// `conflict`: it was made without seeing the current one.
    Apply { conflict: bool },
    /// The current version stays; the incoming value goes to history and the item is flagged.
    KeepLocalFlagged,
    /// The item is deleted (its values go with it, as a local delete).
    Delete,
}

/// An incoming version `version` of an item, made from `base`.
pub fn put(local: Local, version: Version, base: Option<Version>) -> Decision {
    match local {
        Local::Present { current } if current == version => Decision::Ignore,
        Local::Present { current } if base == Some(current) => Decision::Apply { conflict: false },
        Local::Present { current } if version > current => Decision::Apply { conflict: true },
        Local::Present { .. } => Decision::KeepLocalFlagged,
        Local::Absent { deleted: None } => Decision::Apply { conflict: false },
        // Made before (or as) the version that was deleted: the delete already saw it.
        Local::Absent { deleted: Some(d) } if version <= d => Decision::Ignore,
        // Made without seeing the delete: the edit wins, flagged.
        Local::Absent { deleted: Some(_) } => Decision::Apply { conflict: true },
    }
}

/// An incoming deletion of an item, made from `base`.
pub fn delete(local: Local, base: Option<Version>) -> Decision {
    match local {
        Local::Present { current } if base == Some(current) => Decision::Delete,
        // Changed here (or elsewhere) after what the deleting device saw: the item stays.
        Local::Present { .. } => Decision::KeepLocalFlagged,
        Local::Absent { .. } => Decision::Ignore,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn v(clock: u64, d: u8) -> Version {
        Version {
            clock,
            device: DeviceId([d; 16]),
        }
    }

    #[test]
    fn a_version_is_always_after_its_base_whatever_the_wall_clock() {
        let base = v(1_000 << 16, 1);
        assert_eq!(next_clock(5, Some(&base)), (1_000 << 16) + 1);
        assert_eq!(next_clock(2_000, Some(&base)), 2_000 << 16);
        assert_eq!(next_clock(7, None), 7 << 16);
    }

    /// Two devices edit the same version; a third sees both in clock order. All three end on
    /// the same version, and each flags the item.
    #[test]
    fn concurrent_edits_converge_on_every_device_and_are_flagged() {
        let v0 = v(10, 9);
        let (a, b) = (v(20, 1), v(30, 2));
        // A holds its own a, receives b.
        assert_eq!(
            put(Local::Present { current: a }, b, Some(v0)),
            Decision::Apply { conflict: true }
        );
        // B holds b, receives a: b stays, a goes to history.
        assert_eq!(
            put(Local::Present { current: b }, a, Some(v0)),
            Decision::KeepLocalFlagged
        );
        // C holds v0: a fast-forwards, then b is concurrent with it and wins.
        assert_eq!(
            put(Local::Present { current: v0 }, a, Some(v0)),
            Decision::Apply { conflict: false }
        );
        assert_eq!(
            put(Local::Present { current: a }, b, Some(v0)),
            Decision::Apply { conflict: true }
        );
        // A repeat is ignored.
        assert_eq!(
            put(Local::Present { current: b }, b, Some(v0)),
            Decision::Ignore
        );
    }

    #[test]
    fn a_delete_never_beats_an_edit_it_did_not_see() {
        let (v0, edit) = (v(10, 9), v(20, 1));
        assert_eq!(
            delete(Local::Present { current: v0 }, Some(v0)),
            Decision::Delete
        );
        assert_eq!(
            delete(Local::Present { current: edit }, Some(v0)),
            Decision::KeepLocalFlagged
        );
        // The deleting device then receives the edit: it comes back, flagged.
        assert_eq!(
            put(Local::Absent { deleted: Some(v0) }, edit, Some(v0)),
            Decision::Apply { conflict: true }
        );
        // An old version arriving after its deletion stays deleted.
        assert_eq!(
            put(Local::Absent { deleted: Some(v0) }, v0, None),
            Decision::Ignore
        );
        assert_eq!(
            delete(Local::Absent { deleted: None }, Some(v0)),
            Decision::Ignore
        );
    }
}
