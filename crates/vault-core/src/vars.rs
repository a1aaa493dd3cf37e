//! What an environment variable does to the programs that read it, by class rather than by a
//! list of names.
//!
//! A project file chooses variables for a command. Most are data for the program (`PORT`,
//! `DATABASE_URL`, an API key); some make a program, its runtime or the OS load or run code, or
//! read files, programs or settings the file chooses: a library to preload, a module path, a
//! config file (git's `core.fsmonitor` in `$XDG_CONFIG_HOME/git/config` runs a command), a
//! start-up file (`usercustomize.py` under `PYTHONUSERBASE`), a proxy that sees every request,
//! an option string for another program. No list of names can be complete, so a variable needs
//! allowing by name (`--allow-var`) when
//!
//! - its name is one the OS, a shell or a language runtime reads at start-up (a short list of
//!   exact names, and families such as `LD_*`, `PYTHON*`, `NODE_*`, `npm_config_*`);
//! - its name says what it holds is a path, directory, program, command, library, config file,
//!   proxy or option string (`*PATH`, `*_DIR`, `*_HOME`, `*_FILE`, `*_CONFIG`, `*_COMMAND`,
//!   `*_OPTIONS`, `*_FLAGS`, `*LIB`, `*_PROXY`, `*SHELL`, `*_HOOK`, ...), in any case;
//! - or its plain value looks like one (an absolute or relative path, a shell command, an
//!   option string),
//!
//! unless its name is on a short list of names known to be harmless (`PORT`, `NODE_ENV`,
//! `LOG_LEVEL`, `TZ`, ...) and its value does not look like a path or command either.

/// Names known to be harmless whatever the classes above say of them (their values are still
/// looked at).
const HARMLESS: &[&str] = &[
    "PORT",
    "HOST",
    "HOSTNAME",
    "NODE_ENV",
    "RAILS_ENV",
    "RACK_ENV",
    "APP_ENV",
    "FLASK_ENV",
    "FLASK_DEBUG",
    "LOG_LEVEL",
    "RUST_LOG",
    "RUST_BACKTRACE",
    "DEBUG",
    "TZ",
    "LANG",
    "LANGUAGE",
    "NO_COLOR",
    "FORCE_COLOR",
    "CI",
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "GIT_COMMITTER_NAME",
    "GIT_COMMITTER_EMAIL",
];

/// Exact names the OS, a shell or a runtime reads at start-up (or that point a program at its
/// configuration), whose names alone do not say so.
const STARTUP: &[&str] = &[
    "ENV",
    "BASH_ENV",
    "ZDOTDIR",
    "PROMPT_COMMAND",
    "PS1",
    "PS2",
    "PS3",
    "PS4",
    "SHELLOPTS",
    "BASHOPTS",
    "IFS",
    "CDPATH",
    "GLOBIGNORE",
    "HOSTALIASES",
    "GCONV_PATH",
    "LOCPATH",
    "NLSPATH",
    "GLIBC_TUNABLES",
    "MALLOC_CONF",
    "TMPDIR",
    "TERMINFO",
    "EDITOR",
    "VISUAL",
    "PAGER",
    "MANPAGER",
    "BROWSER",
    "LESSOPEN",
    "LESSCLOSE",
    "LESSKEY",
    "CLASSPATH",
    "CC",
    "CXX",
    "CPP",
    "LD",
    "AR",
    "AS",
    "NM",
    "MAKE",
    "MAKEFLAGS",
    "MFLAGS",
    "RUSTC",
    "RUSTDOC",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "RUSTFLAGS",
    "RUSTDOCFLAGS",
    "GOFLAGS",
    "GOROOT",
    "GOPATH",
    "GOBIN",
    "GOPROXY",
    "GOTOOLCHAIN",
    "GOENV",
    "GOEXPERIMENT",
    "GONOSUMDB",
    "GOPRIVATE",
    "GOINSECURE",
    "CGO_CFLAGS",
    "CGO_LDFLAGS",
    "KUBECONFIG",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "CURL_CA_BUNDLE",
    "REQUESTS_CA_BUNDLE",
    "NO_PROXY",
    "ALL_PROXY",
    "COMSPEC",
    "PATHEXT",
];

