//! `cloison serve`: the HTTP API on a socket until Ctrl-C.

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

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
    Ok(api::Config { rate_limit, tls })
}

/// Opens the application and serves it.
pub async fn run(config_file: Option<&Path>, args: ServeArgs) -> Result<()> {
    let config = Config::load(config_file, args.db.as_deref())?;
    let server = settings(&config, &args.server)?;
    let app = crate::database::open(&config, &config.keys(false)?, app::Opening::Existing).await?;
    serve(app, &args.listen, server).await
}

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
        "serving the Cloison API on {scheme}://{} (Ctrl-C stops); {} requests/s per token, bursts of {}",
        listener.local_addr()?,
        config.rate_limit.per_second,
        config.rate_limit.burst
    );
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let served = api::serve(listener, app.clone(), config, shutdown).await;
    app.close().await;
    Ok(served?)
}
