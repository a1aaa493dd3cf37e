//! The S3 engine: segments travel through any S3-compatible object storage (AWS S3, MinIO,
//! Garage, R2...), by `object_store`, signed with SigV4.
//!
//! Under the location's prefix each device writes `devices/<id>/device.json` (its public
//! keys) and `devices/<id>/log/<seq, 16 hex digits>` (its segments), each a new object made
//! with a conditional PUT (`If-None-Match: *`): nothing is ever overwritten, so two devices
//! never conflict and no lock is needed. Pairing uses `pairing/<nameplate>/<file>`, removed
//! when the pairing ends.
//!
//! Locally, a cache directory (kept beside the vault, 0700) holds the segments fetched, each
//! with the listing's stamp (size, time, ETag) it was fetched under: a segment the remote
//! rewrote is fetched again, so the round sees what the remote holds, as the git engine's
//! forced fetch does. Reads come from the cache only; the network is `fetch`, `push` and
//! pairing, outside the vault's transaction.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path as FsPath, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::client::{HttpClient, HttpConnector};
use object_store::path::Path;
use object_store::{
    ClientOptions, ObjectMeta, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload,
    RetryConfig,
};
use zeroize::Zeroizing;

use crate::engine::{Engine, Source};
use crate::keys::{DeviceId, DevicePublic};
pub use crate::location::Location;
use crate::{Error, Result};

/// Downloads in flight at once during a fetch.
const PARALLEL: usize = 16;

/// An access key for the storage. Never printed.
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: Zeroizing<String>,
    pub session_token: Option<Zeroizing<String>>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credentials(..)")
    }
}

/// reqwest over rustls with ring (the one TLS stack of the project) and the system's roots.
#[derive(Debug)]
struct Connector;

impl HttpConnector for Connector {
    fn connect(&self, _: &ClientOptions) -> object_store::Result<HttpClient> {
        let generic = |e: Box<dyn std::error::Error + Send + Sync>| object_store::Error::Generic {
            store: "S3",
            source: e,
        };
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_native_certs::load_native_certs().certs {
            // A certificate the store cannot use is skipped, as every TLS client does.
            let _ = roots.add(cert);
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| generic(Box::new(e)))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| generic(Box::new(e)))?;
        Ok(HttpClient::new(client))
    }
}

/// What a listing says of one object: a change means the object was written again.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Stamp(String);

impl Stamp {
    fn of(meta: &ObjectMeta) -> Stamp {
        Stamp(format!(
            "{} {} {}",
            meta.size,
            meta.last_modified.timestamp_micros(),
            meta.e_tag.as_deref().unwrap_or("-")
        ))
    }
}

#[derive(Default)]
struct Listing {
    /// Every device with an object under `devices/<id>/`, with its segments.
    logs: BTreeMap<DeviceId, BTreeMap<u64, Stamp>>,
    declared: BTreeMap<DeviceId, bool>,
    /// The newest snapshot of each device that wrote one, with its stamp.
    snapshots: BTreeMap<DeviceId, (u64, Stamp)>,
}

/// What one object of a device is.
#[derive(Debug, PartialEq, Eq)]
enum Object {
    Declared,
    Segment(u64),
    Snapshot(u64),
}

struct Pending {
    device: Vec<u8>,
    segments: Vec<(u64, Vec<u8>)>,
}

/// A location and the local cache of it.
pub struct Remote {
    location: Location,
    store: AmazonS3,
    runtime: tokio::runtime::Runtime,
    cache: PathBuf,
    listing: Mutex<Listing>,
    pending: Mutex<Option<Pending>>,
    pairing: Mutex<BTreeMap<String, BTreeMap<String, Vec<u8>>>>,
}

impl fmt::Debug for Remote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("s3::Remote")
            .field("location", &self.location.url())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn io(what: &str) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        what: what.to_owned(),
        source,
    }
}

