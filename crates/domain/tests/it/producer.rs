//! The producer connection queue (R15): the Belgian working-day calendar against the official
//! holidays, each deadline of the technical regulation worked out by hand, each state and
//! transition, and random streams that never let a later request overtake an earlier one.

use std::collections::BTreeSet;

use domain::calendar::{add_working_days, is_working_day, public_holidays, sub_working_days};
use domain::producer::{Command, Queue, Rank, State};
use jiff::civil::{Date, Weekday};
use proptest::prelude::*;

fn d(text: &str) -> Date {
    text.parse().expect("written right in the test")
}

/// Easter Monday, Ascension and Whit Monday, 2020–2035, copied from the official lists
/// (the federal public service Employment's yearly announcements), not computed.
const MOVABLE: [(i16, &str, &str, &str); 16] = [
    (2020, "2020-04-13", "2020-05-21", "2020-06-01"),
    (2021, "2021-04-05", "2021-05-13", "2021-05-24"),
    (2022, "2022-04-18", "2022-05-26", "2022-06-06"),
    (2023, "2023-04-10", "2023-05-18", "2023-05-29"),
    (2024, "2024-04-01", "2024-05-09", "2024-05-20"),
    (2025, "2025-04-21", "2025-05-29", "2025-06-09"),
    (2026, "2026-04-06", "2026-05-14", "2026-05-25"),
    (2027, "2027-03-29", "2027-05-06", "2027-05-17"),
    (2028, "2028-04-17", "2028-05-25", "2028-06-05"),
    (2029, "2029-04-02", "2029-05-10", "2029-05-21"),
    (2030, "2030-04-22", "2030-05-30", "2030-06-10"),
    (2031, "2031-04-14", "2031-05-22", "2031-06-02"),
    (2032, "2032-03-29", "2032-05-06", "2032-05-17"),
    (2033, "2033-04-18", "2033-05-26", "2033-06-06"),
    (2034, "2034-04-10", "2034-05-18", "2034-05-29"),
    (2035, "2035-03-26", "2035-05-03", "2035-05-14"),
];

/// The seven fixed-date legal holidays, month and day.
const FIXED: [(i8, i8); 7] = [(1, 1), (5, 1), (7, 21), (8, 15), (11, 1), (11, 11), (12, 25)];

#[test]
fn working_days_agree_with_the_official_holidays_2020_to_2035() {
    for (year, easter_monday, ascension, whit_monday) in MOVABLE {
        let mut official: BTreeSet<Date> = FIXED
            .iter()
            .map(|&(m, day)| Date::new(year, m, day).expect("written right in the test"))
            .collect();
        official.extend([d(easter_monday), d(ascension), d(whit_monday)]);
        let computed: BTreeSet<Date> = public_holidays(year).iter().map(|(date, _)| *date).collect();
        assert_eq!(computed, official, "the holidays of {year}");
        let mut day = Date::new(year, 1, 1).expect("written right in the test");
        while day.year() == year {
            let weekend = matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday);
            assert_eq!(is_working_day(day), !weekend && !official.contains(&day), "{day}");
            day = day.tomorrow().expect("written right in the test");
        }
    }
}

#[test]
fn working_days_are_counted_across_holidays_and_year_ends() {
    // (from, n, expected): worked out by hand on a calendar.
    let cases = [
        ("2026-12-18", 15, "2027-01-12"), // Christmas and New Year skipped
        ("2026-03-02", 30, "2026-04-14"), // Easter Monday skipped
        ("2026-03-02", 40, "2026-04-28"),
        ("2026-03-02", 70, "2026-06-12"), // Labour Day, Ascension, Whit Monday skipped
        ("2026-04-14", 20, "2026-05-13"),
        ("2026-12-29", 20, "2027-01-27"),
        ("2026-12-24", 1, "2026-12-28"),
    ];
    for (from, n, expected) in cases {
        assert_eq!(add_working_days(d(from), n), d(expected), "{n} working days after {from}");
        assert_eq!(sub_working_days(d(expected), n), d(from), "{n} working days before {expected}");
    }
    assert_eq!(sub_working_days(d("2026-04-14"), 10), d("2026-03-30"));
    assert_eq!(sub_working_days(d("2027-01-14"), 10), d("2026-12-30"));
}

