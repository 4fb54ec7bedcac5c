//! `cloison demo`: build the demo register and show a newcomer around it.
//!
//! Everything printed on standard output derives from the seed, so two runs with the same
//! seed print the same bytes; progress goes to standard error and only on a terminal.

use std::path::Path;

use anyhow::{Context, Result, bail};
use app::{Actor, Cloison, Role};
use clap::Args;
use demo::{DemoConfig, DemoSummary, WINDOW_END, WINDOW_START};
use domain::period::day_start;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::config::{Config, ConfiguredKeys, sqlite_path};
use crate::output::out;
use crate::register::{render_history, render_show};

/// Options of `cloison demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// SQLite file or database URL to build into (default ./cloison.sqlite). An existing demo
    /// database there is rebuilt; any other existing database is left alone.
    #[arg(long)]
    db: Option<String>,
    /// Number of access points, electricity and gas together.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=5_000_000))]
    access_points: u32,
    /// Seed of every random choice: the same seed builds the same register.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Build and tour only; do not serve the API afterwards.
    #[arg(long)]
    no_serve: bool,
    /// Address the API is served on after the tour.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    #[command(flatten)]
    server: crate::serve::ServerFlags,
}

/// Runs the demo build and the tour.
pub async fn run(config_file: Option<&Path>, args: DemoArgs) -> Result<()> {
    let config = Config::load(config_file, args.db.as_deref())?;
    // Checked before the build, so a bad certificate fails in a second, not after the tour.
    let server = crate::serve::settings(&config, &args.server)?;
    let keys = config.keys(true)?;
    let url = config.database_url.clone();
    prepare(&config, &keys).await?;
    let app = crate::database::open(&config, &keys, app::Opening::CreateIfMissing).await?;
    let actor =
        Actor { party: "cloison-demo".parse()?, role: Role::System, session: format!("demo-{}", args.seed) };

    let bar =
        ProgressBar::with_draw_target(Some(u64::from(args.access_points)), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} building the demo grid [{bar:40}] {pos}/{len} access points ({eta})",
        )?
        .progress_chars("=> "),
    );
    let summary =
        demo::build(&app, &actor, DemoConfig { access_points: args.access_points, seed: args.seed }, |n| {
            bar.set_position(n)
        })
        .await;
    bar.finish_and_clear();
    let summary = summary?;
    let tour = tour(&app, &actor, &args, &summary, &url).await;
    let tour = match tour {
        Ok(t) => t,
        Err(e) => {
            app.close().await;
            return Err(e);
        }
    };
    out!("{tour}")?;
    if args.no_serve {
        app.close().await;
        return Ok(());
    }
    // Tokens are random, so they go to standard error: standard output stays a function of
    // the seed.
    let base = format!("{}://{}", if server.tls.is_some() { "https" } else { "http" }, args.listen);
    let curl = demo_tokens(&app, &base).await;
    match curl {
        Ok(lines) => eprint!("{lines}"),
        Err(e) => {
            app.close().await;
            return Err(e);
        }
    }
    crate::serve::serve(app, &args.listen, server).await
}

/// One token per kind of caller, and a curl line each.
async fn demo_tokens(app: &Cloison, base: &str) -> Result<String> {
    let system = Actor { party: "cloison-demo".parse()?, role: Role::System, session: "demo-tokens".into() };
    let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 30);
    let sample = app.register_eans(&system, 1).await?.into_view();
    let ean = sample.first().map(ToString::to_string).unwrap_or_default();
    let history = match sample.first() {
        Some(e) => Some(app.register_history(&system, *e).await?.into_view()),
        None => None,
    };
    let supplier = history
        .as_ref()
        .and_then(|h| h.registrations.iter().rev().find(|r| r.effective).map(|r| r.party.id.to_string()))
        .unwrap_or_else(|| "sup-ardenne".into());
    let customer = history
        .as_ref()
        .and_then(|h| h.occupancies.iter().rev().find(|r| r.effective).map(|r| r.party.id.to_string()))
        .unwrap_or_default();
    let mut callers: Vec<(String, Role, String)> = vec![
        (supplier, Role::Supplier, format!("/v1/access-points/{ean}")),
        (customer.clone(), Role::Customer, format!("/v1/access-points/{ean}/history")),
        // R4, R7: the same customer sees who accessed their data while they lived there.
        (customer, Role::Customer, "/v1/me/access-log".to_owned()),
    ];
    for (id, _, role) in demo::STAFF {
        let path = match role {
            Role::Auditor => format!("/v1/journal/entries?subject={ean}"),
            _ => format!("/v1/access-points/{ean}"),
        };
        callers.push((id.to_owned(), role, path));
    }
    let mut out = String::from("\nThe API, with a demo token per kind of caller (valid 30 days):\n");
    for (party, role, path) in callers {
        if party.is_empty() {
            continue;
        }
        let token = app.create_token(&system, &party, role, expires).await?;
        out.push_str(&format!(
            "  # {role} ({party})\n  curl -s -H 'Authorization: Bearer {}' {base}{path}\n",
            token.secret
        ));
    }
    out.push_str(&format!("  # anyone: the signed journal head\n  curl -s {base}/v1/journal/head\n"));
    Ok(out)
}

