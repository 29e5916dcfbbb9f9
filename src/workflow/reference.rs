//! A reference world on the in-memory backend: a CA, a trading platform
//! with CA and seal packages, back-office staff, a manual clock, the
//! reference face verifier and SMS outbox. The demo and the tests run the
//! workflows on it; an integrator can read it as a setup example.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::{Clock, Config, ManualClock, MemorySms, ReferenceFaceVerifier, Services};
use crate::cert::{
    CaConfig, CertUsage, Certificate, CertificateAuthority, EndEntityRequest, Holder as CertHolder,
    Medium, parse_dn,
};
use crate::crypto::PrivateKey;
use crate::domain::Cents;
use crate::domain::account::{IdCard, Sex};
use crate::domain::catalog::{HolderKind, InstitutionKind, Package, PackageKind, Platform};
use crate::domain::content::{AppVersions, ServiceDesk, Version};
use crate::error::Result;
use crate::qr::{PlatformEntry, PlatformRegistry, Verifier, VerifierConfig};
use crate::store::{AnyStore, MemoryStore, Store};
use crate::time::Date;

/// The reference platform's system code (the manual's test system).
pub const PLATFORM: &str = "C1100005553";
/// The back-office reviewer of the reference world.
pub const STAFF: &str = "审核员-李";
/// The device model reference users log in from.
pub const DEVICE: &str = "xiaomi-2211133C-15";

/// The reference platform's name.
pub const PLATFORM_NAME: &str = "移动数字证书 (CA) 互认模拟测试系统";
/// Where the reference platform receives responses.
pub const CALLBACK_HOST: &str = "ggzy.example.cn";

/// A trading platform's verifier and the app's registry entry for it.
pub struct PlatformSide<S: Store = MemoryStore> {
    /// The verifier, on the reference world's store.
    pub verifier: Verifier<Arc<S>>,
    /// The app's registry, knowing the platform.
    pub registry: PlatformRegistry,
}

/// The reference world.
pub struct Reference<S: Store = MemoryStore> {
    /// The services.
    pub services: Services<S>,
    /// The clock (starts 2025-04-07 10:00 UTC).
    pub clock: Arc<ManualClock>,
    /// The SMS outbox.
    pub sms: Arc<MemorySms>,
    /// The CA's certificate (the trust anchor of platforms).
    pub ca_cert: Certificate,
    /// The CA's key, for tests that need a platform key.
    pub ca_key: PrivateKey,
}

/// The package ids of the reference platform.
pub mod packages {
    /// Enterprise mobile certificate, new, 1 year, 100 uses.
    pub const ENTERPRISE_CA: &str = "PKG-E-CA";
    /// Enterprise seal package, new, 50 uses.
    pub const ENTERPRISE_SEAL: &str = "PKG-E-SEAL";
    /// Personal mobile certificate, new, 1 year, 100 uses.
    pub const PERSON_CA: &str = "PKG-P-CA";
    /// Personal seal package, new, 50 uses.
    pub const PERSON_SEAL: &str = "PKG-P-SEAL";
    /// Personal certificate extension, 1 year, 100 uses.
    pub const PERSON_CA_EXTEND: &str = "PKG-P-CA-EXT";
    /// Enterprise certificate extension, 1 year, 100 uses.
    pub const ENTERPRISE_CA_EXTEND: &str = "PKG-E-CA-EXT";
}

/// 2025-04-07 10:00:00 UTC.
pub fn start_time() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_744_020_000)
}

/// An ID card for a person born on `birth` (`YYYYMMDD`), sequence `seq`
/// (odd: male), issued in Ürümqi, valid from 2023-06-16 for 20 years.
pub fn id_card(name: &str, birth: &str, seq: u32) -> Result<IdCard> {
    let id = crate::ids::complete_id_number(&format!("650102{birth}{seq:03}"))?;
    Ok(IdCard {
        name: name.into(),
        sex: if seq % 2 == 1 { Sex::Male } else { Sex::Female },
        birth: Date::parse(&format!("{}-{}-{}", &birth[..4], &birth[4..6], &birth[6..]))?,
        ethnicity: "汉".into(),
        address: "新疆维吾尔自治区乌鲁木齐市天山区光明路1号".into(),
        issuer: "乌鲁木齐市公安局天山区分局".into(),
        valid_from: Date::parse("2023-06-16")?,
        valid_to: Some(Date::parse("2043-06-16")?),
        id_number: id,
    })
}

