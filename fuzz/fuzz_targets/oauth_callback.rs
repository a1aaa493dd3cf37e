//! The login callback on 127.0.0.1: any request a browser (or a web page aiming at the loopback
//! port) can send. A login proceeds only with the exact `state` it issued and, where the
//! provider names an issuer, the right `iss`; the first of repeated parameters counts; an error
//! never repeats the state or the code; and the page shown in the browser escapes whatever the
//! request carried.
//!
//! The check itself is `vault_fuzz_checks::oauth_callback`, which `make test` also replays.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vault_fuzz_checks::oauth_callback::check(data));
