//! Make → show → stamp → verify in versions 1, 4 and 5, and tampering with
//! each part failing at the right step.

mod common;

use std::time::{Duration, SystemTime};

use common::{read_vector, test_rng};
use yizhengtong::cert::*;
use yizhengtong::crypto::{PrivateKey, sm3};
use yizhengtong::seal::*;

const DAY: Duration = Duration::from_secs(86_400);

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600) // 2026-01-01
}

struct World {
    root: CertificateAuthority,
    maker_key: PrivateKey,
    maker_cert: Certificate,
    signer_key: PrivateKey,
    signer_cert: Certificate,
    other_cert: Certificate,
}

fn world(seed: u64) -> World {
    let mut rng = test_rng(seed);
    let root = CertificateAuthority::create_root(
        PrivateKey::generate(&mut rng),
        parse_dn("C=CN,O=Seal Test,CN=Seal Test Root").unwrap(),
        t0(),
        3650,
        CaConfig::default(),
        &mut rng,
    )
    .unwrap();
    let mut issue = |holder: Holder, key: &PrivateKey| {
        root.issue(
            &EndEntityRequest {
                holder,
                usage: CertUsage::Sign,
                medium: Medium::Mobile,
                public_key: key.public_key(),
                not_before: t0(),
                days: 730,
            },
            &mut rng,
        )
        .unwrap()
    };
    let maker_key = PrivateKey::generate(&mut test_rng(seed + 100));
    let signer_key = PrivateKey::generate(&mut test_rng(seed + 200));
    let other_key = PrivateKey::generate(&mut test_rng(seed + 300));
    let maker_cert = issue(
        Holder::enterprise("电子印章制作中心", "9165010039960151X0").unwrap(),
        &maker_key,
    );
    let signer_cert = issue(
        Holder::enterprise("乌鲁木齐诚悦网络科技有限公司", "9165010039960151X0").unwrap(),
        &signer_key,
    );
    let other_cert = issue(
        Holder::person("欧勇", "11010519491231002X").unwrap(),
        &other_key,
    );
    World {
        root,
        maker_key,
        maker_cert,
        signer_key,
        signer_cert,
        other_cert,
    }
}

fn request(w: &World, version: SealVersion) -> SealRequest {
    SealRequest {
        version,
        kind: SealKind::ContractSeal,
        name: "乌鲁木齐诚悦网络科技有限公司合同专用章".into(),
        es_id: format!("6501000000{}", version.number()),
        vendor_id: "YZT".into(),
        image: read_vector("ses/StampImg.png"),
        width_mm: 42,
        height_mm: 42,
        holder_certs: vec![w.signer_cert.clone()],
        created: t0() + DAY,
        valid_start: t0() + DAY,
        valid_end: t0() + 365 * DAY,
        ext_datas: vec![],
        time_stamp: if version == SealVersion::V5 {
            Some(vec![1, 2, 3])
        } else {
            None
        },
    }
}

const DOC: &[u8] = b"<?xml version=\"1.0\"?><Tender lot=\"7\" amount=\"1280000.00\"/>";

fn stamped(w: &World, seal: &Seal) -> SealSignature {
    let mut rng = test_rng(9);
    let req = StampRequest {
        seal,
        signer_cert: &w.signer_cert,
        data_hash: sm3(DOC),
        property: "/Doc_0/Signs/Sign_0/Signature.xml",
        time: t0() + 10 * DAY,
        ext_datas: vec![],
        time_stamp: None,
    };
    stamp(&req, key_signer(&w.signer_key, &mut rng)).unwrap()
}

fn opts<'a>(anchors: &'a [Certificate]) -> SealVerifyOptions<'a> {
    SealVerifyOptions {
        anchors,
        ..Default::default()
    }
}

