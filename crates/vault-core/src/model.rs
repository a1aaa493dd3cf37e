//! What the vault holds: items (API keys for now; OAuth grants join them), their metadata and
//! their previous values.
//!
//! Metadata types are plain data (`Debug`, `Serialize`): they are encrypted at rest but shown to
//! the user. Values are [`SecretValue`]s and never part of a metadata type.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::rotation::{DEFAULT_INTERVAL_DAYS, RotationPolicy, Schedule};
use crate::secret::SecretValue;

/// A random 128-bit item id, shown as a UUID.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemId(pub [u8; 16]);

impl ItemId {
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        uuid::Uuid::from_bytes(self.0).hyphenated().fmt(f)
    }
}

impl fmt::Debug for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ItemId({self})")
    }
}

impl std::str::FromStr for ItemId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(ItemId(*uuid::Uuid::parse_str(s)?.as_bytes()))
    }
}

impl Serialize for ItemId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ItemId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The kind of an item, stored in plaintext so a kind can be loaded on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    ApiKey,
}

impl ItemKind {
    pub(crate) fn code(self) -> i64 {
        match self {
            ItemKind::ApiKey => 1,
        }
    }

    pub(crate) fn from_code(code: i64) -> Option<Self> {
        match code {
            1 => Some(ItemKind::ApiKey),
            _ => None,
        }
    }
}

/// An API key's metadata: everything but the value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ApiKeyMeta {
    pub name: String,
    /// Environment variable names the value is injected as (at least one).
    pub env: Vec<String>,
    /// The provider or service, e.g. `openai`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub notes: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub created: Timestamp,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub updated: Timestamp,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub last_rotated: Timestamp,
    #[serde(default)]
    pub rotation: RotationPolicy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(as = "Option<String>"))]
    pub expires: Option<Timestamp>,
    /// The number of the current value: 1 when added, +1 on every rotation or rollback.
    pub version: u32,
}

impl ApiKeyMeta {
    pub fn schedule(&self) -> Schedule {
        Schedule::new(
            self.last_rotated,
            self.rotation,
            DEFAULT_INTERVAL_DAYS,
            self.expires,
        )
    }
}

/// An item's metadata, by kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ItemMeta {
    ApiKey(ApiKeyMeta),
}

impl ItemMeta {
    pub fn name(&self) -> &str {
        match self {
            ItemMeta::ApiKey(m) => &m.name,
        }
    }

    pub fn kind(&self) -> ItemKind {
        match self {
            ItemMeta::ApiKey(_) => ItemKind::ApiKey,
        }
    }

    pub fn env(&self) -> &[String] {
        match self {
            ItemMeta::ApiKey(m) => &m.env,
        }
    }

    pub fn tags(&self) -> &[String] {
        match self {
            ItemMeta::ApiKey(m) => &m.tags,
        }
    }

    pub fn as_api_key(&self) -> Option<&ApiKeyMeta> {
        match self {
            ItemMeta::ApiKey(m) => Some(m),
        }
    }

    /// Case-insensitive substring match on name, env names, service and tags.
    pub fn matches(&self, needle_folded: &str) -> bool {
        let hit = |s: &str| s.to_lowercase().contains(needle_folded);
        match self {
            ItemMeta::ApiKey(m) => {
                hit(&m.name)
                    || m.env.iter().any(|e| hit(e))
                    || m.tags.iter().any(|t| hit(t))
                    || m.service.as_deref().is_some_and(hit)
            }
        }
    }
}

/// An item as listed: id and metadata, no value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Item {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: ItemId,
    #[serde(flatten)]
    pub meta: ItemMeta,
}

/// An API key with its value, for the moment of use.
#[derive(Debug)]
pub struct ApiKey {
    pub id: ItemId,
    pub meta: ApiKeyMeta,
    pub value: SecretValue,
}

/// The fields of an API key that `vault get --field` and `vault://NAME/FIELD` can name.
pub const API_KEY_FIELDS: &[&str] = &[
    "value",
    "name",
    "env",
    "service",
    "tags",
    "notes",
    "created",
    "updated",
    "last_rotated",
    "rotation",
    "expires",
    "version",
    "id",
];

