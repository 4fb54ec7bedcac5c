//! The producer connection queue (R15): requests to connect decentralised production to a
//! substation, served first come, first served, with the technical regulation's working-day
//! deadlines.
//!
//! One [`Queue`] per substation holds its hosting capacity and its requests. Every change is a
//! [`Command`] applied by [`Queue::apply`], which either changes the queue and says what
//! happened ([`Happening`]) or refuses with the rule named and changes nothing. The queue is a
//! pure fold of its commands: replaying them from an empty queue gives the same queue, which is
//! what the audit does to prove the stored queue was not edited.
//!
//! # The order
//!
//! A request's [`Rank`] is the day of its admissibility acknowledgement, then its filing number
//! (the order in which the acknowledgements were recorded on that substation), so two requests
//! acknowledged the same day keep the order they were filed in; a waiting part split off a
//! partial offer keeps the rank of the request it came from. Acknowledgements are recorded in
//! day order (a day earlier than the queue's last event is refused), so no request can be slipped
//! ahead of one already filed.
//!
//! A request competes for capacity from the payment of its detailed study (the regulation makes
//! that payment the condition of a reservation). Capacity is handed out by one rule only,
//! [`Queue::apply`]'s redistribution: the requests waiting for capacity, in rank order, each
//! take what is free, up to what they ask; a request that gets less is split into the part
//! offered and a waiting part that keeps its rank. Hence no capacity sits free while a request
//! waits, a request is never served before an earlier one that waits, and the capacity held
//! never exceeds the hosting capacity.
//!
//! # Deadlines (working days, [`crate::calendar`])
//!
//! - orientation study report: 15 after its payment;
//! - technical and financial proposal (PTF): 30 after the detailed study's payment, 40 above
//!   1 MW, 70 when transmission or local-transmission studies are needed; a partial offer, 30;
//! - acceptance: 30 after the proposal is sent, 40 above 1 MW, with a reminder 10 before it
//!   expires; extensions of at most 20 each, only while no other request waits for capacity;
//! - works: ordered within one year of the signature, once extended by at most a year on proof
//!   of a pending permit (the offer is then updated).
//!
//! A missed acceptance or works deadline makes the request lapse (caducity) at the daily run
//! ([`Command::Daily`]); the regulator is told, and the capacity is re-offered in rank order.

use std::fmt;
use std::str::FromStr;

use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::calendar::{add_working_days, sub_working_days};
use crate::{PartyId, SubstationId};

/// Above this installed power (kW), the proposal and acceptance deadlines are longer.
pub const ONE_MEGAWATT_KW: u32 = 1_000;
/// The largest hosting capacity or request Cloison records on one substation (100 GW): any
/// larger figure is a typing error, and keeping sums inside `u32` keeps the arithmetic exact.
pub const MAX_KW: u32 = 100_000_000;
/// The longest single extension of the acceptance window, in working days.
pub const MAX_EXTENSION_WORKING_DAYS: u32 = 20;
/// The orientation study report is due this many working days after its payment.
pub const ORIENTATION_WORKING_DAYS: u32 = 15;
/// The reminder goes this many working days before the acceptance window closes.
pub const REMINDER_WORKING_DAYS: u32 = 10;

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Acknowledged as admissible; the detailed study is not paid yet.
    Queued,
    /// The detailed study is paid and no capacity is free: on the waiting list at its rank.
    Waiting,
    /// Capacity reserved; the proposal (or the partial offer) is being prepared.
    Studying,
    /// The proposal is sent; the acceptance window runs.
    Offered,
    /// Contract signed and paid: the capacity is acquired; the works must be ordered in time.
    Signed,
    /// The connection works are ordered: the capacity is the producer's.
    WorksOrdered,
    /// A deadline was missed (caducity); the capacity went back to the queue.
    Lapsed,
    /// The producer withdrew in writing.
    Withdrawn,
    /// Removed from the queue after a significant change of the installation.
    Removed,
}

