//! Access management's persistence (R6, R11): staff records, role grants and their
//! revocations, sync reports.
//!
//! What a sync or an exception decides is the domain's ([`domain::staff`]); these are the
//! writer's primitives that record it, each row bound to the entry that wrote it, and the
//! reads that give the domain what Cloison holds now. A grant ends by a revocation row or by
//! its expiry, never by an update, so who held which role when stays readable (I4).
//!
//! Whether a token still works follows from the grants: a party that came from the HR
//! extracts calls in a role only while it holds a grant of that role (`tokens.rs`), so a
//! leaver, a mover's old role and an expired exception are refused at the next request even
//! before their tokens are revoked.

use std::collections::HashMap;

use domain::staff::{Current, EmployeeId, Held, HrStatus, JobCode, Origin, Record, Source};
use domain::{PartyId, Role};
use jiff::Timestamp;
use jiff::civil::Date;
use rand::RngCore;

use crate::bound::{
    BREAK_GLASS, ROLE_GRANTS, ROLE_REVOCATIONS, STAFF_RECORDS, SYNC_REPORTS, TOKEN_REVOCATIONS,
};
use crate::local::Columns;
use crate::register::micros;
use crate::{Store, StoreError, WriteTx, corrupt};

/// What Cloison holds of its staff now: each employee's latest record, the next version
/// number to write for each, and the grants in force.
#[derive(Debug, Clone, Default)]
pub struct StaffState {
    /// Each employee's latest record.
    pub current: Vec<Current>,
    /// The grants in force (not revoked, not expired).
    pub held: Vec<Held>,
    versions: HashMap<EmployeeId, i64>,
    /// The parties named like employees' (`hr-…`), and whether each is staff: a joiner's
    /// party is created once, and one of another kind refuses the sync.
    parties: HashMap<PartyId, bool>,
}

impl StaffState {
    /// The version the next record of `employee` takes.
    pub fn next_version(&self, employee: &EmployeeId) -> i64 {
        self.versions.get(employee).map_or(1, |v| v + 1)
    }

    /// Whether `party` exists, and whether it is staff.
    pub fn party_is_staff(&self, party: &PartyId) -> Option<bool> {
        self.parties.get(party).copied()
    }

    /// The latest record of the employee whose party is `party`.
    pub fn of_party(&self, party: &PartyId) -> Option<&Current> {
        self.current.iter().find(|c| &c.employee.party() == party)
    }

    /// The roles `party` holds now.
    pub fn roles_of(&self, party: &PartyId) -> Vec<Role> {
        let mut roles: Vec<Role> = self.held.iter().filter(|h| &h.party == party).map(|h| h.role).collect();
        roles.sort();
        roles.dedup();
        roles
    }
}

const LATEST_RECORDS: &str = "SELECT s.employee_id, s.version, s.origin, s.job_code, s.department, s.employer, \
     s.start_day, s.end_day, s.status, s.active FROM staff_records s \
     WHERE s.version = (SELECT MAX(t.version) FROM staff_records t WHERE t.employee_id = s.employee_id)";

/// A grant `g` in force at `$1`: not expired, not revoked. The same words decide a token's
/// use (`tokens.rs`).
pub(crate) const IN_FORCE: &str = "(g.expires_us IS NULL OR g.expires_us > $1) \
     AND NOT EXISTS (SELECT 1 FROM role_revocations v WHERE v.grant_id = g.grant_id)";

fn grants_in_force(more: &str) -> String {
    format!(
        "SELECT g.grant_id, g.party_id, g.role, g.source, g.approver, g.expires_us, g.granted_at \
         FROM role_grants g WHERE {IN_FORCE} {more}"
    )
}

