//! The access register in SQL: parties, access points, occupancies and registrations.
//!
//! Reads answer the three questions every rule asks: who occupied and who supplied an EAN at
//! an instant (one round trip), the full history of an EAN, and every period of a party.
//! Writes happen in the writer's [`WriteTx`]: under the access point's lock, the store reads
//! what the register's rules (`domain::register::rules`) judge a write by, asks them, and
//! writes what they allow, so concurrent writers cannot slip an overlap in between.

use domain::register::rules::{self, RecordKind};
use domain::{
    AccessPoint, Address, Change, Ean, Email, Gln, Occupancy, Party, PartyId, PartyKind, Period, Phone,
    RecordId, Recorded, Registration, Snapshot,
};
use jiff::Timestamp;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use std::sync::LazyLock;

use crate::bound::{ACCESS_POINTS, OCCUPANCIES, PARTIES, REGISTRATIONS, Slot, Table};
use crate::local::{ColumnNames, Columns, Named};
use crate::{Backend, Sealer, Store, StoreError, WriteTx, corrupt};

/// Everything the register knows of one access point, superseded records included.
#[derive(Debug, Clone, Serialize)]
pub struct History {
    /// The access point as it is now.
    pub access_point: AccessPoint,
    /// Every occupancy record, in the order written.
    pub occupancies: Vec<Recorded<Occupancy>>,
    /// Every registration record, in the order written.
    pub registrations: Vec<Recorded<Registration>>,
}

impl History {
    /// Who occupied and supplied the access point at `at`, from this history alone.
    pub fn at(&self, at: Timestamp) -> Snapshot {
        domain::register::snapshot_at(&self.occupancies, &self.registrations, at)
    }
}

/// The effective periods of one party, on every access point.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PartyPeriods {
    /// Where the party is or was the network user.
    pub occupancies: Vec<Recorded<Occupancy>>,
    /// Where the party is or was the registered supplier.
    pub registrations: Vec<Recorded<Registration>>,
}

/// What a change wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Written {
    /// A party was added.
    Party,
    /// This version of an access point was written.
    AccessPointVersion(i64),
    /// This occupancy or registration record was written.
    Record(RecordId),
    /// A token was created or revoked.
    Token,
}

/// How a request's changes went ([`WriteTx::apply_all`]).
#[derive(Debug)]
pub enum Applied {
    /// Every change was written: what each wrote, the network users whose data it is
    /// about (for the journal's subjects, R4), and the slot of the entry that describes it,
    /// holding the rows it wrote, in the order of the changes.
    Written(Vec<(Written, Vec<PartyId>, Slot)>),
    /// The change at `index` was refused, and nothing of the request was written.
    Refused {
        /// Which change, counting from zero.
        index: usize,
        /// Why.
        error: StoreError,
    },
}

/// Sizes of the register, for the demo's tour and for health pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Distinct access points.
    pub access_points: i64,
    /// Parties of every kind.
    pub parties: i64,
    /// Occupancy records, superseded ones included.
    pub occupancies: i64,
    /// Registration records, superseded ones included.
    pub registrations: i64,
}

pub(crate) fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

pub(crate) fn instant(us: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_microsecond(us).map_err(|e| corrupt(format!("time {us}: {e}")))
}

pub(crate) fn ean_key(ean: Ean) -> i64 {
    // An 18-digit number is below 10^18 < 2^63: it always fits.
    ean.as_u64() as i64
}

pub(crate) fn ean_from(key: i64) -> Result<Ean, StoreError> {
    u64::try_from(key).ok().and_then(|k| Ean::from_u64(k).ok()).ok_or_else(|| corrupt(format!("ean {key}")))
}

pub(crate) fn party_from(text: String) -> Result<PartyId, StoreError> {
    text.parse().map_err(|e| corrupt(format!("party id: {e}")))
}

pub(crate) fn period_from(from_us: i64, to_us: Option<i64>) -> Result<Period, StoreError> {
    Period::new(instant(from_us)?, to_us.map(instant).transpose()?)
        .map_err(|e| corrupt(format!("period: {e}")))
}

fn parse_text<T: std::str::FromStr>(what: &str, text: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e| corrupt(format!("{what}: {e}")))
}

/// The table holding records of `kind`.
fn table_of(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Occupancy => "occupancies",
        RecordKind::Registration => "registrations",
    }
}

fn address_context(ean: Ean) -> String {
    format!("access_points.address|{ean}")
}

fn shipping_context(ean: Ean, party: &PartyId) -> String {
    format!("occupancies.shipping|{ean}|{party}")
}

pub(crate) const ACCESS_POINT_COLUMNS: &str = "ap.ean, ap.energy, ap.address_sealed, ap.postal_code, ap.municipality, \
     ap.substation, ap.regime, ap.meter, ap.grid_status";

pub(crate) const LATEST_VERSION: &str =
    "ap.version = (SELECT MAX(v.version) FROM access_points v WHERE v.ean = $1)";