impl ApiKey {
    /// One field as text (lists one per line); the value only for `value`.
    pub fn field(&self, field: &str) -> crate::Result<SecretValue> {
        let m = &self.meta;
        let text = match field {
            "value" => return Ok(self.value.clone()),
            "name" => m.name.clone(),
            "env" => m.env.join("\n"),
            "service" => m.service.clone().unwrap_or_default(),
            "tags" => m.tags.join("\n"),
            "notes" => m.notes.clone(),
            "created" => m.created.to_string(),
            "updated" => m.updated.to_string(),
            "last_rotated" => m.last_rotated.to_string(),
            "rotation" => m.rotation.to_string(),
            "expires" => m.expires.map(|t| t.to_string()).unwrap_or_default(),
            "version" => m.version.to_string(),
            "id" => self.id.to_string(),
            other => {
                return Err(crate::Error::Invalid(format!(
                    "{:?} has no field {other:?}; fields are {}",
                    m.name,
                    API_KEY_FIELDS.join(", ")
                )));
            }
        };
        Ok(SecretValue::new(text))
    }
}

/// What `vault add` provides.
#[derive(Debug)]
pub struct NewApiKey {
    pub name: String,
    pub value: SecretValue,
    /// Empty means "derive one from the name".
    pub env: Vec<String>,
    pub service: Option<String>,
    pub tags: Vec<String>,
    pub notes: String,
    pub rotation: RotationPolicy,
    pub expires: Option<Timestamp>,
}

impl NewApiKey {
    pub fn new(name: impl Into<String>, value: SecretValue) -> Self {
        NewApiKey {
            name: name.into(),
            value,
            env: Vec::new(),
            service: None,
            tags: Vec::new(),
            notes: String::new(),
            rotation: RotationPolicy::Default,
            expires: None,
        }
    }
}

/// Changes to an API key's metadata; an absent field leaves it as it is.
///
/// On the wire an absent field is "no change" and `null` clears an optional one (`service`,
/// `expires`): a plain `Option<Option<T>>` would read `null` as "no change", so clearing an
/// expiry through the agent would silently do nothing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct ApiKeyEdit {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub rename: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub env: Option<Vec<String>>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[cfg_attr(feature = "ts", ts(type = "string | null", optional))]
    pub service: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub tags: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub notes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub rotation: Option<RotationPolicy>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[cfg_attr(feature = "ts", ts(type = "string | null", optional))]
    pub expires: Option<Option<Timestamp>>,
}

/// A field that is present (even as `null`) is a change.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A previous value of an item, as listed by `vault history`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Version {
    pub version: u32,
    /// When this value became current.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub set_at: Timestamp,
    /// When it was replaced; `None` for the current value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(as = "Option<String>"))]
    pub replaced_at: Option<Timestamp>,
}

/// How `vault import` treats a name that already exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum OnConflict {
    /// Leave the existing item and report the entry as skipped.
    Skip,
    /// Rotate the existing item to the imported value (the old one is kept as a version).
    Rotate,
}

/// What an import did, entry by entry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportReport {
    pub added: Vec<String>,
    pub rotated: Vec<String>,
    /// Entries left alone, with the line and the reason.
    pub skipped: Vec<Skipped>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Skipped {
    pub line: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub reason: String,
}

/// An entry of the encrypted audit log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditEntry {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub at: Timestamp,
    #[serde(flatten)]
    pub event: AuditEvent,
}

/// What happened. Names and counts only, never values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum AuditEvent {
    VaultCreated,
    PasswordChanged,
    ItemAdded {
        name: String,
    },
    ItemEdited {
        name: String,
    },
    ItemRenamed {
        from: String,
        to: String,
    },
    ItemRotated {
        name: String,
        version: u32,
    },
    ItemRolledBack {
        name: String,
        to_version: u32,
        version: u32,
    },
    ItemRemoved {
        name: String,
    },
    Imported {
        added: usize,
        rotated: usize,
    },
    Exported {
        count: usize,
    },
    /// `vault run` (or `vault env`/`vault inject`) handed these items' values to a program.
    Run {
        program: String,
        items: Vec<String>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_tell_clearing_from_leaving_alone() {
        let clear = ApiKeyEdit {
            expires: Some(None),
            ..ApiKeyEdit::default()
        };
        let json = serde_json::to_string(&clear).unwrap();
        assert_eq!(json, r#"{"expires":null}"#);
        assert_eq!(serde_json::from_str::<ApiKeyEdit>(&json).unwrap(), clear);

        let untouched: ApiKeyEdit = serde_json::from_str(r#"{"notes":"n"}"#).unwrap();
        assert_eq!(untouched.expires, None);
        assert_eq!(untouched.service, None);
        assert_eq!(untouched.notes.as_deref(), Some("n"));

        let set: ApiKeyEdit =
            serde_json::from_str(r#"{"expires":"2030-01-01T00:00:00Z","service":null}"#).unwrap();
        assert!(matches!(set.expires, Some(Some(_))));
        assert_eq!(set.service, Some(None));
    }
}
