//! The HTTP verification service on a loopback port: the OpenAPI document
//! against the routes, every route through success and refusal, the QR
//! flow for every action as the login page and the app see it, replays,
//! expiry, and the JSON error for each kind of bad request.
#![cfg(feature = "serve")]

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64ct::{Base64, Encoding};
use serde_json::{Value, json};
use yizhengtong::cert::*;
use yizhengtong::crypto::{CiphertextFormat, DEFAULT_USER_ID, PrivateKey, sm3};
use yizhengtong::qr::*;
use yizhengtong::seal::{Seal, SealKind, SealRequest, SealVersion, make_seal};
use yizhengtong::serve::client::{self, HttpResponse};
use yizhengtong::serve::load;
use yizhengtong::serve::{Access, OPENAPI, Running, Service, ServiceConfig, routes, spawn};
use yizhengtong::store::AnyStore;
use yizhengtong::workflow::reference::test_backend;

const CODE: &str = "C1100005553";
const NAME: &str = "新疆公共资源交易平台";
const T: Duration = Duration::from_secs(10);
const ID: &str = "11010519491231002X";

struct World {
    _dir: common::Work,
    /// The holder's CA, which writes `ca.crl.pem` (read again by the
    /// service every second).
    ca: ManagedCa,
    server: Running,
    registry: PlatformRegistry,
    sign_key: PrivateKey,
    sign_cert: Certificate,
    enc_key: PrivateKey,
    enc_cert: Certificate,
    stranger_cert: Certificate,
    seal: Seal,
    /// The platform's API key.
    key: String,
}

fn pem(cert: &Certificate) -> String {
    cert.to_pem()
}

/// A CA valid now, a platform, a holder with signing and encryption
/// certificates and a seal, a configuration file, and the service on
/// 127.0.0.1:0 with `lifetime` seconds per code.
fn world(seed: u64, lifetime: u64) -> World {
    world_on(seed, lifetime, test_backend().unwrap())
}

/// A world whose service runs on `store`.
fn world_on(seed: u64, lifetime: u64, store: AnyStore) -> World {
    world_with(seed, lifetime, store, json!({}))
}

/// A world whose configuration has `extra`'s fields besides the usual.
fn world_with(seed: u64, lifetime: u64, store: AnyStore, extra: Value) -> World {
    let mut rng = common::test_rng(seed);
    let now = SystemTime::now() - Duration::from_secs(86_400);
    let root = CertificateAuthority::create_root(
        PrivateKey::generate(&mut rng),
        parse_dn("C=CN,O=Serve Test CA,CN=Serve Test Root").unwrap(),
        now,
        3650,
        CaConfig::default(),
        &mut rng,
    )
    .unwrap();
    let root_cert = root.certificate().clone();
    let mut ca = ManagedCa::new(root);
    let mut issue = |holder: Holder, usage: CertUsage, key: &PrivateKey| {
        let req = EndEntityRequest {
            holder,
            usage,
            medium: Medium::Mobile,
            public_key: key.public_key(),
            not_before: now,
            days: 365,
        };
        ca.issue(&req, now, &mut common::test_rng(seed + 7))
            .unwrap()
    };
    let person = Holder::person("欧勇", ID).unwrap();
    let sign_key = PrivateKey::generate(&mut rng);
    let enc_key = PrivateKey::generate(&mut rng);
    let platform_key = PrivateKey::generate(&mut rng);
    let maker_key = PrivateKey::generate(&mut rng);
    let sign_cert = issue(person.clone(), CertUsage::Sign, &sign_key);
    let enc_cert = issue(person, CertUsage::Encrypt, &enc_key);
    let platform_cert = issue(
        Holder::enterprise(NAME, "9165010039960151X0").unwrap(),
        CertUsage::Sign,
        &platform_key,
    );
    let maker_cert = issue(
        Holder::enterprise("印章制作中心", "9165010039960151X0").unwrap(),
        CertUsage::Sign,
        &maker_key,
    );
    // A certificate from another CA: untrusted here.
    let other = CertificateAuthority::create_root(
        PrivateKey::generate(&mut rng),
        parse_dn("C=CN,O=Elsewhere,CN=Elsewhere Root").unwrap(),
        now,
        3650,
        CaConfig::default(),
        &mut rng,
    )
    .unwrap();
    let stranger_cert = other.certificate().clone();
    let seal = make_seal(
        &SealRequest {
            version: SealVersion::V4,
            kind: SealKind::PersonalSeal,
            name: "欧勇印".into(),
            es_id: "1".into(),
            vendor_id: "YZT".into(),
            image: b"\x89PNG\r\n\x1a\nimage".to_vec(),
            width_mm: 20,
            height_mm: 20,
            holder_certs: vec![sign_cert.clone()],
            created: now,
            valid_start: now,
            valid_end: now + Duration::from_secs(300 * 86_400),
            ext_datas: vec![],
            time_stamp: None,
        },
        &maker_key,
        &maker_cert,
        &mut rng,
    )
    .unwrap();

    let dir = common::Work::new(&format!("serve-{seed}"));
    let write = |name: &str, data: &[u8]| std::fs::write(dir.0.join(name), data).unwrap();
    write("root.pem", pem(&root_cert).as_bytes());
    write("platform.pem", pem(&platform_cert).as_bytes());
    write("platform.key.pem", platform_key.to_pkcs8_pem().as_bytes());
    let crl = ca
        .crl(now, Duration::from_secs(30 * 86_400), &mut rng)
        .unwrap();
    write("ca.crl.pem", &crl);
    // The callback host is only known once the port is: bind first.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = probe.local_addr().unwrap();
    drop(probe);
    let host = addr.to_string();
    let (key, entry) = yizhengtong::serve::guard::new_api_key("tests", &mut rng);
    let entry: Value = serde_json::from_str(&entry).unwrap();
    let config = json!({
        "api_keys": [entry],
        "platform_code": CODE,
        "platform_name": NAME,
        "callback_host": host,
        "platform_key": "platform.key.pem",
        "platform_cert": "platform.pem",
        "anchors": ["root.pem"],
        "crls": ["ca.crl.pem"],
        "crl_refresh_secs": 1,
        "lifetime_secs": lifetime,
    });
    let mut config = config;
    if let (Some(c), Some(e)) = (config.as_object_mut(), extra.as_object()) {
        c.extend(e.clone());
    }
    write("config.json", config.to_string().as_bytes());
    let (cfg, base) = ServiceConfig::from_file(&dir.0.join("config.json")).unwrap();
    // The backend named by YZT_TEST_BACKEND (memory, or PostgreSQL in CI's
    // database stage); packages opened as the workflows would.
    let service = Service::new(cfg.load(&base).unwrap(), store).unwrap();
    for institution in ["ca", "seal"] {
        let key = QuotaKey {
            holder: ID.into(),
            platform: CODE.into(),
            institution,
        };
        service.verifier().store().set_quota(&key, 100).unwrap();
    }
    let server = spawn(Arc::new(service), &host, 2).unwrap();
    let mut registry = PlatformRegistry::new();
    registry
        .add(PlatformEntry {
            code: CODE.into(),
            name: NAME.into(),
            certificate: platform_cert,
            callback_hosts: vec![host],
        })
        .unwrap();
    World {
        _dir: dir,
        ca,
        server,
        registry,
        sign_key,
        sign_cert,
        enc_key,
        enc_cert,
        stranger_cert,
        seal,
        key,
    }
}

