//! The JSON shapes of the API's answers, for the OpenAPI document.
//!
//! The views that handlers send are built in `app` from `domain` types, which know nothing of
//! OpenAPI and should not: `utoipa` stays in this crate. So each answer's shape is written
//! here once, beside the routes, as a type that derives `ToSchema`; these types are never
//! built, only described. They are kept honest by the integration test that checks real
//! answers' fields against them, and by the response-schema-conformance run in CI: a field
//! added to a view and not here fails one or the other.
// Documentation-only shapes: never constructed, read by the `ToSchema` derive.
#![allow(dead_code)]

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

/// Every error: a stable code clients branch on, and a message for people.
#[derive(Serialize, ToSchema)]
pub struct Error {
    /// Stable, e.g. `not_found`, `invalid_ean`, `forbidden`, `unauthenticated`.
    code: String,
    /// What went wrong, naming the parameter at fault when there is one.
    message: String,
}

/// The errors that layers around every route can answer, whatever the route: a wrong method
/// (405), a body over the limit (413), a path and query or headers over the limits (414,
/// 431), a handler over its time (408). They are added to every operation here, once, rather
/// than to each annotation, so a new route cannot forget them; each is the same JSON
/// [`Error`] as the rest.
pub fn add_layer_errors(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let kib = |bytes: usize| bytes / 1024;
    let errors = [
        ("405", "the path does not accept this method; the `Allow` header lists those it does (`method_not_allowed`)".to_owned()),
        ("408", "the answer took too long and was abandoned (`timeout`)".to_owned()),
        ("413", format!("the request body is over {} KiB (`body_too_large`)", kib(crate::MAX_BODY_BYTES))),
        ("414", format!("the path and query are over {} KiB (`uri_too_long`)", kib(crate::MAX_URI_BYTES))),
        (
            "431",
            format!(
                "over {} header fields or {} KiB of headers (`headers_too_large`)",
                crate::MAX_HEADER_COUNT,
                kib(crate::MAX_HEADER_BYTES)
            ),
        ),
    ];
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ];
        for operation in operations.into_iter().flatten() {
            for (status, description) in &errors {
                let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("Error"))).build();
                let response = ResponseBuilder::new()
                    .description(description.as_str())
                    .content("application/json", content)
                    .build();
                operation.responses.responses.entry((*status).to_owned()).or_insert(response.into());
            }
        }
    }
}

/// Liveness.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the server answers.
    status: String,
}

/// A party as an answer names it.
#[derive(Serialize, ToSchema)]
pub struct PartyRef {
    /// Opaque party id.
    id: String,
    /// Name, when the party still exists in the register.
    name: Option<String>,
    /// GLN, for a supplier.
    gln: Option<String>,
}

/// A half-open period `[from, to)`; `to` is null when open-ended.
#[derive(Serialize, ToSchema)]
pub struct Period {
    /// First instant.
    #[schema(format = DateTime)]
    from: String,
    /// First instant after the period; null when open-ended.
    #[schema(format = DateTime)]
    to: Option<String>,
}

/// A party holding an access point for a period, clipped to what the caller may see.
#[derive(Serialize, ToSchema)]
pub struct Holder {
    /// The network user or supplier.
    party: PartyRef,
    /// The period, clipped.
    period: Period,
}

/// A Belgian postal address.
#[derive(Serialize, ToSchema)]
pub struct Address {
    /// Street.
    street: String,
    /// House number.
    number: String,
    /// Box, when there is one.
    #[serde(rename = "box")]
    box_number: Option<String>,
    /// Belgian postal code.
    postal_code: u16,
    /// Municipality.
    municipality: String,
}

/// Electricity or gas.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Energy {
    /// Electricity.
    Electricity,
    /// Natural gas.
    Gas,
}

/// How the meter is read.
#[derive(Serialize, ToSchema)]
pub enum ReadingRegime {
    /// Yearly.
    #[serde(rename = "YMR")]
    Ymr,
    /// Monthly.
    #[serde(rename = "MMR")]
    Mmr,
    /// Remote interval data.
    #[serde(rename = "AMR")]
    Amr,
}

/// Whether energy flows.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GridStatus {
    /// Energy flows.
    Energised,
    /// Cut off.
    Deenergised,
    /// Removed from the grid.
    Removed,
}

/// An access point at one instant, as the caller may see it.
#[derive(Serialize, ToSchema)]
pub struct AccessPoint {
    /// The EAN.
    #[schema(pattern = "^[0-9]{18}$")]
    ean: String,
    /// The instant asked about.
    #[schema(format = DateTime)]
    at: String,
    /// Electricity or gas.
    energy: Energy,
    /// How the meter is read.
    regime: ReadingRegime,
    /// Whether energy flows.
    grid_status: GridStatus,
    /// The address of the access point.
    address: Address,
    /// The occupant then, if the caller may see it.
    occupant: Option<Holder>,
    /// The supplier then, if the caller may see it.
    supplier: Option<Holder>,
}

/// The history of an access point, each record clipped to what the caller may see.
#[derive(Serialize, ToSchema)]
pub struct History {
    /// The EAN.
    #[schema(pattern = "^[0-9]{18}$")]
    ean: String,
    /// The parts of the time line the caller may see.
    visible: Vec<Period>,
    /// Occupancies, clipped.
    occupancies: Vec<Holder>,
    /// Registrations, clipped.
    registrations: Vec<Holder>,
}

/// The caller.
#[derive(Serialize, ToSchema)]
pub struct Me {
    /// The party of the token.
    party: PartyRef,
    /// The role of the token.
    role: String,
    /// Access points the party occupies or supplies, at any time (customers and suppliers).
    #[schema(pattern = "^[0-9]{18}$")]
    access_points: Vec<String>,
}

/// Who accessed, as a customer may know it: a named party, or a DSO service (R6).
#[derive(Serialize, ToSchema)]
pub struct Accessor {
    /// The role the access was made in.
    role: String,
    /// The party, for suppliers, third parties and the caller themselves.
    #[serde(skip_serializing_if = "Option::is_none")]
    party: Option<PartyRef>,
    /// The DSO service, for staff; never the person.
    #[serde(skip_serializing_if = "Option::is_none")]
    service: Option<String>,
}

/// One access to the data of one of the caller's access points.
#[derive(Serialize, ToSchema)]
pub struct AccessLogEntry {
    /// When it happened.
    #[schema(format = DateTime)]
    time: String,
    /// The caller's access point concerned.
    #[schema(pattern = "^[0-9]{18}$")]
    ean: String,
    /// Who accessed.
    accessor: Accessor,
    /// What was done, as the journal names it.
    action: String,
    /// Why, as the journal records it.
    purpose: String,
    /// Whether the policy allowed it.
    allowed: bool,
}

/// A page of the caller's access log.
#[derive(Serialize, ToSchema)]
pub struct AccessLog {
    /// Accesses, oldest first.
    entries: Vec<AccessLogEntry>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<u64>,
}

