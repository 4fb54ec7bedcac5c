//! A network user's consumption history as a document (R4, R8): the customer asks for it, or
//! staff ask on their behalf, or a party the customer mandated for their consumption (R5).
//!
//! The document covers the customer's occupancy periods only (for a mandated party, the
//! mandate's periods within them), goes to the shipping address the supplier gave (or to the
//! mandated party), and is issued by one writer command: the command takes its journal slot,
//! prints that slot's index in the document's label (PDF footer, CSV first line), typesets it,
//! and journals the issue with the PDF's digest and the CSV's, so the entry and the document
//! name each other.

use document::{Confidentiality, History, Label, Month, Period as DocPeriod};
use domain::metering::Channel;
use domain::{Ean, PartyId, Role};
use jiff::Timestamp;
use jiff::civil::Date;
use policy::{Action, Visible};
use serde::Serialize;
use sha2::{Digest, Sha256};
use store::journal::{Command, Done};
use store::{StoreError, WriteTx};

use crate::gate::Ask;
use crate::metering::{Resolution, fold};
use crate::{Actor, AppError, Cloison};

/// A history issued: both files, their label and digests, and whom they go to.
#[derive(Debug, Clone, Serialize)]
pub struct IssuedHistory {
    /// The journal index of the entry that records the issue, printed on the document.
    pub journal_index: u64,
    /// The label as printed.
    pub label: String,
    /// How confidential, as the label says: for a front end's own headers.
    #[serde(skip)]
    pub confidentiality: Confidentiality,
    /// To whom it goes.
    pub addressee: Vec<String>,
    /// The PDF.
    #[serde(skip)]
    pub pdf: Vec<u8>,
    /// The CSV.
    #[serde(skip)]
    pub csv: String,
    /// SHA-256 of the PDF, hex, as journaled.
    pub pdf_sha256: String,
    /// SHA-256 of the CSV, hex, as journaled.
    pub csv_sha256: String,
}

fn invalid(field: &'static str, reason: String) -> AppError {
    AppError::Invalid(StoreError::Config { field, reason })
}

