//! `cloison import readings` and `cloison metering consumption`: the metering team's bulk load
//! and the consumption an identity may see.
//!
//! An import streams its file: a reader thread cuts it into lines (at most
//! [`MAX_LINE_BYTES`] each, so a file without newlines is refused line by line, never held in
//! memory whole), judges each with the row parser and hands batches to the writer through a
//! channel of two, so parsing the next batch overlaps writing this one. Each batch is
//! committed with its journal entry before the next is sent: a process killed midway loses no
//! batch it reported (on a terminal the progress bar shows; otherwise standard error gets a
//! line per committed batch), and importing the file again writes only what is missing (a day
//! already holding its values is left as it is).

use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Read};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use app::{Batch, ConsumptionView, ImportMode, ImportReport, PlacedRow, RefusedRow, Resolution, Verdict};
use clap::{Args, Subcommand};
use domain::Ean;
use domain::metering::ReadingRow;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use jiff::civil::Date;

use crate::Failure;
use crate::identity::{operator, refusal};
use crate::output::{labelled, outln};
use crate::register::{open, parse_ean};

/// The longest line a readings file may have. A row is under 120 bytes; anything much longer
/// is not a row, and is refused without being read whole.
pub const MAX_LINE_BYTES: usize = 4096;

/// Rows per batch unless told: one writer transaction and one journal entry each.
const DEFAULT_BATCH_ROWS: usize = 20_000;

/// What can be imported.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Interval values from a CSV file: `ean,channel,start,value,unit,quality` per line (the
    /// README documents the format); good rows land, each refused row is reported with its
    /// line, field and reason. Importing the same file again changes nothing.
    Readings(ReadingsArgs),
    /// Index readings from a CSV file with the header
    /// `ean,register,value,at,source,reader,calorific_value` (the README documents it): read
    /// as it streams, posted in batches of up to 10,000, each judged and validated like a
    /// `POST /v1/index-readings`; good rows land, each refused row is reported with its line,
    /// field and reason. Importing the same file again changes nothing.
    IndexReadings(IndexArgs),
}

/// `cloison import index-readings`.
#[derive(Debug, Args)]
pub struct IndexArgs {
    /// The CSV file.
    file: PathBuf,
    /// Database URL or SQLite file (default from configuration).
    #[arg(long)]
    db: Option<String>,
    /// Print the report as JSON for scripts.
    #[arg(long)]
    json: bool,
}

/// `cloison import readings`.
#[derive(Debug, Args)]
pub struct ReadingsArgs {
    /// The CSV file.
    file: PathBuf,
    /// Check the whole file first and write nothing unless every row is good.
    #[arg(long)]
    all_or_nothing: bool,
    /// Rows per batch: one transaction and one journal entry each (1 to 100,000).
    #[arg(long, default_value_t = DEFAULT_BATCH_ROWS)]
    batch_rows: usize,
    /// Database URL or SQLite file (default from configuration).
    #[arg(long)]
    db: Option<String>,
    /// Print the report as JSON for scripts.
    #[arg(long)]
    json: bool,
}

