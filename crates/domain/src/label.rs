//! Confidentiality labels (R8): every document, export and answer that carries data says how
//! confidential it is and which journal entry records its issue, in one line that a person
//! reads and a program parses (`label: CONFIDENTIAL - personal data; journal: 4711`).
//!
//! The label cannot sit inside the bytes it labels when those bytes are digested in the very
//! entry it names (a JSON answer): there it travels beside them (HTTP headers, the command
//! line's standard error). A document that is typeset after its entry's slot is taken (the
//! consumption history) prints it on every page.

use std::fmt;
use std::str::FromStr;

/// How confidential a piece of data is, from the least to the most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Confidentiality {
    /// Hashes and sizes anyone may check: the journal's heads and proofs.
    Public,
    /// The operator's own working data, naming no network user (counts, settings, EAN lists).
    Internal,
    /// A supplier's market position without whom it is about: that a scenario is in progress.
    Commercial,
    /// Personal data of a network user or a staff member: for them, or for whom they mandated.
    PersonalData,
}

impl Confidentiality {
    /// Every level, from the least confidential.
    pub const ALL: [Confidentiality; 4] = [
        Confidentiality::Public,
        Confidentiality::Internal,
        Confidentiality::Commercial,
        Confidentiality::PersonalData,
    ];

    /// The label as printed and parsed.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidentiality::Public => "PUBLIC",
            Confidentiality::Internal => "INTERNAL",
            Confidentiality::Commercial => "CONFIDENTIAL - commercial data",
            Confidentiality::PersonalData => "CONFIDENTIAL - personal data",
        }
    }
}

impl fmt::Display for Confidentiality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Confidentiality {
    type Err = LabelError;

    fn from_str(text: &str) -> Result<Self, LabelError> {
        Confidentiality::ALL
            .into_iter()
            .find(|c| c.as_str() == text)
            .ok_or_else(|| LabelError(format!("unknown confidentiality {text:?}")))
    }
}

/// A label: the confidentiality and the journal entry that records the issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Label {
    /// How confidential.
    pub confidentiality: Confidentiality,
    /// The journal index of the entry that issued it.
    pub journal_index: u64,
}

impl Label {
    /// The one line a person reads and a program parses: `label: …; journal: N`.
    pub fn line(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "label: {}; journal: {}", self.confidentiality, self.journal_index)
    }
}

impl FromStr for Label {
    type Err = LabelError;

    /// Reads the line back, as an auditor's program would from a file or a page.
    fn from_str(text: &str) -> Result<Self, LabelError> {
        let rest = text
            .strip_prefix("label: ")
            .ok_or_else(|| LabelError("a label line starts with \"label: \"".into()))?;
        let (level, index) = rest
            .rsplit_once("; journal: ")
            .ok_or_else(|| LabelError("a label line ends with \"; journal: N\"".into()))?;
        let journal_index = index
            .parse()
            .map_err(|_| LabelError(format!("journal index {index:?} is not a whole number")))?;
        Ok(Label { confidentiality: level.parse()?, journal_index })
    }
}

/// A line that is not a label.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("label: {0}")]
pub struct LabelError(String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_reads_back_as_written() {
        for confidentiality in Confidentiality::ALL {
            for journal_index in [0, 1, 4711, u64::MAX] {
                let label = Label { confidentiality, journal_index };
                assert_eq!(label.line().parse::<Label>(), Ok(label));
            }
        }
        assert_eq!(
            Label { confidentiality: Confidentiality::PersonalData, journal_index: 4711 }.line(),
            "label: CONFIDENTIAL - personal data; journal: 4711"
        );
    }

    #[test]
    fn a_line_that_is_not_a_label_is_refused() {
        for line in [
            "",
            "CONFIDENTIAL - personal data; journal: 1",
            "label: SECRET; journal: 1",
            "label: PUBLIC; journal: -1",
            "label: PUBLIC; journal: ",
            "label: PUBLIC",
        ] {
            assert!(line.parse::<Label>().is_err(), "{line:?} parsed");
        }
    }

    #[test]
    fn levels_are_ordered_from_the_least_confidential() {
        let mut sorted = Confidentiality::ALL;
        sorted.sort();
        assert_eq!(sorted, Confidentiality::ALL);
        assert!(Confidentiality::Commercial < Confidentiality::PersonalData);
    }
}
