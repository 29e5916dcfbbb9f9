//! QR authorisation: all six actions round trip; one test per refusal;
//! concurrency (one success and one charge for a response submitted 8
//! times at once; 10,000 authorisations from many threads charge exactly
//! 10,000).

mod common;

use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use common::test_rng;
use yizhengtong::cert::*;
use yizhengtong::crypto::{CiphertextFormat, PrivateKey, sm3};
use yizhengtong::qr::*;
use yizhengtong::seal::{SealKind, SealRequest, SealVersion, make_seal};

const CODE: &str = "C1100005553";
const NAME: &str = "新疆公共资源交易平台";
const HOST: &str = "ggzy.example.cn";
const SEC: Duration = Duration::from_secs(1);

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600) // 2026-01-01
}

struct Fixture {
    ca: Arc<RwLock<ManagedCa>>,
    anchors: Vec<Certificate>,
    platform_key: PrivateKey,
    registry: PlatformRegistry,
    sign_key: PrivateKey,
    sign_cert: Certificate,
    enc_key: PrivateKey,
    enc_cert: Certificate,
    seal: yizhengtong::seal::Seal,
}

fn fixture(seed: u64) -> Fixture {
    let mut rng = test_rng(seed);
    let root = CertificateAuthority::create_root(
        PrivateKey::generate(&mut rng),
        parse_dn("C=CN,O=QR Test CA,CN=QR Test Root").unwrap(),
        t0(),
        3650,
        CaConfig::default(),
        &mut rng,
    )
    .unwrap();
    let anchors = vec![root.certificate().clone()];
    let mut ca = ManagedCa::new(root);
    let issue = |ca: &mut ManagedCa, holder: Holder, usage: CertUsage, key: &PrivateKey| {
        let req = EndEntityRequest {
            holder,
            usage,
            medium: Medium::Mobile,
            public_key: key.public_key(),
            not_before: t0(),
            days: 365,
        };
        ca.issue(&req, t0(), &mut test_rng(seed + 7)).unwrap()
    };
    let person = Holder::person("欧勇", "11010519491231002X").unwrap();
    let sign_key = PrivateKey::generate(&mut rng);
    let enc_key = PrivateKey::generate(&mut rng);
    let platform_key = PrivateKey::generate(&mut rng);
    let maker_key = PrivateKey::generate(&mut rng);
    let sign_cert = issue(&mut ca, person.clone(), CertUsage::Sign, &sign_key);
    let enc_cert = issue(&mut ca, person, CertUsage::Encrypt, &enc_key);
    let platform_cert = issue(
        &mut ca,
        Holder::enterprise(NAME, "9165010039960151X0").unwrap(),
        CertUsage::Sign,
        &platform_key,
    );
    let maker_cert = issue(
        &mut ca,
        Holder::enterprise("印章制作中心", "9165010039960151X0").unwrap(),
        CertUsage::Sign,
        &maker_key,
    );
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
            created: t0(),
            valid_start: t0(),
            valid_end: t0() + Duration::from_secs(300 * 86_400),
            ext_datas: vec![],
            time_stamp: None,
        },
        &maker_key,
        &maker_cert,
        &mut rng,
    )
    .unwrap();
    let mut registry = PlatformRegistry::new();
    registry
        .add(PlatformEntry {
            code: CODE.into(),
            name: NAME.into(),
            certificate: platform_cert,
            callback_hosts: vec![HOST.into()],
        })
        .unwrap();
    Fixture {
        ca: Arc::new(RwLock::new(ca)),
        anchors,
        platform_key,
        registry,
        sign_key,
        sign_cert,
        enc_key,
        enc_cert,
        seal,
    }
}

fn verifier(f: &Fixture) -> Verifier<MemoryQrStore> {
    let mut config =
        VerifierConfig::new(CODE, NAME, HOST, f.platform_key.clone(), f.anchors.clone());
    config.status = Some(f.ca.clone());
    let v = Verifier::new(config, MemoryQrStore::new()).unwrap();
    for institution in ["ca", "seal"] {
        let key = QuotaKey {
            holder: "11010519491231002X".into(),
            platform: CODE.into(),
            institution,
        };
        v.store().set_quota(&key, 100).unwrap();
    }
    v
}

fn identity(f: &Fixture) -> Identity<'_> {
    Identity {
        member: "ouyong",
        enterprise: None,
        signing_cert: &f.sign_cert,
        signing_key: &f.sign_key,
        encryption_cert: Some(&f.enc_cert),
        encryption_key: Some(&f.enc_key),
    }
}

fn login_response(f: &Fixture, v: &Verifier<MemoryQrStore>, seed: u64) -> (Challenge, Vec<u8>) {
    let mut rng = test_rng(seed);
    let ch = v.issue(Request::Login, t0() + SEC, &mut rng).unwrap();
    let (c, view) = scan(&ch.to_text(), &f.registry, t0() + 2 * SEC).unwrap();
    let resp = respond(
        &c,
        &view,
        &identity(f),
        ActionInput::Login,
        t0() + 3 * SEC,
        &mut rng,
    )
    .unwrap();
    (ch, resp.to_der())
}

fn quota(v: &Verifier<MemoryQrStore>, institution: &'static str) -> u64 {
    v.store()
        .quota(&QuotaKey {
            holder: "11010519491231002X".into(),
            platform: CODE.into(),
            institution,
        })
        .unwrap()
        .unwrap()
}