#[test]
fn round_trip_every_version() {
    let w = world(1);
    let anchors = [w.root.certificate().clone()];
    for version in [SealVersion::V1, SealVersion::V4, SealVersion::V5] {
        let mut rng = test_rng(2);
        let seal = make_seal(&request(&w, version), &w.maker_key, &w.maker_cert, &mut rng).unwrap();
        // show: parse back what was written
        let again = Seal::from_der(&seal.raw).unwrap();
        assert_eq!(again, seal);
        assert_eq!(again.version, version);
        assert_eq!(again.info.picture.kind, "PNG");
        assert_eq!(
            SealKind::from_code(again.info.property.seal_type),
            SealKind::ContractSeal
        );
        assert_eq!(again.info.property.valid_end, t0() + 365 * DAY);
        let r = verify_seal(&seal, t0() + 2 * DAY, &opts(&anchors));
        assert!(r.valid && r.failed().is_empty(), "{version:?}: {r:?}");
        assert_eq!(r.status("maker_chain"), Some(&StepStatus::Passed));
        if version == SealVersion::V5 {
            assert!(seal.time_stamp.is_some());
        }

        let sig = stamped(&w, &seal);
        let parsed = SealSignature::from_der(&sig.raw).unwrap();
        assert_eq!(parsed, sig);
        assert_eq!(parsed.tbs_version, version.number());
        assert_eq!(parsed.time, t0() + 10 * DAY);
        let r = verify_signature(&parsed, Some(DOC), &opts(&anchors));
        assert!(r.valid, "{version:?}: {r:?}");
        assert_eq!(r.failed(), Vec::<&str>::new());
        for step in [
            "signature",
            "signer_in_seal",
            "seal_signature",
            "maker_chain",
            "maker_cert_validity",
            "seal_validity",
            "signer_cert_validity",
            "signer_chain",
            "document_digest",
        ] {
            assert_eq!(
                r.status(step),
                Some(&StepStatus::Passed),
                "{version:?} {step}"
            );
        }
        // another document
        let r = verify_signature(&parsed, Some(b"other"), &opts(&anchors));
        assert_eq!(r.failed(), vec!["document_digest"]);
    }
}

fn flip_in(raw: &[u8], needle: &[u8], offset: usize) -> Vec<u8> {
    let pos = raw
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("needle present");
    let mut v = raw.to_vec();
    v[pos + offset] ^= 0x01;
    v
}

#[test]
fn tampering_fails_at_the_right_step() {
    let w = world(3);
    for version in [SealVersion::V1, SealVersion::V4, SealVersion::V5] {
        let mut rng = test_rng(4);
        let seal = make_seal(&request(&w, version), &w.maker_key, &w.maker_cert, &mut rng).unwrap();
        let at = t0() + 2 * DAY;
        let none = opts(&[]);

        // image byte
        let image = read_vector("ses/StampImg.png");
        let bad = Seal::from_der(&flip_in(&seal.raw, &image[100..140], 5)).unwrap();
        assert_eq!(
            verify_seal(&bad, at, &none).failed(),
            vec!["seal_signature"],
            "{version:?} image"
        );
        // property info: the seal's name
        let bad = Seal::from_der(&flip_in(&seal.raw, "合同专用章".as_bytes(), 2)).unwrap();
        assert_ne!(bad.info.property.name, seal.info.property.name);
        assert_eq!(
            verify_seal(&bad, at, &none).failed(),
            vec!["seal_signature"],
            "{version:?} name"
        );
        // certificate list: a byte of the listed signer certificate
        let bad = Seal::from_der(&flip_in(&seal.raw, &w.signer_cert.der()[200..240], 3)).unwrap();
        assert_eq!(
            verify_seal(&bad, at, &none).failed(),
            vec!["seal_signature"],
            "{version:?} certList"
        );
        // the maker's signature value
        let n = seal.raw.len() - if version == SealVersion::V5 { 12 } else { 3 };
        let mut raw = seal.raw.clone();
        raw[n] ^= 0x01;
        if let Ok(bad) = Seal::from_der(&raw) {
            assert_eq!(
                verify_seal(&bad, at, &none).failed(),
                vec!["seal_signature"],
                "{version:?} signedValue"
            );
        }

        let sig = stamped(&w, &seal);
        // the digest
        let bad = SealSignature::from_der(&flip_in(&sig.raw, &sm3(DOC), 7)).unwrap();
        let r = verify_signature(&bad, Some(DOC), &none);
        assert_eq!(
            r.failed(),
            vec!["signature", "document_digest"],
            "{version:?} dataHash"
        );
        // the outer signature value (last bytes of the DER)
        let mut raw = sig.raw.clone();
        let n = raw.len() - 3;
        raw[n] ^= 0x01;
        let bad = SealSignature::from_der(&raw).unwrap();
        assert_eq!(
            verify_signature(&bad, Some(DOC), &none).failed(),
            vec!["signature"],
            "{version:?} signature"
        );
        // the seal image inside the signature: both signatures break
        let bad = SealSignature::from_der(&flip_in(&sig.raw, &image[100..140], 5)).unwrap();
        assert_eq!(
            verify_signature(&bad, Some(DOC), &none).failed(),
            vec!["signature", "seal_signature"]
        );
        // the seal's certificate list inside the signature: the signer is
        // no longer listed, and both signatures break
        let bad =
            SealSignature::from_der(&flip_in(&sig.raw, &w.signer_cert.der()[200..240], 3)).unwrap();
        assert_eq!(
            verify_signature(&bad, Some(DOC), &none).failed(),
            vec!["signature", "signer_in_seal", "seal_signature"],
            "{version:?} certList in signature"
        );
        // the property string
        let bad = SealSignature::from_der(&flip_in(&sig.raw, b"Signature.xml", 1)).unwrap();
        assert_eq!(
            verify_signature(&bad, Some(DOC), &none).failed(),
            vec!["signature"]
        );
    }
}

