//! The catalogue, orders and money, my trading platforms, addresses,
//! invoice titles, points and coupons (§4, §12, §15.1–§15.3, §15.6).

use serde::Serialize;

use super::{Services, Tx};
use crate::domain::application::{Application, Holder};
use crate::domain::catalog::{InstitutionKind, Package, PackageKind, Platform};
use crate::domain::content::{LogKind, Module};
use crate::domain::enterprise::Enterprise;
use crate::domain::order::{
    Coupon, Order, OrderItem, OrderPurpose, OrderState, PaymentMethod, PointsEntry, points_for,
};
use crate::domain::profile::{Address, AddressInput, InvoiceTitle, InvoiceTitleInput};
use crate::domain::{Cents, invalid_state, text};
use crate::error::{Error, Result};
use crate::qr::QuotaKey;
use crate::store::{Store, StoreExt, Versioned};
use crate::time::Date;

/// The quota of one institution kind on one platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlatformQuota {
    /// Whose: an ID number or a credit code.
    pub holder: String,
    /// The holder's name.
    pub holder_name: String,
    /// CA or seal.
    pub institution: InstitutionKind,
    /// Uses left.
    pub remaining: u64,
}

/// One of "my trading platforms" (§12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlatformSummary {
    /// The platform.
    pub platform: Platform,
    /// Quotas of the enterprise(s) and of the person.
    pub quotas: Vec<PlatformQuota>,
}

/// The quota movements an order's items stand for.
fn quota_moves(o: &Order) -> Vec<(QuotaKey, u64)> {
    o.items
        .iter()
        .filter(|i| i.uses() > 0)
        .map(|i| {
            (
                QuotaKey {
                    holder: o.holder.clone(),
                    platform: o.platform.clone(),
                    institution: i.package.institution.quota_name(),
                },
                i.uses(),
            )
        })
        .collect()
}

/// Most addresses, and most invoice titles, per user.
const MAX_LISTED: usize = 20;

/// A per-user list with at most one default entry (addresses, invoice
/// titles), kept by one set of workflow steps.
trait DefaultedList: crate::store::Entity {
    /// The entry's name in errors.
    const WHAT: &'static str;
    /// The list's name in errors.
    const LIST: &'static str;
    /// The state a full list is in.
    const FULL: &'static str;
    /// The lock scope prefix of a user's list.
    const SCOPE: &'static str;
    fn row_id(&self) -> &str;
    fn owner(&self) -> &str;
    fn is_default(&self) -> bool;
    fn set_default(&mut self, default: bool);
}

macro_rules! defaulted_list {
    ($t:ty, $what:literal, $list:literal, $full:literal, $scope:literal) => {
        impl DefaultedList for $t {
            const WHAT: &'static str = $what;
            const LIST: &'static str = $list;
            const FULL: &'static str = $full;
            const SCOPE: &'static str = $scope;
            fn row_id(&self) -> &str {
                &self.id
            }
            fn owner(&self) -> &str {
                &self.user
            }
            fn is_default(&self) -> bool {
                self.default
            }
            fn set_default(&mut self, default: bool) {
                self.default = default;
            }
        }
    };
}

defaulted_list!(
    Address,
    "address",
    "address book",
    "full (20 addresses)",
    "addresses"
);
defaulted_list!(
    InvoiceTitle,
    "invoice title",
    "invoice titles",
    "full (20 titles)",
    "titles"
);

/// Which orders to list (§15.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderFilter {
    /// 全部.
    All,
    /// 待支付.
    Pending,
    /// 已支付.
    Paid,
}

impl<S: Store> Services<S> {
    // ----- catalogue -----

    /// Back office: publish a platform.
    pub fn add_platform(&self, staff: &str, p: Platform) -> Result<()> {
        self.require_staff(staff, "publish platforms")?;
        crate::qr::validate_platform_code(&p.code)?;
        let p = Platform {
            name: text("platform name", &p.name, 2, 100)?,
            region: text("region", &p.region, 2, 30)?,
            ..p
        };
        self.atomically(|tx| tx.insert(&p))
    }

