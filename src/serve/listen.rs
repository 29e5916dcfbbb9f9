//! The service's listener: its own accept loop over hyper's HTTP/1.1
//! server (the one `axum::serve` runs), so that a connection is bounded
//! in time and number, and optionally speaks TLS (rustls).
//!
//! * **Header-read timeout** (`header_read_timeout_secs`, default 10): a
//!   new connection must deliver a complete request head (after its TLS
//!   handshake) within this time from being accepted; a kept-alive one,
//!   from the first byte of its next request. A client that sends
//!   nothing, or a byte a second, is closed at the deadline: no answer,
//!   the socket is closed (slowloris).
//! * **Idle timeout** (`idle_timeout_secs`, default 75, above the 60 s
//!   that load balancers commonly keep an idle upstream connection): a
//!   kept-alive connection with no request in progress and no byte of a
//!   next one is closed after this (counted from when the last answer
//!   was made: a client that has not read it by then loses its end).
//! * Time spent in a request once its head is read is the request
//!   timeout's business (`request_timeout_secs`, the service's middleware),
//!   not the listener's.
//! * **Connection cap** (`max_connections`): at the cap the service stops
//!   accepting, so further connections wait in the kernel's accept backlog
//!   (the client sees a slow connect, not a refusal) until a connection
//!   closes; since every idle or slow connection is closed by one of the
//!   timeouts above, the backlog moves within `header_read_timeout_secs`
//!   even when the cap is filled by clients that send nothing. The default
//!   is 4096, or the process's open-file limit less 64 when that is lower
//!   (read from `/proc/self/limits`), so the cap is reached before the
//!   file limit is.
//! * **TLS** (`tls_cert` and `tls_key`, PEM): when both are set the
//!   service speaks HTTPS only (TLS 1.2 and 1.3, ALPN `http/1.1`).
//! * **Graceful shutdown**: on the signal the listener is closed, idle
//!   connections are closed at once, and requests in flight are answered
//!   (each is bounded by the request timeout; a half-sent request head by
//!   the header-read timeout) before [`run`] returns.
//! * Each request carries its peer's address as the extension
//!   [`ConnectInfo<SocketAddr>`], so a handler may take
//!   `axum::extract::ConnectInfo<SocketAddr>`.
//!
//! The open-file limit is not raised by the service: that needs
//! `setrlimit`, which std does not offer and this crate does not call
//! through `unsafe`; raise it where the service is started (systemd's
//! `LimitNOFILE=`, or `ulimit -n` in the shell).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::Deserialize;
use serde_json::json;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore, watch};
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;

use crate::error::{Error, Result};

/// Default time a client has to send a request head.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time a kept-alive connection may wait for its next request.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(75);
/// Default most connections open at once (lowered to the open-file limit
/// less 64 when that is lower).
pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;
/// Files kept free for everything else when the default cap follows the
/// open-file limit (the database pool, the CRL files, the runtime).
const RESERVED_FILES: u64 = 64;

/// How the service listens: the `"listener"` object of the configuration
/// file. Every field is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenerConfig {
    /// Most connections open at once (default 4096, or the open-file
    /// limit less 64 when lower); further ones wait in the accept backlog.
    #[serde(default)]
    pub max_connections: Option<usize>,
    /// Seconds a client has to send a request head (default 10).
    #[serde(default)]
    pub header_read_timeout_secs: Option<u64>,
    /// Seconds a kept-alive connection may wait for its next request
    /// (default 75).
    #[serde(default)]
    pub idle_timeout_secs: Option<u64>,
    /// The server's certificate chain (PEM, the server's first). With
    /// `tls_key`, the service speaks HTTPS only.
    #[serde(default)]
    pub tls_cert: Option<PathBuf>,
    /// The server's private key (PEM: PKCS#8, SEC1 or PKCS#1).
    #[serde(default)]
    pub tls_key: Option<PathBuf>,
}

