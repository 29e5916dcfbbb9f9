//! For the listener's tests (serve_slow, serve_tls): a minimal service
//! from a configuration file with a `"listener"` object, throw-away TLS
//! certificates made by the openssl CLI, and raw HTTP/1.1 over a socket.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use yizhengtong::cert::*;
use yizhengtong::crypto::PrivateKey;
use yizhengtong::serve::{ListenerConfig, Service, ServiceConfig};
use yizhengtong::store::AnyStore;

use crate::common;

/// A service with a throw-away CA and platform, configured with
/// `listener` (the configuration file's `"listener"` object), on the
/// memory backend; and the listener configuration as loaded.
pub fn service(dir: &common::Work, listener: Value) -> (Arc<Service>, ListenerConfig) {
    let mut rng = common::test_rng(17);
    let now = SystemTime::now() - Duration::from_secs(86_400);
    let root = CertificateAuthority::create_root(
        PrivateKey::generate(&mut rng),
        parse_dn("C=CN,O=Listener Test CA,CN=Listener Test Root").unwrap(),
        now,
        30,
        CaConfig::default(),
        &mut rng,
    )
    .unwrap();
    let root_cert = root.certificate().clone();
    let platform_key = PrivateKey::generate(&mut rng);
    let mut ca = ManagedCa::new(root);
    let platform_cert = ca
        .issue(
            &EndEntityRequest {
                holder: Holder::enterprise("新疆公共资源交易平台", "9165010039960151X0").unwrap(),
                usage: CertUsage::Sign,
                medium: Medium::Mobile,
                public_key: platform_key.public_key(),
                not_before: now,
                days: 10,
            },
            now,
            &mut rng,
        )
        .unwrap();
    dir.write("root.pem", root_cert.to_pem());
    dir.write("platform.pem", platform_cert.to_pem());
    dir.write("platform.key.pem", platform_key.to_pkcs8_pem().as_bytes());
    let config = json!({
        "platform_code": "C1100005553",
        "platform_name": "新疆公共资源交易平台",
        "callback_host": "127.0.0.1:1",
        "platform_key": "platform.key.pem",
        "platform_cert": "platform.pem",
        "anchors": ["root.pem"],
        "listener": listener,
    });
    let path = dir.write("config.json", config.to_string());
    let (cfg, base) = ServiceConfig::from_file(std::path::Path::new(&path)).unwrap();
    let loaded = cfg.load(&base).unwrap();
    let listener = loaded.listener.clone();
    let service = Service::new(loaded, AnyStore::open("memory").unwrap()).unwrap();
    (Arc::new(service), listener)
}

/// Throw-away TLS files in `dir`, made by the openssl CLI: `ca.pem` (an
/// ECDSA P-256 CA), `server.pem` and `server.key` (for `localhost` and
/// 127.0.0.1, issued by it), and `other-ca.pem` (a CA that issued
/// nothing here).
pub fn tls_files(dir: &common::Work) {
    let p = |n: &str| dir.path(n);
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    for ca in ["ca", "other-ca"] {
        let mut args = vec!["req", "-x509"];
        args.extend(ec);
        let (key, pem) = (p(&format!("{ca}.key")), p(&format!("{ca}.pem")));
        args.extend([
            "-days",
            "2",
            "-subj",
            "/CN=yzt test TLS CA",
            "-keyout",
            &key,
            "-out",
            &pem,
        ]);
        common::ossl(&args);
    }
    let mut args = vec!["req", "-new"];
    args.extend(ec);
    let (key, csr) = (p("server.key"), p("server.csr"));
    args.extend(["-subj", "/CN=localhost", "-keyout", &key, "-out", &csr]);
    common::ossl(&args);
    let ext = dir.write(
        "server.ext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n\
         keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
    );
    common::ossl([
        "x509",
        "-req",
        "-in",
        &csr,
        "-CA",
        &p("ca.pem"),
        "-CAkey",
        &p("ca.key"),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        &ext,
        "-out",
        &p("server.pem"),
    ]);
}

/// Send `request` on a fresh connection to `addr` and read until the
/// server closes or `timeout` passes: what came back.
pub fn raw(addr: std::net::SocketAddr, request: &[u8], timeout: Duration) -> Vec<u8> {
    let mut s = TcpStream::connect_timeout(&addr, timeout).unwrap();
    s.set_read_timeout(Some(timeout)).unwrap();
    s.write_all(request).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    out
}

/// `GET path` with `Connection: close`.
pub fn get_request(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").into_bytes()
}
