//! Interval data in SQL: one row per access point, channel, Europe/Brussels local day and
//! version, its values packed by `domain::metering::pack`.
//!
//! A row per value would cost its key (EAN, channel, instant) for every quarter-hour: about
//! 35 billion rows a year for a million smart meters. A packed day keeps the key once per 92
//! to 100 values and the values as deltas of a byte or two, and a month of one point is 30
//! rows read in key order. The same layout on both backends; on SQLite the table is
//! `WITHOUT ROWID`, so the key is stored once, in the table's own B-tree.
//!
//! A correction is a new version, never an overwrite (I4): the table is append-only, and a
//! read takes the highest version of each day. Writing a day identical to its latest version
//! writes nothing ([`DayWritten::Unchanged`]), so importing the same file twice changes
//! nothing. Every row is bound to the journal entry that wrote it (`bound.rs`).

use domain::Ean;
use domain::Energy;
use domain::metering::{Channel, DayLayout, Finding, Interval, IntervalDay, Register, Version, pack, unpack};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use sqlx::Row;

use crate::bound::{INTERVAL_DAYS, VALIDATION_DECISIONS, VALIDATION_FINDINGS};
use crate::register::{ean_from, ean_key, instant, micros};
use crate::{Store, StoreError, WriteTx, corrupt};

/// What writing one interval day did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DayWritten {
    /// This version was written: the first, or a correction of the one before.
    Version(u32),
    /// The latest version already holds exactly these values and qualities: nothing written.
    Unchanged(u32),
}

impl WriteTx {
    /// Writes `day` as the next version of its access point, channel and local day (the
    /// version it carries is ignored: the store numbers versions), unless the latest version
    /// is identical. The row is bound to the next entry.
    pub async fn put_interval_day(
        &mut self,
        day: &IntervalDay,
        at: Timestamp,
    ) -> Result<DayWritten, StoreError> {
        let latest = self.latest_packed(day.ean(), day.channel(), day.day()).await?;
        self.put_after(latest, day, at).await
    }

    /// Lays `values` (interval number, value) over the latest version of `ean`'s `channel`
    /// on `day` (a day never written counts as all missing) and writes the result as the
    /// next version, unless it is what the latest version holds already: so a file imported
    /// in parts, or twice, writes each day once. Refuses an interval number the day does not
    /// have.
    pub async fn patch_interval_day(
        &mut self,
        ean: Ean,
        channel: Channel,
        day: Date,
        values: &[(usize, Interval)],
        at: Timestamp,
    ) -> Result<(DayWritten, IntervalDay), StoreError> {
        let latest = self.latest_packed(ean, channel, day).await?;
        let mut intervals = match &latest {
            Some((_, packed)) => unpack(packed).map_err(|e| corrupt(format!("interval day {day}: {e}")))?,
            None => {
                let layout = DayLayout::new(channel, day).map_err(|e| input(e.to_string()))?;
                vec![Interval::missing(); layout.len()]
            }
        };
        for &(index, value) in values {
            let count = intervals.len();
            *intervals.get_mut(index).ok_or_else(|| {
                input(format!("index: interval {index} does not exist on {day}, which has {count}"))
            })? = value;
        }
        let patched = IntervalDay::new(ean, channel, day, intervals).map_err(|e| input(e.to_string()))?;
        let written = self.put_after(latest, &patched, at).await?;
        let version = match written {
            DayWritten::Version(v) | DayWritten::Unchanged(v) => v,
        };
        let version =
            Version::try_from(version).map_err(|e| corrupt(format!("interval day version: {e}")))?;
        let day = IntervalDay::with_version(ean, channel, day, version, patched.intervals().to_vec())
            .map_err(|e| corrupt(format!("interval day {day}: {e}")))?;
        Ok((written, day))
    }

    /// The latest version of `ean`'s `channel` on `day`, read in the writer's transaction.
    pub async fn latest_interval_day(
        &mut self,
        ean: Ean,
        channel: Channel,
        day: Date,
    ) -> Result<Option<IntervalDay>, StoreError> {
        let Some((version, packed)) = self.latest_packed(ean, channel, day).await? else {
            return Ok(None);
        };
        let intervals = unpack(&packed).map_err(|e| corrupt(format!("interval day {day}: {e}")))?;
        IntervalDay::with_version(ean, channel, day, version_from(version)?, intervals)
            .map(Some)
            .map_err(|e| corrupt(format!("interval day {day}: {e}")))
    }

