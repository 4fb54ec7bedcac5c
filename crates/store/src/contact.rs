//! The contact center's persistence (R12): the configuration's versions, each principal's
//! customer directory, the interactions with their history, the cases and the shifts.
//!
//! Every read takes the principal it is for and filters on it in SQL: the store has no read
//! that spans principals, so a use case cannot ask for one by mistake. The directory keeps a
//! customer's name sealed and the number only as a blind index whose key names the principal
//! (`contact:<principal>`): the same number in two directories gives two indexes nothing
//! relates, and a look-up is an exact match on the whole E.164 number, never a suffix.

use serde::Serialize;

use crate::bound::{
    CONTACT_CASES, CONTACT_CONFIGS, CONTACT_DIRECTORY, CONTACT_EVENTS, CONTACT_INTERACTIONS, CONTACT_SHIFTS,
};
use crate::local::Columns;
use crate::{Store, StoreError, WriteTx, corrupt};

/// A customer found in a principal's directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DirectoryEntry {
    /// The customer's reference in the principal's own systems.
    pub customer: String,
    /// The customer's name, opened.
    pub name: String,
}

/// What happened to an interaction after it was offered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactEvent {
    /// Its number within the interaction, from 1.
    pub n: i64,
    /// `answered`, `transferred`, `ended` or `abandoned`.
    pub kind: String,
    /// When, in seconds since the epoch.
    pub at: i64,
    /// The queue it was transferred to.
    pub queue: Option<String>,
    /// The operator who answered or ended it.
    pub operator: Option<String>,
    /// After-call work, for an `ended` event.
    pub wrap_seconds: i64,
}

/// An interaction as recorded: references and history, no customer data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredInteraction {
    /// Its id (`int_…`).
    pub id: String,
    /// The principal whose entry point it came by.
    pub principal: String,
    /// `call`, `mail`, `sms` or `chat`.
    pub channel: String,
    /// The entry point's address.
    pub entry: String,
    /// The routing rule that applied, if one did.
    pub rule: Option<String>,
    /// The queue it was routed to.
    pub queue: String,
    /// The operator it was offered to, if one was free.
    pub operator: Option<String>,
    /// The customer's reference in the principal's directory, once identified.
    pub customer: Option<String>,
    /// When it was offered, in seconds since the epoch.
    pub offered_at: i64,
    /// What happened next, in order.
    pub events: Vec<ContactEvent>,
}

/// A case as it stands (its latest version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredCase {
    /// Its id (`case_…`).
    pub id: String,
    /// Its version: one per step.
    pub version: i64,
    /// The principal it belongs to.
    pub principal: String,
    /// The customer's reference in the principal's directory.
    pub customer: String,
    /// The principal's procedure it follows.
    pub procedure: String,
    /// How many of the procedure's steps are done.
    pub step: i64,
    /// `open` or `closed`.
    pub state: String,
    /// The operator of the last version.
    pub operator: String,
    /// When the last version was written, in seconds since the epoch.
    pub changed_at: i64,
}

/// An operator's shift for a principal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shift {
    /// The operator's party id.
    pub operator: String,
    /// Its start, in seconds since the epoch.
    pub from: i64,
    /// Its end, in seconds since the epoch.
    pub until: i64,
}

/// The blind-index kind of principal `principal`'s numbers: the principal is in the index's
/// input, so no two directories share an index value.
fn number_kind(principal: &str) -> String {
    format!("contact:{principal}")
}

fn name_context(principal: &str, customer: &str) -> String {
    format!("contact_directory:{principal}:{customer}")
}

fn case_from(row: &impl Columns) -> Result<StoredCase, StoreError> {
    Ok(StoredCase {
        id: row.text("case_id")?,
        version: row.int("version")?,
        principal: row.text("principal")?,
        customer: row.text("customer_ref")?,
        procedure: row.text("procedure_id")?,
        step: row.int("step")?,
        state: row.text("state")?,
        operator: row.text("operator")?,
        changed_at: row.int("changed_at")?,
    })
}