/// Makes sure the target holds nothing but, at most, an earlier demo, and clears that.
async fn prepare(config: &Config, keys: &ConfiguredKeys) -> Result<()> {
    let url = &config.database_url;
    let existing_file = sqlite_path(url).filter(|p| p.exists());
    if sqlite_path(url).is_some() && existing_file.is_none() {
        return Ok(());
    }
    let app = crate::database::open(config, keys, app::Opening::Existing)
        .await
        .with_context(|| format!("{url} exists but cannot be opened with these keys; choose another --db"))?;
    let checker = Actor { party: "cloison-demo".parse()?, role: Role::System, session: "demo-check".into() };
    let marker = demo::marker(&app, &checker).await?;
    let counts = app.register_counts(&checker).await?.into_view();
    app.close().await;
    match (marker, existing_file) {
        (Some(_), Some(file)) => {
            for suffix in ["", "-wal", "-shm"] {
                let path = format!("{}{suffix}", file.display());
                if Path::new(&path).exists() {
                    std::fs::remove_file(&path)?;
                }
            }
            Ok(())
        }
        (Some(_), None) => bail!("{url} already holds a demo; build into a fresh database"),
        (None, _) if counts.access_points == 0 && counts.parties == 0 => Ok(()),
        (None, _) => bail!("{url} holds a register that is not a demo; the demo will not touch it"),
    }
}

async fn tour(
    app: &Cloison,
    actor: &Actor,
    args: &DemoArgs,
    summary: &DemoSummary,
    url: &str,
) -> Result<String> {
    let counts = app.register_counts(actor).await?.into_view();
    let mut out = String::new();
    out.push_str(&format!(
        "Cloison demo: seed {}, {} access points ({} electricity, {} gas) in {}\n\n",
        args.seed, counts.access_points, summary.electricity, summary.gas, url
    ));
    out.push_str(&format!(
        "Simulated market window {WINDOW_START} to {WINDOW_END} (Brussels days):\n\
         \x20 {} network users, {} moves, {} supplier switches, {} budget meters placed\n\
         \x20 {} parties, {} occupancy records, {} registration records (corrections included)\n\n",
        summary.network_users,
        summary.moves,
        summary.switches,
        summary.budget_meters,
        counts.parties,
        counts.occupancies,
        counts.registrations,
    ));
    // The access point with the richest history among the first hundred.
    let mut best = None;
    for ean in app.register_eans(actor, 100).await?.into_view() {
        let history = app.register_history(actor, ean).await?.into_view();
        let events = history.occupancies.len() + history.registrations.len();
        if best.as_ref().is_none_or(|(n, _)| events > *n) {
            best = Some((events, history));
        }
    }
    let Some((_, history)) = best else {
        return Ok(out);
    };
    let ean = history.access_point.ean;
    out.push_str(&format!("A tour of access point {ean}: its whole history\n"));
    out.push_str(&indent(&render_history(&history)));
    let mid = day_start(jiff::civil::Date::constant(2024, 7, 1))?;
    let show = app.register_show(actor, ean, mid).await?.into_view();
    out.push_str("\nWho held it on 1 July 2024\n");
    out.push_str(&indent(&render_show(&show)));
    out.push_str(&market_story(app, actor).await?);
    out.push_str(&metering_story(app, actor, summary, &args.db).await?);
    out.push_str(&access_story(app, actor, args.seed, summary).await?);
    out.push_str(&producer_story(app, actor, &history.access_point.substation).await?);
    out.push_str(&works_story(app, actor, summary).await?);
    out.push_str(&research_story(app, actor, summary).await?);
    out.push_str(&contact_story(app, actor, summary).await?);
    out.push_str(&logins_story(summary));
    let db = match &args.db {
        Some(db) => format!(" --db {db}"),
        None => String::new(),
    };
    let unknown = domain::Ean::from_body(54_144_700_000_000_001)?.to_string();
    let last = unknown.as_bytes()[17] - b'0';
    let mistyped = format!("{}{}", &unknown[..17], (last + 1) % 10);
    out.push_str(&format!(
        "\nTry next:\n\
         \x20 cloison register show {ean} --at 2024-07-01{db}\n\
         \x20 cloison register show {ean} --at 2025-12-31T12:00:00Z --json{db}\n\
         \x20 cloison register history {ean}{db}\n\
         \x20 cloison journal verify{db}    (every write and read above is in a tamper-evident journal)\n\
         \x20 cloison journal search --subject {ean}{db}\n\
         \x20 cloison producers list{db}    (the connection queues, every deadline)\n\
         \x20 cloison producers audit{db}    (the queues rebuilt from the journal)\n\
         \x20 cloison works list{db}    (customer works requests; personal data purged on schedule)\n\
         \x20 cloison contact config show{db}    (the contact center's principals, sealed off from each other)\n\
         \x20 cloison aggregates substation month --from 2025-01-01 --to 2025-12-31{db}    (disclosure control, R14)\n\
         \x20 cloison export warehouse --to warehouse{db}    (Parquet files for the warehouse, labelled and sealed)\n\
         \x20 cloison messages peek --party dso:budget_meter{db}    (the budget-meter team's work orders)\n\
         \x20 cloison register show {unknown}{db}    (a valid EAN the register does not know)\n\
         \x20 cloison register show {mistyped}{db}    (a wrong check digit)\n"
    ));
    Ok(out)
}