/// One line for a storage error: what the user can act on first, then the storage's words
/// (never the credentials: object_store's errors carry paths and status, not keys).
fn storage(what: &str, e: object_store::Error) -> Error {
    // The whole chain: the innermost cause says most ("Connection refused", the S3 code).
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        let line = s.to_string();
        if !text.contains(&line) {
            text = format!("{text}: {line}");
        }
        source = s.source();
    }
    let code = text
        .split("<Code>")
        .nth(1)
        .and_then(|rest| rest.split("</Code>").next())
        .map(str::to_owned);
    // The storage's XML body is long and says no more than its code.
    if let Some(at) = text.find("<?xml") {
        text.truncate(at);
        text = text.trim_end_matches([' ', ':']).to_owned();
    }
    let refused = matches!(
        e,
        object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. }
    ) || text.contains("403 Forbidden")
        || text.contains("401 Unauthorized");
    let unreachable = [
        "error sending request",
        "tcp connect error",
        "dns error",
        "timed out",
    ]
    .iter()
    .any(|t| text.contains(t));
    let message = match code.as_deref() {
        _ if unreachable => {
            // "... GET http://host:port/bucket?... - HTTP error: ...: Connection refused"
            let host = text
                .split_whitespace()
                .find(|w| w.starts_with("http://") || w.starts_with("https://"))
                .and_then(|u| url::Url::parse(u).ok())
                .map(|u| u[..url::Position::BeforePath].to_owned())
                .unwrap_or_else(|| "the storage".to_owned());
            let why = text.rsplit(": ").next().unwrap_or_default();
            format!(
                "cannot reach {host} ({why}); changes made here stay and go out with the next sync"
            )
        }
        _ if refused => format!(
            "the storage refused the access key ({}): check the item --key names (its access_key_id field and its value, the secret), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
            code.as_deref().unwrap_or("403")
        ),
        Some("NoSuchBucket") => {
            "the bucket does not exist on the storage (NoSuchBucket): create it first".to_owned()
        }
        Some(code) => format!("{text} ({code})"),
        None => text,
    };
    Error::Storage {
        what: what.to_owned(),
        message,
    }
}