/// The signed head of the journal: the shape of `app::HeadView`, which the CLI prints too.
#[derive(Serialize, ToSchema)]
pub struct Head {
    /// Entries in the journal.
    size: u64,
    /// Merkle root, hex.
    root: String,
    /// When it was signed.
    #[schema(format = DateTime)]
    time: String,
    /// The same instant as signed: microseconds since the Unix epoch, UTC.
    time_micros: i64,
    /// Ed25519 signature, hex.
    signature: String,
    /// The key that verifies it, hex.
    public_key: String,
}

/// An inclusion proof: the shape of `app::InclusionProofView`.
#[derive(Serialize, ToSchema)]
pub struct InclusionProof {
    /// The entry proved.
    index: u64,
    /// The size of the tree it is proved in.
    size: u64,
    /// Sibling hashes, leaf first, hex.
    hashes: Vec<String>,
    /// The root of that tree, hex.
    root: String,
}

/// A consistency proof: the shape of `app::ConsistencyProofView`.
#[derive(Serialize, ToSchema)]
pub struct ConsistencyProof {
    /// The older size.
    old: u64,
    /// The newer size.
    new: u64,
    /// The proof's hashes, hex.
    hashes: Vec<String>,
    /// Root of the older tree, hex.
    old_root: String,
    /// Root of the newer tree, hex.
    new_root: String,
}

/// Who acted, in a journal entry.
#[derive(Serialize, ToSchema)]
pub struct EntryActor {
    /// The acting party.
    party_id: String,
    /// Its role.
    role: String,
    /// The request or session.
    session: String,
}

/// What the policy decided, in a journal entry.
#[derive(Serialize, ToSchema)]
pub struct EntryDecision {
    /// Whether it was allowed.
    allowed: bool,
    /// The deciding policies' ids.
    policies: Vec<String>,
}

/// A journal entry.
#[derive(Serialize, ToSchema)]
pub struct Entry {
    /// Its index.
    sequence: u64,
    /// When, in microseconds since the Unix epoch.
    time_micros: i64,
    /// Who acted.
    actor: EntryActor,
    /// What was done.
    action: String,
    /// EANs and party ids concerned.
    subjects: Vec<String>,
    /// Why.
    purpose: String,
    /// The decision.
    decision: EntryDecision,
    /// What came of it.
    outcome: String,
    /// SHA-256 of the data sent, hex, if any.
    data_digest: Option<String>,
    /// 128 random bits, hex, that make the leaf hash unguessable; absent from entries written
    /// before salts.
    salt: Option<String>,
    /// The rows the act wrote, each bound by the digest of the salt and its canonical encoding.
    rows: Vec<EntryRow>,
}

/// A row bound to a journal entry.
#[derive(Serialize, ToSchema)]
pub struct EntryRow {
    /// Its table.
    table: String,
    /// Its key in that table.
    key: String,
    /// SHA-256 of the entry's salt and the row's canonical encoding, hex.
    digest: String,
}

/// A journal entry with its exact bytes and leaf hash, for an auditor to verify.
#[derive(Serialize, ToSchema)]
pub struct StoredEntry {
    /// The entry.
    entry: Entry,
    /// Its canonical encoding, hex.
    bytes: String,
    /// SHA-256(0x00 ‖ bytes), hex.
    leaf_hash: String,
}

/// A scenario request: the fields its kind needs, and no other (a move-in alone takes a
/// shipping address; an end of contract names no customer).
#[derive(Serialize, ToSchema)]
pub struct ScenarioRequest {
    /// The access point.
    #[schema(pattern = "^[0-9]{18}$")]
    ean: String,
    /// The energy the initiator means to supply.
    energy: Energy,
    /// The Europe/Brussels day it takes effect, YYYY-MM-DD.
    #[schema(format = Date)]
    effective_day: String,
    /// The customer (network user), for every kind but an end of contract.
    customer: Option<String>,
    /// Where bills go, for a move-in.
    shipping_address: Option<AddressRequest>,
    /// The supplier the DSO's staff act for; a supplier's own request is its own.
    initiator: Option<String>,
}

/// A postal address as sent.
#[derive(Serialize, ToSchema)]
pub struct AddressRequest {
    /// Street.
    street: String,
    /// House number.
    number: String,
    /// Box, when there is one.
    #[serde(rename = "box")]
    box_number: Option<String>,
    /// Belgian postal code, four digits.
    postal_code: String,
    /// Municipality.
    municipality: String,
}

/// A budget-meter placement report.
#[derive(Serialize, ToSchema)]
pub struct PlacementRequest {
    /// `scheduled`, `placed` or `failed`.
    step: PlacementStep,
}

/// The steps of a placement.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlacementStep {
    /// Planned for the scenario's day.
    Scheduled,
    /// In place: the meter changes.
    Placed,
    /// Could not be done.
    Failed,
}

/// A scenario as its initiator and the DSO see it.
#[derive(Serialize, ToSchema)]
pub struct Scenario {
    /// Random id (I5).
    #[schema(pattern = "^[0-9a-f]{32}$")]
    id: String,
    /// `supplier_switch`, `move_in`, `move_out`, `end_of_contract`, `drop` or `budget_meter`.
    kind: String,
    /// The access point.
    #[schema(pattern = "^[0-9]{18}$")]
    ean: String,
    /// The energy.
    energy: Energy,
    /// The day it takes effect.
    #[schema(format = Date)]
    effective_day: String,
    /// `accepted`, `requested`, `scheduled`, `completed`, `placed`, `failed`, `cancelled` or
    /// `superseded`.
    status: String,
    /// Who started it.
    initiator: String,
}

/// What a market request came to: `accepted` with the scenario, or `refused` with the
/// market's stable code, the field at fault and a message.
#[derive(Serialize, ToSchema)]
pub struct MarketAnswer {
    /// `accepted` or `refused`.
    outcome: String,
    /// The scenario, when accepted.
    scenario: Option<Scenario>,
    /// The stable code, when refused (`unknown_ean`, `end_of_contract_in_progress`, …).
    code: Option<String>,
    /// The field at fault, when refused.
    field: Option<String>,
    /// What is wrong, when refused.
    message: Option<String>,
}

/// A message's proof of what was journaled.
#[derive(Serialize, ToSchema)]
pub struct Receipt {
    /// The journal entry that queued the message, canonical bytes in hex: its `data_digest`
    /// is SHA-256 of the body, and SHA-256(0x00 ‖ bytes) the leaf of the proof.
    entry: String,
    /// The entry's inclusion in the head's tree.
    proof: InclusionProof,
    /// The signed head, with the key that verifies it.
    head: Head,
}

/// One message.
#[derive(Serialize, ToSchema)]
pub struct Message {
    /// Random id, stable across deliveries.
    #[schema(pattern = "^[0-9a-f]{32}$")]
    id: String,
    /// What it says: `accepted`, `technical_data`, `point_lost`, `withdrawn`, …
    kind: String,
    /// The body, JSON as a string: exactly the bytes the receipt's entry digests.
    body: String,
    /// When it was queued.
    #[schema(format = DateTime)]
    created: String,
    /// The proof that this is what was journaled.
    receipt: Receipt,
}

