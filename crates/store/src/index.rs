//! Index readings and the meter readers' routes in SQL.
//!
//! A reading is one row per access point, register, Europe/Brussels local day and version: a
//! meter is read once a day at most, so the day names a reading for a validator's decision,
//! and the instant read is kept beside it. A decision writes the next version (I4); posting
//! the same reading again writes nothing, so a field device that retries after a lost answer
//! changes nothing. A route stop puts one access point on one reader's round for one reading
//! window (R9). Both tables are append-only, every row bound to the entry that wrote it.

use domain::metering::{IndexReading, Quality, Register, Source};
use domain::{Ean, PartyId};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use sqlx::Row;

use crate::bound::{INDEX_READINGS, ROUTE_STOPS};
use crate::register::{ean_from, ean_key, instant, micros, party_from};
use crate::{Store, StoreError, WriteTx, corrupt};

/// An index reading as stored: the reading, its version and its quality.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredIndex {
    /// The reading (point, register, value, calorific value, instant, source).
    pub reading: IndexReading,
    /// The local day it belongs to.
    pub day: Date,
    /// Its version: 1 as posted, then one per validator's decision.
    pub version: u32,
    /// Measured as posted; rejected, corrected or estimated by a decision.
    pub quality: Quality,
}

/// What posting an index reading did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexWritten {
    /// Written as the first version of that register's reading on that day.
    Written,
    /// The same reading was posted already: nothing written.
    Unchanged,
    /// That register has another reading on that day (a correction is a validator's
    /// decision, not a second post): nothing written.
    Conflict(Box<StoredIndex>),
}

const INDEX_SELECT: &str = "SELECT r.ean, r.register, r.day, r.version, r.read_at, r.value, r.calorific, \
     r.quality, r.source, r.reader FROM index_readings r";

/// Only the latest version of each reading.
const LATEST: &str = "r.version = (SELECT MAX(v.version) FROM index_readings v \
     WHERE v.ean = r.ean AND v.register = r.register AND v.day = r.day)";

fn stored_index(row: &sqlx::any::AnyRow) -> Result<StoredIndex, StoreError> {
    let ean = ean_from(row.try_get("ean")?)?;
    let register: Register = row
        .try_get::<String, _>("register")?
        .parse()
        .map_err(|e| corrupt(format!("index reading register: {e}")))?;
    let day: Date =
        row.try_get::<String, _>("day")?.parse().map_err(|e| corrupt(format!("index reading day: {e}")))?;
    let version = u32::try_from(row.try_get::<i64, _>("version")?)
        .map_err(|_| corrupt("index reading version".to_owned()))?;
    let at = instant(row.try_get("read_at")?)?;
    let value = u64::try_from(row.try_get::<i64, _>("value")?)
        .map_err(|_| corrupt("index reading value below zero".to_owned()))?;
    let reader = row.try_get::<Option<String>, _>("reader")?.map(party_from).transpose()?;
    let kind: String = row.try_get("source")?;
    let source =
        Source::from_parts(&kind, reader).ok_or_else(|| corrupt(format!("index reading source {kind:?}")))?;
    let quality: Quality = row
        .try_get::<String, _>("quality")?
        .parse()
        .map_err(|e| corrupt(format!("index reading quality: {e}")))?;
    let reading = match row.try_get::<Option<i64>, _>("calorific")? {
        Some(calorific) => {
            let calorific = u32::try_from(calorific)
                .ok()
                .and_then(|c| c.try_into().ok())
                .ok_or_else(|| corrupt(format!("index reading calorific value {calorific}")))?;
            IndexReading::gas(ean, value, calorific, at, source)
        }
        None => IndexReading::electricity(ean, register, value, at, source)
            .map_err(|e| corrupt(format!("index reading: {e}")))?,
    };
    Ok(StoredIndex { reading, day, version, quality })
}

impl WriteTx {
    /// Posts `reading` for local day `day` as the first version of that register's reading
    /// on that day, measured; or nothing, when the same reading is there already or another
    /// one is ([`IndexWritten::Conflict`]).
    pub async fn put_index_reading(
        &mut self,
        reading: &IndexReading,
        day: Date,
        at: Timestamp,
    ) -> Result<IndexWritten, StoreError> {
        if let Some(held) = self.index_reading(reading.ean(), reading.register(), day).await? {
            let same = held.version == 1 && held.reading == *reading;
            return Ok(if same { IndexWritten::Unchanged } else { IndexWritten::Conflict(Box::new(held)) });
        }
        self.insert_index(reading, day, 1, Quality::Measured, at).await?;
        Ok(IndexWritten::Written)
    }

    /// Writes the next version of `held` with `value` (thousandths of the unit) and
    /// `quality`: a validator's decision. Returns the version written.
    pub async fn put_index_version(
        &mut self,
        held: &StoredIndex,
        value: u64,
        quality: Quality,
        at: Timestamp,
    ) -> Result<u32, StoreError> {
        let r = &held.reading;
        let reading = match r.calorific() {
            Some(calorific) => IndexReading::gas(r.ean(), value, calorific, r.at(), r.source().clone()),
            None => IndexReading::electricity(r.ean(), r.register(), value, r.at(), r.source().clone())
                .map_err(|e| corrupt(format!("index reading: {e}")))?,
        };
        let version = held.version + 1;
        self.insert_index(&reading, held.day, version, quality, at).await?;
        Ok(version)
    }