/// Metering data as an identity may see it.
#[derive(Debug, Subcommand)]
pub enum MeteringCommand {
    /// An access point's consumption over local days, clipped to what the identity may see.
    Consumption {
        /// The 18-digit EAN of the access point.
        ean: String,
        /// The first Europe/Brussels local day (YYYY-MM-DD).
        #[arg(long)]
        from: String,
        /// The local day after the last one (YYYY-MM-DD).
        #[arg(long)]
        to: String,
        /// 15m (each interval as stored), 1h, day or month.
        #[arg(long, default_value = "day")]
        resolution: String,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Issues a network user's consumption history as a document (R4): a PDF and a CSV over
    /// their occupancies only, each labelled with the journal index of its issue (R8), written
    /// into a directory.
    History {
        /// The 18-digit EAN of the access point.
        ean: String,
        /// The first Europe/Brussels local day (YYYY-MM-DD).
        #[arg(long)]
        from: String,
        /// The local day after the last one (YYYY-MM-DD).
        #[arg(long)]
        to: String,
        /// Whose history: required of staff (on the customer's behalf) and of a mandated party.
        #[arg(long)]
        customer: Option<String>,
        /// The directory the two files go into (created if missing); never overwritten.
        #[arg(long, default_value = ".")]
        out: PathBuf,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// The validators' queue: the oldest findings of the validation rules not decided yet.
    Queue {
        /// How many, 1 to 1000.
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// A validator's decision on a finding: the day's next version is written and journaled.
    Decide {
        /// The finding's id, as the queue shows it.
        finding: String,
        /// accept (the values stand), reject (they stop counting), estimate (interpolated over
        /// a short gap), or correct (with --value).
        #[arg(value_parser = ["accept", "reject", "estimate", "correct"])]
        decision: String,
        /// For correct: INTERVAL=WH, the interval's number in the day (from 0) and its value.
        #[arg(long = "value", value_name = "INTERVAL=WH")]
        values: Vec<String>,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// An access point's index readings over local days, clipped to what the identity may see.
    Readings {
        /// The 18-digit EAN of the access point.
        ean: String,
        /// The first Europe/Brussels local day (YYYY-MM-DD).
        #[arg(long)]
        from: String,
        /// The local day after the last one (YYYY-MM-DD).
        #[arg(long)]
        to: String,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// The identity's meter-reading route today (R9): the access points to read, with their
    /// addresses.
    Route {
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Puts access points on a meter reader's route for a reading window.
    Assign {
        /// The reader's party id (a member of staff).
        #[arg(long)]
        reader: String,
        /// The window's first local day (YYYY-MM-DD).
        #[arg(long)]
        from: String,
        /// Its last local day, included (YYYY-MM-DD).
        #[arg(long)]
        to: String,
        /// The 18-digit EANs of the access points.
        #[arg(required = true)]
        eans: Vec<String>,
        /// Database URL or SQLite file (default from configuration).
        #[arg(long)]
        db: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
}

/// The verdict a `decide` command names.
fn verdict(decision: &str, values: &[String]) -> Result<Verdict, Failure> {
    if decision != "correct" && !values.is_empty() {
        return Err(Failure::Invalid(format!("--value: only a correction takes values, not {decision}")));
    }
    Ok(match decision {
        "accept" => Verdict::Accept,
        "reject" => Verdict::Reject,
        "estimate" => Verdict::Estimate,
        _ => {
            let pair = |text: &String| -> Result<(u32, i64), Failure> {
                let bad =
                    || Failure::Invalid(format!("--value: INTERVAL=WH, both whole numbers, found {text:?}"));
                let (index, wh) = text.split_once('=').ok_or_else(bad)?;
                Ok((index.trim().parse().map_err(|_| bad())?, wh.trim().parse().map_err(|_| bad())?))
            };
            Verdict::Correct { values: values.iter().map(pair).collect::<Result<_, _>>()? }
        }
    })
}

/// Runs `cloison import …`.
pub async fn run_import(config_file: Option<&Path>, command: ImportCommand) -> Result<()> {
    let args = match command {
        ImportCommand::Readings(args) => args,
        ImportCommand::IndexReadings(args) => return import_index(config_file, args).await,
    };
    if !(1..=app::MAX_IMPORT_ROWS).contains(&args.batch_rows) {
        return Err(Failure::Invalid(format!(
            "--batch-rows: 1 to {}, found {}",
            app::MAX_IMPORT_ROWS,
            args.batch_rows
        ))
        .into());
    }
    let actor = operator(config_file)?;
    let size = std::fs::metadata(&args.file)
        .map_err(|e| Failure::Invalid(format!("{}: {e}", args.file.display())))?
        .len();
    let app = open(config_file, args.db.as_deref()).await?;
    let result = async {
        if args.all_or_nothing {
            let check = pass(&app, &actor, &args, size, ImportMode::Check).await?;
            if !check.refused.is_empty() {
                report(&check, &args, "checked")?;
                return Err(Failure::Invalid(format!(
                    "{} of {} rows refused; nothing was written (--all-or-nothing)",
                    check.refused.len(),
                    check.rows
                ))
                .into());
            }
        }
        let done = pass(&app, &actor, &args, size, ImportMode::Write).await?;
        report(&done, &args, "imported")?;
        if !done.refused.is_empty() {
            return Err(Failure::Invalid(format!(
                "{} of {} rows refused; the other rows were written",
                done.refused.len(),
                done.rows
            ))
            .into());
        }
        Ok(())
    }
    .await;
    app.close().await;
    result
}

/// `cloison import index-readings`: the file read record by record (never whole), posted in
/// batches; the refused rows of every batch renumbered to the file's lines.
async fn import_index(config_file: Option<&Path>, args: IndexArgs) -> Result<()> {
    let file =
        File::open(&args.file).map_err(|e| Failure::Invalid(format!("{}: {e}", args.file.display())))?;
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(BufReader::new(file));
    let header = reader.headers().map_err(|e| Failure::Invalid(format!("line 1: {e}")))?.clone();
    let expected = ["ean", "register", "value", "at", "source", "reader", "calorific_value"];
    if header.iter().collect::<Vec<_>>() != expected {
        return Err(Failure::Invalid(format!(
            "line 1: the header is {}, found {}",
            expected.join(","),
            header.iter().collect::<Vec<_>>().join(",")
        ))
        .into());
    }
    let actor = operator(config_file)?;
    let app = open(config_file, args.db.as_deref()).await?;
    let result = async {
        let mut total = app::IndexReport::default();
        let mut batch: Vec<(u64, app::IndexPost)> = Vec::new();
        let mut records = reader.records();
        loop {
            let next = records.next();
            match &next {
                Some(Ok(record)) => {
                    let line = record.position().map_or(0, csv::Position::line);
                    match index_post(record) {
                        Ok(post) => batch.push((line, post)),
                        Err((field, reason)) => {
                            total.rows += 1;
                            total.refused.push(app::RefusedRow {
                                line,
                                field: field.into(),
                                code: "bad_field".into(),
                                reason,
                            });
                        }
                    }
                }
                Some(Err(e)) => {
                    let line = e.position().map_or(0, csv::Position::line);
                    total.rows += 1;
                    total.refused.push(app::RefusedRow {
                        line,
                        field: "line".into(),
                        code: "bad_line".into(),
                        reason: e.to_string(),
                    });
                }
                None => {}
            }
            if batch.len() == app::MAX_INDEX_ROWS || (next.is_none() && !batch.is_empty()) {
                let (lines, posts): (Vec<u64>, Vec<app::IndexPost>) =
                    std::mem::take(&mut batch).into_iter().unzip();
                let done = app.index_post(&actor, posts).await.map_err(|e| refusal(e, &actor))?;
                let mut done = labelled(done).into_view();
                for refused in &mut done.refused {
                    refused.line = usize::try_from(refused.line - 1)
                        .ok()
                        .and_then(|i| lines.get(i))
                        .copied()
                        .unwrap_or(0);
                }
                total.rows += done.rows;
                total.written += done.written;
                total.unchanged += done.unchanged;
                total.findings += done.findings;
                total.refused.extend(done.refused);
            }
            if next.is_none() {
                break;
            }
        }
        total.refused.sort_by_key(|r| r.line);
        Ok::<_, anyhow::Error>(total)
    }
    .await;
    app.close().await;
    let total = result?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&total)?)?;
    } else {
        outln!(
            "{}: {} rows, {} written, {} unchanged, {} refused, {} finding(s) for the validators",
            args.file.display(),
            total.rows,
            total.written,
            total.unchanged,
            total.refused.len(),
            total.findings
        )?;
        for r in &total.refused {
            outln!("  line {}, {}: {}: {}", r.line, r.field, r.code, r.reason)?;
        }
    }
    if !total.refused.is_empty() {
        return Err(Failure::Invalid(format!(
            "{} of {} rows refused; the other rows were written",
            total.refused.len(),
            total.rows
        ))
        .into());
    }
    Ok(())
}

/// One record as a post: the optional fields empty when absent, the calorific value a whole
/// number of Wh/m³. The post itself is judged by the application.
fn index_post(record: &csv::StringRecord) -> Result<app::IndexPost, (&'static str, String)> {
    let field = |i: usize| record.get(i).unwrap_or("").trim().to_owned();
    let optional = |i: usize| Some(field(i)).filter(|v| !v.is_empty());
    let calorific_value = optional(6)
        .map(|v| v.parse().map_err(|_| ("calorific_value", format!("a whole number of Wh/m³, found {v:?}"))))
        .transpose()?;
    Ok(app::IndexPost {
        ean: field(0),
        register: field(1),
        value: field(2),
        at: field(3),
        source: field(4),
        reader: optional(5),
        calorific_value,
    })
}

/// One pass over the file: a reader thread parses, this task imports batch by batch.
async fn pass(
    app: &app::Cloison,
    actor: &app::Actor,
    args: &ReadingsArgs,
    size: u64,
    mode: ImportMode,
) -> Result<ImportReport> {
    let file =
        File::open(&args.file).map_err(|e| Failure::Invalid(format!("{}: {e}", args.file.display())))?;
    let bar = ProgressBar::with_draw_target(Some(size), ProgressDrawTarget::stderr());
    let verb = if mode == ImportMode::Check { "checking" } else { "importing" };
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} {verb} [{{bar:40}}] {{bytes}}/{{total_bytes}} ({{bytes_per_sec}}, {{eta}})"
        ))?
        .progress_chars("=> "),
    );
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<std::io::Result<(Batch, u64)>>(2);
    let batch_rows = args.batch_rows;
    let reader = std::thread::spawn(move || {
        read_batches(file, batch_rows, |batch| sender.blocking_send(batch).is_ok())
    });
    let mut total = ImportReport::default();
    // A terminal shows the progress bar; a log gets a line per committed batch.
    let log_batches = !std::io::stderr().is_terminal();
    let mut failure = None;
    while let Some(next) = receiver.recv().await {
        let (batch, read) = match next {
            Ok(next) => next,
            Err(e) => {
                failure = Some(anyhow::Error::new(e).context(format!("reading {}", args.file.display())));
                break;
            }
        };
        let lines = batch_lines(&batch);
        match app.readings_import(actor, batch, mode).await {
            Ok(sent) => {
                let done = labelled(sent).into_view();
                if log_batches && mode == ImportMode::Write {
                    // Committed with its journal entry: what a log keeps of an unattended run.
                    eprintln!(
                        "committed lines {}–{}: {} accepted, {} refused, {} days written",
                        lines.0,
                        lines.1,
                        done.accepted,
                        done.refused.len(),
                        done.days_written
                    );
                }
                total.add(done);
            }
            Err(e) => {
                failure = Some(refusal(e, actor));
                break;
            }
        }
        bar.set_position(read);
    }
    drop(receiver);
    bar.finish_and_clear();
    reader.join().map_err(|_| anyhow::anyhow!("the file reader stopped unexpectedly"))?;
    match failure {
        Some(e) => Err(e),
        None => Ok(total),
    }
}

