//! The app's wallet on disk, as the phone simulator (`yzt app`) keeps it:
//! one holder's keys in PIN containers, certificates and seals in a
//! directory, named by the profile `app.json` together with the platform
//! registry.
//!
//! | file | content |
//! |---|---|
//! | `app.json` | the [`AppProfile`]: member, identities, file names, platforms |
//! | `KIND.sign.key`, `KIND.enc.key` | signing and encryption keys, each in a [`KeyContainer`] under the PIN |
//! | `KIND.sign.cert.pem`, `KIND.enc.cert.pem` | their certificates |
//! | `KIND.seal.esl` | the seal bound to the signing certificate |
//! | `maker.cert.pem` | the demo seal maker's certificate (its key is not kept) |
//!
//! | `KIND.sign.key.lock`, `KIND.enc.key.lock` | empty lock files: attempts on a container take turns |
//!
//! `KIND` is `personal` or `enterprise`. Every unlock attempt is counted
//! and written to its container before the PIN is tried, under the
//! container's lock file ([`ContainerFile`]), so the wrong-PIN limit holds
//! across threads, processes and crashes; files are replaced atomically
//! and durably ([`crate::durable::write_atomic`]). A restored older copy of
//! a container brings its older count back: see [`crate::crypto::container`].

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};

use super::app::{Identity, PlatformEntry, PlatformRegistry};
use super::challenge::Challenge;
use crate::cert::dir::write_atomic;
use crate::cert::{CertUsage, Certificate, EndEntityRequest, Holder, ManagedCa, Medium};
use crate::crypto::container::{ContainerParams, KeyContainer};
use crate::crypto::container_file::ContainerFile;
use crate::crypto::{PrivateKey, sm3};
use crate::error::{Error, Result};
use crate::seal::{Seal, SealKind, SealRequest, SealVersion, make_seal};

/// The profile's file name in the app directory.
pub const PROFILE_FILE: &str = "app.json";
/// The format version of the profile this SDK writes.
pub const PROFILE_VERSION: u32 = 1;
const MAKER_CERT_FILE: &str = "maker.cert.pem";

/// Which of the holder's identities acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdentityKind {
    /// The person, with the personal certificate and seal.
    Personal,
    /// The enterprise, with its certificate and company seal.
    Enterprise,
}

impl IdentityKind {
    /// `personal` or `enterprise`.
    pub fn name(self) -> &'static str {
        match self {
            IdentityKind::Personal => "personal",
            IdentityKind::Enterprise => "enterprise",
        }
    }
}

impl std::str::FromStr for IdentityKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "personal" => Ok(IdentityKind::Personal),
            "enterprise" => Ok(IdentityKind::Enterprise),
            other => Err(Error::param(
                "identity",
                format!("{other:?}; expected personal or enterprise"),
            )),
        }
    }
}

/// One identity in the profile: its holder and its files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityRecord {
    /// Personal or enterprise.
    pub kind: IdentityKind,
    /// The person's or enterprise's name.
    pub name: String,
    /// The ID number, or the enterprise's credit code.
    pub id_number: String,
    /// The signing certificate (PEM file).
    pub signing_cert: String,
    /// Its serial, hex.
    pub signing_serial: String,
    /// The signing key's PIN container.
    pub signing_key: String,
    /// The encryption certificate (PEM file).
    pub encryption_cert: String,
    /// Its serial, hex.
    pub encryption_serial: String,
    /// The encryption key's PIN container.
    pub encryption_key: String,
    /// The seal (DER file).
    pub seal: String,
    /// The seal's esID.
    pub seal_id: String,
}

/// A trusted platform as the profile keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformRecord {
    /// System code.
    pub code: String,
    /// Name shown to the user.
    pub name: String,
    /// The certificate that signs its challenges, PEM.
    pub certificate: String,
    /// Hosts (`host[:port]`) responses may go to.
    pub hosts: Vec<String>,
}

/// The app profile, `app.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppProfile {
    /// Format version ([`PROFILE_VERSION`]).
    pub version: u32,
    /// The app user: the account's mobile number.
    pub member: String,
    /// The holder's identities; the personal one first.
    pub identities: Vec<IdentityRecord>,
    /// The seal maker's certificate (PEM file).
    pub maker_cert: String,
    /// The platform registry.
    pub platforms: Vec<PlatformRecord>,
}

