//! Access management (R6, R11): the job catalogue that turns a job into roles, the pairs of
//! roles one person may not hold together, the nightly HR extracts, and the plan a sync
//! applies to who holds which role.
//!
//! Staff access follows the job, not whoever last edited a token: every night the HR systems
//! give one extract of internal staff and one of external staff; the catalogue says which
//! roles each job carries; [`plan`] compares the extracts with what Cloison holds and says who
//! joins (gets the job's roles), who moves (loses every grant and gets the new job's roles),
//! who leaves (loses everything at once), and whose HR record merely changed. Nothing here
//! reads a clock: the day the extract speaks for comes in as an argument.
//!
//! A manual exception (a role the job does not carry) needs the approval of a manager of a
//! service whose jobs carry that role, and an expiry ([`check_exception`]). Segregation of
//! duties is data ([`Duties`]): a pair of roles one person may never hold together is refused
//! in the catalogue itself and at every grant, naming both roles.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use jiff::civil::Date;
use serde::Serialize;

use crate::party::{PartyId, PartyKind, PersonName};
use crate::role::Role;

/// Why one line of a catalogue, a duties file or an extract was refused: the file, the
/// 1-based line, the column, a stable code and a sentence for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{file} line {line}, {field}: {code}: {reason}")]
pub struct LineError {
    /// Which file (`internal`, `external`, `jobs.csv`…).
    pub file: String,
    /// The 1-based line.
    pub line: u64,
    /// The column, as the header names it (`header` or `line` for the line as a whole).
    pub field: String,
    /// The stable code.
    pub code: &'static str,
    /// What was wrong, for a person.
    pub reason: String,
}

/// The most rows one extract may hold: ten times the largest DSO's staff, so a runaway
/// export is refused before it is held in memory whole.
pub const MAX_EXTRACT_ROWS: usize = 200_000;

/// A job's code in the HR systems and in the catalogue: 1 to 24 of `A-Z`, `0-9`, `-`, `_`,
/// kept upper-case (HR exports spell it either way).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct JobCode(String);

impl JobCode {
    /// The code, if `text` is one (case-insensitive).
    pub fn parse(text: &str) -> Option<JobCode> {
        let ok = (1..=24).contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
        ok.then(|| JobCode(text.to_ascii_uppercase()))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JobCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An employee's id in the HR systems: 1 to 32 of `A-Z`, `0-9`, `-`, `_`, case-insensitive
/// and kept upper-case. It is not personal data in itself, and it names the person's party:
/// `hr-` and the id in lower case ([`EmployeeId::party`]), so a person who leaves and comes
/// back is the same party, with the same history in the journal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct EmployeeId(String);

impl EmployeeId {
    /// The id, if `text` is one (case-insensitive).
    pub fn parse(text: &str) -> Option<EmployeeId> {
        let ok = (1..=32).contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
        ok.then(|| EmployeeId(text.to_ascii_uppercase()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The party that stands for this employee in Cloison.
    pub fn party(&self) -> PartyId {
        format!("hr-{}", self.0.to_ascii_lowercase())
            .parse()
            .expect("an employee id makes a valid party slug")
    }
}

impl fmt::Display for EmployeeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which extract a person comes from: the internal staff's or the external staff's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The DSO's own employees.
    Internal,
    /// Contractors and temporary staff, with their employer.
    External,
}

impl Origin {
    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Internal => "internal",
            Origin::External => "external",
        }
    }

    /// The origin its text form names.
    pub fn parse(text: &str) -> Option<Origin> {
        [Origin::Internal, Origin::External].into_iter().find(|o| o.as_str() == text)
    }
}

/// A person's status in the HR systems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HrStatus {
    /// At work.
    Active,
    /// Away for a while (long leave, suspension): no access meanwhile.
    Suspended,
    /// Gone.
    Left,
}

impl HrStatus {
    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            HrStatus::Active => "active",
            HrStatus::Suspended => "suspended",
            HrStatus::Left => "left",
        }
    }

    /// The status its text form names (case-insensitive).
    pub fn parse(text: &str) -> Option<HrStatus> {
        [HrStatus::Active, HrStatus::Suspended, HrStatus::Left]
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(text))
    }
}

/// A job of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Job {
    /// Its code.
    pub code: JobCode,
    /// What HR calls it.
    pub title: String,
    /// The service it belongs to: whose manager approves exceptions to its roles.
    pub service: String,
    /// The roles it carries (staff roles only; none for a job without access).
    pub roles: Vec<Role>,
    /// Whether the job manages its service, and so approves exceptions and access requests.
    pub manages: bool,
}

/// Two roles one person may never hold together, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Incompatibility {
    /// One role.
    pub role: Role,
    /// The other.
    pub other: Role,
    /// Why, for the person refused.
    pub reason: String,
}

/// The segregation of duties: the pairs of incompatible roles, as data beside the policies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Duties {
    pairs: Vec<Incompatibility>,
}

/// A grant that would put two incompatible roles on one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("segregation_of_duties: {role} and {other} may not be held by one person: {reason}")]
pub struct Segregation {
    /// The role asked for (or the first of the pair).
    pub role: Role,
    /// The role already held (or the second of the pair).
    pub other: Role,
    /// Why the pair is refused.
    pub reason: String,
}

impl Duties {
    /// Parses the duties file: `role,other_role,reason`, both staff roles and different.
    pub fn parse(file: &str, text: &str) -> Result<Duties, Vec<LineError>> {
        let mut errors = Vec::new();
        let mut pairs: Vec<Incompatibility> = Vec::new();
        for (line, record) in rows(file, text, &["role", "other_role", "reason"], &mut errors) {
            let fields: Vec<&str> = record.iter().collect();
            let at = |field: &str, code, reason: String| LineError {
                file: file.to_owned(),
                line,
                field: field.to_owned(),
                code,
                reason,
            };
            let role = staff_role(fields[0]).map_err(|r| at("role", "bad_role", r));
            let other = staff_role(fields[1]).map_err(|r| at("other_role", "bad_role", r));
            let (role, other) = match (role, other) {
                (Ok(a), Ok(b)) => (a, b),
                (a, b) => {
                    errors.extend(a.err());
                    errors.extend(b.err());
                    continue;
                }
            };
            if role == other {
                errors.push(at("other_role", "same_role", format!("{role} is paired with itself")));
            } else if fields[2].is_empty() {
                errors.push(at(
                    "reason",
                    "blank",
                    "a pair needs its reason, shown to whom it refuses".into(),
                ));
            } else if pairs.iter().any(|p| same_pair(p, role, other)) {
                errors.push(at("other_role", "duplicate", format!("{role} and {other} are paired twice")));
            } else {
                pairs.push(Incompatibility { role, other, reason: fields[2].to_owned() });
            }
        }
        if errors.is_empty() { Ok(Duties { pairs }) } else { Err(errors) }
    }

