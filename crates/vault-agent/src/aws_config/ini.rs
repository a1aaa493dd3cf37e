//! A line-preserving editor for the AWS CLI's INI files (`~/.aws/config`, `~/.aws/credentials`).
//! botocore reads them with Python's `configparser` rules (`[section]` headers, `key = value`,
//! `#` and `;` comments, indented lines continuing the previous value, option names compared
//! without case); the user's comments, order and other settings stay exactly as they were, and
//! only the lines vault sets or removes change.

/// One file, as its lines. Its `Debug` shows the section names only: the credentials file's
/// lines are secrets.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Ini {
    lines: Vec<String>,
}

impl std::fmt::Debug for Ini {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ini")
            .field("sections", &self.sections())
            .finish_non_exhaustive()
    }
}

/// A section: the index of its header line and of the line after its last one.
#[derive(Clone, Copy, Debug)]
struct Span {
    header: usize,
    end: usize,
}

/// What [`Ini::set`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Set {
    Added,
    Unchanged,
    /// The previous value.
    Replaced(String),
}

fn header_name(line: &str) -> Option<&str> {
    let t = line.trim();
    t.strip_prefix('[')?.strip_suffix(']').map(str::trim)
}

/// `key = value` (or `key: value`) of a line that starts one, not a comment or continuation.
fn key_value(line: &str) -> Option<(&str, &str)> {
    if line.starts_with([' ', '\t']) {
        return None;
    }
    let t = line.trim();
    if t.is_empty() || t.starts_with(['#', ';', '[']) {
        return None;
    }
    let at = t.find(['=', ':'])?;
    Some((t[..at].trim(), t[at + 1..].trim()))
}

impl Ini {
    pub fn parse(text: &str) -> Ini {
        Ini {
            lines: text.lines().map(str::to_owned).collect(),
        }
    }

    pub fn render(&self) -> String {
        let mut out = self.lines.join("\n");
        if !out.is_empty() {
            out.push('\n');
        }
        out
    }

    fn span(&self, section: &str) -> Option<Span> {
        let header = self
            .lines
            .iter()
            .position(|l| header_name(l) == Some(section))?;
        let end = self.lines[header + 1..]
            .iter()
            .position(|l| header_name(l).is_some())
            .map_or(self.lines.len(), |i| header + 1 + i);
        Some(Span { header, end })
    }

    /// Every section's name, in order.
    pub fn sections(&self) -> Vec<String> {
        self.lines
            .iter()
            .filter_map(|l| header_name(l).map(str::to_owned))
            .collect()
    }

