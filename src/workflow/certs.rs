//! Certificate applications, download, detail, extension and status
//! (§6, §9, §15.5).

use std::time::Duration;

use super::{Services, Tx};
use crate::cert::{
    CertUsage, Certificate, CertificateDetail, EndEntityRequest, ManagedCa, Medium, UserStatus,
};
use crate::crypto::PublicKey;
use crate::domain::application::{Application, ApplicationKind, ApplicationState, Holder};
use crate::domain::audit::AuditKind;
use crate::domain::catalog::PackageKind;
use crate::domain::content::{LogKind, Module};
use crate::domain::enterprise::Enterprise;
use crate::domain::holding::{CaRecords, CertHolding};
use crate::domain::order::{Order, OrderPurpose};
use crate::domain::{forbidden, invalid_state};
use crate::error::{Error, Result};
use crate::store::{Store, StoreExt, Versioned};

/// A downloaded certificate: what the phone stores in its PIN container
/// and what the detail page shows.
#[derive(Debug, Clone)]
pub struct Download {
    /// The certificate.
    pub certificate: Certificate,
    /// Its detail (§15.5).
    pub detail: CertificateDetail,
    /// Normal, frozen or invalid.
    pub status: UserStatus,
}

/// A holder's id, name and (for an enterprise) its code and name.
type HolderIdentity = (String, String, Option<(String, String)>);

impl<S: Store> Services<S> {
    fn holder_identity(
        &self,
        user: &str,
        holder: &Holder,
        action: &'static str,
    ) -> Result<HolderIdentity> {
        let (_, card) = self.card_of(user, action)?;
        match holder {
            Holder::Person => Ok((card.id_number.clone(), card.name.clone(), None)),
            Holder::Enterprise(code) => {
                let e: Versioned<Enterprise> = self.store.load("enterprise", code)?;
                e.require_active(action)?;
                if !e.is_member(user) {
                    return Err(forbidden(user, action, "not a member of the enterprise"));
                }
                Ok((
                    code.clone(),
                    e.data.name.clone(),
                    Some((code.clone(), e.data.name.clone())),
                ))
            }
        }
    }

    /// Apply for a certificate (§6): mobile or USB key, personal or an
    /// enterprise's (by a member: each member holds the enterprise's mobile
    /// certificate, §6.1). The first application of a
    /// holder and medium is reviewed; later ones go straight to payment.
    /// One login certificate per person.
    #[allow(clippy::too_many_arguments)]
    pub fn apply_certificate(
        &self,
        user: &str,
        holder: Holder,
        medium: Medium,
        usage: CertUsage,
        platform: &str,
        packages: &[(String, u32)],
        coupon: Option<&str>,
    ) -> Result<(Application, Order)> {
        if usage == CertUsage::Encrypt {
            return Err(Error::param(
                "usage",
                "encryption certificates come with the signing one",
            ));
        }
        if usage == CertUsage::Login && holder != Holder::Person {
            return Err(Error::param("usage", "login certificates are personal"));
        }
        let (holder_id, holder_name, enterprise) =
            self.holder_identity(user, &holder, "apply for a certificate")?;
        let app_id = self.id("application", "P")?;
        self.atomically(|tx| {
            tx.lock(format!("certificates:{user}"))?;
            let apps = tx.store.find_by::<Application>("user", user)?;
            let same = |a: &Application| matches!(&a.kind, ApplicationKind::Certificate { holder: h, medium: m, .. } if *h == holder && *m == medium);
            if usage == CertUsage::Login {
                let has_login = tx.store.find_by::<CertHolding>("user", user)?.into_iter().any(|h| h.usage == CertUsage::Login && h.superseded_by.is_none())
                    || apps.iter().any(|a| {
                        a.state == ApplicationState::Open || matches!(a.state, ApplicationState::Completed { .. })
                    } && matches!(&a.kind, ApplicationKind::Certificate { usage: CertUsage::Login, .. }));
                if has_login {
                    return Err(invalid_state("login certificate", "held or applied for already", "apply for another"));
                }
            }
            let first = !apps.iter().any(|a| same(a) && matches!(a.state, ApplicationState::Completed { .. } | ApplicationState::Used { .. }));
            let audit = if first {
                let mut detail = Self::detail_for(tx, platform, packages)?;
                if let Some((code, name)) = &enterprise {
                    detail.enterprise_name = Some(name.clone());
                    detail.credit_code = Some(code.clone());
                }
                let code = enterprise.as_ref().map(|(c, _)| c.clone());
                Some(Self::new_audit(tx, AuditKind::CertificateApplication, user, &holder_name, code, &app_id, detail, None)?)
            } else {
                None
            };
            let order = self.place_order(tx, user, enterprise.clone(), &holder_id, platform, packages, OrderPurpose::Application(app_id.clone()), coupon, &[PackageKind::New])?;
            let app = Application::new(app_id.clone(), user.into(), ApplicationKind::Certificate { holder: holder.clone(), medium, usage }, platform.into(), audit, Some(order.number.clone()), tx.now);
            tx.insert(&app)?;
            let kind = if medium == Medium::Mobile { LogKind::NewMobileCertificate } else { LogKind::NewMediumCertificate };
            tx.log(user, kind, format!("申请{}{}证书 {}", holder_name, medium.label_zh(), if first { "（首次，待审核）" } else { "（待支付）" }))?;
            Ok((app, order))
        })
    }

