//! Every workflow through its main path and through each refusal the
//! manual implies, on the in-memory reference world. A refusal must name
//! the field or state, and must leave every stored row as it was.

mod common;
use common::charge::{Charge, charge};
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use yizhengtong::Error;
use yizhengtong::cert::{CertUsage, Medium, UserStatus};
use yizhengtong::crypto::{DEFAULT_USER_ID, PrivateKey};
use yizhengtong::domain::account::{Account, IdCard, Provider, RealName, Sex, SmsCode};
use yizhengtong::domain::application::{Holder, JoinVia};
use yizhengtong::domain::audit::{AuditKind, AuditState, ReturnKind};
use yizhengtong::domain::content::{
    ArticleKind, ChatState, Filter, MessageKind, Module, UpdateCheck, Version,
};
use yizhengtong::domain::enterprise::{EnterpriseData, EnterpriseKind, EnterpriseState, LegalRep};
use yizhengtong::domain::order::{Order, OrderState, PaymentMethod, RefundState};
use yizhengtong::domain::profile::{AddressInput, InvoiceTitleInput, TitleKind};
use yizhengtong::domain::{Cents, DateRange, Document};
use yizhengtong::qr::{QrStore, QuotaKey};
use yizhengtong::seal::SealKind;
use yizhengtong::seal::manage::SealState;
use yizhengtong::store::{AnyStore, Store, StoreExt};
use yizhengtong::time::Date;
use yizhengtong::workflow::reference::{self, DEVICE, PLATFORM, Reference, STAFF, packages};
use yizhengtong::workflow::{
    CertAction, ClaimInput, JoinInput, OrderFilter, ReferenceFaceVerifier, Services,
};

// ----- support -----

/// Assert that an error matches a pattern (with an optional guard) and
/// hand it back.
macro_rules! assert_err {
    ($e:expr, $p:pat $(if $g:expr)?) => {{
        let e: Error = $e;
        assert!(matches!(&e, $p $(if $g)?), "unexpected error: {e:?}");
        e
    }};
}

const TABLES: [&str; 20] = [
    "accounts",
    "sessions",
    "sms_codes",
    "enterprises",
    "audits",
    "applications",
    "orders",
    "addresses",
    "invoice_titles",
    "messages",
    "articles",
    "logs",
    "chats",
    "points",
    "coupons",
    "platforms",
    "packages",
    "certificates",
    "ca_records",
    "seal_books",
];

/// Every stored row as (table, key, body). Bodies, not versions: a
/// refusal may rewrite a row unchanged (an SMS code already spent), but
/// must not change what it says.
fn snapshot(w: &Reference<AnyStore>) -> Vec<(&'static str, String, serde_json::Value)> {
    let st = w.services.store();
    let mut v = Vec::new();
    for t in TABLES {
        for (k, r) in st.scan(t).unwrap() {
            v.push((t, k, r.body));
        }
    }
    v
}

/// Run an operation that must be refused; check that no stored row
/// changed and return the error.
#[track_caller]
fn refused<T: std::fmt::Debug>(
    w: &Reference<AnyStore>,
    op: impl FnOnce() -> yizhengtong::Result<T>,
) -> Error {
    let before = snapshot(w);
    let err = match op() {
        Ok(v) => panic!("expected a refusal, got {v:?}"),
        Err(e) => e,
    };
    assert_eq!(
        snapshot(w),
        before,
        "a refused operation changed stored rows ({err})"
    );
    err
}

/// The reference world on the backend under test (`YZT_TEST_BACKEND`).
fn world(seed: u64) -> Reference<AnyStore> {
    Reference::for_tests(seed).unwrap()
}

fn pkg(id: &str) -> Vec<(String, u32)> {
    vec![(id.to_string(), 1)]
}

fn period(from: &str, to: &str) -> DateRange {
    DateRange::parse("period", from, to).unwrap()
}

/// A code that differs from `code` in every digit.
fn wrong_code(code: &str) -> String {
    code.bytes()
        .map(|b| char::from(if b == b'9' { b'0' } else { b + 1 }))
        .collect()
}

/// Register a phone by SMS (privacy accepted); (user, session token).
fn fresh(w: &Reference<AnyStore>, phone: &str) -> (String, String) {
    let s = &w.services;
    s.request_sms_code(phone).unwrap();
    let code = w.sms.last_code(phone).unwrap();
    let session = s
        .login_sms(phone, &code, DEVICE, Some(s.privacy_version()))
        .unwrap();
    (session.user, session.token)
}

/// A verified user: (user, card).
fn person(
    w: &Reference<AnyStore>,
    phone: &str,
    name: &str,
    birth: &str,
    seq: u32,
) -> (String, IdCard) {
    let card = reference::id_card(name, birth, seq).unwrap();
    let user = w.verified_user(phone, &card).unwrap();
    (user, card)
}

fn pay(w: &Reference<AnyStore>, user: &str, order: &Order) -> Order {
    w.services
        .pay_order(
            user,
            &order.number,
            PaymentMethod::Alipay,
            order.due(),
            &format!("ali-{}", order.number),
        )
        .unwrap()
}

fn real_name(w: &Reference<AnyStore>, user: &str) -> RealName {
    w.services.profile(user).unwrap().real_name
}

fn enterprise_data(name: &str, code: &str) -> EnterpriseData {
    EnterpriseData {
        kind: EnterpriseKind::Enterprise,
        name: name.into(),
        credit_code: code.into(),
        legal: LegalRep {
            name: "邱秀芳".into(),
            id_number: reference::id_card("邱秀芳", "19700101", 2)
                .unwrap()
                .id_number,
            phone: "18600008888".into(),
        },
        licence: Document::upload("business licence", b"licence scan").unwrap(),
        letter: Document::upload("authorisation letter", b"letter scan").unwrap(),
    }
}

fn claim_input(name: &str, code: &str) -> ClaimInput {
    ClaimInput {
        data: enterprise_data(name, code),
        platform: PLATFORM.into(),
        packages: vec![(packages::ENTERPRISE_CA.into(), 1)],
        coupon: None,
    }
}

/// Claim (approve, then pay) an enterprise; its credit code.
fn claim(w: &Reference<AnyStore>, admin: &str, name: &str, body: &str) -> String {
    let s = &w.services;
    let code = reference::credit_code(body).unwrap();
    let (app, order) = s.claim_enterprise(admin, claim_input(name, &code)).unwrap();
    s.approve_audit(STAFF, app.audit.as_ref().unwrap()).unwrap();
    pay(w, admin, &order);
    code
}

fn join_input(code: &str, name: &str, digits: &str, seals: Vec<SealKind>) -> JoinInput {
    JoinInput {
        enterprise: code.into(),
        via: JoinVia::Verification,
        admin_name: name.into(),
        admin_phone_last_four: digits.into(),
        platform: PLATFORM.into(),
        packages: pkg(packages::PERSON_CA),
        seals,
        period: period("2025-04-07", "2025-04-30"),
    }
}

/// Join by verification, approved by `admin` and paid.
fn join(w: &Reference<AnyStore>, member: &str, admin: &str, input: JoinInput) {
    let s = &w.services;
    let (app, order) = s.join_enterprise(member, input).unwrap();
    s.approve_audit(admin, app.audit.as_ref().unwrap()).unwrap();
    pay(w, member, &order);
}

/// A personal certificate applied, paid, approved (when reviewed) and
/// downloaded; (serial, key).
fn person_cert(
    w: &Reference<AnyStore>,
    user: &str,
    usage: CertUsage,
    seed: u64,
) -> (String, PrivateKey) {
    let s = &w.services;
    let (app, order) = s
        .apply_certificate(
            user,
            Holder::Person,
            Medium::Mobile,
            usage,
            PLATFORM,
            &pkg(packages::PERSON_CA),
            None,
        )
        .unwrap();
    pay(w, user, &order);
    if let Some(a) = &app.audit {
        s.approve_audit(STAFF, a).unwrap();
    }
    let key = PrivateKey::generate(&mut StdRng::seed_from_u64(seed));
    let d = s
        .download_certificate(user, &app.id, &key.public_key())
        .unwrap();
    (d.certificate.serial_hex(), key)
}

/// The enterprise's signing certificate, downloaded by its administrator.
fn enterprise_cert(w: &Reference<AnyStore>, admin: &str, code: &str, seed: u64) -> String {
    let s = &w.services;
    let (app, order) = s
        .apply_certificate(
            admin,
            Holder::Enterprise(code.into()),
            Medium::Mobile,
            CertUsage::Sign,
            PLATFORM,
            &pkg(packages::ENTERPRISE_CA),
            None,
        )
        .unwrap();
    pay(w, admin, &order);
    if let Some(a) = &app.audit {
        s.approve_audit(STAFF, a).unwrap();
    }
    let key = PrivateKey::generate(&mut StdRng::seed_from_u64(seed));
    s.download_certificate(admin, &app.id, &key.public_key())
        .unwrap()
        .certificate
        .serial_hex()
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n...seal image...";
const PNG2: &[u8] = b"\x89PNG\r\n\x1a\n...new seal image...";

fn until() -> Date {
    Date::parse("2026-04-07").unwrap()
}

/// An enterprise seal applied, approved, paid and collected; (book, id).
fn enterprise_seal(
    w: &Reference<AnyStore>,
    admin: &str,
    code: &str,
    kind: SealKind,
    name: &str,
) -> (String, u64) {
    let s = &w.services;
    let (app, order) = s
        .apply_seal(
            admin,
            Holder::Enterprise(code.into()),
            kind,
            name,
            PLATFORM,
            &pkg(packages::ENTERPRISE_SEAL),
            None,
        )
        .unwrap();
    s.approve_audit(STAFF, app.audit.as_ref().unwrap()).unwrap();
    pay(w, admin, &order);
    let id = s.collect_seal(admin, &app.id, PNG, until()).unwrap();
    (format!("E:{code}"), id)
}

fn sign_login(key: &PrivateKey, id_number: &str, nonce: &str) -> Vec<u8> {
    let text = Services::<AnyStore>::certificate_login_text(id_number, nonce);
    key.sign(
        DEFAULT_USER_ID,
        text.as_bytes(),
        &mut StdRng::seed_from_u64(99),
    )
    .unwrap()
    .to_der()
}

fn quota(w: &Reference<AnyStore>, holder: &str, institution: &'static str) -> Option<u64> {
    w.services
        .store()
        .quota(&QuotaKey {
            holder: holder.into(),
            platform: PLATFORM.into(),
            institution,
        })
        .unwrap()
}

// ----- accounts -----

#[test]
fn sms_code_counts_wrong_tries_and_voids_after_five() {
    let w = world(11);
    let s = &w.services;
    assert_err!(
        refused(&w, || s.request_sms_code("2860000000")),
        Error::InvalidParameter { name: "phone", .. }
    );

    // Four wrong codes are counted; the right one still logs in.
    let phone = "18600000001";
    s.request_sms_code(phone).unwrap();
    let code = w.sms.last_code(phone).unwrap();
    for i in 1..=4u32 {
        assert_err!(
            s.login_sms(phone, &wrong_code(&code), DEVICE, Some(3))
                .unwrap_err(),
            Error::InvalidParameter {
                name: "SMS code",
                ..
            }
        );
        let row = s.store().load::<SmsCode>("sms", phone).unwrap();
        assert_eq!(row.attempts, i);
        assert!(!row.spent);
    }
    let session = s.login_sms(phone, &code, DEVICE, Some(3)).unwrap();
    assert_eq!(session.method, "sms");
    // A used code does not work twice.
    assert_err!(
        refused(&w, || s.login_sms(phone, &code, DEVICE, None)),
        Error::InvalidState { entity: "SMS code", state, .. } if state == "used or void"
    );

    // Five wrong codes void it: the right one is refused afterwards.
    let phone2 = "18600000002";
    s.request_sms_code(phone2).unwrap();
    let code2 = w.sms.last_code(phone2).unwrap();
    for _ in 0..5 {
        assert_err!(
            s.login_sms(phone2, &wrong_code(&code2), DEVICE, Some(3))
                .unwrap_err(),
            Error::InvalidParameter {
                name: "SMS code",
                ..
            }
        );
    }
    assert!(s.store().load::<SmsCode>("sms", phone2).unwrap().spent);
    assert_err!(
        refused(&w, || s.login_sms(phone2, &code2, DEVICE, Some(3))),
        Error::InvalidState { entity: "SMS code", state, .. } if state == "used or void"
    );
    assert!(
        s.store()
            .find_by::<Account>("phone", phone2)
            .unwrap()
            .is_empty()
    );

    // A resend within the minute is refused; after it, a new code works.
    assert_err!(
        refused(&w, || s.request_sms_code(phone2)),
        Error::InvalidState {
            entity: "SMS code",
            action: "resend",
            ..
        }
    );
    w.clock.advance(Duration::from_secs(59));
    assert!(s.request_sms_code(phone2).is_err());
    w.clock.advance(Duration::from_secs(2));
    s.request_sms_code(phone2).unwrap();
    let code3 = w.sms.last_code(phone2).unwrap();
    s.login_sms(phone2, &code3, DEVICE, Some(3)).unwrap();

    // A code lapses after five minutes.
    w.clock.advance(Duration::from_secs(61));
    s.request_sms_code(phone).unwrap();
    let late = w.sms.last_code(phone).unwrap();
    w.clock.advance(Duration::from_secs(301));
    assert_err!(
        s.login_sms(phone, &late, DEVICE, None).unwrap_err(),
        Error::InvalidState { entity: "SMS code", state, .. } if state == "expired"
    );
}

#[test]
fn privacy_agreement_must_be_accepted_in_its_current_version() {
    let w = world(12);
    let s = &w.services;
    assert_eq!(s.privacy_version(), 3);
    let phone = "18600000011";
    let code_for = |w: &Reference<AnyStore>| {
        w.clock.advance(Duration::from_secs(61));
        s.request_sms_code(phone).unwrap();
        w.sms.last_code(phone).unwrap()
    };

    let code = code_for(&w);
    assert_err!(
        s.login_sms(phone, &code, DEVICE, None).unwrap_err(),
        Error::Forbidden {
            action: "log in",
            ..
        }
    );
    assert!(
        s.store()
            .find_by::<Account>("phone", phone)
            .unwrap()
            .is_empty(),
        "a refused first login registered the number"
    );
    let code = code_for(&w);
    assert_err!(
        s.login_sms(phone, &code, DEVICE, Some(2)).unwrap_err(),
        Error::InvalidParameter {
            name: "privacy agreement",
            ..
        }
    );
    assert!(
        s.store()
            .find_by::<Account>("phone", phone)
            .unwrap()
            .is_empty()
    );
    let code = code_for(&w);
    let session = s.login_sms(phone, &code, DEVICE, Some(3)).unwrap();
    let consent = s.profile(&session.user).unwrap().consent.unwrap();
    assert_eq!(consent.version, 3);
    assert_eq!(consent.at, s.now());

    // Accepted once, later logins need not accept again.
    let code = code_for(&w);
    s.login_sms(phone, &code, "iPhone15,2", None).unwrap();
    // But a wrong version is still refused.
    let code = code_for(&w);
    assert_err!(
        s.login_sms(phone, &code, DEVICE, Some(4)).unwrap_err(),
        Error::InvalidParameter {
            name: "privacy agreement",
            ..
        }
    );
}

#[test]

fn a_login_refused_for_the_privacy_agreement_keeps_the_code() {
    let w = world(13);
    let s = &w.services;
    let phone = "18600000012";
    s.request_sms_code(phone).unwrap();
    let code = w.sms.last_code(phone).unwrap();
    let before = snapshot(&w);
    assert!(s.login_sms(phone, &code, DEVICE, None).is_err());
    assert_eq!(snapshot(&w), before);
    s.login_sms(phone, &code, DEVICE, Some(3)).unwrap();
}

#[test]
fn devices_sessions_and_logout() {
    let w = world(14);
    let s = &w.services;
    let phone = "18600000021";
    let (user, first) = fresh(&w, phone);
    w.clock.advance(Duration::from_secs(120));
    s.request_sms_code(phone).unwrap();
    let code = w.sms.last_code(phone).unwrap();
    let second = s.login_sms(phone, &code, "HUAWEI-NOH-AN00", None).unwrap();

    let devices = s.devices(&user).unwrap();
    assert_eq!(devices.len(), 2);
    assert_eq!(devices[0].model, "HUAWEI-NOH-AN00", "newest first");
    assert_eq!(devices[1].model, DEVICE);
    assert!(devices[0].at > devices[1].at);
    assert_eq!(s.sessions(&user).unwrap().len(), 2);
    assert_eq!(s.session_user(&first).unwrap(), user);

    s.logout(&first).unwrap();
    assert_err!(
        refused(&w, || s.session_user(&first)),
        Error::InvalidState { entity: "session", state, action: "use" } if state == "ended"
    );
    assert_err!(
        refused(&w, || s.logout(&first)),
        Error::InvalidState { entity: "session", state, action: "end" } if state == "ended"
    );
    assert_err!(
        refused(&w, || s.logout("no-such-token")),
        Error::NotFound {
            what: "session",
            ..
        }
    );
    let live = s.sessions(&user).unwrap();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].token, second.token);
    assert_eq!(s.session_user(&second.token).unwrap(), user);
}

