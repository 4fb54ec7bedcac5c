//! One access point for one bearer, read in one snapshot: what a journaled read of an access
//! point needs before its answer is built.
//!
//! A caller's read of an access point needs the token (who is asking), the caller's own
//! periods on the access point and its mandates there (the policy's facts), the register at
//! the instant asked and the names of the two holders. Asked one by one, those are six
//! statements, each its own read snapshot: on PostgreSQL six statements, three round trips
//! each through the pool, each a wake-up of a backend process (BENCHMARKS.md, "The journaled
//! read at speed"); on SQLite six read transactions, each of which, after any commit of the
//! writer, drops the connection's page cache. Here they are one statement on PostgreSQL and one read
//! transaction on SQLite, so they also see one state of the database: a token revoked, or a
//! register changed, between two of them can no longer be half seen.
//!
//! Nothing is cached across requests. The token is checked against the database in the same
//! snapshot as the data, so a revocation committed by any process (the `cloison admin token
//! revoke` command on the same database, say) refuses the next request that starts after
//! it. Everything is read whatever the policy will decide: what is read here leaves only
//! through the gate, which decides on the facts and builds the answer from what it may show.

use domain::mandate::Scope;
use domain::{AccessPoint, Ean, Party, PartyId, Period, Snapshot};
use jiff::Timestamp;
use sqlx::Row;
use std::sync::LazyLock;

use crate::local::{ColumnNames, Columns, Named};
use crate::mandate::{MANDATED_SQLITE, mandate_pair, mandated_of_pairs, mandated_sql, scope_pattern};
use crate::register::{
    PARTY_SQL, PERIODS_ON_SQL, PartyColumns, SNAPSHOT_SQL, ean_key, micros, party_from_columns, party_row,
    period_from, snapshot_from, snapshot_sql,
};
use crate::tokens::{AUTHENTICATE_SQL, Bearer, bearer_from, hash_secret};
use crate::{Store, StoreError};

/// What a bearer's read of one access point needs, read in one snapshot.
#[derive(Debug, Clone)]
pub struct PointRead {
    /// The caller, by a token that exists, is not revoked and has not expired.
    pub bearer: Bearer,
    /// The periods of the effective registrations the bearer's party holds on the access
    /// point: the policy's facts, as [`Store::periods_on`] reads them.
    pub registrations: Vec<Period>,
    /// The periods of the effective occupancies the bearer's party holds on it.
    pub occupancies: Vec<Period>,
    /// The access point and who held it at the instant asked, as [`Store::snapshot`] reads
    /// it; `None` if the register does not know the access point.
    pub snapshot: Option<(AccessPoint, Snapshot)>,
    /// The parties the snapshot names (occupant and supplier), as [`Store::party`] reads
    /// them; one that no longer exists is absent.
    pub parties: Vec<Party>,
    /// What the bearer's mandates in force give its party on the access point's register, as
    /// [`Store::mandated_on`] reads them for [`Scope::Register`]: read for every bearer, used
    /// only where the policy says the bearer's role is given mandates (R5).
    pub mandates: Vec<Period>,
}

impl PointRead {
    /// The party `id` among those read, if it exists.
    pub fn party(&self, id: &PartyId) -> Option<&Party> {
        self.parties.iter().find(|p| &p.id == id)
    }
}

