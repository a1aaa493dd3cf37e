//! Known API key formats: which provider issued a value, the environment variable it usually
//! goes in, and how often it should be rotated.
//!
//! Detection looks only at the shape of a value (exact prefix, length and alphabet), in this
//! process. It must never send a value anywhere, log it, or keep it: the compiled patterns hold
//! no input. Patterns are anchored and exact so that random strings of the same length and
//! alphabet do not match (the tests check thousands of them).

use std::sync::LazyLock;

use regex::Regex;

use crate::hosts::HostRule;
use crate::rotation::{DEFAULT_INTERVAL_DAYS, RotationPolicy};

/// A service that issues API keys (an item's `service` names one).
#[derive(Debug, PartialEq, Eq)]
pub struct Service {
    /// What `vault add` stores as the item's `service`, e.g. `github`.
    pub id: &'static str,
    /// How people write it, e.g. `GitHub`.
    pub name: &'static str,
    /// The rotation interval of an item of this service whose policy is `default`.
    pub rotation_days: u32,
    /// Where its keys are sent ([`crate::hosts::HostRule`]s): an item of this service whose
    /// hosts are not set may be sent to these.
    pub hosts: &'static [&'static str],
}

/// One shape of key a provider issues.
#[derive(Debug)]
pub struct KeyFormat {
    /// Stable identifier, e.g. `github-pat`.
    pub id: &'static str,
    pub service: &'static Service,
    /// What the key is, in the provider's words, e.g. `personal access token (classic)`.
    pub label: &'static str,
    /// The environment variable the provider's tools and docs read it from.
    pub env: &'static str,
    /// A policy particular to this kind of key (short-lived tokens, public keys); `None` when
    /// the provider's interval applies.
    rotation: Option<RotationPolicy>,
    /// A literal prefix checked before the pattern runs.
    prefix: &'static str,
    /// The whole value, anchored.
    pattern: &'static str,
}

impl KeyFormat {
    /// The literal start every key of this format has (`sk-proj-`, `ghp_`): public, and what
    /// SDKs check, so `vault run --proxy`'s placeholders keep it.
    pub fn prefix(&self) -> &'static str {
        self.prefix
    }

    /// The whole value's pattern (regex syntax, anchored with `\A` and `\z`): public, and
    /// what `vault scan` looks for in files, unanchored.
    pub fn pattern(&self) -> &'static str {
        self.pattern
    }

    /// Whether a key of this kind is a secret: publishable keys and account ids are not, and
    /// finding one in a file is no leak.
    pub fn is_secret(&self) -> bool {
        self.policy() != RotationPolicy::Never
    }

    /// The policy to store on an item holding this kind of key: `Default` (the provider's
    /// interval, through the item's service) unless this kind needs its own.
    pub fn policy(&self) -> RotationPolicy {
        self.rotation.unwrap_or_default()
    }

    /// The interval this kind of key should be rotated at, `None` for never.
    pub fn interval_days(&self) -> Option<u32> {
        self.policy().interval_days(self.service.rotation_days)
    }

    /// `GitHub personal access token (classic)`.
    pub fn description(&self) -> String {
        format!("{} {}", self.service.name, self.label)
    }
}

/// Every provider. Intervals follow the common advice of 90 days (AWS's IAM.3 control, CIS
/// benchmarks) unless a provider's own guidance differs.
pub static SERVICES: &[&Service] = &[
    &OPENAI,
    &ANTHROPIC,
    &GITHUB,
    &GITLAB,
    &STRIPE,
    &AWS,
    &GOOGLE,
    &SLACK,
    &TWILIO,
    &SENDGRID,
    &NPM,
    &PYPI,
    &HUGGINGFACE,
    &DIGITALOCEAN,
    &SHOPIFY,
    &DATABRICKS,
    &HEROKU,
    &SENTRY,
    &DOPPLER,
    &POSTMAN,
    &LINEAR,
    &NOTION,
    &PERPLEXITY,
];

const fn service(id: &'static str, name: &'static str, hosts: &'static [&'static str]) -> Service {
    Service {
        id,
        name,
        rotation_days: DEFAULT_INTERVAL_DAYS,
        hosts,
    }
}