/// A queue of `capacity` kW opened on 5 January 2026.
fn queue(capacity: u32) -> Queue {
    let mut q = Queue::new("SUB-TEST".parse().expect("written right in the test"));
    q.apply(&Command::SetCapacity { kw: capacity, day: d("2026-01-05") }).expect("written right in the test");
    q
}

fn ack(q: &mut Queue, producer: &str, kw: u32, transmission_study: bool, day: &str) -> String {
    let command = Command::Acknowledge {
        producer: producer.parse().expect("written right in the test"),
        kw,
        transmission_study,
        day: d(day),
    };
    q.apply(&command).expect("written right in the test")[0]
        .request
        .clone()
        .expect("written right in the test")
}

fn run(q: &mut Queue, command: Command) {
    if let Err(e) = q.apply(&command) {
        panic!("{command:?} refused: {e}");
    }
}

/// A request of `kw` paid on `paid`, offered on `offered`.
fn offered(q: &mut Queue, kw: u32, paid: &str, offered: &str) -> String {
    let id = ack(q, "prod-a", kw, false, "2026-01-06");
    run(q, Command::PayDetailedStudy { request: id.clone(), day: d(paid) });
    run(q, Command::SendOffer { request: id.clone(), day: d(offered) });
    id
}

#[test]
fn each_deadline_of_the_procedure() {
    // Orientation study: 15 working days from its payment.
    let mut q = queue(10_000);
    let id = ack(&mut q, "prod-a", 500, false, "2026-12-18");
    run(&mut q, Command::PayOrientation { request: id.clone(), day: d("2026-12-18") });
    assert_eq!(
        q.request(&id).expect("written right in the test").orientation_report_due,
        Some(d("2027-01-12"))
    );

    // The proposal: 30 working days, 40 above 1 MW, 70 with transmission studies.
    for (kw, transmission, due) in
        [(1_000, false, "2026-04-14"), (1_001, false, "2026-04-28"), (500, true, "2026-06-12")]
    {
        let mut q = queue(10_000);
        let id = ack(&mut q, "prod-a", kw, transmission, "2026-02-02");
        run(&mut q, Command::PayDetailedStudy { request: id.clone(), day: d("2026-03-02") });
        let r = q.request(&id).expect("written right in the test");
        assert_eq!(
            (r.state, r.offer_due),
            (State::Studying, Some(d(due))),
            "{kw} kW, transmission {transmission}"
        );
        assert_eq!(r.reserved_from, Some(d("2026-03-02")), "the later of acknowledgement and payment");
    }

    // Acceptance: 30 working days (40 above 1 MW), the reminder 10 before.
    for (kw, accept_by, reminder) in [(800, "2026-04-14", "2026-03-30"), (2_000, "2026-04-28", "2026-04-14")]
    {
        let mut q = queue(10_000);
        let id = offered(&mut q, kw, "2026-02-02", "2026-03-02");
        let r = q.request(&id).expect("written right in the test");
        assert_eq!((r.accept_by, r.reminder_on), (Some(d(accept_by)), Some(d(reminder))), "{kw} kW");
    }

    // An extension of 20 working days across the year's end moves the reminder too.
    let mut q = queue(10_000);
    let id = offered(&mut q, 800, "2026-02-02", "2026-11-16");
    assert_eq!(q.request(&id).expect("written right in the test").accept_by, Some(d("2026-12-29")));
    assert_eq!(q.request(&id).expect("written right in the test").reminder_on, Some(d("2026-12-14")));
    run(&mut q, Command::Extend { request: id.clone(), working_days: 20, day: d("2026-12-20") });
    let r = q.request(&id).expect("written right in the test");
    assert_eq!((r.accept_by, r.reminder_on), (Some(d("2027-01-27")), Some(d("2027-01-13"))));
    let refused = q.apply(&Command::Extend { request: id.clone(), working_days: 21, day: d("2026-12-21") });
    assert_eq!(refused.expect_err("refused by the rule").code, "extension_too_long");

    // The works: one year after the signature, extended once by at most a year.
    run(&mut q, Command::Sign { request: id.clone(), day: d("2027-01-05") });
    assert_eq!(q.request(&id).expect("written right in the test").works_by, Some(d("2028-01-05")));
    let too_far = Command::ExtendWorks {
        request: id.clone(),
        until: d("2029-01-06"),
        permit: "URB/2027/113".into(),
        day: d("2027-12-01"),
    };
    assert_eq!(q.apply(&too_far).expect_err("refused by the rule").code, "extension_too_long");
    run(
        &mut q,
        Command::ExtendWorks {
            request: id.clone(),
            until: d("2029-01-05"),
            permit: "URB/2027/113".into(),
            day: d("2027-12-01"),
        },
    );
    assert_eq!(q.request(&id).expect("written right in the test").works_by, Some(d("2029-01-05")));
    let again = Command::ExtendWorks {
        request: id.clone(),
        until: d("2029-01-04"),
        permit: "URB/2027/114".into(),
        day: d("2027-12-02"),
    };
    assert_eq!(q.apply(&again).expect_err("refused by the rule").code, "works_already_extended");

    // A leap day's year after is the last day of February.
    let mut q = queue(10_000);
    let id = offered(&mut q, 800, "2028-02-01", "2028-02-02");
    run(&mut q, Command::Sign { request: id.clone(), day: d("2028-02-29") });
    assert_eq!(q.request(&id).expect("written right in the test").works_by, Some(d("2029-02-28")));
}