/// The whole read in one PostgreSQL statement: `$1` the token's hash, `$2` now, `$3` the
/// EAN, `$4` the instant asked. No row when the token is not valid now; then nothing else
/// is read. The facts come as arrays, in record order (from and to of the same records).
static POINT_READ_PG: LazyLock<String> = LazyLock::new(|| {
    let party = |alias: &str| {
        format!(
            "{alias}.party_id AS {alias}_party_id, {alias}.kind AS {alias}_kind, {alias}.gln AS {alias}_gln, \
             {alias}.name_sealed AS {alias}_name_sealed, {alias}.phone_sealed AS {alias}_phone_sealed, \
             {alias}.email_sealed AS {alias}_email_sealed"
        )
    };
    let effective = |kind: &str, table: &str| {
        format!(
            "SELECT '{kind}' AS kind, c.id, c.party_id, c.from_us, c.to_us FROM {table} c WHERE c.ean = $3 \
               AND NOT EXISTS (SELECT 1 FROM {table} s WHERE s.ean = c.ean AND s.supersedes = c.id)"
        )
    };
    let facts = |kind: &str, column: &str| {
        format!(
            "ARRAY(SELECT f.{column} FROM f WHERE f.kind = '{kind}' AND f.party_id = t.party_id ORDER BY f.id)"
        )
    };
    // The facts are read from the access point's effective records, materialised first: on
    // the party and the EAN together, the planner chose to AND the party's index with the
    // EAN's, and a supplier's index entries are thousands (3,577 rows read for 1 kept, in
    // the bench's demo) where an access point's are a handful.
    // The mandates as four arrays in one order, total over the four columns, so the n-th of
    // each belong to the same row (rows equal in all four are equal, whichever comes first).
    let mandated = |column: &str| {
        format!("ARRAY(SELECT m.{column} FROM m ORDER BY m.m_from, m.m_to, m.from_us, m.to_us)")
    };
    format!(
        "WITH t AS ({AUTHENTICATE_PG}), s AS ({snapshot}), \
           f AS MATERIALIZED ({registrations} UNION ALL {occupancies}), \
           m AS (SELECT q.m_from, q.m_to, q.from_us, q.to_us FROM ({mandates}) q) \
         SELECT t.token_id, t.party_id, t.role, t.expires_us, \
           {reg_from} AS f_reg_from, {reg_to} AS f_reg_to, {occ_from} AS f_occ_from, {occ_to} AS f_occ_to, \
           {m_from} AS m_from, {m_to} AS m_to, {mo_from} AS mo_from, {mo_to} AS mo_to, \
           s.*, {po}, {pr} \
         FROM t LEFT JOIN s ON TRUE \
         LEFT JOIN parties po ON po.party_id = s.o_party_id \
         LEFT JOIN parties pr ON pr.party_id = s.r_party_id",
        snapshot = snapshot_sql("$3", "$4"),
        registrations = effective("r", "registrations"),
        occupancies = effective("o", "occupancies"),
        reg_from = facts("r", "from_us"),
        reg_to = facts("r", "to_us"),
        occ_from = facts("o", "from_us"),
        occ_to = facts("o", "to_us"),
        po = party("po"),
        pr = party("pr"),
        mandates = mandated_sql(
            "strpos",
            "$3",
            "(SELECT t.party_id FROM t)",
            &format!("'{}'", scope_pattern(Scope::Register))
        ),
        m_from = mandated("m_from"),
        m_to = mandated("m_to"),
        mo_from = mandated("from_us"),
        mo_to = mandated("to_us"),
    )
});

/// [`AUTHENTICATE_SQL`]'s rule, word for word, as the first part of [`POINT_READ_PG`]: one
/// rule decides whether a token works, on every path.
const AUTHENTICATE_PG: &str = AUTHENTICATE_SQL;

const OCCUPANT: PartyColumns = PartyColumns {
    party_id: "po_party_id",
    kind: "po_kind",
    gln: "po_gln",
    name_sealed: "po_name_sealed",
    phone_sealed: "po_phone_sealed",
    email_sealed: "po_email_sealed",
};

const SUPPLIER: PartyColumns = PartyColumns {
    party_id: "pr_party_id",
    kind: "pr_kind",
    gln: "pr_gln",
    name_sealed: "pr_name_sealed",
    phone_sealed: "pr_phone_sealed",
    email_sealed: "pr_email_sealed",
};

/// Periods from the parallel arrays of their starts and ends.
fn periods(from: Vec<i64>, to: Vec<Option<i64>>) -> Result<Vec<Period>, StoreError> {
    if from.len() != to.len() {
        return Err(crate::corrupt("facts: as many period starts as ends"));
    }
    from.into_iter().zip(to).map(|(from, to)| period_from(from, to)).collect()
}

