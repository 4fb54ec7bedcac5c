//! Bound rows: every row that holds business data or decides access is digested into the
//! journal entry that wrote it, and names that entry in its `journal_seq` column.
//!
//! The journal alone proves the entries were not altered; without this, a database
//! administrator could still swap a registration's supplier, move an occupancy's start by a
//! day or slip in a token, and the journal would verify. So each table below has one
//! canonical encoding of a row (its name, then each column in the order listed, typed), and
//! the entry that wrote the row carries `(table, key, SHA-256(label ‖ salt ‖ encoding))`.
//! Verification reads each table in `journal_seq` order beside the entries and recomputes
//! every digest: a row edited, deleted, inserted or re-pointed at another entry is named by
//! its table and key. Sealed personal data are bound through their ciphertext, so
//! verification needs no key.
//!
//! A row is digested from what the database returned for it (`INSERT … RETURNING`), read by
//! the same code the verifier reads it with, so what is bound is what is stored, type
//! affinities and all. Every bound table is append-only (a token's revocation is a row of its
//! own), so each row is written, and bound, exactly once.
//!
//! # Encoding
//!
//! The table name as a string, then per column: `0x00` for NULL, `0x01` and an i64
//! big-endian for an integer, `0x02` and a string for text, `0x03` and a string of bytes for
//! a blob; a string is a u32 big-endian length and the bytes. A row's key is its key columns
//! as text (integers in decimal, blobs in hexadecimal), joined by `:`.

use journal::{BoundRow, Hash, Salt};
use sha2::{Digest, Sha256};

use crate::{StoreError, corrupt};

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Int,
    OptInt,
    Text,
    Blob,
    OptBlob,
    OptText,
}

/// A table whose rows are bound to the journal.
#[derive(Debug)]
pub(crate) struct Table {
    /// The table's name, in SQL and in the entries.
    pub(crate) name: &'static str,
    /// The columns, in encoding order.
    pub(crate) columns: &'static [(&'static str, Kind)],
    /// How many of the first columns make the key.
    pub(crate) key: usize,
    /// Rows that are not business data and are bound elsewhere (the store's own key checks
    /// in `meta`), as an SQL condition.
    pub(crate) exclude: Option<&'static str>,
}

use Kind::{Blob, Int, OptBlob, OptInt, OptText, Text};

/// Parties: network users, suppliers, staff.
pub(crate) const PARTIES: Table = Table {
    name: "parties",
    columns: &[
        ("party_id", Text),
        ("kind", Text),
        ("gln", OptInt),
        ("name_sealed", Blob),
        ("phone_sealed", OptBlob),
        ("phone_index", OptBlob),
        ("email_sealed", OptBlob),
        ("email_index", OptBlob),
        ("recorded_at", Int),
    ],
    key: 1,
    exclude: None,
};

/// Access points, one row per version.
pub(crate) const ACCESS_POINTS: Table = Table {
    name: "access_points",
    columns: &[
        ("ean", Int),
        ("version", Int),
        ("energy", Text),
        ("address_sealed", Blob),
        ("postal_code", Int),
        ("municipality", Text),
        ("substation", Text),
        ("regime", Text),
        ("meter", Text),
        ("grid_status", Text),
        ("recorded_at", Int),
    ],
    key: 2,
    exclude: None,
};

/// Occupancies.
pub(crate) const OCCUPANCIES: Table = Table {
    name: "occupancies",
    columns: &[
        ("id", Int),
        ("ean", Int),
        ("party_id", Text),
        ("from_us", Int),
        ("to_us", OptInt),
        ("shipping_sealed", Blob),
        ("recorded_at", Int),
        ("supersedes", OptInt),
    ],
    key: 1,
    exclude: None,
};

/// Registrations.
pub(crate) const REGISTRATIONS: Table = Table {
    name: "registrations",
    columns: &[
        ("id", Int),
        ("ean", Int),
        ("party_id", Text),
        ("from_us", Int),
        ("to_us", OptInt),
        ("recorded_at", Int),
        ("supersedes", OptInt),
    ],
    key: 1,
    exclude: None,
};

