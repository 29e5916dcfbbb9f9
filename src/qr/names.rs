//! What a platform is called and where the app sends its answers: the
//! checks for a platform's name (the text the phone shows the user before
//! the PIN) and for its callback hosts, applied wherever a platform is
//! configured: [`super::PlatformRegistry::add`] (and through it the
//! wallet's `yzt app trust`, the C ABI and Java), and
//! [`super::Verifier::new`].
//!
//! A name is what the user trusts, so it must read as it is: no control
//! characters, nothing that reorders the text (a right-to-left override
//! can make `…平台` display as something else), nothing invisible, no
//! white space at either end, at most [`MAX_PLATFORM_NAME_CHARS`]
//! characters. A host is a plain `host[:port]`: a DNS name (RFC 1123
//! labels), an IPv4 address or an IPv6 address in brackets, and a port
//! from 1 to 65535; never a URL, user information or a path.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::error::{Error, Result};

/// The most characters (Unicode scalar values) a platform name may have.
pub const MAX_PLATFORM_NAME_CHARS: usize = 64;

/// The longest `host[:port]` accepted, in bytes: a 253-byte DNS name and
/// `:65535`.
pub const MAX_CALLBACK_HOST_LEN: usize = 253 + 6;

/// Why `c` may not appear in a name the phone shows, if it may not.
fn refused_char(c: char) -> Option<&'static str> {
    Some(match c {
        // C0, DEL and C1.
        c if c.is_control() => "a control character",
        '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}'
        | '\u{200E}'
        | '\u{200F}'
        | '\u{061C}' => "a bidirectional control, which reorders the text shown",
        '\u{2028}' | '\u{2029}' => "a line or paragraph separator",
        '\u{200B}'..='\u{200D}'
        | '\u{2060}'..='\u{2064}'
        | '\u{206A}'..='\u{206F}'
        | '\u{FEFF}'
        | '\u{00AD}'
        | '\u{034F}'
        | '\u{115F}'
        | '\u{1160}'
        | '\u{17B4}'
        | '\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        | '\u{3164}'
        | '\u{FFA0}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E007F}' => "an invisible character",
        '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}' => "an invisible variation selector",
        '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{10FFFF}' => {
            "a private-use character, which each font draws its own way"
        }
        '\u{FDD0}'..='\u{FDEF}' => "a noncharacter",
        c if u32::from(c) & 0xFFFE == 0xFFFE => "a noncharacter",
        '\u{FFFD}' => "the replacement character (text decoded wrongly)",
        _ => return None,
    })
}

/// Check a platform's name as the phone will show it: not empty, at most
/// [`MAX_PLATFORM_NAME_CHARS`] characters, no control characters (C0,
/// DEL, C1), no bidirectional controls (U+202A–U+202E, U+2066–U+2069,
/// U+200E, U+200F, U+061C), no invisible characters (zero-width
/// characters, U+FEFF, the soft hyphen, fillers, variation selectors,
/// tags), no line separators, private-use characters or noncharacters,
/// and no white space at either end.
pub fn validate_platform_name(name: &str) -> Result<()> {
    let bad = |why: String| Err(Error::param("platform name", why));
    if name.is_empty() {
        return bad("is empty".into());
    }
    let count = name.chars().count();
    if count > MAX_PLATFORM_NAME_CHARS {
        return bad(format!(
            "is {count} characters long; at most {MAX_PLATFORM_NAME_CHARS}"
        ));
    }
    if let Some((i, c, why)) = name
        .chars()
        .enumerate()
        .find_map(|(i, c)| refused_char(c).map(|why| (i, c, why)))
    {
        return bad(format!(
            "{name:?}: character {} is U+{:04X}, {why}",
            i + 1,
            u32::from(c)
        ));
    }
    for (end, c) in [
        ("begins", name.chars().next()),
        ("ends", name.chars().next_back()),
    ] {
        if let Some(c) = c.filter(|c| c.is_whitespace()) {
            return bad(format!(
                "{name:?} {end} with white space (U+{:04X})",
                u32::from(c)
            ));
        }
    }
    Ok(())
}

