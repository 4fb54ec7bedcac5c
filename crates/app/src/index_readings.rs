//! Index readings through the gate: posted by the metering team's systems or from a meter
//! reader's field device (R9), validated against the register's previous reading, and read
//! back clipped to the periods the reader may see (R1, R4).
//!
//! A posted reading is judged field by field ([`IndexPost::judge`]) with stable codes, then
//! placed by one writer command: an access point the register does not know, a register of
//! the other energy, or a second reading of a register on a day that has one are refused
//! with the row; the same reading posted again writes nothing. Each reading written is
//! compared with the register's previous usable reading (`meter_rollover`,
//! `index_backwards`, `impossible_value`), and what the rules find goes to the validators'
//! queue, where a decision writes the reading's next version (I4).
//!
//! A meter reader posts one reading at a time, for an access point on their route in the
//! current reading window: the gate asks `WriteRouteReading` of the route, which is the
//! reader's own only when the point is on it today; a reading for any other point is refused
//! and the refusal journaled, like every decision. The reader's route lists its points and
//! their addresses, and nothing of their consumption.

use domain::label::Confidentiality;
use domain::metering::{
    CalorificValue, Finding, IndexReading, Quality, Register, Rule, Source, ValidationConfig, check_index,
};
use domain::{Address, Ean, Energy, PartyId};
use jiff::civil::Date;
use jiff::{Timestamp, Zoned};
use journal::Entry;
use policy::{Action, Resource, Visible};
use serde::{Deserialize, Serialize};
use store::index::{IndexWritten, StoredIndex};
use store::{Command, Done, StoreError, WriteTx};

use crate::gate::{Ask, Refusal, Sent};
use crate::judged::{RefusedRow, assumed_connection, assumed_dial};
use crate::reference::Reference;
use crate::{Actor, AppError, Cloison};

/// The most readings one post takes.
pub const MAX_INDEX_ROWS: usize = 10_000;

/// The longest span a read of index readings covers, in days: ten years of yearly readings.
pub const MAX_INDEX_DAYS: i32 = 3_660;

/// One index reading as a client posts it: the dial's figures as shown, so nothing is lost to
/// a float.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexPost {
    /// The access point's 18-digit EAN.
    pub ean: String,
    /// `single`, `day`, `night`, `exclusive_night` (electricity) or `gas`.
    pub register: String,
    /// The dial as read, in kWh (electricity) or m³ (gas), at most 3 decimals: `"12345.678"`.
    pub value: String,
    /// When it was read, RFC 3339 with its offset.
    pub at: String,
    /// `reader_visit`, `customer_card`, `self_reading`, `estimate` or `remote`; ignored on a
    /// reader's own post, which is always a visit by that reader.
    pub source: String,
    /// The reader, for a `reader_visit` posted by the metering team.
    #[serde(default)]
    pub reader: Option<String>,
    /// For gas: the calorific value the volume converts with, in Wh/m³ (8000–13000).
    #[serde(default)]
    pub calorific_value: Option<u32>,
}

/// A field of a post refused before reaching the register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostError {
    /// The field at fault.
    pub field: &'static str,
    /// The stable code.
    pub code: &'static str,
    /// Why.
    pub reason: String,
}

fn post_error(field: &'static str, code: &'static str, reason: String) -> PostError {
    PostError { field, code, reason }
}

/// Thousandths of a unit from a dial's decimal text: `"12345.678"` is 12,345,678.
fn thousandths(text: &str) -> Result<u64, PostError> {
    let bad = |why: &str| post_error("value", "bad_value", format!("{why}, found {text:?}"));
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || whole.len() > 12 {
        return Err(bad("must be a dial's figures: digits, a point and at most 3 decimals"));
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) || (text.contains('.') && fraction.is_empty()) {
        return Err(bad("must be a dial's figures: digits, a point and at most 3 decimals"));
    }
    if fraction.len() > 3 {
        return Err(post_error(
            "value",
            "too_precise",
            format!("a dial is read to at most 3 decimals, found {text:?}"),
        ));
    }
    let whole: u64 = whole.parse().map_err(|_| bad("too large"))?;
    let mut milli: u64 = 0;
    for (i, digit) in fraction.bytes().enumerate() {
        milli += u64::from(digit - b'0') * 10u64.pow(2 - i as u32);
    }
    Ok(whole * 1000 + milli)
}