    /// The section's settings, in order (a continued value's first line only).
    pub fn entries(&self, section: &str) -> Vec<(String, String)> {
        let Some(s) = self.span(section) else {
            return Vec::new();
        };
        self.lines[s.header + 1..s.end]
            .iter()
            .filter_map(|l| key_value(l))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    pub fn get(&self, section: &str, key: &str) -> Option<String> {
        self.entries(section)
            .into_iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    }

    /// The line index of `key` in `section`, and the index after its continuation lines.
    fn find(&self, section: &str, key: &str) -> Option<(usize, usize)> {
        let s = self.span(section)?;
        let at = (s.header + 1..s.end).find(|&i| {
            key_value(&self.lines[i]).is_some_and(|(k, _)| k.eq_ignore_ascii_case(key))
        })?;
        let end = (at + 1..s.end)
            .find(|&i| {
                // The first line that does not continue the value: not indented, or blank.
                let l = &self.lines[i];
                !l.starts_with([' ', '\t']) || l.trim().is_empty()
            })
            .unwrap_or(s.end);
        Some((at, end))
    }

    /// Sets `key = value` in `section`, adding the section at the end when there is none.
    pub fn set(&mut self, section: &str, key: &str, value: &str) -> Set {
        let line = format!("{key} = {value}");
        if let Some((at, end)) = self.find(section, key) {
            let old = key_value(&self.lines[at]).map(|(_, v)| v.to_owned());
            if old.as_deref() == Some(value) && end == at + 1 {
                return Set::Unchanged;
            }
            self.lines.splice(at..end, [line]);
            return Set::Replaced(old.unwrap_or_default());
        }
        match self.span(section) {
            Some(s) => {
                // After the section's last setting: blank lines and comments before the next
                // section stay with it.
                let mut at = s.end;
                while at > s.header + 1 && self.lines[at - 1].trim().is_empty() {
                    at -= 1;
                }
                self.lines.insert(at, line);
            }
            None => {
                if self.lines.last().is_some_and(|l| !l.trim().is_empty()) {
                    self.lines.push(String::new());
                }
                self.lines.push(format!("[{section}]"));
                self.lines.push(line);
            }
        }
        Set::Added
    }

    /// Removes `key` from `section`; its value, if it was there.
    pub fn remove(&mut self, section: &str, key: &str) -> Option<String> {
        let (at, end) = self.find(section, key)?;
        let old = key_value(&self.lines[at]).map(|(_, v)| v.to_owned());
        self.lines.drain(at..end);
        old
    }

    /// Removes `section` when it holds no setting any more (comments included: a section of
    /// comments only is left alone, as the user may want them).
    pub fn drop_if_empty(&mut self, section: &str) -> bool {
        let Some(s) = self.span(section) else {
            return false;
        };
        if self.lines[s.header + 1..s.end]
            .iter()
            .any(|l| !l.trim().is_empty())
        {
            return false;
        }
        self.lines.drain(s.header..s.end);
        // No blank line left doubled where the section was.
        if s.header > 0
            && self
                .lines
                .get(s.header - 1)
                .is_some_and(|l| l.trim().is_empty())
            && self.lines.get(s.header).is_none_or(|l| l.trim().is_empty())
        {
            self.lines.remove(s.header - 1);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const CONFIG: &str = "\
# my settings
[default]
region = eu-west-1
s3 =
  max_concurrent_requests = 20

[profile work]
Region=us-east-1
output = json
";

    #[test]
    fn reads_sections_and_settings_as_configparser_does() {
        let ini = Ini::parse(CONFIG);
        assert_eq!(ini.sections(), ["default", "profile work"]);
        assert_eq!(
            ini.get("profile work", "region").as_deref(),
            Some("us-east-1")
        );
        assert_eq!(ini.get("default", "s3").as_deref(), Some(""));
        assert_eq!(ini.get("default", "max_concurrent_requests"), None);
        assert_eq!(ini.get("nope", "region"), None);
    }

    #[test]
    fn setting_changes_only_its_line_and_keeps_everything_else() {
        let mut ini = Ini::parse(CONFIG);
        assert_eq!(
            ini.set("default", "credential_process", "vault aws a"),
            Set::Added
        );
        assert_eq!(
            ini.set("default", "credential_process", "vault aws a"),
            Set::Unchanged
        );
        assert_eq!(
            ini.set("profile work", "region", "eu-central-1"),
            Set::Replaced("us-east-1".into())
        );
        assert_eq!(
            ini.set("profile new", "credential_process", "x"),
            Set::Added
        );
        assert_eq!(
            ini.render(),
            "\
# my settings
[default]
region = eu-west-1
s3 =
  max_concurrent_requests = 20
credential_process = vault aws a

[profile work]
region = eu-central-1
output = json

[profile new]
credential_process = x
"
        );
        // A continued value is replaced whole.
        ini.set("default", "s3", "none");
        assert!(!ini.render().contains("max_concurrent_requests"));
    }

    #[test]
    fn debug_shows_no_setting() {
        let ini = Ini::parse("[work]\naws_secret_access_key = s3cr3t\n");
        let shown = format!("{ini:?}");
        assert!(
            shown.contains("work") && !shown.contains("s3cr3t"),
            "{shown}"
        );
    }

    #[test]
    fn removing_the_last_setting_can_drop_the_section() {
        let mut ini = Ini::parse("[a]\nx = 1\n\n[b]\ny = 2\n");
        assert_eq!(ini.remove("a", "X").as_deref(), Some("1"));
        assert_eq!(ini.remove("a", "x"), None);
        assert!(ini.drop_if_empty("a"));
        assert!(!ini.drop_if_empty("b"));
        assert_eq!(ini.render(), "[b]\ny = 2\n");
        assert_eq!(Ini::parse("").render(), "");
    }
}