    async fn insert_index(
        &mut self,
        reading: &IndexReading,
        day: Date,
        version: u32,
        quality: Quality,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let value = i64::try_from(reading.value())
            .map_err(|_| StoreError::Config { field: "value", reason: "too large".into() })?;
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO index_readings (ean, register, day, version, read_at, value, calorific, quality, \
             source, reader, recorded_at, journal_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             RETURNING {}",
            INDEX_READINGS.column_list()
        ))
        .bind(ean_key(reading.ean()))
        .bind(reading.register().as_str())
        .bind(day.to_string())
        .bind(i64::from(version))
        .bind(micros(reading.at()))
        .bind(value)
        .bind(reading.calorific().map(|c| i64::from(c.wh_per_m3())))
        .bind(quality.as_str())
        .bind(reading.source().as_str())
        .bind(reading.source().reader().map(ToString::to_string))
        .bind(micros(at))
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&INDEX_READINGS, &row)
    }

    /// The latest version of `register`'s reading of `ean` on `day`, in the writer's
    /// transaction.
    pub async fn index_reading(
        &mut self,
        ean: Ean,
        register: Register,
        day: Date,
    ) -> Result<Option<StoredIndex>, StoreError> {
        self.one_index("r.day = $3 ORDER BY r.version DESC", ean, register, day).await
    }

    /// The latest usable reading of `register` of `ean` on a day before `day` (a rejected
    /// reading is skipped: the rules compare with what counts), in the writer's transaction.
    pub async fn index_before(
        &mut self,
        ean: Ean,
        register: Register,
        day: Date,
    ) -> Result<Option<StoredIndex>, StoreError> {
        let condition = format!("r.day < $3 AND {LATEST} AND r.quality <> 'rejected' ORDER BY r.day DESC");
        self.one_index(&condition, ean, register, day).await
    }

    /// The first reading of `register` of `ean` under `condition` (on `$3`, the day, with its
    /// order), in the writer's transaction.
    async fn one_index(
        &mut self,
        condition: &str,
        ean: Ean,
        register: Register,
        day: Date,
    ) -> Result<Option<StoredIndex>, StoreError> {
        let row = sqlx::query(&format!(
            "{INDEX_SELECT} WHERE r.ean = $1 AND r.register = $2 AND {condition} LIMIT 1"
        ))
        .bind(ean_key(ean))
        .bind(register.as_str())
        .bind(day.to_string())
        .fetch_optional(self.conn())
        .await?;
        row.as_ref().map(stored_index).transpose()
    }

    /// Puts `ean` on `reader`'s route for the window `from`..=`to`; `false` when it is there
    /// already for a window starting that day.
    pub async fn put_route_stop(
        &mut self,
        reader: &PartyId,
        from: Date,
        to: Date,
        ean: Ean,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let held: Option<String> = sqlx::query_scalar(
            "SELECT window_to FROM route_stops WHERE reader = $1 AND window_from = $2 AND ean = $3",
        )
        .bind(reader.as_str())
        .bind(from.to_string())
        .bind(ean_key(ean))
        .fetch_optional(self.conn())
        .await?;
        if held.is_some() {
            return Ok(false);
        }
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO route_stops (reader, window_from, ean, window_to, assigned_at, journal_seq) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {}",
            ROUTE_STOPS.column_list()
        ))
        .bind(reader.as_str())
        .bind(from.to_string())
        .bind(ean_key(ean))
        .bind(to.to_string())
        .bind(micros(at))
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&ROUTE_STOPS, &row)?;
        Ok(true)
    }
}

/// One access point of a route, with its window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteStop {
    /// The access point.
    pub ean: Ean,
    /// The window's first day.
    pub from: Date,
    /// The window's last day.
    pub to: Date,
}

impl Store {
    /// The access points on `reader`'s route in a window holding `day`, by EAN.
    pub async fn route(&self, reader: &PartyId, day: Date) -> Result<Vec<RouteStop>, StoreError> {
        let rows = sqlx::query(
            "SELECT ean, window_from, window_to FROM route_stops WHERE reader = $1 AND window_from <= $2 \
             AND window_to >= $2 ORDER BY ean, window_from",
        )
        .bind(reader.as_str())
        .bind(day.to_string())
        .fetch_all(&self.read)
        .await?;
        let date = |text: String| text.parse::<Date>().map_err(|e| corrupt(format!("route window: {e}")));
        let mut stops: Vec<RouteStop> = Vec::with_capacity(rows.len());
        for row in &rows {
            let stop = RouteStop {
                ean: ean_from(row.try_get("ean")?)?,
                from: date(row.try_get("window_from")?)?,
                to: date(row.try_get("window_to")?)?,
            };
            // Two windows holding today for the same point show it once.
            if stops.last().is_none_or(|last| last.ean != stop.ean) {
                stops.push(stop);
            }
        }
        Ok(stops)
    }

    /// Whether `ean` is on `reader`'s route in a window holding `day`: what makes a route
    /// the reader's own for a decision (R9).
    pub async fn is_on_route(&self, reader: &PartyId, ean: Ean, day: Date) -> Result<bool, StoreError> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT ean FROM route_stops WHERE reader = $1 AND ean = $2 AND window_from <= $3 \
             AND window_to >= $3 LIMIT 1",
        )
        .bind(reader.as_str())
        .bind(ean_key(ean))
        .bind(day.to_string())
        .fetch_optional(&self.read)
        .await?;
        Ok(found.is_some())
    }

    /// The latest version of every index reading of `ean` on the local days `from` to `to`
    /// inclusive, by day and register.
    pub async fn index_readings(
        &self,
        ean: Ean,
        from: Date,
        to: Date,
    ) -> Result<Vec<StoredIndex>, StoreError> {
        let rows = sqlx::query(&format!(
            "{INDEX_SELECT} WHERE r.ean = $1 AND r.day >= $2 AND r.day <= $3 AND {LATEST} \
             ORDER BY r.day, r.register"
        ))
        .bind(ean_key(ean))
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(stored_index).collect()
    }
}
