//! The journal in the database: group-committed appends, proofs, search and verification.
//!
//! One writer task owns every write. Requests (register changes with the entry that describes
//! them, or entries alone) queue on a channel; the writer takes all that are waiting, runs them
//! in one transaction in arrival order, appends their entries to the Merkle log, signs the new
//! tree head and commits once. A caller is answered only after that commit, so what is
//! acknowledged is durable, and a business change never commits without its entry (I1), nor
//! survives a failed append (I2). Batching is what makes durable appends cheap: one fsync for
//! as many entries as arrived while the previous batch was committing.
//!
//! Storage: entries with their leaf hashes, and every perfect subtree hash of level ≥ 1 keyed
//! by the leaf that completed it, so a proof reads O(log n) rows by key and a verifier streams
//! entries and nodes side by side in one pass with O(log n) memory. The signed head of the
//! whole journal is rewritten by every commit (an entry slipped in later is covered by no
//! signature); checkpoint heads are kept append-only every ten seconds, every million entries
//! and on demand. Tables refuse UPDATE and DELETE in the database.
//!
//! The in-memory frontier is a cache of the stored one: at the start of each batch the writer
//! compares its size with the stored head (another process may have appended) and reloads
//! the ≤ 64 nodes it needs when they differ.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use domain::{Change, Period};
use ed25519_dalek::{SigningKey, VerifyingKey};
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use journal::{Entry, Frontier, Hash, NodeSource, Origin, SignedTreeHead, TreeHead, leaf_hash};
use serde::Serialize;
use sha2::Sha256;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use tokio::sync::{mpsc, oneshot};

use crate::local::Columns;
use crate::{Backend, MasterKey, Store, StoreError, WriteTx, Written, corrupt};

/// The keys a store works with.
#[derive(Clone)]
pub struct Keys {
    /// Seals personal data at rest.
    pub seal: MasterKey,
    /// Signs the journal's tree heads.
    pub journal: SigningKey,
}

impl Keys {
    /// Both keys from one master key: the journal key is derived, so a newcomer configures
    /// one secret. Production may configure a separate journal key with [`Keys::new`].
    pub fn derived(master: MasterKey) -> Keys {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(master.bytes()).expect("HMAC takes keys of any length");
        mac.update(b"cloison journal signing v1");
        let seed: [u8; 32] = mac.finalize().into_bytes().into();
        Keys { seal: master, journal: SigningKey::from_bytes(&seed) }
    }

    /// Separate keys.
    pub fn new(seal: MasterKey, journal: SigningKey) -> Keys {
        Keys { seal, journal }
    }
}

/// Checkpoint heads are kept at least this often while entries arrive.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(10);
/// …and at least every this many entries.
const CHECKPOINT_ENTRIES: u64 = 1_000_000;
/// Requests taken into one transaction at most.
const MAX_BATCH: usize = 4096;
/// Rows per multi-row INSERT: fewer statements per batch, far below both databases'
/// parameter limits (6 columns × 256 rows).
const ROWS_PER_INSERT: usize = 256;

/// What a request asks the writer to do.
pub(crate) enum Work {
    /// Append these entries (their sequence numbers are assigned by the writer).
    Entries(Vec<Entry>),
    /// Apply these changes, all or nothing, and journal each with `template`.
    Changes { template: Box<Entry>, changes: Vec<(Timestamp, Change)> },
    /// Keep a checkpoint head now.
    Checkpoint,
    /// Create or revoke a token, journaled with `template` about `subjects`.
    Token { template: Box<Entry>, op: crate::tokens::TokenOp, subjects: Vec<String> },
}

/// What the writer answers once the batch is committed.
#[derive(Debug)]
pub struct Committed {
    /// What the changes wrote, or why they were refused (the refusal is journaled too).
    pub written: Result<Vec<Written>, StoreError>,
    /// The sequence numbers of the entries this request appended.
    pub entries: Range<u64>,
    /// The signed head of the journal right after the commit.
    pub head: SignedTreeHead,
}

enum Message {
    Request(Work, oneshot::Sender<Result<Committed, StoreError>>),
    Shutdown(oneshot::Sender<()>),
}

/// The sending side of the writer, shared by every clone of a store.
#[derive(Clone)]
pub(crate) struct WriterHandle {
    sender: mpsc::Sender<Message>,
}

/// A queued request; await it to learn that it is durable.
pub struct Ticket(oneshot::Receiver<Result<Committed, StoreError>>);

impl Ticket {
    /// Waits for the commit of the batch that carried the request.
    pub async fn wait(self) -> Result<Committed, StoreError> {
        self.0.await.map_err(|_| StoreError::Journal("the journal writer stopped before answering".into()))?
    }
}

impl WriterHandle {
    pub(crate) fn spawn(store: Store, key: SigningKey) -> WriterHandle {
        let (sender, receiver) = mpsc::channel(MAX_BATCH * 2);
        // A checkpointer that cannot start leaves SQLite's own checkpoints on commit in force.
        let checkpointer = match &store.local {
            Some(reads) => spawn_checkpointer(reads.path())
                .inspect_err(|e| tracing::warn!(error = %e, "WAL checkpoints stay on the writer's commits"))
                .ok(),
            None => None,
        };
        tokio::spawn(
            Writer { store, key, frontier: None, checkpoint: None, local: None, checkpointer }.run(receiver),
        );
        WriterHandle { sender }
    }

