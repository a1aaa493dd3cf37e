// Generated from the Rust constants by vault-app's bindings; do not edit.

/** The rotation interval `default` stands for (vault_core::rotation). */
export const DEFAULT_INTERVAL_DAYS = 90;
