//! Every public use case of `Cloison` that acts for someone, for every role: one journal
//! entry per call, naming the policies that really decided; nothing returned when denied
//! (I1, I2, R7, R10).

use app::{AccessLogQuery, AppError, Change, Cloison, JournalQuery, Role, StoredEntry};
use domain::Ean;

use crate::each_backend;
use crate::harness::{access_point, actor, at, ean, party_of, small_register};

/// The use cases, by name, so a failure says which.
const USE_CASES: [&str; 17] = [
    "access_point_at",
    "access_point_history",
    "register_show",
    "register_history",
    "register_apply",
    "register_counts",
    "register_eans",
    "me",
    "access_log",
    "journal_entry",
    "journal_search",
    "journal_note",
    "journal_checkpoint",
    "create_token",
    "revoke_token",
    "setting",
    "put_setting",
];

/// Calls one use case as `who`; `Ok` when it answered, the error otherwise.
async fn call(app: &Cloison, who: &app::Actor, use_case: &str) -> Result<(), AppError> {
    let ean: Ean = ean();
    let inside = at("2025-06-01T00:00:00Z");
    let everything =
        JournalQuery { subject: Some(ean.to_string()), actor: None, from: None, to: None, limit: 10 };
    match use_case {
        "access_point_at" => app.access_point_at(who, ean, inside).await.map(drop),
        "access_point_history" => app.access_point_history(who, ean).await.map(drop),
        "register_show" => app.register_show(who, ean, inside).await.map(drop),
        "register_history" => app.register_history(who, ean).await.map(drop),
        // A new version of the access point, as a meter change writes one.
        "register_apply" => {
            app.register_apply(who, vec![(inside, Change::PutAccessPoint(access_point()))]).await.map(drop)
        }
        "register_counts" => app.register_counts(who).await.map(drop),
        "register_eans" => app.register_eans(who, 10).await.map(drop),
        "me" => app.me(who).await.map(drop),
        "access_log" => {
            let query = AccessLogQuery::new(None, None, None, 100).expect("valid query");
            app.access_log(who, &query).await.map(drop)
        }
        "journal_entry" => app.journal_entry(who, 0).await.map(drop),
        "journal_search" => app.journal_search(who, &everything).await.map(drop),
        "journal_note" => app.journal_note(who, "test.note", "gate test").await.map(drop),
        "journal_checkpoint" => app.journal_checkpoint(who).await.map(drop),
        "create_token" => {
            let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
            app.create_token(who, "sup-a", Role::Supplier, expires).await.map(drop)
        }
        // An id no token has: a permitted caller is refused by the store (and journaled), a
        // forbidden one by the policy before the store is asked.
        "revoke_token" => app.revoke_token(who, "tok_0000000000000000").await.map(drop),
        "setting" => app.setting(who, "site.name").await.map(drop),
        // A key of the caller's role, so each permitted role writes its own once.
        "put_setting" => app.put_setting(who, &format!("walk.{}", who.role.as_str()), b"x").await,
        other => panic!("no use case {other}"),
    }
}

/// The entry at `index`, read as the ethics committee (which journals that reading too).
async fn entry_at(app: &Cloison, index: u64) -> StoredEntry {
    app.journal_entry(&actor("ethics-1", Role::Auditor), index)
        .await
        .expect("the auditor reads entries")
        .into_view()
}

async fn every_use_case_for_every_role_leaves_one_entry_with_real_policies(app: &Cloison) {
    small_register(app).await;
    let ids: Vec<String> = app.policy_ids();
    let mut allowed_somewhere = std::collections::BTreeSet::new();
    for role in Role::ALL {
        let who = actor(party_of(role), role);
        for use_case in USE_CASES {
            let before = app.journal_head().await.expect("head").head.size;
            let result = call(app, &who, use_case).await;
            if let Err(AppError::Internal(e)) = &result {
                panic!("{} {use_case}: our failure: {e}", role.as_str());
            }
            let after = app.journal_head().await.expect("head").head.size;
            assert_eq!(after, before + 1, "{} {use_case}: exactly one journal entry", role.as_str());
            let stored = entry_at(app, before).await;
            let e = &stored.entry;
            assert_eq!(
                (e.actor.party_id.as_str(), e.actor.role.as_str()),
                (party_of(role), role.as_str()),
                "{use_case}: the entry names the caller"
            );
            assert!(
                !e.decision.policies.is_empty(),
                "{} {use_case}: a decision names its reason",
                role.as_str()
            );
            for policy in &e.decision.policies {
                assert!(
                    ids.contains(policy) || policy == policy::DEFAULT_DENY,
                    "{} {use_case}: {policy:?} is no policy of policies/ (ids: {ids:?})",
                    role.as_str()
                );
            }
            assert!(
                !e.decision.policies.iter().any(|p| p.starts_with("role:")),
                "{} {use_case}: no decision stamped by role",
                role.as_str()
            );
            if !e.decision.allowed {
                assert!(result.is_err(), "{} {use_case}: denied, yet it answered", role.as_str());
                assert!(e.data_digest.is_none(), "{} {use_case}: denied, yet data left", role.as_str());
            }
            if result.is_ok() {
                assert!(e.decision.allowed, "{} {use_case}: answered without a permit", role.as_str());
                allowed_somewhere.insert(use_case);
            }
        }
    }
    // Every use case answers someone: the walk is not a walk through refusals only.
    for use_case in USE_CASES {
        if use_case != "revoke_token" {
            assert!(allowed_somewhere.contains(use_case), "{use_case} answered nobody");
        }
    }
}
each_backend!(
    every_use_case_leaves_one_entry,
    every_use_case_for_every_role_leaves_one_entry_with_real_policies
);

