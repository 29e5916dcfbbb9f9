//! The service's listener against slow and idle clients, on loopback:
//! 300 connections that send a request head a byte a second or nothing
//! at all do not stop valid requests from being answered at once, and are
//! closed at the header-read timeout; at the connection cap further
//! clients wait in the backlog until slow ones are closed; a kept-alive
//! connection is closed at the idle timeout; handlers see the peer's
//! address; a shutdown answers the request in flight and closes idle
//! connections at once.
//!
//! Needs about 700 open files (300 slow clients, both ends); `ulimit -n`
//! is 1024 by default on Linux, which is enough. Every loop is bounded;
//! the file finishes in about ten seconds.
#![cfg(feature = "serve")]

mod common;
#[path = "common/listener.rs"]
mod listener;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use yizhengtong::serve::client;
use yizhengtong::serve::{ListenerConfig, spawn_with};

/// How many slow clients.
const SLOW: usize = 300;
/// The size of an answer still being written when its handler is done.
const BIG: usize = 16 << 20;

/// Whether the server has closed `s` (EOF or reset), without waiting.
fn closed(s: &TcpStream) -> bool {
    let mut b = [0u8; 64];
    s.set_nonblocking(true).unwrap();
    let r = (&mut &*s).read(&mut b);
    s.set_nonblocking(false).unwrap();
    match r {
        Ok(0) => true,
        Ok(_) => false, // an answer (not expected: nothing complete was sent)
        Err(e) if e.kind() == ErrorKind::WouldBlock => false,
        Err(_) => true, // reset
    }
}

/// Wait until every socket is closed by the server or `limit` passes;
/// when each was seen closed, measured from `since[i]`.
fn wait_closed(socks: &[TcpStream], since: &[Instant], limit: Duration) -> Vec<Option<Duration>> {
    let start = Instant::now();
    let mut seen = vec![None; socks.len()];
    while start.elapsed() < limit && seen.iter().any(Option::is_none) {
        for (i, s) in socks.iter().enumerate() {
            if seen[i].is_none() && closed(s) {
                seen[i] = Some(since[i].elapsed());
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    seen
}

#[test]
fn slow_clients_do_not_hold_up_valid_requests_and_are_closed_at_the_header_timeout() {
    let dir = common::Work::new("serve-slow");
    let (service, listen) = listener::service(
        &dir,
        json!({"header_read_timeout_secs": 2, "idle_timeout_secs": 5, "max_connections": 1000}),
    );
    let server = spawn_with(service, "127.0.0.1:0", 2, listen).unwrap();
    let base = server.url();

    // Half send the start of a request head and then a byte a second; half
    // send nothing.
    let mut socks = Vec::with_capacity(SLOW);
    let mut since = Vec::with_capacity(SLOW);
    for i in 0..SLOW {
        let mut s = TcpStream::connect(server.addr).unwrap();
        since.push(Instant::now());
        if i % 2 == 0 {
            s.write_all(b"GET /healthz HTTP/1.1\r\nHo").unwrap();
        }
        socks.push(s);
    }
    let opened = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let dribblers: Vec<TcpStream> = socks
        .iter()
        .step_by(2)
        .map(|s| s.try_clone().unwrap())
        .collect();
    let dribble = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut dribblers = dribblers;
            for _ in 0..10 {
                std::thread::sleep(Duration::from_secs(1));
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                for s in &mut dribblers {
                    let _ = s.write_all(b"s"); // fails once the server has closed it
                }
            }
        })
    };

    // Valid requests are answered at once while the slow ones are open.
    for _ in 0..20 {
        let t = Instant::now();
        let r = client::get(&format!("{base}/healthz"), Duration::from_secs(5)).unwrap();
        assert_eq!(r.status, 200);
        assert!(
            t.elapsed() < Duration::from_secs(1),
            "a valid request took {:?} beside {SLOW} slow clients",
            t.elapsed()
        );
    }
    let answered = opened.elapsed();
    // (checked only while the oldest is well within its 2 s, as on any
    // machine that is not overloaded)
    let oldest = since[0].elapsed();
    let open = socks.iter().filter(|s| !closed(s)).count();
    if since[0].elapsed() < Duration::from_millis(1500) {
        assert_eq!(
            open, SLOW,
            "slow clients were closed before their timeout (the oldest is {oldest:?} old)"
        );
    }

    // Each is closed at its header-read timeout (2 s from acceptance),
    // the dribbling ones included: a byte a second does not extend it.
    let seen = wait_closed(&socks, &since, Duration::from_secs(8));
    stop.store(true, Ordering::Relaxed);
    let left = seen.iter().filter(|s| s.is_none()).count();
    assert_eq!(left, 0, "{left} slow clients still open 8 s on");
    let times: Vec<Duration> = seen.into_iter().flatten().collect();
    let first = times.iter().min().unwrap();
    let last = times.iter().max().unwrap();
    assert!(
        *first >= Duration::from_millis(1900),
        "closed after {first:?}, before the 2 s timeout"
    );
    assert!(
        *last <= Duration::from_secs(6),
        "closed after {last:?}, long after the 2 s timeout"
    );
    eprintln!(
        "{SLOW} slow clients: 20 valid requests answered within {answered:?}; slow ones closed after {first:?} to {last:?}"
    );

    // and the service goes on
    let r = client::get(&format!("{base}/healthz"), Duration::from_secs(5)).unwrap();
    assert_eq!(r.status, 200);
    dribble.join().unwrap();
    server.stop().unwrap();
}

