//! A differential test of the one door over HTTP: random register histories written through
//! `app`, random requests sent to the server, and every answer compared with a small
//! reference model of the rules written here from DESIGN.md.
//!
//! The model knows nothing of `policy`, `app` or `store`: it keeps the generated history as
//! plain numbers (seconds after a base instant) and says, from R1, R2, R4, R6, R10, I3 and I5
//! alone, what each caller must get:
//!
//! - a supplier sees an access point only inside the union of its own effective registration
//!   periods on it, every period in the answer clipped to that union (R1, I3);
//! - a customer likewise inside the union of their own effective occupation periods (R4);
//! - register staff, the call center and the auditor see everything (R6, chapter II);
//! - support sees no register data (R10);
//! - whatever a caller may not see answers exactly like an unknown EAN: 404 `not_found`
//!   (R2, I5).
//!
//! Where the rules leave a choice the model takes the reading below, and a mismatch would say
//! which side reads differently:
//!
//! - "clipped to the registration periods" clips to their union: two registrations of one
//!   supplier that touch (`[a, b)` then `[b, c)`) reveal `[a, c)` as one stretch, since no
//!   instant between them is hidden. A holder at `at` is clipped to the stretch containing `at`.
//! - A history lists each effective record once per visible stretch it meets, clipped to it,
//!   sorted by start; superseded records never appear. Its `visible` field is the union of the
//!   caller's periods, or one open period from the dawn of time for those who see everything.
//! - A point-in-time question outside the caller's periods is a 404 even when the caller holds
//!   the access point at other times: answering 200 with no holders would say "you were here
//!   once", which R1 does not grant.
//!
//! Reproducible: one master seed (default below, or `CLOISON_DIFF_SEED`) fixes every history,
//! every request and so the number of cases; run with `--nocapture` to see the count.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use app::{Actor, Change, Role, Written};
use domain::{Gln, Occupancy, PartyKind, Period, RecordId, Registration};
use futures_util::StreamExt;
use jiff::Timestamp;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::{Server, access_point, ean, party};
use crate::over_http;

/// The seed when `CLOISON_DIFF_SEED` is not set.
const DEFAULT_SEED: u64 = 0xC1_0150_2024;
/// Independent histories per run, each on its own access points and parties.
const ROUNDS: usize = 20;
/// Requests per history: 20 × 512 = 10,240 cases per backend.
const CASES_PER_ROUND: usize = 512;
/// Requests in flight: each is journaled with a durable commit, and the journal writer groups
/// the commits of concurrent requests.
const IN_FLIGHT: usize = 48;
/// The base instant of the model's clock: 2023-01-01T00:00:00Z, as the harness's `t(0)`.
const BASE: i64 = 1_672_531_200;
const HOUR: i64 = 3600;
/// How many mismatches are printed in full.
const SHOWN: usize = 3;

// ---------------------------------------------------------------------------------------------
// The reference model: periods as plain numbers.

/// `[from, to)` in seconds after `BASE`; `to = None` is open-ended.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Span {
    from: i64,
    to: Option<i64>,
}

impl Span {
    fn contains(self, at: i64) -> bool {
        self.from <= at && self.to.is_none_or(|to| at < to)
    }

    fn intersect(self, other: Span) -> Option<Span> {
        let from = self.from.max(other.from);
        let to = match (self.to, other.to) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        to.is_none_or(|to| to > from).then_some(Span { from, to })
    }

    fn overlaps(self, other: Span) -> bool {
        self.intersect(other).is_some()
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |s: i64| {
            if s % HOUR == 0 { format!("{}h", s / HOUR) } else { format!("{}h{:+}s", s / HOUR, s % HOUR) }
        };
        match self.to {
            Some(to) => write!(f, "[{}, {})", show(self.from), show(to)),
            None => write!(f, "[{}, …)", show(self.from)),
        }
    }
}

