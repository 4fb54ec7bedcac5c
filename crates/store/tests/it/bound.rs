//! I1, I4 and R7 against a hostile DBA: every row that holds business data or decides access
//! is bound to the journal entry that wrote it, and the searchable columns and the subject
//! index are recomputed from the entries. With the append-only triggers out of the way, each
//! edit, deletion and insertion below must make `verify_journal` fail, naming the table and
//! key (or the index) it touched; the untouched database must pass.

use domain::{Change, Occupancy, Period, Registration};
use journal::Entry;
use store::{Command, Done, StoreError, VerifyError, WriteTx};

use crate::conformance;
use crate::harness::*;

/// What one register holds once the fixture is written, to aim the tampering.
struct Fixture {
    token_id: String,
    /// A read entry with subjects, and its time.
    read_seq: u64,
    read_time: i64,
}

struct Revoke {
    token_id: String,
}

impl Command for Revoke {
    type Output = Result<(), StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let result = tx.revoke_token(&self.token_id, hours(5)).await;
        let entry = tx.slot().fill(Entry {
            action: "admin.token.revoke".into(),
            subjects: vec![self.token_id.clone()],
            outcome: "ok".into(),
            ..template()
        });
        Ok(Done { output: result.map(|_| ()), entries: vec![entry] })
    }
}

struct Setting;

impl Command for Setting {
    type Output = Result<(), StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let result = tx.put_meta("default_supplier", b"sup-a").await;
        let entry =
            tx.slot().fill(Entry { action: "settings.write".into(), outcome: "ok".into(), ..template() });
        Ok(Done { output: result, entries: vec![entry] })
    }
}

async fn fixture(db: &TestDb) -> Fixture {
    let ap = access_point(1);
    apply(
        db,
        vec![
            Change::PutParty(supplier("sup-a", 541_234_500_001)),
            Change::PutParty(person("nu-1", "Ada Lovelace")),
            Change::PutAccessPoint(ap.clone()),
            Change::RecordOccupancy {
                occupancy: Occupancy {
                    ean: ap.ean,
                    network_user: id("nu-1"),
                    period: Period::new(hours(2), None).expect("period"),
                    shipping_address: address("Rue de l'Ange", 2),
                },
                supersedes: None,
            },
            Change::RecordRegistration {
                registration: Registration {
                    ean: ap.ean,
                    supplier: id("sup-a"),
                    period: Period::new(hours(2), None).expect("period"),
                },
                supersedes: None,
            },
        ],
    )
    .await
    .expect("the register is written");
    let token = db
        .store
        .create_token(
            template(),
            "nu-1",
            "customer",
            jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24),
        )
        .await
        .expect("token");
    db.store
        .submit(Revoke { token_id: token.token_id.clone() })
        .await
        .expect("queued")
        .wait()
        .await
        .expect("ok")
        .output
        .expect("revoked");
    db.store.submit(Setting).await.expect("queued").wait().await.expect("ok").output.expect("set");
    let read = Entry {
        action: "register.show".into(),
        subjects: vec![ap.ean.to_string(), "nu-1".into()],
        outcome: "ok".into(),
        ..template()
    };
    let committed = db.store.append(vec![read]).await.expect("read journaled");
    Fixture {
        token_id: token.token_id,
        read_seq: committed.entries.start,
        read_time: hours(1).as_microsecond(),
    }
}

/// Statements that get past the append-only triggers of every table.
async fn without_triggers(db: &TestDb, conn: &mut sqlx::AnyConnection) -> Vec<String> {
    if db.sqlite_file.is_some() {
        let names: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            .fetch_all(&mut *conn)
            .await
            .expect("triggers");
        std::iter::once("PRAGMA foreign_keys = OFF".to_owned())
            .chain(names.into_iter().map(|t| format!("DROP TRIGGER {t}")))
            .collect()
    } else {
        [
            "parties",
            "access_points",
            "occupancies",
            "registrations",
            "tokens",
            "token_revocations",
            "journal_entries",
            "journal_subjects",
            "scenarios",
            "scenario_statuses",
            "messages",
            "message_acks",
            "queue_marks",
            "idempotency_keys",
            "interval_days",
            "validation_findings",
            "validation_decisions",
            "index_readings",
            "route_stops",
            "staff_records",
            "role_grants",
            "role_revocations",
            "sync_reports",
            "mandates",
            "mandate_points",
            "mandate_revocations",
            "break_glass",
            "access_requests",
            "access_request_decisions",
            "connection_commands",
            "connection_queues",
            "connection_requests",
            "works_requests",
            "works_purges",
            "consents",
            "research_agreements",
            "research_extracts",
            "subject_requests",
            "warehouse_files",
            "passwords",
            "sign_in_failures",
            "sign_ins",
            "contact_configs",
            "contact_directory",
            "contact_interactions",
            "contact_events",
            "contact_cases",
            "contact_shifts",
        ]
        .iter()
        .map(|t| format!("ALTER TABLE {t} DISABLE TRIGGER USER"))
        .collect()
    }
}

