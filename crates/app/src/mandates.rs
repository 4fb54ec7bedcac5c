//! Written mandates through the door (R5): recorded and revoked by the register team, each in
//! one command with its journal entry; listed for a review, and sampled for an audit.
//!
//! What a mandate opens is decided by the policies (`policies/mandates.cedar`), from the
//! facts the gate reads: the periods the mandated party's mandates give it on the access point
//! asked about ([`store::Store::mandated_on`]).

use domain::mandate::Mandate;
use jiff::Timestamp;
use policy::{Action, Resource};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use store::journal::{Command, Done};
use store::mandate::MandateView;
use store::{StoreError, WriteTx};

use crate::gate::{Ask, Sent};
use crate::write::refused;
use crate::{Actor, AppError, Cloison};

/// The largest sample an audit draws at once.
pub const MAX_SAMPLE: usize = 1_000;

impl Cloison {
    /// Records a written mandate; returns its id. Refused with the field named when it names
    /// no access point or one the customer never occupied, the wrong kinds of party, or a bad
    /// document reference; nothing is written then.
    pub async fn record_mandate(&self, actor: &Actor, mandate: Mandate) -> Result<String, AppError> {
        mandate.check().map_err(|e| {
            AppError::Invalid(StoreError::Refused { field: e.field, code: e.code, reason: e.reason })
        })?;
        let mut subjects = vec![mandate.customer.to_string(), mandate.mandated.to_string()];
        subjects.extend(mandate.eans.iter().map(ToString::to_string));
        let ask = Ask::function(
            Action::ManageMandates,
            Resource::Register,
            "mandate.record",
            "written mandate (R5)",
        )
        .about(subjects);
        self.write(actor, vec![ask], |template| async move {
            let command = RecordMandate { template, mandate };
            Ok(self.store.submit(command).await?.wait().await?.output?)
        })
        .await
    }

    /// Revokes a mandate: from the next request on it opens nothing.
    pub async fn revoke_mandate(&self, actor: &Actor, id: &str) -> Result<(), AppError> {
        let ask = Ask::function(
            Action::ManageMandates,
            Resource::Register,
            "mandate.revoke",
            "written mandate (R5)",
        )
        .about(vec![id.to_owned()]);
        self.write(actor, vec![ask], |template| async move {
            let command = RevokeMandate { template, id: id.to_owned() };
            Ok(self.store.submit(command).await?.wait().await?.output?)
        })
        .await
    }

    /// Every mandate on record, revoked ones included.
    pub async fn mandates(&self, actor: &Actor) -> Result<Sent<Vec<MandateView>>, AppError> {
        let ask =
            Ask::function(Action::ReviewMandates, Resource::Register, "mandate.list", "mandate review (R5)");
        self.read(actor, ask, |_| async { Ok(self.store.mandates().await?) }).await
    }

    /// `n` mandates drawn at random for an audit, reproducibly from `seed` (the auditor states
    /// the seed, so anyone can draw the same sample again from the same records).
    pub async fn sample_mandates(
        &self,
        actor: &Actor,
        n: usize,
        seed: u64,
    ) -> Result<Sent<Vec<MandateView>>, AppError> {
        if n == 0 || n > MAX_SAMPLE {
            return Err(AppError::Invalid(StoreError::Refused {
                field: "n",
                code: "bad_count",
                reason: format!("a sample is 1 to {MAX_SAMPLE} mandates, found {n}"),
            }));
        }
        let ask =
            Ask::function(Action::ReviewMandates, Resource::Register, "mandate.sample", "mandate audit (R5)")
                .about(vec![format!("n={n}"), format!("seed={seed}")]);
        let sent = self
            .read(actor, ask, |_| async {
                let all = self.store.mandates().await?;
                let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
                let mut drawn: Vec<MandateView> = all.choose_multiple(&mut rng, n).cloned().collect();
                drawn.sort_by(|a, b| a.mandate.cmp(&b.mandate));
                Ok(drawn)
            })
            .await?;
        Ok(sent)
    }
}

struct RecordMandate {
    template: journal::Entry,
    mandate: Mandate,
}

impl Command for RecordMandate {
    type Output = Result<String, StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let savepoint = tx.savepoint().await?;
        let result = tx.put_mandate(&self.mandate, Timestamp::now()).await;
        let (outcome, subjects) = match &result {
            Ok(id) => {
                tx.release(savepoint).await?;
                let mut subjects = self.template.subjects.clone();
                subjects.push(id.clone());
                ("ok".to_owned(), subjects)
            }
            Err(e) if e.is_input() => {
                tx.rollback_to(savepoint).await?;
                (refused(e), self.template.subjects.clone())
            }
            Err(e) => return Err(StoreError::Journal(e.to_string())),
        };
        let entry = tx.slot().fill(journal::Entry { subjects, outcome, ..self.template });
        Ok(Done { output: result, entries: vec![entry] })
    }
}

struct RevokeMandate {
    template: journal::Entry,
    id: String,
}

impl Command for RevokeMandate {
    type Output = Result<(), StoreError>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let result = tx.revoke_mandate(&self.id, Timestamp::now()).await;
        let outcome = match &result {
            Ok(()) => "ok".to_owned(),
            Err(e) if e.is_input() => refused(e),
            Err(e) => return Err(StoreError::Journal(e.to_string())),
        };
        let entry = tx.slot().fill(journal::Entry { outcome, ..self.template });
        Ok(Done { output: result, entries: vec![entry] })
    }
}
