//! Synthetic HR extracts, deterministic from a seed: what the nightly sync reads (R11), at the
//! size of a DSO's staff, for the demo, the tests and `cloison bench iam`.
//!
//! Night 0 is the staff as it stands; each later night moves about one person in twenty to
//! another job, lets about one in thirty-three leave (status `left`) and adds one joiner in
//! fifty, so a sync has all three kinds of change to make. Four people in five are internal;
//! the rest are contractors in the external extract, with their employer.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The two extracts of one night, as the HR systems write them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracts {
    /// The internal staff's extract.
    pub internal: String,
    /// The external staff's extract.
    pub external: String,
}

const HEADER: &str = "employee_id,name,job_code,department,employer,start_date,end_date,status\n";

/// Jobs with access, weighted as a DSO's staff is spread; the rest hold none.
const JOBS: [(&str, &str, u32); 13] = [
    ("REG-AGENT", "Market & Customers", 12),
    ("REG-LEAD", "Market & Customers", 1),
    ("MET-VALIDATOR", "Market & Customers", 10),
    ("MET-READER", "Market & Customers", 14),
    ("MET-LEAD", "Market & Customers", 1),
    ("CC-DSO", "Operations", 8),
    ("CC-LEAD", "Operations", 1),
    ("ETHICS", "Ethics committee", 1),
    ("ETHICS-CHAIR", "Ethics committee", 1),
    ("IT-SUPPORT", "IT", 4),
    ("IT-SEC-LEAD", "IT", 1),
    ("FIELD-TECH", "Infrastructure", 30),
    ("OFFICE", "General services", 16),
];

const FIRST: [&str; 16] = [
    "Anne",
    "Benoît",
    "Chloé",
    "David",
    "Élise",
    "François",
    "Gaëlle",
    "Hugo",
    "Isabelle",
    "Jonas",
    "Karine",
    "Luc",
    "Marie",
    "Nicolas",
    "Olivia",
    "Pierre",
];
const LAST: [&str; 16] = [
    "Dubois", "Lambert", "Martin", "Dupont", "Leroy", "Claes", "Jacobs", "Simon", "Laurent", "Mertens",
    "Willems", "Goossens", "Lejeune", "Renard", "Collard", "Hubert",
];
const CONTRACTORS: [&str; 4] = ["Fluvius Services", "Engie Fabricom", "Manpower", "Randstad"];

fn pick_job(rng: &mut ChaCha8Rng) -> usize {
    let total: u32 = JOBS.iter().map(|(.., w)| w).sum();
    let mut roll = rng.gen_range(0..total);
    for (i, (.., weight)) in JOBS.iter().enumerate() {
        if roll < *weight {
            return i;
        }
        roll -= weight;
    }
    JOBS.len() - 1
}

/// One person of night 0: id, name, job, whether external, contractor, start year.
struct Person {
    id: String,
    name: String,
    job: usize,
    external: bool,
    employer: &'static str,
    start: i16,
    left: bool,
}

fn person(rng: &mut ChaCha8Rng, n: usize) -> Person {
    let external = rng.gen_ratio(1, 5);
    Person {
        id: format!("{}{:06}", if external { "X" } else { "I" }, n),
        name: format!("{} {}", FIRST[rng.gen_range(0..FIRST.len())], LAST[rng.gen_range(0..LAST.len())]),
        job: pick_job(rng),
        external,
        employer: if external { CONTRACTORS[rng.gen_range(0..CONTRACTORS.len())] } else { "ORES" },
        start: rng.gen_range(1995..=2025),
        left: false,
    }
}

/// The extracts of `people` people on night `night` (0: as they stand), from `seed`.
pub fn extracts(people: usize, seed: u64, night: u32) -> Extracts {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut staff: Vec<Person> = (0..people).map(|n| person(&mut rng, n)).collect();
    for _ in 0..night {
        let joiners = people.div_ceil(50);
        for person in staff.iter_mut().filter(|p| !p.left) {
            match rng.gen_range(0..660) {
                0..33 => person.job = (person.job + 1 + rng.gen_range(0..JOBS.len() - 1)) % JOBS.len(),
                33..53 => person.left = true,
                _ => {}
            }
        }
        let next = staff.len();
        staff.extend((0..joiners).map(|i| {
            let mut joiner = person(&mut rng, next + i);
            joiner.start = 2026;
            joiner
        }));
    }
    let mut internal = String::from(HEADER);
    let mut external = String::from(HEADER);
    for p in &staff {
        let (job, department) = (JOBS[p.job].0, JOBS[p.job].1);
        let line = format!(
            "{},{},{job},{department},{},{}-09-01,,{}\n",
            p.id,
            p.name,
            p.employer,
            p.start,
            if p.left { "left" } else { "active" }
        );
        if p.external { external.push_str(&line) } else { internal.push_str(&line) }
    }
    Extracts { internal, external }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_extracts_and_later_nights_change_some_people() {
        let a = extracts(1_000, 7, 0);
        assert_eq!(a, extracts(1_000, 7, 0));
        let lines = a.internal.lines().count() + a.external.lines().count() - 2;
        assert_eq!(lines, 1_000);
        let b = extracts(1_000, 7, 1);
        assert!(b.internal.lines().count() + b.external.lines().count() - 2 > 1_000, "joiners");
        assert!(b.internal.contains(",left\n") || b.external.contains(",left\n"), "leavers");
    }
}
