//! HTTPS with a certificate made in the test, over real TLS.

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::StatusCode;

use crate::harness::*;

/// A self-signed certificate for `localhost`, as PEM files in `dir`.
pub fn certificate(dir: &Path, name: &str) -> (PathBuf, PathBuf, String) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("certificate");
    let cert_pem = made.cert.pem();
    let cert = dir.join(format!("{name}.crt"));
    let key = dir.join(format!("{name}.key"));
    std::fs::write(&cert, &cert_pem).expect("write certificate");
    std::fs::write(&key, made.signing_key.serialize_pem()).expect("write key");
    (cert, key, cert_pem)
}

/// A client that trusts only `cert_pem` and reaches the server at `address` as `localhost`,
/// and the base URL to use with it.
pub fn https_client(cert_pem: &str, address: std::net::SocketAddr) -> (reqwest::Client, String) {
    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(cert_pem.as_bytes()).expect("PEM"))
        .resolve("localhost", address)
        .build()
        .expect("client");
    (client, format!("https://localhost:{}", address.port()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_a_configured_certificate_and_no_plain_http() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key, cert_pem) = certificate(dir.path(), "server");
    let tls = api::Tls::from_pem_files(&cert, &key).expect("a fresh self-signed pair is accepted");
    let s = Server::sqlite_with(api::Config { tls: Some(tls), ..relaxed() }).await;
    assert!(s.base.starts_with("https://"), "{}", s.base);
    let address: std::net::SocketAddr = s.base.trim_start_matches("https://").parse().expect("address");

    let (client, base) = https_client(&cert_pem, address);
    let response = client.get(format!("{base}/healthz")).send().await.expect("HTTPS request");
    assert_eq!(response.status(), StatusCode::OK);
    // The one door over TLS: a token, a clipped answer.
    let response = client
        .get(format!("{base}/v1/access-points/{}?at={}", ean(1), t(50)))
        .bearer_auth(&s.tokens["supplier_a"])
        .send()
        .await
        .expect("HTTPS request");
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["supplier"]["party"]["id"], "sup-a", "{body}");

    // A client that does not trust the certificate is refused by its own TLS check.
    let stranger =
        reqwest::Client::builder().use_rustls_tls().resolve("localhost", address).build().expect("client");
    assert!(stranger.get(format!("{base}/healthz")).send().await.is_err(), "an untrusted certificate passed");

    // Plain HTTP to the TLS port gets no answer.
    let plain = reqwest::Client::new().get(format!("http://{address}/healthz")).send().await;
    assert!(plain.is_err(), "plain HTTP answered on the TLS port: {plain:?}");

    // Graceful shutdown still ends (idle keep-alive connections included).
    tokio::time::timeout(Duration::from_secs(20), s.stop()).await.expect("the TLS server stops");
}

#[test]
fn bad_certificate_files_say_which_file_and_why() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key, _) = certificate(dir.path(), "a");
    let (_, other_key, _) = certificate(dir.path(), "b");
    let missing = dir.path().join("missing.pem");
    let text = |r: Result<api::Tls, api::TlsError>| r.expect_err("refused").to_string();

    let e = text(api::Tls::from_pem_files(&missing, &key));
    assert!(e.contains("certificate file") && e.contains("missing.pem") && e.contains("cannot read"), "{e}");
    let e = text(api::Tls::from_pem_files(&cert, &missing));
    assert!(e.contains("private key file") && e.contains("missing.pem"), "{e}");
    // Swapped: the key file holds no certificate, the certificate file no key.
    let e = text(api::Tls::from_pem_files(&key, &cert));
    assert!(e.contains("a.key") && e.contains("no PEM CERTIFICATE"), "{e}");
    let e = text(api::Tls::from_pem_files(&cert, &cert));
    assert!(e.contains("private key file") && e.contains("a.crt") && e.contains("no PEM PRIVATE KEY"), "{e}");
    // A key that is not the certificate's.
    let e = text(api::Tls::from_pem_files(&cert, &other_key));
    assert!(e.contains("a.crt") && e.contains("b.key"), "{e}");
}