impl Remote {
    /// The location `location`, with its cache at `cache` (made if missing, 0700), signing
    /// with `credentials` (else the AWS environment: `AWS_ACCESS_KEY_ID`, a web identity...).
    pub fn open(
        cache: &FsPath,
        location: Location,
        credentials: Option<Credentials>,
    ) -> Result<Remote> {
        std::fs::create_dir_all(cache).map_err(io("creating the sync cache"))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(cache, std::fs::Permissions::from_mode(0o700))
                .map_err(io("securing the sync cache"))?;
        }
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&location.bucket)
            .with_http_connector(Connector)
            .with_retry(RetryConfig {
                max_retries: 3,
                retry_timeout: Duration::from_secs(30),
                ..RetryConfig::default()
            });
        if let Some(region) = &location.region {
            builder = builder.with_region(region);
        }
        if let Some(endpoint) = &location.endpoint {
            // Segments are encrypted and signed end to end, and SigV4 never sends the
            // secret: plain HTTP (a MinIO on the LAN) exposes no value.
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(true)
                .with_virtual_hosted_style_request(false);
        }
        if let Some(c) = credentials {
            builder = builder
                .with_access_key_id(c.access_key_id)
                .with_secret_access_key(c.secret_access_key.as_str());
            if let Some(token) = c.session_token {
                builder = builder.with_token(token.as_str());
            }
        }
        let store = builder.build().map_err(|e| storage("setup", e))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(io("starting the S3 client"))?;
        Ok(Remote {
            location,
            store,
            runtime,
            cache: cache.to_owned(),
            listing: Mutex::new(Listing::default()),
            pending: Mutex::new(None),
            pairing: Mutex::new(BTreeMap::new()),
        })
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    fn key(&self, rest: &str) -> Path {
        if self.location.prefix.is_empty() {
            Path::from(rest)
        } else {
            Path::from(format!("{}/{rest}", self.location.prefix))
        }
    }

    /// The name of an object under the prefix (`devices/...`), or none.
    fn relative<'a>(&self, path: &'a Path) -> Option<&'a str> {
        let s = path.as_ref();
        if self.location.prefix.is_empty() {
            Some(s)
        } else {
            s.strip_prefix(self.location.prefix.as_str())?
                .strip_prefix('/')
        }
    }

    fn list(&self, under: &str) -> Result<Vec<ObjectMeta>> {
        let prefix = self.key(under);
        self.runtime
            .block_on(self.store.list(Some(&prefix)).try_collect::<Vec<_>>())
            .map_err(|e| storage("listing", e))
    }

    fn get(&self, path: &Path) -> Result<Vec<u8>> {
        self.runtime
            .block_on(async { self.store.get(path).await?.bytes().await })
            .map(|b| b.to_vec())
            .map_err(|e| storage("download", e))
    }

    /// Writes a new object; one already there with the same bytes is what a crash left
    /// (written, not yet recorded as sent), anything else is refused.
    fn create(&self, path: &Path, bytes: &[u8], device: DeviceId) -> Result<()> {
        let put = self.runtime.block_on(self.store.put_opts(
            path,
            PutPayload::from(bytes.to_vec()),
            PutOptions {
                mode: PutMode::Create,
                ..PutOptions::default()
            },
        ));
        match put {
            Ok(_) => Ok(()),
            Err(
                object_store::Error::AlreadyExists { .. }
                | object_store::Error::Precondition { .. },
            ) => {
                if self.get(path)? == bytes {
                    Ok(())
                } else {
                    Err(Error::refused(
                        device,
                        format!(
                            "the storage already holds a different {}; nothing was overwritten",
                            self.relative(path).unwrap_or_default()
                        ),
                    ))
                }
            }
            Err(e) => Err(storage("upload", e)),
        }
    }

    fn cache_file(&self, device: DeviceId, seq: u64) -> PathBuf {
        self.cache.join(device.hex()).join(format!("{seq:016x}"))
    }

    fn cached_stamp(&self, device: DeviceId, seq: u64) -> Option<Stamp> {
        let mut path = self.cache_file(device, seq).into_os_string();
        path.push(".stamp");
        std::fs::read_to_string(path).ok().map(Stamp)
    }

    /// Stores a fetched segment and its stamp (the stamp last: a crash between the two
    /// fetches the segment again).
    fn store_cached(&self, device: DeviceId, seq: u64, bytes: &[u8], stamp: &Stamp) -> Result<()> {
        let file = self.cache_file(device, seq);
        let dir = self.cache.join(device.hex());
        std::fs::create_dir_all(&dir).map_err(io("writing the sync cache"))?;
        let write = |path: &FsPath, bytes: &[u8]| -> Result<()> {
            let mut tmp =
                tempfile::NamedTempFile::new_in(&dir).map_err(io("writing the sync cache"))?;
            std::io::Write::write_all(&mut tmp, bytes).map_err(io("writing the sync cache"))?;
            tmp.persist(path).map_err(|e| Error::Io {
                what: "writing the sync cache".into(),
                source: e.error,
            })?;
            Ok(())
        };
        write(&file, bytes)?;
        let mut stamp_file = file.into_os_string();
        stamp_file.push(".stamp");
        write(FsPath::new(&stamp_file), stamp.0.as_bytes())
    }

    /// Parses `devices/<id>/log/<seq>`, `devices/<id>/snapshot/<seq>` or
    /// `devices/<id>/device.json`; anything else under the prefix is none of vault's and is
    /// left alone.
    fn parse_device_object(name: &str) -> Option<(DeviceId, Object)> {
        let rest = name.strip_prefix("devices/")?;
        let (id, file) = rest.split_once('/')?;
        let id: DeviceId = id.parse().ok()?;
        if file == "device.json" {
            return Some((id, Object::Declared));
        }
        let number = |n: &str| {
            (n.len() == 16)
                .then(|| u64::from_str_radix(n, 16).ok())
                .flatten()
        };
        if let Some(seq) = file.strip_prefix("log/") {
            return number(seq).map(|s| (id, Object::Segment(s)));
        }
        let seq = file.strip_prefix("snapshot/")?;
        number(seq).map(|s| (id, Object::Snapshot(s)))
    }

    fn snapshot_file(&self, device: DeviceId, seq: u64) -> PathBuf {
        self.cache
            .join(device.hex())
            .join(format!("snapshot-{seq:016x}"))
    }

    /// Downloads `wanted` segments (16 at a time) into the cache.
    fn download(&self, wanted: Vec<(DeviceId, u64, Stamp)>) -> Result<()> {
        let fetched: Vec<(DeviceId, u64, Stamp, Vec<u8>)> = self
            .runtime
            .block_on(
                futures_util::stream::iter(wanted)
                    .map(|(d, s, st)| async move {
                        let path = self.key(&format!("devices/{}/log/{s:016x}", d.hex()));
                        let bytes = self.store.get(&path).await?.bytes().await?;
                        Ok::<_, object_store::Error>((d, s, st, bytes.to_vec()))
                    })
                    .buffer_unordered(PARALLEL)
                    .try_collect(),
            )
            .map_err(|e| storage("download", e))?;
        for (d, s, st, bytes) in fetched {
            self.store_cached(d, s, &bytes, &st)?;
        }
        Ok(())
    }
}

impl Source for Remote {
    fn snapshots(&self) -> Result<Vec<(DeviceId, u64)>> {
        Ok(lock(&self.listing)
            .snapshots
            .iter()
            .map(|(d, (s, _))| (*d, *s))
            .collect())
    }

