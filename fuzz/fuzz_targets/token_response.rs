//! Token-endpoint answers, through `oauth2` and each preset's quirks exactly as a refresh reads
//! them: any status, content type and body ends in a token set or a clear error without a
//! panic; a token set holds the access token the body carried; and an error never quotes a
//! token from the body.
//!
//! The check itself is `vault_fuzz_checks::token_response`, which `make test` also replays.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vault_fuzz_checks::token_response::check(data));