impl AppProfile {
    /// The identity of `kind`.
    pub fn identity(&self, kind: IdentityKind) -> Result<&IdentityRecord> {
        self.identities
            .iter()
            .find(|i| i.kind == kind)
            .ok_or_else(|| Error::NotFound {
                what: "identity",
                key: kind.name().into(),
            })
    }

    /// Add a platform, or replace the one with the same code. The entry
    /// is checked as [`PlatformRegistry::add`] checks it (the code, the
    /// name the phone shows, the hosts), so the profile never holds one
    /// that [`Self::registry`] would refuse.
    pub fn trust(
        &mut self,
        code: &str,
        name: &str,
        certificate: &Certificate,
        hosts: &[String],
    ) -> Result<()> {
        PlatformRegistry::new().add(PlatformEntry {
            code: code.to_string(),
            name: name.to_string(),
            certificate: certificate.clone(),
            callback_hosts: hosts.to_vec(),
        })?;
        let record = PlatformRecord {
            code: code.to_string(),
            name: name.to_string(),
            certificate: certificate.to_pem(),
            hosts: hosts.to_vec(),
        };
        match self.platforms.iter_mut().find(|p| p.code == code) {
            Some(p) => *p = record,
            None => self.platforms.push(record),
        }
        Ok(())
    }

    /// The platform registry [`super::app::scan`] checks challenges with.
    pub fn registry(&self) -> Result<PlatformRegistry> {
        let mut r = PlatformRegistry::new();
        for p in &self.platforms {
            let certificate = Certificate::from_any(p.certificate.as_bytes()).map_err(|e| {
                Error::param(
                    "app profile",
                    format!("the certificate of platform {}: {e}", p.code),
                )
            })?;
            r.add(PlatformEntry {
                code: p.code.clone(),
                name: p.name.clone(),
                certificate,
                callback_hosts: p.hosts.clone(),
            })?;
        }
        Ok(r)
    }

    fn check(&self) -> Result<()> {
        if self.version != PROFILE_VERSION {
            return Err(Error::malformed(
                "app profile",
                format!("unsupported version {}", self.version),
            ));
        }
        for i in &self.identities {
            for f in [
                &i.signing_cert,
                &i.signing_key,
                &i.encryption_cert,
                &i.encryption_key,
                &i.seal,
            ] {
                check_file_name(f)?;
            }
        }
        check_file_name(&self.maker_cert)
    }
}

/// A file named by the profile must be a plain name inside the directory.
fn check_file_name(name: &str) -> Result<()> {
    let plain = !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\'])
        && !name.chars().any(char::is_control);
    if plain {
        Ok(())
    } else {
        Err(Error::malformed(
            "app profile",
            format!("file name {name:?} is not a plain name in the app directory"),
        ))
    }
}

/// The submit URL for `challenge`'s response: `base` itself when it ends
/// with `/response`, else `base` + `/v1/qr/{transaction}/response`.
/// Refuses a URL that is not `http://` to one of the platform's registered
/// hosts (port 80 may be left out on either side).
pub fn submit_url(
    base: &str,
    challenge: &Challenge,
    registry: &PlatformRegistry,
) -> Result<String> {
    let rest = base
        .strip_prefix("http://")
        .ok_or_else(|| Error::param("submit URL", format!("{base:?} is not an http:// URL")))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let platform = registry
        .get(&challenge.platform_code)
        .ok_or_else(|| Error::NotFound {
            what: "trading platform",
            key: challenge.platform_code.clone(),
        })?;
    let norm = |h: &str| h.strip_suffix(":80").unwrap_or(h).to_ascii_lowercase();
    if !platform
        .callback_hosts
        .iter()
        .any(|h| norm(h) == norm(authority))
    {
        return Err(Error::Forbidden {
            actor: "the app".into(),
            action: "submit a response to this host",
            reason: format!(
                "{authority:?} is not a registered host of platform {} ({})",
                platform.code,
                platform.callback_hosts.join(", ")
            ),
        });
    }
    if base.ends_with("/response") {
        Ok(base.to_string())
    } else {
        Ok(format!(
            "{}/v1/qr/{}/response",
            base.trim_end_matches('/'),
            challenge.transaction_hex()
        ))
    }
}

