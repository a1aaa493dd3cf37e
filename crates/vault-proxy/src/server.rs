//! The listener, the sessions, and each request's way through: authenticate, CONNECT (open,
//! tunnel or refuse), judge, substitute, forward, swap echoes back.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::Write;
use std::sync::{Arc, Mutex, RwLock};

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode, Uri, Version};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use jiff::Timestamp;
use rustls::pki_types::CertificateDer;
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;
use vault_core::hosts::Destination;
use zeroize::Zeroizing;

use crate::ca::Minter;
use crate::chain::{Connector, UpstreamProxy};
use crate::echo::{Echo, Swap};
use crate::table::{Binding, Table, Verdict};
use crate::{ProxyError, Secrets, Unavailable};

type Out = BoxBody<Bytes, hyper::Error>;
type Upstream = Client<HttpsConnector<Connector>, Incoming>;

/// What one `vault run --proxy` asks for.
pub struct SessionSpec {
    pub bindings: Vec<Binding>,
    /// Refuse every host no binding may go to, instead of tunnelling it.
    pub strict: bool,
    /// Say every substitution too, not only refusals.
    pub verbose: bool,
    /// Where the session's lines go (the child's stderr); `None`: nowhere.
    pub log: Option<Box<dyn Write + Send>>,
    /// Roots trusted for upstream servers besides the system's (`--proxy-ca-file`).
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// Where this session's values come from.
    pub secrets: Arc<dyn Secrets>,
    /// The vault's CA, which signs the leaves this session's program is shown.
    pub minter: Arc<Minter>,
    /// The proxy the program would otherwise have used: chained, never bypassed.
    pub upstream_proxy: Option<UpstreamProxy>,
}

impl std::fmt::Debug for SessionSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionSpec")
            .field("bindings", &self.bindings)
            .field("strict", &self.strict)
            .finish_non_exhaustive()
    }
}

/// How the child reaches its session: `http://ID:CREDENTIAL@127.0.0.1:PORT`.
pub struct SessionKeys {
    pub id: String,
    pub credential: Zeroizing<String>,
    pub port: u16,
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionKeys")
            .field("id", &self.id)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl SessionKeys {
    /// The proxy URL with its credential, for the child's `HTTPS_PROXY`.
    pub fn url(&self) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "http://{}:{}@127.0.0.1:{}",
            self.id, *self.credential, self.port
        ))
    }
}

struct Session {
    credential: Zeroizing<String>,
    table: Table,
    strict: bool,
    verbose: bool,
    log: Mutex<Option<Box<dyn Write + Send>>>,
    upstream: Upstream,
    connector: Connector,
    secrets: Arc<dyn Secrets>,
    minter: Arc<Minter>,
}

impl Session {
    fn say(&self, line: &str) {
        if let Ok(mut log) = self.log.lock()
            && let Some(out) = log.as_mut()
        {
            // The child's stderr may be gone; the request's answer says the same.
            let _ = writeln!(out, "vault proxy: {line}");
        }
    }
}

struct Shared {
    sessions: RwLock<HashMap<String, Arc<Session>>>,
    clock: Arc<dyn Fn() -> Timestamp + Send + Sync>,
    port: u16,
}

/// The running proxy: dropping it stops the listener and every connection.
pub struct Proxy {
    shared: Arc<Shared>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("port", &self.shared.port)
            .finish_non_exhaustive()
    }
}

