//! Aggregates with disclosure control (R14, chapter IX): consumption summed per substation or
//! municipality, per month, day or hour, read from the packed series, then protected by
//! `domain::disclosure` before anything leaves. Demand studies used only such figures, "fully
//! anonymous"; that holds only if no cell is small or dominated enough to show one household,
//! nor recomputable from the others and the totals. Every published cell says how many access
//! points it sums; a withheld cell says only that it is withheld, never why (a reason would
//! itself tell that a large consumer is there).
//!
//! Any authenticated role may ask: once protected, a table holds no personal data.

use std::collections::{BTreeMap, HashMap};

use domain::disclosure::{Cell, DisclosureError, Rules, protect};
use domain::metering::{Channel, DayLayout};
use jiff::civil::Date;
use policy::{Action, Resource};
use serde::Serialize;
use store::StoreError;

use crate::gate::{Ask, Sent};
use crate::{Actor, AppError, Cloison};

/// What the cells are areas of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// A distribution substation: the level demand studies use.
    Substation,
    /// A municipality.
    Municipality,
}

/// How long a cell's period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    /// A calendar month, Europe/Brussels.
    Month,
    /// A local day.
    Day,
    /// A local hour (23 or 25 of them on the days the clocks change).
    Hour,
}

impl Granularity {
    /// The longest range asked at once, in days: a table stays a table, and a request cannot
    /// make the server hold a year of hours per point.
    fn max_days(self) -> i32 {
        match self {
            Granularity::Month => 3660,
            Granularity::Day => 366,
            Granularity::Hour => 31,
        }
    }
}

/// An aggregate question, checked: level, granularity, days (both ends inclusive) and the
/// disclosure rules.
#[derive(Debug, Clone)]
pub struct AggregateQuery {
    level: Level,
    granularity: Granularity,
    from: Date,
    to: Date,
    rules: Rules,
}

fn invalid(field: &'static str, code: &'static str, reason: String) -> AppError {
    AppError::Invalid(StoreError::Refused { field, code, reason })
}

impl AggregateQuery {
    /// Refuses a level or a granularity that does not exist, an end before the start, a
    /// range too long for its granularity and rules out of bounds, naming the field.
    pub fn new(
        level: &str,
        granularity: &str,
        from: Date,
        to: Date,
        min_points: Option<u32>,
        max_share: Option<u32>,
        p_percent: Option<u32>,
    ) -> Result<AggregateQuery, AppError> {
        let level = match level {
            "substation" => Level::Substation,
            "municipality" => Level::Municipality,
            other => {
                return Err(invalid(
                    "level",
                    "unknown_level",
                    format!("{other:?} is not a level: substation, municipality"),
                ));
            }
        };
        let granularity = match granularity {
            "month" => Granularity::Month,
            "day" => Granularity::Day,
            "hour" => Granularity::Hour,
            other => {
                return Err(invalid(
                    "granularity",
                    "unknown_granularity",
                    format!("{other:?} is not a granularity: month, day, hour"),
                ));
            }
        };
        if to < from {
            return Err(invalid("to", "end_before_start", format!("{to} is before {from}")));
        }
        let days = (to - from).get_days() + 1;
        if days > granularity.max_days() {
            return Err(invalid(
                "to",
                "range_too_long",
                format!("{days} days asked; at most {} by {granularity:?}", granularity.max_days()),
            ));
        }
        let defaults = Rules::default();
        let rules = Rules::new(
            min_points.unwrap_or(defaults.min_points()),
            max_share.or_else(|| defaults.max_share().map(|p| p.get())),
            p_percent.or_else(|| defaults.p_percent().map(|p| p.get())),
        )
        .map_err(|e: DisclosureError| invalid(e.field, e.code, e.reason))?;
        Ok(AggregateQuery { level, granularity, from, to, rules })
    }
}

/// A cell as published: its value and how many points it sums, or only that it is withheld.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum CellView {
    /// Safe to publish.
    Published {
        /// Watt-hours consumed.
        wh: i64,
        /// Access points summed.
        points: u32,
    },
    /// Withheld.
    Withheld {
        /// Always true.
        withheld: bool,
    },
}

