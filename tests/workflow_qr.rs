//! QR authorisations through the workflows: the platform's verifier and
//! the services share one store, so the quotas orders buy are the quotas
//! scans charge, the grant check guards the seal action, certificate
//! states come from the CA records, and the scan report follows §15.9.

mod common;
use common::charge::charge;
use rand::SeedableRng;
use rand::rngs::StdRng;
use yizhengtong::cert::{CertUsage, Certificate, Medium};
use yizhengtong::crypto::{PrivateKey, sm3};
use yizhengtong::domain::application::{Holder, JoinVia};
use yizhengtong::domain::enterprise::{EnterpriseData, EnterpriseKind, LegalRep};
use yizhengtong::domain::holding::SealBookRow;
use yizhengtong::domain::order::{Order, PaymentMethod};
use yizhengtong::domain::{DateRange, Document};
use yizhengtong::qr::{
    ActionInput, Identity, QrStore, QuotaKey, Reason, Request, Verification, respond, scan,
};
use yizhengtong::seal::SealKind;
use yizhengtong::store::AnyStore;
use yizhengtong::time::Date;
use yizhengtong::workflow::reference::{self, PLATFORM, PlatformSide, Reference, STAFF, packages};
use yizhengtong::workflow::{CertAction, ClaimInput, Clock, JoinInput};
use yizhengtong::{Error, Result};

fn pkg(id: &str) -> Vec<(String, u32)> {
    vec![(id.to_string(), 1)]
}

fn pay(w: &Reference<AnyStore>, user: &str, o: &Order) {
    w.services
        .pay_order(user, &o.number, PaymentMethod::WeChatPay, o.due(), "wx")
        .unwrap();
}

/// A certificate applied for, paid, approved when reviewed, downloaded.
fn certificate(
    w: &Reference<AnyStore>,
    user: &str,
    holder: Holder,
    package: &str,
    seed: u64,
) -> (Certificate, PrivateKey) {
    let s = &w.services;
    let (app, o) = s
        .apply_certificate(
            user,
            holder,
            Medium::Mobile,
            CertUsage::Sign,
            PLATFORM,
            &pkg(package),
            None,
        )
        .unwrap();
    pay(w, user, &o);
    if let Some(a) = &app.audit {
        s.approve_audit(STAFF, a).unwrap();
    }
    let key = PrivateKey::generate(&mut StdRng::seed_from_u64(seed));
    let d = s
        .download_certificate(user, &app.id, &key.public_key())
        .unwrap();
    (d.certificate, key)
}

struct Firm {
    w: Reference<AnyStore>,
    platform: PlatformSide<AnyStore>,
    code: String,
    admin: String,
    member: String,
    member_cert: Certificate,
    member_key: PrivateKey,
    seal_id: u64,
}

fn firm(seed: u64) -> Firm {
    let w = Reference::for_tests(seed).unwrap();
    let s = &w.services;
    let admin = w
        .verified_user(
            "18600008621",
            &reference::id_card("欧勇", "19850312", 1).unwrap(),
        )
        .unwrap();
    let code = reference::credit_code("MA1GGA2L0").unwrap();
    let (app, o) = s
        .claim_enterprise(
            &admin,
            ClaimInput {
                data: EnterpriseData {
                    kind: EnterpriseKind::Enterprise,
                    name: "乌鲁木齐诚悦网络科技有限公司".into(),
                    credit_code: code.clone(),
                    legal: LegalRep {
                        name: "邱秀芳".into(),
                        id_number: reference::id_card("邱秀芳", "19700101", 2)
                            .unwrap()
                            .id_number,
                        phone: "18600008888".into(),
                    },
                    licence: Document::upload("business licence", b"licence").unwrap(),
                    letter: Document::upload("authorisation letter", b"letter").unwrap(),
                },
                platform: PLATFORM.into(),
                packages: vec![(packages::ENTERPRISE_SEAL.into(), 1)],
                coupon: None,
            },
        )
        .unwrap();
    s.approve_audit(STAFF, app.audit.as_ref().unwrap()).unwrap();
    pay(&w, &admin, &o);
    let member = w
        .verified_user(
            "18600001111",
            &reference::id_card("宋世奇", "19900505", 3).unwrap(),
        )
        .unwrap();
    let today = Date::from_time(w.clock.now());
    let (japp, jo) = s
        .join_enterprise(
            &member,
            JoinInput {
                enterprise: code.clone(),
                via: JoinVia::Verification,
                admin_name: "欧勇".into(),
                admin_phone_last_four: "8621".into(),
                platform: PLATFORM.into(),
                packages: pkg(packages::PERSON_CA),
                seals: vec![],
                period: DateRange::new("period", today, today.add_days(30)).unwrap(),
            },
        )
        .unwrap();
    s.approve_audit(&admin, japp.audit.as_ref().unwrap())
        .unwrap();
    pay(&w, &member, &jo);
    let (member_cert, member_key) = certificate(
        &w,
        &member,
        Holder::Enterprise(code.clone()),
        packages::ENTERPRISE_CA,
        seed + 1,
    );
    let (sapp, so) = s
        .apply_seal(
            &admin,
            Holder::Enterprise(code.clone()),
            SealKind::ContractSeal,
            "合同专用章",
            PLATFORM,
            &pkg(packages::ENTERPRISE_SEAL),
            None,
        )
        .unwrap();
    pay(&w, &admin, &so);
    s.approve_audit(STAFF, sapp.audit.as_ref().unwrap())
        .unwrap();
    let seal_id = s
        .collect_seal(
            &admin,
            &sapp.id,
            b"\x89PNG\r\n\x1a\n contract seal",
            today.add_days(365),
        )
        .unwrap();
    let platform = w.platform(seed + 2).unwrap();
    Firm {
        w,
        platform,
        code,
        admin,
        member,
        member_cert,
        member_key,
        seal_id,
    }
}