/// The first and last line numbers of a batch.
fn batch_lines(batch: &Batch) -> (u64, u64) {
    let lines = batch.rows.iter().map(|r| r.line).chain(batch.refused.iter().map(|r| r.line));
    lines.fold((u64::MAX, 0), |(lo, hi), l| (lo.min(l), hi.max(l)))
}

/// Reads `file` line by line into batches of about `batch_rows` lines, each ending where a
/// day does and carrying the bytes read up to it, handing each to `send` until it returns
/// false. A first line naming the columns is
/// skipped; an empty line is skipped.
fn read_batches(file: File, batch_rows: usize, mut send: impl FnMut(std::io::Result<(Batch, u64)>) -> bool) {
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut line = Vec::with_capacity(256);
    let mut batch = Batch::default();
    let mut number: u64 = 0;
    let mut read: u64 = 0;
    loop {
        line.clear();
        let (consumed, whole) = match read_line(&mut reader, &mut line) {
            Ok(Some(got)) => got,
            Ok(None) => break,
            Err(e) => {
                send(Err(e));
                return;
            }
        };
        number += 1;
        let before = read;
        read += consumed;
        if !whole {
            let error = RefusedRow {
                line: number,
                field: "row".into(),
                code: "line_too_long".into(),
                reason: format!("a line is at most {MAX_LINE_BYTES} bytes; this one is {consumed}"),
            };
            batch.refused.push(error);
        } else {
            match std::str::from_utf8(&line) {
                Err(_) => batch.refused.push(RefusedRow {
                    line: number,
                    field: "row".into(),
                    code: "not_utf8".into(),
                    reason: "the line is not UTF-8 text".into(),
                }),
                Ok(text) if text.trim().is_empty() => {}
                Ok(text) if number == 1 && ReadingRow::is_header(text) => {}
                Ok(text) => match ReadingRow::parse_line(text) {
                    Ok(row) => {
                        // A full batch is cut before the first row of another day, so a file
                        // sorted by point and time never has a day judged in two halves.
                        let full = batch.rows.len() + batch.refused.len() >= batch_rows;
                        let same_day = batch.rows.last().is_some_and(|last| {
                            (last.row.ean, last.row.channel, last.row.day) == (row.ean, row.channel, row.day)
                        });
                        if full && !same_day && !send(Ok((std::mem::take(&mut batch), before))) {
                            return;
                        }
                        batch.rows.push(PlacedRow { line: number, row });
                    }
                    Err(e) => batch.refused.push(RefusedRow::of(number, &e)),
                },
            }
        }
        // Refused lines hold no day open: past a day's worth over the size, the batch goes.
        if batch.rows.len() + batch.refused.len() >= batch_rows + domain::metering::MAX_INTERVALS
            && !send(Ok((std::mem::take(&mut batch), read)))
        {
            return;
        }
    }
    if batch.rows.len() + batch.refused.len() > 0 {
        send(Ok((batch, read)));
    }
}

