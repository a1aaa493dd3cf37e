//! The header row: vault id, KDF parameters, salt, check value and wrapped key, with the
//! unkeyed checksum that tells damage from a wrong password (see the store's module docs).

use rusqlite::{OptionalExtension, Transaction, params};
use sha2::{Digest, Sha256};

use super::Db;
use crate::crypto::KdfParams;
use crate::error::Result;

/// The vault's header row.
#[derive(Clone, Debug)]
pub(crate) struct Header {
    pub vault_id: [u8; 16],
    pub kdf: KdfParams,
    pub salt: [u8; 16],
    pub key_check: Vec<u8>,
    pub wrapped_key: Vec<u8>,
}

impl Header {
    /// SHA-256 over every field, length-prefixed so no two headers encode alike.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(b"vault-header-v2");
        h.update(self.vault_id);
        h.update(b"argon2id");
        h.update(self.kdf.encode());
        h.update(self.salt);
        for field in [&self.key_check, &self.wrapped_key] {
            h.update((field.len() as u32).to_be_bytes());
            h.update(field);
        }
        h.finalize().into()
    }
}

impl Db<'_> {
    /// The header row and its stored checksum (absent only while format 1 is migrated).
    pub(super) fn header_unchecked(&self) -> Result<(Header, Option<Vec<u8>>)> {
        let row = self
            .conn
            .query_row(
                "SELECT vault_id, kdf, kdf_memory_kib, kdf_iterations, kdf_parallelism, salt,
                        key_check, wrapped_key, header_digest FROM vault WHERE singleton = 1",
                [],
                |r| {
                    Ok((
                        (
                            r.get::<_, Vec<u8>>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, i64>(2)?,
                            r.get::<_, i64>(3)?,
                            r.get::<_, i64>(4)?,
                        ),
                        r.get::<_, Vec<u8>>(5)?,
                        r.get::<_, Vec<u8>>(6)?,
                        r.get::<_, Vec<u8>>(7)?,
                        r.get::<_, Option<Vec<u8>>>(8)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let Some(((vault_id, kdf, m, t, p), salt, key_check, wrapped_key, digest)) = row else {
            return Err(self.corrupt("the vault header is missing"));
        };
        if kdf != "argon2id" {
            return Err(self.corrupt("unknown key-derivation function"));
        }
        let int = |v: i64| {
            u32::try_from(v).map_err(|_| self.corrupt("invalid key-derivation parameters"))
        };
        let header = Header {
            vault_id: vault_id
                .try_into()
                .map_err(|_| self.corrupt("invalid vault id"))?,
            kdf: KdfParams {
                memory_kib: int(m)?,
                iterations: int(t)?,
                parallelism: int(p)?,
            },
            salt: salt.try_into().map_err(|_| self.corrupt("invalid salt"))?,
            key_check,
            wrapped_key,
        };
        Ok((header, digest))
    }

    /// The header row, checked against its checksum.
    pub fn header(&self) -> Result<Header> {
        let (header, digest) = self.header_unchecked()?;
        let matches = digest.is_some_and(|d| {
            bool::from(subtle::ConstantTimeEq::ct_eq(&d[..], &header.digest()[..]))
        });
        if !matches {
            return Err(self.corrupt(
                "its header (key-derivation parameters, salt or wrapped key) does not match \
                 its checksum",
            ));
        }
        Ok(header)
    }

    pub fn update_header(&self, h: &Header) -> Result<()> {
        self.conn
            .execute(
                "UPDATE vault SET kdf_memory_kib = ?1, kdf_iterations = ?2, kdf_parallelism = ?3,
                                  salt = ?4, key_check = ?5, wrapped_key = ?6, header_digest = ?7
                 WHERE singleton = 1",
                params![
                    h.kdf.memory_kib,
                    h.kdf.iterations,
                    h.kdf.parallelism,
                    &h.salt[..],
                    h.key_check,
                    h.wrapped_key,
                    &h.digest()[..]
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }
}

pub(super) fn insert_header(tx: &Transaction<'_>, h: &Header) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO vault (singleton, vault_id, kdf, kdf_memory_kib, kdf_iterations,
                            kdf_parallelism, salt, key_check, wrapped_key, header_digest)
         VALUES (1, ?1, 'argon2id', ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            &h.vault_id[..],
            h.kdf.memory_kib,
            h.kdf.iterations,
            h.kdf.parallelism,
            &h.salt[..],
            h.key_check,
            h.wrapped_key,
            &h.digest()[..]
        ],
    )?;
    Ok(())
}