/// What each role may do, as the policies say: a refusal here is the policy's, journaled as
/// such (R1, R2, R4, R6, R10, chapter II).
async fn who_may_do_what(app: &Cloison) {
    small_register(app).await;
    #[rustfmt::skip]
    let expected: [(Role, &[&str]); 4] = [
        (Role::Supplier, &["access_point_at", "access_point_history", "me"]),
        (Role::Customer, &["access_point_at", "access_point_history", "me", "access_log"]),
        (Role::Auditor, &["access_point_at", "access_point_history", "register_show", "register_history",
            "register_counts", "register_eans", "me", "journal_entry", "journal_search"]),
        (Role::Support, &["register_counts", "me", "journal_note", "journal_checkpoint", "setting", "put_setting"]),
    ];
    for (role, may) in expected {
        let who = actor(party_of(role), role);
        for use_case in USE_CASES {
            let result = call(app, &who, use_case).await;
            assert_eq!(result.is_ok(), may.contains(&use_case), "{} {use_case}: {result:?}", role.as_str());
        }
    }
}
each_backend!(each_role_may_do_what_the_policies_say, who_may_do_what);

/// A register write by a role `register.cedar` does not permit is refused before the store is
/// asked, journaled with the forbidding policy, and changes nothing.
async fn a_refused_write_is_journaled_and_writes_nothing(app: &Cloison) {
    small_register(app).await;
    let end = Change::EndOccupancy { ean: ean(), at: at("2025-01-01T00:00:00Z") };
    for (role, reason) in [(Role::Auditor, "auditor-changes-nothing"), (Role::Supplier, policy::DEFAULT_DENY)]
    {
        let who = actor(party_of(role), role);
        let before = app.journal_head().await.expect("head").head.size;
        let refused = app.register_apply(&who, vec![(at("2025-01-01T00:00:00Z"), end.clone())]).await;
        assert!(matches!(refused, Err(AppError::Forbidden)), "{}: {refused:?}", role.as_str());
        let e = entry_at(app, before).await.entry;
        assert_eq!((e.action.as_str(), e.outcome.as_str()), ("register.occupancy.end", "forbidden"));
        assert!(!e.decision.allowed);
        assert_eq!(e.decision.policies, [reason]);
        assert_eq!(e.subjects, [ean().to_string()]);
    }
    let history =
        app.register_history(&actor("system", Role::System), ean()).await.expect("history").into_view();
    assert_eq!(history.occupancies.len(), 1, "nothing was written");
    let written = app
        .register_apply(&actor("staff-x", Role::RegisterStaff), vec![(at("2025-01-01T00:00:00Z"), end)])
        .await
        .expect("the register team may end an occupancy");
    assert_eq!(written.len(), 1);
}
each_backend!(refused_writes, a_refused_write_is_journaled_and_writes_nothing);

/// The bytes an answer carries are the bytes whose digest the journal holds (I2, R7).
async fn the_journal_digests_exactly_what_is_sent(app: &Cloison) {
    small_register(app).await;
    let who = actor("sup-a", Role::Supplier);
    let before = app.journal_head().await.expect("head").head.size;
    let sent = app.access_point_at(&who, ean(), at("2025-06-01T00:00:00Z")).await.expect("visible");
    let e = entry_at(app, before).await.entry;
    assert_eq!(e.data_digest, Some(journal::Hash::digest(sent.json())));
    assert_eq!(e.decision.policies, ["supplier-reads-own-registrations"]);
    let parsed: serde_json::Value = serde_json::from_slice(sent.json()).expect("JSON");
    assert_eq!(parsed["ean"], ean().to_string());
}
each_backend!(digest_of_what_is_sent, the_journal_digests_exactly_what_is_sent);
