//! The real SM2 certificates of `../shared/vectors/certs` against every
//! statement of `certs/EXPECTED.md` that this SDK's API can check, and the
//! refusals of malformed certificate and CRL DER (truncations, trailing
//! bytes, non-minimal lengths, flipped signatures).
//!
//! The vectors are read at test time; nothing is copied into the
//! repository. The SHA-256 of each DER is taken from EXPECTED.md itself,
//! and the hard-coded subject, serial and validity of each certificate are
//! checked to appear in EXPECTED.md's table, so the two cannot drift apart.
//!
//! Section 3 edits the TBS of a certificate or CRL made by this SDK and
//! signs it again, to check what RFC 5280 and DER require beyond lengths
//! (and, for DEFAULT values written out, what is tolerated on purpose).

mod common;

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use der::Encode;
use der::asn1::ObjectIdentifier;
use sha2::{Digest, Sha256};
use yizhengtong::Error;
use yizhengtong::asn1::tlv;
use yizhengtong::cert::*;
use yizhengtong::crypto::{DEFAULT_USER_ID, PrivateKey, PublicKey, Signature, sm3};
use yizhengtong::error::CertCheck;
use yizhengtong::time::parse_rfc3339;

const NRCAC: &str = "nrcac_rootca.pem";
const SHECA: &str = "sheca_sm2_ca.pem";
const TONGSUO: &str = "tongsuo_sm2_root_bare301.pem";
const ZHEJIANG: &str = "zhejiang_tax_signer_ee.pem";
const ALL: [&str; 4] = [NRCAC, SHECA, TONGSUO, ZHEJIANG];

const OID_SM2_CURVE: &str = "1.2.156.10197.1.301";
const OID_SM2_WITH_SM3: &str = "1.2.156.10197.1.501";
const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_BASIC_CONSTRAINTS: &str = "2.5.29.19";
const OID_KEY_USAGE: &str = "2.5.29.15";
const OID_EMAIL_ADDRESS: &str = "1.2.840.113549.1.9.1";

fn oid(s: &str) -> ObjectIdentifier {
    ObjectIdentifier::new(s).unwrap_or_else(|e| panic!("OID {s}: {e}"))
}

fn at(text: &str) -> SystemTime {
    parse_rfc3339(text).unwrap_or_else(|e| panic!("time {text}: {e}"))
}

fn pem(file: &str) -> Vec<u8> {
    common::read_vector(&format!("certs/{file}"))
}

fn cert(file: &str) -> Certificate {
    Certificate::from_pem(&pem(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn expected_md() -> String {
    String::from_utf8(common::read_vector("certs/EXPECTED.md")).expect("EXPECTED.md is UTF-8")
}

/// The `HEX  FILE` lines of EXPECTED.md: file → SHA-256.
fn expected_sha256() -> HashMap<String, String> {
    let mut out = HashMap::new();
    for line in expected_md().lines() {
        let mut toks = line.split_whitespace();
        if let (Some(h), Some(f), None) = (toks.next(), toks.next(), toks.next())
            && h.len() == 64
            && h.chars().all(|c| c.is_ascii_hexdigit())
            && f.ends_with(".pem")
        {
            out.insert(f.to_string(), h.to_ascii_lowercase());
        }
    }
    out
}

/// The row of EXPECTED.md's first table for `file`.
fn expected_row(file: &str) -> String {
    let prefix = format!("| `{file}` |");
    expected_md()
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("EXPECTED.md has no row for {file}"))
        .to_string()
}

/// How the subject key's algorithm is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyAlg {
    /// id-ecPublicKey with the SM2 named curve.
    EcPublicKeySm2,
    /// The bare 1.2.156.10197.1.301 algorithm OID (parameters: the same OID).
    Bare301,
}

/// What EXPECTED.md says of one certificate.
struct Expect {
    file: &'static str,
    /// Subject attributes in EXPECTED.md's order (least specific first).
    subject: &'static [(&'static str, &'static str)],
    /// Issuer attributes, same order.
    issuer: &'static [(&'static str, &'static str)],
    not_before: &'static str,
    not_after: &'static str,
    serial: &'static str,
    /// (cA, basicConstraints critical)
    ca: (bool, bool),
    /// keyUsage bit names as `KeyUsageBits::names` gives them, and critical.
    key_usage: (&'static [&'static str], bool),
    key_alg: KeyAlg,
    /// True when the signature AlgorithmIdentifier carries an explicit NULL.
    sig_alg_null: bool,
}

const NRCAC_NAME: &[(&str, &str)] = &[("C", "CN"), ("O", "NRCAC"), ("CN", "ROOTCA")];
const TONGSUO_NAME: &[(&str, &str)] = &[
    ("O", "SM2-CA"),
    ("CN", "SM2 certificate signing key"),
    ("emailAddress", "ca@sm2"),
];

fn expectations() -> [Expect; 4] {
    [
        Expect {
            file: NRCAC,
            subject: NRCAC_NAME,
            issuer: NRCAC_NAME,
            not_before: "2012-07-14 03:11:59",
            not_after: "2042-07-07 03:11:59",
            serial: "69E2FEC0170AC67B",
            // EXPECTED.md says "CA:TRUE" without "(critical)".
            ca: (true, false),
            key_usage: (&["keyCertSign", "cRLSign"], false),
            key_alg: KeyAlg::EcPublicKeySm2,
            sig_alg_null: true,
        },
        Expect {
            file: SHECA,
            subject: &[("C", "CN"), ("O", "UniTrust"), ("CN", "SHECA SM2")],
            issuer: NRCAC_NAME,
            not_before: "2013-09-13 08:10:25",
            not_after: "2033-09-08 08:10:25",
            serial: "2DA1A6BD0CE76C624E634B7D6A29D02A",
            ca: (true, true),
            key_usage: (&["keyCertSign", "cRLSign"], true),
            key_alg: KeyAlg::EcPublicKeySm2,
            sig_alg_null: true,
        },
        Expect {
            file: TONGSUO,
            subject: TONGSUO_NAME,
            issuer: TONGSUO_NAME,
            not_before: "2023-04-25 06:51:56",
            not_after: "2050-09-10 06:51:56",
            serial: "5C049C38AB88C1C9DDCE858331EF6049F50C8B5F",
            ca: (true, true),
            key_usage: (&["keyCertSign", "cRLSign"], false),
            key_alg: KeyAlg::Bare301,
            sig_alg_null: false,
        },
        Expect {
            file: ZHEJIANG,
            subject: &[
                ("C", "CN"),
                ("ST", "浙江省"),
                ("L", "杭州市"),
                ("O", "国家税务总局浙江省税务局"),
                ("OU", "国家税务总局浙江省税务局"),
                ("CN", "浙江省税务监制章电子证书"),
            ],
            issuer: &[
                ("C", "CN"),
                ("OU", "国家税务总局"),
                ("CN", "税务电子证书管理中心(SM2)"),
            ],
            not_before: "2019-10-24 00:00:00",
            not_after: "2022-10-24 00:00:00",
            serial: "16030000001191",
            ca: (false, true),
            key_usage: (
                &[
                    "digitalSignature",
                    "nonRepudiation",
                    "keyEncipherment",
                    "dataEncipherment",
                    "keyAgreement",
                ],
                true,
            ),
            key_alg: KeyAlg::EcPublicKeySm2,
            sig_alg_null: true,
        },
    ]
}