/// Check a callback host: `host[:port]`, where host is a DNS name of
/// RFC 1123 labels (letters, digits and `-`, 1 to 63 each, not beginning
/// or ending with `-`, at most 253 bytes in all, the last label not all
/// digits), an IPv4 address in dotted decimal, or an IPv6 address in
/// brackets; the port, if given, 1 to 65535 without leading zeros.
/// Refuses a scheme, user information, a path, query or fragment, and
/// white space.
pub fn validate_callback_host(host: &str) -> Result<()> {
    let bad = |why: String| Err(Error::param("callback host", why));
    if host.is_empty() {
        return bad("is empty; give host[:port]".into());
    }
    if host.len() > MAX_CALLBACK_HOST_LEN {
        return bad(format!(
            "is {} bytes long; a host[:port] has at most {MAX_CALLBACK_HOST_LEN}",
            host.len()
        ));
    }
    if host.contains("://") {
        return bad(format!(
            "{host:?} is a URL; give only host[:port], without the scheme"
        ));
    }
    if host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad(format!(
            "{host:?} contains white space or a control character"
        ));
    }
    if host.contains('@') {
        return bad(format!(
            "{host:?} has user information ('@'); give only host[:port]"
        ));
    }
    if host.contains(['/', '\\', '?', '#']) {
        return bad(format!(
            "{host:?} has a path, query or fragment; give only host[:port]"
        ));
    }
    let (name, port) = if let Some(rest) = host.strip_prefix('[') {
        let Some((addr, after)) = rest.split_once(']') else {
            return bad(format!("{host:?} opens '[' without closing ']'"));
        };
        if addr.parse::<Ipv6Addr>().is_err() {
            return bad(format!(
                "{host:?}: {addr:?} in brackets is not an IPv6 address"
            ));
        }
        let port = match after {
            "" => None,
            p => match p.strip_prefix(':') {
                Some(p) => Some(p),
                None => return bad(format!("{host:?}: after ']' only ':port' may follow")),
            },
        };
        (None, port)
    } else {
        match host.split_once(':') {
            Some((_, p)) if p.contains(':') => {
                return bad(format!(
                    "{host:?} has more than one ':' (an IPv6 address goes in brackets, as in [::1]:8443)"
                ));
            }
            Some((h, p)) => (Some(h), Some(p)),
            None => (Some(host), None),
        }
    };
    if let Some(p) = port {
        check_port(host, p)?;
    }
    match name {
        None => Ok(()),
        Some("") => bad(format!("{host:?} has no host before the port")),
        Some(h) if h.bytes().all(|b| b.is_ascii_digit() || b == b'.') => {
            if h.parse::<Ipv4Addr>().is_ok() {
                Ok(())
            } else {
                bad(format!(
                    "{host:?}: {h:?} is not an IPv4 address (four numbers 0 to 255, no leading zeros)"
                ))
            }
        }
        Some(h) => check_dns_name(host, h),
    }
}

fn check_port(host: &str, p: &str) -> Result<()> {
    let bad = |why: String| Err(Error::param("callback host", format!("{host:?}: {why}")));
    if p.is_empty() {
        return bad("the port after ':' is empty".into());
    }
    if !p.bytes().all(|b| b.is_ascii_digit()) {
        return bad(format!("port {p:?} is not a number"));
    }
    if p.len() > 1 && p.starts_with('0') {
        return bad(format!("port {p:?} has a leading zero"));
    }
    match p.parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => Ok(()),
        _ => bad(format!("port {p} is outside 1 to 65535")),
    }
}

