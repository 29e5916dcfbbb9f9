//! Issuing, chain verification with every refusal, the lifecycle state
//! machine, CRLs and the phone-side download.

mod common;

use std::time::{Duration, SystemTime};

use common::test_rng;
use yizhengtong::Error;
use yizhengtong::cert::*;
use yizhengtong::crypto::PrivateKey;
use yizhengtong::crypto::container::ContainerParams;
use yizhengtong::error::CertCheck;

const DAY: Duration = Duration::from_secs(86_400);

fn t0() -> SystemTime {
    // 2026-01-01T00:00:00Z
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600)
}

struct Pki {
    root: CertificateAuthority,
    issuing: ManagedCa,
}

fn pki(seed: u64) -> Pki {
    let mut rng = test_rng(seed);
    let root = CertificateAuthority::create_root(
        PrivateKey::generate(&mut rng),
        parse_dn("C=CN,O=Test Trust,CN=Test SM2 Root").unwrap(),
        t0(),
        3650,
        CaConfig::default(),
        &mut rng,
    )
    .unwrap();
    let issuing_key = PrivateKey::generate(&mut rng);
    let issuing_cert = root
        .issue_ca(
            &issuing_key.public_key(),
            parse_dn("C=CN,O=Test Trust,CN=Test SM2 Issuing CA").unwrap(),
            t0(),
            1825,
            Some(0),
            &mut rng,
        )
        .unwrap();
    let config = CaConfig {
        crl_url: Some("http://crl.example.cn/issuing.crl".into()),
        ..CaConfig::default()
    };
    let issuing = ManagedCa::new(
        CertificateAuthority::from_parts(issuing_key, issuing_cert, config).unwrap(),
    );
    Pki { root, issuing }
}

fn person() -> Holder {
    Holder::person("宋世奇", "11010519491231002X").unwrap()
}

fn request(key: &PrivateKey, usage: CertUsage) -> EndEntityRequest {
    EndEntityRequest {
        holder: person(),
        usage,
        medium: Medium::Mobile,
        public_key: key.public_key(),
        not_before: t0(),
        days: 365,
    }
}

fn chain_error(r: Result<VerifiedChain, Error>) -> (usize, CertCheck) {
    match r {
        Err(Error::Certificate { index, check, .. }) => (index, check),
        other => panic!("expected a certificate error, got {other:?}"),
    }
}

#[test]
fn issued_chain_verifies_and_carries_the_profile() {
    let mut rng = test_rng(1);
    let mut p = pki(1);
    let key = PrivateKey::generate(&mut rng);
    let leaf = p
        .issuing
        .issue(&request(&key, CertUsage::Sign), t0(), &mut rng)
        .unwrap();
    let anchors = [p.root.certificate().clone()];
    let inter = [p.issuing.authority().certificate().clone()];
    let mut opts = VerifyOptions::at(t0() + DAY);
    opts.usage = IntendedUse::Signature;
    let chain = verify_chain(&leaf, &inter, &anchors, &opts).unwrap();
    assert_eq!(chain.certificates.len(), 3);

    let profile = leaf.profile().unwrap().unwrap();
    assert_eq!(profile.holder, HolderKind::Personal);
    assert_eq!(profile.usage, CertUsage::Sign);
    assert_eq!(profile.medium, Medium::Mobile);
    assert_eq!(leaf.common_name().as_deref(), Some("宋世奇"));
    assert_eq!(
        leaf.subject_serial_number().as_deref(),
        Some("11010519491231002X")
    );
    let ku = leaf.key_usage().unwrap().unwrap();
    assert!(ku.digital_signature && ku.non_repudiation && !ku.key_encipherment);
    assert_eq!(
        leaf.crl_distribution_uris().unwrap(),
        vec!["http://crl.example.cn/issuing.crl".to_string()]
    );
    assert_eq!(
        leaf.authority_key_id().unwrap(),
        inter[0].subject_key_id().unwrap()
    );
    assert!(!leaf.is_ca());
    assert_eq!(leaf.basic_constraints().unwrap(), Some((false, None)));
    // The public key is the requested one; validity is the package term.
    assert_eq!(*leaf.public_key(), key.public_key());
    assert_eq!(
        leaf.not_after().duration_since(leaf.not_before()).unwrap(),
        365 * DAY - Duration::from_secs(1)
    );
}

