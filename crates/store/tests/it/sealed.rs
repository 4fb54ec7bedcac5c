//! I6: personal data is sealed at rest; a wrong key is refused.

use domain::{Change, Occupancy, Party, PartyKind, Period};
use store::{Keys, MasterKey, Opening, Store, StoreError};

use crate::conformance;
use crate::harness::*;

const SECRETS: [&str; 5] =
    ["Vandenbroucke", "Chaussee de Louvain", "Rue Haute-Marcelle", "+3271987654", "zoe.vdb@exemple.be"];

async fn write_secrets(db: &TestDb) {
    let party = Party {
        id: id("nu-77"),
        kind: PartyKind::Person,
        name: "Zoé Vandenbroucke".parse().expect("name"),
        phone: Some("071/98.76.54".parse().expect("phone")),
        email: Some("zoe.vdb@exemple.be".parse().expect("email")),
    };
    let mut ap = access_point(7);
    ap.address =
        domain::Address::new("Chaussee de Louvain", "412", Some("B"), "5020", "Namur").expect("addr");
    let shipping = domain::Address::new("Rue Haute-Marcelle", "3", None, "5000", "Namur").expect("addr");
    apply(
        db,
        vec![
            Change::PutParty(party.clone()),
            Change::PutAccessPoint(ap.clone()),
            Change::RecordOccupancy {
                occupancy: Occupancy {
                    ean: ap.ean,
                    network_user: party.id.clone(),
                    period: Period::open(hours(1)),
                    shipping_address: shipping,
                },
                supersedes: None,
            },
        ],
    )
    .await
    .expect("written");
    // The data is readable through the store…
    assert_eq!(
        db.store.party(&party.id).await.expect("read").expect("exists").name.as_str(),
        "Zoé Vandenbroucke"
    );
}

fn assert_absent(haystack: &[u8], what: &str) {
    assert!(!haystack.is_empty(), "{what} is empty: the test would prove nothing");
    for secret in SECRETS {
        let found = haystack.windows(secret.len()).any(|w| w == secret.as_bytes());
        assert!(!found, "{secret:?} appears in clear in {what}");
    }
    // The clear parts are there: the scan reads the right bytes.
    assert!(haystack.windows(5).any(|w| w == b"Namur"), "{what} does not contain the clear municipality");
}

async fn nothing_personal_in_clear(db: &TestDb) {
    write_secrets(db).await;
    db.store.close().await;
    if let Some(file) = &db.sqlite_file {
        let mut bytes = std::fs::read(file).expect("read database file");
        let wal = file.with_extension("sqlite-wal");
        if let Ok(more) = std::fs::read(&wal) {
            bytes.extend(more);
        }
        assert_absent(&bytes, "the SQLite file");
    } else {
        let out =
            std::process::Command::new("pg_dump").arg("--dbname").arg(&db.url).output().expect("run pg_dump");
        assert!(out.status.success(), "pg_dump failed: {}", String::from_utf8_lossy(&out.stderr));
        assert_absent(&out.stdout, "the pg_dump");
    }
}
conformance!(no_personal_data_in_clear_at_rest, nothing_personal_in_clear);

async fn wrong_key_is_refused(db: &TestDb) {
    write_secrets(db).await;
    // Only the seal key is another: the journal key is right, so the seal key is what fails.
    let other = Keys::new(MasterKey::generate(), db.keys.journal.clone());
    match Store::open(&db.url, &other, Opening::Existing).await {
        Err(StoreError::WrongKey) => {}
        Err(other) => panic!("expected WrongKey, got {other}"),
        Ok(_) => panic!("a store opened with another key"),
    }
    let again = Store::open(&db.url, &db.keys, Opening::Existing).await.expect("the right key opens");
    assert!(again.party(&id("nu-77")).await.expect("read").is_some());
    again.close().await;
}
conformance!(a_wrong_seal_key_is_refused, wrong_key_is_refused);