fn attr(name: &[(&str, &str)], key: &str) -> Option<String> {
    name.iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.to_string())
}

/// `K=V, K=V` as EXPECTED.md writes a name.
fn md_name(name: &[(&str, &str)]) -> String {
    name.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// RFC 4514 as our `subject()` prints it: most specific first, no spaces.
fn rfc4514(name: &[(&str, &str)]) -> String {
    name.iter()
        .rev()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// emailAddress has no RFC 4514 keyword: accept x509-cert's `EMAIL` as
/// well as `emailAddress`.
fn normalise(printed: &str) -> String {
    printed.replace("EMAIL=", "emailAddress=")
}

/// The full TLV of each element in `content`, in order.
fn tlvs(what: &'static str, content: &[u8]) -> Vec<Vec<u8>> {
    let mut r = yizhengtong::asn1::Reader::new(what, content);
    let mut out = Vec::new();
    while !r.is_empty() {
        let (_, full, _) = r.any().expect("element");
        out.push(full.to_vec());
    }
    out
}

fn content_of(tlv: &[u8]) -> Vec<u8> {
    let mut r = yizhengtong::asn1::Reader::new("element", tlv);
    let (_, _, content) = r.any().expect("element");
    content.to_vec()
}

/// (tbsCertificate.signature, outer signatureAlgorithm) as raw TLVs.
fn signature_algorithm_tlvs(der: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let outer = tlvs("certificate", &content_of(der));
    let tbs = tlvs("tbsCertificate", &content_of(&outer[0]));
    // [0] version is present in all four (v3), so signature is third.
    assert_eq!(tbs[0][0], 0xa0, "v3 certificates start with [0] version");
    (tbs[2].clone(), outer[1].clone())
}

// ---------------------------------------------------------------------
// 1. What EXPECTED.md says of each certificate
// ---------------------------------------------------------------------

#[test]
fn each_file_holds_exactly_one_certificate_with_the_listed_sha256() {
    let hashes = expected_sha256();
    assert_eq!(hashes.len(), 4, "EXPECTED.md lists four SHA-256 lines");
    for file in ALL {
        let data = pem(file);
        let all = Certificate::parse_all(&data).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(all.len(), 1, "{file}");
        let c = cert(file);
        assert_eq!(all[0], c);
        let got = yizhengtong::hex::encode(&Sha256::digest(c.der()));
        assert_eq!(
            got.to_ascii_lowercase(),
            hashes[file],
            "SHA-256 of the DER of {file}"
        );
        // DER and PEM of the same bytes read the same.
        assert_eq!(Certificate::from_der(c.der()).unwrap(), c);
        assert_eq!(Certificate::from_any(c.der()).unwrap(), c);
        assert_eq!(Certificate::from_any(c.to_pem().as_bytes()).unwrap(), c);
    }
}

#[test]
fn subjects_and_issuers() {
    for e in expectations() {
        let c = cert(e.file);
        let row = expected_row(e.file);
        assert!(
            row.contains(&format!("`{}`", md_name(e.subject))),
            "{}: EXPECTED.md row lacks the subject {}",
            e.file,
            md_name(e.subject)
        );
        let subject = normalise(&c.subject());
        assert_eq!(subject, rfc4514(e.subject), "{}", e.file);
        for (k, v) in e.subject {
            assert!(
                subject.contains(&format!("{k}={v}")),
                "{}: {subject} lacks {k}={v}",
                e.file
            );
        }
        assert_eq!(c.common_name(), attr(e.subject, "CN"), "{}", e.file);
        assert_eq!(c.organization(), attr(e.subject, "O"), "{}", e.file);
        assert_eq!(normalise(&c.issuer()), rfc4514(e.issuer), "{}", e.file);
        let self_issued = e.subject == e.issuer;
        assert_eq!(c.is_self_issued(), self_issued, "{}", e.file);
        if self_issued {
            assert!(row.contains("| self |"), "{}", e.file);
        } else {
            assert!(
                row.contains(&format!("`{}`", md_name(e.issuer))),
                "{}: EXPECTED.md row lacks the issuer {}",
                e.file,
                md_name(e.issuer)
            );
        }
    }
    // SHECA's issuer is NRCAC's subject, byte for byte.
    assert_eq!(cert(SHECA).issuer_der(), cert(NRCAC).subject_der());
    assert_eq!(
        cert(SHECA).issuer_display_name(),
        "ROOTCA",
        "issuer CN of SHECA"
    );
}

#[test]
fn tongsuo_email_address_attribute() {
    // Independent of how the keyword is printed: the attribute itself.
    let c = cert(TONGSUO);
    let email = c
        .x509()
        .tbs_certificate()
        .subject()
        .iter()
        .find(|atv| atv.oid == oid(OID_EMAIL_ADDRESS))
        .expect("emailAddress attribute");
    assert_eq!(email.value.value(), b"ca@sm2");
}

#[test]
fn zhejiang_subject_is_utf8_chinese() {
    let c = cert(ZHEJIANG);
    for atv in c.x509().tbs_certificate().subject().iter() {
        if atv.oid != oid("2.5.4.6") {
            assert_eq!(
                der::Tagged::tag(&atv.value),
                der::Tag::Utf8String,
                "{}",
                atv.oid
            );
        }
    }
    assert_eq!(c.common_name().as_deref(), Some("浙江省税务监制章电子证书"));
    assert_eq!(
        c.organization().as_deref(),
        Some("国家税务总局浙江省税务局")
    );
    assert_eq!(c.issuer_display_name(), "税务电子证书管理中心(SM2)");
}

#[test]
fn serials_and_validity() {
    for e in expectations() {
        let c = cert(e.file);
        let row = expected_row(e.file);
        assert!(row.contains(&format!("`{}`", e.serial)), "{}", e.file);
        assert!(
            row.contains(&format!("{} to {}", e.not_before, e.not_after)),
            "{}: EXPECTED.md row lacks the validity",
            e.file
        );
        assert_eq!(c.serial_hex(), e.serial, "{}", e.file);
        let rfc = |s: &str| at(&format!("{}Z", s.replace(' ', "T")));
        assert_eq!(c.not_before(), rfc(e.not_before), "{} notBefore", e.file);
        assert_eq!(c.not_after(), rfc(e.not_after), "{} notAfter", e.file);
        // The bounds are inclusive, one second outside is not valid.
        assert!(c.is_valid_at(c.not_before()) && c.is_valid_at(c.not_after()));
        assert!(!c.is_valid_at(c.not_before() - Duration::from_secs(1)));
        assert!(!c.is_valid_at(c.not_after() + Duration::from_secs(1)));
    }
    // "notAfter is GeneralizedTime" for the Tongsuo root, UTCTime elsewhere.
    let v = *cert(TONGSUO).x509().tbs_certificate().validity();
    assert!(matches!(v.not_after, x509_cert::time::Time::GeneralTime(_)));
    assert!(matches!(v.not_before, x509_cert::time::Time::UtcTime(_)));
    let v = *cert(NRCAC).x509().tbs_certificate().validity();
    assert!(matches!(v.not_after, x509_cert::time::Time::UtcTime(_)));
}

#[test]
fn basic_constraints_and_key_usage() {
    for e in expectations() {
        let c = cert(e.file);
        let row = expected_row(e.file);
        let exts = c.extensions();
        let find = |id: &str| {
            exts.iter()
                .find(|(o, _, _)| *o == oid(id))
                .map(|(_, critical, _)| *critical)
                .unwrap_or_else(|| panic!("{}: no extension {id}", e.file))
        };
        let (ca, bc_critical) = e.ca;
        assert_eq!(
            c.basic_constraints().unwrap(),
            Some((ca, None)),
            "{}",
            e.file
        );
        assert_eq!(c.is_ca(), ca, "{}", e.file);
        assert_eq!(find(OID_BASIC_CONSTRAINTS), bc_critical, "{}", e.file);
        let bc_text = match (ca, bc_critical) {
            (true, true) => "CA:TRUE (critical)",
            (true, false) => "CA:TRUE;",
            (false, _) => "CA:FALSE (critical)",
        };
        assert!(row.contains(bc_text), "{}: {bc_text}", e.file);

        let (bits, ku_critical) = e.key_usage;
        let ku = c.key_usage().unwrap().expect("keyUsage present");
        assert_eq!(ku.names(), bits, "{}", e.file);
        assert_eq!(find(OID_KEY_USAGE), ku_critical, "{}", e.file);
    }
}

#[test]
fn key_algorithms_both_forms_give_an_sm2_key() {
    for e in expectations() {
        let c = cert(e.file);
        let spki = c.x509().tbs_certificate().subject_public_key_info();
        let param = spki
            .algorithm
            .parameters
            .as_ref()
            .expect("SPKI algorithm has parameters");
        assert_eq!(der::Tagged::tag(param), der::Tag::ObjectIdentifier);
        let curve = ObjectIdentifier::from_bytes(param.value()).unwrap();
        assert_eq!(curve, oid(OID_SM2_CURVE), "{}", e.file);
        match e.key_alg {
            KeyAlg::EcPublicKeySm2 => {
                assert_eq!(spki.algorithm.oid, oid(OID_EC_PUBLIC_KEY), "{}", e.file)
            }
            KeyAlg::Bare301 => {
                assert_eq!(spki.algorithm.oid, oid(OID_SM2_CURVE), "{}", e.file)
            }
        }
        // The key is the SPKI's point, and the SPKI as written parses to it.
        let key = c.public_key();
        assert_eq!(
            &key.to_sec1_bytes(false)[..],
            spki.subject_public_key.raw_bytes(),
            "{}",
            e.file
        );
        let spki_der = spki.to_der().unwrap();
        assert_eq!(PublicKey::from_spki_der(&spki_der).unwrap(), *key);
        assert_eq!(PublicKey::from_any(&spki_der).unwrap(), *key);
        // Our own re-encoding reads back as the same kind of key.
        assert_eq!(PublicKey::from_spki_der(&key.to_spki_der()).unwrap(), *key);
        assert_eq!(certificate_public_key(&pem(e.file)).unwrap(), *key);
    }
}

#[test]
fn signature_algorithm_is_sm2_with_sm3_in_both_encodings() {
    // 30 len 06 08 <1.2.156.10197.1.501> [05 00]
    let oid_tlv = oid(OID_SM2_WITH_SM3).to_der().unwrap();
    for e in expectations() {
        let c = cert(e.file);
        assert_eq!(c.signature_algorithm(), oid(OID_SM2_WITH_SM3), "{}", e.file);
        assert_eq!(
            c.x509().tbs_certificate().signature().oid,
            oid(OID_SM2_WITH_SM3)
        );
        let (inner, outer) = signature_algorithm_tlvs(c.der());
        assert_eq!(inner, outer, "{}: the two AlgorithmIdentifiers", e.file);
        let mut want_content = oid_tlv.clone();
        if e.sig_alg_null {
            want_content.extend([0x05, 0x00]);
        }
        assert_eq!(content_of(&outer), want_content, "{}", e.file);
        let params = &c.x509().signature_algorithm().parameters;
        assert_eq!(params.is_some(), e.sig_alg_null, "{}", e.file);
    }
}

// ---------------------------------------------------------------------
// Signatures and chains
// ---------------------------------------------------------------------

#[test]
fn sheca_is_signed_by_nrcac_and_chains_to_it() {
    let root = cert(NRCAC);
    let sheca = cert(SHECA);
    sheca.verify_signed_by(root.public_key()).unwrap();
    // SHECA's authorityKeyIdentifier is NRCAC's subjectKeyIdentifier.
    assert_eq!(
        sheca.authority_key_id().unwrap(),
        root.subject_key_id().unwrap()
    );
    assert!(sheca.authority_key_id().unwrap().is_some());
    let chain = verify_chain(
        &sheca,
        &[],
        std::slice::from_ref(&root),
        &VerifyOptions::at(at("2020-01-01T00:00:00Z")),
    )
    .unwrap();
    assert_eq!(chain.certificates, vec![sheca.clone(), root.clone()]);
    // For issuing certificates too (keyCertSign).
    let mut opts = VerifyOptions::at(at("2020-01-01T00:00:00Z"));
    opts.usage = IntendedUse::CertSign;
    verify_chain(&sheca, &[], std::slice::from_ref(&root), &opts).unwrap();
    // SHECA's CRL distribution points: the DirName is skipped, both URIs read.
    assert_eq!(
        sheca.crl_distribution_uris().unwrap(),
        vec![
            "http://www.rootca.gov.cn/arl/arl.crl".to_string(),
            "ldap://ldap.rootca.gov.cn:389/CN=arl,OU=ARL,O=NRCAC,C=CN".to_string(),
        ]
    );
}

#[test]
fn root_self_signatures_verify_with_the_default_id() {
    for file in [NRCAC, TONGSUO] {
        let c = cert(file);
        c.verify_signed_by(c.public_key())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let sig = Signature::from_der(c.signature_bytes()).unwrap();
        c.public_key()
            .verify(DEFAULT_USER_ID, c.tbs_bytes(), &sig)
            .unwrap();
        assert_eq!(DEFAULT_USER_ID, b"1234567812345678");
        // A self-signed root is its own trust anchor, within its validity.
        let when = c.not_before() + Duration::from_secs(86_400);
        let chain =
            verify_chain(&c, &[], std::slice::from_ref(&c), &VerifyOptions::at(when)).unwrap();
        assert_eq!(chain.certificates.len(), 1);
    }
}

#[test]
fn nrcac_self_signature_fails_with_an_empty_id_and_without_za() {
    let c = cert(NRCAC);
    let key = c.public_key();
    let sig = Signature::from_der(c.signature_bytes()).unwrap();
    // Control: with the ID it verifies.
    key.verify(DEFAULT_USER_ID, c.tbs_bytes(), &sig).unwrap();
    let za_digest =
        yizhengtong::crypto::sign::message_digest(key, DEFAULT_USER_ID, c.tbs_bytes()).unwrap();
    key.verify_digest(&za_digest, &sig).unwrap();
    // Empty user ID.
    assert_eq!(
        key.verify(b"", c.tbs_bytes(), &sig),
        Err(Error::SignatureMismatch)
    );
    // No ZA at all: e = SM3(TBS).
    assert_eq!(
        key.verify_digest(&sm3(c.tbs_bytes()), &sig),
        Err(Error::SignatureMismatch)
    );
}

#[test]
fn zhejiang_cannot_be_chained() {
    let ee = cert(ZHEJIANG);
    let roots = [cert(NRCAC), cert(SHECA), cert(TONGSUO)];
    let opts = VerifyOptions::at(at("2020-06-01T00:00:00Z"));
    for (inter, anchors) in [
        (&[][..], &roots[..]),
        (&roots[1..2], &roots[..1]),
        (&roots[..], &roots[..]),
    ] {
        match verify_chain(&ee, inter, anchors, &opts) {
            Err(Error::Certificate { index, check, .. }) => {
                assert_eq!((index, check), (0, CertCheck::IssuerNotFound));
            }
            other => panic!("expected IssuerNotFound at 0, got {other:?}"),
        }
    }
    // None of the three keys verifies its signature either.
    for r in &roots {
        assert_eq!(
            ee.verify_signed_by(r.public_key()),
            Err(Error::SignatureMismatch)
        );
    }
}

#[test]
fn zhejiang_unknown_private_extensions_are_skipped() {
    let ee = cert(ZHEJIANG);
    let exts = ee.extensions();
    for id in [
        "1.3.6.1.4.1.5315.100.5.8",
        "1.3.6.1.4.1.5315.100.5.9",
        "1.3.6.1.4.1.5315.100.2.1",
        "1.2.86.11.7.2",
        "1.2.86.11.7.3",
        "2.16.840.1.113731.9",
        // S/MIME capabilities and AIA (OCSP).
        "1.2.840.113549.1.9.15",
        "1.3.6.1.5.5.7.1.1",
    ] {
        let (_, critical, _) = exts
            .iter()
            .find(|(o, _, _)| *o == oid(id))
            .unwrap_or_else(|| panic!("extension {id} missing"));
        assert!(!critical, "{id} is not critical");
    }
    assert_eq!(exts.len(), 13);
    // The only critical ones are keyUsage and basicConstraints.
    let critical: Vec<String> = exts
        .iter()
        .filter(|(_, c, _)| *c)
        .map(|(o, _, _)| o.to_string())
        .collect();
    assert_eq!(critical, vec![OID_KEY_USAGE, OID_BASIC_CONSTRAINTS]);
    // A trust anchor is accepted as is: the EE alone, as its own anchor.
    let mut opts = VerifyOptions::at(at("2020-06-01T00:00:00Z"));
    opts.usage = IntendedUse::Signature;
    let chain = verify_chain(&ee, &[], std::slice::from_ref(&ee), &opts).unwrap();
    assert_eq!(chain.certificates, vec![ee.clone()]);
    // The other getters read it too.
    assert_eq!(ee.extended_key_usage().unwrap(), None);
    assert_eq!(ee.profile().unwrap(), None);
    assert_eq!(
        ee.subject_key_id()
            .unwrap()
            .as_deref()
            .map(yizhengtong::hex::encode_upper),
        Some("5ACEC634757144C6B8C208B6E3E58C1820B14E27".to_string())
    );
    assert_eq!(
        ee.authority_key_id()
            .unwrap()
            .as_deref()
            .map(yizhengtong::hex::encode_upper),
        Some("B8B09A6007EA05B7B0B7E7CB42763129971576B3".to_string())
    );
    let detail = CertificateDetail::of(&ee).unwrap();
    assert_eq!(detail.serial, "16030000001191");
    assert_eq!(detail.validity, "2019-10-24 至 2022-10-24");
}

#[test]
fn zhejiang_crl_distribution_points_are_read() {
    let uris = cert(ZHEJIANG).crl_distribution_uris().unwrap();
    let q = "cn=crl1603,ou=crl16,ou=crl,c=cn?certificateRevocationList,*?base?cn=crl1603";
    assert_eq!(
        uris,
        vec![
            format!("http://taxia.zhejiang.chinatax.gov.cn:2389/{q}"),
            format!("ldap://taxia.chinatax.gov.cn:2389/{q}"),
        ]
    );
    assert!(uris.iter().any(|u| u.starts_with("ldap://")));
}

#[test]
fn no_pair_other_than_sheca_under_nrcac_and_the_two_self_signatures_verifies() {
    let certs: Vec<(&str, Certificate)> = ALL.iter().map(|f| (*f, cert(f))).collect();
    for (sf, subject) in &certs {
        for (isf, issuer) in &certs {
            let expect_ok = matches!(
                (*sf, *isf),
                (SHECA, NRCAC) | (NRCAC, NRCAC) | (TONGSUO, TONGSUO)
            );
            let r = subject.verify_signed_by(issuer.public_key());
            if expect_ok {
                assert_eq!(r, Ok(()), "{sf} signed by {isf}");
            } else {
                assert_eq!(r, Err(Error::SignatureMismatch), "{sf} signed by {isf}");
            }
            // Names: only the same pairs chain by name.
            let name_match = subject.issuer_der() == issuer.subject_der();
            assert_eq!(name_match, expect_ok, "{sf} names {isf} as issuer");
        }
    }
}

// ---------------------------------------------------------------------
// 2. Refusals of malformed certificate and CRL DER
// ---------------------------------------------------------------------

/// A DER element: primitive content, or the children of a constructed one.
enum Node {
    Prim(u8, Vec<u8>),
    Cons(u8, Vec<Node>),
}

fn parse_nodes(mut data: &[u8]) -> Vec<Node> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let mut r = yizhengtong::asn1::Reader::new("test DER", data);
        let (tag, full, content) = r.any().expect("well-formed DER");
        out.push(if tag & 0x20 != 0 {
            Node::Cons(tag, parse_nodes(content))
        } else {
            Node::Prim(tag, content.to_vec())
        });
        data = &data[full.len()..];
    }
    out
}