impl ListenerConfig {
    /// Check the values and resolve the TLS paths against `base` (the
    /// configuration file's folder); the certificate and key are read
    /// once here so that a bad one stops the service before it starts.
    pub fn resolve(&self, base: &Path) -> Result<Self> {
        if self
            .max_connections
            .is_some_and(|n| !(1..=1_000_000).contains(&n))
        {
            return Err(Error::param("listener.max_connections", "1 to 1000000"));
        }
        if self
            .header_read_timeout_secs
            .is_some_and(|n| !(1..=300).contains(&n))
        {
            return Err(Error::param(
                "listener.header_read_timeout_secs",
                "1 to 300",
            ));
        }
        if self
            .idle_timeout_secs
            .is_some_and(|n| !(1..=3600).contains(&n))
        {
            return Err(Error::param("listener.idle_timeout_secs", "1 to 3600"));
        }
        let resolved = Self {
            tls_cert: self.tls_cert.as_ref().map(|p| base.join(p)),
            tls_key: self.tls_key.as_ref().map(|p| base.join(p)),
            ..self.clone()
        };
        resolved.tls_config()?;
        Ok(resolved)
    }

    /// The header-read timeout in force.
    pub fn header_read_timeout(&self) -> Duration {
        self.header_read_timeout_secs
            .map_or(DEFAULT_HEADER_READ_TIMEOUT, Duration::from_secs)
    }

    /// The idle timeout in force.
    pub fn idle_timeout(&self) -> Duration {
        self.idle_timeout_secs
            .map_or(DEFAULT_IDLE_TIMEOUT, Duration::from_secs)
    }

    /// The connection cap in force.
    pub fn max_connections(&self) -> usize {
        self.max_connections.unwrap_or_else(|| {
            let by_files = open_file_limit()
                .map(|n| n.saturating_sub(RESERVED_FILES).max(RESERVED_FILES))
                .unwrap_or(u64::MAX);
            DEFAULT_MAX_CONNECTIONS.min(usize::try_from(by_files).unwrap_or(usize::MAX))
        })
    }

    /// Whether the service speaks TLS.
    pub fn is_tls(&self) -> bool {
        self.tls_cert.is_some() || self.tls_key.is_some()
    }

    /// `https` or `http`.
    pub fn scheme(&self) -> &'static str {
        if self.is_tls() { "https" } else { "http" }
    }

    /// The TLS configuration (`None` without TLS): the certificate chain
    /// and key from the files, TLS 1.2 and 1.3 with rustls' ring
    /// provider, ALPN `http/1.1`.
    pub fn tls_config(&self) -> Result<Option<Arc<rustls::ServerConfig>>> {
        let (cert, key) = match (&self.tls_cert, &self.tls_key) {
            (None, None) => return Ok(None),
            (Some(c), Some(k)) => (c, k),
            _ => {
                return Err(Error::param(
                    "listener",
                    "tls_cert and tls_key go together (both for HTTPS, neither for HTTP)",
                ));
            }
        };
        let chain = CertificateDer::pem_file_iter(cert)
            .and_then(|it| it.collect::<std::result::Result<Vec<_>, _>>())
            .map_err(|e| Error::param("listener.tls_cert", format!("{}: {e}", cert.display())))?;
        if chain.is_empty() {
            return Err(Error::param(
                "listener.tls_cert",
                format!("{}: no CERTIFICATE in the file", cert.display()),
            ));
        }
        let key_der = PrivateKeyDer::from_pem_file(key)
            .map_err(|e| Error::param("listener.tls_key", format!("{}: {e}", key.display())))?;
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| Error::param("listener", e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key_der)
        .map_err(|e| {
            Error::param(
                "listener.tls_key",
                format!("{} with {}: {e}", key.display(), cert.display()),
            )
        })?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Some(Arc::new(config)))
    }
}

/// The soft limit on open files, from `/proc/self/limits` (Linux); `None`
/// where that cannot be read or says "unlimited".
pub fn open_file_limit() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The two timeouts, copied into each connection.
#[derive(Clone, Copy)]
struct Timeouts {
    header: Duration,
    idle: Duration,
}

