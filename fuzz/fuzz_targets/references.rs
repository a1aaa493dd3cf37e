//! `vault://` references and the env files that hold them: any text parses or is refused
//! without a panic, a parsed reference prints back to itself, and any item and field name can
//! be written as a reference that parses back to them.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use vault_core::names::check_env_name;
use vault_core::refs::{Reference, Source, read_env_file};

fuzz_target!(|input: (&str, String, Option<String>)| {
    let (text, item, field) = input;
    if let Ok(r) = Reference::parse(text) {
        assert!(!r.item.is_empty());
        assert_ne!(r.field.as_deref(), Some(""));
        assert_eq!(
            Reference::parse(&r.to_string()).ok().as_ref(),
            Some(&r),
            "{text:?}"
        );
    }
    if !item.is_empty() && field.as_deref() != Some("") {
        let r = Reference { item, field };
        assert_eq!(Reference::parse(&r.to_string()).ok().as_ref(), Some(&r));
    }
    match read_env_file(Path::new(".vault.env"), text) {
        Ok(bindings) => {
            for b in bindings {
                assert!(check_env_name(&b.name).is_ok());
                if let Source::Plain(v) = &b.source {
                    assert!(
                        !Reference::looks_like(v.expose()),
                        "a bad reference passed as plain"
                    );
                }
            }
        }
        Err(problems) => {
            assert!(!problems.problems.is_empty());
            assert!(problems.problems.is_sorted_by_key(|p| p.line));
        }
    }
});
