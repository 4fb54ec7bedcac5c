//! SHA-256 hashes and the two domain-separated hash functions of RFC 9162 §2.1.
//!
//! A leaf is hashed as `SHA-256(0x00 || bytes)` and an interior node as
//! `SHA-256(0x01 || left || right)`. The prefix byte is what makes the tree
//! second-preimage resistant: without it a node hash could be passed off as a
//! leaf (a 64-byte "entry" made of two child hashes) and a proof forged for an
//! entry that was never appended. Using the published construction unchanged,
//! rather than an in-house variant, lets an auditor check the journal with any
//! Certificate Transparency tool.
//!
//! [`Hash`] is a newtype rather than a bare `[u8; 32]` so that a hash cannot be
//! confused with a key, a signature half or arbitrary bytes, and so that its text
//! form (lowercase hex, also used by serde) is defined in one place.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A SHA-256 digest: a leaf hash, a node hash, a tree root or a data digest.
///
/// Displayed, parsed and serialized as 64 hexadecimal digits (lowercase when
/// written; either case accepted when read).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Hash([u8; 32]);

impl Hash {
    /// Length of a hash in bytes.
    pub const LEN: usize = 32;

    /// Wraps 32 raw bytes, typically read back from storage.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The raw bytes, borrowed.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The raw bytes, copied.
    pub const fn to_bytes(self) -> [u8; 32] {
        self.0
    }

    /// SHA-256 of `bytes` with no prefix: the digest of data sent to a party
    /// (see `Entry::data_digest`), never a tree hash.
    pub fn digest(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }
}

impl From<[u8; 32]> for Hash {
    fn from(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }
}

impl AsRef<[u8]> for Hash {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = [0u8; 64];
        // Cannot fail: the output buffer is exactly twice the input length.
        hex::encode_to_slice(self.0, &mut text).map_err(|_| fmt::Error)?;
        // Hex digits are ASCII, hence valid UTF-8.
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({self})")
    }
}

/// Why a text is not a [`Hash`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashParseError {
    /// The text does not have the 64 characters of a hex-encoded SHA-256 digest.
    #[error("hash must be 64 hexadecimal digits, got {actual} characters")]
    WrongLength {
        /// Length of the rejected text, in bytes.
        actual: usize,
    },
    /// The text has the right length but a character outside `0-9a-fA-F`.
    #[error("hash contains a character that is not a hexadecimal digit")]
    InvalidDigit,
}

impl FromStr for Hash {
    type Err = HashParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.len() != 64 {
            return Err(HashParseError::WrongLength { actual: text.len() });
        }
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).map_err(|_| HashParseError::InvalidDigit)?;
        Ok(Self(bytes))
    }
}

impl TryFrom<String> for Hash {
    type Error = HashParseError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<Hash> for String {
    fn from(hash: Hash) -> Self {
        hash.to_string()
    }
}

/// The hash of a leaf: `SHA-256(0x00 || bytes)` (RFC 9162 §2.1.1).
pub fn leaf_hash(bytes: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(bytes);
    Hash(hasher.finalize().into())
}

/// The hash of an interior node: `SHA-256(0x01 || left || right)` (RFC 9162 §2.1.1).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut block = [0u8; 65];
    block[0] = 0x01;
    block[1..33].copy_from_slice(&left.0);
    block[33..].copy_from_slice(&right.0);
    Hash(Sha256::digest(block).into())
}

/// The root of the empty tree: `SHA-256("")` (RFC 9162 §2.1.1).
pub fn empty_root() -> Hash {
    Hash(Sha256::digest([]).into())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(
            empty_root().to_string(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn leaf_and_node_hashes_are_domain_separated() {
        // The CT vector: the leaf hash of the empty entry.
        assert_eq!(
            leaf_hash(b"").to_string(),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
        let left = leaf_hash(b"a");
        let right = leaf_hash(b"b");
        let mut concatenated = left.to_bytes().to_vec();
        concatenated.extend_from_slice(right.as_bytes());
        assert_ne!(node_hash(&left, &right), leaf_hash(&concatenated));
        assert_ne!(node_hash(&left, &right), node_hash(&right, &left));
    }

    #[test]
    fn text_form_round_trips_and_rejects_bad_input() {
        let hash = leaf_hash(b"x");
        assert_eq!(hash.to_string().parse::<Hash>().unwrap(), hash);
        assert_eq!(hash.to_string().to_uppercase().parse::<Hash>().unwrap(), hash);
        assert_eq!("abc".parse::<Hash>(), Err(HashParseError::WrongLength { actual: 3 }));
        assert_eq!("g".repeat(64).parse::<Hash>(), Err(HashParseError::InvalidDigit));
        assert_eq!(format!("{hash:?}"), format!("Hash({hash})"));
    }

    #[test]
    fn serde_uses_the_checked_hex_form() {
        let hash = leaf_hash(b"x");
        let json = serde_json::to_string(&hash).unwrap();
        assert_eq!(json, format!("\"{hash}\""));
        assert_eq!(serde_json::from_str::<Hash>(&json).unwrap(), hash);
        assert!(serde_json::from_str::<Hash>("\"00\"").is_err());
    }
}
