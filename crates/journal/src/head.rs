//! Tree heads: the size, root and time of the journal, signed by the operator.
//!
//! A signed tree head is the operator's commitment: "at this time the journal
//! held exactly `size` entries, whose Merkle root is `root`". Anyone holding
//! the operator's public key can then check an entry with an inclusion proof
//! and check that a later head extends an earlier one with a consistency proof,
//! without trusting the database. Proofs alone do not bind the tree size; the
//! signature does.
//!
//! # Canonical encoding, version 1 (49 bytes, big-endian)
//!
//! | offset | length | field                                          |
//! |-------:|-------:|------------------------------------------------|
//! |      0 |      1 | version, `0x01`                                |
//! |      1 |      8 | `size`, u64                                    |
//! |      9 |     32 | `root`, SHA-256                                |
//! |     41 |      8 | `time_micros`, i64 microseconds since the Unix epoch, UTC |
//!
//! The Ed25519 signature is over [`SIGNATURE_CONTEXT`] followed by these 49
//! bytes. The context string keeps a tree-head signature from being accepted
//! as the signature of any other message the same key might sign. A signed
//! tree head is stored as the 49 bytes followed by the 64-byte signature.
//! A fixed layout was chosen over a self-describing format (JSON, CBOR) so that
//! exactly one byte string corresponds to a head and verifiers in any language
//! need no parser.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::hash::Hash;

/// Prefix of every signed message, so tree-head signatures cannot be replayed
/// as signatures of anything else.
pub const SIGNATURE_CONTEXT: &[u8] = b"cloison journal tree head\n";

/// The current encoding version of [`TreeHead`].
pub const TREE_HEAD_VERSION: u8 = 1;

/// Length of the canonical encoding of a [`TreeHead`].
pub const TREE_HEAD_LEN: usize = 49;

/// Length of the encoding of a [`SignedTreeHead`]: the head then the signature.
pub const SIGNED_TREE_HEAD_LEN: usize = TREE_HEAD_LEN + 64;

/// The state of the journal at a point in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TreeHead {
    /// Number of entries in the journal.
    pub size: u64,
    /// Merkle Tree Hash of those entries.
    pub root: Hash,
    /// When the head was produced, microseconds since the Unix epoch, UTC.
    pub time_micros: i64,
}

/// Why bytes are not a tree head, or a signature does not verify.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HeadError {
    /// The encoding does not have the length of its version.
    #[error("tree head encoding must be {expected} bytes, got {actual}")]
    WrongLength {
        /// Length required.
        expected: usize,
        /// Length received.
        actual: usize,
    },
    /// The first byte names a version this code does not know.
    #[error("unknown tree head encoding version {version}")]
    UnknownVersion {
        /// The version byte received.
        version: u8,
    },
    /// The signature is not the signature of this head by this key.
    #[error("tree head signature does not verify with the given key")]
    BadSignature,
}

impl TreeHead {
    /// The canonical 49-byte encoding (see the module documentation).
    pub fn to_bytes(&self) -> [u8; TREE_HEAD_LEN] {
        let mut bytes = [0u8; TREE_HEAD_LEN];
        bytes[0] = TREE_HEAD_VERSION;
        bytes[1..9].copy_from_slice(&self.size.to_be_bytes());
        bytes[9..41].copy_from_slice(self.root.as_bytes());
        bytes[41..49].copy_from_slice(&self.time_micros.to_be_bytes());
        bytes
    }

