//! Seal management and grants, tested at their edges: first and last day
//! of a grant, cancelled grant, replaced seal, removed member.

use yizhengtong::Error;
use yizhengtong::seal::SealKind;
use yizhengtong::seal::manage::*;
use yizhengtong::time::Date;

const CODE: &str = "9165010039960151X0";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n...image...";
const PNG2: &[u8] = b"\x89PNG\r\n\x1a\n...new image...";

fn d(s: &str) -> Date {
    Date::parse(s).unwrap()
}

fn book() -> (SealBook, u64, u64) {
    let mut b = SealBook::new();
    b.add_enterprise(CODE, "admin").unwrap();
    b.add_member("admin", CODE, "alice").unwrap();
    b.add_member("admin", CODE, "bob").unwrap();
    let company = b
        .collect(
            "admin",
            SealOwner::Enterprise(CODE.into()),
            SealKind::CompanySeal,
            "公章",
            PNG.to_vec(),
            d("2027-12-31"),
        )
        .unwrap();
    let contract = b
        .collect(
            "admin",
            SealOwner::Enterprise(CODE.into()),
            SealKind::ContractSeal,
            "合同章",
            PNG.to_vec(),
            d("2027-12-31"),
        )
        .unwrap();
    (b, company, contract)
}

#[test]
fn grant_range_is_inclusive_at_both_ends() {
    let (mut b, company, _) = book();
    b.grant(
        "admin",
        CODE,
        &[company],
        &["alice"],
        d("2026-03-01"),
        d("2026-03-31"),
    )
    .unwrap();
    assert!(matches!(
        b.authorize_use("alice", company, d("2026-02-28")),
        Err(Error::Forbidden { .. })
    ));
    b.authorize_use("alice", company, d("2026-03-01")).unwrap();
    b.authorize_use("alice", company, d("2026-03-15")).unwrap();
    b.authorize_use("alice", company, d("2026-03-31")).unwrap();
    assert!(matches!(
        b.authorize_use("alice", company, d("2026-04-01")),
        Err(Error::Forbidden { .. })
    ));
    // bob has no grant; the administrator needs none
    assert!(b.authorize_use("bob", company, d("2026-03-15")).is_err());
    b.authorize_use("admin", company, d("2026-03-15")).unwrap();
    // a one-day grant
    b.grant(
        "admin",
        CODE,
        &[company],
        &["bob"],
        d("2026-05-05"),
        d("2026-05-05"),
    )
    .unwrap();
    b.authorize_use("bob", company, d("2026-05-05")).unwrap();
    assert!(b.authorize_use("bob", company, d("2026-05-06")).is_err());
    // an inverted range is refused
    assert!(
        b.grant(
            "admin",
            CODE,
            &[company],
            &["bob"],
            d("2026-05-06"),
            d("2026-05-05")
        )
        .is_err()
    );
}

#[test]
fn batch_grants_and_cancellation() {
    let (mut b, company, contract) = book();
    let ids = b
        .grant(
            "admin",
            CODE,
            &[company, contract],
            &["alice", "bob"],
            d("2026-01-01"),
            d("2026-12-31"),
        )
        .unwrap();
    assert_eq!(ids.len(), 4);
    for user in ["alice", "bob"] {
        for seal in [company, contract] {
            b.authorize_use(user, seal, d("2026-06-01")).unwrap();
        }
    }
    // only the administrator cancels
    assert!(matches!(
        b.cancel_grant("alice", ids[0]),
        Err(Error::Forbidden { .. })
    ));
    b.cancel_grant("admin", ids[0]).unwrap();
    let err = b
        .authorize_use("alice", company, d("2026-06-01"))
        .unwrap_err();
    assert!(err.to_string().contains("cancelled"), "{err}");
    assert!(matches!(
        b.cancel_grant("admin", ids[0]),
        Err(Error::InvalidState { .. })
    ));
    // the other grants still work
    b.authorize_use("bob", company, d("2026-06-01")).unwrap();
    // a batch with a non-member grants nothing
    let before = b.grants_of(contract).len();
    assert!(
        b.grant(
            "admin",
            CODE,
            &[contract],
            &["alice", "mallory"],
            d("2026-01-01"),
            d("2026-01-02")
        )
        .is_err()
    );
    assert_eq!(b.grants_of(contract).len(), before);
    // only the administrator grants
    assert!(matches!(
        b.grant(
            "alice",
            CODE,
            &[contract],
            &["bob"],
            d("2026-01-01"),
            d("2026-01-02")
        ),
        Err(Error::Forbidden { .. })
    ));
}