static OPENAI: Service = service("openai", "OpenAI", &["api.openai.com"]);
static ANTHROPIC: Service = service("anthropic", "Anthropic", &["api.anthropic.com"]);
static GITHUB: Service = service(
    "github",
    "GitHub",
    &["api.github.com", "github.com", "uploads.github.com"],
);
static GITLAB: Service = service("gitlab", "GitLab", &["gitlab.com"]);
static STRIPE: Service = service("stripe", "Stripe", &["api.stripe.com", "files.stripe.com"]);
// No hosts: SigV4 signs requests with the secret, so a placeholder cannot be swapped in.
static AWS: Service = service("aws", "AWS", &[]);
static GOOGLE: Service = service("google", "Google", &["*.googleapis.com"]);
static SLACK: Service = service("slack", "Slack", &["slack.com", "*.slack.com"]);
static TWILIO: Service = service("twilio", "Twilio", &["api.twilio.com", "*.twilio.com"]);
static SENDGRID: Service = service("sendgrid", "SendGrid", &["api.sendgrid.com"]);
static NPM: Service = service("npm", "npm", &["registry.npmjs.org"]);
static PYPI: Service = service("pypi", "PyPI", &["upload.pypi.org"]);
static HUGGINGFACE: Service = service(
    "huggingface",
    "Hugging Face",
    &["huggingface.co", "*.huggingface.co"],
);
static DIGITALOCEAN: Service = service("digitalocean", "DigitalOcean", &["api.digitalocean.com"]);
static SHOPIFY: Service = service("shopify", "Shopify", &["*.myshopify.com"]);
static DATABRICKS: Service = service(
    "databricks",
    "Databricks",
    &[
        "*.cloud.databricks.com",
        "*.azuredatabricks.net",
        "*.gcp.databricks.com",
    ],
);
static HEROKU: Service = service("heroku", "Heroku", &["api.heroku.com"]);
static SENTRY: Service = service("sentry", "Sentry", &["sentry.io", "*.sentry.io"]);
static DOPPLER: Service = service("doppler", "Doppler", &["api.doppler.com"]);
static POSTMAN: Service = service("postman", "Postman", &["api.getpostman.com"]);
static LINEAR: Service = service("linear", "Linear", &["api.linear.app"]);
static NOTION: Service = service("notion", "Notion", &["api.notion.com"]);
static PERPLEXITY: Service = service("perplexity", "Perplexity", &["api.perplexity.ai"]);

/// Tokens that live hours at most: worth replacing daily if they are stored at all.
const SHORT_LIVED: Option<RotationPolicy> = Some(RotationPolicy::Every { days: 1 });
/// Public identifiers and publishable keys: nothing to rotate.
const NOT_SECRET: Option<RotationPolicy> = Some(RotationPolicy::Never);

#[allow(clippy::too_many_arguments)]
const fn format(
    id: &'static str,
    service: &'static Service,
    label: &'static str,
    env: &'static str,
    rotation: Option<RotationPolicy>,
    prefix: &'static str,
    pattern: &'static str,
) -> KeyFormat {
    KeyFormat {
        id,
        service,
        label,
        env,
        rotation,
        prefix,
        pattern,
    }
}

// Alphabets, spelled out: `\w` and `\d` are Unicode-aware in the regex crate.
macro_rules! b62 {
    () => {
        "[A-Za-z0-9]"
    };
}
macro_rules! b64url {
    () => {
        "[A-Za-z0-9_-]"
    };
}