#[test]
fn stamping_refusals() {
    let w = world(5);
    let mut rng = test_rng(6);
    let seal = make_seal(
        &request(&w, SealVersion::V4),
        &w.maker_key,
        &w.maker_cert,
        &mut rng,
    )
    .unwrap();
    let base = StampRequest {
        seal: &seal,
        signer_cert: &w.signer_cert,
        data_hash: sm3(DOC),
        property: "doc",
        time: t0() + 10 * DAY,
        ext_datas: vec![],
        time_stamp: None,
    };
    // not in the seal's list
    let r = StampRequest {
        signer_cert: &w.other_cert,
        ..base.clone()
    };
    assert!(stamp(&r, key_signer(&w.signer_key, &mut rng)).is_err());
    // outside the seal's validity
    let r = StampRequest {
        time: t0() + 400 * DAY,
        ..base.clone()
    };
    assert!(matches!(
        stamp(&r, key_signer(&w.signer_key, &mut rng)),
        Err(yizhengtong::Error::InvalidState { .. })
    ));
    // non-ASCII property
    let r = StampRequest {
        property: "文档",
        ..base.clone()
    };
    assert!(stamp(&r, key_signer(&w.signer_key, &mut rng)).is_err());
    // a callback error propagates
    assert_eq!(
        stamp(&base, |_| Err(yizhengtong::Error::ContainerLocked)).unwrap_err(),
        yizhengtong::Error::ContainerLocked
    );
    // signed with the wrong key: the report says so
    let sig = stamp(&base, key_signer(&w.maker_key, &mut rng)).unwrap();
    assert_eq!(
        verify_signature(&sig, Some(DOC), &opts(&[])).failed(),
        vec!["signature"]
    );
}

#[test]
fn making_refusals() {
    let w = world(7);
    let mut rng = test_rng(8);
    let ok = request(&w, SealVersion::V4);
    let bad = |f: &dyn Fn(&mut SealRequest)| {
        let mut r = ok.clone();
        f(&mut r);
        make_seal(&r, &w.maker_key, &w.maker_cert, &mut test_rng(1))
    };
    assert!(bad(&|r| r.image = b"not an image".to_vec()).is_err());
    assert!(bad(&|r| r.image = b"PK\x03\x04zip without the marker".to_vec()).is_err());
    assert!(bad(&|r| r.width_mm = 0).is_err());
    assert!(bad(&|r| r.height_mm = 500).is_err());
    assert!(bad(&|r| r.name.clear()).is_err());
    assert!(bad(&|r| r.holder_certs.clear()).is_err());
    assert!(bad(&|r| r.valid_end = r.valid_start).is_err());
    assert!(bad(&|r| r.es_id = "编号".into()).is_err());
    assert!(bad(&|r| r.time_stamp = Some(vec![1])).is_err());
    assert_eq!(
        make_seal(&ok, &w.signer_key, &w.maker_cert, &mut rng).unwrap_err(),
        yizhengtong::Error::KeyMismatch
    );
    // every image type is detected from its bytes
    for (bytes, t) in [
        (b"\x89PNG\r\n\x1a\nrest".to_vec(), ImageType::Png),
        (b"\xff\xd8\xff\xe0JFIF".to_vec(), ImageType::Jpeg),
        (b"GIF89a....".to_vec(), ImageType::Gif),
        ([b"BM".to_vec(), vec![0; 40]].concat(), ImageType::Bmp),
        (
            b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_vec(),
            ImageType::Svg,
        ),
        (b"PK\x03\x04....OFD.xml....".to_vec(), ImageType::Ofd),
    ] {
        assert_eq!(ImageType::detect(&bytes).unwrap(), t);
        let r = make_seal(
            &SealRequest {
                image: bytes,
                ..ok.clone()
            },
            &w.maker_key,
            &w.maker_cert,
            &mut rng,
        )
        .unwrap();
        assert_eq!(r.info.picture.kind, t.type_string());
    }
}

