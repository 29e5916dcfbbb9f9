//! Enterprise claim, search, join, management and appeal (§4, §5, §8,
//! §15.7), and the audits that decide them (§11).

use super::{BACK_OFFICE, Services, Tx};
use crate::domain::DateRange;
use crate::domain::application::{Application, ApplicationKind, Holder, JoinVia};
use crate::domain::audit::{Audit, AuditDetail, AuditKind, AuditState, ReturnKind};
use crate::domain::catalog::{PackageKind, Platform};
use crate::domain::content::{LogKind, Module};
use crate::domain::enterprise::{Enterprise, EnterpriseData, check_search};
use crate::domain::holding::SealBookRow;
use crate::domain::order::{Order, OrderPurpose};
use crate::domain::{MAX_SEARCH_RESULTS, forbidden, invalid_state, reason};
use crate::error::{Error, Result};
use crate::seal::SealKind;
use crate::store::{Store, StoreExt, Versioned};

/// What a claim submits (§4).
#[derive(Debug, Clone)]
pub struct ClaimInput {
    /// The enterprise's data with licence and letter.
    pub data: EnterpriseData,
    /// The platform chosen.
    pub platform: String,
    /// Packages and quantities (CA tab and seal tab).
    pub packages: Vec<(String, u32)>,
    /// A coupon to use.
    pub coupon: Option<String>,
}

/// What a join request submits (§5).
#[derive(Debug, Clone)]
pub struct JoinInput {
    /// The enterprise's credit code.
    pub enterprise: String,
    /// Verification (name + phone digits) or an application (reason).
    pub via: JoinVia,
    /// For verification: the administrator's name.
    pub admin_name: String,
    /// For verification: the last four digits of the administrator's phone.
    pub admin_phone_last_four: String,
    /// The platform chosen.
    pub platform: String,
    /// Packages and quantities.
    pub packages: Vec<(String, u32)>,
    /// Seal kinds wanted.
    pub seals: Vec<SealKind>,
    /// The usage period.
    pub period: DateRange,
}

