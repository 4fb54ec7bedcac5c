//! The web interface's sign-in rows: password versions (the latest counts), failures and
//! successes (the lockout counts the failures after the last success or password set), all
//! append-only in the database and bound to the journal, so a DBA who swaps a hash, erases
//! the failures that lock a party out or slips in a success is named by `journal verify`.

use domain::{Change, Role};
use journal::Entry;
use store::{Command, Done, NewToken, StoreError, VerifyError, WriteTx};

use crate::conformance;
use crate::harness::*;

/// Two password versions, three failures and one success for `nu-1`, each with its entry.
struct Rows;

impl Command for Rows {
    type Output = Result<String, StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let mut entries = Vec::new();
        let mut done = |tx: &mut WriteTx, action: &str| {
            entries.push(tx.slot().fill(Entry { action: action.into(), outcome: "ok".into(), ..template() }));
        };
        tx.put_password("nu-1", Role::Customer, "$argon2id$first", hours(2)).await?;
        done(tx, "admin.password.set");
        tx.put_password("nu-1", Role::Customer, "$argon2id$second", hours(3)).await?;
        done(tx, "admin.password.set");
        tx.record_sign_in_failure("nu-1", hours(4)).await?;
        done(tx, "web.sign_in");
        tx.record_sign_in_failure("nu-1", hours(5)).await?;
        done(tx, "web.sign_in");
        let token = NewToken::generate(jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24));
        tx.create_token(&token, "nu-1", Role::Customer, hours(6)).await?;
        tx.record_sign_in(&token.token_id, "nu-1", hours(6)).await?;
        done(tx, "web.sign_in");
        tx.record_sign_in_failure("nu-1", hours(7)).await?;
        done(tx, "web.sign_in");
        Ok(Done { output: Ok(token.token_id), entries })
    }
}

/// The parties and the rows; the token's id.
async fn fixture(db: &TestDb) -> String {
    apply(
        db,
        vec![
            Change::PutParty(person("nu-1", "Ada Lovelace")),
            Change::PutParty(supplier("sup-a", 541_234_500_001)),
        ],
    )
    .await
    .expect("the parties are written");
    db.store.submit(Rows).await.expect("queued").wait().await.expect("committed").output.expect("written")
}

async fn the_latest_password_and_the_failures_after_the_last_success_count(db: &TestDb) {
    fixture(db).await;
    let state = db.store.sign_in_state("nu-1").await.expect("read");
    let password = state.password.expect("nu-1 has a password");
    assert_eq!(
        (password.version, password.phc.as_str(), password.role.as_str()),
        (2, "$argon2id$second", "customer")
    );
    assert_eq!(password.set_at, hours(3));
    assert_eq!(state.failures, [hours(7)], "the failures before the success at hour 6 no longer count");
    let none = db.store.sign_in_state("sup-a").await.expect("read");
    assert_eq!(none, store::sign_in::SignInState::default());
    db.store.verify_journal(&db.store.journal_public_key(), |_| {}).await.expect("every row bound");
}
conformance!(the_latest_password_counts, the_latest_password_and_the_failures_after_the_last_success_count);

async fn a_password_is_refused_like_a_token(db: &TestDb) {
    fixture(db).await;
    struct Put(&'static str, Role);
    impl Command for Put {
        type Output = Result<i64, StoreError>;
        async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
            let output = tx.put_password(self.0, self.1, "$argon2id$x", hours(8)).await;
            let entry = tx.slot().fill(Entry { action: "admin.password.set".into(), ..template() });
            Ok(Done { output, entries: vec![entry] })
        }
    }
    let put = |party, role| async move {
        db.store.submit(Put(party, role)).await.expect("queued").wait().await.expect("committed").output
    };
    assert!(matches!(
        put("nu-9", Role::Customer).await,
        Err(StoreError::UnknownParty { field: "party", .. })
    ));
    assert!(matches!(put("sup-a", Role::Customer).await, Err(StoreError::WrongPartyKind { .. })));
    assert!(matches!(put("nu-1", Role::System).await, Err(StoreError::Config { field: "role", .. })));
    assert_eq!(put("sup-a", Role::Supplier).await.expect("fits"), 1);
    db.store.verify_journal(&db.store.journal_public_key(), |_| {}).await.expect("refusals wrote nothing");
}
conformance!(a_password_is_refused_like_a_token, a_password_is_refused_like_a_token);

