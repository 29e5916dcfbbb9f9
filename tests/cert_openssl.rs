//! Certificates and CRLs across this SDK and the `openssl` command-line tool
//! (OpenSSL 3.0), in both directions.
//!
//! Measured OpenSSL 3.0 behaviour this file relies on:
//! - OpenSSL signs and verifies SM2 with an EMPTY user ID unless told
//!   otherwise; this SDK (and GB/T 35276) uses `1234567812345678`.
//! - `openssl verify -vfyopt distid:…` applies the ID only to the
//!   signature on the certificate at depth 0, so every link of a chain is
//!   checked on its own: `-partial_chain -CAfile ISSUER.pem CERT.pem`.
//! - `openssl verify -crl_check` checks a CRL's signature with the empty
//!   ID and there is no option to change that, so a CRL signed with the
//!   standard ID fails there with error 8 ("CRL signature failure"). CRL
//!   and certificate signatures are therefore checked with `openssl
//!   pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:…` over the raw
//!   TBS bytes.
//! - `openssl req -x509 -sigopt distid:…`, `openssl x509 -req -sigopt
//!   distid:…` and `openssl ca -gencrl -sigopt distid:…` all sign with the
//!   given ID (checked with pkeyutl below). `openssl x509 -req` refuses an
//!   SM2 CSR ("self-signature did not match") unless it is also given
//!   `-vfyopt distid:…`, since `openssl req -sigopt distid:…` signs the CSR
//!   with that ID.

mod common;

use std::process::Output;
use std::time::{Duration, SystemTime};

use common::{Work, ossl, ossl_output, test_rng, text};
use yizhengtong::Error;
use yizhengtong::cert::*;
use yizhengtong::crypto::{PrivateKey, PublicKey};
use yizhengtong::error::CertCheck;

/// The SM2 ID every signature of this SDK uses, as an OpenSSL option.
const DISTID: &str = "distid:1234567812345678";
const CRL_URL: &str = "http://crl.example.cn/issuing.crl";
const PROFILE_OID: &str = "1.3.6.1.4.1.32473.1.1";
const PERSON_ID: &str = "11010519491231002X";
const CREDIT_CODE: &str = "9165010039960151X0";
const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(86_400);

// ---- helpers ----------------------------------------------------------

/// Stdout and stderr of a command, together.
fn all_output(o: &Output) -> String {
    format!("{}{}", text(&o.stdout), text(&o.stderr))
}

/// Bytes as OpenSSL prints key identifiers: `AB:CD:…`.
fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Hex digits only, upper case (to compare serials however printed).
fn bare_hex(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_hexdigit())
        .collect::<String>()
        .to_ascii_uppercase()
}

/// An extension in `openssl x509 -text` / `openssl crl -text` output:
/// whether its header says `critical`, and its value lines, trimmed.
fn ext(dump: &str, header: &str) -> Option<(bool, Vec<String>)> {
    let lines: Vec<&str> = dump.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.trim_start().starts_with(header))?;
    let indent = |l: &str| l.len() - l.trim_start().len();
    let own = indent(lines[i]);
    let critical = lines[i].trim_end().ends_with("critical");
    let values = lines[i + 1..]
        .iter()
        .take_while(|l| !l.trim().is_empty() && indent(l) > own)
        .map(|l| l.trim().to_string())
        .collect();
    Some((critical, values))
}

/// Like [`ext`] but the extension must be present.
fn must_ext(dump: &str, header: &str) -> (bool, Vec<String>) {
    ext(dump, header).unwrap_or_else(|| panic!("no {header:?} in:\n{dump}"))
}

/// The key identifier printed in an SKI/AKI extension (OpenSSL 3.0 prints
/// the bare hex; 1.1 prefixed `keyid:`).
fn key_id_line(dump: &str, header: &str) -> String {
    let (_, v) = must_ext(dump, header);
    v[0].trim_start_matches("keyid:").to_string()
}

/// `openssl x509 -text` of a certificate file, names printed as UTF-8.
fn x509_text(path: &str) -> String {
    text(&ossl([
        "x509",
        "-in",
        path,
        "-noout",
        "-text",
        "-nameopt",
        "oneline,-esc_msb",
    ]))
}

/// `openssl verify` of one link: `cert` (at depth 0, where the distid
/// option applies) against `issuer` as the only trusted certificate.
fn openssl_verify_link(issuer: &str, cert: &str, extra: &[&str]) -> Output {
    let mut args = vec!["verify", "-vfyopt", DISTID, "-partial_chain"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["-CAfile", issuer, cert]);
    ossl_output(args)
}

fn assert_openssl_link_ok(issuer: &str, cert: &str) {
    let o = openssl_verify_link(issuer, cert, &[]);
    let out = all_output(&o);
    assert!(
        o.status.success() && out.contains(&format!("{cert}: OK")),
        "openssl verify refused {cert} under {issuer}:\n{out}"
    );
}

fn assert_openssl_refuses(issuer: &str, cert: &str, error: &str) {
    let o = openssl_verify_link(issuer, cert, &[]);
    let out = all_output(&o);
    assert!(
        !o.status.success() && out.contains(error),
        "openssl verify of {cert} under {issuer}: expected {error:?}:\n{out}"
    );
}

