//! A realistic synthetic Walloon grid, built deterministically from a seed.
//!
//! The demo is how a newcomer, a tester or a benchmark gets a register worth querying without
//! touching real customers. It goes through the same door as real writes (the register's
//! invariants are checked on every record) and simulates three years of market life: move-ins,
//! move-outs with vacancies, supplier switches and budget-meter placements. Ends of occupancies
//! and contracts are written the way the register learns them: an open-ended record first, a
//! correction that supersedes it when the move or switch happens.
//!
//! A tenth of the points are read remotely (AMR); they get the last year of the window as
//! interval data, with planted faults for the validators (`readings`).
//!
//! Eight parties get a password for the web interface, one per kind of user (`logins`).
//!
//! Determinism: each access point draws from its own ChaCha stream (seed, index), and parties
//! are numbered in access-point order, so the same seed gives the same register whatever the
//! batch size.
//!
//! A crate of its own, above `app`, rather than a module of it: the demo is a client of the
//! use cases like the CLI and the API, so it writes everything, the marker that says a
//! database is a demo included, through `Cloison`'s public methods and reaches nothing behind
//! them. Inside `app` it wrote that marker straight into the store.
#![warn(missing_docs)]

pub mod contact;
pub mod index_readings;
pub mod logins;
pub mod readings;
pub mod staff;

use domain::period::day_start;
use domain::{
    AccessPoint, Address, Ean, Energy, Gln, GridStatus, MeterKind, Occupancy, Party, PartyId, PartyKind,
    Period, ReadingRegime, Registration,
};
use jiff::Timestamp;
use jiff::civil::Date;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use app::{Actor, AppError, Change, Cloison, Role};
use domain::scenario::{Action as ScenarioAction, Request};

pub use logins::{DemoLogin, demo_logins, demo_password};

/// What to build.
#[derive(Debug, Clone, Copy)]
pub struct DemoConfig {
    /// Number of access points (electricity and gas together).
    pub access_points: u32,
    /// The seed every random choice derives from.
    pub seed: u64,
}

/// The first day of the simulated market window (three years).
pub const WINDOW_START: Date = Date::constant(2023, 1, 1);
/// The day after the simulated market window.
pub const WINDOW_END: Date = Date::constant(2026, 1, 1);

/// The fictional suppliers of the demo market: name and GLN body (12 digits).
pub const SUPPLIERS: [(&str, &str, u64); 8] = [
    ("sup-ardenne", "Ardenne Énergie", 541_000_000_011),
    ("sup-meuse", "Meuse Power", 541_000_000_022),
    ("sup-sambre", "Sambre Gaz & Électricité", 541_000_000_033),
    ("sup-hesbaye", "Hesbaye Énergies", 541_000_000_044),
    ("sup-condroz", "Condroz Volt", 541_000_000_055),
    ("sup-famenne", "Famenne Energy", 541_000_000_066),
    ("sup-gaume", "Gaume Lumière", 541_000_000_077),
    ("sup-brabant", "Brabant wallon Énergie", 541_000_000_088),
];

const TOWNS: [(&str, &str, &str, u32); 20] = [
    ("Namur", "5000", "NAM", 12),
    ("Liège", "4000", "LIE", 16),
    ("Charleroi", "6000", "CHA", 16),
    ("Mons", "7000", "MON", 8),
    ("Tournai", "7500", "TOU", 6),
    ("Arlon", "6700", "ARL", 4),
    ("Wavre", "1300", "WAV", 5),
    ("Verviers", "4800", "VER", 5),
    ("Huy", "4500", "HUY", 3),
    ("Dinant", "5500", "DIN", 2),
    ("Bastogne", "6600", "BAS", 2),
    ("Nivelles", "1400", "NIV", 3),
    ("La Louvière", "7100", "LAL", 6),
    ("Marche-en-Famenne", "6900", "MAR", 2),
    ("Ottignies-Louvain-la-Neuve", "1340", "OTT", 3),
    ("Seraing", "4100", "SER", 5),
    ("Gembloux", "5030", "GEM", 2),
    ("Ath", "7800", "ATH", 2),
    ("Spa", "4900", "SPA", 1),
    ("Durbuy", "6940", "DUR", 1),
];

