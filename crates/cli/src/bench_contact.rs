//! `cloison bench contact`: the contact center's two hot paths (BENCHMARKS.md). Routing
//! decisions through the real router on a configuration of ten rules and fifty operators per
//! principal, single-threaded; and the screen pop through the gate and the journal, with a
//! directory of `--directory` entries per principal, each look-up an exact match in the
//! caller's principal's blind index.
//!
//! It loads a configuration and the directories into the database it is given: run it on a
//! database of its own (`cloison init`).

use std::time::Instant;

use anyhow::Result;
use app::{Actor, Cloison, DirectoryLine, Role};
use domain::contact::{Channel, ContactConfig, Interaction, Router};

/// Runs the benchmark with `principals` principals of `directory` directory entries each.
pub async fn run(app: &Cloison, principals: usize, directory: usize, lookups: usize) -> Result<()> {
    let system =
        Actor { party: "cloison-bench".parse()?, role: Role::System, session: "bench-contact".into() };
    let text = app::sample_config(principals, 50, None);
    let config = ContactConfig::parse(&text)?;
    let router = Router::new(&config);

    // Routing: every principal's entry points, every rule's attributes, half the operators
    // free. Best of three runs of a million decisions.
    let languages = ["fr", "nl", "de", "en"];
    let ivr = ["", "outage", "billing", "move", "complaint"];
    let mut interactions = Vec::new();
    for p in &config.principals {
        for e in &p.entry_points {
            for (l, i) in languages.iter().zip(ivr.iter().cycle()) {
                let mut attributes = std::collections::BTreeMap::new();
                attributes.insert("language".to_owned(), (*l).to_owned());
                if !i.is_empty() {
                    attributes.insert("ivr".to_owned(), (*i).to_owned());
                }
                interactions.push(Interaction { channel: e.channel, entry: e.address.clone(), attributes });
            }
        }
    }
    let free = |party: &str| party.as_bytes().last().is_some_and(|b| b % 2 == 0);
    const DECISIONS: usize = 1_000_000;
    let mut best = f64::MAX;
    let mut routed = 0usize;
    for _ in 0..3 {
        let started = Instant::now();
        routed = 0;
        for (n, interaction) in interactions.iter().cycle().take(DECISIONS).enumerate() {
            let decision = router.decide(interaction, &free, (n % 90) as u32)?;
            routed += usize::from(decision.operator.is_some());
        }
        best = best.min(started.elapsed().as_secs_f64());
    }
    println!(
        "routing decisions (router.decide, 1 thread, {} principals x 10 rules x 50 operators): {:>10.0}/s ({routed} of {DECISIONS} to an operator)",
        config.principals.len(),
        DECISIONS as f64 / best
    );
    // The naive way, on the same interactions: the configuration read as it is, every time.
    // It must agree with the router before its rate means anything.
    for interaction in &interactions {
        let naive = naive_decide(&config, interaction, &free);
        let fast = router.decide(interaction, &free, 0)?;
        if naive != (fast.queue.clone(), fast.operator.clone()) {
            anyhow::bail!("the naive router disagrees on {interaction:?}: {naive:?} against {fast:?}");
        }
    }
    const NAIVE: usize = 100_000;
    let mut naive_best = f64::MAX;
    let mut naive_routed = 0usize;
    for _ in 0..3 {
        let started = Instant::now();
        naive_routed = 0;
        for interaction in interactions.iter().cycle().take(NAIVE) {
            naive_routed += usize::from(naive_decide(&config, interaction, &free).1.is_some());
        }
        naive_best = naive_best.min(started.elapsed().as_secs_f64());
    }
    println!(
        "routing decisions, the naive way (entry points, rules and operators scanned, skills unioned per decision): {:>10.0}/s ({naive_routed} of {NAIVE} to an operator; the same answers)",
        NAIVE as f64 / naive_best
    );

    // The directories: `directory` entries per principal, loaded in batches through the app.
    app.load_contact_config(&system, &text).await?;
    let started = Instant::now();
    const BATCH: usize = 20_000;
    for (p, principal) in config.principals.iter().enumerate() {
        let mut start = 0;
        while start < directory {
            let lines = (start..(start + BATCH).min(directory))
                .map(|i| DirectoryLine {
                    customer: format!("{}-{i:07}", principal.id),
                    number: format!("+3247{p:02}{i:07}"),
                    name: format!("Customer {i}"),
                })
                .collect();
            app.load_directory(&system, &principal.id, lines).await?;
            start += BATCH;
        }
    }
    let load = started.elapsed().as_secs_f64();
    println!(
        "directory load through the app: {} entries in {load:.1} s ({:.0} entries/s, sealed and blind-indexed)",
        directory * config.principals.len(),
        (directory * config.principals.len()) as f64 / load
    );

    // Screen pops through the gate and the journal: each a number of the dialled principal's
    // directory (found) or of another's (not found there).
    let mut latencies = Vec::with_capacity(lookups);
    let mut found = 0usize;
    let started = Instant::now();
    for n in 0..lookups {
        let p = n % config.principals.len();
        let principal = &config.principals[p];
        let entry =
            principal.entry_points.iter().find(|e| e.channel == Channel::Call).map(|e| e.address.clone());
        let Some(entry) = entry else { continue };
        let owner = if n % 4 == 0 { (p + 1) % config.principals.len() } else { p };
        let i = (n * 7919) % directory.max(1);
        let caller = format!("+3247{owner:02}{i:07}");
        let one = Instant::now();
        let screen = app.screen_pop(&system, "call", &entry, Some(&caller), None).await?;
        latencies.push(one.elapsed().as_secs_f64() * 1e3);
        found += screen.view().customers.len();
    }
    let total = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies.get(((latencies.len() as f64 - 1.0) * q) as usize).copied().unwrap_or(0.0);
    println!(
        "screen pop through the gate and the journal, {directory} entries per principal: median {:.3} ms, p99 {:.3} ms, {:.0}/s on one caller ({found} of {lookups} found)",
        at(0.5),
        at(0.99),
        lookups as f64 / total
    );
    Ok(())
}