    fn ca_records(tx: &Tx<'_, S>) -> Result<Versioned<CaRecords>> {
        Ok(tx
            .store
            .try_load::<CaRecords>("ca")?
            .unwrap_or_else(|| Versioned::new(CaRecords::default())))
    }

    /// Download the certificate of a completed application for the key
    /// the phone generated (§9: the phone then seals the key under the
    /// PIN, set on the first download by entering it twice — see
    /// [`crate::cert::CertificateWallet`]). Valid for the package term.
    pub fn download_certificate(
        &self,
        user: &str,
        application: &str,
        public_key: &PublicKey,
    ) -> Result<Download> {
        let (_, card) = self.card_of(user, "download certificates")?;
        let cert = self.atomically(|tx| {
            let mut app: Versioned<Application> = tx.store.load("application", application)?;
            if app.user != user {
                return Err(Error::NotFound {
                    what: "application",
                    key: application.into(),
                });
            }
            let ApplicationKind::Certificate {
                holder,
                medium,
                usage,
            } = app.kind.clone()
            else {
                return Err(Error::param("application", "not a certificate application"));
            };
            if !matches!(app.state, ApplicationState::Completed { .. }) {
                return Err(invalid_state(
                    "certificate application",
                    app.state.name(),
                    "download the certificate of",
                ));
            }
            let order: Versioned<Order> = tx
                .store
                .load("order", app.order.as_deref().unwrap_or_default())?;
            let months = order
                .items
                .iter()
                .map(|i| i.package.term_months * i.quantity)
                .max()
                .unwrap_or(12);
            let (holder_id, holder_name, subject) = match &holder {
                Holder::Person => (
                    card.id_number.clone(),
                    card.name.clone(),
                    crate::cert::Holder::person(&card.name, &card.id_number)?,
                ),
                Holder::Enterprise(code) => {
                    let e: Versioned<Enterprise> = tx.store.load("enterprise", code)?;
                    (
                        code.clone(),
                        e.data.name.clone(),
                        crate::cert::Holder::enterprise(&e.data.name, code)?,
                    )
                }
            };
            let mut records = Self::ca_records(tx)?;
            let mut ca = ManagedCa::with_state(self.config.ca.clone(), records.state.clone());
            let req = EndEntityRequest {
                holder: subject,
                usage,
                medium,
                public_key: *public_key,
                not_before: tx.now,
                days: months.saturating_mul(30).min(3650),
            };
            let cert = self.with_rng(|r| ca.issue(&req, tx.now, r))??;
            records.state = ca.state();
            tx.save(&records)?;
            let serial = cert.serial_hex();
            tx.insert(&CertHolding {
                serial: serial.clone(),
                user: user.into(),
                holder: holder.clone(),
                holder_id,
                holder_name: holder_name.clone(),
                medium,
                usage,
                application: app.id.clone(),
                platforms: vec![app.platform.clone()],
                issued: tx.now,
                superseded_by: None,
                extension_order: None,
                der: cert.der().to_vec(),
            })?;
            app.use_up(serial.clone())?;
            tx.save(&app)?;
            tx.log(
                user,
                LogKind::Certificate,
                format!("下载证书 {holder_name} {serial}"),
            )?;
            Ok(cert)
        })?;
        self.download_view(cert)
    }

