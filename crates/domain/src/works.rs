//! Customer works (R13): connection and meter work requests through the six modules of the
//! report's chapter VIII (capture, study, offer, preparation and planning, execution,
//! post-administration), each keeping only the data it is declared to need.
//!
//! Minimisation is a schema, not a habit: [`allowance`] says, per module, which fields are
//! required and which are allowed; anything else is refused with the field and the module
//! named before anything is kept. The personal fields ([`PERSONAL_FIELDS`]: the requester's
//! name, billing address, phone and e-mail) are what the offer and the invoice need and
//! nothing more; they are the only ones the retention schedule purges. The asset record a
//! completed request leaves holds technical data only: the network user's name and contract
//! date are read from the register when it is viewed, never copied here.

use std::collections::BTreeMap;
use std::fmt;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::{Ean, PartyId};

/// What the work is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkKind {
    /// A new connection to the grid.
    NewConnection,
    /// A change of an existing connection: its power or supply type.
    ConnectionChange,
    /// A meter change, a budget meter included.
    MeterChange,
    /// The removal of a connection.
    Removal,
}

impl WorkKind {
    /// Every kind.
    pub const ALL: [WorkKind; 4] =
        [WorkKind::NewConnection, WorkKind::ConnectionChange, WorkKind::MeterChange, WorkKind::Removal];

    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkKind::NewConnection => "new_connection",
            WorkKind::ConnectionChange => "connection_change",
            WorkKind::MeterChange => "meter_change",
            WorkKind::Removal => "removal",
        }
    }

    /// The kind named `text`, or a refusal naming the kinds there are.
    pub fn parse(text: &str) -> Result<WorkKind, WorksError> {
        WorkKind::ALL.into_iter().find(|k| k.as_str() == text).ok_or_else(|| WorksError {
            field: "kind".into(),
            code: "unknown_kind",
            reason: format!(
                "{text:?} is not a kind of work: {}",
                WorkKind::ALL.map(WorkKind::as_str).join(", ")
            ),
        })
    }
}

/// Who asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequesterKind {
    /// A customer (network user or future one).
    Customer,
    /// A third party under a mandate.
    ThirdParty,
    /// A public body (a municipality, a region).
    PublicBody,
    /// An energy supplier (a budget meter ordered by the market).
    Supplier,
    /// One of the DSO's own services (reading, access register, metering).
    Internal,
}

/// The six modules, and where a request ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Module {
    /// The request is captured.
    Capture,
    /// The technical study.
    Study,
    /// The offer, until the customer accepts it.
    Offer,
    /// Preparation and planning, once the offer is accepted.
    Preparation,
    /// Execution on site.
    Execution,
    /// Post-administration: recording and invoicing; the request is then closed.
    PostAdministration,
}

impl Module {
    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Module::Capture => "capture",
            Module::Study => "study",
            Module::Offer => "offer",
            Module::Preparation => "preparation",
            Module::Execution => "execution",
            Module::PostAdministration => "post_administration",
        }
    }
}

impl fmt::Display for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The fields a module requires and the ones it allows besides; every other field is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowance {
    /// Fields that must be given.
    pub required: &'static [&'static str],
    /// Fields that may be given.
    pub allowed: &'static [&'static str],
}

/// The personal fields: kept for the offer and the invoice, purged on the retention schedule.
pub const PERSONAL_FIELDS: [&str; 4] = ["requester_name", "billing_address", "phone", "email"];

/// What `module` may keep.
pub fn allowance(module: Module) -> Allowance {
    match module {
        Module::Capture => Allowance {
            required: &["requester_name", "billing_address", "description"],
            allowed: &["phone", "email", "ean", "vat_rate"],
        },
        Module::Study => Allowance { required: &["study_fee_cents"], allowed: &["study_note"] },
        Module::Offer => {
            Allowance { required: &["works_amount_cents", "vat_rate"], allowed: &["offer_note"] }
        }
        Module::Preparation => Allowance { required: &["planned_day"], allowed: &["crew"] },
        Module::Execution => {
            Allowance { required: &["power_kva", "supply_type", "meter_type", "meter_number"], allowed: &[] }
        }
        Module::PostAdministration => Allowance { required: &["invoice_number"], allowed: &[] },
    }
}

/// Why a step was refused: the field (or `module`), a stable code, a sentence. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {code}: {reason}")]
pub struct WorksError {
    /// The field at fault.
    pub field: String,
    /// The rule.
    pub code: &'static str,
    /// What was wrong.
    pub reason: String,
}

fn refuse<T>(field: &str, code: &'static str, reason: String) -> Result<T, WorksError> {
    Err(WorksError { field: field.to_owned(), code, reason })
}

