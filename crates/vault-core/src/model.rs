//! What the vault holds: items (API keys and OAuth grants), OAuth provider configurations,
//! their metadata and their previous values.
//!
//! Metadata types are plain data (`Debug`, `Serialize`): they are encrypted at rest but shown to
//! the user. Values are [`SecretValue`]s and never part of a metadata type.

use std::collections::BTreeMap;
use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::formats;
use crate::hosts::HostRule;
use crate::rotation::{RotationPolicy, Schedule};
use crate::secret::SecretValue;

mod audit;
pub use audit::{AuditEntry, AuditEvent};

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
    Grant,
}

impl ItemKind {
    pub(crate) fn code(self) -> i64 {
        match self {
            ItemKind::ApiKey => 1,
            ItemKind::Grant => 2,
        }
    }

    pub(crate) fn from_code(code: i64) -> Option<Self> {
        match code {
            1 => Some(ItemKind::ApiKey),
            2 => Some(ItemKind::Grant),
            _ => None,
        }
    }
}

/// The `kind` code of provider configurations, stored in `items` but not items themselves.
pub(crate) const PROVIDER_KIND_CODE: i64 = 3;

/// The `kind` code of project files allowed by `vault allow` ([`crate::trust::Allowance`]).
pub(crate) const ALLOWANCE_KIND_CODE: i64 = 4;

/// The `kind` code of the vault's own key pairs ([`crate::vault::Record`]): `vault run --proxy`'s CA.
pub(crate) const RECORD_KIND_CODE: i64 = 5;

/// An API key's metadata: everything but the value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ApiKeyMeta {
    pub name: String,
    /// Environment variable names the value is injected as (at least one).
    pub env: Vec<String>,
    /// The provider or service, e.g. `openai`.
    #[serde(default)]
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
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<String>"))]
    pub expires: Option<Timestamp>,
    /// The number of the current value: 1 when added, +1 on every rotation or rollback.
    pub version: u32,
    /// Where the value may be sent; `None`: the service's hosts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<String>>", optional))]
    pub hosts: Option<Vec<HostRule>>,
    /// The credential's other parts, by name (`username`, `account`...): plain text, sealed
    /// with the rest of the metadata. `vault get NAME --field F` and `vault://NAME/F` read them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<BTreeMap<String, String>>", optional))]
    pub fields: BTreeMap<String, String>,
    /// The names of the item's secret fields, whose values are sealed with its value (in its
    /// secret cell and its history), never with the metadata a listing opens.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<String>>", optional))]
    pub secret_fields: Vec<String>,
    /// A server refused the current value (git's `erase` for an item the user added, which git
    /// may not delete): the item needs a new value, and says so until it gets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub refused: Option<Refused>,
    /// The item was changed on two devices at once (sync): the value that lost is in its
    /// history, until the user has looked (`vault sync resolve NAME`, or a new value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub conflict: Option<Conflict>,
}

/// A concurrent change from another device (see [`ApiKeyMeta::conflict`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Conflict {
    /// When this device noticed.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub at: Timestamp,
    /// The name of the other device.
    pub with: String,
    /// The history version holding the value that lost.
    pub version: u32,
}

/// How a "changed on two devices" flag was settled ([`crate::Vault::resolve_conflict`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Settled {
    pub name: String,
    /// The other device of the conflict.
    pub with: String,
    /// Whether the value that lost became current (else the current one was kept).
    pub took_other: bool,
    /// The current version after settling.
    pub version: u32,
    /// The history version holding the value that lost.
    pub other_version: u32,
}

/// When and by whom the current value of an item was refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Refused {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub at: Timestamp,
    /// What refused it: the URL git was using.
    pub by: String,
}

impl ApiKeyMeta {
    /// The hosts the value may be sent to: the item's own, else its service's (none for a
    /// service that is not known).
    pub fn allowed_hosts(&self) -> Vec<HostRule> {
        match &self.hosts {
            Some(hosts) => hosts.clone(),
            None => formats::default_hosts(self.service.as_deref()),
        }
    }

    /// The interval a `default` policy stands for: the provider's (by `service`), else 90 days.
    pub fn default_interval_days(&self) -> u32 {
        formats::default_interval_days(self.service.as_deref())
    }

    /// The rotation interval in days, `None` for never.
    pub fn interval_days(&self) -> Option<u32> {
        self.rotation.interval_days(self.default_interval_days())
    }

    pub fn schedule(&self) -> Schedule {
        Schedule::new(
            self.last_rotated,
            self.rotation,
            self.default_interval_days(),
            self.expires,
        )
    }
}