#[test]
fn truncations_and_trailing_bytes_are_refused() {
    for f in ["ses/UserV1.esl", "ses/UserV4.esl", "ses/UserV5_ts.esl"] {
        let raw = read_vector(f);
        for len in (0..raw.len()).step_by(97) {
            assert!(
                Seal::from_der(&raw[..len]).is_err(),
                "{f} truncated at {len}"
            );
        }
        let mut longer = raw.clone();
        longer.push(0);
        assert!(Seal::from_der(&longer).is_err());
    }
    let raw = read_vector("ses/SignedValueV4.dat");
    for len in (0..raw.len()).step_by(101) {
        assert!(
            SealSignature::from_der(&raw[..len]).is_err(),
            "truncated at {len}"
        );
    }
}

/// What real seals contain and the parser tolerates: the maker's
/// signature as raw r‖s in an OCTET STRING (instead of DER in a BIT
/// STRING), and extDatas tagged [0] with `critical FALSE` written out.
#[test]
fn tolerated_encodings_parse_and_verify() {
    use yizhengtong::asn1::{TAG_OCTET_STRING, TAG_SEQUENCE, tlv};
    let w = world(11);
    let mut rng = test_rng(12);
    let seal = make_seal(
        &request(&w, SealVersion::V4),
        &w.maker_key,
        &w.maker_cert,
        &mut rng,
    )
    .unwrap();
    // Rebuild SES_SealInfo with [0]-tagged extDatas holding one entry with
    // an explicit critical FALSE, then sign it as the maker would.
    let mut r = yizhengtong::asn1::Reader::new("test", &seal.info.raw);
    let mut info = r.expect(TAG_SEQUENCE).unwrap();
    let mut parts = vec![];
    while !info.is_empty() {
        parts.push(info.any().unwrap().1.to_vec());
    }
    let oid = [
        0x06, 0x0a, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x06, 0x07, 0x02, 0x02, 0x01,
    ]; // 1.2.156.10197.6.7.2.2.1
    let ext = tlv(
        TAG_SEQUENCE,
        &[
            &oid[..],
            &[0x01, 0x01, 0x00],
            &tlv(TAG_OCTET_STRING, b"2.1"),
        ]
        .concat(),
    );
    parts.push(tlv(0xa0, &tlv(TAG_SEQUENCE, &ext)));
    let info_raw = tlv(TAG_SEQUENCE, &parts.concat());
    let sig = w
        .maker_key
        .sign(yizhengtong::crypto::DEFAULT_USER_ID, &info_raw, &mut rng)
        .unwrap();
    let oid_sm2_sm3 = [0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x83, 0x75];
    let raw = tlv(
        TAG_SEQUENCE,
        &[
            info_raw.clone(),
            tlv(TAG_OCTET_STRING, w.maker_cert.der()),
            oid_sm2_sm3.to_vec(),
            tlv(TAG_OCTET_STRING, &sig.to_raw()), // raw r‖s, OCTET STRING
        ]
        .concat(),
    );
    let parsed = Seal::from_der(&raw).unwrap();
    assert_eq!(parsed.info.ext_datas.len(), 1);
    assert!(!parsed.info.ext_datas[0].critical);
    assert_eq!(parsed.info.ext_datas[0].value, b"2.1");
    assert_eq!(parsed.signature, sig.to_raw().to_vec());
    let report = verify_seal(&parsed, t0() + 2 * DAY, &opts(&[]));
    assert_eq!(
        report.status("seal_signature"),
        Some(&StepStatus::Passed),
        "{report:?}"
    );
}
