//! Configuration: a TOML file, then the environment, then command-line flags, each
//! overriding the one before.
//!
//! A newcomer needs none of it: the database defaults to `cloison.sqlite`, the seal key to
//! `cloison.key` and the journal signing key to `cloison.journal.key`, all in the working
//! directory, and `cloison demo` and `cloison init` create each key file (mode 0600) when it is
//! missing. Production sets `CLOISON_DATABASE_URL`, `CLOISON_SEAL_KEY` (or `CLOISON_KEY_FILE`)
//! and `CLOISON_JOURNAL_KEY` (or `CLOISON_JOURNAL_KEY_FILE`), and never lets a key sit beside
//! the data.
//!
//! The two keys are two secrets, never one derived from the other: the seal key's holder
//! reads personal data, the journal key's holder signs the journal, and a stolen seal key
//! must not be enough to re-sign a truncated journal (see the README's threat model).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use app::{Keys, MasterKey, SigningKey};
use serde::Deserialize;

use crate::Failure;

/// The settings file's shape; every field is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    seal_key: Option<String>,
    key_file: Option<PathBuf>,
    journal_key: Option<String>,
    journal_key_file: Option<PathBuf>,
    journal_origin: Option<String>,
    rate_limit_per_second: Option<u32>,
    rate_limit_burst: Option<u32>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    header_read_timeout: Option<String>,
    idle_timeout: Option<String>,
    max_connections: Option<u32>,
    operator: Option<String>,
    witnesses: Option<Vec<String>>,
    witness_interval: Option<String>,
}

/// Resolved settings.
#[derive(Debug)]
pub struct Config {
    /// Where the data is.
    pub database_url: String,
    /// Where the seal key comes from.
    pub key: KeySource,
    /// Where the journal's signing key comes from: its own secret, never the seal key.
    pub journal_key: KeySource,
    /// The name of this journal in its C2SP checkpoints (first line, and the key name): it
    /// must tell this log from every other, so production sets its own.
    pub journal_origin: app::Origin,
    /// The server's settings from the file and the environment, before flags.
    pub server: ServerSettings,
    /// The witnesses `serve` asks to cosign the journal's checkpoints.
    pub witnesses: WitnessSettings,
}

