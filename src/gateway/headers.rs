//! The request headers the front doors read, read strictly: a header that is present but
//! unreadable (bytes that are not its text, sent twice, a value of the wrong shape) is
//! refused naming it, never taken as absent — a retry's `Idempotency-Key` silently dropped
//! would apply a change twice, a `Host` reflected raw would let a caller write into the
//! answer's `Link` header.

use std::net::Ipv6Addr;

use axum::http::{HeaderMap, Uri};

/// A header that was sent but cannot be used: its name and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadHeader {
    /// The header's name as the doors document it (`Idempotency-Key`).
    pub name: &'static str,
    /// What is wrong with it.
    pub detail: String,
}

impl BadHeader {
    fn new(name: &'static str, detail: impl Into<String>) -> BadHeader {
        BadHeader {
            name,
            detail: detail.into(),
        }
    }
}

/// The text of header `name` (matched case-insensitively; refusals name it as spelt
/// here), `None` when it is absent;
/// refused when it is sent more than once or its bytes are not UTF-8.
pub fn utf8<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<Option<&'a str>, BadHeader> {
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(BadHeader::new(name, "must be sent at most once"));
    }
    std::str::from_utf8(value.as_bytes())
        .map(Some)
        .map_err(|_| BadHeader::new(name, "must be UTF-8 text"))
}

/// The scheme and authority (`https://shop.example:8443`) links in an answer to `uri`
/// start with: the `Host` header (else the request's own authority, as HTTP/2 sends it),
/// which must be a plain `host[:port]` ([`is_authority`]), and `X-Forwarded-Proto` (`http`
/// or `https`; the first of a list, as proxies append theirs; `http` when absent). Empty
/// when the request names no host: links are then relative to the request.
pub fn link_origin(headers: &HeaderMap, uri: &Uri) -> Result<String, BadHeader> {
    const HOST: &str = "Host";
    const PROTO: &str = "X-Forwarded-Proto";
    let host = match utf8(headers, HOST)? {
        Some(host) => Some(host),
        None => uri.authority().map(|a| a.as_str()),
    };
    let Some(host) = host else {
        return Ok(String::new());
    };
    if !is_authority(host) {
        return Err(BadHeader::new(
            HOST,
            "must be a host name, an IPv4 address or a bracketed IPv6 address, and an \
             optional port (RFC 3986), e.g. shop.example:8080",
        ));
    }
    let scheme = match utf8(headers, PROTO)? {
        None => "http",
        Some(proto) => {
            let first = proto.split(',').next().unwrap_or_default().trim();
            if first.eq_ignore_ascii_case("https") {
                "https"
            } else if first.eq_ignore_ascii_case("http") {
                "http"
            } else {
                return Err(BadHeader::new(PROTO, "must be http or https"));
            }
        }
    };
    Ok(format!("{scheme}://{host}"))
}

/// Whether `text` is an RFC 3986 authority without user information: `host [":" port]`,
/// the host a reg-name (which includes IPv4 addresses) or an IPv6 literal in brackets, the
/// port 1 to 5 digits. Nothing else — no space, quote, angle bracket, slash or control
/// character — can pass, so such a text is safe inside `<…>` of a `Link` header.
pub fn is_authority(text: &str) -> bool {
    let (host, port) = if text.starts_with('[') {
        match text.find(']') {
            Some(end) => text.split_at(end + 1),
            None => return false,
        }
    } else {
        text.split_at(text.find(':').unwrap_or(text.len()))
    };
    let port_ok = port.is_empty()
        || port.strip_prefix(':').is_some_and(|digits| {
            (1..=5).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
        });
    let host_ok = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(literal) => literal.parse::<Ipv6Addr>().is_ok(),
        None => !host.is_empty() && is_reg_name(host),
    };
    port_ok && host_ok
}

/// `reg-name = *( unreserved / pct-encoded / sub-delims )` (RFC 3986 §3.2.2).
fn is_reg_name(host: &str) -> bool {
    let bytes = host.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3);
                if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                    return false;
                }
                i += 3;
            }
            b if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&b) => i += 1,
            _ => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn authorities() {
        for good in [
            "localhost",
            "shop.example",
            "shop.example:8080",
            "127.0.0.1:50051",
            "[::1]",
            "[2001:db8::7]:443",
            "xn--bcher-kva.example",
            "a%2Db.example",
        ] {
            assert!(is_authority(good), "{good}");
        }
        for bad in [
            "",
            ":80",
            "evil.example>; rel=\"x\", <http://a",
            "shop.example:80:80",
            "shop.example:",
            "shop.example:123456",
            "shop.example:http",
            "user@shop.example",
            "shop example",
            "shop.example/path",
            "[::1",
            "[::1]x",
            "[not-v6]",
            "[fe80::1%25eth0]",
            "a%2",
            "a%zz",
            "bücher.example",
            "shop\"example",
        ] {
            assert!(!is_authority(bad), "{bad}");
        }
    }

    fn headers(pairs: &[(&'static str, &[u8])]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_bytes(value).unwrap());
        }
        map
    }

    #[test]
    fn a_header_is_utf8_text_sent_once() {
        let (sent, key) = ("idempotency-key", "Idempotency-Key");
        assert_eq!(utf8(&headers(&[]), key), Ok(None));
        assert_eq!(
            utf8(&headers(&[(sent, "clé-1".as_bytes())]), key),
            Ok(Some("clé-1"))
        );
        let latin1 = utf8(&headers(&[(sent, b"cl\xe9-1")]), key).unwrap_err();
        assert_eq!(latin1, BadHeader::new(key, "must be UTF-8 text"));
        let twice = utf8(&headers(&[(sent, b"a"), (sent, b"b")]), key).unwrap_err();
        assert_eq!(twice.detail, "must be sent at most once");
    }

    #[test]
    fn link_origins() {
        let path: Uri = "/admin/api/2025-10/inventory_items.json".parse().unwrap();
        let origin = |pairs: &[(&'static str, &[u8])]| link_origin(&headers(pairs), &path);
        assert_eq!(origin(&[]), Ok(String::new()));
        assert_eq!(
            origin(&[("host", b"shop.example:8080")]),
            Ok("http://shop.example:8080".into())
        );
        assert_eq!(
            origin(&[
                ("host", b"shop.example"),
                ("x-forwarded-proto", b"HTTPS, http")
            ]),
            Ok("https://shop.example".into())
        );
        let refused = |pairs: &[(&'static str, &[u8])]| origin(pairs).unwrap_err().name;
        assert_eq!(
            refused(&[("host", b"evil.example>; rel=\"x\", <http://a")]),
            "Host"
        );
        assert_eq!(refused(&[("host", b"\xff")]), "Host");
        assert_eq!(
            refused(&[("host", b"a"), ("x-forwarded-proto", b"gopher")]),
            "X-Forwarded-Proto"
        );
        let absolute: Uri = "http://[::1]:8080/admin/api/x.json".parse().unwrap();
        assert_eq!(
            link_origin(&HeaderMap::new(), &absolute),
            Ok("http://[::1]:8080".into())
        );
    }
}