/// What `yzt app init` sets up: the holder and the PIN.
pub struct HolderSetup<'a> {
    /// The app user (the mobile number, already validated by the caller).
    pub member: &'a str,
    /// The person's real name.
    pub name: &'a str,
    /// The person's ID number.
    pub id_number: &'a str,
    /// The enterprise's name and credit code, when the holder acts for one.
    pub enterprise: Option<(&'a str, &'a str)>,
    /// The PIN for every container (six digits).
    pub pin: &'a str,
    /// Certificate and seal validity in days.
    pub days: u32,
    /// Container parameters.
    pub container: ContainerParams,
}

/// An identity whose keys the PIN opened.
pub struct UnlockedIdentity {
    /// Personal or enterprise.
    pub kind: IdentityKind,
    /// The app user.
    pub member: String,
    /// The credit code, for the enterprise identity.
    pub enterprise: Option<String>,
    /// The signing certificate.
    pub signing_cert: Certificate,
    /// Its key.
    pub signing_key: PrivateKey,
    /// The encryption certificate.
    pub encryption_cert: Certificate,
    /// Its key, when asked for.
    pub encryption_key: Option<PrivateKey>,
    /// The seal bound to the signing certificate.
    pub seal: Seal,
}

impl UnlockedIdentity {
    /// The identity [`super::app::respond`] answers for.
    pub fn identity(&self) -> Identity<'_> {
        Identity {
            member: &self.member,
            enterprise: self.enterprise.as_deref(),
            signing_cert: &self.signing_cert,
            signing_key: &self.signing_key,
            encryption_cert: Some(&self.encryption_cert),
            encryption_key: self.encryption_key.as_ref(),
        }
    }
}

/// The app directory.
#[derive(Debug, Clone)]
pub struct AppDirectory {
    path: PathBuf,
}

fn io_err(path: &Path, e: std::io::Error) -> Error {
    Error::param("file", format!("{}: {e}", path.display()))
}

/// A small round seal image with `text`, as SVG.
fn seal_svg(text: &str) -> Vec<u8> {
    let escaped: String = text
        .chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            c => c.to_string(),
        })
        .collect();
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200" viewBox="0 0 200 200"><circle cx="100" cy="100" r="94" fill="none" stroke="#d00" stroke-width="6"/><text x="100" y="108" font-size="20" text-anchor="middle" fill="#d00">{escaped}</text></svg>"##
    )
    .into_bytes()
}

/// Keys, certificates and seal of one identity, before they are written.
struct Issued {
    record: IdentityRecord,
    signing: (PrivateKey, Certificate),
    encryption: (PrivateKey, Certificate),
    seal: Seal,
}

impl AppDirectory {
    /// Refer to `path` (nothing is read yet).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True when the directory holds a profile.
    pub fn has_profile(&self) -> bool {
        self.path.join(PROFILE_FILE).exists()
    }

    fn read(&self, name: &str) -> Result<Vec<u8>> {
        check_file_name(name)?;
        let p = self.path.join(name);
        std::fs::read(&p).map_err(|e| io_err(&p, e))
    }

    fn write(&self, name: &str, data: &[u8]) -> Result<()> {
        check_file_name(name)?;
        write_atomic(&self.path.join(name), data)
    }

    /// Read the profile.
    pub fn load(&self) -> Result<AppProfile> {
        let data = self.read(PROFILE_FILE)?;
        let profile: AppProfile = serde_json::from_slice(&data).map_err(|e| {
            Error::malformed(
                "app profile",
                format!("{}: {e}", self.path.join(PROFILE_FILE).display()),
            )
        })?;
        profile.check()?;
        Ok(profile)
    }

    /// Write the profile.
    pub fn save(&self, profile: &AppProfile) -> Result<()> {
        profile.check()?;
        let json = serde_json::to_vec_pretty(profile)
            .map_err(|e| Error::param("app profile", e.to_string()))?;
        self.write(PROFILE_FILE, &json)
    }

    /// A certificate file of the directory.
    pub fn certificate(&self, name: &str) -> Result<Certificate> {
        Certificate::from_any(&self.read(name)?)
    }

