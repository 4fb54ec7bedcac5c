//! `cloison serve`: the HTTP API on a socket until Ctrl-C.

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use app::Cloison;
use clap::Args;

use crate::config::Config;

/// Options of `cloison serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Database URL or SQLite file (default from configuration).
    #[arg(long)]
    pub db: Option<String>,
    #[command(flatten)]
    pub server: ServerFlags,
}

/// Flags of the server, shared by `serve` and `demo`; each overrides the configuration file
/// and the environment (`rate_limit_per_second` / `CLOISON_RATE_LIMIT_PER_SECOND`, and so on).
#[derive(Debug, Args)]
pub struct ServerFlags {
    /// Sustained requests per second allowed to each bearer token [default: 50].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit_per_second: Option<u32>,
    /// Requests a bearer token may make at once before the sustained rate applies [default: 100].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit_burst: Option<u32>,
    /// PEM certificate chain (leaf first): serve HTTPS. Needs --tls-key.
    #[arg(long, value_name = "PEM")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of the certificate (PKCS#8, RSA or EC).
    #[arg(long, value_name = "PEM")]
    pub tls_key: Option<PathBuf>,
    /// Time a client has to send a whole request head (and finish a TLS handshake) [default: 10s].
    #[arg(long, value_name = "DURATION")]
    pub header_read_timeout: Option<String>,
    /// Time a connection may stay open without traffic between requests [default: 60s].
    #[arg(long, value_name = "DURATION")]
    pub idle_timeout: Option<String>,
    /// Connections open at once; more wait to be accepted [default: 4096, less if the file limit
    /// is lower].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: Option<u32>,
}

/// File descriptors kept for what is not a client connection: the database's files and
/// connections, the log, the certificate files read at start.
const RESERVED_FILES: u64 = 256;

/// Raises the soft limit on open files to the hard limit, and returns the soft limit then in
/// force (`None` when unlimited, or on a system without such limits).
///
/// The common soft limit of 1,024 is a default for interactive shells, not a choice made for
/// a server: under it, a thousand slow clients left no descriptor to accept `/healthz` with.
/// The hard limit is what the administrator allows; taking all of it is what servers do.
fn raise_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        let limit = getrlimit(Resource::Nofile);
        if limit.current != limit.maximum {
            let raised = Rlimit { current: limit.maximum, maximum: limit.maximum };
            if let Err(e) = setrlimit(Resource::Nofile, raised) {
                eprintln!("could not raise the open-file limit to its maximum: {e}");
            }
        }
        getrlimit(Resource::Nofile).current
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// A positive duration such as `10s`, `1m` or `PT90S`, from `source` (a flag, a file key or an
/// environment variable, named when it is refused).
fn duration(text: &str, source: &str) -> Result<Duration> {
    let parsed: jiff::SignedDuration = text
        .trim()
        .parse()
        .map_err(|e| anyhow::anyhow!("{source}: {text:?} is not a duration such as 10s or 1m: {e}"))?;
    if !parsed.is_positive() {
        bail!("{source}: must be more than zero, found {text:?}");
    }
    Duration::try_from(parsed).with_context(|| format!("{source}: {text:?} is out of range"))
}

