//! Witness cosignatures (`cosignature/v1`, <https://c2sp.org/tlog-cosignature>) and the
//! verifier keys (`vkey`, <https://c2sp.org/signed-note>) that name who may sign.
//!
//! A checkpoint signed by the log alone proves what the log says, not that it says the same
//! to everyone: an operator holding the journal key can sign a forked or rolled-back tree,
//! and `journal verify` on that copy passes. A witness is somebody else who keeps the latest
//! checkpoint it saw and adds its own signature — a cosignature — only to a checkpoint that
//! extends it. Its line is appended to the checkpoint note, so the same note read by any
//! signed-note verifier carries both:
//!
//! ```text
//! — witness.example/w1 base64(key id ‖ u64 time, big-endian ‖ Ed25519 signature)
//! ```
//!
//! The signed message is `cosignature/v1\ntime <unix seconds>\n` followed by the checkpoint
//! text; the key id hashes the signature type 0x04 instead of the note's 0x01, so a
//! cosignature can never be taken for a log signature by the same key, nor the reverse.
//!
//! Keys travel as vkeys, `<name>+<8 hex digits of the key id>+base64(type ‖ public key)`,
//! the one line log operators and witness operators exchange (Go's `sumdb/note`, Sigsum,
//! the public witness network all print and read it).
//!
//! Pure, like the rest of the crate: the caller brings the time and the keys.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::checkpoint::{ED25519_SIGNATURE_TYPE, NoteError, Origin, split_note};

/// The signed-note signature type of a timestamped Ed25519 cosignature, hashed into its key id.
pub const COSIGNATURE_V1_TYPE: u8 = 0x04;

/// The header line of the cosigned message: domain separation from every other use of the key.
const COSIGNATURE_V1_HEADER: &str = "cosignature/v1\n";

/// Length of a decoded cosignature: key id, timestamp, Ed25519 signature.
const COSIGNATURE_LEN: usize = 4 + 8 + 64;

/// The first four bytes of SHA-256(name ‖ 0x0A ‖ type ‖ public key): how a verifier finds
/// its key among a note's signatures.
pub fn key_hash(name: &str, signature_type: u8, key: &VerifyingKey) -> [u8; 4] {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update([b'\n', signature_type]);
    hasher.update(key.as_bytes());
    let digest = hasher.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// What a verifier key verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// A log's Ed25519 note signature (type 0x01): checkpoints.
    Ed25519,
    /// A witness's timestamped Ed25519 cosignature (type 0x04).
    CosignatureV1,
}

impl KeyType {
    /// The signature type byte of the signed-note registry.
    pub fn byte(self) -> u8 {
        match self {
            KeyType::Ed25519 => ED25519_SIGNATURE_TYPE,
            KeyType::CosignatureV1 => COSIGNATURE_V1_TYPE,
        }
    }
}

/// A named public key of a given signature type, as a `vkey` line reads and prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: Origin,
    kind: KeyType,
    key: VerifyingKey,
}

/// Why text is not a verifier key.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VerifierKeyError {
    /// Not three `+`-separated parts.
    #[error("verifier key must be name+hash+key (three parts separated by '+'), found {0:?}")]
    Shape(String),
    /// The name is not a signed-note key name.
    #[error("verifier key name: {0}")]
    Name(#[from] crate::checkpoint::OriginError),
    /// The hash is not eight hexadecimal digits.
    #[error("verifier key hash must be 8 hexadecimal digits, found {0:?}")]
    HashDigits(String),
    /// The key part is not standard base64.
    #[error("verifier key material is not standard base64: {0}")]
    Base64(String),
    /// A signature type this code does not verify.
    #[error(
        "verifier key type 0x{0:02x} is not supported: 0x01 (Ed25519 note) and 0x04 (Ed25519 cosignature/v1) are"
    )]
    UnsupportedType(u8),
    /// The public key is not 32 bytes, not a curve point, or of small order.
    #[error("verifier key: {0}")]
    BadKey(&'static str),
    /// The hash does not match the name, type and key.
    #[error("verifier key hash {found} does not match its name and key (expected {expected})")]
    HashMismatch {
        /// The hash written in the key.
        found: String,
        /// The hash computed from the name, type and key.
        expected: String,
    },
}

impl VerifierKey {
    /// The key `key` under `name`, for signatures of type `kind`.
    pub fn new(name: Origin, kind: KeyType, key: VerifyingKey) -> VerifierKey {
        VerifierKey { name, kind, key }
    }

    /// The key name signature lines carry.
    pub fn name(&self) -> &Origin {
        &self.name
    }

    /// What this key verifies.
    pub fn kind(&self) -> KeyType {
        self.kind
    }

    /// The Ed25519 public key.
    pub fn key(&self) -> &VerifyingKey {
        &self.key
    }

