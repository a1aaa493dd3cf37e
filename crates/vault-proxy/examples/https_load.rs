//! A light HTTPS load generator for `bench/proxy.sh`: CONNECTIONS connections at once (through
//! the proxy in `HTTPS_PROXY`, if set, as a program under `vault run --proxy` would), each
//! sending its share of REQUESTS one after the other, on one thread. Prints the requests per
//! second. Unlike eight curl processes, it leaves the second core to the proxy and the server,
//! so what it measures is what the proxy can carry.
//!
//! Usage: `https_load URL CONNECTIONS REQUESTS 1.1|2`, with `LOAD_CA` (the CA file the server's
//! or the proxy's certificates chain to) and `LOAD_AUTHORIZATION` (the header's value) set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Instant;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;

type Io = TokioIo<tokio_rustls::client::TlsStream<Box<dyn Stream>>>;

trait Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Stream for T {}

enum Sender {
    H1(http1::SendRequest<Empty<Bytes>>),
    H2(http2::SendRequest<Empty<Bytes>>),
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, connections, requests, version] = args.as_slice() else {
        panic!("usage: https_load URL CONNECTIONS REQUESTS 1.1|2");
    };
    let url: hyper::Uri = url.parse().unwrap();
    let connections: usize = connections.parse().unwrap();
    let per = requests.parse::<usize>().unwrap() / connections;
    let h2 = version == "2";
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let config = Arc::new(tls_config(h2));
        let mut senders = Vec::new();
        for _ in 0..connections {
            senders.push(connect(&url, config.clone(), h2).await);
        }
        let authorization = std::env::var("LOAD_AUTHORIZATION").unwrap();
        let started = Instant::now();
        let tasks: Vec<_> = senders
            .into_iter()
            .map(|mut sender| {
                let (url, authorization) = (url.clone(), authorization.clone());
                tokio::spawn(async move {
                    for _ in 0..per {
                        let req = Request::get(url.clone())
                            .header("authorization", &authorization)
                            .body(Empty::<Bytes>::new())
                            .unwrap();
                        let resp = match &mut sender {
                            Sender::H1(s) => {
                                s.ready().await.unwrap();
                                s.send_request(req).await.unwrap()
                            }
                            Sender::H2(s) => s.send_request(req).await.unwrap(),
                        };
                        assert!(resp.status().is_success(), "{}", resp.status());
                        resp.into_body().collect().await.unwrap();
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let secs = started.elapsed().as_secs_f64();
        println!("{:.0}", (per * connections) as f64 / secs);
    });
}

fn tls_config(h2: bool) -> rustls::ClientConfig {
    let pem = std::fs::read_to_string(std::env::var("LOAD_CA").unwrap()).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for cert in vault_proxy::ca::read_pem_certificates(&pem).unwrap() {
        roots.add(cert).unwrap();
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = if h2 {
        vec![b"h2".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    config
}

/// One connection to the server, tunnelled through `HTTPS_PROXY` when it is set.
async fn connect(url: &hyper::Uri, config: Arc<rustls::ClientConfig>, h2: bool) -> Sender {
    let host = url.host().unwrap().to_owned();
    let port = url.port_u16().unwrap_or(443);
    let stream: Box<dyn Stream> = match std::env::var("HTTPS_PROXY").ok().filter(|p| !p.is_empty())
    {
        None => {
            let tcp = TcpStream::connect((host.as_str(), port)).await.unwrap();
            tcp.set_nodelay(true).unwrap();
            Box::new(tcp)
        }
        Some(proxy) => tunnel(&proxy.parse().unwrap(), &host, port).await,
    };
    let name = rustls::pki_types::ServerName::try_from(host).unwrap();
    let tls = tokio_rustls::TlsConnector::from(config)
        .connect(name, stream)
        .await
        .unwrap();
    let io: Io = TokioIo::new(tls);
    if h2 {
        let (sender, conn) = http2::handshake(TokioExecutor::new(), io).await.unwrap();
        tokio::spawn(conn);
        Sender::H2(sender)
    } else {
        let (sender, conn) = http1::handshake(io).await.unwrap();
        tokio::spawn(conn);
        Sender::H1(sender)
    }
}

/// A CONNECT to `host:port` through the proxy, with the credential in its URL.
async fn tunnel(proxy: &hyper::Uri, host: &str, port: u16) -> Box<dyn Stream> {
    let tcp = TcpStream::connect((proxy.host().unwrap(), proxy.port_u16().unwrap()))
        .await
        .unwrap();
    tcp.set_nodelay(true).unwrap();
    let (mut sender, conn) = http1::handshake::<_, Empty<Bytes>>(TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(conn.with_upgrades());
    let target = format!("{host}:{port}");
    let mut req = Request::connect(target.as_str()).header("host", target.as_str());
    if let Some((user, password)) = proxy
        .authority()
        .and_then(|a| a.as_str().rsplit_once('@'))
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
    {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        req = req.header("proxy-authorization", format!("Basic {basic}"));
    }
    let resp = sender
        .send_request(req.body(Empty::new()).unwrap())
        .await
        .unwrap();
    assert!(resp.status().is_success(), "CONNECT: {}", resp.status());
    let upgraded = hyper::upgrade::on(resp).await.unwrap();
    Box::new(TokioIo::new(upgraded))
}
