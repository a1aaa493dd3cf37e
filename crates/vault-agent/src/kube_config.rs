//! kubectl's kubeconfig, where `vault setup kube` makes a context get its token from vault: a
//! user entry `vault-GRANT` whose exec credential plugin is `vault kube token GRANT`, and the
//! context pointed at it. The user the context had is recorded in the context's `vault`
//! extension, so that `--undo` gives it back.
//!
//! Edited here rather than through `kubectl config set-credentials`: Debian's kubectl (1.20)
//! crashes writing any kubeconfig, and kubectl gained the flags vault needs only in 1.30. The
//! file is read as YAML and replaced whole (`replace_file`): its keys keep their order,
//! comments do not survive (kubectl drops them too, and the caller says so), and a file that
//! does not parse is left alone.

use std::path::{Path, PathBuf};

use yaml_rust2::yaml::{Array, Hash};
use yaml_rust2::{Yaml, YamlEmitter, YamlLoader};

/// vault's users are named `vault-GRANT`.
pub const USER_PREFIX: &str = "vault-";
/// The context extension recording the user a context had before vault's.
const EXTENSION: &str = "vault";
const PREVIOUS_USER: &str = "previousUser";

#[derive(Debug, thiserror::Error)]
pub enum KubeConfigError {
    #[error("cannot find a home directory for ~/.kube/config")]
    NoHome,
    #[error("{} is not a kubeconfig kubectl could read ({why}); fix it, then run this again", path.display())]
    NotKubeconfig { path: PathBuf, why: String },
    #[error("no context named {context} in {files}: `kubectl config get-contexts` lists them")]
    NoContext { context: String, files: String },
    #[error("cannot {what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

type Result<T> = std::result::Result<T, KubeConfigError>;

/// The files kubectl reads, in its order: `$KUBECONFIG` (a list, separated as PATH is), else
/// `~/.kube/config`.
pub fn files() -> Result<Vec<PathBuf>> {
    if let Some(list) = std::env::var_os("KUBECONFIG") {
        let files: Vec<PathBuf> = std::env::split_paths(&list)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        if !files.is_empty() {
            return Ok(files);
        }
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| vec![PathBuf::from(h).join(".kube/config")])
        .ok_or(KubeConfigError::NoHome)
}

/// The `client.authentication.k8s.io` version the plugin entry declares: v1 needs kubectl
/// 1.22 or later, v1beta1 is read by every kubectl since 1.11.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiVersion {
    V1,
    V1Beta1,
}

impl ApiVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V1 => "client.authentication.k8s.io/v1",
            ApiVersion::V1Beta1 => "client.authentication.k8s.io/v1beta1",
        }
    }
}

/// The exec plugin kubectl is to run: `command args...` (`vault [--vault V] kube token G`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plugin {
    pub command: String,
    pub args: Vec<String>,
    pub api_version: ApiVersion,
}

/// What [`install`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Installed {
    /// The file holding the context, which now holds vault's user too.
    pub file: PathBuf,
    pub user: String,
    /// The user the context had before (kept in the file, and given back by `--undo`).
    pub previous: Option<String>,
    /// Nothing needed changing.
    pub already: bool,
    /// The file had comments, which are not kept.
    pub comments_dropped: bool,
}

/// What [`uninstall`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Undone {
    /// The context's user is not vault's: nothing changed.
    NotVaults { user: Option<String> },
    /// vault's user was taken off the context (and out of the file when no other context
    /// uses it); `restored` is the user the context has again, if one was recorded.
    Removed {
        file: PathBuf,
        user: String,
        restored: Option<String>,
        comments_dropped: bool,
    },
}

/// A context whose token comes from vault, as the desktop app lists them.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct KubeContext {
    pub context: String,
    /// The grant whose access token kubectl is given.
    pub grant: String,
    /// The kubeconfig file holding the context.
    pub file: String,
}

/// One kubeconfig file as parsed. No `Debug`: it may hold tokens and client keys.
struct Doc {
    path: PathBuf,
    root: Hash,
    had_comments: bool,
}

fn key(s: &str) -> Yaml {
    Yaml::String(s.to_owned())
}