/// A credit code `91650100` + `body` (9 characters) + its check character.
pub fn credit_code(body: &str) -> Result<String> {
    crate::ids::complete_credit_code(&format!("91650100{body}"))
}

impl Reference<MemoryStore> {
    /// Build the world from a seed, on the in-memory backend.
    pub fn new(seed: u64) -> Result<Self> {
        Self::with_store(seed, Arc::new(MemoryStore::new()))
    }
}

/// The backend the workflow test suite runs on, named by the environment
/// variable `YZT_TEST_BACKEND`: unset or `memory` for the in-memory
/// backend; a `postgres://` URL for that database (feature `postgres`),
/// each call in a fresh schema of its own, migrated.
pub fn test_backend() -> Result<AnyStore> {
    let spec = std::env::var("YZT_TEST_BACKEND").unwrap_or_else(|_| "memory".into());
    if spec.trim() == "memory" {
        return Ok(AnyStore::Memory(Box::default()));
    }
    #[cfg(feature = "postgres")]
    {
        use crate::store::postgres::{PgOptions, PgStore};
        let mut tag = [0u8; 8];
        rand_core::Rng::fill_bytes(&mut rand::rng(), &mut tag);
        let options = PgOptions {
            schema: Some(format!("t_{}", crate::hex::encode(&tag).to_lowercase())),
            sealing_key: Some(zeroize::Zeroizing::new([7u8; 16])),
            pool_size: Some(4),
            ..PgOptions::default()
        };
        PgStore::migrate(&spec, &options)?;
        Ok(AnyStore::Postgres(PgStore::connect(&spec, options)?))
    }
    #[cfg(not(feature = "postgres"))]
    Err(crate::Error::param(
        "YZT_TEST_BACKEND",
        "a database backend needs the cargo feature `postgres`",
    ))
}

impl Reference<AnyStore> {
    /// Build the world on [`test_backend`].
    pub fn for_tests(seed: u64) -> Result<Self> {
        Self::with_store(seed, Arc::new(test_backend()?))
    }
}