const STREETS: [&str; 24] = [
    "Rue de la Station",
    "Rue du Moulin",
    "Chaussée de Namur",
    "Rue de l'Église",
    "Avenue des Tilleuls",
    "Rue Haute",
    "Place Saint-Lambert",
    "Rue des Écoles",
    "Rue du Centre",
    "Rue de Bruxelles",
    "Rue des Combattants",
    "Rue de la Fontaine",
    "Chemin des Aubépines",
    "Rue du Château",
    "Avenue Reine Astrid",
    "Rue de Liège",
    "Rue des Prés",
    "Rue Saint-Martin",
    "Rue de la Gare",
    "Rue des Fusillés",
    "Allée des Charmes",
    "Rue du Bois",
    "Rue de France",
    "Quai de Meuse",
];

const FIRST_NAMES: [&str; 24] = [
    "Marie", "Jean", "Luc", "Nathalie", "Sophie", "Pierre", "Isabelle", "Michel", "Julie", "Thomas", "Emma",
    "Louis", "Lucas", "Chloé", "Nicolas", "Anne", "Philippe", "Martine", "Laurent", "Céline", "Noah", "Léa",
    "Arthur", "Olivia",
];

const LAST_NAMES: [&str; 28] = [
    "Dubois",
    "Lambert",
    "Martin",
    "Dupont",
    "Peeters",
    "Renard",
    "Leroy",
    "Lejeune",
    "Simon",
    "Laurent",
    "Hubert",
    "Lemaire",
    "Collard",
    "François",
    "Mathieu",
    "Gilson",
    "Henrard",
    "Jacquet",
    "Delvaux",
    "Piron",
    "Dumont",
    "Wauters",
    "Janssens",
    "Charlier",
    "Lecomte",
    "Marchal",
    "Thiry",
    "Goffin",
];

const TRADES: [&str; 8] =
    ["Boulangerie", "Garage", "Pharmacie", "Brasserie", "Menuiserie", "Librairie", "Boucherie", "Cabinet"];

/// How many access points the demo reader's route holds.
const ROUTE_STOPS: usize = 20;

/// The DSO staff of the demo: one person per role, so every token is personal (R6).
pub const STAFF: [(&str, &str, Role); 6] = [
    ("staff-claire", "Claire Renard", Role::RegisterStaff),
    ("staff-marc", "Marc Delvaux", Role::MeteringStaff),
    ("staff-rita", "Rita Lecomte", Role::MeterReader),
    ("staff-sarah", "Sarah Lemaire", Role::CallCenter),
    ("staff-paul", "Paul Gilson", Role::Auditor),
    ("staff-ines", "Inès Thiry", Role::Support),
];

/// How the demo turned out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoSummary {
    /// Electricity access points.
    pub electricity: u32,
    /// Gas access points.
    pub gas: u32,
    /// Network users created (persons and companies).
    pub network_users: u32,
    /// Moves simulated inside the window.
    pub moves: u32,
    /// Supplier switches simulated inside the window.
    pub switches: u32,
    /// Budget meters placed inside the window.
    pub budget_meters: u32,
    /// Remotely read points given a year of interval data.
    pub interval_points: u32,
    /// Interval values imported.
    pub interval_values: u64,
    /// What the validation rules found in them, in the validators' queue.
    pub findings: u64,
    /// The remotely read points, in the demo's order.
    pub interval_eans: Vec<Ean>,
    /// Points read yearly or monthly, given index readings.
    pub index_points: u32,
    /// Index readings written.
    pub index_readings: u64,
    /// What the rules found in them (rollovers, backward indexes, advances off the profile).
    pub index_findings: u64,
    /// The access points on the demo reader's route today.
    pub route: Vec<Ean>,
    /// Who can sign in to the web interface, with which password ([`demo_logins`]).
    pub logins: Vec<DemoLogin>,
    /// The contact center's principals and simulated day ([`contact::build`]).
    pub contact: contact::ContactDemo,
}