impl State {
    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Waiting => "waiting",
            State::Studying => "studying",
            State::Offered => "offered",
            State::Signed => "signed",
            State::WorksOrdered => "works_ordered",
            State::Lapsed => "lapsed",
            State::Withdrawn => "withdrawn",
            State::Removed => "removed",
        }
    }

    /// Whether a request in this state holds capacity (reserved or acquired).
    pub fn holds(self) -> bool {
        matches!(self, State::Studying | State::Offered | State::Signed | State::WorksOrdered)
    }

    /// Whether the request's procedure is over (lapsed, withdrawn or removed).
    pub fn ended(self) -> bool {
        matches!(self, State::Lapsed | State::Withdrawn | State::Removed)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request's place in the queue: the acknowledgement's day, then the filing number. Parts
/// split off a request keep its rank and come after it by their part number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Rank {
    /// The day the admissibility acknowledgement was sent.
    pub acknowledged: Date,
    /// The order in which acknowledgements were recorded on the substation, from 1.
    pub filing: u32,
    /// 0 for the request as filed, then 1, 2… for each waiting part split off it.
    pub part: u32,
}

/// One request (or one part of a request split by a partial offer), with every deadline that
/// applies to it computed and shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// `SUBSTATION/filing`, and `.part` for a waiting part: stable, and says nothing of the
    /// producer.
    pub id: String,
    /// Who asked.
    pub producer: PartyId,
    /// Its place in the queue.
    pub rank: Rank,
    /// The installation's power (kW), which decides the longer deadlines above 1 MW.
    pub installation_kw: u32,
    /// The capacity this request or part asks for (kW); held in full while it holds.
    pub kw: u32,
    /// Whether transmission or local-transmission studies are needed (70-day proposal).
    pub transmission_study: bool,
    /// Where it stands.
    pub state: State,
    /// The day of the last change.
    pub changed: Date,
    /// The orientation study report's due day, once that study is paid.
    pub orientation_report_due: Option<Date>,
    /// The detailed study's payment day.
    pub study_paid: Option<Date>,
    /// The day the reservation runs from: the later of acknowledgement and payment, or the day
    /// of a re-offer.
    pub reserved_from: Option<Date>,
    /// Whether the capacity offered is only part of what was asked (the rest waits).
    pub partial: bool,
    /// The day the proposal (or the partial offer) is due.
    pub offer_due: Option<Date>,
    /// The day the proposal was sent.
    pub offered: Option<Date>,
    /// The last day the producer may sign and pay.
    pub accept_by: Option<Date>,
    /// The day the reminder is due.
    pub reminder_on: Option<Date>,
    /// Whether the reminder was sent.
    pub reminded: bool,
    /// Working days of extension granted so far.
    pub extended_days: u32,
    /// The signature and payment day.
    pub signed: Option<Date>,
    /// The last day to order the works.
    pub works_by: Option<Date>,
    /// The permit reference that extended the works deadline, once.
    pub works_permit: Option<String>,
    /// The day the procedure ended (lapsed, withdrawn, removed).
    pub ended: Option<Date>,
    /// Why it ended, in words.
    pub end_reason: Option<String>,
    /// Whether the regulator is to be told (a caducity).
    pub regulator_told: bool,
}

impl Request {
    fn large(&self) -> bool {
        self.installation_kw > ONE_MEGAWATT_KW
    }

    /// Working days from the detailed study's payment to the proposal.
    pub fn proposal_working_days(&self) -> u32 {
        if self.transmission_study {
            70
        } else if self.large() {
            40
        } else {
            30
        }
    }

    /// Working days the producer has to accept a proposal.
    pub fn acceptance_working_days(&self) -> u32 {
        if self.large() { 40 } else { 30 }
    }
}

