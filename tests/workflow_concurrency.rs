//! Concurrency and property tests of the workflow layer (#6) on the
//! in-memory backend.
//!
//! The first half races threads against one another on the same audit,
//! order, quota or row and checks that each step happened exactly once
//! and that nothing was lost; the second half runs random sequences of
//! operations on a small world and checks the invariants of quotas,
//! enterprises, orders, money and points after every step.
//!
//! Each workflow race runs twice: on the reference world
//! ([`Reference::new`]) and on the same world over a [`Jittery`] store,
//! the in-memory backend pausing the thread after every read so that the
//! racers really interleave between their reads and their commit (on the
//! plain backend a whole step often fits in one time slice).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, SystemTime};

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde::{Deserialize, Serialize};

use yizhengtong::Error;
use yizhengtong::domain::account::IdCard;
use yizhengtong::domain::application::{
    Application, ApplicationKind, ApplicationState, Holder, JoinVia,
};
use yizhengtong::domain::audit::{Audit, AuditKind, AuditState, ReturnKind};
use yizhengtong::domain::catalog::InstitutionKind;
use yizhengtong::domain::content::LogEntry;
use yizhengtong::domain::enterprise::{
    Enterprise, EnterpriseData, EnterpriseKind, EnterpriseState, LegalRep,
};
use yizhengtong::domain::order::{
    Order, OrderPurpose, OrderState, PaymentMethod, PointsEntry, RefundState, points_for,
};
use yizhengtong::domain::profile::{Address, AddressInput, InvoiceTitleInput, TitleKind};
use yizhengtong::domain::{Cents, DateRange, Document};
mod common;
use common::charge::{Charge, ChargeRefused, charge};
use yizhengtong::qr::{
    KeyTaken, Lookup, OperationLogEntry, PageStatus, PendingTransaction, QrStore, QuotaKey,
    ScanRecord, Settled, Settlement,
};
use yizhengtong::store::{
    AnyStore, Changeset, Entity, MemoryStore, Row, Store, StoreExt, Versioned,
};
use yizhengtong::workflow::reference::{
    self, DEVICE, PLATFORM, Reference, STAFF, packages, test_backend,
};
use yizhengtong::workflow::{ClaimInput, JoinInput, MemorySms, ReferenceFaceVerifier, Services};

// ----- worlds -----

/// The in-memory backend, pausing the thread after every read.
#[derive(Default)]
struct Jittery(MemoryStore);

/// Let the other threads run: a yield is not enough (the scheduler may
/// run the same thread again at once), a short sleep is.
fn jitter() {
    thread::sleep(Duration::from_micros(20));
}

impl QrStore for Jittery {
    fn put_pending(&self, tx: PendingTransaction, max_pending: usize) -> yizhengtong::Result<()> {
        self.0.put_pending(tx, max_pending)
    }
    fn lookup(&self, transaction: &[u8; 16]) -> yizhengtong::Result<Lookup> {
        let r = self.0.lookup(transaction);
        jitter();
        r
    }
    fn settle(&self, settlement: Settlement) -> yizhengtong::Result<Settled> {
        let r = self.0.settle(settlement);
        jitter();
        r
    }
    fn set_quota(&self, key: &QuotaKey, uses: u64) -> yizhengtong::Result<()> {
        self.0.set_quota(key, uses)
    }
    fn quota(&self, key: &QuotaKey) -> yizhengtong::Result<Option<u64>> {
        self.0.quota(key)
    }
    fn records(&self) -> yizhengtong::Result<Vec<ScanRecord>> {
        self.0.records()
    }
    fn logs(&self, user: &str) -> yizhengtong::Result<Vec<OperationLogEntry>> {
        self.0.logs(user)
    }
    fn purge_expired(&self, now: SystemTime) -> yizhengtong::Result<usize> {
        self.0.purge_expired(now)
    }
    fn page(&self, transaction: &[u8; 16]) -> yizhengtong::Result<Option<PageStatus>> {
        self.0.page(transaction)
    }
    fn page_scanned(
        &self,
        transaction: &[u8; 16],
        now: u64,
    ) -> yizhengtong::Result<Option<PageStatus>> {
        self.0.page_scanned(transaction, now)
    }
    fn page_take_key(&self, transaction: &[u8; 16]) -> yizhengtong::Result<KeyTaken> {
        self.0.page_take_key(transaction)
    }
}

impl Store for Jittery {
    fn get(&self, table: &'static str, key: &str) -> yizhengtong::Result<Option<Row>> {
        let r = self.0.get(table, key);
        jitter();
        r
    }
    fn find(
        &self,
        table: &'static str,
        index: &'static str,
        value: &str,
    ) -> yizhengtong::Result<Vec<(String, Row)>> {
        let r = self.0.find(table, index, value);
        jitter();
        r
    }
    fn scan(&self, table: &'static str) -> yizhengtong::Result<Vec<(String, Row)>> {
        let r = self.0.scan(table);
        jitter();
        r
    }
    fn commit(&self, changes: Changeset) -> yizhengtong::Result<()> {
        self.0.commit(changes)
    }
    fn next_id(&self, sequence: &'static str) -> yizhengtong::Result<u64> {
        self.0.next_id(sequence)
    }
}

/// The services of a world and its SMS outbox.
struct World<S: Store> {
    services: Services<S>,
    sms: Arc<MemorySms>,
}

impl World<AnyStore> {
    /// The reference world on the backend under test (`YZT_TEST_BACKEND`).
    fn reference(seed: u64) -> Self {
        let Reference { services, sms, .. } = Reference::for_tests(seed).expect("reference world");
        Self { services, sms }
    }
}

impl World<Jittery> {
    /// The reference world over a [`Jittery`] store.
    fn jittery(seed: u64) -> Self {
        let Reference { services, sms, .. } =
            Reference::with_store(seed, Arc::new(Jittery::default())).expect("reference world");
        Self { services, sms }
    }
}

impl<S: Store> World<S> {
    fn store(&self) -> &S {
        self.services.store()
    }

    /// As [`Reference::verified_user`].
    fn verified_user(&self, phone: &str, card: &IdCard) -> String {
        let s = &self.services;
        s.request_sms_code(phone).expect("sms code");
        let code = self.sms.last_code(phone).unwrap_or_default();
        let session = s
            .login_sms(phone, &code, DEVICE, Some(s.privacy_version()))
            .expect("login");
        s.submit_id_card(&session.user, card.clone())
            .expect("id card");
        let challenge = s.confirm_id_card(&session.user).expect("confirm");
        s.face_check(
            &session.user,
            &ReferenceFaceVerifier::genuine(card, &challenge.digits),
        )
        .expect("face check");
        session.user
    }
}

/// Run `case` on the reference world and on the jittery one.
macro_rules! on_both_backends {
    ($case:ident, $seed:expr) => {{
        $case(&World::reference($seed));
        $case(&World::jittery($seed));
    }};
}

// ----- fixtures -----

const NAMES: [&str; 16] = [
    "欧勇",
    "宋世奇",
    "邱秀芳",
    "王小明",
    "李娜",
    "张伟",
    "刘洋",
    "陈静",
    "杨帆",
    "赵磊",
    "黄敏",
    "周杰",
    "吴倩",
    "徐强",
    "孙丽",
    "马超",
];

/// A verified user with an invoice title and an address.
#[derive(Debug, Clone)]
struct Person {
    id: String,
    id_number: String,
    title: String,
    address: String,
}

fn phone(i: usize) -> String {
    format!("186{:08}", 10_000 + i)
}

fn person<S: Store>(w: &World<S>, i: usize) -> Person {
    let name = NAMES[i % NAMES.len()];
    let seq = 100 + u32::try_from(i).expect("small index");
    let card = reference::id_card(name, "19900101", seq).expect("id card");
    let id = w.verified_user(&phone(i), &card);
    let s = &w.services;
    let title = s
        .add_invoice_title(
            &id,
            InvoiceTitleInput {
                kind: TitleKind::Personal,
                name: format!("{name}个人"),
                email: format!("user{i}@example.com"),
                phone: None,
                company_address: None,
                bank: None,
                account: None,
                default: true,
            },
        )
        .expect("invoice title");
    let address = s.add_address(&id, address_input(i, true)).expect("address");
    Person {
        id,
        id_number: card.id_number,
        title: title.id,
        address: address.id,
    }
}

fn address_input(i: usize, default: bool) -> AddressInput {
    AddressInput {
        recipient: NAMES[i % NAMES.len()].into(),
        phone: phone(i),
        region: "新疆维吾尔自治区乌鲁木齐市".into(),
        detail: format!("天山区光明路{i}号"),
        default,
    }
}

fn people<S: Store>(w: &World<S>, n: usize) -> Vec<Person> {
    (0..n).map(|i| person(w, i)).collect()
}

fn enterprise_data(i: usize) -> EnterpriseData {
    EnterpriseData {
        kind: EnterpriseKind::Enterprise,
        name: format!("乌鲁木齐测试{i}号网络科技有限公司"),
        credit_code: reference::credit_code(&format!("MA1GG{i:04}")).expect("credit code"),
        legal: LegalRep {
            name: "邱秀芳".into(),
            id_number: reference::id_card("邱秀芳", "19700101", 2)
                .expect("id card")
                .id_number,
            phone: "18600008888".into(),
        },
        licence: Document::upload("business licence", b"licence scan").expect("licence"),
        letter: Document::upload("authorisation letter", b"letter scan").expect("letter"),
    }
}

fn claim_input(i: usize) -> ClaimInput {
    ClaimInput {
        data: enterprise_data(i),
        platform: PLATFORM.into(),
        packages: vec![
            (packages::ENTERPRISE_CA.into(), 1),
            (packages::ENTERPRISE_SEAL.into(), 1),
        ],
        coupon: None,
    }
}

fn join_input(code: &str) -> JoinInput {
    JoinInput {
        enterprise: code.into(),
        via: JoinVia::Application {
            reason: "本公司员工，需要使用企业印章".into(),
        },
        admin_name: String::new(),
        admin_phone_last_four: String::new(),
        platform: PLATFORM.into(),
        packages: vec![(packages::PERSON_CA.into(), 1)],
        seals: Vec::new(),
        period: DateRange::parse("period", "2025-04-11", "2025-04-30").expect("period"),
    }
}