    /// Set up a holder: issue from `ca` (at `now`) the personal signing and
    /// encryption certificates, with `setup.enterprise` also the
    /// enterprise's, and a demo seal maker's certificate; make the personal
    /// seal (and the company seal) bound to the signing certificates; seal
    /// every key under the PIN; write the files and the profile. Refuses a
    /// directory that already holds a profile. The caller saves `ca`.
    pub fn create<R: CryptoRng + ?Sized>(
        &self,
        ca: &mut ManagedCa,
        setup: &HolderSetup<'_>,
        now: SystemTime,
        rng: &mut R,
    ) -> Result<AppProfile> {
        if self.has_profile() {
            return Err(Error::InvalidState {
                entity: "wallet directory",
                state: format!("already initialised ({})", self.path.display()),
                action: "initialise",
            });
        }
        let member = setup.member.trim();
        if member.is_empty() || member.chars().any(char::is_control) {
            return Err(Error::param("member", "must be non-empty text"));
        }
        if setup.days == 0 || setup.days > 36_600 {
            return Err(Error::param("days", "must be 1 to 36600"));
        }
        // Checked before anything is issued.
        crate::crypto::container::Pin::new(setup.pin)?;
        let person = Holder::person(setup.name, setup.id_number)?;
        let enterprise = setup
            .enterprise
            .map(|(n, c)| Holder::enterprise(n, c))
            .transpose()?;

        let maker_key = PrivateKey::generate(rng);
        let maker_cert = ca.issue(
            &EndEntityRequest {
                holder: Holder::enterprise(
                    "一证通演示印章制作中心",
                    &crate::ids::complete_credit_code("91650100MA1HJK771")?,
                )?,
                usage: CertUsage::Sign,
                medium: Medium::UsbKey,
                public_key: maker_key.public_key(),
                not_before: now,
                days: setup.days,
            },
            now,
            rng,
        )?;
        let mut issued = vec![self.issue_identity(
            ca,
            IdentityKind::Personal,
            person,
            (&maker_key, &maker_cert),
            setup,
            now,
            rng,
        )?];
        if let Some(e) = enterprise {
            issued.push(self.issue_identity(
                ca,
                IdentityKind::Enterprise,
                e,
                (&maker_key, &maker_cert),
                setup,
                now,
                rng,
            )?);
        }

        std::fs::create_dir_all(&self.path).map_err(|e| io_err(&self.path, e))?;
        self.write(MAKER_CERT_FILE, maker_cert.to_pem().as_bytes())?;
        for i in &issued {
            let r = &i.record;
            for ((key, cert), key_file, cert_file) in [
                (&i.signing, &r.signing_key, &r.signing_cert),
                (&i.encryption, &r.encryption_key, &r.encryption_cert),
            ] {
                let c = KeyContainer::create(key, setup.pin, setup.pin, setup.container, rng)?;
                self.write(key_file, &c.to_bytes())?;
                self.write(cert_file, cert.to_pem().as_bytes())?;
            }
            self.write(&r.seal, &i.seal.raw)?;
        }
        let profile = AppProfile {
            version: PROFILE_VERSION,
            member: member.to_string(),
            identities: issued.into_iter().map(|i| i.record).collect(),
            maker_cert: MAKER_CERT_FILE.into(),
            platforms: Vec::new(),
        };
        // The profile last: a directory without one can be initialised again.
        self.save(&profile)?;
        Ok(profile)
    }