    fn read_snapshot(&self, device: DeviceId, seq: u64) -> Result<Vec<u8>> {
        std::fs::read(self.snapshot_file(device, seq)).map_err(|_| {
            Error::refused(
                device,
                format!("its snapshot {seq} is missing from the remote"),
            )
        })
    }

    fn devices(&self) -> Result<Vec<DeviceId>> {
        Ok(lock(&self.listing).logs.keys().copied().collect())
    }

    fn seqs(&self, device: DeviceId) -> Result<Vec<u64>> {
        Ok(lock(&self.listing)
            .logs
            .get(&device)
            .map(|l| l.keys().copied().collect())
            .unwrap_or_default())
    }

    fn read(&self, device: DeviceId, seqs: &[u64]) -> Result<Vec<Vec<u8>>> {
        // Segments a snapshot covers are not fetched ahead; a device behind it reads them now.
        let missing: Vec<(DeviceId, u64, Stamp)> = {
            let listing = lock(&self.listing);
            seqs.iter()
                .filter(|s| !self.cache_file(device, **s).exists())
                .filter_map(|s| {
                    let stamp = listing.logs.get(&device)?.get(s)?.clone();
                    Some((device, *s, stamp))
                })
                .collect()
        };
        if !missing.is_empty() {
            self.download(missing)?;
        }
        seqs.iter()
            .map(|s| {
                std::fs::read(self.cache_file(device, *s)).map_err(|_| {
                    Error::refused(device, format!("segment {s} is missing from the remote"))
                })
            })
            .collect()
    }
}

impl Engine for Remote {
    fn fetch(&self) -> Result<()> {
        let mut listing = Listing::default();
        for meta in self.list("devices/")? {
            let Some((device, object)) = self
                .relative(&meta.location)
                .and_then(Self::parse_device_object)
            else {
                continue;
            };
            let log = listing.logs.entry(device).or_default();
            match object {
                Object::Segment(seq) => {
                    log.insert(seq, Stamp::of(&meta));
                }
                Object::Declared => {
                    listing.declared.insert(device, true);
                }
                Object::Snapshot(seq) => {
                    let stamp = Stamp::of(&meta);
                    let newest = listing
                        .snapshots
                        .entry(device)
                        .or_insert((seq, stamp.clone()));
                    if seq > newest.0 {
                        *newest = (seq, stamp);
                    }
                }
            }
        }
        // Segments a snapshot covers are left for `read`: a new device starts from the
        // snapshot and never needs them; one that is behind reads them then. A segment
        // cached before is fetched again when its stamp changed.
        let wanted: Vec<(DeviceId, u64, Stamp)> = listing
            .logs
            .iter()
            .flat_map(|(d, log)| {
                let covered = listing.snapshots.get(d).map_or(0, |(s, _)| *s);
                log.iter()
                    .filter(move |(s, _)| **s > covered)
                    .map(|(s, st)| (*d, *s, st.clone()))
            })
            .chain(listing.logs.iter().flat_map(|(d, log)| {
                log.iter()
                    .filter(|(s, _)| self.cache_file(*d, **s).exists())
                    .map(|(s, st)| (*d, *s, st.clone()))
            }))
            .filter(|(d, s, st)| self.cached_stamp(*d, *s).as_ref() != Some(st))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        self.download(wanted)?;
        for (device, (seq, stamp)) in &listing.snapshots {
            // Fetched again when the storage's copy changed, as segments are.
            let file = self.snapshot_file(*device, *seq);
            let mut stamp_file = file.clone().into_os_string();
            stamp_file.push(".stamp");
            let cached = std::fs::read_to_string(&stamp_file).ok();
            if !file.exists() || cached.as_deref() != Some(stamp.0.as_str()) {
                let path = self.key(&format!("devices/{}/snapshot/{seq:016x}", device.hex()));
                let bytes = self.get(&path)?;
                let dir = self.cache.join(device.hex());
                std::fs::create_dir_all(&dir).map_err(io("writing the sync cache"))?;
                // Whole or not at all, the stamp last (a crash fetches it again).
                for (to, what) in [
                    (file.as_os_str(), bytes.as_slice()),
                    (stamp_file.as_os_str(), stamp.0.as_bytes()),
                ] {
                    let mut tmp = tempfile::NamedTempFile::new_in(&dir)
                        .map_err(io("writing the sync cache"))?;
                    std::io::Write::write_all(&mut tmp, what)
                        .map_err(io("writing the sync cache"))?;
                    tmp.persist(to).map_err(|e| Error::Io {
                        what: "writing the sync cache".into(),
                        source: e.error,
                    })?;
                }
            }
        }
        *lock(&self.listing) = listing;
        Ok(())
    }

