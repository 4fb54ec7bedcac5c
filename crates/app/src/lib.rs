//! The use cases of Cloison: the one door through which data enters and leaves (I1).
//!
//! The CLI and the HTTP server hold a [`Cloison`] and nothing else of the data layer: every
//! read and write is a method here that takes the acting party and passes the one gate
//! (`gate.rs`): the Cedar decision, the run, the digest of exactly what leaves, the journal
//! entry naming the policies that decided. Answers are views built for the caller, not store
//! rows, so what leaves is decided here and nowhere else.
#![warn(missing_docs)]

mod access;
mod access_log;
mod against;
mod aggregates;
mod audit;
mod contact;
mod door;
mod export;
mod gate;
mod health;
mod history;
mod iam;
mod index_readings;
mod judged;
mod mandates;
mod market;
mod metering;
mod naive;
mod producers;
mod reference;
mod register;
mod research;
mod settings;
mod sign_in;
pub mod wire;
mod witnessed;
mod works;
mod write;

pub use access_log::{ACCESS_LOG_MAX_LIMIT, AccessLog, AccessLogEntry, AccessLogQuery, Accessor};
pub use against::Divergence;
pub use aggregates::{AggregateQuery, AggregateRow, AggregateTable, CellView, Granularity, Level, RulesView};
pub use audit::VerificationView;
pub use contact::{
    ContactConfigView, ContactReport, DirectoryLine, DirectoryLoaded, EntryVolume, InteractionEvent,
    InteractionView, Live, NewInteraction, PlanStep, PrincipalView, RoutedView, SUPERVISOR_SKILL,
    ScreenCustomer, ScreenPop, Simulated, check_contact_config, sample_config,
};
pub use domain::{Change, Role};
pub use door::{AccessPointView, ClippedHistory, Me};
pub use ed25519_dalek::{SigningKey, VerifyingKey};
pub use export::ExportReport;
pub use gate::Sent;
pub use health::SystemHealth;
pub use history::IssuedHistory;
pub use iam::{
    AccessCheck, BREAK_GLASS_ROLES, BreakGlassAct, BreakGlassOpened, BreakGlassUse,
    DEFAULT_MAX_REMOVAL_PERCENT, DUTIES_CSV, JOBS_CSV, MAX_BREAK_GLASS, SyncInput, SyncReport, Violation,
    catalogue,
};
pub use index_readings::{
    AssignReport, IndexPost, IndexReadingsView, IndexReport, IndexView, MAX_INDEX_DAYS, MAX_INDEX_ROWS,
    PostError, RouteStopView, RouteView, local_day, standard_yearly_wh,
};
pub use journal::{Checkpoint, Hash, NoteError, Origin, SignedTreeHead};
pub use judged::assumed_dial;
pub use mandates::MAX_SAMPLE;
pub use market::{
    AckTicket, AckView, Bundle, DayRun, MARKET_KINDS, MAX_BUNDLE, MAX_KEY_LEN, MarketAnswer, MarketTicket,
    MessageView, Placement, Receipt, ReceiptError, ScenarioView, market_today, queue_name, verify_receipt,
};
pub use metering::{
    Batch, ChannelSeries, ConsumptionValue, ConsumptionView, DecisionView, ImportMode, ImportReport,
    MAX_CONSUMPTION_DAYS, MAX_IMPORT_ROWS, PlacedRow, RefusedRow, Resolution, Verdict, assumed_connection,
};
pub use naive::NaiveBench;
pub use policy::{Policy, PolicyError};
pub use producers::{
    ConnectionAudit, ConnectionOutcome, DailyQueue, DailyReport, OwnRequest, QueueView, RankedRequest,
};
pub use register::{HistoryView, Holder, PartyRef, RecordView, RegisterView, WriteTicket};
pub use research::{CONTACT_POINT, CONTROLLER, ConsentView, ExtractView, SubjectRequestView};
pub use sign_in::{REFUSED_SESSION_REASONS, SignedIn, WEB_DOOR};
pub use store::mandate::MandateView;
pub use store::metering::{Decided, StoredFinding};
pub use store::naive::NaiveValue;
pub use store::staff::{AccessRequest, GrantView};
pub use store::{
    Backend, Counts, JournalFault, JournalQuery, Keys, MasterKey, Opening, STORE_META, Store, StoreError,
    StoredEntry, Verified, VerifyError, Written, redacted, sqlite_url,
};
pub use wire::{ConsistencyProofView, HeadView, InclusionProofView};
pub use works::{AssetView, Purge, RETENTION_CSV, RetentionReport, WorkView};

use domain::PartyId;

/// Who is acting: a party in a role, within a session. Every use case takes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The party acting.
    pub party: PartyId,
    /// The role it acts in.
    pub role: Role,
    /// The request or session, so the journal can group what one sitting did.
    pub session: String,
}