    #[allow(clippy::too_many_arguments)]
    fn issue_identity<R: CryptoRng + ?Sized>(
        &self,
        ca: &mut ManagedCa,
        kind: IdentityKind,
        holder: Holder,
        maker: (&PrivateKey, &Certificate),
        setup: &HolderSetup<'_>,
        now: SystemTime,
        rng: &mut R,
    ) -> Result<Issued> {
        let (name, id_number) = match &holder {
            Holder::Person { name, id_number } => (name.clone(), id_number.clone()),
            Holder::Enterprise { name, credit_code } => (name.clone(), credit_code.clone()),
        };
        let mut pair = |usage: CertUsage, rng: &mut R| -> Result<(PrivateKey, Certificate)> {
            let key = PrivateKey::generate(rng);
            let req = EndEntityRequest {
                holder: holder.clone(),
                usage,
                medium: Medium::Mobile,
                public_key: key.public_key(),
                not_before: now,
                days: setup.days,
            };
            let cert = ca.issue(&req, now, rng)?;
            Ok((key, cert))
        };
        let signing = pair(CertUsage::Sign, rng)?;
        let encryption = pair(CertUsage::Encrypt, rng)?;
        let (seal_kind, seal_name, image_text) = match kind {
            IdentityKind::Personal => (SealKind::PersonalSeal, format!("{name}印"), name.clone()),
            IdentityKind::Enterprise => (
                SealKind::CompanySeal,
                format!("{name}公章"),
                "公章".to_string(),
            ),
        };
        let es_id = format!("APP{}", crate::hex::encode(&sm3(signing.1.der())[..12]));
        let valid_end = signing
            .1
            .not_after()
            .min(now + Duration::from_secs(u64::from(setup.days) * 86_400));
        let seal = make_seal(
            &SealRequest {
                version: SealVersion::V4,
                kind: seal_kind,
                name: seal_name,
                es_id: es_id.clone(),
                vendor_id: "yizhengtong".into(),
                image: seal_svg(&image_text),
                width_mm: 40,
                height_mm: 40,
                holder_certs: vec![signing.1.clone()],
                created: now,
                valid_start: now,
                valid_end,
                ext_datas: Vec::new(),
                time_stamp: None,
            },
            maker.0,
            maker.1,
            rng,
        )?;
        let k = kind.name();
        Ok(Issued {
            record: IdentityRecord {
                kind,
                name,
                id_number,
                signing_cert: format!("{k}.sign.cert.pem"),
                signing_serial: signing.1.serial_hex(),
                signing_key: format!("{k}.sign.key"),
                encryption_cert: format!("{k}.enc.cert.pem"),
                encryption_serial: encryption.1.serial_hex(),
                encryption_key: format!("{k}.enc.key"),
                seal: format!("{k}.seal.esl"),
                seal_id: es_id,
            },
            signing,
            encryption,
            seal,
        })
    }

    /// Open the key in container file `name` with `pin`, as
    /// [`ContainerFile::unlock`] does: under the lock file `NAME.lock`, the
    /// attempt is counted and written (atomically, flushed) before the PIN
    /// is tried, and a right PIN's reset is written before the key is
    /// returned; if a write fails, that error is returned instead.
    pub fn unlock_key(&self, name: &str, pin: &str) -> Result<PrivateKey> {
        self.container_file(name)?.unlock(pin)
    }

    /// The container file `name` of the directory.
    pub fn container_file(&self, name: &str) -> Result<ContainerFile> {
        check_file_name(name)?;
        Ok(ContainerFile::new(self.path.join(name)))
    }

