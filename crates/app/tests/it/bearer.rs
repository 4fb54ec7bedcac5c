//! The read of an access point by bearer secret (`access_point_at_bearer`, the API's route),
//! which reads token, facts, register and names in one snapshot, against the same read by an
//! authenticated actor (`access_point_at`): the same bytes or the same refusal, journaled
//! alike, for every role that holds tokens, inside and outside its periods, on an access
//! point that exists and one that does not (R1, R2, R4, R6, I3, I5); and a token revoked by
//! another process on the same database is refused at the next read.

use app::{AppError, Cloison, Opening, Role};
use domain::Ean;

use crate::each_backend;
use crate::harness::{TestApp, at, auditor, ean, party_of, small_register, system};

/// Every role a token can carry, with a party whose kind fits it.
const ROLES: [Role; 6] =
    [Role::Supplier, Role::Customer, Role::RegisterStaff, Role::CallCenter, Role::Auditor, Role::Support];

fn expires() -> jiff::Timestamp {
    jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1)
}

/// What a journal entry says beside who asked when: action, subjects, decision, outcome, digest.
async fn last_entry(app: &Cloison) -> (String, Vec<String>, bool, Vec<String>, String, Option<app::Hash>) {
    let size = app.journal_head().await.expect("head").head.size;
    let e =
        app.journal_entry(&auditor(), size - 1).await.expect("the auditor reads entries").into_view().entry;
    (e.action, e.subjects, e.decision.allowed, e.decision.policies, e.outcome, e.data_digest)
}

/// An answer as the two paths can be compared: the bytes sent, or the refusal.
fn answer(result: Result<app::Sent<app::AccessPointView>, AppError>) -> Result<Vec<u8>, String> {
    match result {
        Ok(sent) => Ok(sent.into_json()),
        Err(AppError::Internal(e)) => panic!("our failure: {e}"),
        Err(e) => Err(format!("{e:?}")),
    }
}

async fn the_bearer_read_answers_and_journals_as_the_actor_read(app: &Cloison) {
    small_register(app).await;
    let unknown = Ean::from_body(54_144_100_000_000_015).expect("17-digit body");
    let mut answered = 0;
    for role in ROLES {
        let token = app.create_token(&system(), party_of(role), role, expires()).await.expect("token");
        let actor = app.authenticate(&token.secret, "r").await.expect("store").expect("a valid token");
        for (target, instant) in [
            (ean(), "2025-06-01T00:00:00Z"),
            (ean(), "2023-06-01T00:00:00Z"),
            (unknown, "2025-06-01T00:00:00Z"),
        ] {
            let instant = at(instant);
            let by_actor = answer(app.access_point_at(&actor, target, instant).await);
            let entry_by_actor = last_entry(app).await;
            let by_bearer = app
                .access_point_at_bearer(&token.secret, "r", target, instant)
                .await
                .map(|sent| sent.expect("a valid token"));
            let by_bearer = answer(by_bearer);
            let entry_by_bearer = last_entry(app).await;
            let case = format!("{} on {target} at {instant}", role.as_str());
            assert_eq!(by_bearer, by_actor, "{case}: the same answer");
            assert_eq!(entry_by_bearer, entry_by_actor, "{case}: the same journal entry");
            answered += usize::from(by_actor.is_ok());
        }
    }
    // Not a comparison of refusals only: the supplier and the customer see it inside their
    // periods, the register team, the call center and the auditor at both instants.
    assert_eq!(answered, 8);
}
each_backend!(bearer_read_is_the_actor_read, the_bearer_read_answers_and_journals_as_the_actor_read);

async fn a_token_revoked_by_another_process_is_refused_at_the_next_read(t: &TestApp) {
    small_register(t).await;
    let token = t.create_token(&system(), "sup-a", Role::Supplier, expires()).await.expect("token");
    let inside = at("2025-06-01T00:00:00Z");
    let read = t.access_point_at_bearer(&token.secret, "r", ean(), inside).await.expect("store");
    assert!(read.is_some(), "the token reads before its revocation");
    // Another process on the same database: the command line's `admin token revoke`.
    let other = Cloison::open(&t.url, &t.keys, Opening::Existing).await.expect("a second opening");
    other.revoke_token(&system(), &token.token_id).await.expect("revoked");
    other.close().await;
    let size = t.journal_head().await.expect("head").head.size;
    let read = t.access_point_at_bearer(&token.secret, "r", ean(), inside).await.expect("store");
    assert!(read.is_none(), "a revoked token reads nothing");
    assert_eq!(t.journal_head().await.expect("head").head.size, size, "and nothing is journaled for it");
}
each_backend!(
    revoked_elsewhere_is_refused_at_once,
    a_token_revoked_by_another_process_is_refused_at_the_next_read
);
