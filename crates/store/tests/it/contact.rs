//! The contact center's rows (R12): every table append-only and bound to the journal, read by
//! principal only; a DBA who moves a customer into another principal's directory, rewrites an
//! interaction's history or slips in a case is named by `journal verify`.

use journal::Entry;
use store::contact::{ContactEvent, Shift, StoredCase, StoredInteraction};
use store::{Command, Done, StoreError, VerifyError, WriteTx};

use crate::conformance;
use crate::harness::*;

/// A configuration, two directories sharing a number, an interaction with two events, a case
/// in two versions and a shift, each write with its entry.
struct Rows;

impl Command for Rows {
    type Output = Result<(), StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let mut entries = Vec::new();
        let mut done = |tx: &mut WriteTx| {
            entries.push(tx.slot().fill(Entry {
                action: "contact.test".into(),
                outcome: "ok".into(),
                ..template()
            }));
        };
        tx.put_contact_config("[[principal]]", "00", 1).await?;
        done(tx);
        assert!(tx.put_directory_entry("dso", "d-1", "+32471000001", "Alice Grid").await?);
        assert!(tx.put_directory_entry("sup-a", "a-1", "+32471000001", "Alice Supply").await?);
        assert!(!tx.put_directory_entry("dso", "d-1", "+32471000001", "Alice again").await?, "held already");
        done(tx);
        let interaction = StoredInteraction {
            id: "int_0000000000000001".into(),
            principal: "dso".into(),
            channel: "call".into(),
            entry: "+3278000001".into(),
            rule: Some("outage".into()),
            queue: "dso-general".into(),
            operator: Some("cc-dso".into()),
            customer: Some("d-1".into()),
            offered_at: 100,
            events: Vec::new(),
        };
        tx.put_interaction(&interaction).await?;
        for (kind, at) in [("answered", 110), ("ended", 300)] {
            let event = ContactEvent {
                n: 0,
                kind: kind.into(),
                at,
                queue: None,
                operator: Some("cc-dso".into()),
                wrap_seconds: 20,
            };
            tx.put_contact_event(&interaction.id, &event).await?;
        }
        done(tx);
        let mut case = StoredCase {
            id: "case_0000000000000001".into(),
            version: 0,
            principal: "dso".into(),
            customer: "d-1".into(),
            procedure: "complaint".into(),
            step: 0,
            state: "open".into(),
            operator: "cc-dso".into(),
            changed_at: 120,
        };
        tx.put_case(&case).await?;
        case.step = 1;
        case.state = "closed".into();
        tx.put_case(&case).await?;
        tx.put_shift("dso", &Shift { operator: "cc-dso".into(), from: 0, until: 3600 }).await?;
        done(tx);
        Ok(Done { output: Ok(()), entries })
    }
}

async fn fixture(db: &TestDb) {
    db.store.submit(Rows).await.expect("queued").wait().await.expect("committed").output.expect("written");
}

async fn reads_stay_within_their_principal(db: &TestDb) {
    fixture(db).await;
    let dso = db.store.directory_by_number("dso", "+32471000001").await.expect("read");
    assert_eq!(dso.len(), 1);
    assert_eq!((dso[0].customer.as_str(), dso[0].name.as_str()), ("d-1", "Alice Grid"));
    let sup = db.store.directory_by_number("sup-a", "+32471000001").await.expect("read");
    assert_eq!((sup[0].customer.as_str(), sup[0].name.as_str()), ("a-1", "Alice Supply"));
    assert!(db.store.directory_by_number("sup-b", "+32471000001").await.expect("read").is_empty());
    assert!(db.store.directory_by_number("dso", "+3247100000").await.expect("read").is_empty(), "exact only");
    assert!(db.store.directory_by_ref("sup-a", "d-1").await.expect("read").is_empty());
    assert_eq!(db.store.contact_interactions("dso", 0, 1000).await.expect("read")[0].events.len(), 2);
    assert!(db.store.contact_interactions("sup-a", 0, 1000).await.expect("read").is_empty());
    assert!(db.store.contact_interaction_of("sup-a", "int_0000000000000001").await.expect("read").is_none());
    let cases = db.store.contact_cases("dso", Some("d-1")).await.expect("read");
    assert_eq!((cases.len(), cases[0].version, cases[0].state.as_str()), (1, 2, "closed"));
    assert!(db.store.contact_cases("sup-a", None).await.expect("read").is_empty());
    assert!(db.store.contact_case_of("sup-a", "case_0000000000000001").await.expect("read").is_none());
    // The number is nowhere in clear, nor the name.
    use sqlx::Connection;
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.expect("raw connection");
    let clear: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM contact_directory WHERE CAST(number_index AS TEXT) LIKE '%471000001%' \
         OR CAST(name_sealed AS TEXT) LIKE '%Alice%'",
    )
    .fetch_one(&mut conn)
    .await
    .expect("count");
    assert_eq!(clear, 0);
    db.store.verify_journal(&db.store.journal_public_key(), |_| {}).await.expect("intact");
}
conformance!(reads_stay_within_their_principal, reads_stay_within_their_principal);

