//! Metering data through the gate: imports of interval values by the metering team's systems,
//! and reads of consumption clipped to the periods the reader may see (R1, R4, I3).
//!
//! An import is a batch of judged rows ([`domain::metering::ReadingRow`]) with the place each
//! came from (a file's line, an array's position). One writer command takes the batch: it
//! refuses the rows the register cannot place (an EAN it does not know, a channel of the other
//! energy, the same interval twice with two values), lays the rest over the latest version of
//! each day, and writes a day only when it changed (I4: a new version, never an overwrite;
//! importing a file twice writes nothing the second time). The batch is one journal entry
//! about the access points it wrote, binding every row, with the digest of the report.
//!
//! A read of consumption asks `ReadConsumption` of the access point. The answer holds only the
//! intervals wholly inside the periods the decision lets the reader see; the others are left
//! out, not shown as gaps, so where another party's period begins does not show either. An
//! aggregate (hour, day, month) sums only visible intervals, is labelled by the first and
//! last of them, not by the calendar's bucket, and never spans a hidden interval.

use std::collections::{BTreeMap, HashMap};

use domain::label::Confidentiality;
use domain::metering::{
    Channel, DayLayout, Finding, Interval, IntervalDay, Quality, ReadingRow, ValidationConfig, check_gaps,
    check_history_band, check_spikes, check_values, check_zero_runs,
};
use domain::{Ean, Energy};
use jiff::Timestamp;
use jiff::civil::Date;
use journal::Entry;
use policy::{Action, Resource, Visible};
use serde::{Deserialize, Serialize};
use store::metering::{DayWritten, StoredFinding};
use store::{Command, Done, StoreError, WriteTx};

use crate::gate::{Ask, Sent};
pub use crate::judged::{RefusedRow, assumed_connection};
use crate::{Actor, AppError, Cloison};

/// The most rows one import call takes: a batch is one transaction of the writer, and one
/// transaction should not hold the writer for long.
pub const MAX_IMPORT_ROWS: usize = 100_000;

/// The longest span a consumption read covers, in days: a year of quarter-hours is 35,136
/// intervals, a few megabytes of JSON.
pub const MAX_CONSUMPTION_DAYS: i32 = 366;

/// One judged row and where it came from (a file's line number, an array's position), so a
/// refusal names it.
#[derive(Debug, Clone, Copy)]
pub struct PlacedRow {
    /// The file's line (1-based) or the array's position (1-based).
    pub line: u64,
    /// The row.
    pub row: ReadingRow,
}

/// One batch of an import: the rows judged well-formed, and those the row parser refused
/// already (reported and journaled with the batch, so the report that leaves is the one the
/// journal digests).
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// The well-formed rows.
    pub rows: Vec<PlacedRow>,
    /// The rows refused before reaching the register.
    pub refused: Vec<RefusedRow>,
}

/// Whether an import writes, or only judges (the first pass of an all-or-nothing import).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// Write what is accepted.
    Write,
    /// Judge every row against the register, write nothing.
    Check,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Rows received.
    pub rows: u64,
    /// Rows accepted (written, or already held).
    pub accepted: u64,
    /// Days written as a new version.
    pub days_written: u64,
    /// Days that already held exactly these values: nothing written.
    pub days_unchanged: u64,
    /// What the validation rules found on the days written, filed in the validators' queue.
    pub findings: u64,
    /// The rows refused, each with where it came from and why.
    pub refused: Vec<RefusedRow>,
}

impl ImportReport {
    /// Adds another batch's report to this one.
    pub fn add(&mut self, other: ImportReport) {
        self.rows += other.rows;
        self.accepted += other.accepted;
        self.days_written += other.days_written;
        self.days_unchanged += other.days_unchanged;
        self.findings += other.findings;
        self.refused.extend(other.refused);
    }
}

/// The import command: the batch, judged against the register and written in one
/// transaction of the writer, journaled as one entry.
struct ImportReadings {
    template: Entry,
    batch: Batch,
    mode: ImportMode,
}