#[test]
fn the_daily_run_reminds_then_lapses_once_and_reoffers_in_order() {
    let mut q = queue(1_000);
    let first = offered(&mut q, 1_000, "2026-02-02", "2026-03-02");
    let second = ack(&mut q, "prod-b", 600, false, "2026-03-03");
    let third = ack(&mut q, "prod-c", 600, false, "2026-03-03");
    run(&mut q, Command::PayDetailedStudy { request: third.clone(), day: d("2026-03-04") });
    run(&mut q, Command::PayDetailedStudy { request: second.clone(), day: d("2026-03-05") });
    assert_eq!(q.request(&second).expect("written right in the test").state, State::Waiting);
    // While another request waits, the window cannot be extended.
    let extend = Command::Extend { request: first.clone(), working_days: 5, day: d("2026-03-06") };
    assert_eq!(q.apply(&extend).expect_err("refused by the rule").code, "request_waiting");

    assert!(q.apply(&Command::Daily { day: d("2026-03-27") }).expect("written right in the test").is_empty());
    let reminded = q.apply(&Command::Daily { day: d("2026-03-30") }).expect("written right in the test");
    assert_eq!(reminded.iter().map(|h| h.what).collect::<Vec<_>>(), ["reminder"]);
    assert!(
        q.apply(&Command::Daily { day: d("2026-03-31") }).expect("written right in the test").is_empty(),
        "reminded once"
    );
    assert!(
        q.apply(&Command::Daily { day: d("2026-04-14") }).expect("written right in the test").is_empty(),
        "the last day is in the window"
    );

    let lapsed = q.apply(&Command::Daily { day: d("2026-04-15") }).expect("written right in the test");
    let what: Vec<_> =
        lapsed.iter().map(|h| (h.request.clone().expect("written right in the test"), h.what)).collect();
    // The second filed is served first: ties on the acknowledgement day go by filing order.
    assert_eq!(
        what,
        [
            (first.clone(), "lapsed"),
            (second.clone(), "reserved"),
            (third.clone(), "reserved"),
            (format!("{third}.1"), "split"),
        ]
    );
    assert!(lapsed[0].regulator, "the regulator is told of a caducity");
    assert_eq!(q.request(&third).expect("written right in the test").kw, 400);
    assert!(q.request(&third).expect("written right in the test").partial);
    assert_eq!(q.request(&first).expect("written right in the test").state, State::Lapsed);
    let before = q.clone();
    assert!(
        q.apply(&Command::Daily { day: d("2026-04-15") }).expect("written right in the test").is_empty(),
        "idempotent"
    );
    assert_eq!(q, before);
}

