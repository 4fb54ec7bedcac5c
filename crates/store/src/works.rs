//! Customer works' persistence (R13): each request's versions, its personal data sealed under
//! data keys of its own, and the purges of the retention schedule.
//!
//! Personal fields fall in two categories, each sealed under its own random data key, itself
//! sealed under the installation's key in `works_keys`: `contact` (phone, e-mail: needed to
//! arrange the works) and `invoice` (name, billing address: kept as long as the invoice).
//! Purging a category deletes its key (crypto-shredding): every version's ciphertext of that
//! category stays where the journal bound it, so `journal verify` still passes, and no key
//! anywhere opens it again. On SQLite the deleted key's page is overwritten
//! (`secure_delete`); on PostgreSQL the row is gone from every dump.

use std::collections::BTreeMap;

use domain::PartyId;
use domain::works::WorkRequest;
use jiff::civil::Date;
use rand::RngCore;
use serde::Serialize;

use crate::bound::{WORKS_PURGES, WORKS_REQUESTS};
use crate::local::Columns;
use crate::register::{ean_from, ean_key};
use crate::seal::{MasterKey, Sealer};
use crate::{Store, StoreError, WriteTx, corrupt};

/// The categories of personal data and the fields each holds.
pub const CATEGORIES: [(&str, &[&str]); 2] =
    [("contact", &["phone", "email"]), ("invoice", &["requester_name", "billing_address"])];

/// A request as stored: its id, its latest version, the day of its last step, and the
/// categories of personal data purged from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredWork {
    /// The request's id (`wrk_…`).
    pub id: String,
    /// Its latest version.
    pub version: i64,
    /// The day of its last step.
    pub changed: Date,
    /// The request, personal fields opened as far as their keys remain.
    pub request: WorkRequest,
    /// The categories purged.
    pub purged: Vec<String>,
}

fn key_context(id: &str, category: &str) -> String {
    format!("works_keys:{id}:{category}")
}

fn data_context(id: &str, category: &str) -> String {
    format!("works_requests:{id}:{category}")
}

fn text_of<T: Serialize>(value: &T) -> Result<String, StoreError> {
    let json = serde_json::to_value(value).map_err(|_| corrupt("works enum"))?;
    json.as_str().map(str::to_owned).ok_or_else(|| corrupt("works enum"))
}

fn from_text<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| corrupt(format!("works {what}")))
}

/// Builds a request from its row and the data keys that remain.
fn work_from(
    row: &impl Columns,
    keys: &BTreeMap<String, Sealer>,
    purged: Vec<String>,
) -> Result<StoredWork, StoreError> {
    let id = row.text("request_id")?;
    let mut personal: BTreeMap<String, String> = BTreeMap::new();
    for (category, column) in [("contact", "contact_sealed"), ("invoice", "invoice_sealed")] {
        if let (Some(sealed), Some(sealer)) = (row.opt_blob(column)?, keys.get(category)) {
            let opened: BTreeMap<String, String> = sealer.open_json(&data_context(&id, category), &sealed)?;
            personal.extend(opened);
        }
    }
    let request = WorkRequest {
        kind: from_text(&row.text("kind")?, "kind")?,
        requester: row.text("requester_id")?.parse().map_err(|_| corrupt("works requester"))?,
        requester_kind: from_text(&row.text("requester_kind")?, "requester kind")?,
        ean: row.opt_int("ean")?.map(ean_from).transpose()?,
        stage: from_text(&row.text("stage")?, "stage")?,
        fields: serde_json::from_str(&row.text("fields")?).map_err(|_| corrupt("works fields"))?,
        personal,
        purged: !purged.is_empty(),
    };
    Ok(StoredWork {
        version: row.int("version")?,
        changed: row.text("changed_day")?.parse().map_err(|_| corrupt("works day"))?,
        id,
        request,
        purged,
    })
}

