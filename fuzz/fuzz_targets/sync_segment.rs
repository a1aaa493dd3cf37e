//! Sync's segments: sealed operations open back unchanged, and a changed, forged, misplaced or
//! wrongly keyed segment never opens; any plaintext decodes without a panic.
//!
//! The check itself is `vault_fuzz_checks::sync_segment`, which `make test` also replays.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vault_fuzz_checks::sync_segment::check(data));
