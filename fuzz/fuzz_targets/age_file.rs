//! Members' age files: opening any bytes never panics nor yields a plaintext not sealed to the
//! key, and a sealed file opens back unchanged and, changed, no longer opens.
//!
//! The check itself is `vault_fuzz_checks::age_file`, which `make test` also replays.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vault_fuzz_checks::age_file::check(data));