impl World {
    /// Another instance of the same service (same configuration) on
    /// `store`, listening on a port of its own.
    fn another_instance(&self, store: AnyStore) -> Running {
        let (cfg, base) = ServiceConfig::from_file(&self._dir.0.join("config.json")).unwrap();
        let service = Service::new(cfg.load(&base).unwrap(), store).unwrap();
        spawn(Arc::new(service), "127.0.0.1:0", 2).unwrap()
    }
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }
    /// As the platform (with its API key).
    fn post(&self, path: &str, body: Value) -> HttpResponse {
        client::post_json_as(&self.url(path), &self.key, &body, T).unwrap()
    }
    /// As the platform (with its API key).
    fn get(&self, path: &str) -> HttpResponse {
        client::get_as(&self.url(path), &self.key, T).unwrap()
    }
    /// A raw request as the platform.
    fn send(&self, method: &str, path: &str, body: Option<(&str, &[u8])>) -> HttpResponse {
        let auth = format!("Bearer {}", self.key);
        client::send(
            method,
            &self.url(path),
            &[("Authorization", &auth)],
            body,
            T,
        )
        .unwrap()
    }
    /// As anyone (no credential).
    fn post_public(&self, path: &str, body: Value) -> HttpResponse {
        client::post_json(&self.url(path), &body, T).unwrap()
    }
    /// As anyone (no credential).
    fn get_public(&self, path: &str) -> HttpResponse {
        client::get(&self.url(path), T).unwrap()
    }
    fn issue(&self, body: Value) -> Value {
        let r = self.post("/v1/qr", body);
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        r.json().unwrap()
    }
    /// The app: scan the text and answer for the holder.
    fn answer(&self, text: &str, input: ActionInput<'_>) -> Vec<u8> {
        self.answer_seeded(text, input, 3)
    }
    /// The same, with the signatures' randomness from `seed`: another
    /// seed gives another response to the same code.
    fn answer_seeded(&self, text: &str, input: ActionInput<'_>, seed: u64) -> Vec<u8> {
        let now = SystemTime::now();
        let (challenge, view) = scan(text, &self.registry, now).unwrap();
        let identity = Identity {
            member: "13800000000",
            enterprise: None,
            signing_cert: &self.sign_cert,
            signing_key: &self.sign_key,
            encryption_cert: Some(&self.enc_cert),
            encryption_key: Some(&self.enc_key),
        };
        respond(
            &challenge,
            &view,
            &identity,
            input,
            now,
            &mut common::test_rng(seed),
        )
        .unwrap()
        .to_der()
    }
    fn submit(&self, tid: &str, der: &[u8]) -> HttpResponse {
        self.post(
            &format!("/v1/qr/{tid}/response"),
            json!({"response": Base64::encode_string(der)}),
        )
    }
}

fn accepted(r: &HttpResponse) -> (bool, i64) {
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json().unwrap();
    (
        v["data"]["verifySignatureResult"].as_bool().unwrap(),
        v["data"]["reasonCode"].as_i64().unwrap(),
    )
}

/// The error body every refused request carries.
fn error_code(r: &HttpResponse, status: u16) -> String {
    assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
    assert!(
        r.content_type
            .as_deref()
            .is_some_and(|c| c.starts_with("application/json")),
        "{:?}",
        r.content_type
    );
    let v = r.json().unwrap();
    assert_eq!(v["error"]["status"], status);
    assert!(!v["error"]["message"].as_str().unwrap().is_empty());
    v["error"]["code"].as_str().unwrap().to_string()
}

#[test]
fn openapi_document_matches_the_routes() {
    let doc: Value = serde_json::from_str(OPENAPI).unwrap();
    assert_eq!(doc["openapi"], "3.0.3");
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            documented.push((method.to_uppercase(), path.clone()));
            assert!(op["operationId"].is_string(), "{method} {path}");
            assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()));
            // Every path parameter is declared.
            for part in path.split('/').filter(|p| p.starts_with('{')) {
                let name = part.trim_matches(|c| c == '{' || c == '}');
                assert!(
                    op["parameters"]
                        .as_array()
                        .is_some_and(|ps| ps.iter().any(|p| p["name"] == name)),
                    "{method} {path}: parameter {name}"
                );
            }
        }
    }
    let mut served: Vec<(String, String)> = routes()
        .into_iter()
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    documented.sort();
    served.sort();
    assert_eq!(documented, served);
    // Every $ref resolves.
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if k == "$ref" {
                        out.push(x.as_str().unwrap().to_string());
                    } else {
                        refs(x, out);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    for r in all {
        let ptr = r.trim_start_matches('#');
        assert!(doc.pointer(ptr).is_some(), "unresolved {r}");
    }

    // The served document is this one, and each route answers with a
    // status its operation documents (a valid and an empty request).
    let w = world(1, 120);
    let served_doc = w.get("/openapi.json").json().unwrap();
    assert_eq!(served_doc, doc);
    let c = w.issue(json!({"action": "login"}));
    let tid = c["transaction"].as_str().unwrap();
    for route in routes() {
        let (method, path) = (route.method, route.path);
        let url_path = path.replace("{tid}", tid).replace("{holder}", ID);
        let r = if method == "GET" {
            w.get(&url_path)
        } else {
            client::request("POST", &w.url(&url_path), None, T).unwrap()
        };
        // the security the document declares is the route's
        let security = &doc["paths"][path][method.to_lowercase()]["security"];
        let declared = match route.access {
            Access::Platform => json!([{"platformKey": []}]),
            Access::Page => json!([{"pageSecret": []}]),
            Access::Public => json!([]),
        };
        assert_eq!(security, &declared, "{method} {path}");
        let documented = doc["paths"][path][method.to_lowercase()]["responses"]
            .as_object()
            .unwrap();
        assert!(
            documented.contains_key(&r.status.to_string()),
            "{method} {path} answered {} which is not documented",
            r.status
        );
    }
}

#[test]
fn login_flow_as_the_page_and_the_app_see_it() {
    let w = world(2, 120);
    let health = w.get("/healthz").json().unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(
        health["backend"] == "memory",
        std::env::var("YZT_TEST_BACKEND").map_or(true, |b| b == "memory")
    );
    let page = w.get("/");
    assert_eq!(page.status, 200);
    let html = String::from_utf8(page.body.clone()).unwrap();
    assert!(html.contains(NAME) && html.contains("/v1/login"));

    let c = w.issue(json!({"action": "login"}));
    let tid = c["transaction"].as_str().unwrap().to_string();
    assert!(c["svg"].as_str().unwrap().contains("<svg"));
    assert_eq!(
        c["expires_at"].as_u64().unwrap() - c["issued_at"].as_u64().unwrap(),
        120
    );
    let st = w.get(&format!("/v1/qr/{tid}")).json().unwrap();
    assert_eq!(st["state"], "pending");
    let st = w
        .post(&format!("/v1/qr/{tid}/scanned"), json!({}))
        .json()
        .unwrap();
    assert_eq!(st["state"], "scanned");

    let der = w.answer(c["text"].as_str().unwrap(), ActionInput::Login);
    assert_eq!(accepted(&w.submit(&tid, &der)), (true, 0));
    let st = w.get(&format!("/v1/qr/{tid}")).json().unwrap();
    assert_eq!(st["state"], "authorised");
    assert_eq!(st["identity"]["name"], "欧勇");
    assert_eq!(st["identity"]["holder"], ID);
    assert_eq!(st["identity"]["member"], "13800000000");
    assert_eq!(
        st["identity"]["certificate_serial"],
        w.sign_cert.serial_hex()
    );
    assert_eq!(st["identity"]["remaining"], 99);

    // The same response again (a retry) gets its verdict again,
    // uncharged; another response for the code is a replay, refused; the
    // login stands.
    assert_eq!(accepted(&w.submit(&tid, &der)), (true, 0));
    let other = w.answer_seeded(c["text"].as_str().unwrap(), ActionInput::Login, 99);
    assert_eq!(accepted(&w.submit(&tid, &other)), (false, 1004));
    let st = w.get(&format!("/v1/qr/{tid}")).json().unwrap();
    assert_eq!(st["state"], "authorised");
    assert_eq!(st["identity"]["remaining"], 99);
    // The same response sent for another code is refused unverified, and
    // that code stays pending.
    let c2 = w.issue(json!({"action": "login"}));
    let tid2 = c2["transaction"].as_str().unwrap();
    assert_eq!(error_code(&w.submit(tid2, &der), 409), "wrong_transaction");
    assert_eq!(
        w.get(&format!("/v1/qr/{tid2}")).json().unwrap()["state"],
        "pending"
    );
    // A tampered response is refused and changes nothing: the code stays
    // pending, and the holder's genuine answer is accepted.
    let c3 = w.issue(json!({"action": "login"}));
    let tid3 = c3["transaction"].as_str().unwrap();
    let good = w.answer(c3["text"].as_str().unwrap(), ActionInput::Login);
    let mut bad = good.clone();
    let n = bad.len();
    bad[n - 2] ^= 1;
    let (ok, reason) = accepted(&w.submit(tid3, &bad));
    assert!(!ok && reason == 1015, "reason {reason}");
    let st = w.get(&format!("/v1/qr/{tid3}")).json().unwrap();
    assert_eq!(st["state"], "pending");
    assert_eq!(accepted(&w.submit(tid3, &good)), (true, 0));
}