    fn append(&self, me: &DevicePublic, segments: &[(u64, Vec<u8>)]) -> Result<()> {
        let device = serde_json::to_vec_pretty(me)
            .map_err(|e| Error::Corrupt(format!("device keys do not encode: {e}")))?;
        let have: Vec<u64> = self.seqs(me.id)?;
        let segments = segments
            .iter()
            .filter(|(seq, _)| have.binary_search(seq).is_err())
            .cloned()
            .collect();
        *lock(&self.pending) = Some(Pending { device, segments });
        Ok(())
    }

    fn push(&self, me: DeviceId) -> Result<()> {
        let Some(pending) = lock(&self.pending).take() else {
            return Ok(());
        };
        let declared = lock(&self.listing).declared.contains_key(&me);
        if !declared {
            let path = self.key(&format!("devices/{}/device.json", me.hex()));
            self.create(&path, &pending.device, me)?;
        }
        for (seq, bytes) in &pending.segments {
            let path = self.key(&format!("devices/{}/log/{seq:016x}", me.hex()));
            self.create(&path, bytes, me)?;
        }
        // What the storage now holds, without another listing.
        let mut listing = lock(&self.listing);
        listing.declared.insert(me, true);
        let log = listing.logs.entry(me).or_default();
        for (seq, _) in &pending.segments {
            log.entry(*seq).or_insert_with(|| Stamp(String::new()));
        }
        Ok(())
    }

    fn pushed(&self, me: DeviceId) -> Result<bool> {
        Ok(lock(&self.listing).declared.contains_key(&me))
    }

    fn put_snapshot(&self, me: DeviceId, seq: u64, bytes: &[u8]) -> Result<()> {
        let path = self.key(&format!("devices/{}/snapshot/{seq:016x}", me.hex()));
        self.create(&path, bytes, me)?;
        // Its stamp is unknown until the next listing: the cache takes it then.
        let mut listing = lock(&self.listing);
        let newest = listing
            .snapshots
            .entry(me)
            .or_insert((seq, Stamp(String::new())));
        if seq > newest.0 {
            *newest = (seq, Stamp(String::new()));
        }
        Ok(())
    }

    fn fetch_pairing(&self, nameplate: &str) -> Result<()> {
        let mut files = BTreeMap::new();
        for meta in self.list(&format!("pairing/{nameplate}/"))? {
            let Some(name) = meta.location.filename() else {
                continue;
            };
            files.insert(name.to_owned(), self.get(&meta.location)?);
        }
        lock(&self.pairing).insert(nameplate.to_owned(), files);
        Ok(())
    }

    fn pairing_files(&self, nameplate: &str) -> Result<BTreeMap<String, Vec<u8>>> {
        Ok(lock(&self.pairing)
            .get(nameplate)
            .cloned()
            .unwrap_or_default())
    }

    fn pairing_write(&self, nameplate: &str, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.key(&format!("pairing/{nameplate}/{name}"));
        self.runtime
            .block_on(self.store.put(&path, PutPayload::from(bytes.to_vec())))
            .map(|_| ())
            .map_err(|e| storage("upload", e))
    }

    fn pairing_end(&self, nameplate: &str) -> Result<()> {
        for meta in self.list(&format!("pairing/{nameplate}/"))? {
            match self.runtime.block_on(self.store.delete(&meta.location)) {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(storage("delete", e)),
            }
        }
        lock(&self.pairing).remove(nameplate);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn only_vaults_objects_are_read_from_a_listing() {
        let id = DeviceId([7; 16]);
        let hex = id.hex();
        assert_eq!(
            Remote::parse_device_object(&format!("devices/{hex}/log/000000000000000a")),
            Some((id, Object::Segment(10)))
        );
        assert_eq!(
            Remote::parse_device_object(&format!("devices/{hex}/snapshot/000000000000000b")),
            Some((id, Object::Snapshot(11)))
        );
        assert_eq!(
            Remote::parse_device_object(&format!("devices/{hex}/device.json")),
            Some((id, Object::Declared))
        );
        for other in [
            format!("devices/{hex}/log/a"),
            format!("devices/{hex}/notes.txt"),
            "devices/xyz/log/0000000000000001".to_owned(),
            "README".to_owned(),
        ] {
            assert_eq!(Remote::parse_device_object(&other), None, "{other}");
        }
    }
}