/// Claim enterprise `i` as `p`, pay and have the back office approve it:
/// returns its credit code.
fn claimed_enterprise<S: Store>(w: &World<S>, p: &Person, i: usize) -> String {
    let s = &w.services;
    let (app, order) = s.claim_enterprise(&p.id, claim_input(i)).expect("claim");
    pay(w, &order);
    s.approve_audit(STAFF, app.audit.as_deref().expect("claim audit"))
        .expect("approve claim");
    app_enterprise(&app)
}

fn app_enterprise(app: &Application) -> String {
    match &app.kind {
        ApplicationKind::Claim { data } => data.credit_code.clone(),
        ApplicationKind::Join { enterprise, .. } => enterprise.clone(),
        other => panic!("not an enterprise application: {other:?}"),
    }
}

fn pay<S: Store>(w: &World<S>, order: &Order) {
    w.services
        .pay_order(
            &order.user,
            &order.number,
            PaymentMethod::WeChatPay,
            order.due(),
            "wx-setup",
        )
        .expect("pay");
}

fn person_order<S: Store>(w: &World<S>, p: &Person, items: &[(&str, u32)]) -> Order {
    let items: Vec<(String, u32)> = items.iter().map(|(id, n)| (id.to_string(), *n)).collect();
    w.services
        .order_packages(&p.id, &Holder::Person, PLATFORM, &items, None)
        .expect("order")
}

fn quota_key(holder: &str, kind: InstitutionKind) -> QuotaKey {
    QuotaKey {
        holder: holder.into(),
        platform: PLATFORM.into(),
        institution: kind.quota_name(),
    }
}

fn load<T: Entity>(store: &impl Store, key: &str) -> T {
    store
        .try_load::<T>(key)
        .expect("store read")
        .unwrap_or_else(|| panic!("{} {key} missing", T::TABLE))
        .value
}

fn logs_starting(store: &impl Store, prefix: &str) -> usize {
    store
        .all::<LogEntry>()
        .expect("logs")
        .iter()
        .filter(|l| l.detail.starts_with(prefix))
        .count()
}

/// Run `f(0..n)` on `n` threads released together; the results in
/// thread order.
fn race<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let barrier = Barrier::new(n);
    thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (barrier, f) = (&barrier, &f);
                s.spawn(move || {
                    barrier.wait();
                    f(i)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread panicked"))
            .collect()
    })
}

fn is_invalid_state(e: &Error, of: &str) -> bool {
    matches!(e, Error::InvalidState { entity, .. } if *entity == of)
}

/// Exactly one `Ok`; every other result an `InvalidState`, of one of
/// `entities` when given.
fn exactly_one_ok<T>(results: Vec<Result<T, Error>>, entities: &[&str]) -> T {
    let n = results.len();
    let mut oks = Vec::new();
    for r in results {
        match r {
            Ok(v) => oks.push(v),
            Err(e) => assert!(
                matches!(&e, Error::InvalidState { entity, .. }
                    if entities.is_empty() || entities.contains(entity)),
                "a loser must be refused by the state it finds ({entities:?}), got: {e}"
            ),
        }
    }
    assert_eq!(oks.len(), 1, "exactly one of {n} racers wins");
    oks.pop().expect("one")
}

const THREADS: usize = 8;

// ----- 1. racing the same step -----

#[test]
fn eight_approvals_of_one_claim_create_one_enterprise() {
    fn case<S: Store>(w: &World<S>) {
        let s = &w.services;
        let p = person(w, 0);
        let (app, order) = s.claim_enterprise(&p.id, claim_input(1)).unwrap();
        pay(w, &order);
        let audit = app.audit.clone().unwrap();

        let won = exactly_one_ok(race(THREADS, |_| s.approve_audit(STAFF, &audit)), &[]);
        assert!(matches!(won.state, AuditState::Approved { .. }));

        let store = w.store();
        let ents = store.all::<Enterprise>().unwrap();
        assert_eq!(ents.len(), 1, "one enterprise created");
        let e = &ents[0];
        assert_eq!(e.admin, p.id);
        assert_eq!(e.members.keys().collect::<Vec<_>>(), vec![&p.id]);
        assert_eq!(e.version, 1, "inserted once, never rewritten");
        let a: Application = load(store, &app.id);
        assert!(matches!(a.state, ApplicationState::Completed { .. }));
        assert_eq!(logs_starting(store, "企业认领完成"), 1);
        assert_eq!(s.my_enterprises(&p.id).unwrap().len(), 1);
    }
    on_both_backends!(case, 11);
}

#[test]
fn eight_approvals_of_one_join_add_one_membership() {
    fn case<S: Store>(w: &World<S>) {
        let s = &w.services;
        let ps = people(w, 2);
        let code = claimed_enterprise(w, &ps[0], 2);
        let (app, order) = s.join_enterprise(&ps[1].id, join_input(&code)).unwrap();
        pay(w, &order);
        let audit = app.audit.clone().unwrap();

        exactly_one_ok(race(THREADS, |_| s.approve_audit(&ps[0].id, &audit)), &[]);

        let e = w.store().try_load::<Enterprise>(&code).unwrap().unwrap();
        assert_eq!(e.members.len(), 2);
        assert!(e.is_member(&ps[1].id));
        assert_eq!(e.admin, ps[0].id);
        assert_eq!(e.version, 2, "the enterprise row written once more");
        let a: Application = load(w.store(), &app.id);
        assert!(matches!(a.state, ApplicationState::Completed { .. }));
        assert_eq!(logs_starting(w.store(), "加入企业 "), 1);
    }
    on_both_backends!(case, 12);
}

#[test]
fn payment_and_approval_racing_complete_a_join_once() {
    fn case<S: Store>(w: &World<S>) {
        let s = &w.services;
        let ps = people(w, 2);
        for round in 0..4 {
            let code = claimed_enterprise(w, &ps[0], 3 + round);
            let (app, order) = s.join_enterprise(&ps[1].id, join_input(&code)).unwrap();
            let audit = app.audit.clone().unwrap();

            // Half the threads pay, half approve, all at once.
            let results = race(THREADS, |i| {
                if i % 2 == 0 {
                    s.pay_order(
                        &ps[1].id,
                        &order.number,
                        PaymentMethod::Alipay,
                        order.due(),
                        "ali-race",
                    )
                    .map(|_| "paid")
                } else {
                    s.approve_audit(&ps[0].id, &audit).map(|_| "approved")
                }
            });
            let paid = results.iter().filter(|r| matches!(r, Ok("paid"))).count();
            let approved = results
                .iter()
                .filter(|r| matches!(r, Ok("approved")))
                .count();
            assert_eq!((paid, approved), (1, 1), "{results:?}");
            for r in &results {
                if let Err(e) = r {
                    assert!(matches!(e, Error::InvalidState { .. }), "{e}");
                }
            }
            let e: Enterprise = load(w.store(), &code);
            assert_eq!(e.members.len(), 2);
            let a: Application = load(w.store(), &app.id);
            assert!(matches!(a.state, ApplicationState::Completed { .. }));
            assert!(a.paid && a.approved);
        }
        // Four joins completed, each credited once.
        assert_eq!(logs_starting(w.store(), "加入企业 "), 4);
        let q = w
            .store()
            .quota(&quota_key(&ps[1].id_number, InstitutionKind::Ca))
            .unwrap();
        assert_eq!(q, Some(400), "each join's package credited once");
    }
    on_both_backends!(case, 13);
}

#[test]
fn eight_payments_of_one_order_credit_once() {
    fn case<S: Store>(w: &World<S>) {
        let s = &w.services;
        let p = person(w, 0);
        let order = person_order(
            w,
            &p,
            &[(packages::PERSON_CA, 2), (packages::PERSON_SEAL, 1)],
        );
        assert_eq!(order.due(), Cents(25_000));

        let paid = exactly_one_ok(
            race(THREADS, |i| {
                s.pay_order(
                    &p.id,
                    &order.number,
                    PaymentMethod::WeChatPay,
                    order.due(),
                    &format!("wx-{i}"),
                )
            }),
            &["order"],
        );
        assert!(matches!(paid.state, OrderState::Paid { .. }));

        let store = w.store();
        let ca = quota_key(&p.id_number, InstitutionKind::Ca);
        let seal = quota_key(&p.id_number, InstitutionKind::Seal);
        assert_eq!(store.quota(&ca).unwrap(), Some(200));
        assert_eq!(store.quota(&seal).unwrap(), Some(50));
        let (points, entries) = s.points(&p.id).unwrap();
        assert_eq!(points, 250);
        assert_eq!(entries.len(), 1, "points credited once");
        assert_eq!(logs_starting(store, "支付订单"), 1);
        let o: Order = load(store, &order.number);
        assert_eq!(o, paid, "the stored order is the winner's");
    }
    on_both_backends!(case, 14);
}

#[test]
fn eight_refund_settlements_take_back_once() {
    fn case<S: Store>(w: &World<S>) {
        let s = &w.services;
        let p = person(w, 0);
        let order = person_order(w, &p, &[(packages::PERSON_SEAL, 1)]);
        pay(w, &order);
        // Another order to the same quota, so a second take would still fit.
        let other = person_order(w, &p, &[(packages::PERSON_SEAL, 1)]);
        pay(w, &other);
        s.request_refund(&p.id, &order.number, "不再需要").unwrap();

        let settled = exactly_one_ok(
            race(THREADS, |_| s.settle_refund(STAFF, &order.number, true)),
            &["order"],
        );
        assert!(matches!(
            settled.refund.as_ref().map(|r| &r.state),
            Some(RefundState::Refunded { .. })
        ));
        let seal = quota_key(&p.id_number, InstitutionKind::Seal);
        assert_eq!(w.store().quota(&seal).unwrap(), Some(50), "taken back once");
    }
    on_both_backends!(case, 15);
}

