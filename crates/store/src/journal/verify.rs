//! Verification of the whole journal: every leaf, every stored node and every signed head
//! recomputed from the stored entries in one streaming pass with O(log n) memory, naming the
//! first bad index.

use ed25519_dalek::VerifyingKey;
use journal::{Entry, Frontier, Hash, SignedTreeHead, leaf_hash};
use serde::Serialize;
use sqlx::Row;
use tokio::sync::mpsc;

use super::rows::{hash_from, signed_head_from};
use crate::local::Columns;
use crate::{Store, StoreError, corrupt};

/// Where and why verification failed: the first bad index and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("index {index}: {problem}")]
pub struct JournalFault {
    /// The first index at which the journal is not what it should be.
    pub index: u64,
    /// What is wrong there.
    pub problem: String,
}

/// A journal that verified.
#[derive(Debug, Clone, Serialize)]
pub struct Verified {
    /// Entries checked.
    pub size: u64,
    /// The recomputed root, equal to the signed one.
    pub root: Hash,
    /// Checkpoint heads checked (root, signature, consistency with the others).
    pub checkpoints: u64,
    /// Stored interior nodes checked.
    pub nodes: u64,
}

/// Verification ended: the journal is intact, or the first fault, or the database failed.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The journal was altered or is incomplete.
    #[error(transparent)]
    Fault(#[from] JournalFault),
    /// Verification could not run to the end.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn fault(index: u64, problem: impl Into<String>) -> VerifyError {
    VerifyError::Fault(JournalFault { index, problem: problem.into() })
}

impl Store {
    /// Recomputes every leaf, every stored node and every root from the stored entries, in one
    /// streaming pass with O(log n) memory, and checks every signed head against them.
    /// `progress` is called with the number of entries checked so far.
    ///
    /// The tables are read in keyset pages on one side (on SQLite, a thread of its own that
    /// also decodes each entry and hashes its leaf) and folded into the tree here, so reading
    /// and hashing overlap; at most [`PAGES_AHEAD`] pages are in memory.
    pub async fn verify_journal(
        &self,
        key: &VerifyingKey,
        progress: impl Fn(u64),
    ) -> Result<Verified, VerifyError> {
        let latest = self.journal_head().await?;
        // On SQLite, readers take pages of fixed sequence ranges in turn, each on its own
        // connection and thread, so reading and decoding use every core; the fold takes the
        // pages back in order. On PostgreSQL one reader pages by key.
        let mut pages = Vec::new();
        let mut readers = Vec::new();
        match &self.local {
            Some(local) => {
                for first in 0..SCAN_READERS {
                    let (sender, receiver) = mpsc::channel::<Result<Chunk, StoreError>>(PAGES_AHEAD);
                    let conn = local.open_scan()?;
                    pages.push(receiver);
                    readers.push(tokio::task::spawn_blocking(move || {
                        let mut page = first;
                        loop {
                            let chunk = chunk_range_local(&conn, page);
                            let last = !matches!(chunk, Ok(Chunk::Page(_)));
                            if sender.blocking_send(chunk).is_err() || last {
                                return;
                            }
                            page += SCAN_READERS;
                        }
                    }));
                }
            }
            None => {
                let (sender, receiver) = mpsc::channel::<Result<Chunk, StoreError>>(PAGES_AHEAD);
                pages.push(receiver);
                let pool = self.read.clone();
                let handle = tokio::runtime::Handle::current();
                readers.push(tokio::task::spawn_blocking(move || {
                    let mut read =
                        |lower: i64, heads_after: i64| handle.block_on(chunk_any(&pool, lower, heads_after));
                    feed(&mut read, |chunk| sender.blocking_send(chunk).is_ok());
                }));
            }
        }
        let mut turn = 0;
        let mut fold = Fold::new(key);
        let outcome = loop {
            let from = turn % pages.len();
            turn += 1;
            let Some(chunk) = pages[from].recv().await else {
                break Err(VerifyError::Store(StoreError::Journal("the journal reader stopped".into())));
            };
            match chunk {
                Err(e) => break Err(e.into()),
                Ok(Chunk::Page(page)) => {
                    let before = fold.frontier.size();
                    if let Err(e) = fold.page(page) {
                        break Err(e);
                    }
                    let after = fold.frontier.size();
                    if before / 65_536 != after / 65_536 {
                        progress(after);
                    }
                }
                Ok(Chunk::End { stray_node, stray_checkpoint }) => {
                    break fold.end(&latest, stray_node, stray_checkpoint, &progress);
                }
            }
        };
        // Dropping the receivers stops the readers at their next page.
        drop(pages);
        for reader in readers {
            let _ = reader.await;
        }
        outcome
    }
}