/// Only the records no other record of the same access point supersedes.
pub(crate) const NOT_SUPERSEDED_OCC: &str =
    "NOT EXISTS (SELECT 1 FROM occupancies s WHERE s.ean = c.ean AND s.supersedes = c.id)";
pub(crate) const NOT_SUPERSEDED_REG: &str =
    "NOT EXISTS (SELECT 1 FROM registrations s WHERE s.ean = c.ean AND s.supersedes = c.id)";

pub(crate) fn access_point_from(sealer: &Sealer, row: &impl Columns) -> Result<AccessPoint, StoreError> {
    let ean = ean_from(row.int("ean")?)?;
    let sealed = row.blob("address_sealed")?;
    let address: Address = sealer.open_json(&address_context(ean), &sealed)?;
    let postal_code = row.int("postal_code")?;
    let municipality = row.text("municipality")?;
    if i64::from(address.postal_code()) != postal_code || address.municipality() != municipality {
        return Err(corrupt(format!("address of {ean} disagrees with its clear postal code")));
    }
    Ok(AccessPoint {
        ean,
        energy: parse_text("energy", &row.text("energy")?)?,
        address,
        substation: parse_text("substation", &row.text("substation")?)?,
        regime: parse_text("regime", &row.text("regime")?)?,
        meter: parse_text("meter", &row.text("meter")?)?,
        grid_status: parse_text("grid status", &row.text("grid_status")?)?,
    })
}

/// The column names of an occupancy or registration record in a result: plain in a
/// `SELECT *`, prefixed where the snapshot joins both. Spelled out, so decoding a row
/// allocates no names.
pub(crate) struct RecordColumns {
    id: &'static str,
    ean: &'static str,
    party_id: &'static str,
    from_us: &'static str,
    to_us: &'static str,
    shipping_sealed: &'static str,
    recorded_at: &'static str,
    supersedes: &'static str,
}

pub(crate) const PLAIN: RecordColumns = RecordColumns {
    id: "id",
    ean: "ean",
    party_id: "party_id",
    from_us: "from_us",
    to_us: "to_us",
    shipping_sealed: "shipping_sealed",
    recorded_at: "recorded_at",
    supersedes: "supersedes",
};

const OCCUPANCY: RecordColumns = RecordColumns {
    id: "o_id",
    ean: "o_ean",
    party_id: "o_party_id",
    from_us: "o_from_us",
    to_us: "o_to_us",
    shipping_sealed: "o_shipping_sealed",
    recorded_at: "o_recorded_at",
    supersedes: "o_supersedes",
};

const REGISTRATION: RecordColumns = RecordColumns {
    id: "r_id",
    ean: "r_ean",
    party_id: "r_party_id",
    from_us: "r_from_us",
    to_us: "r_to_us",
    shipping_sealed: "r_shipping_sealed",
    recorded_at: "r_recorded_at",
    supersedes: "r_supersedes",
};

pub(crate) fn occupancy_from(
    sealer: &Sealer,
    row: &impl Columns,
    c: &RecordColumns,
) -> Result<Recorded<Occupancy>, StoreError> {
    let ean = ean_from(row.int(c.ean)?)?;
    let network_user = party_from(row.text(c.party_id)?)?;
    let sealed = row.blob(c.shipping_sealed)?;
    let shipping_address = sealer.open_json(&shipping_context(ean, &network_user), &sealed)?;
    Ok(Recorded {
        id: RecordId(row.int(c.id)?),
        recorded_at: instant(row.int(c.recorded_at)?)?,
        supersedes: row.opt_int(c.supersedes)?.map(RecordId),
        value: Occupancy {
            ean,
            network_user,
            period: period_from(row.int(c.from_us)?, row.opt_int(c.to_us)?)?,
            shipping_address,
        },
    })
}

pub(crate) fn registration_from(
    row: &impl Columns,
    c: &RecordColumns,
) -> Result<Recorded<Registration>, StoreError> {
    Ok(Recorded {
        id: RecordId(row.int(c.id)?),
        recorded_at: instant(row.int(c.recorded_at)?)?,
        supersedes: row.opt_int(c.supersedes)?.map(RecordId),
        value: Registration {
            ean: ean_from(row.int(c.ean)?)?,
            supplier: party_from(row.text(c.party_id)?)?,
            period: period_from(row.int(c.from_us)?, row.opt_int(c.to_us)?)?,
        },
    })
}

/// A snapshot row: the access point, and the occupancy and registration in force, if any.
pub(crate) fn snapshot_from(
    sealer: &Sealer,
    row: &impl Columns,
    at: Timestamp,
) -> Result<(AccessPoint, Snapshot), StoreError> {
    let access_point = access_point_from(sealer, row)?;
    let occupancy = match row.opt_int("o_id")? {
        Some(_) => Some(occupancy_from(sealer, row, &OCCUPANCY)?),
        None => None,
    };
    let registration = match row.opt_int("r_id")? {
        Some(_) => Some(registration_from(row, &REGISTRATION)?),
        None => None,
    };
    Ok((access_point, Snapshot { at, occupancy, registration }))
}