    /// Every pair, in file order.
    pub fn pairs(&self) -> &[Incompatibility] {
        &self.pairs
    }

    /// The first pair of incompatible roles among `roles`, if any.
    pub fn conflict(&self, roles: &[Role]) -> Option<Segregation> {
        self.pairs.iter().find(|p| roles.contains(&p.role) && roles.contains(&p.other)).map(|p| Segregation {
            role: p.role,
            other: p.other,
            reason: p.reason.clone(),
        })
    }

    /// Whether `role` may join `held`: refused, naming both roles, when it is incompatible
    /// with one of them.
    pub fn admit(&self, role: Role, held: &[Role]) -> Result<(), Segregation> {
        match self.pairs.iter().find(|p| {
            (p.role == role && held.contains(&p.other)) || (p.other == role && held.contains(&p.role))
        }) {
            Some(p) => Err(Segregation {
                role,
                other: if p.role == role { p.other } else { p.role },
                reason: p.reason.clone(),
            }),
            None => Ok(()),
        }
    }
}

fn same_pair(p: &Incompatibility, a: Role, b: Role) -> bool {
    (p.role == a && p.other == b) || (p.role == b && p.other == a)
}

fn staff_role(text: &str) -> Result<Role, String> {
    let role = Role::parse(text).map_err(|e| e.to_string())?;
    if role.fits(&PartyKind::Staff) {
        Ok(role)
    } else {
        Err(format!("{role} is not a staff role: staff jobs carry only staff roles"))
    }
}

/// The job catalogue: job code → roles, with the service each job belongs to. Versioned
/// beside the policies; its SHA-256 is written in every sync report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalogue {
    jobs: BTreeMap<JobCode, Job>,
}

impl Catalogue {
    /// Parses `job_code,title,service,roles,manages` (roles separated by `;`, manages `yes`
    /// or `no`), refusing a job whose own roles break `duties`.
    pub fn parse(file: &str, text: &str, duties: &Duties) -> Result<Catalogue, Vec<LineError>> {
        let mut errors = Vec::new();
        let mut jobs = BTreeMap::new();
        let header = ["job_code", "title", "service", "roles", "manages"];
        for (line, record) in rows(file, text, &header, &mut errors) {
            let fields: Vec<&str> = record.iter().collect();
            let at = |field: &str, code, reason: String| LineError {
                file: file.to_owned(),
                line,
                field: field.to_owned(),
                code,
                reason,
            };
            let Some(code) = JobCode::parse(fields[0]) else {
                errors.push(at("job_code", "bad_job_code", format!("{:?} is not a job code", fields[0])));
                continue;
            };
            let mut roles = Vec::new();
            let mut bad = false;
            for text in fields[3].split(';').map(str::trim).filter(|t| !t.is_empty()) {
                match staff_role(text) {
                    Ok(role) if !roles.contains(&role) => roles.push(role),
                    Ok(_) => {}
                    Err(reason) => {
                        errors.push(at("roles", "bad_role", reason));
                        bad = true;
                    }
                }
            }
            let manages = match fields[4].to_ascii_lowercase().as_str() {
                "yes" | "true" => true,
                "no" | "false" | "" => false,
                other => {
                    errors.push(at("manages", "bad_flag", format!("{other:?} is not yes or no")));
                    continue;
                }
            };
            if fields[1].is_empty() || fields[2].is_empty() {
                let field = if fields[1].is_empty() { "title" } else { "service" };
                errors.push(at(field, "blank", format!("job {code} needs its {field}")));
                continue;
            }
            if bad {
                continue;
            }
            if let Some(clash) = duties.conflict(&roles) {
                errors.push(at("roles", "segregation_of_duties", clash.to_string()));
                continue;
            }
            if jobs.contains_key(&code) {
                errors.push(at("job_code", "duplicate", format!("job {code} is listed twice")));
                continue;
            }
            let job = Job {
                code: code.clone(),
                title: fields[1].to_owned(),
                service: fields[2].to_owned(),
                roles,
                manages,
            };
            jobs.insert(code, job);
        }
        if errors.is_empty() { Ok(Catalogue { jobs }) } else { Err(errors) }
    }

    /// The job with this code.
    pub fn job(&self, code: &JobCode) -> Option<&Job> {
        self.jobs.get(code)
    }

    /// Every job, by code.
    pub fn jobs(&self) -> impl Iterator<Item = &Job> {
        self.jobs.values()
    }

    /// The roles a job carries; none for a job the catalogue does not know.
    pub fn roles(&self, code: &JobCode) -> &[Role] {
        self.jobs.get(code).map_or(&[], |job| &job.roles)
    }

    /// Whether a person in `job` may approve an exception granting `role`: the job manages a
    /// service some of whose jobs carry that role.
    pub fn approves(&self, job: &JobCode, role: Role) -> bool {
        let Some(manager) = self.jobs.get(job).filter(|j| j.manages) else {
            return false;
        };
        self.jobs.values().any(|j| j.service == manager.service && j.roles.contains(&role))
    }
}

/// What HR says of one person, as Cloison records it (names apart: those are sealed with
/// the person's party).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    /// Which extract.
    pub origin: Origin,
    /// The job.
    pub job: JobCode,
    /// The department, as HR names it.
    pub department: String,
    /// Who employs the person: the DSO, or the contractor of an external.
    pub employer: String,
    /// The first day of the contract.
    pub start: Date,
    /// The last day, when known.
    pub end: Option<Date>,
    /// The HR status.
    pub status: HrStatus,
}