/// The EAN of the demo's access point number `index`.
pub fn demo_ean(energy: Energy, index: u32) -> Ean {
    let prefix = match energy {
        Energy::Electricity => 54_144_800_000_000_000,
        Energy::Gas => 54_144_900_000_000_000,
    };
    Ean::from_body(prefix + u64::from(index)).expect("demo bodies have 17 digits")
}

/// The supplier parties of the demo.
pub fn suppliers() -> Vec<Party> {
    SUPPLIERS
        .iter()
        .map(|(id, name, gln)| Party {
            id: id.parse().expect("supplier ids are valid slugs"),
            kind: PartyKind::Supplier { gln: Gln::from_body(*gln).expect("12-digit GLN bodies") },
            name: name.parse().expect("supplier names are not blank"),
            phone: None,
            email: None,
        })
        .collect()
}

/// The demo's DSO staff as parties, one per role of [`STAFF`].
pub fn staff() -> Vec<Party> {
    STAFF
        .iter()
        .map(|(id, name, _)| Party {
            id: id.parse().expect("staff ids are valid slugs"),
            kind: PartyKind::Staff,
            name: name.parse().expect("staff names are not blank"),
            phone: None,
            email: None,
        })
        .collect()
}

fn day(date: Date) -> Timestamp {
    day_start(date).expect("every demo day exists in Brussels")
}

fn random_day(rng: &mut ChaCha8Rng, from: Date, to: Date) -> Date {
    let span = (to - from).get_days().max(1);
    from.checked_add(jiff::Span::new().days(rng.gen_range(0..span))).expect("demo dates are in range")
}

/// The simulation of one access point: the commands it writes, in time order.
struct Simulation<'a> {
    rng: ChaCha8Rng,
    next_party: &'a mut u32,
    summary: &'a mut DemoSummary,
    /// The remotely read points, which get interval data.
    amr: &'a mut Vec<(Ean, Energy)>,
    indexed: &'a mut Vec<(Ean, Energy, ReadingRegime)>,
}

impl Simulation<'_> {
    fn network_user(&mut self, town: &(&str, &str, &str, u32)) -> Party {
        *self.next_party += 1;
        self.summary.network_users += 1;
        let id: PartyId =
            format!("nu-{:07}", *self.next_party).parse().expect("numbered ids are valid slugs");
        let last = *LAST_NAMES.choose(&mut self.rng).expect("non-empty");
        let company = self.rng.gen_bool(0.08);
        let (kind, name) = if company {
            let trade = *TRADES.choose(&mut self.rng).expect("non-empty");
            (PartyKind::Company, format!("{trade} {last} SRL"))
        } else {
            let first = *FIRST_NAMES.choose(&mut self.rng).expect("non-empty");
            (PartyKind::Person, format!("{first} {last}"))
        };
        let phone = self.rng.gen_bool(0.7).then(|| {
            let mobile = self.rng.gen_bool(0.6);
            let digits: u32 = self.rng.gen_range(0..1_000_000);
            let text = if mobile {
                format!("047{} {:06}", self.rng.gen_range(0..10), digits)
            } else {
                format!("0{}/{:06}", town.1.chars().take(2).collect::<String>(), digits)
            };
            text.parse().expect("demo phone numbers are Belgian numbers")
        });
        let email = (!company && self.rng.gen_bool(0.5)).then(|| {
            let local = name.to_lowercase().replace(' ', ".");
            let ascii: String = local.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '.').collect();
            format!("{ascii}{}@exemple.be", self.rng.gen_range(1..100))
                .parse()
                .expect("demo e-mails are valid")
        });
        Party { id, kind, name: name.parse().expect("demo names are not blank"), phone, email }
    }

    fn address(&mut self, town: &(&str, &str, &str, u32)) -> Address {
        let street = *STREETS.choose(&mut self.rng).expect("non-empty");
        let number = self.rng.gen_range(1..250).to_string();
        let box_number = self.rng.gen_bool(0.15).then(|| self.rng.gen_range(1..20).to_string());
        Address::new(street, &number, box_number.as_deref(), town.1, town.0)
            .expect("demo addresses are valid")
    }
}

