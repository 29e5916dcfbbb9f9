//! Messages and notices, articles, the operation log, the scan report,
//! customer service, the privacy agreement and app versions (§13–§16).

use super::Services;
use crate::domain::content::{
    Article, ArticleKind, Author, ChatState, ChatThread, Filter, LogEntry, LogKind, Message,
    MessageKind, Module, UpdateCheck, Version,
};
use crate::domain::enterprise::Enterprise;
use crate::domain::{forbidden, text};
use crate::error::{Error, Result};
use crate::qr::{QrStore, ScanRecord, visible_records};
use crate::store::{Store, StoreExt, Versioned};

impl<S: Store> Services<S> {
    /// The message centre (§15.4): the user's platform messages and the
    /// system notices, filtered by kind, dates and text, newest first.
    pub fn messages(&self, user: &str, filter: &Filter<MessageKind>) -> Result<Vec<Message>> {
        self.active(user, "read messages")?;
        let mut v: Vec<Message> = self
            .store
            .find_by::<Message>("user", user)?
            .into_iter()
            .chain(self.store.find_by::<Message>("user", "*")?)
            .map(|m| m.value)
            .filter(|m| filter.passes(&m.kind, m.at, &[&m.title, &m.body]))
            .collect();
        v.sort_by(|a, b| b.at.cmp(&a.at).then(b.id.cmp(&a.id)));
        Ok(v)
    }

    /// Open a message: marks it read and says which module it leads to.
    pub fn read_message(&self, user: &str, id: &str) -> Result<(Module, String)> {
        self.active(user, "read messages")?;
        self.atomically(|tx| {
            let mut m: Versioned<Message> = tx.store.load("message", id)?;
            if m.user != user && m.user != "*" {
                return Err(Error::NotFound {
                    what: "message",
                    key: id.into(),
                });
            }
            if m.user == user && !m.read {
                m.read = true;
                tx.save(&m)?;
            }
            Ok((m.link, m.subject.clone()))
        })
    }

    /// Back office: a system notice to every user.
    pub fn broadcast(&self, staff: &str, title: &str, body: &str) -> Result<()> {
        self.require_staff(staff, "broadcast notices")?;
        let title = text("title", title, 1, 100)?;
        let body = text("body", body, 1, 5000)?;
        let id = self.id("message", "M")?;
        self.atomically(|tx| {
            tx.insert(&Message {
                id: id.clone(),
                user: "*".into(),
                kind: MessageKind::System,
                title: title.clone(),
                body: body.clone(),
                link: Module::Account,
                subject: String::new(),
                at: tx.now,
                read: false,
            })
        })
    }

    /// Back office: publish a notice or a guide (§13, §14).
    pub fn publish_article(
        &self,
        staff: &str,
        kind: ArticleKind,
        title: &str,
        body: &str,
    ) -> Result<String> {
        self.require_staff(staff, "publish articles")?;
        let title = text("title", title, 1, 100)?;
        let body = text("body", body, 1, 20_000)?;
        let id = self.id("article", "N")?;
        self.atomically(|tx| {
            tx.insert(&Article {
                id: id.clone(),
                kind,
                title: title.clone(),
                body: body.clone(),
                published: tx.now,
            })
        })?;
        Ok(id)
    }

    /// Notices or guides whose title or body contains `keyword`, newest first.
    pub fn articles(&self, kind: ArticleKind, keyword: Option<&str>) -> Result<Vec<Article>> {
        let mut v: Vec<Article> = self
            .store
            .all::<Article>()?
            .into_iter()
            .map(|a| a.value)
            .filter(|a| a.kind == kind)
            .filter(|a| {
                keyword.is_none_or(|k| a.title.contains(k.trim()) || a.body.contains(k.trim()))
            })
            .collect();
        v.sort_by(|a, b| b.published.cmp(&a.published).then(b.id.cmp(&a.id)));
        Ok(v)
    }