impl Proxy {
    /// Listens on 127.0.0.1 on a free port.
    pub fn start(clock: Arc<dyn Fn() -> Timestamp + Send + Sync>) -> Result<Proxy, ProxyError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("vault-proxy")
            .enable_all()
            .build()?;
        let listener = runtime.block_on(TcpListener::bind(("127.0.0.1", 0)))?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared {
            sessions: RwLock::new(HashMap::new()),
            clock,
            port,
        });
        runtime.spawn(accept_loop(listener, shared.clone()));
        Ok(Proxy {
            shared,
            runtime: Some(runtime),
        })
    }

    pub fn port(&self) -> u16 {
        self.shared.port
    }

    /// Opens a session; it lasts until [`Proxy::close`].
    pub fn open(&self, spec: SessionSpec) -> Result<SessionKeys, ProxyError> {
        let mut id = [0u8; 8];
        let mut secret = Zeroizing::new([0u8; 24]);
        getrandom::fill(&mut id).map_err(|_| ProxyError::Random)?;
        getrandom::fill(secret.as_mut()).map_err(|_| ProxyError::Random)?;
        let id = hex(&id);
        let credential = Zeroizing::new(hex(secret.as_ref()));
        let connector = Connector::new(spec.upstream_proxy.as_ref());
        let session = Session {
            credential: credential.clone(),
            table: Table::new(spec.bindings),
            strict: spec.strict,
            verbose: spec.verbose,
            log: Mutex::new(spec.log),
            upstream: upstream_client(spec.extra_roots, connector.clone())?,
            connector,
            secrets: spec.secrets,
            minter: spec.minter,
        };
        self.shared
            .sessions
            .write()
            .map_err(|_| ProxyError::Poisoned)?
            .insert(id.clone(), Arc::new(session));
        Ok(SessionKeys {
            id,
            credential,
            port: self.shared.port,
        })
    }

    /// Ends a session: its credential stops working at once, for new requests and for the
    /// next request on a connection already open.
    pub fn close(&self, id: &str) {
        if let Ok(mut sessions) = self.shared.sessions.write() {
            sessions.remove(id);
        }
    }

    pub fn sessions(&self) -> usize {
        self.shared.sessions.read().map_or(0, |s| s.len())
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn upstream_client(
    extra: Vec<CertificateDer<'static>>,
    connector: Connector,
) -> Result<Upstream, ProxyError> {
    let mut roots = rustls::RootCertStore::empty();
    // Unreadable system certificates are skipped: the others still verify.
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    for cert in extra {
        roots
            .add(cert)
            .map_err(|e| ProxyError::Tls(format!("a --proxy-ca-file certificate: {e}")))?;
    }
    let config = rustls::ClientConfig::builder_with_provider(crate::provider())
        .with_safe_default_protocol_versions()
        .map_err(ProxyError::tls)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .wrap_connector(connector);
    Ok(Client::builder(TokioExecutor::new()).build(https))
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(outer(shared, req).await) }
            });
            // A client that goes away mid-request is its own business.
            let _ = hyper::server::conn::http1::Builder::new()
                .preserve_header_case(true)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades()
                .await;
        });
    }
}

/// A request to the proxy itself: a CONNECT, or a plain-HTTP request in absolute form.
async fn outer(shared: Arc<Shared>, req: Request<Incoming>) -> Response<Out> {
    let Some(session) = authenticate(&shared, req.headers()) else {
        let mut resp = text(
            StatusCode::PROXY_AUTHENTICATION_REQUIRED,
            "vault proxy: this proxy serves only the program `vault run --proxy` started \
             (its HTTPS_PROXY carries the credential)\n",
        );
        resp.headers_mut().insert(
            header::PROXY_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"vault\""),
        );
        return resp;
    };
    if req.method() == Method::CONNECT {
        return connect(shared, session, req).await;
    }
    let uri = req.uri().clone();
    let (Some("http"), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return text(
            StatusCode::BAD_REQUEST,
            "vault proxy: send https:// requests through CONNECT and http:// ones in absolute form\n",
        );
    };
    let host = bare_host(authority.host()).to_owned();
    let port = authority.port_u16().unwrap_or(80);
    forward(shared, session, req, false, host, port).await
}

fn authenticate(shared: &Shared, headers: &HeaderMap) -> Option<Arc<Session>> {
    let value = headers.get(header::PROXY_AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?,
    );
    let text = std::str::from_utf8(&decoded).ok()?;
    let (id, credential) = text.split_once(':')?;
    let session = shared.sessions.read().ok()?.get(id)?.clone();
    bool::from(session.credential.as_bytes().ct_eq(credential.as_bytes())).then_some(session)
}

