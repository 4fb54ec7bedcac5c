//! Customer works (R13): every transition of the six modules, every refusal of a field a
//! module does not keep, the rules of each value, and the retention purge.

use std::collections::BTreeMap;

use domain::works::{
    Module, PERSONAL_FIELDS, RequesterKind, Stage, Step, WorkKind, WorkRequest, allowance, check_fields,
    parse_retention,
};

fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn captured() -> WorkRequest {
    WorkRequest::capture(
        WorkKind::MeterChange,
        "nu-ana".parse().expect("id"),
        RequesterKind::Customer,
        fields(&[
            ("requester_name", "Ana Lopes"),
            ("billing_address", "Rue Haute 4, 5000 Namur"),
            ("description", "replace the meter by a smart one"),
            ("phone", "+32470123456"),
            ("ean", "541448820000000015"),
        ]),
    )
    .expect("a good capture")
}

/// Good fields for each module after capture.
fn good(module: Module) -> BTreeMap<String, String> {
    match module {
        Module::Capture => fields(&[
            ("requester_name", "Ana Lopes"),
            ("billing_address", "Rue Haute 4"),
            ("description", "x"),
        ]),
        Module::Study => fields(&[("study_fee_cents", "15000")]),
        Module::Offer => fields(&[("works_amount_cents", "42000"), ("vat_rate", "6")]),
        Module::Preparation => fields(&[("planned_day", "2026-12-15"), ("crew", "team 3")]),
        Module::Execution => fields(&[
            ("power_kva", "9.2"),
            ("supply_type", "single_phase"),
            ("meter_type", "smart"),
            ("meter_number", "SM-0042"),
        ]),
        Module::PostAdministration => fields(&[("invoice_number", "INV-2026-0001")]),
    }
}

#[test]
fn every_transition_in_order_and_the_asset_record() {
    let mut r = captured();
    assert_eq!(r.stage, Stage::Captured);
    assert_eq!(
        r.personal.keys().map(String::as_str).collect::<Vec<_>>(),
        ["billing_address", "phone", "requester_name"]
    );
    assert!(r.fields.keys().all(|k| !PERSONAL_FIELDS.contains(&k.as_str())));
    let steps = [
        (Step::Study { fields: good(Module::Study) }, Stage::Studied),
        (Step::Offer { fields: good(Module::Offer) }, Stage::Offered),
        (Step::Accept, Stage::Accepted),
        (Step::Plan { fields: good(Module::Preparation) }, Stage::Planned),
        (Step::Execute { fields: good(Module::Execution) }, Stage::Executed),
    ];
    for (step, stage) in steps {
        assert!(r.asset_record().is_none());
        r.apply(&step).expect("in order");
        assert_eq!(r.stage, stage, "{step:?}");
    }
    r.apply(&Step::Invoice { fields: good(Module::PostAdministration) }).expect("invoiced");
    assert_eq!(r.stage, Stage::Closed);
    let asset = r.asset_record().expect("a closed request leaves its asset record");
    assert_eq!((asset.meter_type.as_str(), asset.meter_number.as_str()), ("smart", "SM-0042"));
    let json = serde_json::to_string(&asset).expect("json");
    assert!(!json.contains("Ana") && !json.contains("Haute"), "no personal data in the asset record: {json}");
}

#[test]
fn each_step_out_of_order_is_refused_with_its_rule() {
    let at = |steps: &[Step]| {
        let mut r = captured();
        for s in steps {
            r.apply(s).expect("setup");
        }
        r
    };
    let study = Step::Study { fields: good(Module::Study) };
    let offer = Step::Offer { fields: good(Module::Offer) };
    let plan = Step::Plan { fields: good(Module::Preparation) };
    let execute = Step::Execute { fields: good(Module::Execution) };
    let invoice = Step::Invoice { fields: good(Module::PostAdministration) };
    let cases: Vec<(Vec<Step>, Step, &str)> = vec![
        (vec![], offer.clone(), "wrong_stage"),
        (vec![], Step::Accept, "wrong_stage"),
        (vec![], execute.clone(), "not_planned"),
        (vec![study.clone(), offer.clone()], plan.clone(), "not_accepted"),
        (vec![study.clone(), offer.clone()], execute.clone(), "not_planned"),
        (vec![study.clone(), offer.clone(), Step::Accept], Step::Accept, "already_accepted"),
        (vec![study.clone(), offer.clone(), Step::Accept], execute.clone(), "not_planned"),
        (vec![study.clone()], study.clone(), "wrong_stage"),
        (vec![study.clone(), offer.clone(), Step::Accept, plan.clone()], invoice.clone(), "wrong_stage"),
        (
            vec![study.clone(), offer.clone(), Step::Accept, plan.clone(), execute.clone()],
            Step::Cancel,
            "wrong_stage",
        ),
    ];
    for (before, step, code) in cases {
        let mut r = at(&before);
        let was = r.clone();
        let refused = r.apply(&step).expect_err("out of order");
        assert_eq!(refused.code, code, "{step:?} after {before:?}");
        assert_eq!(r, was, "a refusal changes nothing");
    }
    let mut r = at(&[study, offer]);
    r.apply(&Step::Cancel).expect("cancelled before execution");
    assert_eq!(r.stage, Stage::Cancelled);
}