#[test]
fn every_action_hands_over_its_outcome() {
    let w = world(3, 120);
    let doc = b"tender document".as_slice();
    let digest = yizhengtong::hex::encode(&sm3(doc));

    let c = w.issue(json!({"action": "seal", "digest": digest}));
    let der = w.answer(
        c["text"].as_str().unwrap(),
        ActionInput::Seal {
            seal: &w.seal,
            document: doc,
            property: "page 1",
        },
    );
    let tid = c["transaction"].as_str().unwrap();
    assert_eq!(accepted(&w.submit(tid, &der)), (true, 0));
    let st = w.get(&format!("/v1/qr/{tid}")).json().unwrap();
    let stamped = st["outcome"]["seal_signature"]
        .as_str()
        .unwrap()
        .to_string();
    // The seal service verifies what the QR flow handed over.
    let report = w
        .post(
            "/v1/seal/verify",
            json!({"signature": stamped, "document": Base64::encode_string(doc)}),
        )
        .json()
        .unwrap();
    assert_eq!(report["valid"], true, "{report}");
    assert_eq!(report["kind"], "signature");
    let report = w
        .post(
            "/v1/seal/verify",
            json!({"signature": stamped, "document": Base64::encode_string(b"other")}),
        )
        .json()
        .unwrap();
    assert_eq!(report["valid"], false);
    let report = w
        .post(
            "/v1/seal/verify",
            json!({"seal": Base64::encode_string(&w.seal.raw)}),
        )
        .json()
        .unwrap();
    assert_eq!(report["valid"], true, "{report}");

    let message = b"bid 1,000,000".as_slice();
    let c = w.issue(json!({"action": "msg_sign", "message": Base64::encode_string(message)}));
    let der = w.answer(
        c["text"].as_str().unwrap(),
        ActionInput::MsgSign { message },
    );
    let tid = c["transaction"].as_str().unwrap();
    assert_eq!(accepted(&w.submit(tid, &der)), (true, 0));
    let st = w.get(&format!("/v1/qr/{tid}")).json().unwrap();
    let sig = st["outcome"]["message_signature"].as_str().unwrap();
    // ...and /v1/verify checks that signature with the certificate.
    let answer = w
        .post(
            "/v1/verify",
            json!({"message": Base64::encode_string(message), "signature": sig, "certificate": pem(&w.sign_cert)}),
        )
        .json()
        .unwrap();
    assert_eq!(answer["data"]["verifySignatureResult"], true);

    let c = w.issue(json!({"action": "file_sign", "digest": digest}));
    let der = w.answer(
        c["text"].as_str().unwrap(),
        ActionInput::FileSign {
            file: doc,
            gmt0010: true,
        },
    );
    let tid = c["transaction"].as_str().unwrap();
    assert_eq!(accepted(&w.submit(tid, &der)), (true, 0));
    let st = w.get(&format!("/v1/qr/{tid}")).json().unwrap();
    assert!(st["outcome"]["file_signature"].as_str().unwrap().len() > 100);

    let c = w.issue(json!({"action": "encrypt"}));
    let der = w.answer(c["text"].as_str().unwrap(), ActionInput::Encrypt);
    let tid = c["transaction"].as_str().unwrap();
    assert_eq!(accepted(&w.submit(tid, &der)), (true, 0));
    let st = w.get(&format!("/v1/qr/{tid}")).json().unwrap();
    assert_eq!(
        Base64::decode_vec(st["outcome"]["encryption_certificate"].as_str().unwrap()).unwrap(),
        w.enc_cert.der()
    );

    // Decrypt: the key is handed over once, to the platform's back end only.
    let doc_key = [7u8; 16];
    let envelope = w
        .enc_cert
        .public_key()
        .encrypt_to(&doc_key, CiphertextFormat::Asn1, &mut common::test_rng(9))
        .unwrap();
    let c = w.issue(json!({"action": "decrypt", "envelope": Base64::encode_string(&envelope)}));
    let tid = c["transaction"].as_str().unwrap();
    assert_eq!(
        error_code(
            &w.post("/v1/decrypt-envelope", json!({"transaction": tid})),
            409
        ),
        "not_authorised"
    );
    let der = w.answer(
        c["text"].as_str().unwrap(),
        ActionInput::Decrypt {
            envelope: &envelope,
        },
    );
    assert_eq!(accepted(&w.submit(tid, &der)), (true, 0));
    let st = w.get(&format!("/v1/qr/{tid}")).json().unwrap();
    assert!(!st.to_string().contains(&Base64::encode_string(&doc_key)));
    let key = w
        .post("/v1/decrypt-envelope", json!({"transaction": tid}))
        .json()
        .unwrap();
    assert_eq!(
        Base64::decode_vec(key["document_key"].as_str().unwrap()).unwrap(),
        doc_key
    );
    assert_eq!(
        error_code(
            &w.post("/v1/decrypt-envelope", json!({"transaction": tid})),
            410
        ),
        "already_taken"
    );
    let login = w.issue(json!({"action": "login"}));
    assert_eq!(
        error_code(
            &w.post(
                "/v1/decrypt-envelope",
                json!({"transaction": login["transaction"]})
            ),
            409
        ),
        "wrong_action"
    );
}