/// Who can sign in to the web interface: one party per kind of user, with its demo password
/// (fixed, so the tour stays a function of the seed; a demo's, never a real installation's).
fn logins_story(summary: &DemoSummary) -> String {
    if summary.logins.is_empty() {
        return String::new();
    }
    let mut out = String::from("\nThe web interface's demo logins (party, role, password):\n");
    for login in &summary.logins {
        out.push_str(&format!(
            "  {:<14} {:<15} {:<24} {}\n",
            login.party.as_str(),
            login.role.as_str(),
            login.password,
            login.shows
        ));
    }
    out
}

/// The year of interval data: what the validation found, one validator's decision, and one
/// supplier's view of a point's consumption on either side of a switch (R1).
async fn metering_story(
    app: &Cloison,
    actor: &Actor,
    summary: &DemoSummary,
    db: &Option<String>,
) -> Result<String> {
    use app::{Resolution, Verdict};
    let db = db.as_ref().map_or(String::new(), |db| format!(" --db {db}"));
    let mut out = format!(
        "\nMetering: {} remotely read points, {} interval values from {} (a year), {} findings for the validators\n",
        summary.interval_points,
        summary.interval_values,
        demo::readings::READINGS_FROM,
        summary.findings
    );
    let validator =
        Actor { party: "staff-marc".parse()?, role: Role::MeteringStaff, session: actor.session.clone() };
    if let Some(finding) = app.validation_queue(&validator, 1).await?.into_view().into_iter().next() {
        let verdict = match finding.rule.as_str() {
            "gap" => Verdict::Estimate,
            "zero_run" => Verdict::Accept,
            _ => Verdict::Reject,
        };
        let decided = app.validation_decide(&validator, &finding.id, verdict).await?.into_view();
        out.push_str(&format!(
            "  {} on {} {}: {}\n  the validator decides: {}{}\n",
            finding.rule,
            finding.ean,
            finding.day,
            finding.reason,
            decided.decision,
            decided
                .version_written
                .map_or(String::new(), |v| format!(" (version {v} of the day written, the first kept)")),
        ));
    }
    // A point whose supplier changed inside the year of data: each supplier sees its months only.
    let (from, to) = (demo::readings::READINGS_FROM, WINDOW_END);
    let (start, end) = (day_start(from)?, day_start(to)?);
    for ean in &summary.interval_eans {
        let history = app.register_history(actor, *ean).await?.into_view();
        let live: Vec<&app::RecordView> = history.registrations.iter().filter(|r| r.effective).collect();
        let switch = live.windows(2).find(|w| {
            w[1].period.from() > start && w[1].period.from() < end && w[0].party.id != w[1].party.id
        });
        let Some([before, after]) = switch.map(|w| [w[0], w[1]]) else { continue };
        let local = jiff::Zoned::new(after.period.from(), domain::period::brussels()).date();
        out.push_str(&format!(
            "  {ean} changes supplier on {local}: each supplier reads its own months only (R1)\n"
        ));
        for holder in [before, after] {
            let who = Actor {
                party: holder.party.id.clone(),
                role: Role::Supplier,
                session: actor.session.clone(),
            };
            let view = app.consumption(&who, *ean, from, to, Resolution::Month).await?.into_view();
            let values = view.channels.first().map(|c| c.values.as_slice()).unwrap_or_default();
            let (Some(first), Some(last)) = (values.first(), values.last()) else { continue };
            let total: i64 = values.iter().filter_map(|v| v.wh).sum();
            out.push_str(&format!(
                "    {:<12} {} months, {} to {}, {} kWh\n",
                holder.party.id,
                values.len(),
                &first.start[..10],
                &last.end[..10],
                total / 1000
            ));
        }
        out.push_str(&format!(
            "  cloison --as {}:supplier metering consumption {ean} --from {from} --to {to} --resolution month{db}\n",
            before.party.id
        ));
        break;
    }
    out.push_str(&index_story(app, actor, summary).await?);
    out.push_str(&format!("  cloison metering queue{db}    (the validators' queue)\n"));
    Ok(out)
}

