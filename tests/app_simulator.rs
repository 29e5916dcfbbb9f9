//! `yzt app`, the phone simulator, run as the built binary against a real
//! `qr::Verifier`: a holder set up from a fresh `yzt ca init` CA, a trusted
//! platform, QR codes for every action scanned and answered, the refusals,
//! and submission to a stand-in for the platform's service.
#![cfg(feature = "serve")]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use common::temp_dir;
use serde_json::Value;
use yizhengtong::cert::Certificate;
use yizhengtong::crypto::container::KeyContainer;
use yizhengtong::crypto::{CiphertextFormat, PrivateKey, sm3};
use yizhengtong::qr::{
    Action, MemoryQrStore, Outcome, QrStore, Reason, Request, Response, Verifier, VerifierConfig,
};

const CODE: &str = "C1100005553";
const NAME: &str = "新疆公共资源交易平台";
const HOST: &str = "ggzy.example.cn";
const PIN: &str = "246810";
const MOBILE: &str = "13800138000";
const PERSON: &str = "张三";
const ENTERPRISE: &str = "乌鲁木齐诚悦网络科技有限公司";

fn yzt(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_yzt"))
        .current_dir(dir)
        .env("YZT_CA_PASSWORD", "ca-secret")
        .args(args)
        .output()
        .expect("run yzt")
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = yzt(dir, args);
    assert!(
        out.status.success(),
        "yzt {args:?} failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exit code")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The JSON objects of the output, one per line.
fn lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect()
}

fn id_number() -> String {
    yizhengtong::ids::complete_id_number("11010519491231002").unwrap()
}

fn credit_code(body: &str) -> String {
    yizhengtong::ids::complete_credit_code(&format!("91650100{body}")).unwrap()
}

/// A CA, a holder's app directory (personal and enterprise) and a platform
/// key with its certificate from the same CA.
struct World {
    dir: PathBuf,
    anchor: Certificate,
    platform_key: PrivateKey,
}

impl World {
    fn new(name: &str) -> Self {
        let dir = temp_dir(name);
        ok(
            &dir,
            &[
                "ca",
                "init",
                "--subject",
                "C=CN,O=Test Trust,CN=Test SM2 Root",
                "--out-dir",
                "ca",
            ],
        );
        let out = ok(
            &dir,
            &[
                "app",
                "init",
                "--dir",
                "app",
                "--ca-dir",
                "ca",
                "--name",
                PERSON,
                "--id-number",
                &id_number(),
                "--mobile",
                MOBILE,
                "--pin",
                PIN,
                "--enterprise-name",
                ENTERPRISE,
                "--credit-code",
                &credit_code("MA1GGA2L0"),
            ],
        );
        let summary: Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(summary["member"], MOBILE);
        let ids = summary["identities"].as_array().unwrap();
        assert_eq!(ids.len(), 2);
        assert_eq!(ids[0]["kind"], "personal");
        assert_eq!(ids[1]["kind"], "enterprise");
        for i in ids {
            for f in [
                "signing_cert",
                "signing_key",
                "encryption_cert",
                "encryption_key",
                "seal",
            ] {
                let file = dir.join("app").join(i[f].as_str().unwrap());
                assert!(file.is_file(), "{}", file.display());
            }
            // Recorded by the CA.
            let serial = i["signing_serial"].as_str().unwrap();
            assert!(
                dir.join("ca/issued")
                    .join(format!("{serial}.pem"))
                    .is_file()
            );
        }
        // Keys only in PIN containers: nothing in the app directory is a
        // plain private key.
        for e in std::fs::read_dir(dir.join("app")).unwrap() {
            let data = std::fs::read(e.unwrap().path()).unwrap();
            assert!(!String::from_utf8_lossy(&data).contains("PRIVATE KEY"));
        }
        let platform_key = Self::platform(&dir, "platform", "MA1PLAT01");
        ok(
            &dir,
            &[
                "app",
                "trust",
                "--dir",
                "app",
                "--code",
                CODE,
                "--name",
                NAME,
                "--cert",
                "platform.cert.pem",
                "--host",
                HOST,
            ],
        );
        let anchor = Certificate::from_any(&std::fs::read(dir.join("ca/ca.cert.pem")).unwrap())
            .expect("CA certificate");
        World {
            dir,
            anchor,
            platform_key,
        }
    }

