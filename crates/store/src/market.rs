//! Market scenarios and their messages in SQL: what the market's commands read and write in
//! the writer's transaction, and what a party's queue reads.
//!
//! The rules are the domain's (`domain::scenario`): the store reads the [`PointView`] they
//! judge by under the access point's lock, and writes what they decided. Every table here is
//! append-only and bound to the journal (`bound.rs`): a scenario's steps are rows of
//! `scenario_statuses` numbered from 1, a message's acknowledgement is a row of
//! `message_acks`, so nothing a party was told, nor when it said it read it, is overwritten.
//!
//! Parties see random ids (a scenario's `public_id`, a message's `id`), never the counters
//! that order them, so an id tells nobody how many scenarios or messages others have (I5). A
//! recipient's queue is read by recipient only: a message id guessed by another party finds
//! nothing, the same nothing as an id that does not exist.

use domain::scenario::{Parties, PointView, Request, Scenario, ScenarioId, Status};
use domain::{Ean, Occupancy, Recorded, Registration};
use jiff::Timestamp;
use rand::RngCore;
use serde::Serialize;
use sqlx::Row;

use crate::bound::{IDEMPOTENCY_KEYS, MESSAGE_ACKS, MESSAGES, QUEUE_MARKS, SCENARIO_STATUSES, SCENARIOS};
use crate::register::{
    ACCESS_POINT_COLUMNS, LATEST_VERSION, NOT_SUPERSEDED_OCC, NOT_SUPERSEDED_REG, PLAIN, access_point_from,
    ean_key, instant, micros, occupancy_from, registration_from,
};
use crate::{Sealer, Store, StoreError, WriteTx, corrupt};

/// The statuses of a scenario still to take effect, as stored.
const IN_PROGRESS: &str = "('accepted', 'requested', 'scheduled')";

/// A scenario as stored: the domain's value and the id parties know it by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredScenario {
    /// The random id shown to parties.
    pub public_id: String,
    /// The scenario, with its current status.
    pub scenario: Scenario,
    /// When it was accepted.
    pub recorded_at: Timestamp,
}

/// One message as its recipient reads it from its queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredMessage {
    /// The random id the recipient acknowledges it by.
    pub id: String,
    /// Whom it is for: a party id, or `dso:` and a service.
    pub recipient: String,
    /// The kind, as the message's body names it.
    pub kind: String,
    /// The body exactly as journaled (its digest is in the entry).
    pub body: Vec<u8>,
    /// When it was queued.
    pub created: Timestamp,
    /// The journal entry that sent it: its index is the message's receipt.
    pub entry: u64,
}

/// What an acknowledgement did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Acknowledged {
    /// The message left the queue now.
    Now,
    /// It had been acknowledged before: nothing changed, so a retried acknowledgement is
    /// harmless (at-least-once delivery).
    Before,
    /// No message of that id is addressed to that recipient: unknown, or someone else's,
    /// which are the same answer (I5).
    NoSuchMessage,
}

/// The first answer to a submission under an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remembered {
    /// The digest of the request it answered.
    pub request_digest: Vec<u8>,
    /// The answer's bytes.
    pub answer: Vec<u8>,
}

/// A random 128-bit identifier in hexadecimal, from the operating system's source.
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn request_context(public_id: &str) -> String {
    format!("scenarios.request|{public_id}")
}

fn status_from(text: &str) -> Result<Status, StoreError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| corrupt(format!("scenario status {text:?}")))
}

fn scenario_from(sealer: &Sealer, row: &sqlx::any::AnyRow) -> Result<StoredScenario, StoreError> {
    let public_id: String = row.try_get("public_id")?;
    let sealed: Vec<u8> = row.try_get("request_sealed")?;
    let request: Request = sealer.open_json(&request_context(&public_id), &sealed)?;
    let parties: Parties = serde_json::from_str(&row.try_get::<String, _>("parties")?)
        .map_err(|e| corrupt(format!("scenario parties: {e}")))?;
    let status = status_from(&row.try_get::<String, _>("status")?)?;
    Ok(StoredScenario {
        public_id,
        scenario: Scenario { id: ScenarioId(row.try_get("id")?), request, status, parties },
        recorded_at: instant(row.try_get("recorded_at")?)?,
    })
}