#[test]
fn stateless_verification_routes() {
    let w = world(4, 120);
    let msg = b"bid document";
    let sig = w
        .sign_key
        .sign(DEFAULT_USER_ID, msg, &mut common::test_rng(5))
        .unwrap();
    let m = Base64::encode_string(msg);
    let der = Base64::encode_string(&sig.to_der());
    let raw = Base64::encode_string(&sig.to_raw());
    let cert_b64 = Base64::encode_string(w.sign_cert.der());
    let key_pem = w.sign_key.public_key().to_spki_pem();
    for body in [
        json!({"message": m, "signature": der, "certificate": cert_b64}),
        json!({"message": m, "signature": raw, "public_key": key_pem}),
        json!({"message": m, "signature": der, "certificate": pem(&w.sign_cert)}),
    ] {
        let a = w.post("/v1/verify", body).json().unwrap();
        assert_eq!(a["data"]["verifySignatureResult"], true, "{a}");
    }
    let a = w
        .post(
            "/v1/verify",
            json!({"message": m, "signature": der, "certificate": cert_b64, "user_id": "ALICE123@YAHOO.COM"}),
        )
        .json()
        .unwrap();
    assert_eq!(a["data"]["verifySignatureResult"], false);
    let a = w
        .post(
            "/v1/verify",
            json!({"message": Base64::encode_string(b"other"), "signature": der, "public_key": key_pem}),
        )
        .json()
        .unwrap();
    assert_eq!(a["data"]["verifySignatureResult"], false);
    assert_eq!(a["errorCode"], "signature_mismatch");
    for body in [
        json!({"message": m, "signature": der}),
        json!({"message": m, "signature": der, "certificate": cert_b64, "public_key": key_pem}),
        json!({"message": "***", "signature": der, "public_key": key_pem}),
        json!({"message": m, "signature": Base64::encode_string(b"short"), "public_key": key_pem}),
        json!({"message": m, "signature": der, "public_key": Base64::encode_string(&[4u8; 65])}),
        json!({"message": 5, "signature": der, "public_key": key_pem}),
    ] {
        assert_eq!(error_code(&w.post("/v1/verify", body), 400), "bad_request");
    }

    let v = w
        .post(
            "/v1/cert/verify",
            json!({"certificate": pem(&w.sign_cert), "usage": "signature"}),
        )
        .json()
        .unwrap();
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["serial"], w.sign_cert.serial_hex());
    assert_eq!(v["chain"].as_array().unwrap().len(), 2);
    let v = w
        .post(
            "/v1/cert/verify",
            json!({"certificate": pem(&w.enc_cert), "usage": "signature"}),
        )
        .json()
        .unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["failure"]["check"], "KeyUsage");
    let v = w
        .post(
            "/v1/cert/verify",
            json!({"certificate": pem(&w.stranger_cert)}),
        )
        .json()
        .unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["failure"]["index"], 0);
    let far = SystemTime::now() + Duration::from_secs(20 * 365 * 86_400);
    let at = far
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let v = w
        .post(
            "/v1/cert/verify",
            json!({"certificate": pem(&w.sign_cert), "at": at}),
        )
        .json()
        .unwrap();
    assert_eq!(v["failure"]["check"], "Expired");
    for body in [
        json!({}),
        json!({"certificate": "AAAA"}),
        json!({"certificate": pem(&w.sign_cert), "usage": "everything"}),
        json!({"certificate": pem(&w.sign_cert), "at": -5}),
        json!({"certificate": pem(&w.sign_cert), "intermediates": "x"}),
    ] {
        assert_eq!(
            error_code(&w.post("/v1/cert/verify", body), 400),
            "bad_request"
        );
    }
    for body in [
        json!({}),
        json!({"seal": "AAAA"}),
        json!({"signature": "AAAA"}),
        json!({"seal": Base64::encode_string(&w.seal.raw), "signature": "AAAA"}),
        json!({"seal": Base64::encode_string(&w.seal.raw), "document": "AAAA"}),
    ] {
        assert_eq!(
            error_code(&w.post("/v1/seal/verify", body), 400),
            "bad_request"
        );
    }
}

#[test]
fn every_bad_request_gets_a_json_error() {
    let w = world(5, 120);
    assert_eq!(error_code(&w.get("/nowhere"), 404), "not_found");
    assert_eq!(error_code(&w.get("/v1/qr/zz"), 404), "not_found");
    assert_eq!(
        error_code(&w.get(&format!("/v1/qr/{}", "00".repeat(16))), 404),
        "not_found"
    );
    assert_eq!(
        error_code(
            &client::request("DELETE", &w.url("/v1/qr"), None, T).unwrap(),
            405
        ),
        "method_not_allowed"
    );
    assert_eq!(
        error_code(
            &client::request("GET", &w.url("/v1/verify"), None, T).unwrap(),
            405
        ),
        "method_not_allowed"
    );
    let big = vec![b'a'; yizhengtong::serve::MAX_BODY_BYTES + 1];
    assert_eq!(
        error_code(
            &w.send("POST", "/v1/verify", Some(("application/json", &big))),
            413
        ),
        "payload_too_large"
    );
    for body in [
        &b""[..],
        b"not json",
        b"[1,2]",
        b"\"text\"",
        b"{\"action\": 5}",
        b"{\"action\": \"fly\"}",
    ] {
        let r = w.send("POST", "/v1/qr", Some(("application/json", body)));
        assert_eq!(
            error_code(&r, 400),
            "bad_request",
            "{:?}",
            String::from_utf8_lossy(body)
        );
    }
    for body in [
        json!({"action": "seal"}),
        json!({"action": "seal", "digest": "abcd"}),
        json!({"action": "msg_sign"}),
        json!({"action": "msg_sign", "message": Base64::encode_string(&vec![0u8; 70_000])}),
        json!({"action": "decrypt", "envelope": "!!"}),
    ] {
        assert_eq!(error_code(&w.post("/v1/qr", body), 400), "bad_request");
    }
    let c = w.issue(json!({"action": "login"}));
    let tid = c["transaction"].as_str().unwrap();
    for body in [json!({}), json!({"response": "!!"}), json!({"response": 1})] {
        assert_eq!(
            error_code(&w.post(&format!("/v1/qr/{tid}/response"), body), 400),
            "bad_request"
        );
    }
    // Garbage that decodes as base64 is the verifier's to refuse.
    assert_eq!(accepted(&w.submit(tid, b"garbage")), (false, 1001));
}

#[test]
fn expired_codes_and_late_answers() {
    let w = world(6, 1);
    let c = w.issue(json!({"action": "login"}));
    let tid = c["transaction"].as_str().unwrap();
    let der = w.answer(c["text"].as_str().unwrap(), ActionInput::Login);
    std::thread::sleep(Duration::from_millis(2100));
    assert_eq!(
        w.get(&format!("/v1/qr/{tid}")).json().unwrap()["state"],
        "expired"
    );
    assert_eq!(accepted(&w.submit(tid, &der)), (false, 1008));
    // a late answer changes nothing: the code is expired, not refused
    let st = w.get(&format!("/v1/qr/{tid}")).json().unwrap();
    assert_eq!(st["state"], "expired");
    assert!(st.get("refusal").is_none());
    // The app refuses to answer an expired code in the first place.
    assert!(scan(c["text"].as_str().unwrap(), &w.registry, SystemTime::now()).is_err());
}

#[test]
fn stops_gracefully() {
    let w = world(7, 120);
    let url = w.url("/healthz");
    assert_eq!(client::get(&url, T).unwrap().status, 200);
    w.server.stop().unwrap();
    assert!(client::get(&url, Duration::from_secs(2)).is_err());
}

#[test]
fn load_on_loopback_keeps_the_books() {
    let report = load::run(test_backend().unwrap(), test_backend().unwrap(), 300, 8, 2).unwrap();
    assert_eq!(report.errors, 0, "{report:?}");
    assert_eq!(report.charged, 300);
    assert_eq!(report.replays_refused, 300);
    assert!(report.verify_per_s > 0.0 && report.p99_ms >= report.p50_ms);
}

