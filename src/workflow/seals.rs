//! Seal applications, collection, replacement, handwritten signatures and
//! grants (§7, §10, §11 用章权限), and the grant check before a QR seal
//! authorisation (§17).

use std::time::Duration;

use super::{Services, Tx};
use crate::cert::{CertUsage, Certificate};
use crate::domain::application::{Application, ApplicationKind, ApplicationState, Holder};
use crate::domain::audit::{Audit, AuditDetail, AuditKind};
use crate::domain::catalog::PackageKind;
use crate::domain::content::{LogKind, Module};
use crate::domain::enterprise::Enterprise;
use crate::domain::holding::{CaRecords, CertHolding, SealBookRow};
use crate::domain::order::{Order, OrderPurpose};
use crate::domain::{DateRange, forbidden, invalid_state};
use crate::error::{Error, Result};
use crate::seal::manage::{Grant, ManagedSeal, SealOwner};
use crate::seal::{Seal, SealKind, SealRequest, SealVersion, make_seal};
use crate::store::{Store, StoreExt, Versioned};
use crate::time::Date;

impl<S: Store> Services<S> {
    fn book_key(user: &str, holder: &Holder) -> String {
        match holder {
            Holder::Person => SealBookRow::person_key(user),
            Holder::Enterprise(code) => SealBookRow::enterprise_key(code),
        }
    }

    fn check_seal_holder(
        &self,
        user: &str,
        holder: &Holder,
        kind: SealKind,
        action: &'static str,
    ) -> Result<String> {
        let (_, card) = self.card_of(user, action)?;
        match holder {
            Holder::Person if kind.is_personal() => Ok(card.name.clone()),
            Holder::Enterprise(code) if !kind.is_personal() => {
                let e: Versioned<Enterprise> = self.store.load("enterprise", code)?;
                e.require_admin(user, action)?;
                Ok(e.data.name.clone())
            }
            _ => Err(Error::param(
                "seal kind",
                format!("{} does not belong to this holder", kind.label_zh()),
            )),
        }
    }

    /// Apply for a seal (§7): a package, a payment and a back-office review.
    #[allow(clippy::too_many_arguments)]
    pub fn apply_seal(
        &self,
        user: &str,
        holder: Holder,
        kind: SealKind,
        name: &str,
        platform: &str,
        packages: &[(String, u32)],
        coupon: Option<&str>,
    ) -> Result<(Application, Order)> {
        let holder_name = self.check_seal_holder(user, &holder, kind, "apply for a seal")?;
        let name = crate::domain::text("seal name", name, 1, 100)?;
        let (_, card) = self.card_of(user, "apply for a seal")?;
        let app_id = self.id("application", "P")?;
        self.atomically(|tx| {
            let (enterprise, holder_id) = match &holder {
                Holder::Person => (None, card.id_number.clone()),
                Holder::Enterprise(code) => {
                    (Some((code.clone(), holder_name.clone())), code.clone())
                }
            };
            let mut detail = Self::detail_for(tx, platform, packages)?;
            detail.seals = vec![kind.label_zh()];
            detail.enterprise_name = enterprise.as_ref().map(|e| e.1.clone());
            detail.credit_code = enterprise.as_ref().map(|e| e.0.clone());
            let audit = Self::new_audit(
                tx,
                AuditKind::SealApplication,
                user,
                &card.name,
                enterprise.as_ref().map(|e| e.0.clone()),
                &app_id,
                detail,
                None,
            )?;
            let order = self.place_order(
                tx,
                user,
                enterprise.clone(),
                &holder_id,
                platform,
                packages,
                OrderPurpose::Application(app_id.clone()),
                coupon,
                &[PackageKind::New],
            )?;
            let app = Application::new(
                app_id.clone(),
                user.into(),
                ApplicationKind::Seal {
                    holder: holder.clone(),
                    kind: kind.code(),
                    name: name.clone(),
                },
                platform.into(),
                Some(audit),
                Some(order.number.clone()),
                tx.now,
            );
            tx.insert(&app)?;
            tx.log(
                user,
                LogKind::Seal,
                format!("印章办理 {} {}", holder_name, kind.label_zh()),
            )?;
            Ok((app, order))
        })
    }