/// Every known format, most specific first (the first match wins).
pub static FORMATS: &[KeyFormat] = &[
    format(
        "anthropic-api-key",
        &ANTHROPIC,
        "API key",
        "ANTHROPIC_API_KEY",
        None,
        "sk-ant-api03-",
        concat!(r"\Ask-ant-api03-", b64url!(), r"{93}AA\z"),
    ),
    format(
        "anthropic-admin-key",
        &ANTHROPIC,
        "admin API key",
        "ANTHROPIC_ADMIN_KEY",
        None,
        "sk-ant-admin01-",
        concat!(r"\Ask-ant-admin01-", b64url!(), r"{93}AA\z"),
    ),
    // Every OpenAI key carries `T3BlbkFJ` (base64 of "OpenAI") between two random halves.
    format(
        "openai-project-key",
        &OPENAI,
        "project API key",
        "OPENAI_API_KEY",
        None,
        "sk-proj-",
        concat!(
            r"\Ask-proj-(?:",
            b64url!(),
            "{58}|",
            b64url!(),
            "{74})T3BlbkFJ(?:",
            b64url!(),
            "{58}|",
            b64url!(),
            r"{74})\z"
        ),
    ),
    format(
        "openai-service-account-key",
        &OPENAI,
        "service account key",
        "OPENAI_API_KEY",
        None,
        "sk-svcacct-",
        concat!(
            r"\Ask-svcacct-(?:",
            b64url!(),
            "{58}|",
            b64url!(),
            "{74})T3BlbkFJ(?:",
            b64url!(),
            "{58}|",
            b64url!(),
            r"{74})\z"
        ),
    ),
    format(
        "openai-admin-key",
        &OPENAI,
        "admin key",
        "OPENAI_ADMIN_KEY",
        None,
        "sk-admin-",
        concat!(
            r"\Ask-admin-(?:",
            b64url!(),
            "{58}|",
            b64url!(),
            "{74})T3BlbkFJ(?:",
            b64url!(),
            "{58}|",
            b64url!(),
            r"{74})\z"
        ),
    ),
    format(
        "openai-api-key",
        &OPENAI,
        "API key",
        "OPENAI_API_KEY",
        None,
        "sk-",
        concat!(r"\Ask-", b62!(), "{20}T3BlbkFJ", b62!(), r"{20}\z"),
    ),
    format(
        "github-pat",
        &GITHUB,
        "personal access token (classic)",
        "GITHUB_TOKEN",
        None,
        "ghp_",
        concat!(r"\Aghp_", b62!(), r"{36}\z"),
    ),
    format(
        "github-fine-grained-pat",
        &GITHUB,
        "fine-grained personal access token",
        "GITHUB_TOKEN",
        None,
        "github_pat_",
        concat!(r"\Agithub_pat_", b62!(), "{22}_", b62!(), r"{59}\z"),
    ),
    format(
        "github-oauth-token",
        &GITHUB,
        "OAuth access token",
        "GITHUB_TOKEN",
        None,
        "gho_",
        concat!(r"\Agho_", b62!(), r"{36}\z"),
    ),
    // GitHub App user tokens expire after 8 hours, installation tokens after 1 hour.
    format(
        "github-app-user-token",
        &GITHUB,
        "GitHub App user access token",
        "GITHUB_TOKEN",
        SHORT_LIVED,
        "ghu_",
        concat!(r"\Aghu_", b62!(), r"{36}\z"),
    ),
    format(
        "github-app-installation-token",
        &GITHUB,
        "GitHub App installation token",
        "GITHUB_TOKEN",
        SHORT_LIVED,
        "ghs_",
        concat!(r"\Aghs_", b62!(), r"{36}\z"),
    ),
    // Refresh tokens of GitHub Apps last six months.
    format(
        "github-refresh-token",
        &GITHUB,
        "refresh token",
        "GITHUB_REFRESH_TOKEN",
        Some(RotationPolicy::Every { days: 180 }),
        "ghr_",
        concat!(r"\Aghr_", b62!(), r"{36}\z"),
    ),
    format(
        "gitlab-pat",
        &GITLAB,
        "personal access token",
        "GITLAB_TOKEN",
        None,
        "glpat-",
        concat!(
            r"\Aglpat-(?:",
            b64url!(),
            "{20}|",
            b64url!(),
            r"{27,300}\.[0-9a-z]{9})\z"
        ),
    ),
    format(
        "stripe-live-secret-key",
        &STRIPE,
        "live secret key",
        "STRIPE_SECRET_KEY",
        None,
        "sk_live_",
        concat!(r"\Ask_live_", b62!(), r"{24,247}\z"),
    ),
    // Test-mode keys cannot move money: a yearly rotation is plenty.
    format(
        "stripe-test-secret-key",
        &STRIPE,
        "test secret key",
        "STRIPE_SECRET_KEY",
        Some(RotationPolicy::Every { days: 365 }),
        "sk_test_",
        concat!(r"\Ask_test_", b62!(), r"{24,247}\z"),
    ),
    format(
        "stripe-live-restricted-key",
        &STRIPE,
        "live restricted key",
        "STRIPE_RESTRICTED_KEY",
        None,
        "rk_live_",
        concat!(r"\Ark_live_", b62!(), r"{24,247}\z"),
    ),
    format(
        "stripe-test-restricted-key",
        &STRIPE,
        "test restricted key",
        "STRIPE_RESTRICTED_KEY",
        Some(RotationPolicy::Every { days: 365 }),
        "rk_test_",
        concat!(r"\Ark_test_", b62!(), r"{24,247}\z"),
    ),
    // Publishable keys are meant to be shipped to browsers.
    format(
        "stripe-publishable-key",
        &STRIPE,
        "publishable key",
        "STRIPE_PUBLISHABLE_KEY",
        NOT_SECRET,
        "pk_",
        concat!(r"\Apk_(?:live|test)_", b62!(), r"{24,247}\z"),
    ),
    // Access key ids are base32 (A-Z, 2-7).
    format(
        "aws-access-key-id",
        &AWS,
        "access key ID",
        "AWS_ACCESS_KEY_ID",
        None,
        "AKIA",
        r"\AAKIA[A-Z2-7]{16}\z",
    ),
    // STS credentials expire within 36 hours.
    format(
        "aws-temporary-access-key-id",
        &AWS,
        "temporary access key ID (STS)",
        "AWS_ACCESS_KEY_ID",
        SHORT_LIVED,
        "ASIA",
        r"\AASIA[A-Z2-7]{16}\z",
    ),
    format(
        "google-api-key",
        &GOOGLE,
        "API key",
        "GOOGLE_API_KEY",
        None,
        "AIza",
        concat!(r"\AAIza", b64url!(), r"{35}\z"),
    ),
    format(
        "slack-bot-token",
        &SLACK,
        "bot token",
        "SLACK_BOT_TOKEN",
        None,
        "xoxb-",
        concat!(
            r"\Axoxb-[0-9]{8,14}-(?:[0-9]{8,14}-)?",
            b62!(),
            r"{18,34}\z"
        ),
    ),
    format(
        "slack-user-token",
        &SLACK,
        "user token",
        "SLACK_USER_TOKEN",
        None,
        "xoxp-",
        concat!(r"\Axoxp-(?:[0-9]{8,14}-){3}", b62!(), r"{28,34}\z"),
    ),
    format(
        "slack-app-token",
        &SLACK,
        "app-level token",
        "SLACK_APP_TOKEN",
        None,
        "xapp-",
        r"\Axapp-[0-9]-[A-Z0-9]{8,14}-[0-9]{8,14}-[a-f0-9]{32,80}\z",
    ),
    format(
        "slack-legacy-token",
        &SLACK,
        "legacy token",
        "SLACK_TOKEN",
        None,
        "xox",
        concat!(r"\Axox[aors]-(?:[0-9]{1,14}-){0,4}", b62!(), r"{8,64}\z"),
    ),
    format(
        "twilio-api-key",
        &TWILIO,
        "API key SID",
        "TWILIO_API_KEY",
        None,
        "SK",
        r"\ASK[0-9a-fA-F]{32}\z",
    ),
    format(
        "twilio-account-sid",
        &TWILIO,
        "account SID",
        "TWILIO_ACCOUNT_SID",
        NOT_SECRET,
        "AC",
        r"\AAC[0-9a-fA-F]{32}\z",
    ),
    format(
        "sendgrid-api-key",
        &SENDGRID,
        "API key",
        "SENDGRID_API_KEY",
        None,
        "SG.",
        concat!(r"\ASG\.", b64url!(), r"{22}\.", b64url!(), r"{43}\z"),
    ),
    format(
        "npm-access-token",
        &NPM,
        "access token",
        "NPM_TOKEN",
        None,
        "npm_",
        concat!(r"\Anpm_", b62!(), r"{36}\z"),
    ),
    // `pypi-` then a macaroon whose base64 starts with the encoded issuer "pypi.org".
    format(
        "pypi-api-token",
        &PYPI,
        "API token",
        "PYPI_API_TOKEN",
        None,
        "pypi-AgEIcHlwaS5vcmc",
        concat!(r"\Apypi-AgEIcHlwaS5vcmc", b64url!(), r"{50,1000}\z"),
    ),
    format(
        "huggingface-token",
        &HUGGINGFACE,
        "access token",
        "HF_TOKEN",
        None,
        "hf_",
        r"\Ahf_[A-Za-z]{34}\z",
    ),
    format(
        "huggingface-org-token",
        &HUGGINGFACE,
        "organization API token",
        "HF_TOKEN",
        None,
        "api_org_",
        r"\Aapi_org_[A-Za-z]{34}\z",
    ),
    format(
        "digitalocean-pat",
        &DIGITALOCEAN,
        "personal access token",
        "DIGITALOCEAN_ACCESS_TOKEN",
        None,
        "dop_v1_",
        r"\Adop_v1_[a-f0-9]{64}\z",
    ),
    format(
        "shopify-access-token",
        &SHOPIFY,
        "access token",
        "SHOPIFY_ACCESS_TOKEN",
        None,
        "shp",
        r"\Ashp(?:at|ca|pa)_[a-fA-F0-9]{32}\z",
    ),
    format(
        "shopify-shared-secret",
        &SHOPIFY,
        "shared secret",
        "SHOPIFY_API_SECRET",
        None,
        "shpss_",
        r"\Ashpss_[a-fA-F0-9]{32}\z",
    ),
    format(
        "databricks-token",
        &DATABRICKS,
        "personal access token",
        "DATABRICKS_TOKEN",
        None,
        "dapi",
        r"\Adapi[a-f0-9]{32}(?:-[0-9])?\z",
    ),
    format(
        "heroku-api-key",
        &HEROKU,
        "API key",
        "HEROKU_API_KEY",
        None,
        "HRKU-AA",
        concat!(r"\AHRKU-AA", b64url!(), r"{58}\z"),
    ),
    format(
        "sentry-user-token",
        &SENTRY,
        "user auth token",
        "SENTRY_AUTH_TOKEN",
        None,
        "sntryu_",
        r"\Asntryu_[a-f0-9]{64}\z",
    ),
    format(
        "doppler-personal-token",
        &DOPPLER,
        "personal token",
        "DOPPLER_TOKEN",
        None,
        "dp.pt.",
        concat!(r"\Adp\.pt\.", b62!(), r"{43}\z"),
    ),
    format(
        "postman-api-key",
        &POSTMAN,
        "API key",
        "POSTMAN_API_KEY",
        None,
        "PMAK-",
        r"\APMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34}\z",
    ),
    format(
        "linear-api-key",
        &LINEAR,
        "API key",
        "LINEAR_API_KEY",
        None,
        "lin_api_",
        concat!(r"\Alin_api_", b62!(), r"{40}\z"),
    ),
    format(
        "notion-token",
        &NOTION,
        "integration token",
        "NOTION_TOKEN",
        None,
        "ntn_",
        concat!(r"\Antn_[0-9]{11}", b62!(), r"{35}\z"),
    ),
    format(
        "perplexity-api-key",
        &PERPLEXITY,
        "API key",
        "PERPLEXITY_API_KEY",
        None,
        "pplx-",
        concat!(r"\Applx-", b62!(), r"{48}\z"),
    ),
];

