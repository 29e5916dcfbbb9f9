//! Orders and money (§15.1, §15.6): pending and paid orders, payment once,
//! refund requests, invoice requests against the invoiceable amount,
//! points and coupons. Money is integer cents; for every order
//! refunded + invoiced never exceeds what was paid.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::catalog::Package;
use super::profile::{Address, InvoiceTitle};
use super::{Cents, invalid_state, reason};
use crate::error::{Error, Result};
use crate::time::Date;

/// Most of one package in one order.
pub const MAX_QUANTITY: u32 = 1000;

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderItem {
    /// The package as sold.
    pub package: Package,
    /// How many.
    pub quantity: u32,
}

impl OrderItem {
    /// A line; quantity 1 to [`MAX_QUANTITY`].
    pub fn new(package: Package, quantity: u32) -> Result<Self> {
        if quantity == 0 || quantity > MAX_QUANTITY {
            return Err(Error::param(
                "quantity",
                format!("{quantity} is outside 1 to {MAX_QUANTITY}"),
            ));
        }
        Ok(Self { package, quantity })
    }

    /// Price × quantity.
    pub fn amount(&self) -> Result<Cents> {
        self.package
            .price
            .0
            .checked_mul(u64::from(self.quantity))
            .map(Cents)
            .ok_or_else(|| Error::param("amount", "overflow"))
    }

    /// Uses × quantity.
    pub fn uses(&self) -> u64 {
        self.package.uses.saturating_mul(u64::from(self.quantity))
    }
}

/// How an order was paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaymentMethod {
    /// 微信支付.
    WeChatPay,
    /// 支付宝.
    Alipay,
    /// 对公转账.
    BankTransfer,
}

impl PaymentMethod {
    /// Label.
    pub fn label_zh(self) -> &'static str {
        match self {
            PaymentMethod::WeChatPay => "微信支付",
            PaymentMethod::Alipay => "支付宝",
            PaymentMethod::BankTransfer => "对公转账",
        }
    }
}

/// The state of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderState {
    /// 待支付.
    Pending,
    /// 已支付.
    Paid {
        /// How.
        method: PaymentMethod,
        /// When.
        #[serde(with = "crate::time::serde_rfc3339")]
        at: SystemTime,
        /// The payment provider's reference.
        reference: String,
    },
    /// Cancelled before payment (its application was returned).
    Cancelled {
        /// When.
        #[serde(with = "crate::time::serde_rfc3339")]
        at: SystemTime,
    },
}

impl OrderState {
    /// Name.
    pub fn name(&self) -> &'static str {
        match self {
            OrderState::Pending => "pending payment",
            OrderState::Paid { .. } => "paid",
            OrderState::Cancelled { .. } => "cancelled",
        }
    }
}

/// A refund request and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RefundState {
    /// Asked.
    Requested,
    /// Refunded.
    Refunded {
        /// When.
        #[serde(with = "crate::time::serde_rfc3339")]
        at: SystemTime,
    },
    /// Refused (e.g. the uses were consumed).
    Refused {
        /// Why.
        reason: String,
    },
}

/// A refund request (退费申请).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    /// The explanation (1 to 500 characters).
    pub explanation: String,
    /// The amount.
    pub amount: Cents,
    /// Asked.
    #[serde(with = "crate::time::serde_rfc3339")]
    pub requested: SystemTime,
    /// State.
    pub state: RefundState,
}

/// An invoice request (开具发票).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceRequest {
    /// The amount.
    pub amount: Cents,
    /// The title as it was.
    pub title: InvoiceTitle,
    /// The address as it was.
    pub address: Address,
    /// Asked.
    #[serde(with = "crate::time::serde_rfc3339")]
    pub at: SystemTime,
}

/// What an order is for; its payment moves that on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderPurpose {
    /// An application (claim, join, certificate, seal).
    Application(String),
    /// Open a new platform, extend or buy anew: quota only.
    Platform,
    /// A certificate extension (the certificate's serial).
    CertificateExtension(String),
}

/// An order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// Order number, `RL` + time + sequence.
    pub number: String,
    /// Who ordered (user id).
    pub user: String,
    /// For an enterprise: (credit code, name).
    pub enterprise: Option<(String, String)>,
    /// Whose quota the uses go to: an ID number or a credit code.
    pub holder: String,
    /// The platform.
    pub platform: String,
    /// Lines.
    pub items: Vec<OrderItem>,
    /// Before discount.
    pub total: Cents,
    /// The coupon's discount.
    pub discount: Cents,
    /// The coupon used.
    pub coupon: Option<String>,
    /// What for.
    pub purpose: OrderPurpose,
    /// Placed.
    #[serde(with = "crate::time::serde_rfc3339")]
    pub created: SystemTime,
    /// State.
    pub state: OrderState,
    /// The refund, if asked.
    pub refund: Option<Refund>,
    /// Invoices asked.
    pub invoices: Vec<InvoiceRequest>,
    /// The uses it bought were added to the quota (at payment, or for an
    /// application when the application took effect).
    #[serde(default)]
    pub credited: bool,
}