/// A bundle of the caller's oldest unacknowledged messages.
#[derive(Serialize, ToSchema)]
pub struct Bundle {
    /// Whose queue.
    recipient: String,
    /// Oldest first.
    messages: Vec<Message>,
}

/// An acknowledgement.
#[derive(Serialize, ToSchema)]
pub struct Ack {
    /// The message.
    id: String,
    /// Whether this call took it out of the queue (`false`: it was out already).
    removed: bool,
}

/// An access point's consumption, clipped to what the caller may see.
#[derive(Serialize, ToSchema)]
pub struct Consumption {
    /// The access point.
    #[schema(pattern = "^[0-9]{18}$")]
    ean: String,
    /// The first local day asked for.
    #[schema(format = Date)]
    from: String,
    /// The local day after the last one asked for.
    #[schema(format = Date)]
    to: String,
    /// `15m`, `1h`, `day` or `month`.
    #[schema(pattern = "^(15m|1h|day|month)$")]
    resolution: String,
    /// Each channel with visible data.
    channels: Vec<ChannelSeries>,
}

/// The channels of metering data.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Electricity taken from the grid, per quarter-hour.
    ElectricityOfftake,
    /// Electricity injected into the grid, per quarter-hour.
    ElectricityInjection,
    /// Gas taken from the grid, per hour.
    GasOfftake,
}

/// One channel's values.
#[derive(Serialize, ToSchema)]
pub struct ChannelSeries {
    /// The channel.
    channel: Channel,
    /// Always `Wh`.
    unit: String,
    /// In time order.
    values: Vec<ConsumptionValue>,
}

/// How far a value can be trusted.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Quality {
    /// Read from the meter.
    Measured,
    /// Computed by the DSO.
    Estimated,
    /// Nothing received.
    Missing,
    /// Refused by a validator.
    Rejected,
    /// Replaced by a validator.
    Corrected,
}

/// One interval, or the sum of the visible intervals of an hour, a day or a month.
#[derive(Serialize, ToSchema)]
pub struct ConsumptionValue {
    /// The first instant covered, Europe/Brussels local time with its offset.
    #[schema(format = DateTime)]
    start: String,
    /// The first instant after.
    #[schema(format = DateTime)]
    end: String,
    /// Wh of the usable intervals; null when none is usable.
    wh: Option<i64>,
    /// The least trusted quality among the intervals.
    quality: Quality,
    /// How many intervals it covers.
    #[schema(minimum = 1)]
    intervals: u32,
}

/// Interval values to write.
#[derive(Serialize, ToSchema)]
pub struct ReadingsRequest {
    /// At most 100.
    rows: Vec<ReadingRow>,
}

/// One interval value, as a line of `cloison import readings` carries it.
#[derive(Serialize, ToSchema)]
pub struct ReadingRow {
    /// The access point.
    #[schema(pattern = "^[0-9]{18}$")]
    ean: String,
    /// `electricity_offtake`, `electricity_injection` or `gas_offtake`.
    channel: String,
    /// The interval's first instant, RFC 3339 with its offset.
    #[schema(format = DateTime)]
    start: String,
    /// A decimal number in `unit` (a string, or a JSON number); empty or null for a missing
    /// interval.
    value: Option<String>,
    /// `Wh` or `kWh`.
    unit: String,
    /// `measured` when empty, `estimated`, `missing`, `rejected` or `corrected`.
    quality: Option<String>,
}

/// What a batch of readings did.
#[derive(Serialize, ToSchema)]
pub struct ImportReport {
    /// Rows received.
    rows: u64,
    /// Rows accepted (written, or held already).
    accepted: u64,
    /// Days written as a new version.
    days_written: u64,
    /// Days that held these values already.
    days_unchanged: u64,
    /// The refused rows.
    refused: Vec<RefusedRow>,
}

/// A refused row.
#[derive(Serialize, ToSchema)]
pub struct RefusedRow {
    /// The row's position (1-based) or the file's line.
    line: u64,
    /// The field at fault (`row` for the row as a whole).
    field: String,
    /// Stable: `bad_ean`, `not_on_interval_boundary`, `unknown_access_point`, …
    code: String,
    /// Why.
    reason: String,
}

/// A finding of the day rules, in the validators' queue.
#[derive(Serialize, ToSchema)]
pub struct Finding {
    /// Its id.
    #[schema(pattern = "^[0-9a-f]{32}$")]
    id: String,
    /// The access point.
    #[schema(pattern = "^[0-9]{18}$")]
    ean: String,
    /// The channel, for a finding on an interval day.
    channel: Option<Channel>,
    /// The register, for a finding on an index reading.
    register: Option<Register>,
    /// The local day.
    #[schema(format = Date)]
    day: String,
    /// The version of the day (or of the index reading) it was found on.
    #[schema(minimum = 1)]
    version: u32,
    /// The rule's stable code: `negative_value`, `impossible_value`, `spike`, `zero_run`, `gap`, …
    rule: String,
    /// The intervals concerned, [first, end), for a rule on the day's series.
    intervals: Option<Vec<u32>>,
    /// The figures behind it.
    reason: String,
    /// When it was found.
    #[schema(format = DateTime)]
    found_at: String,
    /// Always null in the queue: the queue holds the findings not decided yet.
    decision: Option<FindingDecision>,
}

/// A decision as a decided finding carries it.
#[derive(Serialize, ToSchema)]
pub struct FindingDecision {
    /// `accept`, `reject`, `estimate` or `correct`.
    decision: String,
    /// Who decided.
    party: String,
    /// The version of the day written.
    version_written: Option<u32>,
    /// When.
    #[schema(format = DateTime)]
    decided_at: String,
}

/// A validator's decision.
#[derive(Serialize, ToSchema)]
pub struct DecisionRequest {
    /// `accept`, `reject`, `estimate` or `correct`.
    #[schema(pattern = "^(accept|reject|estimate|correct)$")]
    decision: String,
    /// For `correct` only: [interval number, Wh] pairs.
    values: Option<Vec<Vec<i64>>>,
}

/// What a decision did.
#[derive(Serialize, ToSchema)]
pub struct Decision {
    /// The finding decided.
    finding: String,
    /// The decision.
    decision: String,
    /// The version of the day written; null for an acceptance.
    version_written: Option<u32>,
}

/// The registers of a meter an index is read from.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Register {
    /// A single-rate electricity meter.
    Single,
    /// The day register of a dual-rate meter.
    Day,
    /// The night register of a dual-rate meter.
    Night,
    /// The exclusive-night register.
    ExclusiveNight,
    /// A gas meter's volume register.
    Gas,
}

/// An access point's index readings, clipped to the caller's periods.
#[derive(Serialize, ToSchema)]
pub struct IndexReadings {
    /// The access point.
    #[schema(pattern = "^[0-9]{18}$")]
    ean: String,
    /// The first local day asked for.
    #[schema(format = Date)]
    from: String,
    /// The local day after the last one asked for.
    #[schema(format = Date)]
    to: String,
    /// The visible readings, by day and register.
    readings: Vec<IndexReading>,
}