/// No known format is longer than this; longer values are not examined.
const MAX_KEY_LEN: usize = 1100;

/// The compiled patterns, index for index with [`FORMATS`]. A pattern that failed to compile
/// is `None` and never matches (a unit test proves none fails).
static COMPILED: LazyLock<Vec<Option<Regex>>> =
    LazyLock::new(|| FORMATS.iter().map(|f| Regex::new(f.pattern).ok()).collect());

/// The field of an AWS access key item holding the key id (its value is the secret access
/// key): what `vault aws`, the import's join and the S3 sync engine read.
pub const AWS_KEY_ID_FIELD: &str = "access_key_id";
/// The secret field of an AWS access key item holding a temporary key's session token.
pub const AWS_TOKEN_FIELD: &str = "session_token";

/// An AWS access key id: `AKIA` (long-term) or `ASIA` (temporary) and 16 base32 characters.
pub fn is_aws_key_id(id: &str) -> bool {
    (id.starts_with("AKIA") || id.starts_with("ASIA"))
        && id.len() == 20
        && id[4..]
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
}

/// An AWS secret access key: 40 characters of base64's alphabet. Not a format [`detect`]
/// reports: alone, any 40 such characters would match.
pub fn is_aws_secret_key(secret: &str) -> bool {
    secret.len() == 40
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'/' || b == b'+')
}