/// The installation setting that marks a demo database, holding its seed (8 bytes, big-endian).
const MARKER: &str = "demo_seed";

/// The seed a demo database was built from, or `None` for a database that is not a demo
/// (which the demo must never overwrite). Read as `actor`, through the settings use case.
pub async fn marker(app: &Cloison, actor: &Actor) -> Result<Option<u64>, AppError> {
    let value = app.setting(actor, MARKER).await?;
    Ok(value.and_then(|v| <[u8; 8]>::try_from(v.as_slice()).ok()).map(u64::from_be_bytes))
}

/// Requests queued ahead of their commits: enough to fill a group commit.
const IN_FLIGHT: usize = 256;

/// One event of the market window, as the market receives it.
enum Event {
    /// The occupant leaves; their supplier announces it.
    MoveOut { supplier: PartyId, customer: PartyId },
    /// A newcomer moves in with their supplier (the party is added to the register first).
    MoveIn { supplier: PartyId, customer: Party, shipping_address: Address },
    /// The customer's new supplier takes over.
    Switch { supplier: PartyId, customer: PartyId },
    /// The supplier asks for a budget meter; the DSO plans and places it that day.
    BudgetMeter { supplier: PartyId, customer: PartyId },
}

/// An event on a day, for an access point.
struct Dated {
    day: Date,
    ean: Ean,
    energy: Energy,
    event: Event,
}

/// Builds the demo through the door, reporting progress (access points done) as it goes.
///
/// The register as it stood before the window (each access point's connection, first
/// occupant and supplier) is written as register requests, one per access point, queued in
/// access-point order. The three years of the window then go through the market: day by day,
/// every scenario of the day is submitted by its supplier and judged on that day, then the
/// day is run and the scenarios take effect, each step journaled as in production. Everything
/// is queued in a fixed order, so record ids, like everything else, follow from the seed.
pub async fn build(
    app: &Cloison,
    actor: &Actor,
    config: DemoConfig,
    progress: impl Fn(u64),
) -> Result<DemoSummary, AppError> {
    let mut summary = DemoSummary::default();
    let mut next_party = 0u32;
    let genesis = day(Date::constant(2008, 1, 1));
    app.put_setting(actor, MARKER, &config.seed.to_be_bytes()).await?;
    // The staff are parties too: a token is personal (R6), so each role's demo token needs its
    // person in the register.
    let parties = suppliers().into_iter().chain(staff());
    app.register_apply(actor, parties.map(|p| (genesis, Change::PutParty(p))).collect()).await?;
    let supplier_ids: Vec<PartyId> = suppliers().into_iter().map(|p| p.id).collect();
    let total_weight: u32 = TOWNS.iter().map(|t| t.3).sum();
    let mut town_counts = [0u32; TOWNS.len()];
    let mut in_flight = std::collections::VecDeque::with_capacity(IN_FLIGHT);
    let mut done = 0u64;
    let mut events: Vec<Dated> = Vec::new();
    let mut amr: Vec<(Ean, Energy)> = Vec::new();
    let mut indexed: Vec<(Ean, Energy, ReadingRegime)> = Vec::new();
    for index in 0..config.access_points {
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        rng.set_stream(u64::from(index));
        let mut pick = rng.gen_range(0..total_weight);
        let town_index = TOWNS
            .iter()
            .position(|t| {
                if pick < t.3 {
                    true
                } else {
                    pick -= t.3;
                    false
                }
            })
            .expect("pick is below the total weight");
        let town = TOWNS[town_index];
        town_counts[town_index] += 1;
        let energy = if rng.gen_bool(0.7) { Energy::Electricity } else { Energy::Gas };
        match energy {
            Energy::Electricity => summary.electricity += 1,
            Energy::Gas => summary.gas += 1,
        }
        let mut sim = Simulation {
            rng,
            next_party: &mut next_party,
            summary: &mut summary,
            amr: &mut amr,
            indexed: &mut indexed,
        };
        let changes = sim.life(index, energy, &town, town_counts[town_index], &supplier_ids, &mut events);
        if in_flight.len() == IN_FLIGHT {
            let ticket: app::WriteTicket = in_flight.pop_front().expect("the queue is full");
            ticket.wait().await?;
            done += 1;
            if done % 250 == 0 {
                progress(done / 2);
            }
        }
        in_flight.push_back(app.register_submit(actor, changes).await?);
    }
    for ticket in in_flight {
        ticket.wait().await?;
    }
    let third = u64::from(config.access_points) / 3;
    progress(third);
    market(app, actor, events, |share| progress(third + (share * third as f64) as u64)).await?;
    let metering = Actor { role: Role::MeteringStaff, ..actor.clone() };
    let report = readings::import(app, &metering, config.seed, &amr, |share| {
        progress(2 * third + (share * third as f64) as u64)
    })
    .await?;
    summary.interval_points = amr.len() as u32;
    summary.interval_eans = amr.iter().map(|(ean, _)| *ean).collect();
    summary.interval_values = report.accepted;
    summary.findings = report.findings;
    let index = index_readings::post(app, &metering, config.seed, &indexed, |_| {}).await?;
    summary.index_points = indexed.len() as u32;
    summary.index_readings = index.written;
    summary.index_findings = index.findings;
    // The reader's round for the current window: the first points read yearly, from three
    // days ago to eleven days ahead of today (the real today: a route is for now).
    summary.route = indexed.iter().take(ROUTE_STOPS).map(|(ean, ..)| *ean).collect();
    if !summary.route.is_empty() {
        let today = app::local_day(Timestamp::now());
        let days = |n: i64| today.checked_add(jiff::Span::new().days(n));
        let (from, to) = (days(-3), days(11));
        if let (Ok(from), Ok(to)) = (from, to) {
            let reader: PartyId = index_readings::READER.parse().map_err(|e: domain::PartyError| {
                AppError::Internal(app::StoreError::Journal(e.to_string()))
            })?;
            app.route_assign(&metering, reader, from, to, summary.route.clone()).await?;
        }
    }
    summary.contact = contact::build(app, actor, 300, config.seed, Timestamp::now().as_second()).await?;
    summary.logins = demo_logins(app, actor, &summary.interval_eans).await?;
    logins::set_passwords(app, actor, &summary.logins).await?;
    progress(u64::from(config.access_points));
    Ok(summary)
}