/// The key of a day of one channel of one access point.
type DayKey = (Ean, Channel, Date);

impl ImportReadings {
    /// Sorts the rows into days, refusing those the register cannot place.
    async fn judge(
        &self,
        tx: &mut WriteTx,
    ) -> Result<(BTreeMap<DayKey, Vec<(usize, Interval, u64)>>, Vec<RefusedRow>), StoreError> {
        let mut energies: HashMap<Ean, Option<Energy>> = HashMap::new();
        let mut days: BTreeMap<DayKey, Vec<(usize, Interval, u64)>> = BTreeMap::new();
        let mut refused = Vec::new();
        for placed in &self.batch.rows {
            let row = placed.row;
            let energy = match energies.get(&row.ean) {
                Some(known) => *known,
                None => {
                    let energy = tx.point_energy(row.ean).await?;
                    energies.insert(row.ean, energy);
                    energy
                }
            };
            let refuse = |field: &str, code: &str, reason: String| RefusedRow {
                line: placed.line,
                field: field.into(),
                code: code.into(),
                reason,
            };
            match energy {
                None => {
                    refused.push(refuse(
                        "ean",
                        "unknown_access_point",
                        format!("access point {} is not in the register", row.ean),
                    ));
                    continue;
                }
                Some(energy) if energy != row.channel.energy() => {
                    refused.push(refuse(
                        "channel",
                        "channel_not_on_point",
                        format!(
                            "{} is not a channel of access point {}, which is on the {energy} grid",
                            row.channel, row.ean
                        ),
                    ));
                    continue;
                }
                Some(_) => {}
            }
            let day = days.entry((row.ean, row.channel, row.day)).or_default();
            match day.iter().find(|(index, ..)| *index == row.index) {
                Some((_, held, first)) if *held != row.interval => refused.push(refuse(
                    "start",
                    "duplicate_interval",
                    format!("this interval is given already on line {first}, with another value"),
                )),
                Some(_) => {}
                None => day.push((row.index, row.interval, placed.line)),
            }
        }
        Ok((days, refused))
    }
}

impl Command for ImportReadings {
    type Output = Result<Sent<ImportReport>, StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let (days, refused) = self.judge(tx).await?;
        let well_formed = self.batch.rows.len() as u64;
        let mut report = ImportReport {
            rows: well_formed + self.batch.refused.len() as u64,
            accepted: well_formed - refused.len() as u64,
            ..ImportReport::default()
        };
        report.refused = self.batch.refused;
        report.refused.extend(refused);
        report.refused.sort_by_key(|r| r.line);
        let mut written: Vec<Ean> = Vec::new();
        if self.mode == ImportMode::Write {
            let at = Timestamp::now();
            let mut new_days: Vec<IntervalDay> = Vec::new();
            for ((ean, channel, day), values) in &days {
                let values: Vec<(usize, Interval)> = values.iter().map(|(i, v, _)| (*i, *v)).collect();
                let (outcome, stored) = tx.patch_interval_day(*ean, *channel, *day, &values, at).await?;
                match outcome {
                    DayWritten::Version(_) => {
                        report.days_written += 1;
                        for finding in validate(&stored) {
                            tx.put_finding(&stored, &finding, at).await?;
                            report.findings += 1;
                        }
                        if written.last() != Some(ean) {
                            written.push(*ean);
                        }
                        new_days.push(stored);
                    }
                    DayWritten::Unchanged(_) => report.days_unchanged += 1,
                }
            }
            report.findings += history_band(tx, &new_days, at).await?;
        }
        written.sort_unstable();
        written.dedup();
        let json = serde_json::to_vec(&report).map_err(|e| StoreError::Journal(e.to_string()))?;
        let slot = tx.slot();
        let index = slot.sequence();
        let entry = slot.fill(Entry {
            subjects: written.iter().map(ToString::to_string).collect(),
            outcome: "ok".into(),
            data_digest: Some(journal::Hash::digest(&json)),
            ..self.template
        });
        let sent = Sent::written(report, json).labelled(Confidentiality::PersonalData, index);
        Ok(Done { output: Ok(sent), entries: vec![entry] })
    }
}