/// Serve `app` on `listener` as `config` says until `shutdown` completes,
/// then close the listener and the idle connections, and return when the
/// requests in flight are answered.
pub async fn run(
    listener: TcpListener,
    app: Router,
    config: &ListenerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let tls = config.tls_config()?.map(TlsAcceptor::from);
    let timeouts = Timeouts {
        header: config.header_read_timeout(),
        idle: config.idle_timeout(),
    };
    let cap = config.max_connections();
    let permits = Arc::new(Semaphore::new(cap));
    let (stop, stopping) = watch::channel(false);
    let mut last_accept_error: Option<Instant> = None;
    tokio::pin!(shutdown);
    loop {
        // At the cap, wait here: further clients wait in the backlog.
        let permit = tokio::select! {
            () = &mut shutdown => break,
            p = Arc::clone(&permits).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break, // never closed
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            r = listener.accept() => match r {
                Ok(accepted) => accepted,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    // Out of files or memory: say so (once a second at
                    // most) and give the connections a moment to close.
                    if last_accept_error.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                        eprintln!("{}", json!({"event": "accept_failed", "error": e.to_string()}));
                        last_accept_error = Some(Instant::now());
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let conn = Connection {
            peer,
            app: app.clone(),
            timeouts,
            stopping: stopping.clone(),
        };
        let tls = tls.clone();
        tokio::spawn(async move {
            conn.run(stream, tls).await;
            drop(permit);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    // Every connection holds a permit until it ends.
    let all = u32::try_from(cap).unwrap_or(u32::MAX);
    let _ = permits.acquire_many(all).await;
    Ok(())
}

/// Errors of one connection that leave the listener sound.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// One accepted connection.
struct Connection {
    peer: SocketAddr,
    app: Router,
    timeouts: Timeouts,
    stopping: watch::Receiver<bool>,
}

impl Connection {
    async fn run(mut self, stream: TcpStream, tls: Option<TlsAcceptor>) {
        let accepted = Instant::now();
        match tls {
            None => self.serve(stream, accepted).await,
            Some(acceptor) => {
                // The handshake counts against the first request's head.
                let deadline = accepted + self.timeouts.header;
                let handshake = tokio::select! {
                    r = tokio::time::timeout_at(deadline, acceptor.accept(stream)) => r,
                    _ = self.stopping.wait_for(|s| *s) => return,
                };
                if let Ok(Ok(stream)) = handshake {
                    self.serve(stream, accepted).await;
                }
            }
        }
    }

    /// HTTP/1.1 on `io` until the client or a timeout closes it, or the
    /// service stops.
    async fn serve<I>(mut self, io: I, accepted: Instant)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let activity = Arc::new(Activity::new(accepted));
        let io = TokioIo::new(Watched {
            io,
            activity: Arc::clone(&activity),
        });
        let app = TowerToHyperService::new(self.app.clone());
        let peer = self.peer;
        let on_request = Arc::clone(&activity);
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let busy = on_request.begin();
            let answer = hyper::service::Service::call(&app, req);
            async move {
                let r = answer.await;
                drop(busy);
                r
            }
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .keep_alive(true)
            // the timeouts are kept here, by `Activity`
            .header_read_timeout(None)
            .serve_connection(io, service);
        tokio::pin!(conn);
        let mut draining = false;
        loop {
            let deadline = activity.deadline(self.timeouts);
            tokio::select! {
                _ = conn.as_mut() => return,
                () = sleep_until(deadline) => {
                    if activity.expired(self.timeouts, Instant::now()) {
                        return; // dropping the connection closes the socket
                    }
                }
                () = activity.changed.notified() => {}
                _ = self.stopping.wait_for(|s| *s), if !draining => {
                    draining = true;
                    // hyper closes an idle connection at once, and one
                    // answering a request once its answer is written (not
                    // before: it may be written still when the handler is
                    // done); a half-sent head is closed at its deadline
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// What one connection is doing, for its timeouts: kept by the stream
/// wrapper (bytes read) and the service (requests begun and answered),
/// read by the connection's task.
struct Activity {
    state: Mutex<ActivityState>,
    /// Wakes the task when the deadline may have moved.
    changed: Notify,
}

struct ActivityState {
    /// Requests whose heads were read and whose answers are not yet made.
    in_flight: usize,
    /// When the connection came to rest: accepted, or its last answer made.
    rest_since: Instant,
    /// Whether a request has been answered (then the idle timeout applies
    /// at rest; before, the header-read timeout from acceptance).
    answered: bool,
    /// When the first byte of the next request came, if one has.
    first_byte: Option<Instant>,
}

impl Activity {
    fn new(accepted: Instant) -> Self {
        Self {
            state: Mutex::new(ActivityState {
                in_flight: 0,
                rest_since: accepted,
                answered: false,
                first_byte: None,
            }),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ActivityState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A request's head was read; the returned guard marks its answer.
    fn begin(self: &Arc<Self>) -> Busy {
        {
            let mut s = self.lock();
            s.in_flight += 1;
            s.first_byte = None;
        }
        self.changed.notify_one();
        Busy(Arc::clone(self))
    }

    fn read(&self, n: usize) {
        if n == 0 {
            return;
        }
        let woke = {
            let mut s = self.lock();
            let first = s.in_flight == 0 && s.first_byte.is_none();
            if first {
                s.first_byte = Some(Instant::now());
            }
            first
        };
        if woke {
            self.changed.notify_one();
        }
    }

    /// No request in progress and no byte of a next one.
    #[cfg(test)]
    fn at_rest(&self) -> bool {
        let s = self.lock();
        s.in_flight == 0 && s.first_byte.is_none()
    }

    /// When the connection is to be closed if nothing changes (`None`
    /// while a request is in progress).
    fn deadline(&self, t: Timeouts) -> Option<Instant> {
        let s = self.lock();
        if s.in_flight > 0 {
            None
        } else if let Some(first) = s.first_byte {
            Some(first + t.header)
        } else if s.answered {
            Some(s.rest_since + t.idle)
        } else {
            Some(s.rest_since + t.header)
        }
    }

    fn expired(&self, t: Timeouts, now: Instant) -> bool {
        self.deadline(t).is_some_and(|d| now >= d)
    }
}

/// A request in progress on its connection; dropped when its answer is
/// made (or the request is abandoned).
struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        {
            let mut s = self.0.lock();
            s.in_flight = s.in_flight.saturating_sub(1);
            if s.in_flight == 0 {
                s.rest_since = Instant::now();
                s.answered = true;
            }
        }
        self.0.changed.notify_one();
    }
}

/// The connection's stream (plain, or TLS after the handshake), noting
/// when the bytes of a request arrive.
struct Watched<I> {
    io: I,
    activity: Arc<Activity>,
}

impl<I: AsyncRead + Unpin> AsyncRead for Watched<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.io).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = r {
            self.activity.read(buf.filled().len() - before);
        }
        r
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Watched<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_ranges() {
        let c = ListenerConfig::default();
        assert_eq!(c.header_read_timeout(), DEFAULT_HEADER_READ_TIMEOUT);
        assert_eq!(c.idle_timeout(), DEFAULT_IDLE_TIMEOUT);
        assert!(c.max_connections() >= 64 && c.max_connections() <= DEFAULT_MAX_CONNECTIONS);
        assert!(!c.is_tls());
        assert_eq!(c.scheme(), "http");
        let base = Path::new(".");
        for bad in [
            r#"{"max_connections": 0}"#,
            r#"{"header_read_timeout_secs": 0}"#,
            r#"{"idle_timeout_secs": 3601}"#,
            r#"{"tls_cert": "cert.pem"}"#,
        ] {
            let c: ListenerConfig = serde_json::from_str(bad).unwrap();
            assert!(c.resolve(base).is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<ListenerConfig>(r#"{"max_conections": 5}"#).is_err());
        let c: ListenerConfig =
            serde_json::from_str(r#"{"max_connections": 5, "idle_timeout_secs": 3}"#).unwrap();
        let c = c.resolve(base).unwrap();
        assert_eq!(c.max_connections(), 5);
        assert_eq!(c.idle_timeout(), Duration::from_secs(3));
    }

    #[test]
    fn deadlines() {
        let t = Timeouts {
            header: Duration::from_secs(10),
            idle: Duration::from_secs(75),
        };
        let start = Instant::now();
        let a = Arc::new(Activity::new(start));
        // first request: the header timeout from acceptance
        assert_eq!(a.deadline(t), Some(start + t.header));
        assert!(a.at_rest());
        a.read(3);
        assert!(!a.at_rest());
        let busy = a.begin();
        assert_eq!(a.deadline(t), None);
        assert!(!a.expired(t, start + Duration::from_secs(1000)));
        // bytes read while busy (its body) are not a next request
        a.read(100);
        drop(busy);
        assert!(a.at_rest());
        let rest = a.lock().rest_since;
        assert_eq!(a.deadline(t), Some(rest + t.idle));
        a.read(1);
        let first = a.lock().first_byte.unwrap();
        assert_eq!(a.deadline(t), Some(first + t.header));
        assert!(a.expired(t, first + t.header));
    }

    #[test]
    fn reads_the_file_limit() {
        if cfg!(target_os = "linux") {
            assert!(open_file_limit().is_some_and(|n| n > 0));
        }
    }
}
