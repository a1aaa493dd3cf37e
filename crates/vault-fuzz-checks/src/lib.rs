//! What each fuzz target checks, as plain functions over the fuzzer's bytes.
//!
//! `fuzz/fuzz_targets/*` hand libFuzzer's input to these (`cargo fuzz`, `make fuzz`), and
//! `tests/replay.rs` runs them in `make test` over the committed seeds, every input that once
//! failed (`fuzz/regressions/`), and a fixed pseudo-random sweep: the same checks, without a
//! fuzzing build. A typed input is decoded from the bytes exactly as libFuzzer's
//! `fuzz_target!(|input: T| ...)` decodes it (`arbitrary_take_rest`), so a corpus or a crash
//! file means the same thing to both. Each check panics when the property it states fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use arbitrary::{Arbitrary, Unstructured};

/// Decodes `data` as libFuzzer's typed targets do; `None` when it is not a `T`.
fn decode<'a, T: Arbitrary<'a>>(data: &'a [u8]) -> Option<T> {
    T::arbitrary_take_rest(Unstructured::new(data)).ok()
}

/// An edit of sealed bytes (a segment, an age file), as a tampering remote would make it.
#[derive(Arbitrary, Clone, Debug)]
enum ByteChange {
    FlipBit { at: usize, bit: u8 },
    Truncate { to: usize },
    Append { bytes: Vec<u8> },
    Replace { at: usize, bytes: Vec<u8> },
}

/// `bytes` with every change made, in order.
fn changed(bytes: &[u8], changes: Vec<ByteChange>) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for change in changes {
        match change {
            ByteChange::FlipBit { at, bit } => {
                if !out.is_empty() {
                    let at = at % out.len();
                    out[at] ^= 1 << (bit % 8);
                }
            }
            ByteChange::Truncate { to } => out.truncate(to),
            ByteChange::Append { bytes } => out.extend(bytes),
            ByteChange::Replace { at, bytes } => {
                for (i, b) in bytes.into_iter().enumerate() {
                    if let Some(slot) = out.get_mut(at.wrapping_add(i)) {
                        *slot = b;
                    }
                }
            }
        }
    }
    out
}

/// A target's check: panics when the property fails on the input.
pub type Check = fn(&[u8]);

/// The targets by name, for the replay and `fuzz/`.
pub const TARGETS: &[(&str, Check)] = &[
    ("dotenv", dotenv::check),
    ("references", references::check),
    ("agent_frames", agent_frames::check),
    ("envelope", envelope::check),
    ("oauth_callback", oauth_callback::check),
    ("token_response", token_response::check),
    ("mask", mask::check),
    ("host_rule", host_rule::check),
    ("scan", scan::check),
    ("sync_segment", sync_segment::check),
    ("age_file", age_file::check),
];

/// Members' age files: whatever bytes a remote holds, opening one never panics and never
/// yields a plaintext unless it was sealed to the key; a file vault sealed opens back to its
/// plaintext, and changed in any way it no longer opens.
pub mod age_file;

/// Sync's segments: operations sealed into a segment open back as they were, and a segment
/// changed in any byte, forged, read after the wrong segment or under another sync key never
/// opens; a segment's plaintext of any shape decodes without a panic, and what decodes
/// encodes and decodes back the same.
pub mod sync_segment;

/// `vault scan`: whatever the stored values and the file, a stored value written into the file
/// is found (a hit overlaps it), hits are in order and inside the file, each finding's line and
/// column are where its bytes are, and a staged diff of any shape parses without a panic into
/// increasing line numbers per hunk.
pub mod scan {
    use super::decode;
    use arbitrary::Arbitrary;
    use vault_core::SecretValue;
    use vault_core::vault::{KnownSecret, SecretRole};
    use vault_scan::Matcher;
    use vault_scan::fuzzing::{findings, hits, parse_diff};