#[test]
fn packages_in_the_configuration_are_for_the_memory_backend_only() {
    let dir = common::Work::new("serve-quotas");
    let mut rng = common::test_rng(11);
    let key = PrivateKey::generate(&mut rng);
    let root = CertificateAuthority::create_root(
        key.clone(),
        parse_dn("C=CN,CN=Quota Root").unwrap(),
        SystemTime::now() - Duration::from_secs(60),
        30,
        CaConfig::default(),
        &mut rng,
    )
    .unwrap();
    dir.write("root.pem", root.certificate().to_pem());
    dir.write("key.pem", key.to_pkcs8_pem().as_bytes());
    let mut config = json!({
        "platform_code": CODE, "platform_name": NAME, "callback_host": "127.0.0.1:1",
        "platform_key": "key.pem", "platform_cert": "root.pem", "anchors": ["root.pem"],
        "quotas": [{"holder": ID, "institution": "ca", "uses": 3}]
    });
    dir.write("c.json", config.to_string());
    let (cfg, base) = ServiceConfig::from_file(&dir.0.join("c.json")).unwrap();
    let service =
        Service::new(cfg.load(&base).unwrap(), AnyStore::open("memory").unwrap()).unwrap();
    let quota = QuotaKey {
        holder: ID.into(),
        platform: CODE.into(),
        institution: "ca",
    };
    assert_eq!(service.verifier().store().quota(&quota).unwrap(), Some(3));
    // Bad configurations are refused with the field named.
    for (field, value) in [
        (
            "quotas",
            json!([{"holder": ID, "institution": "bank", "uses": 1}]),
        ),
        ("lifetime_secs", json!(0)),
        ("anchors", json!([])),
        ("platform_cert", json!("missing.pem")),
        ("unknown_field", json!(1)),
    ] {
        let mut c = config.clone();
        c[field] = value;
        dir.write("bad.json", c.to_string());
        let err = ServiceConfig::from_file(&dir.0.join("bad.json"))
            .and_then(|(cfg, base)| cfg.load(&base).map(|_| ()))
            .unwrap_err()
            .to_string();
        assert!(err.contains(field), "{field}: {err}");
    }
    // A key that does not match the certificate.
    dir.write(
        "other.pem",
        PrivateKey::generate(&mut rng).to_pkcs8_pem().as_bytes(),
    );
    config["platform_key"] = json!("other.pem");
    dir.write("bad.json", config.to_string());
    let (cfg, base) = ServiceConfig::from_file(&dir.0.join("bad.json")).unwrap();
    assert!(cfg.load(&base).is_err());
}

/// Two stores over one fresh schema of the database YZT_TEST_BACKEND
/// names, as two service instances behind a load balancer hold them;
/// `None` when the tests run on memory (one process's memory is not
/// shared).
/// The schema of this process's shared database.
fn test_schema() -> String {
    let tag = Base64::encode_string(&std::process::id().to_be_bytes())
        .replace(|c: char| !c.is_ascii_alphanumeric(), "")
        .to_lowercase();
    format!("t_pages_{tag}")
}

fn shared_database() -> Option<(AnyStore, AnyStore)> {
    let url = std::env::var("YZT_TEST_BACKEND")
        .ok()
        .filter(|b| b.starts_with("postgres"))?;
    #[cfg(feature = "postgres")]
    {
        use yizhengtong::store::postgres::{PgOptions, PgStore};
        let options = || PgOptions {
            schema: Some(test_schema()),
            sealing_key: Some(zeroize::Zeroizing::new([9u8; 16])),
            pool_size: Some(4),
            ..PgOptions::default()
        };
        PgStore::migrate(&url, &options()).unwrap();
        let open = || AnyStore::Postgres(PgStore::connect(&url, options()).unwrap());
        Some((open(), open()))
    }
    #[cfg(not(feature = "postgres"))]
    panic!("YZT_TEST_BACKEND names a database, but this build has no `postgres` feature ({url})");
}