fn quota(f: &Firm, holder: &str, institution: &'static str) -> Option<u64> {
    f.w.services
        .store()
        .quota(&QuotaKey {
            holder: holder.into(),
            platform: PLATFORM.into(),
            institution,
        })
        .unwrap()
}

/// Issue a challenge, answer it as `member` acting for `enterprise`, verify.
fn authorise(
    f: &Firm,
    member: &str,
    enterprise: Option<&str>,
    cert: &Certificate,
    key: &PrivateKey,
    request: Request<'_>,
    input: ActionInput<'_>,
) -> Result<Verification> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let mut rng = StdRng::seed_from_u64(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    let now = f.w.clock.now();
    let challenge = f.platform.verifier.issue(request, now, &mut rng)?;
    let (scanned, view) = scan(&challenge.to_text(), &f.platform.registry, now)?;
    let identity = Identity {
        member,
        enterprise,
        signing_cert: cert,
        signing_key: key,
        encryption_cert: None,
        encryption_key: None,
    };
    let response = respond(&scanned, &view, &identity, input, now, &mut rng)?;
    Ok(f.platform.verifier.verify(&response.to_der(), now))
}

fn login(f: &Firm) -> Verification {
    authorise(
        f,
        &f.member,
        Some(&f.code),
        &f.member_cert,
        &f.member_key,
        Request::Login,
        ActionInput::Login,
    )
    .unwrap()
}

#[test]
fn a_scan_charges_the_quota_the_orders_bought_once() {
    let f = firm(1);
    // The enterprise's CA uses come from the member's enterprise certificate order.
    assert_eq!(quota(&f, &f.code, "ca"), Some(100));
    let v = login(&f);
    assert_eq!(v.reason, Reason::Ok, "{}", v.detail);
    assert_eq!(v.remaining, Some(99));
    assert_eq!(quota(&f, &f.code, "ca"), Some(99));
    // The person's own quota is untouched: the certificate is the enterprise's.
    let card = f.w.services.profile(&f.member).unwrap();
    let id = card.real_name.verified().unwrap().id_number.clone();
    assert_eq!(quota(&f, &id, "ca"), Some(100));
}

#[test]
fn the_seal_action_needs_a_grant() {
    let f = firm(2);
    let s = &f.w.services;
    let book = SealBookRow::enterprise_key(&f.code);
    let e = s.seal_for_use(&f.member, &book, f.seal_id).unwrap_err();
    assert!(matches!(e, Error::Forbidden { .. }), "{e:?}");
    assert!(
        s.seal_for_use(&f.admin, &book, f.seal_id).is_ok(),
        "the administrator needs no grant"
    );
    let today = Date::from_time(f.w.clock.now());
    let grants = s
        .grant_seals(
            &f.admin,
            &f.code,
            &[f.seal_id],
            &[f.member.as_str()],
            DateRange::new("period", today, today.add_days(7)).unwrap(),
        )
        .unwrap();
    let seal = s.seal_for_use(&f.member, &book, f.seal_id).unwrap();
    let document = b"contract v3".to_vec();
    let before = quota(&f, &f.code, "seal").unwrap();
    let v = authorise(
        &f,
        &f.member,
        Some(&f.code),
        &f.member_cert,
        &f.member_key,
        Request::Seal {
            digest: sm3(&document),
        },
        ActionInput::Seal {
            seal: &seal,
            document: &document,
            property: "/Doc_0/Signs/Sign_0/Signature.xml",
        },
    )
    .unwrap();
    assert_eq!(v.reason, Reason::Ok, "{}", v.detail);
    assert_eq!(quota(&f, &f.code, "seal"), Some(before - 1));
    s.cancel_grant(&f.admin, &f.code, grants[0]).unwrap();
    assert!(s.seal_for_use(&f.member, &book, f.seal_id).is_err());
    // Removing the member ends whatever grants remain.
    s.grant_seals(
        &f.admin,
        &f.code,
        &[f.seal_id],
        &[f.member.as_str()],
        DateRange::new("period", today, today.add_days(7)).unwrap(),
    )
    .unwrap();
    s.remove_member(&f.admin, &f.code, &f.member).unwrap();
    assert!(s.seal_for_use(&f.member, &book, f.seal_id).is_err());
}