/// One index reading.
#[derive(Serialize, ToSchema)]
pub struct IndexReading {
    /// The register.
    register: Register,
    /// The local day it belongs to.
    #[schema(format = Date)]
    day: String,
    /// When it was read, Europe/Brussels local time with its offset.
    at: String,
    /// The dial's figures in `unit`, three decimals.
    #[schema(pattern = "^[0-9]+\\.[0-9]{3}$")]
    value: String,
    /// `kWh` or `m3`.
    unit: String,
    /// For gas, the calorific value in Wh/m³.
    calorific_value: Option<u32>,
    /// The quality.
    quality: Quality,
    /// `reader_visit`, `customer_card`, `self_reading`, `estimate` or `remote`.
    source: String,
    /// The reading's version.
    #[schema(minimum = 1)]
    version: u32,
}

/// Index readings as posted by the metering team's systems.
#[derive(Serialize, ToSchema)]
pub struct IndexReadingsRequest {
    /// At most 50.
    readings: Vec<IndexReadingRequest>,
}

/// One index reading as posted.
#[derive(Serialize, ToSchema)]
pub struct IndexReadingRequest {
    /// The 18-digit EAN.
    ean: String,
    /// `single`, `day`, `night`, `exclusive_night` or `gas`.
    register: String,
    /// The dial's figures in kWh or m³, at most 3 decimals.
    value: String,
    /// When it was read, RFC 3339 with its offset.
    #[schema(format = DateTime)]
    at: String,
    /// `reader_visit`, `customer_card`, `self_reading`, `estimate` or `remote`.
    source: String,
    /// The reader, for a `reader_visit`.
    reader: Option<String>,
    /// For gas: Wh/m³, 8000–13000.
    calorific_value: Option<u32>,
}

/// What a post of index readings did.
#[derive(Serialize, ToSchema)]
pub struct IndexReport {
    /// Readings received.
    rows: u64,
    /// Readings written.
    written: u64,
    /// Readings held already exactly so.
    unchanged: u64,
    /// What the rules found, filed in the validators' queue.
    findings: u64,
    /// The refused readings.
    refused: Vec<RefusedRow>,
}

/// A meter reader's route today.
#[derive(Serialize, ToSchema)]
pub struct Route {
    /// The reader.
    reader: String,
    /// The local day.
    #[schema(format = Date)]
    day: String,
    /// The access points to read.
    stops: Vec<RouteStop>,
}

/// One access point of a route.
#[derive(Serialize, ToSchema)]
pub struct RouteStop {
    /// The access point.
    #[schema(pattern = "^[0-9]{18}$")]
    ean: String,
    /// Electricity or gas.
    energy: Energy,
    /// Where the meter is.
    address: Address,
    /// The window's first day.
    #[schema(format = Date)]
    window_from: String,
    /// Its last day.
    #[schema(format = Date)]
    window_to: String,
}

/// Access points put on a reader's route for a window.
#[derive(Serialize, ToSchema)]
pub struct RouteAssignRequest {
    /// The reader's party id.
    reader: String,
    /// The window's first day, YYYY-MM-DD.
    #[schema(format = Date)]
    from: String,
    /// Its last day.
    #[schema(format = Date)]
    to: String,
    /// The access points, 1 to 10,000.
    eans: Vec<String>,
}

/// What an assignment did.
#[derive(Serialize, ToSchema)]
pub struct AssignReport {
    /// Stops put on the route.
    assigned: u64,
    /// Stops it had already.
    unchanged: u64,
    /// EANs the register does not know.
    unknown: Vec<String>,
}

/// A customer's written mandate, as the register team records it (R5).
#[derive(Serialize, ToSchema)]
pub struct MandateRequest {
    /// The customer (network user) who signed it.
    customer: String,
    /// The third party or supplier it authorises.
    mandated: String,
    /// The access points it names, 1 to 100, each one the customer occupied.
    eans: Vec<String>,
    /// What it opens: `register`, `consumption`, or both.
    scopes: Vec<String>,
    /// The first instant of data it opens, RFC 3339.
    #[schema(format = DateTime)]
    from: String,
    /// The instant it stops at, RFC 3339; none for open-ended.
    #[schema(format = DateTime)]
    to: Option<String>,
    /// The written document's reference, 1 to 128 printable characters.
    document: String,
}

/// A mandate recorded or revoked.
#[derive(Serialize, ToSchema)]
pub struct MandateRecorded {
    /// The mandate's id.
    mandate: String,
}

/// A mandate on record.
#[derive(Serialize, ToSchema)]
pub struct MandateView {
    /// The mandate's id.
    mandate: String,
    /// The customer who signed it.
    customer: String,
    /// Whom it authorises.
    mandated: String,
    /// What it opens.
    scopes: Vec<String>,
    /// The access points it names.
    eans: Vec<String>,
    /// The first instant of data it opens.
    #[schema(format = DateTime)]
    from: String,
    /// The instant it stops at.
    #[schema(format = DateTime)]
    to: Option<String>,
    /// The written document's reference.
    document: String,
    /// When it was revoked.
    #[schema(format = DateTime)]
    revoked: Option<String>,
}

/// A request for a role (R6).
#[derive(Serialize, ToSchema)]
pub struct AccessRequestBody {
    /// A staff role.
    role: String,
    /// The last day, YYYY-MM-DD, at most a year away.
    #[schema(format = Date)]
    until: String,
}

/// A manager's decision on a request.
#[derive(Serialize, ToSchema)]
pub struct AccessDecisionBody {
    /// `approve` or `refuse`.
    decision: String,
}

/// A request for a role, with its decision.
#[derive(Serialize, ToSchema)]
pub struct AccessRequest {
    /// The request's id.
    request: String,
    /// Who asks.
    party: String,
    /// For which role.
    role: String,
    /// Until which day, included.
    #[schema(format = Date)]
    until: String,
    /// When it was asked.
    #[schema(format = DateTime)]
    requested: String,
    /// `pending`, `approved` or `refused`.
    status: String,
    /// Who decided.
    approver: Option<String>,
    /// The grant an approval made.
    grant: Option<String>,
}

/// A consumption history asked for (R4).
#[derive(Serialize, ToSchema)]
pub struct HistoryRequestBody {
    /// The first Europe/Brussels local day, YYYY-MM-DD.
    #[schema(format = Date)]
    from: String,
    /// The local day after the last one, YYYY-MM-DD; at most 366 days after `from`.
    #[schema(format = Date)]
    to: String,
    /// Whose history: required of staff (on the customer's behalf) and of a mandated party.
    customer: Option<String>,
}

/// Emergency access asked for (R10).
#[derive(Serialize, ToSchema)]
pub struct BreakGlassBody {
    /// `register_staff`, `metering_staff` or `call_center`.
    role: String,
    /// Why, 10 to 500 characters; sealed, shown to the ethics committee.
    reason: String,
    /// How long, 1 to 240 minutes.
    #[schema(minimum = 1, maximum = 240)]
    minutes: u32,
}

