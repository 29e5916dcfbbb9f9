//! The `yzt` command line: every command, its output and its exit codes
//! (0 success, 1 verification false, 2 usage or input error).

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{openssl, run_ok, temp_dir};

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

const TRUE_ANSWER: &str =
    r#"{"code":200,"success":true,"data":{"verifySignatureResult":true},"msg":"","errorCode":""}"#;
const FALSE_ANSWER: &str =
    r#"{"code":200,"success":true,"data":{"verifySignatureResult":false},"msg":"","errorCode":""}"#;

#[test]
fn keys_sign_verify_and_exit_codes() {
    let d = temp_dir("cli-sign");
    ok(&d, &["key", "gen", "--out", "k.pem"]);
    ok(&d, &["key", "pub", "--in", "k.pem", "--out", "p.pem"]);
    std::fs::write(d.join("m.txt"), b"tender").unwrap();
    for (raw, id) in [
        (false, None),
        (true, None),
        (false, Some("ALICE123@YAHOO.COM")),
    ] {
        let mut sign = vec!["sign", "--key", "k.pem", "--in", "m.txt", "--out", "s.sig"];
        let mut verify = vec![
            "verify", "--pub", "p.pem", "--sig", "s.sig", "--in", "m.txt",
        ];
        if raw {
            sign.push("--raw");
            verify.push("--raw");
        }
        if let Some(id) = id {
            sign.extend(["--id", id]);
            verify.extend(["--id", id]);
        }
        ok(&d, &sign);
        assert_eq!(ok(&d, &verify).trim(), TRUE_ANSWER);
        if raw {
            assert_eq!(std::fs::read(d.join("s.sig")).unwrap().len(), 64);
        }
    }
    // A false signature: answer false, exit 1.
    std::fs::write(d.join("m2.txt"), b"tender!").unwrap();
    let out = yzt(
        &d,
        &[
            "verify",
            "--pub",
            "p.pem",
            "--sig",
            "s.sig",
            "--in",
            "m2.txt",
            "--id",
            "ALICE123@YAHOO.COM",
        ],
    );
    assert_eq!(code(&out), 1);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), FALSE_ANSWER);
    // A malformed signature is an error (exit 2, one line on stderr), not false.
    let out = yzt(
        &d,
        &[
            "verify", "--pub", "p.pem", "--sig", "m.txt", "--in", "m.txt",
        ],
    );
    assert_eq!(code(&out), 2);
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("yzt: malformed DER SM2 signature"), "{err}");
    // Missing file, usage error: exit 2.
    assert_eq!(
        code(&yzt(
            &d,
            &["sign", "--key", "nope.pem", "--in", "m.txt", "--out", "x"]
        )),
        2
    );
    assert_eq!(
        code(&yzt(&d, &["verify", "--sig", "s.sig", "--in", "m.txt"])),
        2
    );
    assert_eq!(code(&yzt(&d, &["frobnicate"])), 2);
    // --help everywhere
    for cmd in [
        &["--help"][..],
        &["key", "gen", "--help"],
        &["sign", "--help"],
        &["cert", "verify", "--help"],
    ] {
        assert!(ok(&d, cmd).contains("Usage"));
    }
    // OpenSSL verifies what the CLI signed.
    ok(
        &d,
        &["sign", "--key", "k.pem", "--in", "m.txt", "--out", "s.der"],
    );
    run_ok(openssl().current_dir(&d).args([
        "dgst",
        "-sm3",
        "-verify",
        "p.pem",
        "-sigopt",
        "distid:1234567812345678",
        "-signature",
        "s.der",
        "m.txt",
    ]));
}