/// Witnesses as the file and the environment give them, unparsed, each with where it was
/// read (for the error message); `serve` checks them before opening anything.
#[derive(Debug, Default)]
pub struct WitnessSettings {
    /// `URL VKEY` per witness.
    pub entries: Vec<(String, &'static str)>,
    /// How often the head is offered to the witnesses when it moved (a duration), and where
    /// it was read.
    pub interval: Option<(String, &'static str)>,
}

/// Server settings as the file and the environment give them; `None` where neither does, so
/// a flag or the built-in default fills them in.
#[derive(Debug, Default)]
pub struct ServerSettings {
    /// Sustained requests per second per bearer token.
    pub rate_limit_per_second: Option<u32>,
    /// Burst of requests per bearer token.
    pub rate_limit_burst: Option<u32>,
    /// PEM certificate chain for HTTPS.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of that certificate.
    pub tls_key: Option<PathBuf>,
    /// Time a client has to send a request head (a duration such as `10s`), and where it
    /// was read, for the error message.
    pub header_read_timeout: Option<(String, &'static str)>,
    /// Time a connection may stay idle, and where it was read.
    pub idle_timeout: Option<(String, &'static str)>,
    /// Connections open at once.
    pub max_connections: Option<u32>,
}

/// Where a key comes from, with the setting that said so, for the error messages: an operator
/// who sees "does not exist" must learn which of four places to fix.
#[derive(Debug)]
pub enum KeySource {
    /// Given inline (environment or file), as hex.
    Inline {
        /// The key, hex.
        hex: String,
        /// The setting it came from (`CLOISON_SEAL_KEY`, `journal_key`…).
        setting: &'static str,
    },
    /// A file holding the hex key.
    File {
        /// The file.
        path: PathBuf,
        /// The setting that named it, or `default` when none did.
        setting: &'static str,
    },
}

impl KeySource {
    /// The key's file, when it comes from one.
    pub fn file(&self) -> Option<&Path> {
        match self {
            KeySource::File { path, .. } => Some(path),
            KeySource::Inline { .. } => None,
        }
    }
}

/// The default SQLite file of a newcomer's working directory.
pub const DEFAULT_DB: &str = "cloison.sqlite";
/// The default key file.
pub const DEFAULT_KEY_FILE: &str = "cloison.key";
/// The default journal signing key file, beside the default seal key file: a newcomer's demo
/// has both in its working directory, in two files, so that production's separation (the
/// journal key on another host or in an HSM) is one setting away, not a change of model.
pub const DEFAULT_JOURNAL_KEY_FILE: &str = "cloison.journal.key";

/// Where a setting was left unset and the built-in file applies.
const DEFAULT: &str = "default";

/// The settings that name the journal signing key, for the messages that must say where to
/// fix it.
const JOURNAL_KEY_SETTINGS: &str =
    "CLOISON_JOURNAL_KEY, CLOISON_JOURNAL_KEY_FILE, or journal_key / journal_key_file in the settings file";

impl Config {
    /// The operator identity (`PARTY:ROLE`) the settings file names, if any.
    pub fn operator(file: Option<&Path>) -> Result<Option<String>> {
        Ok(match file {
            Some(path) => read_file(path)?.operator,
            None if Path::new("cloison.toml").exists() => read_file(Path::new("cloison.toml"))?.operator,
            None => None,
        })
    }

    /// Reads the file (explicit, or `cloison.toml` if present), the environment, then `db`.
    pub fn load(file: Option<&Path>, db: Option<&str>) -> Result<Config> {
        let file_config = match file {
            Some(path) => read_file(path)?,
            None if Path::new("cloison.toml").exists() => read_file(Path::new("cloison.toml"))?,
            None => FileConfig::default(),
        };
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let database_url = db
            .map(database_url_of)
            .or_else(|| env("CLOISON_DATABASE_URL"))
            .or(file_config.database_url)
            .unwrap_or_else(|| database_url_of(DEFAULT_DB));
        let key = key_source(
            (env("CLOISON_SEAL_KEY"), "CLOISON_SEAL_KEY"),
            (env("CLOISON_KEY_FILE").map(PathBuf::from), "CLOISON_KEY_FILE"),
            (file_config.seal_key, "seal_key"),
            (file_config.key_file, "key_file"),
            DEFAULT_KEY_FILE,
        );
        let journal_key = key_source(
            (env("CLOISON_JOURNAL_KEY"), "CLOISON_JOURNAL_KEY"),
            (env("CLOISON_JOURNAL_KEY_FILE").map(PathBuf::from), "CLOISON_JOURNAL_KEY_FILE"),
            (file_config.journal_key, "journal_key"),
            (file_config.journal_key_file, "journal_key_file"),
            DEFAULT_JOURNAL_KEY_FILE,
        );
        let count = |name: &str, file: Option<u32>| -> Result<Option<u32>> {
            match env(name) {
                Some(text) => Ok(Some(
                    text.trim()
                        .parse()
                        .with_context(|| format!("{name} must be a whole number, found {text:?}"))?,
                )),
                None => Ok(file),
            }
        };
        let server = ServerSettings {
            rate_limit_per_second: count("CLOISON_RATE_LIMIT_PER_SECOND", file_config.rate_limit_per_second)?,
            rate_limit_burst: count("CLOISON_RATE_LIMIT_BURST", file_config.rate_limit_burst)?,
            tls_cert: env("CLOISON_TLS_CERT").map(PathBuf::from).or(file_config.tls_cert),
            tls_key: env("CLOISON_TLS_KEY").map(PathBuf::from).or(file_config.tls_key),
            header_read_timeout: env("CLOISON_HEADER_READ_TIMEOUT")
                .map(|t| (t, "CLOISON_HEADER_READ_TIMEOUT"))
                .or(file_config.header_read_timeout.map(|t| (t, "header_read_timeout"))),
            idle_timeout: env("CLOISON_IDLE_TIMEOUT")
                .map(|t| (t, "CLOISON_IDLE_TIMEOUT"))
                .or(file_config.idle_timeout.map(|t| (t, "idle_timeout"))),
            max_connections: count("CLOISON_MAX_CONNECTIONS", file_config.max_connections)?,
        };
        let journal_origin = match env("CLOISON_JOURNAL_ORIGIN")
            .map(|o| (o, "CLOISON_JOURNAL_ORIGIN"))
            .or(file_config.journal_origin.map(|o| (o, "journal_origin")))
        {
            Some((text, source)) => text.parse().map_err(|e| Failure::Invalid(format!("{source}: {e}")))?,
            None => app::Origin::default(),
        };
        // The environment replaces the file's list rather than adding to it, like every setting.
        let witnesses = WitnessSettings {
            entries: match env("CLOISON_WITNESSES") {
                Some(list) => list
                    .split(',')
                    .map(str::trim)
                    .filter(|entry| !entry.is_empty())
                    .map(|entry| (entry.to_owned(), "CLOISON_WITNESSES"))
                    .collect(),
                None => {
                    file_config.witnesses.unwrap_or_default().into_iter().map(|e| (e, "witnesses")).collect()
                }
            },
            interval: env("CLOISON_WITNESS_INTERVAL")
                .map(|t| (t, "CLOISON_WITNESS_INTERVAL"))
                .or(file_config.witness_interval.map(|t| (t, "witness_interval"))),
        };
        Ok(Config { database_url, key, journal_key, journal_origin, server, witnesses })
    }

    /// The seal key and the journal's signing key, each from its own source. With `create`
    /// (`demo`, `init`), a missing key file is created with a fresh key; otherwise it is the
    /// caller's configuration at fault (exit 2), named with the settings that point to it.
    /// A key that is there but malformed is the caller's input too, named by where it came from.
    pub fn keys(&self, create: bool) -> Result<ConfiguredKeys> {
        let mut created = Vec::new();
        let seal = match &self.key {
            KeySource::Inline { hex, setting } => {
                MasterKey::from_hex(hex).map_err(|e| Failure::Invalid(format!("{setting}: {e}")))?
            }
            KeySource::File { path, setting } => {
                if !path.exists() {
                    if !create {
                        return Err(Failure::Invalid(format!(
                            "no seal key: {} ({}) does not exist; set CLOISON_SEAL_KEY or CLOISON_KEY_FILE \
                             (seal_key / key_file in the settings file), or run `cloison demo` to create a \
                             demo database and its keys",
                            path.display(),
                            named_by(setting)
                        ))
                        .into());
                    }
                    write_secret(path, &MasterKey::generate().to_hex())?;
                    created.push(path.clone());
                }
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading key file {}", path.display()))?;
                MasterKey::from_hex(&text)
                    .map_err(|e| Failure::Invalid(format!("key file {}: {e}", path.display())))?
            }
        };
        let journal = match &self.journal_key {
            KeySource::Inline { hex, setting } => signing_key(hex, setting)?,
            KeySource::File { path, setting } => {
                if !path.exists() {
                    if !create {
                        return Err(Failure::Invalid(format!(
                            "no journal signing key: {} ({}) does not exist; an existing database opens \
                             only with the journal key it was created with: restore that file, or point \
                             {JOURNAL_KEY_SETTINGS} to the key",
                            path.display(),
                            named_by(setting)
                        ))
                        .into());
                    }
                    let mut seed = [0u8; 32];
                    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
                    write_secret(path, &hex::encode(seed))?;
                    created.push(path.clone());
                }
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading journal key file {}", path.display()))?;
                signing_key(&text, &format!("journal key file {}", path.display()))?
            }
        };
        Ok(ConfiguredKeys { keys: Keys::new(seal, journal), created })
    }
}

/// The keys of a run, and the key files it created for them.
pub struct ConfiguredKeys {
    /// The seal key and the journal signing key.
    pub keys: Keys,
    /// Key files this run created, to be reported, or taken back if the database turns out to
    /// have keys of its own (see `database::open`).
    pub created: Vec<PathBuf>,
}

/// Where a key source came from, in words for a message.
fn named_by(setting: &str) -> String {
    if setting == DEFAULT {
        "the default, as no setting names one".into()
    } else {
        format!("named by {setting}")
    }
}

/// The first of: inline key from the environment, key file from the environment, inline key
/// from the settings file, key file from the settings file, then the default file. The
/// environment wins over the file, so a secret store can override what an image ships with.
fn key_source(
    env_hex: (Option<String>, &'static str),
    env_file: (Option<PathBuf>, &'static str),
    file_hex: (Option<String>, &'static str),
    file_file: (Option<PathBuf>, &'static str),
    default: &str,
) -> KeySource {
    let inline =
        |(hex, setting): (Option<String>, &'static str)| hex.map(|hex| KeySource::Inline { hex, setting });
    let file =
        |(path, setting): (Option<PathBuf>, &'static str)| path.map(|path| KeySource::File { path, setting });
    inline(env_hex)
        .or_else(|| file(env_file))
        .or_else(|| inline(file_hex))
        .or_else(|| file(file_file))
        .unwrap_or_else(|| KeySource::File { path: default.into(), setting: DEFAULT })
}

/// An Ed25519 secret key from 64 hex digits; `source` names where they came from.
fn signing_key(hex: &str, source: &str) -> Result<SigningKey> {
    let seed: [u8; 32] = hex::decode(hex.trim()).ok().and_then(|b| b.try_into().ok()).ok_or_else(|| {
        Failure::Invalid(format!(
            "journal key ({source}): must be 64 hexadecimal digits (an Ed25519 secret key)"
        ))
    })?;
    Ok(SigningKey::from_bytes(&seed))
}

fn read_file(path: &Path) -> Result<FileConfig> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// A `--db` value: a URL as is, a bare path as an SQLite file.
pub fn database_url_of(value: &str) -> String {
    if value.contains("://") || value.starts_with("sqlite:") {
        value.to_owned()
    } else {
        app::sqlite_url(Path::new(value))
    }
}

/// The SQLite file a URL names, if it names one.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// Writes a secret to a new file readable by its owner only.
pub fn write_secret(path: &Path, hex: &str) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).with_context(|| format!("creating key file {}", path.display()))?;
    writeln!(file, "{hex}").with_context(|| format!("writing key file {}", path.display()))?;
    Ok(())
}
