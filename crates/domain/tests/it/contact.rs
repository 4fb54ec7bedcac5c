//! The multi-principal contact center (R12: sealed principals): E.164 entry points matched
//! exactly, the configuration refused all or nothing (shared entry points, cross-principal
//! routes, incompatible skills), routing by rule order with exclusions and fall-through, a
//! reference model compared with the router over random configurations, the indicators worked
//! out by hand, the Erlang C textbook case, and the simulator.

use std::collections::{BTreeMap, BTreeSet};

use domain::contact::config::{DSO_SKILL, SUPPLIER_SKILL};
use domain::contact::erlang::{agents_needed, erlang_c, service_level};
use domain::contact::kpi::{InteractionRecord, Kpis, Outcome, kpis, operator_activity};
use domain::contact::rule::{Expr, OperatorView, Subject, Test};
use domain::contact::simulate::{SimulationParams, simulate};
use domain::contact::{
    Channel, ContactConfig, ContactError, E164, EntryPoint, Interaction, Operator, Principal, PrincipalKind,
    Queue, Router, RoutingRule,
};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// E.164

/// `expected`: `None` for a good number, `Some(column)` of the first wrong character otherwise.
fn check_e164(text: &str, expected: Option<usize>) {
    match (E164::parse(text), expected) {
        (Ok(number), None) => assert_eq!(number.as_str(), text, "kept exactly as written"),
        (Err(e), Some(column)) => {
            assert_eq!((e.field.as_str(), e.code), ("number", "not_e164"), "{text:?}: {e}");
            assert_eq!(e.position, Some((1, column)), "{text:?}: {e}");
        }
        (got, want) => panic!("{text:?}: got {got:?}, wanted the column {want:?}"),
    }
}

#[test]
fn r12_e164_good_and_bad_with_the_column_of_the_first_wrong_character() {
    check_e164("+3278151515", None);
    check_e164("+12025550123", None);
    check_e164("+123456789012345", None); // 15 digits: the most E.164 allows
    check_e164("+32 78 15 15 15", Some(4)); // a space
    check_e164("3278151515", Some(1)); // missing '+'
    check_e164("081 23 45 67", Some(1)); // a national form is refused, never normalised
    check_e164("0032 78 15 15 15", Some(1));
    check_e164("+0478151515", Some(2)); // a country code never starts with 0
    check_e164("+1234567890123456", Some(17)); // the 16th digit
    check_e164("+3278I51515", Some(6)); // a letter I for a one
    check_e164("+32-78-151515", Some(4));
    check_e164("", Some(1));
    check_e164("+", Some(2));
    let e = E164::parse("+32 78").expect_err("a space");
    assert_eq!(e.to_string(), format!("number: {} (line 1, column 4)", e.reason));
}

#[test]
fn r12_e164_serde_goes_through_the_same_check() {
    let n: E164 = serde_json::from_str("\"+3278151515\"").expect("good");
    assert_eq!(serde_json::to_string(&n).expect("json"), "\"+3278151515\"");
    assert!(serde_json::from_str::<E164>("\"+32 78 15 15 15\"").is_err());
}

// ---------------------------------------------------------------------------------------------
// Configuration

const DSO: &str = r#"
[[principal]]
id = "dso"
name = "Grid operator"
kind = "dso"
default_queue = "dso-general"
back_offices = ["dso-back"]
[[principal.entry_point]]
channel = "call"
address = "+3278151515"
[[principal.entry_point]]
channel = "mail"
address = "contact@dso.example"
[[principal.queue]]
id = "dso-general"
skills = ["general"]
[[principal.queue]]
id = "dso-outage"
skills = ["outage"]
[[principal.queue]]
id = "dso-back"
skills = ["back-office"]
[[principal.rule]]
id = "outage"
when = 'ivr = "outage"'
to = ["dso-outage"]
timeout_seconds = 15
[[principal.operator]]
party = "cc-ana"
skills = ["general", "outage"]
"#;

const SUPPLIER: &str = r#"
[[principal]]
id = "sup-ardenne"
name = "Ardenne Energie"
kind = "supplier"
default_queue = "ardenne-general"
[[principal.entry_point]]
channel = "call"
address = "+3281000111"
[[principal.queue]]
id = "ardenne-general"
skills = ["billing"]
[[principal.operator]]
party = "cc-chloe"
skills = ["billing"]
"#;

fn both() -> String {
    format!("{DSO}{SUPPLIER}")
}

/// The refusal of `text`; there is no half-loaded configuration to look at, only the error.
fn refusal(text: &str) -> ContactError {
    match ContactConfig::parse(text) {
        Ok(config) => panic!("accepted, with {} principals", config.principals.len()),
        Err(e) => e,
    }
}

#[test]
fn r12_the_two_principals_load_and_are_sealed_by_entry_point() {
    let config = ContactConfig::parse(&both()).expect("valid");
    assert_eq!(config.principal_of_entry(Channel::Call, "+3278151515").map(|p| p.id.as_str()), Some("dso"));
    assert_eq!(
        config.principal_of_entry(Channel::Call, "+3281000111").map(|p| p.id.as_str()),
        Some("sup-ardenne")
    );
    // Exact match only: the national form of the DSO's number reaches nobody.
    assert!(config.principal_of_entry(Channel::Call, "078 15 15 15").is_none());
    assert!(config.principal_of_entry(Channel::Sms, "+3278151515").is_none());
    let entry = &config.principals[0].entry_points[0];
    assert_eq!(entry.key(), "call:+3278151515");
    assert_eq!(
        config.skills_of("cc-ana"),
        ["dso", "general", "outage"].map(String::from).into_iter().collect::<BTreeSet<_>>()
    );
    assert_eq!(
        config.principals_of_operator("cc-chloe").iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["sup-ardenne"]
    );
}