/// Instances over one database, as behind a load balancer: whichever
/// instance issued a code, heard of the scan, took the answer or hands
/// over the key, every instance shows the same status, the first verdict
/// stands, and a document key goes out once.
#[test]
fn instances_over_one_database_answer_alike() {
    let Some((a_store, b_store)) = shared_database() else {
        eprintln!("skipped: needs YZT_TEST_BACKEND=postgres://… (CI's database stage)");
        return;
    };
    let w = world_on(31, 120, a_store);
    let b = w.another_instance(b_store);
    let on_b = |path: &str| format!("{}{path}", b.url());
    let status = |url: String| client::get_as(&url, &w.key, T).unwrap().json().unwrap();

    // A login issued by A, scanned and answered through B.
    let c = w.issue(json!({"action": "login"}));
    let tid = c["transaction"].as_str().unwrap();
    let page = format!("/v1/qr/{tid}");
    assert_eq!(status(on_b(&page))["state"], "pending");
    let scanned = client::post_json(&on_b(&format!("{page}/scanned")), &json!({}), T).unwrap();
    assert_eq!(scanned.json().unwrap()["state"], "scanned");
    assert_eq!(w.get(&page).json().unwrap()["state"], "scanned");
    let der = w.answer(c["text"].as_str().unwrap(), ActionInput::Login);
    let r = client::post_json(
        &on_b(&format!("{page}/response")),
        &json!({"response": Base64::encode_string(&der)}),
        T,
    )
    .unwrap();
    assert_eq!(accepted(&r), (true, 0));
    let seen_by_a = w.get(&page).json().unwrap();
    assert_eq!(seen_by_a["state"], "authorised");
    assert_eq!(seen_by_a["identity"]["name"], "欧勇");
    assert_eq!(seen_by_a["identity"]["holder"], ID);
    assert_eq!(status(on_b(&page)), seen_by_a);
    // The same answer through A gets its verdict again; another answer
    // is a replay, refused; the login stands everywhere.
    assert_eq!(accepted(&w.submit(tid, &der)), (true, 0));
    let other = w.answer_seeded(c["text"].as_str().unwrap(), ActionInput::Login, 77);
    assert_eq!(accepted(&w.submit(tid, &other)), (false, 1004));
    assert_eq!(w.get(&page).json().unwrap(), seen_by_a);
    assert_eq!(status(on_b(&page)), seen_by_a);

    // A decrypt code issued by B, answered through A: the key waits in the
    // database (sealed), is handed over once by whichever instance is
    // asked first, and then by none.
    let doc_key = [5u8; 16];
    let envelope = w
        .enc_cert
        .public_key()
        .encrypt_to(&doc_key, CiphertextFormat::Asn1, &mut common::test_rng(31))
        .unwrap();
    let c = client::post_json_as(
        &on_b("/v1/qr"),
        &w.key,
        &json!({"action": "decrypt", "envelope": Base64::encode_string(&envelope)}),
        T,
    )
    .unwrap();
    assert_eq!(c.status, 201, "{}", String::from_utf8_lossy(&c.body));
    let c = c.json().unwrap();
    let tid = c["transaction"].as_str().unwrap();
    let take =
        |url: String| client::post_json_as(&url, &w.key, &json!({"transaction": tid}), T).unwrap();
    assert_eq!(
        error_code(&take(w.url("/v1/decrypt-envelope")), 409),
        "not_authorised"
    );
    let der = w.answer(
        c["text"].as_str().unwrap(),
        ActionInput::Decrypt {
            envelope: &envelope,
        },
    );
    assert_eq!(accepted(&w.submit(tid, &der)), (true, 0));
    let st = status(on_b(&format!("/v1/qr/{tid}")));
    assert_eq!(st["state"], "authorised");
    assert!(!st.to_string().contains(&Base64::encode_string(&doc_key)));
    let key = take(on_b("/v1/decrypt-envelope")).json().unwrap();
    assert_eq!(
        Base64::decode_vec(key["document_key"].as_str().unwrap()).unwrap(),
        doc_key
    );
    assert_eq!(
        error_code(&take(w.url("/v1/decrypt-envelope")), 410),
        "already_taken"
    );
    assert_eq!(
        error_code(&take(on_b("/v1/decrypt-envelope")), 410),
        "already_taken"
    );

    // A refused first answer is final on every instance too.
    let c = w.issue(json!({"action": "login"}));
    let tid = c["transaction"].as_str().unwrap();
    let good = w.answer(c["text"].as_str().unwrap(), ActionInput::Login);
    let mut bad = good.clone();
    let n = bad.len();
    bad[n - 2] ^= 1; // in the signature: it no longer verifies
    let post_b = |der: &[u8]| {
        client::post_json(
            &on_b(&format!("/v1/qr/{tid}/response")),
            &json!({"response": Base64::encode_string(der)}),
            T,
        )
        .unwrap()
    };
    assert_eq!(accepted(&post_b(&bad)), (false, 1015));
    // a refused answer changes nothing on any instance
    let st = w.get(&format!("/v1/qr/{tid}")).json().unwrap();
    assert_eq!(st["state"], "pending");
    assert_eq!(status(on_b(&format!("/v1/qr/{tid}")))["state"], "pending");
    assert_eq!(accepted(&w.submit(tid, &good)), (true, 0));

    // Forged, replayed and genuine answers raced on both instances, for
    // several codes: exactly one acceptance and one charge per code, the
    // page authorised on both, every copy of the genuine answer told the
    // same verdict.
    let before = package(&w, "ca");
    for round in 0..5u64 {
        let c = w.issue(json!({"action": "login"}));
        let tid = c["transaction"].as_str().unwrap().to_string();
        let text = c["text"].as_str().unwrap().to_string();
        let genuine = w.answer_seeded(&text, ActionInput::Login, 1000 + round);
        let rival = w.answer_seeded(&text, ActionInput::Login, 2000 + round);
        let mut forged = genuine.clone();
        let n = forged.len();
        forged[n - 3] ^= 0x40;
        let urls = [w.url(""), b.url()];
        let answers: Vec<(usize, (bool, i64))> = std::thread::scope(|scope| {
            let jobs: Vec<_> = (0..12)
                .map(|i| {
                    let der = match i % 3 {
                        0 => genuine.clone(),
                        1 => forged.clone(),
                        _ => rival.clone(),
                    };
                    let url = format!("{}/v1/qr/{tid}/response", urls[i % 2]);
                    scope.spawn(move || {
                        let r = client::post_json(
                            &url,
                            &json!({"response": Base64::encode_string(&der)}),
                            T,
                        )
                        .unwrap();
                        (i % 3, accepted(&r))
                    })
                })
                .collect();
            jobs.into_iter().map(|j| j.join().unwrap()).collect()
        });
        let accepted_n = answers.iter().filter(|(_, (ok, _))| *ok).count();
        let forged_ok = answers.iter().any(|(k, (ok, _))| *k == 1 && *ok);
        assert!(!forged_ok, "a forged answer accepted: {answers:?}");
        // either the genuine or the rival answer won; all copies of the
        // winner are told "accepted", all of the other 1004
        let genuine_won = answers.iter().any(|(k, (ok, _))| *k == 0 && *ok);
        let winner = if genuine_won { 0 } else { 2 };
        for (k, verdict) in &answers {
            match k {
                // refused as forged, or, once the code is used, as a replay
                1 => assert!(
                    *verdict == (false, 1015) || *verdict == (false, 1004),
                    "{answers:?}"
                ),
                k if *k == winner => assert_eq!(*verdict, (true, 0), "{answers:?}"),
                _ => assert_eq!(*verdict, (false, 1004), "{answers:?}"),
            }
        }
        assert_eq!(accepted_n, 4, "{answers:?}");
        let page = format!("/v1/qr/{tid}");
        assert_eq!(w.get(&page).json().unwrap()["state"], "authorised");
        assert_eq!(status(on_b(&page))["state"], "authorised");
    }
    assert_eq!(package(&w, "ca"), before - 5, "one charge per code");
}

/// Uses left of the holder's package, read over HTTP as the platform.
fn package(w: &World, institution: &str) -> u64 {
    let v = w.get(&format!("/v1/packages/{ID}")).json().unwrap();
    v[institution].as_u64().unwrap()
}

/// The database's sealing key comes from the platform key: every instance
/// loading the same configuration derives the same key, another platform
/// key another one, and it is not the private key's bytes.
#[test]
fn the_sealing_key_is_derived_from_the_platform_key() {
    let w = world(32, 120);
    let (cfg, base) = ServiceConfig::from_file(&w._dir.0.join("config.json")).unwrap();
    let one = cfg.load(&base).unwrap();
    let two = cfg.load(&base).unwrap();
    assert_eq!(*one.sealing_key(), *two.sealing_key());
    let d = one.verifier.platform_key.to_bytes();
    assert_ne!(&one.sealing_key()[..], &d[..16]);
    let other = world(33, 120);
    let (cfg, base) = ServiceConfig::from_file(&other._dir.0.join("config.json")).unwrap();
    assert_ne!(*cfg.load(&base).unwrap().sealing_key(), *one.sealing_key());
}

