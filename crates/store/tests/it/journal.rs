//! R7 and I1/I2 on every backend: every change is journaled in its own transaction, the
//! journal proves itself, and a DBA who alters it is caught at the index altered.

use domain::{Change, Period, Registration};
use journal::{Entry, verify_consistency, verify_inclusion};
use store::{JournalQuery, StoreError, VerifyError};

use crate::conformance;
use crate::harness::*;

fn read_entry(n: u64) -> Entry {
    Entry {
        action: "register.show".into(),
        subjects: vec![ean(n % 5).to_string()],
        outcome: "ok".into(),
        data_digest: Some(journal::hash::Hash::digest(format!("view {n}").as_bytes())),
        ..template()
    }
}

/// A journal of `n` read entries and a few register changes.
async fn fill(db: &TestDb, n: u64) {
    apply(
        db,
        vec![
            Change::PutParty(supplier("sup-a", 541_234_500_001)),
            Change::PutAccessPoint(access_point(1)),
            Change::PutAccessPoint(access_point(2)),
        ],
    )
    .await
    .expect("seed");
    for i in 0..n {
        db.store.append(vec![read_entry(i)]).await.expect("append");
    }
}

async fn appends_prove_themselves(db: &TestDb) {
    fill(db, 20).await;
    let checkpoint = db.store.checkpoint().await.expect("checkpoint on demand");
    fill_more(db).await;
    let head = db.store.journal_head().await.expect("head");
    assert_eq!(head.head.size, 3 + 20 + 5);
    head.verify(&db.store.journal_public_key()).expect("the head is signed by the store's key");
    let verified =
        db.store.verify_journal(&db.store.journal_public_key(), |_| {}).await.expect("intact journal");
    assert_eq!(verified.size, head.head.size);
    assert_eq!(verified.root, head.head.root);
    assert!(verified.checkpoints >= 1);

    for index in [0, 1, 7, 22, head.head.size - 1] {
        let stored = db.store.journal_entry(index).await.expect("read").expect("exists");
        assert_eq!(stored.entry.sequence, index);
        assert_eq!(stored.leaf_hash, journal::leaf_hash(&stored.bytes));
        let proof = db.store.inclusion_proof(index, head.head.size).await.expect("proof");
        verify_inclusion(&stored.leaf_hash, index, head.head.size, &proof, &head.head.root)
            .expect("inclusion");
    }
    let proof = db.store.consistency_proof(checkpoint.head.size, head.head.size).await.expect("proof");
    verify_consistency(checkpoint.head.size, head.head.size, &checkpoint.head.root, &head.head.root, &proof)
        .expect("the checkpoint is a prefix of the head");
    assert_eq!(db.store.journal_root(checkpoint.head.size).await.expect("root"), checkpoint.head.root);
    assert!(db.store.inclusion_proof(0, head.head.size + 1).await.is_err(), "no proof beyond the head");

    let about_ean1 = db
        .store
        .journal_search(&JournalQuery { subject: Some(ean(1).to_string()), limit: 100, ..Default::default() })
        .await
        .expect("search");
    assert!(about_ean1.iter().all(|e| e.entry.subjects.contains(&ean(1).to_string())));
    assert_eq!(about_ean1.iter().filter(|e| e.entry.action == "register.show").count(), 5);
    let by_actor = db
        .store
        .journal_search(&JournalQuery { actor: Some("staff-test".into()), limit: 1000, ..Default::default() })
        .await
        .expect("search");
    assert_eq!(by_actor.len() as u64, head.head.size);
    let none = db
        .store
        .journal_search(&JournalQuery {
            actor: Some("staff-test".into()),
            to: Some(hours(0)),
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("search");
    assert!(none.is_empty(), "every entry is at hour 1");
}
conformance!(appended_entries_prove_inclusion_and_consistency, appends_prove_themselves);

async fn fill_more(db: &TestDb) {
    for i in 100..105 {
        db.store.append(vec![read_entry(i)]).await.expect("append");
    }
}

async fn changes_and_refusals_are_journaled(db: &TestDb) {
    fill(db, 0).await;
    let before = db.store.journal_head().await.expect("head").head.size;
    let registration = |from: i64| Change::RecordRegistration {
        registration: Registration { ean: ean(1), supplier: id("sup-a"), period: Period::open(hours(from)) },
        supersedes: None,
    };
    let committed = db.store.apply(template(), vec![(hours(1), registration(0))]).await.expect("journaled");
    assert!(committed.written.is_ok());
    assert_eq!(committed.entries, before..before + 1);
    let refused = db.store.apply(template(), vec![(hours(1), registration(5))]).await.expect("journaled");
    assert!(matches!(refused.written, Err(StoreError::Overlap(_))));
    let entries: Vec<_> = db
        .store
        .journal_search(&JournalQuery { subject: Some(ean(1).to_string()), limit: 10, ..Default::default() })
        .await
        .expect("search")
        .into_iter()
        .map(|e| (e.entry.action, e.entry.outcome))
        .collect();
    assert_eq!(
        entries,
        vec![
            ("register.access_point.put".to_owned(), "ok".to_owned()),
            ("register.registration.record".to_owned(), "ok".to_owned()),
            ("register.registration.record".to_owned(), "refused:overlap".to_owned()),
        ]
    );
    assert_eq!(db.store.counts().await.expect("counts").registrations, 1);
}
conformance!(every_change_and_refusal_is_journaled, changes_and_refusals_are_journaled);

/// R4 in the store: the access log's query reads only entries about the given subjects inside
/// each subject's own period, pages by sequence, and lists an entry naming two of them once.
async fn entries_about_subjects_inside_their_periods(db: &TestDb) {
    fill(db, 0).await;
    let at = |h: i64, subjects: Vec<String>| Entry {
        action: "register.show".into(),
        time_micros: hours(h).as_microsecond(),
        subjects,
        outcome: "ok".into(),
        ..template()
    };
    let (one, two, three) = (ean(1).to_string(), ean(2).to_string(), ean(3).to_string());
    let mut expected = Vec::new();
    for h in 0..20 {
        let committed = db
            .store
            .append(vec![at(h, vec![one.clone()]), at(h, vec![two.clone()]), at(h, vec![three.clone()])])
            .await
            .expect("append");
        let seq = committed.entries.start;
        // Access point 1 inside [5, 10), access point 2 from 15 on, 3 never.
        if (5..10).contains(&h) {
            expected.push(seq);
        }
        if h >= 15 {
            expected.push(seq + 1);
        }
    }
    let both = db.store.append(vec![at(7, vec![one.clone(), two.clone()])]).await.expect("append");
    expected.push(both.entries.start);
    let windows = vec![
        (one.clone(), Period::new(hours(5), Some(hours(10))).expect("period")),
        (two.clone(), Period::open(hours(15))),
    ];
    let seqs = |found: Vec<store::StoredEntry>| found.iter().map(|e| e.entry.sequence).collect::<Vec<_>>();
    let all = db.store.journal_about(&windows, None, 1000).await.expect("query");
    assert_eq!(seqs(all), expected);
    let first = db.store.journal_about(&windows, None, 4).await.expect("first page");
    assert_eq!(seqs(first.clone()), expected[..4]);
    let last_seen = first.last().expect("a full page").entry.sequence;
    let rest = db.store.journal_about(&windows, Some(last_seen), 1000).await.expect("next page");
    assert_eq!(seqs(rest), expected[4..]);
    assert!(db.store.journal_about(&[], None, 10).await.expect("no windows").is_empty());
    let only_three = vec![(three.clone(), Period::new(hours(100), Some(hours(200))).expect("period"))];
    assert!(db.store.journal_about(&only_three, None, 10).await.expect("query").is_empty());
}
conformance!(the_access_log_query_stays_inside_each_period, entries_about_subjects_inside_their_periods);

/// I2: a journal that cannot be written refuses the change, which leaves no trace.
async fn failed_append_fails_the_write(db: &TestDb) {
    fill(db, 3).await;
    let counts = db.store.counts().await.expect("counts");
    let pool = sqlx::AnyPool::connect(&db.url).await.expect("raw connection");
    let (inject, heal) = if db.sqlite_file.is_some() {
        (
            "CREATE TRIGGER injected_fault BEFORE INSERT ON journal_entries BEGIN SELECT RAISE(ABORT, 'injected fault'); END",
            "DROP TRIGGER injected_fault",
        )
    } else {
        (
            "ALTER TABLE journal_entries ADD CONSTRAINT injected_fault CHECK (seq < 0) NOT VALID",
            "ALTER TABLE journal_entries DROP CONSTRAINT injected_fault",
        )
    };
    sqlx::query(inject).execute(&pool).await.expect("inject the fault");
    let result =
        db.store.apply(template(), vec![(hours(1), Change::PutParty(person("nu-9", "Anne Goffin")))]).await;
    assert!(matches!(result, Err(StoreError::Journal(_))), "{result:?}");
    assert!(db.store.party(&id("nu-9")).await.expect("read").is_none(), "the change did not survive");
    assert_eq!(db.store.counts().await.expect("counts"), counts);
    sqlx::query(heal).execute(&pool).await.expect("heal");
    pool.close().await;
    // The writer recovers: the next request goes through and the journal still verifies.
    let ok =
        db.store.apply(template(), vec![(hours(1), Change::PutParty(person("nu-9", "Anne Goffin")))]).await;
    assert!(ok.expect("journaled").written.is_ok());
    db.store.verify_journal(&db.store.journal_public_key(), |_| {}).await.expect("intact");
}
conformance!(a_failed_journal_append_fails_the_write, failed_append_fails_the_write);

async fn concurrent_writers_get_one_order(db: &TestDb) {
    fill(db, 0).await;
    let mut tasks = Vec::new();
    for w in 0..8 {
        let store = db.store.clone();
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for i in 0..50 {
                let committed = store.append(vec![read_entry(w * 1000 + i)]).await.expect("append");
                seqs.push(committed.entries.start);
            }
            seqs
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("writer task"));
    }
    all.sort_unstable();
    assert_eq!(all, (3..3 + 400).collect::<Vec<u64>>(), "every append has its own place, none lost");
    let verified = db.store.verify_journal(&db.store.journal_public_key(), |_| {}).await.expect("intact");
    assert_eq!(verified.size, 403);
}
conformance!(concurrent_writers_share_one_order, concurrent_writers_get_one_order);

/// Statements a DBA would run to get past the append-only triggers.
fn disable_triggers(db: &TestDb) -> Vec<String> {
    if db.sqlite_file.is_some() {
        [
            "journal_entries_no_update",
            "journal_entries_no_delete",
            "journal_nodes_no_update",
            "journal_nodes_no_delete",
        ]
        .iter()
        .map(|t| format!("DROP TRIGGER {t}"))
        .chain(["DROP TRIGGER journal_latest_grows".to_owned()])
        .collect()
    } else {
        ["journal_entries", "journal_nodes", "journal_latest"]
            .iter()
            .map(|t| format!("ALTER TABLE {t} DISABLE TRIGGER USER"))
            .collect()
    }
}

/// Alters the journal as `sql` says, bypassing the triggers, and checks that verification
/// fails naming `index`.
async fn tampered(db: &TestDb, sql: &[&str], index: u64) {
    let pool = sqlx::AnyPool::connect(&db.url).await.expect("raw connection");
    for statement in disable_triggers(db).iter().map(String::as_str).chain(sql.iter().copied()) {
        sqlx::query(statement).execute(&pool).await.unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    pool.close().await;
    match db.store.verify_journal(&db.store.journal_public_key(), |_| {}).await {
        Err(VerifyError::Fault(fault)) => {
            let text = fault.to_string();
            assert!(
                fault.index == index
                    || text.contains(&format!(" {index} "))
                    || text.contains(&format!(" {index}:")),
                "{sql:?}: expected index {index} named, got: {text}"
            );
        }
        other => panic!("{sql:?}: verification did not catch it: {other:?}"),
    }
}

macro_rules! tamper_case {
    ($name:ident, $size:expr, $sql:expr, $index:expr) => {
        mod $name {
            use super::*;
            async fn case(db: &TestDb) {
                fill(db, $size - 3).await;
                db.store.verify_journal(&db.store.journal_public_key(), |_| {}).await.expect("intact before");
                let sql: Vec<String> = $sql(db);
                let sql: Vec<&str> = sql.iter().map(String::as_str).collect();
                tampered(db, &sql, $index).await;
            }
            conformance!(caught, case);
        }
    };
}

/// The forger knows the format: entry 6 is re-encoded with another outcome, its number kept,
/// and its leaf hash recomputed. Only the tree above it can tell.
async fn consistent_forgery(db: &TestDb) {
    fill(db, 18).await;
    let mut forged = db.store.journal_entry(6).await.expect("read").expect("exists").entry;
    forged.outcome = "denied".into();
    let bytes = forged.encode().expect("encodes");
    let leaf = journal::leaf_hash(&bytes);
    let sql = [
        format!("UPDATE journal_entries SET entry = {} WHERE seq = 6", blob(db, &hex::encode(&bytes))),
        format!(
            "UPDATE journal_entries SET leaf_hash = {} WHERE seq = 6",
            blob(db, &hex::encode(leaf.as_bytes()))
        ),
    ];
    tampered(db, &sql.iter().map(String::as_str).collect::<Vec<_>>(), 6).await;
}
conformance!(a_consistent_forgery_is_caught_by_the_tree, consistent_forgery);

fn blob(db: &TestDb, hex: &str) -> String {
    if db.sqlite_file.is_some() { format!("X'{hex}'") } else { format!("'\\x{hex}'::bytea") }
}

// 21 entries: indices 0..=20.
tamper_case!(
    changed_entry_bytes,
    21,
    |db: &TestDb| vec![format!("UPDATE journal_entries SET entry = {} WHERE seq = 9", blob(db, "01"))],
    9
);
tamper_case!(
    changed_leaf_hash,
    21,
    |db: &TestDb| vec![format!(
        "UPDATE journal_entries SET leaf_hash = {} WHERE seq = 12",
        blob(db, &"ab".repeat(32))
    )],
    12
);
tamper_case!(
    deleted_entry,
    21,
    |_db: &TestDb| vec!["DELETE FROM journal_entries WHERE seq = 15".to_owned()],
    15
);
tamper_case!(
    deleted_last_entry,
    21,
    |_db: &TestDb| vec!["DELETE FROM journal_entries WHERE seq = 20".to_owned()],
    20
);
tamper_case!(
    inserted_entry_after_the_head,
    21,
    |_db: &TestDb| vec![
        "INSERT INTO journal_entries (seq, time_us, actor, action, entry, leaf_hash) \
     SELECT 21, time_us, actor, action, entry, leaf_hash FROM journal_entries WHERE seq = 20"
            .to_owned()
    ],
    21
);
tamper_case!(
    reordered_entries,
    21,
    |_db: &TestDb| vec![
        "UPDATE journal_entries SET seq = -1 WHERE seq = 10".to_owned(),
        "UPDATE journal_entries SET seq = 10 WHERE seq = 11".to_owned(),
        "UPDATE journal_entries SET seq = 11 WHERE seq = -1".to_owned(),
    ],
    10
);
tamper_case!(
    changed_tree_node,
    21,
    |db: &TestDb| vec![format!(
        "UPDATE journal_nodes SET hash = {} WHERE leaf = 7 AND level = 3",
        blob(db, &"cd".repeat(32))
    )],
    0
);
tamper_case!(
    rolled_back_signed_head,
    21,
    |_db: &TestDb| vec!["UPDATE journal_latest SET size = 20".to_owned()],
    20
);

/// After a burst of appends the WAL does not stay behind: the checkpointer copies it into the
/// file and, once it has stayed idle for a round, empties it, so readers find every page in
/// the file and the WAL takes no disk. SQLite only: PostgreSQL manages its own log.
#[tokio::test]
async fn an_idle_wal_is_copied_back_and_emptied() {
    let db = TestDb::sqlite().await;
    let mut wal = db.sqlite_file.clone().expect("a SQLite test database").into_os_string();
    wal.push("-wal");
    let wal = std::path::PathBuf::from(wal);
    // One commit of this many entries writes well over the 1,024 frames that make a WAL
    // worth emptying.
    let entries: Vec<Entry> = (0..12_000).map(read_entry).collect();
    db.store.append(entries).await.expect("append a burst");
    let after_burst = std::fs::metadata(&wal).expect("the WAL exists after a commit").len();
    assert!(after_burst > 1024 * 4096, "the burst left {after_burst} bytes of WAL");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut size = after_burst;
    while size > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    }
    assert_eq!(size, 0, "the WAL was not emptied once idle");
    let verified = db.store.verify_journal(&db.store.journal_public_key(), |_| {}).await.expect("verifies");
    assert_eq!(verified.size, 12_000);
    db.finish().await;
}

/// Under sustained appends the WAL stays near the size at which the writer checkpoints
/// (8,192 frames, 32 MiB) instead of growing with every commit: the background checkpointer
/// alone never catches up with the newest frame, so without the writer's own checkpoint the
/// WAL never restarts from its beginning. Four writers keep commits coming; each entry names
/// one of 5,000 access points, so almost every entry dirties a page of the subject index:
/// with the writer's checkpoint off, the WAL reached 103 MB in this test. SQLite only.
#[tokio::test]
async fn a_wal_under_sustained_appends_stays_bounded() {
    const BOUND: u64 = 48 * 1024 * 1024;
    let db = TestDb::sqlite().await;
    let mut wal = db.sqlite_file.clone().expect("a SQLite test database").into_os_string();
    wal.push("-wal");
    let wal = std::path::PathBuf::from(wal);
    let writers: Vec<_> = (0..4u64)
        .map(|w| {
            let store = db.store.clone();
            tokio::spawn(async move {
                for batch in 0..150u64 {
                    let entries = (0..100u64)
                        .map(|i| {
                            let n = (w * 150 + batch) * 100 + i;
                            Entry { subjects: vec![ean(n * 7919 % 5_000).to_string()], ..read_entry(n) }
                        })
                        .collect();
                    store.append(entries).await.expect("append");
                }
            })
        })
        .collect();
    let mut largest = 0;
    while !writers.iter().all(|w| w.is_finished()) {
        largest = largest.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    for writer in writers {
        writer.await.expect("a writer");
    }
    largest = largest.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
    assert!(largest <= BOUND, "the WAL grew to {largest} bytes under sustained appends");
    let verified = db.store.verify_journal(&db.store.journal_public_key(), |_| {}).await.expect("verifies");
    assert_eq!(verified.size, 60_000);
    db.finish().await;
}