#[test]
fn r12_an_entry_point_owned_by_two_principals_is_refused_naming_both() {
    let text = format!("{DSO}{}", SUPPLIER.replace("+3281000111", "+3278151515"));
    let e = refusal(&text);
    assert_eq!((e.code, e.field.as_str()), ("shared_entry_point", "principal[1].entry_point[0]"));
    assert!(e.reason.contains("call:+3278151515"), "{e}");
    assert!(e.reason.contains("dso") && e.reason.contains("sup-ardenne"), "{e}");
}

#[test]
fn r12_a_rule_routing_to_another_principals_queue_is_refused_naming_rule_and_both_principals() {
    let text = format!(
        "{DSO}{}",
        SUPPLIER.to_owned()
            + "[[principal.rule]]\nid = \"steal-outages\"\nwhen = 'ivr = \"outage\"'\nto = [\"dso-outage\"]\n"
    );
    let e = refusal(&text);
    assert_eq!((e.code, e.field.as_str()), ("cross_principal_route", "principal[1].rule[0].to[0]"));
    assert!(e.reason.contains("steal-outages"), "{e}");
    assert!(e.reason.contains("sup-ardenne") && e.reason.contains("principal dso"), "{e}");

    // The default queue and back offices are routes too.
    let e = refusal(&format!(
        "{DSO}{}",
        SUPPLIER.replace("default_queue = \"ardenne-general\"", "default_queue = \"dso-general\"")
    ));
    assert_eq!((e.code, e.field.as_str()), ("cross_principal_route", "principal[1].default_queue"));
    let e = refusal(&format!("{}{SUPPLIER}", DSO.replace("[\"dso-back\"]", "[\"ardenne-general\"]")));
    assert_eq!((e.code, e.field.as_str()), ("cross_principal_route", "principal[0].back_offices[0]"));
}

#[test]
fn r12_a_target_that_is_nobodys_queue_is_refused() {
    let e = refusal(&both().replace("to = [\"dso-outage\"]", "to = [\"dso-outgae\"]"));
    assert_eq!((e.code, e.field.as_str()), ("unknown_queue", "principal[0].rule[0].to[0]"));
    assert!(e.reason.contains("dso-outgae") && e.reason.contains("outage"), "{e}");
}

#[test]
fn r12_an_operator_serving_the_dso_and_a_supplier_is_refused_by_the_implied_skills() {
    // cc-ana answers for the DSO; listing her under the supplier too would put the implied
    // skills "dso" and "supplier" on one operator.
    let text = both() + "[[principal.operator]]\nparty = \"cc-ana\"\nskills = [\"billing\"]\n";
    let e = refusal(&text);
    assert_eq!((e.code, e.field.as_str()), ("incompatible_skills", "principal[1].operator[1].skills"));
    for word in ["cc-ana", DSO_SKILL, SUPPLIER_SKILL, "principal dso", "principal sup-ardenne"] {
        assert!(e.reason.contains(word), "{word:?} missing from {e}");
    }
    // Granting the skill "supplier" by name under the DSO is the same fault.
    let e = refusal(
        &both().replace("skills = [\"general\", \"outage\"]", "skills = [\"general\", \"supplier\"]"),
    );
    assert_eq!(e.code, "incompatible_skills");
}

#[test]
fn r12_a_configured_incompatible_pair_is_refused_on_one_operator() {
    let text = format!(
        "[[incompatible]]\nskills = [\"complaints\", \"billing\"]\n{DSO}{}",
        SUPPLIER.replace(
            "party = \"cc-chloe\"\nskills = [\"billing\"]",
            "party = \"cc-chloe\"\nskills = [\"billing\", \"complaints\"]"
        )
    );
    let e = refusal(&text);
    assert_eq!((e.code, e.field.as_str()), ("incompatible_skills", "principal[1].operator[0].skills"));
    assert!(
        e.reason.contains("cc-chloe") && e.reason.contains("complaints") && e.reason.contains("billing"),
        "{e}"
    );
    let e = refusal(&format!("[[incompatible]]\nskills = [\"billing\"]\n{DSO}"));
    assert_eq!((e.code, e.field.as_str()), ("bad_pair", "incompatible[0].skills"));
}

#[test]
fn r12_check_grant_refuses_segregation_of_duties_at_grant_time() {
    let config = ContactConfig::parse(&format!(
        "[[incompatible]]\nskills = [\"complaints\", \"billing\"]\n{}",
        both()
    ))
    .expect("valid");
    let set = |skills: &[&str]| skills.iter().map(|s| (*s).to_owned()).collect::<BTreeSet<_>>();
    // A newcomer holding both sides at once.
    let e = config.check_grant("cc-new", &set(&["dso", "supplier"])).expect_err("R12");
    assert_eq!((e.code, e.field.as_str()), ("incompatible_skills", "skills"));
    assert!(config.check_grant("cc-new", &set(&["complaints", "billing"])).is_err());
    // cc-ana holds "dso" by serving the DSO: "supplier" may not be added.
    let e = config.check_grant("cc-ana", &set(&["supplier"])).expect_err("implied dso");
    assert!(e.reason.contains("already held"), "{e}");
    // cc-chloe holds "billing": "complaints" may not be added.
    assert!(config.check_grant("cc-chloe", &set(&["complaints"])).is_err());
    config.check_grant("cc-ana", &set(&["german"])).expect("harmless");
    config.check_grant("cc-new", &set(&["billing"])).expect("harmless");
}

#[test]
fn a_misspelt_key_is_refused_with_its_line_and_column() {
    let text = "[[principal]]\nid = \"dso\"\nname = \"DSO\"\nkind = \"dso\"\ndefault_queue = \"general\"\n\
                [[principal.queue]]\nid = \"general\"\n  skils = [\"general\"]\n";
    let e = refusal(text);
    assert_eq!(e.code, "unknown_key", "{e}");
    assert_eq!(e.position, Some((8, 3)), "{e}");
    assert!(e.reason.contains("skils"), "{e}");
    let e = refusal("[[principal]]\nid = \"dso\"\nname = \"DSO\"\nkind = \"grid\"\ndefault_queue = \"q\"\n");
    assert_eq!((e.code, e.position.map(|p| p.0)), ("bad_toml", Some(4)), "{e}");
    let e = refusal("[[principal]\n");
    assert_eq!((e.code, e.position.map(|p| p.0)), ("bad_toml", Some(1)), "{e}");
}