/// Checks one field's value by its rule.
fn check_value(field: &str, value: &str) -> Result<(), WorksError> {
    let bad = |rule: &str| refuse(field, "bad_value", format!("{rule}, found {value:?}"));
    let printable =
        |max: usize| !value.trim().is_empty() && value.len() <= max && !value.chars().any(char::is_control);
    match field {
        "requester_name" => value.parse::<crate::PersonName>().map(|_| ()).map_err(|e| WorksError {
            field: field.into(),
            code: "bad_value",
            reason: e.to_string(),
        }),
        "phone" => value.parse::<crate::Phone>().map(|_| ()).map_err(|e| WorksError {
            field: field.into(),
            code: "bad_value",
            reason: e.to_string(),
        }),
        "email" => value.parse::<crate::Email>().map(|_| ()).map_err(|e| WorksError {
            field: field.into(),
            code: "bad_value",
            reason: e.to_string(),
        }),
        "billing_address" if printable(200) => Ok(()),
        "billing_address" => bad("an address is 1 to 200 printable characters"),
        "description" | "study_note" | "offer_note" | "crew" if printable(500) => Ok(()),
        "description" | "study_note" | "offer_note" | "crew" => bad("1 to 500 printable characters"),
        "ean" => value.parse::<Ean>().map(|_| ()).map_err(|e| WorksError {
            field: field.into(),
            code: "bad_value",
            reason: e.to_string(),
        }),
        "vat_rate" if ["0", "6", "12", "21"].contains(&value) => Ok(()),
        "vat_rate" => bad("a Belgian VAT rate: 0, 6, 12 or 21"),
        "study_fee_cents" | "works_amount_cents" if value.parse::<u32>().is_ok() => Ok(()),
        "study_fee_cents" | "works_amount_cents" => bad("an amount in euro cents, a whole number from 0"),
        "planned_day" if value.parse::<Date>().is_ok() => Ok(()),
        "planned_day" => bad("a day, YYYY-MM-DD"),
        "power_kva" if value.parse::<f64>().is_ok_and(|p| p > 0.0 && p <= 100_000.0) => Ok(()),
        "power_kva" => bad("a power in kVA, above 0"),
        "supply_type" if ["single_phase", "three_phase", "three_phase_neutral", "gas"].contains(&value) => {
            Ok(())
        }
        "supply_type" => bad("single_phase, three_phase, three_phase_neutral or gas"),
        "meter_type" if ["classic", "smart", "budget"].contains(&value) => Ok(()),
        "meter_type" => bad("classic, smart or budget"),
        "meter_number" | "invoice_number"
            if !value.is_empty()
                && value.len() <= 32
                && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
        {
            Ok(())
        }
        "meter_number" | "invoice_number" => bad("1 to 32 letters, digits or dashes"),
        _ => refuse(field, "not_allowed", "no module keeps this field".into()),
    }
}