impl Order {
    /// What is (or was) due.
    pub fn due(&self) -> Cents {
        self.total.minus(self.discount)
    }

    /// What was paid (zero unless paid).
    pub fn paid(&self) -> Cents {
        match self.state {
            OrderState::Paid { .. } => self.due(),
            _ => Cents(0),
        }
    }

    /// Refunded or being refunded.
    pub fn refund_amount(&self) -> Cents {
        match &self.refund {
            Some(Refund {
                amount,
                state: RefundState::Requested | RefundState::Refunded { .. },
                ..
            }) => *amount,
            _ => Cents(0),
        }
    }

    /// Invoiced so far.
    pub fn invoiced(&self) -> Cents {
        Cents(self.invoices.iter().map(|i| i.amount.0).sum())
    }

    /// 预计可开票金额: paid − refunded − invoiced.
    pub fn invoiceable(&self) -> Cents {
        self.paid()
            .minus(self.refund_amount())
            .minus(self.invoiced())
    }

    /// Pay, once, the amount due.
    pub fn pay(
        &mut self,
        method: PaymentMethod,
        amount: Cents,
        reference: &str,
        at: SystemTime,
    ) -> Result<()> {
        if self.state != OrderState::Pending {
            return Err(invalid_state("order", self.state.name(), "pay"));
        }
        if amount != self.due() {
            return Err(Error::param(
                "amount",
                format!("{amount} paid, {} due", self.due()),
            ));
        }
        let reference = super::text("payment reference", reference, 1, 64)?;
        self.state = OrderState::Paid {
            method,
            at,
            reference,
        };
        Ok(())
    }

    /// Cancel an unpaid order.
    pub fn cancel(&mut self, at: SystemTime) -> Result<()> {
        if self.state != OrderState::Pending {
            return Err(invalid_state("order", self.state.name(), "cancel"));
        }
        self.state = OrderState::Cancelled { at };
        Ok(())
    }

    /// Ask for a refund of what is not invoiced (§15.1).
    pub fn request_refund(&mut self, explanation: &str, at: SystemTime) -> Result<Cents> {
        let explanation = reason("refund explanation", explanation)?;
        if !matches!(self.state, OrderState::Paid { .. }) {
            return Err(invalid_state("order", self.state.name(), "refund"));
        }
        if let Some(r) = &self.refund
            && !matches!(r.state, RefundState::Refused { .. })
        {
            return Err(invalid_state(
                "order",
                "already refunded or being refunded",
                "refund",
            ));
        }
        let amount = self.paid().minus(self.invoiced());
        if amount == Cents(0) {
            return Err(invalid_state("order", "fully invoiced", "refund"));
        }
        self.refund = Some(Refund {
            explanation,
            amount,
            requested: at,
            state: RefundState::Requested,
        });
        Ok(amount)
    }

    /// Settle the refund request.
    pub fn settle_refund(
        &mut self,
        refunded: std::result::Result<(), String>,
        at: SystemTime,
    ) -> Result<()> {
        match &mut self.refund {
            Some(r) if r.state == RefundState::Requested => {
                r.state = match refunded {
                    Ok(()) => RefundState::Refunded { at },
                    Err(reason) => RefundState::Refused { reason },
                };
                Ok(())
            }
            _ => Err(invalid_state(
                "order",
                "without a refund request",
                "settle a refund of",
            )),
        }
    }

    /// Ask for an invoice of `amount` (at most the invoiceable amount).
    pub fn request_invoice(
        &mut self,
        amount: Cents,
        title: InvoiceTitle,
        address: Address,
        at: SystemTime,
    ) -> Result<()> {
        if !matches!(self.state, OrderState::Paid { .. }) {
            return Err(invalid_state("order", self.state.name(), "invoice"));
        }
        let max = self.invoiceable();
        if amount == Cents(0) || amount > max {
            return Err(Error::param(
                "invoice amount",
                format!("{amount} asked, {max} invoiceable"),
            ));
        }
        self.invoices.push(InvoiceRequest {
            amount,
            title,
            address,
            at,
        });
        Ok(())
    }
}

/// A change of a user's points (§15.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsEntry {
    /// Id.
    pub id: String,
    /// Whose.
    pub user: String,
    /// Gained (positive) or used (negative).
    pub delta: i64,
    /// Why.
    pub reason: String,
    /// When.
    #[serde(with = "crate::time::serde_rfc3339")]
    pub at: SystemTime,
}

/// Points earned by a payment: one per whole yuan.
pub fn points_for(paid: Cents) -> i64 {
    i64::try_from(paid.0 / 100).unwrap_or(i64::MAX)
}

/// A coupon (优惠券).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coupon {
    /// Code.
    pub code: String,
    /// Whose.
    pub user: String,
    /// Discount.
    pub discount: Cents,
    /// Least order total it applies to.
    pub minimum: Cents,
    /// Last day.
    pub valid_until: Date,
    /// The order it was used on.
    pub used_on: Option<String>,
}

