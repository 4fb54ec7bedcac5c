//! Research, consents and exports' persistence (R14): consent receipts and their withdrawals,
//! partners' agreements, the extracts made for them, the data subjects' requests and the
//! files of each warehouse export; and the bulk reads aggregates and exports stand on.
//!
//! Every row is append-only and bound to its journal entry. A withdrawal is a new version of
//! the receipt; an answer is a new version of the request (I4). What is personal and free
//! text (a request's details and answer, an extract's body) is sealed (I6).

use domain::consent::{Agreement, Consent, ConsentTerms, RequestKind};
use domain::metering::{Channel, Interval, unpack};
use domain::{AccessPoint, Ean, Party, PartyId};
use futures_util::TryStreamExt;
use jiff::Timestamp;
use jiff::civil::Date;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::bound::{CONSENTS, RESEARCH_AGREEMENTS, RESEARCH_EXTRACTS, SUBJECT_REQUESTS, WAREHOUSE_FILES};
use crate::local::Columns;
use crate::register::{
    ACCESS_POINT_COLUMNS, access_point_from, ean_from, ean_key, instant, micros, party_row,
};
use crate::{Store, StoreError, WriteTx, corrupt};

/// A fresh id with a prefix that says what it names.
pub fn new_id(prefix: &str) -> String {
    let mut raw = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    format!("{prefix}_{}", hex::encode(raw))
}

/// An agreement as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredAgreement {
    /// Its id (`agr_…`).
    pub id: String,
    /// The agreement.
    pub agreement: Agreement,
    /// When it was recorded.
    pub recorded_at: Timestamp,
}

/// An extract as listed: everything but its body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractMeta {
    /// Its id (`ext_…`).
    pub id: String,
    /// The partner it was made for.
    pub partner: PartyId,
    /// The agreement it was made under.
    pub agreement: String,
    /// The purpose.
    pub purpose: String,
    /// The data category.
    pub category: String,
    /// When it was made.
    pub made_at: Timestamp,
    /// How many participants it holds.
    pub participants: i64,
    /// How many rows.
    pub rows: i64,
    /// SHA-256 of the body, hex.
    pub digest: String,
}

/// A data subject's request as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectRequest {
    /// Its id (`dsr_…`).
    pub id: String,
    /// Its version: 1 when filed, 2 once answered.
    pub version: i64,
    /// Whose.
    pub subject: PartyId,
    /// Access or rectification.
    pub kind: RequestKind,
    /// When it was received.
    pub received_at: Timestamp,
    /// The day the answer is due.
    pub due: Date,
    /// `open`, `done` or `refused`.
    pub state: String,
    /// What the subject asked, in their words.
    pub details: String,
    /// The answer, once given.
    pub answer: Option<SubjectAnswer>,
    /// When it last changed.
    pub changed_at: Timestamp,
}

/// The answer to a request: a note, and for an access request everything held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectAnswer {
    /// What was done, or why it was refused.
    pub note: String,
    /// For an access request: everything held about the subject, as sent.
    pub export: Option<serde_json::Value>,
}

/// One file of a warehouse export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WarehouseFile {
    /// Its path under the export's directory.
    pub path: String,
    /// `register` or `metering`.
    pub dataset: String,
    /// Its month, `YYYY-MM`.
    pub month: String,
    /// Its rows.
    pub rows: i64,
    /// Its size.
    pub bytes: i64,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
    /// Its confidentiality label.
    pub label: String,
}

/// A record of the register in force (no correction supersedes it), as exported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectiveRecord {
    /// The access point.
    pub ean: Ean,
    /// `occupancy` or `registration`.
    pub record: &'static str,
    /// The network user or the supplier.
    pub party: PartyId,
    /// Its start, microseconds since the epoch.
    pub from_us: i64,
    /// Its end, if it ends.
    pub to_us: Option<i64>,
}

fn consent_from(row: &impl Columns) -> Result<(i64, Consent), StoreError> {
    let terms: ConsentTerms =
        serde_json::from_str(&row.text("terms")?).map_err(|e| corrupt(format!("consent terms: {e}")))?;
    Ok((
        row.int("version")?,
        Consent {
            receipt: row.text("receipt_id")?,
            subject: row.text("subject_id")?.parse().map_err(|_| corrupt("consent subject"))?,
            terms,
            given_at: instant(row.int("given_at")?)?,
            withdrawn_at: row.opt_int("withdrawn_at")?.map(instant).transpose()?,
        },
    ))
}