#[test]
fn approval_and_return_racing_decide_once() {
    fn case<S: Store>(w: &World<S>) {
        let s = &w.services;
        let ps = people(w, 1);
        for round in 0..8 {
            let (app, order) = s
                .claim_enterprise(&ps[0].id, claim_input(500 + round))
                .unwrap();
            pay(w, &order);
            let audit = app.audit.clone().unwrap();
            let results = race(THREADS, |t| {
                if t % 2 == 0 {
                    s.approve_audit(STAFF, &audit)
                } else {
                    s.return_audit(
                        STAFF,
                        &audit,
                        ReturnKind::DocumentsInvalid,
                        "营业执照不清晰",
                    )
                }
            });
            let decided = exactly_one_ok(results, &[]);
            let created = w
                .store()
                .try_load::<Enterprise>(&app_enterprise(&app))
                .unwrap()
                .is_some();
            let a: Application = load(w.store(), &app.id);
            match decided.state {
                AuditState::Approved { .. } => {
                    assert!(created);
                    assert!(matches!(a.state, ApplicationState::Completed { .. }));
                }
                AuditState::Returned { .. } => {
                    assert!(!created);
                    assert_eq!(a.state, ApplicationState::Returned);
                }
                AuditState::Pending => panic!("still pending"),
            }
            // Paid either way: a returned claim's money is refunded on request.
            let o: Order = load(w.store(), &order.number);
            assert!(matches!(o.state, OrderState::Paid { .. }));
        }
    }
    on_both_backends!(case, 24);
}

// ----- 1b. charging quotas -----

fn tx_id(n: u64) -> [u8; 16] {
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&n.to_be_bytes());
    id[8..].copy_from_slice(b"yzt-race");
    id
}

/// `n` distinct transactions charged from `THREADS` threads against a
/// quota of `m`.
fn charge_distinct<S: Store>(store: &S, key: &QuotaKey, n: u64, m: u64) {
    let per_thread: Vec<Vec<Result<Charge, ChargeRefused>>> = race(THREADS, |t| {
        (0..n)
            .filter(|i| i % THREADS as u64 == t as u64)
            .map(|i| charge(store, key, &tx_id(i)).expect("charge"))
            .collect()
    });
    let all: Vec<_> = per_thread.into_iter().flatten().collect();
    assert_eq!(all.len() as u64, n);
    let charged: BTreeSet<u64> = all
        .iter()
        .filter_map(|r| match r {
            Ok(Charge::Charged { remaining }) => Some(*remaining),
            _ => None,
        })
        .collect();
    let won = n.min(m);
    assert_eq!(charged.len() as u64, won, "exactly min(N, M) charges");
    // Each success saw a distinct count left: M-1, M-2, …, M-min(N, M).
    assert_eq!(charged, (m - won..m).collect::<BTreeSet<u64>>());
    let exhausted = all
        .iter()
        .filter(|r| matches!(r, Err(ChargeRefused::Exhausted)))
        .count() as u64;
    assert_eq!(exhausted, n - won, "the rest refused as exhausted");
    assert_eq!(store.quota(key).unwrap(), Some(m - won));
}

#[test]
fn distinct_transactions_charge_exactly_min_n_m() {
    for (case, (n, m)) in [(64, 40), (24, 40), (40, 40), (200, 1), (16, 0)]
        .into_iter()
        .enumerate()
    {
        let store = test_backend().expect("backend");
        let key = quota_key(&format!("holder-{case}"), InstitutionKind::Ca);
        store.set_quota(&key, m).unwrap();
        charge_distinct(&store, &key, n, m);
    }
}

#[test]
fn charges_against_a_quota_bought_through_the_workflow() {
    fn case<S: Store>(w: &World<S>) {
        let s = &w.services;
        let p = person(w, 0);
        let order = person_order(w, &p, &[(packages::PERSON_SEAL, 1)]);
        pay(w, &order);
        let seal = quota_key(&p.id_number, InstitutionKind::Seal);
        charge_distinct(w.store(), &seal, 80, 50);
        // Nothing left: a refund must now be refused, and the quota stays 0.
        s.request_refund(&p.id, &order.number, "不再需要").unwrap();
        let o = s.settle_refund(STAFF, &order.number, true).unwrap();
        assert!(matches!(
            o.refund.as_ref().map(|r| &r.state),
            Some(RefundState::Refused { .. })
        ));
        assert_eq!(w.store().quota(&seal).unwrap(), Some(0));
        // A quota never opened.
        let none = quota_key(&p.id_number, InstitutionKind::Ca);
        assert_eq!(
            charge(w.store(), &none, &tx_id(9999)).unwrap(),
            Err(ChargeRefused::NotOpened)
        );
    }
    on_both_backends!(case, 16);
}

#[test]
fn one_transaction_from_many_threads_is_charged_once() {
    let store = test_backend().expect("backend");
    let key = quota_key("holder", InstitutionKind::Seal);
    store.set_quota(&key, 10).unwrap();
    let results = race(16, |_| charge(&store, &key, &tx_id(7)).unwrap());
    let charged = results
        .iter()
        .filter(|r| matches!(r, Ok(Charge::Charged { remaining: 9 })))
        .count();
    let again = results
        .iter()
        .filter(|r| matches!(r, Ok(Charge::AlreadyCharged { remaining: 9 })))
        .count();
    assert_eq!((charged, again), (1, 15), "{results:?}");
    assert_eq!(store.quota(&key).unwrap(), Some(9));
    // Later the same transaction still charges nothing.
    assert_eq!(
        charge(&store, &key, &tx_id(7)).unwrap(),
        Ok(Charge::AlreadyCharged { remaining: 9 })
    );
    assert_eq!(store.quota(&key).unwrap(), Some(9));
}

#[test]
fn refund_racing_charges_never_goes_negative() {
    // Either the refund takes the 50 uses back before any charge (and every
    // charge is refused), or some use was charged first (and the refund is
    // refused): never both, and never below zero.
    fn case<S: Store>(w: &World<S>) {
        let s = &w.services;
        let p = person(w, 0);
        let key = quota_key(&p.id_number, InstitutionKind::Seal);
        for round in 0..6u64 {
            let order = person_order(w, &p, &[(packages::PERSON_SEAL, 1)]);
            pay(w, &order);
            s.request_refund(&p.id, &order.number, "不再需要").unwrap();
            let results = race(THREADS, |t| {
                if t == 0 {
                    let o = s.settle_refund(STAFF, &order.number, true).unwrap();
                    u64::from(matches!(
                        o.refund.map(|r| r.state),
                        Some(RefundState::Refunded { .. })
                    ))
                } else {
                    (0..10u64)
                        .filter(|i| {
                            let id = tx_id(round * 10_000 + t as u64 * 100 + i);
                            matches!(
                                charge(w.store(), &key, &id).unwrap(),
                                Ok(Charge::Charged { .. })
                            )
                        })
                        .count() as u64
                }
            });
            let refunded = results[0];
            let charged: u64 = results[1..].iter().sum();
            let left = w.store().quota(&key).unwrap().unwrap();
            if refunded == 1 {
                assert_eq!((charged, left), (0, 0), "round {round}");
            } else {
                assert!(charged > 0, "round {round}: refused with nothing charged");
                assert_eq!(left, 50 - charged, "round {round}");
                // Drain it for the next round.
                for i in 0..left {
                    charge(w.store(), &key, &tx_id(round * 10_000 + 9_000 + i))
                        .unwrap()
                        .unwrap();
                }
            }
        }
    }
    on_both_backends!(case, 100);
}

// ----- 1c. the raw store -----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Counter {
    name: String,
    n: u64,
}