/// The rules that judge one day's series on its own (negative or impossible values, spikes,
/// runs of zeros, gaps), with the default thresholds. The rules that need an index, previous
/// years, a profile or degree-days run where those are known.
pub(crate) fn validate(day: &IntervalDay) -> Vec<Finding> {
    let config = ValidationConfig::default();
    let mut findings = check_values(day, assumed_connection(day.channel().energy()), &config);
    findings.extend(check_spikes(day, &config));
    findings.extend(check_zero_runs(day, &config));
    findings.extend(check_gaps(day));
    findings
}

/// How far back the history band looks: the same weekday 52 and 104 weeks before, so a
/// Sunday is compared with Sundays.
const HISTORY_WEEKS: [i64; 2] = [52, 104];

/// `outside_history_band` on the days just written (in key order, by point and channel): each
/// complete day's total against the mean of the same weekday 52 and 104 weeks before, where
/// those days are complete too. One read per point and channel of the batch, of the span of
/// days those comparisons need. Returns how many findings were filed.
async fn history_band(tx: &mut WriteTx, days: &[IntervalDay], at: Timestamp) -> Result<u64, StoreError> {
    let config = ValidationConfig::default();
    let mut filed = 0;
    for group in days.chunk_by(|a, b| a.ean() == b.ean() && a.channel() == b.channel()) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else { continue };
        let back = |day: Date, weeks: i64| day.checked_sub(jiff::Span::new().days(weeks * 7)).ok();
        let (Some(from), Some(to)) =
            (back(first.day(), HISTORY_WEEKS[1]), back(last.day(), HISTORY_WEEKS[0]))
        else {
            continue;
        };
        let earlier = tx.interval_days_between(first.ean(), first.channel(), from, to).await?;
        if earlier.is_empty() {
            continue;
        }
        let complete = |day: &IntervalDay| match day.usable_total() {
            (total, 0) => Some(total),
            _ => None,
        };
        let totals: HashMap<Date, i64> =
            earlier.iter().filter_map(|d| complete(d).map(|total| (d.day(), total))).collect();
        for day in group {
            let Some(total) = complete(day) else { continue };
            let previous: Vec<i64> = HISTORY_WEEKS
                .iter()
                .filter_map(|&w| back(day.day(), w))
                .filter_map(|d| totals.get(&d))
                .copied()
                .collect();
            if let Some(finding) = check_history_band(total, &previous, &config) {
                tx.put_finding(day, &finding, at).await?;
                filed += 1;
            }
        }
    }
    Ok(filed)
}

/// How finely consumption is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Resolution {
    /// Each interval as stored: quarter-hours for electricity, hours for gas.
    #[serde(rename = "15m")]
    Interval,
    /// Hours (quarter-hours summed by four; gas as stored).
    #[serde(rename = "1h")]
    Hour,
    /// Local days.
    #[serde(rename = "day")]
    Day,
    /// Local calendar months.
    #[serde(rename = "month")]
    Month,
}

impl Resolution {
    /// The text forms, as the API and the CLI take them.
    pub const NAMES: [&'static str; 4] = ["15m", "1h", "day", "month"];

    /// Parses `15m`, `1h`, `day` or `month`.
    pub fn parse(text: &str) -> Result<Resolution, AppError> {
        match text {
            "15m" => Ok(Resolution::Interval),
            "1h" => Ok(Resolution::Hour),
            "day" => Ok(Resolution::Day),
            "month" => Ok(Resolution::Month),
            other => Err(invalid(
                "resolution",
                format!("must be one of {}, found {other:?}", Resolution::NAMES.join(", ")),
            )),
        }
    }
}

/// An access point's consumption over local days, clipped to what the reader may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumptionView {
    /// The access point.
    pub ean: Ean,
    /// The first local day asked for.
    pub from: Date,
    /// The local day after the last one asked for.
    pub to: Date,
    /// The resolution.
    pub resolution: Resolution,
    /// Each channel that has visible data, in a fixed order.
    pub channels: Vec<ChannelSeries>,
}