impl Coupon {
    /// Use it on an order of `total` on `day`; the discount never exceeds
    /// the total.
    pub fn redeem(&mut self, order: &str, total: Cents, day: Date) -> Result<Cents> {
        if let Some(o) = &self.used_on {
            return Err(invalid_state("coupon", format!("used on order {o}"), "use"));
        }
        if day > self.valid_until {
            return Err(invalid_state(
                "coupon",
                format!("expired on {}", self.valid_until),
                "use",
            ));
        }
        if total < self.minimum {
            return Err(Error::param(
                "coupon",
                format!("applies from {}, the order is {total}", self.minimum),
            ));
        }
        self.used_on = Some(order.into());
        Ok(Cents(self.discount.0.min(total.0)))
    }

    /// Give it back (its order was cancelled before payment).
    pub fn release(&mut self) {
        self.used_on = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::{HolderKind, InstitutionKind, PackageKind};
    use crate::domain::profile::TitleKind;

    fn order(price: u64, qty: u32) -> Order {
        let package = Package {
            id: "P".into(),
            platform: "C1100005553".into(),
            institution: InstitutionKind::Ca,
            institution_name: "新疆CA".into(),
            holder: HolderKind::Person,
            kind: PackageKind::New,
            name: "个人移动证书新办-1年".into(),
            term_months: 12,
            price: Cents(price),
            uses: 10,
        };
        let item = OrderItem::new(package, qty).unwrap();
        Order {
            number: "RL1".into(),
            user: "U1".into(),
            enterprise: None,
            holder: "650102198503120019".into(),
            platform: "C1100005553".into(),
            total: item.amount().unwrap(),
            items: vec![item],
            discount: Cents(0),
            coupon: None,
            purpose: OrderPurpose::Platform,
            created: SystemTime::UNIX_EPOCH,
            state: OrderState::Pending,
            refund: None,
            invoices: Vec::new(),
            credited: false,
        }
    }

    fn title() -> (InvoiceTitle, Address) {
        (
            InvoiceTitle {
                id: "T1".into(),
                user: "U1".into(),
                kind: TitleKind::Personal,
                name: "欧勇".into(),
                email: "a@b.cn".into(),
                phone: None,
                company_address: None,
                bank: None,
                account: None,
                default: true,
            },
            Address {
                id: "D1".into(),
                user: "U1".into(),
                recipient: "欧勇".into(),
                phone: "18600008621".into(),
                region: "新疆".into(),
                detail: "光明路1号".into(),
                default: true,
            },
        )
    }

    #[test]
    fn paid_once_and_the_money_balances() {
        let t = SystemTime::UNIX_EPOCH;
        let mut o = order(10_000, 3);
        assert_eq!(o.due(), Cents(30_000));
        assert!(OrderItem::new(o.items[0].package.clone(), 0).is_err());
        assert!(o.request_refund("不需要了", t).is_err(), "unpaid");
        assert!(
            o.pay(PaymentMethod::Alipay, Cents(29_999), "r", t).is_err(),
            "wrong amount"
        );
        o.pay(PaymentMethod::Alipay, Cents(30_000), "r", t).unwrap();
        assert!(
            o.pay(PaymentMethod::Alipay, Cents(30_000), "r", t).is_err(),
            "twice"
        );
        let (ti, ad) = title();
        o.request_invoice(Cents(10_000), ti.clone(), ad.clone(), t)
            .unwrap();
        assert_eq!(o.invoiceable(), Cents(20_000));
        assert!(
            o.request_invoice(Cents(20_001), ti.clone(), ad.clone(), t)
                .is_err()
        );
        assert_eq!(o.request_refund("不需要了", t).unwrap(), Cents(20_000));
        assert_eq!(
            o.invoiceable(),
            Cents(0),
            "refunding money is not invoiceable"
        );
        assert!(o.request_refund("again", t).is_err());
        o.settle_refund(Err("no".into()), t).unwrap();
        assert_eq!(
            o.invoiceable(),
            Cents(20_000),
            "a refused refund frees it again"
        );
        assert!(o.settle_refund(Ok(()), t).is_err(), "nothing requested now");
        assert!(o.paid().0 >= o.refund_amount().0 + o.invoiced().0);
    }

    #[test]
    fn coupons_apply_once_and_never_exceed_the_total() {
        let day = Date::parse("2025-04-07").unwrap();
        let mut c = Coupon {
            code: "YH1".into(),
            user: "U1".into(),
            discount: Cents(50_000),
            minimum: Cents(100),
            valid_until: day,
            used_on: None,
        };
        assert!(
            c.redeem("RL0", Cents(99), day).is_err(),
            "below the minimum"
        );
        assert_eq!(c.redeem("RL1", Cents(30_000), day).unwrap(), Cents(30_000));
        assert!(c.redeem("RL2", Cents(30_000), day).is_err(), "used");
        c.release();
        assert!(
            c.redeem("RL3", Cents(30_000), day.add_days(1)).is_err(),
            "expired"
        );
        assert_eq!(points_for(Cents(12_399)), 123);
    }
}
