//! How every reading is judged, whatever its kind (interval values, index readings): the
//! refusal a row gets, and what is assumed of a connection and a meter until the register
//! keeps each point's own.

use domain::Energy;
use domain::metering::{Connection, Dial};
use serde::{Deserialize, Serialize};

/// A refused row: where it came from, the field at fault, a stable code and a reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedRow {
    /// The file's line, or the array's position (1-based).
    pub line: u64,
    /// The field at fault.
    pub field: String,
    /// The stable code.
    pub code: String,
    /// Why.
    pub reason: String,
}

impl RefusedRow {
    /// A row the row parser refused, at `line`.
    pub fn of(line: u64, error: &domain::metering::RowError) -> RefusedRow {
        RefusedRow { line, field: error.field.into(), code: error.code.into(), reason: error.reason.clone() }
    }
}

/// The rated power a connection is assumed to have for the `impossible_value` rule, until the
/// register keeps each point's own: the largest low-voltage connection of a distribution grid
/// (a 250 kVA cabin) for electricity, and a large commercial gas meter (G250, about 2.5 MW)
/// for gas. A household's quarter-hour far above its 9.2 kVA still passes this rule; the
/// spike rule is the one that catches it against its neighbours.
pub fn assumed_connection(energy: Energy) -> Connection {
    match energy {
        Energy::Electricity => Connection { max_power_w: 250_000 },
        Energy::Gas => Connection { max_power_w: 2_500_000 },
    }
}

/// The dial a register is assumed to have for the rollover and impossible-value rules, until
/// the register keeps each meter's own ([`Dial::common`]).
pub fn assumed_dial(energy: Energy) -> Dial {
    Dial::common(energy)
}
