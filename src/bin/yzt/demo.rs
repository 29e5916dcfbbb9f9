//! `yzt demo`: a short, readable run through the crypto core and the
//! certificates. Later capabilities (seals, QR, workflows) extend the story.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use yizhengtong::cert::Certificate;
use yizhengtong::crypto::sm3;
use yizhengtong::qr::{
    Action, ActionInput, Identity, MemoryQrStore, Outcome, PlatformEntry, PlatformRegistry,
    QrStore, QuotaKey, Request, Verifier, VerifierConfig, respond, scan,
};

use yizhengtong::cert::{
    CaConfig, CertUsage, CertificateAuthority, CertificateDetail, CertificateWallet, Crl,
    EndEntityRequest, Holder, IntendedUse, ManagedCa, Medium, VerifyOptions, parse_dn,
    verify_chain,
};

use yizhengtong::Error;
use yizhengtong::crypto::container::{ContainerParams, KeyContainer};
use yizhengtong::crypto::{CiphertextFormat, DEFAULT_USER_ID, PrivateKey, Signature, hex_digest};
use yizhengtong::seal::{
    SealKind, SealRequest, SealVerifyOptions, SealVersion, StampRequest, StepStatus, key_signer,
    make_seal, stamp, verify_signature,
};

struct Steps {
    n: usize,
    total: usize,
    start: Instant,
}

impl Steps {
    fn step(&mut self, what: &str) {
        self.n += 1;
        println!("[{}/{}] {what}", self.n, self.total);
    }
    fn detail(&self, text: impl AsRef<str>) {
        println!("      {}", text.as_ref());
    }
}