    fn download_view(&self, cert: Certificate) -> Result<Download> {
        let now = self.now();
        let records = self.store.try_load::<CaRecords>("ca")?;
        let status = records
            .as_ref()
            .and_then(|r| r.state.records.get(&cert.serial_hex()))
            .map(|r| r.user_status(now))
            .unwrap_or(UserStatus::Invalid);
        Ok(Download {
            detail: CertificateDetail::of(&cert)?,
            certificate: cert,
            status,
        })
    }

    /// The user's certificates (§9, §15.5) with their status.
    pub fn certificates(&self, user: &str) -> Result<Vec<(CertHolding, UserStatus)>> {
        self.active(user, "list certificates")?;
        let now = self.now();
        let records = self.store.try_load::<CaRecords>("ca")?;
        let mut out = Vec::new();
        for h in self.store.find_by::<CertHolding>("user", user)? {
            let status = records
                .as_ref()
                .and_then(|r| r.state.records.get(&h.serial))
                .map(|r| r.user_status(now))
                .unwrap_or(UserStatus::Invalid);
            out.push((h.value, status));
        }
        Ok(out)
    }

    /// One certificate's detail; its user only.
    pub fn certificate(&self, user: &str, serial: &str) -> Result<Download> {
        self.active(user, "view certificates")?;
        let h: Versioned<CertHolding> = self.store.load("certificate", serial)?;
        if h.user != user {
            return Err(forbidden(user, "view the certificate", "not its applicant"));
        }
        self.download_view(Certificate::from_der(&h.der)?)
    }

    /// Extend a certificate on one of its opened platforms (§9 证书延期):
    /// an order of an extension package; paying it issues the successor.
    pub fn extend_certificate(
        &self,
        user: &str,
        serial: &str,
        platform: &str,
        packages: &[(String, u32)],
    ) -> Result<Order> {
        self.active(user, "extend certificates")?;
        let h: Versioned<CertHolding> = self.store.load("certificate", serial)?;
        if h.user != user {
            return Err(forbidden(
                user,
                "extend the certificate",
                "not its applicant",
            ));
        }
        if h.superseded_by.is_some() {
            return Err(invalid_state(
                "certificate",
                "superseded by its extension",
                "extend",
            ));
        }
        if !h.platforms.iter().any(|p| p == platform) {
            return Err(Error::param(
                "platform",
                format!("{platform} is not opened for this certificate"),
            ));
        }
        let enterprise = match &h.holder {
            Holder::Enterprise(code) => Some((code.clone(), h.holder_name.clone())),
            Holder::Person => None,
        };
        self.atomically(|tx| {
            // Written back with the order, so two extension orders for one
            // certificate cannot race past this check.
            let mut h: Versioned<CertHolding> = tx.store.load("certificate", serial)?;
            if h.superseded_by.is_some() {
                return Err(invalid_state(
                    "certificate",
                    "superseded by its extension",
                    "extend",
                ));
            }
            if let Some(pending) = &h.extension_order {
                let o: Versioned<Order> = tx.store.load("order", pending)?;
                if o.state == crate::domain::order::OrderState::Pending {
                    return Err(invalid_state(
                        "certificate",
                        format!("awaiting payment of extension order {pending}"),
                        "order another extension of",
                    ));
                }
            }
            let order = self.place_order(
                tx,
                user,
                enterprise.clone(),
                &h.holder_id,
                platform,
                packages,
                OrderPurpose::CertificateExtension(serial.into()),
                None,
                &[PackageKind::Extension],
            )?;
            h.extension_order = Some(order.number.clone());
            tx.save(&h)?;
            Ok(order)
        })
    }