#[test]
fn each_state_refuses_what_does_not_follow() {
    let mut q = queue(1_000);
    let id = ack(&mut q, "prod-a", 500, false, "2026-01-06");
    let day = d("2026-01-07");
    let cases: Vec<(Command, &str)> = vec![
        (Command::SendOffer { request: id.clone(), day }, "wrong_state"),
        (Command::Sign { request: id.clone(), day }, "wrong_state"),
        (Command::OrderWorks { request: id.clone(), day }, "wrong_state"),
        (Command::Extend { request: id.clone(), working_days: 5, day }, "wrong_state"),
        (Command::PayDetailedStudy { request: "SUB-TEST/99".into(), day }, "unknown_request"),
        (Command::PayDetailedStudy { request: id.clone(), day: d("2026-01-02") }, "day_before_last"),
        (Command::SetCapacity { kw: 100_000_001, day }, "bad_capacity"),
        (
            Command::Acknowledge {
                producer: "prod-b".parse().expect("written right in the test"),
                kw: 0,
                transmission_study: false,
                day,
            },
            "bad_capacity",
        ),
        (Command::Remove { request: id.clone(), reason: " ".into(), day }, "bad_reason"),
    ];
    for (command, code) in cases {
        let before = q.clone();
        let refused = q.apply(&command).expect_err(&format!("{command:?}"));
        assert_eq!(refused.code, code, "{command:?}");
        assert_eq!(q, before, "a refused command changes nothing");
    }
    // The whole path, state by state.
    run(&mut q, Command::PayOrientation { request: id.clone(), day });
    assert_eq!(q.request(&id).expect("written right in the test").state, State::Queued);
    run(&mut q, Command::PayDetailedStudy { request: id.clone(), day });
    assert_eq!(q.request(&id).expect("written right in the test").state, State::Studying);
    run(&mut q, Command::SetCapacity { kw: 500, day });
    assert_eq!(
        q.apply(&Command::SetCapacity { kw: 499, day }).expect_err("refused by the rule").code,
        "capacity_below_held"
    );
    run(&mut q, Command::SendOffer { request: id.clone(), day });
    assert_eq!(q.request(&id).expect("written right in the test").state, State::Offered);
    run(&mut q, Command::Sign { request: id.clone(), day });
    assert_eq!(q.request(&id).expect("written right in the test").state, State::Signed);
    run(&mut q, Command::OrderWorks { request: id.clone(), day });
    assert_eq!(q.request(&id).expect("written right in the test").state, State::WorksOrdered);
    assert_eq!(
        q.apply(&Command::Withdraw { request: id.clone(), day }).expect_err("refused by the rule").code,
        "wrong_state"
    );
    // Removal takes every part of the installation with it.
    let mut q = queue(300);
    let id = ack(&mut q, "prod-a", 500, false, "2026-01-06");
    run(&mut q, Command::PayDetailedStudy { request: id.clone(), day });
    assert_eq!(q.request(&format!("{id}.1")).expect("written right in the test").state, State::Waiting);
    run(&mut q, Command::Remove { request: format!("{id}.1"), reason: "panels doubled".into(), day });
    assert_eq!(q.request(&id).expect("written right in the test").state, State::Removed);
    assert_eq!(q.request(&format!("{id}.1")).expect("written right in the test").state, State::Removed);
    assert_eq!(q.free(), 300);
}