impl Cloison {
    /// Issues the consumption history of `ean` on local days `[from, to)` (at most 366): for a
    /// customer, their own; for staff, the history of `customer` (required) on their behalf;
    /// for a mandated third party or supplier, what its mandate covers. Refused as not visible
    /// where the caller may see nothing of it.
    pub async fn consumption_history(
        &self,
        actor: &Actor,
        ean: Ean,
        from: Date,
        to: Date,
        customer: Option<PartyId>,
    ) -> Result<IssuedHistory, AppError> {
        let days = from.until(to).map(|s| s.get_days()).unwrap_or(0);
        if to <= from || days > crate::MAX_CONSUMPTION_DAYS {
            return Err(invalid(
                "to",
                format!("must be after from ({from}) and at most 366 days later, found {to}"),
            ));
        }
        let ean_text = ean.to_string();
        let ask = Ask::access_point(
            Action::ReadConsumption,
            ean,
            &ean_text,
            "document.history",
            "consumption history (R4)",
        );
        let decision = self.decide(actor, &ask).await?;
        if !decision.allowed {
            return Err(self.refuse(actor, &ask, decision).await);
        }
        // Whose history, and which periods: the customer's occupancies, never more (R4).
        let (subject, visible) = match (actor.role, decision.visible) {
            (Role::Customer, visible) => (actor.party.clone(), visible),
            (Role::ThirdParty | Role::Supplier, visible) => {
                let customer = customer
                    .ok_or_else(|| invalid("customer", "name the customer whose mandate you hold".into()))?;
                (customer, visible)
            }
            (_, Visible::All) => {
                let customer = customer
                    .ok_or_else(|| invalid("customer", "staff ask on behalf of a named customer".into()))?;
                let (_, occupancies) = self.store.periods_on(&customer, ean).await?;
                (customer, Visible::from_periods(occupancies))
            }
            (_, visible) => (actor.party.clone(), visible),
        };
        let window = domain::Period::new(
            domain::period::day_start(from).map_err(|e| invalid("from", e.to_string()))?,
            Some(domain::period::day_start(to).map_err(|e| invalid("to", e.to_string()))?),
        )
        .map_err(|e| invalid("to", e.to_string()))?;
        let (_, customer_occupancies) = self.store.periods_on(&subject, ean).await?;
        let periods: Vec<domain::Period> = customer_occupancies
            .iter()
            .filter_map(|o| o.intersection(&window))
            .flat_map(|p| visible.clip(&p))
            .collect();
        if periods.is_empty() {
            // Allowed, and nothing to show: journaled as such, answered as not visible (I5).
            let nothing = self.read(actor, ask, |_| async { Err::<(), _>(AppError::NotVisible) }).await;
            return Err(nothing.err().unwrap_or(AppError::NotVisible));
        }
        let clipped = Visible::from_periods(periods.clone());
        let point = self.store.access_point(ean).await?.ok_or(AppError::UnknownAccessPoint(ean))?;
        let last = to.yesterday().map_err(|e| invalid("to", e.to_string()))?;
        let mut months = Vec::new();
        for channel in Channel::ALL.into_iter().filter(|c| c.energy() == point.energy) {
            let days = self.store.interval_days(ean, channel, from, last).await?;
            for value in fold(&days, &clipped, Resolution::Month) {
                months.push(Month {
                    from: value.start,
                    to: value.end,
                    channel: channel.as_str().into(),
                    wh: value.wh,
                });
            }
        }
        // To the shipping address of the latest occupancy covered, or to the mandated party.
        let addressee = if matches!(actor.role, Role::ThirdParty | Role::Supplier) {
            vec![format!("For {} under the written mandate of {subject}", actor.party)]
        } else {
            let latest = periods.iter().map(domain::Period::from).max().unwrap_or(window.from());
            match self.store.snapshot(ean, latest).await? {
                Some((_, snapshot)) => snapshot
                    .occupancy
                    .map(|o| vec![format!("{}", o.value.shipping_address)])
                    .unwrap_or_default(),
                None => Vec::new(),
            }
        };
        let history = History {
            ean: ean_text.clone(),
            customer: subject.to_string(),
            addressee,
            periods: periods
                .iter()
                .map(|p| DocPeriod {
                    from: p.from().to_string(),
                    to: p.to().map_or_else(|| "open".to_owned(), |t| t.to_string()),
                })
                .collect(),
            months,
            issued: Timestamp::now().to_string(),
            label: Label { confidentiality: Confidentiality::PersonalData, journal_index: 0 },
        };
        let ask = ask.about(vec![ean_text.clone(), subject.to_string()]);
        self.write(actor, vec![ask], |template| async move {
            let command = IssueHistory { template, history };
            Ok(self.store.submit(command).await?.wait().await?.output?)
        })
        .await
    }
}

/// The issue as one command: the slot's index printed on the document, its digests journaled.
struct IssueHistory {
    template: journal::Entry,
    history: History,
}

impl Command for IssueHistory {
    type Output = Result<IssuedHistory, StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let slot = tx.slot();
        let mut history = self.history;
        history.label.journal_index = slot.sequence();
        let pdf = history.pdf().map_err(|e| StoreError::Journal(e.to_string()))?;
        let csv = history.csv();
        let pdf_sha256 = hex::encode(Sha256::digest(&pdf));
        let csv_sha256 = hex::encode(Sha256::digest(csv.as_bytes()));
        let mut subjects = self.template.subjects.clone();
        subjects.extend([format!("pdf:{pdf_sha256}"), format!("csv:{csv_sha256}")]);
        let entry = slot.fill(journal::Entry {
            subjects,
            outcome: "ok".into(),
            data_digest: Some(journal::Hash::digest(&pdf)),
            ..self.template
        });
        let issued = IssuedHistory {
            journal_index: history.label.journal_index,
            label: history.label.line(),
            confidentiality: history.label.confidentiality,
            addressee: history.addressee,
            pdf,
            csv,
            pdf_sha256,
            csv_sha256,
        };
        Ok(Done { output: Ok(issued), entries: vec![entry] })
    }
}