#[test]
fn encrypted_key_encrypt_decrypt_sm3() {
    let d = temp_dir("cli-enc");
    let out = Command::new(env!("CARGO_BIN_EXE_yzt"))
        .current_dir(&d)
        .env("KEYPASS", "pass word")
        .args(["key", "gen", "--out", "k.pem", "--password-env", "KEYPASS"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        std::fs::read_to_string(d.join("k.pem"))
            .unwrap()
            .contains("ENCRYPTED PRIVATE KEY")
    );
    // Without the password it is refused with a clear message.
    let out = yzt(&d, &["key", "pub", "--in", "k.pem", "--out", "p.pem"]);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("password"));
    let out = Command::new(env!("CARGO_BIN_EXE_yzt"))
        .current_dir(&d)
        .env("KEYPASS", "pass word")
        .args([
            "key",
            "pub",
            "--in",
            "k.pem",
            "--out",
            "p.pem",
            "--password-env",
            "KEYPASS",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());

    let dk = temp_dir("cli-enc-plain");
    ok(&dk, &["key", "gen", "--out", "k.pem"]);
    ok(&dk, &["key", "pub", "--in", "k.pem", "--out", "p.pem"]);
    std::fs::write(dk.join("m"), b"bid opening key").unwrap();
    for f in [
        "asn1",
        "c1c3c2",
        "c1c2c3",
        "c1c3c2-noprefix",
        "c1c2c3-noprefix",
    ] {
        ok(
            &dk,
            &[
                "encrypt", "--pub", "p.pem", "--format", f, "--in", "m", "--out", "c",
            ],
        );
        ok(
            &dk,
            &["decrypt", "--key", "k.pem", "--in", "c", "--out", "back"],
        );
        assert_eq!(
            std::fs::read(dk.join("back")).unwrap(),
            b"bid opening key",
            "{f}"
        );
    }
    ok(
        &dk,
        &["encrypt", "--pub", "p.pem", "--in", "m", "--out", "c"],
    );
    let plain = run_ok(
        openssl()
            .current_dir(&dk)
            .args(["pkeyutl", "-decrypt", "-inkey", "k.pem", "-in", "c"]),
    );
    assert_eq!(plain, b"bid opening key");
    assert_eq!(
        code(&yzt(
            &dk,
            &[
                "encrypt", "--pub", "p.pem", "--format", "xml", "--in", "m", "--out", "c"
            ]
        )),
        2
    );

    std::fs::write(dk.join("abc"), b"abc").unwrap();
    let line = ok(&dk, &["sm3", "abc"]);
    assert_eq!(
        line,
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0  abc\n"
    );
}

#[test]
fn bench_prints_json() {
    let d = temp_dir("cli-bench");
    for op in ["sign", "verify", "sm3", "sm4", "qr"] {
        let out = ok(&d, &["bench", op, "--seconds", "0.2"]);
        let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        let rate = v
            .get("ops_per_s")
            .or_else(|| v.get("mib_per_s"))
            .or_else(|| v.get("authorisations_per_s"))
            .and_then(|x| x.as_f64())
            .unwrap();
        assert!(rate > 0.0, "{out}");
    }
    for flags in [&["--same-key"][..], &["--threads", "2"], &["--reference"]] {
        let mut args = vec!["bench", "verify", "--seconds", "0.2"];
        args.extend_from_slice(flags);
        let v: serde_json::Value = serde_json::from_str(ok(&d, &args).trim()).unwrap();
        assert!(v["ops_per_s"].as_f64().unwrap() > 0.0, "{v}");
    }
    assert_eq!(
        code(&yzt(&d, &["bench", "verify", "--reference", "--same-key"])),
        2
    );
    assert_eq!(code(&yzt(&d, &["bench", "sign", "--seconds", "0"])), 2);
}

#[test]
fn ca_issue_show_verify_revoke_crl() {
    let d = temp_dir("cli-ca");
    ok(
        &d,
        &[
            "ca",
            "init",
            "--subject",
            "C=CN,O=CLI Trust,CN=CLI Root",
            "--out-dir",
            "root",
        ],
    );
    ok(
        &d,
        &[
            "ca",
            "init",
            "--subject",
            "C=CN,O=CLI Trust,CN=CLI Issuing",
            "--out-dir",
            "sub",
            "--issuer-dir",
            "root",
            "--path-len",
            "0",
            "--crl-url",
            "http://crl.example.cn/sub.crl",
        ],
    );
    // The key is never stored in plain text.
    let key_file = std::fs::read_to_string(d.join("sub/ca.key.pem")).unwrap();
    assert!(key_file.contains("ENCRYPTED PRIVATE KEY"));
    // A second init into the same directory is refused.
    assert_eq!(
        code(&yzt(
            &d,
            &["ca", "init", "--subject", "CN=x", "--out-dir", "root"]
        )),
        2
    );
    // Without the password: exit 2 with a message.
    let out = Command::new(env!("CARGO_BIN_EXE_yzt"))
        .current_dir(&d)
        .env_remove("YZT_CA_PASSWORD")
        .args(["crl", "--ca-dir", "sub", "--out", "x.pem"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);

    ok(&d, &["key", "gen", "--out", "u.pem"]);
    ok(&d, &["key", "pub", "--in", "u.pem", "--out", "upub.pem"]);
    let issued = ok(
        &d,
        &[
            "cert",
            "issue",
            "--ca-dir",
            "sub",
            "--pub",
            "upub.pem",
            "--kind",
            "personal",
            "--usage",
            "sign",
            "--name",
            "宋世奇",
            "--id-number",
            "11010519491231002X",
            "--days",
            "365",
            "--out",
            "leaf.pem",
        ],
    );
    let serial = serde_json::from_str::<serde_json::Value>(&issued).unwrap()["serial"]
        .as_str()
        .unwrap()
        .to_string();
    // A bad ID number is refused, naming the field.
    let out = yzt(
        &d,
        &[
            "cert",
            "issue",
            "--ca-dir",
            "sub",
            "--pub",
            "upub.pem",
            "--kind",
            "personal",
            "--name",
            "x",
            "--id-number",
            "110105194912310021",
            "--days",
            "365",
            "--out",
            "bad.pem",
        ],
    );
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("ID number"));

    let show: serde_json::Value =
        serde_json::from_str(&ok(&d, &["cert", "show", "leaf.pem"])).unwrap();
    assert_eq!(show["serial"], serial.as_str());
    assert_eq!(show["profile"]["usage"], "sign");
    assert_eq!(show["detail"]["id_number"], "110105*****002X");
    assert_eq!(
        show["crl_distribution_points"][0],
        "http://crl.example.cn/sub.crl"
    );

    let v: serde_json::Value = serde_json::from_str(&ok(
        &d,
        &[
            "cert",
            "verify",
            "--ca",
            "root/ca.cert.pem",
            "leaf.pem",
            "sub/ca.cert.pem",
        ],
    ))
    .unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["chain"].as_array().unwrap().len(), 3);
    // Verified for encryption: key usage refuses (exit 1, the failed check named).
    let out = yzt(
        &d,
        &[
            "cert",
            "verify",
            "--usage",
            "encrypt",
            "--ca",
            "root/ca.cert.pem",
            "leaf.pem",
            "sub/ca.cert.pem",
        ],
    );
    assert_eq!(code(&out), 1);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["check"], "key usage");
    // Far in the future: expired.
    let out = yzt(
        &d,
        &[
            "cert",
            "verify",
            "--at",
            "2040-01-01T00:00:00Z",
            "--ca",
            "root/ca.cert.pem",
            "leaf.pem",
            "sub/ca.cert.pem",
        ],
    );
    assert_eq!(code(&out), 1);

    // Freeze, unfreeze, revoke; illegal transitions are errors naming the state.
    ok(
        &d,
        &["cert", "freeze", "--ca-dir", "sub", "--serial", &serial],
    );
    let out = yzt(
        &d,
        &["cert", "freeze", "--ca-dir", "sub", "--serial", &serial],
    );
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("frozen"));
    ok(
        &d,
        &["cert", "unfreeze", "--ca-dir", "sub", "--serial", &serial],
    );
    let st: serde_json::Value = serde_json::from_str(&ok(
        &d,
        &[
            "cert",
            "revoke",
            "--ca-dir",
            "sub",
            "--serial",
            &serial,
            "--reason",
            "keyCompromise",
        ],
    ))
    .unwrap();
    assert_eq!(st["status"], "revoked");
    assert_eq!(st["reason"], "keyCompromise");
    assert_eq!(
        code(&yzt(
            &d,
            &["cert", "revoke", "--ca-dir", "sub", "--serial", "ABCDEF"]
        )),
        2
    );

    let crl: serde_json::Value =
        serde_json::from_str(&ok(&d, &["crl", "--ca-dir", "sub", "--out", "crl.pem"])).unwrap();
    assert_eq!(crl["crl_number"], 1);
    assert_eq!(crl["entries"], 1);
    let out = yzt(
        &d,
        &[
            "cert",
            "verify",
            "--ca",
            "root/ca.cert.pem",
            "--crl",
            "crl.pem",
            "leaf.pem",
            "sub/ca.cert.pem",
        ],
    );
    assert_eq!(code(&out), 1);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["check"], "revocation (revoked)");
    // The CRL as OpenSSL reads it.
    let text = String::from_utf8(run_ok(
        openssl()
            .current_dir(&d)
            .args(["crl", "-in", "crl.pem", "-noout", "-text"]),
    ))
    .unwrap();
    assert!(
        text.contains(&serial) && text.contains("Key Compromise"),
        "{text}"
    );
    // The state survived on disk: status by serial.
    let st: serde_json::Value = serde_json::from_str(&ok(
        &d,
        &["cert", "status", "--ca-dir", "sub", "--serial", &serial],
    ))
    .unwrap();
    assert_eq!(st["user_status"], "invalid");
    assert!(d.join(format!("sub/issued/{serial}.pem")).is_file());
}