impl Record {
    /// Whether the person may hold access on `today`: active, started, not ended.
    pub fn in_force(&self, today: Date) -> bool {
        self.status == HrStatus::Active && self.start <= today && self.end.is_none_or(|end| end >= today)
    }

    /// Why a person whose record this is holds no access on `today`.
    fn cause(&self, today: Date) -> Cause {
        match self.status {
            HrStatus::Left => Cause::Left,
            HrStatus::Suspended => Cause::Suspended,
            HrStatus::Active if self.start > today => Cause::NotStarted,
            HrStatus::Active => Cause::Ended,
        }
    }
}

/// One person of an extract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Employee {
    /// The HR id.
    pub employee: EmployeeId,
    /// The person's name: personal data, sealed with the party, never in a report.
    pub name: PersonName,
    /// The rest of the line.
    pub record: Record,
    /// The line it was read from.
    pub line: u64,
}

/// The columns of both extracts, in order.
pub const EXTRACT_HEADER: [&str; 8] =
    ["employee_id", "name", "job_code", "department", "employer", "start_date", "end_date", "status"];

/// Parses one extract against the catalogue. Every bad line is reported with its field and a
/// stable code (`bad_employee_id`, `blank`, `unknown_job`, `bad_date`, `end_before_start`,
/// `bad_status`, `duplicate_employee`, `too_many_rows`, `bad_csv`); the people are returned
/// only when there is none.
pub fn parse_extract(
    origin: Origin,
    text: &str,
    catalogue: &Catalogue,
) -> Result<Vec<Employee>, Vec<LineError>> {
    let file = origin.as_str();
    let mut errors = Vec::new();
    let mut people = Vec::new();
    let mut seen: HashMap<EmployeeId, u64> = HashMap::new();
    for (line, record) in rows(file, text, &EXTRACT_HEADER, &mut errors) {
        let fields: Vec<&str> = record.iter().collect();
        if people.len() + errors.len() >= MAX_EXTRACT_ROWS {
            errors.push(LineError {
                file: file.to_owned(),
                line,
                field: "line".into(),
                code: "too_many_rows",
                reason: format!("an extract holds at most {MAX_EXTRACT_ROWS} people"),
            });
            break;
        }
        match employee(origin, line, &fields, catalogue) {
            Ok(person) => match seen.get(&person.employee) {
                Some(first) => errors.push(LineError {
                    file: file.to_owned(),
                    line,
                    field: "employee_id".into(),
                    code: "duplicate_employee",
                    reason: format!("{} is already on line {first}", person.employee),
                }),
                None => {
                    seen.insert(person.employee.clone(), line);
                    people.push(person);
                }
            },
            Err(mut line_errors) => errors.append(&mut line_errors),
        }
    }
    errors.sort_by_key(|e| e.line);
    if errors.is_empty() { Ok(people) } else { Err(errors) }
}

/// Both extracts as one staff: refused when an id is in both (one person, one record).
pub fn merge(internal: Vec<Employee>, external: Vec<Employee>) -> Result<Vec<Employee>, Vec<LineError>> {
    let lines: HashMap<&EmployeeId, u64> = internal.iter().map(|e| (&e.employee, e.line)).collect();
    let errors: Vec<LineError> = external
        .iter()
        .filter_map(|e| {
            lines.get(&e.employee).map(|first| LineError {
                file: Origin::External.as_str().into(),
                line: e.line,
                field: "employee_id".into(),
                code: "duplicate_employee",
                reason: format!("{} is also on internal line {first}", e.employee),
            })
        })
        .collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut all = internal;
    all.extend(external);
    Ok(all)
}

fn employee(
    origin: Origin,
    line: u64,
    fields: &[&str],
    catalogue: &Catalogue,
) -> Result<Employee, Vec<LineError>> {
    let mut errors = Vec::new();
    let mut at = |field: &str, code, reason: String| {
        errors.push(LineError { file: origin.as_str().into(), line, field: field.into(), code, reason })
    };
    let id = EmployeeId::parse(fields[0]);
    if id.is_none() {
        at("employee_id", "bad_employee_id", format!("{:?} is not 1 to 32 of A-Z, 0-9, - and _", fields[0]));
    }
    let name = fields[1].parse::<PersonName>().ok();
    if name.is_none() {
        at("name", "blank", "the name must not be blank".into());
    }
    let job = match JobCode::parse(fields[2]) {
        Some(job) if catalogue.job(&job).is_some() => Some(job),
        Some(job) => {
            at("job_code", "unknown_job", format!("{job} is not in the job catalogue"));
            None
        }
        None => {
            at("job_code", "bad_job_code", format!("{:?} is not a job code", fields[2]));
            None
        }
    };
    for (field, value) in [("department", fields[3]), ("employer", fields[4])] {
        if value.is_empty() {
            at(field, "blank", format!("the {field} must not be blank"));
        } else if value.len() > 64 {
            at(field, "too_long", format!("the {field} has {} bytes, at most 64", value.len()));
        }
    }
    let mut date = |field: &str, text: &str| match text.parse::<Date>() {
        Ok(day) => Some(day),
        Err(_) => {
            at(field, "bad_date", format!("{text:?} is not a date YYYY-MM-DD"));
            None
        }
    };
    let start = date("start_date", fields[5]);
    let end = if fields[6].is_empty() { Some(None) } else { date("end_date", fields[6]).map(Some) };
    if let (Some(start), Some(Some(end))) = (start, end)
        && end < start
    {
        at("end_date", "end_before_start", format!("{end} is before the start date {start}"));
    }
    let status = HrStatus::parse(fields[7]);
    if status.is_none() {
        at("status", "bad_status", format!("{:?} is not active, suspended or left", fields[7]));
    }
    match (id, name, job, start, end, status) {
        (Some(employee), Some(name), Some(job), Some(start), Some(end), Some(status))
            if errors.is_empty() =>
        {
            let record = Record {
                origin,
                job,
                department: fields[3].to_owned(),
                employer: fields[4].to_owned(),
                start,
                end,
                status,
            };
            Ok(Employee { employee, name, record, line })
        }
        _ => Err(errors),
    }
}

