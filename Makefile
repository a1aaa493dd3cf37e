# The two commands of the README: `make run` and `make test`. Both install what they need on a
# fresh Debian/Ubuntu machine (idempotently) before doing anything else.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Cargo's build cache lives outside the clone so a fresh clone on a warm machine builds fast.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/vault-target
# In CI (a fresh clone each run, at a path of its own) incremental state is never reused and
# costs ~16 GB of the shared cache per run: off.
ifeq ($(CI),true)
export CARGO_INCREMENTAL ?= 0
endif
CARGO ?= cargo
BIN := $(CARGO_TARGET_DIR)/debug
# Cargo-installed tools (tauri-driver) land here.
export PATH := $(HOME)/.cargo/bin:$(PATH)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Tauri 2 on Debian/Ubuntu, plus Xvfb for the window tests.
APT_PACKAGES := build-essential pkg-config libwebkit2gtk-4.1-dev libxdo-dev libssl-dev \
	libayatana-appindicator3-dev librsvg2-dev xvfb
# The window tests: WebKitWebDriver, a clipboard reader, a session bus for the app.
GUI_APT_PACKAGES := webkit2gtk-driver xclip dbus-daemon
TAURI_DRIVER_VERSION := 2.1.0
# The OAuth suites: Node runs the real authorization server (oidc-provider) and drives Debian's
# chromium through playwright-core (never a downloaded browser).
APT_PACKAGES += chromium

.PHONY: fmt-check help setup deps-windows deps-apt deps-ui deps-gui deps-oauth deps-clients deps-bench ui bindings run test lint \
	test-rust test-ui test-gui bench bench-gui clean deps-cargo-fuzz deps-cargo-deny test-fuzz test-deps fuzz crash \
	deps-tauri-cli deb deps-front dist

help:
	@echo "make run    set up, build and launch the desktop app on the default vault"
	@echo "make test   set up, then run every check and test suite"
	@echo "make bench  run the benchmarks (results in BENCHMARKS.md)"
	@echo "make fuzz   fuzz every target for FUZZ_SECONDS each (default 600; see SECURITY.md)"
	@echo "make crash  the crash suite at 500 kills per writer (make test runs 100)"
	@echo "make bindings  regenerate ui/src/lib/bindings from the Rust types"
	@echo "make dist  the vault CLI as it is installed (static vault, vault-full) in $$CARGO_TARGET_DIR/dist"
	@echo "make deb   build the Debian package (app + vault CLI) offline, and check it"

# apt-get update first: the image's package lists can be stale, and installs then fail on
# version conflicts. Nothing runs when every package is already installed.
define apt_install
	@missing=""; \
	for p in $(1); do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  $(SUDO) apt-get update; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends $$missing; \
	fi
endef

deps-apt:
	$(call apt_install,$(APT_PACKAGES))

deps-ui: ui/node_modules/.package-lock.json

ui/node_modules/.package-lock.json: ui/package.json ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund
	@touch $@

# The local OAuth server and browser driver of the end-to-end suites (tests/oauth).
deps-oauth: tests/oauth/node_modules/.package-lock.json

tests/oauth/node_modules/.package-lock.json: tests/oauth/package.json tests/oauth/package-lock.json
	cd tests/oauth && npm ci --no-audit --no-fund
	@touch $@

# The proxy suite's clients: curl; Python's requests, httpx and websockets from PyPI at the
# versions pinned in tests/clients/requirements.txt, in a venv of their own (never the system's
# Python); Node's undici and global-agent from npm (tests/clients/package-lock.json). The import
# suite's writers: keepassxc-cli (Debian keepassxc) and @dotenvx/dotenvx (npm, same lockfile).
# The sync suite's reference for members' keys and files: Debian's age (age, age-keygen).
deps-clients: tests/clients/.venv/.installed tests/clients/node_modules/.package-lock.json \
	tests/clients/kubectl/usr/bin/kubectl tests/clients/s3s-fs/bin/s3s-fs
	$(call apt_install,keepassxc age)