fn agreement_from(row: &impl Columns) -> Result<StoredAgreement, StoreError> {
    Ok(StoredAgreement {
        id: row.text("agreement_id")?,
        agreement: serde_json::from_str(&row.text("terms")?)
            .map_err(|e| corrupt(format!("agreement terms: {e}")))?,
        recorded_at: instant(row.int("recorded_at")?)?,
    })
}

fn extract_from(row: &impl Columns) -> Result<ExtractMeta, StoreError> {
    Ok(ExtractMeta {
        id: row.text("extract_id")?,
        partner: row.text("partner_id")?.parse().map_err(|_| corrupt("extract partner"))?,
        agreement: row.text("agreement_id")?,
        purpose: row.text("purpose")?,
        category: row.text("category")?,
        made_at: instant(row.int("made_at")?)?,
        participants: row.int("participants")?,
        rows: row.int("row_count")?,
        digest: row.text("digest")?,
    })
}

fn details_context(id: &str) -> String {
    format!("subject_requests:{id}:details")
}

fn answer_context(id: &str, version: i64) -> String {
    format!("subject_requests:{id}:{version}:answer")
}

fn extract_context(id: &str) -> String {
    format!("research_extracts:{id}:body")
}

fn request_from(sealer: &crate::seal::Sealer, row: &impl Columns) -> Result<SubjectRequest, StoreError> {
    let id = row.text("request_id")?;
    let version = row.int("version")?;
    let details = String::from_utf8(sealer.open(&details_context(&id), &row.blob("details_sealed")?)?)
        .map_err(|_| corrupt("subject request details"))?;
    let answer = match row.opt_blob("answer_sealed")? {
        Some(sealed) => Some(sealer.open_json(&answer_context(&id, version), &sealed)?),
        None => None,
    };
    Ok(SubjectRequest {
        subject: row.text("subject_id")?.parse().map_err(|_| corrupt("subject request subject"))?,
        kind: RequestKind::parse(&row.text("kind")?).map_err(|_| corrupt("subject request kind"))?,
        received_at: instant(row.int("received_at")?)?,
        due: row.text("due_day")?.parse().map_err(|_| corrupt("subject request due day"))?,
        state: row.text("state")?,
        details,
        answer,
        changed_at: instant(row.int("changed_at")?)?,
        id,
        version,
    })
}

