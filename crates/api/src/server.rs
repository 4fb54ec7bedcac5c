//! The accept loop: every connection, plain or TLS, under the same limits.
//!
//! A client that opens a connection and sends its request head slowly, or not at all, holds a
//! socket and a file descriptor for as long as the server lets it. `axum::serve` and
//! `axum-server` set no limit on that, so a few hundred such connections starved the others
//! and a thousand exhausted the file limit (issue 11, F2). This loop, one for both transports,
//! bounds it three ways:
//!
//! - a **header-read timeout**: from the connection's start, or from the first byte of each
//!   later request, the whole head (and, over TLS, the handshake) must arrive within it, however
//!   slowly the bytes trickle;
//! - an **idle timeout**: a connection that moves no byte either way, with no request being
//!   answered, is closed after it (this also cuts a client that stops reading its answer);
//! - a **cap on connections**, below the process's file limit: at the cap the loop stops
//!   accepting until a connection ends, so new clients wait in the kernel's backlog rather than
//!   meet "too many open files".
//!
//! Hyper's own `header_read_timeout` was not used: it also runs while a kept-alive connection
//! waits for its next request, so it would cut every idle connection at the header timeout
//! and leave no room for a longer idle one. The timing is done here instead, from byte counts
//! the connection's stream reports ([`Watched`]) and the requests the service sees.
//!
//! Only HTTP/1.1 is served. HTTP/2 has no header-read timeout in hyper, and a connection
//! trickling HEADERS frames would hold a slot as long as it likes; the API's clients send one
//! request at a time and gain little from multiplexing.

use std::future::Future;
use std::io;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;
use tower::ServiceExt;

/// How long a connection may take and how many may be open at once.
///
/// No `Default`, like [`crate::RateLimit`]: the binary's configuration names the numbers, with
/// [`Connections::PUBLIC_API`] as its default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connections {
    /// Time to send a whole request head (and, over TLS, to finish the handshake), from the
    /// connection's start or from the first byte of the request.
    pub header_read_timeout: Duration,
    /// Time a connection may stay open without moving a byte while no request is answered.
    pub idle_timeout: Duration,
    /// Connections open at once; past it, no new one is accepted until one ends.
    pub max: NonZeroU32,
}

impl Connections {
    /// Header read 10 s, idle 60 s, at most 4,096 connections.
    ///
    /// A client's request head is a few hundred bytes sent in one packet: it arrives in
    /// milliseconds, and 10 s still tolerates a congested mobile link or a TLS handshake
    /// across a continent, while a client trickling bytes holds its slot for 10 s at most.
    /// Sixty seconds idle lets a back office's request loop or a portal's page fan-out reuse
    /// its connection, and matches the upstream keep-alive of common reverse proxies (nginx's
    /// `keepalive_timeout` for upstreams is 60 s), so a proxy does not reuse a connection the
    /// server is closing. 4,096 connections is a hundred times the API's benchmark load of
    /// 64 and fits the usual hard file limit; the binary lowers it when the process's
    /// limit is smaller, keeping room for the database's files.
    pub const PUBLIC_API: Connections = Connections {
        header_read_timeout: Duration::from_secs(10),
        idle_timeout: Duration::from_secs(60),
        max: match NonZeroU32::new(4096) {
            Some(n) => n,
            None => panic!("the cap is never zero"),
        },
    };
}

/// Hyper's own limits on a request head, above the API's (`MAX_URI_BYTES`,
/// `MAX_HEADER_BYTES`, `MAX_HEADER_COUNT`), so that the API refuses an oversized head with its
/// JSON error; hyper refuses only heads far beyond, with an empty 431, before any of our code
/// can answer.
const HYPER_MAX_BUF: usize = 64 * 1024;
const HYPER_MAX_HEADERS: usize = 2 * crate::MAX_HEADER_COUNT;

/// Serves `router` on `listener`, over TLS when `tls` is given, until `shutdown` resolves; then
/// stops accepting, asks every connection to close once its request in flight is answered, and
/// returns when all have ended.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: Connections,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    // Each connection holds a permit until it ends: the cap, and at shutdown the count of
    // connections still open.
    let permits = Arc::new(Semaphore::new(limits.max.get() as usize));
    let (stop, stopped) = watch::channel(false);
    let mut builder = http1::Builder::new();
    builder
        .keep_alive(true)
        .header_read_timeout(None)
        .max_buf_size(HYPER_MAX_BUF)
        .max_headers(HYPER_MAX_HEADERS);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break, // never closed; were it, there would be nothing left to serve
            },
        };
        let stream = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    // Out of descriptors or memory: wait rather than spin; connections ending
                    // will free some.
                    tracing::warn!(error = %e, "accept failed; retrying in 100 ms");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let connection = Connection {
            router: router.clone(),
            builder: builder.clone(),
            limits,
            stopped: stopped.clone(),
            _permit: permit,
        };
        tokio::spawn(connection.run(stream, tls.clone()));
    }
    drop(listener);
    let _ = stop.send(true);
    // All permits back: every connection has ended.
    let _ = permits.acquire_many(limits.max.get()).await;
    Ok(())
}