/// How to write one element's length.
#[derive(Clone, Copy, Debug)]
enum LenStyle {
    /// One more length byte than needed, the extra one a leading 0x00.
    LeadingZero,
    /// Long form `0x81 L` for a length that fits the short form.
    LongForShort,
}

fn minimal_len(len: usize) -> Vec<u8> {
    if len < 0x80 {
        return vec![len as u8];
    }
    let bytes: Vec<u8> = len
        .to_be_bytes()
        .iter()
        .copied()
        .skip_while(|b| *b == 0)
        .collect();
    let mut out = vec![0x80 | bytes.len() as u8];
    out.extend(bytes);
    out
}

fn styled_len(len: usize, style: LenStyle) -> Option<Vec<u8>> {
    match style {
        LenStyle::LeadingZero => {
            let bytes: Vec<u8> = if len < 0x80 {
                vec![len as u8]
            } else {
                minimal_len(len)[1..].to_vec()
            };
            let mut out = vec![0x80 | (bytes.len() as u8 + 1), 0x00];
            out.extend(bytes);
            Some(out)
        }
        LenStyle::LongForShort => (len < 0x80).then(|| vec![0x81, len as u8]),
    }
}

/// Encode `nodes`, writing the length of the element with pre-order index
/// `target` in `style` (all others minimal). `counter` walks the indices;
/// `hit` records whether the target could take the style.
fn encode(
    nodes: &[Node],
    target: usize,
    style: LenStyle,
    counter: &mut usize,
    hit: &mut bool,
) -> Vec<u8> {
    let mut out = Vec::new();
    for n in nodes {
        let me = *counter;
        *counter += 1;
        let (tag, content) = match n {
            Node::Prim(t, c) => (*t, c.clone()),
            Node::Cons(t, kids) => (*t, encode(kids, target, style, counter, hit)),
        };
        out.push(tag);
        let len = if me == target {
            match styled_len(content.len(), style) {
                Some(l) => {
                    *hit = true;
                    l
                }
                None => minimal_len(content.len()),
            }
        } else {
            minimal_len(content.len())
        };
        out.extend(len);
        out.extend(content);
    }
    out
}