#[test]
fn third_party_bind_login_and_unbind() {
    let w = world(15);
    let s = &w.services;
    let (alice, _) = fresh(&w, "18600000031");
    let (bob, _) = fresh(&w, "18600000032");

    s.bind(&alice, Provider::WeChat, "wx-openid-alice").unwrap();
    let session = s
        .login_third_party(Provider::WeChat, "wx-openid-alice", DEVICE, None)
        .unwrap();
    assert_eq!(session.user, alice);
    assert_eq!(session.method, "wechat");

    // One external id, one account.
    assert_err!(
        refused(&w, || s.bind(&bob, Provider::WeChat, "wx-openid-alice")),
        Error::InvalidState { entity: "third-party account", state, action: "bind" }
            if state == "bound to another account"
    );
    assert_err!(
        refused(&w, || s.bind(&alice, Provider::WeChat, "wx-openid-alice")),
        Error::InvalidState { entity: "third-party account", state, .. }
            if state == "bound to this account"
    );
    // One binding per provider.
    assert_err!(
        refused(&w, || s.bind(&alice, Provider::WeChat, "wx-openid-other")),
        Error::InvalidState { entity: "account", state, .. } if state.contains("already bound")
    );
    assert_err!(
        refused(&w, || s.bind(&alice, Provider::Alipay, "  ")),
        Error::InvalidLength {
            what: "third-party account id",
            ..
        }
    );
    assert_err!(
        refused(&w, || s.login_third_party(
            Provider::Alipay,
            "wx-openid-alice",
            DEVICE,
            None
        )),
        Error::NotFound {
            what: "bound account",
            ..
        }
    );
    s.bind(&alice, Provider::Alipay, "2088-alice").unwrap();
    assert_eq!(s.profile(&alice).unwrap().bindings.len(), 2);

    s.unbind(&alice, Provider::WeChat).unwrap();
    assert_err!(
        refused(&w, || s.login_third_party(
            Provider::WeChat,
            "wx-openid-alice",
            DEVICE,
            None
        )),
        Error::NotFound {
            what: "bound account",
            ..
        }
    );
    assert_err!(
        refused(&w, || s.unbind(&alice, Provider::WeChat)),
        Error::InvalidState { entity: "account", state, action: "unbind" } if state == "not bound to wechat"
    );
    // Now free, the id binds to Bob.
    s.bind(&bob, Provider::WeChat, "wx-openid-alice").unwrap();
    assert_eq!(
        s.login_third_party(Provider::WeChat, "wx-openid-alice", DEVICE, None)
            .unwrap()
            .user,
        bob
    );
}

#[test]
fn certificate_login_with_nonce_and_signature() {
    let w = world(16);
    let s = &w.services;
    let (user, card) = person(&w, "18600000041", "欧勇", "19850312", 1);
    let (serial, key) = person_cert(&w, &user, CertUsage::Login, 1);
    let id = card.id_number.clone();

    let nonce = s.certificate_login_nonce(&id).unwrap();
    let session = s
        .login_certificate(&id, &nonce, &sign_login(&key, &id, &nonce), DEVICE, None)
        .unwrap();
    assert_eq!(session.user, user);
    assert_eq!(session.method, "certificate");

    // A replayed nonce is refused.
    assert_err!(
        refused(&w, || s.login_certificate(&id, &nonce, &sign_login(&key, &id, &nonce), DEVICE, None)),
        Error::InvalidState { entity: "login nonce", state, .. } if state == "used or void"
    );
    // A wrong key is refused.
    let other = PrivateKey::generate(&mut StdRng::seed_from_u64(1234));
    let nonce = s.certificate_login_nonce(&id).unwrap();
    assert_err!(
        s.login_certificate(&id, &nonce, &sign_login(&other, &id, &nonce), DEVICE, None)
            .unwrap_err(),
        Error::SignatureMismatch
    );
    // A signature over another nonce is refused.
    let nonce = s.certificate_login_nonce(&id).unwrap();
    assert_err!(
        s.login_certificate(&id, &nonce, &sign_login(&key, &id, "00ff"), DEVICE, None)
            .unwrap_err(),
        Error::SignatureMismatch
    );
    // A stale nonce lapses.
    let nonce = s.certificate_login_nonce(&id).unwrap();
    w.clock.advance(Duration::from_secs(301));
    assert_err!(
        s.login_certificate(&id, &nonce, &sign_login(&key, &id, &nonce), DEVICE, None)
            .unwrap_err(),
        Error::InvalidState { entity: "login nonce", state, .. } if state == "expired"
    );
    // A bad ID number is refused at the boundary.
    let mut bad = id.clone();
    bad.replace_range(17..18, if id.ends_with('0') { "1" } else { "0" });
    assert_err!(
        refused(&w, || s.certificate_login_nonce(&bad)),
        Error::InvalidParameter {
            name: "ID number",
            ..
        }
    );
    // A frozen certificate does not log in.
    s.set_certificate_state(STAFF, &serial, CertAction::Freeze)
        .unwrap();
    let nonce = s.certificate_login_nonce(&id).unwrap();
    assert_err!(
        s.login_certificate(&id, &nonce, &sign_login(&key, &id, &nonce), DEVICE, None)
            .unwrap_err(),
        Error::SignatureMismatch
    );
    s.set_certificate_state(STAFF, &serial, CertAction::Unfreeze)
        .unwrap();
    let nonce = s.certificate_login_nonce(&id).unwrap();
    s.login_certificate(&id, &nonce, &sign_login(&key, &id, &nonce), DEVICE, None)
        .unwrap();
}

#[test]

fn certificate_login_still_works_after_an_extension() {
    let w = world(17);
    let s = &w.services;
    let (user, card) = person(&w, "18600000042", "欧勇", "19850312", 1);
    let (serial, key) = person_cert(&w, &user, CertUsage::Login, 1);
    let order = s
        .extend_certificate(&user, &serial, PLATFORM, &pkg(packages::PERSON_CA_EXTEND))
        .unwrap();
    pay(&w, &user, &order);
    let id = card.id_number;
    let nonce = s.certificate_login_nonce(&id).unwrap();
    s.login_certificate(&id, &nonce, &sign_login(&key, &id, &nonce), DEVICE, None)
        .unwrap();
}

// ----- real-name verification -----

#[test]
fn id_card_fields_are_checked() {
    let w = world(21);
    let s = &w.services;
    let (user, _) = fresh(&w, "18600000101");
    let card = reference::id_card("宋世奇", "19900505", 3).unwrap();

    let mut bad = card.clone();
    let last = if card.id_number.ends_with('0') {
        "1"
    } else {
        "0"
    };
    bad.id_number.replace_range(17..18, last);
    assert_err!(
        refused(&w, || s.submit_id_card(&user, bad)),
        Error::InvalidParameter { name: "ID number", reason } if reason.contains("check character")
    );
    let mut short = card.clone();
    short.id_number.truncate(17);
    assert_err!(
        refused(&w, || s.submit_id_card(&user, short)),
        Error::InvalidLength {
            what: "ID number",
            actual: 17,
            ..
        }
    );
    let mut sex = card.clone();
    sex.sex = Sex::Female;
    assert_err!(
        refused(&w, || s.submit_id_card(&user, sex)),
        Error::InvalidParameter { name: "sex", .. }
    );
    let mut birth = card.clone();
    birth.birth = Date::parse("1990-05-06").unwrap();
    assert_err!(
        refused(&w, || s.submit_id_card(&user, birth)),
        Error::InvalidParameter {
            name: "birth date",
            ..
        }
    );
    let mut expired = card.clone();
    expired.valid_to = Some(Date::parse("2025-04-06").unwrap());
    assert_err!(
        refused(&w, || s.submit_id_card(&user, expired)),
        Error::InvalidParameter { name: "validity", reason } if reason.contains("expired")
    );
    let mut early = card.clone();
    early.valid_from = Date::parse("2025-04-08").unwrap();
    early.valid_to = None;
    assert_err!(
        refused(&w, || s.submit_id_card(&user, early)),
        Error::InvalidParameter {
            name: "validity",
            ..
        }
    );
    assert_eq!(real_name(&w, &user), RealName::Unverified);
    // Nothing to confirm yet.
    assert_err!(
        refused(&w, || s.confirm_id_card(&user)),
        Error::InvalidState { entity: "real-name verification", state, .. } if state == "unverified"
    );
    // Unverified, the user can do nothing else.
    assert_err!(
        refused(&w, || s.search_enterprises(&user, "乌鲁木齐诚悦")),
        Error::Forbidden { reason, .. } if reason.contains("unverified")
    );
    // A card valid today (the last day inclusive) is accepted.
    let mut today = card.clone();
    today.valid_to = Some(Date::parse("2025-04-07").unwrap());
    s.submit_id_card(&user, today).unwrap();
    assert!(matches!(real_name(&w, &user), RealName::Submitted { .. }));
}

#[test]
fn face_check_failures_send_it_back_to_confirmation() {
    let w = world(22);
    let s = &w.services;
    let (user, _) = fresh(&w, "18600000102");
    let card = reference::id_card("宋世奇", "19900505", 3).unwrap();
    s.submit_id_card(&user, card.clone()).unwrap();
    let challenge = s.confirm_id_card(&user).unwrap();
    assert_eq!(challenge.digits.len(), 4);
    assert_eq!(challenge.expires, s.now() + Duration::from_secs(120));

    // Wrong digits, then a wrong face, then wrong digits again.
    let mut spoken = ReferenceFaceVerifier::genuine(&card, &challenge.digits);
    spoken.spoken = wrong_code(&challenge.digits);
    assert_err!(
        s.face_check(&user, &spoken).unwrap_err(),
        Error::Forbidden { reason, .. } if reason.contains("number")
    );
    assert!(matches!(
        real_name(&w, &user),
        RealName::FaceCheck { failures: 1, .. }
    ));
    let other = reference::id_card("欧勇", "19850312", 1).unwrap();
    let face = ReferenceFaceVerifier::genuine(&other, &challenge.digits);
    assert_err!(
        s.face_check(&user, &face).unwrap_err(),
        Error::Forbidden { reason, .. } if reason.contains("face")
    );
    assert!(matches!(
        real_name(&w, &user),
        RealName::FaceCheck { failures: 2, .. }
    ));
    assert_err!(
        s.face_check(&user, &spoken).unwrap_err(),
        Error::Forbidden { .. }
    );
    assert!(
        matches!(real_name(&w, &user), RealName::Submitted { .. }),
        "three failures send it back to confirmation"
    );
    // The old challenge is gone: even a genuine sample is refused now.
    assert_err!(
        refused(&w, || s.face_check(&user, &ReferenceFaceVerifier::genuine(&card, &challenge.digits))),
        Error::InvalidState { entity: "real-name verification", state, .. }
            if state == "awaiting confirmation"
    );

    // A new challenge expires after two minutes.
    let challenge = s.confirm_id_card(&user).unwrap();
    w.clock.advance(Duration::from_secs(121));
    assert_err!(
        s.face_check(
            &user,
            &ReferenceFaceVerifier::genuine(&card, &challenge.digits)
        )
        .unwrap_err(),
        Error::InvalidState {
            entity: "face check",
            ..
        }
    );
    assert!(matches!(real_name(&w, &user), RealName::Submitted { .. }));

    // A fresh one passes.
    let challenge = s.confirm_id_card(&user).unwrap();
    w.clock.advance(Duration::from_secs(60));
    s.face_check(
        &user,
        &ReferenceFaceVerifier::genuine(&card, &challenge.digits),
    )
    .unwrap();
    assert_eq!(
        real_name(&w, &user),
        RealName::Verified {
            card: card.clone(),
            at: s.now()
        }
    );
    // Verified: no new card.
    assert_err!(
        refused(&w, || s.submit_id_card(&user, card.clone())),
        Error::InvalidState { entity: "real-name verification", state, .. } if state == "verified"
    );
    assert_err!(
        refused(&w, || s.face_check(&user, &ReferenceFaceVerifier::genuine(&card, &challenge.digits))),
        Error::InvalidState { state, .. } if state == "verified"
    );
}

