//! Written mandates' persistence (R5): recording, revoking, and the periods a party's
//! mandates give it on one access point, read as facts for a decision.

use domain::mandate::{Mandate, Scope, mandated_periods};
use domain::{Ean, PartyId, PartyKind, Period};
use jiff::Timestamp;
use rand::RngCore;
use serde::Serialize;

use crate::bound::{MANDATE_POINTS, MANDATE_REVOCATIONS, MANDATES};
use crate::local::Columns;
use crate::register::{NOT_SUPERSEDED_OCC, ean_from, ean_key, micros, period_from};
use crate::{Store, StoreError, WriteTx, corrupt};

/// A mandate as listed for a review: no personal data, only ids, scopes and the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MandateView {
    /// The mandate's id.
    pub mandate: String,
    /// The customer who signed it.
    pub customer: String,
    /// Whom it authorises.
    pub mandated: String,
    /// The data it opens.
    pub scopes: Vec<Scope>,
    /// The access points it names.
    pub eans: Vec<Ean>,
    /// The period of data it opens.
    pub from: Timestamp,
    /// Its end, if any.
    pub to: Option<Timestamp>,
    /// The written document's reference.
    pub document: String,
    /// When it was revoked, if it was.
    pub revoked: Option<Timestamp>,
}

fn refused(field: &'static str, code: &'static str, reason: String) -> StoreError {
    StoreError::Refused { field, code, reason }
}

impl WriteTx {
    /// Records `mandate` at `at`; returns its new random id. Refused, before anything is
    /// written, when the customer is not a network user, the mandated party neither a third
    /// party nor a supplier, or the customer never occupied one of the access points.
    pub async fn put_mandate(&mut self, mandate: &Mandate, at: Timestamp) -> Result<String, StoreError> {
        let customer = self.party_kind("customer", &mandate.customer).await?;
        if !customer.is_network_user() {
            return Err(StoreError::WrongPartyKind {
                field: "customer",
                id: mandate.customer.to_string(),
                found: customer.as_str().to_owned(),
                expected: "a network user (person or company)",
            });
        }
        let mandated = self.party_kind("mandated", &mandate.mandated).await?;
        if !matches!(mandated, PartyKind::ThirdParty | PartyKind::Supplier { .. }) {
            return Err(StoreError::WrongPartyKind {
                field: "mandated",
                id: mandate.mandated.to_string(),
                found: mandated.as_str().to_owned(),
                expected: "a third party or a supplier",
            });
        }
        for ean in &mandate.eans {
            let occupied: Option<i64> = sqlx::query_scalar(&format!(
                "SELECT c.id FROM occupancies c WHERE c.ean = $1 AND c.party_id = $2 AND {NOT_SUPERSEDED_OCC} LIMIT 1"
            ))
            .bind(ean_key(*ean))
            .bind(mandate.customer.as_str())
            .fetch_optional(self.conn())
            .await?;
            if occupied.is_none() {
                return Err(refused(
                    "eans",
                    "never_occupied",
                    format!(
                        "{} never occupied {ean}: a mandate gives only what the customer had",
                        mandate.customer
                    ),
                ));
            }
        }
        let mut id = [0u8; 8];
        rand::rngs::OsRng.fill_bytes(&mut id);
        let mandate_id = format!("mdt_{}", hex::encode(id));
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO mandates (mandate_id, customer_id, mandated_id, scopes, from_us, to_us, document, \
             recorded_at, journal_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {}",
            MANDATES.column_list()
        ))
        .bind(mandate_id.clone())
        .bind(mandate.customer.to_string())
        .bind(mandate.mandated.to_string())
        .bind(mandate.scopes_text())
        .bind(micros(mandate.period.from()))
        .bind(mandate.period.to().map(micros))
        .bind(mandate.document.trim().to_owned())
        .bind(micros(at))
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&MANDATES, &row)?;
        for ean in &mandate.eans {
            let row = sqlx::query(&format!(
                "INSERT INTO mandate_points (mandate_id, ean, journal_seq) VALUES ($1, $2, $3) RETURNING {}",
                MANDATE_POINTS.column_list()
            ))
            .bind(mandate_id.clone())
            .bind(ean_key(*ean))
            .bind(seq)
            .fetch_one(self.conn())
            .await?;
            self.bind(&MANDATE_POINTS, &row)?;
        }
        Ok(mandate_id)
    }

    /// Revokes mandate `id` at `at`; refused when no mandate in force has that id.
    pub async fn revoke_mandate(&mut self, id: &str, at: Timestamp) -> Result<(), StoreError> {
        let found: Option<String> = sqlx::query_scalar(
            "SELECT m.mandate_id FROM mandates m WHERE m.mandate_id = $1 \
             AND NOT EXISTS (SELECT 1 FROM mandate_revocations v WHERE v.mandate_id = m.mandate_id)",
        )
        .bind(id.to_owned())
        .fetch_optional(self.conn())
        .await?;
        if found.is_none() {
            return Err(refused(
                "mandate",
                "unknown_mandate",
                format!("no mandate in force has the id {id}"),
            ));
        }
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO mandate_revocations (mandate_id, revoked_at, journal_seq) VALUES ($1, $2, $3) RETURNING {}",
            MANDATE_REVOCATIONS.column_list()
        ))
        .bind(id.to_owned())
        .bind(micros(at))
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&MANDATE_REVOCATIONS, &row)
    }
}