/// Every re-encoding of `der` with exactly one non-minimal length, each
/// with a description of where.
fn non_minimal_variants(der: &[u8]) -> Vec<(String, Vec<u8>)> {
    let nodes = parse_nodes(der);
    let mut counter = 0;
    let mut hit = false;
    // Sanity: with no target the encoding is the input.
    assert_eq!(
        encode(
            &nodes,
            usize::MAX,
            LenStyle::LeadingZero,
            &mut counter,
            &mut hit
        ),
        der
    );
    let total = counter;
    let mut out = Vec::new();
    for target in 0..total {
        for style in [LenStyle::LeadingZero, LenStyle::LongForShort] {
            let mut counter = 0;
            let mut hit = false;
            let v = encode(&nodes, target, style, &mut counter, &mut hit);
            if hit {
                out.push((format!("element #{target} {style:?}"), v));
            }
        }
    }
    out
}

fn assert_malformed<T: std::fmt::Debug>(r: Result<T, Error>, what: &str) {
    match r {
        Err(Error::Malformed { .. }) => {}
        other => panic!("{what}: expected Error::Malformed, got {other:?}"),
    }
}

/// Truncations of PEM text up to (not including) the end of the END line
/// are refused too.
fn pem_truncations(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let end = text
        .windows(5)
        .rposition(|w| w == b"-----")
        .expect("END line")
        + 5;
    (0..end).map(move |n| &text[..n])
}

