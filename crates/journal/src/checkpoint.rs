//! The tree head as a C2SP checkpoint: a signed note any transparency-log tool can check.
//!
//! Cloison's own signed head ([`crate::head`]) is compact and fixed-layout, but no existing
//! tool reads it, so no outside monitor or witness could check or cosign it. The same head is
//! therefore also published in the format of the transparency-log ecosystem (Go's
//! `golang.org/x/mod/sumdb/note`, Sigsum, Trillian's witnesses): a `tlog-checkpoint`
//! (<https://c2sp.org/tlog-checkpoint>) wrapped in a `signed-note` (<https://c2sp.org/signed-note>).
//!
//! ```text
//! cloison.example/journal                     origin: names this log
//! 1234                                        tree size, decimal, no leading zeros
//! PAb5plclr2BSYfY2ZyyWINQJcx2JpFHXRV/pxK4WeCk=   root hash, standard padded base64
//!                                             blank line
//! — cloison.example/journal K8tGqTtB…          em dash, key name, base64(key id ‖ signature)
//! ```
//!
//! The Ed25519 signature covers the note text (the three lines, each with its newline). The
//! key id is the first four bytes of SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key), and the
//! key name is the origin, as the checkpoint specification recommends. The note carries no
//! time: a checkpoint's meaning is its size and root, and the time stays in the JSON head.
//!
//! Pure, like the rest of the crate: the caller brings the head and the key.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::hash::Hash;
use crate::head::TreeHead;

/// The origin of an installation that configured none: stable, so that checkpoints of a demo
/// stay comparable, and visibly an example, so that production sets its own.
pub const DEFAULT_ORIGIN: &str = "cloison.example/journal";

/// The signed-note signature type of Ed25519, hashed into the key id.
pub const ED25519_SIGNATURE_TYPE: u8 = 0x01;

/// The separator that opens every signature line: U+2014 then a space.
const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// The name of a log, first line of its checkpoints and name of its key.
///
/// Checked once, here, because a name with a space, a `+` or a newline would make a note that
/// other verifiers split differently from us.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin(String);

/// Why text is not an origin.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OriginError {
    /// An empty origin names nothing.
    #[error("journal origin must not be empty")]
    Empty,
    /// A character the signed-note format reserves.
    #[error(
        "journal origin must not contain {character:?}: signed-note key names exclude spaces, '+' and control characters"
    )]
    Forbidden {
        /// The first offending character.
        character: char,
    },
}

impl FromStr for Origin {
    type Err = OriginError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.is_empty() {
            return Err(OriginError::Empty);
        }
        match text.chars().find(|c| c.is_whitespace() || c.is_control() || *c == '+') {
            Some(character) => Err(OriginError::Forbidden { character }),
            None => Ok(Origin(text.to_owned())),
        }
    }
}

impl Default for Origin {
    /// [`DEFAULT_ORIGIN`]: an installation that configured nothing still publishes notes.
    fn default() -> Self {
        Origin(DEFAULT_ORIGIN.to_owned())
    }
}

impl Origin {
    /// The origin as written in the note.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The four bytes that let a verifier pick its key among a note's signatures.
pub fn key_id(name: &Origin, key: &VerifyingKey) -> [u8; 4] {
    let mut hasher = Sha256::new();
    hasher.update(name.as_str().as_bytes());
    hasher.update([b'\n', ED25519_SIGNATURE_TYPE]);
    hasher.update(key.as_bytes());
    let digest = hasher.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// The checkpoint body: origin, size and root, each line ending in a newline. This is
/// exactly what the note's signature covers.
pub fn note_text(origin: &Origin, size: u64, root: &Hash) -> String {
    format!("{origin}\n{size}\n{}\n", BASE64.encode(root.as_bytes()))
}

/// The whole signed note of `head`, signed by `key` under the key name `origin`.
pub fn sign_note(origin: &Origin, head: &TreeHead, key: &SigningKey) -> String {
    let text = note_text(origin, head.size, &head.root);
    let signature = key.sign(text.as_bytes()).to_bytes();
    let mut signed = Vec::with_capacity(4 + signature.len());
    signed.extend_from_slice(&key_id(origin, &key.verifying_key()));
    signed.extend_from_slice(&signature);
    format!("{text}\n{SIGNATURE_PREFIX}{origin} {}\n", BASE64.encode(signed))
}

/// What a verified checkpoint says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    /// Number of entries in the journal.
    pub size: u64,
    /// Merkle root of those entries.
    pub root: Hash,
}

/// Why a note is not a checkpoint of this log signed by this key.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NoteError {
    /// The text is not shaped as a signed note or a checkpoint; `part` names the piece.
    #[error("checkpoint note: {part} {reason}")]
    Malformed {
        /// The part of the note at fault (origin line, tree size, root hash, signature line…).
        part: &'static str,
        /// Why it is refused.
        reason: String,
    },
    /// The note names another log than the one expected.
    #[error("checkpoint note: origin is {found:?}, expected {expected:?}")]
    WrongOrigin {
        /// The origin expected.
        expected: String,
        /// The origin in the note.
        found: String,
    },
    /// No signature line carries this key's name and id.
    #[error("checkpoint note: no signature by key {name} with id {id}")]
    NoSignature {
        /// The key name looked for.
        name: String,
        /// Its key id, hex.
        id: String,
    },
    /// This key's signature line is there but does not verify over the text.
    #[error("checkpoint note: the signature of {name} does not verify")]
    BadSignature {
        /// The key name whose signature failed.
        name: String,
    },
}