/// The index readings of the points read yearly or monthly: what the rules found, one
/// validator's decision on a rollover, and the meter reader's route (R9).
async fn index_story(app: &Cloison, actor: &Actor, summary: &DemoSummary) -> Result<String> {
    use app::Verdict;
    let mut out = format!(
        "\nIndex readings: {} points read yearly or monthly, {} readings, {} findings for the validators\n",
        summary.index_points, summary.index_readings, summary.index_findings
    );
    let validator =
        Actor { party: "staff-marc".parse()?, role: Role::MeteringStaff, session: actor.session.clone() };
    let queue = app.validation_queue(&validator, 1000).await?.into_view();
    if let Some(rollover) = queue.iter().find(|f| f.rule == "meter_rollover") {
        let decided = app.validation_decide(&validator, &rollover.id, Verdict::Accept).await?.into_view();
        out.push_str(&format!(
            "  meter_rollover on {} {}: {}\n  the validator decides: {}\n",
            rollover.ean, rollover.day, rollover.reason, decided.decision
        ));
    }
    let reader = Actor {
        party: demo::index_readings::READER.parse()?,
        role: Role::MeterReader,
        session: actor.session.clone(),
    };
    let route = app.route_today(&reader).await?.into_view();
    out.push_str(&format!(
        "  {} (meter reader) has {} access points on today's route, with their addresses and nothing of \
         their consumption (R9)\n",
        reader.party,
        route.stops.len()
    ));
    if let Some(outside) = summary.interval_eans.iter().find(|e| !summary.route.contains(e)) {
        let gas = outside.to_string().starts_with("5414490");
        let post = app::IndexPost {
            ean: outside.to_string(),
            register: if gas { "gas" } else { "single" }.into(),
            value: "1.000".into(),
            at: jiff::Timestamp::now().to_string(),
            source: "reader_visit".into(),
            reader: None,
            calorific_value: gas.then_some(11_000),
        };
        let answer = match app.route_post(&reader, post).await {
            Err(app::AppError::Forbidden) => "refused, and the refusal journaled",
            Ok(_) => "taken (it should not have been)",
            Err(_) => "refused as malformed",
        };
        out.push_str(&format!("  a reading she posts for {outside}, not on her route: {answer}\n"));
    }
    Ok(out)
}