#[test]
fn demo_runs() {
    let d = temp_dir("cli-demo");
    let out = ok(&d, &["demo"]);
    assert!(out.contains("[12/12]"), "{out}");
    assert!(out.contains(r#""verifySignatureResult":true"#), "{out}");
    assert!(out.contains("AlreadyUsed (1004)"), "{out}");
    assert!(out.contains("CertificateFrozen (1012)"), "{out}");
}

#[test]
fn seal_make_show_stamp_verify() {
    let d = temp_dir("cli-seal");
    ok(
        &d,
        &[
            "ca",
            "init",
            "--subject",
            "C=CN,O=Seal CLI,CN=Seal CLI Root",
            "--out-dir",
            "root",
        ],
    );
    for who in ["maker", "signer", "other"] {
        ok(&d, &["key", "gen", "--out", &format!("{who}.key")]);
        ok(
            &d,
            &[
                "key",
                "pub",
                "--in",
                &format!("{who}.key"),
                "--out",
                &format!("{who}.pub"),
            ],
        );
        ok(
            &d,
            &[
                "cert",
                "issue",
                "--ca-dir",
                "root",
                "--pub",
                &format!("{who}.pub"),
                "--kind",
                "enterprise",
                "--name",
                who,
                "--id-number",
                "9165010039960151X0",
                "--days",
                "300",
                "--out",
                &format!("{who}.pem"),
            ],
        );
    }
    let image = common::vectors_dir().join("ses/StampImg.png");
    for version in ["1", "4", "5"] {
        let esl = format!("s{version}.esl");
        ok(
            &d,
            &[
                "seal",
                "make",
                "--maker-key",
                "maker.key",
                "--maker-cert",
                "maker.pem",
                "--holder-cert",
                "signer.pem",
                "--image",
                image.to_str().unwrap(),
                "--name",
                "诚悦科技合同专用章",
                "--kind",
                "contract",
                "--width-mm",
                "40",
                "--height-mm",
                "40",
                "--version",
                version,
                "--out",
                &esl,
            ],
        );
        let show: serde_json::Value =
            serde_json::from_str(&ok(&d, &["seal", "show", &esl, "--image-out", "img.png"]))
                .unwrap();
        assert_eq!(show["seal"]["version"], version.parse::<u32>().unwrap());
        assert_eq!(show["seal"]["kind"]["name"], "contract");
        assert_eq!(show["seal"]["image"]["type"], "PNG");
        assert_eq!(show["seal"]["image"]["width_mm"], 40);
        assert_eq!(
            show["seal"]["certificates"][0]["subject"],
            "organizationIdentifier=9165010039960151X0,CN=signer,O=signer,C=CN"
        );
        assert_eq!(
            std::fs::read(d.join("img.png")).unwrap(),
            std::fs::read(&image).unwrap()
        );

        std::fs::write(d.join("doc.xml"), b"<doc/>").unwrap();
        ok(
            &d,
            &[
                "seal",
                "stamp",
                "--seal",
                &esl,
                "--key",
                "signer.key",
                "--cert",
                "signer.pem",
                "--in",
                "doc.xml",
                "--property",
                "/Doc_0/Signs/Sign_0/Signature.xml",
                "--out",
                "sv.dat",
            ],
        );
        let report: serde_json::Value = serde_json::from_str(&ok(
            &d,
            &[
                "seal",
                "verify",
                "--signed",
                "sv.dat",
                "--data",
                "doc.xml",
                "--ca",
                "root/ca.cert.pem",
            ],
        ))
        .unwrap();
        assert_eq!(report["valid"], true, "{report}");
        assert_eq!(report["steps"].as_array().unwrap().len(), 9);
        // another document: exit 1, the digest step failed
        std::fs::write(d.join("other.xml"), b"<other/>").unwrap();
        let out = yzt(
            &d,
            &[
                "seal",
                "verify",
                "--signed",
                "sv.dat",
                "--data",
                "other.xml",
            ],
        );
        assert_eq!(code(&out), 1);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let failed: Vec<&str> = report["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["status"] == "failed")
            .map(|s| s["step"].as_str().unwrap())
            .collect();
        assert_eq!(failed, vec!["document_digest"]);
        // a signer not in the seal's list is refused at stamping
        let out = yzt(
            &d,
            &[
                "seal",
                "stamp",
                "--seal",
                &esl,
                "--key",
                "other.key",
                "--cert",
                "other.pem",
                "--in",
                "doc.xml",
                "--property",
                "x",
                "--out",
                "bad.dat",
            ],
        );
        assert_eq!(code(&out), 2);
    }
    // a real third-party signature shows and verifies (no anchors: chains skipped)
    let tax = common::vectors_dir().join("ses/ofd_converter_1");
    let report: serde_json::Value = serde_json::from_str(&ok(
        &d,
        &[
            "seal",
            "verify",
            "--signed",
            tax.join("SignedValue.dat").to_str().unwrap(),
            "--data",
            tax.join("Signature.xml").to_str().unwrap(),
        ],
    ))
    .unwrap();
    assert_eq!(report["valid"], true);
    let show: serde_json::Value = serde_json::from_str(&ok(
        &d,
        &[
            "seal",
            "show",
            tax.join("SignedValue.dat").to_str().unwrap(),
        ],
    ))
    .unwrap();
    assert_eq!(show["seal"]["image"]["type"], "ofd");
    assert_eq!(
        show["signature"]["property"],
        "/Doc_0/Signs/Sign_0/Signature.xml"
    );
    assert_eq!(code(&yzt(&d, &["seal", "show", "doc.xml"])), 2);
}

#[test]
fn qr_show_decodes_and_renders() {
    let d = temp_dir("cli-qr");
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/corpus/qr_parsing/challenge_decrypt.txt"),
    )
    .unwrap();
    let out = ok(
        &d,
        &["qr", "show", &text, "--png", "qr.png", "--svg", "qr.svg"],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["platform_code"], "C1100005553");
    assert_eq!(v["action"], "decrypt");
    assert_eq!(v["digest"].as_str().unwrap().len(), 64);
    assert_eq!(v["ephemeral_key"].as_str().unwrap().len(), 66);
    assert!(
        std::fs::read(d.join("qr.png"))
            .unwrap()
            .starts_with(b"\x89PNG")
    );
    assert!(
        std::fs::read_to_string(d.join("qr.svg"))
            .unwrap()
            .contains("<svg")
    );
    std::fs::write(d.join("qr.txt"), &text).unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&ok(&d, &["qr", "show", "qr.txt"])).unwrap()["action"],
        "decrypt"
    );
    let mut bad = text.clone();
    bad.push('A');
    assert_eq!(code(&yzt(&d, &["qr", "show", &bad])), 2);
    assert!(ok(&d, &["qr", "show", &text, "--terminal"]).lines().count() > 20);
}