/// Checks `fields` against `module`'s allowance and each value's rule.
pub fn check_fields(module: Module, fields: &BTreeMap<String, String>) -> Result<(), WorksError> {
    let allowance = allowance(module);
    for field in fields.keys() {
        if !allowance.required.contains(&field.as_str()) && !allowance.allowed.contains(&field.as_str()) {
            return refuse(
                field,
                "not_allowed",
                format!(
                    "the {module} module does not keep {field} (R13): it keeps {}",
                    allowance
                        .required
                        .iter()
                        .chain(allowance.allowed)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
    }
    for field in allowance.required {
        if !fields.contains_key(*field) {
            return refuse(field, "required", format!("the {module} module needs {field}"));
        }
    }
    for (field, value) in fields {
        check_value(field, value)?;
    }
    Ok(())
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Captured; the study comes next.
    Captured,
    /// Studied; the offer comes next.
    Studied,
    /// The offer is sent; the customer accepts it (or not).
    Offered,
    /// The offer is accepted; planning comes next.
    Accepted,
    /// Planned for a day; execution comes next.
    Planned,
    /// Executed; post-administration comes next.
    Executed,
    /// Invoiced and recorded: closed, its asset record written.
    Closed,
    /// Cancelled before execution.
    Cancelled,
}

impl Stage {
    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Captured => "captured",
            Stage::Studied => "studied",
            Stage::Offered => "offered",
            Stage::Accepted => "accepted",
            Stage::Planned => "planned",
            Stage::Executed => "executed",
            Stage::Closed => "closed",
            Stage::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A step of a request's life, with the data its module keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// The technical study's results.
    Study {
        /// The study module's fields.
        fields: BTreeMap<String, String>,
    },
    /// The offer sent.
    Offer {
        /// The offer module's fields.
        fields: BTreeMap<String, String>,
    },
    /// The customer accepts the offer.
    Accept,
    /// Planned.
    Plan {
        /// The preparation module's fields.
        fields: BTreeMap<String, String>,
    },
    /// Executed on site, with the technical asset data.
    Execute {
        /// The execution module's fields.
        fields: BTreeMap<String, String>,
    },
    /// Invoiced and recorded: the request closes.
    Invoice {
        /// The post-administration module's fields.
        fields: BTreeMap<String, String>,
    },
    /// Cancelled before execution.
    Cancel,
}

impl Step {
    /// The stable name.
    pub fn name(&self) -> &'static str {
        match self {
            Step::Study { .. } => "study",
            Step::Offer { .. } => "offer",
            Step::Accept => "accept",
            Step::Plan { .. } => "plan",
            Step::Execute { .. } => "execute",
            Step::Invoice { .. } => "invoice",
            Step::Cancel => "cancel",
        }
    }
}

/// A step's stages it may follow, the stage it leads to, its module and its fields.
type Transition<'a> = (&'static [Stage], Stage, Option<Module>, Option<&'a BTreeMap<String, String>>);

/// A work request as it stands: its kind, who asked, its stage, and the data each module kept
/// (personal fields apart, so that storage can seal and purge them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkRequest {
    /// What the work is.
    pub kind: WorkKind,
    /// Who asked.
    pub requester: PartyId,
    /// What kind of requester.
    pub requester_kind: RequesterKind,
    /// The access point, once there is one.
    pub ean: Option<Ean>,
    /// Where it stands.
    pub stage: Stage,
    /// The non-personal fields every module kept, by module.
    pub fields: BTreeMap<String, String>,
    /// The personal fields, until purged.
    pub personal: BTreeMap<String, String>,
    /// Whether the personal data were purged.
    pub purged: bool,
}

impl WorkRequest {
    /// Captures a request: its kind, requester and the capture module's fields. Work on an
    /// existing connection names its access point.
    pub fn capture(
        kind: WorkKind,
        requester: PartyId,
        requester_kind: RequesterKind,
        fields: BTreeMap<String, String>,
    ) -> Result<WorkRequest, WorksError> {
        check_fields(Module::Capture, &fields)?;
        let ean = fields.get("ean").map(|e| e.parse::<Ean>()).transpose().map_err(|e| WorksError {
            field: "ean".into(),
            code: "bad_value",
            reason: e.to_string(),
        })?;
        if kind != WorkKind::NewConnection && ean.is_none() {
            return refuse(
                "ean",
                "required",
                format!("a {} names the access point it changes", kind.as_str()),
            );
        }
        let (personal, fields) = fields.into_iter().partition(|(k, _)| PERSONAL_FIELDS.contains(&k.as_str()));
        Ok(WorkRequest {
            kind,
            requester,
            requester_kind,
            ean,
            stage: Stage::Captured,
            fields,
            personal,
            purged: false,
        })
    }

    /// Applies `step`, or refuses with the rule named and changes nothing.
    pub fn apply(&mut self, step: &Step) -> Result<(), WorksError> {
        let (from, to, module, fields): Transition<'_> = match step {
            Step::Study { fields } => (&[Stage::Captured], Stage::Studied, Some(Module::Study), Some(fields)),
            Step::Offer { fields } => (&[Stage::Studied], Stage::Offered, Some(Module::Offer), Some(fields)),
            Step::Accept => (&[Stage::Offered], Stage::Accepted, None, None),
            Step::Plan { fields } => {
                (&[Stage::Accepted], Stage::Planned, Some(Module::Preparation), Some(fields))
            }
            Step::Execute { fields } => {
                (&[Stage::Planned], Stage::Executed, Some(Module::Execution), Some(fields))
            }
            Step::Invoice { fields } => {
                (&[Stage::Executed], Stage::Closed, Some(Module::PostAdministration), Some(fields))
            }
            Step::Cancel => (
                &[Stage::Captured, Stage::Studied, Stage::Offered, Stage::Accepted, Stage::Planned],
                Stage::Cancelled,
                None,
                None,
            ),
        };
        if !from.contains(&self.stage) {
            let code = match (step, self.stage) {
                (Step::Accept, Stage::Accepted | Stage::Planned | Stage::Executed | Stage::Closed) => {
                    "already_accepted"
                }
                (Step::Plan { .. }, Stage::Offered) => "not_accepted",
                (
                    Step::Execute { .. },
                    Stage::Captured | Stage::Studied | Stage::Offered | Stage::Accepted,
                ) => "not_planned",
                _ => "wrong_stage",
            };
            return refuse(
                "step",
                code,
                format!(
                    "the request is {}: {} comes after {}",
                    self.stage,
                    step.name(),
                    from.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" or ")
                ),
            );
        }
        if let (Some(module), Some(fields)) = (module, fields) {
            check_fields(module, fields)?;
            for (k, v) in fields {
                if PERSONAL_FIELDS.contains(&k.as_str()) {
                    self.personal.insert(k.clone(), v.clone());
                } else {
                    self.fields.insert(k.clone(), v.clone());
                }
            }
        }
        self.stage = to;
        Ok(())
    }

    /// Purges the personal data of a request closed or cancelled at least `retention_days`
    /// before `day` (`ended` the day it ended): what the retention schedule runs. What stays
    /// is what the invoice must keep by law, if `keep_invoice` says so.
    pub fn purge(
        &mut self,
        ended: Date,
        day: Date,
        retention_days: i64,
        keep_invoice: &[&str],
    ) -> Result<Vec<String>, WorksError> {
        if !matches!(self.stage, Stage::Closed | Stage::Cancelled) {
            return refuse(
                "request",
                "not_ended",
                format!("the request is {}: only a closed or cancelled one is purged", self.stage),
            );
        }
        let due = ended.checked_add(jiff::Span::new().days(retention_days)).unwrap_or(Date::MAX);
        if day < due {
            return refuse("day", "retention_running", format!("kept until {due} by the retention schedule"));
        }
        let purged: Vec<String> =
            self.personal.keys().filter(|k| !keep_invoice.contains(&k.as_str())).cloned().collect();
        for k in &purged {
            self.personal.remove(k);
        }
        self.purged = true;
        Ok(purged)
    }

    /// The asset record a closed request leaves: technical data only (the network user's
    /// name and contract date are read from the register when it is viewed, R13).
    pub fn asset_record(&self) -> Option<AssetRecord> {
        if self.stage != Stage::Closed {
            return None;
        }
        let get = |k: &str| self.fields.get(k).cloned().unwrap_or_default();
        Some(AssetRecord {
            ean: self.ean,
            kind: self.kind,
            power_kva: get("power_kva"),
            supply_type: get("supply_type"),
            meter_type: get("meter_type"),
            meter_number: get("meter_number"),
        })
    }
}

