//! A real S3 server on loopback for the S3 sync suites: `s3s-fs` (crates.io; `make
//! deps-clients` builds it into tests/clients/s3s-fs), SigV4 with one access key, its objects
//! as files under a directory the test can read and tamper with.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const S3S_FS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/clients/s3s-fs/bin/s3s-fs");

/// Characters of an AWS-shaped key id (base32) and secret.
const ID_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn random_from(chars: &[u8], n: usize) -> String {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).unwrap();
    bytes
        .iter()
        .map(|b| chars[*b as usize % chars.len()] as char)
        .collect()
}

/// The server: bucket `bucket` under `root`, at `endpoint`, letting in one key made up for it
/// (in AWS's shapes, so `vault add` recognises the pasted pair).
pub struct S3Server {
    pub endpoint: String,
    pub root: PathBuf,
    pub bucket: String,
    pub access_key_id: String,
    pub secret: String,
    port: u16,
    child: Child,
}

impl S3Server {
    /// Starts it on a port the system chose (read from its log line).
    pub fn start(dir: &Path) -> S3Server {
        assert!(
            Path::new(S3S_FS).exists(),
            "{S3S_FS} is missing; run `make deps-clients` (make test does)"
        );
        let root = dir.join("s3");
        let bucket = "team-vault".to_owned();
        std::fs::create_dir_all(root.join(&bucket)).unwrap();
        let access_key_id = format!("AKIA{}", random_from(ID_CHARS, 16));
        let secret = random_from(SECRET_CHARS, 40);
        let (child, port) = Self::spawn(&root, &access_key_id, &secret, 0);
        S3Server {
            endpoint: format!("http://127.0.0.1:{port}"),
            root,
            bucket,
            access_key_id,
            secret,
            port,
            child,
        }
    }

    fn spawn(root: &Path, id: &str, secret: &str, port: u16) -> (Child, u16) {
        let mut child = Command::new(S3S_FS)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", id, "--secret-key", secret])
            .arg(root)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        let port = loop {
            line.clear();
            assert!(
                out.read_line(&mut line).unwrap() > 0,
                "s3s-fs ended before it listened"
            );
            if let Some(at) = line.find("server is running at http://127.0.0.1:") {
                let rest = &line[at + "server is running at http://127.0.0.1:".len()..];
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                break digits.parse().unwrap();
            }
        };
        // Its later log lines go nowhere (a full pipe would stall it).
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        (child, port)
    }

    /// The `vault add` input that stores this server's key (a pasted AWS key pair).
    pub fn pasted_key(&self) -> String {
        format!("{} {}\n", self.access_key_id, self.secret)
    }

    /// An object's file under the server's root.
    pub fn object(&self, key: &str) -> PathBuf {
        self.root.join(&self.bucket).join(key)
    }

    /// Stops the server (as a network failure does), keeping its data.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts it again on the same port with the same data.
    pub fn restart(&mut self) {
        self.stop();
        let (child, _) = Self::spawn(&self.root, &self.access_key_id, &self.secret, self.port);
        self.child = child;
    }
}

impl std::fmt::Debug for S3Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Server")
            .field("endpoint", &self.endpoint)
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.stop();
    }
}
