//! A minimal blocking HTTP/1.1 client for plain `http://` on loopback and
//! private networks: what the app simulator, the end-to-end tests and the
//! load test need to talk to `yzt serve` (and to a WebDriver), without a
//! TLS stack. One request per connection (`Connection: close`).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::error::{Error, Result};

/// Largest response body read.
const MAX_BODY: usize = 16 << 20;

/// A response: status code and body.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The body parsed as JSON.
    pub fn json(&self) -> Result<serde_json::Value> {
        serde_json::from_slice(&self.body)
            .map_err(|e| Error::malformed("HTTP response body", format!("not JSON: {e}")))
    }
}

/// An `http://host:port/path` URL split into its parts.
fn split_url(url: &str) -> Result<(String, String)> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| Error::param("url", format!("{url:?}: only http:// URLs are supported")))?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if host.is_empty() {
        return Err(Error::param("url", format!("{url:?} has no host")));
    }
    let host = if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:80")
    };
    Ok((host, path.to_string()))
}

/// Send one request. `body` with its content type, or none.
pub fn request(
    method: &str,
    url: &str,
    body: Option<(&str, &[u8])>,
    timeout: Duration,
) -> Result<HttpResponse> {
    send(method, url, &[], body, timeout)
}

/// Send one request with extra headers (name, value; neither may hold a
/// line break).
pub fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<(&str, &[u8])>,
    timeout: Duration,
) -> Result<HttpResponse> {
    if headers
        .iter()
        .any(|(k, v)| k.contains(['\r', '\n', ':']) || v.contains(['\r', '\n']))
    {
        return Err(Error::param("HTTP header", "no line breaks"));
    }
    let (host, path) = split_url(url)?;
    let io = |e: std::io::Error| Error::param("HTTP", format!("{method} {url}: {e}"));
    let addr = host
        .to_socket_addrs()
        .map_err(io)?
        .next()
        .ok_or_else(|| Error::param("url", format!("{host}: no address")))?;
    let mut stream = TcpStream::connect_timeout(&addr, timeout).map_err(io)?;
    stream.set_read_timeout(Some(timeout)).map_err(io)?;
    stream.set_write_timeout(Some(timeout)).map_err(io)?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nAccept: application/json\r\n"
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some((ctype, data)) = body {
        head.push_str(&format!(
            "Content-Type: {ctype}\r\nContent-Length: {}\r\n",
            data.len()
        ));
    } else if method != "GET" && method != "DELETE" {
        head.push_str("Content-Length: 0\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).map_err(io)?;
    if let Some((_, data)) = body {
        stream.write_all(data).map_err(io)?;
    }
    // Read until the response is complete by its own framing: servers may
    // keep the connection open despite `Connection: close`.
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        if response_complete(&raw) {
            break;
        }
        let n = stream.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
        if raw.len() > MAX_BODY + 64 * 1024 {
            return Err(Error::malformed(
                "HTTP response",
                format!("{url}: too large"),
            ));
        }
    }
    parse_response(&raw).map_err(|m| Error::malformed("HTTP response", format!("{url}: {m}")))
}

/// True when `raw` holds a whole response: headers and, by
/// `Content-Length` or the last chunk, the body. A response framed by
/// closing the connection is complete only at end of stream.
fn response_complete(raw: &[u8]) -> bool {
    let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
    let body = &raw[end + 4..];
    for line in head.split("\r\n") {
        if let Some(v) = line.strip_prefix("content-length:") {
            return v.trim().parse::<usize>().is_ok_and(|n| body.len() >= n);
        }
        if line.starts_with("transfer-encoding:") && line.contains("chunked") {
            return body.ends_with(b"0\r\n\r\n");
        }
    }
    // No body for these statuses.
    head.starts_with("http/1.1 204") || head.starts_with("http/1.1 304")
}

fn parse_response(raw: &[u8]) -> std::result::Result<HttpResponse, String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of headers")?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| "headers are not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or("no status line")?;
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let mut content_type = None;
    let mut chunked = false;
    let mut length = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-type" => content_type = Some(value.to_string()),
            "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
            "content-length" => length = value.parse::<usize>().ok(),
            _ => {}
        }
    }
    let rest = &raw[end + 4..];
    let body = if chunked {
        dechunk(rest)?
    } else {
        match length {
            Some(n) if n <= rest.len() => rest[..n].to_vec(),
            Some(n) => return Err(format!("body cut short: {} of {n} bytes", rest.len())),
            None => rest.to_vec(),
        }
    };
    if body.len() > MAX_BODY {
        return Err("body too large".into());
    }
    Ok(HttpResponse {
        status,
        content_type,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let eol = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("bad chunk header")?;
        let size_text = std::str::from_utf8(&data[..eol]).map_err(|_| "bad chunk size")?;
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| format!("bad chunk size {size_text:?}"))?;
        data = &data[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size + 2 {
            return Err("chunk cut short".into());
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// `GET url`.
pub fn get(url: &str, timeout: Duration) -> Result<HttpResponse> {
    request("GET", url, None, timeout)
}

/// `POST url` with a JSON body.
pub fn post_json(url: &str, body: &serde_json::Value, timeout: Duration) -> Result<HttpResponse> {
    let data = serde_json::to_vec(body).map_err(|e| Error::param("JSON body", e.to_string()))?;
    request("POST", url, Some(("application/json", &data)), timeout)
}

/// `POST url` with a JSON body, as the platform: `api_key` as a bearer
/// token.
pub fn post_json_as(
    url: &str,
    api_key: &str,
    body: &serde_json::Value,
    timeout: Duration,
) -> Result<HttpResponse> {
    let data = serde_json::to_vec(body).map_err(|e| Error::param("JSON body", e.to_string()))?;
    let auth = format!("Bearer {api_key}");
    send(
        "POST",
        url,
        &[("Authorization", &auth)],
        Some(("application/json", &data)),
        timeout,
    )
}

/// `GET url` as the platform: `api_key` as a bearer token.
pub fn get_as(url: &str, api_key: &str, timeout: Duration) -> Result<HttpResponse> {
    let auth = format!("Bearer {api_key}");
    send("GET", url, &[("Authorization", &auth)], None, timeout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_chunked_responses() {
        let r = parse_response(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
        )
        .unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"{}"[..]));
        assert_eq!(r.content_type.as_deref(), Some("application/json"));
        let r = parse_response(
            b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!((r.status, r.body.as_slice()), (404, &b"abcde"[..]));
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc").is_err());
        assert!(parse_response(b"garbage").is_err());
        assert!(split_url("https://example.cn/").is_err());
        assert_eq!(
            split_url("http://127.0.0.1:8080/v1/qr").unwrap(),
            ("127.0.0.1:8080".into(), "/v1/qr".into())
        );
        assert_eq!(
            split_url("http://example.cn").unwrap(),
            ("example.cn:80".into(), "/".into())
        );
    }
}
