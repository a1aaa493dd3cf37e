//! SARIF 2.1.0, the format code-scanning services read (GitHub's `upload-sarif`, GitLab,
//! Azure DevOps): one rule per kind of finding, one result per finding, never a value.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use vault_scan::{Found, Report};

/// The rule of a stored value; known formats use their vault-core id.
const STORED: &str = "stored-value";

pub(super) fn sarif(report: &Report) -> Value {
    let mut rules: BTreeMap<String, String> = BTreeMap::new();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let rule = match &f.found {
                Found::Stored { .. } => {
                    rules.insert(STORED.into(), "A value stored in the vault".into());
                    STORED.to_owned()
                }
                Found::Format {
                    format,
                    description,
                } => {
                    rules.insert(format.clone(), description.clone());
                    format.clone()
                }
            };
            let mut result = json!({
                "ruleId": rule,
                "level": "error",
                "message": { "text": format!("{} in plaintext", super::describe(&f.found)) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&f.path) },
                        "region": {
                            "startLine": f.line,
                            "startColumn": f.column,
                            "endColumn": f.end_column,
                        },
                    },
                }],
            });
            if let Some(commit) = &f.commit {
                result["properties"] = json!({ "commit": commit });
            }
            result
        })
        .collect();
    let rules: Vec<Value> = rules
        .into_iter()
        .map(|(id, text)| {
            json!({
                "id": id,
                "shortDescription": { "text": text },
                "help": { "text": "Store the secret in vault (`vault add` or `vault rotate`), remove it from the file, and rotate it if it was ever committed or shared." },
                "defaultConfiguration": { "level": "error" },
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "vault scan",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

/// A relative path as a URI reference: `/` separators, and the characters a URI reserves
/// percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.replace('\\', "/").bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(uri("src/my file#1.env"), "src/my%20file%231.env");
    }
}
