//! Demo logins for the web interface: one party per kind of user, each with a password, so the
//! web pages can be tried as a supplier, a customer, each staff role and a second supplier.
//!
//! The parties are real parties of the demo with data to show: the customer occupies a
//! remotely read point (interval data), the first supplier supplies that point, the second
//! supplier another one, and the staff are the demo's [`crate::STAFF`]. They are chosen from
//! the register as built, so the same seed picks the same parties; the passwords are fixed
//! (`demo-<role>-2026`), printed by the tour and never to be used outside a demo.

use domain::{Ean, PartyId};
use jiff::Timestamp;

use app::{Actor, AppError, Cloison, Role};

/// One way into the demo's web interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLogin {
    /// Who signs in.
    pub party: PartyId,
    /// The role the session acts in.
    pub role: Role,
    /// The password: fixed, so a tester can type it from the tour.
    pub password: String,
    /// What this login shows, for the tour's list.
    pub shows: &'static str,
}

/// The password of the demo login in `role`; `second` for the second supplier.
pub fn demo_password(role: Role, second: bool) -> String {
    if second { format!("demo-{}-2-2026", role.as_str()) } else { format!("demo-{}-2026", role.as_str()) }
}

/// How many of the register's first access points are looked at for an occupied one when the
/// demo has no remotely read point with an occupant (a very small demo).
const FALLBACK_POINTS: i64 = 64;

/// The demo logins of the register `app` holds, chosen as the module says; read as `actor`
/// (the demo's `system` identity). Deterministic for a seed: the points are looked at in the
/// demo's order and the register's state now is the state the window left (the demo's
/// records all start before its end and the last ones are open-ended).
pub async fn demo_logins(
    app: &Cloison,
    actor: &Actor,
    interval_eans: &[Ean],
) -> Result<Vec<DemoLogin>, AppError> {
    let now = Timestamp::now();
    let mut candidates: Vec<Ean> = interval_eans.to_vec();
    candidates.extend(app.register_eans(actor, FALLBACK_POINTS).await?.into_view());
    let mut customer: Option<PartyId> = None;
    let mut suppliers: Vec<PartyId> = Vec::new();
    for ean in candidates {
        let view = app.access_point_at(actor, ean, now).await?.into_view();
        let (Some(occupant), Some(supplier)) = (view.occupant, view.supplier) else { continue };
        if customer.is_none() {
            customer = Some(occupant.party.id);
            suppliers.push(supplier.party.id);
        } else if !suppliers.contains(&supplier.party.id) {
            suppliers.push(supplier.party.id);
            break;
        }
    }
    // Without a second supplier with points (a demo of one point), any other demo supplier.
    for supplier in crate::suppliers() {
        if suppliers.len() >= 2 {
            break;
        }
        if !suppliers.contains(&supplier.id) {
            suppliers.push(supplier.id);
        }
    }
    let mut logins = Vec::new();
    let mut suppliers = suppliers.into_iter();
    if let Some(party) = suppliers.next() {
        logins.push(login(
            party,
            Role::Supplier,
            false,
            "a supplier: the point of the customer below, and others",
        ));
    }
    if let Some(party) = customer {
        logins.push(login(
            party,
            Role::Customer,
            false,
            "a customer on a remotely read point: interval data",
        ));
    }
    for (id, _, role) in crate::STAFF {
        let shows = match role {
            Role::RegisterStaff => "the access-register team: the whole register, the market",
            Role::MeteringStaff => "the metering team: readings and the validators' queue",
            Role::CallCenter => "the call center: reads the register and consumption",
            Role::Auditor => "the ethics committee: everything, and the journal",
            Role::Support => "support: the system's health, no personal data",
            // The meter reader works from a field device, not the web pages.
            _ => continue,
        };
        let party = id.parse().map_err(|e: domain::PartyError| {
            AppError::Internal(app::StoreError::Journal(format!("demo staff id: {e}")))
        })?;
        logins.push(login(party, role, false, shows));
    }
    if let Some(party) = suppliers.next() {
        logins.push(login(
            party,
            Role::Supplier,
            true,
            "a second supplier, to compare what each supplier sees",
        ));
    }
    Ok(logins)
}

fn login(party: PartyId, role: Role, second: bool, shows: &'static str) -> DemoLogin {
    DemoLogin { party, role, password: demo_password(role, second), shows }
}

/// Sets the password of every login, as `actor` (the demo's `system` identity, which may
/// manage access): each set is journaled like an administrator's.
pub async fn set_passwords(app: &Cloison, actor: &Actor, logins: &[DemoLogin]) -> Result<(), AppError> {
    for login in logins {
        app.set_password(actor, login.party.as_str(), login.role, &login.password).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_passwords_are_long_enough_and_distinct() {
        let mut all: Vec<String> = [
            Role::Supplier,
            Role::Customer,
            Role::RegisterStaff,
            Role::MeteringStaff,
            Role::CallCenter,
            Role::Auditor,
            Role::Support,
        ]
        .into_iter()
        .map(|role| demo_password(role, false))
        .collect();
        all.push(demo_password(Role::Supplier, true));
        assert_eq!(all[0], "demo-supplier-2026");
        assert_eq!(all[7], "demo-supplier-2-2026");
        for password in &all {
            domain::sign_in::check_password(password).expect("a demo password passes the rule");
        }
        let count = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), count);
    }
}