    /// A platform key and its certificate `NAME.cert.pem` from the CA.
    fn platform(dir: &Path, name: &str, code_body: &str) -> PrivateKey {
        let key_file = format!("{name}.key.pem");
        let pub_file = format!("{name}.pub.pem");
        ok(dir, &["key", "gen", "--out", &key_file]);
        ok(dir, &["key", "pub", "--in", &key_file, "--out", &pub_file]);
        ok(
            dir,
            &[
                "cert",
                "issue",
                "--ca-dir",
                "ca",
                "--pub",
                &pub_file,
                "--kind",
                "enterprise",
                "--name",
                NAME,
                "--id-number",
                &credit_code(code_body),
                "--days",
                "30",
                "--out",
                &format!("{name}.cert.pem"),
            ],
        );
        PrivateKey::from_any(&std::fs::read(dir.join(key_file)).unwrap()).unwrap()
    }

    fn app(&self, file: &str) -> PathBuf {
        self.dir.join("app").join(file)
    }

    /// A verifier for `code` with `key` and `host`, with packages open for
    /// the holder and the enterprise.
    fn verifier_with(&self, code: &str, key: PrivateKey, host: &str) -> Verifier<MemoryQrStore> {
        let config = VerifierConfig::new(code, NAME, host, key, vec![self.anchor.clone()]);
        let v = Verifier::new(config, MemoryQrStore::new()).unwrap();
        for file in ["personal.sign.cert.pem", "enterprise.sign.cert.pem"] {
            let cert = Certificate::from_any(&std::fs::read(self.app(file)).unwrap()).unwrap();
            for action in [Action::Login, Action::Seal] {
                v.store()
                    .set_quota(&v.quota_key(&cert, action), 100)
                    .unwrap();
            }
        }
        v
    }

    fn verifier(&self) -> Verifier<MemoryQrStore> {
        self.verifier_with(CODE, self.platform_key.clone(), HOST)
    }

    /// `yzt app scan TEXT --dir app --pin PIN` + `extra`.
    fn scan(&self, text: &str, extra: &[&str]) -> Output {
        let mut args = vec!["app", "scan", text, "--dir", "app", "--pin", PIN];
        args.extend_from_slice(extra);
        yzt(&self.dir, &args)
    }
}

