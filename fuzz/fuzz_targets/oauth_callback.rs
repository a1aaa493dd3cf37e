//! The login callback on 127.0.0.1: any request a browser (or a web page aiming at the loopback
//! port) can send. A login proceeds only with the exact `state` it issued and, where the
//! provider names an issuer, the right `iss`; the first of repeated parameters counts; an error
//! never repeats the state or the code; and the page shown in the browser escapes whatever the
//! request carried.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
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

fuzz_target!(|input: Input| {
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
});