/// Reads one line into `line` (without its end) and says how many bytes it took and whether
/// it was short enough to keep; a longer line is skipped to its end without being kept, so a
/// 2 GB line costs no more memory than a short one. `None` at the end of the file.
fn read_line(reader: &mut impl BufRead, line: &mut Vec<u8>) -> std::io::Result<Option<(u64, bool)>> {
    let limit = MAX_LINE_BYTES as u64 + 1;
    let taken = reader.by_ref().take(limit).read_until(b'\n', line)? as u64;
    if taken == 0 {
        return Ok(None);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
        return Ok(Some((taken, true)));
    }
    if taken < limit {
        // The last line of a file without a final newline.
        return Ok(Some((taken, true)));
    }
    line.clear();
    let rest = reader.skip_until(b'\n')? as u64;
    Ok(Some((taken + rest, false)))
}

/// Prints what a pass did: refused rows to standard error, the summary to standard output.
fn report(report: &ImportReport, args: &ReadingsArgs, done: &str) -> Result<()> {
    for r in &report.refused {
        eprintln!("line {}: {}: {} [{}]", r.line, r.field, r.reason, r.code);
    }
    if args.json {
        outln!("{}", serde_json::to_string_pretty(report)?)?;
    } else {
        outln!(
            "{done} {}: {} rows, {} accepted, {} refused; {} days written, {} unchanged; {} findings for the validators",
            args.file.display(),
            report.rows,
            report.accepted,
            report.refused.len(),
            report.days_written,
            report.days_unchanged,
            report.findings
        )?;
    }
    Ok(())
}