    #[derive(Arbitrary, Debug)]
    struct Input {
        values: Vec<String>,
        text: Vec<u8>,
        /// Where each value is written into the text.
        at: Vec<u16>,
        diff: Vec<u8>,
    }

    /// The target's check on one input.
    pub fn check(data: &[u8]) {
        let Some(input) = decode::<Input>(data) else {
            return;
        };
        let values: Vec<String> = input
            .values
            .into_iter()
            .filter(|v| !v.contains('\0'))
            .take(8)
            .collect();
        let secrets = values
            .iter()
            .map(|v| KnownSecret {
                item: "item".into(),
                role: SecretRole::Value,
                value: SecretValue::new(v),
            })
            .collect();
        let m = Matcher::new(secrets, true);
        // The text with each value written in at its place.
        let mut text = input.text;
        let mut planted = Vec::new();
        for (v, at) in values.iter().zip(&input.at) {
            let at = usize::from(*at) % (text.len() + 1);
            text.splice(at..at, v.bytes());
            for p in &mut planted {
                let (start, _): &mut (usize, usize) = p;
                if *start >= at {
                    *start += v.len();
                }
            }
            planted.push((at, v.len()));
        }
        let found = hits(&m, &text);
        let mut last = 0;
        for &(start, end) in &found {
            assert!(
                start >= last && start < end && end <= text.len(),
                "{found:?}"
            );
            last = end.min(start + 1);
        }
        for (at, len) in planted {
            if len < vault_scan::matcher::MIN_VALUE_LEN {
                continue;
            }
            // A value may have been split by one written later: then it is not whole.
            if !values
                .iter()
                .any(|v| text.get(at..at + len) == Some(v.as_bytes()))
            {
                continue;
            }
            assert!(
                found.iter().any(|&(s, e)| s < at + len && at < e),
                "a stored value at {at} was not found: {found:?}"
            );
        }
        for f in findings(&m, &text) {
            assert!(f.line >= 1 && f.column >= 1 && f.end_column >= f.column);
            let lines = text.split(|&b| b == b'\n').count() as u32;
            assert!(f.line <= lines, "line {} of {lines}", f.line);
        }
        for (_, numbers) in parse_diff(&input.diff) {
            if let Some(n) = numbers {
                assert!(n.len() <= input.diff.len());
            }
        }
    }
}

/// An allowed-host rule as typed at `vault edit --host` or found in a sealed item: any text
/// parses or is refused with a message, a rule prints as text that parses back to itself, and
/// matching never panics, whatever the destination.
pub mod host_rule {
    use super::decode;
    use vault_core::hosts::{Destination, HostRule};

    /// The target's check on one input.
    pub fn check(data: &[u8]) {
        let Some(input) = decode::<(&'_ str, &'_ str, &'_ str, u16, bool)>(data) else {
            return;
        };
        let (rule, host, path, port, tls) = input;
        let Ok(parsed) = rule.parse::<HostRule>() else {
            return;
        };
        let text = parsed.to_string();
        let again: HostRule = text.parse().expect("a printed rule parses");
        assert_eq!(again, parsed, "{rule:?} printed as {text:?}");
        let to = Destination {
            tls,
            host,
            port,
            path,
        };
        assert!(!parsed.allows(&to) || parsed.allows_authority(tls, host, port));
    }
}

/// The dotenv parser (`vault import`, `.vault.env`, `--env-file`): any text is read without a
/// panic, every line is accounted for, and what vault writes reads back exactly.
pub mod dotenv {
    use super::decode;
    use vault_core::dotenv::{format_line, parse, parse_keeping_empty};
    use vault_core::names::check_env_name;

    /// The target's check on one input.
    pub fn check(data: &[u8]) {
        let Some(input) = decode::<(&'_ str, String)>(data) else {
            return;
        };
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
    }

    fn round_trip(key: &str, value: &str) {
        let line = format_line(key, value);
        let back = parse(&line);
        assert!(back.skipped.is_empty(), "{line:?}: {:?}", back.skipped);
        assert_eq!(back.entries.len(), 1, "{line:?}");
        assert_eq!(back.entries[0].key, key);
        assert_eq!(back.entries[0].value.expose(), value, "{line:?}");
    }
}