    /// Decodes the canonical encoding; rejects any other length or version.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, HeadError> {
        let version = *bytes.first().ok_or(HeadError::WrongLength { expected: TREE_HEAD_LEN, actual: 0 })?;
        if version != TREE_HEAD_VERSION {
            return Err(HeadError::UnknownVersion { version });
        }
        let bytes: &[u8; TREE_HEAD_LEN] = bytes
            .try_into()
            .map_err(|_| HeadError::WrongLength { expected: TREE_HEAD_LEN, actual: bytes.len() })?;
        let mut size = [0u8; 8];
        let mut root = [0u8; 32];
        let mut time = [0u8; 8];
        size.copy_from_slice(&bytes[1..9]);
        root.copy_from_slice(&bytes[9..41]);
        time.copy_from_slice(&bytes[41..49]);
        Ok(Self {
            size: u64::from_be_bytes(size),
            root: Hash::from_bytes(root),
            time_micros: i64::from_be_bytes(time),
        })
    }

    /// The exact message the signature covers: [`SIGNATURE_CONTEXT`] then the encoding.
    pub fn signed_message(&self) -> Vec<u8> {
        let mut message = Vec::with_capacity(SIGNATURE_CONTEXT.len() + TREE_HEAD_LEN);
        message.extend_from_slice(SIGNATURE_CONTEXT);
        message.extend_from_slice(&self.to_bytes());
        message
    }

    /// Signs this head with the operator's key.
    pub fn sign(self, key: &SigningKey) -> SignedTreeHead {
        SignedTreeHead::sign(self, key)
    }
}

/// A tree head and the operator's Ed25519 signature over it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedTreeHead {
    /// The head that was signed.
    pub head: TreeHead,
    /// Ed25519 signature over [`TreeHead::signed_message`]; hex in serde.
    #[serde(with = "signature_hex")]
    pub signature: [u8; 64],
}

impl SignedTreeHead {
    /// Signs `head` with `key`.
    pub fn sign(head: TreeHead, key: &SigningKey) -> Self {
        let signature = key.sign(&head.signed_message()).to_bytes();
        Self { head, signature }
    }

    /// Checks the signature with the operator's public key.
    ///
    /// Uses strict verification, which rejects non-canonical and small-order
    /// encodings, so that one head has only one valid signature per key.
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), HeadError> {
        key.verify_strict(&self.head.signed_message(), &Signature::from_bytes(&self.signature))
            .map_err(|_| HeadError::BadSignature)
    }

    /// The stored form: the 49-byte head then the 64-byte signature.
    pub fn to_bytes(&self) -> [u8; SIGNED_TREE_HEAD_LEN] {
        let mut bytes = [0u8; SIGNED_TREE_HEAD_LEN];
        bytes[..TREE_HEAD_LEN].copy_from_slice(&self.head.to_bytes());
        bytes[TREE_HEAD_LEN..].copy_from_slice(&self.signature);
        bytes
    }

    /// Decodes the stored form. Does not verify the signature.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, HeadError> {
        if bytes.len() != SIGNED_TREE_HEAD_LEN {
            // Report an unknown version before a length that only fits version 1.
            match bytes.first() {
                Some(&version) if version != TREE_HEAD_VERSION => {
                    return Err(HeadError::UnknownVersion { version });
                }
                _ => {}
            }
            return Err(HeadError::WrongLength { expected: SIGNED_TREE_HEAD_LEN, actual: bytes.len() });
        }
        let head = TreeHead::from_bytes(&bytes[..TREE_HEAD_LEN])?;
        let mut signature = [0u8; 64];
        signature.copy_from_slice(&bytes[TREE_HEAD_LEN..]);
        Ok(Self { head, signature })
    }
}

/// Serde of a 64-byte signature as 128 hex digits (serde has no impl for `[u8; 64]`).
mod signature_hex {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    pub fn serialize<S: Serializer>(signature: &[u8; 64], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(signature))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<[u8; 64], D::Error> {
        let text = String::deserialize(deserializer)?;
        let mut signature = [0u8; 64];
        hex::decode_to_slice(&text, &mut signature)
            .map_err(|_| D::Error::custom("signature must be 128 hexadecimal digits"))?;
        Ok(signature)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::hash::leaf_hash;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn head() -> TreeHead {
        TreeHead { size: 1234, root: leaf_hash(b"root"), time_micros: 1_700_000_000_000_000 }
    }

    #[test]
    fn encoding_is_the_documented_layout() {
        let head = head();
        let bytes = head.to_bytes();
        assert_eq!(bytes.len(), TREE_HEAD_LEN);
        assert_eq!(bytes[0], 1);
        assert_eq!(&bytes[1..9], &1234u64.to_be_bytes());
        assert_eq!(&bytes[9..41], head.root.as_bytes());
        assert_eq!(&bytes[41..], &1_700_000_000_000_000i64.to_be_bytes());
        assert_eq!(TreeHead::from_bytes(&bytes), Ok(head));
        assert!(head.signed_message().starts_with(SIGNATURE_CONTEXT));
    }

