//! Slow clients cannot hold the server (issue 11, F2): a connection that trickles its request
//! head, or sends nothing, is cut at the header-read timeout; an idle one at the idle timeout;
//! and with every connection slot taken by slow clients, a normal request is answered as soon
//! as they are cut. Over plain HTTP and over TLS; loopback only, a handful of connections, each
//! test bounded to seconds.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::harness::*;
use crate::tls::{certificate, https_client};

/// The header-read timeout of these servers.
const HEADER: Duration = Duration::from_secs(1);
/// Their idle timeout.
const IDLE: Duration = Duration::from_secs(2);
/// Their connection cap.
const CAP: u32 = 8;
/// Slack for a loaded machine; a server without the timeouts keeps connections far longer.
const SLACK: Duration = Duration::from_millis(1500);
/// How long a test waits for the server to close a connection before calling it held open.
const PATIENCE: Duration = Duration::from_secs(8);

fn strict(tls: Option<api::Tls>) -> api::Config {
    api::Config {
        tls,
        connections: api::Connections {
            header_read_timeout: HEADER,
            idle_timeout: IDLE,
            max: NonZeroU32::new(CAP).expect("non-zero"),
        },
        ..relaxed()
    }
}

fn address(s: &Server) -> SocketAddr {
    s.base.rsplit("://").next().expect("host and port").parse().expect("address")
}

/// The start of a request head, without the blank line that would end it.
const PARTIAL: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ";

/// Sends a partial head, then one byte every 200 ms, until the server closes the connection;
/// how long that took, or `None` if it was still open after [`PATIENCE`].
async fn trickle<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S) -> Option<Duration> {
    let start = Instant::now();
    if stream.write_all(PARTIAL).await.is_err() {
        return Some(start.elapsed());
    }
    let mut buf = [0u8; 1024];
    while start.elapsed() < PATIENCE {
        match tokio::time::timeout(Duration::from_millis(200), stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return Some(start.elapsed()),
            Ok(Ok(_)) => {}
            Err(_) => {
                if stream.write_all(b"a").await.is_err() {
                    return Some(start.elapsed());
                }
            }
        }
    }
    None
}

/// Waits, sending nothing, until the server closes the connection; how long since `start`.
async fn closed_since<S: AsyncRead + Unpin>(stream: &mut S, start: Instant) -> Option<Duration> {
    let mut buf = [0u8; 1024];
    loop {
        let left = PATIENCE.checked_sub(start.elapsed())?;
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return Some(start.elapsed()),
            Ok(Ok(_)) => {}
            Err(_) => return None,
        }
    }
}

fn within_header_timeout(cut: Option<Duration>, what: &str) {
    let cut = cut.unwrap_or_else(|| panic!("{what}: still open after {PATIENCE:?}"));
    assert!(cut < HEADER + SLACK, "{what}: cut only after {cut:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f2_slow_and_idle_connections_are_cut_over_plain_http() {
    let s = Server::sqlite_with(strict(None)).await;
    let addr = address(&s);

    within_header_timeout(trickle(TcpStream::connect(addr).await.expect("connect")).await, "a trickled head");
    let start = Instant::now();
    let mut silent = TcpStream::connect(addr).await.expect("connect");
    within_header_timeout(closed_since(&mut silent, start).await, "a connection that sends nothing");

    // Idle after an answer: kept past the header timeout, cut at the idle one.
    let mut kept = TcpStream::connect(addr).await.expect("connect");
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").await.expect("request");
    let mut answer = [0u8; 1024];
    let n = kept.read(&mut answer).await.expect("answer");
    assert!(answer[..n].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answer[..n]));
    let answered = Instant::now();
    let idle = closed_since(&mut kept, answered).await.expect("an idle connection is closed");
    assert!(
        idle >= IDLE - Duration::from_millis(100) && idle < IDLE + SLACK,
        "idle connection cut after {idle:?}"
    );

    slots_taken_by_slow_clients_free_up(
        || async { TcpStream::connect(addr).await.expect("connect") },
        &reqwest::Client::new(),
        &s.base,
    )
    .await;
    tokio::time::timeout(Duration::from_secs(20), s.stop()).await.expect("the server stops");
}

/// With every slot held by a slow client, a fresh request waits for the first of them to be
/// cut, then is answered; every slow one is cut.
async fn slots_taken_by_slow_clients_free_up<S, F, O>(open: F, client: &reqwest::Client, base: &str)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    F: Fn() -> O,
    O: std::future::Future<Output = S>,
{
    let start = Instant::now();
    let mut slow = Vec::new();
    for _ in 0..CAP {
        let mut stream = open().await;
        stream.write_all(PARTIAL).await.expect("partial head");
        slow.push(stream);
    }
    let response = tokio::time::timeout(PATIENCE, client.get(format!("{base}/healthz")).send())
        .await
        .expect("/healthz answered while slow clients held every slot")
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    let waited = start.elapsed();
    assert!(waited >= HEADER - Duration::from_millis(100), "answered after {waited:?}: the cap did not hold");
    for (i, stream) in slow.iter_mut().enumerate() {
        let cut = closed_since(stream, start).await;
        within_header_timeout(cut, &format!("slow connection {i}"));
    }
}

/// A TLS client trusting only `cert_pem`.
fn connector(cert_pem: &str) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(cert_pem.as_bytes()).expect("PEM")).expect("root");
    let config =
        rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f2_slow_connections_are_cut_over_tls() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key, cert_pem) = certificate(dir.path(), "server");
    let tls = api::Tls::from_pem_files(&cert, &key).expect("certificate");
    let s = Server::sqlite_with(strict(Some(tls))).await;
    let addr = address(&s);
    let tls = connector(&cert_pem);
    let name = ServerName::try_from("localhost").expect("name");
    let handshake = || {
        let (tls, name) = (tls.clone(), name.clone());
        async move {
            let tcp = TcpStream::connect(addr).await.expect("connect");
            tls.connect(name, tcp).await.expect("handshake")
        }
    };

    // No handshake at all, then a trickled head after one.
    let start = Instant::now();
    let mut silent = TcpStream::connect(addr).await.expect("connect");
    within_header_timeout(closed_since(&mut silent, start).await, "a TLS connection that sends nothing");
    within_header_timeout(trickle(handshake().await).await, "a trickled head over TLS");

    let (client, base) = https_client(&cert_pem, addr);
    slots_taken_by_slow_clients_free_up(handshake, &client, &base).await;
    tokio::time::timeout(Duration::from_secs(20), s.stop()).await.expect("the server stops");
}