/// `openssl pkeyutl -verify` of an SM2-with-SM3 signature over `tbs`
/// with `id_opt` (e.g. [`DISTID`], or None for OpenSSL's empty ID).
fn pkeyutl_verify(
    w: &Work,
    tag: &str,
    pub_pem: &str,
    tbs: &[u8],
    sig: &[u8],
    id_opt: Option<&str>,
) -> (bool, String) {
    let tbs_path = w.write(&format!("{tag}.tbs.der"), tbs);
    let sig_path = w.write(&format!("{tag}.sig.der"), sig);
    let mut args = vec![
        "pkeyutl", "-verify", "-pubin", "-inkey", pub_pem, "-rawin", "-digest", "sm3",
    ];
    if let Some(id) = id_opt {
        args.extend_from_slice(&["-pkeyopt", id]);
    }
    args.extend_from_slice(&["-in", &tbs_path, "-sigfile", &sig_path]);
    let o = ossl_output(args);
    let out = all_output(&o);
    (
        o.status.success() && out.contains("Signature Verified Successfully"),
        out,
    )
}

/// The signature value of a CRL (or certificate) DER: the content of the
/// final BIT STRING of the outer SEQUENCE, without the unused-bits byte.
fn outer_signature(der: &[u8]) -> Vec<u8> {
    use yizhengtong::asn1::{Reader, TAG_SEQUENCE};
    let mut outer = Reader::new("signed object", der);
    let mut body = outer.expect(TAG_SEQUENCE).unwrap();
    body.any().unwrap(); // TBS
    body.expect(TAG_SEQUENCE).unwrap(); // algorithm
    let bits = body.expect(0x03).unwrap().rest();
    body.finish().unwrap();
    assert_eq!(bits[0], 0, "signature BIT STRING with unused bits");
    bits[1..].to_vec()
}

fn chain_error<T: std::fmt::Debug>(r: Result<T, Error>) -> (usize, CertCheck, String) {
    match r {
        Err(Error::Certificate {
            index,
            check,
            detail,
            ..
        }) => (index, check, detail),
        other => panic!("expected a certificate error, got {other:?}"),
    }
}

fn now() -> SystemTime {
    SystemTime::now()
}

// ---- OpenSSL as a CA --------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Alg {
    Sm2,
    P256,
}

impl Alg {
    /// Options that make OpenSSL sign with this key type properly.
    fn sign_opts(self) -> Vec<&'static str> {
        match self {
            Alg::Sm2 => vec!["-sm3", "-sigopt", DISTID],
            Alg::P256 => vec!["-sha256"],
        }
    }
}

/// An OpenSSL-made key and certificate (paths).
#[derive(Clone)]
struct OsslCert {
    key: String,
    pem: String,
    alg: Alg,
}

fn ossl_key(w: &Work, name: &str, alg: Alg) -> String {
    let curve = match alg {
        Alg::Sm2 => "ec_paramgen_curve:SM2",
        Alg::P256 => "ec_paramgen_curve:P-256",
    };
    let path = w.path(&format!("{name}.key"));
    ossl([
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        curve,
        "-out",
        &path,
    ]);
    path
}

/// A config file with an empty `[dn]` (subjects come from `-subj`) and
/// the extensions `ext_lines` in section `[v3]`.
fn ext_config(w: &Work, name: &str, ext_lines: &[&str]) -> String {
    let body = format!(
        "[req]\ndistinguished_name = dn\n[dn]\n[v3]\n{}\n",
        ext_lines.join("\n")
    );
    w.write(&format!("{name}.cnf"), body)
}

/// A self-signed certificate made with `openssl req -x509`.
fn ossl_root(w: &Work, name: &str, alg: Alg, subj: &str, ext_lines: &[&str]) -> OsslCert {
    let key = ossl_key(w, name, alg);
    let cnf = ext_config(w, name, ext_lines);
    let pem = w.path(&format!("{name}.pem"));
    let mut args = vec![
        "req",
        "-new",
        "-x509",
        "-config",
        &cnf,
        "-extensions",
        "v3",
        "-key",
        &key,
        "-subj",
        subj,
        "-days",
        "3650",
        "-out",
        &pem,
    ];
    args.extend(alg.sign_opts());
    ossl(args);
    OsslCert { key, pem, alg }
}

/// A certificate for a fresh key of type `alg`, issued by `issuer` with
/// `openssl req -new` + `openssl x509 -req`.
fn ossl_issue(
    w: &Work,
    name: &str,
    alg: Alg,
    subj: &str,
    issuer: &OsslCert,
    ext_lines: &[&str],
    serial: &str,
) -> OsslCert {
    let key = ossl_key(w, name, alg);
    let cnf = ext_config(w, name, ext_lines);
    let csr = w.path(&format!("{name}.csr"));
    let mut args = vec![
        "req", "-new", "-config", &cnf, "-key", &key, "-subj", subj, "-out", &csr,
    ];
    args.extend(alg.sign_opts());
    ossl(args);
    let pem = w.path(&format!("{name}.pem"));
    let mut args = vec![
        "x509",
        "-req",
        "-in",
        &csr,
        "-CA",
        &issuer.pem,
        "-CAkey",
        &issuer.key,
        "-extfile",
        &cnf,
        "-extensions",
        "v3",
        "-days",
        "365",
        "-set_serial",
        serial,
        "-out",
        &pem,
    ];
    args.extend(issuer.alg.sign_opts());
    if alg == Alg::Sm2 {
        // The CSR's self-signature was made with the distid.
        args.extend(["-vfyopt", DISTID]);
    }
    ossl(args);
    OsslCert { key, pem, alg }
}

fn load(path: &str) -> Certificate {
    Certificate::from_any(&std::fs::read(path).unwrap())
        .unwrap_or_else(|e| panic!("our parser refused {path}: {e}"))
}

const CA_EXTS: &[&str] = &[
    "basicConstraints=critical,CA:TRUE",
    "keyUsage=critical,keyCertSign,cRLSign",
    "subjectKeyIdentifier=hash",
    "authorityKeyIdentifier=keyid:always",
];
const INTER_EXTS: &[&str] = &[
    "basicConstraints=critical,CA:TRUE,pathlen:0",
    "keyUsage=critical,keyCertSign,cRLSign",
    "subjectKeyIdentifier=hash",
    "authorityKeyIdentifier=keyid:always",
];
const LEAF_EXTS: &[&str] = &[
    "basicConstraints=critical,CA:FALSE",
    "keyUsage=critical,digitalSignature,nonRepudiation",
    "subjectKeyIdentifier=hash",
    "authorityKeyIdentifier=keyid:always",
];

