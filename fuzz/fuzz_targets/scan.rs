//! `vault scan`: every stored value written into a file is found, hits and locations are
//! consistent, and a staged diff of any shape parses without a panic.
//!
//! The check itself is `vault_fuzz_checks::scan`, which `make test` also replays.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vault_fuzz_checks::scan::check(data));