#[test]
fn an_id_number_verified_elsewhere_is_refused() {
    let w = world(23);
    let s = &w.services;
    let (_, card) = person(&w, "18600000111", "欧勇", "19850312", 1);
    let (intruder, _) = fresh(&w, "18600000112");
    s.submit_id_card(&intruder, card.clone()).unwrap();
    assert_err!(
        refused(&w, || s.confirm_id_card(&intruder)),
        Error::InvalidState { entity: "ID number", state, action: "verify" }
            if state.contains("another account")
    );
    assert!(matches!(
        real_name(&w, &intruder),
        RealName::Submitted { .. }
    ));
}

// ----- deletion and appeal -----

#[test]
fn deletion_refused_for_an_administrator_then_only_appeal() {
    let w = world(31);
    let s = &w.services;
    let (admin, _) = person(&w, "18600008621", "欧勇", "19850312", 1);
    let code = claim(&w, &admin, "乌鲁木齐诚悦网络科技有限公司", "MA1GGA2L0");
    assert_err!(
        refused(&w, || s.delete_account(&admin)),
        Error::Forbidden { action: "delete the account", reason, .. } if reason.contains("administers")
    );

    // A member with a certificate, a binding and a session deletes.
    let phone = "18600001111";
    let (member, token) = fresh(&w, phone);
    let card = reference::id_card("宋世奇", "19900505", 3).unwrap();
    s.submit_id_card(&member, card.clone()).unwrap();
    let ch = s.confirm_id_card(&member).unwrap();
    s.face_check(&member, &ReferenceFaceVerifier::genuine(&card, &ch.digits))
        .unwrap();
    join(
        &w,
        &member,
        &admin,
        join_input(&code, "欧勇", "8621", vec![]),
    );
    let (serial, _) = person_cert(&w, &member, CertUsage::Sign, 5);
    s.bind(&member, Provider::WeChat, "wx-member").unwrap();

    s.delete_account(&member).unwrap();
    assert_err!(
        refused(&w, || s.delete_account(&member)),
        Error::Forbidden { .. }
    );
    assert!(!s.enterprise(&admin, &code).unwrap().is_member(&member));
    assert!(s.sessions(&member).unwrap().is_empty());
    assert_err!(
        refused(&w, || s.session_user(&token)),
        Error::InvalidState {
            entity: "session",
            ..
        }
    );
    let record = s.ca_state().unwrap().records.get(&serial).cloned().unwrap();
    assert_eq!(record.user_status(s.now()), UserStatus::Invalid);

    // Everything but an appeal is refused, naming the deletion.
    let deleted = |e: Error| {
        assert_err!(e, Error::Forbidden { reason, .. } if reason.contains("deleted"));
    };
    deleted(refused(&w, || s.profile(&member)));
    deleted(refused(&w, || s.devices(&member)));
    deleted(refused(&w, || s.orders(&member, OrderFilter::All)));
    deleted(refused(&w, || s.open_chat(&member, "你好")));
    deleted(refused(&w, || s.bind(&member, Provider::Alipay, "2088")));
    deleted(refused(&w, || {
        s.search_enterprises(&member, "乌鲁木齐诚悦")
    }));
    deleted(refused(&w, || {
        s.claim_enterprise(
            &member,
            claim_input(
                "新疆某某有限公司",
                &reference::credit_code("MA1GGA2L1").unwrap(),
            ),
        )
    }));
    deleted(refused(&w, || s.operation_log(&member, &Filter::default())));
    deleted(refused(&w, || s.messages(&member, &Filter::default())));
    deleted(refused(&w, || s.certificates(&member)));
    deleted(refused(&w, || s.submit_id_card(&member, card.clone())));
    w.clock.advance(Duration::from_secs(61));
    s.request_sms_code(phone).unwrap();
    let code_sms = w.sms.last_code(phone).unwrap();
    assert_err!(
        s.login_sms(phone, &code_sms, DEVICE, Some(3)).unwrap_err(),
        Error::Forbidden {
            action: "log in",
            ..
        }
    );
    assert_err!(
        refused(&w, || s.login_third_party(
            Provider::WeChat,
            "wx-member",
            DEVICE,
            None
        )),
        Error::NotFound { .. }
    );

    // Appeal: the name must match the ID number's account.
    assert_err!(
        refused(&w, || s.appeal_account(&card.id_number, "宋世",)),
        Error::InvalidParameter {
            name: "real name",
            ..
        }
    );
    assert_err!(
        refused(&w, || s.appeal_account(
            &reference::id_card("欧勇", "19850312", 1).unwrap().id_number,
            "欧勇"
        )),
        Error::NotFound { .. }
    );
    let audit = s.appeal_account(&card.id_number, "宋世奇").unwrap();
    assert_err!(
        refused(&w, || s.appeal_account(&card.id_number, "宋世奇")),
        Error::InvalidState { state, action: "appeal", .. } if state == "under appeal"
    );
    assert_err!(
        refused(&w, || s.approve_audit(&admin, &audit)),
        Error::Forbidden { .. }
    );
    s.approve_audit(STAFF, &audit).unwrap();
    assert!(s.sessions(&member).unwrap().is_empty());
    assert!(s.profile(&member).unwrap().bindings.is_empty());
    assert!(s.profile(&member).unwrap().devices.is_empty());
    // The consent went with the deletion: log in accepting again.
    w.clock.advance(Duration::from_secs(61));
    s.request_sms_code(phone).unwrap();
    let c = w.sms.last_code(phone).unwrap();
    assert_err!(
        s.login_sms(phone, &c, DEVICE, None).unwrap_err(),
        Error::Forbidden {
            action: "log in",
            ..
        }
    );
    w.clock.advance(Duration::from_secs(61));
    s.request_sms_code(phone).unwrap();
    let c = w.sms.last_code(phone).unwrap();
    let session = s.login_sms(phone, &c, DEVICE, Some(3)).unwrap();
    assert_eq!(session.user, member);
    assert_err!(
        refused(&w, || s.appeal_account(&card.id_number, "宋世奇")),
        Error::NotFound { .. }
    );
}

#[test]
fn an_approved_appeal_ends_sessions_opened_before_the_approval() {
    // The restore ends every session of the account; since a deleted
    // account cannot log in, check the sessions are all ended and stay so.
    let w = world(32);
    let s = &w.services;
    let (user, token) = fresh(&w, "18600000201");
    let card = reference::id_card("宋世奇", "19900505", 3).unwrap();
    s.submit_id_card(&user, card.clone()).unwrap();
    let ch = s.confirm_id_card(&user).unwrap();
    s.face_check(&user, &ReferenceFaceVerifier::genuine(&card, &ch.digits))
        .unwrap();
    s.delete_account(&user).unwrap();
    let audit = s.appeal_account(&card.id_number, " 宋世奇 ").unwrap();
    s.approve_audit(STAFF, &audit).unwrap();
    assert!(s.sessions(&user).unwrap().is_empty());
    assert_err!(
        s.session_user(&token).unwrap_err(),
        Error::InvalidState {
            entity: "session",
            ..
        }
    );
    assert!(matches!(real_name(&w, &user), RealName::Verified { .. }));
    // An unverified deleted account cannot appeal.
    let (plain, _) = fresh(&w, "18600000202");
    s.delete_account(&plain).unwrap();
    assert_err!(
        refused(&w, || s.appeal_account(
            &reference::id_card("王五", "19800101", 5).unwrap().id_number,
            "王五"
        )),
        Error::NotFound { .. }
    );
}

// ----- enterprises -----

#[test]
fn claim_review_and_payment_in_either_order() {
    let w = world(41);
    let s = &w.services;
    let (admin, _) = person(&w, "18600008621", "欧勇", "19850312", 1);

    // Review first, then payment.
    let code = reference::credit_code("MA1GGA2L0").unwrap();
    let (app, order) = s
        .claim_enterprise(&admin, claim_input("乌鲁木齐诚悦网络科技有限公司", &code))
        .unwrap();
    assert_eq!(order.due(), Cents(30_000));
    let audit = app.audit.clone().unwrap();
    let pending = s
        .audits_to_review(STAFF, Some(AuditKind::EnterpriseClaim), Some("pending"))
        .unwrap();
    assert_eq!(pending.len(), 1);
    let d = &pending[0].detail;
    assert_eq!(d.credit_code.as_deref(), Some(code.as_str()));
    assert_eq!(
        d.enterprise_name.as_deref(),
        Some("乌鲁木齐诚悦网络科技有限公司")
    );
    assert_eq!(d.region.as_deref(), Some("新疆维吾尔自治区"));
    assert_eq!(d.ca.as_deref(), Some("新疆CA"));
    assert_eq!(d.quantity, Some(1));
    assert!(d.package.is_some() && d.platform.is_some());
    // The claimant may not approve it.
    assert_err!(
        refused(&w, || s.approve_audit(&admin, &audit)),
        Error::Forbidden { .. }
    );
    s.approve_audit(STAFF, &audit).unwrap();
    assert!(s.my_enterprises(&admin).unwrap().is_empty());
    pay(&w, &admin, &order);
    assert_eq!(s.my_enterprises(&admin).unwrap()[0].admin, admin);

    // Payment first, then review.
    let code2 = reference::credit_code("MA1GGA2L1").unwrap();
    let (app2, order2) = s
        .claim_enterprise(&admin, claim_input("乌鲁木齐诚悦商贸有限公司", &code2))
        .unwrap();
    pay(&w, &admin, &order2);
    assert_eq!(s.my_enterprises(&admin).unwrap().len(), 1);
    s.approve_audit(STAFF, app2.audit.as_ref().unwrap())
        .unwrap();
    assert_eq!(s.my_enterprises(&admin).unwrap().len(), 2);

    // A claimed code, and one being claimed, are refused.
    let (other, _) = person(&w, "18600001111", "宋世奇", "19900505", 3);
    assert_err!(
        refused(&w, || s.claim_enterprise(&other, claim_input("冒名公司", &code))),
        Error::InvalidState { entity: "enterprise", state, action: "claim" } if state == "claimed already"
    );
    let code3 = reference::credit_code("MA1GGA2L2").unwrap();
    s.claim_enterprise(&admin, claim_input("乌鲁木齐诚悦物流有限公司", &code3))
        .unwrap();
    assert_err!(
        refused(&w, || s.claim_enterprise(&other, claim_input("乌鲁木齐诚悦物流有限公司", &code3))),
        Error::InvalidState { entity: "enterprise", state, .. } if state == "being claimed"
    );
    // Fields are checked at the boundary.
    let mut bad = claim_input("新疆某公司", &reference::credit_code("MA1GGA2L3").unwrap());
    bad.data.credit_code.replace_range(17..18, "I");
    assert_err!(
        refused(&w, || s.claim_enterprise(&other, bad)),
        Error::InvalidParameter {
            name: "unified social credit code",
            ..
        }
    );
    let mut bad = claim_input("新疆某公司", &reference::credit_code("MA1GGA2L3").unwrap());
    bad.data.legal.phone = "1234".into();
    assert_err!(
        refused(&w, || s.claim_enterprise(&other, bad)),
        Error::InvalidParameter {
            name: "legal representative phone",
            ..
        }
    );
    let mut bad = claim_input("新疆某公司", &reference::credit_code("MA1GGA2L3").unwrap());
    bad.packages = pkg(packages::PERSON_CA);
    assert_err!(
        refused(&w, || s.claim_enterprise(&other, bad)),
        Error::InvalidParameter {
            name: "packages",
            ..
        }
    );
}

#[test]
fn search_needs_five_characters_and_returns_ten_at_most() {
    let w = world(42);
    let s = &w.services;
    let (admin, _) = person(&w, "18600008621", "欧勇", "19850312", 1);
    for i in 0..11 {
        claim(
            &w,
            &admin,
            &format!("乌鲁木齐诚悦第{i}分公司"),
            &format!("MA1GGA{i:03}"),
        );
    }
    assert_err!(
        refused(&w, || s.search_enterprises(&admin, " 乌鲁木齐 ")),
        Error::InvalidLength {
            what: "enterprise search",
            actual: 4,
            ..
        }
    );
    assert_eq!(
        s.search_enterprises(&admin, "乌鲁木齐诚悦").unwrap().len(),
        10
    );
    assert_eq!(
        s.search_enterprises(&admin, "诚悦第10分公司")
            .unwrap()
            .len(),
        1
    );
    assert!(
        s.search_enterprises(&admin, "喀什某某公司")
            .unwrap()
            .is_empty()
    );
}

#[test]
fn join_by_verification_and_by_application() {
    let w = world(43);
    let s = &w.services;
    let (admin, _) = person(&w, "18600008621", "欧勇", "19850312", 1);
    let code = claim(&w, &admin, "乌鲁木齐诚悦网络科技有限公司", "MA1GGA2L0");
    let (member, _) = person(&w, "18600001111", "宋世奇", "19900505", 3);

    assert_err!(
        refused(&w, || s.join_enterprise(
            &member,
            join_input(&code, "欧 勇", "8621", vec![])
        )),
        Error::InvalidParameter {
            name: "administrator name or phone",
            ..
        }
    );
    assert_err!(
        refused(&w, || s.join_enterprise(
            &member,
            join_input(&code, "欧勇", "8622", vec![])
        )),
        Error::InvalidParameter {
            name: "administrator name or phone",
            ..
        }
    );
    assert_err!(
        refused(&w, || s.join_enterprise(
            &member,
            join_input(&code, "欧勇", "862", vec![])
        )),
        Error::InvalidParameter {
            name: "administrator phone",
            ..
        }
    );
    assert_err!(
        refused(&w, || s.join_enterprise(
            &member,
            join_input(
                &reference::credit_code("MA1GGA2L9").unwrap(),
                "欧勇",
                "8621",
                vec![]
            )
        )),
        Error::NotFound {
            what: "enterprise",
            ..
        }
    );

    // By application: the reason is 1 to 500 characters.
    let mut by_app = join_input(&code, "", "", vec![SealKind::CompanySeal]);
    by_app.via = JoinVia::Application {
        reason: "字".repeat(501),
    };
    assert_err!(
        refused(&w, || s.join_enterprise(&member, by_app.clone())),
        Error::InvalidLength {
            what: "join reason",
            actual: 501,
            ..
        }
    );
    by_app.via = JoinVia::Application {
        reason: "  ".into(),
    };
    assert_err!(
        refused(&w, || s.join_enterprise(&member, by_app.clone())),
        Error::InvalidLength {
            what: "join reason",
            actual: 0,
            ..
        }
    );
    by_app.via = JoinVia::Application {
        reason: "字".repeat(500),
    };
    let (app, order) = s.join_enterprise(&member, by_app.clone()).unwrap();
    assert_err!(
        refused(&w, || s.join_enterprise(
            &member,
            join_input(&code, "欧勇", "8621", vec![])
        )),
        Error::InvalidState {
            entity: "join request",
            ..
        }
    );
    let audit = app.audit.clone().unwrap();
    let review = s
        .audits_to_review(&admin, Some(AuditKind::JoinEnterprise), None)
        .unwrap();
    assert_eq!(review.len(), 1);
    assert_eq!(
        review[0].detail.reason.as_deref(),
        Some("字".repeat(500).as_str())
    );
    assert_eq!(review[0].detail.seals, vec!["单位公章".to_string()]);
    assert_eq!(review[0].applicant_name, "宋世奇");

    // Only the administrator approves, once.
    assert_err!(
        refused(&w, || s.approve_audit(&member, &audit)),
        Error::Forbidden {
            action: "review this request",
            ..
        }
    );
    s.approve_audit(&admin, &audit).unwrap();
    assert_err!(
        refused(&w, || s.approve_audit(&admin, &audit)),
        Error::InvalidState { entity: "audit", state, action: "approve" } if state == "approved"
    );
    assert!(!s.enterprise(&admin, &code).unwrap().is_member(&member));
    pay(&w, &member, &order);
    assert!(s.enterprise(&member, &code).unwrap().is_member(&member));
    assert_err!(
        refused(&w, || s.join_enterprise(&member, join_input(&code, "欧勇", "8621", vec![]))),
        Error::InvalidState { entity: "membership", state, .. } if state == "already a member"
    );
}