#[test]
fn at_the_cap_clients_wait_in_the_backlog_until_slow_ones_are_closed() {
    let dir = common::Work::new("serve-cap");
    let (service, listen) = listener::service(
        &dir,
        json!({"header_read_timeout_secs": 2, "max_connections": 20}),
    );
    let server = spawn_with(service, "127.0.0.1:0", 2, listen).unwrap();
    // 40 that send nothing: 20 fill the cap, 20 wait in the backlog.
    let silent: Vec<TcpStream> = (0..40)
        .map(|_| TcpStream::connect(server.addr).unwrap())
        .collect();
    let t = Instant::now();
    let r = client::get(
        &format!("{}/healthz", server.url()),
        Duration::from_secs(15),
    )
    .unwrap();
    let waited = t.elapsed();
    assert_eq!(r.status, 200);
    // It waited behind both groups of silent clients (about 4 s), and no
    // longer than their timeouts allow.
    assert!(
        waited >= Duration::from_millis(1500),
        "answered after {waited:?}: the cap of 20 was not in force"
    );
    assert!(
        waited <= Duration::from_secs(10),
        "answered after {waited:?}"
    );
    eprintln!("at the cap behind 40 silent clients: answered after {waited:?}");
    drop(silent);
    server.stop().unwrap();
}

/// Read one response with a `Content-Length` from a kept-alive connection.
fn read_response(s: &mut TcpStream) -> Vec<u8> {
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = Vec::new();
    let mut b = [0u8; 4096];
    loop {
        let n = s.read(&mut b).unwrap();
        assert!(
            n > 0,
            "closed before the response: {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&b[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map(|v| v.trim().parse().unwrap())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return buf;
            }
        }
    }
}

/// Block until the server closes `s` (or 10 s pass): how long it took.
fn time_to_close(s: &mut TcpStream) -> Duration {
    let t = Instant::now();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut b = [0u8; 64];
    match s.read(&mut b) {
        Ok(0) => {}
        Ok(n) => panic!("unexpected bytes: {:?}", String::from_utf8_lossy(&b[..n])),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            panic!("still open after 10 s")
        }
        Err(_) => {}
    }
    t.elapsed()
}

#[test]
fn a_kept_alive_connection_is_closed_at_the_idle_timeout_and_a_half_sent_head_at_the_header_timeout()
 {
    let dir = common::Work::new("serve-idle");
    let (service, listen) = listener::service(
        &dir,
        json!({"header_read_timeout_secs": 1, "idle_timeout_secs": 3}),
    );
    let server = spawn_with(service, "127.0.0.1:0", 2, listen).unwrap();
    let keep_alive = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";

    // Idle after an answer: closed after 3 s, not after 1.
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.write_all(keep_alive).unwrap();
    assert!(read_response(&mut s).starts_with(b"HTTP/1.1 200"));
    // still served on the same connection within the idle time
    std::thread::sleep(Duration::from_millis(1500));
    s.write_all(keep_alive).unwrap();
    assert!(read_response(&mut s).starts_with(b"HTTP/1.1 200"));
    let idle = time_to_close(&mut s);
    assert!(
        idle >= Duration::from_millis(2700) && idle <= Duration::from_secs(5),
        "an idle connection was closed after {idle:?} (idle timeout 3 s)"
    );

    // The first bytes of a next request start the header timeout.
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.write_all(keep_alive).unwrap();
    assert!(read_response(&mut s).starts_with(b"HTTP/1.1 200"));
    std::thread::sleep(Duration::from_millis(300));
    s.write_all(b"GET /healthz HT").unwrap();
    let half = time_to_close(&mut s);
    assert!(
        half >= Duration::from_millis(800) && half <= Duration::from_millis(2500),
        "a half-sent head was closed after {half:?} (header timeout 1 s)"
    );
    eprintln!("idle connection closed after {idle:?}; a half-sent head after {half:?}");
    server.stop().unwrap();
}

#[test]
fn handlers_see_the_peer_and_a_shutdown_answers_the_request_in_flight() {
    use axum::Router;
    use axum::extract::ConnectInfo;
    use axum::routing::get;

    let app = Router::new()
        .route(
            "/peer",
            get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(1000)).await;
                // larger than the socket buffers: still being written
                // when the handler is done
                vec![b'x'; BIG]
            }),
        );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(async move {
        yizhengtong::serve::listen::run(listener, app, &ListenerConfig::default(), async {
            let _ = stopped.await;
        })
        .await
    });

    // The peer address, as the handler saw it, is this client's.
    let mut s = TcpStream::connect(addr).unwrap();
    let me = s.local_addr().unwrap();
    s.write_all(&listener::get_request("/peer")).unwrap();
    let mut out = Vec::new();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(
        text.ends_with(&me.to_string()),
        "{text} does not end with {me}"
    );

    // An idle kept-alive connection and a request in flight when the
    // shutdown comes.
    let mut idle = TcpStream::connect(addr).unwrap();
    idle.write_all(b"GET /peer HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert!(read_response(&mut idle).starts_with(b"HTTP/1.1 200"));
    let slow = std::thread::spawn(move || {
        listener::raw(
            addr,
            &listener::get_request("/slow"),
            Duration::from_secs(10),
        )
    });
    std::thread::sleep(Duration::from_millis(300));
    let asked = Instant::now();
    stop.send(()).unwrap();
    // the idle one is closed at once, not at its idle timeout (75 s)
    let closed_after = time_to_close(&mut idle);
    assert!(closed_after < Duration::from_secs(1), "{closed_after:?}");
    // the one in flight is answered, all of it
    let answer = slow.join().unwrap();
    let head_end = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&answer[..head_end]);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(answer.len() - head_end, BIG, "{head}");
    // and then the server has stopped
    runtime.block_on(server).unwrap().unwrap();
    assert!(asked.elapsed() < Duration::from_secs(3));
    assert!(
        TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err(),
        "still accepting after the shutdown"
    );
}