/// Bearer tokens (their hashes).
pub(crate) const TOKENS: Table = Table {
    name: "tokens",
    columns: &[
        ("token_id", Text),
        ("token_hash", Blob),
        ("party_id", Text),
        ("role", Text),
        ("created_us", Int),
        ("expires_us", Int),
    ],
    key: 1,
    exclude: None,
};

/// Token revocations.
pub(crate) const TOKEN_REVOCATIONS: Table = Table {
    name: "token_revocations",
    columns: &[("token_id", Text), ("revoked_us", Int)],
    key: 1,
    exclude: None,
};

/// The installation's settings, beside the store's own key checks.
pub(crate) const SETTINGS: Table = Table {
    name: "meta",
    columns: &[("name", Text), ("value", Blob)],
    key: 1,
    exclude: Some("name NOT IN ('seal_key_check', 'journal_public_key')"),
};

/// Market scenarios as accepted.
pub(crate) const SCENARIOS: Table = Table {
    name: "scenarios",
    columns: &[
        ("id", Int),
        ("public_id", Text),
        ("ean", Int),
        ("kind", Text),
        ("initiator", Text),
        ("effective_day", Text),
        ("request_sealed", Blob),
        ("parties", Text),
        ("recorded_at", Int),
    ],
    key: 1,
    exclude: None,
};

/// The steps of each scenario.
pub(crate) const SCENARIO_STATUSES: Table = Table {
    name: "scenario_statuses",
    columns: &[("scenario_id", Int), ("n", Int), ("status", Text), ("at_us", Int)],
    key: 2,
    exclude: None,
};

/// Messages to parties and to the DSO's services.
pub(crate) const MESSAGES: Table = Table {
    name: "messages",
    columns: &[
        ("id", Text),
        ("n", Int),
        ("recipient", Text),
        ("scenario_id", Int),
        ("kind", Text),
        ("body", Blob),
        ("created_us", Int),
    ],
    key: 1,
    exclude: None,
};

/// Acknowledgements of messages.
pub(crate) const MESSAGE_ACKS: Table = Table {
    name: "message_acks",
    columns: &[("message_id", Text), ("acked_us", Int)],
    key: 1,
    exclude: None,
};

/// How far each queue is read (`market.rs`).
pub(crate) const QUEUE_MARKS: Table =
    Table { name: "queue_marks", columns: &[("recipient", Text), ("mark", Int)], key: 2, exclude: None };

/// Idempotency keys of submissions, with the first answer.
pub(crate) const IDEMPOTENCY_KEYS: Table = Table {
    name: "idempotency_keys",
    columns: &[
        ("party_id", Text),
        ("key", Text),
        ("request_digest", Blob),
        ("answer", Blob),
        ("created_us", Int),
    ],
    key: 2,
    exclude: None,
};

/// Interval data, one packed local day per row and version.
pub(crate) const INTERVAL_DAYS: Table = Table {
    name: "interval_days",
    columns: &[
        ("ean", Int),
        ("channel", Text),
        ("day", Text),
        ("version", Int),
        ("packed", Blob),
        ("recorded_at", Int),
    ],
    key: 4,
    exclude: None,
};

/// What the validation rules found on a version of an interval day.
pub(crate) const VALIDATION_FINDINGS: Table = Table {
    name: "validation_findings",
    columns: &[
        ("finding_id", Text),
        ("ean", Int),
        ("channel", Text),
        ("day", Text),
        ("version", Int),
        ("rule", Text),
        ("first_interval", OptInt),
        ("end_interval", OptInt),
        ("reason", Text),
        ("found_at", Int),
    ],
    key: 1,
    exclude: None,
};

/// A validator's decision on a finding.
pub(crate) const VALIDATION_DECISIONS: Table = Table {
    name: "validation_decisions",
    columns: &[
        ("finding_id", Text),
        ("decision", Text),
        ("party_id", Text),
        ("version_written", OptInt),
        ("decided_at", Int),
    ],
    key: 1,
    exclude: None,
};

