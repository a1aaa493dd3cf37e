//! How the proxy reaches a server: through the proxy the user already had (`HTTPS_PROXY` and
//! its twins, `NO_PROXY`) with CONNECT, so a run behind a corporate proxy reaches the network
//! the way the user's tools do; or directly, resolving the name itself, where a connection that
//! may carry a key goes only to a public address (see [`PublicOnly`]).

use std::error::Error;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use std::net::{IpAddr, SocketAddr};

use hyper::Uri;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::Name;
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
    /// To the upstream proxy, and to destinations of tunnels (which carry no key).
    http: HttpConnector,
    /// To destinations of requests the proxy fills in: names resolved here, to public
    /// addresses only, and the connection made to the address checked (no second lookup that
    /// DNS rebinding could answer differently). `None`: a connector for tunnels.
    checked: Option<HttpConnector<PublicOnly>>,
    matcher: Option<Arc<Matcher>>,
}

/// A resolver that refuses a name whose addresses are not all public (loopback, private,
/// link-local, cloud metadata, ...): a key bound to `api.example.com` is not sent to whatever
/// a poisoned resolver or `/etc/hosts` makes of that name. An item whose hosts name such an
/// address (`127.0.0.1:8443`, `[::1]`) or `localhost` says so explicitly: IP literals never
/// reach a resolver, and `localhost` is loopback by definition.
#[derive(Clone, Debug, Default)]
pub struct PublicOnly;

impl Service<Name> for PublicOnly {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, std::io::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), std::io::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !host.eq_ignore_ascii_case("localhost")
                && let Some((ip, kind)) = addrs
                    .iter()
                    .find_map(|a| not_public(a.ip()).map(|k| (a.ip(), k)))
            {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    format!(
                        "{host} resolves to {ip}, a {kind} address: no key is sent there unless \
                         the item's hosts name that address"
                    ),
                ));
            }
            Ok(addrs.into_iter())
        })
    }
}

/// What kind of address `ip` is, when it is not a public one.
pub fn not_public(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            if v4.is_loopback() {
                Some("loopback")
            } else if o[0] == 169 && o[1] == 254 {
                Some("link-local (cloud metadata)")
            } else if v4.is_private() || (o[0] == 100 && (o[1] & 0xc0) == 64) {
                Some("private")
            } else if v4.is_unspecified() || o[0] == 0 || v4.is_broadcast() || o[0] >= 224 {
                Some("reserved")
            } else if o[0] == 192 && o[1] == 0 && o[2] == 0 {
                // 192.0.0.0/24: protocol assignments (192.0.0.192 is Oracle Cloud's metadata).
                Some("reserved")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return not_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            if v6.is_loopback() {
                Some("loopback")
            } else if v6.is_unspecified() || v6.is_multicast() {
                Some("reserved")
            } else if (first & 0xffc0) == 0xfe80 {
                Some("link-local")
            } else if (first & 0xfe00) == 0xfc00 {
                // fc00::/7, where cloud metadata lives too (fd00:ec2::254).
                Some("private")
            } else {
                None
            }
        }
    }
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("chained", &self.matcher.is_some())
            .finish_non_exhaustive()
    }
}

impl Connector {
    /// `checked`: direct connections go to public addresses only ([`PublicOnly`]).
    pub fn new(upstream: Option<&UpstreamProxy>, checked: bool) -> Self {
        let mut http = HttpConnector::new();
        // TLS is added on top (hyper-rustls), so https:// destinations are expected here.
        http.enforce_http(false);
        http.set_nodelay(true);
        let checked = checked.then(|| {
            let mut c = HttpConnector::new_with_resolver(PublicOnly);
            c.enforce_http(false);
            c.set_nodelay(true);
            c
        });
        Connector {
            http,
            checked,
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
        let checked = self.checked.clone();
        let intercept = self.matcher.as_ref().and_then(|m| m.intercept(&dst));
        Box::pin(async move {
            match (intercept, checked) {
                (None, Some(mut checked)) => Ok(checked.call(dst).await?),
                (None, None) => Ok(http.call(dst).await?),
                // Behind the user's proxy, names are resolved there (as for every tool of theirs).
                (Some(proxy), _) => {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_private_link_local_and_metadata_addresses_are_not_public() {
        for (ip, kind) in [
            ("127.0.0.1", "loopback"),
            ("127.0.1.1", "loopback"),
            ("::1", "loopback"),
            ("169.254.169.254", "link-local (cloud metadata)"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("192.168.1.1", "private"),
            ("100.64.0.1", "private"),
            ("192.0.0.192", "reserved"),
            ("0.0.0.0", "reserved"),
            ("fe80::1", "link-local"),
            ("fd00:ec2::254", "private"),
            ("::ffff:127.0.0.1", "loopback"),
        ] {
            assert_eq!(not_public(ip.parse().unwrap()), Some(kind), "{ip}");
        }
        for ip in ["8.8.8.8", "104.18.6.192", "2606:4700::6812:6c0"] {
            assert_eq!(not_public(ip.parse().unwrap()), None, "{ip}");
        }
    }
}