#[test]
fn members_removed_and_administration_handed_over() {
    let w = world(44);
    let s = &w.services;
    let (admin, _) = person(&w, "18600008621", "欧勇", "19850312", 1);
    let code = claim(&w, &admin, "乌鲁木齐诚悦网络科技有限公司", "MA1GGA2L0");
    let (m1, _) = person(&w, "18600001111", "宋世奇", "19900505", 3);
    let (m2, _) = person(&w, "18600002222", "李娜", "19920808", 4);
    let (outsider, _) = person(&w, "18600003333", "王五", "19800101", 5);
    join(&w, &m1, &admin, join_input(&code, "欧勇", "8621", vec![]));
    join(&w, &m2, &admin, join_input(&code, "欧勇", "8621", vec![]));

    assert_err!(
        refused(&w, || s.enterprise(&outsider, &code)),
        Error::Forbidden { reason, .. } if reason == "not a member"
    );
    assert_err!(
        refused(&w, || s.remove_member(&m1, &code, &m2)),
        Error::Forbidden {
            action: "remove members",
            ..
        }
    );
    assert_err!(
        refused(&w, || s.remove_member(&admin, &code, &admin)),
        Error::InvalidState { entity: "membership", state, .. } if state == "the administrator"
    );
    assert_err!(
        refused(&w, || s.remove_member(&admin, &code, &outsider)),
        Error::NotFound { what: "member", .. }
    );
    s.remove_member(&admin, &code, &m2).unwrap();
    assert!(!s.enterprise(&admin, &code).unwrap().is_member(&m2));
    assert!(s.my_enterprises(&m2).unwrap().is_empty());

    // Hand over administration.
    assert_err!(
        refused(&w, || s.change_admin(&m1, &code, &m1)),
        Error::Forbidden {
            action: "change the administrator",
            ..
        }
    );
    assert_err!(
        refused(&w, || s.change_admin(&admin, &code, &outsider)),
        Error::NotFound { what: "member", .. }
    );
    assert_err!(
        refused(&w, || s.change_admin(&admin, &code, &admin)),
        Error::InvalidState { state, .. } if state == "already the administrator"
    );
    s.change_admin(&admin, &code, &m1).unwrap();
    let e = s.enterprise(&m1, &code).unwrap();
    assert_eq!(e.admin, m1);
    assert_eq!(e.admin_name, "宋世奇");
    assert_eq!(e.admin_phone, "18600001111");
    assert!(e.is_member(&admin));
    // The new administrator's details are what join-by-verification checks.
    assert!(
        s.join_enterprise(&outsider, join_input(&code, "欧勇", "8621", vec![]))
            .is_err()
    );
    let (app, _) = s
        .join_enterprise(&outsider, join_input(&code, "宋世奇", "1111", vec![]))
        .unwrap();
    assert_err!(
        refused(&w, || s.approve_audit(&admin, app.audit.as_ref().unwrap())),
        Error::Forbidden { .. }
    );
    s.approve_audit(&m1, app.audit.as_ref().unwrap()).unwrap();
    // The former administrator may now leave and delete the account.
    s.delete_account(&admin).unwrap();
    assert!(!s.enterprise(&m1, &code).unwrap().is_member(&admin));
}

#[test]
fn enterprise_data_change_is_reviewed() {
    let w = world(45);
    let s = &w.services;
    let (admin, _) = person(&w, "18600008621", "欧勇", "19850312", 1);
    let code = claim(&w, &admin, "乌鲁木齐诚悦网络科技有限公司", "MA1GGA2L0");
    let (m1, _) = person(&w, "18600001111", "宋世奇", "19900505", 3);
    join(&w, &m1, &admin, join_input(&code, "欧勇", "8621", vec![]));

    let renamed = enterprise_data("新疆诚悦网络科技有限公司", &code);
    assert_err!(
        refused(&w, || s.request_enterprise_change(&m1, renamed.clone())),
        Error::Forbidden {
            action: "change the enterprise data",
            ..
        }
    );
    let audit = s
        .request_enterprise_change(&admin, renamed.clone())
        .unwrap();
    assert_err!(
        refused(&w, || s.request_enterprise_change(&admin, renamed.clone())),
        Error::InvalidState { entity: "enterprise", state, .. } if state.contains("awaiting review")
    );
    assert_eq!(
        s.enterprise(&admin, &code).unwrap().data.name,
        "乌鲁木齐诚悦网络科技有限公司",
        "not before the review"
    );
    assert_err!(
        refused(&w, || s.approve_audit(&admin, &audit)),
        Error::Forbidden { .. }
    );
    s.approve_audit(STAFF, &audit).unwrap();
    let e = s.enterprise(&admin, &code).unwrap();
    assert_eq!(e.data.name, "新疆诚悦网络科技有限公司");
    assert_eq!(e.pending_change, None);

    // A returned change leaves the data as it was and frees the next.
    let again = enterprise_data("别的名字有限公司", &code);
    let audit = s.request_enterprise_change(&admin, again.clone()).unwrap();
    s.return_audit(
        STAFF,
        &audit,
        ReturnKind::DocumentsInvalid,
        "营业执照不清晰",
    )
    .unwrap();
    let e = s.enterprise(&admin, &code).unwrap();
    assert_eq!(e.data.name, "新疆诚悦网络科技有限公司");
    assert_eq!(e.pending_change, None);
    s.request_enterprise_change(&admin, again).unwrap();
}

#[test]
fn deregistered_enterprise_only_appeals() {
    let w = world(46);
    let s = &w.services;
    let (admin, _) = person(&w, "18600008621", "欧勇", "19850312", 1);
    let code = claim(&w, &admin, "乌鲁木齐诚悦网络科技有限公司", "MA1GGA2L0");
    let (m1, _) = person(&w, "18600001111", "宋世奇", "19900505", 3);
    join(&w, &m1, &admin, join_input(&code, "欧勇", "8621", vec![]));

    assert_err!(
        refused(&w, || s.appeal_enterprise(&admin, &code, b"licence", b"letter")),
        Error::InvalidState { entity: "enterprise", state, action: "appeal" } if state == "active"
    );
    assert_err!(
        refused(&w, || s.deregister_enterprise(&m1, &code)),
        Error::Forbidden {
            action: "deregister the enterprise",
            ..
        }
    );
    s.deregister_enterprise(&admin, &code).unwrap();
    assert!(s.my_enterprises(&admin).unwrap().is_empty());
    assert!(s.my_enterprises(&m1).unwrap().is_empty());
    assert_eq!(s.identities(&m1).unwrap(), vec![Holder::Person]);
    assert!(
        s.search_enterprises(&m1, "乌鲁木齐诚悦")
            .unwrap()
            .is_empty()
    );

    let dereg = |e: Error| {
        assert_err!(e, Error::InvalidState { entity: "enterprise", state, .. } if state.starts_with("deregistered"));
    };
    dereg(refused(&w, || s.deregister_enterprise(&admin, &code)));
    dereg(refused(&w, || {
        s.join_enterprise(&m1, join_input(&code, "欧勇", "8621", vec![]))
    }));
    dereg(refused(&w, || {
        s.claim_enterprise(&m1, claim_input("乌鲁木齐诚悦网络科技有限公司", &code))
    }));
    dereg(refused(&w, || {
        s.request_enterprise_change(&admin, enterprise_data("新名字有限公司", &code))
    }));
    dereg(refused(&w, || {
        s.order_packages(
            &admin,
            &Holder::Enterprise(code.clone()),
            PLATFORM,
            &pkg(packages::ENTERPRISE_CA),
            None,
        )
    }));
    dereg(refused(&w, || {
        s.apply_certificate(
            &admin,
            Holder::Enterprise(code.clone()),
            Medium::Mobile,
            CertUsage::Sign,
            PLATFORM,
            &pkg(packages::ENTERPRISE_CA),
            None,
        )
    }));
    dereg(refused(&w, || {
        s.grant_seals(
            &admin,
            &code,
            &[1],
            &[m1.as_str()],
            period("2025-04-07", "2025-04-30"),
        )
    }));
    // No longer administering, the former administrator may delete.
    assert_err!(
        refused(&w, || s.appeal_enterprise(&m1, &code, b"", b"letter")),
        Error::InvalidLength {
            what: "business licence",
            actual: 0,
            ..
        }
    );

    // The appeal restores it, administered by the appellant.
    let audit = s
        .appeal_enterprise(&m1, &code, b"licence 2", b"appeal letter")
        .unwrap();
    assert_err!(
        refused(&w, || s.appeal_enterprise(&admin, &code, b"licence", b"letter")),
        Error::InvalidState { state, .. } if state == "under appeal"
    );
    assert_err!(
        refused(&w, || s.approve_audit(&m1, &audit)),
        Error::Forbidden { .. }
    );
    s.approve_audit(STAFF, &audit).unwrap();
    let e = s.enterprise(&m1, &code).unwrap();
    assert_eq!(e.state, EnterpriseState::Active);
    assert_eq!(e.admin, m1);
    assert_eq!(e.members.len(), 1);
    assert_eq!(e.data.letter.what, "appeal letter");
    assert_eq!(
        s.search_enterprises(&admin, "乌鲁木齐诚悦").unwrap().len(),
        1
    );
}

// ----- audits -----

#[test]
fn a_return_needs_a_reason_and_cancels_the_order() {
    let w = world(51);
    let s = &w.services;
    let (admin, _) = person(&w, "18600008621", "欧勇", "19850312", 1);
    let code = claim(&w, &admin, "乌鲁木齐诚悦网络科技有限公司", "MA1GGA2L0");
    let (member, _) = person(&w, "18600001111", "宋世奇", "19900505", 3);
    let (app, order) = s
        .join_enterprise(&member, join_input(&code, "欧勇", "8621", vec![]))
        .unwrap();
    let audit = app.audit.clone().unwrap();

    assert_err!(
        refused(&w, || s.return_audit(
            &admin,
            &audit,
            ReturnKind::NotEligible,
            " "
        )),
        Error::InvalidLength {
            what: "return reason",
            actual: 0,
            ..
        }
    );
    assert_err!(
        refused(&w, || s.return_audit(
            &admin,
            &audit,
            ReturnKind::NotEligible,
            &"字".repeat(501)
        )),
        Error::InvalidLength {
            what: "return reason",
            actual: 501,
            ..
        }
    );
    assert_err!(
        refused(&w, || s.return_audit(
            &member,
            &audit,
            ReturnKind::NotEligible,
            "自己退回"
        )),
        Error::Forbidden { .. }
    );
    let returned = s
        .return_audit(&admin, &audit, ReturnKind::NotEligible, &"字".repeat(500))
        .unwrap();
    assert!(matches!(
        &returned.state,
        AuditState::Returned { kind: ReturnKind::NotEligible, text, .. } if text.chars().count() == 500
    ));
    let o = s.order(&member, &order.number).unwrap();
    assert!(
        matches!(o.state, OrderState::Cancelled { .. }),
        "{:?}",
        o.state
    );
    assert_err!(
        refused(&w, || s.pay_order(&member, &order.number, PaymentMethod::WeChatPay, order.due(), "wx")),
        Error::InvalidState { entity: "order", state, action: "pay" } if state == "cancelled"
    );
    assert_err!(
        refused(&w, || s.approve_audit(&admin, &audit)),
        Error::InvalidState { entity: "audit", state, .. } if state == "returned"
    );
    assert_err!(
        refused(&w, || s.return_audit(&admin, &audit, ReturnKind::Other, "再次退回")),
        Error::InvalidState { entity: "audit", state, action: "return" } if state == "returned"
    );
    assert!(s.orders(&member, OrderFilter::Pending).unwrap().is_empty());
    assert_eq!(s.my_audits(&member).unwrap()[0].state.name(), "returned");
    // A returned request does not block a new one.
    s.join_enterprise(&member, join_input(&code, "欧勇", "8621", vec![]))
        .unwrap();
}

