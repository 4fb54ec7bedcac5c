//! Consent to the research use of one's metering data, the research partners' agreements,
//! and the data subject's requests (R14, the report's chapter IX; GDPR art. 7, 12, 15, 16).
//!
//! The smart-meter pilot collects individual data only after explicit consent, for named
//! university partners under a confidentiality agreement. A [`Consent`] is that consent as a
//! receipt following the consent-receipt model (Kantara Consent Receipt v1.1, taken over by
//! ISO/IEC TS 27560): who consented, to which controller, for which purposes, which data
//! categories, which partners, for which days, collected how. Withdrawing is one call, as easy
//! as giving (art. 7(3)), and takes effect at the next extract: a consent counts for an
//! extract only when it was given before the extract and not withdrawn before it.
//!
//! An [`Agreement`] is a partner's side: what it may receive (purposes, categories, the
//! substations of the study) and for which days. An extract is asked for one purpose and one
//! category; [`Agreement::admits`] refuses what the agreement does not name.

use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

use crate::{PartyId, SubstationId};

/// Why a consent, an agreement or a request was refused: the field, a stable code, a sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {code}: {reason}")]
pub struct ConsentError {
    /// The field at fault.
    pub field: &'static str,
    /// The rule.
    pub code: &'static str,
    /// What was wrong.
    pub reason: String,
}

fn refuse<T>(field: &'static str, code: &'static str, reason: String) -> Result<T, ConsentError> {
    Err(ConsentError { field, code, reason })
}

/// The data categories a consent or an agreement names: the granularity of the consumption
/// handed out, since a quarter-hour series says far more about a household than a daily one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Quarter-hourly (or hourly, for gas) consumption, as metered.
    QuarterHourly,
    /// Consumption per local day.
    Daily,
}

impl Category {
    /// Every category.
    pub const ALL: [Category; 2] = [Category::QuarterHourly, Category::Daily];

    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::QuarterHourly => "quarter_hourly",
            Category::Daily => "daily",
        }
    }

    /// The category named `text`, or a refusal naming `field` and the categories there are.
    pub fn parse(field: &'static str, text: &str) -> Result<Category, ConsentError> {
        Category::ALL.into_iter().find(|c| c.as_str() == text).ok_or_else(|| ConsentError {
            field,
            code: "unknown_category",
            reason: format!(
                "{text:?} is not a data category: {}",
                Category::ALL.map(Category::as_str).join(", ")
            ),
        })
    }
}

/// How the consent was collected (the receipt's `collectionMethod`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Collection {
    /// By the customer, through the customer's own access (API or web).
    Online,
    /// On a signed paper form, entered by the operator's staff.
    Paper,
}

/// What the data subject agreed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentTerms {
    /// The purposes, as the agreements name them (e.g. `demand_study`).
    pub purposes: Vec<String>,
    /// The data categories.
    pub categories: Vec<Category>,
    /// The research partners that may receive the data.
    pub partners: Vec<PartyId>,
    /// The first day of data covered.
    pub from: Date,
    /// The last day of data covered (inclusive).
    pub to: Date,
    /// How it was collected.
    pub collection: Collection,
}

/// A purpose's name: short, lower-case, so that a consent and an agreement meet on it.
fn check_purposes(field: &'static str, purposes: &[String]) -> Result<(), ConsentError> {
    if purposes.is_empty() {
        return refuse(field, "required", "at least one purpose is required".into());
    }
    for p in purposes {
        let ok = !p.is_empty()
            && p.len() <= 40
            && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return refuse(
                field,
                "bad_purpose",
                format!("{p:?} must be 1 to 40 characters of a-z, 0-9 and '_'"),
            );
        }
    }
    Ok(())
}

fn check_days(from: Date, to: Date) -> Result<(), ConsentError> {
    if to < from {
        return refuse("to", "end_before_start", format!("the last day {to} is before the first day {from}"));
    }
    Ok(())
}

impl ConsentTerms {
    /// Refuses terms that cannot be a consent: no purpose, category or partner, or an end
    /// before the start. Duplicates are removed, so two spellings of one consent are one.
    pub fn checked(mut self) -> Result<ConsentTerms, ConsentError> {
        check_purposes("purposes", &self.purposes)?;
        if self.categories.is_empty() {
            return refuse("categories", "required", "at least one data category is required".into());
        }
        if self.partners.is_empty() {
            return refuse("partners", "required", "at least one research partner is required".into());
        }
        check_days(self.from, self.to)?;
        self.purposes.sort();
        self.purposes.dedup();
        self.categories.sort();
        self.categories.dedup();
        self.partners.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        self.partners.dedup();
        Ok(self)
    }
}

