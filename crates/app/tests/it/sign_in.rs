//! Signing in to the web interface with a password: a session is a bearer token that
//! `authenticate` resolves like any other; a wrong password and a party that cannot sign in get
//! one refusal (I5); five failures lock a party out, even against the right password; signing
//! out ends the session; the web door's refusals are journaled; and the system's health is for
//! support and the ethics committee only, without an EAN (R10).

use app::{AppError, Cloison, Role, StoreError};
use jiff::SignedDuration;

use crate::each_backend;
use crate::harness::{TestApp, actor, at, auditor, ean, small_register, system};

const PASSWORD: &str = "correct horse battery staple";

fn hour() -> SignedDuration {
    SignedDuration::from_hours(1)
}

/// Action, actor party, actor role, subjects and outcome of the entries from `from` to the
/// head as it stands now (the auditor's reads of them are journaled after it).
async fn entries_since(app: &Cloison, from: u64) -> Vec<(String, String, String, Vec<String>, String)> {
    let to = app.journal_head().await.expect("head").head.size;
    let mut entries = Vec::new();
    for index in from..to {
        let e = app.journal_entry(&auditor(), index).await.expect("the auditor reads").into_view().entry;
        entries.push((e.action, e.actor.party_id, e.actor.role, e.subjects, e.outcome));
    }
    entries
}

async fn size(app: &Cloison) -> u64 {
    app.journal_head().await.expect("head").head.size
}

fn refusal_text(result: Result<app::SignedIn, AppError>) -> String {
    match result {
        Err(AppError::Invalid(e)) => e.to_string(),
        other => panic!("expected a refusal of the credentials, got {other:?}"),
    }
}

async fn a_password_opens_a_session_authenticate_resolves(t: &TestApp) {
    small_register(t).await;
    let before = size(t).await;
    t.set_password(&system(), "nu-yasmine", Role::Customer, PASSWORD).await.expect("set");
    let signed = t.sign_in("nu-yasmine", PASSWORD, "req-1", hour()).await.expect("signed in");
    assert!(signed.secret.starts_with("clo_") && signed.token_id.starts_with("tok_"));
    assert_eq!(signed.actor.party.as_str(), "nu-yasmine");
    assert_eq!(signed.actor.role, Role::Customer);
    assert_eq!(signed.actor.session, format!("{}/req-1", signed.token_id));
    let now = jiff::Timestamp::now();
    assert!(signed.expires > now && signed.expires <= now + hour());

    let session = t.authenticate(&signed.secret, "req-2").await.expect("store").expect("the session works");
    assert_eq!((session.party.as_str(), session.role), ("nu-yasmine", Role::Customer));
    assert_eq!(session.session, format!("{}/req-2", signed.token_id));
    // The session passes the gate as the customer: their own point, inside their occupancy.
    t.access_point_at(&session, ean(), at("2025-06-01T00:00:00Z")).await.expect("the customer's own point");

    let entries = entries_since(t, before).await;
    let acts: Vec<(&str, &str, &str)> =
        entries.iter().map(|(a, p, _, _, o)| (a.as_str(), p.as_str(), o.as_str())).collect();
    assert_eq!(acts[0], ("admin.password.set", "cloison-test", "ok"));
    assert_eq!(entries[0].3, ["nu-yasmine"], "the password set names the party alone");
    assert_eq!(acts[1], ("web.sign_in", "nu-yasmine", "ok"), "the party's own act");
    assert_eq!(entries[1].2, "customer");
    assert_eq!(entries[1].3, ["nu-yasmine".to_owned(), signed.token_id.clone()]);
    // Neither the password nor its hash is in any entry.
    for index in before..size(t).await {
        let entry = t.journal_entry(&auditor(), index).await.expect("read").into_view();
        let text = format!("{:?}", entry.entry);
        assert!(!text.contains(PASSWORD) && !text.contains("argon2"), "entry {index}: {text}");
    }
    // A staff password signs in the same way, in its role.
    t.set_password(&system(), "staff-x", Role::Support, "support staff passphrase").await.expect("set");
    let staff = t.sign_in("staff-x", "support staff passphrase", "req-3", hour()).await.expect("signed in");
    assert_eq!(staff.actor.role, Role::Support);
    t.journal_verify(&t.journal_public_key(), |_| {}).await.expect("every row bound");
}
each_backend!(a_password_opens_a_session, a_password_opens_a_session_authenticate_resolves);