#[test]
fn every_truncation_of_each_certificate_is_malformed() {
    for file in ALL {
        let c = cert(file);
        let der = c.der();
        for n in 0..der.len() {
            assert_malformed(Certificate::from_der(&der[..n]), &format!("{file}[..{n}]"));
            assert_malformed(
                Certificate::from_any(&der[..n]),
                &format!("{file}[..{n}] any"),
            );
        }
        let text = pem(file);
        for t in pem_truncations(&text) {
            assert_malformed(
                Certificate::from_any(t),
                &format!("{file} PEM[..{}]", t.len()),
            );
        }
    }
}

#[test]
fn trailing_bytes_after_a_certificate_are_refused() {
    for file in ALL {
        let der = cert(file).der().to_vec();
        for tail in [
            &[0x00][..],
            &[0x00, 0x00],
            &[0x05, 0x00],
            &[0x30, 0x00],
            der.as_slice(),
        ] {
            let mut d = der.clone();
            d.extend_from_slice(tail);
            assert_malformed(Certificate::from_der(&d), &format!("{file} + {tail:02x?}"));
            assert_malformed(Certificate::parse_all(&d), &format!("{file} + tail, all"));
        }
    }
}

#[test]
fn non_minimal_lengths_in_a_certificate_are_refused() {
    for file in ALL {
        let der = cert(file).der().to_vec();
        // The outer SEQUENCE: a leading 0x00 in its length.
        assert_eq!(der[1], 0x82, "{file}: outer length is two bytes");
        let mut d = vec![0x30, 0x83, 0x00, der[2], der[3]];
        d.extend_from_slice(&der[4..]);
        assert_malformed(Certificate::from_der(&d), &format!("{file} outer 0x83 00"));

        let variants = non_minimal_variants(&der);
        assert!(variants.len() > 50, "{file}: {} variants", variants.len());
        for (where_, v) in variants {
            assert_malformed(Certificate::from_der(&v), &format!("{file} {where_}"));
        }
    }
}

#[test]
fn a_flipped_signature_or_tbs_byte_still_parses_but_does_not_verify() {
    for (file, issuer) in [(NRCAC, NRCAC), (SHECA, NRCAC), (TONGSUO, TONGSUO)] {
        let c = cert(file);
        let key = *cert(issuer).public_key();
        // The last byte of the DER is the last byte of s.
        let mut d = c.der().to_vec();
        let last = d.len() - 1;
        d[last] ^= 0x01;
        let flipped = Certificate::from_der(&d).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(flipped.tbs_bytes(), c.tbs_bytes());
        assert_ne!(flipped.signature_bytes(), c.signature_bytes());
        assert_eq!(
            flipped.verify_signed_by(&key),
            Err(Error::SignatureMismatch),
            "{file}"
        );
        // A byte of the serial number inside the TBS.
        let mut d = c.der().to_vec();
        let serial = c.serial().to_vec();
        let pos = d
            .windows(serial.len())
            .position(|w| w == serial.as_slice())
            .unwrap();
        d[pos + serial.len() - 1] ^= 0x01;
        let flipped = Certificate::from_der(&d).unwrap();
        assert_ne!(flipped.serial_hex(), c.serial_hex());
        assert_eq!(
            flipped.verify_signed_by(&key),
            Err(Error::SignatureMismatch)
        );
    }
    // In a chain the flip shows as the Signature check at index 0.
    let mut d = cert(SHECA).der().to_vec();
    let last = d.len() - 1;
    d[last] ^= 0x01;
    let flipped = Certificate::from_der(&d).unwrap();
    match verify_chain(
        &flipped,
        &[],
        &[cert(NRCAC)],
        &VerifyOptions::at(at("2020-01-01T00:00:00Z")),
    ) {
        Err(Error::Certificate { index, check, .. }) => {
            assert_eq!((index, check), (0, CertCheck::Signature));
        }
        other => panic!("expected a Signature failure, got {other:?}"),
    }
}

// ----- CRLs -----

