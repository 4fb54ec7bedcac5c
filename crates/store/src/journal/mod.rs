//! The journal in the database: group-committed appends, proofs, search and verification.
//!
//! Storage: entries with their leaf hashes, and every perfect subtree hash of level ≥ 1 keyed
//! by the leaf that completed it, so a proof reads O(log n) rows by key and a verifier streams
//! entries and nodes side by side in one pass with O(log n) memory. The signed head of the
//! whole journal is rewritten by every commit (an entry slipped in later is covered by no
//! signature); checkpoint heads are kept append-only every ten seconds, every million entries
//! and on demand. Tables refuse UPDATE and DELETE in the database.
//!
//! One module per job: [`writer`] (the group-commit writer and the [`Command`]s it runs),
//! `batch` (what one batch appends and the heads it ends with), `sqlite_commit` (the SQLite
//! path of entries alone, and the WAL checkpointer), `rows` (stored hashes and heads), `heads`
//! (signed heads and checkpoints), `nodes` (tree nodes, proofs, the frontier), `search`
//! (entries by index, subject, actor and period) and `verify` (the whole journal against its
//! heads). Only the writer writes; it knows no capability's tables, only the journal's.

mod batch;
mod heads;
mod nodes;
mod rows;
mod search;
mod sqlite_commit;
mod verify;
pub mod writer;

use ed25519_dalek::SigningKey;

use crate::MasterKey;

pub(crate) use heads::initialise;
pub use search::{JournalQuery, StoredEntry};
pub use verify::{JournalFault, Verified, VerifyError};
pub(crate) use writer::WriterHandle;
pub use writer::{Command, Committed, Done, Ticket};

/// The keys a store works with: two secrets, held apart.
///
/// Neither is derived from the other. The seal key belongs to the application, which must read
/// personal data; the journal key signs what the application did, so whoever holds the seal
/// key (a stolen key file, a compromised application host) must not also be able to truncate
/// the journal and sign it again. An earlier version derived the journal key from the seal key
/// to spare a newcomer a second secret, which made one stolen file enough for both.
#[derive(Clone)]
pub struct Keys {
    /// Seals personal data at rest.
    pub seal: MasterKey,
    /// Signs the journal's tree heads.
    pub journal: SigningKey,
}

impl Keys {
    /// The two keys, each loaded from its own source.
    pub fn new(seal: MasterKey, journal: SigningKey) -> Keys {
        Keys { seal, journal }
    }

    /// Two fresh keys, drawn independently from the operating system's generator: a new
    /// installation's, or a test's or benchmark's that keeps no files.
    pub fn generate() -> Keys {
        Keys { seal: MasterKey::generate(), journal: SigningKey::generate(&mut rand::rngs::OsRng) }
    }
}
