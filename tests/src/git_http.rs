//! A git smart-HTTP server on loopback for the credential helper's tests: git's own
//! `git http-backend` behind HTTPS (a throwaway CA) that wants HTTP Basic authentication with
//! one user and password, as a forge does.

use std::convert::Infallible;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rcgen::{CertificateParams, IsCa, Issuer, KeyPair, SanType};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// The server: repositories under `root`, served at `https://localhost:PORT/NAME.git`.
pub struct GitServer {
    pub port: u16,
    /// The CA its certificate chains to (for `GIT_SSL_CAINFO`).
    pub ca_file: PathBuf,
    pub root: PathBuf,
    /// The `user:password` pairs it was sent, in order (for asserting what git used).
    pub seen: Arc<Mutex<Vec<String>>>,
    /// The one `user:password` it lets in.
    expected: Arc<Mutex<String>>,
    _runtime: tokio::runtime::Runtime,
}

impl std::fmt::Debug for GitServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitServer")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl GitServer {
    /// Serves bare repositories under `dir/repos`, letting in only `user` with `password`.
    pub fn start(dir: &Path, user: &str, password: &str) -> GitServer {
        let root = dir.join("repos");
        std::fs::create_dir_all(&root).unwrap();
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "test git server CA");
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        let leaf_key = KeyPair::generate().unwrap();
        let mut leaf = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        leaf.subject_alt_names
            .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
        let leaf = leaf.signed_by(&leaf_key, &issuer).unwrap();
        let ca_file = dir.join("git-server-ca.pem");
        std::fs::write(&ca_file, ca_cert.pem()).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
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
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind(("127.0.0.1", 0)))
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let expected = Arc::new(Mutex::new(format!("{user}:{password}")));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let let_in = expected.clone();
        let (r, s) = (root.clone(), seen.clone());
        runtime.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (acceptor, root, seen, expected) =
                    (acceptor.clone(), r.clone(), s.clone(), let_in.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(stream).await else {
                        return;
                    };
                    let service = service_fn(move |req| {
                        let (root, seen) = (root.clone(), seen.clone());
                        let expected = expected.lock().unwrap().clone();
                        async move { Ok::<_, Infallible>(serve(req, &root, &seen, &expected).await) }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        GitServer {
            port,
            ca_file,
            root,
            seen,
            expected,
            _runtime: runtime,
        }
    }

    /// Lets in `user` with `password` from now on (a token known only once it is issued).
    pub fn expect(&self, user: &str, password: &str) {
        *self.expected.lock().unwrap() = format!("{user}:{password}");
    }

    /// `git ARGS` in `dir` as a user of `home` runs it: that home's global config, this server's
    /// CA, the agent of `runtime_dir`, no system config, never a prompt (a missing credential
    /// fails instead of waiting).
    pub fn git(
        &self,
        home: &Path,
        runtime_dir: &Path,
        dir: &Path,
        args: &[&str],
    ) -> std::process::Output {
        self.git_with(home, runtime_dir, dir, args, &[])
    }

    /// [`Self::git`] with more environment (`GIT_ASKPASS` to answer git's prompts, say).
    pub fn git_with(
        &self,
        home: &Path,
        runtime_dir: &Path,
        dir: &Path,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> std::process::Output {
        Command::new("git")
            .args(args)
            .current_dir(dir)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("XDG_RUNTIME_DIR", runtime_dir)
            .env("XDG_CONFIG_HOME", home.join("xdg-config"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_ASKPASS", "/bin/false")
            .env("GIT_SSL_CAINFO", &self.ca_file)
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// Makes an empty bare repository `NAME.git`; returns its URL.
    pub fn repo(&self, name: &str) -> String {
        let path = self.root.join(format!("{name}.git"));
        let status = Command::new("git")
            .args(["init", "--quiet", "--bare", "--initial-branch=main"])
            .arg(&path)
            .status()
            .unwrap();
        assert!(status.success());
        format!("https://localhost:{}/{name}.git", self.port)
    }
}

type Out = Response<Full<Bytes>>;

fn status(code: StatusCode, text: &str) -> Out {
    let mut r = Response::new(Full::new(Bytes::from(text.to_owned())));
    *r.status_mut() = code;
    r
}

async fn serve(
    req: Request<Incoming>,
    root: &Path,
    seen: &Mutex<Vec<String>>,
    expected: &str,
) -> Out {
    use base64::Engine as _;
    let given = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned());
    if let Some(given) = &given {
        seen.lock().unwrap().push(given.clone());
    }
    if given.as_deref() != Some(expected) {
        let mut r = status(StatusCode::UNAUTHORIZED, "authentication required\n");
        r.headers_mut().insert(
            "www-authenticate",
            "Basic realm=\"vault test forge\"".parse().unwrap(),
        );
        return r;
    }
    let user = expected.split(':').next().unwrap_or_default().to_owned();
    let (parts, body) = req.into_parts();
    let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
        return status(StatusCode::BAD_REQUEST, "unreadable body\n");
    };
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (method, path, query) = (
        parts.method.to_string(),
        parts.uri.path().to_owned(),
        parts.uri.query().unwrap_or_default().to_owned(),
    );
    let (content_type, encoding) = (header("content-type"), header("content-encoding"));
    let root = root.to_owned();
    let out = tokio::task::spawn_blocking(move || {
        let mut child = Command::new("git")
            .arg("http-backend")
            .env("GIT_PROJECT_ROOT", &root)
            .env("GIT_HTTP_EXPORT_ALL", "1")
            .env("REQUEST_METHOD", &method)
            .env("PATH_INFO", &path)
            .env("QUERY_STRING", &query)
            .env("CONTENT_TYPE", &content_type)
            .env("CONTENT_LENGTH", body.len().to_string())
            .env("HTTP_CONTENT_ENCODING", &encoding)
            .env("REMOTE_USER", &user)
            .env("REMOTE_ADDR", "127.0.0.1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&body);
        });
        let out = child.wait_with_output().unwrap();
        let _ = writer.join();
        out.stdout
    })
    .await
    .unwrap();
    cgi_response(&out)
}

/// A CGI answer: headers (`Status:` among them), a blank line, the body.
fn cgi_response(out: &[u8]) -> Out {
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| out.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)));
    let Some((at, gap)) = split else {
        return status(StatusCode::INTERNAL_SERVER_ERROR, "bad CGI answer\n");
    };
    let head = String::from_utf8_lossy(&out[..at]).into_owned();
    let mut resp = Response::new(Full::new(Bytes::copy_from_slice(&out[at + gap..])));
    for line in head.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            let code = value.split(' ').next().and_then(|c| c.parse().ok());
            *resp.status_mut() = code
                .and_then(|c: u16| StatusCode::from_u16(c).ok())
                .unwrap_or(StatusCode::OK);
        } else if let (Ok(n), Ok(v)) = (
            hyper::header::HeaderName::from_bytes(name.as_bytes()),
            hyper::header::HeaderValue::from_str(value),
        ) {
            resp.headers_mut().append(n, v);
        }
    }
    resp
}
