//! Messages and notices (§13, §14, §15.4), the operation log (§15.8),
//! app versions (§15.12.1), the privacy agreement (§15.11) and customer
//! service (§15.10, §16).

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::{DateRange, invalid_state, text};
use crate::error::Result;
use crate::time::Date;

/// The module a message links to (前往查看).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Module {
    /// 审核管理.
    Audits,
    /// 我的订单.
    Orders,
    /// 证书管理.
    Certificates,
    /// 印章管理.
    Seals,
    /// 企业管理.
    Enterprise,
    /// 我的交易平台.
    Platforms,
    /// 账号.
    Account,
}

/// Platform message or system notice (§15.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MessageKind {
    /// 平台消息: about the user's own business.
    Platform,
    /// 系统公告.
    System,
}

/// A message to a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Id.
    pub id: String,
    /// To.
    pub user: String,
    /// Kind.
    pub kind: MessageKind,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// Where it leads.
    pub link: Module,
    /// The object it concerns (order number, audit id…).
    pub subject: String,
    /// Sent.
    #[serde(with = "crate::time::serde_rfc3339")]
    pub at: SystemTime,
    /// Read.
    pub read: bool,
}

/// Filters of the message centre and of logs: kind and date range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter<K> {
    /// Only this kind.
    pub kind: Option<K>,
    /// Only within these days.
    pub dates: Option<DateRange>,
    /// Only those containing this text.
    pub search: Option<String>,
}

impl<K> Default for Filter<K> {
    fn default() -> Self {
        Self {
            kind: None,
            dates: None,
            search: None,
        }
    }
}

impl<K: PartialEq> Filter<K> {
    /// Does an item of `kind` at `at` whose text is `hay` pass?
    pub fn passes(&self, kind: &K, at: SystemTime, hay: &[&str]) -> bool {
        self.kind.as_ref().is_none_or(|k| k == kind)
            && self.dates.is_none_or(|d| d.contains(Date::from_time(at)))
            && self
                .search
                .as_deref()
                .is_none_or(|q| hay.iter().any(|h| h.contains(q.trim())))
    }
}

/// Notice (通知公告) or guide (操作指南).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ArticleKind {
    /// 通知公告.
    Notice,
    /// 操作指南.
    Guide,
}

/// A published article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    /// Id.
    pub id: String,
    /// Kind.
    pub kind: ArticleKind,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// Published.
    #[serde(with = "crate::time::serde_rfc3339")]
    pub published: SystemTime,
}

/// Kinds of operation-log entries (§15.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LogKind {
    /// Login, logout, devices.
    Login,
    /// Account changes: bindings, deletion, appeal.
    Account,
    /// Real-name verification.
    RealName,
    /// Enterprise claim, join, leave, management.
    Enterprise,
    /// Audits decided.
    Audit,
    /// 订单修改: orders placed, paid, refunds, invoices.
    Order,
    /// 新办移动证书.
    NewMobileCertificate,
    /// 新办介质证书.
    NewMediumCertificate,
    /// Certificate download, extension, status.
    Certificate,
    /// Seals: applications, collection, replacement, grants.
    Seal,
    /// QR authorisations.
    Scan,
}

/// One line of a user's operation log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Id.
    pub id: String,
    /// Whose.
    pub user: String,
    /// Kind.
    pub kind: LogKind,
    /// When.
    #[serde(with = "crate::time::serde_rfc3339")]
    pub at: SystemTime,
    /// What.
    pub detail: String,
}

/// A version `major.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Version(pub u32, pub u32, pub u32);

impl Version {
    /// Parse `1.2.3`.
    pub fn parse(field: &'static str, s: &str) -> Result<Self> {
        let parts: Vec<&str> = s.trim().split('.').collect();
        let n = |p: &str| p.parse::<u32>().ok();
        match parts.as_slice() {
            [a, b, c] => match (n(a), n(b), n(c)) {
                (Some(a), Some(b), Some(c)) => Ok(Version(a, b, c)),
                _ => Err(crate::Error::param(
                    field,
                    format!("{s:?} is not major.minor.patch"),
                )),
            },
            _ => Err(crate::Error::param(
                field,
                format!("{s:?} is not major.minor.patch"),
            )),
        }
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// The app's releases (§15.12.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppVersions {
    /// The current release.
    pub current: Version,
    /// The oldest still supported.
    pub minimum: Version,
    /// Release notes of the current one.
    pub notes: String,
}

/// What an update check says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UpdateCheck {
    /// Up to date.
    UpToDate,
    /// A newer release exists.
    Available(Version),
    /// The installed version is no longer supported.
    Required(Version),
}

impl AppVersions {
    /// Check an installed version.
    pub fn check(&self, installed: Version) -> UpdateCheck {
        if installed < self.minimum {
            UpdateCheck::Required(self.current)
        } else if installed < self.current {
            UpdateCheck::Available(self.current)
        } else {
            UpdateCheck::UpToDate
        }
    }
}

/// Customer service settings (§15.10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceDesk {
    /// The hotline.
    pub hotline: String,
    /// The privacy agreement's current version (§15.11).
    pub privacy_version: u32,
    /// The app's versions.
    pub versions: AppVersions,
}

/// Who wrote a chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Author {
    /// The user.
    User,
    /// An agent, by name.
    Agent(String),
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// From.
    pub from: Author,
    /// Text (1 to 500 characters).
    pub text: String,
    /// When.
    #[serde(with = "crate::time::serde_rfc3339")]
    pub at: SystemTime,
}

/// The state of a chat thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChatState {
    /// Waiting for an agent.
    Open,
    /// An agent answered last.
    Answered,
    /// Closed.
    Closed,
}

/// An online customer-service conversation (§16).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatThread {
    /// Id.
    pub id: String,
    /// The user.
    pub user: String,
    /// State.
    pub state: ChatState,
    /// Messages, oldest first.
    pub messages: Vec<ChatMessage>,
}

/// Most messages in one thread.
pub const MAX_CHAT_MESSAGES: usize = 1000;

impl ChatThread {
    /// Add a message: the user's reopens an answered thread; an agent's
    /// answers it; nothing is added to a closed thread.
    pub fn post(&mut self, from: Author, body: &str, at: SystemTime) -> Result<()> {
        let body = text("chat message", body, 1, super::MAX_REASON_CHARS)?;
        if self.state == ChatState::Closed {
            return Err(invalid_state("chat thread", "closed", "post to"));
        }
        if self.messages.len() >= MAX_CHAT_MESSAGES {
            return Err(invalid_state("chat thread", "full", "post to"));
        }
        self.state = match from {
            Author::User => ChatState::Open,
            Author::Agent(_) => ChatState::Answered,
        };
        self.messages.push(ChatMessage {
            from,
            text: body,
            at,
        });
        Ok(())
    }

    /// Close it.
    pub fn close(&mut self) -> Result<()> {
        if self.state == ChatState::Closed {
            return Err(invalid_state("chat thread", "closed", "close"));
        }
        self.state = ChatState::Closed;
        Ok(())
    }
}