async fn staff_state(conn: &mut sqlx::AnyConnection, now: Timestamp) -> Result<StaffState, StoreError> {
    let mut state = StaffState::default();
    for row in sqlx::query(LATEST_RECORDS).fetch_all(&mut *conn).await? {
        let employee =
            EmployeeId::parse(&row.text("employee_id")?).ok_or_else(|| corrupt("staff employee id"))?;
        state.versions.insert(employee.clone(), row.int("version")?);
        state.current.push(Current { employee, record: record_from(&row)?, active: row.int("active")? != 0 });
    }
    state.current.sort_by(|a, b| a.employee.cmp(&b.employee));
    for row in sqlx::query(&grants_in_force("")).bind(micros(now)).fetch_all(&mut *conn).await? {
        state.held.push(held_from(&row)?);
    }
    state.held.sort_by(|a, b| (&a.party, a.role, &a.grant).cmp(&(&b.party, b.role, &b.grant)));
    for row in sqlx::query("SELECT party_id, kind FROM parties WHERE party_id LIKE 'hr-%'")
        .fetch_all(&mut *conn)
        .await?
    {
        let party = row.text("party_id")?.parse().map_err(|_| corrupt("party id"))?;
        state.parties.insert(party, row.text("kind")? == "staff");
    }
    Ok(state)
}

fn record_from(row: &impl Columns) -> Result<Record, StoreError> {
    let day = |text: String| text.parse::<Date>().map_err(|_| corrupt("staff record day"));
    Ok(Record {
        origin: Origin::parse(&row.text("origin")?).ok_or_else(|| corrupt("staff origin"))?,
        job: JobCode::parse(&row.text("job_code")?).ok_or_else(|| corrupt("staff job code"))?,
        department: row.text("department")?,
        employer: row.text("employer")?,
        start: day(row.text("start_day")?)?,
        end: row.opt_text("end_day")?.map(day).transpose()?,
        status: HrStatus::parse(&row.text("status")?).ok_or_else(|| corrupt("staff status"))?,
    })
}

fn held_from(row: &impl Columns) -> Result<Held, StoreError> {
    Ok(Held {
        grant: row.text("grant_id")?,
        party: row.text("party_id")?.parse().map_err(|_| corrupt("grant party"))?,
        role: Role::parse(&row.text("role")?).map_err(|_| corrupt("grant role"))?,
        source: Source::parse(&row.text("source")?).ok_or_else(|| corrupt("grant source"))?,
    })
}

/// One grant as the access report lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GrantView {
    /// The grant's id.
    pub grant: String,
    /// Who holds it.
    pub party: String,
    /// The role.
    pub role: Role,
    /// `job:<code>`, `exception` or `break_glass`.
    pub source: String,
    /// Who approved an exception.
    pub approver: Option<String>,
    /// When it ends by itself.
    pub expires: Option<Timestamp>,
    /// When it was granted.
    pub granted: Timestamp,
}

impl Store {
    /// What Cloison holds of its staff at `now`, for a dry run or a report.
    pub async fn staff_state(&self, now: Timestamp) -> Result<StaffState, StoreError> {
        let mut conn = self.read.acquire().await?;
        staff_state(&mut conn, now).await
    }

    /// Every grant in force at `now`, with its approver and expiry, by party and role.
    pub async fn grants_in_force(&self, now: Timestamp) -> Result<Vec<GrantView>, StoreError> {
        let rows = sqlx::query(&grants_in_force("ORDER BY g.party_id, g.role, g.grant_id"))
            .bind(micros(now))
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|row| {
                let held = held_from(row)?;
                let at = |us: i64| Timestamp::from_microsecond(us).map_err(|_| corrupt("grant time"));
                Ok(GrantView {
                    grant: held.grant,
                    party: held.party.to_string(),
                    role: held.role,
                    source: row.text("source")?,
                    approver: row.opt_text("approver")?,
                    expires: row.opt_int("expires_us")?.map(at).transpose()?,
                    granted: at(row.int("granted_at")?)?,
                })
            })
            .collect()
    }

    /// The roles of every party holding an active token, as `(party, role)` pairs: what
    /// `iam check` holds against the segregation of duties beside the grants.
    pub async fn token_roles(&self, now: Timestamp) -> Result<Vec<(String, Role)>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT t.party_id, t.role FROM tokens t WHERE t.expires_us > $1 \
             AND NOT EXISTS (SELECT 1 FROM token_revocations r WHERE r.token_id = t.token_id) \
             ORDER BY t.party_id, t.role",
        )
        .bind(micros(now))
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.text("party_id")?,
                    Role::parse(&row.text("role")?).map_err(|_| corrupt("token role"))?,
                ))
            })
            .collect()
    }
}

impl WriteTx {
    /// What Cloison holds of its staff at `now`, read in this transaction: what a sync
    /// plans against, so nothing changes between the plan and its writes.
    pub async fn staff_state(&mut self, now: Timestamp) -> Result<StaffState, StoreError> {
        staff_state(self.conn(), now).await
    }