    /// The current signing certificates of a holder (what a seal binds).
    /// The holder's signing certificates that are or will be usable: not
    /// revoked and not expired (an extended certificate and its successor
    /// both count, so the seal works across the switch).
    fn holder_certs(tx: &Tx<'_, S>, holder_id: &str) -> Result<Vec<Certificate>> {
        let records = tx.store.try_load::<CaRecords>("ca")?;
        let usable = |serial: &str| {
            records
                .as_ref()
                .and_then(|r| r.state.records.get(serial))
                .is_some_and(|r| {
                    !r.is_expired(tx.now)
                        && !matches!(r.state, crate::cert::CertState::Revoked { .. })
                })
        };
        tx.store
            .find_by::<CertHolding>("holder", holder_id)?
            .into_iter()
            .filter(|h| h.usage == CertUsage::Sign && usable(&h.serial))
            .map(|h| Certificate::from_der(&h.der))
            .collect()
    }

    fn make(&self, tx: &Tx<'_, S>, seal: &ManagedSeal, holder_id: &str) -> Result<Vec<u8>> {
        let certs = Self::holder_certs(tx, holder_id)?;
        if certs.is_empty() {
            return Err(invalid_state(
                "seal holder",
                "without a signing certificate",
                "make a seal for (download one first)",
            ));
        }
        let req = SealRequest {
            version: SealVersion::V4,
            kind: SealKind::from_code(seal.kind),
            name: seal.name.clone(),
            es_id: format!("YZT{:010}", seal.id),
            vendor_id: "yizhengtong".into(),
            image: seal.image.clone(),
            width_mm: 40,
            height_mm: 40,
            holder_certs: certs,
            created: tx.now,
            valid_start: tx.now,
            valid_end: seal.valid_until.start() + Duration::from_secs(86_399),
            ext_datas: Vec::new(),
            time_stamp: None,
        };
        let made = self.with_rng(|r| {
            make_seal(
                &req,
                &self.config.seal_maker_key,
                &self.config.seal_maker_cert,
                r,
            )
        })??;
        Ok(made.raw.clone())
    }

    fn holder_id_of(tx: &Tx<'_, S>, user: &str, holder: &Holder) -> Result<String> {
        Ok(match holder {
            Holder::Enterprise(code) => code.clone(),
            Holder::Person => {
                let a = tx
                    .store
                    .load::<crate::domain::account::Account>("account", user)?;
                a.real_name
                    .verified()
                    .map(|c| c.id_number.clone())
                    .unwrap_or_default()
            }
        })
    }

    /// Collect the seal of a completed application (§10 采集): the image
    /// is recorded and the GB/T 38540 seal made, bound to the holder's
    /// signing certificates. Returns the seal's id in its book.
    pub fn collect_seal(
        &self,
        user: &str,
        application: &str,
        image: &[u8],
        valid_until: Date,
    ) -> Result<u64> {
        self.active(user, "collect seals")?;
        self.atomically(|tx| {
            let mut app: Versioned<Application> = tx.store.load("application", application)?;
            if app.user != user {
                return Err(Error::NotFound {
                    what: "application",
                    key: application.into(),
                });
            }
            let ApplicationKind::Seal { holder, kind, name } = app.kind.clone() else {
                return Err(Error::param("application", "not a seal application"));
            };
            if !matches!(app.state, ApplicationState::Completed { .. }) {
                return Err(invalid_state(
                    "seal application",
                    app.state.name(),
                    "collect the seal of",
                ));
            }
            let key = Self::book_key(user, &holder);
            let mut book = tx.store.try_load::<SealBookRow>(&key)?.unwrap_or_else(|| {
                Versioned::new(SealBookRow {
                    owner: key.clone(),
                    ..Default::default()
                })
            });
            let owner = match &holder {
                Holder::Person => SealOwner::Person(user.into()),
                Holder::Enterprise(code) => SealOwner::Enterprise(code.clone()),
            };
            let id = book.book.collect(
                user,
                owner,
                SealKind::from_code(kind),
                &name,
                image.to_vec(),
                valid_until,
            )?;
            let holder_id = Self::holder_id_of(tx, user, &holder)?;
            let made = self.make(tx, book.book.seal(id)?, &holder_id)?;
            book.made.insert(id, made);
            tx.save(&book)?;
            app.use_up(format!("{key}#{id}"))?;
            tx.save(&app)?;
            tx.log(user, LogKind::Seal, format!("采集印章 {name}"))?;
            Ok(id)
        })
    }