/// The connection limits: flags over the file and environment over the defaults, with the
/// cap kept below the open-file limit (raised first to its maximum).
fn connections(config: &Config, flags: &ServerFlags) -> Result<api::Connections> {
    let defaults = api::Connections::PUBLIC_API;
    let timeout = |flag: &Option<String>,
                   flag_name: &str,
                   setting: &Option<(String, &'static str)>,
                   default| match (flag, setting) {
        (Some(text), _) => duration(text, flag_name),
        (None, Some((text, source))) => duration(text, source),
        (None, None) => Ok(default),
    };
    let header_read_timeout = timeout(
        &flags.header_read_timeout,
        "--header-read-timeout",
        &config.server.header_read_timeout,
        defaults.header_read_timeout,
    )?;
    let idle_timeout =
        timeout(&flags.idle_timeout, "--idle-timeout", &config.server.idle_timeout, defaults.idle_timeout)?;
    let asked = flags.max_connections.or(config.server.max_connections);
    let room = raise_file_limit().map(|files| {
        // Keep room for the database and the log; on a tiny limit, half of it.
        let room = if files > 2 * RESERVED_FILES { files - RESERVED_FILES } else { files / 2 };
        (files, u32::try_from(room).unwrap_or(u32::MAX).max(1))
    });
    let max = match (asked, room) {
        (Some(0), _) => bail!("max connections must be at least 1, found 0"),
        (Some(n), Some((files, room))) if n > room => bail!(
            "max connections: {n} is more than the open-file limit allows ({files} files, {RESERVED_FILES} kept              for the database and the log): at most {room}, or raise the hard limit (ulimit -Hn)"
        ),
        (Some(n), _) => n,
        (None, Some((_, room))) => defaults.max.get().min(room),
        (None, None) => defaults.max.get(),
    };
    let max = NonZeroU32::new(max).context("max connections must be at least 1")?;
    Ok(api::Connections { header_read_timeout, idle_timeout, max })
}

/// The server's configuration: flags over the file and environment over the defaults. The
/// certificate is read and checked here, so a bad file stops the command before any work.
pub fn settings(config: &Config, flags: &ServerFlags) -> Result<api::Config> {
    let defaults = api::RateLimit::SUPPLIER_SYSTEM;
    let count =
        |flag: Option<u32>, setting: Option<u32>, default: NonZeroU32, name: &str| match flag.or(setting) {
            None => Ok(default),
            Some(n) => NonZeroU32::new(n).with_context(|| format!("{name} must be at least 1, found 0")),
        };
    let rate_limit = api::RateLimit {
        per_second: count(
            flags.rate_limit_per_second,
            config.server.rate_limit_per_second,
            defaults.per_second,
            "rate limit per second",
        )?,
        burst: count(
            flags.rate_limit_burst,
            config.server.rate_limit_burst,
            defaults.burst,
            "rate limit burst",
        )?,
    };
    let cert = flags.tls_cert.as_deref().or(config.server.tls_cert.as_deref());
    let key = flags.tls_key.as_deref().or(config.server.tls_key.as_deref());
    let tls = match (cert, key) {
        (None, None) => None,
        (Some(cert), Some(key)) => Some(api::Tls::from_pem_files(cert, key)?),
        (Some(cert), None) => bail!(
            "tls: a certificate is set ({}) but no private key: give --tls-key (or tls_key, CLOISON_TLS_KEY)",
            cert.display()
        ),
        (None, Some(key)) => bail!(
            "tls: a private key is set ({}) but no certificate: give --tls-cert (or tls_cert, CLOISON_TLS_CERT)",
            key.display()
        ),
    };
    let connections = connections(config, flags)?;
    Ok(api::Config { rate_limit, tls, connections })
}

/// How often the head is offered to witnesses when it moved, by default: a reader waits at
/// most this long for a new checkpoint's cosignatures, and a witness sees at most one request
/// per log in this time.
const WITNESS_INTERVAL: Duration = Duration::from_secs(5);

/// The configured witnesses and the interval, checked before anything is opened.
fn witnesses(config: &Config) -> Result<(Vec<witness::Target>, Duration)> {
    let targets = config
        .witnesses
        .entries
        .iter()
        .map(|(entry, source)| {
            witness::Target::parse(entry)
                .map_err(|e| crate::Failure::Invalid(format!("{source}: {e}")).into())
        })
        .collect::<Result<Vec<_>>>()?;
    let interval = match &config.witnesses.interval {
        Some((text, source)) => duration(text, source)?,
        None => WITNESS_INTERVAL,
    };
    Ok((targets, interval))
}

/// Opens the application and serves it, asking the configured witnesses to cosign its
/// checkpoints meanwhile.
pub async fn run(config_file: Option<&Path>, args: ServeArgs) -> Result<()> {
    let config = Config::load(config_file, args.db.as_deref())?;
    let server = settings(&config, &args.server)?;
    let (targets, interval) = witnesses(&config)?;
    let app = crate::database::open(&config, &config.keys(false)?, app::Opening::Existing).await?;
    let log_key = journal::VerifierKey::new(
        app.journal_origin().clone(),
        journal::KeyType::Ed25519,
        app.journal_public_key(),
    );
    eprintln!("journal verifier key (for witnesses' --log): {log_key}");
    let (stop_witnesses, stopped) = tokio::sync::oneshot::channel::<()>();
    let submitter = (!targets.is_empty()).then(|| {
        eprintln!(
            "asking {} witness(es) to cosign each new checkpoint, every {} s when the head moved: {}",
            targets.len(),
            interval.as_secs_f64(),
            targets.iter().map(|t| t.url.as_str()).collect::<Vec<_>>().join(", ")
        );
        tokio::spawn(witness::submit(app.clone(), targets, interval, async {
            let _ = stopped.await;
        }))
    });
    let served = serve(app, &args.listen, server).await;
    let _ = stop_witnesses.send(());
    if let Some(task) = submitter {
        let _ = task.await;
    }
    served
}

/// How long a web session lasts from sign-in: a working day, after which the reader signs in
/// again; signing out ends it sooner.
const SESSION_LIFETIME: jiff::SignedDuration = jiff::SignedDuration::from_hours(8);

/// Serves an opened application until Ctrl-C, then closes it cleanly.
pub async fn serve(app: Cloison, listen: &str, config: api::Config) -> Result<()> {
    let listener =
        match tokio::net::TcpListener::bind(listen).await.with_context(|| format!("--listen {listen}")) {
            Ok(listener) => listener,
            Err(e) => {
                app.close().await;
                return Err(e);
            }
        };
    let scheme = if config.tls.is_some() { "https" } else { "http" };
    eprintln!(
        "serving the Cloison API on {scheme}://{} (Ctrl-C stops); {} requests/s per token, bursts of {}; \
         at most {} connections, {} s to send a request head, {} s idle",
        listener.local_addr()?,
        config.rate_limit.per_second,
        config.rate_limit.burst,
        config.connections.max,
        config.connections.header_read_timeout.as_secs_f64(),
        config.connections.idle_timeout.as_secs_f64(),
    );
    let pages = web::Config { secure_cookies: config.tls.is_some(), session_lifetime: SESSION_LIFETIME };
    let pages = match web::router(app.clone(), pages) {
        Ok(pages) => pages,
        Err(e) => {
            app.close().await;
            anyhow::bail!("the web pages' catalogues: {e}");
        }
    };
    eprintln!("the web interface: {scheme}://{}/ui", listener.local_addr()?);
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let served = api::serve_with_pages(listener, app.clone(), config, pages, shutdown).await;
    app.close().await;
    Ok(served?)
}
