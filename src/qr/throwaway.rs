//! A throw-away PKI for benchmarks and load tests: a root, a holder with a
//! signing certificate, and a platform whose certificate the app's
//! registry trusts. Keys are generated fresh each time; nothing here is
//! for production.

use std::time::{Duration, SystemTime};

use rand::CryptoRng;

use crate::cert::{
    CaConfig, CertUsage, Certificate, CertificateAuthority, EndEntityRequest, Holder, Medium,
    parse_dn,
};
use crate::crypto::{PrivateKey, PublicKey};
use crate::error::Result;
use crate::qr::{
    ActionInput, Identity, PlatformEntry, PlatformRegistry, VerifierConfig, respond, scan,
};

/// The platform's system code.
pub const CODE: &str = "C1100005553";
/// The platform's name.
pub const NAME: &str = "Throw-away platform";
/// The holder's ID number (the quota key's holder).
pub const HOLDER: &str = "11010519491231002X";

/// A throw-away PKI: a root, a holder's signing key and certificate, and a
/// platform's key and certificate in the app's registry.
pub struct ThrowawayPki {
    root: Certificate,
    key: PrivateKey,
    cert: Certificate,
    platform_key: PrivateKey,
    platform_cert: Certificate,
    registry: PlatformRegistry,
}

impl ThrowawayPki {
    /// Make one, valid from a minute ago for 30 days, for callbacks to `host`.
    pub fn new<R: CryptoRng + ?Sized>(host: &str, rng: &mut R) -> Result<Self> {
        let now = SystemTime::now() - Duration::from_secs(60);
        let root = CertificateAuthority::create_root(
            PrivateKey::generate(rng),
            parse_dn("C=CN,O=Load,CN=Load Root")?,
            now,
            365,
            CaConfig::default(),
            rng,
        )?;
        let key = PrivateKey::generate(rng);
        let platform_key = PrivateKey::generate(rng);
        let mut issue = |k: &PrivateKey, holder: Holder| {
            root.issue(
                &EndEntityRequest {
                    holder,
                    usage: CertUsage::Sign,
                    medium: Medium::Mobile,
                    public_key: k.public_key(),
                    not_before: now,
                    days: 30,
                },
                rng,
            )
        };
        let cert = issue(&key, Holder::person("张三", HOLDER)?)?;
        let platform_cert = issue(
            &platform_key,
            Holder::enterprise(
                NAME,
                &crate::ids::complete_credit_code("91650100399601510")?,
            )?,
        )?;
        let mut registry = PlatformRegistry::new();
        registry.add(PlatformEntry {
            code: CODE.into(),
            name: NAME.into(),
            certificate: platform_cert.clone(),
            callback_hosts: vec![host.into()],
        })?;
        Ok(Self {
            root: root.certificate().clone(),
            key,
            cert,
            platform_key,
            platform_cert: platform_cert.clone(),
            registry,
        })
    }

    /// A verifier configuration for the platform, answering to `host`.
    pub fn config(&self, host: &str) -> VerifierConfig {
        VerifierConfig::new(
            CODE,
            NAME,
            host,
            self.platform_key.clone(),
            vec![self.root.clone()],
        )
    }

    /// The phone: scan `text` now and answer a login as the holder (DER).
    pub fn answer<R: CryptoRng + ?Sized>(&self, text: &str, rng: &mut R) -> Result<Vec<u8>> {
        self.answer_at(text, SystemTime::now(), rng)
    }

    /// The same with the phone's clock at `now`.
    pub fn answer_at<R: CryptoRng + ?Sized>(
        &self,
        text: &str,
        now: SystemTime,
        rng: &mut R,
    ) -> Result<Vec<u8>> {
        let (c, view) = scan(text, &self.registry, now)?;
        let id = Identity {
            member: "throw-away",
            enterprise: None,
            signing_cert: &self.cert,
            signing_key: &self.key,
            encryption_cert: None,
            encryption_key: None,
        };
        Ok(respond(&c, &view, &id, ActionInput::Login, now, rng)?.to_der())
    }
}

impl ThrowawayPki {
    /// The platform's certificate.
    pub fn platform_cert(&self) -> &Certificate {
        &self.platform_cert
    }

    /// The holder's public key.
    pub fn holder_key(&self) -> PublicKey {
        self.key.public_key()
    }
}