/// Emergency access opened.
#[derive(Serialize, ToSchema)]
pub struct BreakGlassOpened {
    /// The grant's id.
    grant: String,
    /// The role it gives.
    role: String,
    /// When it ends by itself, token and grant alike.
    #[schema(format = DateTime)]
    expires: String,
    /// The token's public id.
    token_id: String,
    /// The bearer secret, shown once.
    secret: String,
}

/// One act done under an emergency access.
#[derive(Serialize, ToSchema)]
pub struct BreakGlassAct {
    /// Its journal index.
    index: u64,
    /// When.
    #[schema(format = DateTime)]
    time: String,
    /// What, as the journal names it.
    action: String,
    /// About what.
    subjects: Vec<String>,
    /// How it ended.
    outcome: String,
}

/// One emergency access with every act done under it.
#[derive(Serialize, ToSchema)]
pub struct BreakGlassUse {
    /// The grant's id.
    grant: String,
    /// Who opened it.
    party: String,
    /// The role it gave.
    role: String,
    /// Why, as the person wrote it.
    reason: String,
    /// The token it opened.
    token_id: String,
    /// When.
    #[schema(format = DateTime)]
    opened: String,
    /// When it ends by itself.
    #[schema(format = DateTime)]
    expires: String,
    /// When it was closed before that, if it was.
    #[schema(format = DateTime)]
    closed: Option<String>,
    /// The acts made with its token, in journal order.
    acts: Vec<BreakGlassAct>,
}

/// A command of a producer connection queue (R15): `command` says which, and which of the
/// other fields it takes.
#[derive(Serialize, ToSchema)]
pub struct ConnectionCommand {
    /// `set_capacity` (kw), `acknowledge` (producer, kw, transmission_study?),
    /// `pay_orientation`, `pay_detailed_study`, `send_offer`, `sign`, `order_works`, `withdraw`
    /// (request), `extend` (request, working_days), `extend_works` (request, until, permit),
    /// `remove` (request, reason).
    #[schema(
        pattern = "^(set_capacity|acknowledge|pay_orientation|pay_detailed_study|send_offer|extend|sign|extend_works|order_works|withdraw|remove)$"
    )]
    command: String,
    /// The day it happened, Europe/Brussels (default today); never after today.
    #[schema(format = Date)]
    day: Option<String>,
    /// A capacity, whole kW, 0 to 100,000,000 (at least 1 for a request).
    #[schema(minimum = 0, maximum = 100_000_000)]
    kw: Option<u64>,
    /// The producer, a network user's party id.
    producer: Option<String>,
    /// Whether transmission or local-transmission studies are needed.
    transmission_study: Option<bool>,
    /// The request, `SUBSTATION/N` or `SUBSTATION/N.P`.
    request: Option<String>,
    /// An extension of the acceptance window, 1 to 20 working days.
    #[schema(minimum = 1, maximum = 20)]
    working_days: Option<u32>,
    /// The new last day to order the works.
    #[schema(format = Date)]
    until: Option<String>,
    /// The permit certificate's reference.
    permit: Option<String>,
    /// What changed in the installation.
    reason: Option<String>,
}

/// The day of a daily run.
#[derive(Serialize, ToSchema)]
pub struct DailyRequest {
    /// The day run for (default today); never after today.
    #[schema(format = Date)]
    day: Option<String>,
}

/// What a command or a daily run did to one request, or to the queue.
#[derive(Serialize, ToSchema)]
pub struct ConnectionHappening {
    /// The request, or none for the queue itself.
    request: Option<String>,
    /// What happened: capacity_set, acknowledged, orientation_paid, reserved, split, waiting,
    /// reoffered, offered, reminder, extended, signed, works_extended, works_ordered, lapsed,
    /// withdrawn, removed.
    what: String,
    /// Capacity concerned, kW.
    kw: Option<u32>,
    /// The deadline it set.
    #[schema(format = Date)]
    due: Option<String>,
    /// Whether the regulator is told.
    regulator: bool,
}

/// A queue's capacity figures, kW.
#[derive(Serialize, ToSchema)]
pub struct ConnectionFigures {
    /// Hosting capacity.
    capacity_kw: u32,
    /// Reserved by requests being studied or offered.
    reserved_kw: u32,
    /// Acquired by signed contracts.
    allocated_kw: u32,
    /// Free.
    free_kw: u32,
    /// Asked by requests on the waiting list.
    waiting_kw: u32,
    /// Requests still in the procedure.
    active_requests: u32,
}

/// A request's place: the acknowledgement's day, the filing number, the part.
#[derive(Serialize, ToSchema)]
pub struct ConnectionRank {
    /// The admissibility acknowledgement's day.
    #[schema(format = Date)]
    acknowledged: String,
    /// The order acknowledgements were recorded in on the substation.
    filing: u32,
    /// 0 for the request as filed, then each waiting part split off it.
    part: u32,
}

/// A connection request (or one part of it) with every deadline.
#[derive(Serialize, ToSchema)]
pub struct ConnectionRequest {
    /// `SUBSTATION/N`, `.P` for a part.
    id: String,
    /// The producer.
    producer: String,
    /// Its place.
    rank: ConnectionRank,
    /// The installation's power, kW.
    installation_kw: u32,
    /// The capacity this request or part asks for, kW.
    kw: u32,
    /// Whether transmission studies are needed.
    transmission_study: bool,
    /// queued, waiting, studying, offered, signed, works_ordered, lapsed, withdrawn, removed.
    state: String,
    /// The day of the last change.
    #[schema(format = Date)]
    changed: String,
    /// The orientation study report's due day.
    #[schema(format = Date)]
    orientation_report_due: Option<String>,
    /// The detailed study's payment day.
    #[schema(format = Date)]
    study_paid: Option<String>,
    /// The day the reservation runs from.
    #[schema(format = Date)]
    reserved_from: Option<String>,
    /// Whether the capacity offered is only part of what was asked.
    partial: bool,
    /// The proposal's due day.
    #[schema(format = Date)]
    offer_due: Option<String>,
    /// The day the proposal was sent.
    #[schema(format = Date)]
    offered: Option<String>,
    /// The last day to sign and pay.
    #[schema(format = Date)]
    accept_by: Option<String>,
    /// The reminder's day.
    #[schema(format = Date)]
    reminder_on: Option<String>,
    /// Whether the reminder was sent.
    reminded: bool,
    /// Working days of extension granted.
    extended_days: u32,
    /// The signature day.
    #[schema(format = Date)]
    signed: Option<String>,
    /// The last day to order the works.
    #[schema(format = Date)]
    works_by: Option<String>,
    /// The permit reference that extended the works deadline.
    works_permit: Option<String>,
    /// The day the procedure ended.
    #[schema(format = Date)]
    ended: Option<String>,
    /// Why it ended.
    end_reason: Option<String>,
    /// Whether the regulator was told.
    regulator_told: bool,
}