fn certificates(
    s: &mut Steps,
    key: &PrivateKey,
    rng: &mut impl rand::CryptoRng,
) -> Result<(), Error> {
    let now = SystemTime::now();
    s.step("A CA sets up: root, then an issuing CA (pathLen 0) with a CRL address");
    let root = CertificateAuthority::create_root(
        PrivateKey::generate(rng),
        parse_dn("C=CN,O=Demo Trust Services,CN=Demo SM2 Root CA")?,
        now,
        3650,
        CaConfig::default(),
        rng,
    )?;
    let issuing_key = PrivateKey::generate(rng);
    let issuing_cert = root.issue_ca(
        &issuing_key.public_key(),
        parse_dn("C=CN,O=Demo Trust Services,CN=Demo SM2 Issuing CA")?,
        now,
        1825,
        Some(0),
        rng,
    )?;
    let config = CaConfig {
        crl_url: Some("http://crl.demo.example/issuing.crl".into()),
        ..CaConfig::default()
    };
    let mut ca = ManagedCa::new(CertificateAuthority::from_parts(
        issuing_key,
        issuing_cert.clone(),
        config,
    )?);
    s.detail(format!("root    {}", root.certificate().subject()));
    s.detail(format!("issuing {}", issuing_cert.subject()));

    s.step("The bidder's mobile signing certificate is issued and downloaded with the PIN");
    let cert = ca.issue(
        &EndEntityRequest {
            holder: Holder::person("欧勇", "11010519491231002X")?,
            usage: CertUsage::Sign,
            medium: Medium::Mobile,
            public_key: key.public_key(),
            not_before: now,
            days: 365,
        },
        now,
        rng,
    )?;
    let mut wallet = CertificateWallet::new();
    let params = ContainerParams {
        iterations: 20_000,
        ..ContainerParams::default()
    };
    wallet.download(cert.clone(), key, "246810", Some("246810"), params, rng)?;
    let d = CertificateDetail::of(&cert)?;
    s.detail(format!(
        "证书名称 {}  身份证号 {}  证书类型 {}",
        d.name, d.id_number, d.cert_type
    ));
    s.detail(format!("有效期限 {}  颁发机构 {}", d.validity, d.issuer));

    s.step("A platform verifies the chain; the CA freezes the certificate and the CRL says so");
    let anchors = [root.certificate().clone()];
    let inter = [issuing_cert];
    let mut opts = VerifyOptions::at(now);
    opts.usage = IntendedUse::Signature;
    let chain = verify_chain(&cert, &inter, &anchors, &opts)?;
    s.detail(format!(
        "chain of {} verified; status {}",
        chain.certificates.len(),
        ca.status(&cert.serial_hex(), now)?.user_status.label_zh()
    ));
    ca.freeze(&cert.serial_hex(), now)?;
    let crl = Crl::from_der(&ca.crl(now, Duration::from_secs(7 * 86_400), rng)?)?;
    let crls = [crl];
    opts.crls = &crls;
    match verify_chain(&cert, &inter, &anchors, &opts) {
        Err(e) => s.detail(format!("after freezing: {e}")),
        Ok(_) => return Err(Error::param("demo", "a frozen certificate verified")),
    }
    ca.unfreeze(&cert.serial_hex(), now)?;
    s.detail(format!(
        "unfrozen: status {}",
        ca.status(&cert.serial_hex(), now)?.user_status.label_zh()
    ));

    s.step("The seal-making authority makes a contract seal bound to the bidder's certificate");
    let maker_key = PrivateKey::generate(rng);
    let maker_cert = ca.issue(
        &EndEntityRequest {
            holder: Holder::enterprise("演示电子印章制作中心", "9165010039960151X0")?,
            usage: CertUsage::Sign,
            medium: Medium::UsbKey,
            public_key: maker_key.public_key(),
            not_before: now,
            days: 365,
        },
        now,
        rng,
    )?;
    // A tiny PNG: the 8-byte signature and an IHDR chunk are enough for the
    // seal; a real one is the scanned or drawn seal image.
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend_from_slice(&[0, 0, 0, 64, 0, 0, 0, 64, 8, 6, 0, 0, 0]);
    let seal = make_seal(
        &SealRequest {
            version: SealVersion::V4,
            kind: SealKind::ContractSeal,
            name: "欧勇合同专用章".into(),
            es_id: "6501000000000001".into(),
            vendor_id: "YZT".into(),
            image: png,
            width_mm: 40,
            height_mm: 40,
            holder_certs: vec![cert.clone()],
            created: now,
            valid_start: now,
            valid_end: now + Duration::from_secs(300 * 86_400),
            ext_datas: vec![],
            time_stamp: None,
        },
        &maker_key,
        &maker_cert,
        rng,
    )?;
    s.detail(format!(
        "seal {} ({} bytes, GB/T 38540 v4)",
        seal.info.property.name,
        seal.raw.len()
    ));

    s.step(
        "The bidder stamps the tender with the PIN-protected key; the platform verifies each step",
    );
    let tender = b"<Tender lot=\"7\" amount=\"1280000.00\"/>";
    let signer_key = wallet.unlock(0, "246810")?;
    let signed = stamp(
        &StampRequest {
            seal: &seal,
            signer_cert: &cert,
            data_hash: yizhengtong::crypto::sm3(tender),
            property: "/Doc_0/Signs/Sign_0/Signature.xml",
            time: now,
            ext_datas: vec![],
            time_stamp: None,
        },
        key_signer(&signer_key, rng),
    )?;
    let opts = SealVerifyOptions {
        anchors: &anchors,
        intermediates: &inter,
        ..Default::default()
    };
    let report = verify_signature(&signed, Some(tender), &opts);
    let passed: Vec<&str> = report
        .steps
        .iter()
        .filter(|st| st.status == StepStatus::Passed)
        .map(|st| st.step)
        .collect();
    s.detail(format!("passed: {}", passed.join(", ")));
    if !report.valid {
        return Err(Error::param("demo", "the stamped tender did not verify"));
    }
    let altered = verify_signature(
        &signed,
        Some(b"<Tender lot=\"7\" amount=\"1980000.00\"/>"),
        &opts,
    );
    s.detail(format!(
        "an altered tender fails: {}",
        altered.failed().join(", ")
    ));

    qr_story(
        s,
        ca,
        root.certificate().clone(),
        &inter[0],
        cert,
        key,
        seal,
        rng,
    )
}

fn write(ca: &RwLock<ManagedCa>) -> Result<std::sync::RwLockWriteGuard<'_, ManagedCa>, Error> {
    ca.write()
        .map_err(|_| Error::param("demo", "CA lock poisoned"))
}