/// Entries per page of verification input.
const VERIFY_PAGE: i64 = 8192;
/// Pages read ahead of the fold: enough to keep both sides busy, few enough to bound memory.
const PAGES_AHEAD: usize = 2;

/// One page of verification input: entries `[lower, last]`, the nodes stored above them, and
/// the checkpoint heads whose size ends inside them.
struct Page {
    entries: Vec<PageEntry>,
    nodes: Vec<(i64, i64, Result<Hash, StoreError>)>,
    checkpoints: Vec<SignedTreeHead>,
}

/// An entry as the reader saw it: its leaf hash is computed there, so the fold only compares.
struct PageEntry {
    seq: i64,
    leaf: Hash,
    stored_leaf_matches: bool,
    /// What the decoded entry says of itself: its sequence number, or why it does not decode.
    decoded: Result<u64, String>,
}

enum Chunk {
    Page(Page),
    /// The tables ran out of entries; anything stored beyond them is a fault.
    End {
        stray_node: Option<i64>,
        stray_checkpoint: Option<u64>,
    },
}

/// Reads pages with `read` and hands them to `send` until the end, an error, or `send`
/// refuses (the fold stopped).
fn feed(
    read: &mut impl FnMut(i64, i64) -> Result<Chunk, StoreError>,
    send: impl Fn(Result<Chunk, StoreError>) -> bool,
) {
    // The first page starts below zero, so rows a DBA slipped in with negative numbers are
    // read, and reported, like any other.
    let mut lower = i64::MIN;
    let mut heads_after = 0;
    loop {
        let chunk = read(lower, heads_after);
        let next = match &chunk {
            Ok(Chunk::Page(page)) => page.entries.last().map(|e| e.seq.saturating_add(1)),
            _ => None,
        };
        if !send(chunk) {
            return;
        }
        match next {
            Some(next) => {
                lower = next;
                heads_after = next.max(0);
            }
            None => return,
        }
    }
}

fn page_entry(seq: i64, bytes: &[u8], stored_leaf: &[u8]) -> PageEntry {
    let leaf = leaf_hash(bytes);
    PageEntry {
        seq,
        stored_leaf_matches: leaf.as_bytes().as_slice() == stored_leaf,
        decoded: Entry::sequence_of(bytes).map_err(|e| e.to_string()),
        leaf,
    }
}

const PAGE_ENTRIES_SQL: &str =
    "SELECT seq, entry, leaf_hash FROM journal_entries WHERE seq >= $1 ORDER BY seq LIMIT $2";
const PAGE_NODES_SQL: &str =
    "SELECT leaf, level, hash FROM journal_nodes WHERE leaf >= $1 AND leaf <= $2 ORDER BY leaf, level";
const PAGE_HEADS_SQL: &str = "SELECT size, root, time_us, signature FROM journal_heads \
     WHERE size > $1 AND size <= $2 ORDER BY size";
const STRAY_NODE_SQL: &str = "SELECT leaf FROM journal_nodes WHERE leaf >= $1 ORDER BY leaf LIMIT 1";
const STRAY_HEAD_SQL: &str = "SELECT size FROM journal_heads WHERE size > $1 ORDER BY size LIMIT 1";

/// Readers of a SQLite journal during verification.
const SCAN_READERS: i64 = 2;