impl IndexPost {
    /// The reading this post describes, judged field by field; `reader` is the posting
    /// reader on a route post (the source is then their visit, whatever the post says).
    pub fn judge(&self, reader: Option<&PartyId>, now: Timestamp) -> Result<IndexReading, PostError> {
        let ean: Ean = self.ean.parse().map_err(|e| post_error("ean", "bad_ean", format!("{e}")))?;
        let register: Register = self
            .register
            .parse()
            .map_err(|e: domain::UnknownValue| post_error("register", "bad_register", e.to_string()))?;
        let value = thousandths(self.value.trim())?;
        let at: Timestamp = self
            .at
            .parse()
            .map_err(|e| post_error("at", "bad_at", format!("must be RFC 3339 with an offset: {e}")))?;
        if at > now {
            return Err(post_error("at", "in_the_future", format!("{} is later than now", self.at)));
        }
        let source = match reader {
            Some(reader) => Source::ReaderVisit { reader: reader.clone() },
            None => {
                let reader = self
                    .reader
                    .as_deref()
                    .map(str::parse::<PartyId>)
                    .transpose()
                    .map_err(|e| post_error("reader", "bad_reader", e.to_string()))?;
                Source::from_parts(&self.source, reader).ok_or_else(|| {
                    post_error(
                        "source",
                        "bad_source",
                        format!(
                            "must be reader_visit (with a reader), customer_card, self_reading, estimate or \
                             remote (without), found {:?}",
                            self.source
                        ),
                    )
                })?
            }
        };
        match (register.energy(), self.calorific_value) {
            (Energy::Gas, Some(wh_per_m3)) => {
                let calorific = CalorificValue::try_from(wh_per_m3)
                    .map_err(|e| post_error("calorific_value", e.code(), e.to_string()))?;
                Ok(IndexReading::gas(ean, value, calorific, at, source))
            }
            (Energy::Gas, None) => Err(post_error(
                "calorific_value",
                "calorific_value_required",
                "a gas reading carries the calorific value its volume converts with, in Wh/m³".into(),
            )),
            (Energy::Electricity, Some(_)) => Err(post_error(
                "calorific_value",
                "calorific_value_on_electricity",
                "only a gas reading has a calorific value".into(),
            )),
            (Energy::Electricity, None) => IndexReading::electricity(ean, register, value, at, source)
                .map_err(|e| post_error("register", e.code(), e.to_string())),
        }
    }
}

/// What a post of index readings did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexReport {
    /// Readings received.
    pub rows: u64,
    /// Readings written.
    pub written: u64,
    /// Readings that were held already exactly so: nothing written.
    pub unchanged: u64,
    /// What the rules found on the readings written, filed in the validators' queue.
    pub findings: u64,
    /// The readings refused, each with its position, field, code and reason.
    pub refused: Vec<RefusedRow>,
}

/// The Europe/Brussels local day of an instant: the day a reading belongs to.
pub fn local_day(at: Timestamp) -> Date {
    Zoned::new(at, domain::period::brussels()).date()
}

/// The post command: every reading placed, validated and written in one transaction with
/// its entry.
struct PostIndex {
    template: Entry,
    rows: Vec<(u64, IndexReading)>,
    refused: Vec<RefusedRow>,
}

