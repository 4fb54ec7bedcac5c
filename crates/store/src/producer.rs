//! The producer connection queues' persistence (R15): each accepted command of a substation's
//! queue, and the queue as it stands, versioned.
//!
//! A command is applied by the domain ([`domain::producer::Queue::apply`]) to the queue read
//! in the writer's transaction, so two commands on one queue never interleave; what it
//! changed is written as new versions (the queue's figures, each request touched), beside the
//! command itself. Reading the commands back and replaying them rebuilds the queue, which the
//! audit compares with the stored versions.

use std::collections::BTreeMap;

use domain::producer::{Command, Happening, Queue, Request};
use domain::{PartyId, SubstationId};
use jiff::Timestamp;
use jiff::civil::Date;

use crate::bound::{CONNECTION_COMMANDS, CONNECTION_QUEUES, CONNECTION_REQUESTS};
use crate::local::Columns;
use crate::register::micros;
use crate::{Store, StoreError, WriteTx, corrupt};

/// The queue as it stands: its latest version and each request's latest version.
const QUEUE_SQL: &str = "SELECT q.substation, q.capacity_kw, q.next_filing, q.last_day FROM connection_queues q \
     WHERE (q.substation = $1 OR $1 = '') AND q.version = \
     (SELECT MAX(v.version) FROM connection_queues v WHERE v.substation = q.substation) ORDER BY q.substation";
const REQUESTS_SQL: &str = "SELECT r.substation, r.state, r.producer_id, r.request FROM connection_requests r \
     WHERE (r.substation = $1 OR $1 = '') AND r.version = \
     (SELECT MAX(v.version) FROM connection_requests v WHERE v.request_id = r.request_id)";

fn refused(field: &'static str, code: &'static str, reason: String) -> StoreError {
    StoreError::Refused { field, code, reason }
}

/// Builds the queues from their rows: the queue rows, then every request row.
fn queues_from(
    queue_rows: &[sqlx::any::AnyRow],
    request_rows: &[sqlx::any::AnyRow],
) -> Result<Vec<Queue>, StoreError> {
    let mut queues: BTreeMap<String, Queue> = BTreeMap::new();
    for row in queue_rows {
        let name = row.text("substation")?;
        let substation: SubstationId = name.parse().map_err(|_| corrupt("connection queue substation"))?;
        let last_day = row
            .opt_text("last_day")?
            .map(|d| d.parse::<Date>().map_err(|_| corrupt("connection queue day")))
            .transpose()?;
        let queue = Queue {
            substation,
            capacity: u32::try_from(row.int("capacity_kw")?).map_err(|_| corrupt("connection capacity"))?,
            requests: Vec::new(),
            next_filing: u32::try_from(row.int("next_filing")?).map_err(|_| corrupt("connection filing"))?,
            last_day,
        };
        queues.insert(name, queue);
    }
    for row in request_rows {
        let request: Request =
            serde_json::from_str(&row.text("request")?).map_err(|_| corrupt("connection request"))?;
        // The searchable columns beside the request must say what it says.
        if row.text("state")? != request.state.as_str()
            || row.text("producer_id")? != request.producer.as_str()
        {
            return Err(corrupt(format!(
                "connection request {}: its columns disagree with its record",
                request.id
            )));
        }
        let queue =
            queues.get_mut(&row.text("substation")?).ok_or_else(|| corrupt("connection request queue"))?;
        queue.requests.push(request);
    }
    let mut queues: Vec<Queue> = queues.into_values().collect();
    for queue in &mut queues {
        queue.requests.sort_by_key(|r| r.rank);
    }
    Ok(queues)
}