/// What a command did.
#[derive(Serialize, ToSchema)]
pub struct ConnectionOutcome {
    /// The substation.
    substation: String,
    /// The command.
    command: String,
    /// What happened.
    happened: Vec<ConnectionHappening>,
    /// The queue's figures after.
    figures: ConnectionFigures,
    /// The request named or filed.
    request: Option<ConnectionRequest>,
}

/// A request with its position in its queue.
#[derive(Serialize, ToSchema)]
pub struct RankedConnectionRequest {
    /// Its position among the requests in the procedure.
    position: Option<u32>,
    /// The request.
    #[serde(flatten)]
    request: ConnectionRequest,
}

/// A substation's queue.
#[derive(Serialize, ToSchema)]
pub struct ConnectionQueue {
    /// The substation.
    substation: String,
    /// Its figures.
    figures: ConnectionFigures,
    /// Every request, in rank order.
    requests: Vec<RankedConnectionRequest>,
}

/// A producer's own request.
#[derive(Serialize, ToSchema)]
pub struct OwnConnection {
    /// The substation.
    substation: String,
    /// Its position among the requests in the procedure.
    position: Option<u32>,
    /// The queue's figures.
    figures: ConnectionFigures,
    /// The request.
    request: ConnectionRequest,
}

/// One queue's part of a daily run.
#[derive(Serialize, ToSchema)]
pub struct DailyQueue {
    /// The substation.
    substation: String,
    /// What happened.
    happened: Vec<ConnectionHappening>,
}

/// What a daily run did.
#[derive(Serialize, ToSchema)]
pub struct DailyReport {
    /// The day run for.
    #[schema(format = Date)]
    day: String,
    /// Queues checked.
    queues: u32,
    /// Queues where something happened.
    changed: Vec<DailyQueue>,
}

/// The queues rebuilt from their journaled commands, beside the stored ones.
#[derive(Serialize, ToSchema)]
pub struct ConnectionAudit {
    /// Commands replayed.
    commands: u32,
    /// Queues compared.
    queues: u32,
    /// Requests compared.
    requests: u32,
    /// The first difference, named; none when the stored queues are what the commands make.
    first_difference: Option<String>,
}

/// A work request as captured (R13).
#[derive(Serialize, ToSchema)]
pub struct WorkCapture {
    /// new_connection, connection_change, meter_change or removal.
    kind: String,
    /// The requester's party id.
    requester: String,
    /// customer, third_party, public_body, supplier or internal.
    requester_kind: String,
    /// The capture module's fields: requester_name, billing_address, description (required);
    /// phone, email, ean, vat_rate (allowed). Nothing else.
    fields: BTreeMap<String, String>,
    /// The day (default today); never after today.
    #[schema(format = Date)]
    day: Option<String>,
}

/// A step of a work request.
#[derive(Serialize, ToSchema)]
pub struct WorkStep {
    /// study, offer, accept, plan, execute, invoice or cancel.
    step: String,
    /// The step's module's fields (none for accept and cancel).
    fields: Option<BTreeMap<String, String>>,
    /// The day (default today); never after today nor before the request's last step.
    #[schema(format = Date)]
    day: Option<String>,
}

/// The technical record a closed request leaves: no personal data.
#[derive(Serialize, ToSchema)]
pub struct AssetRecord {
    /// The access point.
    ean: Option<String>,
    /// What the work was.
    kind: String,
    /// The power made available, kVA.
    power_kva: String,
    /// The supply type.
    supply_type: String,
    /// The meter type.
    meter_type: String,
    /// The meter number.
    meter_number: String,
}

/// A work request as the works team or its requester sees it.
#[derive(Serialize, ToSchema)]
pub struct WorkView {
    /// Its id.
    id: String,
    /// Its version, one per step.
    version: i64,
    /// The day of its last step.
    #[schema(format = Date)]
    changed: String,
    /// What the work is.
    kind: String,
    /// Who asked.
    requester: String,
    /// What kind of requester.
    requester_kind: String,
    /// The access point.
    ean: Option<String>,
    /// captured, studied, offered, accepted, planned, executed, closed or cancelled.
    stage: String,
    /// What each module kept, personal fields apart.
    fields: BTreeMap<String, String>,
    /// The personal fields that remain.
    personal: BTreeMap<String, String>,
    /// The categories of personal data purged.
    purged: Vec<String>,
    /// The technical record, once closed.
    asset: Option<AssetRecord>,
}

/// One purge of the retention schedule.
#[derive(Serialize, ToSchema)]
pub struct Purge {
    /// The request.
    request: String,
    /// contact or invoice.
    category: String,
    /// The legal basis of the period it was kept.
    legal_basis: String,
}

/// What a run of the retention schedule purged.
#[derive(Serialize, ToSchema)]
pub struct RetentionReport {
    /// The day it ran for.
    #[schema(format = Date)]
    day: String,
    /// Requests looked at (closed or cancelled).
    ended: u32,
    /// Each purge.
    purged: Vec<Purge>,
}

/// A closed request's asset record as the works team views it.
#[derive(Serialize, ToSchema)]
pub struct AssetView {
    /// The request that left it.
    request: String,
    /// The technical data.
    asset: AssetRecord,
    /// The network user occupying the access point now, from the register.
    network_user: Option<String>,
    /// The start of the supply contract in force now, from the register.
    #[schema(format = DateTime)]
    contract_from: Option<String>,
}

/// A consent as given (R14): its terms; the days are inclusive.
#[derive(Serialize, ToSchema)]
pub struct ConsentGiven {
    /// The purposes, as the agreements name them (a-z, 0-9, _).
    purposes: Vec<String>,
    /// quarter_hourly or daily.
    categories: Vec<String>,
    /// The research partners' party ids.
    partners: Vec<String>,
    /// The first day of data covered.
    #[schema(format = Date)]
    from: String,
    /// The last day of data covered.
    #[schema(format = Date)]
    to: String,
}

/// A consent with its receipt (Kantara Consent Receipt v1.1 shape).
#[derive(Serialize, ToSchema)]
pub struct ConsentView {
    /// The receipt's id.
    id: String,
    /// Whose.
    subject: String,
    /// What was agreed.
    #[schema(value_type = Object)]
    terms: serde_json::Value,
    /// When it was given.
    #[schema(format = DateTime)]
    given_at: String,
    /// When it was withdrawn.
    #[schema(format = DateTime)]
    withdrawn_at: Option<String>,
    /// The receipt.
    #[schema(value_type = Object)]
    receipt: serde_json::Value,
}

/// A request about one's data as filed.
#[derive(Serialize, ToSchema)]
pub struct SubjectRequestFiled {
    /// access or rectification.
    kind: String,
    /// What is asked, in the subject's words (1 to 2,000 characters).
    details: String,
}

/// An answer to a request.
#[derive(Serialize, ToSchema)]
pub struct SubjectAnswerGiven {
    /// done or refused.
    outcome: String,
    /// What was done, or why not (1 to 2,000 characters).
    note: String,
}