# The S3 sync suite's storage: s3s-fs from crates.io, a real S3 server (SigV4, conditional
# PUTs) over a directory, built once (its own lockfile; its build cache beside ours).
S3S_FS_VERSION := 0.14.1
tests/clients/s3s-fs/bin/s3s-fs:
	CARGO_TARGET_DIR=$(CARGO_TARGET_DIR)/s3s-fs $(CARGO) install --locked --quiet s3s-fs \
		--version $(S3S_FS_VERSION) --features binary --root tests/clients/s3s-fs

# kubectl for the exec plugin's suite: Debian's kubernetes-client, unpacked beside the tests
# rather than installed, because it conflicts with the `kubectl` package some machines carry
# (Google's); the suite runs this one whatever else is on PATH.
tests/clients/kubectl/usr/bin/kubectl:
	rm -rf tests/clients/kubectl tests/clients/.kubectl-deb
	mkdir -p tests/clients/.kubectl-deb
	cd tests/clients/.kubectl-deb && { apt-get download kubernetes-client 2>/dev/null \
	  || { $(SUDO) apt-get update && apt-get download kubernetes-client; }; }
	dpkg-deb -x tests/clients/.kubectl-deb/kubernetes-client_*.deb tests/clients/kubectl
	rm -rf tests/clients/.kubectl-deb
	@test -x $@

tests/clients/node_modules/.package-lock.json: tests/clients/package.json tests/clients/package-lock.json
	cd tests/clients && npm ci --no-audit --no-fund
	@touch $@

tests/clients/.venv/.installed: tests/clients/requirements.txt
	$(call apt_install,curl python3-venv)
	rm -rf tests/clients/.venv
	python3 -m venv tests/clients/.venv
	tests/clients/.venv/bin/pip install --quiet --disable-pip-version-check -r $<
	@touch $@

# The desktop crate embeds ui/dist at compile time, so it is built before any workspace build.
# Built again only when a source changed, and then into ui/.dist-next, from which only the files
# whose bytes changed are copied into ui/dist (files gone are removed): a source saved without a
# change, or a checkout that touched it, leaves ui/dist as it was, so cargo does not compile the
# desktop app (which embeds the files) again.
UI_SOURCES := $(shell find ui/src -type f) ui/index.html ui/package.json ui/package-lock.json \
	ui/vite.config.ts ui/tsconfig.json ui/svelte.config.js
ui: deps-ui ui/.dist-stamp

ui/.dist-stamp: $(UI_SOURCES) ui/node_modules/.package-lock.json
	cd ui && rm -rf .dist-next && npx vite build --outDir .dist-next --emptyOutDir --logLevel warn
	cd ui && mkdir -p dist && find .dist-next -type f | while read -r f; do \
		to="dist/$${f#.dist-next/}"; \
		cmp -s "$$f" "$$to" || { mkdir -p "$$(dirname "$$to")" && cp "$$f" "$$to"; }; \
	done
	cd ui && find dist -type f | while read -r f; do \
		[ -e ".dist-next/$${f#dist/}" ] || rm "$$f"; \
	done
	rm -rf ui/.dist-next
	@touch $@

setup: deps-apt deps-ui deps-oauth ui

run: setup
	$(CARGO) build --locked -p vault-cli -p vault-desktop
	PATH="$(BIN):$$PATH" $(BIN)/vault-desktop

# Formatting first: it needs no packages, no npm and no UI build, and fails in seconds.
fmt-check:
	$(CARGO) fmt --all --check

# The library crates' documentation builds without a warning (broken links, bad code blocks),
# the installed front (make dist) compiles for musl, and the CLI's dependency tree holds no
# desktop library: `cargo install --path crates/vault-cli` must work on a server with no WebKit
# or GTK.
lint: fmt-check setup deps-windows deps-front
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings
	$(CARGO) clippy --locked --target $(WINDOWS_TARGET) -p vault-core -p vault-oauth \
	  --config 'profile.dev.package.libsqlite3-sys.opt-level=0' -- -D warnings
	$(CARGO) check --locked --target $(FRONT_TARGET) -p vault-cli --bin vault \
	  --config 'profile.dev.package.libsqlite3-sys.opt-level=0'
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --locked --no-deps -p vault-core -p vault-oauth -p vault-proxy -p vault-agent -p vault-import -p vault-sync -p vault-cli -p vault-app
	@if $(CARGO) tree --locked -p vault-cli -e normal,build --prefix none | grep -iE 'webkit|gtk|tauri|wry'; then \
	  echo "vault-cli depends on a desktop library (above): it must build without WebKit/GTK/Tauri"; exit 1; fi