/// Root → intermediate (pathlen 0) → leaf, all made by OpenSSL with SM2.
fn ossl_chain(w: &Work) -> (OsslCert, OsslCert, OsslCert) {
    let root = ossl_root(
        w,
        "root",
        Alg::Sm2,
        "/C=CN/O=OSSL Trust/CN=OSSL Root",
        CA_EXTS,
    );
    let inter = ossl_issue(
        w,
        "inter",
        Alg::Sm2,
        "/C=CN/O=OSSL Trust/CN=OSSL Issuing CA",
        &root,
        INTER_EXTS,
        "0x0100",
    );
    let leaf = ossl_issue(
        w,
        "leaf",
        Alg::Sm2,
        &format!("/C=CN/CN=OSSL Leaf/serialNumber={PERSON_ID}"),
        &inter,
        LEAF_EXTS,
        "0x5A17C0DE",
    );
    (root, inter, leaf)
}

/// A CRL made by `openssl ca -gencrl` for `ca`, after `openssl ca -revoke`
/// of each (certificate path, reason). With `distid`, `-sigopt distid:…`
/// is passed; without, OpenSSL signs with the empty ID.
fn ossl_crl(w: &Work, name: &str, ca: &OsslCert, revoke: &[(&str, &str)], distid: bool) -> String {
    let db = w.path(&format!("{name}-db"));
    std::fs::create_dir_all(&db).unwrap();
    std::fs::write(format!("{db}/index.txt"), "").unwrap();
    std::fs::write(format!("{db}/serial"), "1000\n").unwrap();
    std::fs::write(format!("{db}/crlnumber"), "8F\n").unwrap();
    let cnf = w.write(
        &format!("{name}-ca.cnf"),
        format!(
            "[ca]\ndefault_ca = CA_default\n[CA_default]\ndir = {db}\n\
             database = $dir/index.txt\nserial = $dir/serial\ncrlnumber = $dir/crlnumber\n\
             new_certs_dir = $dir\ndefault_md = sm3\ndefault_crl_days = 30\n\
             crl_extensions = crl_ext\npolicy = policy_any\n\
             [policy_any]\ncommonName = supplied\n\
             [crl_ext]\nauthorityKeyIdentifier = keyid:always\n"
        ),
    );
    for (cert, reason) in revoke {
        ossl([
            "ca",
            "-config",
            &cnf,
            "-keyfile",
            &ca.key,
            "-cert",
            &ca.pem,
            "-revoke",
            cert,
            "-crl_reason",
            reason,
        ]);
    }
    let out = w.path(&format!("{name}.crl.pem"));
    let mut args = vec![
        "ca", "-config", &cnf, "-gencrl", "-keyfile", &ca.key, "-cert", &ca.pem, "-md", "sm3",
        "-out", &out,
    ];
    if distid {
        args.extend(["-sigopt", DISTID]);
    }
    ossl(args);
    out
}

// ---- our PKI ----------------------------------------------------------

struct Pki {
    root: CertificateAuthority,
    issuing: ManagedCa,
}

/// Our root → intermediate (pathLen 0, CRL URL), valid now.
fn our_pki(seed: u64) -> Pki {
    let mut rng = test_rng(seed);
    let start = now() - 2 * HOUR;
    let root = CertificateAuthority::create_root(
        PrivateKey::generate(&mut rng),
        parse_dn("C=CN,O=Test Trust,CN=Test SM2 Root").unwrap(),
        start,
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
            start,
            1825,
            Some(0),
            &mut rng,
        )
        .unwrap();
    let config = CaConfig {
        crl_url: Some(CRL_URL.into()),
        ..CaConfig::default()
    };
    let issuing = ManagedCa::new(
        CertificateAuthority::from_parts(issuing_key, issuing_cert, config).unwrap(),
    );
    Pki { root, issuing }
}

fn request(holder: Holder, usage: CertUsage, medium: Medium, key: &PublicKey) -> EndEntityRequest {
    EndEntityRequest {
        holder,
        usage,
        medium,
        public_key: *key,
        not_before: now() - HOUR,
        days: 365,
    }
}

fn person() -> Holder {
    Holder::person("宋世奇", PERSON_ID).unwrap()
}

fn enterprise() -> Holder {
    Holder::enterprise("乌鲁木齐诚悦网络科技有限公司", CREDIT_CODE).unwrap()
}

// ---- 1. our certificates in OpenSSL -----------------------------------