/// Runs `sql` on `db` as a DBA would, past the append-only triggers, then verifies the
/// journal: what each tamper suite asserts on.
pub(crate) async fn tamper_and_verify(
    db: &TestDb,
    name: &str,
    sql: &[String],
) -> Result<store::Verified, VerifyError> {
    use sqlx::Connection;
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.expect("raw connection");
    for statement in without_triggers(db, &mut conn).await.iter().chain(sql) {
        sqlx::query(statement)
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{name}: {statement}: {e}"));
    }
    conn.close().await.expect("closed");
    db.store.verify_journal(&db.store.journal_public_key(), |_| {}).await
}

/// One act of tampering and what the verifier must say about it.
struct Case {
    name: &'static str,
    sql: Vec<String>,
    /// Text the fault must contain.
    names: String,
}

fn cases(db: &TestDb, f: &Fixture) -> Vec<Case> {
    let sqlite = db.sqlite_file.is_some();
    let ean = access_point(1).ean;
    let ean_key = ean.to_string().parse::<i64>().expect("numeric");
    let token = &f.token_id;
    let bytes = |hex: &str| if sqlite { format!("X'{hex}'") } else { format!("'\\x{hex}'::bytea") };
    let case = |name: &'static str, sql: Vec<String>, names: String| Case { name, sql, names };
    let one = |s: String| vec![s];
    let mut cases = vec![
        // parties
        case(
            "party edited",
            one("UPDATE parties SET kind = 'staff' WHERE party_id = 'nu-1'".into()),
            "table parties, key nu-1".into(),
        ),
        case(
            "party deleted",
            one("DELETE FROM parties WHERE party_id = 'nu-1'".into()),
            "table parties, key nu-1".into(),
        ),
        case(
            "party inserted",
            one("INSERT INTO parties (party_id, kind, name_sealed, recorded_at, journal_seq) \
                 SELECT 'nu-2', kind, name_sealed, recorded_at, journal_seq FROM parties WHERE party_id = 'nu-1'"
                .into()),
            "table parties, key nu-2".into(),
        ),
        // access points
        case(
            "access point edited",
            one(format!("UPDATE access_points SET meter = 'budget' WHERE ean = {ean_key}")),
            format!("table access_points, key {ean_key}:1"),
        ),
        case(
            "access point deleted",
            one(format!("DELETE FROM access_points WHERE ean = {ean_key}")),
            format!("table access_points, key {ean_key}:1"),
        ),
        case(
            "access point version inserted",
            one(format!(
                "INSERT INTO access_points (ean, version, energy, address_sealed, postal_code, municipality, \
                 substation, regime, meter, grid_status, recorded_at) \
                 SELECT ean, 2, energy, address_sealed, postal_code, municipality, substation, regime, meter, \
                 grid_status, recorded_at FROM access_points WHERE ean = {ean_key}"
            )),
            format!("table access_points, key {ean_key}:2"),
        ),
        // occupancies: a start moved by a day
        case(
            "occupancy start moved",
            one("UPDATE occupancies SET from_us = from_us - 86400000000".into()),
            "table occupancies, key ".into(),
        ),
        case("occupancy deleted", one("DELETE FROM occupancies".into()), "table occupancies, key ".into()),
        // registrations: the supplier swapped
        case(
            "registration supplier swapped",
            one("UPDATE registrations SET party_id = 'nu-1'".into()),
            "table registrations, key ".into(),
        ),
        case(
            "registration deleted",
            one("DELETE FROM registrations".into()),
            "table registrations, key ".into(),
        ),
        case(
            "registration inserted",
            one(format!(
                "INSERT INTO registrations (ean, party_id, from_us, to_us, recorded_at, journal_seq) \
                 VALUES ({ean_key}, 'sup-a', 0, 1, 0, NULL)"
            )),
            "a row no journal entry binds".into(),
        ),
        // tokens and revocations
        case(
            "token expiry extended",
            one("UPDATE tokens SET expires_us = expires_us + 1".into()),
            format!("table tokens, key {token}"),
        ),
        case(
            "token slipped in",
            one(format!(
                "INSERT INTO tokens (token_hash, token_id, party_id, role, created_us, expires_us, journal_seq) \
                 VALUES ({}, 'tok_forged', 'sup-a', 'supplier', 0, 9223372036854775807, 0)",
                bytes(&"ab".repeat(32))
            )),
            "table tokens, key tok_forged".into(),
        ),
        case(
            "revocation deleted",
            one("DELETE FROM token_revocations".into()),
            format!("table token_revocations, key {token}"),
        ),
        case(
            "revocation moved",
            one("UPDATE token_revocations SET revoked_us = revoked_us + 1".into()),
            format!("table token_revocations, key {token}"),
        ),
        // settings
        case(
            "setting edited",
            one(format!("UPDATE meta SET value = {} WHERE name = 'default_supplier'", bytes("00"))),
            "table meta, key default_supplier".into(),
        ),
        case(
            "setting slipped in",
            one(format!("INSERT INTO meta (name, value) VALUES ('operator', {})", bytes("00"))),
            "table meta, key operator".into(),
        ),
        // a row re-pointed at another entry
        case(
            "row re-pointed",
            one("UPDATE registrations SET journal_seq = journal_seq - 1".into()),
            "table registrations, key ".into(),
        ),
        // searchable columns
        case(
            "actor column edited",
            one(format!("UPDATE journal_entries SET actor = 'someone-else' WHERE seq = {}", f.read_seq)),
            "searchable actor column".into(),
        ),
        case(
            "action column edited",
            one(format!("UPDATE journal_entries SET action = 'register.count' WHERE seq = {}", f.read_seq)),
            "searchable action column".into(),
        ),
        case(
            "time column edited",
            one(format!("UPDATE journal_entries SET time_us = time_us + 1 WHERE seq = {}", f.read_seq)),
            "searchable time column".into(),
        ),
        // the subject index
        case(
            "subject index row deleted",
            one(format!("DELETE FROM journal_subjects WHERE seq = {} AND subject = 'nu-1'", f.read_seq)),
            "subject index row \"nu-1\" is missing".into(),
        ),
        case(
            "subject index row inserted",
            one(format!(
                "INSERT INTO journal_subjects (subject, seq, time_us) VALUES ('nu-9', {}, {})",
                f.read_seq, f.read_time
            )),
            "subject index row \"nu-9\" is not one of its subjects".into(),
        ),
        case(
            "subject index row beyond the journal",
            one(format!(
                "INSERT INTO journal_subjects (subject, seq, time_us) VALUES ('nu-1', 100000, {})",
                f.read_time
            )),
            "names entry 100000, which is not in the journal".into(),
        ),
        case(
            "subject index row moved in time",
            one(format!(
                "UPDATE journal_subjects SET time_us = time_us + 1 WHERE seq = {} AND subject = 'nu-1'",
                f.read_seq
            )),
            "subject index row \"nu-1\" has another time".into(),
        ),
    ];
    cases.retain(|c| !c.sql.is_empty());
    cases
}