/// A party's mandates in force on one access point for one scope, each beside one of the
/// customer's occupancies there: `ean`, `party` and `scope` (`,scope,`) are the SQL
/// expressions that give them, and `find` is how the backend finds a substring (`instr` on
/// SQLite, `strpos` on PostgreSQL).
///
/// Not `LIKE` on a bound pattern: SQLite plans a `LIKE` on its pattern, so a statement with
/// one is prepared again every time a pattern is bound (measured: a fifth of the server's
/// CPU under the journaled read load, since every supplier's read asks for its mandates).
pub(crate) fn mandated_sql(find: &str, ean: &str, party: &str, scope: &str) -> String {
    format!(
        "SELECT m.from_us AS m_from, m.to_us AS m_to, c.from_us, c.to_us FROM mandate_points p \
         JOIN mandates m ON m.mandate_id = p.mandate_id \
         JOIN occupancies c ON c.ean = p.ean AND c.party_id = m.customer_id AND {NOT_SUPERSEDED_OCC} \
         WHERE p.ean = {ean} AND m.mandated_id = {party} AND {find}(',' || m.scopes || ',', {scope}) > 0 \
         AND NOT EXISTS (SELECT 1 FROM mandate_revocations v WHERE v.mandate_id = m.mandate_id)"
    )
}

pub(crate) static MANDATED_SQLITE: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| mandated_sql("instr", "$1", "$2", "$3"));
static MANDATED_PG: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| mandated_sql("strpos", "$1", "$2", "$3"));

/// How [`mandated_sql`] names a scope: between commas, as the scopes column holds it once
/// wrapped in commas, so no scope matches inside another's name.
pub(crate) fn scope_pattern(scope: Scope) -> String {
    format!(",{},", scope.as_str())
}

/// A mandate's period and the occupancy beside it, from a row of [`mandated_sql`], whichever
/// driver read it.
pub(crate) fn mandate_pair(row: &impl Columns) -> Result<(Period, Period), StoreError> {
    let start = |name: &str| row.opt_int(name)?.ok_or_else(|| corrupt("mandate period start"));
    Ok((
        period_from(start("m_from")?, row.opt_int("m_to")?)?,
        period_from(start("from_us")?, row.opt_int("to_us")?)?,
    ))
}

/// The periods a mandated party may see, from each mandate's period beside one of the
/// mandating customer's occupancies, as [`mandated_sql`] pairs them (R5).
pub(crate) fn mandated_of_pairs(pairs: &[(Period, Period)]) -> Vec<Period> {
    pairs
        .iter()
        .flat_map(|(mandate, occupancy)| mandated_periods(mandate, std::slice::from_ref(occupancy)))
        .collect()
}

impl Store {
    /// What `party`'s mandates in force give it on `ean` for `scope`: each mandate's period
    /// within the mandating customer's occupancies there (R5). Empty for nearly every party.
    pub async fn mandated_on(
        &self,
        party: &PartyId,
        ean: Ean,
        scope: Scope,
    ) -> Result<Vec<Period>, StoreError> {
        let pattern = scope_pattern(scope);
        let mut pairs: Vec<(Period, Period)> = Vec::new();
        if let Some(local) = &self.local {
            local.with(|conn| {
                let mut statement = conn.prepare_cached(&MANDATED_SQLITE)?;
                let mut rows = statement.query(rusqlite::params![ean_key(ean), party.as_str(), pattern])?;
                while let Some(row) = rows.next()? {
                    pairs.push(mandate_pair(row)?);
                }
                Ok(())
            })?;
        } else {
            let rows = sqlx::query(&MANDATED_PG)
                .bind(ean_key(ean))
                .bind(party.as_str())
                .bind(pattern)
                .fetch_all(&self.read)
                .await?;
            for row in &rows {
                pairs.push(mandate_pair(row)?);
            }
        }
        Ok(mandated_of_pairs(&pairs))
    }

    /// Every mandate, revoked ones included, in the order recorded.
    pub async fn mandates(&self) -> Result<Vec<MandateView>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.mandate_id, m.customer_id, m.mandated_id, m.scopes, m.from_us, m.to_us, m.document, \
             v.revoked_at FROM mandates m LEFT JOIN mandate_revocations v ON v.mandate_id = m.mandate_id \
             ORDER BY m.recorded_at, m.mandate_id",
        )
        .fetch_all(&self.read)
        .await?;
        let points = sqlx::query("SELECT mandate_id, ean FROM mandate_points ORDER BY mandate_id, ean")
            .fetch_all(&self.read)
            .await?;
        let mut eans: std::collections::HashMap<String, Vec<Ean>> = std::collections::HashMap::new();
        for row in &points {
            let ean = ean_from(row.int("ean")?)?;
            eans.entry(row.text("mandate_id")?).or_default().push(ean);
        }
        let at = |us: i64| Timestamp::from_microsecond(us).map_err(|_| corrupt("mandate time"));
        rows.iter()
            .map(|row| {
                let mandate = row.text("mandate_id")?;
                Ok(MandateView {
                    eans: eans.remove(&mandate).unwrap_or_default(),
                    mandate,
                    customer: row.text("customer_id")?,
                    mandated: row.text("mandated_id")?,
                    scopes: row.text("scopes")?.split(',').filter_map(Scope::parse).collect(),
                    from: at(row.int("from_us")?)?,
                    to: row.opt_int("to_us")?.map(at).transpose()?,
                    document: row.text("document")?,
                    revoked: row.opt_int("revoked_at")?.map(at).transpose()?,
                })
            })
            .collect()
    }
}