/// One channel's values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelSeries {
    /// The channel.
    pub channel: Channel,
    /// Always `Wh`.
    pub unit: String,
    /// The values, in time order.
    pub values: Vec<ConsumptionValue>,
}

/// One value: an interval, or the sum of the visible intervals of an hour, a day or a month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumptionValue {
    /// The first instant covered, as a Europe/Brussels local time with its offset.
    pub start: String,
    /// The first instant after, likewise.
    pub end: String,
    /// The energy in Wh of the usable intervals; absent when none is usable.
    pub wh: Option<i64>,
    /// The quality of the interval; for a sum, the least trusted quality among its intervals
    /// (missing, then rejected, estimated, corrected, measured).
    pub quality: Quality,
    /// How many intervals it covers.
    pub intervals: u32,
}

fn invalid(field: &'static str, reason: String) -> AppError {
    AppError::Invalid(StoreError::Config { field, reason })
}

/// How little a quality is trusted, for the quality of a sum.
fn distrust(quality: Quality) -> u8 {
    match quality {
        Quality::Measured => 0,
        Quality::Corrected => 1,
        Quality::Estimated => 2,
        Quality::Rejected => 3,
        Quality::Missing => 4,
    }
}

fn local_label(at: Timestamp) -> String {
    domain::period::local_label(at)
}

/// Whether the whole of `[start, end)` may be shown.
fn wholly_visible(visible: &Visible, start: Timestamp, end: Timestamp) -> bool {
    match visible {
        Visible::Nothing => false,
        Visible::All => true,
        Visible::Periods(periods) => {
            periods.iter().any(|p| p.from() <= start && p.to().is_none_or(|to| end <= to))
        }
    }
}

/// The bucket an interval starting at `start` on `layout`'s day falls in.
fn bucket_of(resolution: Resolution, layout: &DayLayout, index: usize, start: Timestamp) -> (i64, i64) {
    match resolution {
        Resolution::Interval => (start.as_second(), 0),
        // Hours are counted from the day's start, so the two 02:00 of October are two hours.
        Resolution::Hour => {
            (layout.start().as_second(), (index as i64 * layout.channel().interval_seconds()) / 3600)
        }
        Resolution::Day => (layout.start().as_second(), 0),
        Resolution::Month => (i64::from(layout.day().year()) * 12 + i64::from(layout.day().month()), 0),
    }
}

/// A value being summed: its bucket, its first and last visible instants, and its sum.
struct Bucket {
    key: (i64, i64),
    start: Timestamp,
    end: Timestamp,
    wh: Option<i64>,
    quality: Quality,
    intervals: u32,
}

impl Bucket {
    fn value(&self) -> ConsumptionValue {
        ConsumptionValue {
            start: local_label(self.start),
            end: local_label(self.end),
            wh: self.wh,
            quality: self.quality,
            intervals: self.intervals,
        }
    }
}