async fn a_wrong_password_and_an_unknown_party_are_one_refusal(t: &TestApp) {
    small_register(t).await;
    t.set_password(&system(), "nu-yasmine", Role::Customer, PASSWORD).await.expect("set");
    let before = size(t).await;
    let wrong = refusal_text(t.sign_in("nu-yasmine", "not the password", "r1", hour()).await);
    let unknown = refusal_text(t.sign_in("nu-nobody", PASSWORD, "r2", hour()).await);
    let no_password = refusal_text(t.sign_in("sup-a", PASSWORD, "r3", hour()).await);
    let malformed = refusal_text(t.sign_in("Not A Party!", PASSWORD, "r4", hour()).await);
    assert_eq!(wrong, unknown, "I5: a wrong password says nothing of the party");
    assert_eq!(wrong, no_password);
    assert_eq!(wrong, malformed);
    assert_eq!(wrong, "credentials: bad_credentials: the party or the password is not right");

    let entries = entries_since(t, before).await;
    assert_eq!(entries.len(), 4, "{entries:?}");
    let (action, party, role, subjects, outcome) = &entries[0];
    assert_eq!((action.as_str(), party.as_str(), role.as_str()), ("web.sign_in", "nu-yasmine", "customer"));
    assert_eq!(
        (subjects.as_slice(), outcome.as_str()),
        (&["nu-yasmine".to_owned()][..], "refused:bad_credentials")
    );
    for (action, party, role, subjects, outcome) in &entries[1..] {
        assert_eq!(
            (action.as_str(), party.as_str(), role.as_str()),
            ("web.sign_in", app::WEB_DOOR, "system")
        );
        assert!(subjects.is_empty(), "the name typed is not journaled: {subjects:?}");
        assert_eq!(outcome, "refused:bad_credentials");
    }
    t.journal_verify(&t.journal_public_key(), |_| {}).await.expect("the failure row is bound");
}
each_backend!(one_refusal_for_wrong_and_unknown, a_wrong_password_and_an_unknown_party_are_one_refusal);