/// Families of names read at start-up: the dynamic loaders', language runtimes', package
/// managers', git's, ssh's, the OpenSSL library's and .NET's. Compared case-insensitively.
const STARTUP_PREFIXES: &[&str] = &[
    "LD_",
    "DYLD_",
    "PYTHON",
    "NODE_",
    "NPM_CONFIG_",
    "YARN_",
    "PNPM_",
    "BUN_",
    "DENO_",
    "RUBY",
    "BUNDLE_",
    "GEM_",
    "PERL",
    "JAVA_",
    "_JAVA_",
    "JDK_",
    "MAVEN_",
    "GRADLE_",
    "PHP_",
    "LUA_",
    "DOTNET_",
    "COMPLUS_",
    "CORECLR_",
    "GIT_",
    "SSH_",
    "GNUPG",
    "OPENSSL_",
    "XDG_",
    "LESS",
    "CARGO_",
    "RUSTUP_",
    "DOCKER_",
    "AWS_CONFIG_",
    "AWS_SHARED_",
    "PIP_",
    "UV_",
    "POETRY_",
    "CONDA",
    "VIRTUAL_ENV",
    "R_",
];

/// Name endings that say the value is a path, directory, program, command, library, config
/// file, proxy or option string. Compared case-insensitively.
const SUFFIXES: &[&str] = &[
    "PATH",
    "_DIR",
    "_DIRS",
    "DIR",
    "HOME",
    "_ROOT",
    "_FILE",
    "_FILES",
    "_CONFIG",
    "_CONF",
    "_CFG",
    "_RC",
    "_COMMAND",
    "_CMD",
    "_PROGRAM",
    "_PROG",
    "_EXEC",
    "_EXE",
    "_BIN",
    "_BINARY",
    "_WRAPPER",
    "_SCRIPT",
    "_OPTIONS",
    "_OPTS",
    "_OPT",
    "_FLAGS",
    "FLAGS",
    "_ARGS",
    "LIB",
    "_LIBS",
    "_LIBRARY",
    "_PRELOAD",
    "_MODULE",
    "_MODULES",
    "_PLUGIN",
    "_PLUGINS",
    "_EXTENSION",
    "_EXTENSIONS",
    "_HOOK",
    "_HOOKS",
    "_INIT",
    "_STARTUP",
    "_STARTUP_HOOKS",
    "_LOADER",
    "PROXY",
    "SHELL",
    "EDITOR",
    "PAGER",
    "ASKPASS",
    "_CERTS",
    "_CERT",
    "_CA",
    "_CA_BUNDLE",
    "_BUNDLE",
    "_SOCKET",
    "_SOCK",
];

/// Why `name`, set to `value` (`None` for a reference, whose value is not known when the file
/// is reviewed), needs allowing by name: `None` when it does not.
pub fn code_risk(name: &str, value: Option<&str>) -> Option<&'static str> {
    name_risk(name).or_else(|| value.and_then(value_risk))
}

/// What `name` says of its value, unless it is known to be harmless.
fn name_risk(name: &str) -> Option<&'static str> {
    if HARMLESS.contains(&name) {
        return None;
    }
    let upper = name.to_ascii_uppercase();
    if STARTUP.contains(&upper.as_str()) || STARTUP_PREFIXES.iter().any(|p| upper.starts_with(p)) {
        return Some("read at start-up by the OS, a shell or a runtime");
    }
    if let Some(s) = SUFFIXES.iter().find(|s| upper.ends_with(**s)) {
        return Some(match *s {
            "PROXY" => "names a proxy that sees every request",
            s if s.contains("OPT") || s.contains("FLAGS") || s == "_ARGS" => {
                "passes options to another program"
            }
            s if s.contains("LIB") || s == "_PRELOAD" || s.contains("MODULE") => {
                "names a library or module to load"
            }
            s if s.contains("DIR") || s.contains("PATH") || s.contains("HOME") || s == "_ROOT" => {
                "names a path or directory"
            }
            s if s.contains("FILE") || s.contains("CONF") || s.contains("CFG") || s == "_RC" => {
                "names a file to read"
            }
            _ => "names a program, command or code to run",
        });
    }
    None
}