/// The union of `spans`, sorted, touching and overlapping ones joined.
fn union(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort();
    let mut joined: Vec<Span> = Vec::new();
    for next in spans {
        match joined.last_mut() {
            Some(last) if last.to.is_none_or(|end| next.from <= end) => {
                last.to = match (last.to, next.to) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
            }
            _ => joined.push(next),
        }
    }
    joined
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Occupancy,
    Registration,
}

/// One record of the generated history.
#[derive(Clone, Debug)]
struct Rec {
    /// The store's id, once the batch that wrote it committed.
    id: Option<i64>,
    party: String,
    span: Span,
    superseded: bool,
}

/// One generated history and what the model needs to answer about it.
struct World {
    round: usize,
    seed: u64,
    /// Access points written, by the number `harness::ean` takes.
    eans: Vec<u64>,
    /// Valid EANs never written anywhere.
    absent: Vec<u64>,
    suppliers: Vec<String>,
    customers: Vec<String>,
    names: HashMap<String, String>,
    /// Ordered, so that the requests drawn from it are the same on every run.
    records: BTreeMap<(u64, Kind), Vec<Rec>>,
    /// The history as applied, one line per change, for a mismatch report.
    log: Vec<String>,
    tokens: HashMap<String, String>,
}

impl World {
    fn records(&self, ean: u64, kind: Kind) -> &[Rec] {
        self.records.get(&(ean, kind)).map(Vec::as_slice).unwrap_or(&[])
    }

    fn effective(&self, ean: u64, kind: Kind) -> impl Iterator<Item = &Rec> {
        self.records(ean, kind).iter().filter(|r| !r.superseded)
    }
}

/// Who asks.
#[derive(Clone, Debug)]
enum Who {
    Supplier(String),
    Customer(String),
    /// A staff role, named as the harness's tokens are.
    Staff(&'static str),
}

const STAFF: [&str; 4] = ["register_staff", "call_center", "auditor", "support"];

#[derive(Clone, Copy, Debug)]
enum Ask {
    Show { at: i64 },
    History,
}

#[derive(Clone, Debug)]
struct Request {
    round: usize,
    who: Who,
    ean: u64,
    ask: Ask,
}

/// What the caller may see of an access point: `None` is nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seen {
    Everything,
    Spans(Vec<Span>),
}

/// A holder as an answer names it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Held {
    party: String,
    name: Option<String>,
    span: Span,
}

/// An answer, reduced to what the rules speak of.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Answer {
    NotFound,
    Show { ean: String, at: i64, occupant: Option<Held>, supplier: Option<Held> },
    History { ean: String, visible: Seen, occupancies: Vec<Held>, registrations: Vec<Held> },
    Unexpected { status: u16, body: String },
}

/// What `who` may see of `ean`, from the rules alone.
fn seen(world: &World, who: &Who, ean: u64) -> Option<Seen> {
    if !world.eans.contains(&ean) {
        return None;
    }
    let own = |kind: Kind, id: &str| {
        let spans: Vec<Span> = world.effective(ean, kind).filter(|r| r.party == id).map(|r| r.span).collect();
        (!spans.is_empty()).then(|| Seen::Spans(union(spans)))
    };
    match who {
        // R1: only inside its own registrations.
        Who::Supplier(id) => own(Kind::Registration, id),
        // R4: only inside their own occupations.
        Who::Customer(id) => own(Kind::Occupancy, id),
        // R10: support sees no register data.
        Who::Staff("support") => None,
        // R6 and chapter II: the register team, the call center (read-only) and the auditor.
        Who::Staff(_) => Some(Seen::Everything),
    }
}

fn clip(span: Span, seen: &Seen) -> Vec<Span> {
    match seen {
        Seen::Everything => vec![span],
        Seen::Spans(spans) => spans.iter().filter_map(|v| v.intersect(span)).collect(),
    }
}

fn held(world: &World, rec: &Rec, span: Span) -> Held {
    Held { party: rec.party.clone(), name: world.names.get(&rec.party).cloned(), span }
}