/// The data lines of a CSV text whose header must be exactly `header`: each with its 1-based
/// line number and its trimmed fields. What cannot be read is added to `errors`.
fn rows(
    file: &str,
    text: &str,
    header: &[&str],
    errors: &mut Vec<LineError>,
) -> Vec<(u64, csv::StringRecord)> {
    let mut reader =
        csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(text.as_bytes());
    let error = |line: u64, field: &str, code, reason: String| LineError {
        file: file.to_owned(),
        line,
        field: field.to_owned(),
        code,
        reason,
    };
    match reader.headers() {
        Ok(found) if found.iter().eq(header.iter().copied()) => {}
        Ok(found) => {
            errors.push(error(
                1,
                "header",
                "bad_header",
                format!(
                    "found `{}`, expected `{}`",
                    found.iter().collect::<Vec<_>>().join(","),
                    header.join(",")
                ),
            ));
            return Vec::new();
        }
        Err(e) => {
            errors.push(error(1, "header", "bad_csv", e.to_string()));
            return Vec::new();
        }
    }
    let mut out = Vec::new();
    for record in reader.records() {
        match record {
            Ok(record) => {
                let line = record.position().map_or(0, |p| p.line());
                if record.iter().all(str::is_empty) {
                    continue;
                }
                if record.len() != header.len() {
                    errors.push(error(
                        line,
                        "line",
                        "field_count",
                        format!("{} columns, the header has {}", record.len(), header.len()),
                    ));
                    continue;
                }
                out.push((line, record));
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(error(line, "line", "bad_csv", e.to_string()));
            }
        }
    }
    out
}

/// Where a grant came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The person's job, by the catalogue.
    Job(JobCode),
    /// A manual exception, approved by a service manager, with an expiry.
    Exception,
    /// Emergency access opened by support, limited in time (R10).
    BreakGlass,
}

impl Source {
    /// The stable text form: `job:<code>`, `exception`, `break_glass`.
    pub fn to_text(&self) -> String {
        match self {
            Source::Job(code) => format!("job:{code}"),
            Source::Exception => "exception".into(),
            Source::BreakGlass => "break_glass".into(),
        }
    }

    /// The source its text form names.
    pub fn parse(text: &str) -> Option<Source> {
        match text {
            "exception" => Some(Source::Exception),
            "break_glass" => Some(Source::BreakGlass),
            _ => text.strip_prefix("job:").and_then(JobCode::parse).map(Source::Job),
        }
    }
}

/// A grant a person holds now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Held {
    /// The grant's id.
    pub grant: String,
    /// Who holds it.
    pub party: PartyId,
    /// The role.
    pub role: Role,
    /// Where it came from.
    pub source: Source,
}

/// What Cloison holds of one employee: the latest record, and whether it gave access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Current {
    /// The HR id.
    pub employee: EmployeeId,
    /// The latest record.
    pub record: Record,
    /// Whether the person held access after the sync that wrote it.
    pub active: bool,
}

/// What kind of change a sync makes to one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// Arrives (or comes back): gets the job's roles.
    Joiner,
    /// Changes job: loses every grant, gets the new job's roles.
    Mover,
    /// Leaves, is suspended, or is gone from both extracts: loses every grant and token.
    Leaver,
    /// The HR record changed (department, employer, end date) but not the access.
    Updated,
}

impl ChangeKind {
    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Joiner => "joiner",
            ChangeKind::Mover => "mover",
            ChangeKind::Leaver => "leaver",
            ChangeKind::Updated => "updated",
        }
    }
}

/// Why a leaver leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// HR says so.
    Left,
    /// HR suspended the person.
    Suspended,
    /// The contract's end date has passed.
    Ended,
    /// The contract has not started yet (a start date moved later).
    NotStarted,
    /// Gone from both extracts.
    Absent,
}

/// One grant a change takes away.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Revoke {
    /// The grant's id.
    pub grant: String,
    /// Its role.
    pub role: Role,
}

/// One person's change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// What kind.
    pub kind: ChangeKind,
    /// The HR id.
    pub employee: EmployeeId,
    /// The person's party.
    pub party: PartyId,
    /// The name, for a party created now: sealed by the store, never in the report.
    #[serde(skip)]
    pub name: Option<PersonName>,
    /// The record written for the person now.
    pub record: Record,
    /// Whether the person holds access after the change.
    pub active: bool,
    /// The job before, for a mover.
    pub from_job: Option<JobCode>,
    /// Why a leaver leaves.
    pub cause: Option<Cause>,
    /// The grants taken away.
    pub revoke: Vec<Revoke>,
    /// The roles granted, from the record's job.
    pub grant: Vec<Role>,
}

/// What a sync would do, person by person.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// The changes, by employee id.
    pub changes: Vec<Change>,
    /// People whose record and access stay as they are.
    pub unchanged: usize,
    /// People holding access before the sync.
    pub active_before: usize,
}

impl Plan {
    /// How many changes of `kind`.
    pub fn count(&self, kind: ChangeKind) -> usize {
        self.changes.iter().filter(|c| c.kind == kind).count()
    }

    /// Refuses a plan that would take access from more than `max_percent` of the people who
    /// hold it: a truncated or empty extract must not fire everybody. `force` overrides it.
    pub fn guard(&self, max_percent: u32, force: bool) -> Result<(), MassRemoval> {
        let leavers = self.count(ChangeKind::Leaver);
        let over = leavers as u64 * 100 > u64::from(max_percent) * self.active_before as u64;
        if over && !force {
            Err(MassRemoval { leavers, active: self.active_before, max_percent })
        } else {
            Ok(())
        }
    }
}

/// A plan refused because it would remove too many people at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error(
    "mass_removal: the extracts would take access from {leavers} of the {active} people who hold \
     it, more than {max_percent}%; check that the files are whole, or force the sync"
)]
pub struct MassRemoval {
    /// People who would lose access.
    pub leavers: usize,
    /// People holding access now.
    pub active: usize,
    /// The configured ceiling.
    pub max_percent: u32,
}