/// A revocation reaches a running service: the CRL file is read again when
/// it changes, and a CRL no configured CA signed is refused while the one
/// in force stays.
#[test]
fn crls_are_read_again_when_their_file_changes() {
    let mut w = world(34, 120);
    let login = |w: &World| {
        let c = w.issue(json!({"action": "login"}));
        let tid = c["transaction"].as_str().unwrap();
        let der = w.answer(c["text"].as_str().unwrap(), ActionInput::Login);
        accepted(&w.submit(tid, &der))
    };
    // Within a few refresh periods (1 s), or fail.
    let eventually = |w: &World, want: (bool, i64)| {
        let start = std::time::Instant::now();
        loop {
            let got = login(w);
            if got == want || start.elapsed() > Duration::from_secs(15) {
                return got;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    assert_eq!(login(&w), (true, 0));
    let crl_path = w._dir.0.join("ca.crl.pem");
    let write_crl = |bytes: &[u8]| {
        // as a fetcher should: a new file renamed over the old
        let tmp = crl_path.with_extension("tmp");
        std::fs::write(&tmp, bytes).unwrap();
        std::fs::rename(&tmp, &crl_path).unwrap();
    };
    let now = SystemTime::now();
    w.ca.revoke(
        &w.sign_cert.serial_hex(),
        RevocationReason::KeyCompromise,
        now,
    )
    .unwrap();
    let crl =
        w.ca.crl(now, Duration::from_secs(86_400), &mut common::test_rng(35))
            .unwrap();
    write_crl(&crl);
    assert_eq!(eventually(&w, (false, 1013)), (false, 1013), "revoked");
    // A CRL signed by a stranger in its place: refused, the revocation stays.
    let stranger = CertificateAuthority::create_root(
        PrivateKey::generate(&mut common::test_rng(36)),
        parse_dn("C=CN,O=Serve Test CA,CN=Serve Test Root").unwrap(),
        now - Duration::from_secs(60),
        30,
        CaConfig::default(),
        &mut common::test_rng(37),
    )
    .unwrap();
    let forged = ManagedCa::new(stranger)
        .crl(now, Duration::from_secs(86_400), &mut common::test_rng(38))
        .unwrap();
    write_crl(&forged);
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(
        login(&w),
        (false, 1013),
        "the forged CRL was not put in force"
    );
    // ... and a service started with it is refused, the CRL named.
    let (cfg, base) = ServiceConfig::from_file(&w._dir.0.join("config.json")).unwrap();
    let err = Service::new(cfg.load(&base).unwrap(), AnyStore::open("memory").unwrap())
        .err()
        .expect("a service with a forged CRL")
        .to_string();
    assert!(
        err.contains("CRL 1") && err.contains("Serve Test Root"),
        "{err}"
    );
}

// ---- attacks: each one tried, each one shown to change nothing -----------------
//
// Who may call what (README, "Deploying"): platform routes need the API
// key; the phone's calls are public but change nothing unless the
// response verifies; the login page reads only its own code, masked.

/// Everything an attack could have changed, for one code.
fn books(w: &World, tid: &str) -> (Value, u64, u64) {
    let st = w.get(&format!("/v1/qr/{tid}")).json().unwrap();
    (st, package(w, "ca"), package(w, "seal"))
}

#[test]
fn attack_without_the_platform_key_gets_nothing() {
    let w = world(40, 120);
    let doc_key = [9u8; 16];
    let envelope = w
        .enc_cert
        .public_key()
        .encrypt_to(&doc_key, CiphertextFormat::Asn1, &mut common::test_rng(40))
        .unwrap();
    let c = w.issue(json!({"action": "decrypt", "envelope": Base64::encode_string(&envelope)}));
    let tid = c["transaction"].as_str().unwrap();
    let der = w.answer(
        c["text"].as_str().unwrap(),
        ActionInput::Decrypt {
            envelope: &envelope,
        },
    );
    assert_eq!(accepted(&w.submit(tid, &der)), (true, 0));
    let before = books(&w, tid);
    // Holding only the QR text: no key, no outcome, no identity, no code.
    let take = json!({"transaction": tid});
    for r in [
        w.post_public("/v1/decrypt-envelope", take.clone()),
        client::post_json_as(&w.url("/v1/decrypt-envelope"), "yzt_00", &take, T).unwrap(),
        w.get_public(&format!("/v1/qr/{tid}")),
        w.post_public("/v1/qr", json!({"action": "msg_sign", "message": "aGk="})),
        w.post_public(
            "/v1/packages",
            json!({"holder": ID, "institution": "ca", "uses": 9999}),
        ),
        w.get_public(&format!("/v1/packages/{ID}")),
        w.post_public("/v1/verify", json!({})),
    ] {
        assert_eq!(error_code(&r, 401), "unauthorized");
        assert!(!String::from_utf8_lossy(&r.body).contains(ID));
    }
    // The scan notice answers only the state.
    let scanned = w
        .post_public(&format!("/v1/qr/{tid}/scanned"), json!({}))
        .json()
        .unwrap();
    assert_eq!(scanned["state"], "authorised");
    assert!(scanned.get("identity").is_none() && scanned.get("outcome").is_none());
    // Nothing changed: the platform still gets the key, once.
    assert_eq!(books(&w, tid), before);
    let key = w.post("/v1/decrypt-envelope", take).json().unwrap();
    assert_eq!(
        Base64::decode_vec(key["document_key"].as_str().unwrap()).unwrap(),
        doc_key
    );
}

#[test]
fn attack_the_login_page_status_is_the_pages_alone_and_masked() {
    let w = world(41, 120);
    let r = w.post_public("/v1/login", json!({}));
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let c = r.json().unwrap();
    let tid = c["transaction"].as_str().unwrap();
    let secret = c["page_secret"].as_str().unwrap();
    let text = c["text"].as_str().unwrap();
    assert!(!text.contains(secret), "the secret is not in the QR text");
    let read = |secret: &str| {
        client::send(
            "GET",
            &w.url(&format!("/v1/login/{tid}")),
            &[("X-Page-Secret", secret)],
            None,
            T,
        )
        .unwrap()
    };
    assert_eq!(read(secret).json().unwrap()["state"], "pending");
    let der = w.answer(text, ActionInput::Login);
    assert_eq!(accepted(&w.submit(tid, &der)), (true, 0));
    // Without the secret, or with another: refused.
    assert_eq!(
        error_code(&w.get_public(&format!("/v1/login/{tid}")), 403),
        "page_secret"
    );
    assert_eq!(error_code(&read(&"0".repeat(64)), 403), "page_secret");
    // A platform-issued code has no page: refused too.
    let p = w.issue(json!({"action": "login"}));
    let ptid = p["transaction"].as_str().unwrap();
    let r = client::send(
        "GET",
        &w.url(&format!("/v1/login/{ptid}")),
        &[("X-Page-Secret", secret)],
        None,
        T,
    )
    .unwrap();
    assert_eq!(error_code(&r, 403), "page_secret");
    // With it: masked.
    let v = read(secret).json().unwrap();
    assert_eq!(v["state"], "authorised");
    assert_eq!(v["identity"]["name"], "欧*");
    assert_eq!(v["identity"]["member"], "138****0000");
    let body = v.to_string();
    assert!(!body.contains(ID) && !body.contains("13800000000") && !body.contains("欧勇"));
    assert!(v["identity"].get("holder").is_none() && v.get("outcome").is_none());
}

#[test]
fn attack_forged_misdirected_and_replayed_responses_change_nothing() {
    let w = world(42, 120);
    let c = w.issue(json!({"action": "login"}));
    let tid = c["transaction"].as_str().unwrap();
    let text = c["text"].as_str().unwrap();
    let genuine = w.answer(text, ActionInput::Login);
    let before = books(&w, tid);
    // tampered statement signature
    let mut tampered = genuine.clone();
    let n = tampered.len();
    tampered[n - 2] ^= 1;
    assert_eq!(accepted(&w.submit(tid, &tampered)), (false, 1015));
    // someone else's response (another code's) with the victim's id in the URL
    let other = w.issue(json!({"action": "login"}));
    let others = w.answer(other["text"].as_str().unwrap(), ActionInput::Login);
    assert_eq!(
        error_code(&w.submit(tid, &others), 409),
        "wrong_transaction"
    );
    // garbage
    assert_eq!(accepted(&w.submit(tid, b"garbage")), (false, 1001));
    assert_eq!(books(&w, tid), before, "nothing changed");
    // the holder's genuine answer is accepted and charged once
    assert_eq!(accepted(&w.submit(tid, &genuine)), (true, 0));
    let (st, ca, seal) = books(&w, tid);
    assert_eq!(st["state"], "authorised");
    assert_eq!((ca, seal), (before.1 - 1, before.2));
    // after it: another answer is a replay, the same one a retry; neither
    // changes anything
    let rival = w.answer_seeded(text, ActionInput::Login, 44);
    assert_eq!(accepted(&w.submit(tid, &rival)), (false, 1004));
    assert_eq!(accepted(&w.submit(tid, &genuine)), (true, 0));
    assert_eq!(books(&w, tid), (st, ca, seal));
}

#[test]
fn attack_issuing_is_bounded() {
    let w = world_with(
        43,
        120,
        test_backend().unwrap(),
        json!({"issue_per_minute": 4, "login_codes_per_minute": 2, "max_pending": 6}),
    );
    // a message longer than a phone shows: refused, nothing issued
    let long = Base64::encode_string(&vec![b'a'; 4097]);
    assert_eq!(
        error_code(
            &w.post("/v1/qr", json!({"action": "msg_sign", "message": long})),
            400
        ),
        "bad_request"
    );
    // per key: 4 a minute (the refused one above counted)
    for _ in 0..3 {
        w.issue(json!({"action": "login"}));
    }
    let r = w.post("/v1/qr", json!({"action": "login"}));
    assert_eq!(error_code(&r, 429), "rate_limited");
    // per address, for the public login page: 2 a minute
    for _ in 0..2 {
        assert_eq!(w.post_public("/v1/login", json!({})).status, 201);
    }
    assert_eq!(
        error_code(&w.post_public("/v1/login", json!({})), 429),
        "rate_limited"
    );
    // at most 3 codes waiting at once: the 4th is refused until one is
    // answered (or expires)
    let w = world_with(
        46,
        120,
        test_backend().unwrap(),
        json!({"issue_per_minute": 0, "max_pending": 3}),
    );
    let codes: Vec<Value> = (0..3)
        .map(|_| w.issue(json!({"action": "login"})))
        .collect();
    let r = w.post("/v1/qr", json!({"action": "login"}));
    assert_eq!(error_code(&r, 429), "limit_reached");
    let tid = codes[0]["transaction"].as_str().unwrap();
    let der = w.answer(codes[0]["text"].as_str().unwrap(), ActionInput::Login);
    assert_eq!(accepted(&w.submit(tid, &der)), (true, 0));
    w.issue(json!({"action": "login"}));
}

#[test]
fn attack_cross_site_and_non_json_posts_are_refused() {
    let w = world_with(
        44,
        120,
        test_backend().unwrap(),
        json!({"cors_origins": ["https://ggzy.example.cn"]}),
    );
    let c = w.issue(json!({"action": "login"}));
    let tid = c["transaction"].as_str().unwrap();
    let der = w.answer(c["text"].as_str().unwrap(), ActionInput::Login);
    let before = books(&w, tid);
    let body = format!("{{\"response\":\"{}\"}}", Base64::encode_string(&der));
    for ctype in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ] {
        let r = client::request(
            "POST",
            &w.url(&format!("/v1/qr/{tid}/response")),
            Some((ctype, body.as_bytes())),
            T,
        )
        .unwrap();
        assert_eq!(error_code(&r, 415), "unsupported_media_type", "{ctype}");
        let r = client::request("POST", &w.url("/v1/login"), Some((ctype, b"{}")), T).unwrap();
        assert_eq!(error_code(&r, 415), "unsupported_media_type", "{ctype}");
    }
    // a page of another origin: its preflight and its post are refused
    let evil = [("Origin", "https://evil.example.com")];
    let r = client::send("OPTIONS", &w.url("/v1/login"), &evil, None, T).unwrap();
    assert_eq!(error_code(&r, 403), "cors_refused");
    let r = client::send(
        "POST",
        &w.url(&format!("/v1/qr/{tid}/response")),
        &evil,
        Some(("application/json", body.as_bytes())),
        T,
    )
    .unwrap();
    assert_eq!(error_code(&r, 403), "cross_origin");
    assert_eq!(books(&w, tid), before, "nothing changed");
    // the configured origin's preflight is answered
    let ok = [("Origin", "https://ggzy.example.cn")];
    let r = client::send("OPTIONS", &w.url("/v1/login"), &ok, None, T).unwrap();
    assert_eq!(r.status, 204);
    // and the service's own page posts
    let own = format!("http://{}", w.server.addr);
    let r = client::send(
        "POST",
        &w.url("/v1/login"),
        &[("Origin", own.as_str())],
        Some(("application/json", b"{}")),
        T,
    )
    .unwrap();
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
}

#[test]
fn attack_errors_carry_a_request_id_and_no_internals() {
    let w = world(45, 120);
    for r in [
        w.get("/nowhere"),
        w.post_public("/v1/qr", json!({})),
        w.post("/v1/qr", json!({"action": "fly"})),
    ] {
        let v = r.json().unwrap();
        let id = v["error"]["request_id"].as_str().unwrap();
        assert_eq!(id.len(), 16, "{v}");
        let text = v.to_string();
        for leak in ["postgres://", "/tmp/", ".rs:", "panicked"] {
            assert!(!text.contains(leak), "{text}");
        }
    }
    let h = w.get_public("/healthz").json().unwrap();
    assert!(
        h["backend"] == "memory" || h["backend"] == "postgres",
        "{h}"
    );
}

#[test]
fn attack_forwarded_for_is_believed_only_from_trusted_proxies() {
    let login_from = |w: &World, client: &str| {
        client::send(
            "POST",
            &w.url("/v1/login"),
            &[("X-Forwarded-For", client)],
            Some(("application/json", b"{}")),
            T,
        )
        .unwrap()
        .status
    };
    // No proxy trusted: the header is the client's to forge, and ignored.
    let w = world_with(
        47,
        120,
        test_backend().unwrap(),
        json!({"login_codes_per_minute": 1}),
    );
    assert_eq!(login_from(&w, "203.0.113.1"), 201);
    assert_eq!(login_from(&w, "203.0.113.2"), 429);
    // Behind a trusted proxy: each client has its own bucket, named by
    // the last address the proxy appended.
    let w = world_with(
        48,
        120,
        test_backend().unwrap(),
        json!({"login_codes_per_minute": 1, "trusted_proxies": ["127.0.0.1"]}),
    );
    assert_eq!(login_from(&w, "203.0.113.1"), 201);
    assert_eq!(login_from(&w, "198.51.100.9, 203.0.113.2"), 201);
    assert_eq!(login_from(&w, "203.0.113.1"), 429);
    assert_eq!(login_from(&w, "10.9.9.9, 203.0.113.2"), 429);
}

/// On PostgreSQL: an answer held up past its request's deadline (another
/// session locks the codes' table) is not committed, and the answer says
/// so (503, reason 1020); nothing changed, and the same response sent
/// again gets its verdict.
#[test]
fn an_answer_past_its_deadline_commits_nothing_and_says_so() {
    let Some(url) = std::env::var("YZT_TEST_BACKEND")
        .ok()
        .filter(|b| b.starts_with("postgres"))
    else {
        eprintln!("skipped: needs YZT_TEST_BACKEND=postgres://… (CI's database stage)");
        return;
    };
    let Some((store, _)) = shared_database() else {
        return;
    };
    let w = world_with(50, 120, store, json!({"request_timeout_secs": 1}));
    let c = w.issue(json!({"action": "login"}));
    let tid = c["transaction"].as_str().unwrap().to_string();
    let der = w.answer(c["text"].as_str().unwrap(), ActionInput::Login);
    let before = books(&w, &tid);
    let (locked, held) = std::sync::mpsc::channel();
    let schema = test_schema();
    let locker = std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let mut tx = c.transaction().unwrap();
        tx.batch_execute(&format!(
            "LOCK TABLE {schema}.yzt_qr_transactions IN ACCESS EXCLUSIVE MODE"
        ))
        .unwrap();
        locked.send(()).unwrap();
        std::thread::sleep(Duration::from_millis(2000));
        tx.commit().unwrap();
    });
    held.recv().unwrap();
    let r = w.submit(&tid, &der);
    locker.join().unwrap();
    assert_eq!(r.status, 503, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json().unwrap();
    assert_eq!(v["data"]["reasonCode"], 1020, "{v}");
    assert!(
        v["msg"].as_str().unwrap().contains("nothing changed"),
        "{v}"
    );
    assert_eq!(books(&w, &tid), before, "nothing changed");
    assert_eq!(accepted(&w.submit(&tid, &der)), (true, 0));
}