/// The budget-meter mask told from both suppliers' side (R3), with one message's receipt
/// checked as its recipient would. Judged on the day after the window, so the story, like the
/// rest of the tour, follows from the seed; its scenarios stay in progress.
async fn market_story(app: &Cloison, actor: &Actor) -> Result<String> {
    use app::MarketAnswer;
    use domain::scenario::{Action, Request};
    let today = WINDOW_END;
    let day = |days: i32| today.checked_add(jiff::Span::new().days(days));
    let at = day_start(today)?;
    // Two points with an occupant and a supplier that day, supplied by different suppliers.
    let mut picked: Vec<(domain::AccessPoint, domain::PartyId, domain::PartyId)> = Vec::new();
    for ean in app.register_eans(actor, 500).await?.into_view() {
        let show = app.register_show(actor, ean, at).await?.into_view();
        if let (Some(occupant), Some(supplier)) = (show.occupant, show.supplier) {
            let new_supplier = picked.iter().all(|(_, _, s)| *s != supplier.party.id);
            if show.access_point.meter != domain::MeterKind::Budget && new_supplier {
                picked.push((show.access_point, occupant.party.id, supplier.party.id));
            }
        }
        if picked.len() == 2 {
            break;
        }
    }
    let [(dropped, customer, dropping), (ended, other_customer, ending)] = picked.as_slice() else {
        return Ok(String::new());
    };
    let competitor = demo::suppliers()
        .into_iter()
        .map(|p| p.id)
        .find(|id| id != dropping && id != ending)
        .expect("eight suppliers");
    let supplier = |party: &domain::PartyId| Actor {
        party: party.clone(),
        role: Role::Supplier,
        session: actor.session.clone(),
    };
    let request = |point: &domain::AccessPoint, initiator: &domain::PartyId, effective_day, action| Request {
        ean: point.ean,
        energy: point.energy,
        initiator: initiator.clone(),
        effective_day,
        action,
    };
    let told = |answer: &MarketAnswer| match answer {
        MarketAnswer::Refused { code, message, .. } => format!("refused ({code}): {message}"),
        MarketAnswer::Accepted { .. } => "accepted".to_owned(),
    };
    let drop = request(dropped, dropping, day(30)?, Action::Drop { customer: customer.clone() });
    let drop_answer = app.market_submit(&supplier(dropping), drop, None, today).await?.into_view();
    let end = request(ended, ending, day(60)?, Action::EndOfContract);
    let end_answer = app.market_submit(&supplier(ending), end, None, today).await?.into_view();
    let mut out = format!(
        "\nThe budget-meter mask (R3), judged on {today}\n\
         \x20 {dropping} drops its customer {customer} on {} (they do not pay), from {}: {}\n\
         \x20 {ending} ends its contract on {}, from {}: {}\n",
        dropped.ean,
        day(30)?,
        told(&drop_answer),
        ended.ean,
        day(60)?,
        told(&end_answer),
    );
    let competing = supplier(&competitor);
    out.push_str(&format!("  {competitor} asks to supply both customers from {}:\n", day(70)?));
    for (point, who, what) in
        [(dropped, customer, "the drop"), (ended, other_customer, "the end of contract")]
    {
        let switch = request(point, &competitor, day(70)?, Action::SupplierSwitch { customer: who.clone() });
        let answer = app.market_submit(&competing, switch, None, today).await?.into_view();
        let text = told(&answer).replace(&point.ean.to_string(), "the point");
        out.push_str(&format!("    behind {what}: {text}\n"));
    }
    let queue = app.market_peek(&competing, None, 10).await?.into_view();
    out.push_str(&format!(
        "  The same code and the same words: {competitor} cannot tell the drop from a genuine end of \
         contract,\n  and it is sent nothing about either ({} message(s) in its queue). The journal names \
         the policy\n  that masked the drop (r3-drop-told-as-end-of-contract), for the ethics committee's \
         eyes only.\n",
        queue.messages.len()
    ));
    let own = app.market_peek(&supplier(dropping), None, 10).await?.into_view();
    let kinds: Vec<&str> = own.messages.iter().map(|m| m.kind.as_str()).collect();
    out.push_str(&format!("  {dropping}'s queue: {}\n", kinds.join(", ")));
    let staff = Actor { role: Role::RegisterStaff, ..actor.clone() };
    let work = app.market_peek(&staff, Some("dso:budget_meter"), 500).await?.into_view();
    let orders: Vec<String> = work
        .messages
        .iter()
        .map(|m| {
            serde_json::from_str::<serde_json::Value>(&m.body)
                .map(|b| b["order"].as_str().unwrap_or("").to_owned())
        })
        .collect::<Result<_, _>>()?;
    out.push_str(&format!("  The DSO's budget-meter team is sent: {}\n", orders.join(", ")));
    if let Some(message) = own.messages.first() {
        let index =
            app::verify_receipt(message.body.as_bytes(), &message.receipt, &app.journal_public_key())?;
        out.push_str(&format!(
            "  {dropping} checks the receipt of its '{}' message without trusting us: the body's SHA-256 \
             is\n  in journal entry #{index}, included in the head of {} entries signed with the journal's \
             key: verified\n",
            message.kind, message.receipt.proof.size
        ));
    }
    Ok(out)
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

/// Staff access from the HR extracts (R11), and a customer's written mandate (R5): what the
/// first sync granted, what the next night would change, and a third party reading exactly
/// what the mandate names until it is revoked.
async fn access_story(app: &Cloison, actor: &Actor, seed: u64, summary: &DemoSummary) -> Result<String> {
    let today = domain::period::local_day(jiff::Timestamp::now());
    let people = 300;
    let night = |n: u32| {
        let extracts = demo::staff::extracts(people, seed, n);
        app::SyncInput {
            internal: extracts.internal,
            external: extracts.external,
            today,
            max_removal_percent: app::DEFAULT_MAX_REMOVAL_PERCENT,
            force: false,
        }
    };
    let first = app.sync_staff(actor, night(0)).await?.into_view();
    let granted: usize = first.changes.iter().map(|c| c.grant.len()).sum();
    let next = app.sync_staff_dry_run(actor, night(1)).await?.into_view();
    let mut out = format!(
        "\nStaff access from the HR extracts (R11), {people} people:\n\
         \x20 first sync: {} joiners, {granted} roles granted from their jobs\n\
         \x20 the next night, as a dry run: {} joiners, {} movers, {} leavers (their tokens revoked at once)\n\
         \x20 cloison iam check    (grants in force, segregation-of-duties violations)\n",
        first.joiners, next.joiners, next.movers, next.leavers
    );
    // A written mandate for a point whose occupant holds it now.
    let now = jiff::Timestamp::now();
    let Some((ean, customer)) = first_occupied(app, actor, &summary.interval_eans, now).await? else {
        return Ok(out);
    };
    let advisor: domain::PartyId = "tp-energie-conseil".parse()?;
    let party = domain::Party {
        id: advisor.clone(),
        kind: domain::PartyKind::ThirdParty,
        name: "Énergie Conseil SRL".parse()?,
        phone: None,
        email: None,
    };
    app.register_apply(actor, vec![(now, app::Change::PutParty(party))]).await?;
    let since = now - jiff::SignedDuration::from_hours(24 * 30);
    let mandate = domain::mandate::Mandate {
        customer: customer.clone(),
        mandated: advisor.clone(),
        eans: vec![ean],
        scopes: vec![domain::mandate::Scope::Register],
        period: domain::Period::new(since, None)?,
        document: "MAND-DEMO-0001".into(),
    };
    let id = app.record_mandate(actor, mandate).await?;
    let third = Actor { party: advisor.clone(), role: Role::ThirdParty, session: actor.session.clone() };
    let third = &third;
    let seen = |at| async move {
        match app.access_point_at(third, ean, at).await {
            Ok(_) => "shown",
            Err(_) => "refused, as for a point that does not exist",
        }
    };
    let inside = seen(now).await;
    let before = seen(now - jiff::SignedDuration::from_hours(24 * 60)).await;
    app.revoke_mandate(actor, &id).await?;
    let revoked = seen(now).await;
    out.push_str(&format!(
        "Written mandate (R5): {customer} authorises {advisor} to see {ean} from 30 days ago\n\
         \x20 now: {inside}; 60 days ago, before the mandate: {before}; once revoked: {revoked}\n"
    ));
    Ok(out)
}

/// A producer connection queue on `substation` (R15), played over the last five months: a
/// partial offer split into a waiting part that keeps its rank, a caducity the daily run
/// applies (the regulator told), the capacity re-offered in rank order; then one producer's
/// own view and the audit that rebuilds the queue from the journal.
async fn producer_story(app: &Cloison, actor: &Actor, substation: &domain::SubstationId) -> Result<String> {
    use domain::producer::Command;
    let today = app::market_today();
    let day = |n: i64| today.checked_sub(jiff::Span::new().days(150 - n));
    let now = jiff::Timestamp::now();
    let producers = [
        ("prod-solaire-hesbaye", "Solaire Hesbaye SA"),
        ("prod-eole-condroz", "Éole Condroz SRL"),
        ("prod-biogaz-famenne", "Biogaz Famenne SC"),
    ];
    let mut changes = Vec::new();
    for (id, name) in producers {
        let party = domain::Party {
            id: id.parse()?,
            kind: domain::PartyKind::Company,
            name: name.parse()?,
            phone: None,
            email: None,
        };
        changes.push((now, app::Change::PutParty(party)));
    }
    app.register_apply(actor, changes).await?;
    let run = |command: Command| async move {
        app.connection_command(actor, substation.clone(), command).await.map(app::Sent::into_view)
    };
    run(Command::SetCapacity { kw: 4_000, day: day(0)? }).await?;
    let mut ids = Vec::new();
    for ((id, _), (kw, n)) in producers.iter().zip([(2_500, 1), (2_000, 1), (800, 2)]) {
        let filed =
            run(Command::Acknowledge { producer: id.parse()?, kw, transmission_study: false, day: day(n)? })
                .await?;
        ids.push(filed.request.map(|r| r.id).unwrap_or_default());
    }
    run(Command::PayDetailedStudy { request: ids[0].clone(), day: day(3)? }).await?;
    let split = run(Command::PayDetailedStudy { request: ids[1].clone(), day: day(3)? }).await?;
    run(Command::PayDetailedStudy { request: ids[2].clone(), day: day(4)? }).await?;
    run(Command::SendOffer { request: ids[0].clone(), day: day(10)? }).await?;
    run(Command::SendOffer { request: ids[1].clone(), day: day(10)? }).await?;
    run(Command::Sign { request: ids[1].clone(), day: day(20)? }).await?;
    // A second feeder of the substation, saturated until an investment: the request waits,
    // then the larger capacity goes to it at once, at its rank.
    let feeder: domain::SubstationId = format!("{substation}-F2").parse()?;
    let on_feeder = |command: Command| {
        let feeder = feeder.clone();
        async move { app.connection_command(actor, feeder, command).await.map(app::Sent::into_view) }
    };
    on_feeder(Command::SetCapacity { kw: 0, day: day(0)? }).await?;
    let waiting = on_feeder(Command::Acknowledge {
        producer: producers[2].0.parse()?,
        kw: 1_000,
        transmission_study: false,
        day: day(5)?,
    })
    .await?
    .request
    .map(|r| r.id)
    .unwrap_or_default();
    on_feeder(Command::PayDetailedStudy { request: waiting.clone(), day: day(6)? }).await?;
    let daily = app.connections_daily(actor, day(80)?).await?.into_view();
    let invested = on_feeder(Command::SetCapacity { kw: 2_500, day: day(100)? }).await?;
    app.connections_daily(actor, today).await?;
    let partial = split.request.map(|r| r.kw).unwrap_or_default();
    let mut out = format!(
        "\nProducer connection queue on {substation} (R15), 4,000 kW of hosting capacity:\n\
         \x20 {} 2,500 kW, {} 2,000 kW (only {partial} kW free: the rest waits at its rank), {} 800 kW\n",
        ids[0], ids[1], ids[2]
    );
    for queue in &daily.changed {
        for h in &queue.happened {
            out.push_str(&format!(
                "  daily run {}: {} {}{}{}\n",
                daily.day,
                h.request.as_deref().unwrap_or("queue"),
                h.what,
                h.kw.map(|kw| format!(" {kw} kW")).unwrap_or_default(),
                if h.regulator { " (the regulator told)" } else { "" }
            ));
        }
    }
    out.push_str(&format!(
        "  feeder {feeder}: no hosting capacity; {waiting} (1,000 kW) waits; an investment brings 2,500 kW:\n"
    ));
    for h in &invested.happened {
        out.push_str(&format!(
            "    {} {}{}\n",
            h.request.as_deref().unwrap_or("capacity"),
            h.what,
            h.kw.map(|kw| format!(" {kw} kW")).unwrap_or_default()
        ));
    }
    let eole = Actor { party: producers[1].0.parse()?, role: Role::Customer, session: actor.session.clone() };
    let own = app.own_connections(&eole).await?.into_view();
    out.push_str(&format!("  what {} sees: its own requests only\n", producers[1].0));
    for o in &own {
        out.push_str(&format!(
            "    {} {} kW {} position {} (capacity {} kW, free {} kW, waiting {} kW)\n",
            o.request.id,
            o.request.kw,
            o.request.state,
            o.position.map_or_else(|| "-".to_owned(), |p| p.to_string()),
            o.figures.capacity_kw,
            o.figures.free_kw,
            o.figures.waiting_kw
        ));
    }
    let audit = app.connections_audit(actor).await?.into_view();
    out.push_str(&format!(
        "  audit: {} commands replayed from the journal, {}\n",
        audit.commands,
        audit.first_difference.as_deref().unwrap_or("the stored queues are exactly what they make")
    ));
    Ok(out)
}

/// The contact center (R12) the demo set up: at each principal's entry point, the number
/// every directory holds pops that principal's customer and nobody else's; each principal's
/// simulated day in its own report.
async fn contact_story(app: &Cloison, actor: &Actor, summary: &DemoSummary) -> Result<String> {
    let contact = &summary.contact;
    let shared = demo::contact::SHARED_NUMBER;
    let mut out = format!(
        "\nThe contact center (R12): {} principals on shared infrastructure, sealed off from each other\n",
        contact.principals.len()
    );
    for (principal, entry) in contact.principals.iter().zip(&contact.call_entries) {
        let screen = app.screen_pop(actor, "call", entry, Some(shared), None).await?.into_view();
        let found =
            screen.customers.iter().map(|c| format!("{} ({})", c.customer, c.name)).collect::<Vec<_>>();
        let report = app.contact_report(actor, principal, contact.from, contact.until).await?.into_view();
        let percent = |v: Option<f64>| v.map_or_else(|| "-".into(), |v| format!("{:.1} %", v * 100.0));
        out.push_str(&format!(
            "  {principal}: {shared} calling {entry} pops {}; {} interactions simulated, service level {}, abandonment {}\n",
            found.join(", "),
            report.kpis.offered,
            percent(report.kpis.service_level),
            percent(report.kpis.abandonment_rate),
        ));
    }
    out.push_str(&format!(
        "  {} supervises the DSO's line only (web interface: Contact center)\n",
        demo::contact::DSO_SUPERVISOR
    ));
    Ok(out)
}

/// Customer works (R13): requests in different modules, one closed years ago and purged by
/// the retention schedule, one closed last month with only its contact data purged, one
/// awaiting the customer's acceptance, one just captured.
async fn works_story(app: &Cloison, actor: &Actor, summary: &DemoSummary) -> Result<String> {
    use domain::works::{RequesterKind, Step};
    let now = jiff::Timestamp::now();
    let Some((ean, customer)) = first_occupied(app, actor, &summary.interval_eans, now).await? else {
        return Ok(String::new());
    };
    let today = app::market_today();
    let ago = |days: i64| today.checked_sub(jiff::Span::new().days(days));
    let fields = |pairs: &[(&str, &str)]| -> std::collections::BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    };
    let ean_text = ean.to_string();
    let capture = fields(&[
        ("requester_name", "Demo Requester"),
        ("billing_address", "Rue de la Démo 1, 5000 Namur"),
        ("description", "works requested in the demo"),
        ("phone", "+3281000000"),
        ("email", "requester@example.be"),
        ("ean", &ean_text),
    ]);
    let close = |id: String, start: i64| {
        let fields = &fields;
        async move {
            let steps = [
                Step::Study { fields: fields(&[("study_fee_cents", "12000")]) },
                Step::Offer { fields: fields(&[("works_amount_cents", "48000"), ("vat_rate", "6")]) },
                Step::Accept,
                Step::Plan { fields: fields(&[("planned_day", &ago(start - 20)?.to_string())]) },
                Step::Execute {
                    fields: fields(&[
                        ("power_kva", "9.2"),
                        ("supply_type", "single_phase"),
                        ("meter_type", "smart"),
                        ("meter_number", "SM-DEMO-1"),
                    ]),
                },
                Step::Invoice { fields: fields(&[("invoice_number", "INV-DEMO-1")]) },
            ];
            for (n, step) in steps.into_iter().enumerate() {
                app.work_step(actor, &id, step, ago(start - 5 * n as i64)?).await?;
            }
            anyhow::Ok(())
        }
    };
    let mut ids = Vec::new();
    for (kind, start) in
        [("meter_change", 4_000), ("connection_change", 60), ("new_connection", 20), ("removal", 0)]
    {
        let id = app
            .capture_work(
                actor,
                kind,
                customer.clone(),
                RequesterKind::Customer,
                capture.clone(),
                ago(start)?,
            )
            .await?
            .into_view()
            .id;
        ids.push(id);
    }
    close(ids[0].clone(), 3_990).await?;
    close(ids[1].clone(), 55).await?;
    app.work_step(actor, &ids[2], Step::Study { fields: fields(&[("study_fee_cents", "0")]) }, ago(15)?)
        .await?;
    app.work_step(
        actor,
        &ids[2],
        Step::Offer { fields: fields(&[("works_amount_cents", "150000"), ("vat_rate", "21")]) },
        ago(10)?,
    )
    .await?;
    let report = app.works_retention(actor, today).await?.into_view();
    let mut out = format!("\nCustomer works (R13) for {customer} on {ean}:\n");
    // In the order captured, without their random ids, so the same seed prints the same tour.
    let mut works = app.works(actor).await?.into_view();
    works.sort_by_key(|w| ids.iter().position(|id| *id == w.id));
    for w in works {
        out.push_str(&format!(
            "  {} {}: personal data kept: {}{}\n",
            w.kind.as_str(),
            w.stage,
            if w.personal.is_empty() {
                "none".to_owned()
            } else {
                w.personal.keys().cloned().collect::<Vec<_>>().join(", ")
            },
            w.asset
                .map(|a| format!(
                    "; asset record: {} kVA, {} meter {}",
                    a.power_kva, a.meter_type, a.meter_number
                ))
                .unwrap_or_default()
        ));
    }
    out.push_str(&format!(
        "  retention run today: {} purge(s), each with its legal basis\n",
        report.purged.len()
    ));
    Ok(out)
}