/// A change to a substation's queue, with the day it takes effect (Europe/Brussels).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// Sets the substation's hosting capacity (a study, an investment); the first one opens its
    /// queue.
    SetCapacity {
        /// The hosting capacity, kW.
        kw: u32,
        /// The day.
        day: Date,
    },
    /// Files an admissible request: the acknowledgement is sent this day.
    Acknowledge {
        /// Who asks.
        producer: PartyId,
        /// The capacity asked for, kW (the installation's power).
        kw: u32,
        /// Whether transmission studies are needed.
        transmission_study: bool,
        /// The acknowledgement's day.
        day: Date,
    },
    /// The optional orientation study is paid.
    PayOrientation {
        /// The request.
        request: String,
        /// The payment's day.
        day: Date,
    },
    /// The detailed study is paid: the request competes for capacity.
    PayDetailedStudy {
        /// The request.
        request: String,
        /// The payment's day.
        day: Date,
    },
    /// The proposal (or partial offer) is sent.
    SendOffer {
        /// The request.
        request: String,
        /// The sending day.
        day: Date,
    },
    /// The acceptance window is extended on a reasoned request.
    Extend {
        /// The request.
        request: String,
        /// By how many working days (1 to 20).
        working_days: u32,
        /// The day.
        day: Date,
    },
    /// The contract is signed and paid.
    Sign {
        /// The request.
        request: String,
        /// The day.
        day: Date,
    },
    /// The works deadline is extended on proof of a pending permit.
    ExtendWorks {
        /// The request.
        request: String,
        /// The new last day to order the works.
        until: Date,
        /// The reference of the authority's certificate.
        permit: String,
        /// The day.
        day: Date,
    },
    /// The connection works are ordered (terms B, C and D paid).
    OrderWorks {
        /// The request.
        request: String,
        /// The day.
        day: Date,
    },
    /// The producer withdraws the request (or one waiting part) in writing.
    Withdraw {
        /// The request or part.
        request: String,
        /// The day.
        day: Date,
    },
    /// The installation changed significantly: the request and all its parts leave the queue.
    Remove {
        /// The request or one of its parts.
        request: String,
        /// What changed.
        reason: String,
        /// The day.
        day: Date,
    },
    /// The day's run: reminders, caducities, re-offers. Idempotent; may be run again for a
    /// past day.
    Daily {
        /// The day run for.
        day: Date,
    },
}

impl Command {
    /// The day the command takes effect.
    pub fn day(&self) -> Date {
        match self {
            Command::SetCapacity { day, .. }
            | Command::Acknowledge { day, .. }
            | Command::PayOrientation { day, .. }
            | Command::PayDetailedStudy { day, .. }
            | Command::SendOffer { day, .. }
            | Command::Extend { day, .. }
            | Command::Sign { day, .. }
            | Command::ExtendWorks { day, .. }
            | Command::OrderWorks { day, .. }
            | Command::Withdraw { day, .. }
            | Command::Remove { day, .. }
            | Command::Daily { day } => *day,
        }
    }

    /// The stable name of the command, as the journal's action detail names it.
    pub fn name(&self) -> &'static str {
        match self {
            Command::SetCapacity { .. } => "set_capacity",
            Command::Acknowledge { .. } => "acknowledge",
            Command::PayOrientation { .. } => "pay_orientation",
            Command::PayDetailedStudy { .. } => "pay_detailed_study",
            Command::SendOffer { .. } => "send_offer",
            Command::Extend { .. } => "extend",
            Command::Sign { .. } => "sign",
            Command::ExtendWorks { .. } => "extend_works",
            Command::OrderWorks { .. } => "order_works",
            Command::Withdraw { .. } => "withdraw",
            Command::Remove { .. } => "remove",
            Command::Daily { .. } => "daily",
        }
    }

    /// The request the command names, if it names one.
    pub fn request(&self) -> Option<&str> {
        match self {
            Command::PayOrientation { request, .. }
            | Command::PayDetailedStudy { request, .. }
            | Command::SendOffer { request, .. }
            | Command::Extend { request, .. }
            | Command::Sign { request, .. }
            | Command::ExtendWorks { request, .. }
            | Command::OrderWorks { request, .. }
            | Command::Withdraw { request, .. }
            | Command::Remove { request, .. } => Some(request),
            Command::SetCapacity { .. } | Command::Acknowledge { .. } | Command::Daily { .. } => None,
        }
    }
}

/// What a command did, one line per request touched: what the journal records and the daily
/// run reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Happening {
    /// The request, or `None` for the substation itself.
    pub request: Option<String>,
    /// What happened: `capacity_set`, `acknowledged`, `orientation_paid`, `reserved`,
    /// `split`, `waiting`, `reoffered`, `offered`, `reminder`, `extended`, `signed`,
    /// `works_extended`, `works_ordered`, `lapsed`, `withdrawn`, `removed`.
    pub what: &'static str,
    /// Capacity concerned, kW, when there is one.
    pub kw: Option<u32>,
    /// The deadline it sets, when it sets one.
    pub due: Option<Date>,
    /// Whether the regulator is told.
    pub regulator: bool,
}