fn malformed(part: &'static str, reason: impl Into<String>) -> NoteError {
    NoteError::Malformed { part, reason: reason.into() }
}

/// Verifies a note as a checkpoint of `origin` signed by `key` and returns its size and root.
///
/// Follows the signed-note rules: signatures by other keys are ignored (a witness's
/// cosignature may sit beside ours), but a signature by this key that fails rejects the note.
/// Extension lines after the root are allowed and, being unsigned by convention, ignored.
pub fn open_note(note: &str, origin: &Origin, key: &VerifyingKey) -> Result<Checkpoint, NoteError> {
    let (text, signatures) = split_note(note)?;
    let id = key_id(origin, key);
    let ours = signatures
        .into_iter()
        .find(|line| line.name == origin.as_str() && line.bytes.len() == 68 && line.bytes[..4] == id)
        .map(|line| line.bytes);
    let name = origin.as_str().to_owned();
    let bytes = ours.ok_or_else(|| NoteError::NoSignature { name: name.clone(), id: hex::encode(id) })?;
    let signature =
        Signature::from_slice(&bytes[4..]).map_err(|_| NoteError::BadSignature { name: name.clone() })?;
    key.verify_strict(text.as_bytes(), &signature).map_err(|_| NoteError::BadSignature { name })?;

    let (found, checkpoint) = parse_text(text)?;
    if found != origin.as_str() {
        return Err(NoteError::WrongOrigin { expected: origin.to_string(), found: found.to_owned() });
    }
    Ok(checkpoint)
}

/// One signature line of a signed note: the key name and the decoded bytes (key id first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SignatureLine<'a> {
    /// The key name the line gives.
    pub(crate) name: &'a str,
    /// base64-decoded: the 4-byte key id, then the signature.
    pub(crate) bytes: Vec<u8>,
}

/// Splits a signed note into its text (with its final newline) and its signature lines,
/// refusing what the signed-note format forbids. Shared by the checkpoint's own signature and
/// the witnesses' cosignatures, so both read a note the same way.
pub(crate) fn split_note(note: &str) -> Result<(&str, Vec<SignatureLine<'_>>), NoteError> {
    if let Some(c) = note.chars().find(|c| c.is_ascii_control() && *c != '\n') {
        return Err(malformed("note", format!("contains the control character {c:?}")));
    }
    // The text ends at the last blank line: its own newline is the text's last byte.
    let split =
        note.rfind("\n\n").ok_or_else(|| malformed("note", "has no blank line before the signatures"))?;
    let (text, signatures) = (&note[..=split], &note[split + 2..]);
    if signatures.is_empty() || !signatures.ends_with('\n') {
        return Err(malformed("signature lines", "are missing or do not end in a newline"));
    }
    let mut lines = Vec::new();
    for line in signatures[..signatures.len() - 1].split('\n') {
        let rest = line.strip_prefix(SIGNATURE_PREFIX).ok_or_else(|| {
            malformed("signature line", format!("{line:?} does not start with an em dash and a space"))
        })?;
        let (name, encoded) = rest.split_once(' ').ok_or_else(|| {
            malformed("signature line", format!("{line:?} has no space between key name and signature"))
        })?;
        let bytes = BASE64.decode(encoded).map_err(|e| {
            malformed("signature line", format!("of {name}: signature is not standard base64: {e}"))
        })?;
        lines.push(SignatureLine { name, bytes });
    }
    Ok((text, lines))
}