/// The model's answer to `request`.
fn expect(world: &World, request: &Request) -> Answer {
    let Some(seen) = seen(world, &request.who, request.ean) else { return Answer::NotFound };
    let ean_text = ean(request.ean).to_string();
    match request.ask {
        Ask::Show { at } => {
            let stretch = match &seen {
                Seen::Everything => None,
                Seen::Spans(spans) => match spans.iter().find(|s| s.contains(at)) {
                    Some(s) => Some(*s),
                    // R1, R4: outside the caller's periods the access point is not theirs.
                    None => return Answer::NotFound,
                },
            };
            let holder = |kind: Kind| {
                let rec = world.effective(request.ean, kind).find(|r| r.span.contains(at))?;
                let span = match stretch {
                    None => rec.span,
                    Some(s) => rec.span.intersect(s).expect("both contain `at`"),
                };
                Some(held(world, rec, span))
            };
            Answer::Show {
                ean: ean_text,
                at,
                occupant: holder(Kind::Occupancy),
                supplier: holder(Kind::Registration),
            }
        }
        Ask::History => {
            let list = |kind: Kind| {
                let mut list: Vec<Held> = world
                    .effective(request.ean, kind)
                    .flat_map(|rec| clip(rec.span, &seen).into_iter().map(|span| held(world, rec, span)))
                    .collect();
                list.sort_by_key(|h| h.span.from);
                list
            };
            Answer::History {
                ean: ean_text,
                occupancies: list(Kind::Occupancy),
                registrations: list(Kind::Registration),
                visible: seen,
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading the server's answers into the same shape.

fn instant(seconds: i64) -> Timestamp {
    Timestamp::from_second(BASE + seconds).expect("test instants are in range")
}

fn seconds(value: &Value) -> Option<i64> {
    let t: Timestamp = value.as_str()?.parse().ok()?;
    (t.subsec_nanosecond() == 0).then(|| t.as_second() - BASE)
}

fn span_of(value: &Value) -> Option<Span> {
    let from = seconds(&value["from"])?;
    let to = match &value["to"] {
        Value::Null => None,
        other => Some(seconds(other)?),
    };
    Some(Span { from, to })
}

fn held_of(value: &Value) -> Option<Option<Held>> {
    if value.is_null() {
        return Some(None);
    }
    Some(Some(Held {
        party: value["party"]["id"].as_str()?.to_owned(),
        name: value["party"]["name"].as_str().map(str::to_owned),
        span: span_of(&value["period"])?,
    }))
}

fn list_of(value: &Value) -> Option<Vec<Held>> {
    value.as_array()?.iter().map(|h| held_of(h).flatten()).collect()
}

fn show_of(body: &Value) -> Option<Answer> {
    Some(Answer::Show {
        ean: body["ean"].as_str()?.to_owned(),
        at: seconds(&body["at"])?,
        occupant: held_of(&body["occupant"])?,
        supplier: held_of(&body["supplier"])?,
    })
}

fn history_of(body: &Value) -> Option<Answer> {
    let visible: Vec<Span> = body["visible"].as_array()?.iter().map(span_of).collect::<Option<_>>()?;
    // "Everything" is one open period from before any instant of the test.
    let everything =
        matches!(visible.as_slice(), [only] if only.to.is_none() && only.from < -100 * 365 * 24 * HOUR);
    Some(Answer::History {
        ean: body["ean"].as_str()?.to_owned(),
        visible: if everything { Seen::Everything } else { Seen::Spans(visible) },
        occupancies: list_of(&body["occupancies"])?,
        registrations: list_of(&body["registrations"])?,
    })
}

fn answer_of(ask: Ask, status: StatusCode, body: &Value) -> Answer {
    let parsed = match (status, ask) {
        (StatusCode::NOT_FOUND, _) if body["code"] == "not_found" => Some(Answer::NotFound),
        (StatusCode::OK, Ask::Show { .. }) => show_of(body),
        (StatusCode::OK, Ask::History) => history_of(body),
        _ => None,
    };
    parsed.unwrap_or_else(|| Answer::Unexpected { status: status.as_u16(), body: body.to_string() })
}

// ---------------------------------------------------------------------------------------------
// Generating and writing a history.

fn system() -> Actor {
    Actor { party: "cloison-test".parse().expect("id"), role: Role::System, session: "differential".into() }
}

fn period(span: Span) -> Period {
    Period::new(instant(span.from), span.to.map(instant)).expect("generated spans are non-empty")
}

/// A random span on whole hours, sometimes starting where an effective record ends, so that
/// touching periods (and a supplier's back-to-back registrations) come up often.
fn random_span(rng: &mut ChaCha8Rng, ends: &[i64]) -> Span {
    let from = if !ends.is_empty() && rng.gen_bool(0.3) {
        ends[rng.gen_range(0..ends.len())]
    } else {
        rng.gen_range(0..200) * HOUR
    };
    let to = if rng.gen_bool(0.3) { None } else { Some(from + rng.gen_range(1..=60) * HOUR) };
    Span { from, to }
}

/// A change waiting in the current batch, and where its record goes in the model.
struct Pending {
    change: Change,
    record: (u64, Kind, usize),
}

/// Writes the batch in one `register_apply` and gives the model the ids the store chose.
async fn flush(server: &Server, world: &mut World, pending: &mut Vec<Pending>) {
    if pending.is_empty() {
        return;
    }
    let changes: Vec<(Timestamp, Change)> = pending.iter().map(|p| (instant(0), p.change.clone())).collect();
    let written = match server.app.register_apply(&system(), changes).await {
        Ok(written) => written,
        Err(e) => panic!(
            "round {} (seed {:#x}): the store refused a change the model allows: {e}\nhistory:\n{}",
            world.round,
            world.seed,
            world.log.join("\n")
        ),
    };
    assert_eq!(written.len(), pending.len(), "one result per change");
    for (p, w) in pending.drain(..).zip(written) {
        let Written::Record(RecordId(id)) = w else { panic!("a register change wrote a record: {w:?}") };
        let (ean, kind, index) = p.record;
        let rec = &mut world.records.get_mut(&(ean, kind)).expect("pending record")[index];
        rec.id = Some(id);
    }
    world.log.push("  -- commit".into());
}

/// Builds one random history on fresh access points and parties, through `app`.
async fn build_world(server: &Server, round: usize, seed: u64) -> World {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let ean_count = rng.gen_range(2..=4);
    let eans: Vec<u64> = (0..ean_count).map(|i| 1_000 + round as u64 * 10 + i).collect();
    let absent: Vec<u64> = (0..2).map(|i| 500_000 + round as u64 * 10 + i).collect();
    let suppliers: Vec<String> = (0..rng.gen_range(2..=3)).map(|i| format!("d{round}-sup-{i}")).collect();
    let customers: Vec<String> = (0..rng.gen_range(2..=3)).map(|i| format!("d{round}-nu-{i}")).collect();
    let mut names = HashMap::new();
    let mut setup = Vec::new();
    for (i, id) in suppliers.iter().enumerate() {
        let name = format!("Supplier {round}.{i}");
        let gln = Gln::from_body(541_000_100_000 + round as u64 * 10 + i as u64).expect("gln");
        setup.push(Change::PutParty(party(id, PartyKind::Supplier { gln }, &name)));
        names.insert(id.clone(), name);
    }
    for (i, id) in customers.iter().enumerate() {
        let name = format!("Client {round}.{i}");
        setup.push(Change::PutParty(party(id, PartyKind::Person, &name)));
        names.insert(id.clone(), name);
    }
    for &n in &eans {
        setup.push(Change::PutAccessPoint(access_point(n)));
    }
    server
        .app
        .register_apply(&system(), setup.into_iter().map(|c| (instant(0), c)).collect())
        .await
        .expect("parties and access points");

    let mut world = World {
        round,
        seed,
        eans,
        absent,
        suppliers,
        customers,
        names,
        records: BTreeMap::new(),
        log: Vec::new(),
        tokens: HashMap::new(),
    };
    let mut pending: Vec<Pending> = Vec::new();
    let mut batch = rng.gen_range(1..=4);
    let steps = rng.gen_range(8..=30);
    for _ in 0..steps {
        let ean = world.eans[rng.gen_range(0..world.eans.len())];
        let kind = if rng.gen_bool(0.5) { Kind::Occupancy } else { Kind::Registration };
        let word = match kind {
            Kind::Occupancy => "occupancy",
            Kind::Registration => "registration",
        };
        let parties = match kind {
            Kind::Occupancy => world.customers.clone(),
            Kind::Registration => world.suppliers.clone(),
        };
        let live: Vec<usize> = world
            .records(ean, kind)
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.superseded)
            .map(|(i, _)| i)
            .collect();
        let ends: Vec<i64> = live.iter().filter_map(|&i| world.records(ean, kind)[i].span.to).collect();
        let others_clear = |world: &World, span: Span, except: Option<usize>| {
            world
                .records(ean, kind)
                .iter()
                .enumerate()
                .all(|(i, r)| r.superseded || Some(i) == except || !r.span.overlaps(span))
        };
        let roll = rng.gen_range(0..10);
        // What the step does: (change, record to add, record it supersedes).
        let step: Option<(Change, Rec, Option<usize>, String)> = if roll < 5 || live.is_empty() {
            // A new record somewhere free.
            (0..10).find_map(|_| {
                let span = random_span(&mut rng, &ends);
                let who = parties[rng.gen_range(0..parties.len())].clone();
                others_clear(&world, span, None).then(|| {
                    let change = record_change(kind, ean, &who, span, None);
                    let line = format!("{word} on #{ean}: {who} {span:?}");
                    (change, Rec { id: None, party: who, span, superseded: false }, None, line)
                })
            })
        } else if roll < 7 {
            // A correction of a committed effective record: new dates, sometimes another party.
            let committed: Vec<usize> =
                live.iter().copied().filter(|&i| world.records(ean, kind)[i].id.is_some()).collect();
            if committed.is_empty() {
                None
            } else {
                let index = committed[rng.gen_range(0..committed.len())];
                let old = world.records(ean, kind)[index].clone();
                (0..10).find_map(|_| {
                    let from = (old.span.from + rng.gen_range(-10..=10) * HOUR).max(0);
                    let to = match rng.gen_range(0..5) {
                        0 => None,
                        1 | 2 => old.span.to.filter(|&to| to > from),
                        _ => Some(from + rng.gen_range(1..=60) * HOUR),
                    };
                    let span = Span { from, to };
                    let who = if rng.gen_bool(0.3) {
                        parties[rng.gen_range(0..parties.len())].clone()
                    } else {
                        old.party.clone()
                    };
                    others_clear(&world, span, Some(index)).then(|| {
                        let id = old.id.expect("committed");
                        let change = record_change(kind, ean, &who, span, Some(RecordId(id)));
                        let line = format!("{word} on #{ean}: correct record {id} to {who} {span:?}");
                        (change, Rec { id: None, party: who, span, superseded: false }, Some(index), line)
                    })
                })
            }
        } else {
            // An end (move-out, end of contract) at an instant inside an effective record.
            let index = live[rng.gen_range(0..live.len())];
            let old = world.records(ean, kind)[index].clone();
            let last = old.span.to.unwrap_or(old.span.from + 80 * HOUR);
            let end = old.span.from + rng.gen_range(1..=(last - old.span.from) / HOUR) * HOUR;
            let span = Span { from: old.span.from, to: Some(end) };
            let at = instant(end);
            let change = match kind {
                Kind::Occupancy => Change::EndOccupancy { ean: crate::harness::ean(ean), at },
                Kind::Registration => Change::EndRegistration { ean: crate::harness::ean(ean), at },
            };
            let line = format!(
                "end {word} on #{ean} at {}h: {} {:?} becomes {span:?}",
                end / HOUR,
                old.party,
                old.span
            );
            Some((change, Rec { id: None, party: old.party, span, superseded: false }, Some(index), line))
        };
        let Some((change, rec, supersedes, line)) = step else { continue };
        let list = world.records.entry((ean, kind)).or_default();
        if let Some(old) = supersedes {
            list[old].superseded = true;
        }
        list.push(rec);
        let index = list.len() - 1;
        world.log.push(line);
        pending.push(Pending { change, record: (ean, kind, index) });
        if pending.len() >= batch {
            flush(server, &mut world, &mut pending).await;
            batch = rng.gen_range(1..=4);
        }
    }
    flush(server, &mut world, &mut pending).await;

    let expires = Timestamp::now() + jiff::SignedDuration::from_hours(2);
    let holders: Vec<(String, Role)> = world
        .suppliers
        .iter()
        .map(|s| (s.clone(), Role::Supplier))
        .chain(world.customers.iter().map(|c| (c.clone(), Role::Customer)))
        .collect();
    for (id, role) in holders {
        let token = server.app.create_token(&system(), &id, role, expires).await.expect("token");
        world.tokens.insert(id, token.secret);
    }
    world
}

fn record_change(kind: Kind, n: u64, who: &str, span: Span, supersedes: Option<RecordId>) -> Change {
    match kind {
        Kind::Occupancy => Change::RecordOccupancy {
            occupancy: Occupancy {
                ean: ean(n),
                network_user: who.parse().expect("id"),
                period: period(span),
                shipping_address: access_point(n).address,
            },
            supersedes,
        },
        Kind::Registration => Change::RecordRegistration {
            registration: Registration {
                ean: ean(n),
                supplier: who.parse().expect("id"),
                period: period(span),
            },
            supersedes,
        },
    }
}

/// Random requests about `world`: callers of every kind, known and unknown EANs, instants on
/// and around the history's boundaries.
fn requests(world: &World, seed: u64) -> Vec<Request> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x005E_ED0F_5EED);
    let boundaries: Vec<i64> =
        world.records.values().flatten().flat_map(|r| [Some(r.span.from), r.span.to]).flatten().collect();
    (0..CASES_PER_ROUND)
        .map(|_| {
            let who = match rng.gen_range(0..10) {
                0..=3 => Who::Supplier(world.suppliers[rng.gen_range(0..world.suppliers.len())].clone()),
                4..=6 => Who::Customer(world.customers[rng.gen_range(0..world.customers.len())].clone()),
                _ => Who::Staff(STAFF[rng.gen_range(0..STAFF.len())]),
            };
            let ean = if rng.gen_bool(0.85) {
                world.eans[rng.gen_range(0..world.eans.len())]
            } else {
                world.absent[rng.gen_range(0..world.absent.len())]
            };
            // The caller's own periods there, so that instants inside them come up often.
            let own: Vec<Span> = match &who {
                Who::Supplier(id) => world
                    .effective(ean, Kind::Registration)
                    .filter(|r| &r.party == id)
                    .map(|r| r.span)
                    .collect(),
                Who::Customer(id) => {
                    world.effective(ean, Kind::Occupancy).filter(|r| &r.party == id).map(|r| r.span).collect()
                }
                Who::Staff(_) => Vec::new(),
            };
            let ask = if rng.gen_bool(0.7) {
                let at = if !own.is_empty() && rng.gen_bool(0.3) {
                    let span = own[rng.gen_range(0..own.len())];
                    span.from + rng.gen_range(0..span.to.map_or(48 * HOUR, |to| to - span.from))
                } else if !boundaries.is_empty() && rng.gen_bool(0.4) {
                    boundaries[rng.gen_range(0..boundaries.len())] + rng.gen_range(-1..=1)
                } else if rng.gen_bool(0.7) {
                    rng.gen_range(-10..280) * HOUR
                } else {
                    rng.gen_range(-10 * HOUR..280 * HOUR)
                };
                Ask::Show { at }
            } else {
                Ask::History
            };
            Request { round: world.round, who, ean, ask }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The test.

struct Mismatch {
    request: Request,
    expected: Answer,
    got: Answer,
}

async fn differential(s: &Server) {
    let master: u64 = match std::env::var("CLOISON_DIFF_SEED") {
        Ok(text) => {
            let text = text.trim();
            let parsed = match text.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => text.parse(),
            };
            parsed.expect("CLOISON_DIFF_SEED must be a u64, decimal or 0x-hex")
        }
        Err(_) => DEFAULT_SEED,
    };
    let seed_of = |round: usize| master ^ (round as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let started = std::time::Instant::now();
    // Histories are independent: build them side by side so their commits share the writer.
    let worlds: Vec<World> = futures_util::stream::iter(0..ROUNDS)
        .map(|round| build_world(s, round, seed_of(round)))
        .buffered(8)
        .collect()
        .await;
    let built = started.elapsed();

    let cases: Vec<Request> = worlds.iter().flat_map(|w| requests(w, w.seed)).collect();
    let total = cases.len();
    let results: Vec<(Request, Answer)> = futures_util::stream::iter(cases)
        .map(|request| async {
            let world = &worlds[request.round];
            let token = match &request.who {
                Who::Supplier(id) | Who::Customer(id) => world.tokens[id].clone(),
                Who::Staff(name) => s.tokens[name].clone(),
            };
            let path = match request.ask {
                Ask::Show { at } => format!("/v1/access-points/{}?at={}", ean(request.ean), instant(at)),
                Ask::History => format!("/v1/access-points/{}/history", ean(request.ean)),
            };
            let (status, body) = s.get_as(&token, &path).await;
            let got = answer_of(request.ask, status, &body);
            (request, got)
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;

    let mut mismatches: Vec<Mismatch> = Vec::new();
    let (mut shown_ok, mut not_found) = (0usize, 0usize);
    for (request, got) in results {
        let expected = expect(&worlds[request.round], &request);
        match &expected {
            Answer::NotFound => not_found += 1,
            _ => shown_ok += 1,
        }
        if expected != got {
            mismatches.push(Mismatch { request, expected, got });
        }
    }
    let backend = if s.url.starts_with("postgres") { "postgresql" } else { "sqlite" };
    eprintln!(
        "differential on {backend}: seed {master:#x}, {ROUNDS} histories, {total} cases \
         ({shown_ok} answered, {not_found} not found), {} mismatches; histories in {:.1?}, total {:.1?}",
        mismatches.len(),
        built,
        started.elapsed()
    );
    if mismatches.is_empty() {
        // Both kinds of answer must have come up, or the comparison proved little.
        assert!(shown_ok > total / 5 && not_found > total / 10, "{shown_ok} answered, {not_found} not found");
        return;
    }
    // The smallest history first, then the simplest request: the easiest to replay by hand.
    mismatches.sort_by_key(|m| (worlds[m.request.round].log.len(), matches!(m.request.ask, Ask::History)));
    let mut report = String::new();
    for m in mismatches.iter().take(SHOWN) {
        let world = &worlds[m.request.round];
        report.push_str(&format!(
            "\n--- round {} (seed {:#x}), access points {:?} (absent {:?})\nhistory:\n{}\nrequest: {:?} asks #{} {:?}\nexpected: {:#?}\ngot:      {:#?}\n",
            world.round,
            world.seed,
            world.eans,
            world.absent,
            world.log.join("\n"),
            m.request.who,
            m.request.ean,
            m.request.ask,
            m.expected,
            m.got,
        ));
    }
    panic!(
        "{} of {total} cases differ from the model (seed {master:#x}; CLOISON_DIFF_SEED reproduces):{report}",
        mismatches.len()
    );
}
over_http!(model_and_server_agree_on_random_histories, differential);