    /// Capture a handwritten signature (§10.2); made as a seal bound to
    /// the person's signing certificates.
    pub fn capture_signature(&self, user: &str, image: &[u8], valid_until: Date) -> Result<u64> {
        let (_, card) = self.card_of(user, "capture a signature")?;
        let key = SealBookRow::person_key(user);
        self.atomically(|tx| {
            let mut book = tx.store.try_load::<SealBookRow>(&key)?.unwrap_or_else(|| {
                Versioned::new(SealBookRow {
                    owner: key.clone(),
                    ..Default::default()
                })
            });
            let id =
                book.book
                    .capture_handwritten(user, &card.name, image.to_vec(), valid_until)?;
            let made = self.make(tx, book.book.seal(id)?, &card.id_number)?;
            book.made.insert(id, made);
            tx.save(&book)?;
            tx.log(user, LogKind::Seal, "设置手写签名")?;
            Ok(id)
        })
    }

    /// The seals `user` can see: their own and those of their enterprises,
    /// as (book key, seal).
    pub fn seals(&self, user: &str) -> Result<Vec<(String, ManagedSeal)>> {
        self.active(user, "list seals")?;
        let mut keys = vec![SealBookRow::person_key(user)];
        for e in self.store.find_by::<Enterprise>("member", user)? {
            keys.push(SealBookRow::enterprise_key(e.code()));
        }
        let mut out = Vec::new();
        for k in keys {
            if let Some(b) = self.store.try_load::<SealBookRow>(&k)? {
                let owners: Vec<ManagedSeal> = b
                    .book
                    .seals_of(&owner_of(&k))
                    .into_iter()
                    .cloned()
                    .collect();
                out.extend(owners.into_iter().map(|s| (k.clone(), s)));
            }
        }
        Ok(out)
    }

    /// Ask to replace a seal (§10): a reason and a new image; the old seal
    /// stays in force until the back office approves.
    pub fn request_seal_replacement(
        &self,
        user: &str,
        book: &str,
        seal: u64,
        reason: &str,
        image: &[u8],
    ) -> Result<String> {
        let (_, card) = self.card_of(user, "replace seals")?;
        self.atomically(|tx| {
            let mut b: Versioned<SealBookRow> = tx.store.load("seal book", book)?;
            b.book
                .request_replacement(user, seal, reason, image.to_vec())?;
            let s = b.book.seal(seal)?.clone();
            let detail = AuditDetail {
                seals: vec![SealKind::from_code(s.kind).label_zh()],
                reason: Some(reason.trim().to_string()),
                ..AuditDetail::default()
            };
            let enterprise = match &s.owner {
                SealOwner::Enterprise(c) => Some(c.clone()),
                SealOwner::Person(_) => None,
            };
            let id = Self::new_audit(
                tx,
                AuditKind::SealReplacement,
                user,
                &card.name,
                enterprise,
                &format!("{book}#{seal}"),
                detail,
                None,
            )?;
            tx.save(&b)?;
            tx.log(user, LogKind::Seal, format!("申请替换印章 {}", s.name))?;
            Ok(id)
        })
    }

    /// The back office decided a replacement.
    pub(super) fn replacement_decided(
        &self,
        tx: &mut Tx<'_, S>,
        audit: &Audit,
        approved: bool,
    ) -> Result<()> {
        let (key, id) = audit
            .subject
            .rsplit_once('#')
            .and_then(|(k, i)| i.parse::<u64>().ok().map(|i| (k.to_string(), i)))
            .ok_or_else(|| Error::param("audit subject", "not a seal reference"))?;
        let mut b: Versioned<SealBookRow> = tx.store.load("seal book", &key)?;
        if approved {
            let new = b.book.approve_replacement(id)?;
            let seal = b.book.seal(new)?.clone();
            let holder_id = match &seal.owner {
                SealOwner::Enterprise(c) => c.clone(),
                SealOwner::Person(u) => Self::holder_id_of(tx, u, &Holder::Person)?,
            };
            let made = self.make(tx, &seal, &holder_id)?;
            b.made.insert(new, made);
        } else {
            b.book.reject_replacement(id)?;
        }
        tx.save(&b)
    }

