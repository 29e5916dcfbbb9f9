//! End to end in a real browser: `yzt serve` on a loopback port, its login
//! page driven in headless Chromium through ChromeDriver (WebDriver), the
//! code on the page scanned and answered by the phone simulator `yzt app`,
//! and the page switching to the logged-in state; then a replayed
//! response, an expired code and a frozen certificate, each refused.
//!
//! Needs Debian's `chromium` and `chromium-driver` (installed by
//! `.ci/run`); set `YZT_SCREENSHOT=path.png` to keep a screenshot of the
//! logged-in page.
#![cfg(feature = "serve")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64ct::{Base64, Encoding};
use serde_json::{Value, json};
use yizhengtong::serve::client;

const YZT: &str = env!("CARGO_BIN_EXE_yzt");
const CODE: &str = "C1100005553";
const NAME: &str = "新疆公共资源交易平台";
const PIN: &str = "246810";
const T: Duration = Duration::from_secs(60);

/// A child process killed when dropped.
struct Proc(Child);

impl Proc {
    /// SIGTERM, then wait (at most 10 s) for a clean exit.
    fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.0.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -TERM {pid}");
        wait_until("the service to stop", Duration::from_secs(10), || {
            self.0.try_wait().ok().flatten()
        })
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn yzt(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(YZT)
        .current_dir(dir)
        .env("YZT_CA_PASSWORD", "e2e-ca-password")
        .args(args)
        .output()
        .expect("run yzt")
}

fn yzt_ok(dir: &Path, args: &[&str]) -> String {
    let out = yzt(dir, args);
    assert!(
        out.status.success(),
        "yzt {args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn wait_until<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `yzt serve` with `config` on a fresh port.
fn serve(dir: &Path, config: &str, port: u16) -> Proc {
    let log = std::fs::File::create(dir.join(format!("serve-{port}.log"))).expect("log file");
    let child = Command::new(YZT)
        .current_dir(dir)
        .args(["serve", "--config", config, "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start yzt serve");
    let p = Proc(child);
    let url = format!("http://127.0.0.1:{port}/healthz");
    wait_until("the service", Duration::from_secs(20), || {
        client::get(&url, Duration::from_secs(1))
            .ok()
            .filter(|r| r.status == 200)
    });
    p
}

/// A WebDriver session in headless Chromium.
struct Browser {
    _driver: Proc,
    base: String,
    session: String,
}

impl Browser {
    fn start(profile: &Path) -> Self {
        let driver = PathBuf::from("/usr/bin/chromedriver");
        assert!(
            driver.exists(),
            "ChromeDriver is missing: apt-get install chromium chromium-driver (.ci/run does)"
        );
        let port = free_port();
        let child = Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let driver = Proc(child);
        let base = format!("http://127.0.0.1:{port}");
        wait_until("chromedriver", Duration::from_secs(20), || {
            client::get(&format!("{base}/status"), Duration::from_secs(1))
                .ok()
                .filter(|r| r.status == 200)
        });
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=520,860",
                    format!("--user-data-dir={}", profile.display()),
                ]
            }
        }}});
        let r = client::post_json(&format!("{base}/session"), &caps, T).expect("new session");
        let v = r.json().expect("session JSON");
        let session = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_string();
        Browser {
            _driver: driver,
            base,
            session,
        }
    }

    fn cmd(&self, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let r = client::post_json(&url, &body, T).expect("webdriver");
        let v = r.json().expect("webdriver JSON");
        assert_eq!(r.status, 200, "{path}: {v}");
        v["value"].clone()
    }

    fn open(&self, url: &str) {
        self.cmd("/url", json!({"url": url}));
    }

    fn js(&self, script: &str) -> Value {
        self.cmd("/execute/sync", json!({"script": script, "args": []}))
    }

    fn state(&self) -> String {
        self.js("return document.body.getAttribute('data-state') || ''")
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    fn text_of(&self, id: &str) -> String {
        self.js(&format!(
            "var e = document.getElementById('{id}'); return e ? e.textContent : null"
        ))
        .as_str()
        .unwrap_or("")
        .to_string()
    }

    /// Wait for the page to show a code; its QR text and transaction.
    fn code(&self, not: Option<&str>) -> (String, String) {
        wait_until("a QR code on the page", Duration::from_secs(20), || {
            let tid = self.js(
                "var q = document.getElementById('qr'); return q.getAttribute('data-transaction') || ''",
            );
            let tid = tid.as_str().unwrap_or("").to_string();
            let text = self.text_of("qr-text");
            (self.state() == "pending" && !tid.is_empty() && Some(tid.as_str()) != not)
                .then_some((text, tid))
        })
    }

    fn wait_state(&self, state: &str) {
        wait_until(
            &format!("the page to show {state}"),
            Duration::from_secs(20),
            || (self.state() == state).then_some(()),
        );
    }

    fn screenshot(&self, path: &Path) {
        let url = format!("{}/session/{}/screenshot", self.base, self.session);
        let v = client::get(&url, T)
            .expect("screenshot")
            .json()
            .expect("JSON");
        let png = Base64::decode_vec(v["value"].as_str().expect("base64")).expect("PNG");
        assert!(png.starts_with(b"\x89PNG"));
        std::fs::write(path, png).expect("write screenshot");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let url = format!("{}/session/{}", self.base, self.session);
        let _ = client::request("DELETE", &url, None, Duration::from_secs(10));
    }
}