#[test]
fn our_chain_verifies_in_openssl_link_by_link_and_shows_our_extensions() {
    let w = Work::new("our-chain");
    let mut rng = test_rng(101);
    let mut p = our_pki(101);
    let root = p.root.certificate().clone();
    let inter = p.issuing.authority().certificate().clone();
    let root_pem = w.write("root.pem", root.to_pem());
    let inter_pem = w.write("inter.pem", inter.to_pem());

    // root → intermediate
    assert_openssl_link_ok(&root_pem, &inter_pem);
    // Negative controls: without the distid OpenSSL uses the empty ID and
    // must refuse our signature; under the wrong issuer it must refuse too.
    let o = ossl_output(["verify", "-partial_chain", "-CAfile", &root_pem, &inter_pem]);
    assert!(
        !o.status.success(),
        "OpenSSL accepted our SM2 signature with the empty ID:\n{}",
        all_output(&o)
    );

    // The root's own certificate.
    let t = x509_text(&root_pem);
    assert!(t.contains("Signature Algorithm: SM2-with-SM3"), "{t}");
    assert_eq!(
        must_ext(&t, "X509v3 Basic Constraints:"),
        (true, vec!["CA:TRUE".to_string()])
    );
    assert_eq!(
        must_ext(&t, "X509v3 Key Usage:"),
        (true, vec!["Certificate Sign, CRL Sign".to_string()])
    );
    let root_ski = root.subject_key_id().unwrap().expect("root SKI");
    assert_eq!(
        key_id_line(&t, "X509v3 Subject Key Identifier:"),
        colon_hex(&root_ski)
    );
    assert_eq!(
        key_id_line(&t, "X509v3 Authority Key Identifier:"),
        colon_hex(&root_ski)
    );

    // The intermediate.
    let t = x509_text(&inter_pem);
    assert!(t.contains("Signature Algorithm: SM2-with-SM3"), "{t}");
    assert_eq!(
        must_ext(&t, "X509v3 Basic Constraints:"),
        (true, vec!["CA:TRUE, pathlen:0".to_string()])
    );
    assert_eq!(
        must_ext(&t, "X509v3 Key Usage:"),
        (true, vec!["Certificate Sign, CRL Sign".to_string()])
    );
    let inter_ski = inter.subject_key_id().unwrap().expect("intermediate SKI");
    assert_eq!(
        key_id_line(&t, "X509v3 Subject Key Identifier:"),
        colon_hex(&inter_ski)
    );
    assert_eq!(
        key_id_line(&t, "X509v3 Authority Key Identifier:"),
        colon_hex(&inter.authority_key_id().unwrap().unwrap())
    );
    assert_eq!(
        inter.authority_key_id().unwrap().unwrap(),
        root_ski,
        "intermediate AKI is not the root's SKI"
    );
    assert!(
        t.contains("Subject: C = CN, O = Test Trust, CN = Test SM2 Issuing CA"),
        "{t}"
    );
    assert!(
        t.contains("Issuer: C = CN, O = Test Trust, CN = Test SM2 Root"),
        "{t}"
    );

    // End entities: (name, holder, usage, medium, keyUsage as OpenSSL
    // prints it). Login must also carry clientAuth.
    let cases = [
        (
            "personal-sign",
            person(),
            CertUsage::Sign,
            Medium::Mobile,
            "Digital Signature, Non Repudiation",
        ),
        (
            "personal-encrypt",
            person(),
            CertUsage::Encrypt,
            Medium::Mobile,
            "Key Encipherment, Data Encipherment, Key Agreement",
        ),
        (
            "enterprise-sign",
            enterprise(),
            CertUsage::Sign,
            Medium::UsbKey,
            "Digital Signature, Non Repudiation",
        ),
        (
            "login",
            person(),
            CertUsage::Login,
            Medium::Mobile,
            "Digital Signature",
        ),
    ];
    for (name, holder, usage, medium, ku_text) in cases {
        let key = PrivateKey::generate(&mut rng);
        let is_enterprise = matches!(holder, Holder::Enterprise { .. });
        let cert = p
            .issuing
            .issue(
                &request(holder, usage, medium, &key.public_key()),
                now(),
                &mut rng,
            )
            .unwrap();
        let pem = w.write(&format!("{name}.pem"), cert.to_pem());
        assert_openssl_link_ok(&inter_pem, &pem);
        // The leaf does not chain to the root directly.
        let o = openssl_verify_link(&root_pem, &pem, &[]);
        assert!(!o.status.success(), "{name} verified under the root");

        let t = x509_text(&pem);
        assert!(
            t.contains("Signature Algorithm: SM2-with-SM3"),
            "{name}:\n{t}"
        );
        assert!(t.contains("ASN1 OID: SM2"), "{name}: key not on SM2:\n{t}");
        assert_eq!(
            bare_hex(
                t.split_once("Serial Number:")
                    .unwrap()
                    .1
                    .lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty())
                    .unwrap()
            ),
            cert.serial_hex(),
            "{name}: serial"
        );
        assert_eq!(
            must_ext(&t, "X509v3 Basic Constraints:"),
            (true, vec!["CA:FALSE".to_string()]),
            "{name}"
        );
        assert_eq!(
            must_ext(&t, "X509v3 Key Usage:"),
            (true, vec![ku_text.to_string()]),
            "{name}"
        );
        assert_eq!(
            key_id_line(&t, "X509v3 Subject Key Identifier:"),
            colon_hex(&cert.subject_key_id().unwrap().unwrap()),
            "{name}: SKI"
        );
        assert_eq!(
            key_id_line(&t, "X509v3 Authority Key Identifier:"),
            colon_hex(&inter_ski),
            "{name}: AKI is not the intermediate's SKI"
        );
        let (crit, dp) = must_ext(&t, "X509v3 CRL Distribution Points:");
        assert!(!crit, "{name}: CRL DP marked critical");
        assert!(
            dp.iter().any(|l| l == &format!("URI:{CRL_URL}")),
            "{name}: CRL DP {dp:?}"
        );
        let (crit, profile) = must_ext(&t, &format!("{PROFILE_OID}:"));
        assert!(!crit, "{name}: profile extension marked critical");
        assert!(!profile.is_empty(), "{name}: empty profile extension");
        let eku = ext(&t, "X509v3 Extended Key Usage:");
        if usage == CertUsage::Login {
            assert_eq!(
                eku,
                Some((false, vec!["TLS Web Client Authentication".to_string()])),
                "{name}"
            );
        } else {
            assert_eq!(eku, None, "{name}: unexpected EKU");
        }
        assert!(
            t.contains("Issuer: C = CN, O = Test Trust, CN = Test SM2 Issuing CA"),
            "{name}:\n{t}"
        );
        if is_enterprise {
            assert!(
                t.contains(&format!(
                    "Subject: C = CN, O = 乌鲁木齐诚悦网络科技有限公司, \
                     CN = 乌鲁木齐诚悦网络科技有限公司, organizationIdentifier = {CREDIT_CODE}"
                )),
                "{name}:\n{t}"
            );
        } else {
            assert!(
                t.contains(&format!(
                    "Subject: C = CN, CN = 宋世奇, serialNumber = {PERSON_ID}"
                )),
                "{name}:\n{t}"
            );
        }
        // The same signature, checked by pkeyutl over our TBS bytes.
        let inter_pub = w.write("inter.pub.pem", inter.public_key().to_spki_pem());
        let (ok, out) = pkeyutl_verify(
            &w,
            name,
            &inter_pub,
            cert.tbs_bytes(),
            cert.signature_bytes(),
            Some(DISTID),
        );
        assert!(
            ok,
            "{name}: pkeyutl refused the certificate signature: {out}"
        );
    }
}