#[test]
fn leave_and_seal_use_requests_approved_by_the_administrator() {
    let w = world(52);
    let s = &w.services;
    let (admin, _) = person(&w, "18600008621", "欧勇", "19850312", 1);
    let code = claim(&w, &admin, "乌鲁木齐诚悦网络科技有限公司", "MA1GGA2L0");
    enterprise_cert(&w, &admin, &code, 3);
    let (book, seal) = enterprise_seal(&w, &admin, &code, SealKind::ContractSeal, "合同专用章");
    let (member, _) = person(&w, "18600001111", "宋世奇", "19900505", 3);
    let (outsider, _) = person(&w, "18600003333", "王五", "19800101", 5);
    join(
        &w,
        &member,
        &admin,
        join_input(&code, "欧勇", "8621", vec![]),
    );

    // Seal use.
    assert!(s.seal_for_use(&member, &book, seal).is_err());
    let p = period("2025-04-07", "2025-04-10");
    assert_err!(
        refused(&w, || s.request_seal_use(
            &member,
            &code,
            &[],
            p,
            "投标用章"
        )),
        Error::InvalidParameter { name: "seals", .. }
    );
    assert_err!(
        refused(&w, || s.request_seal_use(
            &member,
            &code,
            &[seal],
            p,
            &"字".repeat(501)
        )),
        Error::InvalidLength {
            what: "seal use reason",
            ..
        }
    );
    assert_err!(
        refused(&w, || s.request_seal_use(
            &outsider,
            &code,
            &[seal],
            p,
            "投标用章"
        )),
        Error::Forbidden { .. }
    );
    let audit = s
        .request_seal_use(&member, &code, &[seal], p, "投标用章")
        .unwrap();
    let a = &s
        .audits_to_review(&admin, Some(AuditKind::SealUse), Some("pending"))
        .unwrap()[0];
    assert_eq!(a.detail.seals, vec!["合同专用章".to_string()]);
    assert_eq!(a.detail.period, Some(p));
    assert_err!(
        refused(&w, || s.approve_audit(&member, &audit)),
        Error::Forbidden { .. }
    );
    s.approve_audit(&admin, &audit).unwrap();
    s.seal_for_use(&member, &book, seal).unwrap();
    w.clock.advance(Duration::from_secs(4 * 86_400));
    assert_err!(
        refused(&w, || s.seal_for_use(&member, &book, seal)),
        Error::Forbidden { reason, .. } if reason.contains("no grant covers")
    );

    // Leave.
    assert_err!(
        refused(&w, || s.request_leave(&admin, &code, "不干了")),
        Error::InvalidState { entity: "membership", state, .. } if state == "the administrator"
    );
    assert_err!(
        refused(&w, || s.request_leave(&outsider, &code, "不干了")),
        Error::Forbidden { .. }
    );
    assert_err!(
        refused(&w, || s.request_leave(&member, &code, "")),
        Error::InvalidLength {
            what: "leave reason",
            ..
        }
    );
    let audit = s.request_leave(&member, &code, "离职").unwrap();
    assert_eq!(
        s.audits_to_review(&admin, Some(AuditKind::LeaveEnterprise), Some("pending"))
            .unwrap()
            .len(),
        1
    );
    assert!(s.enterprise(&member, &code).unwrap().is_member(&member));
    s.approve_audit(&admin, &audit).unwrap();
    assert!(!s.enterprise(&admin, &code).unwrap().is_member(&member));
}

// ----- orders and money -----

fn addr(default: bool) -> AddressInput {
    AddressInput {
        recipient: "欧勇".into(),
        phone: "18600008621".into(),
        region: "新疆维吾尔自治区 乌鲁木齐市 天山区".into(),
        detail: "光明路1号".into(),
        default,
    }
}

fn title(name: &str, email: &str, kind: TitleKind, default: bool) -> InvoiceTitleInput {
    InvoiceTitleInput {
        kind,
        name: name.into(),
        email: email.into(),
        phone: None,
        company_address: None,
        bank: None,
        account: None,
        default,
    }
}

#[test]
fn paying_refunds_and_invoices() {
    let w = world(61);
    let s = &w.services;
    let (user, card) = person(&w, "18600001111", "宋世奇", "19900505", 3);
    let (other, _) = person(&w, "18600002222", "李娜", "19920808", 4);
    let items = pkg(packages::PERSON_CA);
    let order = s
        .order_packages(&user, &Holder::Person, PLATFORM, &items, None)
        .unwrap();
    assert_eq!(order.due(), Cents(10_000));
    assert_eq!(s.orders(&user, OrderFilter::Pending).unwrap().len(), 1);

    // Refund and invoice of an unpaid order are refused.
    assert_err!(
        refused(&w, || s.request_refund(&user, &order.number, "不需要了")),
        Error::InvalidState { entity: "order", state, action: "refund" } if state == "pending payment"
    );
    let t = s
        .add_invoice_title(
            &user,
            title("宋世奇", "song@example.cn", TitleKind::Personal, false),
        )
        .unwrap();
    let a = s.add_address(&user, addr(false)).unwrap();
    assert_err!(
        refused(&w, || s.request_invoice(&user, &order.number, Cents(100), &t.id, &a.id)),
        Error::InvalidState { entity: "order", state, action: "invoice" } if state == "pending payment"
    );

    // Paying: the exact amount, once, by the owner.
    assert_err!(
        refused(&w, || s.pay_order(
            &user,
            &order.number,
            PaymentMethod::WeChatPay,
            Cents(9_999),
            "wx-1"
        )),
        Error::InvalidParameter { name: "amount", .. }
    );
    assert_err!(
        refused(&w, || s.pay_order(
            &user,
            &order.number,
            PaymentMethod::WeChatPay,
            order.due(),
            " "
        )),
        Error::InvalidLength {
            what: "payment reference",
            ..
        }
    );
    assert_err!(
        refused(&w, || s.pay_order(
            &other,
            &order.number,
            PaymentMethod::WeChatPay,
            order.due(),
            "wx-1"
        )),
        Error::NotFound { what: "order", .. }
    );
    assert_eq!(quota(&w, &card.id_number, "ca"), None);
    let paid = s
        .pay_order(
            &user,
            &order.number,
            PaymentMethod::WeChatPay,
            order.due(),
            "wx-1",
        )
        .unwrap();
    assert!(matches!(
        paid.state,
        OrderState::Paid {
            method: PaymentMethod::WeChatPay,
            ..
        }
    ));
    assert_eq!(quota(&w, &card.id_number, "ca"), Some(100));
    assert_err!(
        refused(&w, || s.pay_order(&user, &order.number, PaymentMethod::WeChatPay, order.due(), "wx-2")),
        Error::InvalidState { entity: "order", state, action: "pay" } if state == "paid"
    );
    assert_eq!(quota(&w, &card.id_number, "ca"), Some(100), "charged once");
    assert_eq!(s.points(&user).unwrap().0, 100);
    assert_eq!(s.orders(&user, OrderFilter::Paid).unwrap().len(), 1);
    assert!(s.orders(&user, OrderFilter::Pending).unwrap().is_empty());

    // Invoices: at most the invoiceable amount, with one's own title.
    let t2 = s
        .add_invoice_title(
            &other,
            title("李娜", "li@example.cn", TitleKind::Personal, false),
        )
        .unwrap();
    assert_err!(
        refused(&w, || s.request_invoice(
            &user,
            &order.number,
            Cents(100),
            &t2.id,
            &a.id
        )),
        Error::NotFound { .. }
    );
    assert_err!(
        refused(&w, || s.request_invoice(
            &user,
            &order.number,
            Cents(10_001),
            &t.id,
            &a.id
        )),
        Error::InvalidParameter {
            name: "invoice amount",
            ..
        }
    );
    assert_err!(
        refused(&w, || s.request_invoice(
            &user,
            &order.number,
            Cents(0),
            &t.id,
            &a.id
        )),
        Error::InvalidParameter {
            name: "invoice amount",
            ..
        }
    );
    assert_eq!(
        s.request_invoice(&user, &order.number, Cents(3_000), &t.id, &a.id)
            .unwrap(),
        Cents(7_000)
    );
    let o = s.order(&user, &order.number).unwrap();
    assert_eq!(o.invoiceable(), Cents(7_000));
    assert_eq!(o.invoiced(), Cents(3_000));

    // Refund: the explanation is 1 to 500 characters; the amount is what
    // is not invoiced.
    assert_err!(
        refused(&w, || s.request_refund(
            &user,
            &order.number,
            &"字".repeat(501)
        )),
        Error::InvalidLength {
            what: "refund explanation",
            actual: 501,
            ..
        }
    );
    assert_eq!(
        s.request_refund(&user, &order.number, &"字".repeat(500))
            .unwrap(),
        Cents(7_000)
    );
    assert_err!(
        refused(&w, || s.request_refund(&user, &order.number, "再退一次")),
        Error::InvalidState { entity: "order", state, .. } if state.contains("refunded")
    );
    // invoiceable = paid − refunded − invoiced = 10000 − 7000 − 3000.
    assert_eq!(
        s.order(&user, &order.number).unwrap().invoiceable(),
        Cents(0)
    );
    assert_err!(
        refused(&w, || s.request_invoice(
            &user,
            &order.number,
            Cents(1),
            &t.id,
            &a.id
        )),
        Error::InvalidParameter {
            name: "invoice amount",
            ..
        }
    );
    assert_err!(
        refused(&w, || s.settle_refund(&user, &order.number, true)),
        Error::Forbidden { .. }
    );
    let settled = s.settle_refund(STAFF, &order.number, true).unwrap();
    assert!(matches!(
        settled.refund.as_ref().unwrap().state,
        RefundState::Refunded { .. }
    ));
    assert_eq!(settled.invoiceable(), Cents(0));
    assert_eq!(
        quota(&w, &card.id_number, "ca"),
        Some(0),
        "the quota goes back"
    );
    assert_err!(
        refused(&w, || s.settle_refund(STAFF, &order.number, true)),
        Error::InvalidState {
            entity: "order",
            ..
        }
    );
}

#[test]
fn a_refund_is_refused_when_the_uses_were_consumed() {
    let w = world(62);
    let s = &w.services;
    let (user, card) = person(&w, "18600001111", "宋世奇", "19900505", 3);
    let order = s
        .order_packages(
            &user,
            &Holder::Person,
            PLATFORM,
            &pkg(packages::PERSON_CA),
            None,
        )
        .unwrap();
    pay(&w, &user, &order);
    let key = QuotaKey {
        holder: card.id_number.clone(),
        platform: PLATFORM.into(),
        institution: "ca",
    };
    assert_eq!(
        charge(s.store(), &key, &[7u8; 16]).unwrap(),
        Ok(Charge::Charged { remaining: 99 })
    );
    s.request_refund(&user, &order.number, "多买了").unwrap();
    let settled = s.settle_refund(STAFF, &order.number, true).unwrap();
    assert!(
        matches!(&settled.refund.as_ref().unwrap().state, RefundState::Refused { reason } if reason.contains("consumed")),
        "{:?}",
        settled.refund
    );
    assert_eq!(quota(&w, &card.id_number, "ca"), Some(99));
    // A refused refund gives the invoiceable amount back and may be asked again.
    assert_eq!(settled.invoiceable(), Cents(10_000));
    s.request_refund(&user, &order.number, "再申请").unwrap();
    let refused_by_staff = s.settle_refund(STAFF, &order.number, false).unwrap();
    assert!(matches!(
        refused_by_staff.refund.unwrap().state,
        RefundState::Refused { .. }
    ));
    assert_eq!(quota(&w, &card.id_number, "ca"), Some(99));
}

#[test]
fn coupons_and_points() {
    let w = world(63);
    let s = &w.services;
    let (user, _) = person(&w, "18600001111", "宋世奇", "19900505", 3);
    let (other, _) = person(&w, "18600002222", "李娜", "19920808", 4);
    let end = Date::parse("2025-12-31").unwrap();
    assert_err!(
        refused(&w, || s.issue_coupon(
            &user,
            &user,
            Cents(2_000),
            Cents(5_000),
            end
        )),
        Error::Forbidden { .. }
    );
    let c = s
        .issue_coupon(STAFF, &user, Cents(2_000), Cents(5_000), end)
        .unwrap();
    let items = pkg(packages::PERSON_CA);

    assert_err!(
        refused(&w, || s.order_packages(
            &other,
            &Holder::Person,
            PLATFORM,
            &items,
            Some(&c.code)
        )),
        Error::NotFound { what: "coupon", .. }
    );
    let o = s
        .order_packages(&user, &Holder::Person, PLATFORM, &items, Some(&c.code))
        .unwrap();
    assert_eq!(
        (o.total, o.discount, o.due()),
        (Cents(10_000), Cents(2_000), Cents(8_000))
    );
    assert_eq!(
        s.coupons(&user).unwrap()[0].used_on.as_deref(),
        Some(o.number.as_str())
    );
    assert_err!(
        refused(&w, || s.order_packages(&user, &Holder::Person, PLATFORM, &items, Some(&c.code))),
        Error::InvalidState { entity: "coupon", state, action: "use" } if state.starts_with("used on order")
    );
    assert_err!(
        refused(&w, || s.pay_order(
            &user,
            &o.number,
            PaymentMethod::Alipay,
            Cents(10_000),
            "ali"
        )),
        Error::InvalidParameter { name: "amount", .. }
    );
    pay(&w, &user, &o);
    let (balance, entries) = s.points(&user).unwrap();
    assert_eq!(balance, 80, "one point per yuan paid");
    assert_eq!(entries.len(), 1);

    // A minimum, and an expiry.
    let big = s
        .issue_coupon(STAFF, &user, Cents(5_000), Cents(20_000), end)
        .unwrap();
    assert_err!(
        refused(&w, || s.order_packages(
            &user,
            &Holder::Person,
            PLATFORM,
            &items,
            Some(&big.code)
        )),
        Error::InvalidParameter { name: "coupon", .. }
    );
    let short = s
        .issue_coupon(
            STAFF,
            &user,
            Cents(1_000),
            Cents(0),
            Date::parse("2025-04-08").unwrap(),
        )
        .unwrap();
    w.clock.advance(Duration::from_secs(2 * 86_400));
    assert_err!(
        refused(&w, || s.order_packages(&user, &Holder::Person, PLATFORM, &items, Some(&short.code))),
        Error::InvalidState { entity: "coupon", state, .. } if state == "expired on 2025-04-08"
    );

    // Released when its order is cancelled (the application returned).
    let fresh_coupon = s
        .issue_coupon(STAFF, &user, Cents(3_000), Cents(0), end)
        .unwrap();
    let (app, order) = s
        .apply_certificate(
            &user,
            Holder::Person,
            Medium::Mobile,
            CertUsage::Sign,
            PLATFORM,
            &items,
            Some(&fresh_coupon.code),
        )
        .unwrap();
    assert_eq!(order.due(), Cents(7_000));
    s.return_audit(
        STAFF,
        app.audit.as_ref().unwrap(),
        ReturnKind::IncompleteInformation,
        "资料不全",
    )
    .unwrap();
    let released = s
        .coupons(&user)
        .unwrap()
        .into_iter()
        .find(|c| c.code == fresh_coupon.code)
        .unwrap();
    assert_eq!(released.used_on, None);
    let again = s
        .order_packages(
            &user,
            &Holder::Person,
            PLATFORM,
            &items,
            Some(&fresh_coupon.code),
        )
        .unwrap();
    assert_eq!(again.discount, Cents(3_000));
    assert_eq!(
        s.points(&user).unwrap().0,
        80,
        "no points for unpaid orders"
    );
}

// ----- certificates -----

