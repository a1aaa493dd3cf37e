//! Link-time choices for the `vault` binary, which starts on every `vault run`, `vault get` and
//! `vault token`: its start-up cost is paid many times a day.

fn main() {
    // Pack the ~20,000 relative relocations of this position-independent binary (DT_RELR,
    // glibc 2.36+, GNU ld 2.38+): the loader then reads a few KB instead of ~500 KB of
    // relocation entries at every start. ASLR is unchanged.
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.ends_with("-linux-gnu") && linker_supports_relr() && glibc_supports_relr() {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// The loader must understand DT_RELR too: glibc 2.36 (Debian 12) does, 2.35 (Ubuntu 22.04)
/// does not, and would refuse to start the binary.
fn glibc_supports_relr() -> bool {
    let Ok(out) = std::process::Command::new("getconf")
        .arg("GNU_LIBC_VERSION")
        .output()
    else {
        return false;
    };
    // "glibc 2.36"
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .split('.')
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) >= (2, 36)
}

/// Older binutils (Debian 11's 2.35) reject the option; the build must not fail there.
fn linker_supports_relr() -> bool {
    std::process::Command::new("ld")
        .arg("--help")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("pack-relative-relocs"))
        .unwrap_or(false)
}