/// A consent as kept: its receipt id, whose it is, its terms, when it was given and, once
/// withdrawn, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// The receipt's id (`consentReceiptID`).
    pub receipt: String,
    /// The data subject: the network user who consented.
    pub subject: PartyId,
    /// What was agreed.
    pub terms: ConsentTerms,
    /// When it was given.
    pub given_at: Timestamp,
    /// When it was withdrawn, if it was.
    pub withdrawn_at: Option<Timestamp>,
}

impl Consent {
    /// Whether an extract made at `at` may hold this subject's data of `day` for `partner`,
    /// `purpose` and `category`: given before, not withdrawn before, and naming all four.
    pub fn allows(
        &self,
        partner: &PartyId,
        purpose: &str,
        category: Category,
        at: Timestamp,
        day: Date,
    ) -> bool {
        self.given_at <= at
            && self.withdrawn_at.is_none_or(|w| w > at)
            && self.terms.from <= day
            && day <= self.terms.to
            && self.terms.partners.contains(partner)
            && self.terms.purposes.iter().any(|p| p == purpose)
            && self.terms.categories.contains(&category)
    }

    /// Withdraws the consent at `at`; a consent is withdrawn once.
    pub fn withdraw(&mut self, at: Timestamp) -> Result<(), ConsentError> {
        if let Some(when) = self.withdrawn_at {
            return refuse(
                "consent",
                "already_withdrawn",
                format!("{} was withdrawn at {when}", self.receipt),
            );
        }
        self.withdrawn_at = Some(at);
        Ok(())
    }

    /// The consent receipt in the Kantara v1.1 shape, for the data subject to keep: the
    /// controller's name and contact point come from the installation.
    pub fn receipt(&self, controller: &str, contact: &str) -> Receipt {
        Receipt {
            version: "KI-CR-v1.1.0",
            jurisdiction: "BE",
            consent_timestamp: self.given_at.as_second(),
            collection_method: self.terms.collection,
            consent_receipt_id: self.receipt.clone(),
            language: "en",
            pii_principal_id: self.subject.to_string(),
            pii_controllers: vec![ReceiptController {
                pii_controller: controller.into(),
                contact: contact.into(),
            }],
            services: vec![ReceiptService {
                service: "research use of metering data".into(),
                purposes: self
                    .terms
                    .purposes
                    .iter()
                    .map(|p| ReceiptPurpose {
                        purpose: p.clone(),
                        consent_type: "EXPLICIT",
                        pii_category: self.terms.categories.clone(),
                        termination: format!("{} or withdrawal, whichever comes first", self.terms.to),
                        third_party_disclosure: true,
                        third_party_name: self.terms.partners.iter().map(|p| p.to_string()).collect(),
                    })
                    .collect(),
            }],
            sensitive: false,
            data_from: self.terms.from,
            data_to: self.terms.to,
            withdrawn_at: self.withdrawn_at,
        }
    }
}

/// A consent receipt (Kantara Consent Receipt Specification v1.1, field names in camelCase
/// as the specification spells them), with the period of data and the withdrawal added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    /// The specification's version.
    pub version: &'static str,
    /// Where the consent was given.
    pub jurisdiction: &'static str,
    /// When, in seconds since the Unix epoch.
    pub consent_timestamp: i64,
    /// How.
    pub collection_method: Collection,
    /// The receipt's id.
    #[serde(rename = "consentReceiptID")]
    pub consent_receipt_id: String,
    /// The receipt's language.
    pub language: &'static str,
    /// The data subject.
    pub pii_principal_id: String,
    /// The controller and its contact point for the subject's rights.
    pub pii_controllers: Vec<ReceiptController>,
    /// What the consent covers.
    pub services: Vec<ReceiptService>,
    /// Whether special categories of data are involved (never, here).
    pub sensitive: bool,
    /// The first day of data covered.
    pub data_from: Date,
    /// The last day of data covered.
    pub data_to: Date,
    /// When it was withdrawn, if it was.
    pub withdrawn_at: Option<Timestamp>,
}

/// A controller on a receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptController {
    /// Its name.
    pub pii_controller: String,
    /// The contact point for access and rectification.
    pub contact: String,
}

/// A service on a receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptService {
    /// What it is.
    pub service: String,
    /// Its purposes.
    pub purposes: Vec<ReceiptPurpose>,
}

/// A purpose on a receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptPurpose {
    /// The purpose.
    pub purpose: String,
    /// Always explicit consent.
    pub consent_type: &'static str,
    /// The data categories.
    pub pii_category: Vec<Category>,
    /// When the consent ends.
    pub termination: String,
    /// Data goes to the partners.
    pub third_party_disclosure: bool,
    /// The partners.
    pub third_party_name: Vec<String>,
}