#[test]
fn a_field_outside_a_modules_allowance_is_refused_naming_both() {
    let modules = [
        Module::Capture,
        Module::Study,
        Module::Offer,
        Module::Preparation,
        Module::Execution,
        Module::PostAdministration,
    ];
    for module in modules {
        // A field no module keeps, and one that belongs to another module.
        let other = if module == Module::Execution { "invoice_number" } else { "meter_number" };
        for (intruder, value) in
            [("national_number", "85.07.30-033.61"), ("birth_date", "1985-07-30"), (other, "X-1")]
        {
            let mut given = good(module);
            given.insert(intruder.into(), value.into());
            let refused = check_fields(module, &given).expect_err("not kept");
            assert_eq!((refused.field.as_str(), refused.code), (intruder, "not_allowed"), "{module}");
            assert!(refused.reason.contains(module.as_str()), "the module is named: {refused}");
        }
        for required in allowance(module).required {
            let mut given = good(module);
            given.remove(*required);
            let refused = check_fields(module, &given).expect_err("missing");
            assert_eq!((refused.field.as_str(), refused.code), (*required, "required"), "{module}");
        }
        check_fields(module, &good(module)).expect("the good fields");
    }
    // And through the steps: an offer that slips in a bank account is refused, nothing kept.
    let mut r = captured();
    r.apply(&Step::Study { fields: good(Module::Study) }).expect("study");
    let mut offer = good(Module::Offer);
    offer.insert("iban".into(), "BE68539007547034".into());
    let was = r.clone();
    assert_eq!(r.apply(&Step::Offer { fields: offer }).expect_err("no iban").field, "iban");
    assert_eq!(r, was);
}

#[test]
fn values_follow_their_rules_and_kinds_are_known() {
    for (module, field, value) in [
        (Module::Offer, "vat_rate", "19"),
        (Module::Offer, "works_amount_cents", "-5"),
        (Module::Study, "study_fee_cents", "lots"),
        (Module::Preparation, "planned_day", "2026-02-30"),
        (Module::Execution, "power_kva", "0"),
        (Module::Execution, "meter_type", "nuclear"),
        (Module::Capture, "email", "not an address"),
        (Module::Capture, "ean", "541448820000000018"),
    ] {
        let mut given = good(module);
        given.insert(field.into(), value.into());
        let refused = check_fields(module, &given).expect_err("a bad value");
        assert_eq!((refused.field.as_str(), refused.code), (field, "bad_value"), "{value}");
    }
    assert_eq!(WorkKind::parse("teleportation").expect_err("unknown").code, "unknown_kind");
    assert_eq!(WorkKind::parse("meter_change").expect("known"), WorkKind::MeterChange);
    let no_ean = WorkRequest::capture(
        WorkKind::Removal,
        "nu-ana".parse().expect("id"),
        RequesterKind::Customer,
        good(Module::Capture),
    );
    assert_eq!(no_ean.expect_err("a removal names its point").field, "ean");
}

#[test]
fn the_purge_waits_for_the_schedule_and_keeps_only_the_invoice() {
    let mut r = captured();
    let day = |t: &str| t.parse::<jiff::civil::Date>().expect("day");
    assert_eq!(r.purge(day("2026-01-01"), day("2030-01-01"), 30, &[]).expect_err("open").code, "not_ended");
    r.apply(&Step::Cancel).expect("cancelled");
    assert_eq!(
        r.purge(day("2026-01-01"), day("2026-01-30"), 30, &[]).expect_err("too early").code,
        "retention_running"
    );
    let purged = r
        .purge(day("2026-01-01"), day("2026-01-31"), 30, &["requester_name", "billing_address"])
        .expect("due");
    assert_eq!(purged, ["phone"]);
    assert_eq!(
        r.personal.keys().map(String::as_str).collect::<Vec<_>>(),
        ["billing_address", "requester_name"]
    );
    assert!(r.purged);
}

#[test]
fn the_shipped_retention_schedule_covers_every_personal_field_once() {
    let text = include_str!("../../../../policies/retention.csv");
    let rules = parse_retention(text).expect("the shipped schedule parses");
    assert_eq!(rules.iter().map(|r| r.category.as_str()).collect::<Vec<_>>(), ["contact", "invoice"]);
    assert!(rules.iter().all(|r| r.legal_basis.len() > 20));
    let missing = "category,fields,kept_days_after_end,legal_basis\ncontact,phone,30,storage limitation\n";
    assert_eq!(parse_retention(missing).expect_err("email has no rule").field, "line 0: fields");
    let negative = "category,fields,kept_days_after_end,legal_basis\ncontact,phone email,-1,x\n";
    assert_eq!(parse_retention(negative).expect_err("negative").field, "line 2: kept_days_after_end");
}