impl WriteTx {
    /// Applies `command` to `substation`'s queue and writes what it changed; returns the queue
    /// after and what happened. Refused with the rule named, before anything is written, when
    /// the substation has no queue (only a capacity opens one), the producer is not a network
    /// user, or the domain refuses. A daily run that changed nothing writes nothing.
    pub async fn apply_connection(
        &mut self,
        substation: &SubstationId,
        command: &Command,
        at: Timestamp,
    ) -> Result<(Queue, Vec<Happening>), StoreError> {
        let found = self.connection_queue(substation).await?;
        if found.is_none() && !matches!(command, Command::SetCapacity { .. }) {
            return Err(refused(
                "substation",
                "unknown_substation",
                format!("{substation} has no hosting capacity on record: set its capacity first"),
            ));
        }
        if let Command::Acknowledge { producer, .. } = command {
            let kind = self.party_kind("producer", producer).await?;
            if !kind.is_network_user() {
                return Err(StoreError::WrongPartyKind {
                    field: "producer",
                    id: producer.to_string(),
                    found: kind.as_str().to_owned(),
                    expected: "a network user (person or company)",
                });
            }
        }
        let before = found.unwrap_or_else(|| Queue::new(substation.clone()));
        let mut after = before.clone();
        let happened = after.apply(command).map_err(|e| StoreError::Refused {
            field: e.field,
            code: e.code,
            reason: e.reason,
        })?;
        if happened.is_empty() && matches!(command, Command::Daily { .. }) {
            return Ok((after, happened));
        }
        let seq = self.journal_seq();
        let name = substation.as_str().to_owned();
        let next_command: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM connection_commands WHERE substation = $1",
        )
        .bind(name.clone())
        .fetch_one(self.conn())
        .await?;
        let text = serde_json::to_string(command).map_err(|_| corrupt("connection command"))?;
        let row = sqlx::query(&format!(
            "INSERT INTO connection_commands (substation, seq, command, recorded_at, journal_seq) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {}",
            CONNECTION_COMMANDS.column_list()
        ))
        .bind(name.clone())
        .bind(next_command)
        .bind(text)
        .bind(micros(at))
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&CONNECTION_COMMANDS, &row)?;
        let figures = |q: &Queue| (q.capacity, q.next_filing, q.last_day);
        if figures(&before) != figures(&after) || before.last_day.is_none() {
            let version: i64 = sqlx::query_scalar(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM connection_queues WHERE substation = $1",
            )
            .bind(name.clone())
            .fetch_one(self.conn())
            .await?;
            let row = sqlx::query(&format!(
                "INSERT INTO connection_queues (substation, version, capacity_kw, next_filing, last_day, journal_seq) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING {}",
                CONNECTION_QUEUES.column_list()
            ))
            .bind(name.clone())
            .bind(version)
            .bind(i64::from(after.capacity))
            .bind(i64::from(after.next_filing))
            .bind(after.last_day.map(|d| d.to_string()))
            .bind(seq)
            .fetch_one(self.conn())
            .await?;
            self.bind(&CONNECTION_QUEUES, &row)?;
        }
        for request in &after.requests {
            if before.request(&request.id) == Some(request) {
                continue;
            }
            let version: i64 = sqlx::query_scalar(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM connection_requests WHERE request_id = $1",
            )
            .bind(request.id.clone())
            .fetch_one(self.conn())
            .await?;
            let text = serde_json::to_string(request).map_err(|_| corrupt("connection request"))?;
            let row = sqlx::query(&format!(
                "INSERT INTO connection_requests (request_id, version, substation, producer_id, state, request, journal_seq) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {}",
                CONNECTION_REQUESTS.column_list()
            ))
            .bind(request.id.clone())
            .bind(version)
            .bind(name.clone())
            .bind(request.producer.to_string())
            .bind(request.state.as_str())
            .bind(text)
            .bind(seq)
            .fetch_one(self.conn())
            .await?;
            self.bind(&CONNECTION_REQUESTS, &row)?;
        }
        Ok((after, happened))
    }

    /// `substation`'s queue as it stands in this transaction, if its capacity was ever set.
    pub async fn connection_queue(&mut self, substation: &SubstationId) -> Result<Option<Queue>, StoreError> {
        let name = substation.as_str().to_owned();
        let queue_rows = sqlx::query(QUEUE_SQL).bind(name.clone()).fetch_all(self.conn()).await?;
        let request_rows = sqlx::query(REQUESTS_SQL).bind(name).fetch_all(self.conn()).await?;
        Ok(queues_from(&queue_rows, &request_rows)?.pop())
    }

    /// Every substation with a queue, in name order: what the daily run walks.
    pub async fn connection_substations(&mut self) -> Result<Vec<SubstationId>, StoreError> {
        let names: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT substation FROM connection_queues ORDER BY substation")
                .fetch_all(self.conn())
                .await?;
        names.iter().map(|n| n.parse().map_err(|_| corrupt("connection queue substation"))).collect()
    }
}

impl Store {
    /// Every queue as it stands, by substation name.
    pub async fn connection_queues(&self) -> Result<Vec<Queue>, StoreError> {
        let queue_rows = sqlx::query(QUEUE_SQL).bind(String::new()).fetch_all(&self.read).await?;
        let request_rows = sqlx::query(REQUESTS_SQL).bind(String::new()).fetch_all(&self.read).await?;
        queues_from(&queue_rows, &request_rows)
    }

    /// The queues on which `producer` has filed a request: each whole, for the caller to cut
    /// down to what the producer may see.
    pub async fn connection_queues_of(&self, producer: &PartyId) -> Result<Vec<Queue>, StoreError> {
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT substation FROM connection_requests WHERE producer_id = $1 ORDER BY substation",
        )
        .bind(producer.as_str().to_owned())
        .fetch_all(&self.read)
        .await?;
        let mut queues = Vec::with_capacity(names.len());
        for name in names {
            let queue_rows = sqlx::query(QUEUE_SQL).bind(name.clone()).fetch_all(&self.read).await?;
            let request_rows = sqlx::query(REQUESTS_SQL).bind(name).fetch_all(&self.read).await?;
            queues.extend(queues_from(&queue_rows, &request_rows)?);
        }
        Ok(queues)
    }

    /// Every accepted command, per substation in the order applied: what replays the queues.
    pub async fn connection_commands(&self) -> Result<Vec<(SubstationId, u32, Command)>, StoreError> {
        let rows =
            sqlx::query("SELECT substation, seq, command FROM connection_commands ORDER BY substation, seq")
                .fetch_all(&self.read)
                .await?;
        rows.iter()
            .map(|row| {
                let substation =
                    row.text("substation")?.parse().map_err(|_| corrupt("connection command substation"))?;
                let seq = u32::try_from(row.int("seq")?).map_err(|_| corrupt("connection command number"))?;
                let command =
                    serde_json::from_str(&row.text("command")?).map_err(|_| corrupt("connection command"))?;
                Ok((substation, seq, command))
            })
            .collect()
    }
}
