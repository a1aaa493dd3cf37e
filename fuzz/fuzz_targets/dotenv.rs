//! The dotenv parser (`vault import`, `.vault.env`, `--env-file`): any text is read without a
//! panic, every line is accounted for, and what vault writes reads back exactly.
//!
//! The check itself is `vault_fuzz_checks::dotenv`, which `make test` also replays.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vault_fuzz_checks::dotenv::check(data));