impl Entity for Counter {
    const TABLE: &'static str = "test_counters";
    fn key(&self) -> String {
        self.name.clone()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Mark {
    id: String,
    thread: usize,
}

impl Entity for Mark {
    const TABLE: &'static str = "test_marks";
    fn key(&self) -> String {
        self.id.clone()
    }
    fn index(&self) -> Vec<(&'static str, String)> {
        vec![("thread", self.thread.to_string())]
    }
}

#[test]
fn read_modify_write_commits_lose_no_update() {
    const PER_THREAD: usize = 250;
    let store = test_backend().expect("backend");
    let key = quota_key("counter-holder", InstitutionKind::Ca);
    let mut cs = Changeset::new();
    cs.insert(&Counter {
        name: "hits".into(),
        n: 0,
    })
    .unwrap();
    store.commit(cs).unwrap();

    // Each increment also inserts a mark named after its attempt and adds
    // one use: a conflicting commit must leave neither behind.
    let per_thread: Vec<(Vec<String>, usize)> = race(THREADS, |t| {
        let mut won = Vec::new();
        let mut conflicts = 0;
        for k in 0..PER_THREAD {
            for attempt in 0.. {
                let mut c: Versioned<Counter> = store.load("counter", "hits").unwrap();
                // Let the others in between the read and the commit.
                thread::yield_now();
                c.n += 1;
                let id = format!("{t}-{k}-{attempt}");
                let mut cs = Changeset::new();
                cs.save(&c).unwrap();
                cs.insert(&Mark {
                    id: id.clone(),
                    thread: t,
                })
                .unwrap();
                cs.quota_add(key.clone(), 1);
                match store.commit(cs) {
                    Ok(()) => {
                        won.push(id);
                        break;
                    }
                    Err(Error::Conflict { .. }) => conflicts += 1,
                    Err(e) => panic!("unexpected {e}"),
                }
            }
        }
        (won, conflicts)
    });
    let total = THREADS * PER_THREAD;
    let conflicts: usize = per_thread.iter().map(|(_, c)| c).sum();
    assert!(conflicts > 0, "the threads never interleaved");
    let c: Versioned<Counter> = store.load("counter", "hits").unwrap();
    assert_eq!(c.n, total as u64, "no lost update");
    assert_eq!(c.version, total as u64 + 1, "one version per commit");
    let winners: BTreeSet<String> = per_thread
        .iter()
        .flat_map(|(w, _)| w.iter().cloned())
        .collect();
    assert_eq!(winners.len(), total);
    let marks: BTreeSet<String> = store
        .all::<Mark>()
        .unwrap()
        .into_iter()
        .map(|m| m.value.id)
        .collect();
    assert_eq!(marks, winners, "exactly the winning commits left marks");
    for t in 0..THREADS {
        let mine = store.find_by::<Mark>("thread", &t.to_string()).unwrap();
        assert_eq!(mine.len(), PER_THREAD, "index of thread {t}");
    }
    assert_eq!(store.quota(&key).unwrap(), Some(total as u64));
}

#[test]
fn a_failed_commit_changes_nothing() {
    let store = test_backend().expect("backend");
    let key = quota_key("h", InstitutionKind::Ca);
    let mut cs = Changeset::new();
    cs.insert(&Counter {
        name: "c".into(),
        n: 0,
    })
    .unwrap();
    store.commit(cs).unwrap();
    let stale: Versioned<Counter> = store.load("counter", "c").unwrap();
    let mut fresh = stale.clone();
    fresh.n = 1;
    let mut cs = Changeset::new();
    cs.save(&fresh).unwrap();
    store.commit(cs).unwrap();

    let nothing_moved = |store: &AnyStore| {
        let c: Versioned<Counter> = store.load("counter", "c").unwrap();
        assert_eq!((c.version, c.n), (2, 1));
        assert!(store.all::<Mark>().unwrap().is_empty());
        assert_eq!(store.quota(&key).unwrap(), None);
    };

    // Quota and insert first, a stale update last.
    let mut cs = Changeset::new();
    cs.quota_add(key.clone(), 5);
    cs.insert(&Mark {
        id: "m".into(),
        thread: 0,
    })
    .unwrap();
    let mut s2 = stale.clone();
    s2.n = 99;
    cs.save(&s2).unwrap();
    assert!(matches!(store.commit(cs), Err(Error::Conflict { .. })));
    nothing_moved(&store);

    // A take from a quota never opened.
    let mut cs = Changeset::new();
    let mut f2: Versioned<Counter> = store.load("counter", "c").unwrap();
    f2.n = 7;
    cs.save(&f2).unwrap();
    cs.quota_take(key.clone(), 1);
    assert!(matches!(
        store.commit(cs),
        Err(Error::InvalidState {
            entity: "quota",
            ..
        })
    ));
    nothing_moved(&store);

    // The same key inserted twice in one changeset.
    let mut cs = Changeset::new();
    let m = Mark {
        id: "twice".into(),
        thread: 1,
    };
    cs.insert(&m).unwrap();
    cs.insert(&m).unwrap();
    assert!(matches!(store.commit(cs), Err(Error::Conflict { .. })));
    nothing_moved(&store);

    // A stale delete.
    let mut cs = Changeset::new();
    cs.quota_add(key.clone(), 1);
    cs.delete(&stale);
    assert!(matches!(store.commit(cs), Err(Error::Conflict { .. })));
    nothing_moved(&store);

    // An add then a take in one commit: the take sees the add.
    let mut cs = Changeset::new();
    cs.quota_add(key.clone(), 3);
    cs.quota_take(key.clone(), 2);
    store.commit(cs).unwrap();
    assert_eq!(store.quota(&key).unwrap(), Some(1));
}

#[test]
fn concurrent_quota_takes_in_commits_stop_at_zero() {
    let store = test_backend().expect("backend");
    let key = quota_key("takes", InstitutionKind::Seal);
    store.set_quota(&key, 20).unwrap();
    let results = race(32, |t| {
        let mut cs = Changeset::new();
        cs.quota_take(key.clone(), 1);
        cs.insert(&Mark {
            id: format!("take-{t}"),
            thread: t,
        })
        .unwrap();
        store.commit(cs)
    });
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 20);
    for r in &results {
        if let Err(e) = r {
            assert!(is_invalid_state(e, "quota"), "{e}");
        }
    }
    assert_eq!(store.quota(&key).unwrap(), Some(0));
    assert_eq!(store.all::<Mark>().unwrap().len(), 20);
}

#[test]
fn charges_and_commits_share_one_quota_table() {
    // Commits adding uses and QR charges taking them, concurrently, on the
    // same quota: every move counted once.
    let store = test_backend().expect("backend");
    let key = quota_key("shared", InstitutionKind::Ca);
    store.set_quota(&key, 1000).unwrap();
    let results = race(THREADS, |t| {
        let mut n = 0u64;
        for i in 0..100u64 {
            if t % 2 == 0 {
                let mut cs = Changeset::new();
                cs.quota_add(key.clone(), 2);
                store.commit(cs).unwrap();
                n += 2;
            } else if matches!(
                charge(&store, &key, &tx_id(t as u64 * 1000 + i)).unwrap(),
                Ok(Charge::Charged { .. })
            ) {
                n += 1;
            }
        }
        n
    });
    let added: u64 = results.iter().step_by(2).sum();
    let charged: u64 = results.iter().skip(1).step_by(2).sum();
    assert_eq!((added, charged), (800, 400));
    assert_eq!(store.quota(&key).unwrap(), Some(1000 + added - charged));
}

// ----- 1d. many different steps at once lose nothing -----

#[test]
fn concurrent_payments_of_many_orders_lose_nothing() {
    fn case<S: Store>(w: &World<S>) {
        let s = &w.services;
        let ps = people(w, 4);
        let choices = [
            (packages::PERSON_CA, 100u64, 100u64, InstitutionKind::Ca),
            (packages::PERSON_SEAL, 50, 50, InstitutionKind::Seal),
            (packages::PERSON_CA_EXTEND, 80, 100, InstitutionKind::Ca),
        ];
        let mut orders = Vec::new();
        let mut want_quota: HashMap<QuotaKey, u64> = HashMap::new();
        let mut want_points: HashMap<String, i64> = HashMap::new();
        for (i, p) in ps.iter().enumerate() {
            for k in 0..6 {
                let (pkg, yuan, uses, kind) = choices[(i + k) % choices.len()];
                let qty = 1 + (k as u32 % 3);
                orders.push(person_order(w, p, &[(pkg, qty)]));
                *want_quota.entry(quota_key(&p.id_number, kind)).or_default() +=
                    uses * u64::from(qty);
                *want_points.entry(p.id.clone()).or_default() += (yuan * u64::from(qty)) as i64;
            }
        }
        // Every thread tries every order, each starting at a different one.
        let per_thread: Vec<Vec<bool>> = race(THREADS, |t| {
            let mut won = vec![false; orders.len()];
            for j in 0..orders.len() {
                let i = (j + t * 3) % orders.len();
                let o = &orders[i];
                match s.pay_order(
                    &o.user,
                    &o.number,
                    PaymentMethod::BankTransfer,
                    o.due(),
                    &format!("bank-{t}-{i}"),
                ) {
                    Ok(_) => won[i] = true,
                    Err(e) => assert!(is_invalid_state(&e, "order"), "{e}"),
                }
            }
            won
        });
        for (i, o) in orders.iter().enumerate() {
            let winners = per_thread.iter().filter(|w| w[i]).count();
            assert_eq!(winners, 1, "order {} paid once", o.number);
        }
        for (key, uses) in &want_quota {
            assert_eq!(w.store().quota(key).unwrap(), Some(*uses), "{key:?}");
        }
        for p in &ps {
            let (points, entries) = s.points(&p.id).unwrap();
            assert_eq!(points, want_points[&p.id]);
            assert_eq!(entries.len(), 6);
        }
        let all = w.store().all::<Order>().unwrap();
        assert!(
            all.iter()
                .all(|o| matches!(o.state, OrderState::Paid { .. }))
        );
    }
    on_both_backends!(case, 17);
}

#[test]
fn concurrent_approvals_of_many_claims_lose_nothing() {
    fn case<S: Store>(w: &World<S>) {
        let s = &w.services;
        let ps = people(w, 12);
        let mut claims = Vec::new();
        for (i, p) in ps.iter().enumerate() {
            let (app, order) = s.claim_enterprise(&p.id, claim_input(100 + i)).unwrap();
            // Half paid before the review, half after.
            if i % 2 == 0 {
                pay(w, &order);
            }
            claims.push((app, order));
        }
        let per_thread: Vec<Vec<bool>> = race(THREADS, |t| {
            let mut won = vec![false; claims.len()];
            for j in 0..claims.len() {
                let i = (j + t * 5) % claims.len();
                match s.approve_audit(STAFF, claims[i].0.audit.as_deref().unwrap()) {
                    Ok(_) => won[i] = true,
                    Err(e) => assert!(matches!(e, Error::InvalidState { .. }), "{e}"),
                }
            }
            won
        });
        for i in 0..claims.len() {
            assert_eq!(per_thread.iter().filter(|w| w[i]).count(), 1);
        }
        // Pay the rest concurrently too.
        race(THREADS, |t| {
            for (i, (_, o)) in claims.iter().enumerate() {
                if i % 2 == 1 && (i / 2) % THREADS == t {
                    pay(w, o);
                }
            }
        });
        let ents = w.store().all::<Enterprise>().unwrap();
        assert_eq!(ents.len(), claims.len());
        for (app, _) in &claims {
            let e: Enterprise = load(w.store(), &app_enterprise(app));
            assert_eq!(e.admin, app.user);
            assert_eq!(e.members.len(), 1);
            let a: Application = load(w.store(), &app.id);
            assert!(matches!(a.state, ApplicationState::Completed { .. }));
        }
    }
    on_both_backends!(case, 18);
}

#[test]
fn concurrent_approvals_of_many_joins_to_one_enterprise_lose_nothing() {
    // Every approval rewrites the same enterprise row and seal book: the
    // commits conflict and must be re-run, none lost.
    fn case<S: Store>(w: &World<S>) {
        let s = &w.services;
        let ps = people(w, 11);
        let code = claimed_enterprise(w, &ps[0], 4);
        let mut joins = Vec::new();
        for p in &ps[1..] {
            let (app, order) = s.join_enterprise(&p.id, join_input(&code)).unwrap();
            pay(w, &order);
            joins.push(app);
        }
        let per_thread: Vec<Vec<bool>> = race(THREADS, |t| {
            let mut won = vec![false; joins.len()];
            for j in 0..joins.len() {
                let i = (j + t) % joins.len();
                match s.approve_audit(&ps[0].id, joins[i].audit.as_deref().unwrap()) {
                    Ok(_) => won[i] = true,
                    Err(e) => assert!(matches!(e, Error::InvalidState { .. }), "{e}"),
                }
            }
            won
        });
        for i in 0..joins.len() {
            assert_eq!(per_thread.iter().filter(|w| w[i]).count(), 1);
        }
        let e: Enterprise = load(w.store(), &code);
        let want: BTreeSet<&String> = ps.iter().map(|p| &p.id).collect();
        assert_eq!(e.members.keys().collect::<BTreeSet<_>>(), want);
        assert_eq!(e.admin, ps[0].id);
    }
    on_both_backends!(case, 19);
}

#[test]

fn a_refunded_application_order_never_takes_effect() {
    let w = World::reference(26);
    let s = &w.services;
    let p = person(&w, 0);
    let (app, order) = s.claim_enterprise(&p.id, claim_input(700)).unwrap();
    pay(&w, &order);
    s.request_refund(&p.id, &order.number, "不再需要").unwrap();
    let o = s.settle_refund(STAFF, &order.number, true).unwrap();
    assert!(matches!(
        o.refund.as_ref().map(|r| &r.state),
        Some(RefundState::Refunded { .. })
    ));
    let _ = s.approve_audit(STAFF, app.audit.as_deref().unwrap());
    let o: Order = load(w.store(), &order.number);
    let code = app_enterprise(&app);
    assert!(!o.credited, "a refunded order's uses are credited");
    assert_eq!(
        w.store()
            .quota(&quota_key(&code, InstitutionKind::Ca))
            .unwrap()
            .unwrap_or(0),
        0
    );
    let a: Application = load(w.store(), &app.id);
    assert!(
        !matches!(a.state, ApplicationState::Completed { .. }),
        "an application whose payment was refunded took effect"
    );
}

// ----- 1e. races the services lose -----

/// Rounds of the races below: on the reference world their window is
/// small, so each runs on fresh data many times.
const ROUNDS: usize = 50;

#[test]

fn losers_of_an_approval_race_are_refused_by_the_audit_state() {
    // The losers of a race to approve one join audit must see the audit
    // approved (re-run on fresh rows), not a mix of old and new rows.
    fn case<S: Store>(w: &World<S>) {
        let s = &w.services;
        let ps = people(w, 2);
        for round in 0..ROUNDS {
            let code = claimed_enterprise(w, &ps[0], 400 + round);
            let (app, order) = s.join_enterprise(&ps[1].id, join_input(&code)).unwrap();
            pay(w, &order);
            let audit = app.audit.clone().unwrap();
            let results = race(THREADS, |_| s.approve_audit(&ps[0].id, &audit));
            exactly_one_ok(results, &["audit"]);
        }
    }
    on_both_backends!(case, 23);
}

#[test]

fn one_enterprise_claimed_from_many_threads_opens_one_claim() {
    fn case<S: Store>(w: &World<S>) {
        let s = &w.services;
        let ps = people(w, THREADS);
        for round in 0..ROUNDS {
            let results = race(THREADS, |i| {
                s.claim_enterprise(&ps[i].id, claim_input(200 + round))
            });
            let code = enterprise_data(200 + round).credit_code;
            let claims = w
                .store()
                .all::<Application>()
                .unwrap()
                .into_iter()
                .filter(|a| {
                    matches!(&a.kind, ApplicationKind::Claim { data } if data.credit_code == code)
                })
                .count();
            assert_eq!(claims, 1, "round {round}: one open claim of the enterprise");
            exactly_one_ok(results, &["enterprise"]);
        }
    }
    on_both_backends!(case, 20);
}

#[test]

fn one_user_joining_from_many_threads_opens_one_request() {
    fn case<S: Store>(w: &World<S>) {
        let s = &w.services;
        let ps = people(w, 2);
        for round in 0..ROUNDS {
            let code = claimed_enterprise(w, &ps[0], 300 + round);
            let results = race(THREADS, |_| s.join_enterprise(&ps[1].id, join_input(&code)));
            exactly_one_ok(results, &["join request"]);
        }
    }
    on_both_backends!(case, 21);
}

#[test]

fn one_enterprise_appealed_from_many_threads_opens_one_appeal() {
    fn case<S: Store>(w: &World<S>) {
        let s = &w.services;
        let ps = people(w, THREADS);
        for round in 0..ROUNDS {
            let code = claimed_enterprise(w, &ps[0], 600 + round);
            s.deregister_enterprise(&ps[0].id, &code).unwrap();
            let results = race(THREADS, |i| {
                s.appeal_enterprise(&ps[i].id, &code, b"licence scan", b"appeal letter")
            });
            exactly_one_ok(results, &["enterprise"]);
        }
    }
    on_both_backends!(case, 25);
}

#[test]

fn first_addresses_added_at_once_leave_one_default() {
    fn case<S: Store>(w: &World<S>) {
        let s = &w.services;
        for round in 0..ROUNDS {
            let p = person(w, 50 + round);
            s.delete_address(&p.id, &p.address).unwrap();
            race(THREADS, |i| {
                s.add_address(&p.id, address_input(i, false)).unwrap();
            });
            let defaults = w
                .store()
                .find_by::<Address>("user", &p.id)
                .unwrap()
                .into_iter()
                .filter(|a| a.default)
                .count();
            assert_eq!(defaults, 1, "round {round}: exactly one default address");
        }
    }
    on_both_backends!(case, 22);
}

// ----- 2. random sequences keep the invariants -----

const PEOPLE: usize = 4;

/// Which order or audit an operation is about: mostly (`aim`) one the
/// operation applies to, else any.
#[derive(Debug, Clone, Copy)]
struct Target {
    i: usize,
    aim: bool,
}

#[derive(Debug, Clone)]
enum Op {
    /// Order packages for the person or for enterprise `ent`.
    Order {
        user: usize,
        ent: Option<usize>,
        pkg: usize,
        qty: u32,
    },
    Pay {
        order: Target,
    },
    PayTwice {
        order: Target,
    },
    PayWrongAmount {
        order: Target,
    },
    Refund {
        order: Target,
    },
    Settle {
        order: Target,
        approve: bool,
    },
    Invoice {
        order: Target,
        permille: u64,
    },
    Charge {
        holder: usize,
        seal: bool,
        tx: u8,
    },
    /// Claim the second enterprise.
    Claim {
        user: usize,
    },
    Join {
        user: usize,
        ent: usize,
    },
    Leave {
        user: usize,
        ent: usize,
    },
    Approve {
        audit: Target,
        honest: bool,
    },
    Return {
        audit: Target,
        honest: bool,
    },
    Remove {
        /// `None`: the administrator.
        actor: Option<usize>,
        member: usize,
        ent: usize,
    },
    ChangeAdmin {
        /// `None`: the administrator.
        actor: Option<usize>,
        to: usize,
        ent: usize,
    },
    Deregister {
        actor: usize,
        ent: usize,
    },
    Appeal {
        user: usize,
        ent: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let i = || (0..64usize, prop::bool::weighted(0.75)).prop_map(|(i, aim)| Target { i, aim });
    let actor = || prop::option::weighted(0.3, 0..PEOPLE);
    let u = || 0..PEOPLE;
    let e = || 0..2usize;
    prop_oneof![
        4 => (u(), prop::option::of(e()), 0..3usize, 1..4u32)
            .prop_map(|(user, ent, pkg, qty)| Op::Order { user, ent, pkg, qty }),
        5 => i().prop_map(|order| Op::Pay { order }),
        2 => i().prop_map(|order| Op::PayTwice { order }),
        1 => i().prop_map(|order| Op::PayWrongAmount { order }),
        3 => i().prop_map(|order| Op::Refund { order }),
        3 => (i(), any::<bool>()).prop_map(|(order, approve)| Op::Settle { order, approve }),
        3 => (i(), 0..1300u64).prop_map(|(order, permille)| Op::Invoice { order, permille }),
        5 => (0..PEOPLE + 2, any::<bool>(), 0..24u8)
            .prop_map(|(holder, seal, tx)| Op::Charge { holder, seal, tx }),
        1 => u().prop_map(|user| Op::Claim { user }),
        3 => (u(), e()).prop_map(|(user, ent)| Op::Join { user, ent }),
        2 => (u(), e()).prop_map(|(user, ent)| Op::Leave { user, ent }),
        4 => (i(), prop::bool::weighted(0.85)).prop_map(|(audit, honest)| Op::Approve { audit, honest }),
        2 => (i(), prop::bool::weighted(0.85)).prop_map(|(audit, honest)| Op::Return { audit, honest }),
        2 => (actor(), u(), e()).prop_map(|(actor, member, ent)| Op::Remove { actor, member, ent }),
        2 => (actor(), u(), e()).prop_map(|(actor, to, ent)| Op::ChangeAdmin { actor, to, ent }),
        1 => (u(), e()).prop_map(|(actor, ent)| Op::Deregister { actor, ent }),
        1 => (u(), e()).prop_map(|(user, ent)| Op::Appeal { user, ent }),
    ]
}

/// A membership change an operation made.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Effect {
    Created { code: String, admin: String },
    Joined { code: String, user: String },
    Left { code: String, user: String },
    Admin { code: String, user: String },
    Deregistered { code: String },
}

struct Sim {
    w: World<AnyStore>,
    people: Vec<Person>,
    /// Enterprise 0 (claimed at the start) and 1 (claim pending).
    codes: [String; 2],
    orders: Vec<String>,
    audits: Vec<String>,
    charged: HashMap<QuotaKey, u64>,
    /// Transactions used, with their verdict (a used code keeps it).
    settled_tx: HashMap<[u8; 16], Option<ChargeRefused>>,
    money_in: u64,
    money_out: u64,
    /// Orders whose approved refund took their uses back.
    taken_back: HashSet<String>,
}

type Check = Result<(), TestCaseError>;

fn ok_or_refused<T: std::fmt::Debug>(what: &str, expect_ok: bool, r: &Result<T, Error>) -> Check {
    match (expect_ok, r) {
        (true, Ok(_)) | (false, Err(_)) => Ok(()),
        (true, Err(e)) => Err(TestCaseError::fail(format!("{what}: expected Ok, got {e}"))),
        (false, Ok(v)) => Err(TestCaseError::fail(format!(
            "{what}: expected a refusal, got {v:?}"
        ))),
    }
}

impl Sim {
    fn new() -> Self {
        let w = World::reference(42);
        let people = people(&w, PEOPLE);
        let s = &w.services;
        let e0 = claimed_enterprise(&w, &people[0], 0);
        let (app, order) = s
            .claim_enterprise(&people[1].id, claim_input(1))
            .expect("claim");
        let mut sim = Sim {
            codes: [e0, app_enterprise(&app)],
            orders: s
                .store()
                .all::<Order>()
                .unwrap()
                .into_iter()
                .map(|o| o.value.number)
                .collect(),
            audits: vec![app.audit.clone().expect("audit")],
            people,
            charged: HashMap::new(),
            settled_tx: HashMap::new(),
            money_in: 0,
            money_out: 0,
            taken_back: HashSet::new(),
            w,
        };
        assert!(sim.orders.contains(&order.number));
        let s = &sim.w.services;
        let (join, jorder) = s
            .join_enterprise(&sim.people[2].id, join_input(&sim.codes[0]))
            .expect("join");
        s.approve_audit(&sim.people[0].id, join.audit.as_deref().expect("audit"))
            .expect("approve join");
        pay(&sim.w, &jorder);
        let bought = s
            .order_packages(
                &sim.people[3].id,
                &Holder::Person,
                PLATFORM,
                &[(packages::PERSON_SEAL.into(), 2)],
                None,
            )
            .expect("order");
        pay(&sim.w, &bought);
        sim.orders.extend([jorder.number, bought.number]);
        sim.money_in = sim.orders().iter().map(|o| o.paid().0).sum();
        sim
    }