    /// The latest version of each local day of `ean`'s `channel` from `from` to `to`
    /// inclusive, in day order, read in the writer's transaction (what the history band
    /// compares a day just written with).
    pub async fn interval_days_between(
        &mut self,
        ean: Ean,
        channel: Channel,
        from: Date,
        to: Date,
    ) -> Result<Vec<IntervalDay>, StoreError> {
        let rows = sqlx::query(INTERVAL_DAYS_SQL)
            .bind(ean_key(ean))
            .bind(channel.as_str())
            .bind(from.to_string())
            .bind(to.to_string())
            .fetch_all(self.conn())
            .await?;
        rows.iter()
            .map(|row| {
                let day: Date = row
                    .try_get::<String, _>("day")?
                    .parse()
                    .map_err(|e| corrupt(format!("interval day date: {e}")))?;
                let intervals = unpack(&row.try_get::<Vec<u8>, _>("packed")?)
                    .map_err(|e| corrupt(format!("interval day: {e}")))?;
                IntervalDay::with_version(
                    ean,
                    channel,
                    day,
                    version_from(row.try_get("version")?)?,
                    intervals,
                )
                .map_err(|e| corrupt(format!("interval day {day}: {e}")))
            })
            .collect()
    }

    /// Files what a validation rule found on version `version` of a day in the validators'
    /// queue, under a new random id, bound to the next entry.
    pub async fn put_finding(
        &mut self,
        day: &IntervalDay,
        finding: &Finding,
        at: Timestamp,
    ) -> Result<String, StoreError> {
        let series = day.channel().as_str().to_owned();
        self.insert_finding(day.ean(), series, day.day(), day.version().get(), finding, at).await
    }

    /// Files what a validation rule found on version `version` of `register`'s reading of
    /// `ean` on `day`, in the same queue as the interval days', bound to the next entry.
    pub async fn put_index_finding(
        &mut self,
        ean: Ean,
        register: Register,
        day: Date,
        version: u32,
        finding: &Finding,
        at: Timestamp,
    ) -> Result<String, StoreError> {
        let series = format!("{INDEX_SERIES}{}", register.as_str());
        self.insert_finding(ean, series, day, version, finding, at).await
    }

    /// One row of the validators' queue: `series` is a channel, or `index:` and a register.
    async fn insert_finding(
        &mut self,
        ean: Ean,
        series: String,
        day: Date,
        version: u32,
        finding: &Finding,
        at: Timestamp,
    ) -> Result<String, StoreError> {
        let id = crate::market::random_id();
        let seq = self.journal_seq();
        let (first, end) = match &finding.intervals {
            Some(range) => (Some(range.start as i64), Some(range.end as i64)),
            None => (None, None),
        };
        let row = sqlx::query(&format!(
            "INSERT INTO validation_findings (finding_id, ean, channel, day, version, rule, first_interval, \
             end_interval, reason, found_at, journal_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             RETURNING {}",
            VALIDATION_FINDINGS.column_list()
        ))
        .bind(&id)
        .bind(ean_key(ean))
        .bind(series)
        .bind(day.to_string())
        .bind(i64::from(version))
        .bind(finding.code())
        .bind(first)
        .bind(end)
        .bind(&finding.reason)
        .bind(micros(at))
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&VALIDATION_FINDINGS, &row)?;
        Ok(id)
    }

    /// A finding by id, with its decision if it has one, read in the writer's transaction.
    pub async fn finding(&mut self, id: &str) -> Result<Option<StoredFinding>, StoreError> {
        let row = sqlx::query(&format!("{FINDING_SELECT} WHERE f.finding_id = $1"))
            .bind(id)
            .fetch_optional(self.conn())
            .await?;
        row.as_ref().map(stored_finding).transpose()
    }

    /// Records a validator's decision on finding `id`; a finding is decided once
    /// ([`StoreError::Duplicate`] on `finding`).
    pub async fn decide_finding(
        &mut self,
        id: &str,
        decision: &str,
        party: &str,
        version_written: Option<u32>,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let decided: Option<i64> =
            sqlx::query_scalar("SELECT decided_at FROM validation_decisions WHERE finding_id = $1")
                .bind(id)
                .fetch_optional(self.conn())
                .await?;
        if decided.is_some() {
            return Err(StoreError::Duplicate { field: "finding", value: id.to_owned() });
        }
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO validation_decisions (finding_id, decision, party_id, version_written, decided_at, \
             journal_seq) VALUES ($1, $2, $3, $4, $5, $6) RETURNING {}",
            VALIDATION_DECISIONS.column_list()
        ))
        .bind(id)
        .bind(decision)
        .bind(party)
        .bind(version_written.map(i64::from))
        .bind(micros(at))
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&VALIDATION_DECISIONS, &row)?;
        Ok(())
    }

    /// The energy of the access point `ean` (which channels it can have), or `None` when the
    /// register does not know it.
    pub async fn point_energy(&mut self, ean: Ean) -> Result<Option<Energy>, StoreError> {
        let energy: Option<String> = sqlx::query_scalar(
            "SELECT energy FROM access_points WHERE ean = $1 ORDER BY version DESC LIMIT 1",
        )
        .bind(ean_key(ean))
        .fetch_optional(self.conn())
        .await?;
        energy
            .map(|text| {
                text.parse::<Energy>().map_err(|e| corrupt(format!("access point {ean} energy: {e}")))
            })
            .transpose()
    }

    async fn latest_packed(
        &mut self,
        ean: Ean,
        channel: Channel,
        day: Date,
    ) -> Result<Option<(i64, Vec<u8>)>, StoreError> {
        let row = sqlx::query(
            "SELECT version, packed FROM interval_days WHERE ean = $1 AND channel = $2 AND day = $3 \
             ORDER BY version DESC LIMIT 1",
        )
        .bind(ean_key(ean))
        .bind(channel.as_str())
        .bind(day.to_string())
        .fetch_optional(self.conn())
        .await?;
        row.map(|row| Ok((row.try_get("version")?, row.try_get("packed")?))).transpose()
    }

    /// Writes `day` as the version after `latest` (the stored latest version and its packed
    /// bytes), or nothing when it packs to the same bytes.
    async fn put_after(
        &mut self,
        latest: Option<(i64, Vec<u8>)>,
        day: &IntervalDay,
        at: Timestamp,
    ) -> Result<DayWritten, StoreError> {
        let packed = pack(day.intervals());
        let version = match latest {
            Some((version, stored)) => {
                if stored == packed {
                    return Ok(DayWritten::Unchanged(version_from(version)?.get()));
                }
                version_from(version)?.next().map_err(|e| corrupt(format!("interval day: {e}")))?
            }
            None => Version::FIRST,
        };
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO interval_days (ean, channel, day, version, packed, recorded_at, journal_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {}",
            INTERVAL_DAYS.column_list()
        ))
        .bind(ean_key(day.ean()))
        .bind(day.channel().as_str())
        .bind(day.day().to_string())
        .bind(i64::from(version.get()))
        .bind(packed)
        .bind(micros(at))
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&INTERVAL_DAYS, &row)?;
        Ok(DayWritten::Version(version.get()))
    }
}