impl<S: Store + 'static> Reference<S> {
    /// Build the world from a seed on `store` (which should be empty).
    pub fn with_store(seed: u64, store: Arc<S>) -> Result<Self> {
        let mut rng = StdRng::seed_from_u64(seed);
        let clock = Arc::new(ManualClock::new(start_time()));
        let ca_key = PrivateKey::generate(&mut rng);
        let ca = CertificateAuthority::create_root(
            ca_key.clone(),
            parse_dn("C=CN, O=新疆数字证书认证中心（有限公司）, CN=XJCA SM2 Root")?,
            start_time() - Duration::from_secs(86_400),
            3650,
            CaConfig::default(),
            &mut rng,
        )?;
        let ca_cert = ca.certificate().clone();
        // The seal maker signs seals with its own signing certificate.
        let seal_maker_key = PrivateKey::generate(&mut rng);
        let seal_maker_cert = ca.issue(
            &EndEntityRequest {
                holder: CertHolder::enterprise("新疆电子印章制作中心", &credit_code("MA1HJK770")?)?,
                usage: CertUsage::Sign,
                medium: Medium::UsbKey,
                public_key: seal_maker_key.public_key(),
                not_before: start_time() - Duration::from_secs(3600),
                days: 3000,
            },
            &mut rng,
        )?;
        let sms = Arc::new(MemorySms::default());
        let config = Config {
            seal_maker_key,
            seal_maker_cert,
            ca,
            desk: ServiceDesk {
                hotline: "400-880-1234".into(),
                privacy_version: 3,
                versions: AppVersions {
                    current: Version(2, 4, 0),
                    minimum: Version(2, 0, 0),
                    notes: "扫码签章支持批量授权".into(),
                },
            },
            staff: vec![STAFF.into()],
        };
        let services = Services::new(
            store,
            config,
            clock.clone(),
            Arc::new(ReferenceFaceVerifier),
            sms.clone(),
            StdRng::seed_from_u64(seed ^ 0x5eed),
        );
        services.add_platform(
            STAFF,
            Platform {
                code: PLATFORM.into(),
                name: PLATFORM_NAME.into(),
                region: "新疆维吾尔自治区".into(),
                trusted_cas: vec!["新疆CA".into()],
            },
        )?;
        let package = |id: &str, inst, holder, kind, name: &str, yuan: u64, uses| Package {
            id: id.into(),
            platform: PLATFORM.into(),
            institution: inst,
            institution_name: match inst {
                InstitutionKind::Ca => "新疆CA".into(),
                InstitutionKind::Seal => "新疆印章".into(),
            },
            holder,
            kind,
            name: name.into(),
            term_months: 12,
            price: Cents(yuan * 100),
            uses,
        };
        use packages::*;
        for p in [
            package(
                ENTERPRISE_CA,
                InstitutionKind::Ca,
                HolderKind::Enterprise,
                PackageKind::New,
                "新疆维吾尔自治区交易平台企业移动证书新办-1年",
                300,
                100,
            ),
            package(
                ENTERPRISE_SEAL,
                InstitutionKind::Seal,
                HolderKind::Enterprise,
                PackageKind::New,
                "企业电子印章新办-1年",
                200,
                50,
            ),
            package(
                PERSON_CA,
                InstitutionKind::Ca,
                HolderKind::Person,
                PackageKind::New,
                "新疆维吾尔自治区交易平台个人移动证书新办-1年",
                100,
                100,
            ),
            package(
                PERSON_SEAL,
                InstitutionKind::Seal,
                HolderKind::Person,
                PackageKind::New,
                "个人电子印章新办-1年",
                50,
                50,
            ),
            package(
                PERSON_CA_EXTEND,
                InstitutionKind::Ca,
                HolderKind::Person,
                PackageKind::Extension,
                "个人移动证书延期-1年",
                80,
                100,
            ),
            package(
                ENTERPRISE_CA_EXTEND,
                InstitutionKind::Ca,
                HolderKind::Enterprise,
                PackageKind::Extension,
                "企业移动证书延期-1年",
                240,
                100,
            ),
        ] {
            services.add_package(STAFF, p)?;
        }
        Ok(Self {
            services,
            clock,
            sms,
            ca_cert,
            ca_key,
        })
    }

    /// The trading platform's side on the same store: a verifier (trusting
    /// the CA, reading certificate status from the CA records) and the
    /// app's platform registry entry for it.
    pub fn platform(&self, seed: u64) -> Result<PlatformSide<S>> {
        let mut rng = StdRng::seed_from_u64(seed);
        let key = PrivateKey::generate(&mut rng);
        let now = self.clock.now();
        let certificate = self.services.config().ca.issue(
            &EndEntityRequest {
                holder: CertHolder::enterprise("新疆公共资源交易中心", &credit_code("MA1PLATF0")?)?,
                usage: CertUsage::Sign,
                medium: Medium::UsbKey,
                public_key: key.public_key(),
                not_before: now - Duration::from_secs(60),
                days: 365,
            },
            &mut rng,
        )?;
        let mut registry = PlatformRegistry::new();
        registry.add(PlatformEntry {
            code: PLATFORM.into(),
            name: PLATFORM_NAME.into(),
            certificate,
            callback_hosts: vec![CALLBACK_HOST.into()],
        })?;
        let mut config = VerifierConfig::new(
            PLATFORM,
            PLATFORM_NAME,
            CALLBACK_HOST,
            key,
            vec![self.ca_cert.clone()],
        );
        config.status = Some(Arc::new(self.services.status_source()));
        let verifier = Verifier::new(config, self.services.store().clone())?;
        Ok(PlatformSide { verifier, registry })
    }

    /// Register `phone` by SMS and pass real-name verification with
    /// `card`; returns the user id.
    pub fn verified_user(&self, phone: &str, card: &IdCard) -> Result<String> {
        let s = &self.services;
        s.request_sms_code(phone)?;
        let code = self.sms.last_code(phone).unwrap_or_default();
        let session = s.login_sms(phone, &code, DEVICE, Some(s.privacy_version()))?;
        s.submit_id_card(&session.user, card.clone())?;
        let challenge = s.confirm_id_card(&session.user)?;
        s.face_check(
            &session.user,
            &ReferenceFaceVerifier::genuine(card, &challenge.digits),
        )?;
        Ok(session.user)
    }
}