    fn store(&self) -> &AnyStore {
        self.w.services.store()
    }

    fn orders(&self) -> Vec<Order> {
        self.store()
            .all::<Order>()
            .unwrap()
            .into_iter()
            .map(|o| o.value)
            .collect()
    }

    fn order(&self, n: &str) -> Order {
        load(self.store(), n)
    }

    fn enterprise(&self, ent: usize) -> Option<Enterprise> {
        self.store()
            .try_load::<Enterprise>(&self.codes[ent])
            .unwrap()
            .map(|e| e.value)
    }

    fn active(&self, ent: usize) -> Option<Enterprise> {
        self.enterprise(ent)
            .filter(|e| e.state == EnterpriseState::Active)
    }

    fn person_of(&self, user: &str) -> &Person {
        self.people
            .iter()
            .find(|p| p.id == user)
            .expect("a person of the world")
    }

    fn quota_keys(&self) -> Vec<QuotaKey> {
        let mut holders: Vec<String> = self.people.iter().map(|p| p.id_number.clone()).collect();
        holders.extend(self.codes.iter().cloned());
        holders
            .iter()
            .flat_map(|h| {
                [InstitutionKind::Ca, InstitutionKind::Seal]
                    .into_iter()
                    .map(move |k| quota_key(h, k))
            })
            .collect()
    }