/// A party's kind from its `kind` and `gln` columns.
pub(crate) fn kind_from(id: &PartyId, kind: &str, gln: Option<i64>) -> Result<PartyKind, StoreError> {
    Ok(match (kind, gln) {
        ("person", None) => PartyKind::Person,
        ("company", None) => PartyKind::Company,
        ("staff", None) => PartyKind::Staff,
        ("third_party", None) => PartyKind::ThirdParty,
        ("researcher", None) => PartyKind::Researcher,
        ("supplier", Some(gln)) => PartyKind::Supplier {
            gln: u64::try_from(gln)
                .ok()
                .and_then(|g| Gln::from_u64(g).ok())
                .ok_or_else(|| corrupt(format!("gln of {id}")))?,
        },
        (other, _) => return Err(corrupt(format!("kind {other:?} of {id}"))),
    })
}

pub(crate) fn party_row(sealer: &Sealer, row: &impl Columns) -> Result<Party, StoreError> {
    party_from_columns(sealer, row, &PARTY)
}

/// The column names of a party in a result: plain in a `SELECT *`, prefixed where one row
/// carries several parties (`point.rs`).
pub(crate) struct PartyColumns {
    pub(crate) party_id: &'static str,
    pub(crate) kind: &'static str,
    pub(crate) gln: &'static str,
    pub(crate) name_sealed: &'static str,
    pub(crate) phone_sealed: &'static str,
    pub(crate) email_sealed: &'static str,
}

const PARTY: PartyColumns = PartyColumns {
    party_id: "party_id",
    kind: "kind",
    gln: "gln",
    name_sealed: "name_sealed",
    phone_sealed: "phone_sealed",
    email_sealed: "email_sealed",
};

/// A party from the columns `c` names in `row`.
pub(crate) fn party_from_columns(
    sealer: &Sealer,
    row: &impl Columns,
    c: &PartyColumns,
) -> Result<Party, StoreError> {
    let id = party_from(row.text(c.party_id)?)?;
    let kind = kind_from(&id, &row.text(c.kind)?, row.opt_int(c.gln)?)?;
    let open_opt = |column: &str, what: &str| -> Result<Option<String>, StoreError> {
        let sealed = row.opt_blob(column)?;
        sealed.map(|s| sealer.open_json(&format!("parties.{what}|{id}"), &s)).transpose()
    };
    let name = open_opt(c.name_sealed, "name")?.ok_or_else(|| corrupt(format!("name of {id}")))?;
    Ok(Party {
        kind,
        name: parse_text("name", &name)?,
        phone: open_opt(c.phone_sealed, "phone")?.map(|p| parse_text::<Phone>("phone", &p)).transpose()?,
        email: open_opt(c.email_sealed, "email")?.map(|e| parse_text::<Email>("email", &e)).transpose()?,
        id,
    })
}

/// The one-round-trip look-up of [`Store::snapshot`]: `$1` the EAN, `$2` the instant.
pub(crate) static SNAPSHOT_SQL: LazyLock<String> = LazyLock::new(|| snapshot_sql("$1", "$2"));

/// The snapshot query with its EAN and instant as the parameters named `ean` and `at`, so a
/// larger statement can hold it as a subquery (`point.rs`).
pub(crate) fn snapshot_sql(ean: &str, at: &str) -> String {
    format!(
        "SELECT {ACCESS_POINT_COLUMNS}, \
           o.id AS o_id, o.ean AS o_ean, o.party_id AS o_party_id, o.from_us AS o_from_us, \
           o.to_us AS o_to_us, o.shipping_sealed AS o_shipping_sealed, o.recorded_at AS o_recorded_at, \
           o.supersedes AS o_supersedes, \
           r.id AS r_id, r.ean AS r_ean, r.party_id AS r_party_id, r.from_us AS r_from_us, \
           r.to_us AS r_to_us, r.recorded_at AS r_recorded_at, r.supersedes AS r_supersedes \
         FROM access_points ap \
         LEFT JOIN occupancies o ON o.ean = ap.ean AND o.id = ( \
           SELECT c.id FROM occupancies c WHERE c.ean = {ean} AND c.from_us <= {at} \
             AND (c.to_us IS NULL OR c.to_us > {at}) AND {NOT_SUPERSEDED_OCC} \
           ORDER BY c.from_us DESC LIMIT 1) \
         LEFT JOIN registrations r ON r.ean = ap.ean AND r.id = ( \
           SELECT c.id FROM registrations c WHERE c.ean = {ean} AND c.from_us <= {at} \
             AND (c.to_us IS NULL OR c.to_us > {at}) AND {NOT_SUPERSEDED_REG} \
           ORDER BY c.from_us DESC LIMIT 1) \
         WHERE ap.ean = {ean} AND ap.version = (SELECT MAX(v.version) FROM access_points v WHERE v.ean = {ean})"
    )
}