#[test]
fn all_six_actions_round_trip() {
    let f = fixture(1);
    let v = verifier(&f);
    let mut rng = test_rng(2);
    let now = t0() + 10 * SEC;
    let document = b"<Tender lot=\"7\"/>".to_vec();
    let message = b"I confirm my bid for lot 7".to_vec();
    let document_key = b"0123456789abcdef".to_vec();
    let envelope = f
        .enc_cert
        .public_key()
        .encrypt_to(&document_key, CiphertextFormat::Asn1, &mut rng)
        .unwrap();

    for action in Action::ALL {
        let request = match action {
            Action::Login => Request::Login,
            Action::Seal => Request::Seal {
                digest: sm3(&document),
            },
            Action::Encrypt => Request::Encrypt,
            Action::Decrypt => Request::Decrypt {
                envelope: &envelope,
            },
            Action::FileSign => Request::FileSign {
                digest: sm3(&document),
            },
            Action::MsgSign => Request::MsgSign { message: &message },
        };
        let ch = v.issue(request, now, &mut rng).unwrap();
        let text = ch.to_text();
        assert!(text.len() <= 400, "{action:?}: {} characters", text.len());
        let (c, view) = scan(&text, &f.registry, now + SEC).unwrap();
        assert_eq!(view.platform_name, NAME);
        assert_eq!(view.action, action);
        let input = match action {
            Action::Login => ActionInput::Login,
            Action::Seal => ActionInput::Seal {
                seal: &f.seal,
                document: &document,
                property: "/Doc_0/Signs/Sign_0/Signature.xml",
            },
            Action::Encrypt => ActionInput::Encrypt,
            Action::Decrypt => ActionInput::Decrypt {
                envelope: &envelope,
            },
            Action::FileSign => ActionInput::FileSign {
                file: &document,
                gmt0010: true,
            },
            Action::MsgSign => ActionInput::MsgSign { message: &message },
        };
        let resp = respond(&c, &view, &identity(&f), input, now + 2 * SEC, &mut rng).unwrap();
        let der = resp.to_der();
        assert_eq!(Response::from_der(&der).unwrap(), resp);
        assert_eq!(Response::from_base64(&resp.to_base64()).unwrap(), resp);
        let out = v.verify(&der, now + 3 * SEC);
        assert_eq!(out.reason, Reason::Ok, "{action:?}: {}", out.detail);
        assert!(out.answer_json().contains("\"verifySignatureResult\":true"));
        match (action, out.outcome.unwrap()) {
            (Action::Login, Outcome::Login) => {}
            (Action::Seal, Outcome::Seal(sig)) => {
                assert_eq!(sig.data_hash, sm3(&document).to_vec())
            }
            (Action::Encrypt, Outcome::EncryptionCertificate(c)) => assert_eq!(*c, f.enc_cert),
            (Action::Decrypt, Outcome::DocumentKey(k)) => assert_eq!(&k[..], &document_key[..]),
            (Action::FileSign, Outcome::FileSignature(cms)) => {
                cms::verify_detached(&cms, &sm3(&document)).unwrap();
            }
            (Action::MsgSign, Outcome::MessageSignature(_)) => {}
            (a, o) => panic!("{a:?} gave {o:?}"),
        }
    }
    assert_eq!(quota(&v, "ca"), 95);
    assert_eq!(quota(&v, "seal"), 99);
    let records = v.store().records().unwrap();
    assert_eq!(records.len(), 6);
    assert!(
        records
            .iter()
            .all(|r| r.certificate_name == "欧勇" && r.platform_name == NAME)
    );
}

fn verify_reason(v: &Verifier<MemoryQrStore>, der: &[u8], at: SystemTime) -> Reason {
    v.verify(der, at).reason
}

#[test]
fn replay_and_second_use_are_refused() {
    let f = fixture(3);
    let v = verifier(&f);
    let (_, der) = login_response(&f, &v, 4);
    let first = v.verify(&der, t0() + 5 * SEC);
    assert_eq!((first.reason, first.repeat), (Reason::Ok, false));
    assert!(first.outcome.is_some());
    // The same response again (a client's retry after a lost answer):
    // the same verdict, the same answer, nothing charged again.
    let again = v.verify(&der, t0() + 6 * SEC);
    assert_eq!((again.reason, again.repeat), (Reason::Ok, true));
    assert_eq!(again.answer_json(), first.answer_json());
    assert_eq!(again.remaining, first.remaining);
    assert!(again.outcome.is_none(), "handed over once, the first time");
    assert_eq!(quota(&v, "ca"), 99);
    assert_eq!(v.store().records().unwrap().len(), 1);
    // A second, different response to the same transaction is also refused.
    let (ch, _) = login_response(&f, &v, 5);
    let (c, view) = scan(&ch.to_text(), &f.registry, t0() + 2 * SEC).unwrap();
    let r1 = respond(
        &c,
        &view,
        &identity(&f),
        ActionInput::Login,
        t0() + 3 * SEC,
        &mut test_rng(6),
    )
    .unwrap();
    let r2 = respond(
        &c,
        &view,
        &identity(&f),
        ActionInput::Login,
        t0() + 4 * SEC,
        &mut test_rng(7),
    )
    .unwrap();
    assert_eq!(verify_reason(&v, &r1.to_der(), t0() + 5 * SEC), Reason::Ok);
    assert_eq!(
        verify_reason(&v, &r2.to_der(), t0() + 5 * SEC),
        Reason::AlreadyUsed
    );
    // Replayed to another verifier instance that never issued it.
    let other = verifier(&f);
    assert_eq!(
        verify_reason(&other, &der, t0() + 5 * SEC),
        Reason::UnknownTransaction
    );
}

#[test]
fn a_failed_attempt_changes_nothing() {
    let f = fixture(8);
    let v = verifier(&f);
    let (ch, der) = login_response(&f, &v, 9);
    let mut tampered = der.clone();
    let n = tampered.len() - 5;
    tampered[n] ^= 1;
    assert_ne!(verify_reason(&v, &tampered, t0() + 5 * SEC), Reason::Ok);
    // nothing changed: the page, the package, the log
    let page = v.store().page(&ch.transaction_id).unwrap().unwrap();
    assert_eq!(page.stage, PageStage::Pending);
    assert_eq!(quota(&v, "ca"), 100);
    assert!(v.store().records().unwrap().is_empty());
    // and the holder's genuine answer is accepted, charged once
    assert_eq!(verify_reason(&v, &der, t0() + 5 * SEC), Reason::Ok);
    assert_eq!(quota(&v, "ca"), 99);
}