#[test]
fn a_used_up_package_is_bought_anew_on_the_spot() {
    let f = firm(3);
    let s = &f.w.services;
    // A third person with a personal certificate and no package for it.
    let third =
        f.w.verified_user(
            "18600002222",
            &reference::id_card("李雨辉", "19920202", 5).unwrap(),
        )
        .unwrap();
    let (cert, key) = certificate(&f.w, &third, Holder::Person, packages::PERSON_CA, 30);
    let id = cert.subject_serial_number().unwrap();
    // Spend the personal quota down to zero through the store, then scan.
    let key_q = QuotaKey {
        holder: id.clone(),
        platform: PLATFORM.into(),
        institution: "ca",
    };
    let left = quota(&f, &id, "ca").unwrap();
    for i in 0..left {
        let mut tid = [0xEE; 16];
        tid[..8].copy_from_slice(&i.to_be_bytes());
        charge(s.store(), &key_q, &tid).unwrap().unwrap();
    }
    let v = authorise(
        &f,
        &third,
        None,
        &cert,
        &key,
        Request::Login,
        ActionInput::Login,
    )
    .unwrap();
    assert_eq!(v.reason, Reason::QuotaExhausted);
    let o = s
        .order_packages(
            &third,
            &Holder::Person,
            PLATFORM,
            &pkg(packages::PERSON_CA_EXTEND),
            None,
        )
        .unwrap();
    pay(&f.w, &third, &o);
    let v = authorise(
        &f,
        &third,
        None,
        &cert,
        &key,
        Request::Login,
        ActionInput::Login,
    )
    .unwrap();
    assert_eq!(v.reason, Reason::Ok, "{}", v.detail);
    assert_eq!(quota(&f, &id, "ca"), Some(99));
}

#[test]
fn a_frozen_certificate_is_refused_and_not_charged() {
    let f = firm(4);
    let s = &f.w.services;
    assert_eq!(login(&f).reason, Reason::Ok);
    s.set_certificate_state(STAFF, &f.member_cert.serial_hex(), CertAction::Freeze)
        .unwrap();
    let v = login(&f);
    assert_eq!(v.reason, Reason::CertificateFrozen, "{}", v.detail);
    assert_eq!(quota(&f, &f.code, "ca"), Some(99));
    s.set_certificate_state(STAFF, &f.member_cert.serial_hex(), CertAction::Unfreeze)
        .unwrap();
    assert_eq!(login(&f).reason, Reason::Ok);
    s.set_certificate_state(STAFF, &f.member_cert.serial_hex(), CertAction::Revoke)
        .unwrap();
    assert_eq!(login(&f).reason, Reason::CertificateRevoked);
    assert_eq!(quota(&f, &f.code, "ca"), Some(98));
}

#[test]
fn the_scan_report_follows_the_roles() {
    let f = firm(5);
    let s = &f.w.services;
    // A second member who never scans.
    let other =
        f.w.verified_user(
            "18600003333",
            &reference::id_card("王芳", "19930303", 4).unwrap(),
        )
        .unwrap();
    let today = Date::from_time(f.w.clock.now());
    let (app, o) = s
        .join_enterprise(
            &other,
            JoinInput {
                enterprise: f.code.clone(),
                via: JoinVia::Application {
                    reason: "新入职".into(),
                },
                admin_name: String::new(),
                admin_phone_last_four: String::new(),
                platform: PLATFORM.into(),
                packages: pkg(packages::PERSON_CA),
                seals: vec![],
                period: DateRange::new("period", today, today.add_days(30)).unwrap(),
            },
        )
        .unwrap();
    s.approve_audit(&f.admin, app.audit.as_ref().unwrap())
        .unwrap();
    pay(&f.w, &other, &o);
    for _ in 0..3 {
        assert_eq!(login(&f).reason, Reason::Ok);
    }
    let mine = s.scan_report(&f.member).unwrap();
    assert_eq!(mine.len(), 3);
    assert!(
        mine.iter()
            .all(|r| r.member == f.member && r.enterprise.as_deref() == Some(f.code.as_str()))
    );
    assert_eq!(
        s.scan_report(&f.admin).unwrap().len(),
        3,
        "the administrator sees every member's"
    );
    assert!(
        s.scan_report(&other).unwrap().is_empty(),
        "a member sees only their own"
    );
    // Handing over administration hands over the view.
    s.change_admin(&f.admin, &f.code, &other).unwrap();
    assert_eq!(s.scan_report(&other).unwrap().len(), 3);
    assert!(s.scan_report(&f.admin).unwrap().is_empty());
}