    /// The administrator grants seals to members for a period, in one
    /// batch (§10.1 授权 / 批量授权).
    pub fn grant_seals(
        &self,
        admin: &str,
        code: &str,
        seals: &[u64],
        members: &[&str],
        period: DateRange,
    ) -> Result<Vec<u64>> {
        self.active(admin, "grant seals")?;
        self.atomically(|tx| {
            let e: Versioned<Enterprise> = tx.store.load("enterprise", code)?;
            e.require_admin(admin, "grant seals")?;
            let mut b: Versioned<SealBookRow> = tx
                .store
                .load("seal book", &SealBookRow::enterprise_key(code))?;
            let ids = b
                .book
                .grant(admin, code, seals, members, period.from, period.to)?;
            tx.save(&b)?;
            for m in members {
                tx.message(
                    m,
                    Module::Seals,
                    code,
                    "印章授权",
                    format!("{} 授权您使用印章 {period}", e.data.name),
                )?;
            }
            tx.log(
                admin,
                LogKind::Seal,
                format!("授权印章 {} 人 {period}", members.len()),
            )?;
            Ok(ids)
        })
    }

    /// The administrator cancels a grant (§10.1 取消授权).
    pub fn cancel_grant(&self, admin: &str, code: &str, grant: u64) -> Result<()> {
        self.active(admin, "cancel grants")?;
        self.atomically(|tx| {
            let e: Versioned<Enterprise> = tx.store.load("enterprise", code)?;
            e.require_admin(admin, "cancel grants")?;
            let mut b: Versioned<SealBookRow> = tx
                .store
                .load("seal book", &SealBookRow::enterprise_key(code))?;
            b.book.cancel_grant(admin, grant)?;
            tx.save(&b)?;
            tx.log(admin, LogKind::Seal, format!("取消授权 {grant}"))
        })
    }

    /// The grants on an enterprise's seals; its administrator only.
    pub fn grants(&self, admin: &str, code: &str) -> Result<Vec<Grant>> {
        let e: Versioned<Enterprise> = self.store.load("enterprise", code)?;
        e.require_admin(admin, "list grants")?;
        let b: Versioned<SealBookRow> = self
            .store
            .load("seal book", &SealBookRow::enterprise_key(code))?;
        let mut v = Vec::new();
        for s in b.book.seals_of(&SealOwner::Enterprise(code.into())) {
            v.extend(b.book.grants_of(s.id).into_iter().cloned());
        }
        Ok(v)
    }

    /// May `user` stamp with seal `seal` of `book` today? The made seal
    /// when yes (§10: using a seal outside a grant is refused). The app
    /// calls this before answering a QR seal authorisation.
    pub fn seal_for_use(&self, user: &str, book: &str, seal: u64) -> Result<Seal> {
        self.active(user, "stamp")?;
        let b: Versioned<SealBookRow> = self.store.load("seal book", book)?;
        if let SealOwner::Person(p) = owner_of(book)
            && p != user
        {
            return Err(forbidden(
                user,
                "stamp with this seal",
                "it is another person's seal",
            ));
        }
        b.book
            .authorize_use(user, seal, Date::from_time(self.now()))?;
        let raw = b.made.get(&seal).ok_or_else(|| Error::NotFound {
            what: "made seal",
            key: format!("{book}#{seal}"),
        })?;
        Seal::from_der(raw)
    }
}

fn owner_of(key: &str) -> SealOwner {
    match key.split_once(':') {
        Some(("E", c)) => SealOwner::Enterprise(c.into()),
        Some((_, u)) => SealOwner::Person(u.into()),
        None => SealOwner::Person(key.into()),
    }
}