/// A research partner's agreement with the operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    /// The partner (a university, by its party id).
    pub partner: PartyId,
    /// The signed agreement's reference.
    pub reference: String,
    /// The purposes it allows.
    pub purposes: Vec<String>,
    /// The data categories it allows.
    pub categories: Vec<Category>,
    /// The substations of the study; empty for the whole grid.
    pub substations: Vec<SubstationId>,
    /// The first day of data it covers.
    pub from: Date,
    /// The last day of data it covers (inclusive).
    pub to: Date,
}

impl Agreement {
    /// Refuses an agreement without a reference, purpose or category, or ending before it
    /// starts; duplicates are removed.
    pub fn checked(mut self) -> Result<Agreement, ConsentError> {
        let reference = self.reference.trim();
        if reference.is_empty() || reference.len() > 100 {
            return refuse(
                "reference",
                "required",
                "the agreement's reference must be 1 to 100 characters".into(),
            );
        }
        self.reference = reference.to_owned();
        check_purposes("purposes", &self.purposes)?;
        if self.categories.is_empty() {
            return refuse("categories", "required", "at least one data category is required".into());
        }
        check_days(self.from, self.to)?;
        self.purposes.sort();
        self.purposes.dedup();
        self.categories.sort();
        self.categories.dedup();
        self.substations.sort();
        self.substations.dedup();
        Ok(self)
    }

    /// Refuses an extract for a purpose or a category the agreement does not name, or made
    /// on a day after the agreement's end.
    pub fn admits(&self, purpose: &str, category: Category, day: Date) -> Result<(), ConsentError> {
        if !self.purposes.iter().any(|p| p == purpose) {
            return refuse(
                "purpose",
                "purpose_not_agreed",
                format!(
                    "the agreement {} allows {}, not {purpose:?}",
                    self.reference,
                    self.purposes.join(", ")
                ),
            );
        }
        if !self.categories.contains(&category) {
            return refuse(
                "category",
                "category_not_agreed",
                format!("the agreement {} does not allow {} data", self.reference, category.as_str()),
            );
        }
        if day > self.to {
            return refuse(
                "day",
                "agreement_ended",
                format!("the agreement {} ended on {}", self.reference, self.to),
            );
        }
        Ok(())
    }

    /// The days of data an extract made on `day` may cover: the agreement's, up to the day
    /// before the extract (a day is complete only once it is over).
    pub fn days_for(&self, day: Date) -> Option<(Date, Date)> {
        let last = self.to.min(day.yesterday().ok()?);
        (self.from <= last).then_some((self.from, last))
    }
}

/// What a data subject asks for (GDPR art. 15 and 16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// A copy of everything held about them, with who accessed it (art. 15).
    Access,
    /// A correction of what is held (art. 16).
    Rectification,
}

impl RequestKind {
    /// Every kind.
    pub const ALL: [RequestKind; 2] = [RequestKind::Access, RequestKind::Rectification];

    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Access => "access",
            RequestKind::Rectification => "rectification",
        }
    }

    /// The kind named `text`, or a refusal naming the kinds there are.
    pub fn parse(text: &str) -> Result<RequestKind, ConsentError> {
        RequestKind::ALL.into_iter().find(|k| k.as_str() == text).ok_or_else(|| ConsentError {
            field: "kind",
            code: "unknown_kind",
            reason: format!("{text:?} is not a kind of request: access, rectification"),
        })
    }
}

/// How a request was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Access given, or the data rectified.
    Done,
    /// Refused, with the reason in the note (a rectification of correct data, say).
    Refused,
}

impl Outcome {
    /// The outcome named `text`.
    pub fn parse(text: &str) -> Result<Outcome, ConsentError> {
        match text {
            "done" => Ok(Outcome::Done),
            "refused" => Ok(Outcome::Refused),
            _ => refuse("outcome", "unknown_outcome", format!("{text:?} is not an outcome: done, refused")),
        }
    }
}

/// The day an answer is due: one month after the request was received (art. 12(3)), the
/// same day of the next month, or its last day when the month is shorter.
pub fn due_day(received: Date) -> Date {
    received.checked_add(1.month()).unwrap_or(received)
}

