//! The dotenv format, read leniently and written so it reads back exactly.
//!
//! Reading accepts what `.env` files in the wild contain: comments, blank lines, `export `
//! prefixes, `KEY = value` with spaces, single, double and backtick quotes, escapes in double
//! quotes, values spanning several lines inside quotes, CRLF line ends and a BOM. Anything it
//! cannot take is reported with its line number and the reason, never silently dropped.
//! `${VAR}` is kept literally: an import must store exactly what the file says.

use std::collections::HashMap;

use zeroize::Zeroizing;

use crate::model::Skipped;
use crate::names::check_env_name;
use crate::secret::SecretValue;

/// One `KEY=value` assignment.
#[derive(Debug)]
pub struct Entry {
    pub key: String,
    pub value: SecretValue,
    /// 1-based line the assignment starts on.
    pub line: usize,
}

/// The assignments of a file, in order, and what was left out.
#[derive(Debug, Default)]
pub struct Parsed {
    pub entries: Vec<Entry>,
    pub skipped: Vec<Skipped>,
}

/// Parses dotenv text. A key set twice keeps the later value; the earlier is reported skipped.
/// Empty values are skipped too: there is nothing to store.
pub fn parse(text: &str) -> Parsed {
    parse_with(text, false)
}

/// Like [`parse`], but `KEY=` is an entry with an empty value, as a shell would set it (for
/// files whose lines become environment variables, such as `.vault.env`).
pub fn parse_keeping_empty(text: &str) -> Parsed {
    parse_with(text, true)
}

fn parse_with(text: &str, keep_empty: bool) -> Parsed {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut out = Parsed::default();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut i = 0;
    while i < lines.len() {
        let line_no = i + 1;
        let (consumed, result) = parse_assignment(&lines[i..]);
        i += consumed;
        let (key, value) = match result {
            Parsed1::Blank => continue,
            Parsed1::Skip { key, reason } => {
                out.skipped.push(Skipped {
                    line: line_no,
                    key,
                    reason,
                });
                continue;
            }
            Parsed1::Entry { key, value } => (key, value),
        };
        if value.is_empty() && !keep_empty {
            out.skipped.push(Skipped {
                line: line_no,
                key: Some(key),
                reason: "empty value".into(),
            });
            continue;
        }
        if let Some(index) = seen.get(&key).copied() {
            let earlier = out.entries.remove(index);
            out.skipped.push(Skipped {
                line: earlier.line,
                key: Some(key.clone()),
                reason: format!("set again on line {line_no}; the later value is used"),
            });
            for v in seen.values_mut() {
                if *v > index {
                    *v -= 1;
                }
            }
        }
        seen.insert(key.clone(), out.entries.len());
        let value = SecretValue::new(value.as_str());
        out.entries.push(Entry {
            key,
            value,
            line: line_no,
        });
    }
    out
}

enum Parsed1 {
    Blank,
    Skip {
        key: Option<String>,
        reason: String,
    },
    Entry {
        key: String,
        value: Zeroizing<String>,
    },
}

/// Parses the assignment starting at `lines[0]`; returns how many lines it used.
fn parse_assignment(lines: &[&str]) -> (usize, Parsed1) {
    let first = lines[0].trim_start();
    if first.is_empty() || first.starts_with('#') {
        return (1, Parsed1::Blank);
    }
    let body = match first.strip_prefix("export") {
        Some(rest) if rest.starts_with([' ', '\t']) => rest.trim_start(),
        _ => first,
    };
    let Some((key, rest)) = body.split_once('=') else {
        return (1, skip(None, "no `=` (expected KEY=value)"));
    };
    let key = key.trim_end();
    if check_env_name(key).is_err() {
        return (1, skip(Some(key), "not a valid environment variable name"));
    }
    let rest = rest.trim_start_matches([' ', '\t']);
    let Some(quote) = rest
        .chars()
        .next()
        .filter(|c| matches!(c, '"' | '\'' | '`'))
    else {
        return (
            1,
            Parsed1::Entry {
                key: key.to_owned(),
                value: unquoted(rest),
            },
        );
    };
    match quoted(quote, &rest[1..], &lines[1..]) {
        Some((value, extra_lines, after)) => {
            let after = after.trim_start();
            if !after.is_empty() && !after.starts_with('#') {
                return (
                    1 + extra_lines,
                    skip(Some(key), "unexpected text after the closing quote"),
                );
            }
            (
                1 + extra_lines,
                Parsed1::Entry {
                    key: key.to_owned(),
                    value,
                },
            )
        }
        None => (
            1,
            skip(
                Some(key),
                &format!("unterminated {} quote", quote_name(quote)),
            ),
        ),
    }
}

fn skip(key: Option<&str>, reason: &str) -> Parsed1 {
    Parsed1::Skip {
        key: key.map(str::to_owned),
        reason: reason.to_owned(),
    }
}

fn quote_name(q: char) -> &'static str {
    match q {
        '"' => "double",
        '\'' => "single",
        _ => "backtick",
    }
}

/// An unquoted value ends at a `#` that follows whitespace; surrounding whitespace is dropped.
fn unquoted(rest: &str) -> Zeroizing<String> {
    let mut end = rest.len();
    let mut prev_space = true;
    for (i, c) in rest.char_indices() {
        if c == '#' && prev_space {
            end = i;
            break;
        }
        prev_space = c == ' ' || c == '\t';
    }
    Zeroizing::new(rest[..end].trim_end().to_owned())
}