/// The market window, day by day: each day's scenarios in the order simulated, then the day.
async fn market(
    app: &Cloison,
    actor: &Actor,
    mut events: Vec<Dated>,
    progress: impl Fn(f64),
) -> Result<(), AppError> {
    // Stable: the events of one day keep the order of their access points.
    events.sort_by_key(|e| e.day);
    let total = events.len().max(1) as f64;
    let dso = Actor { role: Role::RegisterStaff, ..actor.clone() };
    let mut at = 0usize;
    while at < events.len() {
        let today = events[at].day;
        let mut tickets = Vec::new();
        while at < events.len() && events[at].day == today {
            let Dated { ean, energy, event, .. } = &events[at];
            at += 1;
            let submit = |initiator: &PartyId, action: ScenarioAction| Request {
                ean: *ean,
                energy: *energy,
                initiator: initiator.clone(),
                effective_day: today,
                action,
            };
            let (supplier, request) = match event {
                Event::MoveOut { supplier, customer } => {
                    (supplier, submit(supplier, ScenarioAction::MoveOut { customer: customer.clone() }))
                }
                Event::MoveIn { supplier, customer, shipping_address } => {
                    let party = vec![(day(today), Change::PutParty(customer.clone()))];
                    tickets.push(Queued::Register(app.register_submit(actor, party).await?));
                    let action = ScenarioAction::MoveIn {
                        customer: customer.id.clone(),
                        shipping_address: shipping_address.clone(),
                    };
                    (supplier, submit(supplier, action))
                }
                Event::Switch { supplier, customer } => (
                    supplier,
                    submit(supplier, ScenarioAction::SupplierSwitch { customer: customer.clone() }),
                ),
                Event::BudgetMeter { supplier, customer } => {
                    let action = ScenarioAction::BudgetMeter { customer: customer.clone() };
                    (supplier, submit(supplier, action))
                }
            };
            let as_supplier =
                Actor { party: supplier.clone(), role: Role::Supplier, session: actor.session.clone() };
            let budget = matches!(event, Event::BudgetMeter { .. });
            tickets.push(Queued::Market(app.market_queue(&as_supplier, request, None, today).await?, budget));
        }
        for ticket in tickets {
            match ticket {
                Queued::Register(ticket) => {
                    ticket.wait().await?;
                }
                Queued::Market(ticket, budget) => match ticket.wait().await?.into_view() {
                    app::MarketAnswer::Accepted { scenario } if budget => {
                        app.market_placement(&dso, &scenario.id, app::Placement::Scheduled, today).await?;
                        app.market_placement(&dso, &scenario.id, app::Placement::Placed, today).await?;
                    }
                    app::MarketAnswer::Accepted { .. } => {}
                    app::MarketAnswer::Refused { code, message, .. } => {
                        return Err(AppError::Internal(app::StoreError::Journal(format!(
                            "the demo's market refused its own scenario on {today}: {code}: {message}"
                        ))));
                    }
                },
            }
        }
        app.market_run_day(actor, today).await?;
        progress(at as f64 / total);
    }
    deliver(app, actor).await
}

