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
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use jiff::Timestamp;
use rustls::pki_types::CertificateDer;
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;
use zeroize::Zeroizing;

mod forward;

use forward::forward;

use crate::activity::{Activity, Recorder};
use crate::ca::Minter;
use crate::chain::{Connector, UpstreamProxy};
use crate::table::{Binding, Table};
use crate::{ProxyError, Secrets};

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
    /// HTTP/1.1 only: for programs speaking HTTP/1.1, and upgrades (WebSocket), which
    /// HTTP/2 does not carry this way.
    upstream_h1: Upstream,
    /// For requests that carry no key (plain HTTP to an intranet host, say): addresses are not
    /// checked. The two above connect to public addresses only (`chain::PublicOnly`).
    upstream_keyless: Upstream,
    connector: Connector,
    secrets: Arc<dyn Secrets>,
    minter: Arc<Minter>,
    activity: Recorder,
}

impl Session {
    /// A refusal: said on the program's stderr and kept for whoever watches the session.
    fn refuse(&self, line: &str) {
        self.activity.refused(line);
        self.say(line);
    }

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
        // One worker: a request's hops (the program's connection, the upstream's, the swap)
        // then never wait for a wake-up from another thread, which cost more per request than
        // a second core gave back (BENCHMARKS.md). A second worker would not keep requests
        // going while the agent's lock is held for long either: they all read values under it.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
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
        // Tunnels carry no key: their connector does not check addresses.
        let connector = Connector::new(spec.upstream_proxy.as_ref(), false);
        let filled_in = Connector::new(spec.upstream_proxy.as_ref(), true);
        let tls = client_tls(spec.extra_roots)?;
        let session = Session {
            credential: credential.clone(),
            table: Table::new(spec.bindings),
            strict: spec.strict,
            verbose: spec.verbose,
            log: Mutex::new(spec.log),
            upstream: upstream_client(tls.clone(), filled_in.clone(), true),
            upstream_h1: upstream_client(tls.clone(), filled_in, false),
            upstream_keyless: upstream_client(tls, connector.clone(), true),
            connector,
            secrets: spec.secrets,
            minter: spec.minter,
            activity: Recorder::default(),
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

    /// What a session has done so far; `None` once it is closed.
    pub fn activity(&self, id: &str) -> Option<Activity> {
        let sessions = self.shared.sessions.read().ok()?;
        sessions.get(id).map(|s| s.activity.activity())
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

/// How a session's clients verify servers: the system's roots and the session's extra ones.
fn client_tls(extra: Vec<CertificateDer<'static>>) -> Result<rustls::ClientConfig, ProxyError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(crate::ca::system_roots().iter().cloned());
    for cert in extra {
        roots
            .add(cert)
            .map_err(|e| ProxyError::Tls(format!("a --proxy-ca-file certificate: {e}")))?;
    }
    Ok(
        rustls::ClientConfig::builder_with_provider(crate::provider())
            .with_safe_default_protocol_versions()
            .map_err(ProxyError::tls)?
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// A client over `connector`; ALPN offers HTTP/2 only with `http2` (the builder sets it on its
/// own copy of `config`).
fn upstream_client(config: rustls::ClientConfig, connector: Connector, http2: bool) -> Upstream {
    let builder = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_or_http()
        .enable_http1();
    let https = if http2 {
        builder.enable_http2().wrap_connector(connector)
    } else {
        builder.wrap_connector(connector)
    };
    Client::builder(TokioExecutor::new()).build(https)
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
        session.refuse(&line);
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

fn empty_body() -> Out {
    Empty::new().map_err(|never| match never {}).boxed()
}

fn empty(status: StatusCode) -> Response<Out> {
    let mut resp = Response::new(Empty::new().map_err(|never| match never {}).boxed());
    *resp.status_mut() = status;
    resp
}