/// Scan with `--out`, check the phone's view, and return the verdict of
/// `verifier` on the response written.
fn answer(
    w: &World,
    v: &Verifier<MemoryQrStore>,
    text: &str,
    extra: &[&str],
) -> (Value, yizhengtong::qr::Verification) {
    let mut args = vec!["--out", "response.der"];
    args.extend_from_slice(extra);
    let out = w.scan(text, &args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let printed = lines(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(printed.len(), 2, "{printed:?}");
    let der = std::fs::read(w.dir.join("response.der")).unwrap();
    assert_eq!(printed[1]["bytes"], der.len());
    (printed[0].clone(), v.verify(&der, SystemTime::now()))
}

#[test]
fn login_as_person_and_enterprise_is_accepted() {
    let w = World::new("app-login");
    let v = w.verifier();
    let mut rng = rand::rng();

    // Personal login, the QR text on the command line, the response as base64.
    let c = v
        .issue(Request::Login, SystemTime::now(), &mut rng)
        .unwrap();
    let out = w.scan(&c.to_text(), &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let printed = lines(&String::from_utf8(out.stdout).unwrap());
    let view = &printed[0];
    assert_eq!(view["platform"], NAME);
    assert_eq!(view["platform_code"], CODE);
    assert_eq!(view["action"], "login");
    assert_eq!(view["action_label"], "授权登录");
    assert_eq!(view["callback_host"], HOST);
    assert_eq!(view["transaction"], c.transaction_hex());
    assert!(view["digest"].is_null());
    let left = view["expires_in"].as_u64().unwrap();
    assert!((100..=120).contains(&left), "{left}");
    assert_eq!(view["identity"]["kind"], "personal");
    assert_eq!(view["identity"]["name"], PERSON);
    assert!(view["identity"]["enterprise"].is_null());
    let response = Response::from_base64(printed[1]["response"].as_str().unwrap()).unwrap();
    assert_eq!(response.statement.member, MOBILE);
    assert_eq!(response.statement.enterprise, None);
    let verdict = v.verify(&response.to_der(), SystemTime::now());
    assert!(
        verdict.accepted(),
        "{:?} {}",
        verdict.reason,
        verdict.detail
    );
    assert_eq!(
        verdict.certificate.unwrap().subject_serial_number(),
        Some(id_number())
    );

    // Enterprise login, the QR text from a file.
    let c = v
        .issue(Request::Login, SystemTime::now(), &mut rng)
        .unwrap();
    std::fs::write(w.dir.join("qr.txt"), c.to_text()).unwrap();
    let (view, verdict) = answer(&w, &v, "@qr.txt", &["--identity", "enterprise"]);
    assert_eq!(view["identity"]["kind"], "enterprise");
    assert_eq!(view["identity"]["name"], ENTERPRISE);
    assert_eq!(view["identity"]["enterprise"], credit_code("MA1GGA2L0"));
    assert!(
        verdict.accepted(),
        "{:?} {}",
        verdict.reason,
        verdict.detail
    );
    assert_eq!(
        verdict
            .certificate
            .unwrap()
            .subject_organization_identifier(),
        Some(credit_code("MA1GGA2L0"))
    );
    let records = v.store().records().unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].member, MOBILE);
    assert_eq!(
        records[1].enterprise.as_deref(),
        Some(credit_code("MA1GGA2L0").as_str())
    );
}

#[test]
fn every_action_is_accepted() {
    let w = World::new("app-actions");
    let v = w.verifier();
    let mut rng = rand::rng();
    let document = b"<Tender lot=\"7\" amount=\"1280000.00\"/>".to_vec();
    let message = "我确认第7标段的投标".as_bytes().to_vec();
    std::fs::write(w.dir.join("tender.xml"), &document).unwrap();
    std::fs::write(w.dir.join("message.txt"), &message).unwrap();
    let enc_cert =
        Certificate::from_any(&std::fs::read(w.app("personal.enc.cert.pem")).unwrap()).unwrap();
    let document_key = b"SM4 document key".to_vec();
    let envelope = enc_cert
        .public_key()
        .encrypt_to(&document_key, CiphertextFormat::Asn1, &mut rng)
        .unwrap();
    std::fs::write(w.dir.join("envelope.bin"), &envelope).unwrap();
    let now = SystemTime::now;

    // Seal, as the person (personal seal) and as the enterprise (company seal).
    for (identity, seal_name) in [
        ("personal", format!("{PERSON}印")),
        ("enterprise", format!("{ENTERPRISE}公章")),
    ] {
        let c = v
            .issue(
                Request::Seal {
                    digest: sm3(&document),
                },
                now(),
                &mut rng,
            )
            .unwrap();
        let (view, verdict) = answer(
            &w,
            &v,
            &c.to_text(),
            &[
                "--identity",
                identity,
                "--document",
                "tender.xml",
                "--property",
                "/Doc_0/Signs/Sign_0/Signature.xml",
            ],
        );
        assert_eq!(view["action"], "seal");
        assert_eq!(
            view["digest"],
            yizhengtong::hex::encode(&sm3(&document)).as_str()
        );
        assert!(
            verdict.accepted(),
            "{:?} {}",
            verdict.reason,
            verdict.detail
        );
        let Some(Outcome::Seal(sig)) = verdict.outcome else {
            panic!("no seal outcome")
        };
        assert_eq!(sig.seal.info.property.name, seal_name);
        assert_eq!(sig.property, "/Doc_0/Signs/Sign_0/Signature.xml");
    }
    // Seal with the default property.
    let c = v
        .issue(
            Request::Seal {
                digest: sm3(&document),
            },
            now(),
            &mut rng,
        )
        .unwrap();
    let (_, verdict) = answer(&w, &v, &c.to_text(), &["--document", "tender.xml"]);
    assert!(
        verdict.accepted(),
        "{:?} {}",
        verdict.reason,
        verdict.detail
    );

    // Message signature.
    let c = v
        .issue(Request::MsgSign { message: &message }, now(), &mut rng)
        .unwrap();
    let (view, verdict) = answer(&w, &v, &c.to_text(), &["--message", "message.txt"]);
    assert_eq!(view["action_label"], "授权消息签名");
    assert!(
        verdict.accepted(),
        "{:?} {}",
        verdict.reason,
        verdict.detail
    );
    assert!(matches!(
        verdict.outcome,
        Some(Outcome::MessageSignature(_))
    ));

    // File signature (GM/T 0010), encryption certificate, decryption.
    let c = v
        .issue(
            Request::FileSign {
                digest: sm3(&document),
            },
            now(),
            &mut rng,
        )
        .unwrap();
    let (_, verdict) = answer(
        &w,
        &v,
        &c.to_text(),
        &["--document", "tender.xml", "--gmt0010"],
    );
    assert!(
        verdict.accepted(),
        "{:?} {}",
        verdict.reason,
        verdict.detail
    );
    let c = v.issue(Request::Encrypt, now(), &mut rng).unwrap();
    let (_, verdict) = answer(&w, &v, &c.to_text(), &[]);
    assert!(
        verdict.accepted(),
        "{:?} {}",
        verdict.reason,
        verdict.detail
    );
    let Some(Outcome::EncryptionCertificate(got)) = verdict.outcome else {
        panic!("no encryption certificate")
    };
    assert_eq!(*got, enc_cert);
    let c = v
        .issue(
            Request::Decrypt {
                envelope: &envelope,
            },
            now(),
            &mut rng,
        )
        .unwrap();
    let (_, verdict) = answer(&w, &v, &c.to_text(), &["--envelope", "envelope.bin"]);
    assert!(
        verdict.accepted(),
        "{:?} {}",
        verdict.reason,
        verdict.detail
    );
    let Some(Outcome::DocumentKey(k)) = verdict.outcome else {
        panic!("no document key")
    };
    assert_eq!(k.as_slice(), document_key.as_slice());

    // An action without its material is a usage error, before any answer.
    let c = v
        .issue(Request::MsgSign { message: &message }, now(), &mut rng)
        .unwrap();
    let out = w.scan(&c.to_text(), &[]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--message"), "{}", stderr(&out));
    // A document that is not the one in the QR code is refused by the app.
    let c = v
        .issue(
            Request::Seal {
                digest: sm3(&document),
            },
            now(),
            &mut rng,
        )
        .unwrap();
    let out = w.scan(&c.to_text(), &["--document", "message.txt"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("not the digest in the QR code"),
        "{}",
        stderr(&out)
    );
}

fn remaining(path: &Path) -> u32 {
    KeyContainer::from_bytes(&std::fs::read(path).unwrap())
        .unwrap()
        .remaining_attempts()
}

#[test]
fn refusals() {
    let w = World::new("app-refusals");
    let v = w.verifier();
    let mut rng = rand::rng();
    let text = v
        .issue(Request::Login, SystemTime::now(), &mut rng)
        .unwrap()
        .to_text();

    // A wrong PIN: the container's error, the count kept on disk.
    let key_file = w.app("personal.sign.key");
    for left in [5, 4] {
        let out = yzt(
            &w.dir,
            &["app", "scan", &text, "--dir", "app", "--pin", "000000"],
        );
        assert_eq!(code(&out), 2);
        assert_eq!(
            stderr(&out).trim(),
            format!("yzt: wrong PIN, {left} tries left")
        );
        assert_eq!(remaining(&key_file), left);
    }
    // A malformed PIN costs nothing.
    let out = yzt(
        &w.dir,
        &["app", "scan", &text, "--dir", "app", "--pin", "12345"],
    );
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("PIN must be exactly 6 digits"));
    assert_eq!(remaining(&key_file), 4);
    // The right PIN answers and resets the count.
    let (_, verdict) = answer(&w, &v, &text, &[]);
    assert!(
        verdict.accepted(),
        "{:?} {}",
        verdict.reason,
        verdict.detail
    );
    assert_eq!(remaining(&key_file), 6);

    // A platform the app does not know.
    let other = w.verifier_with("C6500000001", PrivateKey::generate(&mut rng), HOST);
    let c = other
        .issue(Request::Login, SystemTime::now(), &mut rng)
        .unwrap();
    let out = w.scan(&c.to_text(), &[]);
    assert_eq!(code(&out), 2);
    assert_eq!(
        stderr(&out).trim(),
        "yzt: trading platform C6500000001 not found"
    );
    assert!(out.stdout.is_empty());

    // A QR code in the registered platform's name, signed by another key.
    let forger = w.verifier_with(CODE, PrivateKey::generate(&mut rng), HOST);
    let c = forger
        .issue(Request::Login, SystemTime::now(), &mut rng)
        .unwrap();
    let out = w.scan(&c.to_text(), &[]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("forged or altered"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());

    // The right platform, a host it did not register.
    let elsewhere = w.verifier_with(CODE, w.platform_key.clone(), "evil.example.cn");
    let c = elsewhere
        .issue(Request::Login, SystemTime::now(), &mut rng)
        .unwrap();
    let out = w.scan(&c.to_text(), &[]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("evil.example.cn is not a registered callback host"),
        "{}",
        stderr(&out)
    );

    // Expired on the phone's clock.
    let c = v
        .issue(Request::Login, SystemTime::now(), &mut rng)
        .unwrap();
    let late = (c.expires_at + 1).to_string();
    let out = w.scan(&c.to_text(), &["--at", &late]);
    assert_eq!(code(&out), 2);
    assert_eq!(
        stderr(&out).trim(),
        "yzt: cannot authorise a QR code that is expired"
    );
    // Still good a second before.
    let just = (c.expires_at - 1).to_string();
    let out = w.scan(&c.to_text(), &["--at", &just]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    // Not QR text at all; a submit URL to a host the platform did not register.
    let out = w.scan("hello", &[]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("YZT1."), "{}", stderr(&out));
    let c = v
        .issue(Request::Login, SystemTime::now(), &mut rng)
        .unwrap();
    let out = w.scan(&c.to_text(), &["--submit", "http://127.0.0.1:9/"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("not a registered host of platform C1100005553"),
        "{}",
        stderr(&out)
    );

    // Initialising over an existing profile.
    let out = yzt(
        &w.dir,
        &[
            "app",
            "init",
            "--dir",
            "app",
            "--ca-dir",
            "ca",
            "--name",
            PERSON,
            "--id-number",
            &id_number(),
            "--mobile",
            MOBILE,
            "--pin",
            PIN,
        ],
    );
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("already initialised"),
        "{}",
        stderr(&out)
    );
    // A personal-only holder has no enterprise identity.
    ok(
        &w.dir,
        &[
            "app",
            "init",
            "--dir",
            "app2",
            "--ca-dir",
            "ca",
            "--name",
            PERSON,
            "--id-number",
            &id_number(),
            "--mobile",
            MOBILE,
            "--pin",
            PIN,
        ],
    );
    ok(
        &w.dir,
        &[
            "app",
            "trust",
            "--dir",
            "app2",
            "--code",
            CODE,
            "--name",
            NAME,
            "--cert",
            "platform.cert.pem",
            "--host",
            HOST,
        ],
    );
    let out = yzt(
        &w.dir,
        &[
            "app",
            "scan",
            &c.to_text(),
            "--dir",
            "app2",
            "--pin",
            PIN,
            "--identity",
            "enterprise",
        ],
    );
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("identity enterprise not found"),
        "{}",
        stderr(&out)
    );
    // Bad input to init and trust names the field.
    for (args, field) in [
        (vec!["--mobile", "12345"], "--mobile"),
        (vec!["--pin", "12ab56"], "PIN"),
    ] {
        let mut all = vec![
            "app",
            "init",
            "--dir",
            "app3",
            "--ca-dir",
            "ca",
            "--name",
            PERSON,
            "--id-number",
        ];
        let id = id_number();
        all.push(&id);
        let (mobile, pin) = if args[0] == "--mobile" {
            (args[1], PIN)
        } else {
            (MOBILE, args[1])
        };
        all.extend(["--mobile", mobile, "--pin", pin]);
        let out = yzt(&w.dir, &all);
        assert_eq!(code(&out), 2);
        assert!(stderr(&out).contains(field), "{}", stderr(&out));
        assert!(!w.dir.join("app3/app.json").exists());
    }
    let out = yzt(
        &w.dir,
        &[
            "app",
            "trust",
            "--dir",
            "app",
            "--code",
            "XYZ",
            "--name",
            NAME,
            "--cert",
            "platform.cert.pem",
            "--host",
            HOST,
        ],
    );
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("platform code"), "{}", stderr(&out));
    // A name the phone could not show as written, a host that is not
    // host[:port] (issue #17 item 9): refused, nothing kept.
    let before = std::fs::read(w.app("app.json")).unwrap();
    for (name, host, field) in [
        ("新疆公共资源交易平台\u{202E}", HOST, "platform name"),
        ("新疆公共资源交易平台\n(官方)", HOST, "platform name"),
        ("", HOST, "platform name"),
        (NAME, "http://ggzy.example.cn", "callback host"),
        (NAME, "ggzy.example.cn:0", "callback host"),
        (NAME, "evil.cn@ggzy.example.cn", "callback host"),
    ] {
        let out = yzt(
            &w.dir,
            &[
                "app",
                "trust",
                "--dir",
                "app",
                "--code",
                CODE,
                "--name",
                name,
                "--cert",
                "platform.cert.pem",
                "--host",
                host,
            ],
        );
        assert_eq!(code(&out), 2, "{name:?} {host:?}");
        assert!(stderr(&out).contains(field), "{}", stderr(&out));
    }
    assert_eq!(std::fs::read(w.app("app.json")).unwrap(), before);
}

/// Issue #17 item 6 through the CLI: twelve `yzt app scan` processes with
/// a wrong PIN at once get the container's six tries between them (each
/// number of tries left told once), the others are refused as locked, and
/// then so is the right PIN; no temporary file is left behind.
#[test]
fn wrong_pins_from_many_app_processes_lock_the_container() {
    let w = World::new("app-pin-race");
    let v = w.verifier();
    let text = v
        .issue(Request::Login, SystemTime::now(), &mut rand::rng())
        .unwrap()
        .to_text();
    let children: Vec<_> = (0..12)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_yzt"))
                .current_dir(&w.dir)
                .args(["app", "scan", &text, "--dir", "app", "--pin", "000000"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("run yzt")
        })
        .collect();
    let (mut told, mut locked) = (Vec::new(), 0);
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(code(&out), 2, "{}", stderr(&out));
        let e = stderr(&out);
        match e
            .trim()
            .strip_prefix("yzt: wrong PIN, ")
            .and_then(|r| r.strip_suffix(" tries left"))
        {
            Some(n) => told.push(n.parse::<u32>().unwrap()),
            None => {
                assert!(e.contains("locked after too many wrong PINs"), "{e}");
                locked += 1;
            }
        }
    }
    told.sort_unstable();
    assert_eq!(told, [0, 1, 2, 3, 4, 5]);
    assert_eq!(locked, 6);
    assert_eq!(remaining(&w.app("personal.sign.key")), 0);
    let out = w.scan(&text, &[]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("locked"), "{}", stderr(&out));
    for e in std::fs::read_dir(w.dir.join("app")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.ends_with(".tmp"), "{name} left behind");
    }
}

