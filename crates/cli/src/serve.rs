//! `cloison serve`: the HTTP API on a socket until Ctrl-C.

use std::path::Path;

use anyhow::{Context, Result};
use app::Cloison;
use clap::Args;

/// Options of `cloison serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Database URL or SQLite file (default from configuration).
    #[arg(long)]
    pub db: Option<String>,
}

/// Opens the application and serves it.
pub async fn run(config_file: Option<&Path>, args: ServeArgs) -> Result<()> {
    let app = crate::register::open(config_file, args.db.as_deref()).await?;
    serve(app, &args.listen).await
}

/// Serves an opened application until Ctrl-C, then closes it cleanly.
pub async fn serve(app: Cloison, listen: &str) -> Result<()> {
    let listener =
        tokio::net::TcpListener::bind(listen).await.with_context(|| format!("--listen {listen}"))?;
    eprintln!("serving the Cloison API on http://{} (Ctrl-C stops)", listener.local_addr()?);
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let served = api::serve(listener, app.clone(), shutdown).await;
    app.close().await;
    Ok(served?)
}