#[test]
fn expired() {
    let f = fixture(10);
    let v = verifier(&f);
    let (_, der) = login_response(&f, &v, 11);
    assert_eq!(verify_reason(&v, &der, t0() + 121 * SEC), Reason::Expired);
    // and the app refuses an expired code too
    let ch = v.issue(Request::Login, t0(), &mut test_rng(12)).unwrap();
    assert!(scan(&ch.to_text(), &f.registry, t0() + 120 * SEC).is_err());
}

/// Respond to `ch` but change the statement before signing.
fn forged(f: &Fixture, ch: &Challenge, edit: impl FnOnce(&mut Statement)) -> Vec<u8> {
    let (c, view) = scan(&ch.to_text(), &f.registry, t0() + 2 * SEC).unwrap();
    let mut resp = respond(
        &c,
        &view,
        &identity(f),
        ActionInput::Login,
        t0() + 3 * SEC,
        &mut test_rng(13),
    )
    .unwrap();
    edit(&mut resp.statement);
    resp.statement_raw = resp.statement.to_der().unwrap();
    resp.signature = f
        .sign_key
        .sign(
            yizhengtong::crypto::DEFAULT_USER_ID,
            &resp.statement_raw,
            &mut test_rng(14),
        )
        .unwrap()
        .to_der();
    resp.to_der()
}

#[test]
fn wrong_platform_action_digest_nonce_display() {
    let f = fixture(15);
    let v = verifier(&f);
    let mut rng = test_rng(16);
    let at = t0() + 5 * SEC;
    let ch = v.issue(Request::Login, t0() + SEC, &mut rng).unwrap();
    assert_eq!(
        verify_reason(
            &v,
            &forged(&f, &ch, |s| s.platform_code = "C1100009999".into()),
            at
        ),
        Reason::WrongPlatform
    );
    // (WrongPlatform does not consume: the transaction is not ours to consume.)
    let ch2 = v.issue(Request::Login, t0() + SEC, &mut rng).unwrap();
    assert_eq!(
        verify_reason(&v, &forged(&f, &ch2, |s| s.action = Action::MsgSign), at),
        Reason::WrongAction
    );
    let ch3 = v.issue(Request::Login, t0() + SEC, &mut rng).unwrap();
    assert_eq!(
        verify_reason(&v, &forged(&f, &ch3, |s| s.digest = Some([7; 32])), at),
        Reason::WrongDigest
    );
    let ch4 = v.issue(Request::Login, t0() + SEC, &mut rng).unwrap();
    assert_eq!(
        verify_reason(&v, &forged(&f, &ch4, |s| s.nonce[0] ^= 1), at),
        Reason::WrongNonce
    );
    let ch5 = v.issue(Request::Login, t0() + SEC, &mut rng).unwrap();
    assert_eq!(
        verify_reason(
            &v,
            &forged(&f, &ch5, |s| s.display_hash = sm3(b"another platform")),
            at
        ),
        Reason::Misdirected
    );
    // wrong digest for a seal: the app refuses a document that is not the one in the QR
    let ch6 = v
        .issue(
            Request::Seal {
                digest: sm3(b"the real tender"),
            },
            t0() + SEC,
            &mut rng,
        )
        .unwrap();
    let (c, view) = scan(&ch6.to_text(), &f.registry, t0() + 2 * SEC).unwrap();
    let input = ActionInput::Seal {
        seal: &f.seal,
        document: b"a swapped tender",
        property: "p",
    };
    assert!(respond(&c, &view, &identity(&f), input, t0() + 3 * SEC, &mut rng).is_err());
    assert_eq!(quota(&v, "ca"), 100);
}

#[test]
fn tampered_statement_and_payload() {
    let f = fixture(17);
    let v = verifier(&f);
    let mut rng = test_rng(18);
    let at = t0() + 5 * SEC;
    // Change the statement after signing: bad signature.
    let ch = v.issue(Request::Login, t0() + SEC, &mut rng).unwrap();
    let (c, view) = scan(&ch.to_text(), &f.registry, t0() + 2 * SEC).unwrap();
    let mut resp = respond(
        &c,
        &view,
        &identity(&f),
        ActionInput::Login,
        t0() + 3 * SEC,
        &mut rng,
    )
    .unwrap();
    resp.statement.app_time += SEC;
    resp.statement_raw = resp.statement.to_der().unwrap();
    assert_eq!(verify_reason(&v, &resp.to_der(), at), Reason::BadSignature);
    // Swap the payload of a msg_sign: bad signature (payload hash).
    let ch = v
        .issue(Request::MsgSign { message: b"m" }, t0() + SEC, &mut rng)
        .unwrap();
    let (c, view) = scan(&ch.to_text(), &f.registry, t0() + 2 * SEC).unwrap();
    let mut resp = respond(
        &c,
        &view,
        &identity(&f),
        ActionInput::MsgSign { message: b"m" },
        t0() + 3 * SEC,
        &mut rng,
    )
    .unwrap();
    resp.payload = Some(
        f.sign_key
            .sign(b"1234567812345678", b"other", &mut rng)
            .unwrap()
            .to_der(),
    );
    assert_eq!(verify_reason(&v, &resp.to_der(), at), Reason::BadSignature);
    // Garbage and truncations: malformed.
    assert_eq!(verify_reason(&v, b"not a response", at), Reason::Malformed);
    let (_, der) = login_response(&f, &v, 19);
    for len in [0, 1, 10, der.len() / 2, der.len() - 1] {
        assert_eq!(verify_reason(&v, &der[..len], at), Reason::Malformed);
    }
}

