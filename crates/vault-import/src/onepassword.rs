//! 1Password's exports: the `.1pux` archive (its `export.data`, as 1Password's "About the
//! 1Password Unencrypted Export format" describes it) and the CSV export. Logins, passwords,
//! API credentials, secure notes, SSH keys and the server-like categories become items, vault
//! names and tags become tags, section fields become fields (concealed ones secret).

use std::io::Read as _;

use serde::Deserialize;
use vault_core::SecretValue;

use crate::{Draft, ImportError, Input, Read, Skip};

/// Whether a ZIP archive is a 1pux (it holds `export.data`).
pub(crate) fn is_1pux(bytes: &[u8]) -> bool {
    zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .is_ok_and(|z| z.index_for_name("export.data").is_some())
}

/// Whether text is 1Password's CSV export: a header with Title and Password columns.
pub(crate) fn is_csv(text: &str) -> bool {
    let header = text.lines().next().unwrap_or_default().to_ascii_lowercase();
    let cols: Vec<&str> = header
        .split(',')
        .map(|c| c.trim().trim_matches('"'))
        .collect();
    cols.contains(&"title") && cols.contains(&"password")
}

pub(crate) fn read(input: &Input<'_>) -> Result<Read, ImportError> {
    if input.bytes.starts_with(b"PK\x03\x04") {
        read_1pux(input)
    } else {
        read_csv(input)
    }
}

#[derive(Deserialize)]
struct ExportData {
    #[serde(default)]
    accounts: Vec<Account>,
}

#[derive(Deserialize)]
struct Account {
    #[serde(default)]
    vaults: Vec<Vault>,
}

#[derive(Deserialize)]
struct Vault {
    #[serde(default)]
    attrs: VaultAttrs,
    #[serde(default)]
    items: Vec<Item>,
}