/// The rules on a reading just written, against the register's previous usable reading:
/// rollover, backwards and impossible advances; then, when the advance can be told, the
/// advance against what is expected of it ([`expected_advance`]): with a year of the point's
/// own readings, its history spread by the load profile (`outside_history_band`) or, for gas,
/// by the degree-days (`outside_degree_day_band`, climate); without, a standard household's
/// year spread by the load profile (`outside_profile_band`, statistics).
async fn validate_index(
    tx: &mut WriteTx,
    previous: &StoredIndex,
    next: &IndexReading,
    day: Date,
    energy: Energy,
) -> Result<Vec<Finding>, StoreError> {
    let config = ValidationConfig::default();
    let Ok(check) =
        check_index(&previous.reading, next, assumed_dial(energy), assumed_connection(energy), &config)
    else {
        return Ok(Vec::new());
    };
    let mut findings = check.findings;
    let told = !findings.iter().any(|f| f.rule == Rule::IndexBackwards);
    if let (true, Some(consumed)) = (told, check.energy_wh) {
        if let Some(expected) = expected_advance(tx, previous, day, energy).await? {
            let (rule, band) = match (&expected.basis, energy) {
                (Basis::History { .. }, Energy::Electricity) => {
                    (Rule::OutsideHistoryBand, config.history_band)
                }
                (Basis::History { .. }, Energy::Gas) => (Rule::OutsideDegreeDayBand, config.degree_day_band),
                (Basis::Standard { .. }, _) => (Rule::OutsideProfileBand, config.profile_band),
            };
            if !band.contains(consumed, expected.wh) {
                let basis = match expected.basis {
                    Basis::History { base, history_wh } => format!(
                        "this point's {history_wh} Wh from {base} to {} spread by the {}",
                        previous.day,
                        if energy == Energy::Gas { "degree-days" } else { "load profile" }
                    ),
                    Basis::Standard { yearly_wh } => format!(
                        "a standard {yearly_wh} Wh a year spread by the {}",
                        if energy == Energy::Gas { "degree-days" } else { "load profile" }
                    ),
                };
                findings.push(Finding {
                    rule,
                    intervals: None,
                    reason: format!(
                        "{consumed} Wh from {} to {day} where {basis} expects {} Wh: outside {band}",
                        previous.day, expected.wh
                    ),
                });
            }
        }
    }
    Ok(findings)
}

/// What an expectation is drawn from.
pub(crate) enum Basis {
    /// The point's own readings: from the reading on `base` to the previous one.
    History {
        /// The day of the reading the history starts from.
        base: Date,
        /// The energy of the history, in Wh.
        history_wh: i64,
    },
    /// A standard household's year, for a point without a year of readings.
    Standard {
        /// The standard yearly consumption, in Wh.
        yearly_wh: i64,
    },
}

/// What a period's consumption is expected to be, and from what.
pub(crate) struct Expected {
    /// The energy expected over the period, in Wh.
    pub wh: i64,
    /// What it is drawn from.
    pub basis: Basis,
}

/// The standard yearly consumption of a residential register without a year of readings:
/// the Walloon regulator's typical household, 3,500 kWh of electricity (on a dual-rate meter,
/// 60 % by day and 40 % by night; 2,000 kWh on an exclusive-night circuit) and 17,000 kWh of
/// gas (about 1,500 m³). The register does not keep a point's class yet (see `reference.rs`).
pub fn standard_yearly_wh(register: Register) -> i64 {
    match register {
        Register::Single => 3_500_000,
        Register::Day => 2_100_000,
        Register::Night => 1_400_000,
        Register::ExclusiveNight => 2_000_000,
        Register::Gas => 17_000_000,
    }
}

/// The energy expected from `previous`'s day to `day` on `previous`'s register: with a reading
/// at least 300 days before `previous`, the advance since it scaled by the reference data
/// (`reference.rs`); without, the standard year ([`standard_yearly_wh`]) spread the same way.
/// `None` when that history went backwards, or a day lacks reference data.
pub(crate) async fn expected_advance(
    tx: &mut WriteTx,
    previous: &StoredIndex,
    day: Date,
    energy: Energy,
) -> Result<Option<Expected>, StoreError> {
    let Ok(reference) = Reference::embedded() else { return Ok(None) };
    let Ok(cutoff) = previous.day.checked_sub(jiff::Span::new().days(299)) else { return Ok(None) };
    let r = &previous.reading;
    let Some(base) = tx.index_before(r.ean(), r.register(), cutoff).await? else {
        let yearly_wh = standard_yearly_wh(r.register());
        let Some(share) = reference.share(energy, previous.day, day) else { return Ok(None) };
        let wh = (yearly_wh as f64 * share).round() as i64;
        return Ok(Some(Expected { wh, basis: Basis::Standard { yearly_wh } }));
    };
    let config = ValidationConfig::default();
    let Ok(history) =
        check_index(&base.reading, r, assumed_dial(energy), assumed_connection(energy), &config)
    else {
        return Ok(None);
    };
    if history.findings.iter().any(|f| f.rule == Rule::IndexBackwards) {
        return Ok(None);
    }
    let Some(history_wh) = history.energy_wh else { return Ok(None) };
    Ok(reference
        .expected_wh(energy, base.day, history_wh, previous.day, day)
        .map(|wh| Expected { wh, basis: Basis::History { base: base.day, history_wh } }))
}