impl Happening {
    fn on(request: &Request, what: &'static str) -> Happening {
        Happening { request: Some(request.id.clone()), what, kw: None, due: None, regulator: false }
    }

    fn kw(mut self, kw: u32) -> Happening {
        self.kw = Some(kw);
        self
    }

    fn due(mut self, due: Option<Date>) -> Happening {
        self.due = due;
        self
    }
}

/// Why a command was refused: the field, a stable code naming the rule, a sentence. Nothing
/// changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {code}: {reason}")]
pub struct QueueError {
    /// The field at fault.
    pub field: &'static str,
    /// The rule, as a stable code.
    pub code: &'static str,
    /// What was wrong.
    pub reason: String,
}

fn refuse<T>(field: &'static str, code: &'static str, reason: String) -> Result<T, QueueError> {
    Err(QueueError { field, code, reason })
}

/// One substation's queue: its hosting capacity and every request ever filed there, in rank
/// order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queue {
    /// The substation.
    pub substation: SubstationId,
    /// The hosting capacity, kW.
    pub capacity: u32,
    /// The requests, sorted by rank.
    pub requests: Vec<Request>,
    /// The filing number the next acknowledgement gets.
    pub next_filing: u32,
    /// The day of the last command other than a daily run: commands are recorded in day order.
    pub last_day: Option<Date>,
}

/// The capacity figures of a queue, which anyone with a request on it may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Figures {
    /// The hosting capacity, kW.
    pub capacity_kw: u32,
    /// Capacity reserved by requests being studied or offered, kW.
    pub reserved_kw: u32,
    /// Capacity acquired by signed contracts, kW.
    pub allocated_kw: u32,
    /// Capacity free, kW.
    pub free_kw: u32,
    /// Capacity asked by requests on the waiting list, kW.
    pub waiting_kw: u32,
    /// Requests still in the procedure (neither ended nor with their works ordered).
    pub active_requests: u32,
}

impl Queue {
    /// An empty queue for `substation`, before its capacity is set.
    pub fn new(substation: SubstationId) -> Queue {
        Queue { substation, capacity: 0, requests: Vec::new(), next_filing: 1, last_day: None }
    }

    /// The capacity held (reserved or acquired), kW.
    pub fn held(&self) -> u32 {
        self.requests.iter().filter(|r| r.state.holds()).map(|r| r.kw).sum()
    }

    /// The capacity free, kW.
    pub fn free(&self) -> u32 {
        self.capacity.saturating_sub(self.held())
    }

    /// The figures a producer may see.
    pub fn figures(&self) -> Figures {
        let sum = |states: &[State]| -> u32 {
            self.requests.iter().filter(|r| states.contains(&r.state)).map(|r| r.kw).sum()
        };
        Figures {
            capacity_kw: self.capacity,
            reserved_kw: sum(&[State::Studying, State::Offered]),
            allocated_kw: sum(&[State::Signed, State::WorksOrdered]),
            free_kw: self.free(),
            waiting_kw: sum(&[State::Waiting]),
            active_requests: self.requests.iter().filter(|r| Self::active(r)).count() as u32,
        }
    }

    fn active(request: &Request) -> bool {
        !request.state.ended() && request.state != State::WorksOrdered
    }

    /// The position (from 1) of request `id` among the requests still in the procedure, in
    /// rank order: what a producer is told of its place, without anyone else's identity.
    pub fn position(&self, id: &str) -> Option<u32> {
        let mut n = 0;
        for request in &self.requests {
            if Self::active(request) {
                n += 1;
                if request.id == id {
                    return Some(n);
                }
            }
        }
        None
    }

    /// The request `id`.
    pub fn request(&self, id: &str) -> Option<&Request> {
        self.requests.iter().find(|r| r.id == id)
    }

    /// Applies `command`: the queue changes and says what happened, or it is refused with the
    /// rule named and the queue is unchanged.
    pub fn apply(&mut self, command: &Command) -> Result<Vec<Happening>, QueueError> {
        let mut next = self.clone();
        let happened = next.step(command)?;
        *self = next;
        Ok(happened)
    }