/// The format of `value`, when it is exactly one of the known shapes.
pub fn detect(value: &str) -> Option<&'static KeyFormat> {
    if value.len() > MAX_KEY_LEN {
        return None;
    }
    FORMATS
        .iter()
        .zip(COMPILED.iter())
        .find(|(f, re)| {
            value.starts_with(f.prefix) && re.as_ref().is_some_and(|re| re.is_match(value))
        })
        .map(|(f, _)| f)
}

/// The provider an item's `service` names: its id or name, ignoring case, spaces and
/// punctuation (`Hugging Face`, `huggingface`, `hugging-face`).
pub fn service_by_name(service: &str) -> Option<&'static Service> {
    let folded = squash(service);
    if folded.is_empty() {
        return None;
    }
    SERVICES
        .iter()
        .copied()
        .find(|p| squash(p.id) == folded || squash(p.name) == folded)
}

/// The interval a `default` policy means for an item of `service`: the provider's, or
/// [`DEFAULT_INTERVAL_DAYS`] for a service that is not known.
pub fn default_interval_days(service: Option<&str>) -> u32 {
    service
        .and_then(service_by_name)
        .map_or(DEFAULT_INTERVAL_DAYS, |p| p.rotation_days)
}

/// Where a key of `service` goes when its item names no hosts: the service's API hosts, or none
/// for a service that is not known (such a key goes nowhere until it is given hosts).
pub fn default_hosts(service: Option<&str>) -> Vec<HostRule> {
    service
        .and_then(service_by_name)
        .and_then(|s| SERVICE_HOSTS.get(s.id))
        .cloned()
        .unwrap_or_default()
}

/// Each service's hosts, parsed once: `vault ls --json` asks for every key's. The table is
/// checked by a test: every entry parses.
static SERVICE_HOSTS: LazyLock<std::collections::HashMap<&'static str, Vec<HostRule>>> =
    LazyLock::new(|| {
        SERVICES
            .iter()
            .map(|s| {
                (
                    s.id,
                    s.hosts.iter().filter_map(|h| h.parse().ok()).collect(),
                )
            })
            .collect()
    });