async fn contact_tables_refuse_updates_and_deletes(db: &TestDb) {
    fixture(db).await;
    use sqlx::Connection;
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.expect("raw connection, as a DBA would");
    for table in [
        "contact_configs",
        "contact_directory",
        "contact_interactions",
        "contact_events",
        "contact_cases",
        "contact_shifts",
    ] {
        let sql = format!("DELETE FROM {table}");
        let refused = sqlx::query(&sql).execute(&mut conn).await.expect_err(&sql).to_string();
        assert!(refused.contains("append-only"), "{sql}: {refused}");
    }
    let sql = "UPDATE contact_directory SET principal = 'sup-b'";
    let refused = sqlx::query(sql).execute(&mut conn).await.expect_err(sql).to_string();
    assert!(refused.contains("append-only"), "{sql}: {refused}");
}
conformance!(contact_tables_refuse_updates_and_deletes, contact_tables_refuse_updates_and_deletes);

/// Each case on a fresh database of `db`'s backend, past the triggers.
async fn tampering_with_the_contact_center_is_named(db: &TestDb) {
    let postgres = db.sqlite_file.is_none();
    let cases: [(&str, &str, &str); 6] = [
        (
            "customer moved to another principal",
            "UPDATE contact_directory SET principal = 'sup-b' WHERE customer_ref = 'a-1'",
            "table contact_directory, key ",
        ),
        (
            "interaction moved to another principal",
            "UPDATE contact_interactions SET principal = 'sup-a'",
            "table contact_interactions, key int_0000000000000001",
        ),
        (
            "answer time rewritten",
            "UPDATE contact_events SET at = 101 WHERE n = 1",
            "table contact_events, key int_0000000000000001:1",
        ),
        (
            "end erased",
            "DELETE FROM contact_events WHERE n = 2",
            "table contact_events, key int_0000000000000001:2",
        ),
        (
            "case slipped in",
            "INSERT INTO contact_cases (case_id, version, principal, customer_ref, procedure_id, step, state, \
             operator, changed_at, journal_seq) VALUES ('case_forged', 1, 'dso', 'd-1', 'x', 0, 'open', 'cc', 1, 0)",
            "table contact_cases, key case_forged:1",
        ),
        (
            "configuration rewritten",
            "UPDATE contact_configs SET text = 'forged'",
            "table contact_configs, key 1",
        ),
    ];
    let mut failures = Vec::new();
    for (name, sql, names) in cases {
        let fresh =
            if postgres { TestDb::postgres().await.expect("configured") } else { TestDb::sqlite().await };
        fixture(&fresh).await;
        match crate::bound::tamper_and_verify(&fresh, name, &[sql.to_owned()]).await {
            Err(VerifyError::Fault(fault)) if fault.to_string().contains(names) => {}
            other => failures.push(format!("{name}: expected a fault naming {names:?}, got {other:?}")),
        }
        fresh.finish().await;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
conformance!(tampering_with_the_contact_center_is_named, tampering_with_the_contact_center_is_named);