#[allow(clippy::too_many_arguments)]
fn qr_story(
    s: &mut Steps,
    ca: ManagedCa,
    root: Certificate,
    issuing: &Certificate,
    sign_cert: Certificate,
    sign_key: &PrivateKey,
    seal: yizhengtong::seal::Seal,
    rng: &mut impl rand::CryptoRng,
) -> Result<(), Error> {
    let now = SystemTime::now();
    let ca = Arc::new(RwLock::new(ca));
    let ee = |holder: Holder, usage: CertUsage, key: &PrivateKey| EndEntityRequest {
        holder,
        usage,
        medium: Medium::Mobile,
        public_key: key.public_key(),
        not_before: now,
        days: 365,
    };

    s.step("A trading platform registers: system code, name, challenge-signing certificate, callback host");
    let platform_key = PrivateKey::generate(rng);
    let platform_holder = Holder::enterprise("新疆公共资源交易平台", "9165010039960151X0")?;
    let platform_cert = write(&ca)?.issue(
        &ee(platform_holder, CertUsage::Sign, &platform_key),
        now,
        rng,
    )?;
    let mut registry = PlatformRegistry::new();
    registry.add(PlatformEntry {
        code: "C1100005553".into(),
        name: "新疆公共资源交易平台".into(),
        certificate: platform_cert,
        callback_hosts: vec!["ggzy.example.cn".into()],
    })?;
    let mut config = VerifierConfig::new(
        "C1100005553",
        "新疆公共资源交易平台",
        "ggzy.example.cn",
        platform_key,
        vec![root],
    );
    config.intermediates = vec![issuing.clone()];
    config.status = Some(ca.clone());
    let verifier = Verifier::new(config, MemoryQrStore::new())?;
    let holder_id = sign_cert.subject_serial_number().unwrap_or_default();
    for institution in ["ca", "seal"] {
        let key = QuotaKey {
            holder: holder_id.clone(),
            platform: "C1100005553".into(),
            institution,
        };
        verifier.store().set_quota(&key, 10)?;
    }
    let enc_key = PrivateKey::generate(rng);
    let enc_cert = write(&ca)?.issue(
        &ee(
            Holder::person("欧勇", &holder_id)?,
            CertUsage::Encrypt,
            &enc_key,
        ),
        now,
        rng,
    )?;
    s.detail("packages opened: 10 CA uses and 10 seal uses for 欧勇 on C1100005553; encryption certificate issued");

    s.step("The platform shows QR codes for all six actions; the phone scans, authorises, the platform verifies");
    let document = b"<Tender lot=\"7\" amount=\"1280000.00\"/>".to_vec();
    let message = "我确认第7标段的投标".as_bytes().to_vec();
    let document_key = b"SM4 document key".to_vec();
    let envelope = enc_cert
        .public_key()
        .encrypt_to(&document_key, CiphertextFormat::Asn1, rng)?;
    let identity = Identity {
        member: "ouyong",
        enterprise: None,
        signing_cert: &sign_cert,
        signing_key: sign_key,
        encryption_cert: Some(&enc_cert),
        encryption_key: Some(&enc_key),
    };
    let mut login_response = Vec::new();
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
        let challenge = verifier.issue(request, now, rng)?;
        let text = challenge.to_text();
        let (scanned, view) = scan(&text, &registry, now)?;
        let input = match action {
            Action::Login => ActionInput::Login,
            Action::Seal => ActionInput::Seal {
                seal: &seal,
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
        let response = respond(&scanned, &view, &identity, input, now, rng)?.to_der();
        let verdict = verifier.verify(&response, now);
        if !verdict.accepted() {
            return Err(Error::param(
                "demo",
                format!("{} refused: {}", action.name(), verdict.detail),
            ));
        }
        let what = match verdict.outcome {
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
            "{} ({}): QR {} chars, shown as 「{}」 → {}; uses left {}",
            action.label_zh(),
            action.name(),
            text.len(),
            view.platform_name,
            what,
            verdict.remaining.unwrap_or(0)
        ));
        if action == Action::Login {
            login_response = response;
        }
    }
    let replay = verifier.verify(&login_response, now);
    s.detail(format!(
        "the login response submitted again: {}",
        replay.answer_json()
    ));
    if replay.accepted() {
        return Err(Error::param("demo", "a replayed response was accepted"));
    }

    s.step("The CA freezes the certificate: the next scan is refused");
    write(&ca)?.freeze(&sign_cert.serial_hex(), now)?;
    let challenge = verifier.issue(Request::Login, now, rng)?;
    let (scanned, view) = scan(&challenge.to_text(), &registry, now)?;
    let response = respond(&scanned, &view, &identity, ActionInput::Login, now, rng)?.to_der();
    let verdict = verifier.verify(&response, now);
    s.detail(format!("{:?}: {}", verdict.reason, verdict.detail));
    if verdict.accepted() {
        return Err(Error::param("demo", "a frozen certificate logged in"));
    }
    let records = verifier.store().records()?;
    s.detail(format!(
        "scan report: {} entries for {}",
        records.len(),
        records[0].certificate_name
    ));
    Ok(())
}