    /// The operation log (§15.8), filtered by kind, dates and text, newest first.
    pub fn operation_log(&self, user: &str, filter: &Filter<LogKind>) -> Result<Vec<LogEntry>> {
        self.active(user, "read the operation log")?;
        let mut v: Vec<LogEntry> = self
            .store
            .find_by::<LogEntry>("user", user)?
            .into_iter()
            .map(|l| l.value)
            .filter(|l| filter.passes(&l.kind, l.at, &[&l.detail]))
            .collect();
        v.sort_by(|a, b| b.at.cmp(&a.at).then(b.id.cmp(&a.id)));
        Ok(v)
    }

    /// The scan report (§15.9): a member sees their own authorisations; an
    /// administrator sees every member's for the enterprises they
    /// administer. Newest first.
    pub fn scan_report(&self, user: &str) -> Result<Vec<ScanRecord>> {
        self.active(user, "read the scan report")?;
        let admin_of: Vec<String> = self
            .store
            .find_by::<Enterprise>("admin", user)?
            .into_iter()
            .map(|e| e.data.credit_code.clone())
            .collect();
        let all = QrStore::records(&*self.store)?;
        let mut v: Vec<ScanRecord> =
            visible_records(&all, user, |code| admin_of.iter().any(|c| c == code))
                .into_iter()
                .cloned()
                .collect();
        v.sort_by_key(|r| std::cmp::Reverse(r.time));
        Ok(v)
    }

    /// The customer-service hotline (§15.10).
    pub fn hotline(&self) -> &str {
        &self.config.desk.hotline
    }

    /// The current privacy agreement version (§15.11).
    pub fn privacy_version(&self) -> u32 {
        self.config.desk.privacy_version
    }

    /// Check an installed app version (§15.12.1).
    pub fn check_update(&self, installed: &str) -> Result<UpdateCheck> {
        Ok(self
            .config
            .desk
            .versions
            .check(Version::parse("installed version", installed)?))
    }

    /// Open a customer-service chat with a first message (§16).
    pub fn open_chat(&self, user: &str, first: &str) -> Result<String> {
        self.active(user, "chat with customer service")?;
        let id = self.id("chat", "C")?;
        self.atomically(|tx| {
            let mut t = ChatThread {
                id: id.clone(),
                user: user.into(),
                state: ChatState::Open,
                messages: Vec::new(),
            };
            t.post(Author::User, first, tx.now)?;
            tx.insert(&t)?;
            Ok(id.clone())
        })
    }

    /// The user posts to their thread.
    pub fn chat_post(&self, user: &str, thread: &str, body: &str) -> Result<ChatState> {
        self.active(user, "chat with customer service")?;
        self.atomically(|tx| {
            let mut t: Versioned<ChatThread> = tx.store.load("chat thread", thread)?;
            if t.user != user {
                return Err(forbidden(user, "post to the thread", "not theirs"));
            }
            t.post(Author::User, body, tx.now)?;
            tx.save(&t)?;
            Ok(t.state)
        })
    }

    /// A back-office agent answers.
    pub fn chat_answer(&self, agent: &str, thread: &str, body: &str) -> Result<ChatState> {
        self.require_staff(agent, "answer chats")?;
        self.atomically(|tx| {
            let mut t: Versioned<ChatThread> = tx.store.load("chat thread", thread)?;
            t.post(Author::Agent(agent.into()), body, tx.now)?;
            tx.save(&t)?;
            Ok(t.state)
        })
    }

    /// The user or an agent closes the thread.
    pub fn chat_close(&self, actor: &str, thread: &str) -> Result<()> {
        self.atomically(|tx| {
            let mut t: Versioned<ChatThread> = tx.store.load("chat thread", thread)?;
            if t.user != actor {
                self.require_staff(actor, "close chats")?;
            }
            t.close()?;
            tx.save(&t)
        })
    }

    /// The user's threads.
    pub fn chats(&self, user: &str) -> Result<Vec<ChatThread>> {
        Ok(self
            .store
            .find_by::<ChatThread>("user", user)?
            .into_iter()
            .map(|t| t.value)
            .collect())
    }
}
