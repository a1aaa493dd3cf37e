//! A real HTTPS server on loopback for the proxy's tests (this crate's and the end-to-end
//! suite's, which includes this file by path): its own throwaway CA, a leaf for `localhost`,
//! 127.0.0.1 and 127.0.0.2, and answers that show what it received.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rcgen::{CertificateParams, IsCa, Issuer, KeyPair, SanType};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::sync::Notify;

/// What the test server was sent, request by request.
#[derive(Default)]
pub struct Seen {
    requests: Mutex<Vec<(String, String)>>,
}

impl Seen {
    pub fn authorizations(&self) -> Vec<(String, String)> {
        self.requests.lock().unwrap().clone()
    }
}

/// An HTTPS server for `localhost` and `127.0.0.1` on a free port, signed by its own CA.
pub struct Upstream {
    pub port: u16,
    /// The same server on 127.0.0.2, a host no binding may reach.
    pub tunnel_port: u16,
    pub ca_pem: String,
    pub ca_der: CertificateDer<'static>,
    pub seen: Arc<Seen>,
    /// Released by the test to let `/sse` send its second event.
    pub next_event: Arc<Notify>,
    _runtime: tokio::runtime::Runtime,
}

pub fn upstream() -> Upstream {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "test upstream CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    for ip in ["127.0.0.1", "127.0.0.2"] {
        leaf.subject_alt_names
            .push(SanType::IpAddress(ip.parse().unwrap()));
    }
    let leaf = leaf.signed_by(&leaf_key, &issuer).unwrap();
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![leaf.der().clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
    )
    .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let seen = Arc::new(Seen::default());
    let next_event = Arc::new(Notify::new());
    let mut ports = Vec::new();
    for ip in ["127.0.0.1", "127.0.0.2"] {
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind((ip, 0)))
            .unwrap();
        ports.push(listener.local_addr().unwrap().port());
        let (acceptor, s, n) = (acceptor.clone(), seen.clone(), next_event.clone());
        runtime.spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let (acceptor, seen, next) = (acceptor.clone(), s.clone(), n.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(stream).await else {
                        return;
                    };
                    let service = service_fn(move |req| answer(req, seen.clone(), next.clone()));
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection_with_upgrades(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
    }
    Upstream {
        port: ports[0],
        tunnel_port: ports[1],
        ca_pem: ca_cert.pem(),
        ca_der: ca_cert.der().clone(),
        seen,
        next_event,
        _runtime: runtime,
    }
}

type Body = http_body_util::combinators::BoxBody<Bytes, Infallible>;

async fn answer(
    req: Request<Incoming>,
    seen: Arc<Seen>,
    next: Arc<Notify>,
) -> Result<Response<Body>, Infallible> {
    let auth = req
        .headers()
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let host = req
        .uri()
        .authority()
        .map(|a| a.host().to_owned())
        .or_else(|| {
            req.headers()
                .get("host")
                .map(|h| h.to_str().unwrap().split(':').next().unwrap().to_owned())
        })
        .unwrap_or_default();
    seen.requests.lock().unwrap().push((host, auth.clone()));
    if req.uri().path() == "/ws" {
        return Ok(websocket(req));
    }
    if req.uri().path() == "/version" {
        // Which HTTP the request came in: the proxy speaks HTTP/2 upstream when offered.
        return Ok(Response::new(
            Full::new(Bytes::from(format!("{:?}\n", req.version()))).boxed(),
        ));
    }
    if req.uri().path() == "/upload" {
        // The size of what was sent, read as it streams (a chunked upload).
        let mut body = req.into_body();
        let mut size = 0usize;
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame.unwrap().into_data() {
                size += data.len();
            }
        }
        return Ok(Response::new(
            Full::new(Bytes::from(format!("received={size}\n"))).boxed(),
        ));
    }
    if req.uri().path() == "/sse" {
        let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(4);
        tokio::spawn(async move {
            let _ = tx.send(Bytes::from("data: one\n\n")).await;
            next.notified().await;
            let _ = tx.send(Bytes::from("data: two\n\n")).await;
        });
        let mut resp = Response::new(Events(rx).boxed());
        resp.headers_mut()
            .insert("content-type", "text/event-stream".parse().unwrap());
        return Ok(resp);
    }
    if req.uri().path() == "/cut" {
        // A server that dies mid-answer: the start of a body promised longer, then an error,
        // which makes hyper drop the connection.
        let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(1);
        tokio::spawn(async move {
            let _ = tx.send(Bytes::from("partial")).await;
        });
        let mut resp = Response::new(Events(rx).boxed());
        resp.headers_mut()
            .insert("content-length", "1000".parse().unwrap());
        return Ok(resp);
    }
    if req.uri().path() == "/events" {
        // Three server-sent events at once, then the end: a short stream to time.
        let body = "data: one\n\ndata: two\n\ndata: three\n\n";
        let mut resp = Response::new(Full::new(Bytes::from(body)).boxed());
        resp.headers_mut()
            .insert("content-type", "text/event-stream".parse().unwrap());
        return Ok(resp);
    }
    // `/echo`: the Authorization header back, as an API that echoes its input would.
    Ok(Response::new(
        Full::new(Bytes::from(format!("auth={auth}\n"))).boxed(),
    ))
}

/// A streamed body: each message a chunk, sent as it comes.
struct Events(tokio::sync::mpsc::Receiver<Bytes>);

impl hyper::body::Body for Events {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0.poll_recv(cx).map(|m| m.map(|b| Ok(Frame::data(b))))
    }
}

/// A WebSocket server at `/ws` (tokio-tungstenite): answers each text message with `echo:` and
/// the message.
fn websocket(mut req: Request<Incoming>) -> Response<Body> {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
    let Some(key) = req.headers().get("sec-websocket-key").cloned() else {
        let mut resp = Response::new(Full::new(Bytes::from("not a WebSocket handshake\n")).boxed());
        *resp.status_mut() = hyper::StatusCode::BAD_REQUEST;
        return resp;
    };
    let upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        let Ok(upgraded) = upgrade.await else { return };
        let mut ws = tokio_tungstenite::WebSocketStream::from_raw_socket(
            TokioIo::new(upgraded),
            tokio_tungstenite::tungstenite::protocol::Role::Server,
            None,
        )
        .await;
        while let Some(Ok(message)) = ws.next().await {
            if let Message::Text(text) = message
                && ws
                    .send(Message::text(format!("echo:{text}")))
                    .await
                    .is_err()
            {
                return;
            }
        }
    });
    let mut resp = Response::new(http_body_util::Empty::new().boxed());
    *resp.status_mut() = hyper::StatusCode::SWITCHING_PROTOCOLS;
    let headers = resp.headers_mut();
    headers.insert("connection", "upgrade".parse().unwrap());
    headers.insert("upgrade", "websocket".parse().unwrap());
    headers.insert(
        "sec-websocket-accept",
        derive_accept_key(key.as_bytes()).parse().unwrap(),
    );
    resp
}