    /// The key id that opens this key's signature lines.
    pub fn key_id(&self) -> [u8; 4] {
        key_hash(self.name.as_str(), self.kind.byte(), &self.key)
    }
}

impl FromStr for VerifierKey {
    type Err = VerifierKeyError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let mut parts = text.splitn(3, '+');
        let (Some(name), Some(hash), Some(material)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(VerifierKeyError::Shape(text.to_owned()));
        };
        let name: Origin = name.parse()?;
        if hash.len() != 8 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(VerifierKeyError::HashDigits(hash.to_owned()));
        }
        let bytes = BASE64.decode(material).map_err(|e| VerifierKeyError::Base64(e.to_string()))?;
        let (&type_byte, key) =
            bytes.split_first().ok_or(VerifierKeyError::BadKey("key material is empty"))?;
        let kind = match type_byte {
            ED25519_SIGNATURE_TYPE => KeyType::Ed25519,
            COSIGNATURE_V1_TYPE => KeyType::CosignatureV1,
            other => return Err(VerifierKeyError::UnsupportedType(other)),
        };
        let key: [u8; 32] =
            key.try_into().map_err(|_| VerifierKeyError::BadKey("an Ed25519 public key is 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&key)
            .map_err(|_| VerifierKeyError::BadKey("not a point of the Ed25519 curve"))?;
        if key.is_weak() {
            return Err(VerifierKeyError::BadKey("a small-order Ed25519 key verifies forged signatures"));
        }
        let parsed = VerifierKey { name, kind, key };
        let expected = hex::encode(parsed.key_id());
        if !hash.eq_ignore_ascii_case(&expected) {
            return Err(VerifierKeyError::HashMismatch { found: hash.to_owned(), expected });
        }
        Ok(parsed)
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut material = Vec::with_capacity(33);
        material.push(self.kind.byte());
        material.extend_from_slice(self.key.as_bytes());
        write!(f, "{}+{}+{}", self.name, hex::encode(self.key_id()), BASE64.encode(material))
    }
}

/// The exact bytes a `cosignature/v1` signature covers: the header, the time line, then the
/// checkpoint text (the note without its signature lines, final newline included).
pub fn cosignature_message(text: &str, time: u64) -> Vec<u8> {
    format!("{COSIGNATURE_V1_HEADER}time {time}\n{text}").into_bytes()
}

/// A witness's signing identity: its key name and Ed25519 key.
#[derive(Debug, Clone)]
pub struct Cosigner {
    name: Origin,
    key: SigningKey,
}

impl Cosigner {
    /// The witness named `name` signing with `key`. The v1 message does not commit to the
    /// name, so one key must serve one name only (the specification's rule, the operator's duty).
    pub fn new(name: Origin, key: SigningKey) -> Cosigner {
        Cosigner { name, key }
    }

    /// The witness's name.
    pub fn name(&self) -> &Origin {
        &self.name
    }

    /// The vkey log operators configure to check this witness's cosignatures.
    pub fn verifier_key(&self) -> VerifierKey {
        VerifierKey::new(self.name.clone(), KeyType::CosignatureV1, self.key.verifying_key())
    }

    /// The signature line cosigning the checkpoint `text` at `time` (Unix seconds), newline
    /// included, ready to append to the note.
    pub fn cosign(&self, text: &str, time: u64) -> String {
        let signature = self.key.sign(&cosignature_message(text, time)).to_bytes();
        let mut bytes = Vec::with_capacity(COSIGNATURE_LEN);
        bytes.extend_from_slice(&self.verifier_key().key_id());
        bytes.extend_from_slice(&time.to_be_bytes());
        bytes.extend_from_slice(&signature);
        format!("\u{2014} {} {}\n", self.name, BASE64.encode(bytes))
    }
}

/// Why a note carries no valid cosignature of a witness.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CosignatureError {
    /// The note itself is malformed.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// The key given is not a cosignature key.
    #[error("{name}: verifier key type is not 0x04 (cosignature/v1)")]
    NotACosignatureKey {
        /// The key's name.
        name: String,
    },
    /// No line carries this witness's name and key id.
    #[error("no cosignature by witness {name}")]
    Missing {
        /// The witness's name.
        name: String,
    },
    /// The line is there but is not a valid timestamped signature of the text.
    #[error("the cosignature of witness {name} does not verify: {reason}")]
    Invalid {
        /// The witness's name.
        name: String,
        /// What is wrong.
        reason: &'static str,
    },
}

