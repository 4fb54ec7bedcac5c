//! Opening a database: it must be the one meant, with the keys it began with.

use domain::Change;
use ed25519_dalek::SigningKey;
use jiff::Timestamp;
use store::{Keys, Opening, Store, StoreError};

use crate::conformance;
use crate::harness::*;

async fn other_journal_key_is_refused(db: &TestDb) {
    db.store.append(vec![template()]).await.expect("an entry, so the head is not the empty one");
    let before = db.store.journal_head().await.expect("head");
    let recorded = hex::encode(db.store.journal_public_key().as_bytes());
    db.store.close().await;
    // The seal key is right; only the journal key is another, as with a mis-set
    // CLOISON_JOURNAL_KEY beside the right seal key.
    let other = Keys::new(db.keys.seal.clone(), SigningKey::from_bytes(&[2; 32]));
    match Store::open(&db.url, &other, Opening::Existing).await {
        Err(StoreError::WrongJournalKey { expected }) => assert_eq!(expected, recorded),
        Err(e) => panic!("expected WrongJournalKey, got {e}"),
        Ok(_) => panic!("a store opened with another journal key"),
    }
    let again = Store::open(&db.url, &db.keys, Opening::Existing).await.expect("the right keys open");
    assert_eq!(again.journal_head().await.expect("head"), before, "the refused open wrote nothing");
    again.close().await;
}
conformance!(a_wrong_journal_key_is_refused_and_writes_nothing, other_journal_key_is_refused);

async fn expired_token_is_refused(db: &TestDb) {
    ok(db, Change::PutParty(person("nu-5", "Ada Lovelace"))).await;
    for expires in [Timestamp::now() - jiff::SignedDuration::from_hours(24), Timestamp::now()] {
        match db.store.create_token(template(), "nu-5", "customer", expires).await {
            Err(StoreError::Config { field: "expires", .. }) => {}
            Err(e) => panic!("expected an expires error, got {e}"),
            Ok(_) => panic!("a token expiring at {expires} was created"),
        }
    }
    let later = Timestamp::now() + jiff::SignedDuration::from_hours(1);
    db.store.create_token(template(), "nu-5", "customer", later).await.expect("a future expiry is fine");
}
conformance!(a_token_must_expire_in_the_future, expired_token_is_refused);

#[tokio::test]
async fn a_missing_file_is_not_created_unless_asked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("typo.sqlite");
    let url = store::sqlite_url(&file);
    let keys = Keys::generate();
    match Store::open(&url, &keys, Opening::Existing).await {
        Err(e @ StoreError::NoDatabase { .. }) => {
            assert!(e.to_string().contains(&file.display().to_string()), "{e}");
            assert!(e.is_input());
        }
        Err(e) => panic!("expected NoDatabase, got {e}"),
        Ok(_) => panic!("a missing file was opened"),
    }
    let left: Vec<_> = std::fs::read_dir(dir.path()).expect("list").collect();
    assert!(left.is_empty(), "nothing created: {left:?}");
    let store = Store::open(&url, &keys, Opening::CreateIfMissing).await.expect("created when asked");
    store.close().await;
    assert!(file.exists());
}

#[tokio::test]
async fn a_file_that_is_not_a_database_fails_at_once_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("notes.sqlite");
    std::fs::write(&file, "these are notes, not a database\n".repeat(200)).expect("write");
    let keys = Keys::generate();
    let started = std::time::Instant::now();
    let result = Store::open(&store::sqlite_url(&file), &keys, Opening::Existing).await;
    // A hang guard, not a performance bound: the pool's retries took 60 s.
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    match result {
        Err(e @ StoreError::NoDatabase { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains(&file.display().to_string()) && text.contains("not an SQLite database"),
                "{text}"
            );
        }
        Err(e) => panic!("expected NoDatabase, got {e}"),
        Ok(_) => panic!("a text file opened as a database"),
    }
}
