//! The dotenv parser (`vault import`, `.vault.env`, `--env-file`): any text is read without a
//! panic, every line is accounted for, and what vault writes reads back exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vault_core::dotenv::{format_line, parse, parse_keeping_empty};
use vault_core::names::check_env_name;

fuzz_target!(|input: (&str, String)| {
    let (text, value) = input;
    let lines = text.split('\n').count();
    for parsed in [parse(text), parse_keeping_empty(text)] {
        for e in &parsed.entries {
            assert!(check_env_name(&e.key).is_ok(), "key {:?}", e.key);
            assert!((1..=lines).contains(&e.line), "line {} of {lines}", e.line);
            // Whatever was read is written so that it reads back exactly.
            if !e.value.is_empty() {
                round_trip(&e.key, e.value.expose());
            }
        }
        for s in &parsed.skipped {
            assert!(
                (1..=lines).contains(&s.line),
                "skipped line {} of {lines}",
                s.line
            );
        }
    }
    // And so is any value at all (export of what a user stored).
    if !value.is_empty() {
        round_trip("FUZZ_KEY", &value);
    }
});

fn round_trip(key: &str, value: &str) {
    let line = format_line(key, value);
    let back = parse(&line);
    assert!(back.skipped.is_empty(), "{line:?}: {:?}", back.skipped);
    assert_eq!(back.entries.len(), 1, "{line:?}");
    assert_eq!(back.entries[0].key, key);
    assert_eq!(back.entries[0].value.expose(), value, "{line:?}");
}