impl Store {
    /// What the bearer of `secret` needs to read `ean` at `at`, read in one snapshot; `None`
    /// if no token with that secret is valid at `now` (unknown, revoked or expired).
    pub async fn point_read(
        &self,
        secret: &str,
        now: Timestamp,
        ean: Ean,
        at: Timestamp,
    ) -> Result<Option<PointRead>, StoreError> {
        let hash = hash_secret(secret);
        if let Some(local) = &self.local {
            return local.with(|conn| {
                // One deferred read transaction: the five statements read one snapshot, and
                // SQLite checks the WAL for new commits (dropping its page cache if there
                // were any) once instead of five times.
                let tx = conn.unchecked_transaction()?;
                let bearer = {
                    let mut statement = tx.prepare_cached(AUTHENTICATE_SQL)?;
                    let mut rows = statement.query(rusqlite::params![hash, micros(now)])?;
                    rows.next()?.map(bearer_from).transpose()?
                };
                let Some(bearer) = bearer else { return Ok(None) };
                let (mut registrations, mut occupancies) = (Vec::new(), Vec::new());
                {
                    let mut statement = tx.prepare_cached(&PERIODS_ON_SQL)?;
                    let mut rows = statement.query(rusqlite::params![ean_key(ean), bearer.party])?;
                    while let Some(row) = rows.next()? {
                        let period = period_from(row.int("from_us")?, row.opt_int("to_us")?)?;
                        match row.text("kind")?.as_str() {
                            "r" => registrations.push(period),
                            _ => occupancies.push(period),
                        }
                    }
                }
                let snapshot = {
                    static NAMES: ColumnNames = ColumnNames::new();
                    let mut statement = tx.prepare_cached(&SNAPSHOT_SQL)?;
                    let names = NAMES.of(&statement);
                    let mut rows = statement.query(rusqlite::params![ean_key(ean), micros(at)])?;
                    rows.next()?
                        .map(|row| snapshot_from(&self.sealer, &Named { row, names }, at))
                        .transpose()?
                };
                let mut parties = Vec::new();
                if let Some((_, snapshot)) = &snapshot {
                    let holders = [
                        snapshot.occupancy.as_ref().map(|r| &r.value.network_user),
                        snapshot.registration.as_ref().map(|r| &r.value.supplier),
                    ];
                    let mut statement = tx.prepare_cached(PARTY_SQL)?;
                    for id in holders.into_iter().flatten() {
                        let mut rows = statement.query([id.as_str()])?;
                        if let Some(row) = rows.next()? {
                            parties.push(party_row(&self.sealer, row)?);
                        }
                    }
                }
                let mut pairs = Vec::new();
                {
                    let mut statement = tx.prepare_cached(&MANDATED_SQLITE)?;
                    let pattern = scope_pattern(Scope::Register);
                    let mut rows = statement.query(rusqlite::params![ean_key(ean), bearer.party, pattern])?;
                    while let Some(row) = rows.next()? {
                        pairs.push(mandate_pair(row)?);
                    }
                }
                tx.commit()?;
                let mandates = mandated_of_pairs(&pairs);
                Ok(Some(PointRead { bearer, registrations, occupancies, snapshot, parties, mandates }))
            });
        }
        let hot = self.hot.as_ref().expect("a PostgreSQL store holds its hot reads' connections");
        let query =
            sqlx::query(&POINT_READ_PG).bind(hash).bind(micros(now)).bind(ean_key(ean)).bind(micros(at));
        let row = hot.fetch_optional(query).await?;
        let Some(row) = row else { return Ok(None) };
        let bearer = bearer_from(&row)?;
        let registrations = periods(row.try_get("f_reg_from")?, row.try_get("f_reg_to")?)?;
        let occupancies = periods(row.try_get("f_occ_from")?, row.try_get("f_occ_to")?)?;
        let snapshot = match row.opt_int("ean")? {
            Some(_) => Some(snapshot_from(&self.sealer, &row, at)?),
            None => None,
        };
        let mut parties = Vec::new();
        for columns in [&OCCUPANT, &SUPPLIER] {
            if row.try_get::<Option<String>, _>(columns.party_id)?.is_some() {
                parties.push(party_from_columns(&self.sealer, &row, columns)?);
            }
        }
        let mandate_periods = periods(row.try_get("m_from")?, row.try_get("m_to")?)?;
        let occupancy_periods = periods(row.try_get("mo_from")?, row.try_get("mo_to")?)?;
        if mandate_periods.len() != occupancy_periods.len() {
            return Err(crate::corrupt("mandates: as many mandates as occupancies beside them"));
        }
        let pairs: Vec<(Period, Period)> = mandate_periods.into_iter().zip(occupancy_periods).collect();
        let mandates = mandated_of_pairs(&pairs);
        Ok(Some(PointRead { bearer, registrations, occupancies, snapshot, parties, mandates }))
    }
}