    fn step(&mut self, command: &Command) -> Result<Vec<Happening>, QueueError> {
        let day = command.day();
        if !matches!(command, Command::Daily { .. }) {
            if let Some(last) = self.last_day
                && day < last
            {
                return refuse(
                    "day",
                    "day_before_last",
                    format!("the queue of {} was last changed on {last}; {day} is earlier", self.substation),
                );
            }
            if !matches!(command, Command::SetCapacity { .. }) && self.last_day.is_none() {
                return refuse(
                    "substation",
                    "no_capacity",
                    format!("{} has no hosting capacity set: its queue is not open", self.substation),
                );
            }
            self.last_day = Some(day);
        }
        let mut happened = Vec::new();
        match command {
            Command::SetCapacity { kw, day } => {
                check_kw("capacity_kw", *kw, true)?;
                let held = self.held();
                if *kw < held {
                    return refuse(
                        "capacity_kw",
                        "capacity_below_held",
                        format!("{kw} kW is less than the {held} kW already reserved or acquired"),
                    );
                }
                self.capacity = *kw;
                happened.push(Happening {
                    request: None,
                    what: "capacity_set",
                    kw: Some(*kw),
                    due: None,
                    regulator: false,
                });
                self.redistribute(*day, &mut happened);
            }
            Command::Acknowledge { producer, kw, transmission_study, day } => {
                check_kw("kw", *kw, false)?;
                let filing = self.next_filing;
                self.next_filing += 1;
                let request = Request {
                    id: format!("{}/{filing}", self.substation),
                    producer: producer.clone(),
                    rank: Rank { acknowledged: *day, filing, part: 0 },
                    installation_kw: *kw,
                    kw: *kw,
                    transmission_study: *transmission_study,
                    state: State::Queued,
                    changed: *day,
                    orientation_report_due: None,
                    study_paid: None,
                    reserved_from: None,
                    partial: false,
                    offer_due: None,
                    offered: None,
                    accept_by: None,
                    reminder_on: None,
                    reminded: false,
                    extended_days: 0,
                    signed: None,
                    works_by: None,
                    works_permit: None,
                    ended: None,
                    end_reason: None,
                    regulator_told: false,
                };
                happened.push(Happening::on(&request, "acknowledged").kw(*kw));
                self.insert(request);
            }
            Command::PayOrientation { request, day } => {
                let r = self.expect(
                    request,
                    &[State::Queued],
                    "an orientation study comes before the detailed study",
                )?;
                if r.orientation_report_due.is_some() {
                    return refuse(
                        "request",
                        "orientation_already_paid",
                        format!("{request}: its orientation study is already paid"),
                    );
                }
                let due = add_working_days(*day, ORIENTATION_WORKING_DAYS);
                r.orientation_report_due = Some(due);
                r.changed = *day;
                happened.push(Happening::on(r, "orientation_paid").due(Some(due)));
            }
            Command::PayDetailedStudy { request, day } => {
                let r =
                    self.expect(request, &[State::Queued], "the detailed study is paid once, while queued")?;
                r.study_paid = Some(*day);
                r.state = State::Waiting;
                r.changed = *day;
                self.redistribute(*day, &mut happened);
                if let Some(r) = self.request(request)
                    && r.state == State::Waiting
                {
                    happened.push(Happening::on(r, "waiting").kw(r.kw));
                }
            }
            Command::SendOffer { request, day } => {
                let r = self.expect(request, &[State::Studying], "an offer follows a reservation")?;
                let accept_by = add_working_days(*day, r.acceptance_working_days());
                r.state = State::Offered;
                r.offered = Some(*day);
                r.accept_by = Some(accept_by);
                r.reminder_on = Some(sub_working_days(accept_by, REMINDER_WORKING_DAYS));
                r.changed = *day;
                happened.push(Happening::on(r, "offered").kw(r.kw).due(Some(accept_by)));
            }
            Command::Extend { request, working_days, day } => {
                if *working_days == 0 || *working_days > MAX_EXTENSION_WORKING_DAYS {
                    return refuse(
                        "working_days",
                        "extension_too_long",
                        format!(
                            "an extension is 1 to {MAX_EXTENSION_WORKING_DAYS} working days, found {working_days}"
                        ),
                    );
                }
                let filing = self.request(request).map(|r| r.rank.filing);
                if let Some(waiting) =
                    self.requests.iter().find(|r| r.state == State::Waiting && Some(r.rank.filing) != filing)
                {
                    return refuse(
                        "request",
                        "request_waiting",
                        format!(
                            "request {} waits for capacity on {}: the reservation is kept by an extension only while no other request waits",
                            waiting.id, self.substation
                        ),
                    );
                }
                let r =
                    self.expect(request, &[State::Offered], "only an offer's acceptance window is extended")?;
                let accept_by = r.accept_by.unwrap_or(*day);
                if *day > accept_by {
                    return refuse(
                        "day",
                        "window_expired",
                        format!("{request}: the acceptance window closed on {accept_by}"),
                    );
                }
                let new = add_working_days(accept_by, *working_days);
                r.accept_by = Some(new);
                r.reminder_on = Some(sub_working_days(new, REMINDER_WORKING_DAYS));
                r.reminded = false;
                r.extended_days += working_days;
                r.changed = *day;
                happened.push(Happening::on(r, "extended").due(Some(new)));
            }
            Command::Sign { request, day } => {
                let r = self.expect(request, &[State::Offered], "a contract is signed on an offer")?;
                let accept_by = r.accept_by.unwrap_or(*day);
                if *day > accept_by {
                    return refuse(
                        "day",
                        "window_expired",
                        format!("{request}: the acceptance window closed on {accept_by}"),
                    );
                }
                let works_by = add_year(*day);
                r.state = State::Signed;
                r.signed = Some(*day);
                r.works_by = Some(works_by);
                r.changed = *day;
                happened.push(Happening::on(r, "signed").kw(r.kw).due(Some(works_by)));
            }
            Command::ExtendWorks { request, until, permit, day } => {
                let permit = permit.trim();
                if permit.is_empty() || permit.len() > 200 || permit.chars().any(char::is_control) {
                    return refuse(
                        "permit",
                        "bad_permit",
                        "the permit certificate's reference is 1 to 200 printable characters".into(),
                    );
                }
                let r =
                    self.expect(request, &[State::Signed], "the works deadline runs after the signature")?;
                if r.works_permit.is_some() {
                    return refuse(
                        "request",
                        "works_already_extended",
                        format!("{request}: the works deadline was already extended once"),
                    );
                }
                let works_by = r.works_by.unwrap_or(*day);
                if *day > works_by {
                    return refuse(
                        "day",
                        "works_deadline_passed",
                        format!("{request}: the works were due by {works_by}"),
                    );
                }
                let limit = add_year(works_by);
                if *until <= works_by || *until > limit {
                    return refuse(
                        "until",
                        "extension_too_long",
                        format!(
                            "the works deadline moves from {works_by} by at most one year: to a day after it and no later than {limit}"
                        ),
                    );
                }
                r.works_by = Some(*until);
                r.works_permit = Some(permit.to_owned());
                r.changed = *day;
                happened.push(Happening::on(r, "works_extended").due(Some(*until)));
            }
            Command::OrderWorks { request, day } => {
                let r = self.expect(request, &[State::Signed], "works are ordered after the signature")?;
                let works_by = r.works_by.unwrap_or(*day);
                if *day > works_by {
                    return refuse(
                        "day",
                        "works_deadline_passed",
                        format!("{request}: the works were due by {works_by}"),
                    );
                }
                r.state = State::WorksOrdered;
                r.changed = *day;
                happened.push(Happening::on(r, "works_ordered").kw(r.kw));
            }
            Command::Withdraw { request, day } => {
                let r = self.expect(request, ACTIVE, "only a request in the procedure is withdrawn")?;
                let kw = r.kw;
                end(r, State::Withdrawn, *day, "withdrawn in writing by the producer", false);
                happened.push(Happening::on(r, "withdrawn").kw(kw));
                self.redistribute(*day, &mut happened);
            }
            Command::Remove { request, reason, day } => {
                let reason = reason.trim();
                if reason.is_empty() || reason.len() > 500 || reason.chars().any(char::is_control) {
                    return refuse(
                        "reason",
                        "bad_reason",
                        "the change that removes a request is said in 1 to 500 printable characters".into(),
                    );
                }
                let filing =
                    self.expect(request, ACTIVE, "only a request in the procedure is removed")?.rank.filing;
                for r in
                    self.requests.iter_mut().filter(|r| r.rank.filing == filing && ACTIVE.contains(&r.state))
                {
                    let kw = r.kw;
                    end(
                        r,
                        State::Removed,
                        *day,
                        &format!("significant change of the installation: {reason}"),
                        false,
                    );
                    happened.push(Happening::on(r, "removed").kw(kw));
                }
                self.redistribute(*day, &mut happened);
            }
            Command::Daily { day } => {
                for r in self.requests.iter_mut() {
                    match (r.state, r.accept_by, r.works_by) {
                        (State::Offered, Some(accept_by), _) if *day > accept_by => {
                            let kw = r.kw;
                            end(r, State::Lapsed, *day, &format!("not accepted by {accept_by}"), true);
                            let mut h = Happening::on(r, "lapsed").kw(kw);
                            h.regulator = true;
                            happened.push(h);
                        }
                        (State::Offered, Some(accept_by), _)
                            if !r.reminded && r.reminder_on.is_some_and(|d| *day >= d) =>
                        {
                            r.reminded = true;
                            happened.push(Happening::on(r, "reminder").due(Some(accept_by)));
                        }
                        (State::Signed, _, Some(works_by)) if *day > works_by => {
                            let kw = r.kw;
                            end(r, State::Lapsed, *day, &format!("works not ordered by {works_by}"), true);
                            let mut h = Happening::on(r, "lapsed").kw(kw);
                            h.regulator = true;
                            happened.push(h);
                        }
                        _ => {}
                    }
                }
                self.redistribute(*day, &mut happened);
            }
        }
        Ok(happened)
    }