/// The stand-in for the platform's service: answer `count` responses on
/// `listener`, each `POST /v1/qr/{tid}/response` with `{"response": …}`,
/// with the real verifier's JSON answer, and the app's `POST
/// /v1/qr/{tid}/scanned` notices in between; returns how many of those
/// came.
fn stand_in(listener: &TcpListener, v: &Verifier<MemoryQrStore>, tid: &str, count: usize) -> usize {
    let (mut answered, mut scanned) = (0, 0);
    while answered < count {
        let (stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut reader = BufReader::new(stream);
        let mut request_line = String::new();
        reader.read_line(&mut request_line).unwrap();
        let is_scan = request_line.trim_end() == format!("POST /v1/qr/{tid}/scanned HTTP/1.1");
        if !is_scan {
            assert_eq!(
                request_line.trim_end(),
                format!("POST /v1/qr/{tid}/response HTTP/1.1")
            );
        }
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap(),
                "content-type" => assert_eq!(value.trim(), "application/json"),
                _ => {}
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let json: Value = serde_json::from_slice(&body).unwrap();
        let answer = if is_scan {
            assert_eq!(json, serde_json::json!({}));
            scanned += 1;
            serde_json::json!({"transaction": tid, "state": "scanned"}).to_string()
        } else {
            let object = json.as_object().unwrap();
            assert_eq!(object.len(), 1, "{json}");
            let response = Response::from_base64(json["response"].as_str().unwrap()).unwrap();
            answered += 1;
            v.verify(&response.to_der(), SystemTime::now())
                .answer_json()
        };
        let mut stream = reader.into_inner();
        write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
            answer.len()
        )
        .unwrap();
    }
    scanned
}

