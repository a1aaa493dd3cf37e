//! An allowed-host rule as typed at `vault edit --host` or found in a sealed item: any text
//! parses or is refused with a message, a rule prints as text that parses back to itself, and
//! matching never panics, whatever the destination.
//!
//! The check itself is `vault_fuzz_checks::host_rule`, which `make test` also replays.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vault_fuzz_checks::host_rule::check(data));