/// Index readings, one row per access point, register, local day and version.
pub(crate) const INDEX_READINGS: Table = Table {
    name: "index_readings",
    columns: &[
        ("ean", Int),
        ("register", Text),
        ("day", Text),
        ("version", Int),
        ("read_at", Int),
        ("value", Int),
        ("calorific", OptInt),
        ("quality", Text),
        ("source", Text),
        ("reader", OptText),
        ("recorded_at", Int),
    ],
    key: 4,
    exclude: None,
};

/// The access points of the meter readers' routes, per reading window.
pub(crate) const ROUTE_STOPS: Table = Table {
    name: "route_stops",
    columns: &[
        ("reader", Text),
        ("window_from", Text),
        ("ean", Int),
        ("window_to", Text),
        ("assigned_at", Int),
    ],
    key: 3,
    exclude: None,
};

/// Staff records from the HR extracts, one row per version (R11).
pub(crate) const STAFF_RECORDS: Table = Table {
    name: "staff_records",
    columns: &[
        ("employee_id", Text),
        ("version", Int),
        ("party_id", Text),
        ("origin", Text),
        ("job_code", Text),
        ("department", Text),
        ("employer", Text),
        ("start_day", Text),
        ("end_day", OptText),
        ("status", Text),
        ("active", Int),
        ("recorded_at", Int),
    ],
    key: 2,
    exclude: None,
};

/// Role grants: who holds which role, from where, until when (R6, R11).
pub(crate) const ROLE_GRANTS: Table = Table {
    name: "role_grants",
    columns: &[
        ("grant_id", Text),
        ("party_id", Text),
        ("role", Text),
        ("source", Text),
        ("approver", OptText),
        ("expires_us", OptInt),
        ("granted_at", Int),
    ],
    key: 1,
    exclude: None,
};

/// The end of a grant, a row of its own.
pub(crate) const ROLE_REVOCATIONS: Table = Table {
    name: "role_revocations",
    columns: &[("grant_id", Text), ("revoked_at", Int), ("cause", Text)],
    key: 1,
    exclude: None,
};

/// The change report of each sync, with the digests of what it read.
pub(crate) const SYNC_REPORTS: Table = Table {
    name: "sync_reports",
    columns: &[("report_id", Text), ("ran_at", Int), ("sources", Blob), ("report", Blob)],
    key: 1,
    exclude: None,
};

/// Customers' written mandates (R5).
pub(crate) const MANDATES: Table = Table {
    name: "mandates",
    columns: &[
        ("mandate_id", Text),
        ("customer_id", Text),
        ("mandated_id", Text),
        ("scopes", Text),
        ("from_us", Int),
        ("to_us", OptInt),
        ("document", Text),
        ("recorded_at", Int),
    ],
    key: 1,
    exclude: None,
};

/// The access points a mandate names.
pub(crate) const MANDATE_POINTS: Table =
    Table { name: "mandate_points", columns: &[("mandate_id", Text), ("ean", Int)], key: 2, exclude: None };

/// The revocation of a mandate, a row of its own.
pub(crate) const MANDATE_REVOCATIONS: Table = Table {
    name: "mandate_revocations",
    columns: &[("mandate_id", Text), ("revoked_at", Int)],
    key: 1,
    exclude: None,
};

/// A producer connection queue's accepted command, as the domain's JSON (R15).
pub(crate) const CONNECTION_COMMANDS: Table = Table {
    name: "connection_commands",
    columns: &[("substation", Text), ("seq", Int), ("command", Text), ("recorded_at", Int)],
    key: 2,
    exclude: None,
};

/// A version of a producer connection queue's figures (R15).
pub(crate) const CONNECTION_QUEUES: Table = Table {
    name: "connection_queues",
    columns: &[
        ("substation", Text),
        ("version", Int),
        ("capacity_kw", Int),
        ("next_filing", Int),
        ("last_day", OptText),
    ],
    key: 2,
    exclude: None,
};

