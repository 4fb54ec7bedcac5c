//! Reading entries back: one by index, the auditors' search by subject, actor and period,
//! and the access log's query of entries about given subjects inside given periods.

use jiff::Timestamp;
use journal::{Entry, Hash};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use domain::Period;

use super::rows::hash_from;
use crate::{Store, StoreError, corrupt};

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

impl Store {
    /// One entry by index.
    pub async fn journal_entry(&self, index: u64) -> Result<Option<StoredEntry>, StoreError> {
        let row = sqlx::query("SELECT seq, entry, leaf_hash FROM journal_entries WHERE seq = $1")
            .bind(index as i64)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| stored_entry(&r)).transpose()
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
}

fn stored_entry(row: &AnyRow) -> Result<StoredEntry, StoreError> {
    let seq: i64 = row.try_get("seq")?;
    let bytes: Vec<u8> = row.try_get("entry")?;
    let entry = Entry::decode(&bytes).map_err(|e| corrupt(format!("journal entry {seq}: {e}")))?;
    Ok(StoredEntry { leaf_hash: hash_from(row.try_get("leaf_hash")?, "leaf hash")?, entry, bytes })
}