#[test]
fn a_bad_expression_is_refused_with_its_field_and_its_position_inside_the_expression() {
    let text = both().replace("when = 'ivr = \"outage\"'", "when = 'language = \"de\" and and'");
    let e = refusal(&text);
    assert_eq!((e.code, e.field.as_str()), ("bad_expression", "principal[0].rule[0].when"));
    assert_eq!(e.position, Some((1, 21)), "{e}");
    assert!(e.reason.contains("expected an expression") && e.reason.contains("`and`"), "{e}");
    // On a second line of a multi-line string.
    let text = both().replace(
        "when = 'ivr = \"outage\"'",
        "when = '''\nivr = \"outage\"\n  or ivr in [\"gas\" \"smell\"]'''",
    );
    let e = refusal(&text);
    assert_eq!((e.field.as_str(), e.position), ("principal[0].rule[0].when", Some((2, 20))), "{e}");
    // A `when` cannot test the operator: none is chosen yet.
    let e = refusal(&both().replace("when = 'ivr = \"outage\"'", "when = 'has \"outage\"'"));
    assert_eq!(e.code, "operator_in_when");
}

#[test]
fn r12_a_malformed_entry_address_is_refused_with_its_field_path_and_column() {
    let e = refusal(&format!("{DSO}{}", SUPPLIER.replace("+3281000111", "+32 81 000 111")));
    assert_eq!((e.code, e.field.as_str()), ("not_e164", "principal[1].entry_point[0].address"));
    assert_eq!(e.position, Some((1, 4)));
    let e = refusal(&both().replace("contact@dso.example", "Contact@dso.example"));
    assert_eq!(
        (e.code, e.field.as_str(), e.position),
        ("bad_address", "principal[0].entry_point[1].address", Some((1, 1)))
    );
}

#[test]
fn duplicates_and_malformed_ids_are_refused() {
    let e = refusal(&format!("{DSO}{DSO}"));
    assert_eq!((e.code, e.field.as_str()), ("duplicate_principal", "principal[1].id"));
    let e = refusal(&format!("{DSO}{}", SUPPLIER.replace("ardenne-general", "dso-general")));
    assert_eq!(e.code, "duplicate_queue");
    assert!(e.reason.contains("dso") && e.reason.contains("sup-ardenne"), "{e}");
    let e = refusal(&both().replace("id = \"dso\"", "id = \"DSO\""));
    assert_eq!((e.code, e.field.as_str()), ("bad_id", "principal[0].id"));
    let e = refusal(&both().replace("party = \"cc-chloe\"", "party = \"Chloé\""));
    assert_eq!(e.code, "bad_party");
    let e = refusal(&both().replace("skills = [\"billing\"]", "skills = [\" \"]"));
    assert_eq!(e.code, "bad_skill");
}

/// All or nothing: every prefix of a valid configuration (cut at a line) is either refused or
/// a configuration that passes every check on its own — never a partly checked one.
#[test]
fn r12_nothing_is_ever_half_loaded() {
    let text = both() + "[[principal.operator]]\nparty = \"cc-ana\"\nskills = [\"billing\"]\n";
    assert!(ContactConfig::parse(&text).is_err(), "the whole is refused though its first part is sound");
    let lines: Vec<&str> = text.lines().collect();
    let (mut refused, mut loaded) = (0, 0);
    for n in 0..=lines.len() {
        let prefix = lines[..n].join("\n");
        match ContactConfig::parse(&prefix) {
            Ok(config) => {
                config.check().expect("whatever loads passes every check");
                loaded += 1;
            }
            Err(_) => refused += 1,
        }
    }
    assert!(refused > 0 && loaded > 0, "{refused} refused, {loaded} loaded");
}

// ---------------------------------------------------------------------------------------------
// Routing

const ROUTING: &str = r#"
[[principal]]
id = "dso"
name = "Grid operator"
kind = "dso"
default_queue = "general"
[[principal.entry_point]]
channel = "call"
address = "+3278151515"
[[principal.entry_point]]
channel = "chat"
address = "dso-web"
[[principal.queue]]
id = "general"
skills = ["general"]
[[principal.queue]]
id = "outage"
skills = ["outage"]
[[principal.queue]]
id = "german"
skills = ["german"]
[[principal.queue]]
id = "senior"
skills = ["senior"]
[[principal.rule]]
id = "outage-german"
when = 'ivr = "outage" and language = "de"'
to = ["german", "outage"]
timeout_seconds = 20
[[principal.rule]]
id = "outage"
when = 'ivr = "outage"'
to = ["outage", "senior"]
timeout_seconds = 10
exclude = 'has "trainee" or operator.party = "op-eve"'
[[principal.rule]]
id = "chat"
when = 'channel = "chat"'
to = ["general"]
timeout_seconds = 0
[[principal.operator]]
party = "op-ana"
skills = ["general"]
[[principal.operator]]
party = "op-ben"
skills = ["outage", "trainee"]
[[principal.operator]]
party = "op-eve"
skills = ["outage", "general"]
[[principal.operator]]
party = "op-ida"
skills = ["outage", "german"]
[[principal.operator]]
party = "op-sam"
skills = ["senior", "general"]

[[principal]]
id = "sup-meuse"
name = "Meuse Power"
kind = "supplier"
default_queue = "meuse"
[[principal.entry_point]]
channel = "call"
address = "+3281000222"
[[principal.queue]]
id = "meuse"
skills = []
[[principal.rule]]
id = "outage"
when = 'ivr = "outage"'
to = ["meuse"]
[[principal.operator]]
party = "op-max"
skills = ["outage", "general"]
"#;