/// Folds the visible intervals of `days` into values at `resolution`.
pub(crate) fn fold(days: &[IntervalDay], visible: &Visible, resolution: Resolution) -> Vec<ConsumptionValue> {
    let mut values: Vec<ConsumptionValue> = Vec::new();
    let mut current: Option<Bucket> = None;
    for day in days {
        let layout = day.layout();
        let step = layout.channel().interval_seconds();
        for (index, interval) in day.intervals().iter().enumerate() {
            let Ok(start) = layout.interval_start(index) else { continue };
            let Ok(end) = Timestamp::from_second(start.as_second() + step) else { continue };
            if !wholly_visible(visible, start, end) {
                // A value never spans what may not be seen: it ends where the reader's
                // period ends, and the next starts where the next period starts.
                values.extend(current.take().as_ref().map(Bucket::value));
                continue;
            }
            let key = bucket_of(resolution, layout, index, start);
            match &mut current {
                Some(bucket) if bucket.key == key => {
                    bucket.end = end;
                    if let Some(v) = interval.usable() {
                        bucket.wh = Some(bucket.wh.unwrap_or(0) + v);
                    }
                    if distrust(interval.quality()) > distrust(bucket.quality) {
                        bucket.quality = interval.quality();
                    }
                    bucket.intervals += 1;
                }
                _ => {
                    values.extend(current.as_ref().map(Bucket::value));
                    current = Some(Bucket {
                        key,
                        start,
                        end,
                        wh: interval.usable(),
                        quality: interval.quality(),
                        intervals: 1,
                    });
                }
            }
        }
    }
    values.extend(current.as_ref().map(Bucket::value));
    values
}

impl Cloison {
    /// Imports a batch for `actor`: refused as a whole unless the policy lets the
    /// actor write readings; otherwise each row is placed or refused on its own, and the batch
    /// journaled as one entry. At most [`MAX_IMPORT_ROWS`] rows.
    pub async fn readings_import(
        &self,
        actor: &Actor,
        batch: Batch,
        mode: ImportMode,
    ) -> Result<Sent<ImportReport>, AppError> {
        let count = batch.rows.len() + batch.refused.len();
        if count > MAX_IMPORT_ROWS {
            return Err(invalid(
                "rows",
                format!("a batch holds at most {MAX_IMPORT_ROWS} rows, found {count}"),
            ));
        }
        let act = match mode {
            ImportMode::Write => "metering.import",
            ImportMode::Check => "metering.import.check",
        };
        let ask = Ask::function(Action::WriteReadings, Resource::Metering, act, "metering");
        self.write(actor, vec![ask], |template| async move {
            let command = ImportReadings { template, batch, mode };
            Ok(self.store.submit(command).await?.wait().await?.output?)
        })
        .await
    }

    /// `ean`'s consumption on the local days from `from` to before `to`, at `resolution`,
    /// clipped to what `actor` may see; journaled like every read.
    pub async fn consumption(
        &self,
        actor: &Actor,
        ean: Ean,
        from: Date,
        to: Date,
        resolution: Resolution,
    ) -> Result<Sent<ConsumptionView>, AppError> {
        let span = from.until(to).map(|s| s.get_days()).unwrap_or(0);
        if to <= from {
            return Err(invalid("to", format!("must be after from ({from}), found {to}")));
        }
        if span > MAX_CONSUMPTION_DAYS {
            return Err(invalid(
                "to",
                format!("a read covers at most {MAX_CONSUMPTION_DAYS} days, found {span}"),
            ));
        }
        let last = to.yesterday().map_err(|e| invalid("to", e.to_string()))?;
        let ean_text = ean.to_string();
        let ask =
            Ask::access_point(Action::ReadConsumption, ean, &ean_text, "metering.consumption", "consumption");
        self.read(actor, ask, |visible| async move {
            let point = self.store.access_point(ean).await?.ok_or(AppError::UnknownAccessPoint(ean))?;
            let mut channels = Vec::new();
            for channel in Channel::ALL.into_iter().filter(|c| c.energy() == point.energy) {
                if visible == Visible::Nothing {
                    break;
                }
                let days = self.store.interval_days(ean, channel, from, last).await?;
                let values = fold(&days, &visible, resolution);
                if !values.is_empty() {
                    channels.push(ChannelSeries { channel, unit: "Wh".into(), values });
                }
            }
            Ok(ConsumptionView { ean, from, to, resolution, channels })
        })
        .await
    }
}