/// The caller's own periods on one access point (`$1` the EAN, `$2` the party).
pub(crate) static PERIODS_ON_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT 'r' AS kind, c.from_us, c.to_us FROM registrations c \
           WHERE c.ean = $1 AND c.party_id = $2 AND {NOT_SUPERSEDED_REG} \
         UNION ALL \
         SELECT 'o' AS kind, c.from_us, c.to_us FROM occupancies c \
           WHERE c.ean = $1 AND c.party_id = $2 AND {NOT_SUPERSEDED_OCC}"
    )
});

pub(crate) const PARTY_SQL: &str = "SELECT * FROM parties WHERE party_id = $1";

impl Store {
    /// The access point as it is now, if the register knows it.
    pub async fn access_point(&self, ean: Ean) -> Result<Option<AccessPoint>, StoreError> {
        let sql = format!(
            "SELECT {ACCESS_POINT_COLUMNS} FROM access_points ap WHERE ap.ean = $1 AND {LATEST_VERSION}"
        );
        let row = sqlx::query(&sql).bind(ean_key(ean)).fetch_optional(&self.read).await?;
        row.map(|r| access_point_from(&self.sealer, &r)).transpose()
    }

    /// Who occupied and who supplied `ean` at `at`, in one round trip; `None` if the access
    /// point is unknown.
    pub async fn snapshot(
        &self,
        ean: Ean,
        at: Timestamp,
    ) -> Result<Option<(AccessPoint, Snapshot)>, StoreError> {
        if let Some(local) = &self.local {
            return local.with(|conn| {
                static NAMES: ColumnNames = ColumnNames::new();
                let mut statement = conn.prepare_cached(&SNAPSHOT_SQL)?;
                let names = NAMES.of(&statement);
                let mut rows = statement.query(rusqlite::params![ean_key(ean), micros(at)])?;
                rows.next()?.map(|row| snapshot_from(&self.sealer, &Named { row, names }, at)).transpose()
            });
        }
        let row =
            sqlx::query(&SNAPSHOT_SQL).bind(ean_key(ean)).bind(micros(at)).fetch_optional(&self.read).await?;
        row.map(|row| snapshot_from(&self.sealer, &row, at)).transpose()
    }

    /// Every record of `ean`, superseded ones included; `None` if the access point is unknown.
    pub async fn history(&self, ean: Ean) -> Result<Option<History>, StoreError> {
        let Some(access_point) = self.access_point(ean).await? else {
            return Ok(None);
        };
        let occ = sqlx::query("SELECT * FROM occupancies WHERE ean = $1 ORDER BY id")
            .bind(ean_key(ean))
            .fetch_all(&self.read)
            .await?;
        let reg = sqlx::query("SELECT * FROM registrations WHERE ean = $1 ORDER BY id")
            .bind(ean_key(ean))
            .fetch_all(&self.read)
            .await?;
        Ok(Some(History {
            access_point,
            occupancies: occ
                .iter()
                .map(|r| occupancy_from(&self.sealer, r, &PLAIN))
                .collect::<Result<_, _>>()?,
            registrations: reg.iter().map(|r| registration_from(r, &PLAIN)).collect::<Result<_, _>>()?,
        }))
    }

    /// The party and its personal data, if it exists.
    pub async fn party(&self, id: &PartyId) -> Result<Option<Party>, StoreError> {
        if let Some(local) = &self.local {
            return local.with(|conn| {
                let mut statement = conn.prepare_cached(PARTY_SQL)?;
                let mut rows = statement.query([id.as_str()])?;
                rows.next()?.map(|row| party_row(&self.sealer, row)).transpose()
            });
        }
        let row = sqlx::query(PARTY_SQL).bind(id.as_str()).fetch_optional(&self.read).await?;
        row.map(|r| party_row(&self.sealer, &r)).transpose()
    }

    /// Parties whose phone number is exactly `phone`, found through the blind index.
    pub async fn parties_by_phone(&self, phone: &Phone) -> Result<Vec<PartyId>, StoreError> {
        self.parties_by_index("phone_index", self.sealer.blind_index("phone", phone.as_str())).await
    }

    /// Parties whose e-mail is exactly `email`, found through the blind index.
    pub async fn parties_by_email(&self, email: &Email) -> Result<Vec<PartyId>, StoreError> {
        self.parties_by_index("email_index", self.sealer.blind_index("email", email.as_str())).await
    }

    async fn parties_by_index(&self, column: &str, index: Vec<u8>) -> Result<Vec<PartyId>, StoreError> {
        let sql = format!("SELECT party_id FROM parties WHERE {column} = $1 ORDER BY party_id");
        let ids: Vec<String> = sqlx::query_scalar(&sql).bind(index).fetch_all(&self.read).await?;
        ids.into_iter().map(party_from).collect()
    }