/// Page `page` of the sequence numbers, `[page × VERIFY_PAGE, (page + 1) × VERIFY_PAGE)`, the
/// first one open below so rows a DBA slipped in with negative numbers are read (and
/// reported) too. An empty range is the end only if no entry follows it: a deleted run of
/// entries is an empty page, which the fold reports as missing entries.
fn chunk_range_local(conn: &rusqlite::Connection, page: i64) -> Result<Chunk, StoreError> {
    let from = if page == 0 { i64::MIN } else { page * VERIFY_PAGE };
    let to = (page + 1) * VERIFY_PAGE;
    let heads_after = from.max(0);
    let mut entries = Vec::with_capacity(VERIFY_PAGE as usize);
    {
        let mut statement = conn.prepare_cached(
            "SELECT seq, entry, leaf_hash FROM journal_entries WHERE seq >= ?1 AND seq < ?2 ORDER BY seq",
        )?;
        let mut rows = statement.query([from, to])?;
        while let Some(row) = rows.next()? {
            let bytes = row.get_ref(1)?.as_blob()?;
            let stored = row.get_ref(2)?.as_blob()?;
            entries.push(page_entry(row.get(0)?, bytes, stored));
        }
    }
    if entries.is_empty() {
        let beyond: Option<i64> = conn
            .prepare_cached("SELECT seq FROM journal_entries WHERE seq >= ?1 ORDER BY seq LIMIT 1")?
            .query([to])?
            .next()?
            .map(|r| r.get(0))
            .transpose()?;
        if beyond.is_none() {
            let stray_node: Option<i64> =
                conn.prepare_cached(STRAY_NODE_SQL)?.query([from])?.next()?.map(|r| r.get(0)).transpose()?;
            let stray_head: Option<i64> = conn
                .prepare_cached(STRAY_HEAD_SQL)?
                .query([heads_after])?
                .next()?
                .map(|r| r.get(0))
                .transpose()?;
            return Ok(Chunk::End { stray_node, stray_checkpoint: stray_head.map(|s| s as u64) });
        }
    }
    let mut nodes = Vec::with_capacity(entries.len() + 64);
    {
        let mut statement = conn.prepare_cached(
            "SELECT leaf, level, hash FROM journal_nodes WHERE leaf >= ?1 AND leaf < ?2 ORDER BY leaf, level",
        )?;
        let mut rows = statement.query([from, to])?;
        while let Some(row) = rows.next()? {
            nodes.push((row.get(0)?, row.get(1)?, hash_from_slice(row.get_ref(2)?.as_blob()?, "node")));
        }
    }
    let mut checkpoints = Vec::new();
    {
        let mut statement = conn.prepare_cached(PAGE_HEADS_SQL)?;
        let mut rows = statement.query([heads_after, to])?;
        while let Some(row) = rows.next()? {
            checkpoints.push(signed_head_from(row)?);
        }
    }
    Ok(Chunk::Page(Page { entries, nodes, checkpoints }))
}

async fn chunk_any(pool: &sqlx::AnyPool, lower: i64, heads_after: i64) -> Result<Chunk, StoreError> {
    let rows = sqlx::query(PAGE_ENTRIES_SQL).bind(lower).bind(VERIFY_PAGE).fetch_all(pool).await?;
    let mut entries = Vec::with_capacity(rows.len());
    for row in &rows {
        let bytes: &[u8] = row.try_get("entry")?;
        let stored: &[u8] = row.try_get("leaf_hash")?;
        entries.push(page_entry(row.try_get("seq")?, bytes, stored));
    }
    let Some(last) = entries.last().map(|e| e.seq) else {
        let stray_node: Option<i64> =
            sqlx::query_scalar(STRAY_NODE_SQL).bind(lower).fetch_optional(pool).await?;
        let stray_head: Option<i64> =
            sqlx::query_scalar(STRAY_HEAD_SQL).bind(heads_after).fetch_optional(pool).await?;
        return Ok(Chunk::End { stray_node, stray_checkpoint: stray_head.map(|s| s as u64) });
    };
    let nodes = sqlx::query(PAGE_NODES_SQL)
        .bind(lower)
        .bind(last)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| Ok((row.int("leaf")?, row.int("level")?, hash_from(row.blob("hash")?, "node"))))
        .collect::<Result<Vec<_>, StoreError>>()?;
    let checkpoints = sqlx::query(PAGE_HEADS_SQL)
        .bind(heads_after)
        .bind(last.saturating_add(1))
        .fetch_all(pool)
        .await?
        .iter()
        .map(signed_head_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Chunk::Page(Page { entries, nodes, checkpoints }))
}

fn hash_from_slice(bytes: &[u8], what: &str) -> Result<Hash, StoreError> {
    <[u8; 32]>::try_from(bytes).map(Hash::from_bytes).map_err(|_| corrupt(format!("{what} is not 32 bytes")))
}

/// The verifier's state between pages: the recomputed tree's frontier and what was checked.
struct Fold<'k> {
    key: &'k VerifyingKey,
    frontier: Frontier,
    completed: Vec<(u8, u64, Hash)>,
    checkpoints: u64,
    nodes: u64,
}

