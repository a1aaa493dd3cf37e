//! Token-endpoint answers, through `oauth2` and each preset's quirks exactly as a refresh reads
//! them: any status, content type and body ends in a token set or a clear error without a
//! panic; a token set holds the access token the body carried; and an error never quotes a
//! token from the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
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

fuzz_target!(|input: (u8, u8, u8, &[u8])| {
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
});

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