async fn five_failures_lock_even_the_right_password(t: &TestApp) {
    small_register(t).await;
    t.set_password(&system(), "nu-yasmine", Role::Customer, PASSWORD).await.expect("set");
    // Four failures, a success, four failures: the success starts the count again.
    for _ in 0..4 {
        refusal_text(t.sign_in("nu-yasmine", "wrong guess", "r", hour()).await);
    }
    t.sign_in("nu-yasmine", PASSWORD, "r", hour()).await.expect("not locked after four");
    for _ in 0..4 {
        refusal_text(t.sign_in("nu-yasmine", "wrong guess", "r", hour()).await);
    }
    t.sign_in("nu-yasmine", PASSWORD, "r", hour()).await.expect("the success reset the count");

    let before = size(t).await;
    let mut texts = Vec::new();
    for _ in 0..5 {
        texts.push(refusal_text(t.sign_in("nu-yasmine", "wrong guess", "r", hour()).await));
    }
    let locked = refusal_text(t.sign_in("nu-yasmine", PASSWORD, "r", hour()).await);
    assert!(texts.iter().all(|t| t.contains("bad_credentials")), "{texts:?}");
    assert!(locked.starts_with("credentials: locked: ") && locked.contains("locked for a while"), "{locked}");
    assert!(!locked.contains("nu-yasmine"), "{locked}");
    let again = refusal_text(t.sign_in("nu-yasmine", "wrong guess", "r", hour()).await);
    assert_eq!(again, locked, "still locked, whatever is tried");
    let outcomes: Vec<String> = entries_since(t, before).await.into_iter().map(|e| e.4).collect();
    let mut expected = vec!["refused:bad_credentials".to_owned(); 5];
    expected.extend(["refused:locked".to_owned(), "refused:locked".to_owned()]);
    assert_eq!(outcomes, expected);

    // I5: a made-up name locks the same way, with the same text.
    for _ in 0..5 {
        refusal_text(t.sign_in("nu-nobody", "wrong guess", "r", hour()).await);
    }
    assert_eq!(refusal_text(t.sign_in("nu-nobody", "wrong guess", "r", hour()).await), locked);

    // An administrator's new password lets the party back in before the lock ends.
    t.set_password(&system(), "nu-yasmine", Role::Customer, "a brand new passphrase").await.expect("set");
    refusal_text(t.sign_in("nu-yasmine", PASSWORD, "r", hour()).await);
    t.sign_in("nu-yasmine", "a brand new passphrase", "r", hour()).await.expect("the new password works");
    t.journal_verify(&t.journal_public_key(), |_| {}).await.expect("every row bound");
}
each_backend!(lockout_after_five_failures, five_failures_lock_even_the_right_password);

async fn signing_out_ends_the_session(t: &TestApp) {
    small_register(t).await;
    t.set_password(&system(), "sup-a", Role::Supplier, PASSWORD).await.expect("set");
    let signed = t.sign_in("sup-a", PASSWORD, "r1", hour()).await.expect("signed in");
    let session = t.authenticate(&signed.secret, "r2").await.expect("store").expect("works");
    let before = size(t).await;
    t.sign_out(&session).await.expect("signed out");
    assert_eq!(t.authenticate(&signed.secret, "r3").await.expect("store"), None, "the secret stops working");
    let entries = entries_since(t, before).await;
    assert_eq!(entries.len(), 1);
    let (action, party, role, subjects, outcome) = &entries[0];
    assert_eq!((action.as_str(), party.as_str(), role.as_str()), ("web.sign_out", "sup-a", "supplier"));
    assert_eq!((subjects.as_slice(), outcome.as_str()), (&[signed.token_id.clone()][..], "ok"));
    // Twice: nothing left to end.
    let twice = t.sign_out(&session).await.expect_err("already ended");
    assert!(matches!(twice, AppError::Invalid(StoreError::UnknownToken { .. })), "{twice:?}");
    // An actor of the command line has no session to end.
    let cli = t.sign_out(&system()).await.expect_err("no session");
    assert!(cli.to_string().starts_with("session: no_session"), "{cli}");
    // Another party's token is not one's own to end.
    let other = t.sign_in("sup-a", PASSWORD, "r4", hour()).await.expect("signed in");
    let intruder =
        app::Actor { session: format!("{}/r5", other.token_id), ..actor("nu-yasmine", Role::Customer) };
    let refused = t.sign_out(&intruder).await.expect_err("not theirs");
    assert!(matches!(refused, AppError::Invalid(StoreError::UnknownToken { .. })), "{refused:?}");
    assert!(t.authenticate(&other.secret, "r6").await.expect("store").is_some(), "still open");
}
each_backend!(sign_out_ends_the_session, signing_out_ends_the_session);