#[test]
fn double_certificate_pair_and_login() {
    let mut rng = test_rng(2);
    let mut p = pki(2);
    let sign_key = PrivateKey::generate(&mut rng);
    let enc_key = PrivateKey::generate(&mut rng);
    let sign = p
        .issuing
        .issue(&request(&sign_key, CertUsage::Sign), t0(), &mut rng)
        .unwrap();
    let enc = p
        .issuing
        .issue(&request(&enc_key, CertUsage::Encrypt), t0(), &mut rng)
        .unwrap();
    assert_ne!(sign.public_key(), enc.public_key());
    let eku = enc.key_usage().unwrap().unwrap();
    assert!(
        eku.key_encipherment
            && eku.data_encipherment
            && eku.key_agreement
            && !eku.digital_signature
    );

    let anchors = [p.root.certificate().clone()];
    let inter = [p.issuing.authority().certificate().clone()];
    let mut opts = VerifyOptions::at(t0() + DAY);
    opts.usage = IntendedUse::Signature;
    assert_eq!(
        chain_error(verify_chain(&enc, &inter, &anchors, &opts)),
        (0, CertCheck::KeyUsage)
    );
    opts.usage = IntendedUse::Encryption;
    verify_chain(&enc, &inter, &anchors, &opts).unwrap();
    assert_eq!(
        chain_error(verify_chain(&sign, &inter, &anchors, &opts)),
        (0, CertCheck::KeyUsage)
    );

    let login = p
        .issuing
        .issue(&request(&sign_key, CertUsage::Login), t0(), &mut rng)
        .unwrap();
    let client_auth = "1.3.6.1.5.5.7.3.2".parse().unwrap();
    assert_eq!(login.extended_key_usage().unwrap(), Some(vec![client_auth]));
    assert_eq!(
        CertificateDetail::of(&login).unwrap().cert_type,
        "个人-登录证书"
    );
}

#[test]
fn enterprise_subject() {
    let mut rng = test_rng(3);
    let mut p = pki(3);
    let key = PrivateKey::generate(&mut rng);
    let mut req = request(&key, CertUsage::Sign);
    req.holder = Holder::enterprise("乌鲁木齐诚悦网络科技有限公司", "9165010039960151X0").unwrap();
    req.medium = Medium::UsbKey;
    let cert = p.issuing.issue(&req, t0(), &mut rng).unwrap();
    assert_eq!(
        cert.organization().as_deref(),
        Some("乌鲁木齐诚悦网络科技有限公司")
    );
    assert_eq!(
        cert.subject_organization_identifier().as_deref(),
        Some("9165010039960151X0")
    );
    let profile = cert.profile().unwrap().unwrap();
    assert_eq!(
        (profile.holder, profile.medium),
        (HolderKind::Enterprise, Medium::UsbKey)
    );
    assert!(Holder::enterprise("x", "9165010039960151X1").is_err());
    assert!(Holder::person("x", "110105194912310021").is_err());
    assert!(Holder::person(&"名".repeat(65), "11010519491231002X").is_err());
}