/// A data subject's request as it stands.
#[derive(Serialize, ToSchema)]
pub struct SubjectRequestView {
    /// Its id.
    id: String,
    /// 1 when filed, 2 once answered.
    version: i64,
    /// Whose.
    subject: String,
    /// access or rectification.
    kind: String,
    /// When it was received.
    #[schema(format = DateTime)]
    received_at: String,
    /// The day the answer is due.
    #[schema(format = Date)]
    due: String,
    /// open, done or refused.
    state: String,
    /// What was asked.
    details: String,
    /// The answer: a note, and for access everything held.
    #[schema(value_type = Option<Object>)]
    answer: Option<serde_json::Value>,
    /// When it last changed.
    #[schema(format = DateTime)]
    changed_at: String,
    /// Still open after its due day.
    overdue: bool,
}

/// A research partner's agreement as recorded.
#[derive(Serialize, ToSchema)]
pub struct AgreementGiven {
    /// The partner's party id (a researcher).
    partner: String,
    /// The signed agreement's reference.
    reference: String,
    /// The purposes it allows.
    purposes: Vec<String>,
    /// quarter_hourly or daily.
    categories: Vec<String>,
    /// The substations of the study; none for the whole grid.
    substations: Option<Vec<String>>,
    /// The first day of data.
    #[schema(format = Date)]
    from: String,
    /// The last day of data.
    #[schema(format = Date)]
    to: String,
}

/// An agreement as stored.
#[derive(Serialize, ToSchema)]
pub struct StoredAgreement {
    /// Its id.
    id: String,
    /// The agreement.
    #[schema(value_type = Object)]
    agreement: serde_json::Value,
    /// When it was recorded.
    #[schema(format = DateTime)]
    recorded_at: String,
}

/// An extract asked for.
#[derive(Serialize, ToSchema)]
pub struct ExtractAsked {
    /// The agreement's id.
    agreement: String,
    /// One of its purposes.
    purpose: String,
    /// quarter_hourly or daily.
    category: String,
}

/// An extract as listed.
#[derive(Serialize, ToSchema)]
pub struct ExtractMeta {
    /// Its id.
    id: String,
    /// The partner.
    partner: String,
    /// The agreement.
    agreement: String,
    /// The purpose.
    purpose: String,
    /// The category.
    category: String,
    /// When it was made.
    #[schema(format = DateTime)]
    made_at: String,
    /// Participants in it.
    participants: i64,
    /// Rows in it.
    rows: i64,
    /// SHA-256 of its CSV, hex.
    digest: String,
}

/// An extract with its CSV.
#[derive(Serialize, ToSchema)]
pub struct ExtractView {
    /// Its id.
    id: String,
    /// The partner.
    partner: String,
    /// The agreement.
    agreement: String,
    /// The purpose.
    purpose: String,
    /// The category.
    category: String,
    /// When it was made.
    #[schema(format = DateTime)]
    made_at: String,
    /// Participants in it.
    participants: i64,
    /// Rows in it.
    rows: i64,
    /// SHA-256 of its CSV, hex.
    digest: String,
    /// participant,point,channel,day,start,wh; every id a pseudonym of the partner's.
    csv: String,
}

/// A cell of an aggregate: its value and points, or only that it is withheld.
#[derive(Serialize, ToSchema)]
pub struct AggregateCell {
    /// Watt-hours, when published.
    wh: Option<i64>,
    /// Access points summed, when published.
    points: Option<u32>,
    /// True when withheld.
    withheld: Option<bool>,
}

/// One area's row.
#[derive(Serialize, ToSchema)]
pub struct AggregateRow {
    /// The substation or municipality.
    area: String,
    /// One cell per period.
    cells: Vec<AggregateCell>,
    /// The area over the range.
    total: AggregateCell,
}

/// The rules a table was protected with.
#[derive(Serialize, ToSchema)]
pub struct AggregateRules {
    /// Fewest points per published cell.
    min_points: u32,
    /// Largest share of one point, percent.
    max_share: Option<u32>,
    /// The p% rule's p.
    p_percent: Option<u32>,
}

/// A protected table of consumption (R14).
#[derive(Serialize, ToSchema)]
pub struct AggregateTable {
    /// substation or municipality.
    level: String,
    /// month, day or hour.
    granularity: String,
    /// The first day.
    #[schema(format = Date)]
    from: String,
    /// The last day.
    #[schema(format = Date)]
    to: String,
    /// The rules applied.
    rules: AggregateRules,
    /// The periods, in order.
    periods: Vec<String>,
    /// One row per area.
    rows: Vec<AggregateRow>,
    /// Each period over every area.
    period_totals: Vec<AggregateCell>,
    /// Everything.
    total: AggregateCell,
    /// Interval values read.
    values_read: u64,
}

/// A contact center configuration to load.
#[derive(Serialize, ToSchema)]
pub struct ContactConfigBody {
    /// The configuration's TOML text (see `cloison contact config check --help`).
    config: String,
}

/// A principal of the contact center, as configured.
#[derive(Serialize, ToSchema)]
pub struct PrincipalView {
    /// Its id.
    id: String,
    /// Its name.
    name: String,
    /// dso, supplier or other.
    kind: String,
    /// Its entry points, `channel:address`.
    entry_points: Vec<String>,
    /// Its queues, with the skills each needs.
    queues: BTreeMap<String, Vec<String>>,
    /// Its routing rules' ids, in order.
    rules: Vec<String>,
    /// Its operators, with their skills.
    operators: BTreeMap<String, Vec<String>>,
    /// Its procedures' ids.
    procedures: Vec<String>,
    /// Its service-level threshold, seconds.
    service_level_seconds: u32,
}

/// The contact center's configuration as loaded.
#[derive(Serialize, ToSchema)]
pub struct ContactConfigView {
    /// Its version, one per load.
    version: i64,
    /// The SHA-256 of its text, hex.
    sha256: String,
    /// Its principals.
    principals: Vec<PrincipalView>,
}

/// A new interaction, as the platform reports it.
#[derive(Serialize, ToSchema)]
pub struct NewInteraction {
    /// call, mail, sms or chat.
    channel: String,
    /// The entry point's address: the dialled number (E.164), the mailbox, the chat id.
    entry: String,
    /// What the routing rules read (language, ivr, …).
    attributes: Option<BTreeMap<String, String>>,
    /// The caller's number, E.164.
    caller: Option<String>,
    /// A customer reference an IVR captured.
    identifier: Option<String>,
    /// When it was offered, seconds since the epoch (default now).
    at: Option<i64>,
    /// The operators free now.
    available: Option<Vec<String>>,
}

/// One step of a routing plan.
#[derive(Serialize, ToSchema)]
pub struct PlanStep {
    /// The queue.
    queue: String,
    /// How long the interaction waits there before falling through (0: no limit).
    timeout_seconds: u32,
    /// The operators eligible there now.
    operators: Vec<String>,
}