async fn a_short_password_is_refused_naming_the_field_and_writes_nothing(t: &TestApp) {
    small_register(t).await;
    let before = size(t).await;
    let short =
        t.set_password(&system(), "nu-yasmine", Role::Customer, "too short").await.expect_err("short");
    assert!(matches!(short, AppError::Invalid(StoreError::Refused { field: "password", .. })), "{short:?}");
    assert!(short.to_string().starts_with("password: password_too_short"), "{short}");
    assert!(!short.to_string().contains("too short"), "the password is not echoed: {short}");
    assert_eq!(size(t).await, before, "nothing journaled, nothing written");
    refusal_text(t.sign_in("nu-yasmine", "too short", "r", hour()).await);

    // An unknown party is refused and journaled; a role that may not manage access is forbidden.
    let unknown =
        t.set_password(&system(), "nu-nobody", Role::Customer, PASSWORD).await.expect_err("unknown");
    assert!(
        matches!(unknown, AppError::Invalid(StoreError::UnknownParty { field: "party", .. })),
        "{unknown:?}"
    );
    let misfit = t.set_password(&system(), "sup-a", Role::Customer, PASSWORD).await.expect_err("misfit");
    assert!(matches!(misfit, AppError::Invalid(StoreError::WrongPartyKind { .. })), "{misfit:?}");
    let forbidden = t
        .set_password(&actor("staff-x", Role::Support), "nu-yasmine", Role::Customer, PASSWORD)
        .await
        .expect_err("support grants no access");
    assert!(matches!(forbidden, AppError::Forbidden), "{forbidden:?}");
    let outcomes: Vec<String> = entries_since(t, before + 1).await.into_iter().map(|e| e.4).collect();
    assert_eq!(outcomes[..3], ["refused:unknown_party", "refused:wrong_party_kind", "forbidden"]);
}
each_backend!(short_password_refused, a_short_password_is_refused_naming_the_field_and_writes_nothing);

async fn the_web_door_journals_its_refusals(t: &TestApp) {
    let before = size(t).await;
    for reason in app::REFUSED_SESSION_REASONS {
        t.record_refused_session("req-9", reason).await.expect("journaled");
    }
    let entries = entries_since(t, before).await;
    let outcomes: Vec<&str> = entries.iter().map(|e| e.4.as_str()).collect();
    assert_eq!(outcomes, ["refused:csrf", "refused:expired_session", "refused:bad_cookie"]);
    for (action, party, role, subjects, _) in &entries {
        assert_eq!(
            (action.as_str(), party.as_str(), role.as_str()),
            ("web.session.refused", "web-door", "system")
        );
        assert!(subjects.is_empty());
    }
    let unknown = t.record_refused_session("req-9", "because").await.expect_err("not a reason");
    assert!(unknown.to_string().starts_with("reason: unknown_reason"), "{unknown}");
}
each_backend!(web_door_refusals_are_journaled, the_web_door_journals_its_refusals);

async fn system_health_is_for_support_and_shows_no_ean(t: &TestApp) {
    small_register(t).await;
    for role in [Role::Supplier, Role::Customer, Role::CallCenter, Role::RegisterStaff] {
        let party = crate::harness::party_of(role);
        let refused = t.system_health(&actor(party, role)).await.expect_err("not theirs");
        assert!(matches!(refused, AppError::Forbidden), "{}: {refused:?}", role.as_str());
    }
    let support = actor("staff-x", Role::Support);
    let health = t.system_health(&support).await.expect("support reads it");
    let view = *health.view();
    assert_eq!(view.access_points, 1);
    assert!(view.journal_entries > 0);
    assert_eq!((view.messages_waiting, view.open_findings, view.unanswered_access_requests), (0, 0, 0));
    assert_eq!(health.label().map(|l| l.confidentiality), Some(domain::label::Confidentiality::Internal));
    let json = String::from_utf8(health.json().to_vec()).expect("utf-8");
    let digits: Vec<&str> = json.split(|c: char| !c.is_ascii_digit()).filter(|run| run.len() >= 18).collect();
    assert!(digits.is_empty(), "no EAN in {json}");
    assert!(!json.contains(&ean().to_string()) && !json.contains("yasmine"), "{json}");
    t.system_health(&auditor()).await.expect("the ethics committee reads it");
}
each_backend!(system_health_for_support_only, system_health_is_for_support_and_shows_no_ean);
