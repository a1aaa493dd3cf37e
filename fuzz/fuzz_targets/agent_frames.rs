//! What the agent reads from a client socket, and what a client reads back: arbitrary bytes
//! through the same frame reader and request decoder as the agent's connection loop. Every
//! complete line gets exactly one outcome, an oversized line is refused whole, an error reply
//! never echoes the input (it may hold a password), and a decoded request survives a
//! re-encoding unchanged.
//!
//! The check itself is `vault_fuzz_checks::agent_frames`, which `make test` also replays.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vault_fuzz_checks::agent_frames::check(data));