/// Consent-based research (R14): three network users of remotely read points consent, two
/// universities sign agreements, one user withdraws; each extract holds only who consents,
/// under the university's own pseudonyms; and the year's consumption per substation and
/// month, with the cells too small or too dominated to publish withheld.
async fn research_story(app: &Cloison, actor: &Actor, summary: &DemoSummary) -> Result<String> {
    use domain::consent::{Agreement, Category, Collection, ConsentTerms};
    let now = jiff::Timestamp::now();
    let genesis = day_start(jiff::civil::Date::constant(2024, 1, 1))?;
    let universities = [("uni-namur", "Université de Namur"), ("uni-liege", "Université de Liège")];
    let parties = universities
        .iter()
        .map(|(id, name)| {
            Ok((
                genesis,
                domain::Change::PutParty(domain::Party {
                    id: id.parse()?,
                    kind: domain::PartyKind::Researcher,
                    name: name.parse()?,
                    phone: None,
                    email: None,
                }),
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    app.register_apply(actor, parties).await?;
    let (from, to) = (demo::readings::READINGS_FROM, jiff::civil::Date::constant(2025, 12, 31));
    let mut receipts = Vec::new();
    for ean in summary.interval_eans.iter().take(12) {
        if receipts.len() == 3 {
            break;
        }
        let view = app.access_point_at(actor, *ean, now).await?.into_view();
        let Some(occupant) = view.occupant else { continue };
        let customer = Actor { party: occupant.party.id, role: app::Role::Customer, session: "demo".into() };
        let partners = if receipts.is_empty() { vec!["uni-namur", "uni-liege"] } else { vec!["uni-namur"] };
        let terms = ConsentTerms {
            purposes: vec!["demand_study".into()],
            categories: vec![Category::Daily],
            partners: partners.iter().map(|p| p.parse()).collect::<Result<_, _>>()?,
            from,
            to,
            collection: Collection::Online,
        };
        let given = app.give_consent(&customer, terms).await?.into_view();
        receipts.push((customer, given["id"].as_str().unwrap_or_default().to_owned()));
    }
    let mut agreements = Vec::new();
    for (partner, _) in universities {
        let agreement = Agreement {
            partner: partner.parse()?,
            reference: format!("{partner}-demand-2025"),
            purposes: vec!["demand_study".into()],
            categories: vec![Category::Daily],
            substations: Vec::new(),
            from,
            // Extracts may be made until the agreement ends; the consents bound the days.
            to: jiff::civil::Date::constant(2030, 12, 31),
        };
        let recorded = app.record_agreement(actor, agreement).await?.into_view();
        agreements.push(recorded["id"].as_str().unwrap_or_default().to_owned());
    }
    let mut out = format!(
        "\nConsent-based research (R14): {} network users consent to a demand study\n",
        receipts.len()
    );
    let line = |who: &str, made: &serde_json::Value| {
        format!(
            "  extract for {who}: {} participant(s), {} daily values, every id a pseudonym of its own\n",
            made["participants"], made["rows"]
        )
    };
    let namur = app.make_extract(actor, &agreements[0], "demand_study", "daily").await?.into_view();
    out.push_str(&line("uni-namur", &namur));
    let liege = app.make_extract(actor, &agreements[1], "demand_study", "daily").await?.into_view();
    out.push_str(&line("uni-liege", &liege));
    if let Some((customer, receipt)) = receipts.last() {
        app.withdraw_consent(customer, receipt).await?;
        let after = app.make_extract(actor, &agreements[0], "demand_study", "daily").await?.into_view();
        out.push_str("  one network user withdraws, in one call; the next extract:\n");
        out.push_str(&line("uni-namur", &after));
    }
    let query = app::AggregateQuery::new("substation", "month", from, to, None, None, None)?;
    let table = app.aggregates(actor, &query).await?.into_view();
    let (cells, withheld) = table.cells();
    out.push_str(&format!(
        "  consumption per substation and month of 2025 ({} values): {cells} cells, {withheld} withheld \
         (fewer than 15 points, one point above 15 %, or what would give those away)\n",
        table.values_read
    ));
    Ok(out)
}

/// The first of `eans` with an occupant at `at`, and that occupant.
async fn first_occupied(
    app: &Cloison,
    actor: &Actor,
    eans: &[domain::Ean],
    at: jiff::Timestamp,
) -> Result<Option<(domain::Ean, domain::PartyId)>> {
    for ean in eans {
        let view = app.access_point_at(actor, *ean, at).await?.into_view();
        if let Some(occupant) = view.occupant {
            return Ok(Some((*ean, occupant.party.id)));
        }
    }
    Ok(None)
}