impl WriteTx {
    /// Writes a new version of request `id` (a new request when `id` is `None`, with its two
    /// data keys); returns its id.
    pub async fn put_work(
        &mut self,
        id: Option<&str>,
        request: &WorkRequest,
        day: Date,
    ) -> Result<String, StoreError> {
        let id = match id {
            Some(id) => id.to_owned(),
            None => {
                let mut raw = [0u8; 8];
                rand::rngs::OsRng.fill_bytes(&mut raw);
                let id = format!("wrk_{}", hex::encode(raw));
                for (category, _) in CATEGORIES {
                    let mut key = [0u8; 32];
                    rand::rngs::OsRng.fill_bytes(&mut key);
                    let sealed = self.sealer.seal(&key_context(&id, category), &key);
                    sqlx::query(
                        "INSERT INTO works_keys (request_id, category, key_sealed) VALUES ($1, $2, $3)",
                    )
                    .bind(id.clone())
                    .bind(category)
                    .bind(sealed)
                    .execute(self.conn())
                    .await?;
                }
                id
            }
        };
        let keys = self.work_keys(&id).await?;
        let mut sealed: BTreeMap<&str, Option<Vec<u8>>> = BTreeMap::new();
        for (category, fields) in CATEGORIES {
            let part: BTreeMap<&String, &String> =
                request.personal.iter().filter(|(k, _)| fields.contains(&k.as_str())).collect();
            let value = match keys.get(category) {
                Some(sealer) if !part.is_empty() => {
                    Some(sealer.seal_json(&data_context(&id, category), &part))
                }
                _ => None,
            };
            sealed.insert(category, value);
        }
        let version: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM works_requests WHERE request_id = $1",
        )
        .bind(id.clone())
        .fetch_one(self.conn())
        .await?;
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO works_requests (request_id, version, requester_id, requester_kind, kind, stage, ean, fields, \
             contact_sealed, invoice_sealed, changed_day, journal_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING {}",
            WORKS_REQUESTS.column_list()
        ))
        .bind(id.clone())
        .bind(version)
        .bind(request.requester.to_string())
        .bind(text_of(&request.requester_kind)?)
        .bind(request.kind.as_str())
        .bind(request.stage.as_str())
        .bind(request.ean.map(ean_key))
        .bind(serde_json::to_string(&request.fields).map_err(|_| corrupt("works fields"))?)
        .bind(sealed.remove("contact").flatten())
        .bind(sealed.remove("invoice").flatten())
        .bind(day.to_string())
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&WORKS_REQUESTS, &row)?;
        Ok(id)
    }

    /// The data keys that remain for request `id`, ready to open its personal data.
    async fn work_keys(&mut self, id: &str) -> Result<BTreeMap<String, Sealer>, StoreError> {
        let rows = sqlx::query("SELECT category, key_sealed FROM works_keys WHERE request_id = $1")
            .bind(id.to_owned())
            .fetch_all(self.conn())
            .await?;
        keys_from(&self.sealer, id, &rows)
    }

    /// Request `id` as it stands in this transaction.
    pub async fn work(&mut self, id: &str) -> Result<Option<StoredWork>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM works_requests WHERE request_id = $1 ORDER BY version DESC LIMIT 1",
            WORKS_REQUESTS.column_list()
        ))
        .bind(id.to_owned())
        .fetch_optional(self.conn())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let keys = self.work_keys(id).await?;
        let purged: Vec<String> =
            sqlx::query_scalar("SELECT category FROM works_purges WHERE request_id = $1 ORDER BY category")
                .bind(id.to_owned())
                .fetch_all(self.conn())
                .await?;
        Ok(Some(work_from(&row, &keys, purged)?))
    }

    /// Purges `category` of request `id`: deletes its data key, so no version's ciphertext
    /// of it opens again, and records the purge with its legal basis. Refused when it was
    /// purged already.
    pub async fn purge_work(
        &mut self,
        id: &str,
        category: &str,
        day: Date,
        basis: &str,
    ) -> Result<(), StoreError> {
        if self.backend == crate::Backend::Sqlite {
            sqlx::query("PRAGMA secure_delete = ON").execute(self.conn()).await?;
        }
        let deleted = sqlx::query("DELETE FROM works_keys WHERE request_id = $1 AND category = $2")
            .bind(id.to_owned())
            .bind(category.to_owned())
            .execute(self.conn())
            .await?
            .rows_affected();
        if deleted == 0 {
            return Err(StoreError::Refused {
                field: "category",
                code: "already_purged",
                reason: format!("{id} holds no {category} data to purge"),
            });
        }
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO works_purges (request_id, category, purged_day, basis, journal_seq) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {}",
            WORKS_PURGES.column_list()
        ))
        .bind(id.to_owned())
        .bind(category.to_owned())
        .bind(day.to_string())
        .bind(basis.to_owned())
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&WORKS_PURGES, &row)
    }

    /// The ids of the requests that ended (closed or cancelled), with the day they ended:
    /// what the retention schedule looks at.
    pub async fn ended_works(&mut self) -> Result<Vec<(String, Date)>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.request_id, r.changed_day FROM works_requests r WHERE r.stage IN ('closed', 'cancelled') \
             AND r.version = (SELECT MAX(v.version) FROM works_requests v WHERE v.request_id = r.request_id) \
             ORDER BY r.request_id",
        )
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.text("request_id")?,
                    row.text("changed_day")?.parse().map_err(|_| corrupt("works day"))?,
                ))
            })
            .collect()
    }
}