/// Whether a plain value looks like a path, a shell command or an option string.
fn value_risk(value: &str) -> Option<&'static str> {
    let v = value.trim();
    let path = ["/", "./", "../", "~/", ":/"];
    if path.iter().any(|p| v.starts_with(p)) || v == "~" || v == "." || v == ".." {
        return Some("its value is a path");
    }
    let command = ["$(", "`", ";", "&&", "||", "|", ">", "<", "\n"];
    if command.iter().any(|c| v.contains(c)) {
        return Some("its value looks like a shell command");
    }
    if v.starts_with('-') && v.len() > 1 && !v[1..].starts_with(|c: char| c.is_ascii_digit()) {
        return Some("its value is an option string");
    }
    None
}

/// Whether `name` needs allowing by name whatever its value (what a reference can be checked
/// against, and what `vault run --profile` and `vault import` look at).
pub fn is_hook(name: &str) -> bool {
    code_risk(name, None).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variable_the_review_found_passing_needs_allowing() {
        // Refused before the review by a list, and still.
        for name in [
            "LD_PRELOAD",
            "LD_AUDIT",
            "DYLD_INSERT_LIBRARIES",
            "PYTHONPATH",
            "NODE_PATH",
            "NODE_OPTIONS",
            "RUBYLIB",
            "PERL5LIB",
            "GIT_CONFIG_COUNT",
            "GIT_SSH_COMMAND",
            "SSH_ASKPASS",
            "EDITOR",
            "PAGER",
            "BROWSER",
            "PATH",
            "BASH_ENV",
        ] {
            assert!(is_hook(name), "{name}");
        }
        // Passed after `allow --yes` before the review: each ran code, read a file the
        // project chose, or saw every request.
        for name in [
            "GCONV_PATH",
            "HOSTALIASES",
            "http_proxy",
            "HTTPS_PROXY",
            "PYTHONUSERBASE",
            "XDG_CONFIG_HOME",
            "LESSOPEN",
            "PS1",
            "HOME",
            "CLASSPATH",
            "OPENSSL_CONF",
            "npm_config_script_shell",
            "RUSTC_WRAPPER",
            "CC",
            "GOFLAGS",
            "LUA_INIT",
            "DOTNET_STARTUP_HOOKS",
            "MANPAGER",
            "SHELL",
            "AWS_CONFIG_FILE",
            "KUBECONFIG",
            "NODE_EXTRA_CA_CERTS",
        ] {
            assert!(is_hook(name), "{name}");
        }
        // Names no list has, classed by what they say they hold.
        for name in [
            "MYAPP_PLUGIN_DIR",
            "TOOL_EXTRA_FLAGS",
            "WORKER_COMMAND",
            "APP_CONFIG_FILE",
            "my_preload",
        ] {
            assert!(is_hook(name), "{name}");
        }
    }

    #[test]
    fn data_passes_and_the_harmless_list_is_short() {
        for (name, value) in [
            ("OPENAI_API_KEY", None),
            ("DATABASE_URL", Some("postgres://db.internal:5432/app")),
            ("PORT", Some("3000")),
            ("NODE_ENV", Some("production")),
            ("LOG_LEVEL", Some("debug")),
            ("TZ", Some("Europe/Paris")),
            ("GIT_AUTHOR_NAME", Some("Alice")),
            ("FEATURE_FLAG_X", Some("true")),
            ("PATHS", Some("3")),
            ("RETRIES", Some("-1")),
        ] {
            assert_eq!(code_risk(name, value), None, "{name}");
        }
        assert!(HARMLESS.len() < 30);
    }

    #[test]
    fn a_plain_value_that_looks_like_a_path_or_command_needs_allowing() {
        for value in [
            "/tmp/evil.so",
            "./hook.js",
            "../x",
            "~/bin/x",
            "curl x | sh",
            "$(id)",
            "--require ./hook.js",
        ] {
            assert!(code_risk("SOMETHING", Some(value)).is_some(), "{value}");
        }
        // Even under a harmless name.
        assert!(code_risk("TZ", Some("/proc/self/environ")).is_some());
        assert!(code_risk("PORT", Some("3000; id")).is_some());
    }
}
