//! The proxy the user already had (`HTTPS_PROXY` and its twins, `NO_PROXY`): every connection
//! this proxy makes goes through it with CONNECT, except to the hosts its `NO_PROXY` names, so
//! a run behind a corporate proxy still reaches the network the way the user's tools do.

use std::error::Error;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper::Uri;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower_service::Service;

/// The user's proxy settings, as the program's environment had them.
#[derive(Clone, Default)]
pub struct UpstreamProxy {
    pub all: Option<String>,
    pub http: Option<String>,
    pub https: Option<String>,
    pub no: Option<String>,
}

impl std::fmt::Debug for UpstreamProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A proxy URL may hold the user's proxy password.
        f.debug_struct("UpstreamProxy")
            .field(
                "set",
                &(self.all.is_some() || self.http.is_some() || self.https.is_some()),
            )
            .finish_non_exhaustive()
    }
}

impl UpstreamProxy {
    fn matcher(&self) -> Option<Matcher> {
        if self.all.is_none() && self.http.is_none() && self.https.is_none() {
            return None;
        }
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        Some(
            Matcher::builder()
                .all(text(&self.all))
                .http(text(&self.http))
                .https(text(&self.https))
                .no(text(&self.no))
                .build(),
        )
    }
}

type BoxError = Box<dyn Error + Send + Sync>;

/// Opens TCP connections to a destination, directly or through the upstream proxy.
#[derive(Clone)]
pub struct Connector {
    http: HttpConnector,
    matcher: Option<Arc<Matcher>>,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("chained", &self.matcher.is_some())
            .finish_non_exhaustive()
    }
}

impl Connector {
    pub fn new(upstream: Option<&UpstreamProxy>) -> Self {
        let mut http = HttpConnector::new();
        // TLS is added on top (hyper-rustls), so https:// destinations are expected here.
        http.enforce_http(false);
        http.set_nodelay(true);
        Connector {
            http,
            matcher: upstream.and_then(UpstreamProxy::matcher).map(Arc::new),
        }
    }

    /// A connection to `host:port` for a tunnel the proxy does not open.
    pub async fn stream(&self, host: &str, port: u16) -> Result<TcpStream, BoxError> {
        let authority = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let uri: Uri = format!("https://{authority}/").parse()?;
        Ok(self.clone().call(uri).await?.into_inner())
    }
}

impl Service<Uri> for Connector {
    type Response = TokioIo<TcpStream>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let mut http = self.http.clone();
        let intercept = self.matcher.as_ref().and_then(|m| m.intercept(&dst));
        Box::pin(async move {
            match intercept {
                None => Ok(http.call(dst).await?),
                Some(proxy) => {
                    let mut tunnel = Tunnel::new(proxy.uri().clone(), http);
                    if let Some(auth) = proxy.basic_auth() {
                        tunnel = tunnel.with_auth(auth.clone());
                    }
                    Ok(tunnel.call(dst).await?)
                }
            }
        })
    }
}