#[test]
fn forged_qr_and_unknown_platform() {
    let f = fixture(20);
    let v = verifier(&f);
    let mut rng = test_rng(21);
    let ch = v.issue(Request::Login, t0(), &mut rng).unwrap();
    // signed by someone else
    let mut forged = ch.clone();
    forged.signature = PrivateKey::generate(&mut rng)
        .sign(b"1234567812345678", &forged.signed_bytes(), &mut rng)
        .unwrap();
    assert!(matches!(
        scan(&forged.to_text(), &f.registry, t0()),
        Err(yizhengtong::Error::Forbidden { .. })
    ));
    // a field changed after signing
    let mut changed = ch.clone();
    changed.callback_host = "evil.example.com".into();
    assert!(scan(&changed.to_text(), &f.registry, t0()).is_err());
    // the callback host must be registered even when signed
    let other_host_verifier = {
        let config = VerifierConfig::new(
            CODE,
            NAME,
            "evil.example.com",
            f.platform_key.clone(),
            f.anchors.clone(),
        );
        Verifier::new(config, MemoryQrStore::new()).unwrap()
    };
    let ch2 = other_host_verifier
        .issue(Request::Login, t0(), &mut rng)
        .unwrap();
    assert!(scan(&ch2.to_text(), &f.registry, t0()).is_err());
    // unknown platform
    let config = VerifierConfig::new(
        "C9900000001",
        "Unknown",
        HOST,
        f.platform_key.clone(),
        f.anchors.clone(),
    );
    let unknown = Verifier::new(config, MemoryQrStore::new()).unwrap();
    let ch3 = unknown.issue(Request::Login, t0(), &mut rng).unwrap();
    assert!(matches!(
        scan(&ch3.to_text(), &f.registry, t0()),
        Err(yizhengtong::Error::NotFound { .. })
    ));
    // the platform name shown comes from the registry
    let (_, view) = scan(&ch.to_text(), &f.registry, t0()).unwrap();
    assert_eq!(view.platform_name, NAME);
    // malformed QR text
    assert!(scan("hello", &f.registry, t0()).is_err());
    assert!(Challenge::from_text(&format!("{}A", ch.to_text())).is_err());
}

#[test]
fn certificate_refusals() {
    let f = fixture(22);
    let v = verifier(&f);
    let at = t0() + 5 * SEC;
    // unrecognised CA: a holder of another PKI answers our challenge
    let other = fixture(23);
    let ch = v
        .issue(Request::Login, t0() + SEC, &mut test_rng(25))
        .unwrap();
    let (c, view) = scan(&ch.to_text(), &f.registry, t0() + 2 * SEC).unwrap();
    let foreign = Identity {
        member: "ouyong",
        enterprise: None,
        signing_cert: &other.sign_cert,
        signing_key: &other.sign_key,
        encryption_cert: None,
        encryption_key: None,
    };
    let resp = respond(
        &c,
        &view,
        &foreign,
        ActionInput::Login,
        t0() + 3 * SEC,
        &mut test_rng(26),
    )
    .unwrap();
    assert_eq!(
        verify_reason(&v, &resp.to_der(), at),
        Reason::UntrustedCertificate
    );

    // encryption certificate used to sign
    let ch = v
        .issue(Request::Login, t0() + SEC, &mut test_rng(27))
        .unwrap();
    let (c, view) = scan(&ch.to_text(), &f.registry, t0() + 2 * SEC).unwrap();
    let enc_signs = Identity {
        member: "ouyong",
        enterprise: None,
        signing_cert: &f.enc_cert,
        signing_key: &f.enc_key,
        encryption_cert: None,
        encryption_key: None,
    };
    let resp = respond(
        &c,
        &view,
        &enc_signs,
        ActionInput::Login,
        t0() + 3 * SEC,
        &mut test_rng(28),
    )
    .unwrap();
    assert_eq!(verify_reason(&v, &resp.to_der(), at), Reason::WrongKeyUsage);

    // frozen, then revoked
    let serial = f.sign_cert.serial_hex();
    f.ca.write().unwrap().freeze(&serial, t0()).unwrap();
    let (_, der) = login_response(&f, &v, 29);
    assert_eq!(verify_reason(&v, &der, at), Reason::CertificateFrozen);
    f.ca.write().unwrap().unfreeze(&serial, t0()).unwrap();
    let (_, der) = login_response(&f, &v, 30);
    assert_eq!(verify_reason(&v, &der, at), Reason::Ok);
    f.ca.write()
        .unwrap()
        .revoke(&serial, RevocationReason::KeyCompromise, t0())
        .unwrap();
    let (_, der) = login_response(&f, &v, 31);
    assert_eq!(verify_reason(&v, &der, at), Reason::CertificateRevoked);
}

#[test]
fn expired_certificate() {
    let f = fixture(32);
    let v = verifier(&f);
    let late = t0() + Duration::from_secs(400 * 86_400);
    let mut rng = test_rng(33);
    let ch = v.issue(Request::Login, late, &mut rng).unwrap();
    let (c, view) = scan(&ch.to_text(), &f.registry, late + SEC).unwrap();
    let resp = respond(
        &c,
        &view,
        &identity(&f),
        ActionInput::Login,
        late + SEC,
        &mut rng,
    )
    .unwrap();
    assert_eq!(
        verify_reason(&v, &resp.to_der(), late + 2 * SEC),
        Reason::CertificateExpired
    );
}