// ---- 2. our CRL in OpenSSL --------------------------------------------

#[test]
fn our_crl_reads_and_verifies_in_openssl() {
    let w = Work::new("our-crl");
    let mut rng = test_rng(202);
    let mut p = our_pki(202);
    let inter = p.issuing.authority().certificate().clone();
    let inter_pem = w.write("inter.pem", inter.to_pem());
    let inter_pub = w.write("inter.pub.pem", inter.public_key().to_spki_pem());

    let mut issue = |p: &mut Pki, usage| {
        let key = PrivateKey::generate(&mut rng);
        p.issuing
            .issue(
                &request(person(), usage, Medium::Mobile, &key.public_key()),
                now() - HOUR,
                &mut rng,
            )
            .unwrap()
    };
    let revoked = issue(&mut p, CertUsage::Sign);
    let frozen = issue(&mut p, CertUsage::Encrypt);
    let good = issue(&mut p, CertUsage::Login);
    p.issuing
        .revoke(
            &revoked.serial_hex(),
            RevocationReason::KeyCompromise,
            now() - 120 * Duration::from_secs(1),
        )
        .unwrap();
    p.issuing
        .freeze(&frozen.serial_hex(), now() - 90 * Duration::from_secs(1))
        .unwrap();
    let crl_der = p
        .issuing
        .crl(now() - Duration::from_secs(60), 7 * DAY, &mut test_rng(7))
        .unwrap();
    let crl = Crl::from_der(&crl_der).unwrap();
    assert_eq!(crl.number(), Some(1));
    crl.verify(&inter, now()).unwrap();
    let crl_pem = w.write("crl.pem", crl.to_pem());

    // `openssl crl -text`: both serials with their reasons, the number, the AKI.
    let t = text(&ossl(["crl", "-in", &crl_pem, "-noout", "-text"]));
    assert!(t.contains("Signature Algorithm: SM2-with-SM3"), "{t}");
    assert!(
        t.contains("Issuer: C = CN, O = Test Trust, CN = Test SM2 Issuing CA"),
        "{t}"
    );
    assert_eq!(
        must_ext(&t, "X509v3 CRL Number:"),
        (false, vec!["1".into()])
    );
    assert_eq!(
        key_id_line(&t, "X509v3 Authority Key Identifier:"),
        colon_hex(&inter.subject_key_id().unwrap().unwrap()),
        "CRL AKI is not the issuer's SKI"
    );
    let listed = t
        .split_once("Revoked Certificates:")
        .unwrap_or_else(|| panic!("no revoked certificates:\n{t}"))
        .1;
    let mut entries: Vec<(String, String)> = Vec::new();
    for block in listed.split("Serial Number:").skip(1) {
        let serial = bare_hex(block.lines().next().unwrap());
        let reason = ext(block, "X509v3 CRL Reason Code:")
            .map(|(_, v)| v.join(" "))
            .unwrap_or_default();
        entries.push((serial, reason));
    }
    entries.sort();
    let mut expected = vec![
        (revoked.serial_hex(), "Key Compromise".to_string()),
        (frozen.serial_hex(), "Certificate Hold".to_string()),
    ];
    expected.sort();
    assert_eq!(entries, expected, "CRL entries as OpenSSL reads them:\n{t}");
    assert!(!bare_hex(&t).contains(&good.serial_hex()));

    // The CRL's signature in pkeyutl, over the raw TBSCertList.
    let sig = outer_signature(crl.der());
    let (ok, out) = pkeyutl_verify(&w, "crl", &inter_pub, crl.tbs_bytes(), &sig, Some(DISTID));
    assert!(ok, "pkeyutl refused our CRL signature: {out}");
    // With OpenSSL's default (empty) ID it does not verify: the ID matters.
    let (ok, _) = pkeyutl_verify(&w, "crl-noid", &inter_pub, crl.tbs_bytes(), &sig, None);
    assert!(!ok, "our CRL signature verified with the empty SM2 ID");
    // A tampered TBS (one bit of the last byte, inside the AKI) fails.
    let mut tampered = crl.tbs_bytes().to_vec();
    *tampered.last_mut().unwrap() ^= 0x01;
    let (ok, _) = pkeyutl_verify(
        &w,
        "crl-tampered",
        &inter_pub,
        &tampered,
        &sig,
        Some(DISTID),
    );
    assert!(!ok, "pkeyutl accepted a tampered TBSCertList");
    // Our own verifier refuses the tampered CRL too.
    let mut tampered_der = crl.der().to_vec();
    let tbs_end = crl
        .der()
        .windows(crl.tbs_bytes().len())
        .position(|w| w == crl.tbs_bytes())
        .unwrap()
        + crl.tbs_bytes().len();
    tampered_der[tbs_end - 1] ^= 0x01;
    // (The flipped bit is inside the AKI key identifier: still well-formed.)
    match Crl::from_der(&tampered_der).unwrap().verify(&inter, now()) {
        Err(Error::Crl(m)) => assert!(m.starts_with("signature"), "{m}"),
        other => panic!("tampered CRL: {other:?}"),
    }

    // `openssl verify -crl_check` with our CRL refuses the revoked leaf.
    // It does so with error 8 "CRL signature failure", NOT error 23
    // "certificate revoked": OpenSSL 3.0 checks CRL signatures with the
    // empty SM2 ID and `-vfyopt` does not reach CRLs, so our (correct,
    // standard-ID) CRL signature fails there. The good leaf fails the same
    // way, which shows this is the CRL signature and not the revocation.
    let revoked_pem = w.write("revoked.pem", revoked.to_pem());
    let good_pem = w.write("good.pem", good.to_pem());
    for (pem, what) in [(&revoked_pem, "revoked"), (&good_pem, "good")] {
        let o = openssl_verify_link(&inter_pem, pem, &["-crl_check", "-CRLfile", &crl_pem]);
        let out = all_output(&o);
        assert!(
            !o.status.success(),
            "{what}: openssl accepted with -crl_check:\n{out}"
        );
        assert!(
            out.contains("error 8 at 0 depth lookup: CRL signature failure"),
            "{what}: unexpected OpenSSL error:\n{out}"
        );
    }
    // Without the CRL the revoked leaf's signature itself is fine in OpenSSL.
    assert_openssl_link_ok(&inter_pem, &revoked_pem);
}