impl From<Cell> for CellView {
    fn from(cell: Cell) -> CellView {
        match cell {
            Cell::Published { value, points } => CellView::Published { wh: value, points },
            Cell::Suppressed(_) => CellView::Withheld { withheld: true },
        }
    }
}

/// One area's row.
#[derive(Debug, Clone, Serialize)]
pub struct AggregateRow {
    /// The substation or municipality.
    pub area: String,
    /// One cell per period, in the order of `periods`.
    pub cells: Vec<CellView>,
    /// The area over the whole range.
    pub total: CellView,
}

/// The rules a table was protected with, as published beside it.
#[derive(Debug, Clone, Serialize)]
pub struct RulesView {
    /// The fewest points a cell may sum.
    pub min_points: u32,
    /// The largest share of one point in a cell, percent.
    pub max_share: Option<u32>,
    /// The p% rule's p, if applied.
    pub p_percent: Option<u32>,
}

/// A protected table of consumption.
#[derive(Debug, Clone, Serialize)]
pub struct AggregateTable {
    /// What the rows are.
    pub level: Level,
    /// What the columns are.
    pub granularity: Granularity,
    /// The first day.
    pub from: Date,
    /// The last day.
    pub to: Date,
    /// The rules applied.
    pub rules: RulesView,
    /// The periods, in order: `YYYY-MM`, `YYYY-MM-DD` or the hour's local start with offset.
    pub periods: Vec<String>,
    /// One row per area that has metered points, by name.
    pub rows: Vec<AggregateRow>,
    /// Each period over every area.
    pub period_totals: Vec<CellView>,
    /// Everything.
    pub total: CellView,
    /// How many interval values were read.
    pub values_read: u64,
}

impl AggregateTable {
    /// How many area-period cells the table has, and how many of them are withheld: what a
    /// report says of a table without showing it.
    pub fn cells(&self) -> (usize, usize) {
        let withheld = self
            .rows
            .iter()
            .flat_map(|r| r.cells.iter())
            .filter(|c| matches!(c, CellView::Withheld { .. }))
            .count();
        (self.rows.len() * self.periods.len(), withheld)
    }
}

/// A period: its sort key (the start, microseconds) and its label.
type PeriodKey = (i64, String);

impl Cloison {
    /// Consumption per area and period, protected (R14).
    pub async fn aggregates(
        &self,
        actor: &Actor,
        query: &AggregateQuery,
    ) -> Result<Sent<AggregateTable>, AppError> {
        let ask =
            Ask::function(Action::ReadAggregates, Resource::Research, "aggregates.read", "aggregates (R14)")
                .about(vec![format!(
                    "{:?}:{:?}:{}:{}",
                    query.level, query.granularity, query.from, query.to
                )]);
        self.read(actor, ask, |_| self.build_aggregates(query)).await
    }