/// Scenarios with their current status (`st`, the highest step).
const SCENARIO_SQL: &str = "SELECT s.id, s.public_id, s.request_sealed, s.parties, s.recorded_at, st.status \
     FROM scenarios s JOIN scenario_statuses st ON st.scenario_id = s.id \
     AND st.n = (SELECT MAX(x.n) FROM scenario_statuses x WHERE x.scenario_id = s.id)";

impl WriteTx {
    /// The access point as the market's rules judge a request on it: its current version,
    /// its effective occupancies and registrations, the scenarios in progress on it, and the
    /// scenario `also` (the one a rectification names) whatever its status. Takes the access
    /// point's lock first, so what is read stays true until the transaction ends.
    pub async fn point_view(&mut self, ean: Ean, also: Option<ScenarioId>) -> Result<PointView, StoreError> {
        self.lock_access_point(ean).await?;
        let key = ean_key(ean);
        let sealer = self.sealer.clone();
        let ap = sqlx::query(&format!(
            "SELECT {ACCESS_POINT_COLUMNS} FROM access_points ap WHERE ap.ean = $1 AND {LATEST_VERSION}"
        ))
        .bind(key)
        .fetch_optional(self.conn())
        .await?;
        let access_point = ap.map(|r| access_point_from(&sealer, &r)).transpose()?;
        let occupancies: Vec<Recorded<Occupancy>> = sqlx::query(&format!(
            "SELECT * FROM occupancies c WHERE c.ean = $1 AND {NOT_SUPERSEDED_OCC} ORDER BY c.id"
        ))
        .bind(key)
        .fetch_all(self.conn())
        .await?
        .iter()
        .map(|r| occupancy_from(&sealer, r, &PLAIN))
        .collect::<Result<_, _>>()?;
        let registrations: Vec<Recorded<Registration>> = sqlx::query(&format!(
            "SELECT * FROM registrations c WHERE c.ean = $1 AND {NOT_SUPERSEDED_REG} ORDER BY c.id"
        ))
        .bind(key)
        .fetch_all(self.conn())
        .await?
        .iter()
        .map(|r| registration_from(r, &PLAIN))
        .collect::<Result<_, _>>()?;
        let rows = sqlx::query(&format!(
            "{SCENARIO_SQL} WHERE s.ean = $1 AND (st.status IN {IN_PROGRESS} OR s.id = $2) ORDER BY s.id"
        ))
        .bind(key)
        .bind(also.map(|id| id.0))
        .fetch_all(self.conn())
        .await?;
        let scenarios =
            rows.iter().map(|r| scenario_from(&sealer, r).map(|s| s.scenario)).collect::<Result<_, _>>()?;
        Ok(PointView { access_point, occupancies, registrations, scenarios })
    }

    /// The id the next accepted scenario will have: the rules judge a request under it
    /// before it is written. The writer is the only one inserting scenarios, so the id read
    /// here is the one [`WriteTx::insert_scenario`] gets.
    pub async fn next_scenario_id(&mut self) -> Result<ScenarioId, StoreError> {
        let max: Option<i64> =
            sqlx::query_scalar("SELECT MAX(id) FROM scenarios").fetch_one(self.conn()).await?;
        Ok(ScenarioId(max.unwrap_or(0) + 1))
    }

    /// Writes an accepted scenario and its first step, bound to the next entry. Returns
    /// the public id drawn for it.
    pub async fn insert_scenario(
        &mut self,
        scenario: &Scenario,
        at: Timestamp,
    ) -> Result<String, StoreError> {
        let public_id = random_id();
        let sealed = self.sealer.seal_json(&request_context(&public_id), &scenario.request);
        let parties = serde_json::to_string(&scenario.parties)
            .map_err(|e| StoreError::Journal(format!("scenario parties: {e}")))?;
        let seq = self.journal_seq();
        let request = &scenario.request;
        let row = sqlx::query(&format!(
            "INSERT INTO scenarios (public_id, ean, kind, initiator, effective_day, request_sealed, parties, \
                                    recorded_at, journal_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {}",
            SCENARIOS.column_list()
        ))
        .bind(public_id.as_str())
        .bind(ean_key(request.ean))
        .bind(request.kind().as_str())
        .bind(request.initiator.as_str())
        .bind(request.effective_day.to_string())
        .bind(sealed)
        .bind(parties)
        .bind(micros(at))
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        // The rules judged it under the id `next_scenario_id` gave; the insert must agree, or
        // the messages and steps would name another scenario.
        let id: i64 = row.try_get("id")?;
        if id != scenario.id.0 {
            return Err(StoreError::Journal(format!(
                "scenario {} was judged under an id the store did not give (written as {id})",
                scenario.id
            )));
        }
        self.bind(&SCENARIOS, &row)?;
        self.insert_step(scenario.id, 1, scenario.status, at).await?;
        Ok(public_id)
    }