    async fn send(&self, work: Work) -> Result<Ticket, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(Message::Request(work, reply))
            .await
            .map_err(|_| StoreError::Journal("the journal writer is not running".into()))?;
        Ok(Ticket(answer))
    }

    pub(crate) async fn shutdown(&self) {
        let (done, wait) = oneshot::channel();
        if self.sender.send(Message::Shutdown(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

struct Writer {
    store: Store,
    key: SigningKey,
    /// The frontier as of the last commit; `None` after a failure, to reload.
    frontier: Option<Frontier>,
    /// Size and time of the newest checkpoint head.
    checkpoint: Option<(u64, i64)>,
    /// SQLite only: the connection that commits batches of entries alone (see
    /// [`Writer::batch_local`]), opened on first use.
    local: Option<Arc<std::sync::Mutex<rusqlite::Connection>>>,
    /// SQLite: keeps the WAL checkpointer running while the writer runs; `None` if it could
    /// not start, and then the writer's connection checkpoints on its own commits.
    checkpointer: Option<std::sync::mpsc::Sender<()>>,
}

/// Entries given their sequence numbers, encoded and leaf-hashed, with the tree nodes their
/// appends completed: what one batch inserts, whichever connection inserts it.
#[derive(Default)]
struct Appended {
    rows: Vec<EntryRow>,
    nodes: Vec<(i64, i64, Hash)>,
}

impl Appended {
    /// Appends `entries` to `frontier` in order; returns their sequence numbers.
    fn push(&mut self, frontier: &mut Frontier, entries: Vec<Entry>) -> Result<Range<u64>, StoreError> {
        let first = frontier.size();
        for mut entry in entries {
            entry.sequence = frontier.size();
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
struct Closing {
    head: SignedTreeHead,
    rewrite_latest: bool,
    checkpoint_due: bool,
    now: i64,
}

impl Closing {
    fn new(
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
struct EntryRow {
    seq: i64,
    time_us: i64,
    actor: String,
    action: String,
    bytes: Vec<u8>,
    leaf: Hash,
    subjects: Vec<String>,
}

impl Writer {
    async fn run(mut self, mut receiver: mpsc::Receiver<Message>) {
        while let Some(first) = receiver.recv().await {
            let mut requests = Vec::new();
            let mut shutdown = None;
            match first {
                Message::Request(work, reply) => requests.push((work, reply)),
                Message::Shutdown(done) => shutdown = Some(done),
            }
            while shutdown.is_none() && requests.len() < MAX_BATCH {
                match receiver.try_recv() {
                    Ok(Message::Request(work, reply)) => requests.push((work, reply)),
                    Ok(Message::Shutdown(done)) => shutdown = Some(done),
                    Err(_) => break,
                }
            }
            if !requests.is_empty() {
                let (works, replies): (Vec<_>, Vec<_>) = requests.into_iter().unzip();
                match self.batch(works).await {
                    Ok(answers) => {
                        for (reply, answer) in replies.into_iter().zip(answers) {
                            let _ = reply.send(Ok(answer));
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "journal batch failed; every request in it is refused");
                        self.frontier = None;
                        self.checkpoint = None;
                        let message = e.to_string();
                        for reply in replies {
                            let _ = reply.send(Err(StoreError::Journal(message.clone())));
                        }
                    }
                }
            }
            if let Some(done) = shutdown {
                let _ = done.send(());
                return;
            }
        }
    }

    async fn batch(&mut self, works: Vec<Work>) -> Result<Vec<Committed>, StoreError> {
        let entries_only = works.iter().all(|w| matches!(w, Work::Entries(_) | Work::Checkpoint));
        if entries_only && self.store.local.is_some() {
            return self.batch_local(works).await;
        }
        let mut tx = self.store.begin().await?;
        let stored = latest_in(tx.conn(), self.store.backend, true).await?;
        let mut frontier = match self.frontier.take() {
            Some(f) if f.size() == stored.head.head.size => f,
            _ => load_frontier(tx.conn(), stored.head.head.size).await?,
        };
        if self.checkpoint.is_none() {
            self.checkpoint = Some(newest_checkpoint(tx.conn()).await?);
        }
        let mut appended = Appended::default();
        let mut force_checkpoint = false;
        let mut results = Vec::with_capacity(works.len());
        for work in works {
            let (written, entries) = match work {
                Work::Entries(entries) => (Ok(Vec::new()), entries),
                Work::Checkpoint => {
                    force_checkpoint = true;
                    (Ok(Vec::new()), Vec::new())
                }
                Work::Changes { template, changes } => apply_changes(&mut tx, *template, &changes).await?,
                Work::Token { template, op, subjects } => {
                    let action = match op {
                        crate::tokens::TokenOp::Create { .. } => "admin.token.create",
                        crate::tokens::TokenOp::Revoke { .. } => "admin.token.revoke",
                    };
                    let result = tx.token_op(&op, Timestamp::now()).await;
                    if let Err(e) = &result {
                        if !e.is_input() {
                            return Err(StoreError::Journal(e.to_string()));
                        }
                    }
                    let outcome = match &result {
                        Ok(_) => "ok".to_owned(),
                        Err(e) => format!("refused:{}", e.code()),
                    };
                    let entry = Entry { action: action.into(), subjects, outcome, ..*template };
                    (result.map(|w| vec![w]), vec![entry])
                }
            };
            let range = appended.push(&mut frontier, entries)?;
            results.push((written, range));
        }
        insert_entries(tx.conn(), self.store.backend, &appended.rows).await?;
        insert_nodes(tx.conn(), self.store.backend, &appended.nodes).await?;
        let closing =
            Closing::new(&self.key, &frontier, stored.head.head.size, force_checkpoint, self.checkpoint);
        if closing.rewrite_latest {
            store_latest(tx.conn(), &closing.head).await?;
        }
        if closing.checkpoint_due {
            store_checkpoint(tx.conn(), &closing.head).await?;
        }
        tx.commit().await?;
        if closing.checkpoint_due {
            self.checkpoint = Some((closing.head.head.size, closing.now));
        }
        self.frontier = Some(frontier);
        let head = closing.head;
        Ok(results.into_iter().map(|(written, entries)| Committed { written, entries, head }).collect())
    }

    /// A batch of entries alone on SQLite, committed through a synchronous connection with
    /// prepared one-row inserts on a blocking thread.
    ///
    /// Through sqlx every statement is a hop to the connection's worker thread and every
    /// value a copy into its argument buffer; a batch of a few hundred entries paid that more
    /// than SQLite's own work. Register changes and tokens keep the sqlx path, which their
    /// checks are written for; a batch that carries one goes there whole, so each
    /// transaction stays one batch in arrival order. Both connections take SQLite's write
    /// lock with `BEGIN IMMEDIATE`, and only this task writes, so they never contend.
    async fn batch_local(&mut self, works: Vec<Work>) -> Result<Vec<Committed>, StoreError> {
        let connection = match &self.local {
            Some(c) => Arc::clone(c),
            None => {
                let reads = self.store.local.as_ref().expect("batch_local runs on SQLite only");
                let opened = Arc::new(std::sync::Mutex::new(open_local_writer(
                    reads.path(),
                    self.checkpointer.is_some(),
                )?));
                self.local = Some(Arc::clone(&opened));
                opened
            }
        };
        let key = self.key.clone();
        let frontier = self.frontier.take();
        let checkpoint = self.checkpoint;
        let done = tokio::task::spawn_blocking(move || {
            let mut connection = connection.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            commit_local(&mut connection, &key, frontier, checkpoint, works)
        })
        .await
        .map_err(|e| StoreError::Journal(format!("the journal's SQLite writer stopped: {e}")))??;
        self.frontier = Some(done.frontier);
        self.checkpoint = Some(done.checkpoint);
        Ok(done.committed)
    }
}

/// A read-write connection to the SQLite file that waits its turn for the write lock.
fn open_read_write(path: &std::path::Path) -> Result<rusqlite::Connection, StoreError> {
    let connection = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    connection.busy_timeout(Duration::from_secs(10))?;
    Ok(connection)
}

/// The writer's own read-write connection to the SQLite file, with the store's durability
/// settings: every commit is on disk before it is acknowledged.
fn open_local_writer(path: &std::path::Path, checkpointer: bool) -> Result<rusqlite::Connection, StoreError> {
    let connection = open_read_write(path)?;
    connection.set_prepared_statement_cache_capacity(16);
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.pragma_update(None, "foreign_keys", "ON")?;
    // The checkpointer copies the WAL back into the file on a thread of its own, so commits
    // rarely wait for that copy and its fsync (measured: a tenth of the writer's time, and
    // pauses of 20 ms every thousand pages, when the writer checkpointed every 1,000 frames).
    // But under sustained appends its copy never catches up with the newest frame, so the
    // WAL would never restart from its beginning and would grow without bound (measured:
    // 2.2 GB in 12 s of the append bench). So the writer still checkpoints, seldom: what the
    // checkpointer has not copied yet, between two of its own commits, so the copy completes
    // and its next commit restarts the WAL. The WAL then stays near that size and its blocks
    // are rewritten in place instead of allocated afresh (measured: 4.2 against 1.2 µs per
    // frame, and 42,000 against 74,000 appends/s pipelined).
    if checkpointer {
        connection.pragma_update(None, "wal_autocheckpoint", WRITER_CHECKPOINT_FRAMES)?;
        connection.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
    }
    Ok(connection)
}

/// How often the checkpointer copies committed WAL frames back into the database file.
/// Measured on the append bench: every 100 ms, the checkpoints' writes slowed the WAL's own
/// fsyncs (8 writers 2,740/s against 4,925/s at one second).
const CHECKPOINT_WAL_EVERY: Duration = Duration::from_secs(1);

/// WAL frames after which the writer checkpoints on its own commit (8,192 frames: 32 MiB of
/// pages). Measured on the append bench, pipelined: 4,096 gave 66,600/s, 8,192 73,500/s,
/// 16,384 72,900/s.
const WRITER_CHECKPOINT_FRAMES: i64 = 8192;

/// Bytes of WAL kept on disk when it restarts: a burst that grew it beyond this is cut back,
/// while the usual size is kept allocated for reuse.
const WAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;

/// A WAL of at least this many frames, all copied back and idle, is emptied.
const TRUNCATE_WAL_FRAMES: i64 = 1024;

/// One round of the checkpointer; returns the WAL's frame count, to pass back as `previous`
/// next round.
///
/// PASSIVE copies what no reader still needs and never waits for the writer or a reader.
/// Under sustained commits it copies the bulk, and the writer's own rare checkpoint the
/// rest ([`WRITER_CHECKPOINT_FRAMES`]). When writes stop (after a bulk load), nothing
/// restarts the WAL, and readers keep finding their pages in a WAL the file already holds,
/// and the file stays large on disk. So
/// a large WAL that is fully copied and has not grown for a whole round is truncated. Never
/// under load: TRUNCATE waits for readers while holding the write lock, which would stall
/// the writer's commits.
fn checkpoint_wal(connection: &rusqlite::Connection, previous: i64) -> rusqlite::Result<i64> {
    let (busy, log, copied): (i64, i64, i64) =
        connection
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    if busy == 0 && log >= TRUNCATE_WAL_FRAMES && copied == log && log == previous {
        connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        return Ok(0);
    }
    Ok(log)
}

/// Starts the thread that checkpoints the WAL of the SQLite file at `path` while `alive` is
/// held; it runs a last checkpoint and stops once `alive` is dropped.
///
/// PASSIVE: it copies what no reader still needs and never blocks the writer or a reader.
/// Once everything is copied, the writer's next transaction restarts the WAL from its
/// beginning, which keeps the file from growing.
fn spawn_checkpointer(path: &std::path::Path) -> Result<std::sync::mpsc::Sender<()>, StoreError> {
    let connection = open_read_write(path)?;
    let (alive, stopped) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("cloison-checkpoint".into())
        .spawn(move || {
            let mut frames = -1;
            loop {
                let stop = !matches!(
                    stopped.recv_timeout(CHECKPOINT_WAL_EVERY),
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout)
                );
                match checkpoint_wal(&connection, frames) {
                    Ok(now) => frames = now,
                    Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed; the next one retries"),
                }
                if stop {
                    return;
                }
            }
        })
        .map_err(|e| StoreError::Journal(format!("cannot start the WAL checkpointer: {e}")))?;
    Ok(alive)
}

/// What [`commit_local`] hands back to the writer: its state after the commit, and the answers.
struct LocalCommit {
    frontier: Frontier,
    /// Size and time of the newest checkpoint head.
    checkpoint: (u64, i64),
    committed: Vec<Committed>,
}

/// One transaction of entries on the writer's SQLite connection: what [`Writer::batch`] does,
/// without register changes. Returns the frontier and newest checkpoint after the commit.
fn commit_local(
    connection: &mut rusqlite::Connection,
    key: &SigningKey,
    frontier: Option<Frontier>,
    checkpoint: Option<(u64, i64)>,
    works: Vec<Work>,
) -> Result<LocalCommit, StoreError> {
    let tx = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let stored = {
        let mut statement = tx.prepare_cached(LATEST_SQL)?;
        let mut rows = statement.query([])?;
        let row = rows.next()?.ok_or_else(|| corrupt("the journal has no signed head"))?;
        signed_head_from(row)?
    };
    let stored_size = stored.head.size;
    let mut frontier = match frontier {
        Some(f) if f.size() == stored_size => f,
        _ => with_nodes_local(&tx, stored_size, |src| Frontier::from_nodes(stored_size, src))?,
    };
    let checkpoint = match checkpoint {
        Some(c) => c,
        None => tx
            .prepare_cached(NEWEST_CHECKPOINT_SQL)?
            .query([])?
            .next()?
            .map(|row| Ok::<_, rusqlite::Error>((row.get::<_, i64>(0)? as u64, row.get::<_, i64>(1)?)))
            .transpose()?
            .unwrap_or((0, 0)),
    };
    let mut appended = Appended::default();
    let mut force_checkpoint = false;
    let mut ranges = Vec::with_capacity(works.len());
    for work in works {
        let entries = match work {
            Work::Entries(entries) => entries,
            Work::Checkpoint => {
                force_checkpoint = true;
                Vec::new()
            }
            Work::Changes { .. } | Work::Token { .. } => {
                return Err(StoreError::Journal("a register change reached the entries-only writer".into()));
            }
        };
        ranges.push(appended.push(&mut frontier, entries)?);
    }
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO journal_entries (seq, time_us, actor, action, entry, leaf_hash) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut subject = tx.prepare_cached(
            "INSERT INTO journal_subjects (subject, seq, time_us) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        )?;
        for row in &appended.rows {
            insert.execute(rusqlite::params![
                row.seq,
                row.time_us,
                row.actor,
                row.action,
                row.bytes,
                row.leaf.as_bytes().as_slice()
            ])?;
            for name in &row.subjects {
                subject.execute(rusqlite::params![name, row.seq, row.time_us])?;
            }
        }
        let mut node =
            tx.prepare_cached("INSERT INTO journal_nodes (leaf, level, hash) VALUES (?1, ?2, ?3)")?;
        for (leaf, level, hash) in &appended.nodes {
            node.execute(rusqlite::params![leaf, level, hash.as_bytes().as_slice()])?;
        }
    }
    let closing = Closing::new(key, &frontier, stored_size, force_checkpoint, Some(checkpoint));
    let head_values = |head: &SignedTreeHead| {
        (
            head.head.size as i64,
            head.head.root.as_bytes().to_vec(),
            head.head.time_micros,
            head.signature.to_vec(),
        )
    };
    if closing.rewrite_latest {
        tx.prepare_cached(UPDATE_LATEST_SQL)?.execute(head_values(&closing.head))?;
    }
    if closing.checkpoint_due {
        tx.prepare_cached(INSERT_CHECKPOINT_SQL)?.execute(head_values(&closing.head))?;
    }
    tx.commit()?;
    let checkpoint = if closing.checkpoint_due { (closing.head.head.size, closing.now) } else { checkpoint };
    let head = closing.head;
    let committed =
        ranges.into_iter().map(|entries| Committed { written: Ok(Vec::new()), entries, head }).collect();
    Ok(LocalCommit { frontier, checkpoint, committed })
}

/// Applies one request's changes inside a savepoint when there are several, so a refusal
/// midway undoes the earlier ones; returns what was written and the entries describing it.
async fn apply_changes(
    tx: &mut WriteTx,
    template: Entry,
    changes: &[(Timestamp, Change)],
) -> Result<(Result<Vec<Written>, StoreError>, Vec<Entry>), StoreError> {
    // A single change checks everything before it writes, so it needs no savepoint.
    let isolated = changes.len() > 1;
    if isolated {
        sqlx::query("SAVEPOINT cloison_request").execute(tx.conn()).await?;
    }
    let mut written = Vec::with_capacity(changes.len());
    let mut concerned = Vec::with_capacity(changes.len());
    let mut failure = None;
    for (at, change) in changes {
        match tx.apply(*at, change).await {
            Ok(w) => {
                concerned.push(tx.concerned(*at, change, &w).await?);
                written.push(w);
            }
            Err(e) => {
                failure = Some((change, e));
                break;
            }
        }
    }
    // The change's own identifiers, then the network users whose data it is about (R4).
    let describe = |change: &Change, parties: &[domain::PartyId], outcome: String| {
        let mut subjects = change.subjects();
        for party in parties {
            if !subjects.iter().any(|s| s == party.as_str()) {
                subjects.push(party.to_string());
            }
        }
        Entry { action: change.action().to_owned(), subjects, outcome, ..template.clone() }
    };
    match failure {
        None => {
            if isolated {
                sqlx::query("RELEASE SAVEPOINT cloison_request").execute(tx.conn()).await?;
            }
            let entries = changes
                .iter()
                .zip(&concerned)
                .map(|((_, c), parties)| describe(c, parties, "ok".into()))
                .collect();
            Ok((Ok(written), entries))
        }
        Some((change, error)) => {
            if isolated {
                sqlx::query("ROLLBACK TO SAVEPOINT cloison_request").execute(tx.conn()).await?;
                sqlx::query("RELEASE SAVEPOINT cloison_request").execute(tx.conn()).await?;
            } else if !error.is_input() {
                // A database error outside a savepoint may have spoilt the transaction
                // (PostgreSQL aborts it): fail the batch rather than guess.
                return Err(error);
            }
            let entry = describe(change, &[], format!("refused:{}", error.code()));
            Ok((Err(error), vec![entry]))
        }
    }
}

/// The leaf whose append completes the perfect node (`level`, `index`).
fn completing_leaf(level: u8, index: u64) -> u64 {
    ((index + 1) << level) - 1
}

fn hash_from(bytes: Vec<u8>, what: &str) -> Result<Hash, StoreError> {
    <[u8; 32]>::try_from(bytes.as_slice())
        .map(Hash::from_bytes)
        .map_err(|_| corrupt(format!("{what} is not 32 bytes")))
}

fn signed_head_from(row: &impl Columns) -> Result<SignedTreeHead, StoreError> {
    let size = row.int("size")?;
    let signature = row.blob("signature")?;
    Ok(SignedTreeHead {
        head: TreeHead {
            size: u64::try_from(size).map_err(|_| corrupt("negative head size"))?,
            root: hash_from(row.blob("root")?, "head root")?,
            time_micros: row.int("time_us")?,
        },
        signature: <[u8; 64]>::try_from(signature.as_slice())
            .map_err(|_| corrupt("head signature is not 64 bytes"))?,
    })
}

struct Latest {
    head: SignedTreeHead,
}

async fn latest_in(conn: &mut AnyConnection, backend: Backend, lock: bool) -> Result<Latest, StoreError> {
    let sql = if lock && backend == Backend::Postgres {
        // Serialises journal writers across processes on PostgreSQL; SQLite's BEGIN
        // IMMEDIATE already did.
        "SELECT size, root, time_us, signature FROM journal_latest WHERE id = 1 FOR UPDATE"
    } else {
        LATEST_SQL
    };
    let row = sqlx::query(sql).fetch_optional(&mut *conn).await?;
    let row = row.ok_or_else(|| corrupt("the journal has no signed head"))?;
    Ok(Latest { head: signed_head_from(&row)? })
}

async fn newest_checkpoint(conn: &mut AnyConnection) -> Result<(u64, i64), StoreError> {
    let row = sqlx::query(NEWEST_CHECKPOINT_SQL).fetch_optional(&mut *conn).await?;
    match row {
        Some(row) => Ok((row.try_get::<i64, _>("size")? as u64, row.try_get("time_us")?)),
        None => Ok((0, 0)),
    }
}

/// Writes a signed head with `sql`, whose parameters are size, root, time and signature in
/// that order: the latest head and the checkpoints share one binding.
async fn write_head(conn: &mut AnyConnection, sql: &str, head: &SignedTreeHead) -> Result<(), StoreError> {
    sqlx::query(sql)
        .bind(head.head.size as i64)
        .bind(head.head.root.as_bytes().to_vec())
        .bind(head.head.time_micros)
        .bind(head.signature.to_vec())
        .execute(conn)
        .await?;
    Ok(())
}

// Shared by the sqlx and the rusqlite writer: SQLite numbers `$n` parameters by position, as
// PostgreSQL does.
const UPDATE_LATEST_SQL: &str =
    "UPDATE journal_latest SET size = $1, root = $2, time_us = $3, signature = $4 WHERE id = 1";
const INSERT_CHECKPOINT_SQL: &str =
    "INSERT INTO journal_heads (size, root, time_us, signature) VALUES ($1, $2, $3, $4)";
const NEWEST_CHECKPOINT_SQL: &str = "SELECT size, time_us FROM journal_heads ORDER BY size DESC LIMIT 1";

async fn store_latest(conn: &mut AnyConnection, head: &SignedTreeHead) -> Result<(), StoreError> {
    write_head(conn, UPDATE_LATEST_SQL, head).await
}

async fn store_checkpoint(conn: &mut AnyConnection, head: &SignedTreeHead) -> Result<(), StoreError> {
    write_head(conn, INSERT_CHECKPOINT_SQL, head).await
}

/// Makes sure a new journal has its signed empty head.
pub(crate) async fn initialise(store: &Store, key: &SigningKey) -> Result<(), StoreError> {
    let head =
        TreeHead { size: 0, root: journal::empty_root(), time_micros: Timestamp::now().as_microsecond() }
            .sign(key);
    sqlx::query(
        "INSERT INTO journal_latest (id, size, root, time_us, signature) VALUES (1, 0, $1, $2, $3) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(head.head.root.as_bytes().to_vec())
    .bind(head.head.time_micros)
    .bind(head.signature.to_vec())
    .execute(&store.write)
    .await?;
    Ok(())
}

/// The `VALUES` list of a multi-row insert. SQLite gets anonymous `?` parameters: sqlx asks
/// SQLite for each parameter's name, which SQLite finds by a scan of the statement's named
/// parameters, so numbered ones cost O(n²) per statement (a quarter of the writer's time at
/// 64 rows); anonymous ones have no names to scan. PostgreSQL needs `$n`.
fn placeholders(backend: Backend, rows: usize, columns: usize) -> String {
    let mut sql = String::with_capacity(rows * columns * 5);
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..columns {
            if c > 0 {
                sql.push(',');
            }
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    sql.push('$');
                    sql.push_str(&(r * columns + c + 1).to_string());
                }
            }
        }
        sql.push(')');
    }
    sql
}

async fn insert_entries(
    conn: &mut AnyConnection,
    backend: Backend,
    rows: &[EntryRow],
) -> Result<(), StoreError> {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO journal_entries (seq, time_us, actor, action, entry, leaf_hash) VALUES {}",
            placeholders(backend, chunk.len(), 6)
        );
        let mut query = sqlx::query(&sql);
        for row in chunk {
            query = query
                .bind(row.seq)
                .bind(row.time_us)
                .bind(row.actor.clone())
                .bind(row.action.clone())
                .bind(row.bytes.clone())
                .bind(row.leaf.as_bytes().to_vec());
        }
        query.execute(&mut *conn).await?;
    }
    let subjects: Vec<(&str, i64, i64)> =
        rows.iter().flat_map(|r| r.subjects.iter().map(move |s| (s.as_str(), r.seq, r.time_us))).collect();
    for chunk in subjects.chunks(ROWS_PER_INSERT) {
        // ON CONFLICT: an entry may name one subject twice; the index needs it once.
        let sql = format!(
            "INSERT INTO journal_subjects (subject, seq, time_us) VALUES {} ON CONFLICT DO NOTHING",
            placeholders(backend, chunk.len(), 3)
        );
        let mut query = sqlx::query(&sql);
        for (subject, seq, time) in chunk {
            query = query.bind(subject.to_string()).bind(*seq).bind(*time);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

async fn insert_nodes(
    conn: &mut AnyConnection,
    backend: Backend,
    nodes: &[(i64, i64, Hash)],
) -> Result<(), StoreError> {
    for chunk in nodes.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO journal_nodes (leaf, level, hash) VALUES {}",
            placeholders(backend, chunk.len(), 3)
        );
        let mut query = sqlx::query(&sql);
        for (leaf, level, hash) in chunk {
            query = query.bind(*leaf).bind(*level).bind(hash.as_bytes().to_vec());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Perfect nodes fetched ahead of a computation that needs them.
struct Fetched(HashMap<(u8, u64), Hash>);

/// Records which nodes a computation asks for, answering with placeholders: proofs and roots
/// ask for the same nodes whatever their values, so a dry run tells what to fetch.
struct Wanted(std::cell::RefCell<Vec<(u8, u64)>>);

/// Where a computation's nodes come from: the dry run or the fetched rows.
trait Nodes {
    fn node(&self, level: u8, index: u64) -> Option<Hash>;
}

impl Nodes for Wanted {
    fn node(&self, level: u8, index: u64) -> Option<Hash> {
        self.0.borrow_mut().push((level, index));
        Some(Hash::from_bytes([0; 32]))
    }
}

impl Nodes for Fetched {
    fn node(&self, level: u8, index: u64) -> Option<Hash> {
        self.0.get(&(level, index)).copied()
    }
}

/// The journal crate's view of either source, so one closure serves both runs.
struct DynSource<'a>(&'a dyn Nodes);

/// A node the computation needed was not stored.
#[derive(Debug, thiserror::Error)]
#[error("journal node level {level} index {index} is missing")]
struct Missing {
    level: u8,
    index: u64,
}

impl NodeSource for DynSource<'_> {
    type Error = Missing;
    fn perfect_node(&self, level: u8, index: u64) -> Result<Hash, Missing> {
        self.0.node(level, index).ok_or(Missing { level, index })
    }
}

/// The nodes `compute` asks for, learnt from a dry run on placeholders.
fn wanted<T, E>(compute: &impl Fn(&DynSource<'_>) -> Result<T, E>) -> Vec<(u8, u64)> {
    let wanted = Wanted(Default::default());
    // The dry run's answer is meaningless; only the nodes it asked for matter.
    let _ = compute(&DynSource(&wanted));
    let mut needed = wanted.0.into_inner();
    needed.sort_unstable();
    needed.dedup();
    needed
}

/// Runs `compute` against the stored tree: a dry run to learn the nodes, one fetch, the
/// real run. O(log n) rows for any proof or root.
async fn with_nodes<T, E: std::fmt::Display>(
    conn: &mut AnyConnection,
    compute: impl Fn(&DynSource<'_>) -> Result<T, E>,
) -> Result<T, StoreError> {
    let fetched = fetch_nodes(conn, &wanted(&compute)).await?;
    compute(&DynSource(&fetched)).map_err(|e| StoreError::Journal(e.to_string()))
}

/// [`with_nodes`] on a local SQLite connection, after checking `size` against the signed
/// head read on the same connection: one hold of one connection for the whole proof.
fn with_nodes_local<T, E: std::fmt::Display>(
    conn: &rusqlite::Connection,
    size: u64,
    compute: impl Fn(&DynSource<'_>) -> Result<T, E>,
) -> Result<T, StoreError> {
    let head = {
        let mut statement = conn.prepare_cached(LATEST_SQL)?;
        let mut rows = statement.query([])?;
        let row = rows.next()?.ok_or_else(|| corrupt("the journal has no signed head"))?;
        signed_head_from(row)?
    };
    beyond_head(size, &head)?;
    let mut found = HashMap::new();
    let mut leaves = conn.prepare_cached("SELECT leaf_hash FROM journal_entries WHERE seq = ?1")?;
    let mut nodes = conn.prepare_cached("SELECT hash FROM journal_nodes WHERE leaf = ?1 AND level = ?2")?;
    for (level, index) in wanted(&compute) {
        let stored: Option<Vec<u8>> = if level == 0 {
            leaves.query([index as i64])?.next()?.map(|row| row.get(0)).transpose()?
        } else {
            let leaf = completing_leaf(level, index) as i64;
            nodes.query([leaf, i64::from(level)])?.next()?.map(|row| row.get(0)).transpose()?
        };
        if let Some(bytes) = stored {
            found.insert((level, index), hash_from(bytes, "node hash")?);
        }
    }
    compute(&DynSource(&Fetched(found))).map_err(|e| StoreError::Journal(e.to_string()))
}

const LATEST_SQL: &str = "SELECT size, root, time_us, signature FROM journal_latest WHERE id = 1";

fn beyond_head(size: u64, head: &SignedTreeHead) -> Result<(), StoreError> {
    if size > head.head.size {
        return Err(StoreError::Journal(format!(
            "size {size} is beyond the journal's {} entries",
            head.head.size
        )));
    }
    Ok(())
}

async fn fetch_nodes(conn: &mut AnyConnection, needed: &[(u8, u64)]) -> Result<Fetched, StoreError> {
    let mut found = HashMap::with_capacity(needed.len());
    let leaves: Vec<u64> = needed.iter().filter(|(l, _)| *l == 0).map(|(_, i)| *i).collect();
    let inner: Vec<(u8, u64)> = needed.iter().filter(|(l, _)| *l > 0).copied().collect();
    if !leaves.is_empty() {
        let list = (1..=leaves.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(",");
        let sql = format!("SELECT seq, leaf_hash FROM journal_entries WHERE seq IN ({list})");
        let mut query = sqlx::query(&sql);
        for leaf in &leaves {
            query = query.bind(*leaf as i64);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let seq: i64 = row.try_get("seq")?;
            found.insert((0, seq as u64), hash_from(row.try_get("leaf_hash")?, "leaf hash")?);
        }
    }
    if !inner.is_empty() {
        let list = (0..inner.len())
            .map(|i| format!("(leaf = ${} AND level = ${})", 2 * i + 1, 2 * i + 2))
            .collect::<Vec<_>>();
        let sql = format!("SELECT leaf, level, hash FROM journal_nodes WHERE {}", list.join(" OR "));
        let mut query = sqlx::query(&sql);
        for (level, index) in &inner {
            query = query.bind(completing_leaf(*level, *index) as i64).bind(i64::from(*level));
        }
        for row in query.fetch_all(&mut *conn).await? {
            let leaf: i64 = row.try_get("leaf")?;
            let level: i64 = row.try_get("level")?;
            let level = level as u8;
            let index = ((leaf as u64) + 1) / (1u64 << level) - 1;
            found.insert((level, index), hash_from(row.try_get("hash")?, "node hash")?);
        }
    }
    Ok(Fetched(found))
}

async fn load_frontier(conn: &mut AnyConnection, size: u64) -> Result<Frontier, StoreError> {
    with_nodes(conn, |src| Frontier::from_nodes(size, src)).await
}

/// A stored entry: decoded, with its exact bytes and leaf hash.
#[derive(Debug, Clone, Serialize)]
pub struct StoredEntry {
    /// The entry.
    pub entry: Entry,
    /// Its canonical encoding, as hashed.
    #[serde(with = "hex_bytes")]
    pub bytes: Vec<u8>,
    /// SHA-256(0x00 ‖ bytes).
    pub leaf_hash: Hash,
}

mod hex_bytes {
    pub fn serialize<S: serde::Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(bytes))
    }
}

/// What the auditors' search filters on; every field narrows it.
#[derive(Debug, Clone, Default)]
pub struct JournalQuery {
    /// An EAN or party id the entry is about.
    pub subject: Option<String>,
    /// The acting party.
    pub actor: Option<String>,
    /// Entries at or after this instant.
    pub from: Option<Timestamp>,
    /// Entries before this instant.
    pub to: Option<Timestamp>,
    /// At most this many, oldest first.
    pub limit: i64,
}

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
    /// Queues register changes with the entry template that describes them; the ticket
    /// resolves after the commit that made them (or their refusal) durable and journaled.
    pub async fn submit_changes(
        &self,
        template: Entry,
        changes: Vec<(Timestamp, Change)>,
    ) -> Result<Ticket, StoreError> {
        self.writer
            .get()
            .expect("the writer starts with the store")
            .send(Work::Changes { template: Box::new(template), changes })
            .await
    }

    pub(crate) async fn submit(&self, work: Work) -> Result<Ticket, StoreError> {
        self.writer.get().expect("the writer starts with the store").send(work).await
    }

    /// Queues journal entries (reads, sends, denials) for a durable append.
    pub async fn submit_entries(&self, entries: Vec<Entry>) -> Result<Ticket, StoreError> {
        self.writer.get().expect("the writer starts with the store").send(Work::Entries(entries)).await
    }

    /// Applies changes and waits for their commit.
    pub async fn apply(
        &self,
        template: Entry,
        changes: Vec<(Timestamp, Change)>,
    ) -> Result<Committed, StoreError> {
        self.submit_changes(template, changes).await?.wait().await
    }

    /// Appends entries and waits for their commit.
    pub async fn append(&self, entries: Vec<Entry>) -> Result<Committed, StoreError> {
        self.submit_entries(entries).await?.wait().await
    }

    /// Signs and keeps a checkpoint head of the journal as it is now.
    pub async fn checkpoint(&self) -> Result<SignedTreeHead, StoreError> {
        Ok(self
            .writer
            .get()
            .expect("the writer starts with the store")
            .send(Work::Checkpoint)
            .await?
            .wait()
            .await?
            .head)
    }

    /// The public key that verifies this store's tree heads.
    pub fn journal_public_key(&self) -> VerifyingKey {
        self.journal_key
    }

    /// `head` as a C2SP checkpoint note of the log named `origin`, signed now with the journal
    /// key.
    ///
    /// Signed on demand rather than stored beside the head, since the origin is a setting of
    /// the installation, not of the data. The head's own signature is checked first: the key
    /// must never sign as a note a size and root the writer did not sign, or whoever can edit
    /// the head's row would obtain a valid checkpoint of their choosing.
    pub fn checkpoint_note(&self, head: &SignedTreeHead, origin: &Origin) -> Result<String, StoreError> {
        head.verify(&self.journal_key)
            .map_err(|_| corrupt("the journal's signed head does not verify with this installation's key"))?;
        Ok(journal::sign_note(origin, &head.head, &self.journal_signer))
    }

    /// The signed head of the whole journal.
    pub async fn journal_head(&self) -> Result<SignedTreeHead, StoreError> {
        if let Some(local) = &self.local {
            return local.with(|conn| {
                let mut statement = conn.prepare_cached(LATEST_SQL)?;
                let mut rows = statement.query([])?;
                signed_head_from(rows.next()?.ok_or_else(|| corrupt("the journal has no signed head"))?)
            });
        }
        let mut conn = self.read.acquire().await?;
        Ok(latest_in(&mut conn, self.backend, false).await?.head)
    }

    /// Checkpoint heads, oldest first, with size above `after`.
    pub async fn journal_checkpoints(
        &self,
        after: u64,
        limit: i64,
    ) -> Result<Vec<SignedTreeHead>, StoreError> {
        let rows = sqlx::query(
            "SELECT size, root, time_us, signature FROM journal_heads WHERE size > $1 ORDER BY size LIMIT $2",
        )
        .bind(after as i64)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(signed_head_from).collect()
    }

    /// One entry by index.
    pub async fn journal_entry(&self, index: u64) -> Result<Option<StoredEntry>, StoreError> {
        let row = sqlx::query("SELECT seq, entry, leaf_hash FROM journal_entries WHERE seq = $1")
            .bind(index as i64)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| stored_entry(&r)).transpose()
    }

    /// The Merkle root of the first `size` entries.
    pub async fn journal_root(&self, size: u64) -> Result<Hash, StoreError> {
        self.over_tree(size, |src| journal::root_at(src, size)).await
    }

    /// The inclusion proof of entry `index` in the tree of `size` entries.
    pub async fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, StoreError> {
        self.over_tree(size, |src| journal::inclusion_proof(src, index, size)).await
    }

    /// The consistency proof between the trees of `old` and `new` entries.
    pub async fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, StoreError> {
        self.over_tree(new, |src| journal::consistency_proof(src, old, new)).await
    }

    /// Runs a computation over the stored tree of `size` entries, which the signed head must
    /// cover.
    async fn over_tree<T, E: std::fmt::Display>(
        &self,
        size: u64,
        compute: impl Fn(&DynSource<'_>) -> Result<T, E>,
    ) -> Result<T, StoreError> {
        if let Some(local) = &self.local {
            return local.with(|conn| with_nodes_local(conn, size, compute));
        }
        beyond_head(size, &self.journal_head().await?)?;
        let mut conn = self.read.acquire().await?;
        with_nodes(&mut conn, compute).await
    }

    /// Entries matching `query`, oldest first.
    pub async fn journal_search(&self, query: &JournalQuery) -> Result<Vec<StoredEntry>, StoreError> {
        let mut sql = String::from("SELECT e.seq, e.entry, e.leaf_hash FROM journal_entries e");
        let mut conditions = Vec::new();
        let mut n = 0;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        if query.subject.is_some() {
            sql.push_str(" JOIN journal_subjects s ON s.seq = e.seq");
            conditions.push(format!("s.subject = {}", next()));
        }
        if query.actor.is_some() {
            conditions.push(format!("e.actor = {}", next()));
        }
        if query.from.is_some() {
            conditions.push(format!("e.time_us >= {}", next()));
        }
        if query.to.is_some() {
            conditions.push(format!("e.time_us < {}", next()));
        }
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        // By subject, order on the subject row's own seq (equal to the entry's by the join):
        // the (subject, seq) key then yields rows in order and the scan stops at the limit.
        // Ordered on `e.seq`, SQLite sorted every row ever written about the subject first, so a
        // search about a busy EAN slowed as the journal grew (bench/soak.sh).
        let order = if query.subject.is_some() { "s.seq" } else { "e.seq" };
        sql.push_str(&format!(" ORDER BY {order} LIMIT {}", next()));
        let mut q = sqlx::query(&sql);
        if let Some(subject) = &query.subject {
            q = q.bind(subject.clone());
        }
        if let Some(actor) = &query.actor {
            q = q.bind(actor.clone());
        }
        if let Some(from) = query.from {
            q = q.bind(from.as_microsecond());
        }
        if let Some(to) = query.to {
            q = q.bind(to.as_microsecond());
        }
        q = q.bind(query.limit);
        q.fetch_all(&self.read).await?.iter().map(stored_entry).collect()
    }

    /// Entries about any of `windows`' subjects whose time lies inside that subject's period,
    /// after entry `after` (exclusive), oldest first, at most `limit`; each entry once even
    /// when it names several subjects of `windows`.
    ///
    /// This is the access log's query: a customer's access points, each with the periods they
    /// occupied it, so nothing from before they moved in or after they left is even read (R4).
    /// The periods are matched on `journal_subjects.time_us`, the entry's time copied beside
    /// the subject, so the subject's primary key narrows each window without reading entries.
    pub async fn journal_about(
        &self,
        windows: &[(String, Period)],
        after: Option<u64>,
        limit: i64,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        if windows.is_empty() || limit <= 0 {
            return Ok(Vec::new());
        }
        let mut n = 0;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        // Each window is its own seek on the subject's primary key (subject, seq), in sequence
        // order and cut at `limit`, so a page reads at most `limit` index rows per window
        // however many entries name the subject. One `IN (… OR …)` over all windows was
        // materialised whole first: a customer's access log then read every entry ever
        // written about their EAN, and slowed as the journal grew (bench/soak.sh).
        let after_param = after.map(|_| next());
        let limit_param = next();
        let mut branches = Vec::with_capacity(windows.len());
        for (i, (_, period)) in windows.iter().enumerate() {
            let mut branch = format!(
                "SELECT w{i}.seq FROM (SELECT s.seq FROM journal_subjects s WHERE s.subject = {} AND s.time_us >= {}",
                next(),
                next()
            );
            if period.to().is_some() {
                branch.push_str(&format!(" AND s.time_us < {}", next()));
            }
            if let Some(param) = &after_param {
                branch.push_str(&format!(" AND s.seq > {param}"));
            }
            branch.push_str(&format!(" ORDER BY s.seq LIMIT {limit_param}) w{i}"));
            branches.push(branch);
        }
        let sql = format!(
            "SELECT e.seq, e.entry, e.leaf_hash FROM journal_entries e WHERE e.seq IN ({}) \
             ORDER BY e.seq LIMIT {limit_param}",
            branches.join(" UNION ")
        );
        let mut q = sqlx::query(&sql);
        if let Some(after) = after {
            // Sequence numbers fit in i64: the writer assigns them from an i64 column.
            q = q.bind(i64::try_from(after).unwrap_or(i64::MAX));
        }
        q = q.bind(limit);
        for (subject, period) in windows {
            q = q.bind(subject.clone()).bind(period.from().as_microsecond());
            if let Some(to) = period.to() {
                q = q.bind(to.as_microsecond());
            }
        }
        q.fetch_all(&self.read).await?.iter().map(stored_entry).collect()
    }

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

fn stored_entry(row: &AnyRow) -> Result<StoredEntry, StoreError> {
    let seq: i64 = row.try_get("seq")?;
    let bytes: Vec<u8> = row.try_get("entry")?;
    let entry = Entry::decode(&bytes).map_err(|e| corrupt(format!("journal entry {seq}: {e}")))?;
    Ok(StoredEntry { leaf_hash: hash_from(row.try_get("leaf_hash")?, "leaf hash")?, entry, bytes })
}