    /// Every effective occupancy and registration of a party, on every access point.
    pub async fn party_periods(&self, id: &PartyId) -> Result<PartyPeriods, StoreError> {
        let occ = sqlx::query(&format!(
            "SELECT * FROM occupancies c WHERE c.party_id = $1 AND {NOT_SUPERSEDED_OCC} ORDER BY c.from_us, c.ean"
        ))
        .bind(id.as_str())
        .fetch_all(&self.read)
        .await?;
        let reg = sqlx::query(&format!(
            "SELECT * FROM registrations c WHERE c.party_id = $1 AND {NOT_SUPERSEDED_REG} ORDER BY c.from_us, c.ean"
        ))
        .bind(id.as_str())
        .fetch_all(&self.read)
        .await?;
        Ok(PartyPeriods {
            occupancies: occ
                .iter()
                .map(|r| occupancy_from(&self.sealer, r, &PLAIN))
                .collect::<Result<_, _>>()?,
            registrations: reg.iter().map(|r| registration_from(r, &PLAIN)).collect::<Result<_, _>>()?,
        })
    }

    /// The periods of the effective registrations and occupancies `party` holds on `ean`:
    /// the facts a policy decision about that party and that access point needs.
    pub async fn periods_on(
        &self,
        party: &PartyId,
        ean: Ean,
    ) -> Result<(Vec<Period>, Vec<Period>), StoreError> {
        let mut registrations = Vec::new();
        let mut occupancies = Vec::new();
        let mut sort = |kind: &str, from_us: i64, to_us: Option<i64>| -> Result<(), StoreError> {
            let period = period_from(from_us, to_us)?;
            if kind == "r" {
                registrations.push(period)
            } else {
                occupancies.push(period)
            }
            Ok(())
        };
        if let Some(local) = &self.local {
            local.with(|conn| {
                let mut statement = conn.prepare_cached(&PERIODS_ON_SQL)?;
                let mut rows = statement.query(rusqlite::params![ean_key(ean), party.as_str()])?;
                while let Some(row) = rows.next()? {
                    sort(&row.text("kind")?, row.int("from_us")?, row.opt_int("to_us")?)?;
                }
                Ok(())
            })?;
        } else {
            let rows = sqlx::query(&PERIODS_ON_SQL)
                .bind(ean_key(ean))
                .bind(party.as_str())
                .fetch_all(&self.read)
                .await?;
            for row in rows {
                sort(&row.text("kind")?, row.int("from_us")?, row.opt_int("to_us")?)?;
            }
        }
        Ok((registrations, occupancies))
    }

    /// Sizes of the register.
    pub async fn counts(&self) -> Result<Counts, StoreError> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(DISTINCT ean) FROM access_points) AS access_points, \
                    (SELECT COUNT(*) FROM parties) AS parties, \
                    (SELECT COUNT(*) FROM occupancies) AS occupancies, \
                    (SELECT COUNT(*) FROM registrations) AS registrations",
        )
        .fetch_one(&self.read)
        .await?;
        Ok(Counts {
            access_points: row.try_get("access_points")?,
            parties: row.try_get("parties")?,
            occupancies: row.try_get("occupancies")?,
            registrations: row.try_get("registrations")?,
        })
    }

    /// The first `limit` EANs in numeric order: a stable sample for tours and benchmarks.
    pub async fn eans(&self, limit: i64) -> Result<Vec<Ean>, StoreError> {
        let keys: Vec<i64> =
            sqlx::query_scalar("SELECT DISTINCT ean FROM access_points ORDER BY ean LIMIT $1")
                .bind(limit)
                .fetch_all(&self.read)
                .await?;
        keys.into_iter().map(ean_from).collect()
    }
}

impl WriteTx {
    pub(crate) async fn lock_access_point(&mut self, ean: Ean) -> Result<(), StoreError> {
        if self.backend == Backend::Postgres {
            // Serialises writers of one EAN for the rest of the transaction; count(*) because
            // the lock function returns `void`, which no driver decodes.
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM (SELECT pg_advisory_xact_lock($1)) AS l")
                .bind(ean_key(ean))
                .fetch_one(self.conn())
                .await?;
        }
        Ok(())
    }

    /// The kind of the party `id`, read in this transaction; `field` names it if it is unknown.
    pub async fn party_kind(&mut self, field: &'static str, id: &PartyId) -> Result<PartyKind, StoreError> {
        let row = sqlx::query("SELECT kind, gln FROM parties WHERE party_id = $1")
            .bind(id.as_str())
            .fetch_optional(self.conn())
            .await?
            .ok_or_else(|| StoreError::UnknownParty { field, id: id.to_string() })?;
        kind_from(id, &row.try_get::<String, _>("kind")?, row.try_get("gln")?)
    }

    async fn require_access_point(&mut self, ean: Ean) -> Result<(), StoreError> {
        let found: Option<i64> = sqlx::query_scalar("SELECT ean FROM access_points WHERE ean = $1 LIMIT 1")
            .bind(ean_key(ean))
            .fetch_optional(self.conn())
            .await?;
        found.map(|_| ()).ok_or_else(|| StoreError::UnknownAccessPoint { ean: ean.to_string() })
    }