/// A note given with a request or its answer: free text, bounded, not blank.
pub fn check_note(field: &'static str, text: &str) -> Result<String, ConsentError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 2000 {
        return refuse(field, "bad_text", "must be 1 to 2,000 characters".into());
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn terms() -> ConsentTerms {
        ConsentTerms {
            purposes: vec!["demand_study".into()],
            categories: vec![Category::QuarterHourly],
            partners: vec!["uni-a".parse().expect("party id")],
            from: date(2025, 1, 1),
            to: date(2025, 12, 31),
            collection: Collection::Online,
        }
    }

    fn at(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    #[test]
    fn a_consent_allows_only_what_it_names_while_in_force() {
        let mut c = Consent {
            receipt: "r1".into(),
            subject: "cust-1".parse().expect("party id"),
            terms: terms().checked().expect("terms"),
            given_at: at("2025-02-01T10:00:00Z"),
            withdrawn_at: None,
        };
        let uni: PartyId = "uni-a".parse().expect("party id");
        let other: PartyId = "uni-b".parse().expect("party id");
        let day = date(2025, 3, 1);
        let now = at("2025-03-02T00:00:00Z");
        assert!(c.allows(&uni, "demand_study", Category::QuarterHourly, now, day));
        assert!(!c.allows(&other, "demand_study", Category::QuarterHourly, now, day));
        assert!(!c.allows(&uni, "marketing", Category::QuarterHourly, now, day));
        assert!(!c.allows(&uni, "demand_study", Category::Daily, now, day));
        assert!(!c.allows(&uni, "demand_study", Category::QuarterHourly, at("2025-01-31T00:00:00Z"), day));
        assert!(!c.allows(&uni, "demand_study", Category::QuarterHourly, now, date(2026, 1, 1)));
        c.withdraw(at("2025-03-01T12:00:00Z")).expect("withdraws");
        assert!(!c.allows(&uni, "demand_study", Category::QuarterHourly, now, day));
        // An extract made before the withdrawal still had it.
        assert!(c.allows(&uni, "demand_study", Category::QuarterHourly, at("2025-03-01T11:00:00Z"), day));
        assert_eq!(c.withdraw(now).expect_err("twice").code, "already_withdrawn");
    }

    #[test]
    fn terms_refusals_name_the_field() {
        let mut t = terms();
        t.to = date(2024, 12, 31);
        let e = t.checked().expect_err("reversed");
        assert_eq!((e.field, e.code), ("to", "end_before_start"));
        let e = ConsentTerms { partners: vec![], ..terms() }.checked().expect_err("no partner");
        assert_eq!(e.field, "partners");
        let e = ConsentTerms { purposes: vec!["Demand Study".into()], ..terms() }.checked().expect_err("bad");
        assert_eq!((e.field, e.code), ("purposes", "bad_purpose"));
        assert_eq!(Category::parse("categories", "hourly").expect_err("unknown").field, "categories");
    }

    #[test]
    fn an_agreement_admits_only_its_purposes_categories_and_days() {
        let a = Agreement {
            partner: "uni-a".parse().expect("party id"),
            reference: " UA-2025-07 ".into(),
            purposes: vec!["demand_study".into()],
            categories: vec![Category::Daily],
            substations: vec![],
            from: date(2025, 1, 1),
            to: date(2025, 6, 30),
        }
        .checked()
        .expect("agreement");
        assert_eq!(a.reference, "UA-2025-07");
        assert!(a.admits("demand_study", Category::Daily, date(2025, 3, 1)).is_ok());
        assert_eq!(
            a.admits("pricing", Category::Daily, date(2025, 3, 1)).expect_err("purpose").field,
            "purpose"
        );
        assert_eq!(
            a.admits("demand_study", Category::QuarterHourly, date(2025, 3, 1)).expect_err("category").field,
            "category"
        );
        assert_eq!(
            a.admits("demand_study", Category::Daily, date(2025, 7, 1)).expect_err("ended").field,
            "day"
        );
        assert_eq!(a.days_for(date(2025, 3, 1)), Some((date(2025, 1, 1), date(2025, 2, 28))));
        assert_eq!(a.days_for(date(2025, 1, 1)), None);
        assert_eq!(a.days_for(date(2025, 6, 30)), Some((date(2025, 1, 1), date(2025, 6, 29))));
    }

    #[test]
    fn an_answer_is_due_one_month_after_the_request() {
        assert_eq!(due_day(date(2026, 1, 15)), date(2026, 2, 15));
        assert_eq!(due_day(date(2026, 1, 31)), date(2026, 2, 28));
        assert_eq!(due_day(date(2028, 1, 31)), date(2028, 2, 29));
        assert_eq!(due_day(date(2026, 12, 31)), date(2027, 1, 31));
    }

    #[test]
    fn a_receipt_names_the_controller_purposes_and_partners() {
        let c = Consent {
            receipt: "r9".into(),
            subject: "cust-9".parse().expect("party id"),
            terms: terms().checked().expect("terms"),
            given_at: at("2025-02-01T10:00:00Z"),
            withdrawn_at: None,
        };
        let json = serde_json::to_value(c.receipt("Grid operator", "privacy@example.be")).expect("json");
        assert_eq!(json["consentReceiptID"], "r9");
        assert_eq!(json["piiPrincipalId"], "cust-9");
        assert_eq!(json["piiControllers"][0]["contact"], "privacy@example.be");
        assert_eq!(json["services"][0]["purposes"][0]["thirdPartyName"][0], "uni-a");
        assert_eq!(json["services"][0]["purposes"][0]["piiCategory"][0], "quarter_hourly");
        assert_eq!(json["consentTimestamp"], 1738404000);
    }
}