    /// Back office: publish a package.
    pub fn add_package(&self, staff: &str, p: Package) -> Result<()> {
        self.require_staff(staff, "publish packages")?;
        self.store.load::<Platform>("platform", &p.platform)?;
        let p = Package {
            name: text("package name", &p.name, 2, 100)?,
            institution_name: text("institution name", &p.institution_name, 2, 50)?,
            ..p
        };
        if p.term_months == 0 || p.term_months > 120 {
            return Err(Error::param("term", "1 to 120 months"));
        }
        self.atomically(|tx| tx.insert(&p))
    }

    /// The regions that have platforms, sorted.
    pub fn regions(&self) -> Result<Vec<String>> {
        let mut r: Vec<String> = self
            .store
            .all::<Platform>()?
            .into_iter()
            .map(|p| p.value.region)
            .collect();
        r.sort();
        r.dedup();
        Ok(r)
    }

    /// The platforms of a region (§4: region → platform), optionally
    /// filtered by name.
    pub fn platforms(&self, region: &str, name: Option<&str>) -> Result<Vec<Platform>> {
        Ok(self
            .store
            .find_by::<Platform>("region", region.trim())?
            .into_iter()
            .map(|p| p.value)
            .filter(|p| name.is_none_or(|n| p.name.contains(n.trim())))
            .collect())
    }

    /// The packages on a platform (the CA tab and the seal tab).
    pub fn packages(&self, platform: &str) -> Result<Vec<Package>> {
        Ok(self
            .store
            .find_by::<Package>("platform", platform)?
            .into_iter()
            .map(|p| p.value)
            .collect())
    }

    // ----- orders -----