/// A version of a producer connection request (R15).
pub(crate) const CONNECTION_REQUESTS: Table = Table {
    name: "connection_requests",
    columns: &[
        ("request_id", Text),
        ("version", Int),
        ("substation", Text),
        ("producer_id", Text),
        ("state", Text),
        ("request", Text),
    ],
    key: 2,
    exclude: None,
};

/// A version of a customer works request (R13); its personal data sealed under data keys of
/// its own, bound through their ciphertext, so purging a key leaves the binding intact.
pub(crate) const WORKS_REQUESTS: Table = Table {
    name: "works_requests",
    columns: &[
        ("request_id", Text),
        ("version", Int),
        ("requester_id", Text),
        ("requester_kind", Text),
        ("kind", Text),
        ("stage", Text),
        ("ean", OptInt),
        ("fields", Text),
        ("contact_sealed", OptBlob),
        ("invoice_sealed", OptBlob),
        ("changed_day", Text),
    ],
    key: 2,
    exclude: None,
};

/// A purge of one category of a works request's personal data, with its legal basis (R13).
pub(crate) const WORKS_PURGES: Table = Table {
    name: "works_purges",
    columns: &[("request_id", Text), ("category", Text), ("purged_day", Text), ("basis", Text)],
    key: 2,
    exclude: None,
};

/// Why a break-glass access was opened (sealed), and the token it opened (R10).
pub(crate) const BREAK_GLASS: Table = Table {
    name: "break_glass",
    columns: &[("grant_id", Text), ("token_id", Text), ("reason_sealed", Blob)],
    key: 1,
    exclude: None,
};

/// Access requests (R6).
pub(crate) const ACCESS_REQUESTS: Table = Table {
    name: "access_requests",
    columns: &[
        ("request_id", Text),
        ("party_id", Text),
        ("role", Text),
        ("until_day", Text),
        ("requested_at", Int),
    ],
    key: 1,
    exclude: None,
};

/// The manager's decision on an access request.
pub(crate) const ACCESS_REQUEST_DECISIONS: Table = Table {
    name: "access_request_decisions",
    columns: &[
        ("request_id", Text),
        ("approver", Text),
        ("decision", Text),
        ("grant_id", OptText),
        ("decided_at", Int),
    ],
    key: 1,
    exclude: None,
};

/// A version of a consent receipt: given, then perhaps withdrawn (R14).
pub(crate) const CONSENTS: Table = Table {
    name: "consents",
    columns: &[
        ("receipt_id", Text),
        ("version", Int),
        ("subject_id", Text),
        ("terms", Text),
        ("given_at", Int),
        ("withdrawn_at", OptInt),
    ],
    key: 2,
    exclude: None,
};

/// A research partner's agreement (R14).
pub(crate) const RESEARCH_AGREEMENTS: Table = Table {
    name: "research_agreements",
    columns: &[("agreement_id", Text), ("partner_id", Text), ("terms", Text), ("recorded_at", Int)],
    key: 1,
    exclude: None,
};

/// An extract made for a research partner, its body sealed (R14).
pub(crate) const RESEARCH_EXTRACTS: Table = Table {
    name: "research_extracts",
    columns: &[
        ("extract_id", Text),
        ("partner_id", Text),
        ("agreement_id", Text),
        ("purpose", Text),
        ("category", Text),
        ("made_at", Int),
        ("participants", Int),
        ("row_count", Int),
        ("digest", Text),
        ("body_sealed", Blob),
    ],
    key: 1,
    exclude: None,
};

/// A version of a data subject's request, its texts sealed (GDPR art. 15, 16).
pub(crate) const SUBJECT_REQUESTS: Table = Table {
    name: "subject_requests",
    columns: &[
        ("request_id", Text),
        ("version", Int),
        ("subject_id", Text),
        ("kind", Text),
        ("received_at", Int),
        ("due_day", Text),
        ("state", Text),
        ("details_sealed", Blob),
        ("answer_sealed", OptBlob),
        ("changed_at", Int),
    ],
    key: 2,
    exclude: None,
};