/// The origin line and the size and root of a checkpoint's text (the note without its
/// signatures). Extension lines after the root are allowed and, being unsigned by
/// convention, ignored; an empty one is refused.
pub(crate) fn parse_text(text: &str) -> Result<(&str, Checkpoint), NoteError> {
    let body = text.strip_suffix('\n').ok_or_else(|| malformed("note", "text does not end in a newline"))?;
    let mut lines = body.split('\n');
    let found = lines.next().unwrap_or_default();
    if found.is_empty() {
        return Err(malformed("origin line", "is empty"));
    }
    let size_line = lines.next().ok_or_else(|| malformed("tree size", "line is missing"))?;
    let canonical =
        size_line.bytes().all(|b| b.is_ascii_digit()) && (size_line == "0" || !size_line.starts_with('0'));
    let size = size_line.parse::<u64>().ok().filter(|_| canonical).ok_or_else(|| {
        malformed("tree size", format!("{size_line:?} is not a decimal number without leading zeros"))
    })?;
    let root_line = lines.next().ok_or_else(|| malformed("root hash", "line is missing"))?;
    let root: [u8; 32] =
        BASE64.decode(root_line).ok().and_then(|b| b.try_into().ok()).ok_or_else(|| {
            malformed("root hash", format!("{root_line:?} is not 32 bytes in standard base64"))
        })?;
    if lines.any(str::is_empty) {
        return Err(malformed("extension lines", "must not be empty"));
    }
    Ok((found, Checkpoint { size, root: Hash::from_bytes(root) }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7; 32])
    }

    fn head() -> TreeHead {
        TreeHead { size: 1234, root: leaf_hash(b"root"), time_micros: 1_700_000_000_000_000 }
    }

    /// Computed outside this code, with Python's `cryptography` and `hashlib`, from the seed
    /// `[7; 32]`, so a mistake shared by the signer and the verifier here cannot hide.
    const EXPECTED: &str = "cloison.example/journal\n1234\nPAb5plclr2BSYfY2ZyyWINQJcx2JpFHXRV/pxK4WeCk=\n\n\
        \u{2014} cloison.example/journal K8tGqTtBHoxOMv0vv+zoE5Baxzf2Gj5oli6t4UubOX/VLcnjj7THyW6np3/wwk9fWHKfbYuIq8dENFS8q6y2Qbq4XwI=\n";

    #[test]
    fn note_is_the_exact_bytes_of_an_independent_implementation() {
        let note = sign_note(&Origin::default(), &head(), &key());
        assert_eq!(note, EXPECTED);
    }

    #[test]
    fn key_id_is_the_recommended_hash() {
        let public = key().verifying_key();
        assert_eq!(
            hex::encode(public.as_bytes()),
            "ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c"
        );
        assert_eq!(key_id(&Origin::default(), &public), [0x2b, 0xcb, 0x46, 0xa9]);
        // The name is part of the id: the same key under another name is another signer.
        assert_ne!(key_id(&"other.example/log".parse().unwrap(), &public), [0x2b, 0xcb, 0x46, 0xa9]);
    }

    #[test]
    fn signature_verifies_with_ed25519_dalek_over_the_text() {
        let note = sign_note(&Origin::default(), &head(), &key());
        let (text, signature_line) = note.split_once("\n\n").unwrap();
        let encoded = signature_line.trim_end().rsplit(' ').next().unwrap();
        let bytes = BASE64.decode(encoded).unwrap();
        let signature = Signature::from_slice(&bytes[4..]).unwrap();
        let signed_text = format!("{text}\n");
        key().verifying_key().verify_strict(signed_text.as_bytes(), &signature).unwrap();
        assert_eq!(
            open_note(&note, &Origin::default(), &key().verifying_key()),
            Ok(Checkpoint { size: 1234, root: head().root })
        );
    }

    #[test]
    fn any_changed_byte_is_refused() {
        let public = key().verifying_key();
        let origin = Origin::default();
        let bytes = EXPECTED.as_bytes();
        for at in 0..bytes.len() {
            let mut changed = bytes.to_vec();
            changed[at] ^= 0x01;
            // A change that breaks UTF-8 is refused before any parsing; the rest by the parser.
            let accepted =
                std::str::from_utf8(&changed).is_ok_and(|note| open_note(note, &origin, &public).is_ok());
            assert!(!accepted, "byte {at} changed and still accepted");
        }
    }

    #[test]
    fn other_keys_signatures_are_ignored_but_ours_must_verify() {
        let origin = Origin::default();
        let note = sign_note(&origin, &head(), &key());
        let witness =
            sign_note(&"witness.example/w".parse().unwrap(), &head(), &SigningKey::from_bytes(&[9; 32]));
        let cosigned = format!("{note}{}", witness.rsplit_once("\n\n").unwrap().1);
        assert!(open_note(&cosigned, &origin, &key().verifying_key()).is_ok());
        // Signed by another key under our name: the id differs, so no signature of ours is found.
        let forged = sign_note(&origin, &head(), &SigningKey::from_bytes(&[8; 32]));
        assert!(matches!(
            open_note(&forged, &origin, &key().verifying_key()),
            Err(NoteError::NoSignature { .. })
        ));
        let wrong_text = note.replacen("1234", "1235", 1);
        assert_eq!(
            open_note(&wrong_text, &origin, &key().verifying_key()),
            Err(NoteError::BadSignature { name: origin.to_string() })
        );
    }

    #[test]
    fn origins_refuse_what_signed_notes_reserve() {
        assert_eq!("".parse::<Origin>(), Err(OriginError::Empty));
        assert_eq!("a b".parse::<Origin>(), Err(OriginError::Forbidden { character: ' ' }));
        assert_eq!("a+b".parse::<Origin>(), Err(OriginError::Forbidden { character: '+' }));
        assert_eq!("a\nb".parse::<Origin>(), Err(OriginError::Forbidden { character: '\n' }));
        assert_eq!("a\u{a0}b".parse::<Origin>(), Err(OriginError::Forbidden { character: '\u{a0}' }));
        assert_eq!("grid.example/journal".parse::<Origin>().unwrap().as_str(), "grid.example/journal");
    }
}
