//! What one batch of the writer appends, whichever connection inserts it: entries given
//! their sequence numbers, encoded and leaf-hashed, with the tree nodes their appends
//! completed; and the heads the batch ends with.

use std::ops::Range;
use std::time::Duration;

use ed25519_dalek::SigningKey;
use jiff::Timestamp;
use journal::{Entry, Frontier, Hash, SignedTreeHead, TreeHead, leaf_hash};

use super::nodes::completing_leaf;
use crate::StoreError;
use crate::bound::fresh_salt;

/// Checkpoint heads are kept at least this often while entries arrive.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(10);
/// …and at least every this many entries.
const CHECKPOINT_ENTRIES: u64 = 1_000_000;

/// Entries given their sequence numbers, encoded and leaf-hashed, with the tree nodes their
/// appends completed: what one batch inserts, whichever connection inserts it.
#[derive(Default)]
pub(super) struct Appended {
    pub(super) rows: Vec<EntryRow>,
    pub(super) nodes: Vec<(i64, i64, Hash)>,
}

impl Appended {
    /// Appends `entries` to `frontier` in order; returns their sequence numbers. Entries
    /// alone (reads, refusals) are numbered here and given a salt; a command's entries come
    /// from its slots ([`crate::WriteTx::slot`]), numbered and salted already, and must
    /// fall exactly where their rows said they would, or the batch fails.
    pub(super) fn push(
        &mut self,
        frontier: &mut Frontier,
        entries: Vec<Entry>,
        from_slots: bool,
    ) -> Result<Range<u64>, StoreError> {
        let first = frontier.size();
        for mut entry in entries {
            if from_slots {
                if entry.sequence != frontier.size() || entry.salt.is_none() {
                    return Err(StoreError::Journal(format!(
                        "a command returned an entry for place {} where the journal is at {}: \
                         each entry must fill the command's next slot, in order",
                        entry.sequence,
                        frontier.size()
                    )));
                }
            } else {
                entry.sequence = frontier.size();
                if entry.salt.is_none() {
                    entry.salt = Some(fresh_salt());
                }
            }
            let bytes =
                entry.encode().map_err(|e| StoreError::Journal(format!("entry cannot be encoded: {e}")))?;
            let leaf = leaf_hash(&bytes);
            let nodes = &mut self.nodes;
            frontier.push_with(leaf, |level, index, hash| {
                if level > 0 {
                    nodes.push((completing_leaf(level, index) as i64, i64::from(level), hash));
                }
            });
            self.rows.push(EntryRow {
                seq: entry.sequence as i64,
                time_us: entry.time_micros,
                actor: entry.actor.party_id,
                action: entry.action,
                bytes,
                leaf,
                subjects: entry.subjects,
            });
        }
        Ok(first..frontier.size())
    }
}

/// The heads a batch ends with: the new signed head, whether the stored latest head must be
/// rewritten, and whether a checkpoint is due (with the time it is taken).
pub(super) struct Closing {
    pub(super) head: SignedTreeHead,
    pub(super) rewrite_latest: bool,
    pub(super) checkpoint_due: bool,
    pub(super) now: i64,
}

impl Closing {
    pub(super) fn new(
        key: &SigningKey,
        frontier: &Frontier,
        stored_size: u64,
        force_checkpoint: bool,
        checkpoint: Option<(u64, i64)>,
    ) -> Closing {
        let now = Timestamp::now().as_microsecond();
        let head = TreeHead { size: frontier.size(), root: frontier.root(), time_micros: now }.sign(key);
        let (checkpoint_size, checkpoint_time) = checkpoint.unwrap_or((0, 0));
        let checkpoint_due = head.head.size > checkpoint_size
            && (force_checkpoint
                || head.head.size - checkpoint_size >= CHECKPOINT_ENTRIES
                || now - checkpoint_time >= CHECKPOINT_EVERY.as_micros() as i64);
        Closing {
            rewrite_latest: head.head.size != stored_size || force_checkpoint,
            head,
            checkpoint_due,
            now,
        }
    }
}

/// One entry's rows, ready to insert.
pub(super) struct EntryRow {
    pub(super) seq: i64,
    pub(super) time_us: i64,
    pub(super) actor: String,
    pub(super) action: String,
    pub(super) bytes: Vec<u8>,
    pub(super) leaf: Hash,
    pub(super) subjects: Vec<String>,
}