/// Every queue read and acknowledged, as the parties did in the window: the suppliers their
/// own, the register team the DSO's services'. The market the tour opens on has nothing
/// pending from the past.
async fn deliver(app: &Cloison, actor: &Actor) -> Result<(), AppError> {
    let dso = Actor { role: Role::RegisterStaff, ..actor.clone() };
    let mut queues: Vec<(Actor, Option<&str>)> = suppliers()
        .into_iter()
        .map(|p| (Actor { party: p.id, role: Role::Supplier, session: actor.session.clone() }, None))
        .collect();
    queues.push((dso.clone(), Some("dso:field")));
    queues.push((dso, Some("dso:budget_meter")));
    for (who, queue) in &queues {
        loop {
            let bundle = app.market_peek(who, *queue, app::MAX_BUNDLE).await?.into_view();
            if bundle.messages.is_empty() {
                break;
            }
            let mut tickets = Vec::with_capacity(bundle.messages.len());
            for message in &bundle.messages {
                tickets.push(app.market_acknowledge_queue(who, *queue, &message.id).await?);
            }
            for ticket in tickets {
                ticket.wait().await?;
            }
        }
    }
    Ok(())
}

/// What a day's submissions wait on.
enum Queued {
    Register(app::WriteTicket),
    /// A scenario, and whether it is a budget meter the DSO then places.
    Market(app::MarketTicket, bool),
}