/// The naive router the compiled one is measured beside: the entry point found by scanning
/// every principal, each rule's condition evaluated over a map built for the call, each
/// operator's skills unioned over every principal they serve, on every decision. Its queue
/// and operator, with no time waited.
fn naive_decide(
    config: &ContactConfig,
    interaction: &Interaction,
    free: &dyn Fn(&str) -> bool,
) -> (String, Option<String>) {
    use domain::contact::rule::OperatorView;
    let Some(principal) = config.principals.iter().find(|p| {
        p.entry_points.iter().any(|e| e.channel == interaction.channel && e.address == interaction.entry)
    }) else {
        return (String::new(), None);
    };
    let mut attributes = interaction.attributes.clone();
    attributes.insert("channel".to_owned(), interaction.channel.as_str().to_owned());
    attributes.insert("entry".to_owned(), interaction.entry.clone());
    let rule = principal.rules.iter().find(|r| r.when.eval(&attributes, None));
    let mut queues: Vec<&String> = rule.map(|r| r.targets.iter().collect()).unwrap_or_default();
    if !queues.contains(&&principal.default_queue) {
        queues.push(&principal.default_queue);
    }
    for queue in &queues {
        let Some(needed) = principal.queues.iter().find(|q| &&q.id == queue) else { continue };
        for operator in &principal.operators {
            let skills = principal.operator_skills(&operator.party);
            let view = OperatorView { party: &operator.party, skills: &skills };
            let excluded =
                rule.and_then(|r| r.exclude.as_ref()).is_some_and(|e| e.eval(&attributes, Some(&view)));
            if free(&operator.party)
                && needed.skills.is_subset(&skills)
                && !excluded
                && config.incompatible_pair(&config.skills_of(&operator.party)).is_none()
            {
                return ((*queue).clone(), Some(operator.party.clone()));
            }
        }
    }
    (queues.last().map(|q| (*q).clone()).unwrap_or_default(), None)
}