/// Whether a grant can still be refreshed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum GrantStatus {
    #[default]
    Ok,
    /// The provider refused the refresh token (`invalid_grant`): only a new login helps. The
    /// grant is kept so its name, provider and scopes are there for `vault login`.
    NeedsRelogin { reason: String },
}

/// An OAuth grant's metadata: everything but the tokens.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GrantMeta {
    pub name: String,
    /// Environment variable names the access token is injected as by `vault run`.
    pub env: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub notes: String,
    /// The provider configuration it was obtained through (`vault oauth ls`).
    pub provider: String,
    /// `bearer`, usually.
    pub token_type: String,
    /// The scopes granted (as the provider reported them, or as requested).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// When the access token expires; `None` when the provider did not say.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<String>"))]
    pub expires: Option<Timestamp>,
    /// When the refresh token stops working (only some providers say): after it, a new login.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<String>"))]
    pub refresh_expires: Option<Timestamp>,
    /// When the current access token was obtained.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub obtained: Timestamp,
    /// Who logged in (from the ID token, for display only).
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub created: Timestamp,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub updated: Timestamp,
    /// The last successful refresh.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<String>"))]
    pub last_refresh: Option<Timestamp>,
    /// Whether a refresh token is held.
    pub refreshable: bool,
    #[serde(default)]
    pub status: GrantStatus,
    /// The last failed refresh attempt that left the tokens in place (network, 5xx), if any
    /// since the last success.
    #[serde(default)]
    pub last_error: Option<String>,
    /// +1 whenever the tokens change: a process that waited for another's refresh sees it.
    #[serde(default)]
    pub generation: u64,
}

impl GrantMeta {
    /// Whether the access token is valid for at least `min_valid` after `now`. A token without
    /// an expiry is taken as valid (the provider said nothing; it fails at use).
    pub fn valid_for(&self, now: Timestamp, min_valid: jiff::SignedDuration) -> bool {
        match self.expires {
            None => true,
            Some(x) => x.duration_since(now) >= min_valid,
        }
    }

    /// The margin a refresh keeps: `wanted`, but at most half the token's lifetime, so a
    /// provider handing out 60 s tokens is not asked again on every use for `--min-valid 5m`.
    pub fn refresh_margin(&self, wanted: jiff::SignedDuration) -> jiff::SignedDuration {
        match self.expires {
            Some(x) => {
                let lifetime = x.duration_since(self.obtained);
                wanted.min(lifetime / 2).max(jiff::SignedDuration::ZERO)
            }
            None => wanted,
        }
    }
}

/// A grant's tokens. Sealed as the item's secret; never in metadata.
#[derive(Clone, Debug)]
pub struct GrantTokens {
    pub access_token: SecretValue,
    pub refresh_token: Option<SecretValue>,
}

/// A grant with its tokens, for the moment of use.
#[derive(Debug)]
pub struct Grant {
    pub id: ItemId,
    pub meta: GrantMeta,
    pub tokens: GrantTokens,
}

/// What a login hands over to be stored.
#[derive(Debug)]
pub struct NewGrant {
    pub name: String,
    pub provider: String,
    pub tokens: GrantTokens,
    pub token_type: String,
    pub scopes: Vec<String>,
    pub expires: Option<Timestamp>,
    /// When the refresh token stops working, where the provider says.
    pub refresh_expires: Option<Timestamp>,
    pub subject: Option<String>,
    pub email: Option<String>,
    /// Empty means "derive one from the name".
    pub env: Vec<String>,
}

/// What a refresh changes. `refresh_token: None` keeps the old one (RFC 6749 §6).
#[derive(Debug)]
pub struct RefreshedTokens {
    pub access_token: SecretValue,
    pub refresh_token: Option<SecretValue>,
    pub token_type: String,
    pub scopes: Option<Vec<String>>,
    pub expires: Option<Timestamp>,
    /// The new refresh token's end, when a new one came with its lifetime.
    pub refresh_expires: Option<Timestamp>,
}

/// An OAuth provider configuration: how to reach it and which client to be. The client
/// secret, when there is one, is sealed apart as the row's secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProviderMeta {
    pub name: String,
    /// The built-in preset whose quirks apply (`github`, ...), if any.
    #[serde(default)]
    pub preset: Option<String>,
    /// The issuer it was discovered from, if any.
    #[serde(default)]
    pub issuer: Option<String>,
    pub client_id: String,
    pub has_client_secret: bool,
    /// Scopes asked for when `vault login` names none.
    #[serde(default)]
    pub scopes: Vec<String>,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    #[serde(default)]
    pub device_authorization_endpoint: Option<String>,
    #[serde(default)]
    pub iss_parameter_supported: bool,
    /// Where its grants' access tokens may be sent (`vault run --proxy`); `None`: its preset's
    /// API hosts (none for a provider found by discovery).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<String>>", optional))]
    pub hosts: Option<Vec<HostRule>>,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub created: Timestamp,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub updated: Timestamp,
}

