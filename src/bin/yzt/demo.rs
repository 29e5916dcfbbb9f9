//! `yzt demo`: the whole story on the in-memory backend — two people,
//! an enterprise, certificates, seals, a trading platform's QR codes for
//! all six actions, money, a frozen certificate, the reports and logs.

use std::time::{Duration, Instant};

use yizhengtong::Error;
use yizhengtong::cert::{CertUsage, Certificate, CertificateWallet, Medium};
use yizhengtong::crypto::container::ContainerParams;
use yizhengtong::crypto::{CiphertextFormat, PrivateKey, sm3};
use yizhengtong::domain::application::{Holder, JoinVia};
use yizhengtong::domain::content::Filter;
use yizhengtong::domain::enterprise::{EnterpriseData, EnterpriseKind, LegalRep};
use yizhengtong::domain::order::{Order, PaymentMethod};
use yizhengtong::domain::profile::{AddressInput, InvoiceTitleInput, TitleKind};
use yizhengtong::domain::{Cents, DateRange, Document};
use yizhengtong::qr::{Action, ActionInput, Identity, Outcome, Request, respond, scan};
use yizhengtong::seal::SealKind;
use yizhengtong::store::MemoryStore;
use yizhengtong::time::Date;
use yizhengtong::workflow::reference::{self, PLATFORM, Reference, STAFF, packages};
use yizhengtong::workflow::{CertAction, ClaimInput, Clock, JoinInput, Services};

struct Steps {
    n: usize,
    total: usize,
    start: Instant,
}

impl Steps {
    fn step(&mut self, what: &str) {
        self.n += 1;
        println!(
            "[{}/{}] {what} ({:.2} s)",
            self.n,
            self.total,
            self.start.elapsed().as_secs_f64()
        );
    }
    fn detail(&self, text: impl AsRef<str>) {
        println!("      {}", text.as_ref());
    }
}

fn fail(what: impl Into<String>) -> Error {
    Error::param("demo", what.into())
}

fn pkg(id: &str) -> Vec<(String, u32)> {
    vec![(id.to_string(), 1)]
}

fn pay(
    s: &Services<MemoryStore>,
    user: &str,
    o: &Order,
    method: PaymentMethod,
) -> Result<(), Error> {
    s.pay_order(
        user,
        &o.number,
        method,
        o.due(),
        &format!("pay-{}", o.number),
    )?;
    Ok(())
}

/// A phone: its keys and the PIN wallet.
struct Phone {
    wallet: CertificateWallet,
    pin: &'static str,
}

impl Phone {
    fn download(
        &mut self,
        cert: Certificate,
        key: &PrivateKey,
        rng: &mut impl rand::CryptoRng,
    ) -> Result<(), Error> {
        let params = ContainerParams {
            iterations: 20_000,
            ..ContainerParams::default()
        };
        let confirm = (!self.wallet.pin_is_set()).then_some(self.pin);
        self.wallet
            .download(cert, key, self.pin, confirm, params, rng)?;
        Ok(())
    }
}

fn svg(text: &str) -> Vec<u8> {
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200"><circle cx="100" cy="100" r="95" fill="none" stroke="#d00" stroke-width="6"/><text x="100" y="110" text-anchor="middle" fill="#d00">{text}</text></svg>"##
    )
    .into_bytes()
}