/// Verifies `witness`'s cosignature on the signed note `note` and returns its time (Unix
/// seconds). Lines of other keys are ignored, as signed-note verifiers must; a line that
/// carries this witness's name and key id and fails rejects the note.
pub fn verify_cosignature(note: &str, witness: &VerifierKey) -> Result<u64, CosignatureError> {
    let name = witness.name().to_string();
    if witness.kind() != KeyType::CosignatureV1 {
        return Err(CosignatureError::NotACosignatureKey { name });
    }
    let (text, lines) = split_note(note)?;
    let id = witness.key_id();
    let line = lines
        .into_iter()
        .find(|line| line.name == witness.name().as_str() && line.bytes.get(..4) == Some(&id[..]))
        .ok_or_else(|| CosignatureError::Missing { name: name.clone() })?;
    let invalid = |reason| CosignatureError::Invalid { name: name.clone(), reason };
    if line.bytes.len() != COSIGNATURE_LEN {
        return Err(invalid("it is not 76 bytes (key id, time, Ed25519 signature)"));
    }
    let time = u64::from_be_bytes(line.bytes[4..12].try_into().map_err(|_| invalid("no time"))?);
    if time > i64::MAX as u64 {
        return Err(invalid("its time exceeds 2^63 - 1"));
    }
    let signature = Signature::from_slice(&line.bytes[12..]).map_err(|_| invalid("malformed signature"))?;
    witness
        .key()
        .verify_strict(&cosignature_message(text, time), &signature)
        .map_err(|_| invalid("the Ed25519 signature is wrong"))?;
    Ok(time)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::checkpoint::{key_id, open_note, sign_note};
    use crate::hash::leaf_hash;
    use crate::head::TreeHead;

    /// golang.org/x/mod/sumdb/note's own example (note_test.go): a vkey, the private key's
    /// seed (`PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALV…`, type byte then seed) and the note
    /// it signs. Ed25519 is deterministic, so the same seed must give the same bytes here.
    const GO_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const GO_SKEY_MATERIAL: &str = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const GO_TEXT: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    const GO_SIGNATURE: &str =
        "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=";

    /// A witness's published cosignature vkey (transparency-dev/formats, note_cosigv1_test.go).
    const REMORA_VKEY: &str = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2";

    fn witness() -> Cosigner {
        Cosigner::new("witness.example/w1".parse().unwrap(), SigningKey::from_bytes(&[9; 32]))
    }

    fn checkpoint_note() -> String {
        let head = TreeHead { size: 1234, root: leaf_hash(b"root"), time_micros: 1_700_000_000_000_000 };
        sign_note(&Origin::default(), &head, &SigningKey::from_bytes(&[7; 32]))
    }

    #[test]
    fn go_reference_vkey_parses_prints_back_and_its_note_verifies() {
        let vkey: VerifierKey = GO_VKEY.parse().unwrap();
        assert_eq!(vkey.name().as_str(), "PeterNeumann");
        assert_eq!(vkey.kind(), KeyType::Ed25519);
        assert_eq!(vkey.to_string(), GO_VKEY);
        assert_eq!(hex::encode(vkey.key_id()), "c74f20a3");
        // The same key id as the checkpoints' own, for a note key.
        assert_eq!(key_id(vkey.name(), vkey.key()), vkey.key_id());
        // Signing the Go text with the Go seed gives the Go signature, byte for byte.
        let seed: [u8; 32] = BASE64.decode(GO_SKEY_MATERIAL).unwrap()[1..].try_into().unwrap();
        let key = SigningKey::from_bytes(&seed);
        assert_eq!(&key.verifying_key(), vkey.key());
        let mut expected = vkey.key_id().to_vec();
        expected.extend_from_slice(&key.sign(GO_TEXT.as_bytes()).to_bytes());
        assert_eq!(BASE64.encode(expected), GO_SIGNATURE);
    }

    #[test]
    fn published_cosignature_vkey_parses_with_its_hash() {
        let vkey: VerifierKey = REMORA_VKEY.parse().unwrap();
        assert_eq!(vkey.kind(), KeyType::CosignatureV1);
        assert_eq!(hex::encode(vkey.key_id()), "da77ade7");
        assert_eq!(vkey.to_string(), REMORA_VKEY);
    }

    #[test]
    fn mangled_vkeys_are_refused_naming_the_part() {
        let check = |text: &str, expected: &str| {
            let error = text.parse::<VerifierKey>().unwrap_err().to_string();
            assert!(error.contains(expected), "{text:?}: {error}");
        };
        check("PeterNeumann+c74f20a3", "three parts");
        check("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "8 hexadecimal");
        check("PeterNeumann+00000000+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match");
        check("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "name");
        check("PeterNeumann+c74f20a3+AwEB", "type 0x03");
        check("PeterNeumann+c74f20a3+ARpc2QcUPDhM", "32 bytes");
        check("PeterNeumann+c74f20a3+THIS_IS_NOT_BASE64!", "base64");
        // The same key with the cosignature type byte is another key: its hash differs.
        let retyped = GO_VKEY.replace("+ARpc", "+BBpc");
        check(&retyped, "does not match");
        // Every single changed byte of a good key is refused.
        for at in 0..GO_VKEY.len() {
            let mut bytes = GO_VKEY.as_bytes().to_vec();
            bytes[at] = if bytes[at] == b'a' { b'b' } else { b'a' };
            let text = std::str::from_utf8(&bytes).unwrap();
            if text != GO_VKEY {
                assert!(text.parse::<VerifierKey>().is_err(), "byte {at} changed: {text} accepted");
            }
        }
    }

    /// Computed outside this code, with Python's `cryptography` and `hashlib` from the seed
    /// `[9; 32]`, the name `witness.example/w1` and the time 1700000000, following
    /// c2sp.org/tlog-cosignature, so a mistake shared by our signer and verifier cannot hide.
    const EXPECTED_COSIGNATURE: &str = "JLXZ/gAAAABlU/EAd3NFprKvLpv4uhLKE2zOE93tRq+4OoOhULCeZgyBWxWle+le4Sm+EBJ6PTklEXMZXFp9EItIe3UoApB2bSukCA==";
    const EXPECTED_VKEY: &str = "witness.example/w1+24b5d9fe+BP0XJDhaoMdbZPt4zWAvodmR/ev3axPFjtcC6sg16fYY";

    #[test]
    fn cosignature_is_the_exact_bytes_of_an_independent_implementation() {
        let note = checkpoint_note();
        let line = witness().cosign(&note[..note.find("\n\n").unwrap() + 1], 1_700_000_000);
        assert_eq!(line, format!("\u{2014} witness.example/w1 {EXPECTED_COSIGNATURE}\n"));
        assert_eq!(witness().verifier_key().to_string(), EXPECTED_VKEY);
    }

    #[test]
    fn cosigned_note_verifies_for_both_signers_and_one_changed_byte_fails() {
        let note = checkpoint_note();
        let text = &note[..note.find("\n\n").unwrap() + 1];
        let cosigned = format!("{note}{}", witness().cosign(text, 1_700_000_000));
        let vkey = witness().verifier_key();
        assert_eq!(verify_cosignature(&cosigned, &vkey), Ok(1_700_000_000));
        // The log's own signature is still found beside the cosignature.
        let log = SigningKey::from_bytes(&[7; 32]).verifying_key();
        assert!(open_note(&cosigned, &Origin::default(), &log).is_ok());
        // Every byte the cosignature covers or carries: the text, and its own line. (The log's
        // line between them is the log's signature, not the witness's statement.)
        let own_line = cosigned.len() - cosigned.lines().last().unwrap().len() - 1;
        for at in (0..text.len()).chain(own_line..cosigned.len()) {
            let mut changed = cosigned.as_bytes().to_vec();
            changed[at] ^= 0x01;
            let accepted = std::str::from_utf8(&changed)
                .is_ok_and(|note| verify_cosignature(note, &vkey).is_ok_and(|t| t == 1_700_000_000));
            assert!(!accepted, "byte {at} changed and the cosignature still verifies");
        }
    }

    #[test]
    fn a_cosignature_is_not_a_note_signature_nor_another_witness() {
        let note = checkpoint_note();
        let text = &note[..note.find("\n\n").unwrap() + 1];
        let cosigned = format!("{note}{}", witness().cosign(text, 1));
        // The witness's key as a note key (type 0x01) finds no signature of its own.
        let as_note_key =
            VerifierKey::new(witness().name().clone(), KeyType::Ed25519, *witness().verifier_key().key());
        assert!(matches!(
            open_note(&cosigned, witness().name(), as_note_key.key()),
            Err(NoteError::NoSignature { .. })
        ));
        assert_eq!(
            verify_cosignature(&cosigned, &as_note_key),
            Err(CosignatureError::NotACosignatureKey { name: "witness.example/w1".into() })
        );
        let other = Cosigner::new("witness.example/w2".parse().unwrap(), SigningKey::from_bytes(&[10; 32]));
        assert_eq!(
            verify_cosignature(&cosigned, &other.verifier_key()),
            Err(CosignatureError::Missing { name: "witness.example/w2".into() })
        );
        // A timestamp of 2^63 or more is refused even before the signature.
        let big = witness().cosign(text, u64::MAX);
        assert!(matches!(
            verify_cosignature(&format!("{note}{big}"), &witness().verifier_key()),
            Err(CosignatureError::Invalid { .. })
        ));
    }

    #[test]
    fn go_cosignature_timestamp_vector_reads_back() {
        // transparency-dev/formats note_cosigv1_test.go: this signature's time is 1727964367.
        let bytes = BASE64
            .decode("ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA==")
            .unwrap();
        assert_eq!(bytes.len(), COSIGNATURE_LEN);
        assert_eq!(u64::from_be_bytes(bytes[4..12].try_into().unwrap()), 1_727_964_367);
    }
}