/// A finding of the validation rules, as the validators' queue keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredFinding {
    /// Its random public id.
    pub id: String,
    /// The access point.
    pub ean: Ean,
    /// The channel, for a finding on an interval day.
    pub channel: Option<Channel>,
    /// The register, for a finding on an index reading.
    pub register: Option<Register>,
    /// The local day.
    pub day: Date,
    /// The version of the day (or of the index reading) it was found on.
    pub version: u32,
    /// The rule's stable code.
    pub rule: String,
    /// The intervals concerned (first, end exclusive), for a rule on a day's series.
    pub intervals: Option<(u32, u32)>,
    /// The figures behind it.
    pub reason: String,
    /// When it was found.
    pub found_at: Timestamp,
    /// The validator's decision, once made.
    pub decision: Option<Decided>,
}

/// A validator's decision on a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decided {
    /// `accept`, `reject`, `estimate` or `correct`.
    pub decision: String,
    /// Who decided.
    pub party: String,
    /// The version of the day the decision wrote, when it changed the day.
    pub version_written: Option<u32>,
    /// When.
    pub decided_at: Timestamp,
}

const FINDING_SELECT: &str = "SELECT f.finding_id, f.ean, f.channel, f.day, f.version, f.rule, f.first_interval, \
     f.end_interval, f.reason, f.found_at, d.decision, d.party_id, d.version_written, d.decided_at \
     FROM validation_findings f LEFT JOIN validation_decisions d ON d.finding_id = f.finding_id";