/// The index `held`'s register is expected to show on its day, from the reading before it and
/// what is expected since ([`expected_advance`]: the point's own year, or a standard one), in thousandths of the register's unit, the
/// dial going round if it must; `None` when the history does not allow an estimate.
pub(crate) async fn estimate_index(tx: &mut WriteTx, held: &StoredIndex) -> Result<Option<u64>, StoreError> {
    let r = &held.reading;
    let energy = r.register().energy();
    let Some(previous) = tx.index_before(r.ean(), r.register(), held.day).await? else { return Ok(None) };
    let Some(expected) = expected_advance(tx, &previous, held.day, energy).await? else { return Ok(None) };
    let Ok(wh) = u64::try_from(expected.wh) else { return Ok(None) };
    let advance = match r.calorific() {
        // Thousandths of a m³ (dm³) from Wh: volume = energy / calorific value.
        Some(calorific) => wh.saturating_mul(1000) / u64::from(calorific.wh_per_m3().max(1)),
        None => wh,
    };
    let modulus = assumed_dial(energy).modulus();
    Ok(Some((previous.reading.value() + advance) % modulus))
}

impl Command for PostIndex {
    type Output = Result<Sent<IndexReport>, StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let at = Timestamp::now();
        let mut report = IndexReport {
            rows: (self.rows.len() + self.refused.len()) as u64,
            refused: self.refused,
            ..IndexReport::default()
        };
        let mut written: Vec<Ean> = Vec::new();
        for (line, reading) in &self.rows {
            let refuse = |field: &str, code: &str, reason: String| RefusedRow {
                line: *line,
                field: field.into(),
                code: code.into(),
                reason,
            };
            let energy = match tx.point_energy(reading.ean()).await? {
                None => {
                    report.refused.push(refuse(
                        "ean",
                        "unknown_access_point",
                        format!("access point {} is not in the register", reading.ean()),
                    ));
                    continue;
                }
                Some(energy) if energy != reading.register().energy() => {
                    report.refused.push(refuse(
                        "register",
                        "register_energy_mismatch",
                        format!(
                            "{} is not a register of access point {}, which is on the {energy} grid",
                            reading.register(),
                            reading.ean()
                        ),
                    ));
                    continue;
                }
                Some(energy) => energy,
            };
            let day = local_day(reading.at());
            match tx.put_index_reading(reading, day, at).await? {
                IndexWritten::Unchanged => report.unchanged += 1,
                IndexWritten::Conflict(held) => report.refused.push(refuse(
                    "at",
                    "conflicting_reading",
                    format!(
                        "register {} of {} has another reading on {day} ({} at {}): a correction is a \
                         validator's decision",
                        reading.register(),
                        reading.ean(),
                        held.reading.value(),
                        held.reading.at()
                    ),
                )),
                IndexWritten::Written => {
                    report.written += 1;
                    written.push(reading.ean());
                    if let Some(previous) = tx.index_before(reading.ean(), reading.register(), day).await? {
                        for finding in validate_index(tx, &previous, reading, day, energy).await? {
                            tx.put_index_finding(reading.ean(), reading.register(), day, 1, &finding, at)
                                .await?;
                            report.findings += 1;
                        }
                    }
                }
            }
        }
        report.refused.sort_by_key(|r| r.line);
        written.sort_unstable();
        written.dedup();
        let json = serde_json::to_vec(&report).map_err(|e| StoreError::Journal(e.to_string()))?;
        let outcome = if report.written + report.unchanged == 0 && !report.refused.is_empty() {
            format!("refused:{}", report.refused[0].code)
        } else {
            "ok".into()
        };
        let slot = tx.slot();
        let index = slot.sequence();
        let entry = slot.fill(Entry {
            subjects: written.iter().map(ToString::to_string).collect(),
            outcome,
            data_digest: Some(journal::Hash::digest(&json)),
            ..self.template
        });
        let sent = Sent::written(report, json).labelled(Confidentiality::PersonalData, index);
        Ok(Done { output: Ok(sent), entries: vec![entry] })
    }
}

/// One index reading as a read shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexView {
    /// The register.
    pub register: Register,
    /// The local day it belongs to.
    pub day: Date,
    /// When it was read, as a Europe/Brussels local time with its offset.
    pub at: String,
    /// The dial's figures, in `unit`, three decimals.
    pub value: String,
    /// `kWh` or `m3`.
    pub unit: String,
    /// For gas, the calorific value in Wh/m³ it converts with.
    pub calorific_value: Option<u32>,
    /// Measured, or as a validator's decision left it.
    pub quality: Quality,
    /// The kind of source (a reader is never named: who read is the DSO's business).
    pub source: String,
    /// The reading's version.
    pub version: u32,
}

