//! The group-commit writer: one task owns every write to the database.
//!
//! Requests queue on a channel: entries alone, a checkpoint, or a [`Command`] that a
//! capability defines (what it reads, checks and writes, and the entries that describe it).
//! The writer takes all that are waiting, runs them in one transaction in arrival order,
//! appends their entries to the Merkle log, signs the new tree head and commits once. A
//! caller is answered only after that commit, so what is acknowledged is durable, and a
//! business change never commits without its entry (I1), nor survives a failed append (I2).
//! Batching is what makes durable appends cheap: one fsync for as many entries as arrived
//! while the previous batch was committing.
//!
//! The writer knows the journal's tables and nothing else: a new capability adds a command
//! beside its use cases, not a variant here. Commands are type-erased in the queue (a boxed
//! trait object holding the command and its reply), so one channel carries all of them; the
//! box is one allocation per request, next to a transaction's worth of work.
//!
//! The in-memory frontier is a cache of the stored one: at the start of each batch the writer
//! compares its size with the stored head (another process may have appended) and reloads
//! the ≤ 64 nodes it needs when they differ.

use std::future::Future;
use std::ops::Range;
use std::pin::Pin;

use ed25519_dalek::SigningKey;
use journal::{Entry, Frontier, Hash, SignedTreeHead};
use sqlx::AnyConnection;
use tokio::sync::{mpsc, oneshot};

use super::batch::{Appended, Closing, EntryRow};
use super::heads::{latest_in, newest_checkpoint, store_checkpoint, store_latest};
use super::nodes::load_frontier;
use super::sqlite_commit::LocalWriter;
use crate::{Backend, Store, StoreError, WriteTx};

/// Requests taken into one transaction at most.
const MAX_BATCH: usize = 4096;
/// Rows per multi-row INSERT: fewer statements per batch, far below both databases'
/// parameter limits (6 columns × 256 rows).
const ROWS_PER_INSERT: usize = 256;

/// What one request does inside the writer's transaction: a capability's write.
///
/// A command reads what its rules need, checks them, writes, and returns its output with the
/// journal entries that describe what it did (their sequence numbers are assigned by the
/// writer). All of it happens in the batch's one transaction, so the write and its entries
/// commit together or not at all (I1, I2).
pub trait Command: Send + 'static {
    /// What the caller learns once the batch is committed.
    type Output: Send + 'static;

    /// Reads, checks and writes in `tx`; returns the output and the entries that describe it.
    ///
    /// An `Err` fails the whole batch and every request in it: it is for a database failure,
    /// after which the transaction cannot be trusted. A refusal of bad input is part of the
    /// output instead, journaled by the entries returned; a command that writes before it
    /// may refuse works inside a savepoint ([`WriteTx::savepoint`]) so the refusal leaves
    /// nothing behind.
    fn run(self, tx: &mut WriteTx) -> impl Future<Output = Result<Done<Self::Output>, StoreError>> + Send;
}

/// What a command did: its output and the journal entries that describe it.
#[derive(Debug)]
pub struct Done<T> {
    /// What the caller gets back.
    pub output: T,
    /// The entries to append in the same transaction, in order.
    pub entries: Vec<Entry>,
}

/// What the writer answers once the batch is committed.
#[derive(Debug)]
pub struct Committed<T> {
    /// What the request produced: a command's output; nothing for entries alone.
    pub output: T,
    /// The sequence numbers of the entries this request appended.
    pub entries: Range<u64>,
    /// The signed head of the journal right after the commit.
    pub head: SignedTreeHead,
}

/// A queued request; await it to learn that it is durable.
pub struct Ticket<T>(oneshot::Receiver<Result<Committed<T>, StoreError>>);

impl<T> Ticket<T> {
    /// Waits for the commit of the batch that carried the request.
    pub async fn wait(self) -> Result<Committed<T>, StoreError> {
        self.0.await.map_err(|_| StoreError::Journal("the journal writer stopped before answering".into()))?
    }
}

type Reply<T> = oneshot::Sender<Result<Committed<T>, StoreError>>;

/// A request as the writer holds it until it answers.
enum Request {
    /// Append these entries.
    Entries { entries: Vec<Entry>, reply: Reply<()> },
    /// Keep a checkpoint head now.
    Checkpoint { reply: Reply<()> },
    /// Run a capability's command.
    Command(Box<dyn Queued>),
}