/// A CA with one revoked and one frozen certificate, and its CRLs: an
/// empty first one and a second listing both.
fn ca_and_crls() -> (Certificate, Vec<u8>, Vec<u8>) {
    let mut rng = common::test_rng(7);
    let t0 = at("2026-01-01T00:00:00Z");
    let root = CertificateAuthority::create_root(
        PrivateKey::generate(&mut rng),
        parse_dn("C=CN,O=Vector Trust,CN=Vector SM2 CA").unwrap(),
        t0,
        3650,
        CaConfig::default(),
        &mut rng,
    )
    .unwrap();
    let ca_cert = root.certificate().clone();
    let mut ca = ManagedCa::new(root);
    let empty = ca
        .crl(t0, Duration::from_secs(7 * 86_400), &mut rng)
        .unwrap();
    let mut serials = Vec::new();
    for _ in 0..3 {
        let key = PrivateKey::generate(&mut rng);
        let req = EndEntityRequest {
            holder: Holder::person("宋世奇", "11010519491231002X").unwrap(),
            usage: CertUsage::Sign,
            medium: Medium::Mobile,
            public_key: key.public_key(),
            not_before: t0,
            days: 365,
        };
        serials.push(ca.issue(&req, t0, &mut rng).unwrap().serial_hex());
    }
    let later = t0 + Duration::from_secs(3600);
    ca.revoke(&serials[0], RevocationReason::KeyCompromise, later)
        .unwrap();
    ca.freeze(&serials[1], later).unwrap();
    let listed = ca
        .crl(later, Duration::from_secs(7 * 86_400), &mut rng)
        .unwrap();
    (ca_cert, empty, listed)
}

#[test]
fn crls_made_by_our_api_parse_and_verify() {
    let (ca, empty, listed) = ca_and_crls();
    let e = Crl::from_der(&empty).unwrap();
    assert_eq!(e.entries(), vec![]);
    assert_eq!(e.number(), Some(1));
    let l = Crl::from_der(&listed).unwrap();
    assert_eq!(l.number(), Some(2));
    let mut reasons: Vec<RevocationReason> = l.entries().iter().map(|x| x.reason).collect();
    reasons.sort_by_key(|r| r.code());
    assert_eq!(
        reasons,
        vec![
            RevocationReason::KeyCompromise,
            RevocationReason::CertificateHold
        ]
    );
    assert_eq!(l.issuer(), ca.subject());
    let now = at("2026-01-02T00:00:00Z");
    e.verify(&ca, now).unwrap();
    l.verify(&ca, now).unwrap();
    assert_eq!(
        Crl::from_any(l.to_pem().as_bytes()).unwrap().der(),
        &listed[..]
    );
}

#[test]
fn every_truncation_of_a_crl_is_malformed_and_trailing_bytes_are_refused() {
    let (_, empty, listed) = ca_and_crls();
    for (name, der) in [("empty CRL", &empty), ("CRL with entries", &listed)] {
        for n in 0..der.len() {
            assert_malformed(Crl::from_der(&der[..n]), &format!("{name}[..{n}]"));
            assert_malformed(Crl::from_any(&der[..n]), &format!("{name}[..{n}] any"));
        }
        let text = Crl::from_der(der).unwrap().to_pem().into_bytes();
        for t in pem_truncations(&text) {
            assert_malformed(Crl::from_any(t), &format!("{name} PEM[..{}]", t.len()));
        }
        for tail in [&[0x00][..], &[0x00, 0x00], &[0x05, 0x00], der.as_slice()] {
            let mut d = der.clone();
            d.extend_from_slice(tail);
            assert_malformed(Crl::from_der(&d), &format!("{name} + {tail:02x?}"));
        }
    }
}

#[test]
fn non_minimal_lengths_in_a_crl_are_refused() {
    let (_, empty, listed) = ca_and_crls();
    for (name, der) in [("empty CRL", &empty), ("CRL with entries", &listed)] {
        let variants = non_minimal_variants(der);
        assert!(variants.len() > 20, "{name}: {} variants", variants.len());
        for (where_, v) in variants {
            assert_malformed(Crl::from_der(&v), &format!("{name} {where_}"));
        }
    }
}

#[test]
fn a_crl_with_a_flipped_signature_parses_but_does_not_verify() {
    let (ca, _, listed) = ca_and_crls();
    let mut d = listed.clone();
    let last = d.len() - 1;
    d[last] ^= 0x01;
    let crl = Crl::from_der(&d).unwrap();
    match crl.verify(&ca, at("2026-01-02T00:00:00Z")) {
        Err(Error::Crl(msg)) => assert!(msg.contains("signature"), "{msg}"),
        other => panic!("expected a CRL signature refusal, got {other:?}"),
    }
    // And a CRL does not parse as a certificate, nor a certificate as a CRL.
    assert_malformed(Certificate::from_der(&listed), "CRL as certificate");
    assert_malformed(Crl::from_der(cert(NRCAC).der()), "certificate as CRL");
}

// ---------------------------------------------------------------------
// 3. Certificates and CRLs that are signed correctly but break RFC 5280
//    or DER elsewhere than in a length. Each is built from one our API
//    made: the TBS is edited, then signed again with the CA's key.
// ---------------------------------------------------------------------

fn probe_t0() -> SystemTime {
    at("2026-01-01T00:00:00Z")
}

/// A root CA whose key we hold.
fn probe_ca() -> (PrivateKey, CertificateAuthority) {
    let mut rng = common::test_rng(3);
    let key = PrivateKey::generate(&mut rng);
    let ca = CertificateAuthority::create_root(
        key.clone(),
        parse_dn("C=CN,O=Probe Trust,CN=Probe SM2 Root").unwrap(),
        probe_t0(),
        3650,
        CaConfig::default(),
        &mut rng,
    )
    .unwrap();
    (key, ca)
}

/// `SEQUENCE { tbs, alg, BIT STRING { sign(tbs) } }`, signed by `key`.
fn resign(tbs: &[u8], alg: &[u8], key: &PrivateKey) -> Vec<u8> {
    let sig = key
        .sign(DEFAULT_USER_ID, tbs, &mut common::test_rng(9))
        .unwrap()
        .to_der();
    let mut bits = vec![0];
    bits.extend(sig);
    tlv(0x30, &[tbs, alg, &tlv(0x03, &bits)].concat())
}

/// (the TBS's elements, the outer signatureAlgorithm TLV) of a signed
/// certificate or CRL.
fn signed_parts(der: &[u8]) -> (Vec<Vec<u8>>, Vec<u8>) {
    let outer = tlvs("signed", &content_of(der));
    (tlvs("tbs", &content_of(&outer[0])), outer[1].clone())
}

fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

/// An Extension: `SEQUENCE { OID, [critical TRUE], OCTET STRING value }`.
fn extension(oid_der: &[u8], critical: bool, value: &[u8]) -> Vec<u8> {
    let mut parts = vec![oid_der.to_vec()];
    if critical {
        parts.push(vec![0x01, 0x01, 0xff]);
    }
    parts.push(tlv(0x04, value));
    seq(&parts)
}

/// The probe root re-signed with `edit` applied to its TBS elements
/// ([0] version, serial, signature, issuer, validity, subject, SPKI,
/// [3] extensions).
fn edited_root(edit: impl FnOnce(&mut Vec<Vec<u8>>)) -> Vec<u8> {
    let (key, ca) = probe_ca();
    let (mut tbs, alg) = signed_parts(ca.certificate().der());
    assert_eq!(tbs.len(), 8);
    edit(&mut tbs);
    resign(&seq(&tbs), &alg, &key)
}