    fn pick(list: &[String], i: usize) -> Option<&String> {
        (!list.is_empty()).then(|| &list[i % list.len()])
    }

    /// The order `t` is about: when aiming, one that `fit` accepts (if any).
    fn order_for(&self, t: Target, fit: impl Fn(&Order) -> bool) -> Option<String> {
        if t.aim {
            let fitting: Vec<String> = self
                .orders
                .iter()
                .filter(|n| fit(&self.order(n)))
                .cloned()
                .collect();
            if let Some(n) = Self::pick(&fitting, t.i) {
                return Some(n.clone());
            }
        }
        Self::pick(&self.orders, t.i).cloned()
    }

    /// The audit `t` is about: when aiming, a pending one (if any).
    fn audit_for(&self, t: Target) -> Option<String> {
        if t.aim {
            let pending: Vec<String> = self
                .audits
                .iter()
                .filter(|a| load::<Audit>(self.store(), a).state == AuditState::Pending)
                .cloned()
                .collect();
            if let Some(a) = Self::pick(&pending, t.i) {
                return Some(a.clone());
            }
        }
        Self::pick(&self.audits, t.i).cloned()
    }

    fn admin_or(&self, actor: Option<usize>, ent: usize) -> String {
        match actor {
            Some(a) => self.people[a].id.clone(),
            None => self.enterprise(ent).map(|e| e.admin).unwrap_or_default(),
        }
    }

    /// The membership effect of an application that completed in this step.
    fn completed_effect(&self, app_id: &str, before: &ApplicationState) -> Vec<Effect> {
        let a: Application = load(self.store(), app_id);
        if *before != ApplicationState::Open
            || !matches!(a.state, ApplicationState::Completed { .. })
        {
            return Vec::new();
        }
        match &a.kind {
            ApplicationKind::Claim { data } => vec![Effect::Created {
                code: data.credit_code.clone(),
                admin: a.user.clone(),
            }],
            ApplicationKind::Join { enterprise, .. } => vec![Effect::Joined {
                code: enterprise.clone(),
                user: a.user.clone(),
            }],
            _ => Vec::new(),
        }
    }

    fn app_of_order(&self, o: &Order) -> Option<Application> {
        match &o.purpose {
            OrderPurpose::Application(id) => Some(load(self.store(), id)),
            _ => None,
        }
    }

    fn pay(&mut self, n: &str, amount: Option<Cents>) -> Result<Vec<Effect>, TestCaseError> {
        let pre = self.order(n);
        let app = self.app_of_order(&pre);
        let pending = pre.state == OrderState::Pending;
        let completes_dead_join = app.as_ref().is_some_and(|a| {
            a.approved
                && matches!(&a.kind, ApplicationKind::Join { enterprise, .. }
                    if self.store().try_load::<Enterprise>(enterprise).unwrap()
                        .is_none_or(|e| e.state != EnterpriseState::Active))
        });
        let amount = amount.unwrap_or(pre.due());
        let r =
            self.w
                .services
                .pay_order(&pre.user, n, PaymentMethod::WeChatPay, amount, "wx-prop");
        ok_or_refused(
            "pay",
            pending && amount == pre.due() && !completes_dead_join,
            &r,
        )?;
        if !pending {
            prop_assert!(
                matches!(&r, Err(e) if is_invalid_state(e, "order")),
                "paying a {} order: {r:?}",
                pre.state.name()
            );
        }
        if r.is_err() {
            prop_assert_eq!(self.order(n), pre, "a refused payment changes nothing");
            return Ok(Vec::new());
        }
        self.money_in += pre.due().0;
        Ok(match app {
            Some(a) => self.completed_effect(&a.id, &a.state),
            None => Vec::new(),
        })
    }

