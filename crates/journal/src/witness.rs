//! The witness protocol (<https://c2sp.org/tlog-witness>): the `add-checkpoint` request and
//! the witness's decision, without the HTTP around them.
//!
//! A log sends its new checkpoint with a consistency proof from the size the witness last
//! cosigned; the witness cosigns only if the checkpoint is signed by the log's known key and
//! provably extends what it holds. The body is plain text:
//!
//! ```text
//! old 1200                                    the size the log believes the witness holds
//! PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=   consistency proof, one base64 hash a line
//!                                             blank line
//! cloison.example/journal                     the checkpoint note, signatures included
//! 1234
//! …
//! ```
//!
//! The decision ([`judge`]) is a pure function of the request, the logs the witness knows and
//! what it holds, so every refusal the specification lists is tested here; the server around
//! it only has to hold one lock across the decision and the durable write, so two requests
//! cannot both pass against the same held size (the specification's rollback race).

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::VerifyingKey;
use thiserror::Error;

use crate::checkpoint::{Checkpoint, NoteError, Origin, open_note, parse_text, split_note};
use crate::hash::{Hash, empty_root};
use crate::tree::{VerifyError, verify_consistency};

/// The most consistency proof lines a request may carry: a proof between two trees of at
/// most 2^64 leaves has at most 63 hashes (per the specification).
pub const MAX_PROOF_LINES: usize = 63;

/// The `Content-Type` of a 409 answer, whose body is the size the witness holds.
pub const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";

/// An `add-checkpoint` request: the old size, the consistency proof from it, the note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// The size of the checkpoint the client believes the witness last cosigned (0 if none).
    pub old: u64,
    /// The RFC 6962 consistency proof from `old` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The checkpoint, a signed note, signatures included.
    pub note: String,
}

/// Why a request body is not an `add-checkpoint` request (400 Bad Request).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("add-checkpoint request: {part} {reason}")]
pub struct RequestError {
    /// The part of the body at fault.
    pub part: &'static str,
    /// Why.
    pub reason: String,
}

fn bad(part: &'static str, reason: impl Into<String>) -> RequestError {
    RequestError { part, reason: reason.into() }
}

/// A decimal without leading zeros, as the specification writes sizes.
fn canonical_size(text: &str) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    text.parse().ok().filter(|_| canonical)
}