#[test]
fn certificate_applications_download_and_status() {
    let w = world(71);
    let s = &w.services;
    let (user, card) = person(&w, "18600001111", "宋世奇", "19900505", 3);
    let (outsider, _) = person(&w, "18600002222", "李娜", "19920808", 4);
    let items = pkg(packages::PERSON_CA);
    let key = PrivateKey::generate(&mut StdRng::seed_from_u64(71));

    assert_err!(
        refused(&w, || s.apply_certificate(
            &user,
            Holder::Person,
            Medium::Mobile,
            CertUsage::Encrypt,
            PLATFORM,
            &items,
            None
        )),
        Error::InvalidParameter { name: "usage", .. }
    );
    let (app, order) = s
        .apply_certificate(
            &user,
            Holder::Person,
            Medium::Mobile,
            CertUsage::Sign,
            PLATFORM,
            &items,
            None,
        )
        .unwrap();
    assert!(app.audit.is_some(), "the first application is reviewed");
    assert_err!(
        refused(&w, || s.download_certificate(&user, &app.id, &key.public_key())),
        Error::InvalidState { entity: "certificate application", state, .. } if state == "open"
    );
    pay(&w, &user, &order);
    assert_err!(
        refused(&w, || s.download_certificate(&user, &app.id, &key.public_key())),
        Error::InvalidState { state, .. } if state == "open"
    );
    s.approve_audit(STAFF, app.audit.as_ref().unwrap()).unwrap();
    assert_err!(
        refused(&w, || s.download_certificate(
            &outsider,
            &app.id,
            &key.public_key()
        )),
        Error::NotFound { .. }
    );
    let d = s
        .download_certificate(&user, &app.id, &key.public_key())
        .unwrap();
    assert_eq!(d.status, UserStatus::Normal);
    assert_eq!(d.detail.name, "宋世奇");
    assert_eq!(d.certificate.public_key(), &key.public_key());
    let serial = d.certificate.serial_hex();
    assert_err!(
        refused(&w, || s.download_certificate(&user, &app.id, &key.public_key())),
        Error::InvalidState { state, .. } if state == "used"
    );
    assert_err!(
        refused(&w, || s.certificate(&outsider, &serial)),
        Error::Forbidden { .. }
    );
    let detail = s.certificate(&user, &serial).unwrap().detail;
    assert!(
        detail.id_number.contains('*'),
        "masked: {}",
        detail.id_number
    );
    assert!(detail.id_number.ends_with(&card.id_number[14..]));

    // The second one of the same holder and medium goes straight to payment.
    let (app2, order2) = s
        .apply_certificate(
            &user,
            Holder::Person,
            Medium::Mobile,
            CertUsage::Sign,
            PLATFORM,
            &items,
            None,
        )
        .unwrap();
    assert_eq!(app2.audit, None);
    pay(&w, &user, &order2);
    s.download_certificate(
        &user,
        &app2.id,
        &PrivateKey::generate(&mut StdRng::seed_from_u64(72)).public_key(),
    )
    .unwrap();
    assert!(
        s.audits_to_review(
            STAFF,
            Some(AuditKind::CertificateApplication),
            Some("pending")
        )
        .unwrap()
        .is_empty()
    );

    // Freeze by the back office shows as frozen.
    assert_err!(
        refused(&w, || s.set_certificate_state(
            &user,
            &serial,
            CertAction::Freeze
        )),
        Error::Forbidden { .. }
    );
    assert_eq!(
        s.set_certificate_state(STAFF, &serial, CertAction::Freeze)
            .unwrap(),
        UserStatus::Frozen
    );
    assert_eq!(
        s.certificate(&user, &serial).unwrap().status,
        UserStatus::Frozen
    );
    let listed = s.certificates(&user).unwrap();
    assert_eq!(listed.len(), 2);
    assert!(
        listed
            .iter()
            .any(|(h, st)| h.serial == serial && *st == UserStatus::Frozen)
    );
    assert!(
        listed
            .iter()
            .any(|(h, st)| h.serial != serial && *st == UserStatus::Normal)
    );
    assert_err!(
        refused(&w, || s.set_certificate_state(
            STAFF,
            &serial,
            CertAction::Freeze
        )),
        Error::InvalidState {
            entity: "certificate",
            ..
        }
    );
    assert_eq!(
        s.set_certificate_state(STAFF, &serial, CertAction::Unfreeze)
            .unwrap(),
        UserStatus::Normal
    );
    assert_eq!(
        s.set_certificate_state(STAFF, &serial, CertAction::Revoke)
            .unwrap(),
        UserStatus::Invalid
    );
    assert_err!(
        refused(&w, || s.set_certificate_state(
            STAFF,
            &serial,
            CertAction::Unfreeze
        )),
        Error::InvalidState {
            entity: "certificate",
            ..
        }
    );
}

#[test]
fn one_login_certificate_per_person() {
    let w = world(72);
    let s = &w.services;
    let (admin, _) = person(&w, "18600008621", "欧勇", "19850312", 1);
    let code = claim(&w, &admin, "乌鲁木齐诚悦网络科技有限公司", "MA1GGA2L0");
    let items = pkg(packages::PERSON_CA);
    assert_err!(
        refused(&w, || s.apply_certificate(
            &admin,
            Holder::Enterprise(code.clone()),
            Medium::Mobile,
            CertUsage::Login,
            PLATFORM,
            &pkg(packages::ENTERPRISE_CA),
            None
        )),
        Error::InvalidParameter { name: "usage", .. }
    );
    let (app, order) = s
        .apply_certificate(
            &admin,
            Holder::Person,
            Medium::Mobile,
            CertUsage::Login,
            PLATFORM,
            &items,
            None,
        )
        .unwrap();
    let again = || {
        s.apply_certificate(
            &admin,
            Holder::Person,
            Medium::Mobile,
            CertUsage::Login,
            PLATFORM,
            &items,
            None,
        )
    };
    assert_err!(
        refused(&w, again),
        Error::InvalidState {
            entity: "login certificate",
            action: "apply for another",
            ..
        }
    );
    pay(&w, &admin, &order);
    s.approve_audit(STAFF, app.audit.as_ref().unwrap()).unwrap();
    assert_err!(
        refused(&w, again),
        Error::InvalidState {
            entity: "login certificate",
            ..
        }
    );
    s.download_certificate(
        &admin,
        &app.id,
        &PrivateKey::generate(&mut StdRng::seed_from_u64(3)).public_key(),
    )
    .unwrap();
    assert_err!(
        refused(&w, again),
        Error::InvalidState {
            entity: "login certificate",
            ..
        }
    );
    // Another person may have one.
    let (member, _) = person(&w, "18600001111", "宋世奇", "19900505", 3);
    s.apply_certificate(
        &member,
        Holder::Person,
        Medium::Mobile,
        CertUsage::Login,
        PLATFORM,
        &items,
        None,
    )
    .unwrap();
    // Someone outside the enterprise may not apply for it.
    assert_err!(
        refused(&w, || s.apply_certificate(
            &member,
            Holder::Enterprise(code.clone()),
            Medium::Mobile,
            CertUsage::Sign,
            PLATFORM,
            &pkg(packages::ENTERPRISE_CA),
            None
        )),
        Error::Forbidden { .. }
    );
}

#[test]
fn extension_issues_a_successor_on_an_opened_platform() {
    let w = world(73);
    let s = &w.services;
    let (user, _) = person(&w, "18600001111", "宋世奇", "19900505", 3);
    let (outsider, _) = person(&w, "18600002222", "李娜", "19920808", 4);
    let (serial, _) = person_cert(&w, &user, CertUsage::Sign, 9);
    let ext = pkg(packages::PERSON_CA_EXTEND);

    assert_err!(
        refused(&w, || s
            .extend_certificate(&outsider, &serial, PLATFORM, &ext)),
        Error::Forbidden { .. }
    );
    assert_err!(
        refused(&w, || s.extend_certificate(
            &user,
            &serial,
            "C6500000001",
            &ext
        )),
        Error::InvalidParameter {
            name: "platform",
            ..
        }
    );
    assert_err!(
        refused(&w, || s.extend_certificate(
            &user,
            &serial,
            PLATFORM,
            &pkg(packages::PERSON_CA)
        )),
        Error::InvalidParameter {
            name: "packages",
            ..
        }
    );
    assert_err!(
        refused(&w, || s.extend_certificate(
            &user,
            &serial,
            PLATFORM,
            &pkg(packages::ENTERPRISE_CA_EXTEND)
        )),
        Error::InvalidParameter {
            name: "packages",
            ..
        }
    );
    let order = s
        .extend_certificate(&user, &serial, PLATFORM, &ext)
        .unwrap();
    assert_eq!(order.due(), Cents(8_000));
    assert_eq!(
        s.certificates(&user).unwrap().len(),
        1,
        "nothing before payment"
    );
    pay(&w, &user, &order);
    let certs = s.certificates(&user).unwrap();
    assert_eq!(certs.len(), 2);
    let old = certs.iter().find(|(h, _)| h.serial == serial).unwrap();
    let next = old.0.superseded_by.clone().unwrap();
    let new = certs.iter().find(|(h, _)| h.serial == next).unwrap();
    assert_eq!(new.0.superseded_by, None);
    let old_cert = s.certificate(&user, &serial).unwrap().certificate;
    let new_cert = s.certificate(&user, &next).unwrap().certificate;
    assert!(new_cert.not_after() > old_cert.not_after());
    assert_eq!(new_cert.public_key(), old_cert.public_key());
    assert_eq!(old.1, UserStatus::Normal, "the old one stays in force");
    assert_err!(
        refused(&w, || s.extend_certificate(&user, &serial, PLATFORM, &ext)),
        Error::InvalidState { entity: "certificate", state, action: "extend" } if state.contains("superseded")
    );
    // The successor extends in turn.
    s.extend_certificate(&user, &next, PLATFORM, &ext).unwrap();
}

#[test]

fn two_extension_orders_do_not_fork_the_certificate() {
    let w = world(74);
    let s = &w.services;
    let (user, _) = person(&w, "18600001111", "宋世奇", "19900505", 3);
    let (serial, _) = person_cert(&w, &user, CertUsage::Sign, 9);
    let ext = pkg(packages::PERSON_CA_EXTEND);
    let o1 = s
        .extend_certificate(&user, &serial, PLATFORM, &ext)
        .unwrap();
    let o2 = s.extend_certificate(&user, &serial, PLATFORM, &ext);
    pay(&w, &user, &o1);
    if let Ok(o2) = o2 {
        // Either the second order is refused, or paying it is.
        assert!(
            s.pay_order(&user, &o2.number, PaymentMethod::Alipay, o2.due(), "ali-2")
                .is_err()
        );
    }
    let live = s
        .certificates(&user)
        .unwrap()
        .into_iter()
        .filter(|(h, _)| h.superseded_by.is_none())
        .count();
    assert_eq!(live, 1);
}

// ----- seals -----

#[test]
fn seal_apply_collect_and_replace() {
    let w = world(81);
    let s = &w.services;
    let (admin, _) = person(&w, "18600008621", "欧勇", "19850312", 1);
    let code = claim(&w, &admin, "乌鲁木齐诚悦网络科技有限公司", "MA1GGA2L0");
    let (member, _) = person(&w, "18600001111", "宋世奇", "19900505", 3);
    join(
        &w,
        &member,
        &admin,
        join_input(&code, "欧勇", "8621", vec![]),
    );
    let ent = Holder::Enterprise(code.clone());
    let seal_pkg = pkg(packages::ENTERPRISE_SEAL);

    assert_err!(
        refused(&w, || s.apply_seal(
            &admin,
            ent.clone(),
            SealKind::PersonalSeal,
            "私章",
            PLATFORM,
            &seal_pkg,
            None
        )),
        Error::InvalidParameter {
            name: "seal kind",
            ..
        }
    );
    assert_err!(
        refused(&w, || s.apply_seal(
            &member,
            ent.clone(),
            SealKind::CompanySeal,
            "公章",
            PLATFORM,
            &seal_pkg,
            None
        )),
        Error::Forbidden { .. }
    );
    let (app, order) = s
        .apply_seal(
            &admin,
            ent.clone(),
            SealKind::CompanySeal,
            "乌鲁木齐诚悦网络科技有限公司",
            PLATFORM,
            &seal_pkg,
            None,
        )
        .unwrap();
    assert!(app.audit.is_some());
    assert_err!(
        refused(&w, || s.collect_seal(&admin, &app.id, PNG, until())),
        Error::InvalidState { entity: "seal application", state, .. } if state == "open"
    );
    s.approve_audit(STAFF, app.audit.as_ref().unwrap()).unwrap();
    pay(&w, &admin, &order);
    // The holder needs a downloaded signing certificate.
    assert_err!(
        refused(&w, || s.collect_seal(&admin, &app.id, PNG, until())),
        Error::InvalidState {
            entity: "seal holder",
            ..
        }
    );
    enterprise_cert(&w, &admin, &code, 4);
    assert_err!(
        refused(&w, || s.collect_seal(
            &admin,
            &app.id,
            b"not an image",
            until()
        )),
        Error::InvalidParameter { name: "image", .. }
    );
    assert_err!(
        refused(&w, || s.collect_seal(&member, &app.id, PNG, until())),
        Error::NotFound { .. }
    );
    let seal = s.collect_seal(&admin, &app.id, PNG, until()).unwrap();
    let book = format!("E:{code}");
    assert!(s.seal_for_use(&admin, &book, seal).is_ok());
    assert_err!(
        refused(&w, || s.collect_seal(&admin, &app.id, PNG, until())),
        Error::InvalidState { state, .. } if state == "used"
    );
    assert!(
        s.seals(&member)
            .unwrap()
            .iter()
            .any(|(b, m)| *b == book && m.id == seal)
    );

    // Replacement: the old seal stays in force until approved.
    assert_err!(
        refused(&w, || s.request_seal_replacement(
            &member,
            &book,
            seal,
            "印章磨损",
            PNG2
        )),
        Error::Forbidden { .. }
    );
    assert_err!(
        refused(&w, || s.request_seal_replacement(
            &admin,
            &book,
            seal,
            &"字".repeat(501),
            PNG2
        )),
        Error::InvalidLength {
            what: "replacement reason",
            ..
        }
    );
    let audit = s
        .request_seal_replacement(&admin, &book, seal, "印章磨损", PNG2)
        .unwrap();
    assert_err!(
        refused(&w, || s.request_seal_replacement(&admin, &book, seal, "再换", PNG2)),
        Error::InvalidState { entity: "seal", state, .. } if state == "awaiting replacement review"
    );
    s.seal_for_use(&admin, &book, seal).unwrap();
    // Returned: back to active, still in force.
    s.return_audit(STAFF, &audit, ReturnKind::DocumentsInvalid, "图片不清晰")
        .unwrap();
    s.seal_for_use(&admin, &book, seal).unwrap();
    let audit = s
        .request_seal_replacement(&admin, &book, seal, "印章磨损", PNG2)
        .unwrap();
    s.approve_audit(STAFF, &audit).unwrap();
    assert_err!(
        refused(&w, || s.seal_for_use(&admin, &book, seal)),
        Error::InvalidState { entity: "seal", state, .. } if state.starts_with("replaced by seal")
    );
    let (_, new) = s
        .seals(&admin)
        .unwrap()
        .into_iter()
        .find(|(_, m)| m.state == SealState::Active && m.kind == SealKind::CompanySeal.code())
        .unwrap();
    assert_eq!(new.image, PNG2);
    s.seal_for_use(&admin, &book, new.id).unwrap();
}