# The Rust suites, the OAuth suite (a minute of waiting for tokens to expire) beside the others:
# see tests/suites.sh.
test-rust: setup deps-clients
	tests/suites.sh

test-ui: deps-ui
	cd ui && npm run check && npm test

# The TypeScript twins of the Rust types (ui/src/lib/bindings), rewritten; `make test` fails
# while they are stale.
bindings:
	UPDATE_BINDINGS=1 $(CARGO) test --locked -p vault-app --test bindings

deps-gui: deps-apt
	$(call apt_install,$(GUI_APT_PACKAGES))
	@command -v tauri-driver >/dev/null || $(CARGO) install --locked tauri-driver --version $(TAURI_DRIVER_VERSION)

# The real window under Xvfb, driven through tauri-driver + WebKitWebDriver; screenshots in
# $(CARGO_TARGET_DIR)/e2e-screenshots/.
# The same package selection (--workspace) as test-rust, so the same features: nothing is
# compiled again.
test-gui: setup deps-gui
	$(CARGO) build --locked --workspace --bins
	$(CARGO) test --locked --workspace --test gui --test clipboard -- --ignored --test-threads 1

# The fuzz targets' checks run with the Rust suites (crates/vault-fuzz-checks: seeds, past
# findings and a fixed sweep, with no fuzzing build); coverage-guided fuzzing is `make fuzz`.
# Cheap checks first (lints, the UI's own tests, the dependency policy); then every Rust suite,
# with the window tests and the OAuth suite beside the others (both mostly wait: for the
# window, for tokens to expire; see tests/suites.sh).
test: lint test-ui test-deps deps-gui deps-clients
	tests/suites.sh --gui

# Cargo tools the security checks use, from crates.io, installed once (versions pinned).
CARGO_FUZZ_VERSION := 0.13.2
CARGO_DENY_VERSION := 0.20.2
# vault-core and vault-oauth must compile for Windows (checked, not run: see ARCHITECTURE.md,
# Portability). The target's standard library comes from rustup; Debian's MinGW compiles the
# bundled SQLite, unoptimised: nothing of this build runs, and -O3 would take a minute.
WINDOWS_TARGET := x86_64-pc-windows-gnu
deps-windows:
	$(call apt_install,gcc-mingw-w64-x86-64)
	@rustup target list --installed | grep -qx $(WINDOWS_TARGET) || rustup target add $(WINDOWS_TARGET)

# `vault`, the front (ARCHITECTURE.md), is installed as a static musl program: on a virtual
# machine it starts in about 0.1 ms where a glibc program takes 0.7 (glibc asks the CPU for its
# cache sizes at every start, and each CPUID traps to the hypervisor; BENCHMARKS.md). vault-full,
# the agent and the app stay glibc programs. The target's standard library comes from rustup;
# musl-gcc (musl-tools) compiles the C in the dependency tree (SQLite, ring).
FRONT_TARGET := $(shell uname -m)-unknown-linux-musl
deps-front:
	$(call apt_install,musl-tools)
	@rustup target list --installed | grep -qx $(FRONT_TARGET) || rustup target add $(FRONT_TARGET)

# The CLI as it is installed: the static `vault` and `vault-full` side by side (the front looks
# for vault-full beside itself).
DIST := $(abspath $(CARGO_TARGET_DIR))/dist
dist: deps-apt deps-front
	$(CARGO) build --release --locked -p vault-cli
	$(CARGO) build --release --locked -p vault-cli --bin vault --target $(FRONT_TARGET)
	install -d $(DIST)
	install -m 755 $(CARGO_TARGET_DIR)/$(FRONT_TARGET)/release/vault $(CARGO_TARGET_DIR)/release/vault-full $(DIST)/