/// The extensions of the probe root: basicConstraints, keyUsage, SKI, AKI.
fn root_extensions(tbs: &[Vec<u8>]) -> Vec<Vec<u8>> {
    tlvs("extensions", &content_of(&content_of(&tbs[7])))
}

fn set_extensions(tbs: &mut [Vec<u8>], exts: &[Vec<u8>]) {
    tbs[7] = tlv(0xa3, &seq(exts));
}

/// Parse and verify as its own trust anchor (the probe root is
/// self-signed): Ok means the SDK accepted the certificate.
fn accepted_as_anchor(der: &[u8]) -> Result<(), Error> {
    let c = Certificate::from_der(der)?;
    c.verify_signed_by(c.public_key())?;
    let opts = VerifyOptions::at(probe_t0() + Duration::from_secs(86_400));
    verify_chain(&c, &[], std::slice::from_ref(&c), &opts).map(|_| ())
}

const BC_OID: [u8; 5] = [0x06, 0x03, 0x55, 0x1d, 0x13];

#[test]
fn the_edited_root_itself_is_accepted() {
    // Control for the probes below: re-signing an unedited TBS works.
    accepted_as_anchor(&edited_root(|_| {})).unwrap();
}

#[test]
fn a_non_der_boolean_or_integer_in_a_signed_certificate_is_refused() {
    // critical = 0x01 instead of 0xff.
    let der = edited_root(|tbs| {
        let mut exts = root_extensions(tbs);
        let pos = exts[0]
            .windows(3)
            .position(|w| w == [0x01, 0x01, 0xff])
            .unwrap();
        exts[0][pos + 2] = 0x01;
        set_extensions(tbs, &exts);
    });
    assert_malformed(Certificate::from_der(&der), "BOOLEAN 0x01");
    // A serial number with a superfluous leading zero.
    let der = edited_root(|tbs| {
        let serial = content_of(&tbs[1]);
        assert!(serial[0] < 0x80);
        tbs[1] = tlv(0x02, &[&[0u8][..], &serial].concat());
    });
    assert_malformed(Certificate::from_der(&der), "INTEGER with a leading zero");
}

#[test]
fn an_unknown_critical_extension_stops_the_chain() {
    let der = edited_root(|tbs| {
        let mut exts = root_extensions(tbs);
        exts.push(extension(
            &[0x06, 0x03, 0x2a, 0x03, 0x04],
            true,
            &[0x05, 0x00],
        ));
        set_extensions(tbs, &exts);
    });
    match accepted_as_anchor(&der) {
        Err(Error::Certificate { index, check, .. }) => {
            assert_eq!((index, check), (0, CertCheck::UnknownCriticalExtension));
        }
        other => panic!("expected UnknownCriticalExtension, got {other:?}"),
    }
}

#[test]
fn a_non_minimal_length_inside_an_extension_value_is_refused_by_its_getter() {
    // basicConstraints value 30 03 01 01 ff written as 30 81 03 01 01 ff.
    let der = edited_root(|tbs| {
        let mut exts = root_extensions(tbs);
        exts[0] = extension(&BC_OID, true, &[0x30, 0x81, 0x03, 0x01, 0x01, 0xff]);
        set_extensions(tbs, &exts);
    });
    let c = Certificate::from_der(&der).unwrap();
    assert_malformed(c.basic_constraints(), "basicConstraints value");
    assert!(!c.is_ca());
}

#[test]
fn a_certificate_whose_two_signature_algorithms_differ_is_refused() {
    // tbsCertificate.signature = 1.2.156.10197.1.502 (SM2 with SHA-1);
    // the outer one is 1.2.156.10197.1.501.
    let der = edited_root(|tbs| {
        let n = tbs[2].len();
        tbs[2][n - 1] = 0x76;
    });
    assert!(
        accepted_as_anchor(&der).is_err(),
        "signature algorithm mismatch (different OID) accepted"
    );
    // The same OID, with NULL parameters inside and none outside.
    let der = edited_root(|tbs| {
        tbs[2] = tlv(0x30, &[content_of(&tbs[2]), vec![0x05, 0x00]].concat());
    });
    assert!(
        accepted_as_anchor(&der).is_err(),
        "signature algorithm mismatch (parameters) accepted"
    );
}

#[test]
fn a_certificate_with_a_duplicated_extension_is_refused() {
    // basicConstraints cA FALSE first, then the original cA TRUE.
    let der = edited_root(|tbs| {
        let mut exts = root_extensions(tbs);
        exts.insert(0, extension(&BC_OID, true, &[0x30, 0x00]));
        set_extensions(tbs, &exts);
    });
    let c = Certificate::from_der(&der);
    if let Ok(c) = &c {
        // What the SDK makes of it: the first instance.
        assert_eq!(c.basic_constraints(), Ok(Some((false, None))));
    }
    assert!(
        accepted_as_anchor(&der).is_err(),
        "duplicate basicConstraints accepted"
    );
}

#[test]
fn extensions_in_a_v1_or_v2_certificate_are_refused() {
    // v1: the [0] version element left out.
    let der = edited_root(|tbs| {
        tbs.remove(0);
    });
    assert!(accepted_as_anchor(&der).is_err(), "v1 with extensions");
    // v2: [0] INTEGER 1.
    let der = edited_root(|tbs| tbs[0] = tlv(0xa0, &tlv(0x02, &[1])));
    assert!(accepted_as_anchor(&der).is_err(), "v2 with extensions");
}

/// DEFAULT values written out (an explicit `critical FALSE`, an explicit
/// v1 version) are not strict DER, but real certificates and seals carry
/// them (see the tax-bureau seal's extDatas): they are tolerated by design,
/// and signatures are checked over the bytes as received.
#[test]
fn default_values_written_out_are_tolerated() {
    let der = edited_root(|tbs| {
        let mut exts = root_extensions(tbs);
        let parts = tlvs("extension", &content_of(&exts[1]));
        exts[1] = seq(&[parts[0].clone(), vec![0x01, 0x01, 0x00], parts[2].clone()]);
        set_extensions(tbs, &exts);
    });
    let c = Certificate::from_der(&der).unwrap();
    assert!(!c.extensions()[1].1, "read as not critical");
    c.verify_signed_by(c.public_key()).unwrap();
    let der = edited_root(|tbs| {
        tbs[0] = tlv(0xa0, &tlv(0x02, &[0]));
        tbs.truncate(7);
    });
    let c = Certificate::from_der(&der).unwrap();
    c.verify_signed_by(c.public_key()).unwrap();
}

// ----- CRLs -----

/// The probe root, a leaf it issued, and an empty CRL of the root (as
/// TBS elements: version, signature, issuer, thisUpdate, nextUpdate,
/// [0] crlExtensions) with its outer algorithm.
struct CrlProbe {
    key: PrivateKey,
    root: Certificate,
    leaf: Certificate,
    tbs: Vec<Vec<u8>>,
    alg: Vec<u8>,
}

