//! The tamper-evident journal of Cloison: an RFC 6962 / RFC 9162 Merkle tree log.
//!
//! Every access to personal or commercial data appends an [`Entry`]; the
//! entries are the leaves of a Merkle tree whose root the operator signs in a
//! [`SignedTreeHead`]. An ethics committee or a regulator holding the public
//! key can then check, without trusting the operator or its database, that an
//! entry is in the journal (inclusion proof) and that nothing was removed or
//! rewritten between two heads (consistency proof). The tree is exactly the one
//! of Certificate Transparency so that existing tools and test vectors apply.
//!
//! This crate is the pure core: no I/O, no clock, no randomness. Times, keys
//! and storage come in as arguments; storage is reached through
//! [`NodeSource`], which a store implements over its persisted perfect
//! subtrees (the ones [`Frontier::push`] reports).
//!
//! - [`hash`]: SHA-256, leaf and node hashing.
//! - [`tree`]: tree hash, proof generation and verification.
//! - [`frontier`]: O(log n) append state, also the streaming verifier.
//! - [`head`]: signed tree heads.
//! - [`checkpoint`]: the same heads as C2SP checkpoints (signed notes).
//! - [`cosignature`]: witnesses' `cosignature/v1` signatures and verifier keys (vkeys).
//! - [`witness`]: the `tlog-witness` request and the witness's decision.
//! - [`entry`]: the entry and its canonical encoding.
#![warn(missing_docs)]

pub mod checkpoint;
pub mod cosignature;
pub mod entry;
pub mod frontier;
pub mod hash;
pub mod head;
pub mod tree;
pub mod witness;

pub use checkpoint::{Checkpoint, DEFAULT_ORIGIN, NoteError, Origin, OriginError, open_note, sign_note};
pub use cosignature::{
    COSIGNATURE_V1_TYPE, CosignatureError, Cosigner, KeyType, VerifierKey, VerifierKeyError,
    verify_cosignature,
};
pub use entry::{Actor, BoundRow, Decision, DecodeError, EncodeError, Entry, EntryView, Salt};
pub use frontier::{CompletedNode, Frontier};
pub use hash::{Hash, HashParseError, empty_root, leaf_hash, node_hash};
pub use head::{HeadError, SignedTreeHead, TreeHead};
pub use tree::{
    MemoryTree, MissingNode, NodeSource, ProofError, VerifyError, consistency_proof, inclusion_proof,
    root_at, verify_consistency, verify_inclusion,
};
