//! Personal data sealed at rest (I6), and keyed blind indexes to find it again.
//!
//! A database file, a backup or a `pg_dump` must not show a customer's name, street, phone
//! number or e-mail. Each such value is encrypted with XChaCha20-Poly1305 under a key derived
//! from the configured master key, with a random 192-bit nonce (no nonce bookkeeping, no
//! reuse risk) and the row's identity as associated data, so a DBA cannot move a sealed name
//! from one party to another without decryption failing.
//!
//! Exact look-up by phone or e-mail (the call center's first question) uses a blind index:
//! HMAC-SHA-256 of the normalised value under a second derived key, truncated to 16 bytes.
//! Equal values meet; nothing about the value can be read from the index without the key.

use std::fmt;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::StoreError;

type HmacSha256 = Hmac<Sha256>;

/// Format byte in front of every sealed value, so the scheme can change without ambiguity.
const SEAL_VERSION: u8 = 1;
const NONCE_LEN: usize = 24;

/// The 256-bit master key from configuration, from which sealing and index keys derive.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl MasterKey {
    /// Parses 64 hex digits, the form configuration and key files hold.
    pub fn from_hex(text: &str) -> Result<Self, StoreError> {
        let bytes = hex::decode(text.trim()).map_err(|e| StoreError::Config {
            field: "seal key",
            reason: format!("must be 64 hexadecimal digits: {e}"),
        })?;
        let key: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| StoreError::Config {
            field: "seal key",
            reason: format!("must be 32 bytes (64 hexadecimal digits), found {} bytes", b.len()),
        })?;
        Ok(MasterKey(key))
    }

    /// A fresh random key, for a new installation or the demo.
    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        MasterKey(key)
    }

    /// A key from 32 bytes: a data key of its own (a works request's), from which a [`Sealer`]
    /// derives as from the installation's key.
    pub(crate) fn from_bytes(bytes: [u8; 32]) -> Self {
        MasterKey(bytes)
    }

    /// The key as 64 hex digits, to be written to a key file.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    fn derive(&self, label: &str) -> [u8; 32] {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(label.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(…)")
    }
}

/// Seals, opens and blind-indexes values with keys derived from one master key.
pub struct Sealer {
    cipher: XChaCha20Poly1305,
    index_key: [u8; 32],
    check: [u8; 32],
    purpose_key: [u8; 32],
}

impl Sealer {
    /// Derives the sealing and index keys.
    pub fn new(master: &MasterKey) -> Self {
        let seal_key = master.derive("cloison seal v1");
        Sealer {
            cipher: XChaCha20Poly1305::new(&seal_key.into()),
            index_key: master.derive("cloison blind index v1"),
            check: master.derive("cloison key check v1"),
            purpose_key: master.derive("cloison derived secrets v1"),
        }
    }

    /// A value stored beside the data that proves the configured key is the one that sealed
    /// it, so a wrong key is refused at start-up instead of failing on the first read.
    pub fn key_check(&self) -> [u8; 32] {
        self.check
    }

    /// Encrypts `plain`, bound to `context` (table, column and row key).
    pub fn seal(&self, context: &str, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plain, aad: context.as_bytes() })
            .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory buffers");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(SEAL_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Decrypts a value sealed for `context`; fails closed on any mismatch.
    pub fn open(&self, context: &str, sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
        let corrupt = || StoreError::Corrupt { what: format!("sealed value for {context} does not open") };
        if sealed.len() < 1 + NONCE_LEN || sealed[0] != SEAL_VERSION {
            return Err(corrupt());
        }
        let (nonce, body) = sealed[1..].split_at(NONCE_LEN);
        self.cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad: context.as_bytes() })
            .map_err(|_| corrupt())
    }

    /// Seals a serialisable value as JSON.
    pub fn seal_json<T: serde::Serialize>(&self, context: &str, value: &T) -> Vec<u8> {
        let plain = serde_json::to_vec(value).expect("domain values always serialise to JSON");
        self.seal(context, &plain)
    }

    /// Opens a value sealed by `seal_json`.
    pub fn open_json<T: serde::de::DeserializeOwned>(
        &self,
        context: &str,
        sealed: &[u8],
    ) -> Result<T, StoreError> {
        let plain = self.open(context, sealed)?;
        serde_json::from_slice(&plain).map_err(|e| StoreError::Corrupt {
            what: format!("sealed value for {context} is not valid: {e}"),
        })
    }

    /// A secret of its own for `purpose` (the warehouse's export keys, the research
    /// partners' pseudonym keys): derived from the installation's key, so whoever holds that
    /// key can derive it again, and nothing derived for one purpose opens another's data.
    pub fn derived_secret(&self, purpose: &str) -> [u8; 32] {
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(&self.purpose_key).expect("HMAC takes keys of any length");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The blind index of a normalised value of a given kind ("phone", "email").
    pub fn blind_index(&self, kind: &str, normalised: &str) -> Vec<u8> {
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(&self.index_key).expect("HMAC takes keys of any length");
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(normalised.as_bytes());
        mac.finalize().into_bytes()[..16].to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_in_their_context() {
        let sealer = Sealer::new(&MasterKey::generate());
        let sealed = sealer.seal("parties.name|nu-1", b"Marie Dubois");
        assert!(!sealed.windows(5).any(|w| w == b"Marie"));
        assert_eq!(sealer.open("parties.name|nu-1", &sealed).expect("opens"), b"Marie Dubois");
        assert!(sealer.open("parties.name|nu-2", &sealed).is_err());
        let other = Sealer::new(&MasterKey::generate());
        assert!(other.open("parties.name|nu-1", &sealed).is_err());
        // Two seals of one value differ: nothing links equal names across rows.
        assert_ne!(sealed, sealer.seal("parties.name|nu-1", b"Marie Dubois"));
    }

    #[test]
    fn blind_index_is_deterministic_and_keyed() {
        let key = MasterKey::generate();
        let a = Sealer::new(&key);
        let b = Sealer::new(&key);
        assert_eq!(a.blind_index("phone", "+3281234567"), b.blind_index("phone", "+3281234567"));
        assert_ne!(a.blind_index("phone", "+3281234567"), a.blind_index("email", "+3281234567"));
        let c = Sealer::new(&MasterKey::generate());
        assert_ne!(a.blind_index("phone", "+3281234567"), c.blind_index("phone", "+3281234567"));
    }

    #[test]
    fn key_parsing_names_the_problem() {
        let err = MasterKey::from_hex("abcd").expect_err("too short");
        assert!(err.to_string().contains("32 bytes"));
        let key = MasterKey::generate();
        assert_eq!(MasterKey::from_hex(&key.to_hex()).expect("round trip").to_hex(), key.to_hex());
    }
}