#[test]
fn personal_seal_needs_the_holders_certificate() {
    let w = world(82);
    let s = &w.services;
    let (user, _) = person(&w, "18600001111", "宋世奇", "19900505", 3);
    let (other, _) = person(&w, "18600002222", "李娜", "19920808", 4);
    assert_err!(
        refused(&w, || s.apply_seal(
            &user,
            Holder::Person,
            SealKind::CompanySeal,
            "公章",
            PLATFORM,
            &pkg(packages::PERSON_SEAL),
            None
        )),
        Error::InvalidParameter {
            name: "seal kind",
            ..
        }
    );
    let (app, order) = s
        .apply_seal(
            &user,
            Holder::Person,
            SealKind::PersonalSeal,
            "宋世奇印",
            PLATFORM,
            &pkg(packages::PERSON_SEAL),
            None,
        )
        .unwrap();
    pay(&w, &user, &order);
    s.approve_audit(STAFF, app.audit.as_ref().unwrap()).unwrap();
    assert_err!(
        refused(&w, || s.collect_seal(&user, &app.id, PNG, until())),
        Error::InvalidState {
            entity: "seal holder",
            ..
        }
    );
    assert_err!(
        refused(&w, || s.capture_signature(&user, PNG, until())),
        Error::InvalidState {
            entity: "seal holder",
            ..
        }
    );
    person_cert(&w, &user, CertUsage::Sign, 8);
    let seal = s.collect_seal(&user, &app.id, PNG, until()).unwrap();
    let book = format!("P:{user}");
    s.seal_for_use(&user, &book, seal).unwrap();
    assert_err!(
        refused(&w, || s.seal_for_use(&other, &book, seal)),
        Error::Forbidden { .. }
    );
    let sig = s.capture_signature(&user, PNG2, until()).unwrap();
    s.seal_for_use(&user, &book, sig).unwrap();
}

#[test]
fn seal_grants_in_batch_and_their_limits() {
    let w = world(83);
    let s = &w.services;
    let (admin, _) = person(&w, "18600008621", "欧勇", "19850312", 1);
    let code = claim(&w, &admin, "乌鲁木齐诚悦网络科技有限公司", "MA1GGA2L0");
    enterprise_cert(&w, &admin, &code, 5);
    let (book, seal) = enterprise_seal(&w, &admin, &code, SealKind::CompanySeal, "公章");
    let (finance_book, finance) =
        enterprise_seal(&w, &admin, &code, SealKind::FinanceSeal, "财务专用章");
    assert_eq!(book, finance_book);
    let (m1, _) = person(&w, "18600001111", "宋世奇", "19900505", 3);
    let (m2, _) = person(&w, "18600002222", "李娜", "19920808", 4);
    let (m3, _) = person(&w, "18600003333", "王五", "19800101", 5);
    let (outsider, _) = person(&w, "18600004444", "赵六", "19810202", 7);
    join(&w, &m1, &admin, join_input(&code, "欧勇", "8621", vec![]));
    join(&w, &m2, &admin, join_input(&code, "欧勇", "8621", vec![]));
    // A join asking for the finance seal is granted it for its period.
    join(
        &w,
        &m3,
        &admin,
        join_input(&code, "欧勇", "8621", vec![SealKind::FinanceSeal]),
    );
    s.seal_for_use(&m3, &book, finance).unwrap();
    assert_err!(
        refused(&w, || s.seal_for_use(&m3, &book, seal)),
        Error::Forbidden { reason, .. } if reason.contains("no grant covers")
    );

    // Outside a grant.
    assert_err!(
        refused(&w, || s.seal_for_use(&m1, &book, seal)),
        Error::Forbidden { action: "stamp with this seal", reason, .. } if reason.contains("no grant covers")
    );
    assert_err!(
        refused(&w, || s.seal_for_use(&outsider, &book, seal)),
        Error::Forbidden { reason, .. } if reason.contains("not a member")
    );
    s.seal_for_use(&admin, &book, seal).unwrap();

    let p = period("2025-04-07", "2025-04-08");
    assert_err!(
        refused(&w, || s.grant_seals(&m1, &code, &[seal], &[m1.as_str()], p)),
        Error::Forbidden {
            action: "grant seals",
            ..
        }
    );
    assert_err!(
        refused(&w, || s.grant_seals(
            &admin,
            &code,
            &[seal],
            &[m1.as_str(), outsider.as_str()],
            p
        )),
        Error::NotFound { what: "member", .. }
    );
    assert_err!(
        refused(&w, || s.grant_seals(&admin, &code, &[], &[m1.as_str()], p)),
        Error::InvalidParameter { name: "grant", .. }
    );
    let ids = s
        .grant_seals(
            &admin,
            &code,
            &[seal, finance],
            &[m1.as_str(), m2.as_str()],
            p,
        )
        .unwrap();
    assert_eq!(ids.len(), 4, "two seals to two members");
    assert_err!(
        refused(&w, || s.grants(&m1, &code)),
        Error::Forbidden { .. }
    );
    let grants = s.grants(&admin, &code).unwrap();
    assert_eq!(grants.len(), 5);
    for m in [&m1, &m2] {
        s.seal_for_use(m, &book, seal).unwrap();
        s.seal_for_use(m, &book, finance).unwrap();
    }

    // Cancelled.
    let g = grants
        .iter()
        .find(|g| g.member == m1 && g.seal == seal)
        .unwrap()
        .id;
    assert_err!(
        refused(&w, || s.cancel_grant(&m1, &code, g)),
        Error::Forbidden { .. }
    );
    s.cancel_grant(&admin, &code, g).unwrap();
    assert_err!(
        refused(&w, || s.seal_for_use(&m1, &book, seal)),
        Error::Forbidden { reason, .. } if reason.contains("cancelled")
    );
    s.seal_for_use(&m1, &book, finance).unwrap();
    assert_err!(
        refused(&w, || s.cancel_grant(&admin, &code, g)),
        Error::InvalidState { entity: "grant", state, .. } if state == "cancelled"
    );

    // A removed member's grants stop working.
    s.remove_member(&admin, &code, &m2).unwrap();
    assert_err!(
        refused(&w, || s.seal_for_use(&m2, &book, seal)),
        Error::Forbidden { reason, .. } if reason.contains("not a member")
    );

    // After the period.
    w.clock.advance(Duration::from_secs(2 * 86_400));
    assert_err!(
        refused(&w, || s.seal_for_use(&m1, &book, finance)),
        Error::Forbidden { reason, .. } if reason.contains("no grant covers")
    );
    s.seal_for_use(&admin, &book, seal).unwrap();
}

// ----- content -----

#[test]
fn messages_filter_and_link() {
    let w = world(91);
    let s = &w.services;
    let (user, _) = person(&w, "18600001111", "宋世奇", "19900505", 3);
    let (other, _) = person(&w, "18600002222", "李娜", "19920808", 4);
    let order = s
        .order_packages(
            &user,
            &Holder::Person,
            PLATFORM,
            &pkg(packages::PERSON_CA),
            None,
        )
        .unwrap();
    assert_err!(
        refused(&w, || s.broadcast(&user, "公告", "内容")),
        Error::Forbidden { .. }
    );
    w.clock.advance(Duration::from_secs(2 * 86_400));
    s.broadcast(STAFF, "系统维护通知", "4月9日晚系统维护")
        .unwrap();

    let all = s.messages(&user, &Filter::default()).unwrap();
    assert!(all.len() >= 3, "{all:?}");
    assert_eq!(all[0].kind, MessageKind::System, "newest first");
    let system = s
        .messages(
            &user,
            &Filter {
                kind: Some(MessageKind::System),
                ..Filter::default()
            },
        )
        .unwrap();
    assert_eq!(system.len(), 1);
    let platform = s
        .messages(
            &user,
            &Filter {
                kind: Some(MessageKind::Platform),
                ..Filter::default()
            },
        )
        .unwrap();
    assert_eq!(platform.len() + 1, all.len());
    assert!(platform.iter().all(|m| m.user == user));
    let day = |d: &str| Some(DateRange::parse("dates", d, d).unwrap());
    let first_day = s
        .messages(
            &user,
            &Filter {
                dates: day("2025-04-07"),
                ..Filter::default()
            },
        )
        .unwrap();
    assert_eq!(first_day.len(), platform.len());
    let later = s
        .messages(
            &user,
            &Filter {
                dates: day("2025-04-09"),
                ..Filter::default()
            },
        )
        .unwrap();
    assert_eq!(later.len(), 1);
    let search = s
        .messages(
            &user,
            &Filter {
                search: Some("待支付".into()),
                ..Filter::default()
            },
        )
        .unwrap();
    assert_eq!(search.len(), 1);

    // Reading links to the module and marks it read.
    let m = &search[0];
    assert!(!m.read);
    assert_eq!(
        s.read_message(&user, &m.id).unwrap(),
        (Module::Orders, order.number.clone())
    );
    assert!(
        s.messages(&user, &Filter::default())
            .unwrap()
            .iter()
            .find(|x| x.id == m.id)
            .unwrap()
            .read
    );
    assert_err!(
        refused(&w, || s.read_message(&other, &m.id)),
        Error::NotFound {
            what: "message",
            ..
        }
    );
    // A system notice is read by everyone.
    assert_eq!(
        s.read_message(&other, &system[0].id).unwrap().0,
        Module::Account
    );
}