    /// Hands free capacity to the waiting requests in rank order, splitting the last one
    /// served when it gets less than it asks.
    fn redistribute(&mut self, day: Date, happened: &mut Vec<Happening>) {
        let mut free = self.free();
        let mut i = 0;
        while i < self.requests.len() && free > 0 {
            if self.requests[i].state != State::Waiting {
                i += 1;
                continue;
            }
            let r = &mut self.requests[i];
            let first = r.reserved_from.is_none() && r.rank.part == 0;
            let from = if first { day.max(r.rank.acknowledged) } else { day };
            r.state = State::Studying;
            r.reserved_from = Some(from);
            r.changed = day;
            let what = if first { "reserved" } else { "reoffered" };
            if free >= r.kw {
                free -= r.kw;
                r.partial = false;
                r.offer_due = Some(add_working_days(day, r.proposal_working_days()));
                happened.push(Happening::on(r, what).kw(r.kw).due(r.offer_due));
                i += 1;
                continue;
            }
            let rest = r.kw - free;
            r.kw = free;
            r.partial = true;
            r.offer_due = Some(add_working_days(day, 30));
            happened.push(Happening::on(r, what).kw(free).due(r.offer_due));
            free = 0;
            let filing = r.rank.filing;
            let part = self
                .requests
                .iter()
                .filter(|o| o.rank.filing == filing)
                .map(|o| o.rank.part)
                .max()
                .unwrap_or(0)
                + 1;
            let parent = &self.requests[i];
            let waiting = Request {
                id: format!("{}/{filing}.{part}", self.substation),
                rank: Rank { part, ..parent.rank },
                kw: rest,
                state: State::Waiting,
                changed: day,
                reserved_from: None,
                partial: false,
                offer_due: None,
                ..parent.clone()
            };
            happened.push(Happening::on(&waiting, "split").kw(rest));
            self.insert(waiting);
        }
    }