fn call(entry: &str, attributes: &[(&str, &str)]) -> Interaction {
    Interaction {
        channel: Channel::Call,
        entry: entry.into(),
        attributes: attributes.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
    }
}

fn router() -> Router {
    Router::new(&ContactConfig::parse(ROUTING).expect("valid"))
}

/// (rule, queue, operator) of a decision, for one-line assertions.
fn decide(
    router: &Router,
    interaction: &Interaction,
    available: &dyn Fn(&str) -> bool,
    waited: u32,
) -> (Option<String>, String, Option<String>) {
    let d = router.decide(interaction, available, waited).expect("routed");
    (d.rule, d.queue, d.operator)
}

fn s(text: &str) -> String {
    text.to_owned()
}

#[test]
fn r12_rules_apply_in_order_the_first_that_holds_wins() {
    let router = router();
    let all = |_: &str| true;
    let german = call("+3278151515", &[("ivr", "outage"), ("language", "de")]);
    let routing = router.route(&german, &all).expect("routed");
    assert_eq!((routing.principal.as_str(), routing.rule.as_deref()), ("dso", Some("outage-german")));
    let steps: Vec<_> = routing.steps.iter().map(|s| (s.queue.as_str(), s.timeout_seconds)).collect();
    assert_eq!(steps, [("german", 20), ("outage", 20), ("general", 0)]);
    assert_eq!(routing.steps[1].operators, ["op-ben", "op-eve", "op-ida"], "no exclusion on this rule");
    // The same call in French: the first rule does not hold, the second does.
    let french = call("+3278151515", &[("ivr", "outage"), ("language", "fr")]);
    assert_eq!(decide(&router, &french, &all, 0), (Some(s("outage")), s("outage"), Some(s("op-ida"))));
    // No rule holds: the default queue, one step without timeout.
    let plain = router.route(&call("+3278151515", &[]), &all).expect("routed");
    assert_eq!(plain.rule, None);
    assert_eq!(
        plain.steps.iter().map(|s| (s.queue.as_str(), s.timeout_seconds)).collect::<Vec<_>>(),
        [("general", 0)]
    );
    assert_eq!(plain.steps[0].operators, ["op-ana", "op-eve", "op-sam"]);
}

#[test]
fn r12_exclusions_keep_operators_out_of_a_rule() {
    let router = router();
    let french = call("+3278151515", &[("ivr", "outage")]);
    let routing = router.route(&french, &|_| true).expect("routed");
    // op-ben is a trainee and op-eve is excluded by name: only op-ida takes outages here.
    assert_eq!(routing.steps[0].operators, ["op-ida"]);
    // The default queue closing the rule is under the rule's exclusion too.
    assert_eq!(routing.steps[2].operators, ["op-ana", "op-sam"]);
}

#[test]
fn r12_waiting_falls_through_on_timeout_and_at_once_when_no_operator_is_eligible() {
    let router = router();
    let outage = call("+3278151515", &[("ivr", "outage")]);
    let all = |_: &str| true;
    // Steps: outage (10 s), senior (10 s), general (no timeout).
    assert_eq!(decide(&router, &outage, &all, 9), (Some(s("outage")), s("outage"), Some(s("op-ida"))));
    assert_eq!(decide(&router, &outage, &all, 10), (Some(s("outage")), s("senior"), Some(s("op-sam"))));
    assert_eq!(decide(&router, &outage, &all, 20), (Some(s("outage")), s("general"), Some(s("op-ana"))));
    assert_eq!(decide(&router, &outage, &all, 10_000), (Some(s("outage")), s("general"), Some(s("op-ana"))));
    // op-ida busy: nobody eligible on the outage queue, so straight to the senior queue.
    let no_ida = |p: &str| p != "op-ida";
    assert_eq!(decide(&router, &outage, &no_ida, 0), (Some(s("outage")), s("senior"), Some(s("op-sam"))));
    // Nobody at all: it waits on the last step.
    assert_eq!(decide(&router, &outage, &|_| false, 0), (Some(s("outage")), s("general"), None));
    // A rule with timeout 0 never times out by waiting.
    let chat = Interaction { channel: Channel::Chat, entry: s("dso-web"), attributes: BTreeMap::new() };
    assert_eq!(decide(&router, &chat, &all, 100_000), (Some(s("chat")), s("general"), Some(s("op-ana"))));
}

#[test]
fn r12_an_unknown_entry_point_is_refused_and_attributes_cannot_choose_the_principal() {
    let router = router();
    for entry in ["+3299999999", "078 15 15 15", "3278151515"] {
        let e = router.decide(&call(entry, &[]), &|_| true, 0).expect_err("unknown");
        assert_eq!((e.code, e.field.as_str()), ("unknown_entry_point", "entry"));
    }
    // An IVR that claims another entry or channel changes nothing: the router sets them.
    let forged = call("+3281000222", &[("entry", "+3278151515"), ("channel", "chat"), ("ivr", "outage")]);
    let d = router.decide(&forged, &|_| true, 0).expect("routed");
    assert_eq!(
        (d.principal.as_str(), d.queue.as_str(), d.operator.as_deref()),
        ("sup-meuse", "meuse", Some("op-max"))
    );
}

fn principal(
    id: &str,
    kind: PrincipalKind,
    entry: &str,
    queues: &[&str],
    operators: &[(&str, &[&str])],
) -> Principal {
    Principal {
        id: s(id),
        name: s(id),
        kind,
        entry_points: vec![EntryPoint { channel: Channel::Call, address: s(entry) }],
        queues: queues.iter().map(|q| Queue { id: s(q), skills: BTreeSet::new() }).collect(),
        rules: Vec::new(),
        default_queue: s(queues[0]),
        back_offices: Vec::new(),
        operators: operators
            .iter()
            .map(|(party, skills)| Operator {
                party: s(party),
                skills: skills.iter().map(|k| s(k)).collect(),
            })
            .collect(),
        procedures: Vec::new(),
        service_level_seconds: 20,
    }
}

