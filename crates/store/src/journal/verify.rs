//! Verification of the whole journal: every leaf, every stored node and every signed head
//! recomputed from the stored entries in one streaming pass with O(log n) memory, naming the
//! first bad index; and beside each entry, what the database keeps about it: its searchable
//! columns and subject index rows recomputed from its bytes, and every business row it bound
//! (`bound.rs`) recomputed from the tables, so an edited, deleted or slipped-in row or index
//! row is named by its table and key.

use std::ops::Range;

use ed25519_dalek::VerifyingKey;
use journal::{Entry, EntryView, Frontier, Hash, SignedTreeHead, leaf_hash};
use serde::Serialize;
use sqlx::Row;
use tokio::sync::mpsc;

use super::rows::{hash_from, signed_head_from};
use crate::bound::{Positional, TABLES, Table, row_digest};
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
    /// Business rows checked against the entries that wrote them.
    pub rows: u64,
    /// Subject index rows checked against their entries.
    pub subjects: u64,
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
                        // One set of row buffers per reader, reused page after page.
                        let mut beside = Beside::default();
                        loop {
                            let chunk = chunk_range_local(&conn, page, &mut beside);
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
                Ok(Chunk::End { stray_node, stray_checkpoint, stray_row }) => {
                    break fold.end(&latest, stray_node, stray_checkpoint, stray_row, &progress);
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
    /// A bound row or subject index row in the page's range naming an entry the page does
    /// not hold: its entry number and what it is.
    orphan: Option<(i64, String)>,
    /// Bound rows and subject index rows read.
    rows: u64,
    subjects: u64,
}

/// An entry as the reader saw it: its leaf hash is computed there, so the fold only compares.
struct PageEntry {
    seq: i64,
    leaf: Hash,
    stored_leaf_matches: bool,
    /// What the decoded entry says of itself: its sequence number, or why it does not decode.
    decoded: Result<u64, String>,
    /// The first difference between the entry and what the database keeps beside it (its
    /// searchable columns, its subject index rows, the rows it bound), if any.
    binding: Option<String>,
}

enum Chunk {
    Page(Page),
    /// The tables ran out of entries; anything stored beyond them is a fault.
    End {
        stray_node: Option<i64>,
        stray_checkpoint: Option<u64>,
        /// A bound row naming no entry, or one beyond the last: what it is.
        stray_row: Option<String>,
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

/// What the database keeps beside one entry: its searchable columns.
struct Searchable<'a> {
    time_us: i64,
    actor: &'a str,
    action: &'a str,
}

fn page_entry(
    seq: i64,
    bytes: &[u8],
    stored_leaf: &[u8],
    searchable: Searchable<'_>,
    beside: &mut Beside,
) -> PageEntry {
    let leaf = leaf_hash(bytes);
    let (decoded, binding) = match Entry::view(bytes) {
        Ok(mut view) => {
            let binding = beside.check(seq, &mut view, &searchable);
            (Ok(view.sequence), binding)
        }
        Err(e) => (Err(e.to_string()), None),
    };
    PageEntry { seq, stored_leaf_matches: leaf.as_bytes().as_slice() == stored_leaf, decoded, leaf, binding }
}

/// A subject index row as read back: the entry it names, its subject (a range of
/// [`Beside::subject_text`]) and its time.
struct SubjectRow {
    seq: i64,
    subject: Range<usize>,
    time_us: i64,
}

/// A bound row as read back: the entry it names, its key and its encoding (ranges of
/// [`Beside::keys`] and [`Beside::encodings`]).
struct SeenRow {
    seq: i64,
    key: Range<usize>,
    encoding: Range<usize>,
}

/// One table's rows in [`Beside::rows`], and how far checking has consumed them.
struct TableRows {
    table: &'static str,
    rows: Range<usize>,
    /// The first row not yet consumed.
    next: usize,
    /// The rows of the entry being checked.
    group: Range<usize>,
}

/// The subject index rows and bound rows of one page, in the order of the entries they name,
/// consumed entry by entry as the page's entries are checked.
///
/// Each row's text lives in a page-wide arena rather than in a `String` or `Vec` of its own:
/// one allocation per row was a tenth of verification's time. The bound rows stay grouped by
/// table, each table in entry order, rather than being sorted together: the tables taken in
/// name order give the `(table, key)` order an entry lists its rows in, and SQLite already
/// returns each table in entry order, so only an entry's several rows of one table are sorted.
#[derive(Default)]
struct Beside {
    subjects: Vec<SubjectRow>,
    subject_text: String,
    next_subject: usize,
    rows: Vec<SeenRow>,
    keys: String,
    encodings: Vec<u8>,
    /// By table name once [`Beside::order`] ran.
    tables: Vec<TableRows>,
    /// Entries whose rows were skipped because they came before the next one checked.
    orphan: Option<(i64, String)>,
}

impl Beside {
    fn push_subject(&mut self, seq: i64, subject: &str, time_us: i64) {
        let start = self.subject_text.len();
        self.subject_text.push_str(subject);
        self.subjects.push(SubjectRow { seq, subject: start..self.subject_text.len(), time_us });
    }

    /// Adds a row of `table`; a table's rows come in one run, before or after another
    /// table's, never interleaved with them.
    fn push_row(&mut self, table: &Table, seq: i64, row: &impl Positional) -> Result<(), StoreError> {
        let (key, encoding) = (self.keys.len(), self.encodings.len());
        table.encode_into(row, &mut self.keys, &mut self.encodings)?;
        let at = self.rows.len();
        self.rows.push(SeenRow { seq, key: key..self.keys.len(), encoding: encoding..self.encodings.len() });
        match self.tables.last_mut() {
            Some(current) if current.table == table.name => current.rows.end = at + 1,
            _ => self.tables.push(TableRows { table: table.name, rows: at..at + 1, next: at, group: at..at }),
        }
        Ok(())
    }

    /// Puts the rows in the order checking consumes them: the subjects by entry and subject,
    /// each table's rows by entry and key (equal ones in the order read), the tables by name.
    /// What is already in order (all of it from SQLite, but an entry's several rows of one
    /// table) is only checked, not sorted.
    fn order(&mut self) {
        let text = &self.subject_text;
        let subject = |row: &SubjectRow| (row.seq, &text[row.subject.clone()]);
        if !self.subjects.is_sorted_by(|a, b| subject(a) <= subject(b)) {
            self.subjects.sort_by(|a, b| subject(a).cmp(&subject(b)));
        }
        let keys = &self.keys;
        let by_key = |a: &SeenRow, b: &SeenRow| keys[a.key.clone()].cmp(&keys[b.key.clone()]);
        for table in &self.tables {
            let rows = &mut self.rows[table.rows.clone()];
            if rows.is_sorted_by_key(|row| row.seq) {
                for group in rows.chunk_by_mut(|a, b| a.seq == b.seq).filter(|group| group.len() > 1) {
                    group.sort_by(by_key);
                }
            } else {
                rows.sort_by(|a, b| a.seq.cmp(&b.seq).then_with(|| by_key(a, b)));
            }
        }
        self.tables.sort_by_key(|table| table.table);
    }

    /// Skips rows naming entries before `seq` (none should: the page holds every entry of its
    /// range), remembering the first as an orphan: a subject row before a bound row, bound
    /// rows in `(entry, table, key)` order.
    fn skip_before(&mut self, seq: i64) {
        while let Some(row) = self.subjects.get(self.next_subject) {
            if row.seq >= seq {
                break;
            }
            let subject = &self.subject_text[row.subject.clone()];
            self.orphan.get_or_insert_with(|| (row.seq, format!("the subject index row {subject:?}")));
            self.next_subject += 1;
        }
        // Each table's first skipped row is its least; the tables go by name.
        let mut first: Option<(&str, &SeenRow)> = None;
        for table in &mut self.tables {
            let from = table.next;
            while table.next < table.rows.end && self.rows[table.next].seq < seq {
                table.next += 1;
            }
            if table.next > from && first.is_none_or(|(_, row)| self.rows[from].seq < row.seq) {
                first = Some((table.table, &self.rows[from]));
            }
        }
        if let Some((table, row)) = first {
            let key = &self.keys[row.key.clone()];
            self.orphan.get_or_insert_with(|| (row.seq, format!("table {table}, key {key}")));
        }
    }

    /// The first difference between entry `seq` and what the database keeps beside it.
    fn check(&mut self, seq: i64, view: &mut EntryView<'_>, searchable: &Searchable<'_>) -> Option<String> {
        self.skip_before(seq);
        let subjects_from = self.next_subject;
        while self.subjects.get(self.next_subject).is_some_and(|s| s.seq == seq) {
            self.next_subject += 1;
        }
        for table in &mut self.tables {
            let from = table.next;
            while table.next < table.rows.end && self.rows[table.next].seq == seq {
                table.next += 1;
            }
            table.group = from..table.next;
        }
        if searchable.time_us != view.time_micros {
            return Some(format!(
                "its searchable time column says {} where the entry says {}",
                searchable.time_us, view.time_micros
            ));
        }
        if searchable.actor != view.party_id {
            return Some(format!(
                "its searchable actor column says {:?} where the entry says {:?}",
                searchable.actor, view.party_id
            ));
        }
        if searchable.action != view.action {
            return Some(format!(
                "its searchable action column says {:?} where the entry says {:?}",
                searchable.action, view.action
            ));
        }
        view.subjects.sort_unstable();
        view.subjects.dedup();
        let text = &self.subject_text;
        let mut stored = self.subjects[subjects_from..self.next_subject]
            .iter()
            .map(|row| (&text[row.subject.clone()], row.time_us))
            .peekable();
        for &subject in &view.subjects {
            match stored.peek() {
                Some(&(s, time)) if s == subject => {
                    if time != view.time_micros {
                        return Some(format!("its subject index row {subject:?} has another time"));
                    }
                    stored.next();
                }
                Some(&(s, _)) if s < subject => {
                    return Some(format!("the subject index row {s:?} is not one of its subjects"));
                }
                _ => return Some(format!("the subject index row {subject:?} is missing")),
            }
        }
        if let Some((s, _)) = stored.next() {
            return Some(format!("the subject index row {s:?} is not one of its subjects"));
        }
        view.rows.sort_unstable();
        let keys = &self.keys;
        let rows = &self.rows;
        let mut seen = self
            .tables
            .iter()
            .flat_map(|table| rows[table.group.clone()].iter().map(|row| (table.table, row)))
            .map(|(table, row)| (table, &keys[row.key.clone()], row))
            .peekable();
        for (table, key, digest) in &view.rows {
            match seen.peek() {
                Some(&(t, k, row)) if (t, k) == (*table, *key) => {
                    let salt = view.salt.as_ref()?;
                    if row_digest(salt, &self.encodings[row.encoding.clone()]).as_bytes() != digest {
                        return Some(format!(
                            "table {table}, key {key}: the row is not the one the entry bound (altered)"
                        ));
                    }
                    seen.next();
                }
                Some(&(t, k, _)) if (t, k) < (*table, *key) => {
                    return Some(format!(
                        "table {t}, key {k}: a row names this entry, which does not bind it"
                    ));
                }
                _ => return Some(format!("table {table}, key {key}: the row the entry bound is missing")),
            }
        }
        if let Some((t, k, _)) = seen.next() {
            return Some(format!("table {t}, key {k}: a row names this entry, which does not bind it"));
        }
        None
    }

    /// After the page's last entry: any row left names an entry the page does not hold.
    fn finish(&mut self) -> (Option<(i64, String)>, u64, u64) {
        self.skip_before(i64::MAX);
        (self.orphan.take(), self.rows.len() as u64, self.subjects.len() as u64)
    }

    /// Empties it for the next page and keeps its buffers: a page's buffers are large enough
    /// that the allocator maps fresh memory for each page, and faults it in again.
    fn clear(&mut self) {
        let Beside { subjects, subject_text, next_subject, rows, keys, encodings, tables, orphan } = self;
        subjects.clear();
        subject_text.clear();
        *next_subject = 0;
        rows.clear();
        keys.clear();
        encodings.clear();
        tables.clear();
        *orphan = None;
    }
}

fn orphan_fault((seq, what): (i64, String)) -> VerifyError {
    fault(seq.max(0) as u64, format!("{what} names entry {seq}, which is not in the journal"))
}

const PAGE_ENTRIES_SQL: &str = "SELECT seq, entry, leaf_hash, time_us, actor, action FROM journal_entries \
     WHERE seq >= $1 ORDER BY seq LIMIT $2";
const PAGE_SUBJECTS_SQL: &str =
    "SELECT seq, subject, time_us FROM journal_subjects WHERE seq >= $1 AND seq <= $2";
const STRAY_SUBJECT_SQL: &str =
    "SELECT seq, subject FROM journal_subjects WHERE seq >= $1 ORDER BY seq LIMIT 1";
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
fn chunk_range_local(
    conn: &rusqlite::Connection,
    page: i64,
    beside: &mut Beside,
) -> Result<Chunk, StoreError> {
    let from = if page == 0 { i64::MIN } else { page * VERIFY_PAGE };
    let to = (page + 1) * VERIFY_PAGE;
    let heads_after = from.max(0);
    // One read transaction: the page's entries and what is kept beside them, as of one moment.
    let snapshot = conn.unchecked_transaction()?;
    let conn: &rusqlite::Connection = &snapshot;
    // Subjects in index order and each table in `journal_seq` order, as `Beside` consumes
    // them: the covering index and the tables' `journal_seq` indexes give that order without
    // a sort.
    beside.clear();
    {
        let mut statement = conn.prepare_cached(
            "SELECT seq, subject, time_us FROM journal_subjects WHERE seq >= ?1 AND seq < ?2 \
             ORDER BY seq, subject",
        )?;
        let mut rows = statement.query([from, to])?;
        while let Some(row) = rows.next()? {
            beside.push_subject(row.get(0)?, row.get_ref(1)?.as_str()?, row.get(2)?);
        }
        for table in TABLES {
            let mut statement = conn.prepare_cached(&format!(
                "{} AND journal_seq >= ?1 AND journal_seq < ?2 ORDER BY journal_seq",
                table.select()
            ))?;
            let mut rows = statement.query([from, to])?;
            while let Some(row) = rows.next()? {
                beside.push_row(table, row.get(table.columns.len())?, row)?;
            }
        }
        beside.order();
    }
    let mut entries = Vec::with_capacity(VERIFY_PAGE as usize);
    {
        let mut statement = conn.prepare_cached(
            "SELECT seq, entry, leaf_hash, time_us, actor, action FROM journal_entries \
             WHERE seq >= ?1 AND seq < ?2 ORDER BY seq",
        )?;
        let mut rows = statement.query([from, to])?;
        while let Some(row) = rows.next()? {
            let bytes = row.get_ref(1)?.as_blob()?;
            let stored = row.get_ref(2)?.as_blob()?;
            let searchable = Searchable {
                time_us: row.get(3)?,
                actor: row.get_ref(4)?.as_str()?,
                action: row.get_ref(5)?.as_str()?,
            };
            entries.push(page_entry(row.get(0)?, bytes, stored, searchable, beside));
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
            let mut stray_row = None;
            for table in TABLES {
                let mut statement = conn.prepare_cached(&format!(
                    "{} AND (journal_seq IS NULL OR journal_seq >= ?1) LIMIT 1",
                    table.select()
                ))?;
                let mut rows = statement.query([from])?;
                if let Some(row) = rows.next()? {
                    stray_row = Some(stray(table, table.encode(row)?.0, row.get(table.columns.len())?));
                    break;
                }
            }
            if stray_row.is_none() {
                let mut statement = conn.prepare_cached(STRAY_SUBJECT_SQL)?;
                let mut rows = statement.query([from])?;
                if let Some(row) = rows.next()? {
                    stray_row = Some(stray_subject(row.get(0)?, row.get(1)?));
                }
            }
            return Ok(Chunk::End { stray_node, stray_checkpoint: stray_head.map(|s| s as u64), stray_row });
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
    let (orphan, rows, subjects) = beside.finish();
    Ok(Chunk::Page(Page { entries, nodes, checkpoints, orphan, rows, subjects }))
}

/// A bound row that no entry binds (`journal_seq` NULL) or that names an entry beyond the
/// journal's last.
fn stray(table: &Table, key: String, seq: Option<i64>) -> String {
    match seq {
        None => format!("table {}, key {}: a row no journal entry binds", table.name, key),
        Some(seq) => {
            format!("table {}, key {}: a row names entry {seq}, which is not in the journal", table.name, key)
        }
    }
}

fn stray_subject(seq: i64, subject: String) -> String {
    format!("the subject index row {subject:?} names entry {seq}, which is not in the journal")
}

async fn chunk_any(pool: &sqlx::AnyPool, lower: i64, heads_after: i64) -> Result<Chunk, StoreError> {
    let rows = sqlx::query(PAGE_ENTRIES_SQL).bind(lower).bind(VERIFY_PAGE).fetch_all(pool).await?;
    let Some(last) = rows.last().map(|r| r.try_get::<i64, _>("seq")).transpose()? else {
        let stray_node: Option<i64> =
            sqlx::query_scalar(STRAY_NODE_SQL).bind(lower).fetch_optional(pool).await?;
        let stray_head: Option<i64> =
            sqlx::query_scalar(STRAY_HEAD_SQL).bind(heads_after).fetch_optional(pool).await?;
        let mut stray_row = None;
        for table in TABLES {
            let sql = format!("{} AND (journal_seq IS NULL OR journal_seq >= $1) LIMIT 1", table.select());
            if let Some(row) = sqlx::query(&sql).bind(lower).fetch_optional(pool).await? {
                stray_row = Some(stray(table, table.encode(&row)?.0, row.try_get(table.columns.len())?));
                break;
            }
        }
        if stray_row.is_none() {
            if let Some(row) = sqlx::query(STRAY_SUBJECT_SQL).bind(lower).fetch_optional(pool).await? {
                stray_row = Some(stray_subject(row.try_get("seq")?, row.try_get("subject")?));
            }
        }
        return Ok(Chunk::End { stray_node, stray_checkpoint: stray_head.map(|s| s as u64), stray_row });
    };
    let mut beside = Beside::default();
    for row in sqlx::query(PAGE_SUBJECTS_SQL).bind(lower).bind(last).fetch_all(pool).await? {
        beside.push_subject(row.try_get("seq")?, row.try_get("subject")?, row.try_get("time_us")?);
    }
    for table in TABLES {
        let sql = format!("{} AND journal_seq >= $1 AND journal_seq <= $2", table.select());
        for row in sqlx::query(&sql).bind(lower).bind(last).fetch_all(pool).await? {
            beside.push_row(table, row.try_get(table.columns.len())?, &row)?;
        }
    }
    beside.order();
    let mut entries = Vec::with_capacity(rows.len());
    for row in &rows {
        let bytes: &[u8] = row.try_get("entry")?;
        let stored: &[u8] = row.try_get("leaf_hash")?;
        let searchable = Searchable {
            time_us: row.try_get("time_us")?,
            actor: row.try_get("actor")?,
            action: row.try_get("action")?,
        };
        entries.push(page_entry(row.try_get("seq")?, bytes, stored, searchable, &mut beside));
    }
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
    let (orphan, rows, subjects) = beside.finish();
    Ok(Chunk::Page(Page { entries, nodes, checkpoints, orphan, rows, subjects }))
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
    rows: u64,
    subjects: u64,
}

impl<'k> Fold<'k> {
    fn new(key: &'k VerifyingKey) -> Fold<'k> {
        Fold {
            key,
            frontier: Frontier::new(),
            completed: Vec::with_capacity(64),
            checkpoints: 0,
            nodes: 0,
            rows: 0,
            subjects: 0,
        }
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
            if let Some(problem) = entry.binding {
                return Err(fault(seq, problem));
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
        if let Some(orphan) = page.orphan {
            return Err(orphan_fault(orphan));
        }
        self.rows += page.rows;
        self.subjects += page.subjects;
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
        stray_row: Option<String>,
        progress: &impl Fn(u64),
    ) -> Result<Verified, VerifyError> {
        let size = self.frontier.size();
        progress(size);
        if let Some(problem) = stray_row {
            return Err(fault(size, problem));
        }
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
        Ok(Verified {
            size,
            root: self.frontier.root(),
            checkpoints: self.checkpoints,
            nodes: self.nodes,
            rows: self.rows,
            subjects: self.subjects,
        })
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

#[cfg(test)]
mod tests {
    //! [`Beside`] against a reference model: the sort-everything check it replaced, written
    //! here again, over random entries and random stored rows, read in SQLite's order (each
    //! table by entry) and in any order (PostgreSQL's, unordered).

    use journal::{Actor, BoundRow, Decision, Salt};
    use proptest::prelude::*;

    use super::*;
    use crate::bound::{Kind, SETTINGS, TOKEN_REVOCATIONS, Value};

    /// Read in this order, so the name order of the check differs from the order of reading.
    const READ: [&Table; 2] = [&TOKEN_REVOCATIONS, &SETTINGS];
    const KEYS: [&str; 3] = ["a", "b", "c"];
    const SUBJECTS: [&str; 3] = ["x", "y", "z"];
    const TIME: i64 = 1_000;

    /// A bound row as a table holds it: key and a second column (a blob in `meta`, an integer
    /// in `token_revocations`).
    struct TestRow<'a>(&'a str, i64);

    impl Positional for TestRow<'_> {
        fn value(
            &self,
            index: usize,
            kind: Kind,
            visit: &mut dyn FnMut(Value<'_>),
        ) -> Result<(), StoreError> {
            let bytes = self.1.to_be_bytes();
            match (index, kind) {
                (0, _) => visit(Value::Text(self.0)),
                (_, Kind::Blob) => visit(Value::Blob(&bytes)),
                _ => visit(Value::Int(self.1)),
            }
            Ok(())
        }
    }

    /// A stored bound row: the entry it names, the table (an index in [`READ`]), key, value.
    type Stored = (i64, usize, usize, i64);
    /// A stored subject index row: the entry it names, the subject (an index in
    /// [`SUBJECTS`]), whether its time is the entry's.
    type Subject = (i64, usize, bool);
    /// An entry: its subjects, and the rows it binds (table, key, value).
    type Claims = (Vec<usize>, Vec<(usize, usize, i64)>);

    fn encoding(table: usize, key: usize, value: i64) -> (String, Vec<u8>) {
        READ[table].encode(&TestRow(KEYS[key], value)).expect("a test row encodes")
    }

    fn entry_bytes(seq: usize, (subjects, rows): &Claims) -> Vec<u8> {
        let salt = Salt([seq as u8; 16]);
        let mut rows: Vec<BoundRow> = rows
            .iter()
            .map(|&(table, key, value)| BoundRow {
                table: READ[table].name.to_owned(),
                key: KEYS[key].to_owned(),
                digest: row_digest(&salt, &encoding(table, key, value).1),
            })
            .collect();
        rows.sort();
        Entry {
            sequence: seq as u64,
            time_micros: TIME,
            actor: Actor { party_id: "staff".into(), role: "register_staff".into(), session: "s".into() },
            action: "test".into(),
            subjects: subjects.iter().map(|&s| SUBJECTS[s].to_owned()).collect(),
            purpose: "test".into(),
            decision: Decision { allowed: true, policies: vec![] },
            outcome: "ok".into(),
            data_digest: None,
            salt: Some(salt),
            rows,
        }
        .encode()
        .expect("a test entry encodes")
    }

    /// What a page check says: each entry's first difference, the orphan, the rows counted.
    type Outcome = (Vec<Option<String>>, Option<(i64, String)>, u64, u64);

    fn searchable(view: &EntryView<'_>) -> (i64, String, String) {
        (view.time_micros, view.party_id.to_owned(), view.action.to_owned())
    }

    /// The check through `beside`, as a reader uses it: emptied first, so whatever an earlier
    /// page left in it must not matter.
    fn actual(beside: &mut Beside, entries: &[Vec<u8>], subjects: &[Subject], rows: &[Stored]) -> Outcome {
        beside.clear();
        for &(seq, subject, same_time) in subjects {
            beside.push_subject(seq, SUBJECTS[subject], if same_time { TIME } else { TIME + 1 });
        }
        for (index, table) in READ.iter().enumerate() {
            for &(seq, _, key, value) in rows.iter().filter(|row| row.1 == index) {
                beside.push_row(table, seq, &TestRow(KEYS[key], value)).expect("a test row encodes");
            }
        }
        beside.order();
        let bindings = entries
            .iter()
            .enumerate()
            .map(|(seq, bytes)| {
                let mut view = Entry::view(bytes).expect("a test entry decodes");
                let (time_us, actor, action) = searchable(&view);
                let searchable = Searchable { time_us, actor: &actor, action: &action };
                beside.check(seq as i64, &mut view, &searchable)
            })
            .collect();
        let (orphan, rows, subjects) = beside.finish();
        (bindings, orphan, rows, subjects)
    }

    /// The check as it was: every row in its own allocation, all sorted together (stably, so
    /// equal rows keep the order read) by entry, table and key.
    fn expected(entries: &[Vec<u8>], subjects: &[Subject], rows: &[Stored]) -> Outcome {
        let mut subjects: Vec<(i64, String, i64)> = subjects
            .iter()
            .map(|&(seq, s, same)| (seq, SUBJECTS[s].to_owned(), if same { TIME } else { TIME + 1 }))
            .collect();
        subjects.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        let mut seen: Vec<(i64, &str, String, Vec<u8>)> = (0..READ.len())
            .flat_map(|index| rows.iter().filter(move |row| row.1 == index))
            .map(|&(seq, table, key, value)| {
                let (key, encoding) = encoding(table, key, value);
                (seq, READ[table].name, key, encoding)
            })
            .collect();
        seen.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| (a.1, &a.2).cmp(&(b.1, &b.2))));
        let (mut next_subject, mut next_row, mut orphan) = (0, 0, None);
        let mut skip_before = |seq: i64, next_subject: &mut usize, next_row: &mut usize| {
            while let Some((s, subject, _)) = subjects.get(*next_subject).filter(|s| s.0 < seq) {
                orphan.get_or_insert_with(|| (*s, format!("the subject index row {subject:?}")));
                *next_subject += 1;
            }
            while let Some(row) = seen.get(*next_row).filter(|r| r.0 < seq) {
                orphan.get_or_insert_with(|| (row.0, format!("table {}, key {}", row.1, row.2)));
                *next_row += 1;
            }
        };
        let mut bindings = Vec::new();
        for (seq, bytes) in entries.iter().enumerate() {
            let seq = seq as i64;
            let view = Entry::view(bytes).expect("a test entry decodes");
            skip_before(seq, &mut next_subject, &mut next_row);
            let stored_from = next_subject;
            while subjects.get(next_subject).is_some_and(|s| s.0 == seq) {
                next_subject += 1;
            }
            let rows_from = next_row;
            while seen.get(next_row).is_some_and(|r| r.0 == seq) {
                next_row += 1;
            }
            let binding = (|| {
                let mut wanted = view.subjects.clone();
                wanted.sort_unstable();
                wanted.dedup();
                let mut stored = subjects[stored_from..next_subject].iter().peekable();
                for subject in wanted {
                    match stored.peek() {
                        Some((_, s, time)) if s == subject => {
                            if *time != TIME {
                                return Some(format!("its subject index row {subject:?} has another time"));
                            }
                            stored.next();
                        }
                        Some((_, s, _)) if s.as_str() < subject => {
                            return Some(format!("the subject index row {s:?} is not one of its subjects"));
                        }
                        _ => return Some(format!("the subject index row {subject:?} is missing")),
                    }
                }
                if let Some((_, s, _)) = stored.next() {
                    return Some(format!("the subject index row {s:?} is not one of its subjects"));
                }
                let mut claimed = view.rows.clone();
                claimed.sort_unstable();
                let mut rows = seen[rows_from..next_row].iter().peekable();
                for (table, key, digest) in claimed {
                    match rows.peek() {
                        Some(row) if (row.1, row.2.as_str()) == (table, key) => {
                            let salt = view.salt.as_ref()?;
                            if row_digest(salt, &row.3).as_bytes() != &digest {
                                return Some(format!(
                                    "table {table}, key {key}: the row is not the one the entry bound (altered)"
                                ));
                            }
                            rows.next();
                        }
                        Some(row) if (row.1, row.2.as_str()) < (table, key) => {
                            return Some(format!(
                                "table {}, key {}: a row names this entry, which does not bind it",
                                row.1, row.2
                            ));
                        }
                        _ => {
                            return Some(format!(
                                "table {table}, key {key}: the row the entry bound is missing"
                            ));
                        }
                    }
                }
                rows.next().map(|row| {
                    format!("table {}, key {}: a row names this entry, which does not bind it", row.1, row.2)
                })
            })();
            bindings.push(binding);
        }
        skip_before(i64::MAX, &mut next_subject, &mut next_row);
        (bindings, orphan, seen.len() as u64, subjects.len() as u64)
    }

    fn claims() -> impl Strategy<Value = Claims> {
        (
            prop::collection::vec(0..SUBJECTS.len(), 0..4),
            prop::collection::vec((0..READ.len(), 0..KEYS.len(), 0..2i64), 0..4),
        )
    }

    proptest! {
        #[test]
        fn beside_agrees_with_the_check_it_replaced(
            claims in prop::collection::vec(claims(), 1..5),
            subjects in prop::collection::vec((-1..6i64, 0..SUBJECTS.len(), prop::bool::weighted(0.9)), 0..12),
            rows in prop::collection::vec((-1..6i64, 0..READ.len(), 0..KEYS.len(), prop::bool::weighted(0.8)), 0..12),
            faithful in prop::bool::ANY,
        ) {
            // An entry binds a row once.
            let mut claims = claims;
            for (_, claimed) in &mut claims {
                let mut once = std::collections::HashSet::new();
                claimed.retain(|&(table, key, _)| once.insert((table, key)));
            }
            let entries: Vec<Vec<u8>> = claims.iter().enumerate().map(|(seq, c)| entry_bytes(seq, c)).collect();
            // The subject index has one row per subject and entry.
            let mut subjects = subjects;
            let mut once = std::collections::HashSet::new();
            subjects.retain(|&(seq, subject, _)| once.insert((seq, subject)));
            // Mostly the rows the entries bound, so most pages agree; the rest at random.
            let mut rows: Vec<Stored> = rows
                .into_iter()
                .map(|(seq, table, key, bound)| {
                    let value = usize::try_from(seq)
                        .ok()
                        .and_then(|seq| claims.get(seq))
                        .and_then(|(_, claimed)| claimed.iter().find(|c| (c.0, c.1) == (table, key)))
                        .filter(|_| bound)
                        .map_or(7, |c| c.2);
                    (seq, table, key, value)
                })
                .collect();
            if faithful {
                rows.extend(claims.iter().enumerate().flat_map(|(seq, (_, claimed))| {
                    claimed.iter().map(move |&(table, key, value)| (seq as i64, table, key, value))
                }));
                rows.reverse();
            }
            // As PostgreSQL may return them: in any order.
            let mut beside = Beside::default();
            prop_assert_eq!(actual(&mut beside, &entries, &subjects, &rows), expected(&entries, &subjects, &rows));
            // As SQLite returns them: subjects by entry and subject, each table by entry and
            // then as inserted.
            subjects.sort_by_key(|&(seq, subject, _)| (seq, subject));
            rows.sort_by_key(|row| row.0);
            prop_assert_eq!(actual(&mut beside, &entries, &subjects, &rows), expected(&entries, &subjects, &rows));
        }
    }
}