    fn insert(&mut self, request: Request) {
        let at = self.requests.partition_point(|r| r.rank <= request.rank);
        self.requests.insert(at, request);
    }

    fn expect(&mut self, id: &str, states: &[State], rule: &str) -> Result<&mut Request, QueueError> {
        let substation = self.substation.clone();
        let Some(r) = self.requests.iter_mut().find(|r| r.id == id) else {
            return refuse("request", "unknown_request", format!("{substation} has no request {id}"));
        };
        if !states.contains(&r.state) {
            return refuse("request", "wrong_state", format!("{id} is {}: {rule}", r.state));
        }
        Ok(r)
    }
}

/// The states a request can be withdrawn or removed from.
const ACTIVE: &[State] = &[State::Queued, State::Waiting, State::Studying, State::Offered, State::Signed];

fn end(r: &mut Request, state: State, day: Date, reason: &str, regulator: bool) {
    r.state = state;
    r.ended = Some(day);
    r.end_reason = Some(reason.to_owned());
    r.regulator_told = regulator;
    r.changed = day;
}

fn check_kw(field: &'static str, kw: u32, zero_ok: bool) -> Result<(), QueueError> {
    if (kw == 0 && !zero_ok) || kw > MAX_KW {
        let low = if zero_ok { 0 } else { 1 };
        return refuse(field, "bad_capacity", format!("a capacity is {low} to {MAX_KW} kW, found {kw}"));
    }
    Ok(())
}