/// `vault://` references and the env files that hold them: any text parses or is refused
/// without a panic, a parsed reference prints back to itself, and any item and field name can
/// be written as a reference that parses back to them.
pub mod references {
    use super::decode;
    use std::path::Path;

    use vault_core::names::check_env_name;
    use vault_core::refs::{Reference, Source, read_env_file};

    /// The target's check on one input.
    pub fn check(data: &[u8]) {
        let Some(input) = decode::<(&'_ str, String, Option<String>)>(data) else {
            return;
        };
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
    }
}

/// What the agent reads from a client socket, and what a client reads back: arbitrary bytes
/// through the same frame reader and request decoder as the agent's connection loop. Every
/// complete line gets exactly one outcome, an oversized line is refused whole, an error reply
/// never echoes the input (it may hold a password), and a decoded request survives a
/// re-encoding unchanged.
pub mod agent_frames {
    use super::decode;
    use vault_agent::fuzzing::{requests, response};
    use vault_agent::protocol::WireError;
    use vault_agent::{Request, Response};

    /// The target's check on one input.
    pub fn check(data: &[u8]) {
        let Some(input) = decode::<(u8, u8, &'_ [u8])>(data) else {
            return;
        };
        let (buffer, limit, bytes) = input;
        // Small buffers and limits, so lines straddle reads and the size limit is met.
        let buffer = usize::from(buffer % 32) + 1;
        let limit = usize::from(limit) * 4 + 8;
        let outcomes = requests(bytes, buffer, limit);
        let mut lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
        // A trailing partial line is dropped, as a closed connection; unless it already crossed
        // the limit, which is refused as soon as it is seen.
        if lines.last().is_some_and(|l| l.len() <= limit) {
            lines.pop();
        }
        assert_eq!(outcomes.len(), lines.len());
        for (line, outcome) in lines.iter().zip(&outcomes) {
            match outcome {
                Ok(request) => {
                    assert!(line.len() <= limit);
                    let json = serde_json::to_vec(request).expect("a request encodes");
                    let again: Request = serde_json::from_slice(&json).expect("and decodes");
                    assert_eq!(serde_json::to_vec(&again).expect("encodes"), json);
                }
                Err(Response::Error(WireError { message, .. })) => {
                    if line.len() > limit {
                        assert!(message.starts_with("request larger than"), "{message}");
                    } else {
                        assert!(
                            message.starts_with("malformed request at column "),
                            "{message}"
                        );
                        assert!(
                            message.ends_with(": not valid JSON")
                                || message.ends_with("(is the client a newer version?)"),
                            "the reply must be one of the fixed texts: {message}"
                        );
                    }
                }
                Err(other) => panic!("not an error reply: {other:?}"),
            }
        }
        // The client side: one answer read from the agent.
        if let Ok(r) = response(bytes, buffer) {
            let json = serde_json::to_vec(&r).expect("a response encodes");
            let again: Response = serde_json::from_slice(&json).expect("and decodes");
            assert_eq!(serde_json::to_vec(&again).expect("encodes"), json);
        }
    }
}

/// The sealed envelope: a blob opens only to exactly what was sealed, under exactly the key
/// and associated data (vault, table, row) it was sealed with. Any modified blob, or the same
/// blob under another row, table or vault, fails to open; arbitrary bytes never open.
pub mod envelope {
    use super::decode;
    use arbitrary::Arbitrary;
    use vault_core::crypto::Aad;
    use vault_core::crypto::fuzzing::{open, seal};

    #[derive(Arbitrary, Debug)]
    enum Change {
        FlipBit { at: usize, bit: u8 },
        Truncate { to: usize },
        Append { bytes: Vec<u8> },
        Replace { at: usize, bytes: Vec<u8> },
        OtherRow { row: Vec<u8> },
        OtherLabel,
        OtherVault { flip: u8 },
        OtherKey { flip: u8 },
        Nothing,
    }

