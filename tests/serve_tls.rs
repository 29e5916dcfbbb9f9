//! The service speaking TLS itself: a throw-away ECDSA P-256 CA and
//! server certificate made by the openssl CLI, the service configured
//! with them (`"listener": {"tls_cert", "tls_key"}`), `GET /healthz`
//! answered 200 over TLS 1.3 and TLS 1.2 to a rustls client that checks
//! the certificate, ALPN `http/1.1`, and to `openssl s_client` (and to
//! curl where it is installed); a client trusting another CA is refused;
//! plain HTTP to the TLS port gets no answer; a bad TLS configuration
//! stops the service before it starts, naming the file.
#![cfg(feature = "serve")]

mod common;
#[path = "common/listener.rs"]
mod listener;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::json;
use yizhengtong::serve::{ServiceConfig, client, spawn_with};

/// What a TLS exchange agreed and got back: the version, the ALPN
/// protocol, the bytes.
type Exchange = (rustls::ProtocolVersion, Option<Vec<u8>>, Vec<u8>);

/// A TLS connection to `addr` trusting the CA in `ca`, as `localhost`,
/// offering `versions` and ALPN http/1.1: `request` sent, everything read
/// (the version and ALPN agreed, and the bytes), or the handshake's error.
fn https(
    addr: std::net::SocketAddr,
    ca: &str,
    versions: &[&'static rustls::SupportedProtocolVersion],
    request: &[u8],
) -> Result<Exchange, String> {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(versions)
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let conn =
        rustls::ClientConnection::new(Arc::new(config), ServerName::try_from("localhost").unwrap())
            .unwrap();
    let sock = TcpStream::connect(addr).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, sock);
    tls.write_all(request).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    if let Err(e) = tls.read_to_end(&mut out)
        && out.is_empty()
    {
        return Err(e.to_string());
    }
    Ok((
        tls.conn.protocol_version().unwrap(),
        tls.conn.alpn_protocol().map(<[u8]>::to_vec),
        out,
    ))
}

#[test]
fn the_service_speaks_tls_1_2_and_1_3_and_only_tls() {
    let dir = common::Work::new("serve-tls");
    listener::tls_files(&dir);
    let (service, listen) = listener::service(
        &dir,
        json!({"tls_cert": "server.pem", "tls_key": "server.key", "header_read_timeout_secs": 2}),
    );
    assert!(listen.is_tls());
    let server = spawn_with(service, "127.0.0.1:0", 2, listen).unwrap();
    assert_eq!(server.url(), format!("https://{}", server.addr));
    let ca = dir.path("ca.pem");
    let request = listener::get_request("/healthz");

    for (version, name) in [
        (&rustls::version::TLS13, rustls::ProtocolVersion::TLSv1_3),
        (&rustls::version::TLS12, rustls::ProtocolVersion::TLSv1_2),
    ] {
        let (agreed, alpn, out) = https(server.addr, &ca, &[version], &request).unwrap();
        assert_eq!(agreed, name);
        assert_eq!(alpn.as_deref(), Some(&b"http/1.1"[..]));
        let text = String::from_utf8_lossy(&out);
        assert!(text.starts_with("HTTP/1.1 200"), "{name:?}: {text}");
        assert!(text.contains("\"status\""), "{text}");
    }

    // A client that trusts another CA does not get through.
    let refused = https(
        server.addr,
        &dir.path("other-ca.pem"),
        &[&rustls::version::TLS13],
        &request,
    );
    let e = refused.unwrap_err();
    assert!(e.contains("invalid peer certificate"), "{e}");

    // openssl s_client, checking the chain and the name.
    let port = server.addr.port().to_string();
    let s_client = |ca: &str| {
        let mut child = common::openssl()
            .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
            .args(["-servername", "localhost", "-verify_hostname", "localhost"])
            .args([
                "-CAfile",
                ca,
                "-verify_return_error",
                "-alpn",
                "http/1.1",
                "-quiet",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&request).unwrap();
        child.wait_with_output().unwrap()
    };
    let out = s_client(&ca);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("HTTP/1.1 200"),
        "s_client: {text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = s_client(&dir.path("other-ca.pem"));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("HTTP/1.1"));

    // curl, where installed (not needed by CI).
    if let Ok(out) = Command::new("curl")
        .args(["-sS", "--max-time", "5", "--cacert", &ca])
        .arg(format!("https://127.0.0.1:{port}/healthz"))
        .output()
    {
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "curl: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("\"status\""), "curl: {text}");
    }

    // Plain HTTP to the TLS port: no HTTP answer.
    let plain = listener::raw(server.addr, &request, Duration::from_secs(5));
    assert!(
        !plain.starts_with(b"HTTP/"),
        "{:?}",
        String::from_utf8_lossy(&plain)
    );
    let r = client::get(
        &format!("http://{}/healthz", server.addr),
        Duration::from_secs(5),
    );
    assert!(r.is_err() || r.unwrap().status != 200);

    // A client that connects and never says hello is closed at the header timeout.
    let mut silent = TcpStream::connect(server.addr).unwrap();
    silent
        .set_read_timeout(Some(Duration::from_secs(6)))
        .unwrap();
    let t = std::time::Instant::now();
    let mut b = [0u8; 16];
    let n = silent.read(&mut b).unwrap_or(0);
    assert_eq!(n, 0);
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    server.stop().unwrap();
}

#[test]
fn a_bad_tls_configuration_is_refused_by_name() {
    let dir = common::Work::new("serve-tls-bad");
    listener::tls_files(&dir);
    // The service's own files, then a configuration per case.
    let _ = listener::service(&dir, json!({}));
    let load = |listener: serde_json::Value| {
        let mut config: serde_json::Value =
            serde_json::from_slice(&dir.read("config.json")).unwrap();
        config["listener"] = listener;
        let path = dir.write("bad.json", config.to_string());
        let (cfg, base) = ServiceConfig::from_file(std::path::Path::new(&path)).unwrap();
        cfg.load(&base).err().map(|e| e.to_string())
    };
    let e = load(json!({"tls_cert": "server.pem"})).unwrap();
    assert!(e.contains("tls_cert and tls_key go together"), "{e}");
    let e = load(json!({"tls_cert": "server.pem", "tls_key": "ca.key"})).unwrap();
    assert!(e.contains("ca.key"), "{e}");
    let e = load(json!({"tls_cert": "missing.pem", "tls_key": "server.key"})).unwrap();
    assert!(e.contains("missing.pem"), "{e}");
    let e = load(json!({"tls_cert": "server.key", "tls_key": "server.key"})).unwrap();
    assert!(e.contains("tls_cert"), "{e}");
    let mut config: serde_json::Value = serde_json::from_slice(&dir.read("config.json")).unwrap();
    config["listener"] = json!({"tls": true});
    let path = dir.write("unknown.json", config.to_string());
    let e = ServiceConfig::from_file(std::path::Path::new(&path))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("unknown field `tls`"), "{e}");
    assert!(load(json!({"tls_cert": "server.pem", "tls_key": "server.key"})).is_none());
}