// ---- 3. OpenSSL's chain and CRL in ours -------------------------------

#[test]
fn openssl_chain_and_crl_verify_in_ours() {
    let w = Work::new("ossl-chain");
    let (root, inter, leaf) = ossl_chain(&w);
    // OpenSSL itself accepts each link with the distid (sanity).
    assert_openssl_link_ok(&root.pem, &inter.pem);
    assert_openssl_link_ok(&inter.pem, &leaf.pem);

    let root_c = load(&root.pem);
    let inter_c = load(&inter.pem);
    let leaf_c = load(&leaf.pem);
    // `req -x509 -sigopt distid:…` signed the root with the standard ID.
    root_c.verify_signed_by(root_c.public_key()).unwrap();

    let mut opts = VerifyOptions::at(now());
    opts.usage = IntendedUse::Signature;
    let chain = verify_chain(
        &leaf_c,
        std::slice::from_ref(&inter_c),
        std::slice::from_ref(&root_c),
        &opts,
    )
    .unwrap();
    assert_eq!(
        chain.certificates,
        vec![leaf_c.clone(), inter_c.clone(), root_c.clone()]
    );
    opts.usage = IntendedUse::Encryption;
    let (index, check, _) = chain_error(verify_chain(
        &leaf_c,
        std::slice::from_ref(&inter_c),
        std::slice::from_ref(&root_c),
        &opts,
    ));
    assert_eq!((index, check), (0, CertCheck::KeyUsage));

    // The leaf's fields.
    assert_eq!(leaf_c.common_name().as_deref(), Some("OSSL Leaf"));
    assert_eq!(leaf_c.subject_serial_number().as_deref(), Some(PERSON_ID));
    // RFC 4514 order (most significant last); x509-cert spells the
    // attribute type SERIALNUMBER, type names are case-insensitive.
    assert!(
        leaf_c
            .subject()
            .eq_ignore_ascii_case(&format!("serialNumber={PERSON_ID},CN=OSSL Leaf,C=CN")),
        "{}",
        leaf_c.subject()
    );
    assert_eq!(leaf_c.issuer_display_name(), "OSSL Issuing CA");
    assert_eq!(leaf_c.serial_hex(), "5A17C0DE");
    assert_eq!(leaf_c.basic_constraints().unwrap(), Some((false, None)));
    assert_eq!(
        leaf_c.key_usage().unwrap(),
        Some(KeyUsageBits {
            digital_signature: true,
            non_repudiation: true,
            ..Default::default()
        })
    );
    assert_eq!(
        leaf_c.authority_key_id().unwrap(),
        inter_c.subject_key_id().unwrap()
    );
    assert_eq!(inter_c.basic_constraints().unwrap(), Some((true, Some(0))));
    let leaf_pub = ossl(["pkey", "-in", &leaf.key, "-pubout"]);
    assert_eq!(
        *leaf_c.public_key(),
        PublicKey::from_spki_pem(&leaf_pub).unwrap()
    );
    assert_eq!(leaf_c.profile().unwrap(), None);

    // A second leaf, on hold, with a serial whose top bit is set (DER
    // INTEGER 00 80 AB; see `serial_with_top_bit_set_reads_as_openssl_prints_it`
    // for how ours reports it).
    let held = ossl_issue(
        &w,
        "held",
        Alg::Sm2,
        "/C=CN/CN=OSSL Held",
        &inter,
        LEAF_EXTS,
        "0x80AB",
    );
    let held_c = load(&held.pem);

    // An OpenSSL CRL signed with the distid: parses, verifies, revokes.
    let crl_pem = ossl_crl(
        &w,
        "signed",
        &inter,
        &[(&leaf.pem, "keyCompromise"), (&held.pem, "certificateHold")],
        true,
    );
    let crl = Crl::from_any(&std::fs::read(&crl_pem).unwrap()).unwrap();
    assert_eq!(crl.number(), Some(0x8F));
    assert_eq!(crl.issuer(), inter_c.subject());
    let mut entries: Vec<(Vec<u8>, RevocationReason)> = crl
        .entries()
        .into_iter()
        .map(|e| (e.serial, e.reason))
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let mut expected = vec![
        (leaf_c.serial().to_vec(), RevocationReason::KeyCompromise),
        (held_c.serial().to_vec(), RevocationReason::CertificateHold),
    ];
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(entries, expected);
    assert_eq!(
        crl.find(leaf_c.serial()).map(|e| e.reason),
        Some(RevocationReason::KeyCompromise)
    );
    assert!(crl.next_update().is_some());
    crl.verify(&inter_c, now()).unwrap();
    // The wrong issuer is refused.
    assert!(matches!(crl.verify(&root_c, now()), Err(Error::Crl(_))));

    let crls = [crl];
    let mut opts = VerifyOptions::at(now());
    opts.crls = &crls;
    let (index, check, detail) = chain_error(verify_chain(
        &leaf_c,
        std::slice::from_ref(&inter_c),
        std::slice::from_ref(&root_c),
        &opts,
    ));
    assert_eq!((index, check), (0, CertCheck::Revoked), "{detail}");
    assert!(detail.contains("keyCompromise"), "{detail}");
    let (index, check, detail) = chain_error(verify_chain(
        &held_c,
        std::slice::from_ref(&inter_c),
        std::slice::from_ref(&root_c),
        &opts,
    ));
    assert_eq!((index, check), (0, CertCheck::Frozen), "{detail}");

    // The same CRL without `-sigopt distid:…`: OpenSSL 3.0 then signs with
    // the EMPTY SM2 ID, which ours (standard ID) must refuse as a bad
    // signature, and then cannot establish revocation status from it.
    let empty_id_pem = ossl_crl(
        &w,
        "emptyid",
        &inter,
        &[(&leaf.pem, "keyCompromise")],
        false,
    );
    let empty_id = Crl::from_any(&std::fs::read(&empty_id_pem).unwrap()).unwrap();
    assert_eq!(
        empty_id.find(leaf_c.serial()).map(|e| e.reason),
        Some(RevocationReason::KeyCompromise)
    );
    match empty_id.verify(&inter_c, now()) {
        Err(Error::Crl(m)) => assert!(m.starts_with("signature"), "{m}"),
        other => panic!("empty-ID CRL: {other:?}"),
    }
    // pkeyutl agrees: the signature verifies with the empty ID only.
    let inter_pub = w.write("inter.pub.pem", inter_c.public_key().to_spki_pem());
    let sig = outer_signature(empty_id.der());
    assert!(pkeyutl_verify(&w, "e1", &inter_pub, empty_id.tbs_bytes(), &sig, None).0);
    assert!(
        !pkeyutl_verify(
            &w,
            "e2",
            &inter_pub,
            empty_id.tbs_bytes(),
            &sig,
            Some(DISTID)
        )
        .0
    );
    let crls = [empty_id];
    opts.crls = &crls;
    let (index, check, detail) = chain_error(verify_chain(
        &leaf_c,
        std::slice::from_ref(&inter_c),
        std::slice::from_ref(&root_c),
        &opts,
    ));
    assert_eq!(
        (index, check),
        (0, CertCheck::RevocationUnknown),
        "{detail}"
    );
    // ... and this empty-ID CRL is the one `openssl verify -crl_check`
    // can use: there OpenSSL reports the revocation (error 23).
    let o = openssl_verify_link(
        &inter.pem,
        &leaf.pem,
        &["-crl_check", "-CRLfile", &empty_id_pem],
    );
    let out = all_output(&o);
    assert!(!o.status.success(), "{out}");
    assert!(
        out.contains("error 23 at 0 depth lookup: certificate revoked"),
        "{out}"
    );
}