/// Defence in depth: a configuration built in code and never checked still cannot make the
/// router leave a principal or use an operator holding an incompatible pair.
#[test]
fn r12_the_router_keeps_to_its_principal_even_with_an_unchecked_configuration() {
    let mut dso =
        principal("dso", PrincipalKind::Dso, "+3210000001", &["d-general"], &[("op-x", &[]), ("op-y", &[])]);
    dso.rules.push(RoutingRule {
        id: s("leak"),
        when: Expr::True,
        targets: vec![s("s-general"), s("d-general")],
        timeout_seconds: 30,
        exclude: None,
    });
    let supplier = principal(
        "sup",
        PrincipalKind::Supplier,
        "+3210000002",
        &["s-general"],
        &[("op-x", &[]), ("op-z", &[])],
    );
    let config = ContactConfig { principals: vec![dso, supplier], incompatible: Vec::new() };
    assert_eq!(config.check().map_err(|e| e.code), Err("cross_principal_route"));
    let router = Router::new(&config);
    let routing = router.route(&call("+3210000001", &[]), &|_| true).expect("routed");
    assert_eq!(routing.steps.iter().map(|s| s.queue.as_str()).collect::<Vec<_>>(), ["d-general"]);
    // op-x serves both and so holds dso and supplier: never eligible, on either side.
    assert_eq!(routing.steps[0].operators, ["op-y"]);
    let routing = router.route(&call("+3210000002", &[]), &|_| true).expect("routed");
    assert_eq!(routing.steps[0].operators, ["op-z"]);
}

// ---------------------------------------------------------------------------------------------
// The router against a reference model, over random configurations

const PARTIES: [&str; 6] = ["op-a", "op-b", "op-c", "op-d", "op-e", "op-f"];
const SKILLS: [&str; 6] = ["general", "outage", "billing", "german", "trainee", "dso"];
const QUEUES: [&str; 6] = ["q0", "q1", "q2", "q3", "q4", "q5"];
/// Three entry points for each of the three random principals; sometimes a principal takes
/// another's too, and the entry point is shared.
const ENTRIES: [(Channel, &str); 9] = [
    (Channel::Call, "+3210000001"),
    (Channel::Sms, "+3210000001"),
    (Channel::Chat, "web-a"),
    (Channel::Call, "+3210000002"),
    (Channel::Mail, "info@b.example"),
    (Channel::Chat, "web-b"),
    (Channel::Call, "+3210000003"),
    (Channel::Sms, "+3210000003"),
    (Channel::Mail, "info@c.example"),
];
const ATTRIBUTES: [(&str, [&str; 3]); 3] = [
    ("language", ["fr", "de", "nl"]),
    ("ivr", ["outage", "billing", "move"]),
    ("channel", ["call", "chat", "sms"]),
];

fn leaf() -> impl Strategy<Value = Expr> {
    let attribute = (0..ATTRIBUTES.len(), 0..3usize, 0..3u8).prop_map(|(a, v, op)| {
        let (name, values) = ATTRIBUTES[a];
        let test = match op {
            0 => Test::Eq(s(values[v])),
            1 => Test::Ne(s(values[v])),
            _ => Test::In(values[..=v].iter().map(|x| s(x)).collect()),
        };
        Expr::Compare { subject: Subject::Attribute(s(name)), test }
    });
    prop_oneof![
        1 => Just(Expr::True),
        1 => Just(Expr::False),
        6 => attribute,
        2 => (0..SKILLS.len()).prop_map(|k| Expr::Has(s(SKILLS[k]))),
        2 => (0..PARTIES.len()).prop_map(|p| Expr::Compare { subject: Subject::OperatorParty, test: Test::Eq(s(PARTIES[p])) }),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    leaf().prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| Expr::Not(Box::new(e))),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| Expr::And(Box::new(l), Box::new(r))),
            (inner.clone(), inner).prop_map(|(l, r)| Expr::Or(Box::new(l), Box::new(r))),
        ]
    })
}

fn skills(most: usize) -> impl Strategy<Value = BTreeSet<String>> {
    proptest::sample::subsequence(SKILLS.to_vec(), 0..=most).prop_map(|v| v.into_iter().map(s).collect())
}