impl Request {
    fn answer(self, entries: Range<u64>, head: SignedTreeHead) {
        match self {
            Request::Entries { reply, .. } | Request::Checkpoint { reply } => {
                let _ = reply.send(Ok(Committed { output: (), entries, head }));
            }
            Request::Command(command) => command.answer(entries, head),
        }
    }

    fn fail(self, error: StoreError) {
        match self {
            Request::Entries { reply, .. } | Request::Checkpoint { reply } => {
                let _ = reply.send(Err(error));
            }
            Request::Command(command) => command.fail(error),
        }
    }
}

/// The future of a command run, its output kept aside: what the queue sees of any command.
type Running<'a> = Pin<Box<dyn Future<Output = Result<Vec<Entry>, StoreError>> + Send + 'a>>;

/// A command with its reply, its type erased so that one queue carries every capability's.
trait Queued: Send {
    /// Runs the command in `tx`, keeps its output for the answer, returns its entries.
    fn run<'a>(&'a mut self, tx: &'a mut WriteTx) -> Running<'a>;
    /// Answers with the output, after the commit.
    fn answer(self: Box<Self>, entries: Range<u64>, head: SignedTreeHead);
    /// Answers that the batch failed.
    fn fail(self: Box<Self>, error: StoreError);
}

/// Where a queued command is: waiting, or run with its output waiting for the commit.
enum Stage<C: Command> {
    Waiting(C),
    Ran(C::Output),
    Running,
}

struct Typed<C: Command> {
    stage: Stage<C>,
    reply: Reply<C::Output>,
}

impl<C: Command> Queued for Typed<C> {
    fn run<'a>(&'a mut self, tx: &'a mut WriteTx) -> Running<'a> {
        Box::pin(async move {
            let Stage::Waiting(command) = std::mem::replace(&mut self.stage, Stage::Running) else {
                return Err(StoreError::Journal("a command was run twice".into()));
            };
            let done = command.run(tx).await?;
            self.stage = Stage::Ran(done.output);
            Ok(done.entries)
        })
    }

    fn answer(self: Box<Self>, entries: Range<u64>, head: SignedTreeHead) {
        let answer = match self.stage {
            Stage::Ran(output) => Ok(Committed { output, entries, head }),
            Stage::Waiting(_) | Stage::Running => {
                Err(StoreError::Journal("a command was answered without having run".into()))
            }
        };
        let _ = self.reply.send(answer);
    }

    fn fail(self: Box<Self>, error: StoreError) {
        let _ = self.reply.send(Err(error));
    }
}

enum Message {
    Request(Request),
    Shutdown(oneshot::Sender<()>),
}

/// The sending side of the writer, shared by every clone of a store.
#[derive(Clone)]
pub(crate) struct WriterHandle {
    sender: mpsc::Sender<Message>,
}

impl WriterHandle {
    pub(crate) fn spawn(store: Store, key: SigningKey) -> WriterHandle {
        let (sender, receiver) = mpsc::channel(MAX_BATCH * 2);
        let local = store.local.as_ref().map(|reads| LocalWriter::start(reads.path()));
        tokio::spawn(Writer { store, key, frontier: None, checkpoint: None, local }.run(receiver));
        WriterHandle { sender }
    }