    /// The paid extension: issue the successor, valid from the old
    /// notAfter for the package term.
    pub(super) fn extend_paid(
        &self,
        tx: &mut Tx<'_, S>,
        order: &Order,
        serial: &str,
    ) -> Result<()> {
        let mut h: Versioned<CertHolding> = tx.store.load("certificate", serial)?;
        if h.superseded_by.is_some() {
            return Err(invalid_state("certificate", "extended already", "extend"));
        }
        h.extension_order = None;
        let months: u32 = order
            .items
            .iter()
            .map(|i| i.package.term_months * i.quantity)
            .sum();
        let mut records = Self::ca_records(tx)?;
        let mut ca = ManagedCa::with_state(self.config.ca.clone(), records.state.clone());
        let cert =
            self.with_rng(|r| ca.extend(serial, months.saturating_mul(30).min(3650), tx.now, r))??;
        records.state = ca.state();
        tx.save(&records)?;
        let new_serial = cert.serial_hex();
        h.superseded_by = Some(new_serial.clone());
        let mut next = h.value.clone();
        next.serial = new_serial.clone();
        next.superseded_by = None;
        next.issued = tx.now;
        next.der = cert.der().to_vec();
        tx.save(&h)?;
        tx.insert(&next)?;
        tx.message(
            &h.user,
            Module::Certificates,
            &new_serial,
            "证书延期成功",
            format!(
                "新证书 {new_serial} 有效期至 {}",
                super::account::stamp(cert.not_after())
            ),
        )?;
        tx.log(
            &h.user,
            LogKind::Certificate,
            format!("证书延期 {serial} → {new_serial}"),
        )
    }

    /// Back office: freeze, unfreeze or revoke a certificate (§9 states).
    pub fn set_certificate_state(
        &self,
        staff: &str,
        serial: &str,
        action: CertAction,
    ) -> Result<UserStatus> {
        self.require_staff(staff, "change certificate states")?;
        let h: Versioned<CertHolding> = self.store.load("certificate", serial)?;
        self.atomically(|tx| {
            let mut records = Self::ca_records(tx)?;
            let mut ca = ManagedCa::with_state(self.config.ca.clone(), records.state.clone());
            match action {
                CertAction::Freeze => ca.freeze(serial, tx.now)?,
                CertAction::Unfreeze => ca.unfreeze(serial, tx.now)?,
                CertAction::Revoke => {
                    ca.revoke(serial, crate::cert::RevocationReason::Unspecified, tx.now)?
                }
            }
            records.state = ca.state();
            tx.save(&records)?;
            let label = match action {
                CertAction::Freeze => "证书已冻结",
                CertAction::Unfreeze => "证书已解冻",
                CertAction::Revoke => "证书已注销",
            };
            tx.message(
                &h.user,
                Module::Certificates,
                serial,
                label,
                serial.to_string(),
            )?;
            tx.log(&h.user, LogKind::Certificate, format!("{label} {serial}"))?;
            Ok(ca.record(serial)?.user_status(tx.now))
        })
    }

    /// The CA's current CRL (DER), for verifiers; valid for `hours`.
    pub fn crl(&self, hours: u64) -> Result<Vec<u8>> {
        self.atomically(|tx| {
            let mut records = Self::ca_records(tx)?;
            let mut ca = ManagedCa::with_state(self.config.ca.clone(), records.state.clone());
            let crl = self.with_rng(|r| ca.crl(tx.now, Duration::from_secs(hours * 3600), r))??;
            records.state = ca.state();
            tx.save(&records)?;
            Ok(crl)
        })
    }

    /// The CA's record state, for a status service.
    pub fn ca_state(&self) -> Result<crate::cert::CaState> {
        Ok(self
            .store
            .try_load::<CaRecords>("ca")?
            .map(|r| r.value.state)
            .unwrap_or_default())
    }
}

