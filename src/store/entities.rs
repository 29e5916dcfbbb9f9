//! Which table each domain object lives in, its key and its indexes.

use crate::domain::account::{Account, Session, SmsCode};
use crate::domain::application::Application;
use crate::domain::audit::Audit;
use crate::domain::catalog::{Package, Platform};
use crate::domain::content::{Article, ChatThread, LogEntry, Message};
use crate::domain::enterprise::Enterprise;
use crate::domain::holding::{CaRecords, CertHolding, SealBookRow};
use crate::domain::order::{Coupon, Order, PointsEntry};
use crate::domain::profile::{Address, InvoiceTitle};

use super::Entity;

macro_rules! entity {
    ($t:ty, $table:literal, |$s:ident| $key:expr $(, [$($idx:literal => $val:expr),* $(,)?])? $(, extra |$e:ident| $extra:expr)?) => {
        impl Entity for $t {
            const TABLE: &'static str = $table;
            fn key(&self) -> String {
                let $s = self;
                $key
            }
            #[allow(unused_mut)]
            fn index(&self) -> Vec<(&'static str, String)> {
                let $s = self;
                let _ = $s;
                let mut v: Vec<(&'static str, String)> = vec![$($(($idx, $val)),*)?];
                $({ let $e = self; v.extend($extra); })?
                v
            }
        }
    };
}

entity!(Account, "accounts", |a| a.id.clone(), ["phone" => a.phone.clone()], extra |a| {
    let mut v: Vec<(&'static str, String)> = a
        .bindings
        .iter()
        .map(|b| ("binding", format!("{}:{}", b.provider.name(), b.external_id)))
        .collect();
    if let Some(c) = a.real_name.verified() {
        v.push(("id_number", c.id_number.clone()));
    }
    v
});
entity!(Session, "sessions", |s| s.token.clone(), ["user" => s.user.clone()]);
entity!(SmsCode, "sms_codes", |s| s.phone.clone());
entity!(
    Enterprise,
    "enterprises",
    |e| e.data.credit_code.clone(),
    extra | e | {
        let mut v: Vec<(&'static str, String)> =
            e.members.keys().map(|m| ("member", m.clone())).collect();
        if !e.admin.is_empty() {
            v.push(("admin", e.admin.clone()));
        }
        v
    }
);
entity!(Audit, "audits", |a| a.id.clone(), ["applicant" => a.applicant.clone(), "subject" => a.subject.clone()], extra |a| {
    let reviewer = if a.kind.by_administrator() {
        a.enterprise.clone().unwrap_or_default()
    } else {
        crate::domain::audit::BACK_OFFICE.to_string()
    };
    vec![("reviewer", reviewer)]
});
entity!(Application, "applications", |a| a.id.clone(), ["user" => a.user.clone()], extra |a| {
    use crate::domain::application::ApplicationKind;
    match &a.kind {
        ApplicationKind::Claim { data } => vec![("claim", data.credit_code.clone())],
        ApplicationKind::Join { enterprise, .. } => vec![("enterprise", enterprise.clone())],
        _ => Vec::new(),
    }
});
entity!(Order, "orders", |o| o.number.clone(), ["user" => o.user.clone(), "holder" => o.holder.clone()]);
entity!(Address, "addresses", |a| a.id.clone(), ["user" => a.user.clone()]);
entity!(InvoiceTitle, "invoice_titles", |t| t.id.clone(), ["user" => t.user.clone()]);
entity!(Message, "messages", |m| m.id.clone(), ["user" => m.user.clone()]);
entity!(Article, "articles", |a| a.id.clone());
entity!(LogEntry, "logs", |l| l.id.clone(), ["user" => l.user.clone()]);
entity!(ChatThread, "chats", |c| c.id.clone(), ["user" => c.user.clone()]);
entity!(PointsEntry, "points", |p| p.id.clone(), ["user" => p.user.clone()]);
entity!(Coupon, "coupons", |c| c.code.clone(), ["user" => c.user.clone()]);
entity!(Platform, "platforms", |p| p.code.clone(), ["region" => p.region.clone()]);
entity!(Package, "packages", |p| p.id.clone(), ["platform" => p.platform.clone()]);
entity!(CertHolding, "certificates", |c| c.serial.clone(), ["user" => c.user.clone(), "holder" => c.holder_id.clone()]);
entity!(CaRecords, "ca_records", |_c| "ca".to_string());
entity!(SealBookRow, "seal_books", |b| b.owner.clone());
