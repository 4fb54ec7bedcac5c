//! How long one authorization decision takes, entities included (target ≤ 15 µs median).
//!
//! A supplier with three registrations on the access point reads it: the common case of the
//! market API, and the one that builds sets, evaluates a `contains` and merges periods.

// `criterion_group!` generates a public function that cannot carry a doc comment.
#![allow(missing_docs)]

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use domain::Period;
use jiff::Timestamp;
use policy::{Action, Facts, Policy, Question, Resource};

fn period(from: &str, to: Option<&str>) -> Period {
    let ts = |s: &str| s.parse::<Timestamp>().expect("bench timestamp");
    Period::new(ts(from), to.map(ts)).expect("bench period is non-empty")
}

fn decide(c: &mut Criterion) {
    let policy = Policy::embedded().expect("the shipped policies load");
    let facts = Facts {
        registrations: vec![
            period("2022-01-01T00:00:00Z", Some("2023-01-01T00:00:00Z")),
            period("2023-06-01T00:00:00Z", Some("2024-01-01T00:00:00Z")),
            period("2024-03-01T00:00:00Z", None),
        ],
        occupancies: vec![],
        mandates: vec![],
    };
    let question = Question {
        party: "5414488000004",
        role: "supplier",
        action: Action::ReadAccessPoint,
        resource: Resource::AccessPoint { ean: "541448820000000017" },
        facts: &facts,
    };
    assert!(policy.decide(&question).allowed, "the bench measures an allow");
    c.bench_function("decide/supplier_3_registrations", |b| b.iter(|| policy.decide(black_box(&question))));

    let stranger = Facts::default();
    let denied = Question { facts: &stranger, ..question };
    assert!(!policy.decide(&denied).allowed, "and a default deny");
    c.bench_function("decide/supplier_not_registered", |b| b.iter(|| policy.decide(black_box(&denied))));
}

criterion_group!(benches, decide);
criterion_main!(benches);
