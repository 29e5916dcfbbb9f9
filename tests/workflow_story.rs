//! The whole story through the workflow services on the in-memory backend.

use yizhengtong::cert::{CertUsage, Medium};
use yizhengtong::crypto::PrivateKey;
use yizhengtong::domain::application::{Holder, JoinVia};
use yizhengtong::domain::enterprise::{EnterpriseData, EnterpriseKind, LegalRep};
use yizhengtong::domain::order::PaymentMethod;
use yizhengtong::domain::{DateRange, Document};
use yizhengtong::seal::SealKind;
use yizhengtong::workflow::reference::{self, PLATFORM, Reference, STAFF, packages};
use yizhengtong::workflow::{ClaimInput, JoinInput};

fn pkg(id: &str) -> Vec<(String, u32)> {
    vec![(id.to_string(), 1)]
}

#[test]
fn claim_join_certificate_seal() {
    let w = Reference::for_tests(1).unwrap();
    let s = &w.services;
    let card = reference::id_card("欧勇", "19850312", 1).unwrap();
    let admin = w.verified_user("18600008621", &card).unwrap();
    let code = reference::credit_code("MA1GGA2L0").unwrap();
    let data = EnterpriseData {
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
        licence: Document::upload("business licence", b"licence scan").unwrap(),
        letter: Document::upload("authorisation letter", b"letter scan").unwrap(),
    };
    let (app, order) = s
        .claim_enterprise(
            &admin,
            ClaimInput {
                data,
                platform: PLATFORM.into(),
                packages: vec![
                    (packages::ENTERPRISE_CA.into(), 1),
                    (packages::ENTERPRISE_SEAL.into(), 1),
                ],
                coupon: None,
            },
        )
        .unwrap();
    s.pay_order(
        &admin,
        &order.number,
        PaymentMethod::WeChatPay,
        order.due(),
        "wx-1",
    )
    .unwrap();
    assert!(s.my_enterprises(&admin).unwrap().is_empty());
    let audit = app.audit.clone().unwrap();
    s.approve_audit(STAFF, &audit).unwrap();
    let err = s.approve_audit(STAFF, &audit).unwrap_err();
    assert!(err.to_string().contains("approved"), "{err}");
    let ents = s.my_enterprises(&admin).unwrap();
    assert_eq!(ents[0].admin, admin);

    // A second person joins by verification.
    let card2 = reference::id_card("宋世奇", "19900505", 3).unwrap();
    let member = w.verified_user("18600001111", &card2).unwrap();
    assert!(s.search_enterprises(&member, "乌鲁木齐").is_err());
    let found = s.search_enterprises(&member, "乌鲁木齐诚悦").unwrap();
    assert_eq!(found.len(), 1);
    let period = DateRange::parse("period", "2025-04-11", "2025-04-30").unwrap();
    let join = |digits: &str| JoinInput {
        enterprise: code.clone(),
        via: JoinVia::Verification,
        admin_name: "欧勇".into(),
        admin_phone_last_four: digits.into(),
        platform: PLATFORM.into(),
        packages: pkg(packages::PERSON_CA),
        seals: vec![SealKind::CompanySeal],
        period,
    };
    assert!(s.join_enterprise(&member, join("1234")).is_err());
    let (japp, jorder) = s.join_enterprise(&member, join("8621")).unwrap();
    assert!(
        s.approve_audit(&member, japp.audit.as_ref().unwrap())
            .is_err()
    );
    s.approve_audit(&admin, japp.audit.as_ref().unwrap())
        .unwrap();
    s.pay_order(
        &member,
        &jorder.number,
        PaymentMethod::Alipay,
        jorder.due(),
        "ali-1",
    )
    .unwrap();
    assert!(s.enterprise(&member, &code).unwrap().is_member(&member));

    // A personal certificate: first time reviewed.
    let (capp, corder) = s
        .apply_certificate(
            &member,
            Holder::Person,
            Medium::Mobile,
            CertUsage::Sign,
            PLATFORM,
            &pkg(packages::PERSON_CA),
            None,
        )
        .unwrap();
    assert!(capp.audit.is_some());
    s.pay_order(
        &member,
        &corder.number,
        PaymentMethod::Alipay,
        corder.due(),
        "ali-2",
    )
    .unwrap();
    let key = PrivateKey::generate(&mut rand::rng());
    assert!(
        s.download_certificate(&member, &capp.id, &key.public_key())
            .is_err()
    );
    s.approve_audit(STAFF, capp.audit.as_ref().unwrap())
        .unwrap();
    let d = s
        .download_certificate(&member, &capp.id, &key.public_key())
        .unwrap();
    assert_eq!(d.detail.name, "宋世奇");
    assert!(!s.my_platforms(&member).unwrap().is_empty());
    let log = s.operation_log(&member, &Default::default()).unwrap();
    assert!(log.len() >= 4, "{log:?}");
}