fn bare_host(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

async fn connect(
    shared: Arc<Shared>,
    session: Arc<Session>,
    req: Request<Incoming>,
) -> Response<Out> {
    // RFC 9110 §9.3.6: the target of a CONNECT is host and port, both.
    let Some((authority, port)) = req
        .uri()
        .authority()
        .and_then(|a| a.port_u16().map(|p| (a.clone(), p)))
    else {
        return text(
            StatusCode::BAD_REQUEST,
            "vault proxy: CONNECT needs host:port\n",
        );
    };
    let host = bare_host(authority.host()).to_owned();
    if session.table.terminates(&host, port) {
        let config = match session.minter.config_for(&host, (shared.clock)()) {
            Ok(config) => config,
            Err(e) => return text(StatusCode::BAD_GATEWAY, &format!("vault proxy: {e}\n")),
        };
        tokio::spawn(async move {
            let Ok(upgraded) = hyper::upgrade::on(req).await else {
                return;
            };
            let acceptor = tokio_rustls::TlsAcceptor::from(config);
            let Ok(tls) = acceptor.accept(TokioIo::new(upgraded)).await else {
                // The child did not trust the CA bundle, or gave up: its TLS error says so.
                return;
            };
            let service = service_fn(move |inner| {
                let (shared, session, host) = (shared.clone(), session.clone(), host.clone());
                async move {
                    Ok::<_, Infallible>(forward(shared, session, inner, true, host, port).await)
                }
            });
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection_with_upgrades(TokioIo::new(tls), service)
                .await;
        });
        return empty(StatusCode::OK);
    }
    if session.strict {
        let line = format!("refused {host}:{port}: no secret of this run goes there (--strict)");
        session.say(&line);
        return text(StatusCode::FORBIDDEN, &format!("vault proxy: {line}\n"));
    }
    let mut upstream = match session.connector.stream(&host, port).await {
        Ok(stream) => stream,
        Err(e) => {
            return text(
                StatusCode::BAD_GATEWAY,
                &format!("vault proxy: could not reach {host}:{port}: {e}\n"),
            );
        }
    };
    let _ = upstream.set_nodelay(true);
    tokio::spawn(async move {
        if let Ok(upgraded) = hyper::upgrade::on(req).await {
            let _ = tokio::io::copy_bidirectional(&mut TokioIo::new(upgraded), &mut upstream).await;
        }
    });
    empty(StatusCode::OK)
}

/// Hop-by-hop headers (RFC 9110 §7.6.1) and the proxy's own: never passed on.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "proxy-connection",
    "keep-alive",
    "proxy-authorization",
    "proxy-authenticate",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let listed: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in listed {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(*name);
    }
}