fn event_from(row: &impl Columns) -> Result<ContactEvent, StoreError> {
    Ok(ContactEvent {
        n: row.int("n")?,
        kind: row.text("kind")?,
        at: row.int("at")?,
        queue: row.opt_text("queue")?,
        operator: row.opt_text("operator")?,
        wrap_seconds: row.int("wrap_seconds")?,
    })
}

fn interaction_from(row: &impl Columns) -> Result<StoredInteraction, StoreError> {
    Ok(StoredInteraction {
        id: row.text("interaction_id")?,
        principal: row.text("principal")?,
        channel: row.text("channel")?,
        entry: row.text("entry")?,
        rule: row.opt_text("rule_id")?,
        queue: row.text("queue")?,
        operator: row.opt_text("operator")?,
        customer: row.opt_text("customer_ref")?,
        offered_at: row.int("offered_at")?,
        events: Vec::new(),
    })
}

/// Attaches each interaction's events (sorted by interaction id then number) to it.
fn attach(
    mut interactions: Vec<StoredInteraction>,
    events: Vec<(String, ContactEvent)>,
) -> Vec<StoredInteraction> {
    let mut by_id: std::collections::HashMap<String, Vec<ContactEvent>> = std::collections::HashMap::new();
    for (id, event) in events {
        by_id.entry(id).or_default().push(event);
    }
    for interaction in &mut interactions {
        if let Some(events) = by_id.remove(&interaction.id) {
            interaction.events = events;
        }
    }
    interactions
}

/// A new random id with `prefix`.
pub fn new_id(prefix: &str) -> String {
    use rand::RngCore;
    let mut raw = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    format!("{prefix}_{}", hex::encode(raw))
}