/// One random step; request indices pick among the requests filed so far.
#[derive(Debug, Clone)]
enum Step {
    Acknowledge { kw: u32 },
    PayStudy(usize),
    Offer(usize),
    Extend(usize, u32),
    Sign(usize),
    Order(usize),
    Withdraw(usize),
    Remove(usize),
    Capacity(u32),
    Daily,
}

fn step() -> impl Strategy<Value = (Step, u8)> {
    let step = prop_oneof![
        3 => (1u32..3_000).prop_map(|kw| Step::Acknowledge { kw }),
        3 => any::<usize>().prop_map(Step::PayStudy),
        2 => any::<usize>().prop_map(Step::Offer),
        1 => (any::<usize>(), 0u32..25).prop_map(|(i, n)| Step::Extend(i, n)),
        2 => any::<usize>().prop_map(Step::Sign),
        1 => any::<usize>().prop_map(Step::Order),
        1 => any::<usize>().prop_map(Step::Withdraw),
        1 => any::<usize>().prop_map(Step::Remove),
        1 => (0u32..8_000).prop_map(Step::Capacity),
        2 => Just(Step::Daily),
    ];
    (step, 0u8..12)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever the stream, the capacity held never exceeds the hosting capacity, no capacity
    /// sits free while a request waits, and every grant of capacity goes to requests ranked
    /// before every request left waiting: a later request never overtakes an earlier one.
    #[test]
    fn a_later_request_never_overtakes_an_earlier_one(steps in proptest::collection::vec(step(), 1..120)) {
        let mut q = queue(4_000);
        let mut day = d("2026-01-05");
        for (n, (step, advance)) in steps.into_iter().enumerate() {
            day = day.checked_add(jiff::Span::new().days(i64::from(advance))).expect("written right in the test");
            let pick = |i: usize| -> String {
                if q.requests.is_empty() { "SUB-TEST/0".into() } else { q.requests[i % q.requests.len()].id.clone() }
            };
            let command = match step {
                Step::Acknowledge { kw } => Command::Acknowledge {
                    producer: format!("prod-{}", n % 5).parse().expect("written right in the test"), kw, transmission_study: n % 7 == 0, day,
                },
                Step::PayStudy(i) => Command::PayDetailedStudy { request: pick(i), day },
                Step::Offer(i) => Command::SendOffer { request: pick(i), day },
                Step::Extend(i, w) => Command::Extend { request: pick(i), working_days: w, day },
                Step::Sign(i) => Command::Sign { request: pick(i), day },
                Step::Order(i) => Command::OrderWorks { request: pick(i), day },
                Step::Withdraw(i) => Command::Withdraw { request: pick(i), day },
                Step::Remove(i) => Command::Remove { request: pick(i), reason: "new turbines".into(), day },
                Step::Capacity(kw) => Command::SetCapacity { kw, day },
                Step::Daily => Command::Daily { day },
            };
            let before = q.clone();
            match q.apply(&command) {
                Err(_) => prop_assert_eq!(&q, &before, "a refusal changes nothing"),
                Ok(happened) => {
                    let granted: Vec<Rank> = q.requests.iter()
                        .filter(|r| r.state.holds())
                        .filter(|r| before.request(&r.id).is_none_or(|b| !b.state.holds()))
                        .map(|r| r.rank)
                        .collect();
                    for waiting in q.requests.iter().filter(|r| r.state == State::Waiting) {
                        for rank in &granted {
                            prop_assert!(rank < &waiting.rank, "{:?} granted while {} waits ({:?}): {:?}", rank, waiting.id, command, happened);
                        }
                    }
                }
            }
            prop_assert!(q.held() <= q.capacity, "held {} of {}", q.held(), q.capacity);
            if q.requests.iter().any(|r| r.state == State::Waiting) {
                prop_assert_eq!(q.free(), 0, "capacity free while a request waits");
            }
        }
    }
}