    /// The table itself, without the gate: for the benchmark beside the naive SQL.
    pub async fn build_aggregates(&self, query: &AggregateQuery) -> Result<AggregateTable, AppError> {
        let points = self.store.access_points_all().await?;
        let mut area_of: HashMap<u64, String> = HashMap::with_capacity(points.len());
        for p in &points {
            let area = match query.level {
                Level::Substation => p.substation.as_str().to_owned(),
                Level::Municipality => p.address.municipality().to_owned(),
            };
            area_of.insert(p.ean.as_u64(), area);
        }
        let zone = domain::period::brussels();
        // (area, period) → point → Wh.
        let mut sums: BTreeMap<(String, PeriodKey), BTreeMap<u64, i64>> = BTreeMap::new();
        let mut hours: HashMap<(Channel, Date), Vec<PeriodKey>> = HashMap::new();
        let mut values_read = 0u64;
        let granularity = query.granularity;
        self.store
            .scan_interval_days(query.from, query.to, |ean, channel, day, intervals| {
                if !channel.is_offtake() {
                    return Ok(());
                }
                let Some(area) = area_of.get(&ean.as_u64()) else { return Ok(()) };
                values_read += intervals.len() as u64;
                let key = ean.as_u64();
                let start_of = |d: Date| -> Result<i64, StoreError> {
                    Ok(d.to_zoned(zone.clone())
                        .map_err(|e| StoreError::Journal(e.to_string()))?
                        .timestamp()
                        .as_microsecond())
                };
                match granularity {
                    Granularity::Month | Granularity::Day => {
                        let total: i64 = intervals.iter().filter_map(|i| i.usable()).sum();
                        let period = if granularity == Granularity::Month {
                            let first = day.first_of_month();
                            (start_of(first)?, format!("{:04}-{:02}", first.year(), first.month()))
                        } else {
                            (start_of(day)?, day.to_string())
                        };
                        *sums.entry((area.clone(), period)).or_default().entry(key).or_insert(0) += total;
                    }
                    Granularity::Hour => {
                        let labels = match hours.entry((channel, day)) {
                            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                            std::collections::hash_map::Entry::Vacant(e) => {
                                let layout = DayLayout::new(channel, day)
                                    .map_err(|e| StoreError::Journal(e.to_string()))?;
                                let mut labels = Vec::with_capacity(layout.len());
                                for i in 0..layout.len() {
                                    let start = layout
                                        .interval_start(i)
                                        .map_err(|e| StoreError::Journal(e.to_string()))?;
                                    let hour = start.as_second().div_euclid(3600) * 3600;
                                    let at = jiff::Timestamp::from_second(hour)
                                        .map_err(|e| StoreError::Journal(e.to_string()))?;
                                    labels.push((
                                        at.as_microsecond(),
                                        at.to_zoned(zone.clone()).strftime("%Y-%m-%dT%H:%M%:z").to_string(),
                                    ));
                                }
                                e.insert(labels)
                            }
                        };
                        for (i, interval) in intervals.iter().enumerate() {
                            let (Some(wh), Some(period)) = (interval.usable(), labels.get(i)) else {
                                continue;
                            };
                            *sums
                                .entry((area.clone(), period.clone()))
                                .or_default()
                                .entry(key)
                                .or_insert(0) += wh;
                        }
                    }
                }
                Ok(())
            })
            .await?;
        let mut areas: Vec<String> = sums.keys().map(|(a, _)| a.clone()).collect();
        areas.dedup();
        let mut periods: Vec<PeriodKey> = sums.keys().map(|(_, p)| p.clone()).collect();
        periods.sort();
        periods.dedup();
        let column: HashMap<&PeriodKey, usize> = periods.iter().enumerate().map(|(i, p)| (p, i)).collect();
        let row: HashMap<&String, usize> = areas.iter().enumerate().map(|(i, a)| (a, i)).collect();
        let mut contributions: Vec<Vec<Vec<(u64, i64)>>> = vec![vec![Vec::new(); periods.len()]; areas.len()];
        for ((area, period), points) in &sums {
            contributions[row[area]][column[period]] = points.iter().map(|(k, v)| (*k, *v)).collect();
        }
        let published = protect(&contributions, &query.rules);
        let cell = |c: Option<Cell>| c.map_or(CellView::Withheld { withheld: true }, CellView::from);
        let rows = areas
            .iter()
            .enumerate()
            .map(|(r, area)| AggregateRow {
                area: area.clone(),
                cells: (0..periods.len()).map(|c| cell(published.cell(r, c))).collect(),
                total: cell(published.row_total(r)),
            })
            .collect();
        Ok(AggregateTable {
            level: query.level,
            granularity: query.granularity,
            from: query.from,
            to: query.to,
            rules: RulesView {
                min_points: query.rules.min_points(),
                max_share: query.rules.max_share().map(|p| p.get()),
                p_percent: query.rules.p_percent().map(|p| p.get()),
            },
            period_totals: (0..periods.len()).map(|c| cell(published.col_total(c))).collect(),
            periods: periods.into_iter().map(|(_, label)| label).collect(),
            rows,
            total: CellView::from(published.grand_total()),
            values_read,
        })
    }
}