/// `Certificate::serial` is documented as "big-endian, no leading zeros"
/// and `serial_hex` is what the app shows and what `ManagedCa` is keyed
/// by; OpenSSL prints such a serial as `80AB`.
#[test]
fn serial_with_top_bit_set_reads_as_openssl_prints_it() {
    let w = Work::new("serial-top-bit");
    let (_, inter, _) = ossl_chain(&w);
    let held = ossl_issue(
        &w,
        "top-bit",
        Alg::Sm2,
        "/C=CN/CN=Top Bit Serial",
        &inter,
        LEAF_EXTS,
        "0x80AB",
    );
    let printed = text(&ossl(["x509", "-in", &held.pem, "-noout", "-serial"]));
    assert_eq!(printed.trim(), "serial=80AB");
    let c = load(&held.pem);
    let crl_pem = ossl_crl(&w, "top-bit", &inter, &[(&held.pem, "keyCompromise")], true);
    let crl = Crl::from_any(&std::fs::read(&crl_pem).unwrap()).unwrap();
    let entry_serials: Vec<Vec<u8>> = crl.entries().into_iter().map(|e| e.serial).collect();
    // Observed: "0080AB", [0x00, 0x80, 0xAB], [[0x00, 0x80, 0xAB]], None.
    assert_eq!(c.serial_hex(), "80AB");
    assert_eq!(c.serial(), &[0x80, 0xAB]);
    assert_eq!(entry_serials, vec![vec![0x80, 0xAB]]);
    assert!(crl.find(&[0x80, 0xAB]).is_some());
}

// ---- 4. refusals of OpenSSL-made certificates -------------------------

