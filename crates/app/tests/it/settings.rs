//! Installation settings through the door: written once, read back, the store's own `meta`
//! names refused, every act journaled.

use app::{AppError, Cloison, Hash, JournalQuery, Opening, StoreError, StoredEntry};

use crate::each_backend;
use crate::harness::*;

/// The journal's entries about setting `key`, oldest first.
async fn entries_about(app: &Cloison, key: &str) -> Vec<StoredEntry> {
    let query = JournalQuery {
        subject: Some(format!("setting:{key}")),
        actor: None,
        from: None,
        to: None,
        limit: 100,
    };
    app.journal_search(&auditor(), &query).await.expect("journal search").into_view()
}

async fn a_setting_is_written_once_read_back_and_journaled(t: &TestApp) {
    let app = &t.app;
    assert_eq!(app.setting(&system(), "site.name").await.expect("read"), None, "never written");
    app.put_setting(&system(), "site.name", b"Namur").await.expect("write");
    assert_eq!(app.setting(&system(), "site.name").await.expect("read").as_deref(), Some(&b"Namur"[..]));

    match app.put_setting(&system(), "site.name", b"Liege").await {
        Err(AppError::Invalid(StoreError::Duplicate { field: "key", value })) => {
            assert_eq!(value, "site.name")
        }
        other => panic!("a second write of a setting: {other:?}"),
    }
    assert_eq!(
        app.setting(&system(), "site.name").await.expect("read").as_deref(),
        Some(&b"Namur"[..]),
        "the refused write changed nothing"
    );

    let found = entries_about(app, "site.name").await;
    let acts: Vec<(&str, &str, Option<Hash>)> = found
        .iter()
        .map(|e| (e.entry.action.as_str(), e.entry.outcome.as_str(), e.entry.data_digest))
        .collect();
    // A read digests its answer as the gate serialises it; a write, the value written.
    let answer = |value: Option<&[u8]>| Some(Hash::digest(&serde_json::to_vec(&value).expect("JSON")));
    let namur = Some(Hash::digest(b"Namur"));
    assert_eq!(
        acts,
        [
            ("settings.read", "ok", answer(None)),
            ("settings.write", "ok", namur),
            ("settings.read", "ok", answer(Some(b"Namur"))),
            ("settings.write", "refused:duplicate", None),
            ("settings.read", "ok", answer(Some(b"Namur"))),
        ]
    );
    for e in &found {
        assert_eq!(e.entry.purpose, "installation settings");
        assert_eq!(e.entry.subjects, ["setting:site.name"]);
        assert_eq!(e.entry.actor.party_id, "cloison-test");
    }
}
each_backend!(
    a_setting_is_written_once_read_back_and_journaled,
    a_setting_is_written_once_read_back_and_journaled
);

/// The store keeps its key checks in the same table: none of them is a setting, to read or to
/// write, and the refusal names the key, is journaled, and leaves the database opening with its
/// own keys.
async fn the_stores_own_names_are_refused(t: &TestApp) {
    let app = &t.app;
    for name in app::STORE_META {
        match app.put_setting(&system(), name, b"forged").await {
            Err(AppError::Invalid(StoreError::Config { field: "key", reason })) => {
                assert!(reason.contains(name), "{reason}")
            }
            other => panic!("writing {name}: {other:?}"),
        }
        match app.setting(&system(), name).await {
            Err(AppError::Invalid(StoreError::Config { field: "key", .. })) => {}
            other => panic!("reading {name}: {other:?}"),
        }
        let acts: Vec<(String, String)> =
            entries_about(app, name).await.into_iter().map(|e| (e.entry.action, e.entry.outcome)).collect();
        assert_eq!(
            acts,
            [
                ("settings.write".to_owned(), "refused:config".to_owned()),
                ("settings.read".to_owned(), "refused:config".to_owned())
            ],
            "{name}"
        );
    }
    for malformed in ["", "Site", "site name", "a/b"] {
        match app.put_setting(&system(), malformed, b"x").await {
            Err(AppError::Invalid(StoreError::Config { field: "key", .. })) => {}
            other => panic!("writing {malformed:?}: {other:?}"),
        }
    }
    match app.put_setting(&system(), "big", &vec![0; 64 * 1024 + 1]).await {
        Err(AppError::Invalid(StoreError::Config { field: "value", .. })) => {}
        other => panic!("writing a value over 64 KiB: {other:?}"),
    }
    // A second handle, as a later start would open it: the key checks it reads are intact.
    let again = Cloison::open(&t.url, &t.keys, Opening::Existing)
        .await
        .expect("the database still opens with its keys");
    again.close().await;
}
each_backend!(the_stores_own_names_are_refused, the_stores_own_names_are_refused);