/// Writes the two files of an issued history, `history-<ean>-<journal index>.pdf` and `.csv`,
/// refusing to replace a file already there (an issued document is never rewritten).
fn write_history(dir: &Path, ean: Ean, issued: &app::IssuedHistory) -> Result<Vec<String>> {
    std::fs::create_dir_all(dir).with_context(|| format!("--out: creating {}", dir.display()))?;
    let mut written = Vec::new();
    for (extension, bytes) in [("pdf", issued.pdf.as_slice()), ("csv", issued.csv.as_bytes())] {
        let path = dir.join(format!("history-{ean}-{}.{extension}", issued.journal_index));
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .with_context(|| format!("--out: creating {}", path.display()))?;
        std::io::Write::write_all(&mut file, bytes).with_context(|| format!("writing {}", path.display()))?;
        written.push(path.display().to_string());
    }
    Ok(written)
}

fn parse_day(flag: &str, text: &str) -> Result<Date, Failure> {
    text.parse().map_err(|_| {
        Failure::Invalid(format!("{flag}: a calendar day is written YYYY-MM-DD, found {text:?}"))
    })
}

/// Runs `cloison metering …`.
pub async fn run(config_file: Option<&Path>, command: MeteringCommand) -> Result<()> {
    let (ean, from, to, resolution, db, json) = match command {
        MeteringCommand::Consumption { ean, from, to, resolution, db, json } => {
            (ean, from, to, resolution, db, json)
        }
        MeteringCommand::Queue { limit, db, json } => return queue(config_file, limit, db, json).await,
        MeteringCommand::History { ean, from, to, customer, out, db, json } => {
            let ean = parse_ean(&ean)?;
            let (from, to) = (parse_day("--from", &from)?, parse_day("--to", &to)?);
            let customer = customer
                .map(|c| c.parse().map_err(|e| Failure::Invalid(format!("--customer: {e}"))))
                .transpose()?;
            let actor = operator(config_file)?;
            let app = open(config_file, db.as_deref()).await?;
            let issued = app.consumption_history(&actor, ean, from, to, customer).await;
            app.close().await;
            let issued = issued.map_err(|e| refusal(e, &actor))?;
            let written = write_history(&out, ean, &issued)?;
            if json {
                let mut view = serde_json::to_value(&issued)?;
                view["files"] = serde_json::json!(written);
                outln!("{}", serde_json::to_string_pretty(&view)?)?;
            } else {
                outln!("{}", issued.label)?;
                outln!("to       {}", issued.addressee.join(" / "))?;
                for (path, digest) in written.iter().zip([&issued.pdf_sha256, &issued.csv_sha256]) {
                    outln!("wrote    {path} (sha256 {digest})")?;
                }
            }
            return Ok(());
        }
        MeteringCommand::Readings { ean, from, to, db, json } => {
            let ean = parse_ean(&ean)?;
            let (from, to) = (parse_day("--from", &from)?, parse_day("--to", &to)?);
            let actor = operator(config_file)?;
            let app = open(config_file, db.as_deref()).await?;
            let sent = app.index_readings(&actor, ean, from, to).await;
            app.close().await;
            let view = sent.map_err(|e| refusal(e, &actor)).map(labelled)?.into_view();
            if json {
                outln!("{}", serde_json::to_string_pretty(&view)?)?;
                return Ok(());
            }
            if view.readings.is_empty() {
                outln!("{}: no index reading visible from {} to {}", view.ean, view.from, view.to)?;
            }
            for r in &view.readings {
                let calorific = r.calorific_value.map_or(String::new(), |c| format!(" at {c} Wh/m3"));
                outln!(
                    "{}  {:<15} {:>14} {}{calorific}  {} {} v{}",
                    r.at,
                    r.register.as_str(),
                    r.value,
                    r.unit,
                    r.quality,
                    r.source,
                    r.version
                )?;
            }
            return Ok(());
        }
        MeteringCommand::Route { db, json } => {
            let actor = operator(config_file)?;
            let app = open(config_file, db.as_deref()).await?;
            let sent = app.route_today(&actor).await;
            app.close().await;
            let view = sent.map_err(|e| refusal(e, &actor)).map(labelled)?.into_view();
            if json {
                outln!("{}", serde_json::to_string_pretty(&view)?)?;
                return Ok(());
            }
            outln!("{}'s route on {}: {} access points", view.reader, view.day, view.stops.len())?;
            for stop in &view.stops {
                outln!(
                    "{}  {:<11} {}  (window {} to {})",
                    stop.ean,
                    stop.energy,
                    stop.address,
                    stop.window_from,
                    stop.window_to
                )?;
            }
            return Ok(());
        }
        MeteringCommand::Assign { reader, from, to, eans, db, json } => {
            let reader = reader.parse().map_err(|e| Failure::Invalid(format!("--reader: {e}")))?;
            let (from, to) = (parse_day("--from", &from)?, parse_day("--to", &to)?);
            let eans = eans.iter().map(|e| parse_ean(e)).collect::<Result<Vec<_>, _>>()?;
            let actor = operator(config_file)?;
            let app = open(config_file, db.as_deref()).await?;
            let sent = app.route_assign(&actor, reader, from, to, eans).await;
            app.close().await;
            let view = sent.map_err(|e| refusal(e, &actor)).map(labelled)?.into_view();
            if json {
                outln!("{}", serde_json::to_string_pretty(&view)?)?;
            } else {
                outln!("{} assigned, {} on the route already", view.assigned, view.unchanged)?;
                for ean in &view.unknown {
                    eprintln!("{ean}: not in the register");
                }
            }
            return Ok(());
        }
        MeteringCommand::Decide { finding, decision, values, db, json } => {
            let verdict = verdict(&decision, &values)?;
            let actor = operator(config_file)?;
            let app = open(config_file, db.as_deref()).await?;
            let sent = app.validation_decide(&actor, &finding, verdict).await;
            app.close().await;
            let view = sent.map_err(|e| refusal(e, &actor)).map(labelled)?.into_view();
            if json {
                outln!("{}", serde_json::to_string_pretty(&view)?)?;
            } else {
                let version = view.version_written.map_or("the day stays as it is".to_owned(), |v| {
                    format!("version {v} of the day written")
                });
                outln!("finding {}: {}; {version}", view.finding, view.decision)?;
            }
            return Ok(());
        }
    };
    let ean = parse_ean(&ean)?;
    let from = parse_day("--from", &from)?;
    let to = parse_day("--to", &to)?;
    let resolution = Resolution::parse(&resolution).map_err(|e| Failure::Invalid(format!("--{e}")))?;
    let actor = operator(config_file)?;
    let app = open(config_file, db.as_deref()).await?;
    let sent = app.consumption(&actor, ean, from, to, resolution).await;
    app.close().await;
    let view = sent.map_err(|e| refusal(e, &actor)).map(labelled)?.into_view();
    if json {
        outln!("{}", serde_json::to_string_pretty(&view)?)?;
    } else {
        crate::output::write_str(&render(&view))?;
    }
    Ok(())
}