    /// Grants `role` to `party`; returns the grant's new random id.
    pub async fn grant_role(
        &mut self,
        party: &PartyId,
        role: Role,
        source: &Source,
        approver: Option<&PartyId>,
        expires: Option<Timestamp>,
        at: Timestamp,
    ) -> Result<String, StoreError> {
        let mut id = [0u8; 8];
        rand::rngs::OsRng.fill_bytes(&mut id);
        let grant = format!("grt_{}", hex::encode(id));
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO role_grants (grant_id, party_id, role, source, approver, expires_us, granted_at, journal_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {}",
            ROLE_GRANTS.column_list()
        ))
        .bind(grant.clone())
        .bind(party.to_string())
        .bind(role.as_str())
        .bind(source.to_text())
        .bind(approver.map(|a| a.to_string()))
        .bind(expires.map(micros))
        .bind(micros(at))
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&ROLE_GRANTS, &row)?;
        Ok(grant)
    }

    /// Ends grant `grant` at `at`, for `cause` (`mover`, `leaver`, `manual`…).
    pub async fn revoke_grant(&mut self, grant: &str, cause: &str, at: Timestamp) -> Result<(), StoreError> {
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO role_revocations (grant_id, revoked_at, cause, journal_seq) VALUES ($1, $2, $3, $4) \
             RETURNING {}",
            ROLE_REVOCATIONS.column_list()
        ))
        .bind(grant.to_owned())
        .bind(micros(at))
        .bind(cause.to_owned())
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&ROLE_REVOCATIONS, &row)
    }

    /// Revokes every active token of `party` whose role is not in `keep`; returns their ids.
    pub async fn revoke_tokens_of(
        &mut self,
        party: &PartyId,
        keep: &[Role],
        at: Timestamp,
    ) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.token_id, t.role FROM tokens t WHERE t.party_id = $1 AND t.expires_us > $2 \
             AND NOT EXISTS (SELECT 1 FROM token_revocations r WHERE r.token_id = t.token_id) ORDER BY t.token_id",
        )
        .bind(party.to_string())
        .bind(micros(at))
        .fetch_all(self.conn())
        .await?;
        let mut revoked = Vec::new();
        for row in rows {
            let role = Role::parse(&row.text("role")?).map_err(|_| corrupt("token role"))?;
            if keep.contains(&role) {
                continue;
            }
            let token = row.text("token_id")?;
            let seq = self.journal_seq();
            let row = sqlx::query(&format!(
                "INSERT INTO token_revocations (token_id, revoked_us, journal_seq) VALUES ($1, $2, $3) RETURNING {}",
                TOKEN_REVOCATIONS.column_list()
            ))
            .bind(token.clone())
            .bind(micros(at))
            .bind(seq)
            .fetch_one(self.conn())
            .await?;
            self.bind(&TOKEN_REVOCATIONS, &row)?;
            revoked.push(token);
        }
        Ok(revoked)
    }

    /// Keeps a sync's change report, with the digests of the files it read.
    pub async fn put_sync_report(
        &mut self,
        report_id: &str,
        sources: &[u8],
        report: &[u8],
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO sync_reports (report_id, ran_at, sources, report, journal_seq) VALUES ($1, $2, $3, $4, $5) \
             RETURNING {}",
            SYNC_REPORTS.column_list()
        ))
        .bind(report_id.to_owned())
        .bind(micros(at))
        .bind(sources.to_vec())
        .bind(report.to_vec())
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&SYNC_REPORTS, &row)
    }

    /// Keeps why break-glass grant `grant` was opened, sealed, and the token it opened.
    pub async fn put_break_glass(
        &mut self,
        grant: &str,
        token_id: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        let sealed = self.sealer.seal_json(&format!("break_glass.reason|{grant}"), &reason);
        let row = sqlx::query(&format!(
            "INSERT INTO break_glass (grant_id, token_id, reason_sealed, journal_seq) VALUES ($1, $2, $3, $4) \
             RETURNING {}",
            BREAK_GLASS.column_list()
        ))
        .bind(grant.to_owned())
        .bind(token_id.to_owned())
        .bind(sealed)
        .bind(self.journal_seq())
        .fetch_one(self.conn())
        .await?;
        self.bind(&BREAK_GLASS, &row)
    }

    /// Whether `party` came from the HR extracts, and if so whether it holds `role` now: a
    /// token for such a party is created only in a role it holds.
    pub async fn staff_grant(
        &mut self,
        party: &str,
        role: Role,
        now: Timestamp,
    ) -> Result<Option<bool>, StoreError> {
        let managed: Option<String> =
            sqlx::query_scalar("SELECT party_id FROM staff_records WHERE party_id = $1 LIMIT 1")
                .bind(party.to_owned())
                .fetch_optional(self.conn())
                .await?;
        if managed.is_none() {
            return Ok(None);
        }
        let held: Option<String> = sqlx::query_scalar(&format!(
            "SELECT g.grant_id FROM role_grants g WHERE {IN_FORCE} AND g.party_id = $2 AND g.role = $3 LIMIT 1"
        ))
        .bind(micros(now))
        .bind(party.to_owned())
        .bind(role.as_str())
        .fetch_optional(self.conn())
        .await?;
        Ok(Some(held.is_some()))
    }
}