/// An item's metadata, by kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ItemMeta {
    ApiKey(ApiKeyMeta),
    Grant(GrantMeta),
}

impl ItemMeta {
    pub fn name(&self) -> &str {
        match self {
            ItemMeta::ApiKey(m) => &m.name,
            ItemMeta::Grant(m) => &m.name,
        }
    }

    pub fn kind(&self) -> ItemKind {
        match self {
            ItemMeta::ApiKey(_) => ItemKind::ApiKey,
            ItemMeta::Grant(_) => ItemKind::Grant,
        }
    }

    pub fn env(&self) -> &[String] {
        match self {
            ItemMeta::ApiKey(m) => &m.env,
            ItemMeta::Grant(m) => &m.env,
        }
    }

    pub fn tags(&self) -> &[String] {
        match self {
            ItemMeta::ApiKey(m) => &m.tags,
            ItemMeta::Grant(m) => &m.tags,
        }
    }

    pub fn as_api_key(&self) -> Option<&ApiKeyMeta> {
        match self {
            ItemMeta::ApiKey(m) => Some(m),
            ItemMeta::Grant(_) => None,
        }
    }

    pub fn as_grant(&self) -> Option<&GrantMeta> {
        match self {
            ItemMeta::Grant(m) => Some(m),
            ItemMeta::ApiKey(_) => None,
        }
    }

    /// Case-insensitive substring match on name, env names, service/provider and tags.
    pub fn matches(&self, needle_folded: &str) -> bool {
        self.search_text().contains(needle_folded)
    }

    /// What a search looks in, folded: name, env names, tags and service, one per line (a
    /// query never spans two of them).
    pub fn search_text(&self) -> String {
        match self {
            ItemMeta::ApiKey(m) => {
                let mut text = crate::names::fold(&m.name);
                for part in m.env.iter().chain(&m.tags).chain(&m.service) {
                    text.push('\n');
                    text.push_str(&part.to_lowercase());
                }
                text
            }
            ItemMeta::Grant(m) => {
                let mut text = crate::names::fold(&m.name);
                for part in m.env.iter().chain(&m.tags).chain([&m.provider]) {
                    text.push('\n');
                    text.push_str(&part.to_lowercase());
                }
                text
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

/// Secret fields by name: values that are opened only with the item's value.
pub type SecretFields = BTreeMap<String, SecretValue>;

/// An API key with its value, for the moment of use.
#[derive(Debug)]
pub struct ApiKey {
    pub id: ItemId,
    pub meta: ApiKeyMeta,
    pub value: SecretValue,
    /// The values of [`ApiKeyMeta::secret_fields`].
    pub secret_fields: SecretFields,
}

/// The longest field name, and the longest field value (metadata, not a file).
pub const MAX_FIELD_NAME: usize = 64;
pub const MAX_FIELD_VALUE: usize = 4096;

/// Checks a named field as `vault add --field NAME=VALUE` gives it: a name that a reference
/// (`vault://ITEM/NAME`) and a shell can carry, not one of the built-in [`API_KEY_FIELDS`] (in
/// any case), and a value with no NUL (the environment cannot hold one).
pub fn check_field(name: &str, value: &str) -> crate::Result<()> {
    let bad = |why: String| Err(crate::Error::Invalid(why));
    let mut chars = name.chars();
    let well_formed = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !well_formed || name.len() > MAX_FIELD_NAME {
        return bad(format!(
            "{name:?} is not a field name: a letter, then letters, digits, '_', '-' or '.', \
             at most {MAX_FIELD_NAME} characters (e.g. username)"
        ));
    }
    if API_KEY_FIELDS.iter().any(|b| b.eq_ignore_ascii_case(name)) {
        return bad(format!(
            "{name:?} is a built-in field of every key (see `vault get --help`): pick another name"
        ));
    }
    if value.is_empty() {
        return bad(format!(
            "field {name:?} is empty: give it a value, or remove it with --remove-field {name}"
        ));
    }
    if value.contains('\0') {
        return bad(format!("field {name:?} contains a NUL byte"));
    }
    if value.len() > MAX_FIELD_VALUE {
        return bad(format!(
            "field {name:?} is longer than {MAX_FIELD_VALUE} bytes"
        ));
    }
    Ok(())
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
    "hosts",
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
            "rotation" => m.rotation.describe(m.default_interval_days()),
            "expires" => m.expires.map(|t| t.to_string()).unwrap_or_default(),
            "version" => m.version.to_string(),
            "hosts" => m
                .allowed_hosts()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
            "id" => self.id.to_string(),
            other => match m.fields.get(other) {
                Some(text) => text.clone(),
                None if self.secret_fields.contains_key(other) => {
                    return Ok(self.secret_fields[other].clone());
                }
                None => {
                    let own: Vec<&str> = m
                        .fields
                        .keys()
                        .chain(&m.secret_fields)
                        .map(String::as_str)
                        .collect();
                    return Err(crate::Error::Invalid(format!(
                        "{:?} has no field {other:?}; fields are {}",
                        m.name,
                        API_KEY_FIELDS
                            .iter()
                            .copied()
                            .chain(own)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
            },
        };
        Ok(SecretValue::new(text))
    }
}

/// An imported key's metadata, as `vault export --format json` writes it: what an import of
/// such a file keeps (everything but the history, which an export does not hold).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ImportedMeta {
    pub env: Vec<String>,
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub rotation: RotationPolicy,
    #[serde(default)]
    pub expires: Option<Timestamp>,
    #[serde(default)]
    pub last_rotated: Option<Timestamp>,
    /// The item's own hosts, when it had some.
    #[serde(default)]
    pub hosts: Option<Vec<HostRule>>,
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// Never serialized: an export writes them beside the value, and the protocol carries them
    /// as secrets (see `ImportEntry`).
    #[serde(skip)]
    pub secret_fields: SecretFields,
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
    /// When the value was issued or last rotated, if before it is stored (`None`: now). The
    /// first due date counts from here.
    pub last_rotated: Option<Timestamp>,
    /// Where the value may be sent; `None`: the service's hosts.
    pub hosts: Option<Vec<HostRule>>,
    /// Named plain fields (see [`ApiKeyMeta::fields`]).
    pub fields: BTreeMap<String, String>,
    /// Named secret fields (see [`ApiKeyMeta::secret_fields`]).
    pub secret_fields: SecretFields,
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
            last_rotated: None,
            hosts: None,
            fields: BTreeMap::new(),
            secret_fields: BTreeMap::new(),
        }
    }
}

/// Changes to an API key's metadata; `None` leaves a field as it is.
///
/// The optional fields are `Option<Option<_>>`: `Some(None)` clears the field. On the wire a
/// cleared field is `null` and an unchanged one is absent, so the two survive JSON.
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
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
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
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "ts", ts(type = "string | null", optional))]
    pub expires: Option<Option<Timestamp>>,
    /// [`HostRule`]s as written (the vault says which one is bad); `Some(None)`: back to the
    /// service's hosts.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "ts", ts(type = "Array<string> | null", optional))]
    pub hosts: Option<Option<Vec<String>>>,
    /// Fields to set (a value) or remove (`null`); the others stay as they are.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(type = "Record<string, string | null>", optional))]
    pub fields: Option<BTreeMap<String, Option<String>>>,
}