/// One year after `day` (29 February gives 28 February), saturating at the last date.
fn add_year(day: Date) -> Date {
    day.checked_add(1.year()).unwrap_or(Date::MAX)
}

/// Parses a capacity in kW from text: a whole, non-negative number of at most [`MAX_KW`], with
/// the field named when it is not.
pub fn parse_kw(field: &'static str, text: &str) -> Result<u32, QueueError> {
    let text = text.trim();
    if text.starts_with('-') {
        return refuse(field, "bad_capacity", format!("a capacity cannot be negative, found {text:?}"));
    }
    match u32::from_str(text) {
        Ok(kw) if kw <= MAX_KW => Ok(kw),
        _ => refuse(
            field,
            "bad_capacity",
            format!("a capacity is a whole number of kW from 0 to {MAX_KW}, found {text:?}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Date {
        text.parse().expect("written right in the test")
    }

    fn queue(kw: u32) -> Queue {
        let mut q = Queue::new("SUB-1".parse().expect("written right in the test"));
        q.apply(&Command::SetCapacity { kw, day: d("2026-01-05") }).expect("written right in the test");
        q
    }

    fn ack(q: &mut Queue, who: &str, kw: u32, day: &str) -> String {
        let h = q
            .apply(&Command::Acknowledge {
                producer: who.parse().expect("written right in the test"),
                kw,
                transmission_study: false,
                day: d(day),
            })
            .expect("written right in the test");
        h[0].request.clone().expect("written right in the test")
    }

    #[test]
    fn a_partial_offer_splits_and_the_rest_keeps_its_rank() {
        let mut q = queue(3_000);
        let a = ack(&mut q, "prod-1", 2_000, "2026-01-06");
        let b = ack(&mut q, "prod-2", 2_000, "2026-01-06");
        q.apply(&Command::PayDetailedStudy { request: a.clone(), day: d("2026-01-07") })
            .expect("written right in the test");
        q.apply(&Command::PayDetailedStudy { request: b.clone(), day: d("2026-01-07") })
            .expect("written right in the test");
        let b_part = format!("{b}.1");
        assert_eq!(q.request(&b).expect("written right in the test").kw, 1_000);
        assert!(q.request(&b).expect("written right in the test").partial);
        assert_eq!(q.request(&b_part).expect("written right in the test").state, State::Waiting);
        assert_eq!(q.free(), 0);
        // A later request cannot take capacity freed while the earlier part waits.
        let c = ack(&mut q, "prod-3", 500, "2026-01-08");
        q.apply(&Command::PayDetailedStudy { request: c.clone(), day: d("2026-01-08") })
            .expect("written right in the test");
        q.apply(&Command::Withdraw { request: a, day: d("2026-01-09") }).expect("written right in the test");
        assert_eq!(q.request(&b_part).expect("written right in the test").state, State::Studying);
        assert_eq!(q.request(&c).expect("written right in the test").state, State::Studying);
        assert_eq!(q.request(&c).expect("written right in the test").kw, 500);
        assert_eq!(q.free(), 500);
    }

    #[test]
    fn parse_kw_names_the_field() {
        assert_eq!(parse_kw("capacity_kw", "-5").expect_err("refused by the rule").code, "bad_capacity");
        assert_eq!(parse_kw("capacity_kw", "abc").expect_err("refused by the rule").field, "capacity_kw");
        assert_eq!(parse_kw("capacity_kw", "1.5").expect_err("refused by the rule").code, "bad_capacity");
        assert_eq!(parse_kw("capacity_kw", " 42 ").expect("written right in the test"), 42);
    }
}