    #[test]
    fn decoding_rejects_bad_lengths_and_versions() {
        let bytes = head().to_bytes();
        assert_eq!(
            TreeHead::from_bytes(&bytes[..48]),
            Err(HeadError::WrongLength { expected: 49, actual: 48 })
        );
        assert_eq!(TreeHead::from_bytes(&[]), Err(HeadError::WrongLength { expected: 49, actual: 0 }));
        let mut other_version = bytes;
        other_version[0] = 2;
        assert_eq!(TreeHead::from_bytes(&other_version), Err(HeadError::UnknownVersion { version: 2 }));
        let signed = head().sign(&key(1));
        let stored = signed.to_bytes();
        assert_eq!(SignedTreeHead::from_bytes(&stored), Ok(signed));
        assert!(matches!(SignedTreeHead::from_bytes(&stored[..112]), Err(HeadError::WrongLength { .. })));
        let mut other_version = stored;
        other_version[0] = 0;
        assert_eq!(SignedTreeHead::from_bytes(&other_version), Err(HeadError::UnknownVersion { version: 0 }));
    }

    #[test]
    fn signature_verifies_only_with_the_signing_key() {
        let signed = head().sign(&key(1));
        assert_eq!(signed.verify(&key(1).verifying_key()), Ok(()));
        assert_eq!(signed.verify(&key(2).verifying_key()), Err(HeadError::BadSignature));
    }

    #[test]
    fn every_single_bit_change_breaks_the_signature() {
        let key = key(7);
        let public = key.verifying_key();
        let signed = head().sign(&key);
        let stored = signed.to_bytes();
        for bit in 0..stored.len() * 8 {
            let mut bad = stored;
            bad[bit / 8] ^= 1 << (bit % 8);
            // A change to the version byte is refused at decoding already.
            let accepted = SignedTreeHead::from_bytes(&bad).is_ok_and(|bad| bad.verify(&public).is_ok());
            assert!(!accepted, "bit {bit}");
        }
    }

    #[test]
    fn serde_round_trips_with_hex_signature() {
        let signed = head().sign(&key(3));
        let json = serde_json::to_value(signed).unwrap();
        assert_eq!(json["signature"], hex::encode(signed.signature));
        assert_eq!(json["head"]["root"], signed.head.root.to_string());
        let back: SignedTreeHead = serde_json::from_value(json).unwrap();
        assert_eq!(back, signed);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        #[test]
        fn signature_fails_after_any_single_bit_change(
            seed in any::<[u8; 32]>(),
            size in any::<u64>(),
            root in any::<[u8; 32]>(),
            time_micros in any::<i64>(),
            size_bit in 0..64u32,
            root_bit in 0..256usize,
            time_bit in 0..64u32,
            signature_bit in 0..512usize,
        ) {
            let key = SigningKey::from_bytes(&seed);
            let public = key.verifying_key();
            let head = TreeHead { size, root: Hash::from_bytes(root), time_micros };
            let signed = head.sign(&key);
            prop_assert_eq!(signed.verify(&public), Ok(()));

            let mut bad = signed;
            bad.head.size ^= 1 << size_bit;
            prop_assert_eq!(bad.verify(&public), Err(HeadError::BadSignature));

            let mut bad = signed;
            let mut bytes = root;
            bytes[root_bit / 8] ^= 1 << (root_bit % 8);
            bad.head.root = Hash::from_bytes(bytes);
            prop_assert_eq!(bad.verify(&public), Err(HeadError::BadSignature));

            let mut bad = signed;
            bad.head.time_micros ^= 1 << time_bit;
            prop_assert_eq!(bad.verify(&public), Err(HeadError::BadSignature));

            let mut bad = signed;
            bad.signature[signature_bit / 8] ^= 1 << (signature_bit % 8);
            prop_assert_eq!(bad.verify(&public), Err(HeadError::BadSignature));
        }
    }
}