impl WriteTx {
    /// Writes version `version` of a consent receipt.
    pub async fn put_consent(&mut self, consent: &Consent, version: i64) -> Result<(), StoreError> {
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO consents (receipt_id, version, subject_id, terms, given_at, withdrawn_at, journal_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {}",
            CONSENTS.column_list()
        ))
        .bind(consent.receipt.clone())
        .bind(version)
        .bind(consent.subject.to_string())
        .bind(serde_json::to_string(&consent.terms).map_err(|_| corrupt("consent terms"))?)
        .bind(micros(consent.given_at))
        .bind(consent.withdrawn_at.map(micros))
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&CONSENTS, &row)
    }

    /// The latest version of consent `receipt`, as this transaction sees it.
    pub async fn consent(&mut self, receipt: &str) -> Result<Option<(i64, Consent)>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM consents WHERE receipt_id = $1 ORDER BY version DESC LIMIT 1",
            CONSENTS.column_list()
        ))
        .bind(receipt.to_owned())
        .fetch_optional(self.conn())
        .await?;
        row.as_ref().map(consent_from).transpose()
    }

    /// Records an agreement; returns its id.
    pub async fn put_agreement(
        &mut self,
        agreement: &Agreement,
        at: Timestamp,
    ) -> Result<String, StoreError> {
        let id = new_id("agr");
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO research_agreements (agreement_id, partner_id, terms, recorded_at, journal_seq) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {}",
            RESEARCH_AGREEMENTS.column_list()
        ))
        .bind(id.clone())
        .bind(agreement.partner.to_string())
        .bind(serde_json::to_string(agreement).map_err(|_| corrupt("agreement terms"))?)
        .bind(micros(at))
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&RESEARCH_AGREEMENTS, &row)?;
        Ok(id)
    }

    /// Agreement `id`, as this transaction sees it.
    pub async fn agreement(&mut self, id: &str) -> Result<Option<StoredAgreement>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM research_agreements WHERE agreement_id = $1",
            RESEARCH_AGREEMENTS.column_list()
        ))
        .bind(id.to_owned())
        .fetch_optional(self.conn())
        .await?;
        row.as_ref().map(agreement_from).transpose()
    }

    /// Every consent of every subject that names `partner`, latest versions, in receipt order.
    pub async fn consents_naming(&mut self, partner: &PartyId) -> Result<Vec<Consent>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM consents c WHERE c.version = \
             (SELECT MAX(v.version) FROM consents v WHERE v.receipt_id = c.receipt_id) ORDER BY c.receipt_id",
            CONSENTS.columns.iter().map(|(name, _)| format!("c.{name}")).collect::<Vec<_>>().join(", ")
        ))
        .fetch_all(self.conn())
        .await?;
        let mut out = Vec::new();
        for row in &rows {
            let (_, consent) = consent_from(row)?;
            if consent.terms.partners.contains(partner) {
                out.push(consent);
            }
        }
        Ok(out)
    }

    /// Records an extract and its sealed body.
    pub async fn put_extract(&mut self, meta: &ExtractMeta, body: &str) -> Result<(), StoreError> {
        let sealed = self.sealer.seal(&extract_context(&meta.id), body.as_bytes());
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO research_extracts (extract_id, partner_id, agreement_id, purpose, category, made_at, \
             participants, row_count, digest, body_sealed, journal_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {}",
            RESEARCH_EXTRACTS.column_list()
        ))
        .bind(meta.id.clone())
        .bind(meta.partner.to_string())
        .bind(meta.agreement.clone())
        .bind(meta.purpose.clone())
        .bind(meta.category.clone())
        .bind(micros(meta.made_at))
        .bind(meta.participants)
        .bind(meta.rows)
        .bind(meta.digest.clone())
        .bind(sealed)
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&RESEARCH_EXTRACTS, &row)
    }

    /// Writes a version of a data subject's request.
    pub async fn put_subject_request(&mut self, request: &SubjectRequest) -> Result<(), StoreError> {
        let details = self.sealer.seal(&details_context(&request.id), request.details.as_bytes());
        let answer = request
            .answer
            .as_ref()
            .map(|a| self.sealer.seal_json(&answer_context(&request.id, request.version), a));
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO subject_requests (request_id, version, subject_id, kind, received_at, due_day, state, \
             details_sealed, answer_sealed, changed_at, journal_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {}",
            SUBJECT_REQUESTS.column_list()
        ))
        .bind(request.id.clone())
        .bind(request.version)
        .bind(request.subject.to_string())
        .bind(request.kind.as_str())
        .bind(micros(request.received_at))
        .bind(request.due.to_string())
        .bind(request.state.clone())
        .bind(details)
        .bind(answer)
        .bind(micros(request.changed_at))
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&SUBJECT_REQUESTS, &row)
    }

    /// Request `id` as it stands in this transaction.
    pub async fn subject_request(&mut self, id: &str) -> Result<Option<SubjectRequest>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM subject_requests WHERE request_id = $1 ORDER BY version DESC LIMIT 1",
            SUBJECT_REQUESTS.column_list()
        ))
        .bind(id.to_owned())
        .fetch_optional(self.conn())
        .await?;
        row.as_ref().map(|r| request_from(&self.sealer, r)).transpose()
    }

    /// Records one file of the warehouse export whose entry is `export_seq`.
    pub async fn put_warehouse_file(
        &mut self,
        export_seq: i64,
        file: &WarehouseFile,
    ) -> Result<(), StoreError> {
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO warehouse_files (export_seq, path, dataset, month, row_count, byte_count, sha256, label, \
             journal_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {}",
            WAREHOUSE_FILES.column_list()
        ))
        .bind(export_seq)
        .bind(file.path.clone())
        .bind(file.dataset.clone())
        .bind(file.month.clone())
        .bind(file.rows)
        .bind(file.bytes)
        .bind(file.sha256.clone())
        .bind(file.label.clone())
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&WAREHOUSE_FILES, &row)
    }
}

impl Store {
    /// A secret of the installation's for `purpose`: the warehouse's export keys, a research
    /// partner's pseudonym key (see [`crate::seal::Sealer::derived_secret`]).
    pub fn derived_secret(&self, purpose: &str) -> [u8; 32] {
        self.sealer.derived_secret(purpose)
    }