    fn step(&mut self, op: &Op) -> Result<Vec<Effect>, TestCaseError> {
        let s = &self.w.services;
        let person_pkgs = [
            packages::PERSON_CA,
            packages::PERSON_SEAL,
            packages::PERSON_CA_EXTEND,
        ];
        let ent_pkgs = [
            packages::ENTERPRISE_CA,
            packages::ENTERPRISE_SEAL,
            packages::ENTERPRISE_CA_EXTEND,
        ];
        match *op {
            Op::Order {
                user,
                ent,
                pkg,
                qty,
            } => {
                let p = &self.people[user];
                let (holder, id, ok) = match ent {
                    None => (Holder::Person, person_pkgs[pkg], true),
                    Some(e) => (
                        Holder::Enterprise(self.codes[e].clone()),
                        ent_pkgs[pkg],
                        self.active(e).is_some_and(|x| x.is_member(&p.id)),
                    ),
                };
                let r = s.order_packages(&p.id, &holder, PLATFORM, &[(id.into(), qty)], None);
                ok_or_refused("order", ok, &r)?;
                if let Ok(o) = r {
                    let yuan = if ent.is_some() {
                        [300u64, 200, 240][pkg]
                    } else {
                        [100u64, 50, 80][pkg]
                    };
                    prop_assert_eq!(o.due(), Cents(yuan * 100 * u64::from(qty)));
                    prop_assert_eq!(o.state, OrderState::Pending);
                    self.orders.push(o.number);
                }
                Ok(Vec::new())
            }
            Op::Pay { order } => match self.order_for(order, |o| o.state == OrderState::Pending) {
                Some(n) => self.pay(&n, None),
                None => Ok(Vec::new()),
            },
            Op::PayTwice { order } => {
                let Some(n) = self.order_for(order, |o| o.state == OrderState::Pending) else {
                    return Ok(Vec::new());
                };
                let effects = self.pay(&n, None)?;
                let after = self.order(&n);
                if !matches!(after.state, OrderState::Paid { .. }) {
                    return Ok(effects);
                }
                let points = self.store().all::<PointsEntry>().unwrap().len();
                let r = self.w.services.pay_order(
                    &after.user,
                    &n,
                    PaymentMethod::Alipay,
                    after.due(),
                    "ali-again",
                );
                prop_assert!(
                    matches!(&r, Err(e) if is_invalid_state(e, "order")),
                    "second payment: {r:?}"
                );
                prop_assert_eq!(self.order(&n), after);
                prop_assert_eq!(self.store().all::<PointsEntry>().unwrap().len(), points);
                Ok(effects)
            }
            Op::PayWrongAmount { order } => {
                let Some(n) = self.order_for(order, |o| o.state == OrderState::Pending) else {
                    return Ok(Vec::new());
                };
                let due = self.order(&n).due();
                self.pay(&n, Some(Cents(due.0 + 1)))
            }
            Op::Refund { order } => {
                let Some(n) = self.order_for(order, |o| {
                    o.paid() > o.invoiced()
                        && o.refund
                            .as_ref()
                            .is_none_or(|r| matches!(r.state, RefundState::Refused { .. }))
                }) else {
                    return Ok(Vec::new());
                };
                let pre = self.order(&n);
                // Refunding an application's order before the application
                // took effect is left to
                // `a_refunded_application_order_never_takes_effect` (a known
                // bug would fail every case that reaches it).
                if self
                    .app_of_order(&pre)
                    .is_some_and(|a| a.state == ApplicationState::Open)
                {
                    return Ok(Vec::new());
                }
                let open = pre
                    .refund
                    .as_ref()
                    .is_some_and(|r| !matches!(r.state, RefundState::Refused { .. }));
                let left = pre.paid().0 - pre.invoiced().0;
                let ok = matches!(pre.state, OrderState::Paid { .. }) && !open && left > 0;
                let r = s.request_refund(&pre.user, &n, "项目取消，申请退费");
                ok_or_refused("refund", ok, &r)?;
                if let Ok(amount) = r {
                    prop_assert_eq!(amount, Cents(left));
                } else {
                    prop_assert_eq!(self.order(&n), pre);
                }
                Ok(Vec::new())
            }
            Op::Settle { order, approve } => {
                let Some(n) = self.order_for(order, |o| {
                    o.refund
                        .as_ref()
                        .is_some_and(|r| r.state == RefundState::Requested)
                }) else {
                    return Ok(Vec::new());
                };
                let pre = self.order(&n);
                let requested = pre
                    .refund
                    .as_ref()
                    .is_some_and(|r| r.state == RefundState::Requested);
                let mut need: HashMap<QuotaKey, u64> = HashMap::new();
                for item in &pre.items {
                    *need
                        .entry(quota_key(&pre.holder, item.package.institution))
                        .or_default() += item.uses();
                }
                let enough = need
                    .iter()
                    .all(|(k, u)| self.store().quota(k).unwrap().unwrap_or(0) >= *u);
                let r = s.settle_refund(STAFF, &n, approve);
                ok_or_refused("settle", requested, &r)?;
                if let Ok(o) = r {
                    let state = o.refund.as_ref().map(|r| r.state.clone());
                    let refunded = matches!(state, Some(RefundState::Refunded { .. }));
                    // Uses not credited yet (an application not in effect)
                    // have nothing to take back.
                    prop_assert_eq!(
                        refunded,
                        approve && (!pre.credited || enough),
                        "{:?}",
                        state
                    );
                    if refunded {
                        self.money_out += pre.refund_amount().0;
                        if pre.credited {
                            self.taken_back.insert(n.clone());
                        }
                    }
                    prop_assert_eq!(self.order(&n), o);
                }
                Ok(Vec::new())
            }
            Op::Invoice { order, permille } => {
                let Some(n) = self.order_for(order, |o| o.invoiceable() > Cents(0)) else {
                    return Ok(Vec::new());
                };
                let pre = self.order(&n);
                let amount = pre.due().0 * permille / 1000;
                let ok = matches!(pre.state, OrderState::Paid { .. })
                    && amount > 0
                    && amount <= pre.invoiceable().0;
                let p = self.person_of(&pre.user);
                let r = s.request_invoice(&pre.user, &n, Cents(amount), &p.title, &p.address);
                ok_or_refused("invoice", ok, &r)?;
                if let Ok(left) = r {
                    prop_assert_eq!(left, Cents(pre.invoiceable().0 - amount));
                }
                Ok(Vec::new())
            }
            Op::Charge { holder, seal, tx } => {
                let holder = if holder < PEOPLE {
                    self.people[holder].id_number.clone()
                } else {
                    self.codes[holder - PEOPLE].clone()
                };
                let kind = if seal {
                    InstitutionKind::Seal
                } else {
                    InstitutionKind::Ca
                };
                let key = quota_key(&holder, kind);
                let id = tx_id(u64::from(tx));
                let before = self.store().quota(&key).unwrap();
                let r = charge(self.store(), &key, &id).unwrap();
                match self.settled_tx.get(&id) {
                    // a used code keeps its verdict: nothing more is charged
                    Some(None) => {
                        prop_assert!(matches!(r, Ok(Charge::AlreadyCharged { .. })), "{r:?}")
                    }
                    Some(Some(refused)) => prop_assert_eq!(r, Err(*refused)),
                    None => {
                        let verdict = match before {
                            None => ChargeRefused::NotOpened,
                            Some(0) => ChargeRefused::Exhausted,
                            Some(q) => {
                                prop_assert_eq!(r, Ok(Charge::Charged { remaining: q - 1 }));
                                *self.charged.entry(key).or_default() += 1;
                                self.settled_tx.insert(id, None);
                                return Ok(Vec::new());
                            }
                        };
                        prop_assert_eq!(r, Err(verdict));
                        self.settled_tx.insert(id, Some(verdict));
                    }
                }
                Ok(Vec::new())
            }
            Op::Claim { user } => {
                let exists = self.enterprise(1).is_some();
                let open = self.store().all::<Application>().unwrap().iter().any(|a| {
                    a.state == ApplicationState::Open
                        && matches!(&a.kind, ApplicationKind::Claim { data } if data.credit_code == self.codes[1])
                });
                let r = s.claim_enterprise(&self.people[user].id, claim_input(1));
                ok_or_refused("claim", !exists && !open, &r)?;
                if let Ok((app, order)) = r {
                    self.orders.push(order.number);
                    self.audits.push(app.audit.expect("claim audit"));
                }
                Ok(Vec::new())
            }
            Op::Join { user, ent } => {
                let p = &self.people[user];
                let e = self.active(ent);
                let open = s
                    .store()
                    .find_by::<Application>("user", &p.id)
                    .unwrap()
                    .iter()
                    .any(|a| {
                        a.state == ApplicationState::Open
                            && matches!(&a.kind, ApplicationKind::Join { enterprise, .. } if *enterprise == self.codes[ent])
                    });
                let ok = e.is_some_and(|e| !e.is_member(&p.id)) && !open;
                let r = s.join_enterprise(&p.id, join_input(&self.codes[ent]));
                ok_or_refused("join", ok, &r)?;
                if let Ok((app, order)) = r {
                    self.orders.push(order.number);
                    self.audits.push(app.audit.expect("join audit"));
                }
                Ok(Vec::new())
            }
            Op::Leave { user, ent } => {
                let p = &self.people[user];
                let ok = self
                    .active(ent)
                    .is_some_and(|e| e.is_member(&p.id) && e.admin != p.id);
                let r = s.request_leave(&p.id, &self.codes[ent], "工作调动");
                ok_or_refused("leave", ok, &r)?;
                if let Ok(a) = r {
                    self.audits.push(a);
                }
                Ok(Vec::new())
            }
            Op::Approve { audit, honest } | Op::Return { audit, honest } => {
                let approve = matches!(op, Op::Approve { .. });
                let Some(id) = self.audit_for(audit) else {
                    return Ok(Vec::new());
                };
                let pre: Audit = load(self.store(), &id);
                let ent = pre
                    .enterprise
                    .as_deref()
                    .and_then(|c| self.store().try_load::<Enterprise>(c).unwrap());
                let admin = ent.as_ref().map(|e| e.admin.clone()).unwrap_or_default();
                let reviewer = match (pre.kind.by_administrator(), honest) {
                    (false, true) => STAFF.to_string(),
                    (false, false) => self.people[audit.i % PEOPLE].id.clone(),
                    (true, true) => admin.clone(),
                    (true, false) => self
                        .people
                        .iter()
                        .map(|p| p.id.clone())
                        .find(|p| *p != admin)
                        .expect("someone else"),
                };
                let app: Option<Application> = match pre.kind {
                    AuditKind::JoinEnterprise | AuditKind::EnterpriseClaim => {
                        Some(load(self.store(), &pre.subject))
                    }
                    _ => None,
                };
                let pending = pre.state == AuditState::Pending;
                let applicant = pre.applicant.clone();
                let r = if approve {
                    s.approve_audit(&reviewer, &id)
                } else {
                    s.return_audit(&reviewer, &id, ReturnKind::NotEligible, "材料不符")
                };
                let active = ent
                    .as_ref()
                    .is_some_and(|e| e.state == EnterpriseState::Active);
                if !honest {
                    prop_assert!(
                        matches!(&r, Err(Error::Forbidden { .. }))
                            || (!active && r.is_err() && pre.kind.by_administrator()),
                        "{r:?}"
                    );
                    return Ok(Vec::new());
                }
                let ok = pending
                    && (active || !pre.kind.by_administrator())
                    && (!approve
                        || match pre.kind {
                            AuditKind::JoinEnterprise => {
                                let e = ent.as_ref().expect("join of an enterprise");
                                !app.as_ref().expect("join app").paid || !e.is_member(&applicant)
                            }
                            AuditKind::LeaveEnterprise => ent
                                .as_ref()
                                .is_some_and(|e| e.is_member(&applicant) && e.admin != applicant),
                            AuditKind::EnterpriseAppeal => !active,
                            _ => true,
                        });
                ok_or_refused(if approve { "approve" } else { "return" }, ok, &r)?;
                if !pending && (active || !pre.kind.by_administrator()) {
                    prop_assert!(
                        matches!(&r, Err(e) if is_invalid_state(e, "audit")),
                        "{r:?}"
                    );
                }
                if r.is_err() {
                    prop_assert_eq!(load::<Audit>(self.store(), &id), pre);
                    return Ok(Vec::new());
                }
                let code = pre.enterprise.clone().unwrap_or_default();
                match (approve, pre.kind, app) {
                    (true, AuditKind::LeaveEnterprise, _) => Ok(vec![Effect::Left {
                        code,
                        user: applicant,
                    }]),
                    (true, AuditKind::EnterpriseAppeal, _) => Ok(vec![Effect::Created {
                        code,
                        admin: applicant,
                    }]),
                    (true, _, Some(a)) => Ok(self.completed_effect(&a.id, &a.state)),
                    (false, _, Some(a)) => {
                        let after: Application = load(self.store(), &a.id);
                        prop_assert_eq!(after.state, ApplicationState::Returned);
                        let o = self.order(a.order.as_deref().expect("an order"));
                        let was = a.paid;
                        prop_assert_eq!(
                            matches!(o.state, OrderState::Cancelled { .. }),
                            !was,
                            "returning cancels an unpaid order only"
                        );
                        Ok(Vec::new())
                    }
                    _ => Ok(Vec::new()),
                }
            }
            Op::Remove { actor, member, ent } => {
                let a = &self.admin_or(actor, ent);
                let m = &self.people[member].id;
                let ok = self
                    .enterprise(ent)
                    .is_some_and(|e| e.admin == *a && e.is_member(m) && e.admin != *m);
                let r = s.remove_member(a, &self.codes[ent], m);
                ok_or_refused("remove", ok, &r)?;
                Ok(if r.is_ok() {
                    vec![Effect::Left {
                        code: self.codes[ent].clone(),
                        user: m.clone(),
                    }]
                } else {
                    Vec::new()
                })
            }
            Op::Deregister { actor, ent } => {
                let a = &self.people[actor].id;
                let ok = self.active(ent).is_some_and(|e| e.admin == *a);
                let r = s.deregister_enterprise(a, &self.codes[ent]);
                ok_or_refused("deregister", ok, &r)?;
                Ok(if r.is_ok() {
                    vec![Effect::Deregistered {
                        code: self.codes[ent].clone(),
                    }]
                } else {
                    Vec::new()
                })
            }
            Op::Appeal { user, ent } => {
                let code = &self.codes[ent];
                let under_appeal = self.store().all::<Audit>().unwrap().iter().any(|a| {
                    a.kind == AuditKind::EnterpriseAppeal
                        && a.state == AuditState::Pending
                        && a.enterprise.as_deref() == Some(code.as_str())
                });
                let ok = self
                    .enterprise(ent)
                    .is_some_and(|e| matches!(e.state, EnterpriseState::Deregistered { .. }))
                    && !under_appeal;
                let r = s.appeal_enterprise(
                    &self.people[user].id,
                    code,
                    b"licence scan",
                    b"appeal letter",
                );
                ok_or_refused("appeal", ok, &r)?;
                if let Ok(a) = r {
                    self.audits.push(a);
                }
                Ok(Vec::new())
            }
            Op::ChangeAdmin { actor, to, ent } => {
                let a = &self.admin_or(actor, ent);
                let t = &self.people[to].id;
                let ok = self
                    .enterprise(ent)
                    .is_some_and(|e| e.admin == *a && e.is_member(t) && a != t);
                let r = s.change_admin(a, &self.codes[ent], t);
                ok_or_refused("change admin", ok, &r)?;
                Ok(if r.is_ok() {
                    vec![Effect::Admin {
                        code: self.codes[ent].clone(),
                        user: t.clone(),
                    }]
                } else {
                    Vec::new()
                })
            }
        }
    }