fn crl_probe() -> CrlProbe {
    let (key, ca) = probe_ca();
    let mut rng = common::test_rng(11);
    let leaf_key = PrivateKey::generate(&mut rng);
    let leaf = ca
        .issue(
            &EndEntityRequest {
                holder: Holder::person("宋世奇", "11010519491231002X").unwrap(),
                usage: CertUsage::Sign,
                medium: Medium::Mobile,
                public_key: leaf_key.public_key(),
                not_before: probe_t0(),
                days: 365,
            },
            &mut rng,
        )
        .unwrap();
    let crl = ca
        .sign_crl(
            1,
            probe_t0(),
            probe_t0() + Duration::from_secs(7 * 86_400),
            &[],
            &mut rng,
        )
        .unwrap();
    let (tbs, alg) = signed_parts(&crl);
    assert_eq!(tbs.len(), 6);
    CrlProbe {
        key,
        root: ca.certificate().clone(),
        leaf,
        tbs,
        alg,
    }
}

impl CrlProbe {
    fn sign(&self, tbs: &[Vec<u8>]) -> Vec<u8> {
        resign(&seq(tbs), &self.alg, &self.key)
    }

    /// The leaf's chain with `crl` as the only revocation source, which
    /// must establish the status.
    fn chain_with(&self, crl: &[u8]) -> Result<VerifiedChain, Error> {
        let crls = [Crl::from_der(crl)?];
        let mut opts = VerifyOptions::at(probe_t0() + Duration::from_secs(86_400));
        opts.crls = &crls;
        opts.require_revocation_check = true;
        verify_chain(&self.leaf, &[], std::slice::from_ref(&self.root), &opts)
    }

    fn with_crl_extension(&self, ext: Vec<u8>) -> Vec<u8> {
        let mut tbs = self.tbs.clone();
        let mut exts = tlvs("crlExtensions", &content_of(&content_of(&tbs[5])));
        exts.push(ext);
        tbs[5] = tlv(0xa0, &seq(&exts));
        self.sign(&tbs)
    }

    /// The CRL listing `serial` with the entry extensions `entry_exts`.
    fn with_entry(&self, serial: &[u8], entry_exts: &[Vec<u8>]) -> Vec<u8> {
        let mut tbs = self.tbs.clone();
        let mut entry = vec![tlv(0x02, serial), tbs[3].clone()];
        if !entry_exts.is_empty() {
            entry.push(seq(entry_exts));
        }
        tbs.insert(5, seq(&[seq(&entry)]));
        self.sign(&tbs)
    }
}

fn revocation_unknown(r: Result<VerifiedChain, Error>, what: &str) {
    match r {
        Err(Error::Certificate { index, check, .. }) => {
            assert_eq!((index, check), (0, CertCheck::RevocationUnknown), "{what}");
        }
        other => panic!("{what}: expected RevocationUnknown at 0, got {other:?}"),
    }
}

#[test]
fn the_edited_crl_itself_establishes_the_status() {
    // Controls for the CRL probes below.
    let p = crl_probe();
    p.chain_with(&p.sign(&p.tbs)).unwrap();
    // A listed serial is revoked, with the reason of its entry.
    let reason = extension(&[0x06, 0x03, 0x55, 0x1d, 0x15], false, &[0x0a, 0x01, 0x01]);
    let listed = p.with_entry(p.leaf.serial(), &[reason]);
    match p.chain_with(&listed) {
        Err(Error::Certificate { index, check, .. }) => {
            assert_eq!((index, check), (0, CertCheck::Revoked));
        }
        other => panic!("expected Revoked, got {other:?}"),
    }
    // Without any CRL the status is unknown.
    let mut opts = VerifyOptions::at(probe_t0() + Duration::from_secs(86_400));
    opts.require_revocation_check = true;
    revocation_unknown(
        verify_chain(&p.leaf, &[], std::slice::from_ref(&p.root), &opts),
        "no CRL",
    );
}

#[test]
fn a_crl_with_an_unknown_critical_extension_is_not_used() {
    let p = crl_probe();
    // deltaCRLIndicator (2.5.29.27), BaseCRLNumber 1: a delta CRL lists
    // only changes, so "not listed" does not mean "not revoked".
    let delta = p.with_crl_extension(extension(
        &[0x06, 0x03, 0x55, 0x1d, 0x1b],
        true,
        &[0x02, 0x01, 0x01],
    ));
    revocation_unknown(p.chain_with(&delta), "delta CRL");
    // issuingDistributionPoint (2.5.29.28) onlyContainsCACerts: this CRL
    // does not cover end-entity certificates.
    let idp = p.with_crl_extension(extension(
        &[0x06, 0x03, 0x55, 0x1d, 0x1c],
        true,
        &[0x30, 0x03, 0x82, 0x01, 0xff],
    ));
    revocation_unknown(p.chain_with(&idp), "CA-only CRL");
    // A private critical extension.
    let private = p.with_crl_extension(extension(
        &[0x06, 0x03, 0x2a, 0x03, 0x04],
        true,
        &[0x05, 0x00],
    ));
    revocation_unknown(p.chain_with(&private), "private critical CRL extension");
}

#[test]
fn a_crl_with_an_unknown_critical_entry_extension_is_not_used() {
    let p = crl_probe();
    // An entry for another serial with a critical private entry extension.
    let crl = p.with_entry(
        &[0x12, 0x34],
        &[extension(
            &[0x06, 0x03, 0x2a, 0x03, 0x04],
            true,
            &[0x05, 0x00],
        )],
    );
    revocation_unknown(p.chain_with(&crl), "critical private entry extension");
    // certificateIssuer (2.5.29.29), critical: an indirect CRL; entries
    // from here on are for another issuer.
    let crl = p.with_entry(
        &[0x12, 0x34],
        &[extension(
            &[0x06, 0x03, 0x55, 0x1d, 0x1d],
            true,
            &seq(&[tlv(0x82, b"other.example.cn")]),
        )],
    );
    revocation_unknown(p.chain_with(&crl), "critical certificateIssuer");
}

#[test]
fn a_crl_whose_two_signature_algorithms_differ_is_refused() {
    let p = crl_probe();
    let mut tbs = p.tbs.clone();
    let n = tbs[1].len();
    tbs[1][n - 1] = 0x76; // 1.2.156.10197.1.502 inside, 501 outside
    let der = p.sign(&tbs);
    let refused = match Crl::from_der(&der) {
        Err(_) => true,
        Ok(crl) => crl.verify(&p.root, probe_t0()).is_err(),
    };
    assert!(refused, "CRL signature algorithm mismatch accepted");
}

#[test]
fn a_v1_crl_is_read() {
    let p = crl_probe();
    // version, crlExtensions left out; one entry without extensions.
    let mut tbs = p.tbs[1..5].to_vec();
    let v1_empty = p.sign(&tbs);
    tbs.push(seq(&[seq(&[tlv(0x02, &[0x12, 0x34]), p.tbs[3].clone()])]));
    let v1_listed = p.sign(&tbs);
    for (what, der) in [
        ("empty v1 CRL", v1_empty),
        ("v1 CRL with an entry", v1_listed),
    ] {
        let crl = Crl::from_der(&der).unwrap_or_else(|e| panic!("{what}: {e}"));
        crl.verify(&p.root, probe_t0()).unwrap();
        assert_eq!(crl.number(), None);
    }
}
