//! The export key: seals personal values and pseudonymises party ids in an extract.
//!
//! One 32-byte secret per export recipient (the data office) yields two keys by HMAC-SHA-256
//! with distinct labels, so the sealing key and the pseudonym key never meet and one can be
//! rotated in the scheme without the other being reused for a second purpose.
//!
//! Sealing is XChaCha20-Poly1305 with a random 192-bit nonce, the same scheme the store uses
//! at rest: random nonces need no counter kept across exports, and at 192 bits they do not
//! collide. The column name is the associated data, so a sealed value copied into another
//! column (a name into the e-mail column) fails to open instead of being read as the wrong
//! field.
//!
//! Pseudonyms are HMAC-SHA-256 truncated to 16 bytes: deterministic, so analysts can join the
//! register to itself across files and across exports under the same key, and keyed, so the
//! small space of party ids cannot be enumerated back from the pseudonyms without the key.
//! A plain hash was rejected for exactly that reason.

use std::fmt;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::WarehouseError;

type HmacSha256 = Hmac<Sha256>;

/// Format byte in front of every sealed value, so the scheme can change without ambiguity.
const SEAL_VERSION: u8 = 1;
const NONCE_LEN: usize = 24;
/// 128 bits: no collision among the parties of a grid, and half the width of a full digest
/// in every row of every file.
const PSEUDONYM_LEN: usize = 16;

/// The two keys of an export, derived from one secret.
pub struct ExportKeys {
    seal: [u8; 32],
    pseudonym: [u8; 32],
}

impl ExportKeys {
    /// Derives the sealing and pseudonym keys, so only one secret has to be handed to the
    /// data office and kept.
    pub fn from_secret(secret: &[u8; 32]) -> ExportKeys {
        ExportKeys {
            seal: derive(secret, "cloison warehouse seal v1"),
            pseudonym: derive(secret, "cloison warehouse pseudonym v1"),
        }
    }

    /// The pseudonym of `value` (a party id) as 32 hex digits: equal ids give equal
    /// pseudonyms under one key, so joins still work; nothing can be read back.
    pub fn pseudonym(&self, value: &str) -> String {
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(&self.pseudonym).expect("HMAC takes keys of any length");
        mac.update(value.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..PSEUDONYM_LEN])
    }

    /// Seals `value` for `column`: a version byte, a random 24-byte nonce, then the
    /// ciphertext with its tag. Two seals of one value differ, so equal personal values do
    /// not show as equal in the file.
    pub fn seal(&self, column: &str, value: &str) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher()
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: value.as_bytes(), aad: column.as_bytes() })
            .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory buffers");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(SEAL_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens a value sealed for `column`, for the data office holding the key; fails closed
    /// on a wrong key, another column, an altered value or an unknown version.
    pub fn open(&self, column: &str, sealed: &[u8]) -> Result<String, WarehouseError> {
        let refused = || WarehouseError::Sealed { column: column.to_owned() };
        let Some((&SEAL_VERSION, rest)) = sealed.split_first() else {
            return Err(refused());
        };
        if rest.len() < NONCE_LEN {
            return Err(refused());
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let plain = self
            .cipher()
            .decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad: column.as_bytes() })
            .map_err(|_| refused())?;
        String::from_utf8(plain).map_err(|_| refused())
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&self.seal.into())
    }
}

impl fmt::Debug for ExportKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ExportKeys(…)")
    }
}

fn derive(secret: &[u8; 32], label: &str) -> [u8; 32] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(byte: u8) -> ExportKeys {
        ExportKeys::from_secret(&[byte; 32])
    }

    #[test]
    fn sealed_values_open_under_their_column_only() {
        let keys = keys(7);
        let sealed = keys.seal("customer_name", "Marie Dupont");
        assert_eq!(keys.open("customer_name", &sealed).expect("same key and column"), "Marie Dupont");
        assert!(
            matches!(keys.open("street", &sealed), Err(WarehouseError::Sealed { column }) if column == "street")
        );
    }

    #[test]
    fn sealed_values_refuse_another_key_and_any_alteration() {
        let sealed = keys(7).seal("email", "marie@example.be");
        assert!(keys(8).open("email", &sealed).is_err());
        for at in [0, 1, 30, sealed.len() - 1] {
            let mut altered = sealed.clone();
            altered[at] ^= 1;
            assert!(keys(7).open("email", &altered).is_err(), "byte {at} altered");
        }
        assert!(keys(7).open("email", &sealed[..20]).is_err());
        assert!(keys(7).open("email", &[]).is_err());
    }

    #[test]
    fn sealed_values_hide_the_plaintext_and_differ_each_time() {
        let keys = keys(7);
        let plain = "Rue de la Loi 16, 1000 Bruxelles";
        let first = keys.seal("street", plain);
        let second = keys.seal("street", plain);
        assert_ne!(first, second);
        assert_eq!(first[0], SEAL_VERSION);
        assert_eq!(first.len(), 1 + NONCE_LEN + plain.len() + 16);
        for sealed in [&first, &second] {
            assert!(!sealed.windows(4).any(|window| plain.as_bytes().windows(4).any(|part| part == window)));
        }
    }

    #[test]
    fn pseudonyms_meet_for_equal_ids_and_depend_on_the_key() {
        let keys7 = keys(7);
        let pseudonym = keys7.pseudonym("PARTY-0042");
        assert_eq!(pseudonym, keys7.pseudonym("PARTY-0042"));
        assert_eq!(pseudonym.len(), 2 * PSEUDONYM_LEN);
        assert!(pseudonym.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(pseudonym, keys7.pseudonym("PARTY-0043"));
        assert_ne!(pseudonym, keys(8).pseudonym("PARTY-0042"));
        assert!(!pseudonym.contains("0042"));
    }

    #[test]
    fn the_two_derived_keys_differ() {
        let keys = keys(7);
        assert_ne!(keys.seal, keys.pseudonym);
        assert_eq!(format!("{keys:?}"), "ExportKeys(…)");
    }
}