    /// Unlock the identity of `kind` with `pin`: the signing key, and with
    /// `encryption_key` also the encryption key; load its certificates and
    /// seal.
    pub fn unlock(
        &self,
        profile: &AppProfile,
        kind: IdentityKind,
        pin: &str,
        encryption_key: bool,
    ) -> Result<UnlockedIdentity> {
        let r = profile.identity(kind)?;
        let signing_cert = self.certificate(&r.signing_cert)?;
        let encryption_cert = self.certificate(&r.encryption_cert)?;
        let seal = Seal::from_der(&self.read(&r.seal)?)?;
        let signing_key = self.unlock_key(&r.signing_key, pin)?;
        let encryption_key = if encryption_key {
            Some(self.unlock_key(&r.encryption_key, pin)?)
        } else {
            None
        };
        Ok(UnlockedIdentity {
            kind,
            member: profile.member.clone(),
            enterprise: (kind == IdentityKind::Enterprise).then(|| r.id_number.clone()),
            signing_cert,
            signing_key,
            encryption_cert,
            encryption_key,
            seal,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_and_identity_kinds() {
        assert!(check_file_name("personal.sign.key").is_ok());
        for bad in ["", ".", "..", "../x", "a/b", "a\\b", "a\nb"] {
            assert!(check_file_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            "enterprise".parse::<IdentityKind>().ok(),
            Some(IdentityKind::Enterprise)
        );
        assert!("company".parse::<IdentityKind>().is_err());
        assert!(seal_svg("A&B<C>").starts_with(b"<svg"));
        assert!(String::from_utf8_lossy(&seal_svg("A&B<C>")).contains("A&amp;B&lt;C&gt;"));
    }

    #[test]
    fn submit_urls_go_to_registered_hosts_only() {
        use crate::cert::{CaConfig, CertificateAuthority, parse_dn};
        use crate::qr::{Action, ChallengeParams};
        let mut rng = rand::rng();
        let key = PrivateKey::generate(&mut rng);
        let now = SystemTime::now();
        let ca = CertificateAuthority::create_root(
            key.clone(),
            parse_dn("C=CN,CN=Platform").unwrap(),
            now,
            30,
            CaConfig::default(),
            &mut rng,
        )
        .unwrap();
        let mut profile = AppProfile {
            version: PROFILE_VERSION,
            member: "13800138000".into(),
            identities: Vec::new(),
            maker_cert: MAKER_CERT_FILE.into(),
            platforms: Vec::new(),
        };
        let hosts = vec!["ggzy.example.cn".to_string(), "127.0.0.1:8080".to_string()];
        assert!(
            profile
                .trust("C1100005553", " ", ca.certificate(), &hosts)
                .is_err()
        );
        assert!(
            profile
                .trust("C1100005553", "P", ca.certificate(), &[])
                .is_err()
        );
        assert!(
            profile
                .trust("C1100005553", "P", ca.certificate(), &["a/b".into()])
                .is_err()
        );
        // The registry's checks (issue #17 item 9), before anything is kept.
        for (name, host, field) in [
            ("交易平台\u{202E}", "ggzy.example.cn", "platform name"),
            ("交易平台\n", "ggzy.example.cn", "platform name"),
            (" 交易平台", "ggzy.example.cn", "platform name"),
            ("交易平台", "ggzy.example.cn:0", "callback host"),
            ("交易平台", "http://ggzy.example.cn", "callback host"),
        ] {
            match profile.trust("C1100005553", name, ca.certificate(), &[host.into()]) {
                Err(Error::InvalidParameter { name: f, .. }) => assert_eq!(f, field),
                other => panic!("{name:?} {host:?}: {other:?}"),
            }
        }
        assert!(profile.platforms.is_empty());
        profile
            .trust("C1100005553", "Old", ca.certificate(), &hosts[..1])
            .unwrap();
        profile
            .trust("C1100005553", "交易平台", ca.certificate(), &hosts)
            .unwrap();
        assert_eq!(profile.platforms.len(), 1);
        let registry = profile.registry().unwrap();
        assert_eq!(registry.get("C1100005553").unwrap().name, "交易平台");
        let c = Challenge::issue(
            &ChallengeParams {
                platform_code: "C1100005553".into(),
                action: Action::Login,
                callback_host: "ggzy.example.cn".into(),
                digest: None,
                ephemeral_key: None,
                now,
                lifetime: Duration::from_secs(120),
            },
            &key,
            &mut rng,
        )
        .unwrap();
        let path = format!("/v1/qr/{}/response", c.transaction_hex());
        for (base, want) in [
            (
                "http://ggzy.example.cn",
                format!("http://ggzy.example.cn{path}"),
            ),
            (
                "http://GGZY.example.cn:80/",
                format!("http://GGZY.example.cn:80{path}"),
            ),
            (
                "http://127.0.0.1:8080/api/",
                format!("http://127.0.0.1:8080/api{path}"),
            ),
            (
                "http://127.0.0.1:8080/x/response",
                "http://127.0.0.1:8080/x/response".to_string(),
            ),
        ] {
            assert_eq!(submit_url(base, &c, &registry).unwrap(), want);
        }
        for bad in [
            "https://ggzy.example.cn",
            "http://127.0.0.1:8081",
            "http://evil.example.cn/ggzy.example.cn",
            "http://ggzy.example.cn.evil.cn",
            "ggzy.example.cn",
        ] {
            assert!(submit_url(bad, &c, &registry).is_err(), "{bad}");
        }
        assert!(submit_url("http://ggzy.example.cn", &c, &PlatformRegistry::new()).is_err());
    }
}