/// Why a use case did not answer.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The register does not know this access point.
    #[error("ean: access point {0} is not in the register")]
    UnknownAccessPoint(domain::Ean),
    /// The journal has no entry at this index (it is not below the journal's size).
    #[error("index: the journal has no entry {0}")]
    NoSuchEntry(u64),
    /// Not there, or not for this caller: one answer for both, so it is no oracle (I5).
    #[error("not_visible: no access point visible to you at this EAN")]
    NotVisible,
    /// No such thing (a scenario, a message) visible to this caller with this id: unknown
    /// and someone else's are one answer, so ids are no oracle (I5).
    #[error("not_visible: no {0} visible to you with this id")]
    NoSuch(&'static str),
    /// An idempotency key used before by the same party for another request: the first
    /// request's answer is not this one's, and nothing was done.
    #[error("Idempotency-Key: idempotency_key_reused: this key was used before for another request")]
    KeyReused,
    /// The role may not use this function at all (not about one access point).
    #[error("forbidden: your role may not do this")]
    Forbidden,
    /// The input broke a rule; nothing was changed.
    #[error(transparent)]
    Invalid(StoreError),
    /// Lines of an input file (an HR extract) were refused, each with its line and field;
    /// nothing was changed.
    #[error("{} line(s) refused, nothing was changed; first: {}", .0.len(), .0.first().map(ToString::to_string).unwrap_or_default())]
    BadLines(Vec<domain::staff::LineError>),
    /// Our side failed; the cause is logged, not shown.
    #[error("internal error: {0}")]
    Internal(StoreError),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        if e.is_input() { AppError::Invalid(e) } else { AppError::Internal(e) }
    }
}

/// The application: the store behind the one door.
#[derive(Clone)]
pub struct Cloison {
    store: Store,
    policy: std::sync::Arc<Policy>,
    origin: Origin,
    /// The latest checkpoint note witnesses cosigned (`witnessed.rs`), shared by every clone.
    cosigned: std::sync::Arc<std::sync::RwLock<Option<String>>>,
    /// The market's windows, notice periods and last resort.
    market: domain::scenario::Config,
    /// Failed sign-ins of names that are no party with a password, shared by every clone
    /// (`sign_in.rs`): they lock like a real party's, so a name is no oracle (I5).
    door: std::sync::Arc<std::sync::Mutex<sign_in::DoorFailures>>,
    /// The contact center's configuration in force, compiled (`contact.rs`).
    contact: contact::ContactCache,
}

impl Cloison {
    /// Opens the store at `url` with its keys, under the policies built into the binary.
    /// Errors in what the caller gave (the URL, the file) come back as [`AppError::Invalid`],
    /// so a front end can tell a typo from a failure on our side.
    pub async fn open(url: &str, keys: &Keys, opening: Opening) -> Result<Cloison, AppError> {
        let policy = Policy::embedded().map_err(|e| {
            AppError::Internal(StoreError::Config { field: "policies", reason: e.to_string() })
        })?;
        Self::open_with_policy(url, keys, opening, policy).await
    }

    /// Opens the store under a policy set loaded and validated by the caller.
    pub async fn open_with_policy(
        url: &str,
        keys: &Keys,
        opening: Opening,
        policy: Policy,
    ) -> Result<Cloison, AppError> {
        let store = Store::open(url, keys, opening).await?;
        Ok(Cloison {
            store,
            policy: std::sync::Arc::new(policy),
            origin: Origin::default(),
            cosigned: std::sync::Arc::default(),
            market: domain::scenario::Config::default(),
            door: std::sync::Arc::default(),
            contact: std::sync::Arc::default(),
        })
    }

    /// Names the journal in its checkpoint notes. Set after opening, since only the front ends
    /// that publish checkpoints (`serve`, `journal checkpoint --note`) need it; without it the
    /// notes carry [`journal::DEFAULT_ORIGIN`].
    pub fn with_journal_origin(self, origin: Origin) -> Cloison {
        Cloison { origin, ..self }
    }

    /// Runs the market under `config` instead of the documented defaults
    /// (`domain::scenario::Config::default`).
    pub fn with_market_config(self, market: domain::scenario::Config) -> Cloison {
        Cloison { market, ..self }
    }

    /// The `@id`s of the policies in force, sorted: every reason a journal entry may give,
    /// besides [`policy::DEFAULT_DENY`] and [`policy::EVALUATION_ERROR`].
    pub fn policy_ids(&self) -> Vec<String> {
        self.policy.ids().into_iter().map(str::to_owned).collect()
    }

    /// Which backend runs underneath, for the start-up banner.
    pub fn backend(&self) -> Backend {
        self.store.backend()
    }

    /// A key for one front end's own state (the web door's cookies and form tokens), derived
    /// from the installation's key under `purpose`: it survives a restart, so sessions do, and
    /// it is never the key that seals data or any other front end's.
    pub fn front_end_key(&self, purpose: &str) -> [u8; 32] {
        self.store.derived_secret(&format!("front end:{purpose}"))
    }

    /// Closes the store cleanly.
    pub async fn close(&self) {
        self.store.close().await;
    }
}