impl<S: Store> Services<S> {
    /// Search enterprises by name (§5): at least 5 characters, at most 10
    /// active enterprises.
    pub fn search_enterprises(&self, user: &str, query: &str) -> Result<Vec<(String, String)>> {
        self.verified(user, "search enterprises")?;
        let q = check_search(query)?;
        Ok(self
            .store
            .all::<Enterprise>()?
            .into_iter()
            .filter(|e| e.require_active("find").is_ok() && e.data.name.contains(&q))
            .take(MAX_SEARCH_RESULTS)
            .map(|e| (e.data.credit_code.clone(), e.data.name.clone()))
            .collect())
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn new_audit(
        tx: &mut Tx<'_, S>,
        kind: AuditKind,
        applicant: &str,
        name: &str,
        enterprise: Option<String>,
        subject: &str,
        detail: AuditDetail,
        data: Option<EnterpriseData>,
    ) -> Result<String> {
        let id = format!("A{:06}", tx.store.next_id("audit")?);
        tx.insert(&Audit {
            id: id.clone(),
            kind,
            applicant: applicant.into(),
            applicant_name: name.into(),
            enterprise,
            subject: subject.into(),
            created: tx.now,
            detail,
            enterprise_data: data,
            state: AuditState::Pending,
        })?;
        Ok(id)
    }

    pub(super) fn detail_for(
        tx: &Tx<'_, S>,
        platform: &str,
        packages: &[(String, u32)],
    ) -> Result<AuditDetail> {
        let p: Versioned<Platform> = tx.store.load("platform", platform)?;
        let first = packages
            .first()
            .map(|(id, _)| {
                tx.store
                    .load::<crate::domain::catalog::Package>("package", id)
            })
            .transpose()?;
        Ok(AuditDetail {
            region: Some(p.region.clone()),
            platform: Some(p.name.clone()),
            ca: first.as_ref().map(|f| f.institution_name.clone()),
            package: first.as_ref().map(|f| f.name.clone()),
            quantity: packages.first().map(|(_, q)| *q),
            ..AuditDetail::default()
        })
    }

    /// Claim an enterprise (§4): a back-office review and a paid order
    /// make the user its administrator.
    pub fn claim_enterprise(&self, user: &str, input: ClaimInput) -> Result<(Application, Order)> {
        let (_, card) = self.card_of(user, "claim an enterprise")?;
        let data = input.data.clone().validate()?;
        let app_id = self.id("application", "P")?;
        self.atomically(|tx| {
            if let Some(e) = tx.store.try_load::<Enterprise>(&data.credit_code)? {
                return Err(invalid_state(
                    "enterprise",
                    match e.state {
                        crate::domain::enterprise::EnterpriseState::Active => "claimed already",
                        _ => "deregistered (appeal it instead)",
                    },
                    "claim",
                ));
            }
            tx.lock(format!("claim:{}", data.credit_code))?;
            let open_claim = tx
                .store
                .find_by::<Application>("claim", &data.credit_code)?
                .into_iter()
                .any(|a| a.state == crate::domain::application::ApplicationState::Open);
            if open_claim {
                return Err(invalid_state("enterprise", "being claimed", "claim"));
            }
            let mut detail = Self::detail_for(tx, &input.platform, &input.packages)?;
            detail.enterprise_name = Some(data.name.clone());
            detail.credit_code = Some(data.credit_code.clone());
            let audit = Self::new_audit(
                tx,
                AuditKind::EnterpriseClaim,
                user,
                &card.name,
                Some(data.credit_code.clone()),
                &app_id,
                detail,
                None,
            )?;
            let order = self.place_order(
                tx,
                user,
                Some((data.credit_code.clone(), data.name.clone())),
                &data.credit_code,
                &input.platform,
                &input.packages,
                OrderPurpose::Application(app_id.clone()),
                input.coupon.as_deref(),
                &[PackageKind::New],
            )?;
            let app = Application::new(
                app_id.clone(),
                user.into(),
                ApplicationKind::Claim { data: data.clone() },
                input.platform.clone(),
                Some(audit),
                Some(order.number.clone()),
                tx.now,
            );
            tx.insert(&app)?;
            tx.log(
                user,
                LogKind::Enterprise,
                format!("认领企业 {}（{}）", data.name, data.credit_code),
            )?;
            Ok((app, order))
        })
    }

    /// Ask to join an enterprise (§5): by verification or by application;
    /// the administrator approves, the user pays, the user is a member.
    pub fn join_enterprise(&self, user: &str, input: JoinInput) -> Result<(Application, Order)> {
        let (_, card) = self.card_of(user, "join an enterprise")?;
        let via = match &input.via {
            JoinVia::Verification => JoinVia::Verification,
            JoinVia::Application { reason: r } => JoinVia::Application {
                reason: reason("join reason", r)?,
            },
        };
        let app_id = self.id("application", "P")?;
        self.atomically(|tx| {
            let e: Versioned<Enterprise> = tx.store.load("enterprise", &input.enterprise)?;
            if via == JoinVia::Verification {
                e.verify_admin(&input.admin_name, &input.admin_phone_last_four)?;
            } else {
                e.require_active("join")?;
            }
            if e.is_member(user) {
                return Err(invalid_state("membership", "already a member", "join"));
            }
            tx.lock(format!("join:{user}:{}", input.enterprise))?;
            let open = tx.store.find_by::<Application>("user", user)?.into_iter().any(|a| {
                a.state == crate::domain::application::ApplicationState::Open
                    && matches!(&a.kind, ApplicationKind::Join { enterprise, .. } if *enterprise == input.enterprise)
            });
            if open {
                return Err(invalid_state("join request", "open already", "submit another"));
            }
            let mut detail = Self::detail_for(tx, &input.platform, &input.packages)?;
            detail.enterprise_name = Some(e.data.name.clone());
            detail.credit_code = Some(e.data.credit_code.clone());
            detail.seals = input.seals.iter().map(|k| k.label_zh().to_string()).collect();
            detail.period = Some(input.period);
            if let JoinVia::Application { reason } = &via {
                detail.reason = Some(reason.clone());
            }
            let audit = Self::new_audit(tx, AuditKind::JoinEnterprise, user, &card.name, Some(e.data.credit_code.clone()), &app_id, detail, None)?;
            let order = self.place_order(tx, user, None, &card.id_number, &input.platform, &input.packages, OrderPurpose::Application(app_id.clone()), None, &[PackageKind::New])?;
            let kind = ApplicationKind::Join {
                enterprise: input.enterprise.clone(),
                via: via.clone(),
                seals: input.seals.iter().map(|k| k.code()).collect(),
                period: input.period,
            };
            let app = Application::new(app_id.clone(), user.into(), kind, input.platform.clone(), Some(audit.clone()), Some(order.number.clone()), tx.now);
            tx.insert(&app)?;
            let admin = e.admin.clone();
            tx.message(&admin, Module::Audits, &audit, "新的加入企业申请", format!("{} 申请加入 {}", card.name, e.data.name))?;
            tx.log(user, LogKind::Enterprise, format!("申请加入企业 {}", e.data.name))?;
            Ok((app, order))
        })
    }

    /// The effects of a completed application, inside the same commit.
    pub(super) fn complete_application(
        &self,
        tx: &mut Tx<'_, S>,
        app: &mut Versioned<Application>,
        order: Option<&mut Versioned<Order>>,
    ) -> Result<()> {
        let user = app.user.clone();
        // The uses the order bought become usable now.
        match (order, app.order.clone()) {
            (Some(o), _) => Self::credit(tx, o)?,
            (None, Some(number)) => {
                let mut o: Versioned<Order> = tx.store.load("order", &number)?;
                Self::credit(tx, &mut o)?;
                tx.save(&o)?;
            }
            (None, None) => {}
        }
        match app.kind.clone() {
            ApplicationKind::Claim { data } => {
                let a = tx
                    .store
                    .load::<crate::domain::account::Account>("account", &user)?;
                let name = a.display_name();
                let e = Enterprise::claimed(data.clone(), (&user, &name, &a.phone), tx.now);
                let mut book = tx
                    .store
                    .try_load::<SealBookRow>(&SealBookRow::enterprise_key(&data.credit_code))?
                    .unwrap_or_else(|| {
                        Versioned::new(SealBookRow {
                            owner: SealBookRow::enterprise_key(&data.credit_code),
                            ..Default::default()
                        })
                    });
                book.book
                    .sync_enterprise(&data.credit_code, &user, e.members.keys());
                tx.save(&book)?;
                tx.insert(&e)?;
                tx.message(
                    &user,
                    Module::Enterprise,
                    &data.credit_code,
                    "企业认领成功",
                    format!("您已成为 {} 的管理员", data.name),
                )?;
                tx.log(
                    &user,
                    LogKind::Enterprise,
                    format!("企业认领完成 {}", data.name),
                )?;
            }
            ApplicationKind::Join {
                enterprise,
                seals,
                period,
                ..
            } => {
                let mut e: Versioned<Enterprise> = tx.store.load("enterprise", &enterprise)?;
                e.add_member(&user, tx.now)?;
                let mut book = Self::mirrored_seal_book(tx, &e)?;
                let admin = e.admin.clone();
                Self::grant_kinds(&mut book, &admin, &enterprise, &user, &seals, period)?;
                tx.save(&book)?;
                tx.save(&e)?;
                tx.message(
                    &user,
                    Module::Enterprise,
                    &enterprise,
                    "加入企业成功",
                    format!("您已加入 {}", e.data.name),
                )?;
                tx.log(
                    &user,
                    LogKind::Enterprise,
                    format!("加入企业 {}", e.data.name),
                )?;
            }
            ApplicationKind::Certificate { .. } => {
                tx.message(
                    &user,
                    Module::Certificates,
                    &app.id,
                    "证书可下载",
                    "证书申请已完成，请在证书管理中下载",
                )?;
            }
            ApplicationKind::Seal { .. } => {
                tx.message(
                    &user,
                    Module::Seals,
                    &app.id,
                    "印章可采集",
                    "印章办理已完成，请在印章管理中采集",
                )?;
            }
        }
        Ok(())
    }

    /// The enterprise's seal book with its administrator and members
    /// mirrored from `e` (grants of users no longer members stop working);
    /// the caller saves it.
    fn mirrored_seal_book(tx: &Tx<'_, S>, e: &Enterprise) -> Result<Versioned<SealBookRow>> {
        let mut book: Versioned<SealBookRow> = tx
            .store
            .load("seal book", &SealBookRow::enterprise_key(e.code()))?;
        book.book
            .sync_enterprise(e.code(), &e.admin, e.members.keys());
        Ok(book)
    }

    /// Grant the enterprise's active seals of `kinds` to `member`.
    fn grant_kinds(
        book: &mut Versioned<SealBookRow>,
        admin: &str,
        code: &str,
        member: &str,
        kinds: &[u32],
        period: DateRange,
    ) -> Result<()> {
        let owner = crate::seal::manage::SealOwner::Enterprise(code.into());
        let ids: Vec<u64> = book
            .book
            .seals_of(&owner)
            .into_iter()
            .filter(|s| {
                kinds.contains(&s.kind)
                    && !matches!(s.state, crate::seal::manage::SealState::Replaced { .. })
            })
            .map(|s| s.id)
            .collect();
        if !ids.is_empty() {
            book.book
                .grant(admin, code, &ids, &[member], period.from, period.to)?;
        }
        Ok(())
    }

    // ----- audits -----

    /// The audits `viewer` reviews (an administrator: those of their
    /// enterprises; back-office staff: the back office's), optionally by
    /// kind and state, newest first.
    pub fn audits_to_review(
        &self,
        viewer: &str,
        kind: Option<AuditKind>,
        state: Option<&str>,
    ) -> Result<Vec<Audit>> {
        let reviewer_keys: Vec<String> = if self.config.staff.iter().any(|s| s == viewer) {
            vec![BACK_OFFICE.into()]
        } else {
            self.active(viewer, "review audits")?;
            self.store
                .find_by::<Enterprise>("admin", viewer)?
                .into_iter()
                .map(|e| e.data.credit_code.clone())
                .collect()
        };
        let mut v = Vec::new();
        for k in reviewer_keys {
            for a in self.store.find_by::<Audit>("reviewer", &k)? {
                if kind.is_none_or(|x| x == a.kind) && state.is_none_or(|s| s == a.state.name()) {
                    v.push(a.value);
                }
            }
        }
        v.sort_by(|a, b| b.id.cmp(&a.id));
        Ok(v)
    }

    /// The audits `user` asked for.
    pub fn my_audits(&self, user: &str) -> Result<Vec<Audit>> {
        Ok(self
            .store
            .find_by::<Audit>("applicant", user)?
            .into_iter()
            .map(|a| a.value)
            .collect())
    }

    fn may_review(&self, tx: &Tx<'_, S>, reviewer: &str, audit: &Audit) -> Result<()> {
        if audit.kind.by_administrator() {
            let code = audit.enterprise.clone().unwrap_or_default();
            let e: Versioned<Enterprise> = tx.store.load("enterprise", &code)?;
            let Some(a) = tx
                .store
                .try_load::<crate::domain::account::Account>(reviewer)?
            else {
                return Err(forbidden(
                    reviewer,
                    "review this request",
                    format!("only the administrator of {} may", e.data.name),
                ));
            };
            a.require_active("review audits")?;
            e.require_admin(reviewer, "review this request")
        } else {
            self.require_staff(reviewer, "review this request")
        }
    }

    /// Approve an audit, once; its effect happens in the same commit.
    pub fn approve_audit(&self, reviewer: &str, id: &str) -> Result<Audit> {
        self.atomically(|tx| {
            let mut audit: Versioned<Audit> = tx.store.load("audit", id)?;
            self.may_review(tx, reviewer, &audit)?;
            audit.approve(reviewer, tx.now)?;
            tx.save(&audit)?;
            self.approved_effect(tx, &audit)?;
            let applicant = audit.applicant.clone();
            tx.message(
                &applicant,
                Module::Audits,
                id,
                format!("{}已通过", audit.kind.label_zh()),
                format!("您的{}申请已审核通过", audit.kind.label_zh()),
            )?;
            Ok(audit.value.clone())
        })
    }

    /// Return an audit with a reason type and a description (≤ 500
    /// characters), once.
    pub fn return_audit(
        &self,
        reviewer: &str,
        id: &str,
        kind: ReturnKind,
        text: &str,
    ) -> Result<Audit> {
        self.atomically(|tx| {
            let mut audit: Versioned<Audit> = tx.store.load("audit", id)?;
            self.may_review(tx, reviewer, &audit)?;
            audit.return_(reviewer, kind, text, tx.now)?;
            tx.save(&audit)?;
            self.returned_effect(tx, &audit)?;
            let applicant = audit.applicant.clone();
            tx.message(
                &applicant,
                Module::Audits,
                id,
                format!("{}已退回", audit.kind.label_zh()),
                text.trim().to_string(),
            )?;
            Ok(audit.value.clone())
        })
    }

    fn approved_effect(&self, tx: &mut Tx<'_, S>, audit: &Audit) -> Result<()> {
        let code = audit.enterprise.clone().unwrap_or_default();
        match audit.kind {
            AuditKind::JoinEnterprise
            | AuditKind::EnterpriseClaim
            | AuditKind::CertificateApplication
            | AuditKind::SealApplication => {
                let mut app: Versioned<Application> =
                    tx.store.load("application", &audit.subject)?;
                if app.approved(tx.now)? {
                    self.complete_application(tx, &mut app, None)?;
                }
                tx.save(&app)?;
            }
            AuditKind::SealUse => {
                let e: Versioned<Enterprise> = tx.store.load("enterprise", &code)?;
                if !e.is_member(&audit.applicant) {
                    return Err(invalid_state("membership", "ended", "grant seals to"));
                }
                let mut book: Versioned<SealBookRow> = tx
                    .store
                    .load("seal book", &SealBookRow::enterprise_key(&code))?;
                let period = audit
                    .detail
                    .period
                    .ok_or_else(|| Error::param("period", "missing"))?;
                let ids: Vec<u64> = audit
                    .subject
                    .split(',')
                    .filter_map(|s| s.parse().ok())
                    .collect();
                book.book.grant(
                    &e.admin,
                    &code,
                    &ids,
                    &[audit.applicant.as_str()],
                    period.from,
                    period.to,
                )?;
                tx.save(&book)?;
            }
            AuditKind::LeaveEnterprise => {
                let mut e: Versioned<Enterprise> = tx.store.load("enterprise", &code)?;
                e.leave(&audit.applicant)?;
                let book = Self::mirrored_seal_book(tx, &e)?;
                tx.save(&book)?;
                tx.save(&e)?;
                tx.log(
                    &audit.applicant,
                    LogKind::Enterprise,
                    format!("退出企业 {}", e.data.name),
                )?;
            }
            AuditKind::SealReplacement => self.replacement_decided(tx, audit, true)?,
            AuditKind::EnterpriseChange => {
                let mut e: Versioned<Enterprise> = tx.store.load("enterprise", &code)?;
                e.finish_change(audit.enterprise_data.clone())?;
                tx.save(&e)?;
            }
            AuditKind::EnterpriseAppeal => {
                let mut e: Versioned<Enterprise> = tx.store.load("enterprise", &code)?;
                let a = tx
                    .store
                    .load::<crate::domain::account::Account>("account", &audit.applicant)?;
                let name = a.display_name();
                e.restore((&audit.applicant, &name, &a.phone), tx.now)?;
                if let Some(d) = &audit.enterprise_data {
                    e.data = d.clone();
                }
                let book = Self::mirrored_seal_book(tx, &e)?;
                tx.save(&book)?;
                tx.save(&e)?;
            }
            AuditKind::AccountAppeal => Self::restore_account(tx, &audit.applicant)?,
        }
        Ok(())
    }

    fn returned_effect(&self, tx: &mut Tx<'_, S>, audit: &Audit) -> Result<()> {
        match audit.kind {
            AuditKind::JoinEnterprise
            | AuditKind::EnterpriseClaim
            | AuditKind::CertificateApplication
            | AuditKind::SealApplication => {
                let mut app: Versioned<Application> =
                    tx.store.load("application", &audit.subject)?;
                app.returned()?;
                Self::settle_order_of(tx, &app, "申请被退回，自动申请退费")?;
                tx.save(&app)?;
            }
            AuditKind::SealReplacement => self.replacement_decided(tx, audit, false)?,
            AuditKind::EnterpriseChange => {
                let code = audit.enterprise.clone().unwrap_or_default();
                let mut e: Versioned<Enterprise> = tx.store.load("enterprise", &code)?;
                e.finish_change(None)?;
                tx.save(&e)?;
            }
            AuditKind::SealUse
            | AuditKind::LeaveEnterprise
            | AuditKind::EnterpriseAppeal
            | AuditKind::AccountAppeal => {}
        }
        Ok(())
    }

    // ----- management -----

    /// The enterprise's detail (§8); members only.
    pub fn enterprise(&self, user: &str, code: &str) -> Result<Enterprise> {
        self.active(user, "view the enterprise")?;
        let e: Versioned<Enterprise> = self.store.load("enterprise", code)?;
        if !e.is_member(user) {
            return Err(forbidden(user, "view the enterprise", "not a member"));
        }
        Ok(e.value)
    }

    /// The enterprises `user` belongs to.
    pub fn my_enterprises(&self, user: &str) -> Result<Vec<Enterprise>> {
        Ok(self
            .store
            .find_by::<Enterprise>("member", user)?
            .into_iter()
            .map(|e| e.value)
            .collect())
    }

    /// The administrator removes a member (§8); their grants stop working.
    pub fn remove_member(&self, admin: &str, code: &str, member: &str) -> Result<()> {
        self.active(admin, "remove members")?;
        self.atomically(|tx| {
            let mut e: Versioned<Enterprise> = tx.store.load("enterprise", code)?;
            e.remove_member(admin, member)?;
            let book = Self::mirrored_seal_book(tx, &e)?;
            tx.save(&book)?;
            tx.save(&e)?;
            tx.message(
                member,
                Module::Enterprise,
                code,
                "已被移出企业",
                format!("您已被移出 {}", e.data.name),
            )?;
            tx.log(admin, LogKind::Enterprise, format!("移除成员 {member}"))
        })
    }

    /// The administrator hands administration to a member (§8).
    pub fn change_admin(&self, admin: &str, code: &str, to: &str) -> Result<()> {
        self.active(admin, "change the administrator")?;
        let new = self.active(to, "become administrator")?;
        let name = new.display_name();
        self.atomically(|tx| {
            let mut e: Versioned<Enterprise> = tx.store.load("enterprise", code)?;
            e.change_admin(admin, (to, &name, &new.phone))?;
            let book = Self::mirrored_seal_book(tx, &e)?;
            tx.save(&book)?;
            tx.save(&e)?;
            tx.message(
                to,
                Module::Enterprise,
                code,
                "您已成为企业管理员",
                e.data.name.clone(),
            )?;
            tx.log(admin, LogKind::Enterprise, format!("变更管理员为 {name}"))
        })
    }

    /// The administrator asks to change the enterprise's data (§8):
    /// reviewed by the back office; the credit code stays.
    pub fn request_enterprise_change(&self, admin: &str, data: EnterpriseData) -> Result<String> {
        let (_, card) = self.card_of(admin, "change the enterprise")?;
        let data = data.validate()?;
        self.atomically(|tx| {
            let mut e: Versioned<Enterprise> = tx.store.load("enterprise", &data.credit_code)?;
            e.require_admin(admin, "change the enterprise data")?;
            let detail = AuditDetail {
                enterprise_name: Some(data.name.clone()),
                credit_code: Some(data.credit_code.clone()),
                ..AuditDetail::default()
            };
            let audit = Self::new_audit(
                tx,
                AuditKind::EnterpriseChange,
                admin,
                &card.name,
                Some(data.credit_code.clone()),
                &data.credit_code,
                detail,
                Some(data.clone()),
            )?;
            e.request_change(admin, &audit)?;
            tx.save(&e)?;
            tx.log(
                admin,
                LogKind::Enterprise,
                format!("申请企业变更 {}", data.name),
            )?;
            Ok(audit)
        })
    }

    /// The administrator deregisters the enterprise (§8): every account is
    /// unbound from it.
    pub fn deregister_enterprise(&self, admin: &str, code: &str) -> Result<()> {
        self.active(admin, "deregister the enterprise")?;
        self.atomically(|tx| {
            let mut e: Versioned<Enterprise> = tx.store.load("enterprise", code)?;
            let former = e.deregister(admin, tx.now)?;
            // Open join requests can no longer take effect.
            for mut app in tx.store.find_by::<Application>("enterprise", code)? {
                if app.state == crate::domain::application::ApplicationState::Open {
                    Self::withdraw(tx, &mut app, admin, "企业已注销，加入申请撤回", true)?;
                }
            }
            let book = Self::mirrored_seal_book(tx, &e)?;
            tx.save(&book)?;
            tx.save(&e)?;
            for m in former {
                tx.message(
                    &m,
                    Module::Enterprise,
                    code,
                    "企业已注销",
                    e.data.name.clone(),
                )?;
            }
            tx.log(
                admin,
                LogKind::Enterprise,
                format!("注销企业 {}", e.data.name),
            )
        })
    }

    /// Appeal a deregistered enterprise with the licence and an appeal
    /// letter (§15.7); the back office decides.
    pub fn appeal_enterprise(
        &self,
        user: &str,
        code: &str,
        licence: &[u8],
        letter: &[u8],
    ) -> Result<String> {
        let (_, card) = self.card_of(user, "appeal an enterprise")?;
        let licence = crate::domain::Document::upload("business licence", licence)?;
        let letter = crate::domain::Document::upload("appeal letter", letter)?;
        self.atomically(|tx| {
            let e: Versioned<Enterprise> = tx.store.load("enterprise", code)?;
            e.check_appealable()?;
            tx.lock(format!("appeal:{code}"))?;
            let pending = tx
                .store
                .find_by::<Audit>("subject", code)?
                .into_iter()
                .any(|a| a.kind == AuditKind::EnterpriseAppeal && a.state == AuditState::Pending);
            if pending {
                return Err(invalid_state("enterprise", "under appeal", "appeal"));
            }
            let mut data = e.data.clone();
            data.licence = licence.clone();
            data.letter = letter.clone();
            let detail = AuditDetail {
                enterprise_name: Some(e.data.name.clone()),
                credit_code: Some(code.into()),
                ..AuditDetail::default()
            };
            let id = Self::new_audit(
                tx,
                AuditKind::EnterpriseAppeal,
                user,
                &card.name,
                Some(code.into()),
                code,
                detail,
                Some(data),
            )?;
            tx.log(
                user,
                LogKind::Enterprise,
                format!("企业账号申诉 {}", e.data.name),
            )?;
            Ok(id)
        })
    }

    /// A member asks to leave (§11 退出企业); the administrator decides.
    pub fn request_leave(&self, user: &str, code: &str, why: &str) -> Result<String> {
        let (_, card) = self.card_of(user, "leave an enterprise")?;
        let why = reason("leave reason", why)?;
        self.atomically(|tx| {
            let e: Versioned<Enterprise> = tx.store.load("enterprise", code)?;
            e.require_active("leave")?;
            if !e.is_member(user) {
                return Err(forbidden(user, "leave the enterprise", "not a member"));
            }
            if e.admin == user {
                return Err(invalid_state(
                    "membership",
                    "the administrator",
                    "leave (hand over administration first)",
                ));
            }
            let detail = AuditDetail {
                enterprise_name: Some(e.data.name.clone()),
                credit_code: Some(code.into()),
                reason: Some(why.clone()),
                ..AuditDetail::default()
            };
            let id = Self::new_audit(
                tx,
                AuditKind::LeaveEnterprise,
                user,
                &card.name,
                Some(code.into()),
                code,
                detail,
                None,
            )?;
            let admin = e.admin.clone();
            tx.message(
                &admin,
                Module::Audits,
                &id,
                "新的退出企业申请",
                card.name.clone(),
            )?;
            Ok(id)
        })
    }

    /// A member asks for permission to use seals for a period (§11 用章权限).
    pub fn request_seal_use(
        &self,
        user: &str,
        code: &str,
        seals: &[u64],
        period: DateRange,
        why: &str,
    ) -> Result<String> {
        let (_, card) = self.card_of(user, "ask to use seals")?;
        let why = reason("seal use reason", why)?;
        if seals.is_empty() {
            return Err(Error::param("seals", "choose at least one seal"));
        }
        self.atomically(|tx| {
            let e: Versioned<Enterprise> = tx.store.load("enterprise", code)?;
            e.require_active("ask to use seals of")?;
            if !e.is_member(user) {
                return Err(forbidden(user, "ask to use seals", "not a member"));
            }
            let book: Versioned<SealBookRow> = tx
                .store
                .load("seal book", &SealBookRow::enterprise_key(code))?;
            let mut labels = Vec::new();
            for id in seals {
                let s = book.book.seal(*id)?;
                labels.push(SealKind::from_code(s.kind).label_zh().to_string());
            }
            let detail = AuditDetail {
                enterprise_name: Some(e.data.name.clone()),
                credit_code: Some(code.into()),
                seals: labels,
                period: Some(period),
                reason: Some(why.clone()),
                ..AuditDetail::default()
            };
            let subject = seals
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let id = Self::new_audit(
                tx,
                AuditKind::SealUse,
                user,
                &card.name,
                Some(code.into()),
                &subject,
                detail,
                None,
            )?;
            let admin = e.admin.clone();
            tx.message(
                &admin,
                Module::Audits,
                &id,
                "新的用章申请",
                card.name.clone(),
            )?;
            Ok(id)
        })
    }

    /// Which identities `user` may act as: the person and each active
    /// enterprise they belong to.
    pub fn identities(&self, user: &str) -> Result<Vec<Holder>> {
        self.verified(user, "choose an identity")?;
        let mut v = vec![Holder::Person];
        for e in self.store.find_by::<Enterprise>("member", user)? {
            if e.require_active("act for").is_ok() {
                v.push(Holder::Enterprise(e.data.credit_code.clone()));
            }
        }
        Ok(v)
    }
}