fn random_principal(index: usize) -> impl Strategy<Value = Principal> {
    let kind =
        prop_oneof![Just(PrincipalKind::Dso), Just(PrincipalKind::Supplier), Just(PrincipalKind::Other)];
    let own_entries = ENTRIES[3 * index..3 * index + 3].to_vec();
    let entries = (
        proptest::sample::subsequence(own_entries, 1..=3),
        proptest::option::weighted(0.2, 0..ENTRIES.len()),
    )
        .prop_map(|(mut entries, extra)| {
            if let Some(extra) = extra {
                if !entries.contains(&ENTRIES[extra]) {
                    entries.push(ENTRIES[extra]);
                }
            }
            entries
        });
    // Queues first, then rules whose targets are mostly its own queues, sometimes another's
    // or nobody's: the router must keep to its own.
    let queues_and_rules = proptest::sample::subsequence(QUEUES.to_vec(), 1..4)
        .prop_flat_map(|ids| {
            let n = ids.len();
            (Just(ids), proptest::collection::vec(skills(1), n))
        })
        .prop_map(|(ids, skills)| {
            ids.into_iter().zip(skills).map(|(id, skills)| Queue { id: s(id), skills }).collect::<Vec<_>>()
        })
        .prop_flat_map(|queues| {
            let own: Vec<String> = queues.iter().map(|q| q.id.clone()).collect();
            let target = prop_oneof![
                4 => proptest::sample::select(own),
                1 => proptest::sample::select(QUEUES.to_vec()).prop_map(s),
            ];
            let rule =
                (expr(), proptest::collection::vec(target, 1..4), 0..25u32, proptest::option::of(expr()));
            (Just(queues), proptest::collection::vec(rule, 0..4), 0..10usize)
        });
    let operators = proptest::sample::subsequence(PARTIES.to_vec(), 0..5)
        .prop_flat_map(|parties| {
            let n = parties.len();
            (Just(parties), proptest::collection::vec(skills(3), n))
        })
        .prop_map(|(parties, skills)| {
            parties
                .into_iter()
                .zip(skills)
                .map(|(party, skills)| Operator { party: s(party), skills })
                .collect::<Vec<_>>()
        });
    (kind, entries, queues_and_rules, operators).prop_map(
        move |(kind, entries, (queues, rules, default), operators)| {
            Principal {
                id: format!("p{index}"),
                name: format!("Principal {index}"),
                kind,
                entry_points: entries
                    .into_iter()
                    .map(|(channel, a)| EntryPoint { channel, address: s(a) })
                    .collect(),
                // Mostly one of its queues; sometimes another principal's, or nobody's.
                default_queue: match queues.get(default) {
                    Some(queue) => queue.id.clone(),
                    None if default == 9 => s(QUEUES[index]),
                    None => queues[default % queues.len()].id.clone(),
                },
                queues,
                rules: rules
                    .into_iter()
                    .enumerate()
                    .map(|(r, (when, targets, timeout_seconds, exclude))| RoutingRule {
                        id: format!("r{r}"),
                        when,
                        targets,
                        timeout_seconds,
                        exclude,
                    })
                    .collect(),
                back_offices: Vec::new(),
                operators,
                procedures: Vec::new(),
                service_level_seconds: 20,
            }
        },
    )
}

fn random_config() -> impl Strategy<Value = ContactConfig> {
    (random_principal(0), random_principal(1), random_principal(2), 2..4usize).prop_map(|(a, b, c, n)| {
        ContactConfig {
            principals: [a, b, c].into_iter().take(n).collect(),
            incompatible: vec![(s("german"), s("billing"))],
        }
    })
}

/// An interaction, its entry point chosen later among the configuration's (`entry` picks
/// one, or an unknown number one time in a few), the available operators and the time waited.
fn random_interaction() -> impl Strategy<Value = (usize, BTreeMap<String, String>, BTreeSet<String>, u32)> {
    let attributes = proptest::collection::btree_map(
        (0..ATTRIBUTES.len()).prop_map(|a| s(ATTRIBUTES[a].0)),
        (0..3usize, 0..ATTRIBUTES.len()).prop_map(|(v, a)| s(ATTRIBUTES[a].1[v])),
        0..3,
    );
    let available = proptest::sample::subsequence(PARTIES.to_vec(), 0..=PARTIES.len());
    (0..64usize, attributes, available, 0..80u32).prop_map(|(entry, attributes, available, waited)| {
        (entry, attributes, available.into_iter().map(s).collect(), waited)
    })
}

fn pick_entry(config: &ContactConfig, entry: usize) -> (Channel, String) {
    let all: Vec<&EntryPoint> = config.principals.iter().flat_map(|p| &p.entry_points).collect();
    match all.get(entry % (all.len() + 1)) {
        Some(e) => (e.channel, e.address.clone()),
        None => (Channel::Call, s("+3299999999")),
    }
}

/// The reference: R12 written as plainly as possible, straight from the configuration.
mod reference {
    use super::*;

    pub struct Step {
        pub queue: String,
        pub timeout: u32,
        pub operators: Vec<String>,
    }