/// A validator's decision on a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Verdict {
    /// The values are right after all: the day stays as it is.
    Accept,
    /// The values concerned are wrong: they are kept, marked rejected, and no longer count.
    Reject,
    /// The values concerned are replaced by estimates: interpolated over a short gap between
    /// measured neighbours, and over a longer one the load profile's shape at the level the
    /// day's own values set (offtake only); refused (`nothing_to_estimate`) where no estimate
    /// can be made.
    Estimate,
    /// The validator's own values, by interval number, marked corrected.
    Correct {
        /// (interval number, Wh) pairs.
        values: Vec<(u32, i64)>,
    },
}

impl Verdict {
    /// The stable name a decision is stored and journaled under.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Accept => "accept",
            Verdict::Reject => "reject",
            Verdict::Estimate => "estimate",
            Verdict::Correct { .. } => "correct",
        }
    }
}

/// What a decision did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionView {
    /// The finding decided.
    pub finding: String,
    /// `accept`, `reject`, `estimate` or `correct`.
    pub decision: String,
    /// The version of the day the decision wrote; none for an acceptance.
    pub version_written: Option<u32>,
}

/// Why a decision was not taken.
enum Undecided {
    /// No finding with that id.
    NoSuch,
    /// A rule of the decision was broken (its stable code, and why); nothing was written.
    Refused(&'static str, String),
}

/// The decision command: the finding, the day's latest version and the decision's new
/// version, in one transaction with its entry.
struct DecideFinding {
    template: Entry,
    id: String,
    verdict: Verdict,
}

impl DecideFinding {
    /// The day as the verdict leaves it, or `None` when it stays as it is.
    fn decided(
        &self,
        day: &IntervalDay,
        range: std::ops::Range<usize>,
    ) -> Result<Option<IntervalDay>, Undecided> {
        let reject = |day: &IntervalDay| -> Result<IntervalDay, Undecided> {
            let replacements: Vec<(usize, Interval)> = range
                .clone()
                .filter_map(|i| {
                    let wh = day.intervals().get(i)?.wh()?;
                    Some((i, Interval::new(wh, Quality::Rejected)))
                })
                .collect();
            if replacements.is_empty() {
                return Ok(day.clone());
            }
            day.corrected(&replacements).map_err(|e| Undecided::Refused(e.code(), e.to_string()))
        };
        match &self.verdict {
            Verdict::Accept => Ok(None),
            Verdict::Reject => reject(day).map(Some),
            Verdict::Estimate => {
                let rejected = reject(day)?;
                // A long gap follows the load profile at the day's own level.
                let fill = crate::reference::Reference::embedded().ok().and_then(|r| r.day_fill(&rejected));
                let profile = fill.as_ref().map(|(profile, total)| domain::metering::ProfileFill {
                    profile,
                    yearly_wh: *total,
                    first: 0,
                });
                domain::metering::estimate_gaps(
                    &rejected,
                    &domain::metering::EstimationConfig::default(),
                    profile,
                )
                .map(Some)
                .map_err(|e| Undecided::Refused(e.code(), e.to_string()))
            }
            Verdict::Correct { values } => {
                if values.is_empty() {
                    return Err(Undecided::Refused(
                        "no_values",
                        "a correction names at least one interval".into(),
                    ));
                }
                let count = day.intervals().len();
                let mut replacements = Vec::with_capacity(values.len());
                for &(index, wh) in values {
                    let index = index as usize;
                    if index >= count {
                        let reason =
                            format!("interval {index} does not exist on {}, which has {count}", day.day());
                        return Err(Undecided::Refused("interval_outside_day", reason));
                    }
                    replacements.push((index, Interval::new(wh, Quality::Corrected)));
                }
                day.corrected(&replacements)
                    .map(Some)
                    .map_err(|e| Undecided::Refused(e.code(), e.to_string()))
            }
        }
    }