    #[derive(Arbitrary, Debug)]
    struct Input {
        key: [u8; 32],
        vault: [u8; 16],
        row: Vec<u8>,
        plaintext: Vec<u8>,
        changes: Vec<Change>,
        forged: Vec<u8>,
    }

    const LABELS: [&str; 2] = ["items.meta", "items.secret"];

    /// The target's check on one input.
    pub fn check(data: &[u8]) {
        let Some(input) = decode::<Input>(data) else {
            return;
        };
        let aad = Aad {
            vault_id: &input.vault,
            label: LABELS[0],
            row: &input.row,
        };
        // Bytes nobody sealed never open.
        assert!(
            open(&input.key, &aad, &input.forged).is_err(),
            "a forged blob opened"
        );

        let sealed = seal(&input.key, &aad, &input.plaintext);
        assert_eq!(
            &*open(&input.key, &aad, &sealed).expect("opens"),
            &input.plaintext[..]
        );

        let mut blob = sealed.clone();
        let (mut key, mut vault, mut row, mut label) =
            (input.key, input.vault, input.row.clone(), 0);
        for change in &input.changes {
            match change {
                Change::FlipBit { at, bit } if !blob.is_empty() => {
                    let i = at % blob.len();
                    blob[i] ^= 1 << (bit % 8);
                }
                Change::Truncate { to } => blob.truncate(*to),
                Change::Append { bytes } => blob.extend_from_slice(bytes),
                Change::Replace { at, bytes } if !blob.is_empty() => {
                    let i = at % blob.len();
                    for (j, b) in bytes.iter().enumerate() {
                        if let Some(x) = blob.get_mut(i + j) {
                            *x = *b;
                        }
                    }
                }
                Change::OtherRow { row: r } => row = r.clone(),
                Change::OtherLabel => label = 1 - label,
                Change::OtherVault { flip } => vault[0] ^= flip,
                Change::OtherKey { flip } => key[31] ^= flip,
                _ => {}
            }
        }
        let same = blob == sealed
            && key == input.key
            && vault == input.vault
            && row == input.row
            && label == 0;
        let moved = Aad {
            vault_id: &vault,
            label: LABELS[label],
            row: &row,
        };
        match open(&key, &moved, &blob) {
            Ok(plain) => {
                assert!(same, "a changed blob or place opened");
                assert_eq!(&*plain, &input.plaintext[..]);
            }
            Err(_) => assert!(!same, "an untouched blob failed to open"),
        }
    }
}

/// The login callback on 127.0.0.1: any request a browser (or a web page aiming at the loopback
/// port) can send. A login proceeds only with the exact `state` it issued and, where the
/// provider names an issuer, the right `iss`; the first of repeated parameters counts; an error
/// never repeats the state or the code; and the page shown in the browser escapes whatever the
/// request carried.
pub mod oauth_callback {
    use super::decode;
    use arbitrary::Arbitrary;
    use vault_oauth::fuzzing::{callback, page};

    #[derive(Arbitrary, Debug)]
    struct Input {
        /// What follows the host in the request line: `/callback?code=..&state=..`.
        target: String,
        /// Use the request's own first `state` as the expected one, so the later checks are reached.
        state_from_request: bool,
        state: String,
        issuer: Option<String>,
        iss_parameter_supported: bool,
    }