    async fn send(&self, request: Request) -> Result<(), StoreError> {
        self.sender
            .send(Message::Request(request))
            .await
            .map_err(|_| StoreError::Journal("the journal writer is not running".into()))
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
    /// SQLite only: the writer's own connection for batches of entries alone, and the WAL
    /// checkpointer (see `sqlite_commit`).
    local: Option<LocalWriter>,
}

impl Writer {
    async fn run(mut self, mut receiver: mpsc::Receiver<Message>) {
        while let Some(first) = receiver.recv().await {
            let mut requests = Vec::new();
            let mut shutdown = None;
            match first {
                Message::Request(request) => requests.push(request),
                Message::Shutdown(done) => shutdown = Some(done),
            }
            while shutdown.is_none() && requests.len() < MAX_BATCH {
                match receiver.try_recv() {
                    Ok(Message::Request(request)) => requests.push(request),
                    Ok(Message::Shutdown(done)) => shutdown = Some(done),
                    Err(_) => break,
                }
            }
            if !requests.is_empty() {
                match self.batch(&mut requests).await {
                    Ok((ranges, head)) => {
                        for (request, entries) in requests.into_iter().zip(ranges) {
                            request.answer(entries, head);
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "journal batch failed; every request in it is refused");
                        self.frontier = None;
                        self.checkpoint = None;
                        let message = e.to_string();
                        for request in requests {
                            request.fail(StoreError::Journal(message.clone()));
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

    /// Runs `requests` in one transaction and commits; returns the sequence numbers of each
    /// request's entries, in order, and the signed head after the commit. The requests keep
    /// what they must answer with (a command's output).
    async fn batch(
        &mut self,
        requests: &mut [Request],
    ) -> Result<(Vec<Range<u64>>, SignedTreeHead), StoreError> {
        let entries_only = requests.iter().all(|r| !matches!(r, Request::Command(_)));
        if let (true, Some(local)) = (entries_only, &mut self.local) {
            let works = requests
                .iter_mut()
                .map(|request| match request {
                    Request::Entries { entries, .. } => Some(std::mem::take(entries)),
                    Request::Checkpoint { .. } | Request::Command(_) => None,
                })
                .collect();
            let done = local.commit(&self.key, self.frontier.take(), self.checkpoint, works).await?;
            self.frontier = Some(done.frontier);
            self.checkpoint = Some(done.checkpoint);
            return Ok((done.ranges, done.head));
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
        let mut ranges = Vec::with_capacity(requests.len());
        for request in requests.iter_mut() {
            let (entries, from_slots) = match request {
                Request::Entries { entries, .. } => (std::mem::take(entries), false),
                Request::Checkpoint { .. } => {
                    force_checkpoint = true;
                    (Vec::new(), false)
                }
                Request::Command(command) => {
                    let first = frontier.size();
                    tx.start_command(first);
                    let entries = command.run(&mut tx).await?;
                    let (next, unbound) = tx.end_command();
                    if unbound > 0 || next != first + entries.len() as u64 {
                        return Err(StoreError::Journal(format!(
                            "a command wrote {unbound} rows no entry binds, or took {} slots for {} entries",
                            next - first,
                            entries.len()
                        )));
                    }
                    (entries, true)
                }
            };
            ranges.push(appended.push(&mut frontier, entries, from_slots)?);
        }
        let closing =
            Closing::new(&self.key, &frontier, stored.head.head.size, force_checkpoint, self.checkpoint);
        if !(self.store.backend == Backend::Postgres
            && append_at_once(tx.conn(), &appended, &closing).await?)
        {
            insert_entries(tx.conn(), self.store.backend, &appended.rows).await?;
            insert_nodes(tx.conn(), self.store.backend, &appended.nodes).await?;
            if closing.rewrite_latest {
                store_latest(tx.conn(), &closing.head).await?;
            }
            if closing.checkpoint_due {
                store_checkpoint(tx.conn(), &closing.head).await?;
            }
        }
        tx.commit().await?;
        if closing.checkpoint_due {
            self.checkpoint = Some((closing.head.head.size, closing.now));
        }
        self.frontier = Some(frontier);
        Ok((ranges, closing.head))
    }
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

/// PostgreSQL: the batch's entries, subjects, nodes and heads in one statement (each insert a
/// data-modifying `WITH` part, the latest head's update the main one), when each fits one
/// multi-row insert and the latest head is rewritten; `false`, having written nothing,
/// otherwise, for the statements one by one.
///
/// One statement is one round trip where there were four or five, each a wake-up of the
/// server's process. It changes no rule: the same rows, in the same transaction, committed
/// by the same `COMMIT`, durable before any request of the batch is answered (I1, I2).
async fn append_at_once(
    conn: &mut AnyConnection,
    appended: &Appended,
    closing: &Closing,
) -> Result<bool, StoreError> {
    let subjects: Vec<(&str, i64, i64)> = appended
        .rows
        .iter()
        .flat_map(|r| r.subjects.iter().map(move |s| (s.as_str(), r.seq, r.time_us)))
        .collect();
    let fits = |n: usize| n <= ROWS_PER_INSERT;
    if !closing.rewrite_latest
        || appended.rows.is_empty()
        || !fits(appended.rows.len())
        || !fits(subjects.len())
        || !fits(appended.nodes.len())
    {
        return Ok(false);
    }
    let mut next = 1;
    let mut values = |rows: usize, columns: usize| {
        let list = numbered(next, rows, columns);
        next += rows * columns;
        list
    };
    let mut sql = format!(
        "WITH e AS (INSERT INTO journal_entries (seq, time_us, actor, action, entry, leaf_hash) VALUES {})",
        values(appended.rows.len(), 6)
    );
    if !subjects.is_empty() {
        // ON CONFLICT: an entry may name one subject twice; the index needs it once.
        sql.push_str(&format!(
            ", s AS (INSERT INTO journal_subjects (subject, seq, time_us) VALUES {} ON CONFLICT DO NOTHING)",
            values(subjects.len(), 3)
        ));
    }
    if !appended.nodes.is_empty() {
        sql.push_str(&format!(
            ", n AS (INSERT INTO journal_nodes (leaf, level, hash) VALUES {})",
            values(appended.nodes.len(), 3)
        ));
    }
    if closing.checkpoint_due {
        sql.push_str(&format!(
            ", h AS (INSERT INTO journal_heads (size, root, time_us, signature) VALUES {})",
            values(1, 4)
        ));
    }
    sql.push_str(&format!(
        " UPDATE journal_latest SET (size, root, time_us, signature) = {} WHERE id = 1",
        values(1, 4)
    ));
    let mut query = sqlx::query(&sql);
    for row in &appended.rows {
        query = query
            .bind(row.seq)
            .bind(row.time_us)
            .bind(row.actor.clone())
            .bind(row.action.clone())
            .bind(row.bytes.clone())
            .bind(row.leaf.as_bytes().to_vec());
    }
    for (subject, seq, time) in &subjects {
        query = query.bind(subject.to_string()).bind(*seq).bind(*time);
    }
    for (leaf, level, hash) in &appended.nodes {
        query = query.bind(*leaf).bind(*level).bind(hash.as_bytes().to_vec());
    }
    let head = &closing.head;
    let heads = if closing.checkpoint_due { 2 } else { 1 };
    for _ in 0..heads {
        query = query
            .bind(head.head.size as i64)
            .bind(head.head.root.as_bytes().to_vec())
            .bind(head.head.time_micros)
            .bind(head.signature.to_vec());
    }
    let done = query.execute(&mut *conn).await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Journal("the journal's latest head was not updated".into()));
    }
    Ok(true)
}

/// `rows` PostgreSQL tuples of `columns` parameters each, numbered from `$first`.
fn numbered(first: usize, rows: usize, columns: usize) -> String {
    let tuples: Vec<String> = (0..rows)
        .map(|r| {
            let row: Vec<String> = (0..columns).map(|c| format!("${}", first + r * columns + c)).collect();
            format!("({})", row.join(","))
        })
        .collect();
    tuples.join(",")
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

impl Store {
    fn writer(&self) -> &WriterHandle {
        self.writer.get().expect("the writer starts with the store")
    }

    /// Queues a command for the writer; the ticket resolves after the commit that made its
    /// writes and its entries durable, with its output.
    pub async fn submit<C: Command>(&self, command: C) -> Result<Ticket<C::Output>, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.writer()
            .send(Request::Command(Box::new(Typed { stage: Stage::Waiting(command), reply })))
            .await?;
        Ok(Ticket(answer))
    }

    /// Queues journal entries (reads, sends, denials) for a durable append.
    pub async fn submit_entries(&self, entries: Vec<Entry>) -> Result<Ticket<()>, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.writer().send(Request::Entries { entries, reply }).await?;
        Ok(Ticket(answer))
    }

    /// Appends entries and waits for their commit.
    pub async fn append(&self, entries: Vec<Entry>) -> Result<Committed<()>, StoreError> {
        self.submit_entries(entries).await?.wait().await
    }

    /// Signs and keeps a checkpoint head of the journal as it is now.
    pub async fn checkpoint(&self) -> Result<SignedTreeHead, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.writer().send(Request::Checkpoint { reply }).await?;
        Ok(Ticket(answer).wait().await?.head)
    }
}
