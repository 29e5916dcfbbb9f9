//! Every file in ../shared/vectors/ses gives exactly what its EXPECTED.md
//! lists, including the checks that must fail.

mod common;

use std::time::SystemTime;

use common::read_vector;
use yizhengtong::cert::Certificate;
use yizhengtong::crypto::{DEFAULT_USER_ID, Signature, sm3};
use yizhengtong::seal::*;
use yizhengtong::time::parse_rfc3339;

fn t(s: &str) -> SystemTime {
    parse_rfc3339(s).unwrap()
}

fn seal(name: &str) -> Seal {
    Seal::from_der(&read_vector(&format!("ses/{name}"))).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn signature(name: &str) -> SealSignature {
    SealSignature::from_der(&read_vector(&format!("ses/{name}")))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn passed(r: &VerifyReport, step: &str) -> bool {
    matches!(r.status(step), Some(StepStatus::Passed))
}

fn failed(r: &VerifyReport, step: &str) -> bool {
    matches!(r.status(step), Some(StepStatus::Failed(_)))
}

fn user_cert() -> Vec<u8> {
    Certificate::from_pem(&read_vector("ses/USER.cert.pem"))
        .unwrap()
        .der()
        .to_vec()
}

fn maker_cert() -> Vec<u8> {
    Certificate::from_pem(&read_vector("ses/SealBuilder.cert.pem"))
        .unwrap()
        .der()
        .to_vec()
}

#[test]
fn ofdrw_seals_parse_as_listed() {
    let png = read_vector("ses/StampImg.png");
    let cases = [
        (
            "UserV1.esl",
            SealVersion::V1,
            "OFDR&WTest",
            "40C8CDD24DEF43388B86E62CCE1D6832",
            "OFDRW测试用印章",
            1,
            "2020-04-22T02:18:07Z",
            "2022-04-22T02:18:07Z",
        ),
        (
            "UserV4.esl",
            SealVersion::V4,
            "OFDR&WTest",
            "51f044b76510434e9bc67a1185c2fba5",
            "OFD R&W 测试用印章",
            3,
            "2020-04-22T02:09:00Z",
            "2022-04-22T02:09:00Z",
        ),
        (
            "UserV5.esl",
            SealVersion::V5,
            "OFDR&WTestV5",
            "09aaf39291e049e4b3d716414590937e",
            "OFD R&W V5测试用印章",
            3,
            "2026-04-24T08:53:23Z",
            "2028-04-24T08:53:23Z",
        ),
        (
            "UserV5_ts.esl",
            SealVersion::V5,
            "OFDR&WTestV5",
            "55a4a957189a48f596706fb431e962c5",
            "OFD R&W V5测试用印章",
            3,
            "2026-04-24T08:53:22Z",
            "2028-04-24T08:53:22Z",
        ),
    ];
    for (file, version, vid, es_id, name, kind, start, end) in cases {
        let s = seal(file);
        assert_eq!(s.version, version, "{file}");
        assert_eq!(s.info.header.id, "ES");
        assert_eq!(s.info.header.version, version.number());
        assert_eq!(s.info.header.vid, vid);
        assert_eq!(s.info.es_id, es_id);
        let p = &s.info.property;
        assert_eq!(p.name, name);
        assert_eq!(p.seal_type, kind);
        assert_eq!(p.create_date, t(start), "{file}");
        assert_eq!(p.valid_start, t(start));
        assert_eq!(p.valid_end, t(end));
        assert_eq!(
            p.cert_list,
            CertList::Certificates(vec![user_cert()]),
            "{file}"
        );
        assert_eq!(s.info.picture.kind, "PNG");
        assert_eq!(s.info.picture.data, png);
        assert_eq!(
            (s.info.picture.width_mm, s.info.picture.height_mm),
            (40, 40)
        );
        assert_eq!(
            ImageType::detect(&s.info.picture.data).unwrap(),
            ImageType::Png
        );
        assert!(s.info.ext_datas.is_empty());
        assert_eq!(s.maker_cert, maker_cert(), "{file}");
        assert_eq!(s.sign_alg.to_string(), "1.2.156.10197.1.501");
    }
    assert_eq!(
        seal("UserV5_ts.esl").time_stamp,
        Some(vec![0xa0, 0x06, 0x03, 0x04, 0x00, 0x01, 0x02, 0x03])
    );
    assert_eq!(seal("UserV5.esl").time_stamp, None);
}

#[test]
fn seal_signatures_pass_over_the_right_bytes_and_fail_over_the_wrong_ones() {
    let maker = Certificate::from_der(&maker_cert()).unwrap();
    for file in ["UserV1.esl", "UserV4.esl", "UserV5.esl", "UserV5_ts.esl"] {
        let s = seal(file);
        let sig = Signature::from_der(&s.signature).unwrap();
        let v1_bytes = {
            let mut b = vec![];
            let cert = yizhengtong::asn1::tlv(yizhengtong::asn1::TAG_OCTET_STRING, &s.maker_cert);
            let oid = [0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x83, 0x75];
            b.extend_from_slice(&s.info.raw);
            b.extend(cert);
            b.extend(oid);
            yizhengtong::asn1::tlv(0x30, &b)
        };
        let over_info = maker
            .public_key()
            .verify(DEFAULT_USER_ID, &s.info.raw, &sig);
        let over_v1 = maker.public_key().verify(DEFAULT_USER_ID, &v1_bytes, &sig);
        if s.version == SealVersion::V1 {
            assert!(over_v1.is_ok(), "{file}");
            assert!(over_info.is_err(), "{file}");
        } else {
            assert!(over_info.is_ok(), "{file}");
            assert!(over_v1.is_err(), "{file}");
        }
        // And the report, at a time inside each seal's validity.
        let at = s.info.property.valid_start;
        let r = verify_seal(&s, at, &SealVerifyOptions::default());
        assert!(passed(&r, "seal_signature"), "{file}: {r:?}");
        assert!(passed(&r, "seal_validity"), "{file}: {r:?}");
        assert!(matches!(
            r.status("maker_chain"),
            Some(StepStatus::Skipped(_))
        ));
        // v5 seals were made after the maker certificate expired.
        let expired = s.version == SealVersion::V5;
        assert_eq!(failed(&r, "maker_cert_validity"), expired, "{file}: {r:?}");
        assert_eq!(r.valid, !expired);
    }
}

#[test]
fn ofdrw_signatures() {
    let xml = read_vector("ses/Signature.xml");
    assert_eq!(
        yizhengtong::hex::encode(&sm3(&xml)),
        "8dfb7a6626485d7308606dad7064d3d41f638a45790ac05094aea58626374526"
    );
    let v4 = signature("SignedValueV4.dat");
    assert_eq!(v4.version, SealVersion::V4);
    assert_eq!(v4.tbs_version, 4);
    assert_eq!(v4.seal.raw, read_vector("ses/UserV4.esl"));
    assert_eq!(v4.time, t("2020-10-12T11:14:03Z"));
    assert_eq!(v4.data_hash, vec![0u8; 32]);
    assert_eq!(v4.property, "/Doc_0/Signs/Sign_0/Signature.xml");
    assert_eq!(v4.signer_cert, user_cert());
    let r = verify_signature(&v4, Some(&xml), &SealVerifyOptions::default());
    for step in [
        "signature",
        "signer_in_seal",
        "seal_signature",
        "maker_cert_validity",
        "seal_validity",
        "signer_cert_validity",
    ] {
        assert!(passed(&r, step), "V4 {step}: {r:?}");
    }
    assert!(failed(&r, "document_digest"), "{r:?}");
    assert_eq!(r.failed(), vec!["document_digest"]);

    let v5 = signature("SignedValueV5.dat");
    assert_eq!(v5.version, SealVersion::V5);
    assert_eq!(v5.tbs_version, 5);
    assert_eq!(v5.seal.info.es_id, "309093c121454e56955f3be47ff728a3");
    assert_eq!(v5.time, t("2026-04-24T08:53:26Z"));
    let r = verify_signature(&v5, Some(&xml), &SealVerifyOptions::default());
    for step in [
        "signature",
        "signer_in_seal",
        "seal_signature",
        "seal_validity",
    ] {
        assert!(passed(&r, step), "V5 {step}: {r:?}");
    }
    for step in [
        "signer_cert_validity",
        "maker_cert_validity",
        "document_digest",
    ] {
        assert!(failed(&r, step), "V5 {step}: {r:?}");
    }
}

#[test]
fn third_party_tax_seals() {
    for (dir, es_id, name, digest, time, start, end) in [
        (
            "ofd_converter_1",
            "33010600000001",
            "国家税务总局浙江省税务局",
            "8d6320bbb8c8dfc339448516dccd28d3e593c7b9032fa17832707905478ed63f",
            "2020-07-23T13:09:07Z",
            "2019-10-23T16:00:00Z",
            "2023-05-28T16:00:00Z",
        ),
        (
            "ofd_sign_v4signed",
            "50011200000399",
            "测试全国统一发票监制章国家税务总局重庆市税务局",
            "14859b925039a50fe268d40e4a903da44d64cc56b1eebd0902d45a5a41a134b5",
            "2020-10-10T07:11:20Z",
            "2020-10-07T16:00:00Z",
            "2023-10-07T16:00:00Z",
        ),
    ] {
        let s = signature(&format!("{dir}/SignedValue.dat"));
        let xml = read_vector(&format!("ses/{dir}/Signature.xml"));
        assert_eq!(yizhengtong::hex::encode(&sm3(&xml)), digest);
        assert_eq!(s.version, SealVersion::V4);
        assert_eq!(s.tbs_version, 4);
        assert_eq!(s.seal.info.header.vid, "GOMAIN");
        assert_eq!(s.seal.info.es_id, es_id);
        assert_eq!(s.seal.info.property.name, name);
        assert_eq!(s.seal.info.property.seal_type, 3);
        assert_eq!(SealKind::from_code(3), SealKind::Other(3));
        assert_eq!(s.seal.info.picture.kind, "ofd");
        assert_eq!(
            ImageType::detect(&s.seal.info.picture.data).unwrap(),
            ImageType::Ofd
        );
        assert_eq!(
            (s.seal.info.picture.width_mm, s.seal.info.picture.height_mm),
            (30, 20)
        );
        assert_eq!(s.seal.info.ext_datas.len(), 1);
        assert_eq!(
            s.seal.info.ext_datas[0].oid.to_string(),
            "1.2.156.10197.6.7.2.2.1"
        );
        assert!(!s.seal.info.ext_datas[0].critical);
        assert_eq!(s.time, t(time));
        assert_eq!(s.seal.info.property.valid_start, t(start));
        assert_eq!(s.seal.info.property.valid_end, t(end));
        let r = verify_signature(&s, Some(&xml), &SealVerifyOptions::default());
        assert!(r.valid, "{dir}: {r:?}");
        assert_eq!(r.failed(), Vec::<&str>::new());
        assert!(matches!(
            r.status("maker_chain"),
            Some(StepStatus::Skipped(_))
        ));
    }
    // The Zhejiang signer certificate is the one shipped in ../certs.
    let s = signature("ofd_converter_1/SignedValue.dat");
    let shipped = Certificate::from_pem(&read_vector("certs/zhejiang_tax_signer_ee.pem")).unwrap();
    assert_eq!(s.signer_cert, shipped.der());
    let maker = Certificate::from_der(&s.seal.maker_cert).unwrap();
    assert_eq!(maker.serial_hex(), "010300000016BF");
    assert_eq!(
        maker.common_name().as_deref(),
        Some("国家税务总局电子印章制作系统")
    );
}

#[test]
fn strict_path_to_the_ofdrw_root_fails_but_signatures_pass() {
    let root = Certificate::from_pem(&read_vector("ses/ofdrw_ROOT_cert.pem")).unwrap();
    let anchors = [root.clone()];
    let v4 = signature("SignedValueV4.dat");
    let opts = SealVerifyOptions {
        anchors: &anchors,
        ..Default::default()
    };
    let r = verify_signature(&v4, None, &opts);
    assert!(failed(&r, "maker_chain"), "{r:?}");
    assert!(failed(&r, "signer_chain"), "{r:?}");
    assert!(passed(&r, "signature") && passed(&r, "seal_signature"));
    // The signatures under the root do verify.
    let user = Certificate::from_der(&user_cert()).unwrap();
    let maker = Certificate::from_der(&maker_cert()).unwrap();
    user.verify_signed_by(root.public_key()).unwrap();
    maker.verify_signed_by(root.public_key()).unwrap();
    root.verify_signed_by(root.public_key()).unwrap();
}

#[test]
fn file_hashes_match_expected() {
    use sha2::{Digest, Sha256};
    let expected = String::from_utf8(read_vector("ses/EXPECTED.md")).unwrap();
    let mut n = 0;
    for line in expected.lines() {
        let mut parts = line.split_whitespace();
        if let (Some(h), Some(f), None) = (parts.next(), parts.next(), parts.next())
            && h.len() == 64
            && h.chars().all(|c| c.is_ascii_hexdigit())
        {
            let got = yizhengtong::hex::encode(&Sha256::digest(read_vector(&format!("ses/{f}"))));
            assert_eq!(got, h, "{f}");
            n += 1;
        }
    }
    assert_eq!(n, 15);
}