/// One break-glass access, as the report lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BreakGlassGrant {
    /// The grant's id.
    pub grant: String,
    /// Who opened it.
    pub party: String,
    /// The role it gave.
    pub role: Role,
    /// Why, as the person wrote it (opened from its seal for the report's reader).
    pub reason: String,
    /// The token it opened.
    pub token_id: String,
    /// When.
    pub opened: Timestamp,
    /// When it ends by itself.
    pub expires: Timestamp,
    /// When it was closed before that, if it was.
    pub closed: Option<Timestamp>,
}

impl Store {
    /// Every break-glass access, oldest first, reasons opened from their seals.
    pub async fn break_glass(&self) -> Result<Vec<BreakGlassGrant>, StoreError> {
        let rows = sqlx::query(
            "SELECT g.grant_id, g.party_id, g.role, g.expires_us, g.granted_at, b.token_id, b.reason_sealed, \
             v.revoked_at FROM break_glass b JOIN role_grants g ON g.grant_id = b.grant_id \
             LEFT JOIN role_revocations v ON v.grant_id = g.grant_id ORDER BY g.granted_at, g.grant_id",
        )
        .fetch_all(&self.read)
        .await?;
        let at = |us: i64| Timestamp::from_microsecond(us).map_err(|_| corrupt("break-glass time"));
        rows.iter()
            .map(|row| {
                let grant = row.text("grant_id")?;
                let reason: String = self
                    .sealer
                    .open_json(&format!("break_glass.reason|{grant}"), &row.blob("reason_sealed")?)?;
                Ok(BreakGlassGrant {
                    party: row.text("party_id")?,
                    role: Role::parse(&row.text("role")?).map_err(|_| corrupt("break-glass role"))?,
                    reason,
                    token_id: row.text("token_id")?,
                    opened: at(row.int("granted_at")?)?,
                    expires: at(row.opt_int("expires_us")?.ok_or_else(|| corrupt("break-glass expiry"))?)?,
                    closed: row.opt_int("revoked_at")?.map(at).transpose()?,
                    grant,
                })
            })
            .collect()
    }
}

/// One value of a row written by [`WriteTx::insert_many`].
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Int(i64),
    OptInt(Option<i64>),
    Text(String),
    OptText(Option<String>),
    Blob(Vec<u8>),
}

/// Rows per statement. Not more: binding looks each parameter's name up among the
/// statement's (sqlx's SQLite driver), so a statement's cost grows with the square of its
/// parameters; at 500 rows that lookup was 55 % of a first load (perf), at 40 it vanishes,
/// while the round trips already fall twentyfold.
const ROWS_PER_INSERT: usize = 40;