/// Reads a quoted value that may continue over `more` lines. Returns the value, the number of
/// extra lines used and the text after the closing quote, or `None` when it never closes.
fn quoted<'a>(
    quote: char,
    first: &'a str,
    more: &[&'a str],
) -> Option<(Zeroizing<String>, usize, &'a str)> {
    let mut value = Zeroizing::new(String::new());
    let mut segment = first;
    let mut extra = 0;
    loop {
        let mut chars = segment.char_indices();
        while let Some((i, c)) = chars.next() {
            if c == quote {
                return Some((value, extra, &segment[i + c.len_utf8()..]));
            }
            if c == '\\' && quote == '"' {
                match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, 'r')) => value.push('\r'),
                    Some((_, 't')) => value.push('\t'),
                    Some((_, e @ ('\\' | '"' | '$' | '\'' | '`'))) => value.push(e),
                    Some((_, other)) => {
                        value.push('\\');
                        value.push(other);
                    }
                    // A backslash at the end of a line inside quotes: keep it, go on.
                    None => value.push('\\'),
                }
                continue;
            }
            value.push(c);
        }
        let next = more.get(extra)?;
        value.push('\n');
        segment = next;
        extra += 1;
    }
}

/// Formats `KEY=value` so that [`parse`] reads back exactly `value`.
pub fn format_line(key: &str, value: &str) -> String {
    format!("{key}={}", quote(value))
}

/// Quotes a value for a dotenv file: bare when that is unambiguous, single quotes when
/// possible, double quotes with escapes otherwise.
pub fn quote(value: &str) -> String {
    let bare = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.,/:+=@%^~".contains(c));
    if bare {
        return value.to_owned();
    }
    if !value.contains(['\'', '\n', '\r']) {
        return format!("'{value}'");
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '$' => out.push_str("\\$"),
            '`' => out.push_str("\\`"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<(String, String)> {
        parse(text)
            .entries
            .into_iter()
            .map(|e| (e.key, e.value.expose().to_owned()))
            .collect()
    }

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn plain_comments_export_and_spaces() {
        let text = "# header\n\nA=1\nexport B=two # note\n  C = spaced  \nD=a#b\nexportE=x\n";
        assert_eq!(
            values(text),
            vec![
                pair("A", "1"),
                pair("B", "two"),
                pair("C", "spaced"),
                pair("D", "a#b"),
                pair("exportE", "x")
            ]
        );
    }

    #[test]
    fn quotes_and_escapes() {
        let text = concat!(
            "S='single $HOME \\n kept'\n",
            "D=\"tab\\there \\\"q\\\" \\$HOME \\\\ end\"\n",
            "B=`back tick`\n",
            "H=\"hash # inside\" # comment\n",
            "U=\"caf\u{e9} \u{1f511}\"\n",
        );
        assert_eq!(
            values(text),
            vec![
                pair("S", "single $HOME \\n kept"),
                pair("D", "tab\there \"q\" $HOME \\ end"),
                pair("B", "back tick"),
                pair("H", "hash # inside"),
                pair("U", "caf\u{e9} \u{1f511}"),
            ]
        );
    }

    #[test]
    fn multi_line_values_and_crlf() {
        let text = "K=\"-----BEGIN KEY-----\r\nabc\r\n-----END KEY-----\"\r\nN=after\r\n";
        assert_eq!(
            values(text),
            vec![
                pair("K", "-----BEGIN KEY-----\nabc\n-----END KEY-----"),
                pair("N", "after")
            ]
        );
        let p = parse(text);
        assert_eq!(p.entries[1].line, 4);
    }

    #[test]
    fn reports_what_it_skips_and_why() {
        let text =
            "no equals here\n1BAD=x\nEMPTY=\nOPEN=\"never closed\nGOOD=1\nTRAIL='x' junk\nGOOD=2\n";
        let p = parse(text);
        let got: Vec<(usize, Option<&str>, &str)> = p
            .skipped
            .iter()
            .map(|s| (s.line, s.key.as_deref(), s.reason.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, None, "no `=` (expected KEY=value)"),
                (2, Some("1BAD"), "not a valid environment variable name"),
                (3, Some("EMPTY"), "empty value"),
                (4, Some("OPEN"), "unterminated double quote"),
                (6, Some("TRAIL"), "unexpected text after the closing quote"),
                (
                    5,
                    Some("GOOD"),
                    "set again on line 7; the later value is used"
                ),
            ]
        );
        assert_eq!(values(text), vec![pair("GOOD", "2")]);
    }

    #[test]
    fn bom_is_ignored() {
        assert_eq!(values("\u{feff}A=1"), vec![pair("A", "1")]);
    }

    #[test]
    fn format_reads_back_exactly() {
        let nasty = [
            "plain",
            "with space",
            "it's",
            "quote\"d",
            "line1\nline2",
            "cr\r\nlf",
            "$HOME and ${X}",
            "back\\slash\\n",
            "`tick`",
            "#hash",
            "trailing space ",
            " leading",
            "tab\there",
            "=equals=",
            "caf\u{e9}",
        ];
        for v in nasty {
            let line = format_line("K", v);
            let back = values(&line);
            assert_eq!(back, vec![pair("K", v)], "line was {line:?}");
        }
    }
}