pub fn run() -> Result<(), Error> {
    let mut rng = rand::rng();
    let mut s = Steps {
        n: 0,
        total: 14,
        start: Instant::now(),
    };
    println!("yizhengtong demo: the crypto core a phone and a trading platform share\n");

    s.step("The phone generates an SM2 key pair");
    let key = PrivateKey::generate(&mut rng);
    let public = key.public_key();
    s.detail(format!(
        "public key {}",
        yizhengtong::hex::encode(&public.to_sec1_bytes(true))
    ));
    s.detail(format!("private key {key:?} (secrets never print)"));

    s.step("The bidder sets a 6-digit PIN on the phone's key container (entered twice)");
    let params = ContainerParams {
        iterations: 20_000,
        ..ContainerParams::default()
    };
    let mut container = KeyContainer::create(&key, "246810", "246810", params, &mut rng)?;
    match KeyContainer::create(&key, "246810", "246811", params, &mut rng) {
        Err(e) => s.detail(format!("a mistyped confirmation is refused: {e}")),
        Ok(_) => return Err(Error::param("demo", "mismatched PIN was accepted")),
    }
    match container.unlock("135790") {
        Err(e) => s.detail(format!("a wrong PIN is counted: {e}")),
        Ok(_) => return Err(Error::param("demo", "wrong PIN was accepted")),
    }
    let unlocked = container.unlock("246810")?;
    s.detail(format!(
        "the right PIN opens it and resets the counter ({} tries left); container is {} bytes",
        container.remaining_attempts(),
        container.to_bytes().len()
    ));

    s.step("The bidder signs a tender document digest with the default user ID");
    let document = b"Tender for lot 7: 1,280,000.00 CNY";
    s.detail(format!("SM3(document) = {}", hex_digest(document)));
    let sig = unlocked.sign(DEFAULT_USER_ID, document, &mut rng)?;
    let der = sig.to_der();
    s.detail(format!(
        "DER signature ({} bytes): {}",
        der.len(),
        yizhengtong::hex::encode(&der)
    ));

    s.step("The trading platform verifies it");
    public.verify(DEFAULT_USER_ID, document, &Signature::from_der(&der)?)?;
    s.detail("verifySignatureResult: true");
    let tampered = b"Tender for lot 7: 1,980,000.00 CNY";
    let refused = public.verify(DEFAULT_USER_ID, tampered, &sig).is_err();
    s.detail(format!("a changed amount verifies: {}", !refused));
    if !refused {
        return Err(Error::param("demo", "tampered document verified"));
    }

    s.step("The platform encrypts a bid-opening key to the bidder (ASN.1, as OpenSSL)");
    let secret = b"bid-opening key 0x5eed";
    let ct = public.encrypt_to(secret, CiphertextFormat::Asn1, &mut rng)?;
    s.detail(format!("ciphertext {} bytes", ct.len()));

    s.step("The phone decrypts it after the PIN");
    let (plain, format) = unlocked.decrypt_detect(&ct)?;
    s.detail(format!(
        "detected format {format}; plaintext {:?}",
        String::from_utf8_lossy(&plain)
    ));
    if plain.as_slice() != secret {
        return Err(Error::param("demo", "decryption gave other bytes"));
    }

    certificates(&mut s, &key, &mut rng)?;

    println!("\ndone in {:.2} s", s.start.elapsed().as_secs_f64());
    Ok(())
}