impl WriteTx {
    /// Inserts `rows` into `table` (`columns` named in SQL, `journal_seq` appended to each
    /// row here), several hundred rows a statement, binding each returned row: a sync's first
    /// load writes tens of thousands of rows, and one statement each cost a round trip each.
    pub(crate) async fn insert_many(
        &mut self,
        table: &'static crate::bound::Table,
        columns: &str,
        rows: Vec<Vec<Arg>>,
    ) -> Result<(), StoreError> {
        let seq = self.journal_seq();
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let width = chunk.first().map_or(0, Vec::len) + 1;
            let mut n = 0;
            let values: Vec<String> = chunk
                .iter()
                .map(|_| {
                    let params: Vec<String> = (0..width)
                        .map(|_| {
                            n += 1;
                            format!("${n}")
                        })
                        .collect();
                    format!("({})", params.join(", "))
                })
                .collect();
            let sql = format!(
                "INSERT INTO {} ({columns}, journal_seq) VALUES {} RETURNING {}",
                table.name,
                values.join(", "),
                table.column_list()
            );
            let mut query = sqlx::query(&sql);
            for row in chunk {
                for arg in row {
                    query = match arg.clone() {
                        Arg::Int(v) => query.bind(v),
                        Arg::OptInt(v) => query.bind(v),
                        Arg::Text(v) => query.bind(v),
                        Arg::OptText(v) => query.bind(v),
                        Arg::Blob(v) => query.bind(v),
                    };
                }
                query = query.bind(seq);
            }
            let returned = query.fetch_all(self.conn()).await?;
            if returned.len() != chunk.len() {
                return Err(corrupt(format!(
                    "{}: {} rows written, {} returned",
                    table.name,
                    chunk.len(),
                    returned.len()
                )));
            }
            for row in &returned {
                self.bind(table, row)?;
            }
        }
        Ok(())
    }

    /// Adds staff parties (a sync's joiners seen for the first time), names sealed as
    /// [`WriteTx::put_party`] seals them; the caller has checked that none exists.
    pub async fn put_staff_parties(
        &mut self,
        parties: &[(PartyId, domain::PersonName)],
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let sealer = self.sealer.clone();
        let rows = parties
            .iter()
            .map(|(id, name)| {
                vec![
                    Arg::Text(id.to_string()),
                    Arg::Text("staff".into()),
                    Arg::OptInt(None),
                    Arg::Blob(sealer.seal_json(&format!("parties.name|{id}"), &name.as_str())),
                    Arg::Int(micros(at)),
                ]
            })
            .collect();
        self.insert_many(&crate::bound::PARTIES, "party_id, kind, gln, name_sealed, recorded_at", rows).await
    }

    /// Writes the next version of each employee's record: `(employee, version, record,
    /// whether the person holds access after this sync)`.
    pub async fn put_staff_records(
        &mut self,
        records: &[(&EmployeeId, i64, &Record, bool)],
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let rows = records
            .iter()
            .map(|(employee, version, record, active)| {
                vec![
                    Arg::Text(employee.as_str().to_owned()),
                    Arg::Int(*version),
                    Arg::Text(employee.party().to_string()),
                    Arg::Text(record.origin.as_str().to_owned()),
                    Arg::Text(record.job.as_str().to_owned()),
                    Arg::Text(record.department.clone()),
                    Arg::Text(record.employer.clone()),
                    Arg::Text(record.start.to_string()),
                    Arg::OptText(record.end.map(|d| d.to_string())),
                    Arg::Text(record.status.as_str().to_owned()),
                    Arg::Int(i64::from(*active)),
                    Arg::Int(micros(at)),
                ]
            })
            .collect();
        self.insert_many(
            &STAFF_RECORDS,
            "employee_id, version, party_id, origin, job_code, department, employer, start_day, end_day, status, \
             active, recorded_at",
            rows,
        )
        .await
    }

    /// Grants many roles from jobs at once (no approver, no expiry); returns their new ids.
    pub async fn grant_job_roles(
        &mut self,
        grants: &[(&PartyId, Role, Source)],
        at: Timestamp,
    ) -> Result<Vec<String>, StoreError> {
        let mut ids = Vec::with_capacity(grants.len());
        let rows = grants
            .iter()
            .map(|(party, role, source)| {
                let mut id = [0u8; 8];
                rand::rngs::OsRng.fill_bytes(&mut id);
                let grant = format!("grt_{}", hex::encode(id));
                ids.push(grant.clone());
                vec![
                    Arg::Text(grant),
                    Arg::Text(party.to_string()),
                    Arg::Text(role.as_str().to_owned()),
                    Arg::Text(source.to_text()),
                    Arg::OptText(None),
                    Arg::OptInt(None),
                    Arg::Int(micros(at)),
                ]
            })
            .collect();
        self.insert_many(
            &ROLE_GRANTS,
            "grant_id, party_id, role, source, approver, expires_us, granted_at",
            rows,
        )
        .await?;
        Ok(ids)
    }
}

