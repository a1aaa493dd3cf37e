//! `vault://` references and the env files that hold them: any text parses or is refused
//! without a panic, a parsed reference prints back to itself, and any item and field name can
//! be written as a reference that parses back to them.
//!
//! The check itself is `vault_fuzz_checks::references`, which `make test` also replays.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vault_fuzz_checks::references::check(data));
