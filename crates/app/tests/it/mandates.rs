//! Written mandates through the gate, on both backends (R5): a third party, or a supplier for a
//! point it does not supply, sees exactly the mandate's scope, inside its period and the
//! customer's occupancy, and nothing once it is revoked; a mandate the customer could not give
//! is refused with the field named, and changes nothing.

use app::{AppError, Cloison, Role, StoreError};
use domain::mandate::{Mandate, Scope};
use domain::{Change, Gln, Party, PartyKind, Period};

use crate::each_backend;
use crate::harness::{actor, at, auditor, ean, id, small_register, system};

async fn parties(app: &Cloison) {
    let party = |pid: &str, kind: PartyKind, name: &str| Party {
        id: id(pid),
        kind,
        name: name.parse().expect("name"),
        phone: None,
        email: None,
    };
    let changes = vec![
        Change::PutParty(party("tp-advisor", PartyKind::ThirdParty, "Energy Advisor SRL")),
        Change::PutParty(party(
            "sup-b",
            PartyKind::Supplier { gln: Gln::from_body(541_000_000_022).expect("gln") },
            "Supplier B",
        )),
    ];
    let dated = changes.into_iter().map(|c| (at("2024-01-01T00:00:00Z"), c)).collect();
    app.register_apply(&system(), dated).await.expect("parties");
}

fn mandate(mandated: &str, scopes: Vec<Scope>) -> Mandate {
    Mandate {
        customer: id("nu-yasmine"),
        mandated: id(mandated),
        eans: vec![ean()],
        scopes,
        period: Period::new(at("2025-01-01T00:00:00Z"), Some(at("2026-01-01T00:00:00Z"))).expect("period"),
        document: "MAND-2026-0042".into(),
    }
}

fn shown(result: Result<app::Sent<app::AccessPointView>, AppError>) -> bool {
    match result {
        Ok(_) => true,
        Err(AppError::NotVisible) => false,
        Err(e) => panic!("unexpected: {e:?}"),
    }
}

async fn a_mandate_opens_its_scope_and_period_until_revoked(app: &Cloison) {
    small_register(app).await;
    parties(app).await;
    let advisor = actor("tp-advisor", Role::ThirdParty);
    let staff = actor("staff-x", Role::RegisterStaff);
    // Without a mandate, nothing.
    assert!(!shown(app.access_point_at(&advisor, ean(), at("2025-06-01T00:00:00Z")).await));

    let id =
        app.record_mandate(&staff, mandate("tp-advisor", vec![Scope::Register])).await.expect("recorded");
    assert!(id.starts_with("mdt_"), "{id}");
    // Inside the mandate's period: the register at that instant.
    let view =
        app.access_point_at(&advisor, ean(), at("2025-06-01T00:00:00Z")).await.expect("inside").into_view();
    assert_eq!(view.ean, ean());
    // Outside it, though the customer occupied the point then: nothing.
    assert!(!shown(app.access_point_at(&advisor, ean(), at("2024-06-01T00:00:00Z")).await));
    assert!(!shown(app.access_point_at(&advisor, ean(), at("2026-02-01T00:00:00Z")).await));
    // The history of corrections stays the register team's.
    assert!(matches!(app.register_history(&advisor, ean()).await, Err(AppError::NotVisible)));
    // The register scope opens no consumption.
    let consumption = app
        .consumption(
            &advisor,
            ean(),
            jiff::civil::date(2025, 3, 1),
            jiff::civil::date(2025, 3, 2),
            app::Resolution::Day,
        )
        .await;
    assert!(matches!(consumption, Err(AppError::NotVisible)), "{consumption:?}");

    // Revoked: nothing from the next request on.
    app.revoke_mandate(&staff, &id).await.expect("revoked");
    assert!(!shown(app.access_point_at(&advisor, ean(), at("2025-06-01T00:00:00Z")).await));
    match app.revoke_mandate(&staff, &id).await {
        Err(AppError::Invalid(StoreError::Refused { code: "unknown_mandate", .. })) => {}
        other => panic!("revoked twice: {other:?}"),
    }

    // A supplier that does not supply the point sees the consumption scope only.
    let other_supplier = actor("sup-b", Role::Supplier);
    assert!(!shown(app.access_point_at(&other_supplier, ean(), at("2025-06-01T00:00:00Z")).await));
    app.record_mandate(&staff, mandate("sup-b", vec![Scope::Consumption])).await.expect("recorded");
    let consumption = app
        .consumption(
            &other_supplier,
            ean(),
            jiff::civil::date(2024, 12, 30),
            jiff::civil::date(2025, 1, 3),
            app::Resolution::Day,
        )
        .await;
    assert!(consumption.is_ok(), "{consumption:?}");
    assert!(!shown(app.access_point_at(&other_supplier, ean(), at("2025-06-01T00:00:00Z")).await));

    // The review lists both, the revoked one with its revocation; a sample is reproducible.
    let all = app.mandates(&auditor()).await.expect("list").into_view();
    assert_eq!(all.len(), 2);
    assert_eq!(all.iter().filter(|m| m.revoked.is_some()).count(), 1);
    let a = app.sample_mandates(&auditor(), 1, 7).await.expect("sample").into_view();
    let b = app.sample_mandates(&auditor(), 1, 7).await.expect("sample").into_view();
    assert_eq!(a, b);
    assert_eq!(a.len(), 1);
}
each_backend!(scope, a_mandate_opens_its_scope_and_period_until_revoked);

async fn a_mandate_the_customer_could_not_give_is_refused(app: &Cloison) {
    small_register(app).await;
    parties(app).await;
    let staff = actor("staff-x", Role::RegisterStaff);
    let refused = |r: Result<String, AppError>| match r {
        Err(AppError::Invalid(e)) => (e.to_string(), e.code()),
        other => panic!("expected a refusal: {other:?}"),
    };
    let never = domain::Ean::from_body(54_144_100_000_000_015).expect("ean");
    let (message, code) = refused(
        app.record_mandate(
            &staff,
            Mandate { eans: vec![ean(), never], ..mandate("tp-advisor", vec![Scope::Register]) },
        )
        .await,
    );
    assert_eq!(code, "never_occupied");
    assert!(message.starts_with("eans: ") && message.contains(&never.to_string()), "{message}");
    let (message, code) =
        refused(app.record_mandate(&staff, mandate("staff-x", vec![Scope::Register])).await);
    assert_eq!(code, "wrong_party_kind");
    assert!(message.starts_with("mandated: "), "{message}");
    let (_, code) = refused(
        app.record_mandate(&staff, Mandate { eans: vec![], ..mandate("tp-advisor", vec![Scope::Register]) })
            .await,
    );
    assert_eq!(code, "bad_count");
    assert!(app.mandates(&auditor()).await.expect("list").into_view().is_empty(), "nothing half-recorded");
    // Only the register team records mandates; a third party cannot give itself one.
    match app
        .record_mandate(&actor("tp-advisor", Role::ThirdParty), mandate("tp-advisor", vec![Scope::Register]))
        .await
    {
        Err(AppError::Forbidden) => {}
        other => panic!("a third party recording its own mandate: {other:?}"),
    }
}
each_backend!(refused, a_mandate_the_customer_could_not_give_is_refused);