pub fn run() -> Result<(), Error> {
    let mut rng = rand::rng();
    let mut s = Steps {
        n: 0,
        total: 12,
        start: Instant::now(),
    };
    println!("yizhengtong demo: one certificate for every trading platform (in-memory backend)\n");

    s.step("The CA's service opens: root CA, the trading platform C1100005553 and its CA and seal packages");
    let w = Reference::new(rand::random())?;
    let svc = &w.services;
    for p in svc.packages(PLATFORM)? {
        s.detail(format!("{} — {} ({} uses)", p.name, p.price, p.uses));
    }

    s.step(
        "欧勇 registers with an SMS code, accepts privacy agreement v3 and passes real-name checks",
    );
    let card = reference::id_card("欧勇", "19850312", 1)?;
    svc.request_sms_code("18600008621")?;
    let code = w.sms.last_code("18600008621").unwrap_or_default();
    s.detail(format!("SMS to 186****8621: code {code}"));
    if svc
        .login_sms("18600008621", &code, reference::DEVICE, None)
        .is_err()
    {
        s.detail("logging in without accepting the privacy agreement is refused");
    }
    w.clock.advance(Duration::from_secs(61));
    let admin = w.verified_user("18600008621", &card)?;
    s.detail(format!(
        "account {admin}: ID card {} confirmed, face check with a read-aloud number passed",
        yizhengtong::ids::mask_id_number(&card.id_number)
    ));

    s.step("欧勇 claims 乌鲁木齐诚悦网络科技有限公司: back-office review, order, payment");
    let code = reference::credit_code("MA1GGA2L0")?;
    let legal = reference::id_card("邱秀芳", "19700101", 2)?;
    let (claim, order) = svc.claim_enterprise(
        &admin,
        ClaimInput {
            data: EnterpriseData {
                kind: EnterpriseKind::Enterprise,
                name: "乌鲁木齐诚悦网络科技有限公司".into(),
                credit_code: code.clone(),
                legal: LegalRep {
                    name: legal.name.clone(),
                    id_number: legal.id_number.clone(),
                    phone: "18600008888".into(),
                },
                licence: Document::upload("business licence", b"licence scan")?,
                letter: Document::upload("authorisation letter", b"signed letter")?,
            },
            platform: PLATFORM.into(),
            packages: vec![
                (packages::ENTERPRISE_CA.into(), 1),
                (packages::ENTERPRISE_SEAL.into(), 1),
            ],
            coupon: None,
        },
    )?;
    s.detail(format!("order {} due {}", order.number, order.due()));
    svc.approve_audit(STAFF, claim.audit.as_deref().unwrap_or_default())?;
    pay(svc, &admin, &order, PaymentMethod::WeChatPay)?;
    if svc
        .pay_order(
            &admin,
            &order.number,
            PaymentMethod::WeChatPay,
            order.due(),
            "again",
        )
        .is_err()
    {
        s.detail("paying the same order again is refused");
    }
    let ent = svc.enterprise(&admin, &code)?;
    s.detail(format!(
        "{} ({}) administered by {}",
        ent.data.name, ent.data.credit_code, ent.admin_name
    ));

    s.step("宋世奇 registers, searches the enterprise, applies to join; the administrator approves; he pays");
    let card2 = reference::id_card("宋世奇", "19900505", 3)?;
    let member = w.verified_user("18600001111", &card2)?;
    if let Err(e) = svc.search_enterprises(&member, "乌鲁木齐") {
        s.detail(format!("search \"乌鲁木齐\": {e}"));
    }
    let found = svc.search_enterprises(&member, "乌鲁木齐诚悦")?;
    s.detail(format!(
        "search \"乌鲁木齐诚悦\": {} result(s)",
        found.len()
    ));
    let today = Date::from_time(w.clock.now());
    let period = DateRange::new("period", today, today.add_days(180))?;
    let (join, join_order) = svc.join_enterprise(
        &member,
        JoinInput {
            enterprise: code.clone(),
            via: JoinVia::Application {
                reason: "公司投标专员，负责电子标书签章".into(),
            },
            admin_name: String::new(),
            admin_phone_last_four: String::new(),
            platform: PLATFORM.into(),
            packages: pkg(packages::PERSON_CA),
            seals: vec![SealKind::CompanySeal],
            period,
        },
    )?;
    let pending = svc.audits_to_review(&admin, None, Some("pending"))?;
    s.detail(format!(
        "the administrator sees {} pending audit(s): {}",
        pending.len(),
        pending[0].kind.label_zh()
    ));
    svc.approve_audit(&admin, join.audit.as_deref().unwrap_or_default())?;
    pay(svc, &member, &join_order, PaymentMethod::Alipay)?;
    s.detail(format!(
        "members now: {}",
        svc.enterprise(&admin, &code)?.members.len()
    ));

    s.step("Certificates: applied for, reviewed the first time, paid, generated on the phones and downloaded with a PIN");
    let mut admin_phone = Phone {
        wallet: CertificateWallet::new(),
        pin: "246810",
    };
    let mut member_phone = Phone {
        wallet: CertificateWallet::new(),
        pin: "135790",
    };
    let issue = |who: &str,
                 phone: &mut Phone,
                 holder: Holder|
     -> Result<(Certificate, PrivateKey, Certificate, PrivateKey), Error> {
        let (app, o) = svc.apply_certificate(
            who,
            holder,
            Medium::Mobile,
            CertUsage::Sign,
            PLATFORM,
            &pkg(packages::ENTERPRISE_CA),
            None,
        )?;
        pay(svc, who, &o, PaymentMethod::WeChatPay)?;
        if let Some(a) = &app.audit {
            svc.approve_audit(STAFF, a)?;
        }
        let key = PrivateKey::generate(&mut rand::rng());
        let d = svc.download_certificate(who, &app.id, &key.public_key())?;
        let enc_key = PrivateKey::generate(&mut rand::rng());
        let e = svc.download_encryption_certificate(
            who,
            &d.certificate.serial_hex(),
            &enc_key.public_key(),
        )?;
        phone.download(d.certificate.clone(), &key, &mut rand::rng())?;
        phone.download(e.certificate.clone(), &enc_key, &mut rand::rng())?;
        Ok((d.certificate, key, e.certificate, enc_key))
    };
    let (admin_cert, _admin_key, _, _) =
        issue(&admin, &mut admin_phone, Holder::Enterprise(code.clone()))?;
    let (m_cert, m_key, m_enc, m_enc_key) =
        issue(&member, &mut member_phone, Holder::Enterprise(code.clone()))?;
    for (who, c) in [("欧勇", &admin_cert), ("宋世奇", &m_cert)] {
        let d = yizhengtong::cert::CertificateDetail::of(c)?;
        s.detail(format!(
            "{who}: {} {} serial {} valid to {}",
            d.name,
            d.cert_type,
            c.serial_hex(),
            d.expires_on
        ));
    }
    match member_phone.wallet.unlock(0, "000000") {
        Err(e) => s.detail(format!("a wrong PIN on the phone: {e}")),
        Ok(_) => return Err(fail("a wrong PIN opened the wallet")),
    }

    s.step("Seals: the company seal applied for, reviewed, paid, collected; granted to 宋世奇 for 180 days");
    let (seal_app, seal_order) = svc.apply_seal(
        &admin,
        Holder::Enterprise(code.clone()),
        SealKind::CompanySeal,
        "乌鲁木齐诚悦网络科技有限公司公章",
        PLATFORM,
        &pkg(packages::ENTERPRISE_SEAL),
        None,
    )?;
    pay(svc, &admin, &seal_order, PaymentMethod::BankTransfer)?;
    svc.approve_audit(STAFF, seal_app.audit.as_deref().unwrap_or_default())?;
    let seal_id = svc.collect_seal(&admin, &seal_app.id, &svg("诚悦公章"), today.add_days(365))?;
    let book = yizhengtong::domain::holding::SealBookRow::enterprise_key(&code);
    svc.grant_seals(&admin, &code, &[seal_id], &[member.as_str()], period)?;
    let seal = svc.seal_for_use(&member, &book, seal_id)?;
    s.detail(format!("seal 「{}」 made (GB/T 38540 v4) and bound to the enterprise's certificates; the grant lets 宋世奇 stamp", seal.info.property.name));

    s.step("The trading platform shows QR codes for all six actions; 宋世奇 scans as the enterprise; the platform verifies");
    let platform = w.platform(rand::random())?;
    let (verifier, registry) = (&platform.verifier, &platform.registry);
    let quota = |kind: &str| -> String {
        svc.my_platforms(&member)
            .ok()
            .and_then(|p| p.first().cloned())
            .map(|p| {
                p.quotas
                    .iter()
                    .filter(|q| q.holder == code && q.institution.quota_name() == kind)
                    .map(|q| q.remaining.to_string())
                    .collect::<String>()
            })
            .unwrap_or_default()
    };
    s.detail(format!(
        "enterprise quota before: CA {} uses, seal {} uses",
        quota("ca"),
        quota("seal")
    ));
    let document = "<Tender lot=\"7\" amount=\"1280000.00\"/>"
        .as_bytes()
        .to_vec();
    let message = "我确认第7标段的投标".as_bytes().to_vec();
    let document_key = b"SM4 document key".to_vec();
    let envelope =
        m_enc
            .public_key()
            .encrypt_to(&document_key, CiphertextFormat::Asn1, &mut rng)?;
    let identity = Identity {
        member: &member,
        enterprise: Some(&code),
        signing_cert: &m_cert,
        signing_key: &m_key,
        encryption_cert: Some(&m_enc),
        encryption_key: Some(&m_enc_key),
    };
    let mut login_response = None;
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
        let now = w.clock.now();
        let challenge = verifier.issue(request, now, &mut rng)?;
        let text = challenge.to_text();
        let (scanned, view) = scan(&text, registry, now)?;
        let input = match action {
            Action::Login => ActionInput::Login,
            Action::Seal => {
                // The app checks the grant before it stamps.
                svc.seal_for_use(&member, &book, seal_id)?;
                ActionInput::Seal {
                    seal: &seal,
                    document: &document,
                    property: "/Doc_0/Signs/Sign_0/Signature.xml",
                }
            }
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
        let response = respond(&scanned, &view, &identity, input, now, &mut rng)?.to_der();
        let verdict = verifier.verify(&response, now);
        if !verdict.accepted() {
            return Err(fail(format!(
                "{} refused: {}",
                action.name(),
                verdict.detail
            )));
        }
        let what = match &verdict.outcome {
            Some(Outcome::DocumentKey(k)) if k[..] == document_key[..] => {
                "document key recovered".to_string()
            }
            Some(Outcome::EncryptionCertificate(c)) => {
                format!("encryption certificate {}", c.serial_hex())
            }
            Some(Outcome::Seal(_)) => "seal signature verified".into(),
            Some(Outcome::FileSignature(c)) => {
                format!("CMS signature ({} bytes) verified", c.len())
            }
            Some(Outcome::MessageSignature(_)) => "message signature verified".into(),
            _ => "logged in".into(),
        };
        s.detail(format!(
            "{} ({}): QR {} chars 「{}」 → {what}; uses left {}",
            action.label_zh(),
            action.name(),
            text.len(),
            view.platform_name,
            verdict.remaining.unwrap_or(0)
        ));
        if action == Action::Login {
            // a second answer the phone could have made for the same code
            let second = respond(
                &scanned,
                &view,
                &identity,
                ActionInput::Login,
                now,
                &mut rng,
            )?;
            login_response = Some((response, verdict.remaining, second.to_der()));
            s.detail(format!("answer: {}", verdict.answer_json()));
        }
    }
    let Some((login_response, remaining, second)) = login_response else {
        return Err(fail("no login was authorised"));
    };
    let retry = verifier.verify(&login_response, w.clock.now());
    s.detail(format!(
        "the login response sent again (a retry after a lost answer): {:?}, told again, nothing charged (uses left {})",
        retry.reason,
        retry.remaining.unwrap_or(0)
    ));
    if !(retry.accepted() && retry.repeat && retry.remaining == remaining) {
        return Err(fail("a retried response was not told its verdict again"));
    }
    let replay = verifier.verify(&second, w.clock.now());
    s.detail(format!(
        "another response for the used login code: {:?} ({})",
        replay.reason,
        replay.reason.code()
    ));
    if replay.accepted() {
        return Err(fail("a replayed response was accepted"));
    }
    s.detail(format!(
        "enterprise quota after: CA {} uses, seal {} uses",
        quota("ca"),
        quota("seal")
    ));

    s.step("Money: the administrator buys a seal package anew, asks for its refund; an invoice for the claim order");
    let extra = svc.order_packages(
        &admin,
        &Holder::Enterprise(code.clone()),
        PLATFORM,
        &pkg(packages::ENTERPRISE_SEAL),
        None,
    )?;
    pay(svc, &admin, &extra, PaymentMethod::Alipay)?;
    let refund = svc.request_refund(&admin, &extra.number, "重复购买，申请退费")?;
    let settled = svc.settle_refund(STAFF, &extra.number, true)?;
    let state = match settled.refund.map(|r| r.state) {
        Some(yizhengtong::domain::order::RefundState::Refunded { .. }) => {
            "refunded, uses taken back".to_string()
        }
        other => format!("{other:?}"),
    };
    s.detail(format!("refund of {refund} for {}: {state}", extra.number));
    let title = svc.add_invoice_title(
        &admin,
        InvoiceTitleInput {
            kind: TitleKind::Enterprise {
                credit_code: code.clone(),
            },
            name: "乌鲁木齐诚悦网络科技有限公司".into(),
            email: "finance@chengyue.example.cn".into(),
            phone: None,
            company_address: None,
            bank: None,
            account: None,
            default: true,
        },
    )?;
    let address = svc.add_address(
        &admin,
        AddressInput {
            recipient: "欧勇".into(),
            phone: "18600008621".into(),
            region: "新疆维吾尔自治区 乌鲁木齐市 天山区".into(),
            detail: "光明路1号诚悦大厦12层".into(),
            default: true,
        },
    )?;
    let left = svc.request_invoice(&admin, &order.number, Cents(30_000), &title.id, &address.id)?;
    s.detail(format!(
        "invoice of 300.00元 asked on {}; still invoiceable {left}",
        order.number
    ));
    if svc
        .request_invoice(
            &admin,
            &order.number,
            Cents(1_000_000),
            &title.id,
            &address.id,
        )
        .is_err()
    {
        s.detail("an invoice above the invoiceable amount is refused");
    }
    let (points, _) = svc.points(&admin)?;
    s.detail(format!("欧勇's points: {points}"));

    s.step("The CA freezes 宋世奇's certificate: his next scan is refused");
    svc.set_certificate_state(STAFF, &m_cert.serial_hex(), CertAction::Freeze)?;
    w.clock.advance(Duration::from_secs(60));
    let now = w.clock.now();
    let challenge = verifier.issue(Request::Login, now, &mut rng)?;
    let (scanned, view) = scan(&challenge.to_text(), registry, now)?;
    let response = respond(
        &scanned,
        &view,
        &identity,
        ActionInput::Login,
        now,
        &mut rng,
    )?
    .to_der();
    let verdict = verifier.verify(&response, now);
    s.detail(format!(
        "{:?} ({}): {}",
        verdict.reason,
        verdict.reason.code(),
        verdict.detail
    ));
    if verdict.accepted() {
        return Err(fail("a frozen certificate logged in"));
    }
    for (h, st) in svc.certificates(&member)? {
        s.detail(format!(
            "宋世奇's {} certificate {}: {}",
            h.usage.label_zh(),
            h.serial,
            st.label_zh()
        ));
    }

    s.step("Scan reports: 宋世奇 sees his own, the administrator sees every member's");
    let own = svc.scan_report(&member)?;
    let all = svc.scan_report(&admin)?;
    s.detail(format!(
        "宋世奇: {} entries; 欧勇 (administrator): {} entries",
        own.len(),
        all.len()
    ));
    for r in own.iter().take(3) {
        s.detail(format!(
            "{} {} {} {}",
            r.action.label_zh(),
            r.platform_name,
            r.certificate_name,
            yizhengtong::time::format_rfc3339(r.time)
        ));
    }

    s.step("Operation logs and messages");
    for l in svc
        .operation_log(&member, &Filter::default())?
        .iter()
        .rev()
        .take(6)
    {
        s.detail(format!("log {:?}: {}", l.kind, l.detail));
    }
    let msgs = svc.messages(&member, &Filter::default())?;
    s.detail(format!(
        "宋世奇 has {} messages, latest: {}",
        msgs.len(),
        msgs.first().map(|m| m.title.as_str()).unwrap_or("-")
    ));

    s.step("The app shell: update check, hotline, devices");
    s.detail(format!(
        "installed 1.9.0: {:?}; installed 2.3.1: {:?}",
        svc.check_update("1.9.0")?,
        svc.check_update("2.3.1")?
    ));
    s.detail(format!(
        "hotline {}; 宋世奇's devices: {}",
        svc.hotline(),
        svc.devices(&member)?.len()
    ));

    println!("\ndone in {:.2} s", s.start.elapsed().as_secs_f64());
    Ok(())
}