    /// Records the scenario's next step, bound to the next entry.
    pub async fn insert_status(
        &mut self,
        id: ScenarioId,
        status: Status,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let last: Option<i64> =
            sqlx::query_scalar("SELECT MAX(n) FROM scenario_statuses WHERE scenario_id = $1")
                .bind(id.0)
                .fetch_one(self.conn())
                .await?;
        self.insert_step(id, last.unwrap_or(0) + 1, status, at).await
    }

    /// Writes step `n` of scenario `id`, bound to the next entry.
    async fn insert_step(
        &mut self,
        id: ScenarioId,
        n: i64,
        status: Status,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO scenario_statuses (scenario_id, n, status, at_us, journal_seq) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {}",
            SCENARIO_STATUSES.column_list()
        ))
        .bind(id.0)
        .bind(n)
        .bind(status.as_str())
        .bind(micros(at))
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&SCENARIO_STATUSES, &row)
    }

    /// Queues one message for one recipient, bound to the next entry. Returns its id.
    pub async fn insert_message(
        &mut self,
        recipient: &str,
        scenario: ScenarioId,
        kind: &str,
        body: &[u8],
        at: Timestamp,
    ) -> Result<String, StoreError> {
        let id = random_id();
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO messages (id, recipient, scenario_id, kind, body, created_us, journal_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {}",
            MESSAGES.column_list()
        ))
        .bind(id.as_str())
        .bind(recipient)
        .bind(scenario.0)
        .bind(kind)
        .bind(body)
        .bind(micros(at))
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&MESSAGES, &row)?;
        Ok(id)
    }

    /// Takes message `id` out of `recipient`'s queue; writes (and binds to the next entry)
    /// only when it was there and not yet acknowledged.
    pub async fn acknowledge(
        &mut self,
        recipient: &str,
        id: &str,
        at: Timestamp,
    ) -> Result<Acknowledged, StoreError> {
        let found = sqlx::query(
            "SELECT m.id, a.message_id AS acked FROM messages m \
             LEFT JOIN message_acks a ON a.message_id = m.id WHERE m.id = $1 AND m.recipient = $2",
        )
        .bind(id)
        .bind(recipient)
        .fetch_optional(self.conn())
        .await?;
        let Some(row) = found else { return Ok(Acknowledged::NoSuchMessage) };
        if row.try_get::<Option<String>, _>("acked")?.is_some() {
            return Ok(Acknowledged::Before);
        }
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO message_acks (message_id, acked_us, journal_seq) VALUES ($1, $2, $3) RETURNING {}",
            MESSAGE_ACKS.column_list()
        ))
        .bind(id)
        .bind(micros(at))
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&MESSAGE_ACKS, &row)?;
        self.advance_mark(recipient).await?;
        Ok(Acknowledged::Now)
    }

    /// Moves `recipient`'s mark up to just below its oldest unacknowledged message (or to its
    /// newest message, when none is left), if that is higher than it was: a new row, bound to
    /// the next entry. Reads only the messages between the mark and the first unacknowledged
    /// one, so acknowledging in order costs the same however long the queue's history.
    async fn advance_mark(&mut self, recipient: &str) -> Result<(), StoreError> {
        let mark: i64 =
            sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(mark) FROM queue_marks WHERE recipient = $1")
                .bind(recipient)
                .fetch_one(self.conn())
                .await?
                .unwrap_or(0);
        let first_unread: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(m.n) FROM messages m WHERE m.recipient = $1 AND m.n > $2 \
             AND NOT EXISTS (SELECT 1 FROM message_acks a WHERE a.message_id = m.id)",
        )
        .bind(recipient)
        .bind(mark)
        .fetch_one(self.conn())
        .await?;
        let next = match first_unread {
            Some(n) => n - 1,
            None => sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(n) FROM messages WHERE recipient = $1")
                .bind(recipient)
                .fetch_one(self.conn())
                .await?
                .unwrap_or(0),
        };
        if next <= mark {
            return Ok(());
        }
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO queue_marks (recipient, mark, journal_seq) VALUES ($1, $2, $3) RETURNING {}",
            QUEUE_MARKS.column_list()
        ))
        .bind(recipient)
        .bind(next)
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&QUEUE_MARKS, &row)
    }

    /// The id parties know scenario `id` by.
    pub async fn scenario_public_id(&mut self, id: ScenarioId) -> Result<String, StoreError> {
        sqlx::query_scalar("SELECT public_id FROM scenarios WHERE id = $1")
            .bind(id.0)
            .fetch_optional(self.conn())
            .await?
            .ok_or_else(|| corrupt(format!("scenario {id} has no public id")))
    }

    /// The first answer given to `party` under `key`, if any.
    pub async fn remembered(&mut self, party: &str, key: &str) -> Result<Option<Remembered>, StoreError> {
        let row = sqlx::query(
            "SELECT request_digest, answer FROM idempotency_keys WHERE party_id = $1 AND key = $2",
        )
        .bind(party)
        .bind(key)
        .fetch_optional(self.conn())
        .await?;
        row.map(|r| {
            Ok(Remembered { request_digest: r.try_get("request_digest")?, answer: r.try_get("answer")? })
        })
        .transpose()
    }

    /// Keeps the first answer to `party`'s submission under `key`, bound to the next entry.
    pub async fn remember(
        &mut self,
        party: &str,
        key: &str,
        request_digest: &[u8],
        answer: &[u8],
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO idempotency_keys (party_id, key, request_digest, answer, created_us, journal_seq) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {}",
            IDEMPOTENCY_KEYS.column_list()
        ))
        .bind(party)
        .bind(key)
        .bind(request_digest)
        .bind(answer)
        .bind(micros(at))
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&IDEMPOTENCY_KEYS, &row)
    }

    /// Scenarios in progress whose effective day has come (`day_start <= now`), oldest day
    /// first: what the daily run completes.
    pub async fn due_scenarios(
        &mut self,
        today: jiff::civil::Date,
    ) -> Result<Vec<StoredScenario>, StoreError> {
        let rows = sqlx::query(&format!(
            "{SCENARIO_SQL} WHERE st.status IN {IN_PROGRESS} AND s.effective_day <= $1 \
             ORDER BY s.effective_day, s.id"
        ))
        .bind(today.to_string())
        .fetch_all(self.conn())
        .await?;
        let sealer = self.sealer.clone();
        rows.iter().map(|r| scenario_from(&sealer, r)).collect()
    }
}

