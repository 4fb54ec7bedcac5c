//! The demo's contact center (R12): the DSO and two suppliers on shared infrastructure, each
//! with its own entry points, directory and reports. The first number of every directory is
//! the same person's, whom each principal knows under its own reference: a screen pop at one
//! principal's entry point finds that principal's customer and nobody else's.

use app::{Actor, AppError, Cloison, DirectoryLine};

/// The number every principal's directory holds, each under its own reference.
pub const SHARED_NUMBER: &str = "+32471000001";

/// The demo's call-center member, a supervisor of the DSO's line only.
pub const DSO_SUPERVISOR: &str = "staff-sarah";

/// What the demo set up in the contact center.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactDemo {
    /// The principals, the DSO first.
    pub principals: Vec<String>,
    /// Each principal's call entry point (its dialled number), in the same order.
    pub call_entries: Vec<String>,
    /// The simulated period, in seconds since the epoch: its start.
    pub from: i64,
    /// Its end (exclusive).
    pub until: i64,
}

const NAMES: [&str; 8] = ["Dupont", "Janssens", "Lambert", "Peeters", "Dubois", "Maes", "Martin", "Jacobs"];

/// Loads the configuration, 200 customers per directory, and a simulated day of `per_principal`
/// interactions per principal through the real router, starting a day before `now`.
pub async fn build(
    app: &Cloison,
    actor: &Actor,
    per_principal: u32,
    seed: u64,
    now: i64,
) -> Result<ContactDemo, AppError> {
    let config = app::sample_config(3, 8, Some(DSO_SUPERVISOR));
    let loaded = app.load_contact_config(actor, &config).await?.into_view();
    for (p, principal) in loaded.principals.iter().enumerate() {
        let lines = (0..200)
            .map(|i| DirectoryLine {
                customer: format!("{}-c{i:05}", principal.id),
                number: if i == 0 { SHARED_NUMBER.to_owned() } else { format!("+324720{p:02}{i:04}") },
                name: format!("{} {}", NAMES[(i + p) % NAMES.len()], i),
            })
            .collect();
        app.load_directory(actor, &principal.id, lines).await?;
    }
    let simulated = app.simulate_contact(actor, per_principal, seed, now - 86_400).await?;
    let call_entries = loaded
        .principals
        .iter()
        .map(|p| {
            p.entry_points.iter().find_map(|e| e.strip_prefix("call:").map(str::to_owned)).unwrap_or_default()
        })
        .collect();
    Ok(ContactDemo {
        principals: loaded.principals.iter().map(|p| p.id.clone()).collect(),
        call_entries,
        from: simulated.from,
        until: simulated.until,
    })
}