deps-cargo-fuzz:
	@cargo fuzz --version 2>/dev/null | grep -q "$(CARGO_FUZZ_VERSION)" || \
	  $(CARGO) install --locked cargo-fuzz --version $(CARGO_FUZZ_VERSION)
deps-cargo-deny:
	@cargo deny --version 2>/dev/null | grep -q "$(CARGO_DENY_VERSION)" || \
	  $(CARGO) install --locked cargo-deny --version $(CARGO_DENY_VERSION)

# Fuzzing on the stable toolchain: cargo-fuzz with `--sanitizer none` needs no nightly flag
# (AddressSanitizer would, and finds nothing more in safe Rust). Release code with debug
# assertions, so overflows panic. The build and the corpus live in the target dir, outside
# the clone, so warm runs start where the last one stopped.
FUZZ_TARGETS := dotenv references agent_frames envelope oauth_callback token_response mask host_rule scan sync_segment age_file
FUZZ_DIR := $(CARGO_TARGET_DIR)/fuzz
FUZZ_FLAGS := --sanitizer none --release --debug-assertions --target-dir $(FUZZ_DIR)
FUZZ_SECONDS ?= 600
# `make test-fuzz`: a short run of each target.
FUZZ_SHORT_SECONDS ?= 8

define fuzz_run
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p "$(FUZZ_DIR)/corpus/$$t" "$(FUZZ_DIR)/artifacts/$$t"; \
	  log="$(FUZZ_DIR)/$$t.log"; \
	  seeds=""; [ -d "fuzz/seeds/$$t" ] && seeds="fuzz/seeds/$$t"; \
	  if ! cargo fuzz run $(FUZZ_FLAGS) "$$t" "$(FUZZ_DIR)/corpus/$$t" $$seeds -- \
	      -max_total_time=$(1) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	      -artifact_prefix="$(FUZZ_DIR)/artifacts/$$t/" > "$$log" 2>&1; then \
	    tail -40 "$$log"; echo "fuzz $$t FAILED: the input is in $(FUZZ_DIR)/artifacts/$$t/; \
	with its fix, copy it to fuzz/regressions/$$t/ so make test replays it"; exit 1; \
	  fi; \
	  echo "fuzz $$t: $(1) s, $$(sed -n 's/^stat::number_of_executed_units: *//p' "$$log") execs, \
	corpus $$(ls "$(FUZZ_DIR)/corpus/$$t" | wc -l) inputs, 0 crashes"; \
	done
endef

test-fuzz: deps-apt deps-cargo-fuzz
	cargo fuzz build $(FUZZ_FLAGS)
	$(call fuzz_run,$(FUZZ_SHORT_SECONDS))

fuzz: deps-apt deps-cargo-fuzz
	cargo fuzz build $(FUZZ_FLAGS)
	$(call fuzz_run,$(FUZZ_SECONDS))

# Licenses, bans (one version of each crypto crate) and sources (crates.io only), from the
# local registry cache: no network. Advisories are not checked here (see SECURITY.md).
test-deps: deps-cargo-deny
	$(CARGO) fetch --locked
	cargo deny --offline --log-level error check licenses bans sources

crash: setup
	$(CARGO) build --locked --workspace --bins
	VAULT_CRASH_KILLS=500 $(CARGO) test --locked -p vault-tests --test crash -- --nocapture

# Peers measured side by side (dotenvx and secretlint from npm; hyperfine, oidc-agent,
# keepassxc, git-secrets and pass with gnupg from Debian); see BENCHMARKS.md.
deps-bench: bench/node_modules/.package-lock.json bench/.venv/.installed
	$(call apt_install,hyperfine oidc-agent-cli keepassxc git-secrets pass gnupg jq)

# mitmproxy, kingfisher and detect-secrets from PyPI (pinned in bench/requirements.txt), in a
# venv of its own.
bench/.venv/.installed: bench/requirements.txt
	$(call apt_install,python3-venv)
	rm -rf bench/.venv
	python3 -m venv bench/.venv
	bench/.venv/bin/pip install --quiet --disable-pip-version-check -r $<
	@touch $@