fn stored_finding(row: &sqlx::any::AnyRow) -> Result<StoredFinding, StoreError> {
    let small = |v: i64| u32::try_from(v).map_err(|_| corrupt(format!("validation finding: {v}")));
    let first: Option<i64> = row.try_get("first_interval")?;
    let end: Option<i64> = row.try_get("end_interval")?;
    let intervals = match (first, end) {
        (Some(first), Some(end)) => Some((small(first)?, small(end)?)),
        _ => None,
    };
    let decision = match row.try_get::<Option<String>, _>("decision")? {
        Some(decision) => Some(Decided {
            decision,
            party: row.try_get("party_id")?,
            version_written: row.try_get::<Option<i64>, _>("version_written")?.map(small).transpose()?,
            decided_at: instant(row.try_get("decided_at")?)?,
        }),
        None => None,
    };
    let series: String = row.try_get("channel")?;
    let (channel, register) = match series.strip_prefix(INDEX_SERIES) {
        Some(register) => {
            (None, Some(register.parse().map_err(|e| corrupt(format!("validation finding register: {e}")))?))
        }
        None => {
            (Some(series.parse().map_err(|e| corrupt(format!("validation finding channel: {e}")))?), None)
        }
    };
    Ok(StoredFinding {
        id: row.try_get("finding_id")?,
        ean: ean_from(row.try_get("ean")?)?,
        channel,
        register,
        day: row
            .try_get::<String, _>("day")?
            .parse()
            .map_err(|e| corrupt(format!("validation finding day: {e}")))?,
        version: small(row.try_get("version")?)?,
        rule: row.try_get("rule")?,
        intervals,
        reason: row.try_get("reason")?,
        found_at: instant(row.try_get("found_at")?)?,
        decision,
    })
}

/// How a finding on an index reading names its series in the queue's `channel` column:
/// `index:` and the register, which no channel's name starts with.
const INDEX_SERIES: &str = "index:";

/// A refusal of what the caller gave, as the store's input error.
fn input(reason: String) -> StoreError {
    StoreError::Config { field: "readings", reason }
}

fn version_from(stored: i64) -> Result<Version, StoreError> {
    u32::try_from(stored)
        .ok()
        .and_then(|v| Version::try_from(v).ok())
        .ok_or_else(|| corrupt(format!("interval day version {stored}")))
}

/// The latest version of each day of one channel of one point in a span of days.
const INTERVAL_DAYS_SQL: &str = "SELECT d.day, d.version, d.packed FROM interval_days d \
     WHERE d.ean = $1 AND d.channel = $2 AND d.day >= $3 AND d.day <= $4 \
     AND d.version = (SELECT MAX(v.version) FROM interval_days v \
                      WHERE v.ean = d.ean AND v.channel = d.channel AND v.day = d.day) \
     ORDER BY d.day";

impl Store {
    /// The validators' queue: the oldest findings that have no decision yet; those found
    /// together (one import batch) by access point, channel, day and interval, so the order
    /// never depends on the random ids.
    pub async fn open_findings(&self, limit: i64) -> Result<Vec<StoredFinding>, StoreError> {
        let rows = sqlx::query(&format!(
            "{FINDING_SELECT} WHERE d.finding_id IS NULL \
             ORDER BY f.found_at, f.ean, f.channel, f.day, f.first_interval, f.rule, f.finding_id LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(stored_finding).collect()
    }

    /// The latest version of each local day of `ean`'s `channel` from `from` to `to`
    /// inclusive, in day order; days with no data are absent.
    pub async fn interval_days(
        &self,
        ean: Ean,
        channel: Channel,
        from: Date,
        to: Date,
    ) -> Result<Vec<IntervalDay>, StoreError> {
        let day_of = |day: &str, version: i64, packed: &[u8]| -> Result<IntervalDay, StoreError> {
            let day: Date = day.parse().map_err(|e| corrupt(format!("interval day date: {e}")))?;
            let intervals = unpack(packed).map_err(|e| corrupt(format!("interval day: {e}")))?;
            IntervalDay::with_version(ean, channel, day, version_from(version)?, intervals)
                .map_err(|e| corrupt(format!("interval day {day}: {e}")))
        };
        // On SQLite, on the caller's thread (`local`): a month is 31 rows, and the hop to
        // sqlx's worker thread and back cost more than reading them.
        if let Some(local) = &self.local {
            return local.with(|conn| {
                let mut statement = conn.prepare_cached(&INTERVAL_DAYS_SQL.replace('$', "?"))?;
                let mut rows = statement.query(rusqlite::params![
                    ean_key(ean),
                    channel.as_str(),
                    from.to_string(),
                    to.to_string()
                ])?;
                let mut days = Vec::new();
                while let Some(row) = rows.next()? {
                    let day = row.get_ref(0)?.as_str()?;
                    let packed = row.get_ref(2)?.as_blob()?;
                    days.push(day_of(day, row.get(1)?, packed)?);
                }
                Ok(days)
            });
        }
        let rows = sqlx::query(INTERVAL_DAYS_SQL)
            .bind(ean_key(ean))
            .bind(channel.as_str())
            .bind(from.to_string())
            .bind(to.to_string())
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|row| {
                day_of(
                    &row.try_get::<String, _>("day")?,
                    row.try_get("version")?,
                    &row.try_get::<Vec<u8>, _>("packed")?,
                )
            })
            .collect()
    }
}