    pub fn route(
        config: &ContactConfig,
        i: &Interaction,
        available: &BTreeSet<String>,
    ) -> Result<(String, Option<String>, Vec<Step>), &'static str> {
        let owners: Vec<&Principal> = config
            .principals
            .iter()
            .filter(|p| p.entry_points.iter().any(|e| e.channel == i.channel && e.address == i.entry))
            .collect();
        let principal = match owners.as_slice() {
            [] => return Err("unknown_entry_point"),
            [one] => *one,
            _ => return Err("shared_entry_point"),
        };
        let mut attributes = i.attributes.clone();
        attributes.insert(s("channel"), s(i.channel.as_str()));
        attributes.insert(s("entry"), i.entry.clone());
        let rule = principal.rules.iter().find(|r| r.when.eval(&attributes, None));
        let mut steps: Vec<(String, u32)> = Vec::new();
        if let Some(rule) = rule {
            for t in &rule.targets {
                if principal.queue(t).is_some() && !steps.iter().any(|(q, _)| q == t) {
                    steps.push((t.clone(), rule.timeout_seconds));
                }
            }
        }
        let default = &principal.default_queue;
        if principal.queue(default).is_some() && !steps.iter().any(|(q, _)| q == default) {
            steps.push((default.clone(), 0));
        }
        if steps.is_empty() {
            return Err("no_queue");
        }
        let steps = steps
            .into_iter()
            .map(|(queue, timeout)| {
                let needs = &principal.queue(&queue).expect("own queue").skills;
                let operators = principal
                    .operators
                    .iter()
                    .filter(|o| available.contains(&o.party))
                    .filter(|o| needs.is_subset(&principal.operator_skills(&o.party)))
                    .filter(|o| config.incompatible_pair(&config.skills_of(&o.party)).is_none())
                    .filter(|o| {
                        let skills = principal.operator_skills(&o.party);
                        let view = OperatorView { party: &o.party, skills: &skills };
                        !rule
                            .and_then(|r| r.exclude.as_ref())
                            .is_some_and(|x| x.eval(&attributes, Some(&view)))
                    })
                    .map(|o| o.party.clone())
                    .collect();
                Step { queue, timeout, operators }
            })
            .collect();
        Ok((principal.id.clone(), rule.map(|r| r.id.clone()), steps))
    }

    pub fn decide(steps: &[Step], waited: u32) -> (String, Option<String>) {
        let mut elapsed = 0u32;
        let mut current = steps.len() - 1;
        for (n, step) in steps.iter().enumerate() {
            if step.timeout == 0 || waited < elapsed + step.timeout {
                current = n;
                break;
            }
            elapsed += step.timeout;
        }
        for step in &steps[current..] {
            if let Some(first) = step.operators.first() {
                return (step.queue.clone(), Some(first.clone()));
            }
        }
        (steps[steps.len() - 1].queue.clone(), None)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// R12: over random configurations, checked or not, the router agrees with the reference,
    /// and a decision never names a queue or an operator of another principal than the one
    /// owning the entry point.
    #[test]
    fn r12_the_router_agrees_with_the_reference_and_never_crosses_principals(
        config in random_config(),
        interactions in proptest::collection::vec(random_interaction(), 1..16),
    ) {
        let router = Router::new(&config);
        for (entry, attributes, available, waited) in interactions {
            let (channel, entry) = pick_entry(&config, entry);
            let interaction = &Interaction { channel, entry, attributes };
            let (available, waited) = (&available, &waited);
            let is_available = |p: &str| available.contains(p);
            let expected = reference::route(&config, interaction, available);
            let routing = router.route(interaction, &is_available);
            let decision = router.decide(interaction, &is_available, *waited);
            match expected {
                Err(code) => {
                    prop_assert_eq!(routing.map_err(|e| e.code).err(), Some(code));
                    prop_assert_eq!(decision.map_err(|e| e.code).err(), Some(code));
                }
                Ok((principal, rule, steps)) => {
                    let routing = routing.expect("the reference routed it");
                    let before_any_wait = router.decide(interaction, &is_available, 0).expect("decided");
                    prop_assert_eq!(routing.assignment(), before_any_wait);
                    prop_assert_eq!(&routing.principal, &principal);
                    prop_assert_eq!(&routing.rule, &rule);
                    let got: Vec<_> = routing.steps.iter().map(|s| (s.queue.clone(), s.timeout_seconds, s.operators.clone())).collect();
                    let want: Vec<_> = steps.iter().map(|s| (s.queue.clone(), s.timeout, s.operators.clone())).collect();
                    prop_assert_eq!(got, want);
                    let decision = decision.expect("the reference decided it");
                    let (queue, operator) = reference::decide(&steps, *waited);
                    prop_assert_eq!((&decision.principal, &decision.rule, &decision.queue, &decision.operator), (&principal, &rule, &queue, &operator));
                    // Sealed: the owner of the entry point, its queue, its operator.
                    let owner = config.principal(&decision.principal).expect("a principal of the configuration");
                    prop_assert!(owner.entry_points.iter().any(|e| e.channel == interaction.channel && e.address == interaction.entry));
                    prop_assert!(owner.queue(&decision.queue).is_some());
                    if let Some(party) = &decision.operator {
                        prop_assert!(owner.operator(party).is_some());
                        prop_assert!(config.incompatible_pair(&config.skills_of(party)).is_none());
                    }
                }
            }
        }
    }

    /// The canonical text of any expression parses back to the same expression.
    #[test]
    fn an_expression_round_trips_through_its_text(e in expr()) {
        prop_assert_eq!(Expr::parse(&e.to_string()), Ok(e));
    }
}

// ---------------------------------------------------------------------------------------------
// Indicators

fn record(offered: i64, answered: Option<i64>, ended: i64, operator: Option<&str>) -> InteractionRecord {
    InteractionRecord {
        principal: s("dso"),
        entry: s("+3278151515"),
        channel: Channel::Call,
        operator: operator.map(s),
        offered_at: offered,
        answered_at: answered,
        ended_at: ended,
        wrap_seconds: if answered.is_some() { 30 } else { 0 },
        outcome: if answered.is_some() { Outcome::Answered } else { Outcome::Abandoned },
    }
}

#[test]
fn indicators_worked_out_by_hand() {
    let records = [
        record(0, Some(10), 130, Some("op-a")), // wait 10, talk 120 + wrap 30 = 150
        record(100, Some(120), 280, Some("op-b")), // wait 20 (at the threshold), 160 + 30 = 190
        record(200, Some(245), 305, Some("op-a")), // wait 45, 60 + 30 = 90
        record(300, None, 303, None),           // abandon after 3 s: short
        record(400, None, 460, None),           // abandon after 60 s
        record(500, None, 505, None),           // abandon after 5 s: short (5 < 6)
        record(600, None, 606, None),           // abandon after 6 s: not short (6 is not < 6)
        record(700, Some(700), 1000, Some("op-b")), // wait 0, 300 + 30 = 330
    ];
    // offered 8, answered 4, abandoned 4 of which 2 short.
    // within 20 s: waits 10, 20, 0 → 3 of the 4 answered.
    // service level = 3 / 4 = 0.75
    // with abandons = 3 / (4 + 4 - 2) = 3 / 6 = 0.5
    // abandonment rate = (4 - 2) / (8 - 2) = 2 / 6
    // AHT = (150 + 190 + 90 + 330) / 4 = 760 / 4 = 190
    // ASA = (10 + 20 + 45 + 0) / 4 = 75 / 4 = 18.75
    let k = kpis(&records, 20);
    assert_eq!(
        k,
        Kpis {
            offered: 8,
            answered: 4,
            abandoned: 4,
            short_abandons: 2,
            service_level: Some(0.75),
            service_level_with_abandons: Some(0.5),
            abandonment_rate: Some(2.0 / 6.0),
            average_handling_seconds: Some(190.0),
            average_speed_of_answer_seconds: Some(18.75),
        }
    );
    // With a 10 s threshold only the waits of 10 and 0 are within: 2 / 4.
    assert_eq!(kpis(&records, 10).service_level, Some(0.5));

    // op-a: 150 + 90 = 240 s of 480 staffed → 0.5; op-b: 190 + 330 = 520 s of 1040 → 0.5;
    // op-c staffed but idle → 0; op-d unknown to the staffing → no occupancy.
    let staffed: BTreeMap<String, u64> = [(s("op-a"), 480), (s("op-b"), 1040), (s("op-c"), 600)].into();
    let activity = operator_activity(&records, &staffed);
    let lines: Vec<_> =
        activity.iter().map(|a| (a.operator.as_str(), a.handled, a.handling_seconds, a.occupancy)).collect();
    assert_eq!(lines, [("op-a", 2, 240, Some(0.5)), ("op-b", 2, 520, Some(0.5)), ("op-c", 0, 0, Some(0.0))]);
}