fn keys_from(
    sealer: &Sealer,
    id: &str,
    rows: &[sqlx::any::AnyRow],
) -> Result<BTreeMap<String, Sealer>, StoreError> {
    let mut keys = BTreeMap::new();
    for row in rows {
        let category = row.text("category")?;
        let key = sealer.open(&key_context(id, &category), &row.blob("key_sealed")?)?;
        let key: [u8; 32] = key.try_into().map_err(|_| corrupt("works data key"))?;
        keys.insert(category, Sealer::new(&MasterKey::from_bytes(key)));
    }
    Ok(keys)
}

impl Store {
    /// After a purge on SQLite: copies the write-ahead log into the file and empties it, so
    /// the frames that still hold a deleted data key are overwritten now rather than at the
    /// checkpointer's next truncation. A reader still using those frames makes it return
    /// without truncating; the checkpointer truncates them later. Nothing to do on PostgreSQL,
    /// whose dumps never hold a deleted row.
    pub async fn forget_deleted(&self) -> Result<(), StoreError> {
        if self.backend == crate::Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&self.write).await?;
        }
        Ok(())
    }

    /// Every request as it stands (`requester` `None`), or one requester's own, in id order;
    /// only request `id` when one is named.
    pub async fn works(
        &self,
        requester: Option<&PartyId>,
        id: Option<&str>,
    ) -> Result<Vec<StoredWork>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM works_requests r WHERE (r.requester_id = $1 OR $1 = '') AND (r.request_id = $2 OR $2 = '') \
             AND r.version = \
             (SELECT MAX(v.version) FROM works_requests v WHERE v.request_id = r.request_id) ORDER BY r.request_id",
            WORKS_REQUESTS.columns.iter().map(|(name, _)| format!("r.{name}")).collect::<Vec<_>>().join(", ")
        ))
        .bind(requester.map(|p| p.as_str().to_owned()).unwrap_or_default())
        .bind(id.unwrap_or_default().to_owned())
        .fetch_all(&self.read)
        .await?;
        let mut works = Vec::with_capacity(rows.len());
        for row in &rows {
            let id = row.text("request_id")?;
            let key_rows = sqlx::query("SELECT category, key_sealed FROM works_keys WHERE request_id = $1")
                .bind(id.clone())
                .fetch_all(&self.read)
                .await?;
            let keys = keys_from(&self.sealer, &id, &key_rows)?;
            let purged: Vec<String> = sqlx::query_scalar(
                "SELECT category FROM works_purges WHERE request_id = $1 ORDER BY category",
            )
            .bind(id.clone())
            .fetch_all(&self.read)
            .await?;
            works.push(work_from(row, &keys, purged)?);
        }
        Ok(works)
    }
}