    /// Every consent (`subject` `None`) or one subject's, latest versions, in the order
    /// they were given.
    pub async fn consents(&self, subject: Option<&PartyId>) -> Result<Vec<(i64, Consent)>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM consents c WHERE (c.subject_id = $1 OR $1 = '') AND c.version = \
             (SELECT MAX(v.version) FROM consents v WHERE v.receipt_id = c.receipt_id) \
             ORDER BY c.given_at, c.receipt_id",
            CONSENTS.columns.iter().map(|(name, _)| format!("c.{name}")).collect::<Vec<_>>().join(", ")
        ))
        .bind(subject.map(|s| s.as_str().to_owned()).unwrap_or_default())
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(consent_from).collect()
    }

    /// Every agreement, or one partner's, in the order they were recorded.
    pub async fn agreements(&self, partner: Option<&PartyId>) -> Result<Vec<StoredAgreement>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM research_agreements WHERE (partner_id = $1 OR $1 = '') \
             ORDER BY recorded_at, agreement_id",
            RESEARCH_AGREEMENTS.column_list()
        ))
        .bind(partner.map(|s| s.as_str().to_owned()).unwrap_or_default())
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(agreement_from).collect()
    }

    /// Every extract, or one partner's, newest last.
    pub async fn extracts(&self, partner: Option<&PartyId>) -> Result<Vec<ExtractMeta>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM research_extracts WHERE (partner_id = $1 OR $1 = '') ORDER BY made_at, extract_id",
            RESEARCH_EXTRACTS.column_list()
        ))
        .bind(partner.map(|s| s.as_str().to_owned()).unwrap_or_default())
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(extract_from).collect()
    }

    /// Extract `id` with its body opened, if it exists and (when `partner` is named) is
    /// that partner's.
    pub async fn extract(
        &self,
        id: &str,
        partner: Option<&PartyId>,
    ) -> Result<Option<(ExtractMeta, String)>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM research_extracts WHERE extract_id = $1 AND (partner_id = $2 OR $2 = '')",
            RESEARCH_EXTRACTS.column_list()
        ))
        .bind(id.to_owned())
        .bind(partner.map(|s| s.as_str().to_owned()).unwrap_or_default())
        .fetch_optional(&self.read)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let body = self.sealer.open(&extract_context(id), &row.blob("body_sealed")?)?;
        let body = String::from_utf8(body).map_err(|_| corrupt("extract body"))?;
        Ok(Some((extract_from(&row)?, body)))
    }

    /// Every request (`subject` `None`) or one subject's, as they stand, oldest first; only
    /// request `id` when one is named.
    pub async fn subject_requests(
        &self,
        subject: Option<&PartyId>,
        id: Option<&str>,
    ) -> Result<Vec<SubjectRequest>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM subject_requests r WHERE (r.subject_id = $1 OR $1 = '') \
             AND (r.request_id = $2 OR $2 = '') AND r.version = \
             (SELECT MAX(v.version) FROM subject_requests v WHERE v.request_id = r.request_id) \
             ORDER BY r.received_at, r.request_id",
            SUBJECT_REQUESTS
                .columns
                .iter()
                .map(|(name, _)| format!("r.{name}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .bind(subject.map(|s| s.as_str().to_owned()).unwrap_or_default())
        .bind(id.unwrap_or_default().to_owned())
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(|r| request_from(&self.sealer, r)).collect()
    }

    /// The files of the warehouse export whose entry is `export_seq`, in path order.
    pub async fn warehouse_files(&self, export_seq: i64) -> Result<Vec<WarehouseFile>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM warehouse_files WHERE export_seq = $1 ORDER BY path",
            WAREHOUSE_FILES.column_list()
        ))
        .bind(export_seq)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(WarehouseFile {
                    path: row.text("path")?,
                    dataset: row.text("dataset")?,
                    month: row.text("month")?,
                    rows: row.int("row_count")?,
                    bytes: row.int("byte_count")?,
                    sha256: row.text("sha256")?,
                    label: row.text("label")?,
                })
            })
            .collect()
    }

    /// Every access point, latest version, in EAN order: where each is (postal code,
    /// municipality, substation), for aggregates and exports.
    pub async fn access_points_all(&self) -> Result<Vec<AccessPoint>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ACCESS_POINT_COLUMNS} FROM access_points ap WHERE ap.version = \
             (SELECT MAX(v.version) FROM access_points v WHERE v.ean = ap.ean) ORDER BY ap.ean"
        ))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(|row| access_point_from(&self.sealer, row)).collect()
    }

    /// Every party, opened, in id order: the warehouse seals their names under its own key.
    pub async fn parties_all(&self) -> Result<Vec<Party>, StoreError> {
        let rows = sqlx::query("SELECT * FROM parties ORDER BY party_id").fetch_all(&self.read).await?;
        rows.iter().map(|row| party_row(&self.sealer, row)).collect()
    }

    /// Every occupancy and registration no correction supersedes, by access point then start.
    pub async fn effective_records(&self) -> Result<Vec<EffectiveRecord>, StoreError> {
        let mut out = Vec::new();
        for (table, record) in [("occupancies", "occupancy"), ("registrations", "registration")] {
            let rows = sqlx::query(&format!(
                "SELECT c.ean, c.party_id, c.from_us, c.to_us FROM {table} c WHERE NOT EXISTS \
                 (SELECT 1 FROM {table} s WHERE s.ean = c.ean AND s.supersedes = c.id) ORDER BY c.ean, c.from_us"
            ))
            .fetch_all(&self.read)
            .await?;
            for row in &rows {
                out.push(EffectiveRecord {
                    ean: ean_from(row.int("ean")?)?,
                    record,
                    party: row.text("party_id")?.parse().map_err(|_| corrupt("record party"))?,
                    from_us: row.int("from_us")?,
                    to_us: row.opt_int("to_us")?,
                });
            }
        }
        out.sort_by_key(|r| (ean_key(r.ean), r.from_us, r.record));
        Ok(out)
    }

    /// The first and last days any series holds, if any does.
    pub async fn interval_days_span(&self) -> Result<Option<(Date, Date)>, StoreError> {
        let row = sqlx::query("SELECT MIN(day) AS first, MAX(day) AS last FROM interval_days")
            .fetch_one(&self.read)
            .await?;
        let (Some(first), Some(last)) = (row.opt_text("first")?, row.opt_text("last")?) else {
            return Ok(None);
        };
        let day = |t: String| t.parse::<Date>().map_err(|e| corrupt(format!("interval day date: {e}")));
        Ok(Some((day(first)?, day(last)?)))
    }

    /// Calls `each` with the latest version of every day of every series from `from` to `to`
    /// inclusive, in (access point, channel, day) order, streaming: a year of a whole grid
    /// never sits in memory at once.
    pub async fn scan_interval_days(
        &self,
        from: Date,
        to: Date,
        mut each: impl FnMut(Ean, Channel, Date, &[Interval]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        const SQL: &str = "SELECT ean, channel, day, version, packed FROM interval_days \
             WHERE day >= $1 AND day <= $2 ORDER BY ean, channel, day, version";
        // The row held back until the next shows it is the day's latest version.
        let mut held: Option<(i64, String, String, Vec<u8>)> = None;
        let mut emit = |held: &(i64, String, String, Vec<u8>)| -> Result<(), StoreError> {
            let (ean, channel, day, packed) = held;
            let channel: Channel =
                channel.parse().map_err(|e| corrupt(format!("interval day channel: {e}")))?;
            let day: Date = day.parse().map_err(|e| corrupt(format!("interval day date: {e}")))?;
            let intervals = unpack(packed).map_err(|e| corrupt(format!("interval day: {e}")))?;
            each(ean_from(*ean)?, channel, day, &intervals)
        };
        let mut take = |ean: i64, channel: &str, day: &str, packed: &[u8]| -> Result<(), StoreError> {
            if let Some(h) = &mut held {
                if h.0 == ean && h.1 == channel && h.2 == day {
                    h.3.clear();
                    h.3.extend_from_slice(packed);
                    return Ok(());
                }
                emit(h)?;
                h.0 = ean;
                h.1.clear();
                h.1.push_str(channel);
                h.2.clear();
                h.2.push_str(day);
                h.3.clear();
                h.3.extend_from_slice(packed);
            } else {
                held = Some((ean, channel.to_owned(), day.to_owned(), packed.to_vec()));
            }
            Ok(())
        };
        if let Some(local) = &self.local {
            local.with(|conn| {
                let mut statement = conn.prepare(&SQL.replace('$', "?"))?;
                let mut rows = statement.query(rusqlite::params![from.to_string(), to.to_string()])?;
                while let Some(row) = rows.next()? {
                    take(
                        row.get(0)?,
                        row.get_ref(1)?.as_str()?,
                        row.get_ref(2)?.as_str()?,
                        row.get_ref(4)?.as_blob()?,
                    )?;
                }
                Ok(())
            })?;
        } else {
            let mut rows = sqlx::query(SQL).bind(from.to_string()).bind(to.to_string()).fetch(&self.read);
            while let Some(row) = rows.try_next().await? {
                take(row.int("ean")?, &row.text("channel")?, &row.text("day")?, &row.blob("packed")?)?;
            }
        }
        if let Some(h) = &held {
            emit(h)?;
        }
        Ok(())
    }
}