    /// A decision on a finding about an index reading: accepted as it is, rejected (the
    /// reading's next version no longer counts), estimated (the reading before it plus what
    /// the point's own year, or a standard one, predicts by the load profile or the
    /// degree-days), or
    /// corrected with the validator's value in thousandths of the register's unit (one value,
    /// at position 0).
    async fn decide_index(
        &self,
        tx: &mut WriteTx,
        finding: &StoredFinding,
        register: domain::metering::Register,
        subjects: Vec<String>,
        at: Timestamp,
    ) -> Result<Done<Result<Sent<DecisionView>, Undecided>>, StoreError> {
        let Some(held) = tx.index_reading(finding.ean, register, finding.day).await? else {
            return Err(StoreError::Journal(format!(
                "finding {} names a reading that was never written",
                finding.id
            )));
        };
        let refused = |code: &'static str, reason: String| Err(Undecided::Refused(code, reason));
        let decided: Result<Option<(u64, Quality)>, Undecided> = match &self.verdict {
            Verdict::Accept => Ok(None),
            Verdict::Reject => Ok(Some((held.reading.value(), Quality::Rejected))),
            Verdict::Estimate => match crate::index_readings::estimate_index(tx, &held).await? {
                Some(value) => Ok(Some((value, Quality::Estimated))),
                None => refused(
                    "nothing_to_estimate",
                    "an index is estimated from a usable reading before it; this register has none".into(),
                ),
            },
            Verdict::Correct { values } => match values.as_slice() {
                [] => refused("no_values", "a correction names at least one value".into()),
                [(0, value)] if *value >= 0 => Ok(Some((*value as u64, Quality::Corrected))),
                [(0, value)] => refused("bad_value", format!("an index is never below zero, found {value}")),
                _ => refused(
                    "one_value_for_an_index",
                    "an index reading is corrected with one value, at position 0, in thousandths of its unit"
                        .into(),
                ),
            },
        };
        let decided = match decided {
            Ok(decided) => decided,
            Err(refused) => return Ok(self.refused(tx, subjects, refused)),
        };
        let version_written = match decided {
            Some((value, quality)) => Some(tx.put_index_version(&held, value, quality, at).await?),
            None => None,
        };
        self.decided_as(tx, &finding.id, version_written, subjects, at).await
    }

    /// Records the decision (and the version it wrote) and journals it with its answer.
    async fn decided_as(
        &self,
        tx: &mut WriteTx,
        finding: &str,
        version_written: Option<u32>,
        subjects: Vec<String>,
        at: Timestamp,
    ) -> Result<Done<Result<Sent<DecisionView>, Undecided>>, StoreError> {
        let party = self.template.actor.party_id.clone();
        tx.decide_finding(finding, self.verdict.as_str(), &party, version_written, at).await?;
        let view = DecisionView {
            finding: finding.to_owned(),
            decision: self.verdict.as_str().into(),
            version_written,
        };
        let json = serde_json::to_vec(&view).map_err(|e| StoreError::Journal(e.to_string()))?;
        let digest = Some(journal::Hash::digest(&json));
        Ok(self.done(tx, subjects, "ok".into(), digest, Ok(Sent::written(view, json))))
    }

    /// A decision refused: journaled with its code, nothing written.
    fn refused(
        &self,
        tx: &mut WriteTx,
        subjects: Vec<String>,
        refused: Undecided,
    ) -> Done<Result<Sent<DecisionView>, Undecided>> {
        let outcome = match &refused {
            Undecided::Refused(code, _) => format!("refused:{code}"),
            Undecided::NoSuch => "not_visible".into(),
        };
        self.done(tx, subjects, outcome, None, Err(refused))
    }