impl IndexView {
    fn of(stored: &StoredIndex) -> IndexView {
        let r = &stored.reading;
        let unit = match r.register().energy() {
            Energy::Electricity => "kWh",
            Energy::Gas => "m3",
        };
        IndexView {
            register: r.register(),
            day: stored.day,
            at: domain::period::local_label(r.at()),
            value: format!("{}.{:03}", r.value() / 1000, r.value() % 1000),
            unit: unit.into(),
            calorific_value: r.calorific().map(CalorificValue::wh_per_m3),
            quality: stored.quality,
            source: r.source().as_str().into(),
            version: stored.version,
        }
    }
}

/// An access point's index readings, clipped to what the reader may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexReadingsView {
    /// The access point.
    pub ean: Ean,
    /// The first local day asked for.
    pub from: Date,
    /// The local day after the last one asked for.
    pub to: Date,
    /// The visible readings, by day and register.
    pub readings: Vec<IndexView>,
}

/// A reader's route today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteView {
    /// The reader.
    pub reader: PartyId,
    /// The local day the route is for.
    pub day: Date,
    /// Its access points, by EAN.
    pub stops: Vec<RouteStopView>,
}

/// One access point of a route: what a reader needs to find the meter, nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteStopView {
    /// The access point.
    pub ean: Ean,
    /// Electricity or gas.
    pub energy: Energy,
    /// Where the meter is.
    pub address: Address,
    /// The reading window's first day.
    pub window_from: Date,
    /// Its last day.
    pub window_to: Date,
}

/// What an assignment of route stops did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignReport {
    /// Stops put on the route.
    pub assigned: u64,
    /// Stops the route had already for that window.
    pub unchanged: u64,
    /// EANs the register does not know.
    pub unknown: Vec<Ean>,
}

struct AssignRoute {
    template: Entry,
    reader: PartyId,
    from: Date,
    to: Date,
    eans: Vec<Ean>,
}

impl Command for AssignRoute {
    type Output = Result<Sent<AssignReport>, StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let at = Timestamp::now();
        let mut report = AssignReport::default();
        for ean in &self.eans {
            if tx.point_energy(*ean).await?.is_none() {
                report.unknown.push(*ean);
                continue;
            }
            if tx.put_route_stop(&self.reader, self.from, self.to, *ean, at).await? {
                report.assigned += 1;
            } else {
                report.unchanged += 1;
            }
        }
        let json = serde_json::to_vec(&report).map_err(|e| StoreError::Journal(e.to_string()))?;
        let mut subjects = vec![self.reader.to_string()];
        subjects.extend(self.eans.iter().map(ToString::to_string));
        let slot = tx.slot();
        let index = slot.sequence();
        let entry = slot.fill(Entry {
            subjects,
            outcome: "ok".into(),
            data_digest: Some(journal::Hash::digest(&json)),
            ..self.template
        });
        let sent = Sent::written(report, json).labelled(Confidentiality::PersonalData, index);
        Ok(Done { output: Ok(sent), entries: vec![entry] })
    }
}

fn invalid(field: &'static str, reason: String) -> AppError {
    AppError::Invalid(StoreError::Config { field, reason })
}

impl Cloison {
    /// Posts index readings for the metering team's systems (`WriteReadings`): each judged,
    /// placed and validated on its own, the post journaled as one entry. At most
    /// [`MAX_INDEX_ROWS`].
    pub async fn index_post(
        &self,
        actor: &Actor,
        posts: Vec<IndexPost>,
    ) -> Result<Sent<IndexReport>, AppError> {
        if posts.len() > MAX_INDEX_ROWS {
            return Err(invalid(
                "readings",
                format!("a post holds at most {MAX_INDEX_ROWS} readings, found {}", posts.len()),
            ));
        }
        let now = Timestamp::now();
        let mut rows = Vec::with_capacity(posts.len());
        let mut refused = Vec::new();
        for (i, post) in posts.iter().enumerate() {
            let line = i as u64 + 1;
            match post.judge(None, now) {
                Ok(reading) => rows.push((line, reading)),
                Err(e) => refused.push(RefusedRow {
                    line,
                    field: e.field.into(),
                    code: e.code.into(),
                    reason: e.reason,
                }),
            }
        }
        let ask = Ask::function(Action::WriteReadings, Resource::Metering, "metering.index.post", "metering");
        self.write(actor, vec![ask], |template| async move {
            let command = PostIndex { template, rows, refused };
            Ok(self.store.submit(command).await?.wait().await?.output?)
        })
        .await
    }