impl<'k> Fold<'k> {
    fn new(key: &'k VerifyingKey) -> Fold<'k> {
        Fold { key, frontier: Frontier::new(), completed: Vec::with_capacity(64), checkpoints: 0, nodes: 0 }
    }

    fn page(&mut self, page: Page) -> Result<(), VerifyError> {
        let mut nodes = page.nodes.into_iter().peekable();
        let mut checkpoints = page.checkpoints.into_iter().peekable();
        for entry in page.entries {
            let expected = self.frontier.size();
            if entry.seq != expected as i64 {
                return Err(fault(
                    expected,
                    format!("entry {expected} is missing (the next stored entry is {})", entry.seq),
                ));
            }
            let seq = expected;
            match entry.decoded {
                Err(e) => return Err(fault(seq, format!("entry does not decode: {e}"))),
                Ok(said) if said != seq => {
                    return Err(fault(seq, format!("entry says it is number {said}")));
                }
                Ok(_) => {}
            }
            if !entry.stored_leaf_matches {
                return Err(fault(seq, "the stored leaf hash does not match the entry's bytes"));
            }
            let completed = &mut self.completed;
            completed.clear();
            self.frontier.push_with(entry.leaf, |level, index, hash| {
                if level > 0 {
                    completed.push((level, index, hash));
                }
            });
            for &(level, index, hash) in &self.completed {
                let first = index << level;
                let last = ((index + 1) << level) - 1;
                match nodes.next() {
                    Some((leaf, stored_level, stored_hash))
                        if leaf == seq as i64 && stored_level == i64::from(level) =>
                    {
                        if stored_hash? != hash {
                            return Err(fault(
                                first,
                                format!(
                                    "entries {first} to {last} do not hash to the stored tree node above them \
                                     (level {level}): one of them, or the node, was altered"
                                ),
                            ));
                        }
                        self.nodes += 1;
                    }
                    Some((leaf, stored_level, _))
                        if leaf < seq as i64 || (leaf == seq as i64 && stored_level < i64::from(level)) =>
                    {
                        return Err(fault(
                            leaf.max(0) as u64,
                            format!("a stored tree node (level {stored_level}) has no entries under it"),
                        ));
                    }
                    _ => {
                        return Err(fault(
                            first,
                            format!(
                                "the stored tree node above entries {first} to {last} (level {level}) is missing"
                            ),
                        ));
                    }
                }
            }
            let size = self.frontier.size();
            while let Some(head) = checkpoints.next_if(|h| h.head.size == size) {
                check_head(&head, &self.frontier, self.key, "checkpoint head")?;
                self.checkpoints += 1;
            }
        }
        if let Some((leaf, level, _)) = nodes.next() {
            return Err(fault(
                leaf.max(0) as u64,
                format!("a stored tree node (level {level}) has no entries under it"),
            ));
        }
        if let Some(head) = checkpoints.next() {
            let size = self.frontier.size();
            return Err(fault(
                size,
                format!("a checkpoint head signs {} entries but only {size} are stored", head.head.size),
            ));
        }
        Ok(())
    }

    fn end(
        self,
        latest: &SignedTreeHead,
        stray_node: Option<i64>,
        stray_checkpoint: Option<u64>,
        progress: &impl Fn(u64),
    ) -> Result<Verified, VerifyError> {
        let size = self.frontier.size();
        progress(size);
        if let Some(signed) = stray_checkpoint {
            return Err(fault(
                size,
                format!("a checkpoint head signs {signed} entries but only {size} are stored"),
            ));
        }
        if let Some(leaf) = stray_node {
            return Err(fault(leaf.max(0) as u64, "a stored tree node has no entries under it"));
        }
        if latest.head.size > size {
            return Err(fault(
                size,
                format!("the signed head covers {} entries but only {size} are stored", latest.head.size),
            ));
        }
        if latest.head.size < size {
            return Err(fault(
                latest.head.size,
                format!("entries {} to {} are not covered by the signed head", latest.head.size, size - 1),
            ));
        }
        check_head(latest, &self.frontier, self.key, "the signed head")?;
        Ok(Verified { size, root: self.frontier.root(), checkpoints: self.checkpoints, nodes: self.nodes })
    }
}

fn check_head(
    head: &SignedTreeHead,
    frontier: &Frontier,
    key: &VerifyingKey,
    what: &str,
) -> Result<(), VerifyError> {
    let size = head.head.size;
    let index = size.saturating_sub(1);
    if head.head.root != frontier.root() {
        return Err(fault(index, format!("{what} at size {size} has another root than the entries give")));
    }
    head.verify(key).map_err(|e| fault(index, format!("{what} at size {size}: {e}")))?;
    Ok(())
}