/// A file of a warehouse export with its SHA-256 (R8, chapter VI).
pub(crate) const WAREHOUSE_FILES: Table = Table {
    name: "warehouse_files",
    columns: &[
        ("export_seq", Int),
        ("path", Text),
        ("dataset", Text),
        ("month", Text),
        ("row_count", Int),
        ("byte_count", Int),
        ("sha256", Text),
        ("label", Text),
    ],
    key: 2,
    exclude: None,
};

/// A version of a party's sign-in password: the argon2id PHC string, never the password.
pub(crate) const PASSWORDS: Table = Table {
    name: "passwords",
    columns: &[("party_id", Text), ("version", Int), ("role", Text), ("phc", Text), ("set_at", Int)],
    key: 2,
    exclude: None,
};

/// A wrong password given for a party, numbered per party: what the lockout counts.
pub(crate) const SIGN_IN_FAILURES: Table = Table {
    name: "sign_in_failures",
    columns: &[("party_id", Text), ("n", Int), ("at_us", Int)],
    key: 2,
    exclude: None,
};

/// A successful sign-in, with the token it opened: where the lockout's count starts again.
pub(crate) const SIGN_INS: Table = Table {
    name: "sign_ins",
    columns: &[("token_id", Text), ("party_id", Text), ("at_us", Int)],
    key: 1,
    exclude: None,
};

/// A version of the contact center's configuration (R12): its text as loaded.
pub(crate) const CONTACT_CONFIGS: Table = Table {
    name: "contact_configs",
    columns: &[("version", Int), ("text", Text), ("sha256", Text), ("loaded_at", Int)],
    key: 1,
    exclude: None,
};

/// A principal's directory entry: a customer's reference, a number as a blind index keyed
/// per principal, the name sealed (R12, I6).
pub(crate) const CONTACT_DIRECTORY: Table = Table {
    name: "contact_directory",
    columns: &[("principal", Text), ("customer_ref", Text), ("number_index", Blob), ("name_sealed", Blob)],
    key: 3,
    exclude: None,
};

/// An interaction as it was offered and routed: references only (R12).
pub(crate) const CONTACT_INTERACTIONS: Table = Table {
    name: "contact_interactions",
    columns: &[
        ("interaction_id", Text),
        ("principal", Text),
        ("channel", Text),
        ("entry", Text),
        ("rule_id", OptText),
        ("queue", Text),
        ("operator", OptText),
        ("customer_ref", OptText),
        ("offered_at", Int),
    ],
    key: 1,
    exclude: None,
};

/// What happened to an interaction after it was offered: answered, transferred, ended,
/// abandoned.
pub(crate) const CONTACT_EVENTS: Table = Table {
    name: "contact_events",
    columns: &[
        ("interaction_id", Text),
        ("n", Int),
        ("kind", Text),
        ("at", Int),
        ("queue", OptText),
        ("operator", OptText),
        ("wrap_seconds", Int),
    ],
    key: 2,
    exclude: None,
};

/// A version of a case: one per step of the principal's procedure.
pub(crate) const CONTACT_CASES: Table = Table {
    name: "contact_cases",
    columns: &[
        ("case_id", Text),
        ("version", Int),
        ("principal", Text),
        ("customer_ref", Text),
        ("procedure_id", Text),
        ("step", Int),
        ("state", Text),
        ("operator", Text),
        ("changed_at", Int),
    ],
    key: 2,
    exclude: None,
};

/// An operator's shift for a principal: what occupancy is counted against.
pub(crate) const CONTACT_SHIFTS: Table = Table {
    name: "contact_shifts",
    columns: &[("principal", Text), ("operator", Text), ("from_at", Int), ("until_at", Int)],
    key: 3,
    exclude: None,
};

