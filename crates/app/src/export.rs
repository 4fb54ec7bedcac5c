//! Warehouse extracts (chapter VI, R8): the register's records in force and the metering
//! series as Parquet files, partitioned by month, for the data office's warehouse.
//!
//! An export is two journal entries. The first opens it; its index goes into every file's
//! metadata beside the file's confidentiality label, so a file found anywhere says which
//! entry issued it. The second records every file with its SHA-256 in `warehouse_files`,
//! bound to that entry, so a file changed afterwards no longer matches the journal.
//!
//! Party ids are pseudonymised (HMAC-SHA-256 under a key derived from the installation's
//! key for the warehouse): one person's records join across files and exports, and the id
//! cannot be read back. Names and street addresses are sealed (XChaCha20-Poly1305 under the
//! warehouse's own derived key, the column name as associated data): whoever holds the
//! installation's key can derive it and open them; an analyst with the files cannot. Postal
//! codes, municipalities and substations stay in clear, as they do in the database.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use domain::label::Confidentiality;
use jiff::Timestamp;
use jiff::civil::Date;
use policy::Action;
use serde::Serialize;
use store::StoreError;
use store::research::WarehouseFile;
use warehouse::{Column, ExportKeys, Marking, Values, write_file};

use crate::gate::Sent;
use crate::research::Op;
use crate::{Actor, AppError, Cloison};

/// The most rows in one metering file; a month of a large grid is several parts, so the
/// export's memory stays bounded.
const PART_ROWS: usize = 1 << 20;

/// What an export wrote.
#[derive(Debug, Clone, Serialize)]
pub struct ExportReport {
    /// The index of the entry that opened the export, in every file's metadata.
    pub journal_index: u64,
    /// Where the files are.
    pub directory: String,
    /// Every file, with its digest.
    pub files: Vec<WarehouseFile>,
    /// Register records written.
    pub register_rows: u64,
    /// Interval values written.
    pub metering_values: u64,
    /// Bytes written.
    pub bytes: u64,
}

fn failed(e: warehouse::WarehouseError) -> AppError {
    AppError::Internal(StoreError::Journal(format!("warehouse export: {e}")))
}

fn month_of(us: i64) -> Result<(i16, i8), AppError> {
    let at = Timestamp::from_microsecond(us)
        .map_err(|e| AppError::Internal(StoreError::Journal(e.to_string())))?;
    let d = at.to_zoned(domain::period::brussels()).date();
    Ok((d.year(), d.month()))
}

struct Writer<'a> {
    root: &'a Path,
    marking_of: &'a dyn Fn(&str) -> Marking,
    files: Vec<WarehouseFile>,
    bytes: u64,
}

impl Writer<'_> {
    fn write(
        &mut self,
        dataset: &str,
        (year, month): (i16, i8),
        part: usize,
        columns: &[Column],
    ) -> Result<(), AppError> {
        let dir = warehouse::partition_dir(self.root, dataset, year, month).map_err(failed)?;
        let path = dir.join(format!("part-{part}.parquet"));
        let marking = (self.marking_of)(dataset);
        let written = write_file(&path, columns, &marking).map_err(failed)?;
        self.bytes += written.bytes;
        self.files.push(WarehouseFile {
            path: path.strip_prefix(self.root).unwrap_or(&path).to_string_lossy().into_owned(),
            dataset: dataset.to_owned(),
            month: format!("{year:04}-{month:02}"),
            rows: written.rows as i64,
            bytes: written.bytes as i64,
            sha256: written.sha256_hex(),
            label: marking.label,
        });
        Ok(())
    }
}

/// A month's metering rows being gathered.
#[derive(Default)]
struct MeteringPart {
    ean: Vec<Option<i64>>,
    channel: Vec<Option<String>>,
    start: Vec<Option<i64>>,
    wh: Vec<Option<i64>>,
    quality: Vec<Option<String>>,
}

impl MeteringPart {
    fn len(&self) -> usize {
        self.ean.len()
    }

    fn columns(&mut self) -> Vec<Column> {
        vec![
            Column::new("ean", Values::Int64(std::mem::take(&mut self.ean))),
            Column::new("channel", Values::Utf8(std::mem::take(&mut self.channel))),
            Column::new("start_utc", Values::TimestampMicros(std::mem::take(&mut self.start))),
            Column::new("wh", Values::Int64(std::mem::take(&mut self.wh))),
            Column::new("quality", Values::Utf8(std::mem::take(&mut self.quality))),
        ]
    }
}