    /// The target's check on one input.
    pub fn check(data: &[u8]) {
        let Some(input) = decode::<Input>(data) else {
            return;
        };
        let parsed = url::Url::parse(&format!("http://127.0.0.1{}", input.target)).ok();
        let params: Vec<(String, String)> = parsed
            .as_ref()
            .map(|u| u.query_pairs().into_owned().collect())
            .unwrap_or_default();
        let first = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let state = if input.state_from_request {
            first("state").unwrap_or_default()
        } else {
            input.state.clone()
        };
        let Some(verdict) = callback(
            &input.target,
            &state,
            input.issuer.as_deref(),
            input.iss_parameter_supported,
        ) else {
            assert!(
                parsed.is_none_or(|u| u.path() != "/callback"),
                "a callback request was taken for something else"
            );
            return;
        };
        match verdict {
            Ok(code) => {
                assert_eq!(
                    first("state").as_deref(),
                    Some(state.as_str()),
                    "state not checked"
                );
                assert_eq!(first("code").as_deref(), Some(code.as_str()));
                assert!(!code.is_empty());
                assert!(first("error").is_none());
                if let Some(issuer) = &input.issuer {
                    match first("iss") {
                        Some(iss) => assert_eq!(&iss, issuer, "wrong issuer accepted"),
                        None => assert!(!input.iss_parameter_supported, "missing iss accepted"),
                    }
                }
            }
            Err(e) => {
                let message = e.to_string();
                // Values the request itself carried into the message on purpose (clipped).
                let quoted: Vec<String> = ["error", "error_description", "iss"]
                    .iter()
                    .filter_map(|k| first(k))
                    .chain(input.issuer.clone())
                    .collect();
                for secret in [Some(state.clone()), first("code")].into_iter().flatten() {
                    if secret.len() >= 12 && !quoted.iter().any(|q| q.contains(&secret)) {
                        assert!(!message.contains(&secret), "{message}");
                    }
                }
                let html = page("Login failed", &message);
                let tags = page("Login failed", "").matches('<').count();
                assert_eq!(html.matches('<').count(), tags, "unescaped markup: {html}");
            }
        }
    }
}

/// Token-endpoint answers, through `oauth2` and each preset's quirks exactly as a refresh reads
/// them: any status, content type and body ends in a token set or a clear error without a
/// panic; a token set holds the access token the body carried; and an error never quotes a
/// token from the body.
pub mod token_response {
    use super::decode;
    use serde_json::Value;
    use vault_oauth::fuzzing::refresh_answer;
    use vault_oauth::{Provider, Token, presets};

    const SECRET: &str = "fuzz-client-secret-value";
    const STATUSES: [u16; 6] = [200, 400, 401, 200, 302, 503];
    const TYPES: [Option<&str>; 4] = [
        Some("application/json"),
        Some("application/json; charset=utf-8"),
        Some("text/plain"),
        None,
    ];

    /// The target's check on one input.
    pub fn check(data: &[u8]) {
        let Some(input) = decode::<(u8, u8, u8, &'_ [u8])>(data) else {
            return;
        };
        let (preset, status, content_type, body) = input;
        let presets = presets();
        let p = &presets[usize::from(preset) % presets.len()];
        let provider = Provider {
            name: p.id.to_owned(),
            endpoints: p.endpoints.clone(),
            quirks: p.quirks.clone(),
            client_id: "fuzz-client".into(),
            // Some presets refuse to run without one (confidential clients).
            client_secret: Some(Token::new(SECRET)),
        };
        let status = STATUSES[usize::from(status) % STATUSES.len()];
        let ct = TYPES[usize::from(content_type) % TYPES.len()].map(|t| t.as_bytes().to_vec());
        let json: Option<Value> = serde_json::from_slice(body).ok();
        let mut tokens = Vec::new();
        let mut quoted = Vec::new();
        if let Some(v) = &json {
            collect(v, &mut tokens, &mut quoted);
        }
        match refresh_answer(&provider, status, ct, body.to_vec()) {
            Ok(set) => {
                assert!(
                    tokens.iter().any(|t| t == set.access_token.expose()),
                    "an access token that was not in the answer"
                );
                assert_eq!(set.token_type, set.token_type.to_ascii_lowercase());
            }
            Err(e) => {
                let message = e.to_string();
                // The client secret is ours (never in an answer, unless the answer echoes it).
                let echoed = body.windows(SECRET.len()).any(|w| w == SECRET.as_bytes());
                assert!(echoed || !message.contains(SECRET), "{message}");
                for t in &tokens {
                    if t.len() >= 12 && !quoted.iter().any(|q| q.contains(t.as_str())) {
                        assert!(
                            !message.contains(t.as_str()),
                            "a token in an error: {message}"
                        );
                    }
                }
            }
        }
    }