/// Compares the extracts (merged) with what Cloison holds, for `today`. Deterministic: the
/// changes come sorted by employee id, and each one's grants in role order.
pub fn plan(
    catalogue: &Catalogue,
    staff: &[Employee],
    current: &[Current],
    held: &[Held],
    today: Date,
) -> Plan {
    let mut by_party: HashMap<&PartyId, Vec<&Held>> = HashMap::new();
    for grant in held {
        by_party.entry(&grant.party).or_default().push(grant);
    }
    let revoke_all = |party: &PartyId| -> Vec<Revoke> {
        let mut all: Vec<Revoke> = by_party
            .get(party)
            .into_iter()
            .flatten()
            .map(|h| Revoke { grant: h.grant.clone(), role: h.role })
            .collect();
        all.sort_by(|a, b| (a.role, &a.grant).cmp(&(b.role, &b.grant)));
        all
    };
    let roles_of = |job: &JobCode| -> Vec<Role> {
        let mut roles = catalogue.roles(job).to_vec();
        roles.sort();
        roles
    };
    let known: HashMap<&EmployeeId, &Current> = current.iter().map(|c| (&c.employee, c)).collect();
    let mut plan = Plan { active_before: current.iter().filter(|c| c.active).count(), ..Plan::default() };
    let mut listed: BTreeSet<&EmployeeId> = BTreeSet::new();
    for person in staff {
        listed.insert(&person.employee);
        let party = person.employee.party();
        let now = person.record.in_force(today);
        let change = |kind, revoke, grant, from_job, cause| Change {
            kind,
            employee: person.employee.clone(),
            party: party.clone(),
            name: Some(person.name.clone()),
            record: person.record.clone(),
            active: now,
            from_job,
            cause,
            revoke,
            grant,
        };
        let Some(before) = known.get(&person.employee) else {
            if now {
                plan.changes.push(change(
                    ChangeKind::Joiner,
                    Vec::new(),
                    roles_of(&person.record.job),
                    None,
                    None,
                ));
            } else {
                // Not yet started, or already gone before Cloison knew of them: nothing to
                // grant, and no record to keep of someone who never held access.
                plan.unchanged += 1;
            }
            continue;
        };
        let same_record = before.record == person.record;
        match (before.active, now) {
            (false, true) => plan.changes.push(change(
                ChangeKind::Joiner,
                revoke_all(&party),
                roles_of(&person.record.job),
                None,
                None,
            )),
            (true, false) => plan.changes.push(change(
                ChangeKind::Leaver,
                revoke_all(&party),
                Vec::new(),
                None,
                Some(person.record.cause(today)),
            )),
            (true, true) if before.record.job != person.record.job => plan.changes.push(change(
                ChangeKind::Mover,
                revoke_all(&party),
                roles_of(&person.record.job),
                Some(before.record.job.clone()),
                None,
            )),
            _ if same_record => plan.unchanged += 1,
            _ => plan.changes.push(change(ChangeKind::Updated, Vec::new(), Vec::new(), None, None)),
        }
    }
    for before in current.iter().filter(|c| c.active && !listed.contains(&c.employee)) {
        let party = before.employee.party();
        plan.changes.push(Change {
            kind: ChangeKind::Leaver,
            employee: before.employee.clone(),
            revoke: revoke_all(&party),
            party,
            name: None,
            record: before.record.clone(),
            active: false,
            from_job: None,
            cause: Some(Cause::Absent),
            grant: Vec::new(),
        });
    }
    plan.changes.sort_by(|a, b| a.employee.cmp(&b.employee));
    plan
}

/// Why a manual exception was refused; each names its field and has a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExceptionError {
    /// The person is not staff Cloison knows from the HR extracts, or holds no access now.
    #[error("party: {0} is not a member of staff holding access")]
    NotActive(String),
    /// The approver is not an active manager of a service whose jobs carry the role.
    #[error("approver: {approver} does not manage a service whose jobs carry {role}")]
    NotManager {
        /// The approver named.
        approver: String,
        /// The role asked for.
        role: Role,
    },
    /// Nobody approves their own exception.
    #[error("approver: nobody approves an exception for themselves")]
    SelfApproved,
    /// The role is not a staff role.
    #[error("role: {0} is not a staff role")]
    NotStaffRole(Role),
    /// The person holds the role already.
    #[error("role: {party} holds {role} already")]
    AlreadyHeld {
        /// The person.
        party: String,
        /// The role.
        role: Role,
    },
    /// The expiry is not after today, or more than a year away.
    #[error("until: {until} must be after {today} and at most {MAX_EXCEPTION_DAYS} days later")]
    BadExpiry {
        /// The expiry asked for.
        until: Date,
        /// The day of the request.
        today: Date,
    },
    /// The role is incompatible with one the person holds.
    #[error("role: {0}")]
    Segregation(Segregation),
}

impl ExceptionError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ExceptionError::NotActive(_) => "not_active_staff",
            ExceptionError::NotManager { .. } => "approver_not_manager",
            ExceptionError::SelfApproved => "self_approved",
            ExceptionError::NotStaffRole(_) => "not_a_staff_role",
            ExceptionError::AlreadyHeld { .. } => "already_held",
            ExceptionError::BadExpiry { .. } => "bad_expiry",
            ExceptionError::Segregation(_) => "segregation_of_duties",
        }
    }

    /// The field it is about.
    pub fn field(&self) -> &'static str {
        match self {
            ExceptionError::NotActive(_) => "party",
            ExceptionError::NotManager { .. } | ExceptionError::SelfApproved => "approver",
            ExceptionError::NotStaffRole(_)
            | ExceptionError::AlreadyHeld { .. }
            | ExceptionError::Segregation(_) => "role",
            ExceptionError::BadExpiry { .. } => "until",
        }
    }
}

/// The longest a manual exception may run: a year, after which it is asked for again.
pub const MAX_EXCEPTION_DAYS: i32 = 366;

/// A manual exception asked for: `role` for `holder` until `until` (included), approved by
/// `approver`.
#[derive(Debug, Clone)]
pub struct ExceptionAsk<'a> {
    /// The person's latest record (`None`: not staff from the extracts).
    pub holder: Option<&'a Current>,
    /// The roles the person holds now.
    pub held: &'a [Role],
    /// The approver's latest record (`None`: not staff from the extracts).
    pub approver: Option<&'a Current>,
    /// The role.
    pub role: Role,
    /// The day asked on.
    pub today: Date,
    /// The last day of the exception.
    pub until: Date,
}