/// The certificate status of the CA's records in a store, for verifiers
/// on the same backend (a [`StatusSource`](crate::cert::StatusSource)).
pub struct StoreStatus<S: Store> {
    store: std::sync::Arc<S>,
    ca: crate::cert::CertificateAuthority,
}

impl<S: Store> crate::cert::StatusSource for StoreStatus<S> {
    fn status(
        &self,
        cert: &Certificate,
        at: std::time::SystemTime,
    ) -> crate::cert::RevocationStatus {
        match self.store.try_load::<CaRecords>("ca") {
            Ok(r) => {
                let state = r.map(|r| r.value.state).unwrap_or_default();
                crate::cert::StatusSource::status(
                    &ManagedCa::with_state(self.ca.clone(), state),
                    cert,
                    at,
                )
            }
            Err(_) => crate::cert::RevocationStatus::Unknown,
        }
    }
}

impl<S: Store> Services<S> {
    /// A status source over this store's CA records.
    pub fn status_source(&self) -> StoreStatus<S> {
        StoreStatus {
            store: self.store.clone(),
            ca: self.config.ca.clone(),
        }
    }

    /// The encryption certificate that pairs with a downloaded signing
    /// certificate (the double-certificate system): same holder, medium
    /// and validity end, for the encryption key the phone holds.
    pub fn download_encryption_certificate(
        &self,
        user: &str,
        signing_serial: &str,
        public_key: &PublicKey,
    ) -> Result<Download> {
        self.active(user, "download certificates")?;
        let cert = self.atomically(|tx| {
            let h: Versioned<CertHolding> = tx.store.load("certificate", signing_serial)?;
            if h.user != user {
                return Err(forbidden(
                    user,
                    "download the encryption certificate",
                    "not the applicant",
                ));
            }
            if h.usage != CertUsage::Sign || h.superseded_by.is_some() {
                return Err(invalid_state(
                    "certificate",
                    "not a current signing certificate",
                    "pair an encryption certificate with",
                ));
            }
            let paired = tx
                .store
                .find_by::<CertHolding>("user", user)?
                .into_iter()
                .any(|x| x.usage == CertUsage::Encrypt && x.application == h.serial);
            if paired {
                return Err(invalid_state(
                    "signing certificate",
                    "paired already",
                    "pair",
                ));
            }
            let sign = Certificate::from_der(&h.der)?;
            let subject = match &h.holder {
                Holder::Person => crate::cert::Holder::person(&h.holder_name, &h.holder_id)?,
                Holder::Enterprise(code) => crate::cert::Holder::enterprise(&h.holder_name, code)?,
            };
            let days = sign
                .not_after()
                .duration_since(tx.now)
                .map(|d| d.as_secs() / 86_400)
                .unwrap_or(0);
            if days == 0 {
                return Err(invalid_state("signing certificate", "expired", "pair"));
            }
            let mut records = Self::ca_records(tx)?;
            let mut ca = ManagedCa::with_state(self.config.ca.clone(), records.state.clone());
            let req = EndEntityRequest {
                holder: subject,
                usage: CertUsage::Encrypt,
                medium: h.medium,
                public_key: *public_key,
                not_before: tx.now,
                days: u32::try_from(days).unwrap_or(3650),
            };
            let cert = self.with_rng(|r| ca.issue(&req, tx.now, r))??;
            records.state = ca.state();
            tx.save(&records)?;
            tx.insert(&CertHolding {
                serial: cert.serial_hex(),
                usage: CertUsage::Encrypt,
                application: h.serial.clone(),
                issued: tx.now,
                superseded_by: None,
                extension_order: None,
                der: cert.der().to_vec(),
                ..h.value.clone()
            })?;
            tx.log(
                user,
                LogKind::Certificate,
                format!("下载加密证书 {}", cert.serial_hex()),
            )?;
            Ok(cert)
        })?;
        self.download_view(cert)
    }
}

/// A back-office action on a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertAction {
    /// 冻结.
    Freeze,
    /// 解冻.
    Unfreeze,
    /// 注销 (revoke).
    Revoke,
}