#[test]
fn quota_exhausted_and_not_opened() {
    let f = fixture(34);
    let v = verifier(&f);
    let key = QuotaKey {
        holder: "11010519491231002X".into(),
        platform: CODE.into(),
        institution: "ca",
    };
    v.store().set_quota(&key, 1).unwrap();
    let (_, der) = login_response(&f, &v, 35);
    assert_eq!(verify_reason(&v, &der, t0() + 5 * SEC), Reason::Ok);
    let (_, der) = login_response(&f, &v, 36);
    assert_eq!(
        verify_reason(&v, &der, t0() + 5 * SEC),
        Reason::QuotaExhausted
    );
    assert_eq!(v.store().quota(&key).unwrap(), Some(0));
    // a platform whose CA package was never opened: a clear refusal
    let mut config =
        VerifierConfig::new(CODE, NAME, HOST, f.platform_key.clone(), f.anchors.clone());
    config.status = Some(f.ca.clone());
    let fresh = Verifier::new(config, MemoryQrStore::new()).unwrap();
    let (_, der) = login_response(&f, &fresh, 37);
    let out = fresh.verify(&der, t0() + 5 * SEC);
    assert_eq!(out.reason, Reason::QuotaNotOpened);
    assert!(out.detail.contains("open one"), "{}", out.detail);
    assert!(
        out.answer_json()
            .contains("\"errorCode\":\"quota_not_opened\"")
    );
}