/// Every bound table.
pub(crate) const TABLES: [&Table; 47] = [
    &PARTIES,
    &ACCESS_POINTS,
    &OCCUPANCIES,
    &REGISTRATIONS,
    &TOKENS,
    &TOKEN_REVOCATIONS,
    &SETTINGS,
    &SCENARIOS,
    &SCENARIO_STATUSES,
    &MESSAGES,
    &MESSAGE_ACKS,
    &QUEUE_MARKS,
    &IDEMPOTENCY_KEYS,
    &INTERVAL_DAYS,
    &VALIDATION_FINDINGS,
    &VALIDATION_DECISIONS,
    &INDEX_READINGS,
    &ROUTE_STOPS,
    &STAFF_RECORDS,
    &ROLE_GRANTS,
    &ROLE_REVOCATIONS,
    &SYNC_REPORTS,
    &MANDATES,
    &MANDATE_POINTS,
    &MANDATE_REVOCATIONS,
    &BREAK_GLASS,
    &ACCESS_REQUESTS,
    &ACCESS_REQUEST_DECISIONS,
    &CONNECTION_COMMANDS,
    &CONNECTION_QUEUES,
    &CONNECTION_REQUESTS,
    &WORKS_REQUESTS,
    &WORKS_PURGES,
    &CONSENTS,
    &RESEARCH_AGREEMENTS,
    &RESEARCH_EXTRACTS,
    &SUBJECT_REQUESTS,
    &WAREHOUSE_FILES,
    &PASSWORDS,
    &SIGN_IN_FAILURES,
    &SIGN_INS,
    &CONTACT_CONFIGS,
    &CONTACT_DIRECTORY,
    &CONTACT_INTERACTIONS,
    &CONTACT_EVENTS,
    &CONTACT_CASES,
    &CONTACT_SHIFTS,
];