    /// (admin, members) of each enterprise.
    fn memberships(&self) -> BTreeMap<String, (String, BTreeSet<String>)> {
        self.store()
            .all::<Enterprise>()
            .unwrap()
            .into_iter()
            .map(|e| {
                (
                    e.data.credit_code.clone(),
                    (e.admin.clone(), e.members.keys().cloned().collect()),
                )
            })
            .collect()
    }

    fn check_invariants(&self) -> Check {
        let store = self.store();
        let orders = self.orders();

        // Quotas: credited − charged − taken back, never below zero; only
        // paid orders credit, and a refunded order keeps no uses.
        let mut credited: HashMap<QuotaKey, u64> = HashMap::new();
        let mut taken: HashMap<QuotaKey, u64> = HashMap::new();
        for o in &orders {
            let refunded = matches!(
                o.refund.as_ref().map(|r| &r.state),
                Some(RefundState::Refunded { .. })
            );
            prop_assert!(
                !o.credited || matches!(o.state, OrderState::Paid { .. }),
                "order {} credited unpaid",
                &o.number
            );
            prop_assert!(
                !(refunded && o.credited) || self.taken_back.contains(&o.number),
                "order {} refunded, yet its uses stay credited",
                &o.number
            );
            for item in &o.items {
                let k = quota_key(&o.holder, item.package.institution);
                if o.credited {
                    *credited.entry(k.clone()).or_default() += item.uses();
                }
                if self.taken_back.contains(&o.number) {
                    *taken.entry(k).or_default() += item.uses();
                }
            }
        }
        for k in self.quota_keys() {
            let c = credited.get(&k).copied().unwrap_or(0);
            let ch = self.charged.get(&k).copied().unwrap_or(0);
            let t = taken.get(&k).copied().unwrap_or(0);
            let want = i128::from(c) - i128::from(ch) - i128::from(t);
            let have = store.quota(&k).unwrap();
            prop_assert!(want >= 0, "{k:?}: {c} credited − {ch} charged − {t} taken");
            prop_assert_eq!(have.is_some(), c > 0, "{:?} opened iff credited", k);
            prop_assert_eq!(i128::from(have.unwrap_or(0)), want, "{:?}", k);
        }

        // Enterprises: one administrator, a member, and the indexes agree.
        let ents = store.all::<Enterprise>().unwrap();
        for e in &ents {
            if e.state == EnterpriseState::Active {
                prop_assert!(!e.admin.is_empty(), "{} has no administrator", e.code());
                prop_assert!(e.is_member(&e.admin), "the administrator is a member");
            } else {
                prop_assert!(e.admin.is_empty() && e.members.is_empty());
            }
        }
        for p in &self.people {
            let admin_of: BTreeSet<String> = store
                .find_by::<Enterprise>("admin", &p.id)
                .unwrap()
                .into_iter()
                .map(|e| e.value.data.credit_code)
                .collect();
            let want: BTreeSet<String> = ents
                .iter()
                .filter(|e| e.admin == p.id)
                .map(|e| e.data.credit_code.clone())
                .collect();
            prop_assert_eq!(admin_of, want, "admin index of {}", &p.id);
            let member_of: BTreeSet<String> = store
                .find_by::<Enterprise>("member", &p.id)
                .unwrap()
                .into_iter()
                .map(|e| e.value.data.credit_code)
                .collect();
            let want: BTreeSet<String> = ents
                .iter()
                .filter(|e| e.is_member(&p.id))
                .map(|e| e.data.credit_code.clone())
                .collect();
            prop_assert_eq!(member_of, want, "member index of {}", &p.id);
        }

        // Orders: paid once, refunded + invoiced ≤ paid, points once.
        let points = store.all::<PointsEntry>().unwrap();
        let mut sum_paid = 0u64;
        let mut sum_refunded = 0u64;
        let mut sum_retained = 0u64;
        let mut want_points: HashMap<&str, i64> = HashMap::new();
        for o in &orders {
            let paid = o.paid().0;
            prop_assert!(
                o.refund_amount().0 + o.invoiced().0 <= paid,
                "order {}: refunded {} + invoiced {} > paid {}",
                &o.number,
                o.refund_amount(),
                o.invoiced(),
                o.paid()
            );
            if !matches!(o.state, OrderState::Paid { .. }) {
                prop_assert!(o.refund.is_none() && o.invoices.is_empty());
            }
            let refunded = match o.refund.as_ref().map(|r| &r.state) {
                Some(RefundState::Refunded { .. }) => o.refund_amount().0,
                _ => 0,
            };
            let retained = paid.checked_sub(refunded);
            prop_assert!(
                retained.is_some(),
                "order {} refunded more than paid",
                &o.number
            );
            sum_paid += paid;
            sum_refunded += refunded;
            sum_retained += retained.unwrap_or(0);
            let reason = format!("订单 {}", o.number);
            let entries = points.iter().filter(|p| p.reason == reason).count();
            let paid_once = usize::from(paid > 0 && points_for(o.due()) > 0);
            prop_assert_eq!(entries, paid_once, "points entries of {}", &o.number);
            // A refund gives the points back, once.
            let reason = format!("退费 {}", o.number);
            let entries = points.iter().filter(|p| p.reason == reason).count();
            let refunded_once = usize::from(refunded > 0 && points_for(o.due()) > 0);
            prop_assert_eq!(entries, refunded_once, "refund entries of {}", &o.number);
            let pay_logs = logs_starting(store, &format!("支付订单 {} ", o.number));
            prop_assert_eq!(pay_logs, usize::from(paid > 0), "payments of {}", &o.number);
            if paid > 0 {
                *want_points.entry(o.user.as_str()).or_default() += points_for(o.due());
            }
            if refunded > 0 {
                *want_points.entry(o.user.as_str()).or_default() -= points_for(o.due());
            }
        }
        prop_assert_eq!(sum_paid, self.money_in, "every payment is in the orders");
        prop_assert_eq!(
            sum_refunded,
            self.money_out,
            "every refund is in the orders"
        );
        prop_assert_eq!(sum_paid, sum_refunded + sum_retained);
        for p in &self.people {
            let have: i64 = points
                .iter()
                .filter(|e| e.user == p.id)
                .map(|e| e.delta)
                .sum();
            prop_assert_eq!(have, want_points.get(p.id.as_str()).copied().unwrap_or(0));
        }
        Ok(())
    }
}

fn apply_effects(
    mut m: BTreeMap<String, (String, BTreeSet<String>)>,
    effects: &[Effect],
) -> BTreeMap<String, (String, BTreeSet<String>)> {
    for e in effects {
        match e {
            Effect::Created { code, admin } => {
                m.insert(
                    code.clone(),
                    (admin.clone(), BTreeSet::from([admin.clone()])),
                );
            }
            Effect::Joined { code, user } => {
                if let Some((_, members)) = m.get_mut(code) {
                    members.insert(user.clone());
                }
            }
            Effect::Left { code, user } => {
                if let Some((_, members)) = m.get_mut(code) {
                    members.remove(user);
                }
            }
            Effect::Admin { code, user } => {
                if let Some((admin, _)) = m.get_mut(code) {
                    *admin = user.clone();
                }
            }
            Effect::Deregistered { code } => {
                m.insert(code.clone(), (String::new(), BTreeSet::new()));
            }
        }
    }
    m
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 96,
        // One new file only: no regression files written next to it.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_operations_keep_the_invariants(ops in prop::collection::vec(op(), 1..80)) {
        let mut sim = Sim::new();
        sim.check_invariants()?;
        for (i, op) in ops.iter().enumerate() {
            let before = sim.memberships();
            let effects = sim.step(op).map_err(|e| {
                TestCaseError::fail(format!("step {i} {op:?}: {e}"))
            })?;
            let after = sim.memberships();
            prop_assert_eq!(
                &after,
                &apply_effects(before, &effects),
                "step {} {:?}: memberships moved only as the step says ({:?})",
                i,
                op,
                effects
            );
            sim.check_invariants().map_err(|e| {
                TestCaseError::fail(format!("after step {i} {op:?}: {e}"))
            })?;
        }
    }
}