#[test]
fn indicators_with_nothing_to_divide_by_are_none_not_zero() {
    let k = kpis(&[], 20);
    assert_eq!(
        (k.offered, k.service_level, k.abandonment_rate, k.average_handling_seconds),
        (0, None, None, None)
    );
    // Only short abandons: no service level, no abandonment rate (6 - 6 offered).
    let k = kpis(&[record(0, None, 2, None), record(10, None, 11, None)], 20);
    assert_eq!((k.short_abandons, k.service_level_with_abandons, k.abandonment_rate), (2, None, None));
    assert!(
        operator_activity(&[record(0, Some(1), 10, Some("op-z"))], &BTreeMap::new())[0].occupancy.is_none()
    );
}

// ---------------------------------------------------------------------------------------------
// Erlang C

#[test]
fn erlang_c_textbook_case() {
    // 100 calls per half hour, 180 s each: 10 erlangs. With 14 agents, P(wait) ≈ 0.1741 and
    // service level = 1 − 0.1741 · e^(−(14 − 10) · 20 / 180) ≈ 0.888.
    assert!((erlang_c(14, 10.0) - 0.1741).abs() < 0.0005, "{}", erlang_c(14, 10.0));
    let sl = service_level(14, 100.0, 1800.0, 180.0, 20.0);
    assert!((sl - 0.888).abs() < 0.001, "{sl}");
    // 13 agents fall short of 80/20, 14 reach it.
    assert!(service_level(13, 100.0, 1800.0, 180.0, 20.0) < 0.8);
    assert_eq!(agents_needed(0.8, 100.0, 1800.0, 180.0, 20.0), 14);
    assert_eq!(erlang_c(10, 10.0), 1.0);
}

// ---------------------------------------------------------------------------------------------
// Simulator

fn simulated_config() -> ContactConfig {
    let text = format!(
        "{}{SUPPLIER}",
        ROUTING.replace(
            "default_queue = \"general\"",
            "default_queue = \"general\"\nback_offices = [\"senior\"]"
        )
    );
    ContactConfig::parse(&text).expect("valid")
}

fn params(seed: u64) -> SimulationParams {
    SimulationParams {
        interactions_per_principal: 300,
        seed,
        start: 1_767_254_400,
        mean_interarrival_seconds: 40.0,
        mean_handling_seconds: 150.0,
        mean_patience_seconds: 90.0,
        wrap_seconds: 20,
    }
}

#[test]
fn r12_the_simulator_is_deterministic_for_a_seed_and_never_crosses_principals() {
    let config = simulated_config();
    let router = Router::new(&config);
    let a = simulate(&config, &router, &params(7));
    let b = simulate(&config, &router, &params(7));
    assert_eq!(a, b, "the same seed gives the same day");
    assert_ne!(a, simulate(&config, &router, &params(8)), "another seed, another day");
    assert_eq!(a.len(), 3 * 300, "every interaction of every principal with an entry point ends");
    assert!(a.windows(2).all(|w| w[0].record.offered_at <= w[1].record.offered_at), "sorted by offered_at");
    let mut busy_until: BTreeMap<&str, i64> = BTreeMap::new();
    let mut by_answer: Vec<&_> = a.iter().filter(|x| x.record.answered_at.is_some()).collect();
    by_answer.sort_by_key(|x| x.record.answered_at);
    for x in &a {
        let owner =
            config.principal_of_entry(x.interaction.channel, &x.interaction.entry).expect("own entry");
        assert_eq!(x.record.principal, owner.id);
        assert_eq!(x.decision.principal, owner.id);
        assert!(
            owner.queue(&x.decision.queue).is_some(),
            "{} is not a queue of {}",
            x.decision.queue,
            owner.id
        );
        if let Some(operator) = &x.record.operator {
            assert!(owner.operator(operator).is_some(), "{operator} does not serve {}", owner.id);
        }
        assert!(x.transfers.iter().all(|q| owner.back_offices.contains(q)));
        assert_eq!(x.record.outcome == Outcome::Answered, x.record.answered_at.is_some());
        assert!(x.record.ended_at >= x.record.offered_at);
    }
    // An operator never takes two interactions at once (wrap-up included).
    for x in by_answer {
        let (party, answered) =
            (x.record.operator.as_deref().expect("answered"), x.record.answered_at.expect("answered"));
        let free = busy_until.get(party).copied().unwrap_or(i64::MIN);
        assert!(answered >= free, "{party} answered at {answered} while busy until {free}");
        busy_until.insert(party, x.record.ended_at + i64::from(x.record.wrap_seconds));
    }
    let fired: BTreeSet<_> = a.iter().filter_map(|x| x.decision.rule.clone()).collect();
    assert!(fired.contains("outage") && fired.contains("outage-german"), "rules fire: {fired:?}");
    assert!(a.iter().any(|x| !x.transfers.is_empty()), "some transfers");
    let k = kpis(&a.iter().map(|x| x.record.clone()).collect::<Vec<_>>(), 20);
    assert!(k.answered > 0 && k.abandoned > 0, "{k:?}");
}