#[test]
fn articles_search() {
    let w = world(92);
    let s = &w.services;
    assert_err!(
        refused(&w, || s.publish_article(
            "路人",
            ArticleKind::Notice,
            "标题",
            "正文"
        )),
        Error::Forbidden { .. }
    );
    assert_err!(
        refused(&w, || s.publish_article(
            STAFF,
            ArticleKind::Notice,
            "",
            "正文"
        )),
        Error::InvalidLength { what: "title", .. }
    );
    s.publish_article(
        STAFF,
        ArticleKind::Notice,
        "关于证书延期的通知",
        "证书到期前请及时延期",
    )
    .unwrap();
    w.clock.advance(Duration::from_secs(60));
    s.publish_article(STAFF, ArticleKind::Notice, "春节放假安排", "客服热线照常")
        .unwrap();
    s.publish_article(
        STAFF,
        ArticleKind::Guide,
        "如何下载证书",
        "在证书管理中点击下载",
    )
    .unwrap();
    let notices = s.articles(ArticleKind::Notice, None).unwrap();
    assert_eq!(notices.len(), 2);
    assert_eq!(notices[0].title, "春节放假安排", "newest first");
    let found = s.articles(ArticleKind::Notice, Some(" 证书 ")).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].title, "关于证书延期的通知");
    assert_eq!(
        s.articles(ArticleKind::Notice, Some("热线")).unwrap().len(),
        1,
        "body searched"
    );
    assert_eq!(
        s.articles(ArticleKind::Guide, Some("证书")).unwrap().len(),
        1
    );
    assert!(
        s.articles(ArticleKind::Guide, Some("放假"))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn chat_open_answer_close() {
    let w = world(93);
    let s = &w.services;
    let (user, _) = fresh(&w, "18600000301");
    let (other, _) = fresh(&w, "18600000302");
    assert_err!(
        refused(&w, || s.open_chat(&user, " ")),
        Error::InvalidLength {
            what: "chat message",
            ..
        }
    );
    let t = s.open_chat(&user, "证书下载失败").unwrap();
    w.clock.advance(Duration::from_secs(30));
    assert_err!(
        refused(&w, || s.chat_answer(&user, &t, "自问自答")),
        Error::Forbidden { .. }
    );
    assert_eq!(
        s.chat_answer(STAFF, &t, "请检查网络").unwrap(),
        ChatState::Answered
    );
    w.clock.advance(Duration::from_secs(30));
    assert_err!(
        refused(&w, || s.chat_post(&other, &t, "插话")),
        Error::Forbidden { .. }
    );
    assert_eq!(s.chat_post(&user, &t, "还是不行").unwrap(), ChatState::Open);
    assert_err!(
        refused(&w, || s.chat_close(&other, &t)),
        Error::Forbidden { .. }
    );
    s.chat_close(&user, &t).unwrap();
    assert_err!(
        refused(&w, || s.chat_post(&user, &t, "在吗")),
        Error::InvalidState { entity: "chat thread", state, action: "post to" } if state == "closed"
    );
    assert_err!(
        refused(&w, || s.chat_answer(STAFF, &t, "在的")),
        Error::InvalidState { state, .. } if state == "closed"
    );
    assert_err!(
        refused(&w, || s.chat_close(STAFF, &t)),
        Error::InvalidState { state, action: "close", .. } if state == "closed"
    );
    let thread = &s.chats(&user).unwrap()[0];
    assert_eq!(thread.state, ChatState::Closed);
    assert_eq!(thread.messages.len(), 3);
    assert!(thread.messages[0].at < thread.messages[1].at);
    assert!(thread.messages[1].at < thread.messages[2].at);
    // The staff may close a user's thread too.
    let t2 = s.open_chat(&user, "发票问题").unwrap();
    s.chat_close(STAFF, &t2).unwrap();
    assert_eq!(s.hotline(), "400-880-1234");
}

#[test]
fn update_check() {
    let w = world(94);
    let s = &w.services;
    assert_eq!(s.check_update("2.4.0").unwrap(), UpdateCheck::UpToDate);
    assert_eq!(s.check_update("2.5.1").unwrap(), UpdateCheck::UpToDate);
    assert_eq!(
        s.check_update("2.3.9").unwrap(),
        UpdateCheck::Available(Version(2, 4, 0))
    );
    assert_eq!(
        s.check_update("2.0.0").unwrap(),
        UpdateCheck::Available(Version(2, 4, 0))
    );
    assert_eq!(
        s.check_update("1.9.9").unwrap(),
        UpdateCheck::Required(Version(2, 4, 0))
    );
    for bad in ["2.4", "v2.4.0", "2.4.x", ""] {
        assert_err!(
            s.check_update(bad).unwrap_err(),
            Error::InvalidParameter {
                name: "installed version",
                ..
            }
        );
    }
}

#[test]
fn addresses_keep_one_default() {
    let w = world(95);
    let s = &w.services;
    let (user, _) = fresh(&w, "18600000401");
    let mut bad = addr(false);
    bad.phone = "010-12345678".into();
    assert_err!(
        refused(&w, || s.add_address(&user, bad)),
        Error::InvalidParameter {
            name: "recipient phone",
            ..
        }
    );
    let a1 = s.add_address(&user, addr(false)).unwrap();
    assert!(a1.default, "the first one is the default");
    let a2 = s.add_address(&user, addr(false)).unwrap();
    assert!(!a2.default);
    let a3 = s.add_address(&user, addr(true)).unwrap();
    let defaults = |w: &Reference<AnyStore>| -> Vec<String> {
        w.services
            .addresses(&user)
            .unwrap()
            .into_iter()
            .filter(|a| a.default)
            .map(|a| a.id)
            .collect()
    };
    assert_eq!(defaults(&w), vec![a3.id.clone()]);
    assert_eq!(s.addresses(&user).unwrap()[0].id, a3.id, "default first");
    s.update_address(&user, &a2.id, addr(true)).unwrap();
    assert_eq!(defaults(&w), vec![a2.id.clone()]);
    s.delete_address(&user, &a2.id).unwrap();
    let left = defaults(&w);
    assert_eq!(left.len(), 1, "deleting the default promotes another");
    assert!(left[0] == a1.id || left[0] == a3.id);
    let (other, _) = fresh(&w, "18600000402");
    assert_err!(
        refused(&w, || s.delete_address(&other, &a1.id)),
        Error::NotFound {
            what: "address",
            ..
        }
    );
    s.delete_address(&user, &a1.id).unwrap();
    s.delete_address(&user, &a3.id).unwrap();
    assert!(s.addresses(&user).unwrap().is_empty());
}

#[test]
fn invoice_titles_need_an_email_and_keep_one_default() {
    let w = world(96);
    let s = &w.services;
    let (user, _) = fresh(&w, "18600000501");
    let code = reference::credit_code("MA1GGA2L0").unwrap();
    let ent = || TitleKind::Enterprise {
        credit_code: code.clone(),
    };
    assert_err!(
        refused(&w, || s.add_invoice_title(
            &user,
            title("乌鲁木齐诚悦网络科技有限公司", "", ent(), false)
        )),
        Error::InvalidLength {
            what: "email",
            actual: 0,
            ..
        }
    );
    assert_err!(
        refused(&w, || s.add_invoice_title(
            &user,
            title(
                "乌鲁木齐诚悦网络科技有限公司",
                "finance.example.cn",
                ent(),
                false
            )
        )),
        Error::InvalidParameter { name: "email", .. }
    );
    let mut bad = title("乌鲁木齐诚悦网络科技有限公司", "a@b.cn", ent(), false);
    bad.kind = TitleKind::Enterprise {
        credit_code: "91650100MA1GGA2L0".into(),
    };
    assert_err!(
        refused(&w, || s.add_invoice_title(&user, bad)),
        Error::InvalidLength {
            what: "unified social credit code",
            ..
        }
    );
    let mut bad = title("乌鲁木齐诚悦网络科技有限公司", "a@b.cn", ent(), false);
    bad.account = Some("6222-0000".into());
    assert_err!(
        refused(&w, || s.add_invoice_title(&user, bad)),
        Error::InvalidParameter {
            name: "bank account",
            ..
        }
    );

    let t1 = s
        .add_invoice_title(
            &user,
            title(
                "乌鲁木齐诚悦网络科技有限公司",
                "finance@chengyue.cn",
                ent(),
                false,
            ),
        )
        .unwrap();
    assert!(t1.default);
    let t2 = s
        .add_invoice_title(
            &user,
            title("宋世奇", "song@example.cn", TitleKind::Personal, true),
        )
        .unwrap();
    let t3 = s
        .add_invoice_title(
            &user,
            title(
                "新疆某某商贸有限公司",
                "shangmao@example.cn",
                TitleKind::Personal,
                false,
            ),
        )
        .unwrap();
    let all = s.invoice_titles(&user, None).unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all.iter().filter(|t| t.default).count(), 1);
    assert_eq!(all[0].id, t2.id);
    let by_name = s.invoice_titles(&user, Some("诚悦")).unwrap();
    assert_eq!(by_name.len(), 1);
    assert_eq!(by_name[0].id, t1.id);
    let by_code = s.invoice_titles(&user, Some(&code[8..])).unwrap();
    assert_eq!(by_code.len(), 1);
    assert_eq!(by_code[0].id, t1.id);
    assert_eq!(s.invoice_titles(&user, Some("有限公司")).unwrap().len(), 2);

    s.delete_invoice_title(&user, &t2.id).unwrap();
    let left = s.invoice_titles(&user, None).unwrap();
    assert_eq!(left.len(), 2);
    assert_eq!(
        left.iter().filter(|t| t.default).count(),
        1,
        "another is promoted"
    );
    s.update_invoice_title(
        &user,
        &t3.id,
        title(
            "新疆某某商贸有限公司",
            "shangmao@example.cn",
            TitleKind::Personal,
            true,
        ),
    )
    .unwrap();
    let left = s.invoice_titles(&user, None).unwrap();
    assert_eq!(
        left.iter()
            .filter(|t| t.default)
            .map(|t| t.id.clone())
            .collect::<Vec<_>>(),
        vec![t3.id.clone()]
    );
}

#[test]
fn refused_claim_and_join_keep_the_audit_queue_clean() {
    // A refusal inside a commit leaves no half-made audit or order behind,
    // and the ids it drew from sequences do not surface anywhere.
    let w = world(97);
    let s = &w.services;
    let (admin, _) = person(&w, "18600008621", "欧勇", "19850312", 1);
    let code = claim(&w, &admin, "乌鲁木齐诚悦网络科技有限公司", "MA1GGA2L0");
    let (member, _) = person(&w, "18600001111", "宋世奇", "19900505", 3);
    let mut bad = join_input(&code, "欧勇", "8621", vec![]);
    bad.packages = pkg(packages::ENTERPRISE_CA);
    assert_err!(
        refused(&w, || s.join_enterprise(&member, bad)),
        Error::InvalidParameter {
            name: "packages",
            ..
        }
    );
    let mut none = join_input(&code, "欧勇", "8621", vec![]);
    none.packages.clear();
    assert_err!(
        refused(&w, || s.join_enterprise(&member, none)),
        Error::InvalidParameter {
            name: "packages",
            ..
        }
    );
    assert!(s.audits_to_review(&admin, None, None).unwrap().is_empty());
    assert!(s.orders(&member, OrderFilter::All).unwrap().is_empty());
    assert_eq!(s.my_platforms(&member).unwrap().len(), 0);
    join(
        &w,
        &member,
        &admin,
        join_input(&code, "欧勇", "8621", vec![]),
    );
    let platforms = s.my_platforms(&member).unwrap();
    assert_eq!(platforms.len(), 1);
    assert!(platforms[0].quotas.iter().any(|q| q.holder == code));
    assert!(
        platforms[0]
            .quotas
            .iter()
            .any(|q| q.holder_name == "宋世奇" && q.remaining == 100)
    );
}

// ----- the rules behind money and review, as fixed after review -----

#[test]
fn only_the_administrator_reviews_join_requests_not_the_back_office() {
    let w = world(71);
    let s = &w.services;
    let (admin, _) = person(&w, "18600008621", "欧勇", "19850312", 1);
    let code = claim(&w, &admin, "乌鲁木齐诚悦网络科技有限公司", "MA1GGA2L0");
    let (member, _) = person(&w, "18600001111", "宋世奇", "19900505", 3);
    let (app, _) = s
        .join_enterprise(&member, join_input(&code, "欧勇", "8621", vec![]))
        .unwrap();
    let audit = app.audit.unwrap();
    assert_err!(
        refused(&w, || s.approve_audit(STAFF, &audit)),
        Error::Forbidden {
            action: "review this request",
            ..
        }
    );
    // And an administrator cannot decide the back office's audits.
    let (claim_app, _) = s
        .claim_enterprise(
            &member,
            claim_input(
                "喀什明远商贸有限公司",
                &reference::credit_code("MA1HJK771").unwrap(),
            ),
        )
        .unwrap();
    assert_err!(
        refused(&w, || s
            .approve_audit(&admin, claim_app.audit.as_ref().unwrap())),
        Error::Forbidden { .. }
    );
}

#[test]
fn an_application_credits_its_uses_only_when_it_takes_effect() {
    let w = world(72);
    let s = &w.services;
    let (admin, _) = person(&w, "18600008621", "欧勇", "19850312", 1);
    let code = reference::credit_code("MA1GGA2L0").unwrap();
    let (app, order) = s
        .claim_enterprise(&admin, claim_input("乌鲁木齐诚悦网络科技有限公司", &code))
        .unwrap();
    let paid = pay(&w, &admin, &order);
    assert!(!paid.credited);
    assert_eq!(
        quota(&w, &code, "ca"),
        None,
        "usable before the review passed"
    );
    // Returned after payment: the money goes back through a refund request,
    // and nothing was ever usable.
    s.return_audit(
        STAFF,
        app.audit.as_ref().unwrap(),
        ReturnKind::DocumentsInvalid,
        "营业执照不清晰",
    )
    .unwrap();
    let o = s.order(&admin, &order.number).unwrap();
    assert!(matches!(
        o.refund.as_ref().map(|r| &r.state),
        Some(RefundState::Requested)
    ));
    let settled = s.settle_refund(STAFF, &order.number, true).unwrap();
    assert!(matches!(
        settled.refund.map(|r| r.state),
        Some(RefundState::Refunded { .. })
    ));
    assert_eq!(quota(&w, &code, "ca"), None);
    let (points, entries) = s.points(&admin).unwrap();
    assert_eq!(
        points, 0,
        "points of a refunded order are taken back: {entries:?}"
    );
    assert!(s.my_enterprises(&admin).unwrap().is_empty());
}

#[test]
fn a_consumed_refund_is_refused_with_a_message() {
    let w = world(73);
    let s = &w.services;
    let (admin, _) = person(&w, "18600008621", "欧勇", "19850312", 1);
    let code = claim(&w, &admin, "乌鲁木齐诚悦网络科技有限公司", "MA1GGA2L0");
    let o = s
        .order_packages(
            &admin,
            &Holder::Enterprise(code.clone()),
            PLATFORM,
            &pkg(packages::ENTERPRISE_SEAL),
            None,
        )
        .unwrap();
    pay(&w, &admin, &o);
    // Spend all but a few of the seal uses so that the refund's take fails.
    let total = quota(&w, &code, "seal").unwrap();
    let key = QuotaKey {
        holder: code.clone(),
        platform: PLATFORM.into(),
        institution: "seal",
    };
    for i in 0..(total - 10) {
        let mut tid = [0u8; 16];
        tid[..8].copy_from_slice(&i.to_be_bytes());
        assert!(matches!(
            charge(s.store(), &key, &tid).unwrap(),
            Ok(Charge::Charged { .. })
        ));
    }
    s.request_refund(&admin, &o.number, "买多了").unwrap();
    let settled = s.settle_refund(STAFF, &o.number, true).unwrap();
    assert!(matches!(
        settled.refund.map(|r| r.state),
        Some(RefundState::Refused { .. })
    ));
    assert_eq!(
        quota(&w, &code, "seal"),
        Some(10),
        "a refused refund takes nothing"
    );
    let msgs = s.messages(&admin, &Filter::default()).unwrap();
    assert!(
        msgs.iter()
            .any(|m| m.title == "退费结果" && m.body.contains("退费未通过")),
        "{msgs:?}"
    );
}

#[test]
fn unpaid_platform_orders_can_be_cancelled_application_orders_cannot() {
    let w = world(74);
    let s = &w.services;
    let (user, _) = person(&w, "18600008621", "欧勇", "19850312", 1);
    let o = s
        .order_packages(
            &user,
            &Holder::Person,
            PLATFORM,
            &pkg(packages::PERSON_SEAL),
            None,
        )
        .unwrap();
    s.cancel_unpaid_order(&user, &o.number).unwrap();
    assert_err!(
        refused(&w, || s.cancel_unpaid_order(&user, &o.number)),
        Error::InvalidState { state, .. } if state == "cancelled"
    );
    assert_err!(
        refused(&w, || pay_result(&w, &user, &o)),
        Error::InvalidState { state, .. } if state == "cancelled"
    );
    let (_, app_order) = s
        .apply_certificate(
            &user,
            Holder::Person,
            Medium::Mobile,
            CertUsage::Sign,
            PLATFORM,
            &pkg(packages::PERSON_CA),
            None,
        )
        .unwrap();
    assert_err!(
        refused(&w, || s.cancel_unpaid_order(&user, &app_order.number)),
        Error::InvalidState { .. }
    );
}

fn pay_result(w: &Reference<AnyStore>, user: &str, order: &Order) -> yizhengtong::Result<Order> {
    w.services.pay_order(
        user,
        &order.number,
        PaymentMethod::Alipay,
        order.due(),
        "ali-x",
    )
}

#[test]
fn deregistering_withdraws_open_join_requests() {
    let w = world(75);
    let s = &w.services;
    let (admin, _) = person(&w, "18600008621", "欧勇", "19850312", 1);
    let code = claim(&w, &admin, "乌鲁木齐诚悦网络科技有限公司", "MA1GGA2L0");
    let (member, _) = person(&w, "18600001111", "宋世奇", "19900505", 3);
    let (app, order) = s
        .join_enterprise(&member, join_input(&code, "欧勇", "8621", vec![]))
        .unwrap();
    s.approve_audit(&admin, app.audit.as_ref().unwrap())
        .unwrap();
    // Approved but unpaid when the enterprise goes.
    s.deregister_enterprise(&admin, &code).unwrap();
    let o = s.order(&member, &order.number).unwrap();
    assert!(matches!(o.state, OrderState::Cancelled { .. }), "{o:?}");
    assert_err!(
        refused(&w, || pay_result(&w, &member, &order)),
        Error::InvalidState { state, .. } if state == "cancelled"
    );
    let msgs = s.messages(&member, &Filter::default()).unwrap();
    assert!(msgs.iter().any(|m| m.title == "申请已撤回"), "{msgs:?}");
}