/// The value of `name` in `map`, made `Null` when absent. Not `entry()`: in this map type an
/// occupied entry moves to the back, and the file's keys are to keep their order.
fn slot<'a>(map: &'a mut Hash, name: &str) -> &'a mut Yaml {
    let k = key(name);
    if !map.contains_key(&k) {
        map.insert(k.clone(), Yaml::Null);
    }
    map.get_mut(&k)
        .unwrap_or_else(|| unreachable!("inserted above"))
}

/// Sets `name` in `map`, in place when it is there already.
fn set(map: &mut Hash, name: &str, value: Yaml) {
    *slot(map, name) = value;
}

fn load(path: &Path) -> Result<Option<Doc>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(KubeConfigError::Io {
                what: "read",
                path: path.to_owned(),
                source,
            });
        }
    };
    let not = |why: String| KubeConfigError::NotKubeconfig {
        path: path.to_owned(),
        why,
    };
    // The parser's message quotes no content, only a position.
    let docs = YamlLoader::load_from_str(&text).map_err(|e| not(e.to_string()))?;
    let root = match docs.into_iter().next() {
        None | Some(Yaml::Null) => Hash::new(),
        Some(Yaml::Hash(h)) => h,
        Some(_) => return Err(not("not a mapping".to_owned())),
    };
    Ok(Some(Doc {
        path: path.to_owned(),
        root,
        had_comments: text.lines().any(|l| l.trim_start().starts_with('#')),
    }))
}

impl Doc {
    fn list(&self, name: &str) -> &[Yaml] {
        match self.root.get(&key(name)) {
            Some(Yaml::Array(a)) => a,
            _ => &[],
        }
    }

    /// The list `name` (`users`, `contexts`), made one when absent or null.
    fn list_mut(&mut self, name: &str) -> &mut Array {
        let slot = slot(&mut self.root, name);
        if !matches!(slot, Yaml::Array(_)) {
            *slot = Yaml::Array(Array::new());
        }
        match slot {
            Yaml::Array(a) => a,
            // Made an array just above.
            _ => unreachable!(),
        }
    }

    /// The `context:` mapping of the context named `name`.
    fn context(&self, name: &str) -> Option<&Yaml> {
        self.list("contexts")
            .iter()
            .find(|c| c["name"].as_str() == Some(name))
            .map(|c| &c["context"])
    }

    fn context_mut(&mut self, name: &str) -> Option<&mut Hash> {
        let entry = self
            .list_mut("contexts")
            .iter_mut()
            .find(|c| c["name"].as_str() == Some(name))?;
        let Yaml::Hash(entry) = entry else {
            return None;
        };
        let slot = slot(entry, "context");
        if !matches!(slot, Yaml::Hash(_)) {
            *slot = Yaml::Hash(Hash::new());
        }
        match slot {
            Yaml::Hash(h) => Some(h),
            _ => None,
        }
    }

    fn user(&self, name: &str) -> Option<&Yaml> {
        self.list("users")
            .iter()
            .find(|u| u["name"].as_str() == Some(name))
    }

    fn write(&self) -> Result<()> {
        let io = |(what, source)| KubeConfigError::Io {
            what,
            path: self.path.clone(),
            source,
        };
        let mut text = String::new();
        YamlEmitter::new(&mut text)
            .dump(&Yaml::Hash(self.root.clone()))
            .map_err(|e| io(("write", std::io::Error::other(e.to_string()))))?;
        let mut text = text
            .strip_prefix("---\n")
            .map(str::to_owned)
            .unwrap_or(text);
        text.push('\n');
        crate::replace_file::replace(&self.path, text.as_bytes()).map_err(io)
    }
}

/// The context kubectl uses when none is named: the first `current-context` set.
pub fn current_context(files: &[PathBuf]) -> Result<Option<String>> {
    for path in files {
        if let Some(doc) = load(path)?
            && let Some(c) = doc.root.get(&key("current-context")).and_then(Yaml::as_str)
            && !c.is_empty()
        {
            return Ok(Some(c.to_owned()));
        }
    }
    Ok(None)
}

/// The first file (kubectl's order: the first definition wins) defining `context`.
fn with_context(files: &[PathBuf], context: &str) -> Result<Doc> {
    for path in files {
        if let Some(doc) = load(path)?
            && doc.context(context).is_some()
        {
            return Ok(doc);
        }
    }
    Err(KubeConfigError::NoContext {
        context: context.to_owned(),
        files: files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
    })
}