#[test]
fn same_response_from_eight_threads_succeeds_once_and_charges_once() {
    let f = fixture(38);
    let v = Arc::new(verifier(&f));
    for round in 0..5 {
        let (_, der) = login_response(&f, &v, 100 + round);
        let before = quota(&v, "ca");
        let results: Vec<(Reason, bool)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let v = v.clone();
                    let der = der.clone();
                    s.spawn(move || {
                        let out = v.verify(&der, t0() + 5 * SEC);
                        (out.reason, out.repeat)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        // every copy gets the verdict; one of them made it
        assert!(results.iter().all(|(r, _)| *r == Reason::Ok), "{results:?}");
        assert_eq!(
            results.iter().filter(|(_, repeat)| !repeat).count(),
            1,
            "{results:?}"
        );
        assert_eq!(quota(&v, "ca"), before - 1);
    }
}

#[test]
fn ten_thousand_authorisations_charge_exactly_ten_thousand() {
    let f = fixture(39);
    let v = Arc::new(verifier(&f));
    let key = QuotaKey {
        holder: "11010519491231002X".into(),
        platform: CODE.into(),
        institution: "ca",
    };
    v.store().set_quota(&key, 10_050).unwrap();
    // Prepare 10,000 responses (signing is the phone's work, done up front).
    let threads = 8;
    let per = 1250;
    let responses: Vec<Vec<Vec<u8>>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let v = v.clone();
                let f = &f;
                s.spawn(move || {
                    let mut rng = test_rng(1000 + t);
                    (0..per)
                        .map(|_| {
                            let ch = v.issue(Request::Login, t0() + SEC, &mut rng).unwrap();
                            let (c, view) =
                                scan(&ch.to_text(), &f.registry, t0() + 2 * SEC).unwrap();
                            respond(
                                &c,
                                &view,
                                &identity(f),
                                ActionInput::Login,
                                t0() + 3 * SEC,
                                &mut rng,
                            )
                            .unwrap()
                            .to_der()
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok: usize = std::thread::scope(|s| {
        let handles: Vec<_> = responses
            .iter()
            .map(|batch| {
                let v = v.clone();
                s.spawn(move || {
                    batch
                        .iter()
                        .filter(|r| v.verify(r, t0() + 5 * SEC).accepted())
                        .count()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(ok, 10_000);
    assert_eq!(v.store().quota(&key).unwrap(), Some(50));
    // Draining past zero: the next 60 succeed 50 times, never below zero.
    let extra: Vec<Vec<u8>> = (0..60)
        .map(|i| login_response(&f, &v, 50_000 + i).1)
        .collect();
    let ok = extra
        .iter()
        .filter(|r| v.verify(r, t0() + 5 * SEC).accepted())
        .count();
    assert_eq!(ok, 50);
    assert_eq!(v.store().quota(&key).unwrap(), Some(0));
}

#[test]
fn purge_bounds_the_store() {
    let f = fixture(40);
    let v = verifier(&f);
    let (_, der) = login_response(&f, &v, 41);
    assert_eq!(verify_reason(&v, &der, t0() + 5 * SEC), Reason::Ok);
    let _pending = v.issue(Request::Login, t0(), &mut test_rng(42)).unwrap();
    let dropped = v
        .store()
        .purge_expired(t0() + Duration::from_secs(2 * 3600))
        .unwrap();
    assert_eq!(dropped, 2, "one used, one pending");
    // after the purge a replay is still refused (as unknown)
    assert_eq!(
        verify_reason(&v, &der, t0() + Duration::from_secs(2 * 3600)),
        Reason::UnknownTransaction
    );
}

#[test]
fn qr_renders() {
    let f = fixture(43);
    let v = verifier(&f);
    let ch = v.issue(Request::Login, t0(), &mut test_rng(44)).unwrap();
    let svg = ch.to_svg().unwrap();
    assert!(svg.starts_with("<?xml") && svg.contains("<svg"));
    let png = ch.to_png(4).unwrap();
    assert_eq!(
        yizhengtong::seal::ImageType::detect(&png).unwrap(),
        yizhengtong::seal::ImageType::Png
    );
    assert!(ch.to_terminal().unwrap().lines().count() > 10);
}

#[test]
fn scan_report_visibility_and_operation_log() {
    let f = fixture(45);
    let v = verifier(&f);
    let mut rng = test_rng(46);
    let code = "9165010039960151X0";
    for (member, enterprise) in [("alice", Some(code)), ("bob", Some(code)), ("carol", None)] {
        let ch = v.issue(Request::Login, t0() + SEC, &mut rng).unwrap();
        let (c, view) = scan(&ch.to_text(), &f.registry, t0() + 2 * SEC).unwrap();
        let id = Identity {
            member,
            enterprise,
            ..identity(&f)
        };
        let resp = respond(&c, &view, &id, ActionInput::Login, t0() + 3 * SEC, &mut rng).unwrap();
        assert!(v.verify(&resp.to_der(), t0() + 4 * SEC).accepted());
    }
    let records = v.store().records().unwrap();
    assert_eq!(records.len(), 3);
    let admin_of = |c: &str| c == code;
    // a member sees their own
    let alice: Vec<&str> = visible_records(&records, "alice", |_| false)
        .iter()
        .map(|r| r.member.as_str())
        .collect();
    assert_eq!(alice, vec!["alice"]);
    // the administrator (here "dave") sees every member of the enterprise, not carol
    let dave: Vec<&str> = visible_records(&records, "dave", admin_of)
        .iter()
        .map(|r| r.member.as_str())
        .collect();
    assert_eq!(dave, vec!["alice", "bob"]);
    assert_eq!(records[0].action, Action::Login);
    assert_eq!(records[0].platform_name, NAME);
    assert_eq!(records[0].certificate_name, "欧勇");
    // the operation log
    let log = v.store().logs("bob").unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].kind, "qr_authorisation");
    assert!(
        log[0].detail.contains("授权登录") && log[0].detail.contains(NAME),
        "{}",
        log[0].detail
    );
}

/// The page status the in-memory store keeps beside each transaction:
/// created pending at issue, scanned only while pending and unexpired,
/// settled by the first verdict only, a document key kept only for an
/// accepted code and taken once, and forgotten with the transaction.
#[test]
fn page_status_in_the_memory_store() {
    let f = fixture(70);
    let v = verifier(&f);
    let store = v.store();
    let ch = v
        .issue(Request::Login, t0() + SEC, &mut test_rng(71))
        .unwrap();
    let tid = ch.transaction_id;
    let page = store.page(&tid).unwrap().unwrap();
    assert_eq!(page.stage, PageStage::Pending);
    assert_eq!(page.action, Action::Login);
    assert_eq!(
        (page.issued_at, page.expires_at),
        (ch.issued_at, ch.expires_at)
    );
    let stage = || store.page(&tid).unwrap().unwrap().stage;
    store.page_scanned(&tid, ch.expires_at).unwrap();
    assert_eq!(stage(), PageStage::Pending, "a scan after expiry");
    let scanned = store.page_scanned(&tid, ch.issued_at).unwrap().unwrap();
    assert_eq!(scanned.stage, PageStage::Scanned);
    assert!(matches!(
        store.page_take_key(&tid).unwrap(),
        KeyTaken::NotAuthorised(PageStage::Scanned)
    ));
    let key = [3u8; 16];
    let q = yizhengtong::qr::QuotaKey {
        holder: "110105194912310029".into(),
        platform: ch.platform_code.clone(),
        institution: "ca",
    };
    store.set_quota(&q, 1).unwrap();
    let mut first = common::charge::settlement(&tid, &q, [1; 32]);
    first.detail = "{\"a\":1}".into();
    first.document_key = Some(zeroize::Zeroizing::new(key.to_vec()));
    assert!(matches!(store.settle(first).unwrap(), Settled::Now(_)));
    let mut second = common::charge::settlement(&tid, &q, [2; 32]);
    second.detail = "{\"b\":2}".into();
    assert!(
        matches!(store.settle(second).unwrap(), Settled::Before(v) if v.response_hash == [1; 32])
    );
    store.page_scanned(&tid, ch.issued_at).unwrap();
    let page = store.page(&tid).unwrap().unwrap();
    assert_eq!(page.stage, PageStage::Authorised);
    assert_eq!(page.detail, "{\"a\":1}");
    assert_eq!(page.remaining, Some(0));
    assert!(page.key_waiting);
    match store.page_take_key(&tid).unwrap() {
        KeyTaken::Key(k) => assert_eq!(&k[..], &key),
        other => panic!("{other:?}"),
    }
    assert!(matches!(store.page_take_key(&tid).unwrap(), KeyTaken::Gone));
    assert!(!store.page(&tid).unwrap().unwrap().key_waiting);
    // refused by the package (used up): no key kept
    let ch2 = v
        .issue(Request::Login, t0() + SEC, &mut test_rng(72))
        .unwrap();
    let mut refused = common::charge::settlement(&ch2.transaction_id, &q, [3; 32]);
    refused.document_key = Some(zeroize::Zeroizing::new(key.to_vec()));
    assert!(matches!(
        store.settle(refused).unwrap(),
        Settled::Now(v) if v.reason == Reason::QuotaExhausted
    ));
    assert!(matches!(
        store.page_take_key(&ch2.transaction_id).unwrap(),
        KeyTaken::NotAuthorised(PageStage::Refused)
    ));
    assert!(matches!(
        store.page_take_key(&[9u8; 16]).unwrap(),
        KeyTaken::Unknown
    ));
    // forgotten with the transaction, a grace period after expiry
    let later = SystemTime::UNIX_EPOCH
        + Duration::from_secs(ch.expires_at)
        + PURGE_GRACE
        + Duration::from_secs(1);
    store.purge_expired(later).unwrap();
    assert!(store.page(&tid).unwrap().is_none());
}

/// CRLs replaced while the verifier runs: one from a CA that is not
/// configured, or with a signature that does not verify, is refused by
/// name and nothing changes; a good one is in force at once.
#[test]
fn crls_are_replaced_only_by_checked_ones() {
    let f = fixture(80);
    let v = verifier(&f);
    let mut rng = test_rng(81);
    let now = t0() + SEC;
    let good = Crl::from_any(
        &f.ca
            .write()
            .unwrap()
            .crl(now, Duration::from_secs(86_400), &mut rng)
            .unwrap(),
    )
    .unwrap();
    let stranger = CertificateAuthority::create_root(
        PrivateKey::generate(&mut rng),
        parse_dn("C=CN,O=Elsewhere,CN=Elsewhere Root").unwrap(),
        t0(),
        30,
        CaConfig::default(),
        &mut rng,
    )
    .unwrap();
    let foreign = Crl::from_any(
        &ManagedCa::new(stranger)
            .crl(now, Duration::from_secs(86_400), &mut rng)
            .unwrap(),
    )
    .unwrap();
    let err = v
        .replace_crls(vec![good.clone(), foreign], now)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("CRL 2") && err.contains("none of the configured CAs"),
        "{err}"
    );
    assert!(v.crls().is_empty(), "nothing changed");
    // the right issuer's name, the wrong key: the signature fails
    let mut forged_der = good.der().to_vec();
    let n = forged_der.len();
    forged_der[n - 3] ^= 1; // in the signature's s
    let forged = Crl::from_any(&forged_der).unwrap();
    let err = v.replace_crls(vec![forged], now).unwrap_err().to_string();
    assert!(err.contains("CRL 1"), "{err}");
    assert!(v.crls().is_empty());
    v.replace_crls(vec![good.clone()], now).unwrap();
    assert_eq!(v.crls().len(), 1);
    assert_eq!(v.crls()[0].der(), good.der());
}

/// Issue #17 item 9: a platform whose name the phone could not show as
/// written, or whose host is not a plain `host[:port]`, is refused where
/// it is configured: in the app's registry and in the platform's verifier.
#[test]
fn platforms_with_a_deceptive_name_or_a_bad_host_are_refused() {
    let f = fixture(41);
    let cert = f.registry.get(CODE).unwrap().certificate.clone();
    let entry = |name: &str, hosts: &[&str]| PlatformEntry {
        code: CODE.into(),
        name: name.into(),
        certificate: cert.clone(),
        callback_hosts: hosts.iter().map(|h| h.to_string()).collect(),
    };
    let field_of = |r: yizhengtong::Result<()>| match r {
        Err(yizhengtong::Error::InvalidParameter { name, .. }) => name,
        other => panic!("not refused as a parameter: {other:?}"),
    };
    let mut registry = PlatformRegistry::new();
    for (name, hosts, field) in [
        ("", &[HOST][..], "platform name"),
        ("新疆公共资源交易平台\u{202E}", &[HOST], "platform name"),
        ("\u{202E}台平易交源资共公疆新", &[HOST], "platform name"),
        ("新疆公共资源交易平台\n(官方)", &[HOST], "platform name"),
        ("新疆\u{200B}公共资源交易平台", &[HOST], "platform name"),
        ("\u{FEFF}新疆公共资源交易平台", &[HOST], "platform name"),
        (" 新疆公共资源交易平台", &[HOST], "platform name"),
        (&"平".repeat(65), &[HOST], "platform name"),
        (NAME, &[], "callback hosts"),
        (NAME, &["ggzy.example.cn/login"], "callback host"),
        (NAME, &["http://ggzy.example.cn"], "callback host"),
        (NAME, &["evil.cn@ggzy.example.cn"], "callback host"),
        (NAME, &["ggzy.example.cn:0"], "callback host"),
        (NAME, &["ggzy.example.cn "], "callback host"),
        (NAME, &["::1"], "callback host"),
        (NAME, &[HOST, "bad_host.example.cn"], "callback host"),
    ] {
        assert_eq!(
            field_of(registry.add(entry(name, hosts))),
            field,
            "{name:?} {hosts:?}"
        );
        assert!(registry.get(CODE).is_none(), "{name:?} {hosts:?}");
    }
    registry
        .add(entry(
            NAME,
            &["ggzy.example.cn", "127.0.0.1:8080", "[::1]:8443"],
        ))
        .unwrap();
    assert_eq!(registry.get(CODE).unwrap().callback_hosts.len(), 3);

    // The verifier's own name and host, checked when it is made.
    for (name, host, field) in [
        ("", HOST, "platform name"),
        ("新疆公共资源交易平台\u{202E}", HOST, "platform name"),
        ("平台\r\n", HOST, "platform name"),
        (NAME, "", "callback host"),
        (NAME, "https://ggzy.example.cn", "callback host"),
        (NAME, "ggzy.example.cn:65536", "callback host"),
        (NAME, "user@ggzy.example.cn", "callback host"),
    ] {
        let config =
            VerifierConfig::new(CODE, name, host, f.platform_key.clone(), f.anchors.clone());
        let r = Verifier::new(config, MemoryQrStore::new()).map(|_| ());
        assert_eq!(field_of(r), field, "{name:?} {host:?}");
    }
    for host in ["127.0.0.1:8080", "[::1]:8443", "localhost"] {
        let config =
            VerifierConfig::new(CODE, NAME, host, f.platform_key.clone(), f.anchors.clone());
        assert!(
            Verifier::new(config, MemoryQrStore::new()).is_ok(),
            "{host}"
        );
    }
}

/// A CRL that newly revokes an intermediate CA reaches the holders whose
/// chains the verifier had cached through it: replacing the CRLs
/// verifies every chain again, in full.
#[test]
fn revoking_an_intermediate_reaches_cached_chains() {
    let mut rng = test_rng(90);
    let root = CertificateAuthority::create_root(
        PrivateKey::generate(&mut rng),
        parse_dn("C=CN,O=QR Test CA,CN=QR Test Root").unwrap(),
        t0(),
        3650,
        CaConfig::default(),
        &mut rng,
    )
    .unwrap();
    let inter_key = PrivateKey::generate(&mut rng);
    let inter_cert = root
        .issue_ca(
            &inter_key.public_key(),
            parse_dn("C=CN,O=QR Test CA,CN=QR Issuing CA").unwrap(),
            t0(),
            1825,
            Some(0),
            &mut rng,
        )
        .unwrap();
    let inter =
        CertificateAuthority::from_parts(inter_key, inter_cert.clone(), CaConfig::default())
            .unwrap();
    let issue = |holder: Holder, key: &PrivateKey, rng: &mut rand::rngs::StdRng| {
        let req = EndEntityRequest {
            holder,
            usage: CertUsage::Sign,
            medium: Medium::Mobile,
            public_key: key.public_key(),
            not_before: t0(),
            days: 365,
        };
        inter.issue(&req, rng).unwrap()
    };
    let sign_key = PrivateKey::generate(&mut rng);
    let sign_cert = issue(
        Holder::person("欧勇", "11010519491231002X").unwrap(),
        &sign_key,
        &mut rng,
    );
    let platform_key = PrivateKey::generate(&mut rng);
    let platform_cert = issue(
        Holder::enterprise(NAME, "9165010039960151X0").unwrap(),
        &platform_key,
        &mut rng,
    );
    let week = Duration::from_secs(7 * 86_400);
    let crl = |ca: &CertificateAuthority, n: u64, entries: &[CrlEntry], rng: &mut _| {
        Crl::from_der(&ca.sign_crl(n, t0(), t0() + week, entries, rng).unwrap()).unwrap()
    };
    let mut config = VerifierConfig::new(
        CODE,
        NAME,
        HOST,
        platform_key,
        vec![root.certificate().clone()],
    );
    config.intermediates = vec![inter_cert.clone()];
    config.crls = vec![crl(&root, 1, &[], &mut rng), crl(&inter, 1, &[], &mut rng)];
    let v = Verifier::new(config, MemoryQrStore::new()).unwrap();
    let quota = QuotaKey {
        holder: "11010519491231002X".into(),
        platform: CODE.into(),
        institution: "ca",
    };
    v.store().set_quota(&quota, 10).unwrap();
    let mut registry = PlatformRegistry::new();
    registry
        .add(PlatformEntry {
            code: CODE.into(),
            name: NAME.into(),
            certificate: platform_cert,
            callback_hosts: vec![HOST.into()],
        })
        .unwrap();
    let login = |rng: &mut rand::rngs::StdRng| {
        let ch = v.issue(Request::Login, t0() + SEC, rng).unwrap();
        let (c, view) = scan(&ch.to_text(), &registry, t0() + 2 * SEC).unwrap();
        let identity = Identity {
            member: "ouyong",
            enterprise: None,
            signing_cert: &sign_cert,
            signing_key: &sign_key,
            encryption_cert: None,
            encryption_key: None,
        };
        let r = respond(
            &c,
            &view,
            &identity,
            ActionInput::Login,
            t0() + 3 * SEC,
            rng,
        )
        .unwrap();
        v.verify(&r.to_der(), t0() + 4 * SEC)
    };
    // Accepted twice: the second time from the cached chain.
    assert_eq!(login(&mut rng).reason, Reason::Ok);
    assert_eq!(login(&mut rng).reason, Reason::Ok);
    assert_eq!(v.store().quota(&quota).unwrap(), Some(8));
    // The root revokes the issuing CA.
    let revoked = CrlEntry {
        serial: inter_cert.serial().to_vec(),
        revoked_at: t0() + SEC,
        reason: RevocationReason::CaCompromise,
    };
    v.replace_crls(
        vec![
            crl(&root, 2, &[revoked], &mut rng),
            crl(&inter, 2, &[], &mut rng),
        ],
        t0() + 2 * SEC,
    )
    .unwrap();
    let after = login(&mut rng);
    assert_eq!(after.reason, Reason::CertificateRevoked, "{}", after.detail);
    assert_eq!(v.store().quota(&quota).unwrap(), Some(8), "nothing charged");
}

/// Every refused answer leaves the code to its holder: after a forged
/// answer for another platform, another action, another digest, another
/// nonce or another display, and after one whose commit missed its
/// deadline, the holder's genuine answer is accepted and charged once,
/// and the page shows only that.
#[test]
fn refused_answers_leave_the_code_to_its_holder() {
    let f = fixture(95);
    let v = verifier(&f);
    let mut rng = test_rng(96);
    let at = t0() + 5 * SEC;
    type Edit = fn(&mut Statement);
    let edits: [(Reason, Edit); 5] = [
        (Reason::WrongPlatform, |s| {
            s.platform_code = "C1100009999".into()
        }),
        (Reason::WrongAction, |s| s.action = Action::MsgSign),
        (Reason::WrongDigest, |s| s.digest = Some([7; 32])),
        (Reason::WrongNonce, |s| s.nonce[0] ^= 1),
        (Reason::Misdirected, |s| s.display_hash[0] ^= 1),
    ];
    for (want, edit) in edits {
        let before = quota(&v, "ca");
        let ch = v.issue(Request::Login, t0() + SEC, &mut rng).unwrap();
        assert_eq!(verify_reason(&v, &forged(&f, &ch, edit), at), want);
        let page = v.store().page(&ch.transaction_id).unwrap().unwrap();
        assert_eq!(page.stage, PageStage::Pending, "{want:?}");
        assert_eq!(quota(&v, "ca"), before, "{want:?}");
        let genuine = forged(&f, &ch, |_| {});
        assert_eq!(verify_reason(&v, &genuine, at), Reason::Ok, "{want:?}");
        assert_eq!(quota(&v, "ca"), before - 1);
    }
    // A commit that cannot start before its deadline does not start, and
    // says so; the same response later is accepted, once.
    let before = quota(&v, "ca");
    let records = v.store().records().unwrap().len();
    let ch = v.issue(Request::Login, t0() + SEC, &mut rng).unwrap();
    let genuine = forged(&f, &ch, |_| {});
    let late = v.verify_until(&genuine, at, Some(std::time::Instant::now()));
    assert_eq!(late.reason, Reason::TimedOut);
    assert!(late.detail.contains("nothing changed"), "{}", late.detail);
    assert_eq!(
        v.store().page(&ch.transaction_id).unwrap().unwrap().stage,
        PageStage::Pending
    );
    assert_eq!(quota(&v, "ca"), before);
    assert_eq!(v.store().records().unwrap().len(), records);
    let ok = v.verify(&genuine, at);
    assert_eq!((ok.reason, ok.repeat), (Reason::Ok, false));
    assert_eq!(quota(&v, "ca"), before - 1);
}
