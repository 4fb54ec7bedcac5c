//! Running the binary in a scratch directory.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rand::RngCore;

/// A scratch working directory with its own key file and database.
pub struct Workdir {
    pub dir: tempfile::TempDir,
}

impl Workdir {
    pub fn new() -> Workdir {
        Workdir { dir: tempfile::tempdir().expect("temp dir") }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `cloison ARGS` here, with no configuration from the caller's environment.
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_env(args, &[])
    }

    /// Runs `cloison ARGS` here with only the configuration variables `env` set.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        self.command(args, env).output().expect("run cloison")
    }

    /// The command `run_env` runs, for a test that needs its pipes.
    pub fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cloison"));
        command
            .args(args)
            .current_dir(self.path())
            .env_remove("CLOISON_JOURNAL_KEY")
            .env_remove("CLOISON_JOURNAL_KEY_FILE")
            .env_remove("CLOISON_DATABASE_URL")
            .env_remove("CLOISON_SEAL_KEY")
            .env_remove("CLOISON_KEY_FILE")
            .env_remove("CLOISON_TLS_CERT")
            .env_remove("CLOISON_TLS_KEY")
            .env_remove("CLOISON_RATE_LIMIT_PER_SECOND")
            .env_remove("CLOISON_RATE_LIMIT_BURST")
            .env_remove("CLOISON_AS")
            .envs(env.iter().copied());
        command
    }

    /// Runs and requires success; returns standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "cloison {args:?} failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).expect("valid JSON")
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.path().join(name)
    }
}

/// A fresh PostgreSQL database for one test, dropped at the end; `None` without a server.
pub struct PgDb {
    admin: String,
    pub name: String,
    pub url: String,
}

impl PgDb {
    pub async fn create() -> Option<PgDb> {
        let admin = std::env::var("CLOISON_TEST_POSTGRES_URL").ok()?;
        let name = format!("cloison_t_{:016x}", rand::rngs::OsRng.next_u64());
        let pool = sqlx::PgPool::connect(&admin).await.expect("connect to CLOISON_TEST_POSTGRES_URL");
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await.expect("create database");
        pool.close().await;
        let base = admin.split('?').next().unwrap_or(&admin);
        let server = &base[..base.rfind('/').expect("URL has a database part")];
        let url = format!("{server}/{name}");
        Some(PgDb { admin, name, url })
    }

    /// A copy of this database as it is now, as a DBA's backup would be: `CREATE DATABASE …
    /// TEMPLATE`, retried while the server still counts a finished command's session.
    pub async fn copy(&self) -> PgDb {
        let name = format!("{}_copy", self.name);
        let pool = sqlx::PgPool::connect(&self.admin).await.expect("reconnect");
        let mut tries = 0;
        while let Err(e) =
            sqlx::query(&format!("CREATE DATABASE {name} TEMPLATE {}", self.name)).execute(&pool).await
        {
            tries += 1;
            assert!(tries < 50, "copy {}: {e}", self.name);
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        pool.close().await;
        let url = format!("{}{name}", &self.url[..self.url.len() - self.name.len()]);
        PgDb { admin: self.admin.clone(), name, url }
    }

    pub async fn drop_database(self) {
        let pool = sqlx::PgPool::connect(&self.admin).await.expect("reconnect");
        sqlx::query(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
            .execute(&pool)
            .await
            .expect("drop database");
        pool.close().await;
    }
}

/// A child process whose standard error is read line by line on a thread.
pub struct Running {
    pub child: Child,
    stderr: mpsc::Receiver<String>,
}

impl Running {
    /// Waits for a line of standard error containing `marker`.
    pub fn line_with(&self, marker: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.stderr.recv_timeout(left) {
                Ok(line) if line.contains(marker) => return line,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!("no line with {marker:?} on standard error");
    }

    /// The `http://host:port` the process printed after `marker`.
    pub fn address(&self, marker: &str) -> String {
        let line = self.line_with(marker);
        let start = line.find("http://").expect("an http:// address");
        line[start..].split_whitespace().next().expect("address").to_owned()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start(dir: &Workdir, args: &[&str], env: &[(&str, &str)]) -> (Running, std::process::ChildStdout) {
    let mut child =
        dir.command(args, env).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start cloison");
    let stderr = child.stderr.take().expect("piped");
    let stdout = child.stdout.take().expect("piped");
    let (lines, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    (Running { child, stderr: receiver }, stdout)
}