#[test]
fn refusals_time_issuer_trust_signature() {
    let mut rng = test_rng(4);
    let mut p = pki(4);
    let key = PrivateKey::generate(&mut rng);
    let leaf = p
        .issuing
        .issue(&request(&key, CertUsage::Sign), t0(), &mut rng)
        .unwrap();
    let anchors = [p.root.certificate().clone()];
    let inter = [p.issuing.authority().certificate().clone()];

    // not yet valid, expired
    let before = VerifyOptions::at(t0() - DAY);
    assert_eq!(
        chain_error(verify_chain(&leaf, &inter, &anchors, &before)),
        (0, CertCheck::NotYetValid)
    );
    let after = VerifyOptions::at(t0() + 400 * DAY);
    assert_eq!(
        chain_error(verify_chain(&leaf, &inter, &anchors, &after)),
        (0, CertCheck::Expired)
    );

    // missing intermediate: wrong issuer / not found
    let now = VerifyOptions::at(t0() + DAY);
    assert_eq!(
        chain_error(verify_chain(&leaf, &[], &anchors, &now)),
        (0, CertCheck::IssuerNotFound)
    );

    // untrusted root: another PKI's root as the only anchor
    let other = pki(40);
    let other_anchor = [other.root.certificate().clone()];
    assert_eq!(
        chain_error(verify_chain(&leaf, &inter, &other_anchor, &now)),
        (1, CertCheck::IssuerNotFound)
    );
    assert_eq!(
        chain_error(verify_chain(p.root.certificate(), &[], &other_anchor, &now)),
        (0, CertCheck::UntrustedRoot)
    );

    // bad signature: flip a byte of the signature value
    let mut der = leaf.der().to_vec();
    let n = der.len();
    der[n - 5] ^= 0x01;
    match Certificate::from_der(&der) {
        Ok(bad) => assert_eq!(
            chain_error(verify_chain(&bad, &inter, &anchors, &now)),
            (0, CertCheck::Signature)
        ),
        Err(e) => panic!("a flipped signature byte should still parse: {e}"),
    }
    // a byte of the TBS (inside the subject name) changes what was signed
    let mut der = leaf.der().to_vec();
    let pos = der.windows(3).position(|w| w == "宋".as_bytes()).unwrap();
    der[pos + 2] ^= 0x01;
    let bad = Certificate::from_der(&der).unwrap();
    assert_eq!(
        chain_error(verify_chain(&bad, &inter, &anchors, &now)),
        (0, CertCheck::Signature)
    );
}

#[test]
fn refusals_path_length_and_non_ca_issuers() {
    // (CA flag missing and an issuer without keyCertSign are made with
    // OpenSSL in tests/cert_openssl.rs, since this SDK refuses to make them.)
    let mut rng = test_rng(5);
    let p = pki(5);
    let anchors = [p.root.certificate().clone()];
    let now = VerifyOptions::at(t0() + DAY);

    // The issuing CA has pathLenConstraint 0: it refuses to issue a CA.
    let sub_key = PrivateKey::generate(&mut rng);
    assert!(
        p.issuing
            .authority()
            .issue_ca(
                &sub_key.public_key(),
                parse_dn("CN=Sub").unwrap(),
                t0(),
                100,
                None,
                &mut rng
            )
            .is_err()
    );

    // A (pathLen 0) and A' (same name and key, no limit) from the root; B
    // issued under A' ; a leaf under B. Verified with A in the pool, the
    // leaf's chain breaks A's path length.
    let a_key = PrivateKey::generate(&mut rng);
    let a_limited = p
        .root
        .issue_ca(
            &a_key.public_key(),
            parse_dn("CN=A").unwrap(),
            t0(),
            100,
            Some(0),
            &mut rng,
        )
        .unwrap();
    let a_unlimited = p
        .root
        .issue_ca(
            &a_key.public_key(),
            parse_dn("CN=A").unwrap(),
            t0(),
            100,
            None,
            &mut rng,
        )
        .unwrap();
    let a_ca =
        CertificateAuthority::from_parts(a_key, a_unlimited.clone(), CaConfig::default()).unwrap();
    let b_key = PrivateKey::generate(&mut rng);
    let b_cert = a_ca
        .issue_ca(
            &b_key.public_key(),
            parse_dn("CN=B").unwrap(),
            t0(),
            50,
            None,
            &mut rng,
        )
        .unwrap();
    let b_ca =
        CertificateAuthority::from_parts(b_key, b_cert.clone(), CaConfig::default()).unwrap();
    let leaf_key = PrivateKey::generate(&mut rng);
    let mut leaf_req = request(&leaf_key, CertUsage::Sign);
    leaf_req.days = 30;
    let leaf = b_ca.issue(&leaf_req, &mut rng).unwrap();
    assert_eq!(
        chain_error(verify_chain(
            &leaf,
            &[b_cert.clone(), a_limited],
            &anchors,
            &now
        )),
        (2, CertCheck::PathLength)
    );
    verify_chain(&leaf, &[b_cert, a_unlimited], &anchors, &now).unwrap();

    // An end-entity certificate cannot be made into a CA.
    let mut issuing = pki(5).issuing;
    let ee_key = PrivateKey::generate(&mut rng);
    let ee = issuing
        .issue(&request(&ee_key, CertUsage::Sign), t0(), &mut rng)
        .unwrap();
    assert!(CertificateAuthority::from_parts(ee_key, ee, CaConfig::default()).is_err());
    // Nor a CA from a key that is not its certificate's.
    assert_eq!(
        CertificateAuthority::from_parts(
            PrivateKey::generate(&mut rng),
            p.root.certificate().clone(),
            CaConfig::default()
        )
        .unwrap_err(),
        Error::KeyMismatch
    );
}