fn check_dns_name(host: &str, name: &str) -> Result<()> {
    let bad = |why: String| Err(Error::param("callback host", format!("{host:?}: {why}")));
    if name.len() > 253 {
        return bad(format!(
            "the name is {} bytes long; at most 253",
            name.len()
        ));
    }
    let labels: Vec<&str> = name.split('.').collect();
    for label in &labels {
        if label.is_empty() {
            return bad("has an empty label (two dots in a row, or a dot at either end)".into());
        }
        if label.len() > 63 {
            return bad(format!(
                "label {label:?} is {} bytes long; at most 63",
                label.len()
            ));
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return bad(format!(
                "label {label:?} has {c:?}; only letters, digits and '-' (write an internationalised name in its xn-- form)"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return bad(format!("label {label:?} begins or ends with '-'"));
        }
    }
    if labels
        .last()
        .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()))
    {
        return bad("the last label is all digits: neither a DNS name nor an IPv4 address".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused_name(name: &str) -> String {
        match validate_platform_name(name) {
            Err(Error::InvalidParameter {
                name: "platform name",
                reason,
            }) => reason,
            other => panic!("{name:?} was not refused as a platform name: {other:?}"),
        }
    }

    fn refused_host(host: &str) -> String {
        match validate_callback_host(host) {
            Err(Error::InvalidParameter {
                name: "callback host",
                reason,
            }) => reason,
            other => panic!("{host:?} was not refused as a callback host: {other:?}"),
        }
    }

    #[test]
    fn good_names() {
        for name in [
            "新疆公共资源交易平台",
            "乌鲁木齐市公共资源交易中心",
            "Throw-away platform",
            "P",
            "平台 (测试)",
            "ÅÉÎ-ñ 2024",
            &"平".repeat(MAX_PLATFORM_NAME_CHARS),
        ] {
            validate_platform_name(name).unwrap_or_else(|e| panic!("{name:?}: {e}"));
        }
    }

    #[test]
    fn empty_long_and_padded_names() {
        assert_eq!(refused_name(""), "is empty");
        assert_eq!(
            refused_name(&"平".repeat(MAX_PLATFORM_NAME_CHARS + 1)),
            "is 65 characters long; at most 64"
        );
        // A long name is not echoed back.
        assert!(refused_name(&"x".repeat(100_000)).len() < 100);
        assert!(refused_name(" 平台").contains("begins with white space (U+0020)"));
        assert!(refused_name("平台 ").contains("ends with white space (U+0020)"));
        assert!(refused_name("平台\u{3000}").contains("ends with white space (U+3000)"));
        assert!(refused_name("\u{A0}平台").contains("begins with white space (U+00A0)"));
        assert!(refused_name("   ").contains("begins with white space"));
    }

    #[test]
    fn control_bidi_and_invisible_characters() {
        // (character, what the message calls it)
        let cases: &[(char, &str)] = &[
            ('\n', "control"),
            ('\r', "control"),
            ('\t', "control"),
            ('\0', "control"),
            ('\u{1B}', "control"),
            ('\u{7F}', "control"),
            ('\u{85}', "control"),
            ('\u{9F}', "control"),
            ('\u{202A}', "bidirectional"),
            ('\u{202B}', "bidirectional"),
            ('\u{202C}', "bidirectional"),
            ('\u{202D}', "bidirectional"),
            ('\u{202E}', "bidirectional"),
            ('\u{2066}', "bidirectional"),
            ('\u{2067}', "bidirectional"),
            ('\u{2068}', "bidirectional"),
            ('\u{2069}', "bidirectional"),
            ('\u{200E}', "bidirectional"),
            ('\u{200F}', "bidirectional"),
            ('\u{061C}', "bidirectional"),
            ('\u{200B}', "invisible"),
            ('\u{200C}', "invisible"),
            ('\u{200D}', "invisible"),
            ('\u{2060}', "invisible"),
            ('\u{FEFF}', "invisible"),
            ('\u{00AD}', "invisible"),
            ('\u{3164}', "invisible"),
            ('\u{E0041}', "invisible"),
            ('\u{FE0F}', "variation selector"),
            ('\u{2028}', "line or paragraph separator"),
            ('\u{2029}', "line or paragraph separator"),
            ('\u{E000}', "private-use"),
            ('\u{10FFFD}', "private-use"),
            ('\u{FDD0}', "noncharacter"),
            ('\u{FFFE}', "noncharacter"),
            ('\u{1FFFF}', "noncharacter"),
            ('\u{FFFD}', "replacement character"),
        ];
        for &(c, what) in cases {
            for name in [
                format!("交易{c}平台"),
                format!("{c}交易平台"),
                format!("交易平台{c}"),
            ] {
                let reason = refused_name(&name);
                assert!(
                    reason.contains(what) && reason.contains(&format!("U+{:04X}", u32::from(c))),
                    "{name:?}: {reason}"
                );
            }
        }
        // The case: the position is named, the text is escaped.
        let reason = refused_name("平台\u{202E}nc.elpmaxe\n");
        assert!(reason.contains("character 3 is U+202E"), "{reason}");
        assert!(
            !reason.contains('\u{202E}') && !reason.contains('\n'),
            "{reason}"
        );
    }

    #[test]
    fn good_hosts() {
        for host in [
            "ggzy.example.cn",
            "GGZY.Example.CN",
            "localhost",
            "localhost:8080",
            "127.0.0.1",
            "127.0.0.1:8080",
            "0.0.0.0:1",
            "10.0.0.1:65535",
            "[::1]",
            "[::1]:8443",
            "[2001:db8::8a2e:370:7334]:443",
            "[::ffff:192.0.2.1]:80",
            "xn--fiqs8s.xn--55qx5d.cn",
            "a-b.c-d.example",
            "123.example.cn",
            "a.b2",
            &format!("{}.example", "a".repeat(63)),
            &format!("{}.cn", vec!["a".repeat(63); 3].join(".")),
        ] {
            validate_callback_host(host).unwrap_or_else(|e| panic!("{host:?}: {e}"));
        }
    }

    #[test]
    fn bad_hosts() {
        let cases: &[(&str, &str)] = &[
            ("", "is empty"),
            ("http://ggzy.example.cn", "is a URL"),
            ("https://ggzy.example.cn:443/", "is a URL"),
            ("ggzy.example.cn ", "white space"),
            (" ggzy.example.cn", "white space"),
            ("ggzy.example .cn", "white space"),
            ("ggzy.example.cn\n", "white space"),
            ("ggzy.example.cn\u{0}", "control"),
            ("user@ggzy.example.cn", "user information"),
            ("user:pw@ggzy.example.cn:80", "user information"),
            ("ggzy.example.cn/login", "path"),
            ("ggzy.example.cn?x=1", "path, query"),
            ("ggzy.example.cn#top", "fragment"),
            ("ggzy.example.cn\\x", "path"),
            ("ggzy.example.cn:0", "port 0 is outside 1 to 65535"),
            ("ggzy.example.cn:65536", "port 65536 is outside 1 to 65535"),
            ("ggzy.example.cn:99999999999", "outside 1 to 65535"),
            ("ggzy.example.cn:", "the port after ':' is empty"),
            ("ggzy.example.cn:08080", "leading zero"),
            ("ggzy.example.cn:http", "is not a number"),
            ("ggzy.example.cn:+80", "is not a number"),
            (":8080", "no host before the port"),
            ("::1", "more than one ':'"),
            ("2001:db8::1", "more than one ':'"),
            ("[::1", "without closing ']'"),
            ("[::1]8443", "only ':port' may follow"),
            ("[fe80::1%eth0]:80", "not an IPv6 address"),
            ("[1.2.3.4]", "not an IPv6 address"),
            ("[]", "not an IPv6 address"),
            ("256.1.1.1", "not an IPv4 address"),
            ("1.2.3", "not an IPv4 address"),
            ("01.2.3.4", "not an IPv4 address"),
            ("1.2.3.4.", "not an IPv4 address"),
            ("example.123", "last label is all digits"),
            ("ggzy..example.cn", "empty label"),
            (".example.cn", "empty label"),
            ("example.cn.", "empty label"),
            ("-ggzy.example.cn", "begins or ends with '-'"),
            ("ggzy-.example.cn", "begins or ends with '-'"),
            ("ggzy_1.example.cn", "has '_'"),
            ("交易.example.cn", "xn-- form"),
            ("ggzy.example.cn\u{202E}", "xn-- form"),
        ];
        for &(host, what) in cases {
            let reason = refused_host(host);
            assert!(reason.contains(what), "{host:?}: {reason}");
        }
        let long_label = format!("{}.example", "a".repeat(64));
        assert!(refused_host(&long_label).contains("is 64 bytes long; at most 63"));
        let long_name = format!("{}.cn", vec!["a".repeat(63); 4].join("."));
        assert!(refused_host(&long_name).contains("at most 253"));
        let huge = "a".repeat(10_000);
        let reason = refused_host(&huge);
        assert!(
            reason.contains("at most 259") && reason.len() < 100,
            "{reason}"
        );
    }

    proptest::proptest! {
        #[test]
        fn names_of_plain_text_are_accepted(
            name in "[\\p{Han}A-Za-z0-9（）()·-]([\\p{Han}A-Za-z0-9（）()· -]{0,62}[\\p{Han}A-Za-z0-9（）()·-])?"
        ) {
            proptest::prop_assert!(validate_platform_name(&name).is_ok(), "{:?}", name);
        }

        #[test]
        fn dns_names_with_ports_are_accepted(
            labels in proptest::collection::vec("[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", 1..5),
            tld in "[a-z]{2,6}",
            port in proptest::option::of(1u32..=65535),
        ) {
            let mut host = format!("{}.{tld}", labels.join("."));
            if let Some(p) = port {
                host = format!("{host}:{p}");
            }
            proptest::prop_assert!(validate_callback_host(&host).is_ok(), "{:?}", host);
        }

        #[test]
        fn ip_addresses_with_ports_are_accepted(v4: [u8; 4], v6: [u16; 8], port in 1u32..=65535) {
            let v4 = std::net::Ipv4Addr::from(v4);
            let v6 = std::net::Ipv6Addr::from(v6);
            for host in [format!("{v4}"), format!("{v4}:{port}"), format!("[{v6}]"), format!("[{v6}]:{port}")] {
                proptest::prop_assert!(validate_callback_host(&host).is_ok(), "{:?}", host);
            }
        }

        #[test]
        fn any_text_is_checked_without_panicking(s in proptest::prelude::any::<String>()) {
            let _ = validate_platform_name(&s);
            let _ = validate_callback_host(&s);
        }
    }
}