    /// A reading from `actor`'s field device (R9): taken only for an access point on the
    /// actor's route in the current reading window, read today; any other is refused as
    /// forbidden (the same answer whether the EAN exists or not) and the refusal journaled.
    pub async fn route_post(&self, actor: &Actor, post: IndexPost) -> Result<Sent<IndexReport>, AppError> {
        let now = Timestamp::now();
        let today = local_day(now);
        let reading = post.judge(Some(&actor.party), now).map_err(|e| {
            AppError::Invalid(StoreError::Config {
                field: e.field,
                reason: format!("{} [{}]", e.reason, e.code),
            })
        })?;
        let own = local_day(reading.at()) == today
            && self.store.is_on_route(&actor.party, reading.ean(), today).await?;
        let ean_text = reading.ean().to_string();
        let ask = Ask {
            action: Action::WriteRouteReading,
            resource: Resource::Route { own },
            ean: None,
            act: "metering.route.reading",
            subjects: vec![ean_text],
            purpose: "meter reading",
            refusal: Refusal::Forbidden,
        };
        self.write(actor, vec![ask], |template| async move {
            let command = PostIndex { template, rows: vec![(1, reading)], refused: Vec::new() };
            Ok(self.store.submit(command).await?.wait().await?.output?)
        })
        .await
    }

    /// `actor`'s route today (R9): the access points to read, with their addresses.
    pub async fn route_today(&self, actor: &Actor) -> Result<Sent<RouteView>, AppError> {
        let today = local_day(Timestamp::now());
        let ask = Ask {
            action: Action::ReadRoute,
            resource: Resource::Route { own: true },
            ean: None,
            act: "metering.route.show",
            subjects: vec![actor.party.to_string()],
            purpose: "meter reading",
            refusal: Refusal::Forbidden,
        };
        let reader = actor.party.clone();
        self.read(actor, ask, |_| async move {
            let mut stops = Vec::new();
            for stop in self.store.route(&reader, today).await? {
                let Some(point) = self.store.access_point(stop.ean).await? else { continue };
                stops.push(RouteStopView {
                    ean: stop.ean,
                    energy: point.energy,
                    address: point.address,
                    window_from: stop.from,
                    window_to: stop.to,
                });
            }
            Ok(RouteView { reader, day: today, stops })
        })
        .await
    }

    /// Puts access points on `reader`'s route for the window `from`..=`to` (`AssignRoutes`).
    pub async fn route_assign(
        &self,
        actor: &Actor,
        reader: PartyId,
        from: Date,
        to: Date,
        eans: Vec<Ean>,
    ) -> Result<Sent<AssignReport>, AppError> {
        if to < from {
            return Err(invalid("to", format!("must be on or after from ({from}), found {to}")));
        }
        if eans.is_empty() || eans.len() > MAX_INDEX_ROWS {
            return Err(invalid(
                "eans",
                format!("must hold 1 to {MAX_INDEX_ROWS} EANs, found {}", eans.len()),
            ));
        }
        let ask =
            Ask::function(Action::AssignRoutes, Resource::Metering, "metering.route.assign", "meter reading");
        self.write(actor, vec![ask], |template| async move {
            // A route is a staff member's round (R6: an individual, never a shared account).
            match self.store.party(&reader).await? {
                Some(party) if party.kind == domain::PartyKind::Staff => {}
                Some(_) => {
                    return Err(invalid(
                        "reader",
                        format!("{reader} is not a member of staff: only staff read meters"),
                    ));
                }
                None => return Err(invalid("reader", format!("{reader} is not in the register"))),
            }
            let command = AssignRoute { template, reader, from, to, eans };
            Ok(self.store.submit(command).await?.wait().await?.output?)
        })
        .await
    }