bench/node_modules/.package-lock.json: bench/package.json bench/package-lock.json
	cd bench && npm ci --no-audit --no-fund
	@touch $@

bench: setup deps-bench bench-gui dist
	bench/run.sh $(DIST)/vault
	bench/oauth-token.sh $(DIST)/vault
	bench/git-credential.sh $(DIST)/vault
	bench/unlock.sh $(DIST)/vault
	bench/import.sh $(DIST)/vault
	bench/scan.sh $(DIST)/vault
	bench/sync.sh $(DIST)/vault
	bench/aws.sh $(DIST)/vault
	bench/watch.sh $(DIST)/vault
	bench/make-run.sh
	$(CARGO) build --release --locked -p vault-proxy --example https_echo --example https_load
	bench/proxy.sh $(DIST)/vault $(CARGO_TARGET_DIR)/release/examples/https_echo
	$(CARGO) bench --locked -p vault-core

# The desktop app: cold start to the unlock screen, search per keystroke and memory with
# 10,000 items (release build, under Xvfb).
bench-gui: setup deps-gui
	$(CARGO) build --release --locked -p vault-cli -p vault-desktop
	$(CARGO) build --release --locked -p vault-tests --examples
	$(CARGO_TARGET_DIR)/release/examples/gui_bench

# The Debian package. The Tauri CLI comes from crates.io, pinned to the minor of the tauri crate
# in Cargo.lock (tauri 2.12.x; tauri-cli 2.12.4 reads tauri.conf.json with the same tauri-utils
# 2.10 as the app's build script), so the two agree on the config and a later CLI release cannot
# change the package behind our back. Its Debian bundler writes the .deb itself (no dpkg-deb,
# nothing downloaded at build time).
TAURI_CLI_VERSION := 2.12.4
# desktop-file-validate, for tests/deb-check.sh.
DEB_APT_PACKAGES := desktop-file-utils
# Absolute: cargo tauri runs in src-tauri/.
DEB_TARGET_DIR := $(abspath $(CARGO_TARGET_DIR))
DEB_DIR := $(DEB_TARGET_DIR)/release/bundle/deb

deps-tauri-cli:
	@$(CARGO) tauri --version 2>/dev/null | grep -qx "tauri-cli $(TAURI_CLI_VERSION)" || \
	  $(CARGO) install --locked tauri-cli --version $(TAURI_CLI_VERSION)

# The UI is built by tauri.conf.json's beforeBuildCommand (so a bare `cargo tauri build` does the
# same), hence deps-ui rather than ui here. The `vault` CLI goes into the same package as
# /usr/bin/vault, next to /usr/bin/vault-desktop, where the app looks for it to start the agent,
# and the program it hands most commands to as /usr/lib/vault/vault-full (off PATH):
# `bundle.linux.deb.files`, given here because the release binaries live under CARGO_TARGET_DIR.
# Not `bundle.externalBin`: tauri-build copies sidecars on every plain `cargo build` of the app
# and fails while they are missing, which would tie `make run` and `make test` to a release CLI.
# TAURI_FRONTEND_PATH points the CLI's @tauri-apps/api check at ui/ (it would find no
# package.json from src-tauri/). tests/deb-check.sh fails the target if the package is incomplete.
deb: deps-apt deps-ui deps-tauri-cli dist
	$(call apt_install,$(DEB_APT_PACKAGES))
	rm -f $(DEB_DIR)/*.deb
	cd src-tauri && CARGO_TARGET_DIR=$(DEB_TARGET_DIR) TAURI_FRONTEND_PATH=../ui \
	  $(CARGO) tauri build --bundles deb --config \
	  '{"bundle":{"linux":{"deb":{"files":{"/usr/bin/vault":"$(DIST)/vault","/usr/lib/vault/vault-full":"$(DIST)/vault-full"}}}}}' -- --locked
	tests/deb-check.sh $(DEB_DIR)/*.deb

clean:
	$(CARGO) clean
	rm -rf ui/dist ui/.dist-next ui/.dist-stamp ui/node_modules bench/node_modules
