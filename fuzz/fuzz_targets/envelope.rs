//! The sealed envelope: a blob opens only to exactly what was sealed, under exactly the key
//! and associated data (vault, table, row) it was sealed with. Any modified blob, or the same
//! blob under another row, table or vault, fails to open; arbitrary bytes never open.
//!
//! The check itself is `vault_fuzz_checks::envelope`, which `make test` also replays.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vault_fuzz_checks::envelope::check(data));