    /// String values under token keys (anywhere), and the texts an error may quote.
    fn collect(v: &Value, tokens: &mut Vec<String>, quoted: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    match (k.as_str(), v) {
                        ("access_token" | "refresh_token" | "id_token", Value::String(s)) => {
                            tokens.push(s.clone())
                        }
                        ("error" | "error_description" | "error_uri", Value::String(s)) => {
                            quoted.push(s.clone())
                        }
                        _ => collect(v, tokens, quoted),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| collect(i, tokens, quoted)),
            _ => {}
        }
    }
}

/// `vault run --mask`: whatever the secrets, however the output is cut into writes and
/// wherever the relay pauses, no secret reaches the output whole, at most a few bytes of one
/// are shown, and text that holds no secret passes through unchanged.
pub mod mask {
    use super::decode;
    use arbitrary::Arbitrary;
    use vault_cli::fuzzing::{MIN_MASKED_LEN, Masker};
    use zeroize::Zeroizing;

    #[derive(Arbitrary, Debug)]
    struct Input {
        secrets: Vec<Vec<u8>>,
        /// Output pieces: text, or one of the secrets, each followed by a pause or not.
        pieces: Vec<(Piece, bool)>,
    }

    #[derive(Arbitrary, Debug)]
    enum Piece {
        Text(Vec<u8>),
        /// Secret `which`, cut at `at`: the two parts written separately.
        Secret {
            which: u8,
            at: u8,
        },
    }

    /// The target's check on one input.
    pub fn check(data: &[u8]) {
        let Some(input) = decode::<Input>(data) else {
            return;
        };
        let secrets: Vec<Vec<u8>> = input.secrets.into_iter().take(4).collect();
        let labelled = secrets
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("S{i}"), Zeroizing::new(s.clone())))
            .collect();
        let Some(mut m) = Masker::new(labelled) else {
            return;
        };
        let masked: Vec<&Vec<u8>> = secrets
            .iter()
            .filter(|s| s.len() >= MIN_MASKED_LEN)
            .collect();
        let mut written = Vec::new();
        let mut out = Vec::new();
        for (piece, pause) in input.pieces.iter().take(32) {
            let parts: Vec<&[u8]> = match piece {
                Piece::Text(t) => vec![t],
                Piece::Secret { which, at } => {
                    let s = &masked[usize::from(*which) % masked.len()];
                    let at = usize::from(*at) % (s.len() + 1);
                    vec![&s[..at], &s[at..]]
                }
            };
            for part in parts {
                written.extend_from_slice(part);
                out.extend(m.feed(part));
                if *pause {
                    out.extend(m.pause());
                }
            }
        }
        out.extend(m.finish());
        // A secret made of label text (`dact`, `S0>x`) can appear through a label, not a leak.
        let labels: Vec<String> = (0..secrets.len())
            .map(|i| format!("<redacted:S{i}>"))
            .collect();
        let label_like = |s: &[u8]| {
            s.iter().any(|b| b"<>".contains(b))
                || labels
                    .iter()
                    .any(|l| l.as_bytes().windows(s.len()).any(|w| w == s))
        };
        for s in masked.iter().filter(|s| !label_like(s)) {
            assert!(
                !out.windows(s.len()).any(|w| w == s.as_slice()),
                "a secret reached the output whole"
            );
        }
        // Nothing that could be part of a secret was written: the output is the input.
        let touches = |text: &[u8]| masked.iter().any(|s| s.iter().any(|b| text.contains(b)));
        if !touches(&written) {
            assert_eq!(
                out, written,
                "text without any secret byte must pass unchanged"
            );
        }
    }
}