/// Checks a manual exception: an active holder, a staff role not held yet and compatible with
/// those held, approved by an active manager (not the holder) of a service whose jobs carry
/// the role, for at most [`MAX_EXCEPTION_DAYS`].
pub fn check_exception(
    catalogue: &Catalogue,
    duties: &Duties,
    ask: &ExceptionAsk<'_>,
) -> Result<(), ExceptionError> {
    let holder = ask.holder.filter(|h| h.active).ok_or_else(|| {
        ExceptionError::NotActive(
            ask.holder.map_or_else(|| "this party".into(), |h| h.employee.party().to_string()),
        )
    })?;
    if !ask.role.fits(&PartyKind::Staff) {
        return Err(ExceptionError::NotStaffRole(ask.role));
    }
    if ask.held.contains(&ask.role) {
        return Err(ExceptionError::AlreadyHeld {
            party: holder.employee.party().to_string(),
            role: ask.role,
        });
    }
    let latest = ask.today.checked_add(jiff::Span::new().days(MAX_EXCEPTION_DAYS)).unwrap_or(Date::MAX);
    if ask.until <= ask.today || ask.until > latest {
        return Err(ExceptionError::BadExpiry { until: ask.until, today: ask.today });
    }
    let not_manager = |approver: String| ExceptionError::NotManager { approver, role: ask.role };
    let approver = ask.approver.ok_or_else(|| not_manager("this party".into()))?;
    if approver.employee == holder.employee {
        return Err(ExceptionError::SelfApproved);
    }
    if !approver.active || !catalogue.approves(&approver.record.job, ask.role) {
        return Err(not_manager(approver.employee.party().to_string()));
    }
    duties.admit(ask.role, ask.held).map_err(ExceptionError::Segregation)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    const DUTIES: &str = "role,other_role,reason\n\
        support,register_staff,support sees no personal data (R10)\n\
        support,metering_staff,support sees no personal data (R10)\n\
        auditor,register_staff,the ethics committee does not control its own work\n";

    const JOBS: &str = "job_code,title,service,roles,manages\n\
        REG-AGENT,Access register agent,register,register_staff,no\n\
        REG-LEAD,Access register team lead,register,register_staff,yes\n\
        MET-AGENT,Metering agent,metering,metering_staff,no\n\
        MET-READER,Meter reader,metering,meter_reader,no\n\
        SUP-ADMIN,System administrator,it,support,no\n\
        FIELD-TECH,Field technician,works,,no\n";

    fn duties() -> Duties {
        Duties::parse("duties.csv", DUTIES).expect("valid duties")
    }

    fn catalogue() -> Catalogue {
        Catalogue::parse("jobs.csv", JOBS, &duties()).expect("valid catalogue")
    }

    fn line(id: &str, job: &str, start: &str, end: &str, status: &str) -> String {
        format!("{id},\"Doe, Jane\",{job},Market,ORES,{start},{end},{status}\n")
    }

    fn extract(lines: &[String]) -> String {
        let mut text = EXTRACT_HEADER.join(",") + "\n";
        lines.iter().for_each(|l| text.push_str(l));
        text
    }

    fn current(id: &str, job: &str, active: bool) -> Current {
        Current {
            employee: EmployeeId::parse(id).expect("valid in the test"),
            record: Record {
                origin: Origin::Internal,
                job: JobCode::parse(job).expect("valid in the test"),
                department: "Market".into(),
                employer: "ORES".into(),
                start: date(2020, 1, 1),
                end: None,
                status: if active { HrStatus::Active } else { HrStatus::Left },
            },
            active,
        }
    }

    fn held(id: &str, grant: &str, role: Role, source: Source) -> Held {
        Held {
            grant: grant.into(),
            party: EmployeeId::parse(id).expect("valid in the test").party(),
            role,
            source,
        }
    }

    #[test]
    fn a_quoted_name_with_a_comma_is_one_field_and_never_reaches_the_report() {
        let people = parse_extract(
            Origin::Internal,
            &extract(&[line("i-001", "reg-agent", "2020-01-01", "", "Active")]),
            &catalogue(),
        )
        .expect("valid extract");
        assert_eq!(String::from(people[0].name.clone()), "Doe, Jane");
        assert_eq!(people[0].employee.as_str(), "I-001");
        assert_eq!(people[0].employee.party().as_str(), "hr-i-001");
        assert_eq!(people[0].record.job.as_str(), "REG-AGENT");
        let plan = plan(&catalogue(), &people, &[], &[], date(2026, 12, 7));
        let json = serde_json::to_string(&plan).expect("valid in the test");
        assert!(!json.contains("Doe"), "names stay out of the report: {json}");
    }

    #[test]
    fn every_bad_field_is_named_with_its_line_and_code() {
        let text = extract(&[
            line("i-001", "NOPE", "2020-01-01", "", "active"),
            line("i 002", "REG-AGENT", "2020-01-01", "", "active"),
            line("i-003", "REG-AGENT", "2020-02-30", "", "active"),
            line("i-004", "REG-AGENT", "2021-01-01", "2020-12-31", "active"),
            line("i-005", "REG-AGENT", "2020-01-01", "", "gone"),
            line("I-001", "REG-AGENT", "2020-01-01", "", "active"),
            "i-007,,REG-AGENT,Market,ORES,2020-01-01,,active\n".into(),
            "i-008,X,REG-AGENT\n".into(),
        ]);
        let errors = parse_extract(Origin::Internal, &text, &catalogue()).expect_err("bad lines");
        let got: Vec<(u64, &str, &str)> = errors.iter().map(|e| (e.line, e.field.as_str(), e.code)).collect();
        assert_eq!(
            got,
            [
                (2, "job_code", "unknown_job"),
                (3, "employee_id", "bad_employee_id"),
                (4, "start_date", "bad_date"),
                (5, "end_date", "end_before_start"),
                (6, "status", "bad_status"),
                (8, "name", "blank"),
                (9, "line", "field_count"),
            ],
            "{errors:#?}"
        );
        // Line 7 repeats line 2's id, whose line was refused: the duplicate shows once it is fixed.
        let text = extract(&[
            line("i-001", "REG-AGENT", "2020-01-01", "", "active"),
            line("I-001", "MET-AGENT", "2020-01-01", "", "active"),
        ]);
        let errors = parse_extract(Origin::Internal, &text, &catalogue()).expect_err("duplicate");
        assert_eq!((errors[0].line, errors[0].code), (3, "duplicate_employee"));
        assert!(errors[0].reason.contains("line 2"), "{}", errors[0].reason);
    }

    #[test]
    fn a_wrong_header_is_refused_before_any_line() {
        let errors = parse_extract(Origin::External, "id,name\n1,x\n", &catalogue()).expect_err("header");
        assert_eq!((errors[0].field.as_str(), errors[0].code), ("header", "bad_header"));
        assert_eq!(errors.len(), 1);
    }

    #[test]
    fn one_person_in_both_extracts_is_refused() {
        let a = parse_extract(
            Origin::Internal,
            &extract(&[line("X-1", "REG-AGENT", "2020-01-01", "", "active")]),
            &catalogue(),
        )
        .expect("valid in the test");
        let b = parse_extract(
            Origin::External,
            &extract(&[line("x-1", "MET-AGENT", "2020-01-01", "", "active")]),
            &catalogue(),
        )
        .expect("valid in the test");
        let errors = merge(a, b).expect_err("same id twice");
        assert_eq!((errors[0].file.as_str(), errors[0].code), ("external", "duplicate_employee"));
    }

    #[test]
    fn joiners_movers_leavers_and_updates_are_told_apart() {
        let today = date(2026, 12, 7);
        let text = extract(&[
            line("A-1", "REG-AGENT", "2026-12-01", "", "active"), // new, started: joiner
            line("A-2", "REG-AGENT", "2027-01-04", "", "active"), // new, not started: nothing
            line("B-1", "MET-AGENT", "2020-01-01", "", "active"), // was REG-AGENT: mover
            line("B-2", "REG-AGENT", "2020-01-01", "", "left"),   // leaver
            line("B-3", "REG-AGENT", "2020-01-01", "2026-12-06", "active"), // ended yesterday
            line("B-4", "REG-AGENT", "2020-01-01", "2026-12-31", "active"), // end date known: update
            line("B-5", "REG-AGENT", "2020-01-01", "", "active"), // unchanged
            line("C-1", "MET-READER", "2020-01-01", "", "active"), // was inactive: joiner again
        ]);
        let staff = parse_extract(Origin::Internal, &text, &catalogue()).expect("valid in the test");
        let current = [
            current("B-1", "REG-AGENT", true),
            current("B-2", "REG-AGENT", true),
            current("B-3", "REG-AGENT", true),
            current("B-4", "REG-AGENT", true),
            current("B-5", "REG-AGENT", true),
            current("B-6", "REG-AGENT", true), // gone from the extract
            current("C-1", "MET-READER", false),
        ];
        let grants = [
            held(
                "B-1",
                "g1",
                Role::RegisterStaff,
                Source::Job(JobCode::parse("REG-AGENT").expect("valid in the test")),
            ),
            held("B-1", "g1x", Role::MeterReader, Source::Exception),
            held(
                "B-2",
                "g2",
                Role::RegisterStaff,
                Source::Job(JobCode::parse("REG-AGENT").expect("valid in the test")),
            ),
            held(
                "B-6",
                "g6",
                Role::RegisterStaff,
                Source::Job(JobCode::parse("REG-AGENT").expect("valid in the test")),
            ),
        ];
        let plan = plan(&catalogue(), &staff, &current, &grants, today);
        type Row<'a> = (&'a str, ChangeKind, Option<Cause>, Vec<&'a str>, Vec<Role>);
        let got: Vec<Row<'_>> = plan
            .changes
            .iter()
            .map(|c| {
                (
                    c.employee.as_str(),
                    c.kind,
                    c.cause,
                    c.revoke.iter().map(|r| r.grant.as_str()).collect(),
                    c.grant.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("A-1", ChangeKind::Joiner, None, vec![], vec![Role::RegisterStaff]),
                ("B-1", ChangeKind::Mover, None, vec!["g1", "g1x"], vec![Role::MeteringStaff]),
                ("B-2", ChangeKind::Leaver, Some(Cause::Left), vec!["g2"], vec![]),
                ("B-3", ChangeKind::Leaver, Some(Cause::Ended), vec![], vec![]),
                ("B-4", ChangeKind::Updated, None, vec![], vec![]),
                ("B-6", ChangeKind::Leaver, Some(Cause::Absent), vec!["g6"], vec![]),
                ("C-1", ChangeKind::Joiner, None, vec![], vec![Role::MeterReader]),
            ]
        );
        assert_eq!((plan.unchanged, plan.active_before), (2, 6));
        assert_eq!(plan.changes[1].from_job.as_ref().map(JobCode::as_str), Some("REG-AGENT"));
    }

    #[test]
    fn the_mass_removal_guard_counts_leavers_against_who_holds_access() {
        let today = date(2026, 12, 7);
        let current: Vec<Current> = (0..20).map(|i| current(&format!("P-{i}"), "REG-AGENT", true)).collect();
        // An empty extract (a truncated file) would fire all twenty.
        let empty = plan(&catalogue(), &[], &current, &[], today);
        let refused = empty.guard(10, false).expect_err("everybody out");
        assert_eq!((refused.leavers, refused.active, refused.max_percent), (20, 20, 10));
        assert!(refused.to_string().starts_with("mass_removal: "), "{refused}");
        empty.guard(10, true).expect("forced");
        // Two of twenty is 10%: allowed; three is over.
        let keep = |n: usize| {
            let lines: Vec<String> =
                (0..n).map(|i| line(&format!("P-{i}"), "REG-AGENT", "2020-01-01", "", "active")).collect();
            parse_extract(Origin::Internal, &extract(&lines), &catalogue()).expect("valid in the test")
        };
        plan(&catalogue(), &keep(18), &current, &[], today).guard(10, false).expect("two leave");
        plan(&catalogue(), &keep(17), &current, &[], today).guard(10, false).expect_err("three leave");
    }

    #[test]
    fn a_job_whose_roles_break_the_duties_is_refused_in_the_catalogue() {
        let text = "job_code,title,service,roles,manages\nODD,Odd job,it,support;register_staff,no\n";
        let errors = Catalogue::parse("jobs.csv", text, &duties()).expect_err("incompatible roles");
        assert_eq!(
            (errors[0].line, errors[0].field.as_str(), errors[0].code),
            (2, "roles", "segregation_of_duties")
        );
        assert!(errors[0].reason.contains("support") && errors[0].reason.contains("register_staff"));
        let text = "job_code,title,service,roles,manages\nODD,Odd job,it,supplier,no\n";
        let errors = Catalogue::parse("jobs.csv", text, &duties()).expect_err("not a staff role");
        assert_eq!(errors[0].code, "bad_role");
    }

    #[test]
    fn an_exception_needs_a_manager_of_the_role_an_expiry_and_compatible_duties() {
        let cat = catalogue();
        let duties = duties();
        let today = date(2026, 12, 7);
        let holder = current("A-1", "MET-AGENT", true);
        let lead = current("L-1", "REG-LEAD", true);
        let agent = current("L-2", "REG-AGENT", true);
        let admin = current("S-1", "SUP-ADMIN", true);
        let check = |holder: &Current, held: &[Role], approver: Option<&Current>, role, until| {
            check_exception(
                &cat,
                &duties,
                &ExceptionAsk { holder: Some(holder), held, approver, role, today, until },
            )
            .map_err(|e| (e.field(), e.code()))
        };
        let next_month = date(2027, 1, 7);
        assert_eq!(
            check(&holder, &[Role::MeteringStaff], Some(&lead), Role::RegisterStaff, next_month),
            Ok(())
        );
        assert_eq!(
            check(&holder, &[Role::MeteringStaff], Some(&agent), Role::RegisterStaff, next_month),
            Err(("approver", "approver_not_manager"))
        );
        assert_eq!(
            check(&lead, &[Role::RegisterStaff], Some(&lead), Role::MeteringStaff, next_month),
            Err(("approver", "self_approved"))
        );
        assert_eq!(
            check(&holder, &[Role::MeteringStaff], Some(&lead), Role::RegisterStaff, today),
            Err(("until", "bad_expiry"))
        );
        assert_eq!(
            check(&holder, &[Role::MeteringStaff], Some(&lead), Role::RegisterStaff, date(2028, 1, 1)),
            Err(("until", "bad_expiry"))
        );
        assert_eq!(
            check(&holder, &[Role::MeteringStaff], Some(&lead), Role::Supplier, next_month),
            Err(("role", "not_a_staff_role"))
        );
        let e = check_exception(
            &cat,
            &duties,
            &ExceptionAsk {
                holder: Some(&admin),
                held: &[Role::Support],
                approver: Some(&lead),
                role: Role::RegisterStaff,
                today,
                until: next_month,
            },
        )
        .expect_err("support may not read the register");
        assert_eq!(e.code(), "segregation_of_duties");
        let text = e.to_string();
        assert!(text.contains("register_staff") && text.contains("support"), "{text}");
        let gone = current("A-9", "MET-AGENT", false);
        assert_eq!(
            check(&gone, &[], Some(&lead), Role::RegisterStaff, next_month),
            Err(("party", "not_active_staff"))
        );
    }

    fn arb_current() -> impl Strategy<Value = Vec<(u8, u8, bool)>> {
        proptest::collection::vec((0u8..30, 0u8..3, any::<bool>()), 0..30)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Applying a plan and planning again from the same extracts changes nothing: a
        /// nightly sync run twice is one sync.
        #[test]
        fn a_plan_applied_then_planned_again_is_empty(
            before in arb_current(),
            listed in proptest::collection::vec((0u8..30, 0u8..3, 0u8..3), 0..30),
        ) {
            let jobs = ["REG-AGENT", "MET-AGENT", "MET-READER"];
            let statuses = ["active", "left", "suspended"];
            let today = date(2026, 12, 7);
            let mut seen = BTreeSet::new();
            let lines: Vec<String> = listed
                .iter()
                .filter(|(id, _, _)| seen.insert(*id))
                .map(|(id, job, status)| line(&format!("E-{id}"), jobs[*job as usize], "2020-01-01", "", statuses[*status as usize]))
                .collect();
            let staff = parse_extract(Origin::Internal, &extract(&lines), &catalogue()).expect("valid in the test");
            let mut seen = BTreeSet::new();
            let mut current: Vec<Current> = before
                .iter()
                .filter(|(id, _, _)| seen.insert(*id))
                .map(|(id, job, active)| current(&format!("E-{id}"), jobs[*job as usize], *active))
                .collect();
            // Those who hold access hold their job's roles.
            let mut grants: Vec<Held> = current
                .iter()
                .filter(|c| c.active)
                .flat_map(|c| {
                    catalogue().roles(&c.record.job).iter().map(|r| Held {
                        grant: format!("{}-{r}", c.employee),
                        party: c.employee.party(),
                        role: *r,
                        source: Source::Job(c.record.job.clone()),
                    }).collect::<Vec<_>>()
                })
                .collect();
            let first = plan(&catalogue(), &staff, &current, &grants, today);
            // Apply it.
            for change in &first.changes {
                grants.retain(|g| !change.revoke.iter().any(|r| r.grant == g.grant));
                for role in &change.grant {
                    grants.push(Held {
                        grant: format!("{}-{role}-new", change.employee),
                        party: change.party.clone(),
                        role: *role,
                        source: Source::Job(change.record.job.clone()),
                    });
                }
                let next = Current { employee: change.employee.clone(), record: change.record.clone(), active: change.active };
                match current.iter_mut().find(|c| c.employee == change.employee) {
                    Some(c) => *c = next,
                    None => current.push(next),
                }
                // A leaver holds nothing; anyone else holds exactly their job's roles.
                let mut roles: Vec<Role> = grants.iter().filter(|g| g.party == change.party).map(|g| g.role).collect();
                roles.sort();
                let mut expected = if change.active { catalogue().roles(&change.record.job).to_vec() } else { Vec::new() };
                expected.sort();
                if change.kind != ChangeKind::Updated {
                    prop_assert_eq!(roles, expected);
                }
            }
            let second = plan(&catalogue(), &staff, &current, &grants, today);
            prop_assert!(second.changes.is_empty(), "{:?}", second.changes);
        }
    }
}
