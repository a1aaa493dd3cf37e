//! `vault run --mask`: whatever the secrets, however the output is cut into writes and
//! wherever the relay pauses, no secret reaches the output whole, at most a few bytes of one
//! are shown, and text that holds no secret passes through unchanged.
//!
//! The check itself is `vault_fuzz_checks::mask`, which `make test` also replays.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vault_fuzz_checks::mask::check(data));