    /// `ean`'s index readings on the local days from `from` to before `to`, clipped to what
    /// `actor` may see: a reading shows when the instant it was read is inside a visible
    /// period, as the consumption read shows intervals.
    pub async fn index_readings(
        &self,
        actor: &Actor,
        ean: Ean,
        from: Date,
        to: Date,
    ) -> Result<Sent<IndexReadingsView>, AppError> {
        if to <= from {
            return Err(invalid("to", format!("must be after from ({from}), found {to}")));
        }
        let span = from.until(to).map(|s| s.get_days()).unwrap_or(0);
        if span > MAX_INDEX_DAYS {
            return Err(invalid("to", format!("a read covers at most {MAX_INDEX_DAYS} days, found {span}")));
        }
        let last = to.yesterday().map_err(|e| invalid("to", e.to_string()))?;
        let ean_text = ean.to_string();
        let ask =
            Ask::access_point(Action::ReadConsumption, ean, &ean_text, "metering.index.show", "consumption");
        self.read(actor, ask, |visible| async move {
            self.store.access_point(ean).await?.ok_or(AppError::UnknownAccessPoint(ean))?;
            let readings = if visible == Visible::Nothing {
                Vec::new()
            } else {
                self.store
                    .index_readings(ean, from, last)
                    .await?
                    .iter()
                    .filter(|s| visible.contains(s.reading.at()))
                    .map(IndexView::of)
                    .collect()
            };
            Ok(IndexReadingsView { ean, from, to, readings })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dial_is_read_to_the_thousandth() {
        assert_eq!(thousandths("12345.678"), Ok(12_345_678));
        assert_eq!(thousandths("12345.6"), Ok(12_345_600));
        assert_eq!(thousandths("0"), Ok(0));
        assert_eq!(thousandths("12.3456").map_err(|e| e.code), Err("too_precise"));
        for bad in ["", "-1", "1.", ".5", "1e3", "12,5", "0x10", "1234567890123"] {
            assert_eq!(thousandths(bad).map_err(|e| e.code), Err("bad_value"), "{bad:?}");
        }
    }

    fn post(register: &str, calorific: Option<u32>) -> IndexPost {
        IndexPost {
            ean: Ean::from_body(54_144_882_000_000_001).expect("17-digit body").to_string(),
            register: register.into(),
            value: "100.5".into(),
            at: "2026-03-01T10:00:00+01:00".into(),
            source: "customer_card".into(),
            reader: None,
            calorific_value: calorific,
        }
    }

    #[test]
    fn each_field_is_judged_with_its_code() {
        let now: Timestamp = "2026-06-01T00:00:00Z".parse().expect("now");
        let code = |p: IndexPost| p.judge(None, now).map(|_| ()).map_err(|e| (e.field, e.code));
        assert_eq!(code(post("day", None)), Ok(()));
        assert_eq!(code(post("gas", Some(11_000))), Ok(()));
        assert_eq!(code(post("gas", None)), Err(("calorific_value", "calorific_value_required")));
        assert_eq!(code(post("gas", Some(110))), Err(("calorific_value", "calorific_value_out_of_range")));
        assert_eq!(
            code(post("day", Some(11_000))),
            Err(("calorific_value", "calorific_value_on_electricity"))
        );
        assert_eq!(code(post("peak", None)), Err(("register", "bad_register")));
        assert_eq!(
            code(IndexPost { ean: "541448820000000018".into(), ..post("day", None) }),
            Err(("ean", "bad_ean"))
        );
        assert_eq!(
            code(IndexPost { at: "2026-03-01 10:00".into(), ..post("day", None) }),
            Err(("at", "bad_at"))
        );
        assert_eq!(
            code(IndexPost { at: "2026-07-01T10:00:00+02:00".into(), ..post("day", None) }),
            Err(("at", "in_the_future"))
        );
        assert_eq!(
            code(IndexPost { source: "reader_visit".into(), ..post("day", None) }),
            Err(("source", "bad_source"))
        );
        let reader: PartyId = "reader-1".parse().expect("party");
        let visit = post("day", None).judge(Some(&reader), now).expect("a reader's own post");
        assert_eq!(visit.source(), &Source::ReaderVisit { reader });
        assert_eq!(visit.value(), 100_500);
    }

    #[test]
    fn a_reading_belongs_to_its_brussels_day() {
        let late: Timestamp = "2026-03-01T23:30:00Z".parse().expect("instant");
        assert_eq!(local_day(late), jiff::civil::date(2026, 3, 2));
    }

    #[test]
    fn the_assumed_dials_are_the_common_meters() {
        assert_eq!(assumed_dial(Energy::Electricity).digits(), 6);
        assert_eq!(assumed_dial(Energy::Gas).digits(), 5);
    }
}