impl WriteTx {
    /// Writes a new version of the contact center's configuration; returns its version.
    pub async fn put_contact_config(&mut self, text: &str, sha256: &str, at: i64) -> Result<i64, StoreError> {
        let version: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) + 1 FROM contact_configs")
            .fetch_one(self.conn())
            .await?;
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO contact_configs (version, text, sha256, loaded_at, journal_seq) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {}",
            CONTACT_CONFIGS.column_list()
        ))
        .bind(version)
        .bind(text.to_owned())
        .bind(sha256.to_owned())
        .bind(at)
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&CONTACT_CONFIGS, &row)?;
        Ok(version)
    }

    /// Adds `customer` with `number` (an E.164 text, checked by the caller) and `name` to
    /// `principal`'s directory. Returns false, writing nothing, when the directory holds
    /// that customer with that number already.
    pub async fn put_directory_entry(
        &mut self,
        principal: &str,
        customer: &str,
        number: &str,
        name: &str,
    ) -> Result<bool, StoreError> {
        let index = self.sealer.blind_index(&number_kind(principal), number);
        let sealed = self.sealer.seal(&name_context(principal, customer), name.as_bytes());
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO contact_directory (principal, customer_ref, number_index, name_sealed, journal_seq) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING {}",
            CONTACT_DIRECTORY.column_list()
        ))
        .bind(principal.to_owned())
        .bind(customer.to_owned())
        .bind(index)
        .bind(sealed)
        .bind(seq)
        .fetch_optional(self.conn())
        .await?;
        match row {
            Some(row) => {
                self.bind(&CONTACT_DIRECTORY, &row)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Records an interaction as offered and routed (no events yet).
    pub async fn put_interaction(&mut self, interaction: &StoredInteraction) -> Result<(), StoreError> {
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO contact_interactions (interaction_id, principal, channel, entry, rule_id, queue, operator, \
             customer_ref, offered_at, journal_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {}",
            CONTACT_INTERACTIONS.column_list()
        ))
        .bind(interaction.id.clone())
        .bind(interaction.principal.clone())
        .bind(interaction.channel.clone())
        .bind(interaction.entry.clone())
        .bind(interaction.rule.clone())
        .bind(interaction.queue.clone())
        .bind(interaction.operator.clone())
        .bind(interaction.customer.clone())
        .bind(interaction.offered_at)
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&CONTACT_INTERACTIONS, &row)
    }

    /// Appends an event to interaction `id`; its number is the next one.
    pub async fn put_contact_event(&mut self, id: &str, event: &ContactEvent) -> Result<i64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(n), 0) + 1 FROM contact_events WHERE interaction_id = $1",
        )
        .bind(id.to_owned())
        .fetch_one(self.conn())
        .await?;
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO contact_events (interaction_id, n, kind, at, queue, operator, wrap_seconds, journal_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {}",
            CONTACT_EVENTS.column_list()
        ))
        .bind(id.to_owned())
        .bind(n)
        .bind(event.kind.clone())
        .bind(event.at)
        .bind(event.queue.clone())
        .bind(event.operator.clone())
        .bind(event.wrap_seconds)
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&CONTACT_EVENTS, &row)?;
        Ok(n)
    }

    /// Interaction `id` with its events, as it stands in this transaction.
    pub async fn contact_interaction(&mut self, id: &str) -> Result<Option<StoredInteraction>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM contact_interactions WHERE interaction_id = $1",
            CONTACT_INTERACTIONS.column_list()
        ))
        .bind(id.to_owned())
        .fetch_optional(self.conn())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let mut interaction = interaction_from(&row)?;
        let rows = sqlx::query(&format!(
            "SELECT {} FROM contact_events WHERE interaction_id = $1 ORDER BY n",
            CONTACT_EVENTS.column_list()
        ))
        .bind(id.to_owned())
        .fetch_all(self.conn())
        .await?;
        interaction.events = rows.iter().map(event_from).collect::<Result<_, _>>()?;
        Ok(Some(interaction))
    }

    /// Writes a new version of a case; its version is the next one.
    pub async fn put_case(&mut self, case: &StoredCase) -> Result<i64, StoreError> {
        let version: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) + 1 FROM contact_cases WHERE case_id = $1")
                .bind(case.id.clone())
                .fetch_one(self.conn())
                .await?;
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO contact_cases (case_id, version, principal, customer_ref, procedure_id, step, state, \
             operator, changed_at, journal_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {}",
            CONTACT_CASES.column_list()
        ))
        .bind(case.id.clone())
        .bind(version)
        .bind(case.principal.clone())
        .bind(case.customer.clone())
        .bind(case.procedure.clone())
        .bind(case.step)
        .bind(case.state.clone())
        .bind(case.operator.clone())
        .bind(case.changed_at)
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&CONTACT_CASES, &row)?;
        Ok(version)
    }

    /// Case `id` as it stands in this transaction.
    pub async fn contact_case(&mut self, id: &str) -> Result<Option<StoredCase>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM contact_cases WHERE case_id = $1 ORDER BY version DESC LIMIT 1",
            CONTACT_CASES.column_list()
        ))
        .bind(id.to_owned())
        .fetch_optional(self.conn())
        .await?;
        row.as_ref().map(case_from).transpose()
    }

    /// Whether `customer` is in `principal`'s directory.
    pub async fn in_directory(&mut self, principal: &str, customer: &str) -> Result<bool, StoreError> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM contact_directory WHERE principal = $1 AND customer_ref = $2 LIMIT 1",
        )
        .bind(principal.to_owned())
        .bind(customer.to_owned())
        .fetch_optional(self.conn())
        .await?;
        Ok(found.is_some())
    }

    /// Records an operator's shift for a principal.
    pub async fn put_shift(&mut self, principal: &str, shift: &Shift) -> Result<(), StoreError> {
        let seq = self.journal_seq();
        let row = sqlx::query(&format!(
            "INSERT INTO contact_shifts (principal, operator, from_at, until_at, journal_seq) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {}",
            CONTACT_SHIFTS.column_list()
        ))
        .bind(principal.to_owned())
        .bind(shift.operator.clone())
        .bind(shift.from)
        .bind(shift.until)
        .bind(seq)
        .fetch_one(self.conn())
        .await?;
        self.bind(&CONTACT_SHIFTS, &row)
    }
}