#[test]
fn openssl_made_refusals() {
    let w = Work::new("refusals");
    let (root, inter, leaf) = ossl_chain(&w);
    let root_c = load(&root.pem);
    let inter_c = load(&inter.pem);
    let leaf_c = load(&leaf.pem);
    let anchors = [root_c.clone()];
    // Verify at the time of each call: OpenSSL sets notBefore to the
    // moment a certificate is made.
    let opts = || VerifyOptions::at(now());

    // A certificate issued by an end entity (CA:FALSE).
    let sub = ossl_issue(
        &w,
        "sub-of-leaf",
        Alg::Sm2,
        "/C=CN/CN=Issued By A Leaf",
        &leaf,
        LEAF_EXTS,
        "0x0201",
    );
    // OpenSSL refuses it as well (its signature is fine: the refusal is
    // about the issuer).
    assert_openssl_refuses(
        &leaf.pem,
        &sub.pem,
        "error 79 at 1 depth lookup: invalid CA certificate",
    );
    let (i, c, d) = chain_error(verify_chain(
        &load(&sub.pem),
        &[inter_c.clone(), leaf_c.clone()],
        &anchors,
        &opts(),
    ));
    assert_eq!((i, c), (1, CertCheck::NotCa), "{d}");

    // An intermediate CA whose keyUsage lacks keyCertSign.
    let no_certsign = ossl_issue(
        &w,
        "inter-no-certsign",
        Alg::Sm2,
        "/C=CN/O=OSSL Trust/CN=Sign-only CA",
        &root,
        &[
            "basicConstraints=critical,CA:TRUE",
            "keyUsage=critical,digitalSignature",
            "subjectKeyIdentifier=hash",
            "authorityKeyIdentifier=keyid:always",
        ],
        "0x0202",
    );
    let under = ossl_issue(
        &w,
        "under-no-certsign",
        Alg::Sm2,
        "/C=CN/CN=Under Sign-only CA",
        &no_certsign,
        LEAF_EXTS,
        "0x0203",
    );
    assert_openssl_refuses(
        &no_certsign.pem,
        &under.pem,
        "error 32 at 1 depth lookup: key usage does not include certificate signing",
    );
    let (i, c, d) = chain_error(verify_chain(
        &load(&under.pem),
        &[load(&no_certsign.pem)],
        &anchors,
        &opts(),
    ));
    assert_eq!((i, c), (1, CertCheck::KeyUsage), "{d}");

    // root → inter (pathlen:0) → inter2 (CA) → leaf: one CA too many.
    let inter2 = ossl_issue(
        &w,
        "inter2",
        Alg::Sm2,
        "/C=CN/O=OSSL Trust/CN=Sub CA Below pathlen 0",
        &inter,
        CA_EXTS,
        "0x0204",
    );
    let deep = ossl_issue(
        &w,
        "deep-leaf",
        Alg::Sm2,
        "/C=CN/CN=Too Deep",
        &inter2,
        LEAF_EXTS,
        "0x0205",
    );
    let (i, c, d) = chain_error(verify_chain(
        &load(&deep.pem),
        &[load(&inter2.pem), inter_c.clone()],
        &anchors,
        &opts(),
    ));
    // Index 2 is the intermediate whose pathLenConstraint 0 is exceeded.
    assert_eq!((i, c), (2, CertCheck::PathLength), "{d}");

    // An unknown critical extension on the end entity.
    let mut exts = LEAF_EXTS.to_vec();
    exts.push("1.2.3.4=critical,ASN1:NULL");
    let odd = ossl_issue(
        &w,
        "critical-ext",
        Alg::Sm2,
        "/C=CN/CN=Odd Critical",
        &inter,
        &exts,
        "0x0206",
    );
    assert_openssl_refuses(
        &inter.pem,
        &odd.pem,
        "error 34 at 0 depth lookup: unhandled critical extension",
    );
    let odd_c = load(&odd.pem);
    assert!(
        odd_c
            .extensions()
            .iter()
            .any(|(oid, crit, _)| oid.to_string() == "1.2.3.4" && *crit)
    );
    let (i, c, d) = chain_error(verify_chain(
        &odd_c,
        std::slice::from_ref(&inter_c),
        &anchors,
        &opts(),
    ));
    assert_eq!((i, c), (0, CertCheck::UnknownCriticalExtension), "{d}");
    assert!(d.contains("1.2.3.4"), "{d}");

    // ECDSA P-256: a P-256 certificate does not even parse (its key is
    // not SM2) ...
    let p256_root = ossl_root(
        &w,
        "p256-root",
        Alg::P256,
        "/C=CN/O=ECDSA/CN=P-256 Root",
        CA_EXTS,
    );
    let t = x509_text(&p256_root.pem);
    assert!(
        t.contains("ecdsa-with-SHA256") && t.contains("prime256v1"),
        "{t}"
    );
    match Certificate::from_any(&std::fs::read(&p256_root.pem).unwrap()) {
        Err(Error::UnsupportedAlgorithm { what, oid }) => {
            assert_eq!(
                (what, oid.as_str()),
                ("EC key curve", "1.2.840.10045.3.1.7")
            );
        }
        other => panic!("P-256 certificate: {other:?}"),
    }
    // ... and an SM2 certificate signed with ECDSA-with-SHA256 by that
    // root parses but is refused on its signature algorithm.
    let sm2_by_p256 = ossl_issue(
        &w,
        "sm2-by-p256",
        Alg::Sm2,
        "/C=CN/CN=SM2 key, ECDSA signature",
        &p256_root,
        LEAF_EXTS,
        "0x0207",
    );
    let c = load(&sm2_by_p256.pem);
    assert_eq!(c.signature_algorithm().to_string(), "1.2.840.10045.4.3.2");
    let (i, check, d) = chain_error(verify_chain(&c, &[], &anchors, &opts()));
    assert_eq!((i, check), (0, CertCheck::SignatureAlgorithm), "{d}");
    assert!(d.contains("1.2.840.10045.4.3.2"), "{d}");
    // Its signature cannot be checked as SM2 either.
    assert!(matches!(
        c.verify_signed_by(root_c.public_key()),
        Err(Error::UnsupportedAlgorithm { .. })
    ));
}
