//! The end-to-end suites' HTTPS server on loopback, on its own, for `bench/proxy.sh`: writes its
//! throwaway CA to the path given, prints `PORT=N` and serves until killed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/upstream/mod.rs"]
mod upstream;

fn main() {
    let ca = std::env::args_os()
        .nth(1)
        .expect("usage: https_echo CA_FILE");
    let up = upstream::upstream();
    std::fs::write(ca, &up.ca_pem).unwrap();
    println!("PORT={}", up.port);
    // Whoever waits for that line reads a pipe: it must not sit in a buffer.
    std::io::Write::flush(&mut std::io::stdout()).unwrap();
    loop {
        std::thread::park();
    }
}