async fn sign_in_tables_refuse_updates_and_deletes(db: &TestDb) {
    fixture(db).await;
    use sqlx::Connection;
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.expect("raw connection, as a DBA would");
    for sql in [
        "UPDATE passwords SET phc = 'forged'",
        "DELETE FROM passwords",
        "UPDATE sign_in_failures SET at_us = 0",
        "DELETE FROM sign_in_failures",
        "UPDATE sign_ins SET at_us = 0",
        "DELETE FROM sign_ins",
    ] {
        let refused = sqlx::query(sql).execute(&mut conn).await.expect_err(sql).to_string();
        assert!(refused.contains("append-only"), "{sql}: {refused}");
    }
}
conformance!(sign_in_tables_refuse_updates_and_deletes, sign_in_tables_refuse_updates_and_deletes);

/// Each case on a fresh database of `db`'s backend, past the triggers.
async fn tampering_with_sign_ins_is_named(db: &TestDb) {
    let postgres = db.sqlite_file.is_none();
    let cases: [(&str, &str, &str); 7] = [
        (
            "password hash swapped",
            "UPDATE passwords SET phc = 'forged' WHERE version = 2",
            "table passwords, key nu-1:2",
        ),
        (
            "password role raised",
            "UPDATE passwords SET role = 'auditor' WHERE version = 1",
            "table passwords, key nu-1:1",
        ),
        ("latest password deleted", "DELETE FROM passwords WHERE version = 2", "table passwords, key nu-1:2"),
        (
            "password slipped in",
            "INSERT INTO passwords (party_id, version, role, phc, set_at, journal_seq) \
             VALUES ('sup-a', 1, 'supplier', 'forged', 0, 0)",
            "table passwords, key sup-a:1",
        ),
        ("failure erased", "DELETE FROM sign_in_failures WHERE n = 3", "table sign_in_failures, key nu-1:3"),
        (
            "failure moved back",
            "UPDATE sign_in_failures SET at_us = 0 WHERE n = 1",
            "table sign_in_failures, key nu-1:1",
        ),
        (
            "success slipped in",
            "INSERT INTO sign_ins (token_id, party_id, at_us, journal_seq) VALUES ('tok_forged', 'nu-1', 1, 0)",
            "table sign_ins, key tok_forged",
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
    // And a success's deletion, which would hide a sign-in and revive the failures before it.
    let fresh = if postgres { TestDb::postgres().await.expect("configured") } else { TestDb::sqlite().await };
    let token = fixture(&fresh).await;
    match crate::bound::tamper_and_verify(&fresh, "success deleted", &["DELETE FROM sign_ins".to_owned()])
        .await
    {
        Err(VerifyError::Fault(fault))
            if fault.to_string().contains(&format!("table sign_ins, key {token}")) => {}
        other => failures.push(format!("success deleted: got {other:?}")),
    }
    fresh.finish().await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
conformance!(tampering_with_sign_ins_is_named, tampering_with_sign_ins_is_named);

async fn health_counts_count_what_waits(db: &TestDb) {
    fixture(db).await;
    let counts = db.store.health_counts().await.expect("read");
    assert_eq!(counts, store::sign_in::HealthCounts::default(), "no access point, nothing waits");
    apply(db, vec![Change::PutAccessPoint(access_point(1)), Change::PutAccessPoint(access_point(2))])
        .await
        .expect("written");
    assert_eq!(db.store.health_counts().await.expect("read").access_points, 2);
}
conformance!(health_counts_count_what_waits, health_counts_count_what_waits);