impl Store {
    /// The latest configuration's version, without its text: what a cached configuration is
    /// checked against on every use.
    pub async fn contact_config_version(&self) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar("SELECT MAX(version) FROM contact_configs").fetch_one(&self.read).await?)
    }

    /// The latest configuration: its version and text.
    pub async fn contact_config(&self) -> Result<Option<(i64, String)>, StoreError> {
        let row = sqlx::query("SELECT version, text FROM contact_configs ORDER BY version DESC LIMIT 1")
            .fetch_optional(&self.read)
            .await?;
        row.map(|row| Ok((row.int("version")?, row.text("text")?))).transpose()
    }

    /// The customers of `principal`'s directory with exactly `number` (E.164), and only
    /// that directory's.
    pub async fn directory_by_number(
        &self,
        principal: &str,
        number: &str,
    ) -> Result<Vec<DirectoryEntry>, StoreError> {
        let index = self.sealer.blind_index(&number_kind(principal), number);
        let rows = sqlx::query(
            "SELECT customer_ref, name_sealed FROM contact_directory WHERE principal = $1 AND number_index = $2",
        )
        .bind(principal.to_owned())
        .bind(index)
        .fetch_all(&self.read)
        .await?;
        self.entries_from(principal, &rows)
    }

    /// Customer `customer` of `principal`'s directory, by the reference an IVR captured.
    pub async fn directory_by_ref(
        &self,
        principal: &str,
        customer: &str,
    ) -> Result<Vec<DirectoryEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT customer_ref, name_sealed FROM contact_directory WHERE principal = $1 AND customer_ref = $2 \
             LIMIT 1",
        )
        .bind(principal.to_owned())
        .bind(customer.to_owned())
        .fetch_all(&self.read)
        .await?;
        self.entries_from(principal, &rows)
    }

    fn entries_from(
        &self,
        principal: &str,
        rows: &[sqlx::any::AnyRow],
    ) -> Result<Vec<DirectoryEntry>, StoreError> {
        let mut entries: Vec<DirectoryEntry> = Vec::with_capacity(rows.len());
        let mut seen = std::collections::BTreeSet::new();
        for row in rows {
            let customer = row.text("customer_ref")?;
            if !seen.insert(customer.clone()) {
                continue;
            }
            let name = self.sealer.open(&name_context(principal, &customer), &row.blob("name_sealed")?)?;
            let name = String::from_utf8(name).map_err(|_| corrupt("contact directory name"))?;
            entries.push(DirectoryEntry { customer, name });
        }
        entries.sort_by(|a, b| a.customer.cmp(&b.customer));
        Ok(entries)
    }

    /// How many entries `principal`'s directory holds.
    pub async fn directory_size(&self, principal: &str) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM contact_directory WHERE principal = $1")
            .bind(principal.to_owned())
            .fetch_one(&self.read)
            .await?)
    }

    /// `principal`'s cases, each as it stands; only `customer`'s when one is named.
    pub async fn contact_cases(
        &self,
        principal: &str,
        customer: Option<&str>,
    ) -> Result<Vec<StoredCase>, StoreError> {
        let columns =
            CONTACT_CASES.columns.iter().map(|(name, _)| format!("c.{name}")).collect::<Vec<_>>().join(", ");
        let rows = sqlx::query(&format!(
            "SELECT {columns} FROM contact_cases c WHERE c.principal = $1 AND (c.customer_ref = $2 OR $2 = '') \
             AND c.version = (SELECT MAX(v.version) FROM contact_cases v WHERE v.case_id = c.case_id) \
             ORDER BY c.changed_at, c.case_id"
        ))
        .bind(principal.to_owned())
        .bind(customer.unwrap_or_default().to_owned())
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(case_from).collect()
    }

    /// Case `id`, if it is `principal`'s.
    pub async fn contact_case_of(&self, principal: &str, id: &str) -> Result<Option<StoredCase>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM contact_cases WHERE case_id = $1 AND principal = $2 ORDER BY version DESC LIMIT 1",
            CONTACT_CASES.column_list()
        ))
        .bind(id.to_owned())
        .bind(principal.to_owned())
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(case_from).transpose()
    }

    /// The principal of interaction `id` and of case `id`, whichever it is: what a use case
    /// asks the gate about before it reads either.
    pub async fn contact_owner(&self, id: &str) -> Result<Option<String>, StoreError> {
        let query = if id.starts_with("case_") {
            "SELECT principal FROM contact_cases WHERE case_id = $1 LIMIT 1"
        } else {
            "SELECT principal FROM contact_interactions WHERE interaction_id = $1"
        };
        Ok(sqlx::query_scalar(query).bind(id.to_owned()).fetch_optional(&self.read).await?)
    }

    /// `principal`'s interactions offered in `[from, until)`, with their events.
    pub async fn contact_interactions(
        &self,
        principal: &str,
        from: i64,
        until: i64,
    ) -> Result<Vec<StoredInteraction>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM contact_interactions WHERE principal = $1 AND offered_at >= $2 AND offered_at < $3 \
             ORDER BY offered_at, interaction_id",
            CONTACT_INTERACTIONS.column_list()
        ))
        .bind(principal.to_owned())
        .bind(from)
        .bind(until)
        .fetch_all(&self.read)
        .await?;
        let interactions = rows.iter().map(interaction_from).collect::<Result<Vec<_>, _>>()?;
        let columns =
            CONTACT_EVENTS.columns.iter().map(|(name, _)| format!("e.{name}")).collect::<Vec<_>>().join(", ");
        let rows = sqlx::query(&format!(
            "SELECT {columns} FROM contact_events e JOIN contact_interactions i ON i.interaction_id = e.interaction_id \
             WHERE i.principal = $1 AND i.offered_at >= $2 AND i.offered_at < $3 ORDER BY e.interaction_id, e.n"
        ))
        .bind(principal.to_owned())
        .bind(from)
        .bind(until)
        .fetch_all(&self.read)
        .await?;
        let events = rows
            .iter()
            .map(|row| Ok((row.text("interaction_id")?, event_from(row)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(attach(interactions, events))
    }

    /// Interaction `id`, if it is `principal`'s.
    pub async fn contact_interaction_of(
        &self,
        principal: &str,
        id: &str,
    ) -> Result<Option<StoredInteraction>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM contact_interactions WHERE interaction_id = $1 AND principal = $2",
            CONTACT_INTERACTIONS.column_list()
        ))
        .bind(id.to_owned())
        .bind(principal.to_owned())
        .fetch_optional(&self.read)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let mut interaction = interaction_from(&row)?;
        let rows = sqlx::query(&format!(
            "SELECT {} FROM contact_events WHERE interaction_id = $1 ORDER BY n",
            CONTACT_EVENTS.column_list()
        ))
        .bind(id.to_owned())
        .fetch_all(&self.read)
        .await?;
        interaction.events = rows.iter().map(event_from).collect::<Result<_, _>>()?;
        Ok(Some(interaction))
    }

    /// `principal`'s shifts overlapping `[from, until)`.
    pub async fn contact_shifts(
        &self,
        principal: &str,
        from: i64,
        until: i64,
    ) -> Result<Vec<Shift>, StoreError> {
        let rows = sqlx::query(
            "SELECT operator, from_at, until_at FROM contact_shifts WHERE principal = $1 AND until_at > $2 \
             AND from_at < $3 ORDER BY operator, from_at",
        )
        .bind(principal.to_owned())
        .bind(from)
        .bind(until)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Shift {
                    operator: row.text("operator")?,
                    from: row.int("from_at")?,
                    until: row.int("until_at")?,
                })
            })
            .collect()
    }
}