#[test]
fn lifecycle_state_machine() {
    let mut rng = test_rng(6);
    let mut p = pki(6);
    let key = PrivateKey::generate(&mut rng);
    let cert = p
        .issuing
        .issue(&request(&key, CertUsage::Sign), t0(), &mut rng)
        .unwrap();
    let s = cert.serial_hex();
    let at = t0() + DAY;
    assert_eq!(
        p.issuing.record(&s).unwrap().user_status(at),
        UserStatus::Normal
    );

    // Active -> Frozen -> Active
    p.issuing.freeze(&s, at).unwrap();
    assert_eq!(
        p.issuing.record(&s).unwrap().user_status(at),
        UserStatus::Frozen
    );
    assert!(matches!(
        p.issuing.freeze(&s, at),
        Err(Error::InvalidState {
            action: "freeze",
            ..
        })
    ));
    p.issuing.unfreeze(&s, at).unwrap();
    assert!(matches!(
        p.issuing.unfreeze(&s, at),
        Err(Error::InvalidState {
            action: "unfreeze",
            ..
        })
    ));

    // certificateHold is not a revocation reason
    assert!(
        p.issuing
            .revoke(&s, RevocationReason::CertificateHold, at)
            .is_err()
    );

    // Frozen -> Revoked; then only an upgrade to keyCompromise
    p.issuing.freeze(&s, at).unwrap();
    p.issuing
        .revoke(&s, RevocationReason::Superseded, at)
        .unwrap();
    assert_eq!(
        p.issuing.record(&s).unwrap().user_status(at),
        UserStatus::Invalid
    );
    assert!(matches!(
        p.issuing.unfreeze(&s, at),
        Err(Error::InvalidState { .. })
    ));
    assert!(matches!(
        p.issuing.freeze(&s, at),
        Err(Error::InvalidState { .. })
    ));
    assert!(matches!(
        p.issuing
            .revoke(&s, RevocationReason::AffiliationChanged, at),
        Err(Error::InvalidState { .. })
    ));
    p.issuing
        .revoke(&s, RevocationReason::KeyCompromise, at + DAY)
        .unwrap();
    let rec = p.issuing.record(&s).unwrap().clone();
    assert_eq!(
        rec.state,
        CertState::Revoked {
            reason: RevocationReason::KeyCompromise,
            at
        }
    );
    assert!(matches!(
        p.issuing.revoke(&s, RevocationReason::KeyCompromise, at),
        Err(Error::InvalidState { .. })
    ));
    let events: Vec<_> = rec
        .history
        .iter()
        .map(|h| format!("{:?}", h.event))
        .collect();
    assert_eq!(
        events,
        [
            "Issued",
            "Frozen",
            "Unfrozen",
            "Frozen",
            "Revoked { reason: \"superseded\" }",
            "ReasonUpgraded"
        ]
    );

    // Expired: derived, cannot be frozen
    let key2 = PrivateKey::generate(&mut rng);
    let c2 = p
        .issuing
        .issue(&request(&key2, CertUsage::Sign), t0(), &mut rng)
        .unwrap();
    let late = t0() + 500 * DAY;
    assert_eq!(
        p.issuing
            .record(&c2.serial_hex())
            .unwrap()
            .user_status(late),
        UserStatus::Invalid
    );
    assert!(matches!(
        p.issuing.freeze(&c2.serial_hex(), late),
        Err(Error::InvalidState { ref state, .. }) if state == "expired"
    ));
    assert_eq!(
        p.issuing.status(&c2.serial_hex(), late).unwrap().status,
        "expired"
    );

    // Unknown serial
    assert!(matches!(
        p.issuing.freeze("ABCDEF", at),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn extend_rekey_reissue() {
    let mut rng = test_rng(7);
    let mut p = pki(7);
    let key = PrivateKey::generate(&mut rng);
    let cert = p
        .issuing
        .issue(&request(&key, CertUsage::Sign), t0(), &mut rng)
        .unwrap();
    let s = cert.serial_hex();
    let at = t0() + 100 * DAY;

    let ext = p.issuing.extend(&s, 365, at, &mut rng).unwrap();
    assert_ne!(ext.serial_hex(), s);
    assert_eq!(ext.public_key(), cert.public_key());
    assert_eq!(ext.not_before(), cert.not_after() + Duration::from_secs(1));
    assert_eq!(p.issuing.status(&s, at).unwrap().status, "good");

    let new_key = PrivateKey::generate(&mut rng);
    let rk = p
        .issuing
        .rekey(&s, new_key.public_key(), 365, at, &mut rng)
        .unwrap();
    assert_eq!(*rk.public_key(), new_key.public_key());
    assert_eq!(p.issuing.status(&s, at).unwrap().reason, Some("superseded"));
    assert!(
        p.issuing
            .rekey(&rk.serial_hex(), new_key.public_key(), 365, at, &mut rng)
            .is_err()
    );
    // a revoked certificate cannot be extended
    assert!(matches!(
        p.issuing.extend(&s, 365, at, &mut rng),
        Err(Error::InvalidState { .. })
    ));

    let renamed = Holder::person("宋世奇", "11010519491231002X").unwrap();
    let ri = p
        .issuing
        .reissue(&rk.serial_hex(), renamed, 365, at, &mut rng)
        .unwrap();
    assert_eq!(ri.public_key(), rk.public_key());
    assert_eq!(
        p.issuing.status(&rk.serial_hex(), at).unwrap().reason,
        Some("affiliationChanged")
    );
}

#[test]
fn crl_and_status_in_chain_verification() {
    let mut rng = test_rng(8);
    let mut p = pki(8);
    let k1 = PrivateKey::generate(&mut rng);
    let k2 = PrivateKey::generate(&mut rng);
    let k3 = PrivateKey::generate(&mut rng);
    let c1 = p
        .issuing
        .issue(&request(&k1, CertUsage::Sign), t0(), &mut rng)
        .unwrap();
    let c2 = p
        .issuing
        .issue(&request(&k2, CertUsage::Sign), t0(), &mut rng)
        .unwrap();
    let c3 = p
        .issuing
        .issue(&request(&k3, CertUsage::Sign), t0(), &mut rng)
        .unwrap();
    let at = t0() + DAY;
    p.issuing
        .revoke(&c1.serial_hex(), RevocationReason::KeyCompromise, at)
        .unwrap();
    p.issuing.freeze(&c2.serial_hex(), at).unwrap();

    let crl_der = p.issuing.crl(at, 7 * DAY, &mut rng).unwrap();
    let crl = Crl::from_der(&crl_der).unwrap();
    assert_eq!(crl.number(), Some(1));
    assert_eq!(crl.entries().len(), 2);
    assert_eq!(
        crl.find(c1.serial()).unwrap().reason,
        RevocationReason::KeyCompromise
    );
    assert_eq!(
        crl.find(c2.serial()).unwrap().reason,
        RevocationReason::CertificateHold
    );
    assert!(crl.find(c3.serial()).is_none());
    crl.verify(p.issuing.authority().certificate(), at).unwrap();
    assert!(matches!(
        crl.verify(p.root.certificate(), at),
        Err(Error::Crl(_))
    ));
    assert!(matches!(
        crl.verify(p.issuing.authority().certificate(), at + 8 * DAY),
        Err(Error::Crl(_))
    ));
    let crl2 = Crl::from_der(&p.issuing.crl(at, 7 * DAY, &mut rng).unwrap()).unwrap();
    assert_eq!(crl2.number(), Some(2));

    let anchors = [p.root.certificate().clone()];
    let inter = [p.issuing.authority().certificate().clone()];
    let crls = [crl];
    let mut opts = VerifyOptions::at(at + Duration::from_secs(60));
    opts.crls = &crls;
    assert_eq!(
        chain_error(verify_chain(&c1, &inter, &anchors, &opts)),
        (0, CertCheck::Revoked)
    );
    assert_eq!(
        chain_error(verify_chain(&c2, &inter, &anchors, &opts)),
        (0, CertCheck::Frozen)
    );
    verify_chain(&c3, &inter, &anchors, &opts).unwrap();

    // The status source gives the same answers without a CRL.
    let mut opts = VerifyOptions::at(at + Duration::from_secs(60));
    opts.status = Some(&p.issuing);
    assert_eq!(
        chain_error(verify_chain(&c1, &inter, &anchors, &opts)),
        (0, CertCheck::Revoked)
    );
    assert_eq!(
        chain_error(verify_chain(&c2, &inter, &anchors, &opts)),
        (0, CertCheck::Frozen)
    );
    // Required revocation check: the intermediate has no CRL from the root.
    opts.require_revocation_check = true;
    assert_eq!(
        chain_error(verify_chain(&c3, &inter, &anchors, &opts)),
        (1, CertCheck::RevocationUnknown)
    );
}

/// Verifying at a past time (a seal's creation, a signature's signing time)
/// uses the CRL the platform holds now: it answers for the past, and an
/// entry revoked after that time counts only for a compromised key.
#[test]
fn a_later_crl_answers_for_an_earlier_time() {
    let mut rng = test_rng(9);
    let mut p = pki(9);
    let keys: Vec<PrivateKey> = (0..3).map(|_| PrivateKey::generate(&mut rng)).collect();
    let certs: Vec<_> = keys
        .iter()
        .map(|k| {
            p.issuing
                .issue(&request(k, CertUsage::Sign), t0(), &mut rng)
                .unwrap()
        })
        .collect();
    let signed_at = t0() + DAY;
    let revoked_at = t0() + 2 * DAY;
    p.issuing
        .revoke(
            &certs[0].serial_hex(),
            RevocationReason::Superseded,
            revoked_at,
        )
        .unwrap();
    p.issuing
        .revoke(
            &certs[1].serial_hex(),
            RevocationReason::KeyCompromise,
            revoked_at,
        )
        .unwrap();
    p.issuing
        .freeze(&certs[2].serial_hex(), revoked_at)
        .unwrap();
    let crl = Crl::from_der(&p.issuing.crl(t0() + 3 * DAY, 7 * DAY, &mut rng).unwrap()).unwrap();
    // The CRL on its own is not yet valid at the signing time...
    assert!(matches!(
        crl.verify(p.issuing.authority().certificate(), signed_at),
        Err(Error::Crl(_))
    ));
    let anchors = [p.root.certificate().clone()];
    let inter = [p.issuing.authority().certificate().clone()];
    let crls = [crl];
    // ...but in a chain at the signing time it answers: superseded and
    // frozen later means good then; a compromised key is never good.
    let mut opts = VerifyOptions::at(signed_at);
    opts.crls = &crls;
    opts.require_revocation_check = false;
    verify_chain(&certs[0], &inter, &anchors, &opts).unwrap();
    verify_chain(&certs[2], &inter, &anchors, &opts).unwrap();
    assert_eq!(
        chain_error(verify_chain(&certs[1], &inter, &anchors, &opts)),
        (0, CertCheck::Revoked)
    );
    // After the revocation every entry counts.
    let mut opts = VerifyOptions::at(t0() + 3 * DAY + Duration::from_secs(1));
    opts.crls = &crls;
    assert_eq!(
        chain_error(verify_chain(&certs[0], &inter, &anchors, &opts)),
        (0, CertCheck::Revoked)
    );
    assert_eq!(
        chain_error(verify_chain(&certs[2], &inter, &anchors, &opts)),
        (0, CertCheck::Frozen)
    );
    // A stale CRL is still refused.
    let mut opts = VerifyOptions::at(t0() + 11 * DAY);
    opts.crls = &crls;
    assert_eq!(
        chain_error(verify_chain(&certs[0], &inter, &anchors, &opts)).1,
        CertCheck::RevocationUnknown
    );
}

#[test]
fn ca_state_round_trips_through_json() {
    let mut rng = test_rng(9);
    let mut p = pki(9);
    let key = PrivateKey::generate(&mut rng);
    let cert = p
        .issuing
        .issue(&request(&key, CertUsage::Sign), t0(), &mut rng)
        .unwrap();
    p.issuing.freeze(&cert.serial_hex(), t0() + DAY).unwrap();
    let json = serde_json::to_string(&p.issuing.state()).unwrap();
    let back: CaState = serde_json::from_str(&json).unwrap();
    assert_eq!(back.records, p.issuing.state().records);
}

#[test]
fn download_sets_pin_once_and_shows_detail() {
    let mut rng = test_rng(10);
    let mut p = pki(10);
    let params = ContainerParams {
        iterations: 1000,
        max_attempts: 6,
    };
    let k1 = PrivateKey::generate(&mut rng);
    let k2 = PrivateKey::generate(&mut rng);
    let c1 = p
        .issuing
        .issue(&request(&k1, CertUsage::Login), t0(), &mut rng)
        .unwrap();
    let c2 = p
        .issuing
        .issue(&request(&k2, CertUsage::Sign), t0(), &mut rng)
        .unwrap();
    let mut wallet = CertificateWallet::new();

    // first download: PIN twice, mismatch refused
    assert!(
        wallet
            .download(c1.clone(), &k1, "123456", None, params, &mut rng)
            .is_err()
    );
    assert_eq!(
        wallet
            .download(c1.clone(), &k1, "123456", Some("123457"), params, &mut rng)
            .unwrap_err(),
        Error::PinConfirmationMismatch
    );
    // wrong key for the certificate
    assert_eq!(
        wallet
            .download(c1.clone(), &k2, "123456", Some("123456"), params, &mut rng)
            .unwrap_err(),
        Error::KeyMismatch
    );
    wallet
        .download(c1.clone(), &k1, "123456", Some("123456"), params, &mut rng)
        .unwrap();
    assert!(wallet.pin_is_set());
    // later downloads: the PIN once, and it must be right
    assert!(
        wallet
            .download(c2.clone(), &k2, "123456", Some("123456"), params, &mut rng)
            .is_err()
    );
    assert_eq!(
        wallet
            .download(c2.clone(), &k2, "654321", None, params, &mut rng)
            .unwrap_err(),
        Error::WrongPin { remaining: 5 }
    );
    wallet
        .download(c2.clone(), &k2, "123456", None, params, &mut rng)
        .unwrap();
    assert!(
        wallet
            .download(c2.clone(), &k2, "123456", None, params, &mut rng)
            .is_err()
    );
    assert_eq!(wallet.unlock(1, "123456").unwrap(), k2);

    let d = CertificateDetail::of(&c1).unwrap();
    assert_eq!(d.name, "宋世奇");
    assert_eq!(d.applicant, "宋世奇");
    assert_eq!(d.id_number, "110105*****002X");
    assert_eq!(d.cert_type, "个人-登录证书");
    assert_eq!(d.validity, "2026-01-01 至 2026-12-31");
    assert_eq!(d.issued_on, "2026-01-01");
    assert_eq!(d.expires_on, "2026-12-31");
    assert_eq!(d.issuer, "Test SM2 Issuing CA");
}

#[test]
fn a_ca_with_its_own_profile_oid_reads_its_certificates_back() {
    let mut rng = test_rng(11);
    let oid = "1.3.6.1.4.1.32473.99.1".parse().unwrap();
    let root = CertificateAuthority::create_root(
        PrivateKey::generate(&mut rng),
        parse_dn("C=CN,O=Own OID CA,CN=Own OID Root").unwrap(),
        t0(),
        3650,
        CaConfig {
            crl_url: None,
            profile_oid: oid,
        },
        &mut rng,
    )
    .unwrap();
    let mut ca = ManagedCa::new(root);
    let key = PrivateKey::generate(&mut rng);
    let cert = ca
        .issue(&request(&key, CertUsage::Login), t0(), &mut rng)
        .unwrap();
    assert_eq!(cert.profile().unwrap(), None, "not under the default OID");
    assert_eq!(
        cert.profile_with_oid(oid).unwrap().unwrap().usage,
        CertUsage::Login
    );
    // lifecycle operations that need the profile work with the CA's OID
    let ext = ca
        .extend(&cert.serial_hex(), 30, t0() + DAY, &mut rng)
        .unwrap();
    assert_eq!(
        ext.profile_with_oid(oid).unwrap().unwrap().usage,
        CertUsage::Login
    );
}