/// An access request with its decision, if taken.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AccessRequest {
    /// The request's id.
    pub request: String,
    /// Who asks.
    pub party: String,
    /// For which role.
    pub role: Role,
    /// Until which day, included.
    pub until: Date,
    /// When it was asked.
    pub requested: Timestamp,
    /// `pending`, `approved` or `refused`.
    pub status: String,
    /// Who decided.
    pub approver: Option<String>,
    /// The grant an approval made.
    pub grant: Option<String>,
}

const ACCESS_REQUESTS_SQL: &str = "SELECT r.request_id, r.party_id, r.role, r.until_day, r.requested_at, \
     d.approver, d.decision, d.grant_id FROM access_requests r \
     LEFT JOIN access_request_decisions d ON d.request_id = r.request_id";

fn access_request_from(row: &impl Columns) -> Result<AccessRequest, StoreError> {
    Ok(AccessRequest {
        request: row.text("request_id")?,
        party: row.text("party_id")?,
        role: Role::parse(&row.text("role")?).map_err(|_| corrupt("request role"))?,
        until: row.text("until_day")?.parse().map_err(|_| corrupt("request day"))?,
        requested: Timestamp::from_microsecond(row.int("requested_at")?)
            .map_err(|_| corrupt("request time"))?,
        status: row.opt_text("decision")?.unwrap_or_else(|| "pending".into()),
        approver: row.opt_text("approver")?,
        grant: row.opt_text("grant_id")?,
    })
}

impl Store {
    /// Every access request, oldest first, with its decision.
    pub async fn access_requests(&self) -> Result<Vec<AccessRequest>, StoreError> {
        let rows = sqlx::query(&format!("{ACCESS_REQUESTS_SQL} ORDER BY r.requested_at, r.request_id"))
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(access_request_from).collect()
    }
}

impl WriteTx {
    /// Records a request by `party` for `role` until `until`; returns its new random id.
    pub async fn put_access_request(
        &mut self,
        party: &PartyId,
        role: Role,
        until: Date,
        at: Timestamp,
    ) -> Result<String, StoreError> {
        let mut id = [0u8; 8];
        rand::rngs::OsRng.fill_bytes(&mut id);
        let request = format!("req_{}", hex::encode(id));
        let row = sqlx::query(&format!(
            "INSERT INTO access_requests (request_id, party_id, role, until_day, requested_at, journal_seq) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {}",
            crate::bound::ACCESS_REQUESTS.column_list()
        ))
        .bind(request.clone())
        .bind(party.to_string())
        .bind(role.as_str())
        .bind(until.to_string())
        .bind(micros(at))
        .bind(self.journal_seq())
        .fetch_one(self.conn())
        .await?;
        self.bind(&crate::bound::ACCESS_REQUESTS, &row)?;
        Ok(request)
    }

    /// The request `id` with its decision, read in this transaction.
    pub async fn access_request(&mut self, id: &str) -> Result<Option<AccessRequest>, StoreError> {
        let row = sqlx::query(&format!("{ACCESS_REQUESTS_SQL} WHERE r.request_id = $1"))
            .bind(id.to_owned())
            .fetch_optional(self.conn())
            .await?;
        row.as_ref().map(access_request_from).transpose()
    }

    /// Records the decision on request `id`.
    pub async fn decide_access_request(
        &mut self,
        id: &str,
        approver: &PartyId,
        approved: bool,
        grant: Option<&str>,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let row = sqlx::query(&format!(
            "INSERT INTO access_request_decisions (request_id, approver, decision, grant_id, decided_at, journal_seq) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {}",
            crate::bound::ACCESS_REQUEST_DECISIONS.column_list()
        ))
        .bind(id.to_owned())
        .bind(approver.to_string())
        .bind(if approved { "approved" } else { "refused" })
        .bind(grant.map(str::to_owned))
        .bind(micros(at))
        .bind(self.journal_seq())
        .fetch_one(self.conn())
        .await?;
        self.bind(&crate::bound::ACCESS_REQUEST_DECISIONS, &row)
    }
}