    /// Build and insert an order in `tx`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn place_order(
        &self,
        tx: &mut Tx<'_, S>,
        user: &str,
        enterprise: Option<(String, String)>,
        holder: &str,
        platform: &str,
        items: &[(String, u32)],
        purpose: OrderPurpose,
        coupon: Option<&str>,
        want: &[PackageKind],
    ) -> Result<Order> {
        tx.store.load::<Platform>("platform", platform)?;
        if items.is_empty() {
            return Err(Error::param("packages", "choose at least one package"));
        }
        let mut lines = Vec::new();
        let mut total = Cents(0);
        for (id, qty) in items {
            let p: Versioned<Package> = tx.store.load("package", id)?;
            if p.platform != platform {
                return Err(Error::param(
                    "packages",
                    format!("{} is not sold on {platform}", p.name),
                ));
            }
            if !want.contains(&p.kind) {
                return Err(Error::param(
                    "packages",
                    format!("{} is not a package for this", p.name),
                ));
            }
            let expected = if enterprise.is_some() {
                crate::domain::catalog::HolderKind::Enterprise
            } else {
                crate::domain::catalog::HolderKind::Person
            };
            if p.holder != expected {
                return Err(Error::param(
                    "packages",
                    format!("{} is for another kind of holder", p.name),
                ));
            }
            let line = OrderItem::new(p.value.clone(), *qty)?;
            total = total.plus(line.amount()?)?;
            lines.push(line);
        }
        let number = format!(
            "RL{}{:08}",
            super::account::stamp(tx.now).replace(['-', ' ', ':'], ""),
            tx.store.next_id("order")?
        );
        let mut discount = Cents(0);
        if let Some(code) = coupon {
            let mut c: Versioned<Coupon> = tx.store.load("coupon", code)?;
            if c.user != user {
                return Err(Error::NotFound {
                    what: "coupon",
                    key: code.into(),
                });
            }
            discount = c.redeem(&number, total, Date::from_time(tx.now))?;
            tx.save(&c)?;
        }
        let order = Order {
            number,
            user: user.into(),
            enterprise,
            holder: holder.into(),
            platform: platform.into(),
            items: lines,
            total,
            discount,
            coupon: coupon.map(str::to_string),
            purpose,
            created: tx.now,
            state: OrderState::Pending,
            refund: None,
            invoices: Vec::new(),
            credited: false,
        };
        tx.insert(&order)?;
        tx.log(
            user,
            LogKind::Order,
            format!("下单 {} {}", order.number, order.due()),
        )?;
        tx.message(
            user,
            Module::Orders,
            &order.number,
            "订单待支付",
            format!("订单 {} 待支付 {}", order.number, order.due()),
        )?;
        Ok(order)
    }

    /// Cancel a pending order in `tx` (its application was returned),
    /// giving its coupon back.
    pub(super) fn cancel_order(tx: &mut Tx<'_, S>, number: &str) -> Result<()> {
        let mut o: Versioned<Order> = tx.store.load("order", number)?;
        if o.state != OrderState::Pending {
            return Ok(());
        }
        o.cancel(tx.now)?;
        if let Some(code) = &o.coupon {
            let mut c: Versioned<Coupon> = tx.store.load("coupon", code)?;
            c.release();
            tx.save(&c)?;
        }
        tx.save(&o)
    }

    /// The user's orders, newest first.
    pub fn orders(&self, user: &str, filter: OrderFilter) -> Result<Vec<Order>> {
        self.active(user, "list orders")?;
        let mut v: Vec<Order> = self
            .store
            .find_by::<Order>("user", user)?
            .into_iter()
            .map(|o| o.value)
            .filter(|o| match filter {
                OrderFilter::All => true,
                OrderFilter::Pending => o.state == OrderState::Pending,
                OrderFilter::Paid => matches!(o.state, OrderState::Paid { .. }),
            })
            .collect();
        v.sort_by(|a, b| b.created.cmp(&a.created).then(b.number.cmp(&a.number)));
        Ok(v)
    }

    /// One order's detail; only its owner sees it.
    pub fn order(&self, user: &str, number: &str) -> Result<Order> {
        self.active(user, "view orders")?;
        let o: Versioned<Order> = self.store.load("order", number)?;
        if o.user != user {
            return Err(Error::NotFound {
                what: "order",
                key: number.into(),
            });
        }
        Ok(o.value)
    }

    /// Pay an order, once (§15.1 继续支付): the amount due, by `method`,
    /// with the payment provider's reference. Points are earned and its
    /// application moved on in the same commit; the uses it buys are added
    /// to the quota now, or for an application when the application takes
    /// effect (nothing is usable before its review passed).
    pub fn pay_order(
        &self,
        user: &str,
        number: &str,
        method: PaymentMethod,
        amount: Cents,
        reference: &str,
    ) -> Result<Order> {
        self.active(user, "pay")?;
        self.atomically(|tx| {
            let mut o: Versioned<Order> = tx.store.load("order", number)?;
            if o.user != user {
                return Err(Error::NotFound {
                    what: "order",
                    key: number.into(),
                });
            }
            o.pay(method, amount, reference, tx.now)?;
            let points = points_for(o.due());
            if points > 0 {
                tx.insert(&PointsEntry {
                    id: format!("P{:08}", tx.store.next_id("points")?),
                    user: user.into(),
                    delta: points,
                    reason: format!("订单 {}", o.number),
                    at: tx.now,
                })?;
            }
            tx.log(
                user,
                LogKind::Order,
                format!("支付订单 {} {} {}", o.number, o.due(), method.label_zh()),
            )?;
            match o.purpose.clone() {
                OrderPurpose::Application(app) => {
                    let mut a: Versioned<Application> = tx.store.load("application", &app)?;
                    if a.paid(tx.now)? {
                        self.complete_application(tx, &mut a, Some(&mut o))?;
                    }
                    tx.save(&a)?;
                }
                OrderPurpose::CertificateExtension(serial) => {
                    Self::credit(tx, &mut o)?;
                    self.extend_paid(tx, &o, &serial)?;
                }
                OrderPurpose::Platform => Self::credit(tx, &mut o)?,
            }
            tx.save(&o)?;
            Ok(o.value.clone())
        })
    }

    /// End an open application that can no longer take effect: it is
    /// returned, its pending audit returned by `by` with `why`, and (when
    /// `settle_order`) its unpaid order cancelled or its paid order turned
    /// into a refund request.
    pub(super) fn withdraw(
        tx: &mut Tx<'_, S>,
        app: &mut Versioned<Application>,
        by: &str,
        why: &str,
        settle_order: bool,
    ) -> Result<()> {
        app.returned()?;
        if let Some(id) = app.audit.clone() {
            let mut audit: Versioned<crate::domain::audit::Audit> = tx.store.load("audit", &id)?;
            if audit.state == crate::domain::audit::AuditState::Pending {
                audit.return_(by, crate::domain::audit::ReturnKind::Other, why, tx.now)?;
                tx.save(&audit)?;
            }
        }
        if settle_order {
            Self::settle_order_of(tx, app, why)?;
        }
        tx.save(app)?;
        let user = app.user.clone();
        tx.message(
            &user,
            Module::Audits,
            &app.id,
            "申请已撤回",
            why.to_string(),
        )
    }

    /// The order of an application that ended without effect: cancelled
    /// when unpaid, else turned into a refund request (a fully invoiced
    /// order stays as it is).
    pub(super) fn settle_order_of(tx: &mut Tx<'_, S>, app: &Application, why: &str) -> Result<()> {
        let Some(number) = app.order.clone() else {
            return Ok(());
        };
        let mut o: Versioned<Order> = tx.store.load("order", &number)?;
        if matches!(o.state, OrderState::Paid { .. }) {
            if o.request_refund(why, tx.now).is_ok() {
                tx.save(&o)?;
            }
            Ok(())
        } else {
            Self::cancel_order(tx, &number)
        }
    }

    /// Add the uses `o` bought to the quotas, once.
    pub(super) fn credit(tx: &mut Tx<'_, S>, o: &mut Order) -> Result<()> {
        if !o.credited {
            for (key, uses) in quota_moves(o) {
                tx.changes.quota_add(key, uses);
            }
            o.credited = true;
        }
        Ok(())
    }

    /// The user cancels an unpaid platform or extension order (an
    /// application's order ends with its application).
    pub fn cancel_unpaid_order(&self, user: &str, number: &str) -> Result<()> {
        self.active(user, "cancel orders")?;
        self.atomically(|tx| {
            let o: Versioned<Order> = tx.store.load("order", number)?;
            if o.user != user {
                return Err(Error::NotFound {
                    what: "order",
                    key: number.into(),
                });
            }
            if let OrderPurpose::Application(app) = &o.purpose {
                return Err(invalid_state(
                    "order",
                    format!("part of application {app}"),
                    "cancel (withdraw the application instead)",
                ));
            }
            if o.state != OrderState::Pending {
                return Err(invalid_state("order", o.state.name(), "cancel"));
            }
            Self::cancel_order(tx, number)?;
            tx.log(user, LogKind::Order, format!("取消订单 {number}"))
        })
    }

    /// Ask for a refund with an explanation (§15.1 退费申请).
    pub fn request_refund(&self, user: &str, number: &str, explanation: &str) -> Result<Cents> {
        self.active(user, "ask for a refund")?;
        self.atomically(|tx| {
            let mut o: Versioned<Order> = tx.store.load("order", number)?;
            if o.user != user {
                return Err(Error::NotFound {
                    what: "order",
                    key: number.into(),
                });
            }
            let amount = o.request_refund(explanation, tx.now)?;
            tx.save(&o)?;
            tx.log(
                user,
                LogKind::Order,
                format!("申请退费 {} {amount}", o.number),
            )?;
            Ok(amount)
        })
    }

    /// Back office: settle a refund. Approving takes back the uses the
    /// order bought; when some were consumed, the refund is refused.
    pub fn settle_refund(&self, staff: &str, number: &str, approve: bool) -> Result<Order> {
        self.require_staff(staff, "settle refunds")?;
        let consumed = self.atomically(|tx| {
            let mut o: Versioned<Order> = tx.store.load("order", number)?;
            let outcome = if approve {
                Ok(())
            } else {
                Err("refused by the back office".to_string())
            };
            o.settle_refund(outcome.clone(), tx.now)?;
            if approve {
                // A refunded application is withdrawn: it can no longer
                // take effect, and its pending review ends.
                if let OrderPurpose::Application(app) = &o.purpose {
                    let mut a: Versioned<Application> = tx.store.load("application", app)?;
                    if a.state == crate::domain::application::ApplicationState::Open {
                        Self::withdraw(tx, &mut a, staff, "订单已退费，申请撤回", false)?;
                    }
                }
                if o.credited {
                    for (key, uses) in quota_moves(&o) {
                        tx.changes.quota_take(key, uses);
                    }
                }
                let points = points_for(o.due());
                if points > 0 {
                    tx.insert(&PointsEntry {
                        id: format!("P{:08}", tx.store.next_id("points")?),
                        user: o.user.clone(),
                        delta: -points,
                        reason: format!("退费 {}", o.number),
                        at: tx.now,
                    })?;
                }
            }
            tx.save(&o)?;
            let user = o.user.clone();
            let text = if approve {
                format!("订单 {} 已退费 {}", o.number, o.refund_amount())
            } else {
                format!("订单 {} 退费未通过", o.number)
            };
            tx.message(&user, Module::Orders, number, "退费结果", text)?;
            Ok(o.value.clone())
        });
        match consumed {
            // The take failed: some uses are spent; refuse the refund.
            Err(Error::InvalidState {
                entity: "quota",
                state,
                ..
            }) => self.atomically(|tx| {
                let mut o: Versioned<Order> = tx.store.load("order", number)?;
                o.settle_refund(
                    Err(format!("the uses bought were consumed (quota {state})")),
                    tx.now,
                )?;
                tx.save(&o)?;
                let user = o.user.clone();
                tx.message(
                    &user,
                    Module::Orders,
                    number,
                    "退费结果",
                    format!("订单 {} 退费未通过：所购次数已使用", o.number),
                )?;
                Ok(o.value.clone())
            }),
            other => other,
        }
    }

    /// Ask for an invoice against the invoiceable amount (§15.1 开具发票).
    pub fn request_invoice(
        &self,
        user: &str,
        number: &str,
        amount: Cents,
        title: &str,
        address: &str,
    ) -> Result<Cents> {
        self.active(user, "ask for an invoice")?;
        self.atomically(|tx| {
            let mut o: Versioned<Order> = tx.store.load("order", number)?;
            let t: Versioned<InvoiceTitle> = tx.store.load("invoice title", title)?;
            let a: Versioned<Address> = tx.store.load("address", address)?;
            if o.user != user || t.user != user || a.user != user {
                return Err(Error::NotFound {
                    what: "order, title or address",
                    key: number.into(),
                });
            }
            o.request_invoice(amount, t.value.clone(), a.value.clone(), tx.now)?;
            tx.save(&o)?;
            tx.log(
                user,
                LogKind::Order,
                format!("申请开票 {} {amount}", o.number),
            )?;
            Ok(o.invoiceable())
        })
    }

    // ----- my trading platforms -----

    fn holders_of(&self, user: &str) -> Result<Vec<(String, String, Holder)>> {
        let (_, card) = self.card_of(user, "view platforms")?;
        let mut v = vec![(card.id_number.clone(), card.name.clone(), Holder::Person)];
        for e in self.store.find_by::<Enterprise>("member", user)? {
            v.push((
                e.data.credit_code.clone(),
                e.data.name.clone(),
                Holder::Enterprise(e.data.credit_code.clone()),
            ));
        }
        Ok(v)
    }

    /// My trading platforms (§12): every platform the person or their
    /// enterprises opened, with the uses left of each CA and seal package.
    pub fn my_platforms(&self, user: &str) -> Result<Vec<PlatformSummary>> {
        let holders = self.holders_of(user)?;
        let mut out: Vec<PlatformSummary> = Vec::new();
        for p in self.store.all::<Platform>()? {
            let mut quotas = Vec::new();
            for (id, name, _) in &holders {
                for kind in [InstitutionKind::Ca, InstitutionKind::Seal] {
                    let key = QuotaKey {
                        holder: id.clone(),
                        platform: p.code.clone(),
                        institution: kind.quota_name(),
                    };
                    if let Some(remaining) = self.store.quota(&key)? {
                        quotas.push(PlatformQuota {
                            holder: id.clone(),
                            holder_name: name.clone(),
                            institution: kind,
                            remaining,
                        });
                    }
                }
            }
            if !quotas.is_empty() {
                out.push(PlatformSummary {
                    platform: p.value,
                    quotas,
                });
            }
        }
        Ok(out)
    }

    /// Open a new platform, extend one or buy anew (§12; also "open a CA
    /// on the spot" while scanning, §17): an order of packages for the
    /// person or an enterprise the user belongs to.
    pub fn order_packages(
        &self,
        user: &str,
        holder: &Holder,
        platform: &str,
        items: &[(String, u32)],
        coupon: Option<&str>,
    ) -> Result<Order> {
        let (_, card) = self.card_of(user, "order packages")?;
        let (enterprise, holder_id) = match holder {
            Holder::Person => (None, card.id_number.clone()),
            Holder::Enterprise(code) => {
                let e: Versioned<Enterprise> = self.store.load("enterprise", code)?;
                e.require_active("order packages for")?;
                if !e.is_member(user) {
                    return Err(crate::domain::forbidden(
                        user,
                        "order for the enterprise",
                        "not a member",
                    ));
                }
                (Some((code.clone(), e.data.name.clone())), code.clone())
            }
        };
        self.atomically(|tx| {
            self.place_order(
                tx,
                user,
                enterprise.clone(),
                &holder_id,
                platform,
                items,
                OrderPurpose::Platform,
                coupon,
                &[PackageKind::New, PackageKind::Extension],
            )
        })
    }

    // ----- addresses and invoice titles -----

    fn clear_defaults<T: DefaultedList>(
        tx: &mut Tx<'_, S>,
        user: &str,
        except: &str,
    ) -> Result<()> {
        for mut row in tx.store.find_by::<T>("user", user)? {
            if row.is_default() && row.row_id() != except {
                row.set_default(false);
                tx.save(&row)?;
            }
        }
        Ok(())
    }

    /// Add to a user's list; the first entry is the default.
    fn add_listed<T: DefaultedList>(&self, user: &str, mut row: T) -> Result<T> {
        self.atomically(|tx| {
            tx.lock(format!("{}:{user}", T::SCOPE))?;
            let existing = tx.store.find_by::<T>("user", user)?;
            if existing.len() >= MAX_LISTED {
                return Err(invalid_state(T::LIST, T::FULL, "add to"));
            }
            if existing.is_empty() {
                row.set_default(true);
            }
            if row.is_default() {
                Self::clear_defaults::<T>(tx, user, row.row_id())?;
            }
            tx.insert(&row)?;
            Ok(row.clone())
        })
    }

    /// Replace an entry of a user's list; a default stays the default.
    fn update_listed<T: DefaultedList>(&self, user: &str, id: &str, new: T) -> Result<T> {
        self.atomically(|tx| {
            tx.lock(format!("{}:{user}", T::SCOPE))?;
            let mut row: Versioned<T> = tx.store.load(T::WHAT, id)?;
            if row.owner() != user {
                return Err(Error::NotFound {
                    what: T::WHAT,
                    key: id.into(),
                });
            }
            let was_default = row.is_default();
            row.value = new.clone();
            row.set_default(new.is_default() || was_default);
            if row.is_default() {
                Self::clear_defaults::<T>(tx, user, id)?;
            }
            tx.save(&row)?;
            Ok(row.value.clone())
        })
    }

    /// Delete an entry of a user's list; when it was the default, the
    /// oldest left becomes it.
    fn delete_listed<T: DefaultedList>(&self, user: &str, id: &str) -> Result<()> {
        self.atomically(|tx| {
            tx.lock(format!("{}:{user}", T::SCOPE))?;
            let row: Versioned<T> = tx.store.load(T::WHAT, id)?;
            if row.owner() != user {
                return Err(Error::NotFound {
                    what: T::WHAT,
                    key: id.into(),
                });
            }
            tx.changes.delete(&row);
            if row.is_default()
                && let Some(mut next) = tx
                    .store
                    .find_by::<T>("user", user)?
                    .into_iter()
                    .find(|x| x.row_id() != id)
            {
                next.set_default(true);
                tx.save(&next)?;
            }
            Ok(())
        })
    }

    /// Add a mailing address (§15.2); the first one is the default.
    pub fn add_address(&self, user: &str, input: AddressInput) -> Result<Address> {
        self.active(user, "add addresses")?;
        let id = self.id("address", "D")?;
        self.add_listed(user, input.validate(id, user.into())?)
    }

    /// Edit an address.
    pub fn update_address(&self, user: &str, id: &str, input: AddressInput) -> Result<Address> {
        self.active(user, "edit addresses")?;
        self.update_listed(user, id, input.validate(id.into(), user.into())?)
    }

    /// Delete an address; when it was the default, the oldest left becomes it.
    pub fn delete_address(&self, user: &str, id: &str) -> Result<()> {
        self.active(user, "delete addresses")?;
        self.delete_listed::<Address>(user, id)
    }

    /// The addresses, the default first.
    pub fn addresses(&self, user: &str) -> Result<Vec<Address>> {
        self.active(user, "list addresses")?;
        let mut v: Vec<Address> = self
            .store
            .find_by::<Address>("user", user)?
            .into_iter()
            .map(|a| a.value)
            .collect();
        v.sort_by_key(|a| !a.default);
        Ok(v)
    }

    /// Add an invoice title (§15.3); the first one is the default.
    pub fn add_invoice_title(&self, user: &str, input: InvoiceTitleInput) -> Result<InvoiceTitle> {
        self.active(user, "add invoice titles")?;
        let id = self.id("title", "T")?;
        self.add_listed(user, input.validate(id, user.into())?)
    }

    /// Edit an invoice title.
    pub fn update_invoice_title(
        &self,
        user: &str,
        id: &str,
        input: InvoiceTitleInput,
    ) -> Result<InvoiceTitle> {
        self.active(user, "edit invoice titles")?;
        self.update_listed(user, id, input.validate(id.into(), user.into())?)
    }

    /// Delete an invoice title.
    pub fn delete_invoice_title(&self, user: &str, id: &str) -> Result<()> {
        self.active(user, "delete invoice titles")?;
        self.delete_listed::<InvoiceTitle>(user, id)
    }

    /// The invoice titles matching `search` (all when `None`), default first.
    pub fn invoice_titles(&self, user: &str, search: Option<&str>) -> Result<Vec<InvoiceTitle>> {
        self.active(user, "list invoice titles")?;
        let mut v: Vec<InvoiceTitle> = self
            .store
            .find_by::<InvoiceTitle>("user", user)?
            .into_iter()
            .map(|t| t.value)
            .filter(|t| search.is_none_or(|q| t.matches(q)))
            .collect();
        v.sort_by_key(|t| !t.default);
        Ok(v)
    }

    // ----- points and coupons -----

    /// Points: the balance and the entries, newest first (§15.6).
    pub fn points(&self, user: &str) -> Result<(i64, Vec<PointsEntry>)> {
        self.active(user, "view points")?;
        let mut v: Vec<PointsEntry> = self
            .store
            .find_by::<PointsEntry>("user", user)?
            .into_iter()
            .map(|p| p.value)
            .collect();
        v.sort_by(|a, b| b.id.cmp(&a.id));
        Ok((v.iter().map(|p| p.delta).sum(), v))
    }

    /// Back office: give a user a coupon.
    pub fn issue_coupon(
        &self,
        staff: &str,
        user: &str,
        discount: Cents,
        minimum: Cents,
        valid_until: Date,
    ) -> Result<Coupon> {
        self.require_staff(staff, "issue coupons")?;
        self.active(user, "receive coupons")?;
        if discount == Cents(0) {
            return Err(Error::param("discount", "must be more than zero"));
        }
        let code = format!("YH{}", self.random_hex(6)?.to_uppercase());
        let c = Coupon {
            code,
            user: user.into(),
            discount,
            minimum,
            valid_until,
            used_on: None,
        };
        self.atomically(|tx| tx.insert(&c))?;
        Ok(c)
    }

    /// The user's coupons.
    pub fn coupons(&self, user: &str) -> Result<Vec<Coupon>> {
        self.active(user, "view coupons")?;
        Ok(self
            .store
            .find_by::<Coupon>("user", user)?
            .into_iter()
            .map(|c| c.value)
            .collect())
    }
}
