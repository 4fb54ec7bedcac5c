//! `cloison bench market`: the market's two throughputs, each beside the naive way in the
//! same run (BENCHMARKS.md).
//!
//! Switches: every occupied point of a demo database switches to another supplier, submitted
//! through the app layer as a supplier's system does (the gate, the writer, the journal, the
//! messages). The naive run waits for each answer before the next submission, so each
//! scenario is one transaction; the batched run has concurrent submitters, whose scenarios
//! the writer commits together.
//!
//! Queues: the API on a free port of the loopback, and the messages those switches queued for
//! one supplier, read over HTTP with its token. The naive run peeks one message and
//! acknowledges it, and again; the batched run peeks a bundle and sends its
//! acknowledgements together.

use std::time::Instant;

use anyhow::{Context, Result, bail};
use app::{Actor, Cloison, MarketAnswer, Role};
use domain::scenario::{Action, Request};
use domain::{Ean, PartyId};

/// A switch to submit: the point, its energy, the customer, the new supplier.
type Switch = (Ean, domain::Energy, PartyId, PartyId);

/// The supplier whose queue the HTTP run reads: the switches go to it where they can.
const RECEIVER: &str = "sup-ardenne";
/// Where it cannot (it supplies the point already).
const SECOND: &str = "sup-meuse";

/// Runs both measurements and prints them.
pub async fn run(app: &Cloison, submitters: usize, switches: usize, in_flight: usize) -> Result<()> {
    let system =
        Actor { party: "cloison-bench".parse()?, role: Role::System, session: "bench-market".into() };
    let today = app::market_today();
    let day = today.checked_add(jiff::Span::new().days(10))?;
    let at = domain::period::day_start(today)?;
    let mut planned: Vec<Switch> = Vec::new();
    let eans = app.register_eans(&system, i64::try_from(switches * 3)?).await?.into_view();
    for ean in eans {
        let shown = app.register_show(&system, ean, at).await?.into_view();
        let (Some(occupant), Some(supplier)) = (shown.occupant, shown.supplier) else { continue };
        let to: PartyId =
            if supplier.party.id.as_str() == RECEIVER { SECOND.parse()? } else { RECEIVER.parse()? };
        planned.push((ean, shown.access_point.energy, occupant.party.id, to));
        if planned.len() == 2 * switches {
            break;
        }
    }
    if planned.len() < 2 * switches {
        bail!(
            "the database has {} occupied points without a scenario; --switches {switches} needs {} (build a larger demo)",
            planned.len(),
            2 * switches
        );
    }
    let batched_part = planned.split_off(switches);

    let started = Instant::now();
    let mut accepted = 0usize;
    for switch in &planned {
        accepted += usize::from(submit(app, switch, day, today).await?);
    }
    let naive = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let share = batched_part.len().div_ceil(submitters);
    for chunk in batched_part.chunks(share.max(1)) {
        let (app, chunk) = (app.clone(), chunk.to_vec());
        tasks.spawn(async move {
            let mut accepted = 0usize;
            for switch in &chunk {
                accepted += usize::from(submit(&app, switch, day, today).await?);
            }
            anyhow::Ok(accepted)
        });
    }
    while let Some(done) = tasks.join_next().await {
        accepted += done??;
    }
    if accepted + 10 < 2 * switches {
        bail!("{} of {} switches were refused: not a market at rest", 2 * switches - accepted, 2 * switches);
    }
    let batched = started.elapsed().as_secs_f64();
    crate::output::outln!(
        "switches through the app layer, journaled with their messages: {switches} one at a time in {naive:.2} s \
         ({:.0}/s, one transaction each); {switches} from {submitters} concurrent submitters in {batched:.2} s \
         ({:.0}/s, ×{:.1})",
        switches as f64 / naive,
        switches as f64 / batched,
        naive / batched
    )?;
    // What the receiver was sent: acceptance and technical data for each switch to it, the
    // loss for each switch away from it.
    let expected =
        planned.iter().chain(&batched_part).map(|(.., to)| if to.as_str() == RECEIVER { 2 } else { 1 }).sum();
    queues(app, &system, in_flight, expected).await
}

/// One switch, submitted by its new supplier: whether it was accepted. A point the demo's
/// tour left a scenario in progress on refuses it, as the market should.
async fn submit(
    app: &Cloison,
    (ean, energy, customer, to): &Switch,
    day: jiff::civil::Date,
    today: jiff::civil::Date,
) -> Result<bool> {
    let supplier = Actor { party: to.clone(), role: Role::Supplier, session: "bench-market".into() };
    let request = Request {
        ean: *ean,
        energy: *energy,
        initiator: to.clone(),
        effective_day: day,
        action: Action::SupplierSwitch { customer: customer.clone() },
    };
    let answer = app.market_submit(&supplier, request, None, today).await?.into_view();
    Ok(matches!(answer, MarketAnswer::Accepted { .. }))
}

/// The receiver's queue over HTTP: half the `expected` messages naively, the rest in bundles.
async fn queues(app: &Cloison, system: &Actor, in_flight: usize, expected: usize) -> Result<()> {
    let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
    let token = app.create_token(system, RECEIVER, Role::Supplier, expires).await?.secret;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let many = std::num::NonZeroU32::new(1_000_000).context("non-zero")?;
    let config = api::Config {
        rate_limit: api::RateLimit { per_second: many, burst: many },
        tls: None,
        connections: api::Connections::PUBLIC_API,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(api::serve(listener, app.clone(), config, async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    let peek = |limit: i64| {
        let request = client.get(format!("{base}/v1/messages/peek?limit={limit}")).bearer_auth(&token);
        async move {
            let response = request.send().await?;
            if response.status() == reqwest::StatusCode::NO_CONTENT {
                return anyhow::Ok(Vec::new());
            }
            let body: serde_json::Value = response.error_for_status()?.json().await?;
            let ids = body["messages"]
                .as_array()
                .context("a bundle")?
                .iter()
                .filter_map(|m| m["id"].as_str().map(str::to_owned))
                .collect::<Vec<_>>();
            anyhow::Ok(ids)
        }
    };
    let ack = |id: &str| {
        let request = client.delete(format!("{base}/v1/messages/{id}")).bearer_auth(&token);
        async move {
            request.send().await?.error_for_status()?;
            anyhow::Ok(())
        }
    };
    let started = Instant::now();
    let mut naive_done = 0;
    while naive_done < expected / 2 {
        let Some(id) = peek(1).await?.into_iter().next() else { break };
        ack(&id).await?;
        naive_done += 1;
    }
    let naive = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let mut batched_done = 0;
    loop {
        let ids = peek(app::MAX_BUNDLE).await?;
        if ids.is_empty() {
            break;
        }
        batched_done += ids.len();
        for chunk in ids.chunks(in_flight) {
            futures_util::future::try_join_all(chunk.iter().map(|id| ack(id))).await?;
        }
    }
    let batched = started.elapsed().as_secs_f64();
    let _ = stop.send(());
    server.await??;
    crate::output::outln!(
        "one party's queue over HTTP, peeked and acknowledged: {naive_done} messages one at a time in {naive:.2} s \
         ({:.0}/s); {batched_done} in bundles of up to {} with {in_flight} acknowledgements in flight in \
         {batched:.2} s ({:.0}/s, ×{:.1})",
        naive_done as f64 / naive,
        app::MAX_BUNDLE,
        batched_done as f64 / batched,
        (batched_done as f64 / batched) / (naive_done as f64 / naive)
    )?;
    Ok(())
}
