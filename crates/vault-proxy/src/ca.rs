//! The proxy's certificate authority: generated once per vault and kept sealed in it, it signs
//! the leaf certificates the proxy shows the child for the hosts it opens.
//!
//! Only the CA's certificate ever leaves the vault (into the child's CA bundle); its key stays
//! in the vault and in this process. Leaves are minted on demand, valid a week, all on one
//! key pair made when the proxy starts.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, OnceLock};

use jiff::Timestamp;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use zeroize::Zeroizing;

use crate::ProxyError;

/// How long a CA made today is valid: longer than anyone keeps a laptop.
const CA_YEARS: i64 = 10;
/// A leaf's validity on either side of `now` (clocks in containers drift).
const LEAF_BEFORE_HOURS: i64 = 24;
const LEAF_AFTER_HOURS: i64 = 7 * 24;

/// The CA as the vault keeps it: the certificate (public) and the key (sealed).
pub struct CaParts {
    pub cert_der: Vec<u8>,
    pub key_pkcs8: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for CaParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaParts").finish_non_exhaustive()
    }
}

/// The distinguished name of a vault's CA; fixed, so a stored CA can sign again (its leaves
/// name it as their issuer, and chains are found by that name and the CA's key).
fn ca_params(now: Timestamp) -> Result<CertificateParams, ProxyError> {
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(ProxyError::cert)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "vault run --proxy CA");
    dn.push(DnType::OrganizationName, "vault run --proxy");
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = offset(now, -LEAF_BEFORE_HOURS)?;
    params.not_after = offset(now, CA_YEARS * 365 * 24)?;
    Ok(params)
}

fn offset(now: Timestamp, hours: i64) -> Result<time::OffsetDateTime, ProxyError> {
    let at = now.as_second() + hours * 3600;
    time::OffsetDateTime::from_unix_timestamp(at).map_err(|_| ProxyError::Clock)
}

/// Makes a new CA for a vault.
pub fn generate(now: Timestamp) -> Result<CaParts, ProxyError> {
    let key = KeyPair::generate().map_err(ProxyError::cert)?;
    let cert = ca_params(now)?
        .self_signed(&key)
        .map_err(ProxyError::cert)?;
    Ok(CaParts {
        cert_der: cert.der().to_vec(),
        key_pkcs8: Zeroizing::new(key.serialize_der()),
    })
}

/// Signs leaves for the hosts the proxy opens, each once per host and process.
pub struct Minter {
    issuer: Issuer<'static, KeyPair>,
    ca_der: CertificateDer<'static>,
    leaf_key: KeyPair,
    configs: Mutex<HashMap<String, Arc<ServerConfig>>>,
}

impl std::fmt::Debug for Minter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Minter").finish_non_exhaustive()
    }
}

impl Minter {
    pub fn new(parts: &CaParts, now: Timestamp) -> Result<Self, ProxyError> {
        let key = KeyPair::try_from(parts.key_pkcs8.as_slice()).map_err(ProxyError::cert)?;
        Ok(Minter {
            issuer: Issuer::new(ca_params(now)?, key),
            ca_der: CertificateDer::from(parts.cert_der.clone()),
            leaf_key: KeyPair::generate().map_err(ProxyError::cert)?,
            configs: Mutex::new(HashMap::new()),
        })
    }

    /// The TLS server configuration for `host`, with a leaf minted on first use.
    pub fn config_for(&self, host: &str, now: Timestamp) -> Result<Arc<ServerConfig>, ProxyError> {
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let mut configs = self.configs.lock().map_err(|_| ProxyError::Poisoned)?;
        if let Some(config) = configs.get(&host) {
            return Ok(config.clone());
        }
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(ProxyError::cert)?;
        params.subject_alt_names = vec![match host.parse::<IpAddr>() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName(host.clone().try_into().map_err(ProxyError::cert)?),
        }];
        params
            .distinguished_name
            .push(DnType::CommonName, host.clone());
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.not_before = offset(now, -LEAF_BEFORE_HOURS)?;
        params.not_after = offset(now, LEAF_AFTER_HOURS)?;
        let leaf = params
            .signed_by(&self.leaf_key, &self.issuer)
            .map_err(ProxyError::cert)?;
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.leaf_key.serialize_der()));
        let mut config = ServerConfig::builder_with_provider(crate::provider())
            .with_safe_default_protocol_versions()
            .map_err(ProxyError::tls)?
            .with_no_client_auth()
            .with_single_cert(vec![leaf.der().clone(), self.ca_der.clone()], key)
            .map_err(ProxyError::tls)?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let config = Arc::new(config);
        configs.insert(host, config.clone());
        Ok(config)
    }
}

/// The CA certificate as PEM, for the child's CA bundle.
pub fn pem(cert_der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(cert_der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// The system's root certificates, read once per process: every session's upstream clients
/// trust them and every session's program gets them in its bundle (reading and parsing the
/// system bundle for each would be done three or four times per `vault run --proxy`). A system
/// bundle updated while the agent runs is picked up by the next agent.
pub fn system_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    // Unreadable system certificates are skipped: the others still verify.
    ROOTS.get_or_init(|| rustls_native_certs::load_native_certs().certs)
}

/// The CA bundle a child trusts: `trusted` (the bundles it was already told to trust), or the
/// system's roots when there are none, then `extra` PEM texts, then the proxy's CA.
pub fn child_bundle(ca_der: &[u8], trusted: &[String], extra: &[String]) -> String {
    let mut out = String::new();
    if trusted.is_empty() {
        for cert in system_roots() {
            out.push_str(&pem(cert));
        }
    } else {
        for text in trusted {
            out.push_str(text.trim_end());
            out.push('\n');
        }
    }
    for text in extra {
        out.push_str(text.trim_end());
        out.push('\n');
    }
    out.push_str(&pem(ca_der));
    out
}

/// The certificates of a PEM file (`--proxy-ca-file`), or why there are none.
pub fn read_pem_certificates(text: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    use rustls::pki_types::pem::PemObject;
    let certs: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(text.as_bytes()).collect();
    match certs {
        Ok(certs) if !certs.is_empty() => Ok(certs),
        Ok(_) => Err("no certificate in it".into()),
        Err(e) => Err(format!("not a PEM certificate file ({e})")),
    }
}