async fn untouched_passes(db: &TestDb) {
    let f = fixture(db).await;
    let verified = db.store.verify_journal(&db.store.journal_public_key(), |_| {}).await.expect("intact");
    // 2 parties, 1 access point, 1 occupancy, 1 registration, 1 token, 1 revocation, 1 setting.
    assert_eq!(verified.rows, 8, "every bound row was checked");
    assert!(verified.subjects >= 4, "the subject index was checked: {}", verified.subjects);
    let read = db.store.journal_entry(f.read_seq).await.expect("read").expect("exists").entry;
    assert!(read.salt.is_some(), "new entries carry a salt");
    let register = db.store.journal_entry(f.read_seq - 3).await.expect("read").expect("exists").entry;
    assert_eq!(register.action, "admin.token.create");
    assert_eq!(register.rows.len(), 1);
    assert_eq!(register.rows[0].table, "tokens");
    assert_eq!(register.rows[0].key, f.token_id);
}
conformance!(an_untouched_register_verifies_with_every_row_bound, untouched_passes);

/// Every case on its own fresh database of the same backend as `db` (which stays untouched).
async fn every_tampering_is_named(db: &TestDb) {
    let postgres = db.sqlite_file.is_none();
    let mut failures = Vec::new();
    let mut count = 0;
    loop {
        let fresh =
            if postgres { TestDb::postgres().await.expect("configured") } else { TestDb::sqlite().await };
        let f = fixture(&fresh).await;
        let all = cases(&fresh, &f);
        if count >= all.len() {
            fresh.finish().await;
            break;
        }
        let case = all.into_iter().nth(count).expect("in range");
        count += 1;
        match tamper_and_verify(&fresh, case.name, &case.sql).await {
            Err(VerifyError::Fault(fault)) if fault.to_string().contains(&case.names) => {}
            other => failures
                .push(format!("{}: expected a fault naming {:?}, got {other:?}", case.name, case.names)),
        }
        fresh.finish().await;
    }
    assert!(count >= 20, "the suite ran its cases: {count}");
    assert!(
        failures.is_empty(),
        "{} of {count} tamperings were not named:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
conformance!(every_tampering_is_named_by_table_and_key, every_tampering_is_named);

/// Entries written before salts (version 1) still verify beside new ones, and two entries with
/// identical fields get different leaf hashes once salted.
async fn salts(db: &TestDb) {
    let same = Entry { action: "register.show".into(), subjects: vec!["nu-1".into()], ..template() };
    let first = db.store.append(vec![same.clone()]).await.expect("first").entries.start;
    let second = db.store.append(vec![same]).await.expect("second").entries.start;
    let a = db.store.journal_entry(first).await.expect("read").expect("exists");
    let b = db.store.journal_entry(second).await.expect("read").expect("exists");
    assert_ne!(a.entry.salt, b.entry.salt);
    let mut a_fields = a.entry.clone();
    let mut b_fields = b.entry.clone();
    (a_fields.sequence, a_fields.salt, b_fields.sequence, b_fields.salt) = (0, None, 0, None);
    assert_eq!(a_fields, b_fields, "the two entries differ only by place and salt");
    assert_ne!(a.leaf_hash, b.leaf_hash);
}
conformance!(identical_entries_get_different_leaves, salts);

/// A journal begun before salts: its version 1 entry, written as the earlier code wrote it
/// (no salt, no rows) and signed into the head, still verifies beside the salted entries
/// appended after it.
async fn version_1_entries_still_verify(db: &TestDb) {
    use sqlx::Connection;
    assert_eq!(db.store.journal_head().await.expect("head").head.size, 0, "a fresh journal is empty");
    let old = Entry {
        action: "register.show".into(),
        subjects: vec!["nu-1".into()],
        outcome: "ok".into(),
        ..template()
    };
    let bytes = old.encode().expect("encodes");
    assert_eq!(bytes[0], journal::entry::ENTRY_VERSION_1);
    let leaf = journal::leaf_hash(&bytes);
    let key = db.keys.journal.clone();
    let head = journal::TreeHead { size: 1, root: leaf, time_micros: old.time_micros }.sign(&key);
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.expect("raw connection");
    sqlx::query(
        "INSERT INTO journal_entries (seq, time_us, actor, action, entry, leaf_hash) VALUES (0, $1, $2, $3, $4, $5)",
    )
    .bind(old.time_micros)
    .bind(old.actor.party_id.clone())
    .bind(old.action.clone())
    .bind(bytes.clone())
    .bind(leaf.as_bytes().to_vec())
    .execute(&mut conn)
    .await
    .expect("entry 0");
    sqlx::query("INSERT INTO journal_subjects (subject, seq, time_us) VALUES ('nu-1', 0, $1)")
        .bind(old.time_micros)
        .execute(&mut conn)
        .await
        .expect("its subject");
    sqlx::query("UPDATE journal_latest SET size = 1, root = $1, time_us = $2, signature = $3 WHERE id = 1")
        .bind(leaf.as_bytes().to_vec())
        .bind(head.head.time_micros)
        .bind(head.signature.to_vec())
        .execute(&mut conn)
        .await
        .expect("head");
    conn.close().await.expect("closed");

    fixture(db).await;
    let verified = db.store.verify_journal(&db.store.journal_public_key(), |_| {}).await.expect("intact");
    assert!(verified.size > 1);
    assert_eq!(verified.rows, 8);
    let first = db.store.journal_entry(0).await.expect("read").expect("exists");
    assert_eq!(first.bytes, bytes, "entry 0 is still the version 1 encoding");
    assert_eq!(first.entry.salt, None);
    let later = db.store.journal_entry(1).await.expect("read").expect("exists");
    assert_eq!(later.bytes[0], journal::entry::ENTRY_VERSION);
}
conformance!(entries_written_before_salts_still_verify, version_1_entries_still_verify);

/// A command that writes a row and journals an entry that does not bind it.
struct Unbound;

impl Command for Unbound {
    type Output = Result<(), StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let result = tx.put_meta("unbound_setting", b"x").await;
        let entry = Entry { action: "settings.write".into(), outcome: "ok".into(), ..template() };
        Ok(Done { output: result, entries: vec![entry] })
    }
}

/// I1: a write whose entry does not bind the row it wrote fails its whole batch, and neither
/// the row nor the entry is kept.
async fn an_unbound_write_is_refused(db: &TestDb) {
    let size = db.store.journal_head().await.expect("head").head.size;
    let outcome = db.store.submit(Unbound).await.expect("queued").wait().await;
    assert!(matches!(outcome, Err(StoreError::Journal(_))), "the batch must fail: {outcome:?}");
    assert_eq!(db.store.meta("unbound_setting").await.expect("read"), None, "nothing was written");
    assert_eq!(db.store.journal_head().await.expect("head").head.size, size, "nothing was journaled");
    db.store.verify_journal(&db.store.journal_public_key(), |_| {}).await.expect("still intact");
}
conformance!(a_write_its_entry_does_not_bind_fails_the_batch, an_unbound_write_is_refused);