#[test]
fn removed_member_and_non_member() {
    let (mut b, company, _) = book();
    b.grant(
        "admin",
        CODE,
        &[company],
        &["alice"],
        d("2026-01-01"),
        d("2026-12-31"),
    )
    .unwrap();
    b.authorize_use("alice", company, d("2026-06-01")).unwrap();
    assert!(matches!(
        b.remove_member("alice", CODE, "bob"),
        Err(Error::Forbidden { .. })
    ));
    b.remove_member("admin", CODE, "alice").unwrap();
    let err = b
        .authorize_use("alice", company, d("2026-06-01"))
        .unwrap_err();
    assert!(err.to_string().contains("not a member"), "{err}");
    assert!(
        b.authorize_use("mallory", company, d("2026-06-01"))
            .is_err()
    );
    assert!(matches!(
        b.remove_member("admin", CODE, "alice"),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn replacement_keeps_the_old_seal_until_approved() {
    let (mut b, company, _) = book();
    b.grant(
        "admin",
        CODE,
        &[company],
        &["alice"],
        d("2026-01-01"),
        d("2026-12-31"),
    )
    .unwrap();
    // reason limits
    assert!(matches!(
        b.request_replacement("admin", company, "", PNG2.to_vec()),
        Err(Error::InvalidLength { .. })
    ));
    assert!(
        b.request_replacement("admin", company, &"字".repeat(501), PNG2.to_vec())
            .is_err()
    );
    assert!(
        b.request_replacement("admin", company, "bad image", b"nope".to_vec())
            .is_err()
    );
    assert!(matches!(
        b.request_replacement("alice", company, "worn", PNG2.to_vec()),
        Err(Error::Forbidden { .. })
    ));
    b.request_replacement("admin", company, &"字".repeat(500), PNG2.to_vec())
        .unwrap();
    // still in force while pending, and a second request is refused
    b.authorize_use("alice", company, d("2026-06-01")).unwrap();
    assert!(matches!(
        b.request_replacement("admin", company, "again", PNG2.to_vec()),
        Err(Error::InvalidState { .. })
    ));
    // returned: back to active
    b.reject_replacement(company).unwrap();
    assert!(b.reject_replacement(company).is_err());
    b.request_replacement("admin", company, "the seal was redesigned", PNG2.to_vec())
        .unwrap();
    let new = b.approve_replacement(company).unwrap();
    assert!(b.approve_replacement(company).is_err());
    let err = b
        .authorize_use("alice", company, d("2026-06-01"))
        .unwrap_err();
    assert!(err.to_string().contains("replaced"), "{err}");
    assert!(b.authorize_use("admin", company, d("2026-06-01")).is_err());
    assert_eq!(b.seal(new).unwrap().image, PNG2);
    assert_eq!(b.seal(new).unwrap().state, SealState::Active);
    // grants do not carry over: the administrator grants the new seal
    assert!(b.authorize_use("alice", new, d("2026-06-01")).is_err());
    assert!(
        b.grant(
            "admin",
            CODE,
            &[company],
            &["alice"],
            d("2026-01-01"),
            d("2026-12-31")
        )
        .is_err()
    );
    b.grant(
        "admin",
        CODE,
        &[new],
        &["alice"],
        d("2026-01-01"),
        d("2026-12-31"),
    )
    .unwrap();
    b.authorize_use("alice", new, d("2026-06-01")).unwrap();
}

#[test]
fn expired_seal_and_personal_seals() {
    let (mut b, company, _) = book();
    b.authorize_use("admin", company, d("2027-12-31")).unwrap();
    let err = b
        .authorize_use("admin", company, d("2028-01-01"))
        .unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");

    let hw = b
        .capture_handwritten("alice", "alice 的签名", PNG.to_vec(), d("2030-01-01"))
        .unwrap();
    b.authorize_use("alice", hw, d("2026-01-01")).unwrap();
    assert!(matches!(
        b.authorize_use("bob", hw, d("2026-01-01")),
        Err(Error::Forbidden { .. })
    ));
    assert!(matches!(
        b.request_replacement("bob", hw, "x", PNG2.to_vec()),
        Err(Error::Forbidden { .. })
    ));
    // personal kinds belong to people, enterprise kinds to enterprises
    assert!(
        b.collect(
            "admin",
            SealOwner::Enterprise(CODE.into()),
            SealKind::PersonalSeal,
            "x",
            PNG.to_vec(),
            d("2030-01-01")
        )
        .is_err()
    );
    assert!(
        b.collect(
            "alice",
            SealOwner::Person("alice".into()),
            SealKind::CompanySeal,
            "x",
            PNG.to_vec(),
            d("2030-01-01")
        )
        .is_err()
    );
    // a personal seal cannot be granted
    assert!(
        b.grant(
            "admin",
            CODE,
            &[hw],
            &["bob"],
            d("2026-01-01"),
            d("2026-01-02")
        )
        .is_err()
    );
    // only the administrator collects enterprise seals
    assert!(matches!(
        b.collect(
            "alice",
            SealOwner::Enterprise(CODE.into()),
            SealKind::FinanceSeal,
            "财务章",
            PNG.to_vec(),
            d("2030-01-01")
        ),
        Err(Error::Forbidden { .. })
    ));
    assert_eq!(b.seals_of(&SealOwner::Person("alice".into())).len(), 1);
}