    /// Adds a party. Its id (and a supplier's GLN) must be new.
    pub async fn put_party(&mut self, party: &Party, at: Timestamp) -> Result<(), StoreError> {
        let exists: Option<String> = sqlx::query_scalar("SELECT party_id FROM parties WHERE party_id = $1")
            .bind(party.id.as_str())
            .fetch_optional(self.conn())
            .await?;
        if exists.is_some() {
            return Err(StoreError::Duplicate { field: "id", value: party.id.to_string() });
        }
        let gln = match &party.kind {
            PartyKind::Supplier { gln } => {
                let key = gln.as_u64() as i64;
                let taken: Option<String> = sqlx::query_scalar("SELECT party_id FROM parties WHERE gln = $1")
                    .bind(key)
                    .fetch_optional(self.conn())
                    .await?;
                if taken.is_some() {
                    return Err(StoreError::Duplicate { field: "gln", value: gln.to_string() });
                }
                Some(key)
            }
            _ => None,
        };
        let sealer = self.sealer.clone();
        let id = &party.id;
        let seal = |what: &str, value: &str| sealer.seal_json(&format!("parties.{what}|{id}"), &value);
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO parties (party_id, kind, gln, name_sealed, phone_sealed, phone_index, \
                                  email_sealed, email_index, recorded_at, journal_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {}",
            PARTIES.column_list()
        ))
        .bind(id.as_str())
        .bind(party.kind.as_str())
        .bind(gln)
        .bind(seal("name", party.name.as_str()))
        .bind(party.phone.as_ref().map(|p| seal("phone", p.as_str())))
        .bind(party.phone.as_ref().map(|p| sealer.blind_index("phone", p.as_str())))
        .bind(party.email.as_ref().map(|e| seal("email", e.as_str())))
        .bind(party.email.as_ref().map(|e| sealer.blind_index("email", e.as_str())))
        .bind(micros(at))
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&PARTIES, &row)
    }

    /// Adds an access point, or a new version of it (meter change, status change). Returns
    /// the version written.
    pub async fn put_access_point(&mut self, ap: &AccessPoint, at: Timestamp) -> Result<i64, StoreError> {
        self.lock_access_point(ap.ean).await?;
        let latest: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM access_points WHERE ean = $1")
            .bind(ean_key(ap.ean))
            .fetch_one(self.conn())
            .await?;
        let version = latest.unwrap_or(0) + 1;
        let sealed = self.sealer.seal_json(&address_context(ap.ean), &ap.address);
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO access_points (ean, version, energy, address_sealed, postal_code, municipality, \
                                        substation, regime, meter, grid_status, recorded_at, journal_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING {}",
            ACCESS_POINTS.column_list()
        ))
        .bind(ean_key(ap.ean))
        .bind(version)
        .bind(ap.energy.as_str())
        .bind(sealed)
        .bind(i64::from(ap.address.postal_code()))
        .bind(ap.address.municipality())
        .bind(ap.substation.as_str())
        .bind(ap.regime.as_str())
        .bind(ap.meter.as_str())
        .bind(ap.grid_status.as_str())
        .bind(micros(at))
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&ACCESS_POINTS, &row)?;
        Ok(version)
    }

    /// The ids and periods of the effective records of `kind` on `ean`, after locking the
    /// access point and checking that it exists: what the register's rules judge a write by.
    async fn effective_periods(
        &mut self,
        kind: RecordKind,
        ean: Ean,
    ) -> Result<Vec<(RecordId, Period)>, StoreError> {
        self.lock_access_point(ean).await?;
        self.require_access_point(ean).await?;
        let table = table_of(kind);
        let sql = format!(
            "SELECT c.id, c.from_us, c.to_us FROM {table} c WHERE c.ean = $1 AND \
             NOT EXISTS (SELECT 1 FROM {table} s WHERE s.ean = c.ean AND s.supersedes = c.id)"
        );
        let rows = sqlx::query(&sql).bind(ean_key(ean)).fetch_all(self.conn()).await?;
        rows.iter()
            .map(|r| {
                Ok((RecordId(r.try_get("id")?), period_from(r.try_get("from_us")?, r.try_get("to_us")?)?))
            })
            .collect()
    }

    /// One record of `kind` on `ean` by id, as stored.
    async fn record_row(&mut self, kind: RecordKind, ean: Ean, id: RecordId) -> Result<AnyRow, StoreError> {
        let sql = format!("SELECT * FROM {} WHERE ean = $1 AND id = $2", table_of(kind));
        Ok(sqlx::query(&sql).bind(ean_key(ean)).bind(id.0).fetch_one(self.conn()).await?)
    }

    /// Applies one request's changes, each recorded at its instant, all or nothing: several
    /// changes run inside a savepoint, so a refusal midway undoes the earlier ones. Returns
    /// what each wrote with the network users it concerns ([`WriteTx::concerned`]), or the
    /// first refusal and its place.
    ///
    /// The `Err` of the outer result is a database failure after which the transaction
    /// cannot be trusted: a single change checks everything before it writes and needs no
    /// savepoint, but PostgreSQL aborts the transaction on a database error, so that error
    /// fails the batch rather than being guessed around.
    pub async fn apply_all(&mut self, changes: &[(Timestamp, Change)]) -> Result<Applied, StoreError> {
        let savepoint = if changes.len() > 1 { Some(self.savepoint().await?) } else { None };
        let mut written = Vec::with_capacity(changes.len());
        for (index, (at, change)) in changes.iter().enumerate() {
            match self.apply(*at, change).await {
                Ok(w) => {
                    let concerned = self.concerned(*at, change, &w).await?;
                    written.push((w, concerned, self.slot()));
                }
                Err(error) => {
                    match savepoint {
                        Some(savepoint) => self.rollback_to(savepoint).await?,
                        None if !error.is_input() => return Err(error),
                        None => {}
                    }
                    return Ok(Applied::Refused { index, error });
                }
            }
        }
        if let Some(savepoint) = savepoint {
            self.release(savepoint).await?;
        }
        Ok(Applied::Written(written))
    }

    /// Applies one change recorded at `at`; an invalid change is refused before anything is
    /// written.
    pub async fn apply(&mut self, at: Timestamp, change: &Change) -> Result<Written, StoreError> {
        Ok(match change {
            Change::PutParty(p) => self.put_party(p, at).await.map(|()| Written::Party)?,
            Change::PutAccessPoint(ap) => {
                self.put_access_point(ap, at).await.map(Written::AccessPointVersion)?
            }
            Change::RecordOccupancy { occupancy, supersedes } => {
                self.record_occupancy(occupancy, *supersedes, at).await.map(Written::Record)?
            }
            Change::RecordRegistration { registration, supersedes } => {
                self.record_registration(registration, *supersedes, at).await.map(Written::Record)?
            }
            Change::EndOccupancy { ean, at: end } => {
                Written::Record(self.end_occupancy(*ean, *end, at).await?)
            }
            Change::EndRegistration { ean, at: end } => {
                Written::Record(self.end_registration(*ean, *end, at).await?)
            }
        })
    }

    /// Ends the occupancy in force at `end` by superseding it with one that stops then.
    pub async fn end_occupancy(
        &mut self,
        ean: Ean,
        end: Timestamp,
        at: Timestamp,
    ) -> Result<RecordId, StoreError> {
        let effective = self.effective_periods(RecordKind::Occupancy, ean).await?;
        let (id, period) = rules::end(RecordKind::Occupancy, ean, &effective, end)?;
        let row = self.record_row(RecordKind::Occupancy, ean, id).await?;
        let ended = Occupancy { period, ..occupancy_from(&self.sealer, &row, &PLAIN)?.value };
        // The occupant's kind was checked when the record was written, and parties never change.
        rules::new_record(RecordKind::Occupancy, &effective, ended.period, Some(id))?;
        self.insert_occupancy(&ended, Some(id), at).await
    }

    /// The network users whose data a change just written (`written`) is about: the
    /// occupant of an occupancy record; the occupants in force when an access point version
    /// takes effect; the occupants whose effective occupancy overlaps a registration's period.
    ///
    /// The journal names them beside the EAN, so a customer's access log can show the writes
    /// about their own data and leave out those about a predecessor's record or contract,
    /// written while the customer happens to live there (R4). Read in the writer's
    /// transaction, after the change, so the answer is the register the entry describes.
    pub async fn concerned(
        &mut self,
        at: Timestamp,
        change: &Change,
        written: &Written,
    ) -> Result<Vec<PartyId>, StoreError> {
        let record = match written {
            Written::Record(id) => Some(*id),
            _ => None,
        };
        match (change, record) {
            (Change::RecordOccupancy { occupancy, .. }, _) => Ok(vec![occupancy.network_user.clone()]),
            (Change::EndOccupancy { ean, .. }, Some(id)) => {
                let party: String =
                    sqlx::query_scalar("SELECT party_id FROM occupancies WHERE ean = $1 AND id = $2")
                        .bind(ean_key(*ean))
                        .bind(id.0)
                        .fetch_one(self.conn())
                        .await?;
                Ok(vec![party_from(party)?])
            }
            (Change::RecordRegistration { registration, .. }, _) => {
                self.occupants_over(registration.ean, registration.period).await
            }
            (Change::EndRegistration { ean, .. }, Some(id)) => {
                let row = sqlx::query("SELECT from_us, to_us FROM registrations WHERE ean = $1 AND id = $2")
                    .bind(ean_key(*ean))
                    .bind(id.0)
                    .fetch_one(self.conn())
                    .await?;
                let period = period_from(row.try_get("from_us")?, row.try_get("to_us")?)?;
                self.occupants_over(*ean, period).await
            }
            (Change::PutAccessPoint(ap), _) => {
                let instant = Period::new(at, Some(at + jiff::SignedDuration::from_micros(1)))
                    .map_err(|e| corrupt(format!("period: {e}")))?;
                self.occupants_over(ap.ean, instant).await
            }
            (Change::PutParty(_) | Change::EndOccupancy { .. } | Change::EndRegistration { .. }, _) => {
                Ok(Vec::new())
            }
        }
    }

    /// The network users of the effective occupancies of `ean` that overlap `period`.
    async fn occupants_over(&mut self, ean: Ean, period: Period) -> Result<Vec<PartyId>, StoreError> {
        let mut sql = "SELECT DISTINCT c.party_id FROM occupancies c WHERE c.ean = $1 \
                       AND (c.to_us IS NULL OR c.to_us > $2) \
                       AND NOT EXISTS (SELECT 1 FROM occupancies s WHERE s.ean = c.ean AND s.supersedes = c.id)"
            .to_owned();
        if period.to().is_some() {
            sql.push_str(" AND c.from_us < $3");
        }
        sql.push_str(" ORDER BY c.party_id");
        let mut query = sqlx::query_scalar::<_, String>(&sql).bind(ean_key(ean)).bind(micros(period.from()));
        if let Some(to) = period.to() {
            query = query.bind(micros(to));
        }
        query.fetch_all(self.conn()).await?.into_iter().map(party_from).collect()
    }

    /// Ends the registration in force at `end` by superseding it with one that stops then.
    pub async fn end_registration(
        &mut self,
        ean: Ean,
        end: Timestamp,
        at: Timestamp,
    ) -> Result<RecordId, StoreError> {
        let effective = self.effective_periods(RecordKind::Registration, ean).await?;
        let (id, period) = rules::end(RecordKind::Registration, ean, &effective, end)?;
        let row = self.record_row(RecordKind::Registration, ean, id).await?;
        let ended = Registration { period, ..registration_from(&row, &PLAIN)?.value };
        // The supplier's kind was checked when the record was written, and parties never change.
        rules::new_record(RecordKind::Registration, &effective, ended.period, Some(id))?;
        self.insert_registration(&ended, Some(id), at).await
    }

    /// Records a network user on an access point, or a correction of an effective occupancy
    /// (`supersedes`), such as the end date of a move-out. Returns the new record's id.
    pub async fn record_occupancy(
        &mut self,
        occupancy: &Occupancy,
        supersedes: Option<RecordId>,
        at: Timestamp,
    ) -> Result<RecordId, StoreError> {
        let kind = self.party_kind("network_user", &occupancy.network_user).await?;
        rules::network_user(&occupancy.network_user, &kind)?;
        let effective = self.effective_periods(RecordKind::Occupancy, occupancy.ean).await?;
        rules::new_record(RecordKind::Occupancy, &effective, occupancy.period, supersedes)?;
        self.insert_occupancy(occupancy, supersedes, at).await
    }

    /// Writes an occupancy record the rules allowed.
    async fn insert_occupancy(
        &mut self,
        occupancy: &Occupancy,
        supersedes: Option<RecordId>,
        at: Timestamp,
    ) -> Result<RecordId, StoreError> {
        const TABLE: &Table = &OCCUPANCIES;
        let sealed = self.sealer.seal_json(
            &shipping_context(occupancy.ean, &occupancy.network_user),
            &occupancy.shipping_address,
        );
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO occupancies (ean, party_id, from_us, to_us, shipping_sealed, recorded_at, supersedes, \
                                      journal_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {}",
            OCCUPANCIES.column_list()
        ))
        .bind(ean_key(occupancy.ean))
        .bind(occupancy.network_user.as_str())
        .bind(micros(occupancy.period.from()))
        .bind(occupancy.period.to().map(micros))
        .bind(sealed)
        .bind(micros(at))
        .bind(supersedes.map(|r| r.0))
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        let id: i64 = row.try_get("id")?;
        self.bind(TABLE, &row)?;
        Ok(RecordId(id))
    }

    /// Records a supplier's accepted registration, or a correction of an effective one
    /// (`supersedes`), such as the end of a contract. Returns the new record's id.
    pub async fn record_registration(
        &mut self,
        registration: &Registration,
        supersedes: Option<RecordId>,
        at: Timestamp,
    ) -> Result<RecordId, StoreError> {
        let kind = self.party_kind("supplier", &registration.supplier).await?;
        rules::supplier(&registration.supplier, &kind)?;
        let effective = self.effective_periods(RecordKind::Registration, registration.ean).await?;
        rules::new_record(RecordKind::Registration, &effective, registration.period, supersedes)?;
        self.insert_registration(registration, supersedes, at).await
    }

    /// Writes a registration record the rules allowed.
    async fn insert_registration(
        &mut self,
        registration: &Registration,
        supersedes: Option<RecordId>,
        at: Timestamp,
    ) -> Result<RecordId, StoreError> {
        const TABLE: &Table = &REGISTRATIONS;
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO registrations (ean, party_id, from_us, to_us, recorded_at, supersedes, journal_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {}",
            REGISTRATIONS.column_list()
        ))
        .bind(ean_key(registration.ean))
        .bind(registration.supplier.as_str())
        .bind(micros(registration.period.from()))
        .bind(registration.period.to().map(micros))
        .bind(micros(at))
        .bind(supersedes.map(|r| r.0))
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        let id: i64 = row.try_get("id")?;
        self.bind(TABLE, &row)?;
        Ok(RecordId(id))
    }
}