async fn queue(config_file: Option<&Path>, limit: i64, db: Option<String>, json: bool) -> Result<()> {
    let actor = operator(config_file)?;
    let app = open(config_file, db.as_deref()).await?;
    let sent = app.validation_queue(&actor, limit).await;
    app.close().await;
    let findings = sent.map_err(|e| refusal(e, &actor)).map(labelled)?.into_view();
    if json {
        outln!("{}", serde_json::to_string_pretty(&findings)?)?;
        return Ok(());
    }
    if findings.is_empty() {
        outln!("the validators' queue is empty")?;
    }
    for f in &findings {
        let intervals = match (f.intervals, f.register) {
            (Some((a, b)), _) => format!("intervals {a}–{}", b - 1),
            (None, Some(_)) => "the reading".to_owned(),
            (None, None) => "the day".to_owned(),
        };
        let series = match (f.channel, f.register) {
            (Some(channel), _) => channel.to_string(),
            (None, Some(register)) => format!("index {register}"),
            (None, None) => "?".to_owned(),
        };
        outln!(
            "{}  {} {} {} v{}  {:<22} {intervals}: {}",
            f.id,
            f.ean,
            series,
            f.day,
            f.version,
            f.rule,
            f.reason
        )?;
    }
    Ok(())
}

/// The human form of a consumption read: one line per value.
fn render(view: &ConsumptionView) -> String {
    let mut out = format!("EAN {} · {} to {} · {:?}\n", view.ean, view.from, view.to, view.resolution);
    if view.channels.is_empty() {
        out.push_str("  nothing to show in this span\n");
    }
    for channel in &view.channels {
        out.push_str(&format!("  {} ({})\n", channel.channel, channel.unit));
        for v in &channel.values {
            let wh = v.wh.map_or("-".to_owned(), |wh| wh.to_string());
            out.push_str(&format!("    {} → {}  {:>10}  {}\n", v.start, v.end, wh, v.quality));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_takes_values_only_when_it_corrects() {
        let values = vec!["40=120".to_owned(), " 41 = -3".to_owned()];
        assert_eq!(
            verdict("correct", &values).expect("a correction"),
            Verdict::Correct { values: vec![(40, 120), (41, -3)] }
        );
        assert_eq!(verdict("estimate", &[]).expect("an estimate"), Verdict::Estimate);
        let e = verdict("accept", &values).expect_err("values on an acceptance").to_string();
        assert!(e.starts_with("--value: only a correction"), "{e}");
        let e = verdict("correct", &["40:120".to_owned()]).expect_err("not a pair").to_string();
        assert!(e.contains("INTERVAL=WH"), "{e}");
    }

    #[test]
    fn a_line_longer_than_the_limit_is_skipped_to_its_end_and_counted() {
        let long = "9".repeat(MAX_LINE_BYTES * 3);
        let text = format!("short\n{long}\nnext\nlast");
        let mut reader = BufReader::with_capacity(64, text.as_bytes());
        let mut line = Vec::new();
        assert_eq!(read_line(&mut reader, &mut line).expect("read"), Some((6, true)));
        assert_eq!(line, b"short");
        line.clear();
        let got = read_line(&mut reader, &mut line).expect("read");
        assert_eq!(got, Some((long.len() as u64 + 1, false)));
        assert!(line.is_empty(), "nothing of the long line is kept");
        line.clear();
        assert_eq!(read_line(&mut reader, &mut line).expect("read"), Some((5, true)));
        assert_eq!(line, b"next");
        line.clear();
        assert_eq!(read_line(&mut reader, &mut line).expect("read"), Some((4, true)));
        assert_eq!(line, b"last");
        line.clear();
        assert_eq!(read_line(&mut reader, &mut line).expect("read"), None);
    }
}