#[derive(Deserialize, Default)]
struct VaultAttrs {
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    #[serde(default)]
    state: Option<String>,
    category_uuid: String,
    #[serde(default)]
    details: Details,
    #[serde(default)]
    overview: Overview,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Details {
    #[serde(default)]
    login_fields: Vec<LoginField>,
    #[serde(default)]
    notes_plain: Option<String>,
    #[serde(default)]
    sections: Vec<Section>,
    #[serde(default)]
    password: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LoginField {
    #[serde(default)]
    value: serde_json::Value,
    #[serde(default)]
    name: String,
    #[serde(default)]
    field_type: String,
    #[serde(default)]
    designation: Option<String>,
}

#[derive(Deserialize)]
struct Section {
    #[serde(default)]
    fields: Vec<SectionField>,
}

#[derive(Deserialize)]
struct SectionField {
    #[serde(default)]
    title: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    value: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize, Default)]
struct Overview {
    #[serde(default)]
    title: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
}

/// What vault makes of a category (its `categoryUuid`).
enum Kind {
    Login,
    Password,
    ApiCredential,
    SecureNote,
    SshKey,
    /// Database, server, email account, router, software licence: the first concealed field
    /// (or the password) is the value.
    Concealed,
    /// Cards, identities, documents...: not developer credentials.
    LeftOut(&'static str),
}

fn kind(category: &str) -> Option<Kind> {
    Some(match category {
        "001" => Kind::Login,
        "005" => Kind::Password,
        "112" => Kind::ApiCredential,
        "003" => Kind::SecureNote,
        "114" => Kind::SshKey,
        "100" | "102" | "109" | "110" | "111" => Kind::Concealed,
        "002" => Kind::LeftOut("a credit card"),
        "004" => Kind::LeftOut("an identity"),
        "006" => Kind::LeftOut("a document (files are not imported)"),
        "101" => Kind::LeftOut("a bank account"),
        "103" => Kind::LeftOut("a driver licence"),
        "104" => Kind::LeftOut("an outdoor licence"),
        "105" => Kind::LeftOut("a membership"),
        "106" => Kind::LeftOut("a passport"),
        "107" => Kind::LeftOut("a rewards programme"),
        "108" => Kind::LeftOut("a social security number"),
        "113" => Kind::LeftOut("a medical record"),
        _ => return None,
    })
}

fn read_1pux(input: &Input<'_>) -> Result<Read, ImportError> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(input.bytes))
        .map_err(|e| ImportError::corrupt(input, format!("not a readable .1pux archive ({e})")))?;
    let mut data = zeroize::Zeroizing::new(Vec::new());
    zip.by_name("export.data")
        .map_err(|_| ImportError::corrupt(input, "a ZIP archive without export.data, not a .1pux"))?
        .read_to_end(&mut data)
        .map_err(|e| ImportError::corrupt(input, format!("export.data cannot be read ({e})")))?;
    let export: ExportData = serde_json::from_slice(&data).map_err(|e| {
        ImportError::corrupt(
            input,
            format!(
                "export.data is not 1Password's export data (at line {}, column {})",
                e.line(),
                e.column()
            ),
        )
    })?;
    let mut out = Read::default();
    for vault in export.accounts.into_iter().flat_map(|a| a.vaults) {
        for item in vault.items {
            let origin = format!("{}/{}", vault.attrs.name, item.overview.title);
            let Some(kind) = kind(&item.category_uuid) else {
                return Err(ImportError::entry(
                    input,
                    origin,
                    format!(
                        "an item of category {:?}, which vault does not know",
                        item.category_uuid
                    ),
                ));
            };
            if let Kind::LeftOut(what) = kind {
                out.skipped.push(Skip {
                    origin,
                    reason: format!("{what}, not a developer credential"),
                });
                continue;
            }
            if item.state.as_deref() == Some("archived") {
                out.skipped.push(Skip {
                    origin,
                    reason: "archived in 1Password".into(),
                });
                continue;
            }
            let mut d = Draft::new(origin, item.overview.title.clone());
            item_parts(&mut d, &kind, &item);
            d.tag(&vault.attrs.name);
            for t in &item.overview.tags {
                d.tag(t);
            }
            d.finish(&mut out);
        }
    }
    Ok(out)
}

/// The value, fields and notes of one item.
fn item_parts(d: &mut Draft, kind: &Kind, item: &Item) {
    let details = &item.details;
    let notes = details.notes_plain.clone().unwrap_or_default();
    for f in &details.login_fields {
        let value = match &f.value {
            serde_json::Value::String(s) => s.as_str(),
            _ => continue,
        };
        match f.designation.as_deref() {
            Some("password") => d.value = Some(SecretValue::new(value)),
            Some("username") => d.field("username", value),
            _ if f.field_type == "P" => d.secret_field(&f.name, value),
            _ if !f.name.is_empty() => d.field(&f.name, value),
            _ => {}
        }
    }
    if let Some(url) = item.overview.url.as_deref() {
        d.field("url", url);
    }
    if let Some(p) = details.password.as_deref() {
        d.value.get_or_insert_with(|| SecretValue::new(p));
    }
    for f in details.sections.iter().flat_map(|s| &s.fields) {
        let name = if f.title.is_empty() { &f.id } else { &f.title };
        let text = |k: &str| f.value.get(k).and_then(serde_json::Value::as_str);
        if let Some(secret) = text("concealed") {
            // An API credential's `credential`, a server's first password: the value.
            let is_value = match kind {
                Kind::ApiCredential => f.id == "credential",
                Kind::Concealed => d.value.is_none(),
                _ => false,
            };
            if is_value {
                d.value = Some(SecretValue::new(secret));
            } else {
                d.secret_field(name, secret);
            }
        } else if let Some(totp) = text("totp") {
            d.secret_field(if name.is_empty() { "otp" } else { name }, totp);
        } else if let Some(key) = f
            .value
            .get("sshKey")
            .and_then(|k| k.get("privateKey"))
            .and_then(serde_json::Value::as_str)
        {
            if matches!(kind, Kind::SshKey) {
                d.value = Some(SecretValue::new(key));
            } else {
                d.secret_field(name, key);
            }
        } else if let Some(date) = f.value.get("date").and_then(serde_json::Value::as_i64) {
            let at = crate::from_unix(date);
            if matches!(kind, Kind::ApiCredential) && f.id == "expires" {
                d.expires = at;
            } else if let Some(at) = at {
                d.field(name, &at.strftime("%Y-%m-%d").to_string());
            }
        } else if let Some(email) = f
            .value
            .get("email")
            .and_then(|e| e.get("email_address"))
            .and_then(serde_json::Value::as_str)
        {
            d.field(name, email);
        } else if let Some(plain) = ["string", "url", "menu", "phone"]
            .iter()
            .find_map(|k| text(k))
        {
            d.field(name, plain);
        }
    }
    match kind {
        Kind::SecureNote => d.value = Some(SecretValue::new(notes)),
        _ => d.notes = notes,
    }
}

fn read_csv(input: &Input<'_>) -> Result<Read, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(input.bytes);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| ImportError::corrupt(input, format!("not a CSV file ({e})")))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let col = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let (Some(title), Some(password)) = (col(&["title"]), col(&["password"])) else {
        return Err(ImportError::corrupt(
            input,
            "a CSV file without Title and Password columns, not 1Password's export",
        ));
    };
    let username = col(&["username"]);
    let url = col(&["url", "website"]);
    let otp = col(&["otpauth", "one-time password"]);
    let notes = col(&["notes", "notesplain"]);
    let tags = col(&["tags"]);
    let archived = col(&["archived"]);
    let mut out = Read::default();
    for (i, row) in reader.records().enumerate() {
        // Row 1 is the header: the first record is on line 2 (for a one-line record).
        let row = row.map_err(|e| {
            ImportError::entry(
                input,
                format!("row {}", i + 2),
                format!("not valid CSV ({e})"),
            )
        })?;
        let cell = |c: Option<usize>| c.and_then(|c| row.get(c)).unwrap_or_default();
        let name = cell(Some(title));
        let origin = if name.is_empty() {
            format!("row {}", i + 2)
        } else {
            name.to_owned()
        };
        if cell(archived).eq_ignore_ascii_case("true") {
            out.skipped.push(Skip {
                origin,
                reason: "archived in 1Password".into(),
            });
            continue;
        }
        let mut d = Draft::new(origin, name);
        d.value = Some(SecretValue::new(cell(Some(password))));
        d.field("username", cell(username));
        d.field("url", cell(url));
        d.secret_field("otp", cell(otp));
        d.notes = cell(notes).to_owned();
        for t in cell(tags).split([',', ';']) {
            d.tag(t);
        }
        d.finish(&mut out);
    }
    Ok(out)
}