impl Simulation<'_> {
    /// The register of access point `index` as it stood when the window opened, as the
    /// changes the register receives; its market events in the window go to `events`.
    fn life(
        &mut self,
        index: u32,
        energy: Energy,
        town: &(&str, &str, &str, u32),
        town_count: u32,
        supplier_ids: &[PartyId],
        events: &mut Vec<Dated>,
    ) -> Vec<(Timestamp, Change)> {
        let mut changes = Vec::new();
        // A tenth read remotely, as the larger consumers and the first smart meters are.
        let regime = match self.rng.gen_range(0..100) {
            0..=9 => ReadingRegime::Amr,
            10..=14 => ReadingRegime::Mmr,
            _ => ReadingRegime::Ymr,
        };
        if regime == ReadingRegime::Amr {
            self.amr.push((demo_ean(energy, index), energy));
        } else {
            self.indexed.push((demo_ean(energy, index), energy, regime));
        }
        let access_point = AccessPoint {
            ean: demo_ean(energy, index),
            energy,
            address: self.address(town),
            substation: format!("{}-{:04}", town.2, town_count / 250 + 1)
                .parse()
                .expect("demo substations are valid"),
            regime,
            meter: if regime == ReadingRegime::Amr || self.rng.gen_bool(0.1) {
                MeterKind::Smart
            } else {
                MeterKind::Classic
            },
            grid_status: GridStatus::Energised,
        };
        let ean = access_point.ean;
        let mut budget = false;
        let connected = random_day(&mut self.rng, Date::constant(2008, 1, 1), WINDOW_START);
        changes.push((day(connected), Change::PutAccessPoint(access_point.clone())));
        // A newcomer and their supplier: the occupant, where bills go, who supplies.
        let newcomer = |sim: &mut Self| {
            let occupant = sim.network_user(town);
            let shipping =
                if sim.rng.gen_bool(0.1) { sim.address(town) } else { access_point.address.clone() };
            let supplier = supplier_ids.choose(&mut sim.rng).expect("non-empty").clone();
            (occupant, shipping, supplier)
        };
        // The first occupant and their supplier, from the day of connection.
        let (first, shipping, mut supplier) = newcomer(self);
        changes.push((day(connected), Change::PutParty(first.clone())));
        changes.push((
            day(connected),
            Change::RecordOccupancy {
                occupancy: Occupancy {
                    ean,
                    network_user: first.id.clone(),
                    period: Period::open(day(connected)),
                    shipping_address: shipping,
                },
                supersedes: None,
            },
        ));
        changes.push((day(connected), registration(ean, &supplier, connected)));
        let mut occupant = Some(first.id);
        let mut contract_start = Some(connected);
        // Three years of market life, one event at a time.
        let mut today = WINDOW_START;
        loop {
            today =
                today.checked_add(jiff::Span::new().days(self.rng.gen_range(60..1500))).expect("in range");
            if today >= WINDOW_END {
                break;
            }
            match self.rng.gen_range(0..100) {
                // A move: the occupant leaves, the contract ends, maybe a vacancy, a newcomer.
                0..=29 => {
                    self.summary.moves += 1;
                    if let Some(customer) = occupant.take() {
                        events.push(Dated {
                            day: today,
                            ean,
                            energy,
                            event: Event::MoveOut { supplier: supplier.clone(), customer },
                        });
                    }
                    let vacancy = if self.rng.gen_bool(0.5) { 0 } else { self.rng.gen_range(1..60) };
                    let next = today.checked_add(jiff::Span::new().days(vacancy)).expect("in range");
                    if next >= WINDOW_END {
                        break;
                    }
                    let (customer, shipping_address, chosen) = newcomer(self);
                    supplier = chosen;
                    occupant = Some(customer.id.clone());
                    events.push(Dated {
                        day: next,
                        ean,
                        energy,
                        event: Event::MoveIn { supplier: supplier.clone(), customer, shipping_address },
                    });
                    contract_start = Some(next);
                    today = next;
                }
                // A supplier switch on the first of a month.
                30..=89 => {
                    let first = today.first_of_month();
                    let Some(start) = contract_start else { continue };
                    let Some(customer) = occupant.clone() else { continue };
                    if first <= start {
                        continue;
                    }
                    self.summary.switches += 1;
                    let others: Vec<&PartyId> = supplier_ids.iter().filter(|s| **s != supplier).collect();
                    supplier = (*others.choose(&mut self.rng).expect("seven others")).clone();
                    events.push(Dated {
                        day: first,
                        ean,
                        energy,
                        event: Event::Switch { supplier: supplier.clone(), customer },
                    });
                    contract_start = Some(first);
                }
                // A budget meter placed for a customer in payment difficulty.
                90..=93 if !budget => {
                    let Some(customer) = occupant.clone() else { continue };
                    self.summary.budget_meters += 1;
                    budget = true;
                    events.push(Dated {
                        day: today,
                        ean,
                        energy,
                        event: Event::BudgetMeter { supplier: supplier.clone(), customer },
                    });
                }
                // A quiet stretch.
                _ => {}
            }
        }
        changes
    }
}

fn registration(ean: Ean, supplier: &PartyId, from: Date) -> Change {
    Change::RecordRegistration {
        registration: Registration { ean, supplier: supplier.clone(), period: Period::open(day(from)) },
        supersedes: None,
    }
}