/// What happened to an interaction after it was offered.
#[derive(Serialize, ToSchema)]
pub struct ContactEvent {
    /// Its number within the interaction.
    n: i64,
    /// answered, transferred, ended or abandoned.
    kind: String,
    /// When, seconds since the epoch.
    at: i64,
    /// For a transfer: the queue it went to.
    queue: Option<String>,
    /// The operator.
    operator: Option<String>,
    /// After-call work, seconds.
    wrap_seconds: i64,
}

/// An interaction as recorded: references and history, no customer data.
#[derive(Serialize, ToSchema)]
pub struct InteractionView {
    /// Its id.
    id: String,
    /// Its principal.
    principal: String,
    /// Its channel.
    channel: String,
    /// The entry point's address.
    entry: String,
    /// The rule that routed it.
    rule: Option<String>,
    /// The queue it was routed to.
    queue: String,
    /// The operator it was offered to.
    operator: Option<String>,
    /// The customer's reference in the principal's directory, once identified.
    customer: Option<String>,
    /// When it was offered, seconds since the epoch.
    offered_at: i64,
    /// offered, answered, ended or abandoned.
    state: String,
    /// What happened since.
    events: Vec<ContactEvent>,
}

/// An interaction routed and recorded.
#[derive(Serialize, ToSchema)]
pub struct RoutedView {
    /// The interaction.
    interaction: InteractionView,
    /// The routing plan.
    plan: Vec<PlanStep>,
}

/// An event of an interaction, as posted.
#[derive(Serialize, ToSchema)]
pub struct InteractionEvent {
    /// answered, transferred, ended or abandoned.
    kind: String,
    /// When, seconds since the epoch (default now).
    at: Option<i64>,
    /// For a transfer: a queue of the same principal.
    queue: Option<String>,
    /// For an end: the after-call work, seconds.
    wrap_seconds: Option<u32>,
}

/// A screen pop as asked.
#[derive(Serialize, ToSchema)]
pub struct ScreenPopBody {
    /// call, mail, sms or chat.
    channel: String,
    /// The entry point's address.
    entry: String,
    /// The caller's number, E.164.
    caller: Option<String>,
    /// A customer reference an IVR captured.
    identifier: Option<String>,
}

/// A case of a principal's customer.
#[derive(Serialize, ToSchema)]
pub struct ContactCase {
    /// Its id.
    id: String,
    /// Its version, one per step.
    version: i64,
    /// Its principal.
    principal: String,
    /// The customer's reference in the principal's directory.
    customer: String,
    /// The procedure it follows.
    procedure: String,
    /// The steps done.
    step: i64,
    /// open or closed.
    state: String,
    /// The operator of the last step.
    operator: String,
    /// When the last step was written, seconds since the epoch.
    changed_at: i64,
}

/// A customer on the operator's screen.
#[derive(Serialize, ToSchema)]
pub struct ScreenCustomer {
    /// Their reference in the principal's directory.
    customer: String,
    /// Their name.
    name: String,
    /// Their open cases.
    open_cases: Vec<ContactCase>,
}

/// The operator's screen.
#[derive(Serialize, ToSchema)]
pub struct ScreenPop {
    /// The entry point's principal.
    principal: String,
    /// Its name.
    principal_name: String,
    /// The matching customers of its directory.
    customers: Vec<ScreenCustomer>,
}

/// A case to open.
#[derive(Serialize, ToSchema)]
pub struct CaseBody {
    /// The principal.
    principal: String,
    /// The customer's reference in its directory.
    customer: String,
    /// One of its procedures.
    procedure: String,
}

/// A customer to load into a directory.
#[derive(Serialize, ToSchema)]
pub struct DirectoryEntry {
    /// Their reference in the principal's systems.
    customer: String,
    /// Their number, E.164.
    number: String,
    /// Their name.
    name: String,
}

/// A directory load.
#[derive(Serialize, ToSchema)]
pub struct DirectoryBody {
    /// The principal.
    principal: String,
    /// The customers.
    entries: Vec<DirectoryEntry>,
}

/// What a directory load did.
#[derive(Serialize, ToSchema)]
pub struct DirectoryLoaded {
    /// The principal.
    principal: String,
    /// Entries added.
    added: u64,
    /// Entries the directory held already.
    unchanged: u64,
}

/// The contact center's KPIs over a period.
#[derive(Serialize, ToSchema)]
pub struct Kpis {
    /// Interactions offered (ended in the period).
    offered: u64,
    /// Answered.
    answered: u64,
    /// Abandoned.
    abandoned: u64,
    /// Abandoned within 6 s: left out of the service level with abandons and the rate.
    short_abandons: u64,
    /// Answered within the threshold over answered.
    service_level: Option<f64>,
    /// Answered within the threshold over answered and abandoned (short abandons left out).
    service_level_with_abandons: Option<f64>,
    /// Abandoned (short ones left out) over offered (short ones left out).
    abandonment_rate: Option<f64>,
    /// Talk and after-call work per answered interaction, seconds.
    average_handling_seconds: Option<f64>,
    /// Wait before answer per answered interaction, seconds.
    average_speed_of_answer_seconds: Option<f64>,
}

/// Volumes at one entry point.
#[derive(Serialize, ToSchema)]
pub struct EntryVolume {
    /// The entry point, `channel:address`.
    entry: String,
    /// Offered.
    offered: u64,
    /// Answered.
    answered: u64,
    /// Abandoned.
    abandoned: u64,
}

/// One operator's activity.
#[derive(Serialize, ToSchema)]
pub struct OperatorActivity {
    /// The operator's party id.
    operator: String,
    /// Interactions handled.
    handled: u64,
    /// Handling time, seconds.
    handling_seconds: u64,
    /// Staffed time, seconds.
    staffed_seconds: u64,
    /// Handling over staffed time.
    occupancy: Option<f64>,
}

/// What is going on now.
#[derive(Serialize, ToSchema)]
pub struct Live {
    /// Offered, not yet answered.
    waiting: u64,
    /// Answered, not yet ended.
    in_progress: u64,
}

/// One principal's report over a period.
#[derive(Serialize, ToSchema)]
pub struct ContactReport {
    /// The principal.
    principal: String,
    /// The period's start, seconds since the epoch.
    from: i64,
    /// Its end (exclusive).
    until: i64,
    /// The service-level threshold, seconds.
    threshold_seconds: u32,
    /// The KPIs.
    kpis: Kpis,
    /// Volumes per entry point.
    entry_points: Vec<EntryVolume>,
    /// Each operator's activity.
    operators: Vec<OperatorActivity>,
    /// What is going on now.
    live: Live,
}

/// An operator's shift to record, once ended.
#[derive(Serialize, ToSchema)]
pub struct ShiftBody {
    /// The principal the operator served.
    principal: String,
    /// Its start, RFC 3339.
    #[schema(format = DateTime)]
    from: String,
    /// Its end, RFC 3339; not in the future.
    #[schema(format = DateTime)]
    until: String,
}

/// An operator's shift as recorded.
#[derive(Serialize, ToSchema)]
pub struct Shift {
    /// The operator's party id.
    operator: String,
    /// Its start, seconds since the epoch.
    from: i64,
    /// Its end, seconds since the epoch.
    until: i64,
}