/// A field that is present (even as `null`) is `Some`; an absent one falls to `default`.
fn present<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: serde::Deserializer<'de>,
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
    #[serde(default)]
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
    /// Added entries whose value has a known format: their service and rotation come from it.
    #[serde(default)]
    pub recognised: Vec<Recognised>,
}

/// An imported value recognised as a known key format.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Recognised {
    pub key: String,
    /// The provider id stored as the item's service, e.g. `github`.
    pub service: String,
    /// The format's id, e.g. `github-pat`.
    pub format: String,
    /// What it is, e.g. `GitHub personal access token (classic)`.
    pub description: String,
}

impl Recognised {
    pub fn new(key: impl Into<String>, format: &formats::KeyFormat) -> Self {
        Recognised {
            key: key.into(),
            service: format.service.id.to_owned(),
            format: format.id.to_owned(),
            description: format.description(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Skipped {
    pub line: usize,
    #[serde(default)]
    pub key: Option<String>,
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_that_clears_a_field_survives_json() {
        let clear = ApiKeyEdit {
            service: Some(None),
            expires: Some(None),
            ..Default::default()
        };
        let json = serde_json::to_string(&clear).unwrap();
        assert_eq!(serde_json::from_str::<ApiKeyEdit>(&json).unwrap(), clear);
        let untouched = ApiKeyEdit::default();
        let json = serde_json::to_string(&untouched).unwrap();
        assert!(
            !json.contains("expires") && !json.contains("service"),
            "{json}"
        );
        assert_eq!(
            serde_json::from_str::<ApiKeyEdit>(&json).unwrap(),
            untouched
        );
        let set = ApiKeyEdit {
            expires: Some(Some("2027-01-31T00:00:00Z".parse().unwrap())),
            service: Some(Some("github".into())),
            ..Default::default()
        };
        let json = serde_json::to_string(&set).unwrap();
        assert_eq!(serde_json::from_str::<ApiKeyEdit>(&json).unwrap(), set);
    }
}