/// Errors about one connection (the client gave up before it was accepted), not the listener.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    )
}

/// One accepted connection and what it needs.
struct Connection {
    router: Router,
    builder: http1::Builder,
    limits: Connections,
    stopped: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
}

impl Connection {
    async fn run(mut self, stream: TcpStream, tls: Option<tokio_rustls::TlsAcceptor>) {
        match tls {
            None => self.http(stream).await,
            Some(acceptor) => {
                let handshake =
                    tokio::time::timeout(self.limits.header_read_timeout, acceptor.accept(stream));
                let stream = tokio::select! {
                    done = handshake => match done {
                        Ok(Ok(stream)) => stream,
                        // A failed or slow handshake: nothing to answer, the socket is closed.
                        Ok(Err(_)) | Err(_) => return,
                    },
                    () = wait_stopped(&mut self.stopped) => return,
                };
                self.http(stream).await
            }
        }
    }

    /// HTTP/1.1 on `stream` until the client closes, a timeout cuts it, or the server stops.
    async fn http<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(mut self, stream: S) {
        let activity = Arc::new(Activity::new());
        let watched = Watched { inner: stream, activity: Arc::clone(&activity) };
        let router = self.router.clone();
        let seen = Arc::clone(&activity);
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let answering = Answering::start(Arc::clone(&seen));
            let call = router.clone().oneshot(request.map(axum::body::Body::new));
            async move {
                let response = call.await;
                drop(answering);
                response
            }
        });
        let connection = self.builder.serve_connection(TokioIo::new(watched), service);
        tokio::pin!(connection);
        let mut stopping = false;
        loop {
            let deadline = activity.deadline(&self.limits);
            tokio::select! {
                // Ended by the client, or by an error hyper has already answered: done either way.
                _ = connection.as_mut() => return,
                () = tokio::time::sleep_until(deadline) => {
                    if activity.deadline(&self.limits) <= Instant::now() {
                        // Dropping the connection closes the socket.
                        return;
                    }
                }
                () = wait_stopped(&mut self.stopped), if !stopping => {
                    stopping = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

async fn wait_stopped(stopped: &mut watch::Receiver<bool>) {
    if stopped.wait_for(|stop| *stop).await.is_err() {
        // The server is gone without saying stop; nothing will ever say it.
        std::future::pending::<()>().await;
    }
}

/// No instant recorded.
const NONE: u64 = u64::MAX;

/// What a connection has done, in milliseconds since it started, for its timeouts.
struct Activity {
    start: Instant,
    /// The last byte read or written.
    last: AtomicU64,
    /// The first byte read since the last request reached the service: a head being received.
    /// Starts at 0, so a new connection's first head is timed from the connection's start.
    head_since: AtomicU64,
    /// Requests being answered.
    answering: AtomicU32,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            start: Instant::now(),
            last: AtomicU64::new(0),
            head_since: AtomicU64::new(0),
            answering: AtomicU32::new(0),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(NONE - 1)
    }

    fn read(&self, bytes: usize) {
        if bytes > 0 {
            let now = self.now();
            self.last.store(now, Ordering::Relaxed);
            let _ = self.head_since.compare_exchange(NONE, now, Ordering::Relaxed, Ordering::Relaxed);
        }
    }

    fn wrote(&self, bytes: usize) {
        if bytes > 0 {
            self.last.store(self.now(), Ordering::Relaxed);
        }
    }

    /// When the connection is to be cut if nothing changes before.
    fn deadline(&self, limits: &Connections) -> Instant {
        let at = |millis: u64, after: Duration| self.start + Duration::from_millis(millis) + after;
        if self.answering.load(Ordering::Relaxed) > 0 {
            // A handler runs (bounded by the router's own timeout): look again later.
            return Instant::now() + limits.header_read_timeout.min(limits.idle_timeout);
        }
        match self.head_since.load(Ordering::Relaxed) {
            NONE => at(self.last.load(Ordering::Relaxed), limits.idle_timeout),
            since => at(since, limits.header_read_timeout),
        }
    }
}

/// A request being answered, from the moment its head reached the service until its answer is
/// ready; its end counts as activity, so the idle time runs from there.
struct Answering(Arc<Activity>);

impl Answering {
    fn start(activity: Arc<Activity>) -> Answering {
        activity.answering.fetch_add(1, Ordering::Relaxed);
        activity.head_since.store(NONE, Ordering::Relaxed);
        Answering(activity)
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        self.0.last.store(self.0.now(), Ordering::Relaxed);
        self.0.answering.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A stream that reports the bytes it moves to its connection's [`Activity`].
struct Watched<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            self.activity.read(buf.filled().len() - before);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, data);
        if let Poll::Ready(Ok(n)) = polled {
            self.activity.wrote(n);
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, data);
        if let Poll::Ready(Ok(n)) = polled {
            self.activity.wrote(n);
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
