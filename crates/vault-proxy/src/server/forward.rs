//! One request inside a session: judged by the placeholders it carries, the values put in,
//! sent on, and the answer passed back as it streams (echoed values swapped back). A WebSocket
//! (or any HTTP/1.1 upgrade) handshake is judged and filled in like any request; once both
//! sides have switched, its bytes are passed through untouched.

use std::sync::Arc;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode, Uri, Version};
use hyper_util::rt::TokioIo;
use vault_core::hosts::Destination;
use zeroize::Zeroizing;

use super::{Out, Session, Shared, text};
use crate::Unavailable;
use crate::echo::{Echo, Secret, Swap};
use crate::table::Verdict;

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

/// What an upgrade request asks to switch to (`websocket`), if it is one: HTTP/1.1 with
/// `Connection: upgrade` and an `Upgrade` header.
fn upgrade_to(req: &Request<Incoming>) -> Option<HeaderValue> {
    let asks = req.version() == Version::HTTP_11
        && req
            .headers()
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case("upgrade"));
    asks.then(|| req.headers().get(header::UPGRADE).cloned())
        .flatten()
}

pub(super) async fn forward(
    shared: Arc<Shared>,
    session: Arc<Session>,
    mut req: Request<Incoming>,
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
    // Taken before the request is consumed: the client's side of a switch of protocols.
    let upgrade = upgrade_to(&req).map(|to| (to, hyper::upgrade::on(&mut req)));
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
        session.refuse(&line);
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
            session.refuse(&line);
            let (secrets, item, dest) = (session.secrets.clone(), b.item.clone(), shown.clone());
            let _ = tokio::task::spawn_blocking(move || secrets.refused(&item, &dest)).await;
            return text(StatusCode::FORBIDDEN, &format!("vault proxy: {line}\n"));
        }
    };
    let mut pairs: Vec<(Secret, Secret)> = Vec::new();
    for &i in &substitute {
        let b = &session.table.bindings()[i];
        // An API key's value is had at once; a grant's token may need a refresh (network I/O),
        // which waits on a blocking thread, off the proxy's own.
        let value = match session.secrets.value_now(&b.item) {
            Some(now) => Ok(now),
            None => {
                let (secrets, item) = (session.secrets.clone(), b.item.clone());
                tokio::task::spawn_blocking(move || secrets.value(&item)).await
            }
        };
        let value = match value {
            Ok(Ok(value)) => value,
            Ok(Err(Unavailable::Locked)) => {
                let line = format!(
                    "refused a request to {shown}: the vault is locked, so {:?} is not sent (run `vault unlock`)",
                    b.item
                );
                session.refuse(&line);
                return text(StatusCode::FORBIDDEN, &format!("vault proxy: {line}\n"));
            }
            Ok(Err(Unavailable::Gone(why))) => {
                let line = format!("refused a request to {shown}: {:?}: {why}", b.item);
                session.refuse(&line);
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
            Zeroizing::new(b.placeholder.as_bytes().to_vec()),
        ));
        if session.verbose {
            session.say(&format!("{shown}: {:?} added", b.item));
        }
    }
    if !substitute.is_empty() {
        let items = substitute
            .iter()
            .map(|&i| session.table.bindings()[i].item.as_str());
        session.activity.sent(&shown, items);
    }
    let to_real = Swap::new(pairs.iter().map(|(v, p)| (p.clone(), v.clone())).collect());
    strip_hop_by_hop(&mut parts.headers);
    parts.headers.remove(header::HOST);
    if let Some((to, _)) = &upgrade {
        // The handshake's own hop-by-hop headers go on: the server must see what is asked.
        parts
            .headers
            .insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        parts.headers.insert(header::UPGRADE, to.clone());
    }
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
    // The server speaks what the program chose: a program on HTTP/1.1 (most SDKs: requests,
    // httpx, undici) gets HTTP/1.1 on the way out too, one on HTTP/2 gets HTTP/2 where the
    // server offers it over ALPN. An upgrade needs HTTP/1.1 on both sides.
    let program_h2 = parts.version == Version::HTTP_2;
    parts.version = Version::HTTP_11;
    let client = match (&upgrade, pairs.is_empty()) {
        (None, true) => &session.upstream_keyless,
        (None, false) if program_h2 => &session.upstream,
        _ => &session.upstream_h1,
    };
    let resp = match client.request(Request::from_parts(parts, body)).await {
        Ok(resp) => resp,
        Err(e) => {
            let line = format!("could not reach {shown}: {}", error_chain(&e));
            session.say(&line);
            return text(StatusCode::BAD_GATEWAY, &format!("vault proxy: {line}\n"));
        }
    };
    if let Some((_, client_side)) = upgrade
        && resp.status() == StatusCode::SWITCHING_PROTOCOLS
    {
        return switched(resp, client_side);
    }
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

/// The server agreed to switch: the client gets the 101 with the server's handshake headers,
/// and once both sides have switched their bytes are copied both ways until either closes.
/// (Values the server sends inside the new protocol are not swapped back: frames pass as they
/// are.)
fn switched(mut resp: Response<Incoming>, client_side: hyper::upgrade::OnUpgrade) -> Response<Out> {
    let server_side = hyper::upgrade::on(&mut resp);
    tokio::spawn(async move {
        if let (Ok(client), Ok(server)) = (client_side.await, server_side.await) {
            let _ =
                tokio::io::copy_bidirectional(&mut TokioIo::new(client), &mut TokioIo::new(server))
                    .await;
        }
    });
    let (parts, _) = resp.into_parts();
    Response::from_parts(parts, super::empty_body())
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