fn hash(pairs: impl IntoIterator<Item = (&'static str, Yaml)>) -> Yaml {
    Yaml::Hash(pairs.into_iter().map(|(k, v)| (key(k), v)).collect())
}

/// The user entry kubectl reads: `exec` with the plugin.
fn user_entry(user: &str, plugin: &Plugin) -> Yaml {
    let mut exec = vec![
        ("apiVersion", key(plugin.api_version.as_str())),
        ("command", key(&plugin.command)),
        (
            "args",
            Yaml::Array(plugin.args.iter().map(|a| key(a)).collect()),
        ),
    ];
    if plugin.api_version == ApiVersion::V1 {
        // Required by v1; vault never reads kubectl's stdin.
        exec.push(("interactiveMode", key("Never")));
    }
    exec.push((
        "installHint",
        key(&format!(
            "this context gets its token from vault ({}); install vault again, or run \
             `vault setup kube --undo` for the context",
            plugin.command
        )),
    ));
    hash([("name", key(user)), ("user", hash([("exec", hash(exec))]))])
}

/// The user a context had before vault's, as recorded in its `vault` extension.
fn recorded_previous(context: &Hash) -> Option<String> {
    let Some(Yaml::Array(exts)) = context.get(&key("extensions")) else {
        return None;
    };
    exts.iter()
        .find(|e| e["name"].as_str() == Some(EXTENSION))
        .and_then(|e| e["extension"][PREVIOUS_USER].as_str())
        .map(str::to_owned)
}

/// Drops the `vault` extension (and `extensions` when it was the only one).
fn forget_previous(context: &mut Hash) {
    if let Some(Yaml::Array(exts)) = context.get_mut(&key("extensions")) {
        exts.retain(|e| e["name"].as_str() != Some(EXTENSION));
        if exts.is_empty() {
            context.remove(&key("extensions"));
        }
    }
}

fn record_previous(context: &mut Hash, previous: &str) {
    forget_previous(context);
    let ext = hash([
        ("name", key(EXTENSION)),
        ("extension", hash([(PREVIOUS_USER, key(previous))])),
    ]);
    match slot(context, "extensions") {
        Yaml::Array(a) => a.push(ext),
        other => *other = Yaml::Array(vec![ext]),
    }
}

/// Points `context` at the user `vault-GRANT`, whose exec plugin is `plugin`; the user entry is
/// written (or replaced) in the file holding the context.
pub fn install(
    files: &[PathBuf],
    context: &str,
    grant: &str,
    plugin: &Plugin,
) -> Result<Installed> {
    let mut doc = with_context(files, context)?;
    let user = format!("{USER_PREFIX}{grant}");
    let entry = user_entry(&user, plugin);
    let current = doc
        .context(context)
        .and_then(|c| c["user"].as_str())
        .map(str::to_owned);
    let same_entry = doc.user(&user) == Some(&entry);
    let mut installed = Installed {
        file: doc.path.clone(),
        user: user.clone(),
        previous: None,
        already: same_entry && current.as_deref() == Some(&user),
        comments_dropped: doc.had_comments,
    };
    let Some(ctx) = doc.context_mut(context) else {
        return Err(KubeConfigError::NoContext {
            context: context.to_owned(),
            files: doc.path.display().to_string(),
        });
    };
    installed.previous = match current.as_deref() {
        // Set up before (maybe with another grant): what it had before that stays recorded.
        Some(u) if u.starts_with(USER_PREFIX) => recorded_previous(ctx),
        Some(u) if !u.is_empty() => {
            record_previous(ctx, u);
            Some(u.to_owned())
        }
        _ => None,
    };
    if installed.already {
        installed.comments_dropped = false;
        return Ok(installed);
    }
    set(ctx, "user", key(&user));
    let users = doc.list_mut("users");
    match users
        .iter()
        .position(|u| u["name"].as_str() == Some(user.as_str()))
    {
        Some(i) => users[i] = entry,
        None => users.push(entry),
    }
    doc.write()?;
    Ok(installed)
}

/// Takes vault's user off `context`: the user it had before is given back when recorded, and
/// vault's user entry goes when no other context of the file uses it.
pub fn uninstall(files: &[PathBuf], context: &str) -> Result<Undone> {
    let mut doc = with_context(files, context)?;
    let current = doc
        .context(context)
        .and_then(|c| c["user"].as_str())
        .map(str::to_owned);
    let user = match current {
        Some(u) if u.starts_with(USER_PREFIX) => u,
        other => return Ok(Undone::NotVaults { user: other }),
    };
    let Some(ctx) = doc.context_mut(context) else {
        return Ok(Undone::NotVaults { user: None });
    };
    let restored = recorded_previous(ctx);
    forget_previous(ctx);
    match &restored {
        Some(previous) => {
            set(ctx, "user", key(previous));
        }
        None => {
            ctx.remove(&key("user"));
        }
    }
    let still_used = doc
        .list("contexts")
        .iter()
        .any(|c| c["context"]["user"].as_str() == Some(user.as_str()));
    if !still_used {
        doc.list_mut("users")
            .retain(|u| u["name"].as_str() != Some(user.as_str()));
    }
    doc.write()?;
    Ok(Undone::Removed {
        file: doc.path.clone(),
        user,
        restored,
        comments_dropped: doc.had_comments,
    })
}

/// The contexts whose user is vault's, in every file kubectl reads.
pub fn status(files: &[PathBuf]) -> Result<Vec<KubeContext>> {
    let mut found = Vec::new();
    for path in files {
        let Some(doc) = load(path)? else { continue };
        for c in doc.list("contexts") {
            let (Some(name), Some(user)) = (c["name"].as_str(), c["context"]["user"].as_str())
            else {
                continue;
            };
            let Some(grant) = user.strip_prefix(USER_PREFIX) else {
                continue;
            };
            if found.iter().any(|k: &KubeContext| k.context == name) {
                continue;
            }
            found.push(KubeContext {
                context: name.to_owned(),
                grant: grant.to_owned(),
                file: path.display().to_string(),
            });
        }
    }
    Ok(found)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    const CONFIG: &str = "\
apiVersion: v1
kind: Config
# written by hand
clusters:
- name: dev
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: TFMwdExTMUNSVWRKVGc9PQ==
contexts:
- name: dev
  context:
    cluster: dev
    user: dev-admin
    namespace: web
current-context: dev
users:
- name: dev-admin
  user:
    token: \"007\"
";

    fn plugin(grant: &str) -> Plugin {
        Plugin {
            command: "/usr/bin/vault".to_owned(),
            args: vec!["kube".into(), "token".into(), grant.into()],
            api_version: ApiVersion::V1,
        }
    }

    fn setup() -> (tempfile::TempDir, Vec<PathBuf>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, CONFIG).unwrap();
        (dir, vec![path])
    }

    fn reparse(files: &[PathBuf]) -> Yaml {
        let text = std::fs::read_to_string(&files[0]).unwrap();
        YamlLoader::load_from_str(&text).unwrap().remove(0)
    }

    #[test]
    fn install_points_the_context_at_vaults_user_and_undo_gives_the_old_one_back() {
        let (_dir, files) = setup();
        assert_eq!(current_context(&files).unwrap().as_deref(), Some("dev"));
        let done = install(&files, "dev", "corp", &plugin("corp")).unwrap();
        assert_eq!(done.user, "vault-corp");
        assert_eq!(done.previous.as_deref(), Some("dev-admin"));
        assert!(!done.already && done.comments_dropped);
        let y = reparse(&files);
        assert_eq!(
            y["contexts"][0]["context"]["user"].as_str(),
            Some("vault-corp")
        );
        // Everything else stays, in its order.
        assert_eq!(
            y["contexts"][0]["context"]["namespace"].as_str(),
            Some("web")
        );
        assert_eq!(y["current-context"].as_str(), Some("dev"));
        // A string that reads as a number stays a string.
        assert_eq!(y["users"][0]["user"]["token"].as_str(), Some("007"));
        let exec = &y["users"][1]["user"]["exec"];
        assert_eq!(exec["command"].as_str(), Some("/usr/bin/vault"));
        assert_eq!(exec["args"][2].as_str(), Some("corp"));
        assert_eq!(exec["interactiveMode"].as_str(), Some("Never"));
        assert_eq!(
            exec["apiVersion"].as_str(),
            Some("client.authentication.k8s.io/v1")
        );
        let keys: Vec<_> = y
            .as_hash()
            .unwrap()
            .keys()
            .filter_map(Yaml::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "apiVersion",
                "kind",
                "clusters",
                "contexts",
                "current-context",
                "users"
            ]
        );
        assert_eq!(
            status(&files).unwrap(),
            [KubeContext {
                context: "dev".into(),
                grant: "corp".into(),
                file: files[0].display().to_string()
            }]
        );

        // Again: nothing to do, and the file is not rewritten.
        let before = std::fs::read(&files[0]).unwrap();
        let again = install(&files, "dev", "corp", &plugin("corp")).unwrap();
        assert!(again.already);
        assert_eq!(again.previous.as_deref(), Some("dev-admin"));
        assert_eq!(std::fs::read(&files[0]).unwrap(), before);

        // Another grant for the same context keeps the user it had before vault.
        let other = install(&files, "dev", "other", &plugin("other")).unwrap();
        assert_eq!(other.previous.as_deref(), Some("dev-admin"));

        let undone = uninstall(&files, "dev").unwrap();
        assert_eq!(
            undone,
            Undone::Removed {
                file: files[0].clone(),
                user: "vault-other".into(),
                restored: Some("dev-admin".into()),
                comments_dropped: false,
            }
        );
        let y = reparse(&files);
        assert_eq!(
            y["contexts"][0]["context"]["user"].as_str(),
            Some("dev-admin")
        );
        assert!(y["contexts"][0]["context"]["extensions"].is_badvalue());
        let users: Vec<_> = y["users"]
            .as_vec()
            .unwrap()
            .iter()
            .filter_map(|u| u["name"].as_str())
            .collect();
        // vault-corp is no context's user any more either, but was left by the switch: only
        // the user taken off is removed.
        assert_eq!(users, ["dev-admin", "vault-corp"]);
        assert!(status(&files).unwrap().is_empty());
        assert_eq!(
            uninstall(&files, "dev").unwrap(),
            Undone::NotVaults {
                user: Some("dev-admin".into())
            }
        );
    }

    #[test]
    fn the_file_defining_the_context_is_the_one_changed() {
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join("a");
        std::fs::write(&first, "apiVersion: v1\nkind: Config\ncontexts: []\n").unwrap();
        let second = dir.path().join("b");
        std::fs::write(&second, CONFIG).unwrap();
        let files = vec![first.clone(), dir.path().join("missing"), second.clone()];
        let mut p = plugin("corp");
        p.api_version = ApiVersion::V1Beta1;
        let done = install(&files, "dev", "corp", &p).unwrap();
        assert_eq!(done.file, second);
        assert_eq!(
            std::fs::read_to_string(&first).unwrap(),
            "apiVersion: v1\nkind: Config\ncontexts: []\n"
        );
        let y = reparse(&[second]);
        let exec = &y["users"][1]["user"]["exec"];
        // v1beta1 has no interactiveMode in the kubectl versions that only read v1beta1.
        assert!(exec["interactiveMode"].is_badvalue());
        assert_eq!(status(&files).unwrap().len(), 1);
    }

    #[test]
    fn errors_name_the_context_or_the_file_and_change_nothing() {
        let (_dir, files) = setup();
        let e = install(&files, "prod", "corp", &plugin("corp")).unwrap_err();
        assert!(
            e.to_string().starts_with("no context named prod in "),
            "{e}"
        );
        std::fs::write(&files[0], "users: [unclosed\n").unwrap();
        let e = install(&files, "dev", "corp", &plugin("corp")).unwrap_err();
        assert!(matches!(e, KubeConfigError::NotKubeconfig { .. }), "{e}");
        assert_eq!(
            std::fs::read_to_string(&files[0]).unwrap(),
            "users: [unclosed\n"
        );
        // A context with no user before: undo leaves it with none.
        std::fs::write(
            &files[0],
            "contexts:\n- name: bare\n  context:\n    cluster: c\n",
        )
        .unwrap();
        let done = install(&files, "bare", "corp", &plugin("corp")).unwrap();
        assert_eq!(done.previous, None);
        let Undone::Removed { restored, .. } = uninstall(&files, "bare").unwrap() else {
            panic!("not removed");
        };
        assert_eq!(restored, None);
        let y = reparse(&files);
        assert!(y["contexts"][0]["context"]["user"].is_badvalue());
        assert!(y["users"].as_vec().unwrap().is_empty());
    }
}