/// One column's value, as either database returned it.
pub(crate) enum Value<'a> {
    Null,
    Int(i64),
    Text(&'a str),
    Blob(&'a [u8]),
}

/// A row read by position, from sqlx or from rusqlite: the columns in the table's order.
pub(crate) trait Positional {
    /// Column `index`, read as `kind`.
    fn value(&self, index: usize, kind: Kind, visit: &mut dyn FnMut(Value<'_>)) -> Result<(), StoreError>;
}

impl Positional for sqlx::any::AnyRow {
    fn value(&self, index: usize, kind: Kind, visit: &mut dyn FnMut(Value<'_>)) -> Result<(), StoreError> {
        use sqlx::Row;
        match kind {
            Int => visit(Value::Int(self.try_get(index)?)),
            OptInt => visit(self.try_get::<Option<i64>, _>(index)?.map_or(Value::Null, Value::Int)),
            Text => visit(Value::Text(self.try_get::<&str, _>(index)?)),
            Blob => visit(Value::Blob(self.try_get::<&[u8], _>(index)?)),
            OptBlob => visit(self.try_get::<Option<&[u8]>, _>(index)?.map_or(Value::Null, Value::Blob)),
            OptText => visit(self.try_get::<Option<&str>, _>(index)?.map_or(Value::Null, Value::Text)),
        }
        Ok(())
    }
}

impl Positional for rusqlite::Row<'_> {
    fn value(&self, index: usize, kind: Kind, visit: &mut dyn FnMut(Value<'_>)) -> Result<(), StoreError> {
        use rusqlite::types::ValueRef;
        let value = self.get_ref(index)?;
        let wrong = || corrupt(format!("column {index} is not of the type its table declares ({kind:?})"));
        match (kind, value) {
            (OptInt | OptBlob | OptText, ValueRef::Null) => visit(Value::Null),
            (Int | OptInt, ValueRef::Integer(i)) => visit(Value::Int(i)),
            (Text | OptText, ValueRef::Text(t)) => {
                visit(Value::Text(std::str::from_utf8(t).map_err(|_| wrong())?))
            }
            (Blob | OptBlob, ValueRef::Blob(b)) => visit(Value::Blob(b)),
            _ => return Err(wrong()),
        }
        Ok(())
    }
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

impl Table {
    /// The columns, comma-separated, in encoding order.
    pub(crate) fn column_list(&self) -> String {
        self.columns.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(", ")
    }

    /// `SELECT` of the bound columns and then `journal_seq`, with the table's exclusion as a
    /// first condition (`WHERE true` when it has none), for the caller to extend with `AND …`.
    pub(crate) fn select(&self) -> String {
        format!(
            "SELECT {}, journal_seq FROM {} WHERE {}",
            self.column_list(),
            self.name,
            self.exclude.unwrap_or("1 = 1")
        )
    }

    /// The row's key and canonical encoding, from a row whose first columns are this table's.
    pub(crate) fn encode(&self, row: &impl Positional) -> Result<(String, Vec<u8>), StoreError> {
        let mut key = String::new();
        let mut bytes = Vec::with_capacity(128);
        self.encode_into(row, &mut key, &mut bytes)?;
        Ok((key, bytes))
    }

    /// [`Table::encode`] appending to buffers the caller keeps: verification encodes every
    /// bound row of a page into two arenas rather than allocating a key and an encoding per
    /// row, which was a tenth of its time.
    pub(crate) fn encode_into(
        &self,
        row: &impl Positional,
        key: &mut String,
        bytes: &mut Vec<u8>,
    ) -> Result<(), StoreError> {
        use std::fmt::Write;
        put_bytes(bytes, self.name.as_bytes());
        for (index, &(_, kind)) in self.columns.iter().enumerate() {
            row.value(index, kind, &mut |value| {
                if index < self.key {
                    if index > 0 {
                        key.push(':');
                    }
                    match &value {
                        Value::Null => key.push_str("null"),
                        Value::Int(i) => {
                            write!(key, "{i}").expect("writing to a String cannot fail");
                        }
                        Value::Text(t) => key.push_str(t),
                        // No bound table has a blob in its key today.
                        Value::Blob(b) => key.push_str(&hex::encode(b)),
                    }
                }
                match value {
                    Value::Null => bytes.push(0),
                    Value::Int(i) => {
                        bytes.push(1);
                        bytes.extend_from_slice(&i.to_be_bytes());
                    }
                    Value::Text(t) => {
                        bytes.push(2);
                        put_bytes(bytes, t.as_bytes());
                    }
                    Value::Blob(b) => {
                        bytes.push(3);
                        put_bytes(bytes, b);
                    }
                }
            })?;
        }
        Ok(())
    }
}

/// The digest an entry carries for a row: SHA-256 of a label, the entry's salt and the row's
/// encoding. The salt keeps the digest from confirming a guess of the row.
pub(crate) fn row_digest(salt: &Salt, encoding: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update(b"cloison bound row v1\0");
    hasher.update(salt.0);
    hasher.update(encoding);
    Hash::from_bytes(hasher.finalize().into())
}

/// A row written in the current transaction and not yet bound to an entry.
#[derive(Debug, Clone)]
pub(crate) struct PendingRow {
    pub(crate) table: &'static str,
    pub(crate) key: String,
    pub(crate) encoding: Vec<u8>,
}

/// The place in the journal an entry will take, and the rows written for it: what a command
/// turns into one entry with [`Slot::fill`]. Given by [`crate::WriteTx::slot`].
#[derive(Debug)]
#[must_use = "a slot is the place of an entry: fill it, or the batch fails"]
pub struct Slot {
    pub(crate) sequence: u64,
    pub(crate) rows: Vec<PendingRow>,
}

impl Slot {
    /// The journal index the entry in this slot will have: a document issued by the command
    /// prints it, so the document names the entry that records its issue.
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// The entry in this slot: its sequence number, a fresh salt, and the digests of the
    /// slot's rows under that salt, sorted by table and key.
    pub fn fill(self, mut entry: journal::Entry) -> journal::Entry {
        let salt = fresh_salt();
        entry.sequence = self.sequence;
        entry.rows = self
            .rows
            .into_iter()
            .map(|row| BoundRow {
                table: row.table.to_owned(),
                key: row.key,
                digest: row_digest(&salt, &row.encoding),
            })
            .collect();
        entry.rows.sort();
        entry.salt = Some(salt);
        entry
    }
}

/// 128 bits from a generator seeded by the operating system.
pub(crate) fn fresh_salt() -> Salt {
    use rand::RngCore;
    let mut salt = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut salt);
    Salt(salt)
}