/// The technical asset data a completed request records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetRecord {
    /// The access point.
    pub ean: Option<Ean>,
    /// What the work was.
    pub kind: WorkKind,
    /// The power made available, kVA.
    pub power_kva: String,
    /// The supply type.
    pub supply_type: String,
    /// The meter type.
    pub meter_type: String,
    /// The meter number.
    pub meter_number: String,
}

/// One line of the retention schedule: which personal fields, kept how long after a request
/// ends, and why (the legal basis, written next to the rule so a reviewer reads both).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetentionRule {
    /// The category of personal data: `contact` or `invoice`.
    pub category: String,
    /// The personal fields it holds.
    pub fields: Vec<String>,
    /// Days kept after the request closed or was cancelled.
    pub kept_days: i64,
    /// The legal basis.
    pub legal_basis: String,
}

/// Parses the retention schedule (CSV: `category,fields,kept_days_after_end,legal_basis`,
/// fields separated by spaces). Every personal field must fall in exactly one category, so
/// nothing personal is kept without a rule; a refusal names the line and the field.
pub fn parse_retention(text: &str) -> Result<Vec<RetentionRule>, WorksError> {
    let bad = |line: u64, field: &str, reason: String| WorksError {
        field: format!("line {line}: {field}"),
        code: "bad_schedule",
        reason,
    };
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let mut rules: Vec<RetentionRule> = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| bad(e.position().map_or(0, |p| p.line()), "line", e.to_string()))?;
        let line = record.position().map_or(0, |p| p.line());
        let get = |i: usize| record.get(i).unwrap_or_default().trim().to_owned();
        let fields: Vec<String> = get(1).split_whitespace().map(str::to_owned).collect();
        if let Some(f) = fields.iter().find(|f| !PERSONAL_FIELDS.contains(&f.as_str())) {
            return Err(bad(line, "fields", format!("{f} is not a personal field")));
        }
        let kept_days = get(2).parse::<i64>().ok().filter(|d| *d >= 0).ok_or_else(|| {
            bad(line, "kept_days_after_end", format!("a whole number of days, found {:?}", get(2)))
        })?;
        let legal_basis = get(3);
        if legal_basis.is_empty() {
            return Err(bad(line, "legal_basis", "every rule says why".into()));
        }
        rules.push(RetentionRule { category: get(0), fields, kept_days, legal_basis });
    }
    for field in PERSONAL_FIELDS {
        let n = rules.iter().filter(|r| r.fields.iter().any(|f| f == field)).count();
        if n != 1 {
            return Err(bad(0, "fields", format!("{field} is in {n} categories; it must be in exactly one")));
        }
    }
    Ok(rules)
}