impl AddCheckpoint {
    /// Reads a request body, refusing anything the specification does not allow.
    pub fn parse(body: &str) -> Result<AddCheckpoint, RequestError> {
        let (head, note) =
            body.split_once("\n\n").ok_or_else(|| bad("body", "has no blank line before the checkpoint"))?;
        let mut lines = head.split('\n');
        let old_line = lines.next().unwrap_or_default();
        let old = old_line.strip_prefix("old ").and_then(canonical_size).ok_or_else(|| {
            bad("old size line", format!("{old_line:?} is not \"old\", a space and a decimal size"))
        })?;
        let proof = lines
            .enumerate()
            .map(|(at, line)| {
                BASE64
                    .decode(line)
                    .ok()
                    .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                    .map(Hash::from_bytes)
                    .ok_or_else(|| {
                        bad("consistency proof", format!("line {} is not a base64 SHA-256 hash", at + 1))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if proof.len() > MAX_PROOF_LINES {
            return Err(bad(
                "consistency proof",
                format!("has {} lines, at most {MAX_PROOF_LINES}", proof.len()),
            ));
        }
        if note.is_empty() {
            return Err(bad("checkpoint", "is missing after the blank line"));
        }
        Ok(AddCheckpoint { old, proof, note: note.to_owned() })
    }

    /// The request body, as [`AddCheckpoint::parse`] reads it.
    pub fn to_body(&self) -> String {
        let mut body = format!("old {}\n", self.old);
        for hash in &self.proof {
            body.push_str(&BASE64.encode(hash.as_bytes()));
            body.push('\n');
        }
        body.push('\n');
        body.push_str(&self.note);
        body
    }
}

/// The logs a witness knows: origin → the log's Ed25519 public key (its note signatures
/// are under the key name equal to the origin, as `tlog-checkpoint` recommends).
pub type Logs = BTreeMap<Origin, VerifyingKey>;

/// What a witness holds: per origin, the latest checkpoint it cosigned.
pub type Held = BTreeMap<Origin, Checkpoint>;

/// A checkpoint the witness may cosign and must record before answering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The log.
    pub origin: Origin,
    /// Its new size and root: the witness's new state for that log.
    pub checkpoint: Checkpoint,
    /// The checkpoint's text, which the cosignature covers.
    pub text: String,
}

/// Why a witness does not cosign, each with the status the specification gives it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Refusal {
    /// The body is not a request, or the note not a checkpoint (400).
    #[error(transparent)]
    Malformed(#[from] RequestError),
    /// No log of that origin is configured (404).
    #[error("unknown log origin {0:?}")]
    UnknownOrigin(String),
    /// The note carries no valid signature by the log's known key (403).
    #[error("checkpoint of {origin} is not signed by its known key: {reason}")]
    NotSigned {
        /// The log.
        origin: String,
        /// What the signature check said.
        reason: String,
    },
    /// `old` is beyond the checkpoint's size (400).
    #[error("old size {old} is beyond the checkpoint's size {size}")]
    OldBeyondSize {
        /// The request's old size.
        old: u64,
        /// The checkpoint's size.
        size: u64,
    },
    /// `old` is not the size the witness holds; the client retries from `held` (409).
    #[error("old size {old} is not the size this witness holds, {held}")]
    StaleOld {
        /// The request's old size.
        old: u64,
        /// The size the witness holds.
        held: u64,
    },
    /// Same size as held, another root: the log forked (409).
    #[error("checkpoint of size {size} has another root than the one this witness cosigned")]
    Fork {
        /// The size both share.
        size: u64,
    },
    /// The proof does not show the checkpoint extends what the witness holds (422).
    #[error("consistency proof from size {old} to {size} does not verify: {reason}")]
    Inconsistent {
        /// The held size.
        old: u64,
        /// The checkpoint's size.
        size: u64,
        /// What the verifier said.
        reason: VerifyError,
    },
}

impl Refusal {
    /// The HTTP status the specification gives this refusal.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::Malformed(_) | Refusal::OldBeyondSize { .. } => 400,
            Refusal::NotSigned { .. } => 403,
            Refusal::UnknownOrigin(_) => 404,
            Refusal::StaleOld { .. } | Refusal::Fork { .. } => 409,
            Refusal::Inconsistent { .. } => 422,
        }
    }

    /// The size the witness holds, which a 409 answer carries as its body; `None` for the
    /// other refusals.
    pub fn held_size(&self) -> Option<u64> {
        match self {
            Refusal::StaleOld { held, .. } => Some(*held),
            Refusal::Fork { size } => Some(*size),
            _ => None,
        }
    }
}

fn malformed_note(error: NoteError) -> Refusal {
    Refusal::Malformed(bad("checkpoint", error.to_string()))
}

/// Decides a request against the logs the witness knows and what it holds, in the order the
/// specification gives: the log (404), its signature (403), the sizes (400, 409), the proof
/// (422), and for an equal size the root (409).
pub fn judge(request: &AddCheckpoint, logs: &Logs, held: &Held) -> Result<Accepted, Refusal> {
    let (text, _) = split_note(&request.note).map_err(malformed_note)?;
    let (origin_line, _) = parse_text(text).map_err(malformed_note)?;
    let origin: Origin = origin_line.parse().map_err(|_| Refusal::UnknownOrigin(origin_line.to_owned()))?;
    let key = logs.get(&origin).ok_or_else(|| Refusal::UnknownOrigin(origin_line.to_owned()))?;
    let checkpoint = open_note(&request.note, &origin, key).map_err(|e| match e {
        NoteError::Malformed { .. } => malformed_note(e),
        other => Refusal::NotSigned { origin: origin.to_string(), reason: other.to_string() },
    })?;
    if request.old > checkpoint.size {
        return Err(Refusal::OldBeyondSize { old: request.old, size: checkpoint.size });
    }
    let holding = held.get(&origin).copied();
    let held_size = holding.map_or(0, |c| c.size);
    if request.old != held_size {
        return Err(Refusal::StaleOld { old: request.old, held: held_size });
    }
    let held_root = holding.map_or_else(empty_root, |c| c.root);
    if held_size == checkpoint.size {
        if !request.proof.is_empty() {
            return Err(Refusal::Inconsistent {
                old: held_size,
                size: checkpoint.size,
                reason: VerifyError::ProofNotEmpty,
            });
        }
        // A witness that never cosigned holds nothing at size 0: any empty tree is news.
        if holding.is_some() && held_root != checkpoint.root {
            return Err(Refusal::Fork { size: checkpoint.size });
        }
    } else {
        verify_consistency(held_size, checkpoint.size, &held_root, &checkpoint.root, &request.proof)
            .map_err(|reason| Refusal::Inconsistent { old: held_size, size: checkpoint.size, reason })?;
    }
    Ok(Accepted { origin, checkpoint, text: text.to_owned() })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::checkpoint::sign_note;
    use crate::hash::leaf_hash;
    use crate::head::TreeHead;
    use crate::tree::{MemoryTree, consistency_proof, root_at};
    use ed25519_dalek::SigningKey;

    fn log_key() -> SigningKey {
        SigningKey::from_bytes(&[7; 32])
    }

    fn tree(leaves: &[&str]) -> MemoryTree {
        MemoryTree::from_leaf_hashes(leaves.iter().map(|l| leaf_hash(l.as_bytes())))
    }

    fn note_of(tree: &MemoryTree, size: u64, key: &SigningKey) -> String {
        let head = TreeHead { size, root: root_at(tree, size).unwrap(), time_micros: 0 };
        sign_note(&Origin::default(), &head, key)
    }

    fn request(tree: &MemoryTree, old: u64, size: u64) -> AddCheckpoint {
        AddCheckpoint {
            old,
            proof: consistency_proof(tree, old, size).unwrap(),
            note: note_of(tree, size, &log_key()),
        }
    }

    fn logs() -> Logs {
        Logs::from([(Origin::default(), log_key().verifying_key())])
    }

    fn held(tree: &MemoryTree, size: u64) -> Held {
        Held::from([(Origin::default(), Checkpoint { size, root: root_at(tree, size).unwrap() })])
    }

    const LEAVES: [&str; 7] = ["a", "b", "c", "d", "e", "f", "g"];

    /// Every answer of the specification, one case a line: (request, held, expected status).
    #[test]
    fn each_case_gets_the_status_the_specification_gives() {
        let log = tree(&LEAVES);
        let fork = tree(&["a", "b", "c", "x", "e", "f", "g", "h"]);
        let check = |request: AddCheckpoint, held: Held, expected: Result<u64, u16>| {
            let got = judge(&request, &logs(), &held);
            match (got, expected) {
                (Ok(accepted), Ok(size)) => assert_eq!(accepted.checkpoint.size, size),
                (Err(refusal), Err(status)) => assert_eq!(refusal.status(), status, "{refusal}"),
                (got, expected) => panic!("{request:?}: got {got:?}, expected {expected:?}"),
            }
        };
        // First contact: nothing held, old 0, empty proof.
        check(request(&log, 0, 5), Held::new(), Ok(5));
        // Extends what is held.
        check(request(&log, 3, 7), held(&log, 3), Ok(7));
        check(request(&log, 4, 4), held(&log, 4), Ok(4));
        // Old is not what is held: 409, either way.
        check(request(&log, 3, 7), held(&log, 5), Err(409));
        check(request(&log, 0, 7), held(&log, 5), Err(409));
        check(request(&log, 5, 7), Held::new(), Err(409));
        // A fork of the held checkpoint, at a larger size: the proof cannot verify (422).
        check(request(&fork, 5, 8), held(&log, 5), Err(422));
        // A fork at the same size: 409.
        check(request(&fork, 5, 5), held(&log, 5), Err(409));
        // A rollback: the log offers less than held; old must then be beyond the size (400)
        // or stale (409) — never cosigned.
        let rollback = AddCheckpoint { old: 5, proof: vec![], note: note_of(&log, 3, &log_key()) };
        check(rollback, held(&log, 5), Err(400));
        check(request(&log, 3, 3), held(&log, 5), Err(409));
        // A proof that does not belong to these sizes.
        let mut wrong = request(&log, 3, 7);
        wrong.proof = consistency_proof(&log, 2, 7).unwrap();
        check(wrong, held(&log, 3), Err(422));
        let mut extra = request(&log, 4, 4);
        extra.proof = vec![leaf_hash(b"extra")];
        check(extra, held(&log, 4), Err(422));
        // Signed by another key under the same origin: 403.
        let mut forged = request(&log, 3, 7);
        forged.note = note_of(&log, 7, &SigningKey::from_bytes(&[8; 32]));
        check(forged, held(&log, 3), Err(403));
        // A log the witness does not know: 404.
        let stranger = "stranger.example/log".parse::<Origin>().unwrap();
        let head = TreeHead { size: 7, root: log.root(), time_micros: 0 };
        let mut unknown = request(&log, 0, 7);
        unknown.note = sign_note(&stranger, &head, &log_key());
        check(unknown, Held::new(), Err(404));
        // Not a note at all: 400.
        let mut garbage = request(&log, 0, 7);
        garbage.note = "cloison.example/journal\n7\n".into();
        check(garbage, Held::new(), Err(400));
    }

    #[test]
    fn accepted_text_is_the_note_without_its_signatures() {
        let log = tree(&LEAVES);
        let accepted = judge(&request(&log, 0, 7), &logs(), &Held::new()).unwrap();
        assert_eq!(accepted.text, crate::checkpoint::note_text(&Origin::default(), 7, &log.root()));
        assert_eq!(accepted.origin, Origin::default());
        assert_eq!(accepted.checkpoint, Checkpoint { size: 7, root: log.root() });
    }

    #[test]
    fn a_409_carries_the_size_held() {
        let log = tree(&LEAVES);
        let refusal = judge(&request(&log, 3, 7), &logs(), &held(&log, 5)).unwrap_err();
        assert_eq!(refusal.held_size(), Some(5));
        let refusal = judge(&request(&tree(&["z"; 5]), 5, 5), &logs(), &held(&log, 5)).unwrap_err();
        assert_eq!((refusal.status(), refusal.held_size()), (409, Some(5)));
    }

    /// The specification's own example body parses and prints back byte for byte.
    #[test]
    fn the_specification_example_request_round_trips() {
        let body = "old 20852014\n\
            PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n\
            jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n\
            5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n\
            /6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n\
            \n\
            example.com/behind-the-sofa\n\
            20852163\n\
            CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\
            \n\
            \u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n\
            \u{2014} example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n";
        let request = AddCheckpoint::parse(body).unwrap();
        assert_eq!(request.old, 20_852_014);
        assert_eq!(request.proof.len(), 4);
        assert!(request.note.starts_with("example.com/behind-the-sofa\n20852163\n"));
        assert_eq!(request.to_body(), body);
        // Its origin is unknown to our witness: 404, as the specification says.
        assert_eq!(judge(&request, &logs(), &Held::new()).unwrap_err().status(), 404);
    }

    #[test]
    fn malformed_bodies_are_refused_naming_the_part() {
        let check = |body: &str, part: &str| {
            let error = AddCheckpoint::parse(body).unwrap_err();
            assert_eq!(error.part, part, "{body:?}: {error}");
        };
        let note = "cloison.example/journal\n1\nAAAA\n\n\u{2014} x y\n";
        check(&format!("old 1\n{note}"), "consistency proof");
        check(&format!("old 01\n\n{note}"), "old size line");
        check(&format!("old -1\n\n{note}"), "old size line");
        check(&format!("old  1\n\n{note}"), "old size line");
        check(&format!("new 1\n\n{note}"), "old size line");
        check(&format!("old 1\nnot base64!\n\n{note}"), "consistency proof");
        check(&format!("old 1\nAAAA\n\n{note}"), "consistency proof");
        check("old 1\n\n", "checkpoint");
        check("old 1", "body");
        let many = format!("{}\n", BASE64.encode([0u8; 32])).repeat(MAX_PROOF_LINES + 1);
        check(&format!("old 1\n{many}\n{note}"), "consistency proof");
        let enough = format!("{}\n", BASE64.encode([0u8; 32])).repeat(MAX_PROOF_LINES);
        assert!(AddCheckpoint::parse(&format!("old 1\n{enough}\n{note}")).is_ok());
    }
}