#[test]
fn submit_to_the_service() {
    let w = World::new("app-submit");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let host = listener.local_addr().unwrap().to_string();
    ok(
        &w.dir,
        &[
            "app",
            "trust",
            "--dir",
            "app",
            "--code",
            CODE,
            "--name",
            NAME,
            "--cert",
            "platform.cert.pem",
            "--host",
            HOST,
            "--host",
            &host,
        ],
    );
    let profile: Value =
        serde_json::from_slice(&std::fs::read(w.app("app.json")).unwrap()).unwrap();
    assert_eq!(profile["platforms"].as_array().unwrap().len(), 1);
    let v = w.verifier_with(CODE, w.platform_key.clone(), &host);
    let c = v
        .issue(Request::Login, SystemTime::now(), &mut rand::rng())
        .unwrap();
    let tid = c.transaction_hex();
    let text = c.to_text();
    let base = format!("http://{host}");
    let full = format!("http://{host}/v1/qr/{tid}/response");
    std::thread::scope(|s| {
        let server = s.spawn(|| stand_in(&listener, &v, &tid, 2));
        // Accepted: the answer printed, exit 0.
        let out = w.scan(&text, &["--submit", &base]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let printed = lines(&String::from_utf8(out.stdout).unwrap());
        assert_eq!(printed[0]["callback_host"], host.as_str());
        assert_eq!(printed[1]["data"]["verifySignatureResult"], true);
        assert_eq!(printed[1]["data"]["reasonCode"], Reason::Ok.code());
        // The same QR code answered again: the service refuses, exit 1.
        let out = w.scan(&text, &["--submit", &full, "--out", "again.der"]);
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        let printed = lines(&String::from_utf8(out.stdout).unwrap());
        assert_eq!(printed[1]["data"]["verifySignatureResult"], false);
        assert_eq!(printed[1]["data"]["reasonCode"], Reason::AlreadyUsed.code());
        assert!(w.dir.join("again.der").is_file());
        // each scan told the page first
        assert_eq!(server.join().unwrap(), 2);
    });
    // Nobody listening: a transport error, exit 2.
    drop(listener);
    let c = v
        .issue(Request::Login, SystemTime::now(), &mut rand::rng())
        .unwrap();
    let out = w.scan(&c.to_text(), &["--submit", &base]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("could not tell"), "{}", stderr(&out));
    assert!(stderr(&out).contains(&base), "{}", stderr(&out));
}