fn squash(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_service_host_is_a_valid_rule() {
        for service in SERVICES {
            for host in service.hosts {
                assert!(host.parse::<HostRule>().is_ok(), "{}: {host}", service.id);
            }
            assert_eq!(default_hosts(Some(service.id)).len(), service.hosts.len());
        }
        let hosts = default_hosts(Some("OpenAI"));
        assert_eq!(hosts.len(), 1);
        assert_eq!(hosts[0].to_string(), "api.openai.com");
        assert!(
            default_hosts(Some("aws")).is_empty(),
            "SigV4 cannot be proxied"
        );
        assert!(default_hosts(Some("acme")).is_empty());
        assert!(default_hosts(None).is_empty());
    }

    /// A deterministic generator (splitmix64), so the random tests never flake.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn string(&mut self, alphabet: &str, len: usize) -> String {
            let chars: Vec<char> = alphabet.chars().collect();
            (0..len)
                .map(|_| chars[(self.next() % chars.len() as u64) as usize])
                .collect()
        }
    }

    const B62: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const B64URL: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const HEX: &str = "0123456789abcdef";
    const UPPER32: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const LETTERS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const DIGITS: &str = "0123456789";
    /// Everything a pasted key could plausibly contain.
    const PRINTABLE: &str =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.+/=~:";

    /// One well-formed example of every format, generated so no real-looking key sits in the
    /// source. Built from the providers' documented shapes, not from the patterns above.
    fn examples(r: &mut Rng) -> Vec<(&'static str, String)> {
        let mut s = |a: &str, n: usize| r.string(a, n);
        vec![
            (
                "anthropic-api-key",
                format!("sk-ant-api03-{}AA", s(B64URL, 93)),
            ),
            (
                "anthropic-admin-key",
                format!("sk-ant-admin01-{}AA", s(B64URL, 93)),
            ),
            (
                "openai-project-key",
                format!("sk-proj-{}T3BlbkFJ{}", s(B64URL, 74), s(B64URL, 74)),
            ),
            (
                "openai-project-key",
                format!("sk-proj-{}T3BlbkFJ{}", s(B64URL, 58), s(B64URL, 58)),
            ),
            (
                "openai-service-account-key",
                format!("sk-svcacct-{}T3BlbkFJ{}", s(B64URL, 74), s(B64URL, 74)),
            ),
            (
                "openai-admin-key",
                format!("sk-admin-{}T3BlbkFJ{}", s(B64URL, 58), s(B64URL, 58)),
            ),
            (
                "openai-api-key",
                format!("sk-{}T3BlbkFJ{}", s(B62, 20), s(B62, 20)),
            ),
            ("github-pat", format!("ghp_{}", s(B62, 36))),
            (
                "github-fine-grained-pat",
                format!("github_pat_{}_{}", s(B62, 22), s(B62, 59)),
            ),
            ("github-oauth-token", format!("gho_{}", s(B62, 36))),
            ("github-app-user-token", format!("ghu_{}", s(B62, 36))),
            (
                "github-app-installation-token",
                format!("ghs_{}", s(B62, 36)),
            ),
            ("github-refresh-token", format!("ghr_{}", s(B62, 36))),
            ("gitlab-pat", format!("glpat-{}", s(B64URL, 20))),
            (
                "gitlab-pat",
                format!(
                    "glpat-{}.01{}",
                    s(B64URL, 40),
                    s("0123456789abcdefghijklmnopqrstuvwxyz", 7)
                ),
            ),
            ("stripe-live-secret-key", format!("sk_live_{}", s(B62, 99))),
            ("stripe-live-secret-key", format!("sk_live_{}", s(B62, 24))),
            ("stripe-test-secret-key", format!("sk_test_{}", s(B62, 99))),
            (
                "stripe-live-restricted-key",
                format!("rk_live_{}", s(B62, 99)),
            ),
            (
                "stripe-test-restricted-key",
                format!("rk_test_{}", s(B62, 99)),
            ),
            ("stripe-publishable-key", format!("pk_live_{}", s(B62, 99))),
            ("stripe-publishable-key", format!("pk_test_{}", s(B62, 24))),
            ("aws-access-key-id", format!("AKIA{}", s(UPPER32, 16))),
            (
                "aws-temporary-access-key-id",
                format!("ASIA{}", s(UPPER32, 16)),
            ),
            ("google-api-key", format!("AIza{}", s(B64URL, 35))),
            (
                "slack-bot-token",
                format!("xoxb-{}-{}-{}", s(DIGITS, 12), s(DIGITS, 13), s(B62, 24)),
            ),
            (
                "slack-user-token",
                format!(
                    "xoxp-{}-{}-{}-{}",
                    s(DIGITS, 12),
                    s(DIGITS, 12),
                    s(DIGITS, 13),
                    s(HEX, 32)
                ),
            ),
            (
                "slack-app-token",
                format!(
                    "xapp-1-A{}-{}-{}",
                    s("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 10),
                    s(DIGITS, 13),
                    s(HEX, 64)
                ),
            ),
            (
                "slack-legacy-token",
                format!("xoxa-2-{}-{}", s(DIGITS, 12), s(B62, 32)),
            ),
            (
                "slack-legacy-token",
                format!(
                    "xoxs-{}-{}-{}-{}",
                    s(DIGITS, 10),
                    s(DIGITS, 10),
                    s(DIGITS, 12),
                    s(HEX, 64)
                ),
            ),
            ("twilio-api-key", format!("SK{}", s(HEX, 32))),
            ("twilio-account-sid", format!("AC{}", s(HEX, 32))),
            (
                "sendgrid-api-key",
                format!("SG.{}.{}", s(B64URL, 22), s(B64URL, 43)),
            ),
            ("npm-access-token", format!("npm_{}", s(B62, 36))),
            (
                "pypi-api-token",
                format!("pypi-AgEIcHlwaS5vcmc{}", s(B64URL, 160)),
            ),
            ("huggingface-token", format!("hf_{}", s(LETTERS, 34))),
            (
                "huggingface-org-token",
                format!("api_org_{}", s(LETTERS, 34)),
            ),
            ("digitalocean-pat", format!("dop_v1_{}", s(HEX, 64))),
            ("shopify-access-token", format!("shpat_{}", s(HEX, 32))),
            ("shopify-access-token", format!("shppa_{}", s(HEX, 32))),
            ("shopify-shared-secret", format!("shpss_{}", s(HEX, 32))),
            ("databricks-token", format!("dapi{}", s(HEX, 32))),
            ("databricks-token", format!("dapi{}-2", s(HEX, 32))),
            ("heroku-api-key", format!("HRKU-AA{}", s(B64URL, 58))),
            ("sentry-user-token", format!("sntryu_{}", s(HEX, 64))),
            ("doppler-personal-token", format!("dp.pt.{}", s(B62, 43))),
            (
                "postman-api-key",
                format!("PMAK-{}-{}", s(HEX, 24), s(HEX, 34)),
            ),
            ("linear-api-key", format!("lin_api_{}", s(B62, 40))),
            (
                "notion-token",
                format!("ntn_{}{}", s(DIGITS, 11), s(B62, 35)),
            ),
            ("perplexity-api-key", format!("pplx-{}", s(B62, 48))),
        ]
    }

    #[test]
    fn every_pattern_compiles() {
        for (f, re) in FORMATS.iter().zip(COMPILED.iter()) {
            assert!(re.is_some(), "pattern of {} does not compile", f.id);
            assert!(
                f.pattern.starts_with(r"\A") && f.pattern.ends_with(r"\z"),
                "pattern of {} is not anchored",
                f.id
            );
            assert!(
                f.pattern[2..].starts_with(&regex::escape(f.prefix))
                    || f.pattern[2..].starts_with(f.prefix),
                "pattern of {} does not start with its prefix {:?}",
                f.id,
                f.prefix
            );
        }
    }

    #[test]
    fn ids_are_unique_and_env_names_valid() {
        let mut ids = std::collections::HashSet::new();
        for f in FORMATS {
            assert!(ids.insert(f.id), "duplicate format id {}", f.id);
            crate::names::check_env_name(f.env).unwrap();
            assert!(
                SERVICES.contains(&f.service),
                "{} has an unlisted provider",
                f.id
            );
        }
    }

    #[test]
    fn every_format_recognises_its_examples() {
        let mut r = Rng(1);
        let examples = examples(&mut r);
        for (id, value) in &examples {
            let found = detect(value).map(|f| f.id);
            assert_eq!(found, Some(*id), "{value:?} should be detected as {id}");
        }
        for f in FORMATS {
            assert!(
                examples.iter().any(|(id, _)| *id == f.id),
                "format {} has no example in the table",
                f.id
            );
        }
    }

    #[test]
    fn near_misses_are_not_recognised() {
        let mut r = Rng(2);
        for (id, value) in examples(&mut r) {
            // One character more or less, or a character outside the alphabet, breaks every
            // fixed-length format; variable-length ones are checked with their bounds below.
            let fixed = !matches!(
                id,
                "stripe-live-secret-key"
                    | "stripe-test-secret-key"
                    | "stripe-live-restricted-key"
                    | "stripe-test-restricted-key"
                    | "stripe-publishable-key"
                    | "pypi-api-token"
                    | "gitlab-pat"
                    | "slack-bot-token"
                    | "slack-user-token"
                    | "slack-app-token"
                    | "slack-legacy-token"
                    | "databricks-token"
            );
            let mut longer = value.clone();
            longer.push('a');
            let shorter = &value[..value.len() - 1];
            let mut bad_char = value.clone();
            bad_char.replace_range(value.len() - 2..value.len() - 1, "!");
            if fixed {
                assert_ne!(detect(&longer).map(|f| f.id), Some(id), "{longer:?}");
                assert_ne!(detect(shorter).map(|f| f.id), Some(id), "{shorter:?}");
            }
            assert_eq!(detect(&bad_char).map(|f| f.id), None, "{bad_char:?}");
            assert!(detect(&format!(" {value}")).is_none(), "leading space");
            assert!(detect(&format!("{value}\n")).is_none(), "trailing newline");
            assert!(
                detect(&format!("x{value}")).is_none(),
                "inside a longer string"
            );
        }
        assert!(detect(&format!("sk_live_{}", "a".repeat(23))).is_none());
        assert!(detect(&format!("sk_live_{}", "a".repeat(248))).is_none());
        assert!(detect("sk-").is_none());
        assert!(detect("").is_none());
        assert!(detect("AKIA").is_none());
        // An AWS id uses base32: 0, 1, 8 and 9 never appear.
        assert!(detect("AKIA0123456789ABCDEF").is_none());
    }

    #[test]
    fn random_strings_of_the_same_lengths_and_alphabets_are_not_recognised() {
        let mut r = Rng(3);
        let mut lengths: Vec<usize> = examples(&mut r).iter().map(|(_, v)| v.len()).collect();
        lengths.sort_unstable();
        lengths.dedup();
        let alphabets = [B62, B64URL, HEX, UPPER32, LETTERS, PRINTABLE];
        let mut tried = 0;
        for len in lengths {
            for alphabet in alphabets {
                for _ in 0..400 {
                    let s = r.string(alphabet, len);
                    assert!(
                        detect(&s).is_none(),
                        "random string {s:?} was taken for {}",
                        detect(&s).map_or("", |f| f.id)
                    );
                    tried += 1;
                }
            }
        }
        assert!(tried > 50_000, "only {tried} strings tried");
    }

    #[test]
    fn other_vendors_sharing_a_prefix_are_not_taken_for_openai() {
        // Many services copy OpenAI's `sk-` (DeepSeek: 32 hex, others: 48 alphanumerics);
        // only values carrying OpenAI's marker in the right place are OpenAI keys.
        let mut r = Rng(5);
        for _ in 0..2_000 {
            for value in [
                format!("sk-{}", r.string(HEX, 32)),
                format!("sk-{}", r.string(B62, 48)),
                format!("sk-proj-{}", r.string(B64URL, 164)),
                format!("sk-ant-{}", r.string(B64URL, 101)),
                format!("xoxb-{}", r.string(B62, 50)),
                format!("SG.{}", r.string(B64URL, 66)),
            ] {
                assert!(detect(&value).is_none(), "{value:?}");
            }
        }
    }

    #[test]
    fn services_name_providers_loosely() {
        assert_eq!(service_by_name("GitHub").map(|p| p.id), Some("github"));
        assert_eq!(
            service_by_name("hugging face").map(|p| p.id),
            Some("huggingface")
        );
        assert_eq!(service_by_name("my own api"), None);
        assert_eq!(service_by_name("  "), None);
        assert_eq!(default_interval_days(Some("stripe")), STRIPE.rotation_days);
        assert_eq!(
            default_interval_days(Some("unknown")),
            DEFAULT_INTERVAL_DAYS
        );
        assert_eq!(default_interval_days(None), DEFAULT_INTERVAL_DAYS);
    }

    #[test]
    fn kinds_with_their_own_policy() {
        let mut r = Rng(4);
        let ex = examples(&mut r);
        let policy = |id: &str| {
            let v = &ex.iter().find(|(i, _)| *i == id).unwrap().1;
            detect(v).unwrap().interval_days()
        };
        assert_eq!(policy("github-pat"), Some(90));
        assert_eq!(policy("github-app-installation-token"), Some(1));
        assert_eq!(policy("aws-temporary-access-key-id"), Some(1));
        assert_eq!(policy("stripe-publishable-key"), None);
        assert_eq!(policy("stripe-test-secret-key"), Some(365));
        assert_eq!(detect(&ex[0].1).unwrap().description(), "Anthropic API key");
    }
}