/// The first JSON line of a command's output (`yzt app scan` prints what
/// the phone shows, then the answer).
fn json_of(s: &str) -> Value {
    let line = s.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    serde_json::from_str(line.trim()).unwrap_or_else(|e| panic!("{e}: {s}"))
}

#[test]
fn login_page_in_chromium_with_the_app_simulator() {
    let work = common::Work::new("serve-e2e");
    let dir = work.0.clone();
    let port = free_port();
    let host = format!("127.0.0.1:{port}");
    let platform_code = yizhengtong::ids::complete_credit_code("91650100399601510").unwrap();
    let ent = yizhengtong::ids::complete_credit_code("91650100MA77XXXX0").unwrap();

    // A CA, the platform's key and certificate, the holder's app.
    yzt_ok(
        &dir,
        &[
            "ca",
            "init",
            "--subject",
            "C=CN,O=E2E Test,CN=E2E Root",
            "--out-dir",
            "ca",
        ],
    );
    yzt_ok(&dir, &["key", "gen", "--out", "platform.key.pem"]);
    yzt_ok(
        &dir,
        &[
            "key",
            "pub",
            "--in",
            "platform.key.pem",
            "--out",
            "platform.pub.pem",
        ],
    );
    yzt_ok(
        &dir,
        &[
            "cert",
            "issue",
            "--ca-dir",
            "ca",
            "--pub",
            "platform.pub.pem",
            "--kind",
            "enterprise",
            "--usage",
            "sign",
            "--name",
            NAME,
            "--id-number",
            &platform_code,
            "--days",
            "30",
            "--out",
            "platform.pem",
        ],
    );
    let summary = json_of(&yzt_ok(
        &dir,
        &[
            "app",
            "init",
            "--dir",
            "app",
            "--ca-dir",
            "ca",
            "--name",
            "欧勇",
            "--id-number",
            "11010519491231002X",
            "--mobile",
            "13800000000",
            "--pin",
            PIN,
            "--enterprise-name",
            "新疆测试建设有限公司",
            "--credit-code",
            &ent,
        ],
    ));
    yzt_ok(
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
            "platform.pem",
            "--host",
            &host,
        ],
    );
    let (api_key, api_entry) = yizhengtong::serve::guard::new_api_key("e2e", &mut rand::rng());
    let api_entry: serde_json::Value = serde_json::from_str(&api_entry).unwrap();
    let config = |lifetime: u64, crls: &[&str]| {
        json!({
            "api_keys": [api_entry.clone()],
            "platform_code": CODE,
            "platform_name": NAME,
            "callback_host": host,
            "platform_key": "platform.key.pem",
            "platform_cert": "platform.pem",
            "anchors": ["ca/ca.cert.pem"],
            "crls": crls,
            "lifetime_secs": lifetime,
            "quotas": [
                {"holder": "11010519491231002X", "institution": "ca", "uses": 10},
                {"holder": ent, "institution": "ca", "uses": 10}
            ]
        })
        .to_string()
    };
    std::fs::write(dir.join("serve.json"), config(120, &[])).unwrap();
    let server = serve(&dir, "serve.json", port);
    let base = format!("http://{host}");

    let browser = Browser::start(&dir.join("chromium-profile"));
    browser.open(&format!("{base}/"));
    let (text, tid) = browser.code(None);
    assert!(
        text.starts_with(yizhengtong::qr::challenge::QR_PREFIX),
        "{text}"
    );

    // The app scans the displayed code as the enterprise and answers; the
    // page switches to the logged-in state and names who logged in.
    std::fs::write(dir.join("code.txt"), &text).unwrap();
    let shown = json_of(&yzt_ok(
        &dir,
        &[
            "app",
            "scan",
            "@code.txt",
            "--dir",
            "app",
            "--pin",
            PIN,
            "--identity",
            "enterprise",
            "--out",
            "login.der",
        ],
    ));
    assert!(shown.to_string().contains(NAME), "{shown}");
    let login = std::fs::read(dir.join("login.der")).unwrap();
    let submit = |tid: &str, der: &[u8]| {
        client::post_json(
            &format!("{base}/v1/qr/{tid}/response"),
            &json!({"response": Base64::encode_string(der)}),
            T,
        )
        .unwrap()
    };
    let answer = submit(&tid, &login).json().unwrap();
    assert_eq!(answer["data"]["verifySignatureResult"], true, "{answer}");
    browser.wait_state("authorised");
    assert_eq!(browser.text_of("who-name"), "新疆测试建设有限公司");
    assert_eq!(browser.text_of("who-enterprise"), "新疆测试建设有限公司");
    // what the public page shows is masked
    assert_eq!(browser.text_of("who-member"), "138****0000");
    assert_eq!(browser.text_of("who-credit-code"), ent);
    let serial = browser.text_of("who-serial");
    assert!(serial.len() >= 16, "{serial}");
    assert!(
        summary
            .to_string()
            .to_uppercase()
            .contains(&serial.to_uppercase()),
        "{summary}"
    );
    if let Ok(path) = std::env::var("YZT_SCREENSHOT") {
        browser.screenshot(Path::new(&path));
    }

    // The same response again (a retry) is told its verdict again, and
    // sent to another page's code it is refused unverified: that page
    // stays on its QR code.
    let again = submit(&tid, &login).json().unwrap();
    assert_eq!(again, answer);
    browser.open(&format!("{base}/"));
    let (_, tid2) = browser.code(Some(&tid));
    let r = submit(&tid2, &login);
    assert_eq!(r.status, 409);
    assert_eq!(r.json().unwrap()["error"]["code"], "wrong_transaction");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(browser.state(), "pending");

    // The same flow through the simulator's --submit, as the personal
    // identity. A wrong PIN first: the app has told the page of the scan
    // (已扫码), and no answer went out.
    let (text2, _) = browser.code(Some(&tid));
    std::fs::write(dir.join("code2.txt"), &text2).unwrap();
    let out = yzt(
        &dir,
        &[
            "app",
            "scan",
            "@code2.txt",
            "--dir",
            "app",
            "--pin",
            "000000",
            "--submit",
            &base,
        ],
    );
    assert_ne!(out.status.code(), Some(0));
    browser.wait_state("scanned");
    assert!(browser.text_of("hint").contains("已扫码"));
    // The right PIN: the page logs in.
    yzt_ok(
        &dir,
        &[
            "app",
            "scan",
            "@code2.txt",
            "--dir",
            "app",
            "--pin",
            PIN,
            "--submit",
            &base,
        ],
    );
    browser.wait_state("authorised");
    assert_eq!(browser.text_of("who-name"), "欧*");
    assert_eq!(browser.text_of("who-enterprise"), "个人");

    // Freeze the personal signing certificate; a fresh CRL; a service with
    // short-lived codes that reads it.
    drop(server);
    let personal_serial = yzt_serial(&dir);
    yzt_ok(
        &dir,
        &[
            "cert",
            "freeze",
            "--ca-dir",
            "ca",
            "--serial",
            &personal_serial,
        ],
    );
    yzt_ok(&dir, &["crl", "--ca-dir", "ca", "--out", "ca.crl.pem"]);
    std::fs::write(dir.join("short.json"), config(4, &["ca.crl.pem"])).unwrap();
    let server = serve(&dir, "short.json", port);

    // The frozen certificate's answer is refused, and the page says why.
    browser.open(&format!("{base}/"));
    let (text3, _) = browser.code(None);
    std::fs::write(dir.join("code3.txt"), &text3).unwrap();
    let out = yzt(
        &dir,
        &[
            "app",
            "scan",
            "@code3.txt",
            "--dir",
            "app",
            "--pin",
            PIN,
            "--submit",
            &base,
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The phone is told why; the page is not moved by an answer that did
    // not verify: it shows the scan, and still waits for a valid answer.
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("certificate_frozen"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    browser.wait_state("scanned");

    // An expired code: the page replaces it with a fresh one, and an answer
    // that arrives late is refused and shown as expired on the old code.
    browser.open(&format!("{base}/"));
    let (text4, tid4) = browser.code(None);
    std::fs::write(dir.join("code4.txt"), &text4).unwrap();
    yzt_ok(
        &dir,
        &[
            "app",
            "scan",
            "@code4.txt",
            "--dir",
            "app",
            "--pin",
            PIN,
            "--identity",
            "enterprise",
            "--out",
            "late.der",
        ],
    );
    let (_, tid5) = browser.code(Some(&tid4));
    assert_ne!(tid4, tid5);
    let late = std::fs::read(dir.join("late.der")).unwrap();
    let answer = submit(&tid4, &late).json().unwrap();
    assert_eq!(answer["data"]["reasonCode"], 1008, "{answer}");
    let st = client::get_as(&format!("{base}/v1/qr/{tid4}"), &api_key, T)
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(st["state"], "expired");
    assert!(st.get("refusal").is_none(), "{st}");
    // ...and the phone itself refuses a code that expired.
    let out = yzt(
        &dir,
        &["app", "scan", "@code4.txt", "--dir", "app", "--pin", PIN],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(browser.state(), "pending");

    // SIGTERM stops the service cleanly, and its log is one JSON object a
    // line, without secrets.
    drop(browser);
    let status = server.terminate();
    assert!(status.success(), "{status:?}");
    let log = std::fs::read_to_string(dir.join(format!("serve-{port}.log"))).unwrap();
    for line in log.lines() {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(v.is_object());
        assert!(
            !line.contains(PIN) && !line.contains("PRIVATE KEY"),
            "{line}"
        );
    }
    assert!(log.contains("\"event\":\"stopped\""), "{log}");
}

/// The personal signing certificate's serial, from the app's profile.
fn yzt_serial(dir: &Path) -> String {
    let profile: Value =
        serde_json::from_slice(&std::fs::read(dir.join("app/app.json")).expect("app.json"))
            .expect("app.json is JSON");
    find_serial(&profile).unwrap_or_else(|| panic!("no personal signing serial in {profile}"))
}

fn find_serial(v: &Value) -> Option<String> {
    v["identities"]
        .as_array()?
        .iter()
        .find(|i| i["kind"] == "personal")?["signing_serial"]
        .as_str()
        .map(str::to_string)
}
