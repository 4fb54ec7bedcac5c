//! HTTPS with rustls, when a certificate is configured.
//!
//! Suppliers' systems reach the API over networks the operator does not own; a bearer token
//! and register data must not cross them in clear. A deployment may still terminate TLS at a
//! proxy in front and run plain HTTP behind it, so TLS is optional here.
//!
//! The handshake runs in the connection's own task, off the accept path, under the
//! header-read timeout of the one accept loop both transports share (`server.rs`). The crypto provider
//! is rustls' `ring`, named explicitly: the process-wide default would panic if two providers
//! were ever compiled in, and `aws-lc-rs` needs a C toolchain to build.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A certificate chain and its private key, checked and ready to serve.
#[derive(Clone)]
pub struct Tls {
    config: Arc<rustls::ServerConfig>,
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material.
        f.debug_struct("Tls").finish_non_exhaustive()
    }
}

/// Why the certificate or key could not be used; each names the file and the reason.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The file could not be read.
    #[error("{role} file {}: cannot read it: {source}", path.display())]
    Read {
        /// "certificate" or "private key".
        role: &'static str,
        /// The file.
        path: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
    /// The file is not PEM, or holds no item of the expected kind.
    #[error("{role} file {}: {reason}", path.display())]
    Pem {
        /// "certificate" or "private key".
        role: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong with its content.
        reason: String,
    },
    /// The files parse, but rustls refuses the pair (a key that does not match the
    /// certificate, an unsupported key type).
    #[error("certificate {} with key {}: {reason}", cert.display(), key.display())]
    Rejected {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// What rustls said.
        reason: String,
    },
}

impl Tls {
    /// Reads a PEM certificate chain (leaf first) and a PEM private key (PKCS#8, PKCS#1 or
    /// SEC1), and checks that rustls accepts them together, so a bad file stops the server at
    /// start-up rather than at the first handshake.
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Tls, TlsError> {
        let cert_pem = read("certificate", cert)?;
        let key_pem = read("private key", key)?;
        let pem_error = |role: &'static str, path: &Path, reason: String| TlsError::Pem {
            role,
            path: path.to_owned(),
            reason,
        };
        let chain = CertificateDer::pem_slice_iter(&cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| pem_error("certificate", cert, format!("not a valid PEM certificate: {e}")))?;
        if chain.is_empty() {
            return Err(pem_error("certificate", cert, "holds no PEM CERTIFICATE block".into()));
        }
        let private_key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
            let reason = match e {
                rustls::pki_types::pem::Error::NoItemsFound => {
                    "holds no PEM PRIVATE KEY block (PKCS#8, RSA or EC)".to_owned()
                }
                other => format!("not a valid PEM private key: {other}"),
            };
            pem_error("private key", key, reason)
        })?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let rejected = |e: rustls::Error| TlsError::Rejected {
            cert: cert.to_owned(),
            key: key.to_owned(),
            reason: e.to_string(),
        };
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(rejected)?
            .with_no_client_auth()
            .with_single_cert(chain, private_key)
            .map_err(rejected)?;
        // HTTP/1.1 only: the server serves no HTTP/2 (see `server.rs` for why).
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls { config: Arc::new(config) })
    }
}

fn read(role: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read { role, path: path.to_owned(), source })
}

impl Tls {
    /// The acceptor the accept loop runs each handshake with.
    pub(crate) fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(Arc::clone(&self.config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        path
    }

    #[test]
    fn errors_name_the_file_and_the_reason() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("absent.pem");
        let garbage = write(dir.path(), "garbage.pem", "not pem at all\n");
        let e = Tls::from_pem_files(&missing, &garbage).expect_err("missing");
        let text = e.to_string();
        assert!(text.contains("certificate file") && text.contains("absent.pem"), "{text}");
        let e = Tls::from_pem_files(&garbage, &garbage).expect_err("no certificate");
        assert!(e.to_string().contains("garbage.pem") && e.to_string().contains("no PEM CERTIFICATE"), "{e}");
    }
}