    fn done(
        &self,
        tx: &mut WriteTx,
        subjects: Vec<String>,
        outcome: String,
        data_digest: Option<journal::Hash>,
        output: Result<Sent<DecisionView>, Undecided>,
    ) -> Done<Result<Sent<DecisionView>, Undecided>> {
        let slot = tx.slot();
        let index = slot.sequence();
        let entry = slot.fill(Entry { subjects, outcome, data_digest, ..self.template.clone() });
        let output = output.map(|sent| sent.labelled(Confidentiality::PersonalData, index));
        Done { output, entries: vec![entry] }
    }
}

impl Command for DecideFinding {
    type Output = Result<Sent<DecisionView>, Undecided>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let at = Timestamp::now();
        let Some(finding) = tx.finding(&self.id).await? else {
            return Ok(self.done(
                tx,
                vec![self.id.clone()],
                "not_visible".into(),
                None,
                Err(Undecided::NoSuch),
            ));
        };
        let subjects = vec![finding.ean.to_string(), finding.id.clone()];
        if finding.decision.is_some() {
            let refused =
                Undecided::Refused("already_decided", format!("finding {} was decided already", finding.id));
            return Ok(self.done(tx, subjects, "refused:already_decided".into(), None, Err(refused)));
        }
        let channel = match (finding.channel, finding.register) {
            (Some(channel), _) => channel,
            (None, Some(register)) => return self.decide_index(tx, &finding, register, subjects, at).await,
            (None, None) => {
                return Err(StoreError::Journal(format!(
                    "finding {} names neither channel nor register",
                    finding.id
                )));
            }
        };
        let Some(day) = tx.latest_interval_day(finding.ean, channel, finding.day).await? else {
            return Err(StoreError::Journal(format!(
                "finding {} names a day that was never written",
                finding.id
            )));
        };
        let range = match finding.intervals {
            Some((first, end)) => first as usize..end as usize,
            None => 0..day.intervals().len(),
        };
        let decided = match self.decided(&day, range) {
            Ok(decided) => decided,
            Err(refused) => return Ok(self.refused(tx, subjects, refused)),
        };
        let version_written = match &decided {
            Some(new) => match tx.put_interval_day(new, at).await? {
                DayWritten::Version(v) => Some(v),
                DayWritten::Unchanged(_) => None,
            },
            None => None,
        };
        self.decided_as(tx, &finding.id, version_written, subjects, at).await
    }
}

impl Cloison {
    /// The validators' queue: the oldest findings no one has decided yet (at most `limit`,
    /// 1 to 1,000), for the metering team.
    pub async fn validation_queue(
        &self,
        actor: &Actor,
        limit: i64,
    ) -> Result<Sent<Vec<StoredFinding>>, AppError> {
        if !(1..=1000).contains(&limit) {
            return Err(invalid("limit", format!("must be 1 to 1000, found {limit}")));
        }
        let ask = Ask::function(
            Action::ValidateReadings,
            Resource::Metering,
            "metering.validation.queue",
            "validation",
        );
        self.read(actor, ask, |_| async move { Ok(self.store.open_findings(limit).await?) }).await
    }

    /// A validator's decision on finding `id`: journaled with the version of the day it wrote.
    /// An id no finding has is `NoSuch("finding")`; a finding decided already, or a decision
    /// the day does not allow, is refused with its code and writes nothing.
    pub async fn validation_decide(
        &self,
        actor: &Actor,
        id: &str,
        verdict: Verdict,
    ) -> Result<Sent<DecisionView>, AppError> {
        let ask = Ask::function(
            Action::ValidateReadings,
            Resource::Metering,
            "metering.validation.decide",
            "validation",
        )
        .about(vec![id.to_owned()]);
        let id = id.to_owned();
        self.write(actor, vec![ask], |template| async move {
            let command = DecideFinding { template, id, verdict };
            match self.store.submit(command).await?.wait().await?.output {
                Ok(sent) => Ok(sent),
                Err(Undecided::NoSuch) => Err(AppError::NoSuch("finding")),
                Err(Undecided::Refused(code, reason)) => {
                    let field = match code {
                        "already_decided" => "finding",
                        "no_values" | "interval_outside_day" => "values",
                        _ => "decision",
                    };
                    Err(invalid(field, format!("{reason} [{code}]")))
                }
            }
        })
        .await
    }
}