async fn forward(
    shared: Arc<Shared>,
    session: Arc<Session>,
    req: Request<Incoming>,
    tls: bool,
    host: String,
    port: u16,
) -> Response<Out> {
    // A session closed while its connection stayed open: its placeholders are dead too.
    let alive = shared
        .sessions
        .read()
        .is_ok_and(|s| s.values().any(|x| Arc::ptr_eq(x, &session)));
    if !alive {
        return text(StatusCode::FORBIDDEN, "vault proxy: this run has ended\n");
    }
    let (mut parts, body) = req.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let shown = if tls {
        format!("https://{host}:{port}")
    } else {
        format!("http://{host}:{port}")
    };
    if !tls && session.strict && !session.table.serves(false, &host, port) {
        let line = format!("refused {shown}: no secret of this run goes there (--strict)");
        session.say(&line);
        return text(StatusCode::FORBIDDEN, &format!("vault proxy: {line}\n"));
    }
    let found = session.table.found_in(
        parts
            .headers
            .values()
            .map(HeaderValue::as_bytes)
            .chain([path.as_bytes()]),
    );
    let to = Destination {
        tls,
        host: &host,
        port,
        path: &path,
    };
    let substitute = match session.table.judge(&to, &found) {
        Verdict::Pass => Vec::new(),
        Verdict::Substitute(list) => list,
        Verdict::Refuse { binding } => {
            let b = &session.table.bindings()[binding];
            let hosts: Vec<String> = b.hosts.iter().map(ToString::to_string).collect();
            let line = format!(
                "refused a request to {shown}{}: it carries the placeholder of {:?}, which may go only to {}; nothing was sent",
                path.split('?').next().unwrap_or_default(),
                b.item,
                if hosts.is_empty() {
                    "no host".to_owned()
                } else {
                    hosts.join(", ")
                }
            );
            session.say(&line);
            let (secrets, item, dest) = (session.secrets.clone(), b.item.clone(), shown.clone());
            let _ = tokio::task::spawn_blocking(move || secrets.refused(&item, &dest)).await;
            return text(StatusCode::FORBIDDEN, &format!("vault proxy: {line}\n"));
        }
    };
    let mut pairs: Vec<(Zeroizing<Vec<u8>>, Vec<u8>)> = Vec::new();
    for &i in &substitute {
        let b = &session.table.bindings()[i];
        let (secrets, item) = (session.secrets.clone(), b.item.clone());
        let value = match tokio::task::spawn_blocking(move || secrets.value(&item)).await {
            Ok(Ok(value)) => value,
            Ok(Err(Unavailable::Locked)) => {
                let line = format!(
                    "refused a request to {shown}: the vault is locked, so {:?} is not sent (run `vault unlock`)",
                    b.item
                );
                session.say(&line);
                return text(StatusCode::FORBIDDEN, &format!("vault proxy: {line}\n"));
            }
            Ok(Err(Unavailable::Gone(why))) => {
                let line = format!("refused a request to {shown}: {:?}: {why}", b.item);
                session.say(&line);
                return text(StatusCode::FORBIDDEN, &format!("vault proxy: {line}\n"));
            }
            Err(_) => {
                return text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "vault proxy: internal error\n",
                );
            }
        };
        pairs.push((
            Zeroizing::new(value.expose().as_bytes().to_vec()),
            b.placeholder.as_bytes().to_vec(),
        ));
        if session.verbose {
            session.say(&format!("{shown}: {:?} added", b.item));
        }
    }
    let to_real = Swap::new(
        pairs
            .iter()
            .map(|(v, p)| (Zeroizing::new(p.clone()), v.to_vec()))
            .collect(),
    );
    strip_hop_by_hop(&mut parts.headers);
    parts.headers.remove(header::HOST);
    if let Some(swap) = &to_real {
        for value in parts.headers.values_mut() {
            let bytes = value.as_bytes();
            let swapped = Zeroizing::new(swap.all(bytes));
            if swapped.as_slice() != bytes
                && let Ok(mut new) = HeaderValue::from_bytes(&swapped)
            {
                // Never indexed by HPACK: the value must not outlive this request in a table.
                new.set_sensitive(true);
                *value = new;
            }
        }
    }
    let path = match &to_real {
        Some(swap) => {
            Zeroizing::new(String::from_utf8_lossy(&swap.all(path.as_bytes())).into_owned())
        }
        None => Zeroizing::new(path),
    };
    let scheme = if tls { "https" } else { "http" };
    let authority = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    parts.uri = match format!("{scheme}://{authority}{}", *path).parse::<Uri>() {
        Ok(uri) => uri,
        Err(_) => {
            return text(
                StatusCode::BAD_REQUEST,
                "vault proxy: a request target it cannot read\n",
            );
        }
    };
    // The client picks HTTP/2 when the server offers it over ALPN.
    parts.version = Version::HTTP_11;
    let resp = match session
        .upstream
        .request(Request::from_parts(parts, body))
        .await
    {
        Ok(resp) => resp,
        Err(e) => {
            let line = format!("could not reach {shown}: {}", error_chain(&e));
            session.say(&line);
            return text(StatusCode::BAD_GATEWAY, &format!("vault proxy: {line}\n"));
        }
    };
    let (mut parts, body) = resp.into_parts();
    strip_hop_by_hop(&mut parts.headers);
    let back = Swap::new(pairs);
    match back {
        None => Response::from_parts(parts, body.boxed()),
        Some(swap) => {
            for value in parts.headers.values_mut() {
                let swapped = swap.all(value.as_bytes());
                if swapped.as_slice() != value.as_bytes()
                    && let Ok(new) = HeaderValue::from_bytes(&swapped)
                {
                    *value = new;
                }
            }
            Response::from_parts(parts, Echo::new(body, swap).boxed())
        }
    }
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn text(status: StatusCode, body: &str) -> Response<Out> {
    let mut resp = Response::new(
        Full::new(Bytes::from(body.to_owned()))
            .map_err(|never| match never {})
            .boxed(),
    );
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

fn empty(status: StatusCode) -> Response<Out> {
    let mut resp = Response::new(Empty::new().map_err(|never| match never {}).boxed());
    *resp.status_mut() = status;
    resp
}