impl Cloison {
    /// Exports the register and the metering series to `dir` as Parquet files, partitioned
    /// by month (`register/month=YYYY-MM/part-0.parquet`, `metering/month=…/part-N.parquet`
    /// under `dir/export-<journal index>`), metering days from `from` to `to` inclusive and
    /// the register records that overlap them (everything when neither is given).
    pub async fn export_warehouse(
        &self,
        actor: &Actor,
        dir: &Path,
        from: Option<Date>,
        to: Option<Date>,
    ) -> Result<Sent<ExportReport>, AppError> {
        if let (Some(from), Some(to)) = (from, to)
            && to < from
        {
            return Err(AppError::Invalid(StoreError::Refused {
                field: "to",
                code: "end_before_start",
                reason: format!("{to} is before {from}"),
            }));
        }
        let directory = dir.to_string_lossy().into_owned();
        let opened = self
            .research(
                actor,
                Action::ManageResearch,
                "warehouse.export",
                Vec::new(),
                Op::ExportOpened { directory: directory.clone(), from, to },
            )
            .await?;
        let index = opened.label().map(|l| l.journal_index).ok_or_else(|| {
            AppError::Internal(StoreError::Journal("the export's opening entry has no index".into()))
        })?;
        let root: PathBuf = dir.join(format!("export-{index}"));
        let keys = ExportKeys::from_secret(&self.store.derived_secret("warehouse"));
        let label = format!("label: {}; journal: {index}", Confidentiality::PersonalData.as_str());
        let marking_of = |dataset: &str| Marking {
            label: Confidentiality::PersonalData.as_str().to_owned(),
            journal_index: index,
            extra: vec![
                ("cloison.dataset".to_owned(), dataset.to_owned()),
                ("cloison.label_line".to_owned(), label.clone()),
            ],
        };
        let mut writer = Writer { root: &root, marking_of: &marking_of, files: Vec::new(), bytes: 0 };
        let span_from =
            from.map(|d| d.to_zoned(domain::period::brussels()).map(|z| z.timestamp().as_microsecond()));
        let span_to = to
            .and_then(|d| d.tomorrow().ok())
            .map(|d| d.to_zoned(domain::period::brussels()).map(|z| z.timestamp().as_microsecond()));
        let span_from =
            span_from.transpose().map_err(|e| AppError::Internal(StoreError::Journal(e.to_string())))?;
        let span_to =
            span_to.transpose().map_err(|e| AppError::Internal(StoreError::Journal(e.to_string())))?;

        // The register: records in force, by the month they start.
        let names: HashMap<String, String> = self
            .store
            .parties_all()
            .await?
            .into_iter()
            .map(|p| {
                (
                    p.id.to_string(),
                    serde_json::to_value(&p.name)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                )
            })
            .collect();
        let points: HashMap<u64, domain::AccessPoint> =
            self.store.access_points_all().await?.into_iter().map(|p| (p.ean.as_u64(), p)).collect();
        let mut months: BTreeMap<(i16, i8), Vec<store::research::EffectiveRecord>> = BTreeMap::new();
        for record in self.store.effective_records().await? {
            let overlaps = span_to.is_none_or(|t| record.from_us < t)
                && span_from.is_none_or(|f| record.to_us.is_none_or(|end| end > f));
            if overlaps {
                months.entry(month_of(record.from_us)?).or_default().push(record);
            }
        }
        let mut register_rows = 0u64;
        for (month, records) in &months {
            let point = |r: &store::research::EffectiveRecord| points.get(&r.ean.as_u64());
            let street = |r: &store::research::EffectiveRecord| {
                point(r).map(|p| {
                    let a = &p.address;
                    let text = match a.box_number() {
                        Some(b) => format!("{} {} box {b}", a.street(), a.number()),
                        None => format!("{} {}", a.street(), a.number()),
                    };
                    keys.seal("street", &text)
                })
            };
            let columns = vec![
                Column::new(
                    "ean",
                    Values::Int64(records.iter().map(|r| Some(r.ean.as_u64() as i64)).collect()),
                ),
                Column::new(
                    "record",
                    Values::Utf8(records.iter().map(|r| Some(r.record.to_owned())).collect()),
                ),
                Column::new(
                    "party",
                    Values::Utf8(
                        records.iter().map(|r| Some(keys.pseudonym(&format!("party:{}", r.party)))).collect(),
                    ),
                ),
                Column::new(
                    "party_name",
                    Values::Bytes(
                        records
                            .iter()
                            .map(|r| names.get(r.party.as_str()).map(|n| keys.seal("party_name", n)))
                            .collect(),
                    ),
                ),
                Column::new(
                    "from_utc",
                    Values::TimestampMicros(records.iter().map(|r| Some(r.from_us)).collect()),
                ),
                Column::new("to_utc", Values::TimestampMicros(records.iter().map(|r| r.to_us).collect())),
                Column::new(
                    "energy",
                    Values::Utf8(
                        records.iter().map(|r| point(r).map(|p| p.energy.as_str().to_owned())).collect(),
                    ),
                ),
                Column::new(
                    "postal_code",
                    Values::Int64(
                        records
                            .iter()
                            .map(|r| point(r).map(|p| i64::from(p.address.postal_code())))
                            .collect(),
                    ),
                ),
                Column::new(
                    "municipality",
                    Values::Utf8(
                        records
                            .iter()
                            .map(|r| point(r).map(|p| p.address.municipality().to_owned()))
                            .collect(),
                    ),
                ),
                Column::new(
                    "substation",
                    Values::Utf8(
                        records.iter().map(|r| point(r).map(|p| p.substation.as_str().to_owned())).collect(),
                    ),
                ),
                Column::new("street", Values::Bytes(records.iter().map(street).collect())),
            ];
            writer.write("register", *month, 0, &columns)?;
            register_rows += records.len() as u64;
        }

        // The metering series: one scan per month, in parts of at most PART_ROWS rows.
        let mut metering_values = 0u64;
        if let Some((first, last)) = self.store.interval_days_span().await? {
            let (first, last) = (from.map_or(first, |f| f.max(first)), to.map_or(last, |t| t.min(last)));
            let mut month = first.first_of_month();
            while month <= last {
                let (start, end) = (month.max(first), month.last_of_month().min(last));
                let key = (month.year(), month.month());
                let mut part = MeteringPart::default();
                let mut n = 0usize;
                let mut write_part = |part: &mut MeteringPart, n: &mut usize| -> Result<(), StoreError> {
                    let columns = part.columns();
                    metering_values += columns.first().map_or(0, |c| c.values.len()) as u64;
                    writer
                        .write("metering", key, *n, &columns)
                        .map_err(|e| StoreError::Journal(e.to_string()))?;
                    *n += 1;
                    Ok(())
                };
                self.store
                    .scan_interval_days(start, end, |ean, channel, day, intervals| {
                        let layout = domain::metering::DayLayout::new(channel, day)
                            .map_err(|e| StoreError::Journal(e.to_string()))?;
                        for (i, interval) in intervals.iter().enumerate() {
                            let at =
                                layout.interval_start(i).map_err(|e| StoreError::Journal(e.to_string()))?;
                            part.ean.push(Some(ean.as_u64() as i64));
                            part.channel.push(Some(channel.as_str().to_owned()));
                            part.start.push(Some(at.as_microsecond()));
                            part.wh.push(interval.wh());
                            part.quality.push(Some(interval.quality().as_str().to_owned()));
                        }
                        if part.len() >= PART_ROWS {
                            write_part(&mut part, &mut n)?;
                        }
                        Ok(())
                    })
                    .await?;
                if part.len() > 0 {
                    write_part(&mut part, &mut n)?;
                }
                month = month
                    .last_of_month()
                    .tomorrow()
                    .map_err(|e| AppError::Internal(StoreError::Journal(e.to_string())))?;
            }
        }

        let report = ExportReport {
            journal_index: index,
            directory: root.to_string_lossy().into_owned(),
            files: writer.files,
            register_rows,
            metering_values,
            bytes: writer.bytes,
        };
        let view = serde_json::to_value(&report)
            .map_err(|e| AppError::Internal(StoreError::Journal(e.to_string())))?;
        let op = Op::ExportFiles { journal_index: index, files: report.files.clone(), view };
        let closed = self.research(actor, Action::ManageResearch, "warehouse.files", Vec::new(), op).await?;
        let label = closed.label();
        let json = closed.into_json();
        Ok(Sent::written(report, json).with_label(label))
    }
}