impl Store {
    /// A scenario by its public id, with its current status.
    pub async fn scenario(&self, public_id: &str) -> Result<Option<StoredScenario>, StoreError> {
        let row = sqlx::query(&format!("{SCENARIO_SQL} WHERE s.public_id = $1"))
            .bind(public_id)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| scenario_from(&self.sealer, &r)).transpose()
    }

    /// The oldest messages of `recipient` not yet acknowledged, at most `limit`, in the
    /// order they were queued.
    pub async fn peek_messages(&self, recipient: &str, limit: i64) -> Result<Vec<StoredMessage>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.id, m.recipient, m.kind, m.body, m.created_us, m.journal_seq FROM messages m \
             WHERE m.recipient = $1 \
             AND m.n > COALESCE((SELECT MAX(q.mark) FROM queue_marks q WHERE q.recipient = $1), 0) \
             AND NOT EXISTS (SELECT 1 FROM message_acks a WHERE a.message_id = m.id) \
             ORDER BY m.n LIMIT $2",
        )
        .bind(recipient)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let entry: Option<i64> = r.try_get("journal_seq")?;
                Ok(StoredMessage {
                    id: r.try_get("id")?,
                    recipient: r.try_get("recipient")?,
                    kind: r.try_get("kind")?,
                    body: r.try_get("body")?,
                    created: instant(r.try_get("created_us")?)?,
                    entry: entry
                        .and_then(|e| u64::try_from(e).ok())
                        .ok_or_else(|| corrupt("a queued message names no journal entry"))?,
                })
            })
            .collect()
    }
}
