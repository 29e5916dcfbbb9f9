//! TLS to PostgreSQL with rustls, configured as libpq is: by `sslmode`
//! and `sslrootcert` in the connection string (URL query or `key=value`).
//!
//! | `sslmode` | encrypted | the server's certificate |
//! |---|---|---|
//! | `disable` | no | — |
//! | `prefer` (the default) | if the server offers TLS, else plain | not checked |
//! | `require` | yes, or no connection | not checked — unless `sslrootcert` is given, then as `verify-ca` (libpq's rule) |
//! | `verify-ca` | yes | a chain to a CA in `sslrootcert` |
//! | `verify-full` | yes | a chain to a CA in `sslrootcert`, issued for the host name connected to |
//!
//! `prefer` and `require` without a CA protect only against listening,
//! not against someone in the middle, as in libpq: use `verify-full`
//! over any network that is not the machine itself. `sslrootcert` names a
//! PEM file of CA certificates (relative to the working directory);
//! libpq's fallbacks (`~/.postgresql/root.crt`, `sslrootcert=system`) are
//! not followed: `verify-ca` and `verify-full` need the file named. The
//! host name checked is the URL's host (`host=`); `hostaddr=` may give
//! the address to connect to without a name look-up. Client
//! certificates (`sslcert`, `sslkey`) are not supported. The
//! `tls-server-end-point` channel binding is offered to SCRAM, so a
//! password exchange fails through a man in the middle even where the
//! certificate is not checked.
//!
//! TLS 1.2 and 1.3, rustls' ring provider, ALPN `postgresql`.

use std::fmt;
use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use postgres::config::SslMode as DriverSslMode;
use postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};
use r2d2_postgres::PostgresConnectionManager;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// libpq's `sslmode` (`allow` is not supported).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Plain only.
    Disable,
    /// TLS when the server offers it, unverified; plain otherwise.
    Prefer,
    /// TLS, unverified (verified as `VerifyCa` when a root CA is given).
    Require,
    /// TLS, the chain checked against the root CAs.
    VerifyCa,
    /// TLS, the chain and the host name checked.
    VerifyFull,
}

impl SslMode {
    /// As written in a connection string.
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    fn parse(s: &str) -> Result<Self, String> {
        Ok(match s {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            "allow" => {
                return Err(
                    "sslmode=allow is not supported (use prefer, require or verify-full)".into(),
                );
            }
            other => {
                return Err(format!(
                    "sslmode={other}: expected disable, prefer, require, verify-ca or verify-full"
                ));
            }
        })
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The driver's configuration and the TLS connector for a connection
/// string; errors say which parameter is wrong (never the password).
pub fn config(url: &str) -> Result<(postgres::Config, MakeRustlsConnect), String> {
    let (rest, mode, root) = split_tls_params(url)?;
    let mut config: postgres::Config = rest.parse().map_err(|e| ConnectError(e).to_string())?;
    let mode = match (mode.unwrap_or(SslMode::Prefer), &root) {
        // libpq: "if a root CA file exists, require behaves as verify-ca"
        (SslMode::Require, Some(_)) => SslMode::VerifyCa,
        (m, _) => m,
    };
    config.ssl_mode(match mode {
        SslMode::Disable => DriverSslMode::Disable,
        SslMode::Prefer => DriverSslMode::Prefer,
        _ => DriverSslMode::Require,
    });
    let tls = MakeRustlsConnect::new(mode, root.as_deref())?;
    Ok((config, tls))
}

/// One client for `url` (sslmode and sslrootcert as in [`config`]), for
/// tools and tests; the store keeps a pool.
pub fn connect(url: &str) -> crate::Result<postgres::Client> {
    let where_ = super::postgres::redact_url(url);
    let (config, tls) =
        config(url).map_err(|e| crate::Error::param("database URL", format!("{where_}: {e}")))?;
    config.connect(tls).map_err(|e| {
        crate::Error::Store(format!(
            "database unreachable at {where_}: {}",
            ConnectError(e)
        ))
    })
}

/// The pool's connection manager: the driver's, over
/// [`MakeRustlsConnect`], with errors that say their causes.
#[derive(Debug)]
pub struct Manager(PostgresConnectionManager<MakeRustlsConnect>);

impl Manager {
    /// Connections as `config` and `tls` say.
    pub fn new(config: postgres::Config, tls: MakeRustlsConnect) -> Self {
        Self(PostgresConnectionManager::new(config, tls))
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = postgres::Client;
    type Error = ConnectError;

    fn connect(&self) -> Result<postgres::Client, ConnectError> {
        self.0.connect().map_err(ConnectError)
    }

    fn is_valid(&self, conn: &mut postgres::Client) -> Result<(), ConnectError> {
        self.0.is_valid(conn).map_err(ConnectError)
    }

    fn has_broken(&self, conn: &mut postgres::Client) -> bool {
        self.0.has_broken(conn)
    }
}

/// A driver error shown with its causes: the driver's own text is only
/// "error performing TLS handshake", the pool keeps only the text, and
/// what was wrong with the certificate is in the cause.
#[derive(Debug)]
pub struct ConnectError(pub postgres::Error);

impl From<postgres::Error> for ConnectError {
    fn from(e: postgres::Error) -> Self {
        Self(e)
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = std::error::Error::source(&self.0);
        while let Some(c) = cause {
            write!(f, ": {c}")?;
            cause = c.source();
        }
        Ok(())
    }
}

/// Its causes are in its text.
impl std::error::Error for ConnectError {}

/// Take `sslmode` and `sslrootcert` out of a connection string (the
/// driver refuses both verify modes and the root CA parameter): the rest,
/// the mode and the root CA file.
fn split_tls_params(url: &str) -> Result<(String, Option<SslMode>, Option<PathBuf>), String> {
    let mut mode = None;
    let mut root = None;
    let mut take = |key: &str, value: String| -> Result<bool, String> {
        match key {
            "sslmode" => mode = Some(SslMode::parse(&value)?),
            "sslrootcert" if value == "system" => {
                return Err(
                    "sslrootcert=system is not supported: name a PEM file of the CA certificates"
                        .into(),
                );
            }
            "sslrootcert" => root = Some(PathBuf::from(value)),
            _ => return Ok(false),
        }
        Ok(true)
    };
    let rest = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        match url.split_once('?') {
            None => url.to_string(),
            Some((head, query)) => {
                let mut kept = Vec::new();
                for pair in query.split('&').filter(|p| !p.is_empty()) {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    if !take(k, percent_decode(v)?)? {
                        kept.push(pair);
                    }
                }
                if kept.is_empty() {
                    head.to_string()
                } else {
                    format!("{head}?{}", kept.join("&"))
                }
            }
        }
    } else {
        let mut kept = String::new();
        for (start, end, key, value) in key_values(url)? {
            if !take(&key, value)? {
                if !kept.is_empty() {
                    kept.push(' ');
                }
                kept.push_str(&url[start..end]);
            }
        }
        kept
    };
    Ok((rest, mode, root))
}

fn percent_decode(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("a bad %-escape in `{s}`"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("`{s}` is not UTF-8"))
}

/// The pairs of a `key=value` connection string: where each starts and
/// ends in `s`, its key and its value (single quotes and `\` escapes
/// undone, as libpq reads them).
fn key_values(s: &str) -> Result<Vec<(usize, usize, String, String)>, String> {
    let b = s.as_bytes();
    let mut pairs = Vec::new();
    let mut i = 0;
    let skip_ws = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    loop {
        i = skip_ws(i);
        if i >= b.len() {
            return Ok(pairs);
        }
        let start = i;
        while i < b.len() && b[i] != b'=' && !b[i].is_ascii_whitespace() {
            i += 1;
        }
        let key = s[start..i].to_string();
        i = skip_ws(i);
        if i >= b.len() || b[i] != b'=' {
            return Err(format!("`{key}` has no value (key=value expected)"));
        }
        i = skip_ws(i + 1);
        let mut value = Vec::new();
        if i < b.len() && b[i] == b'\'' {
            i += 1;
            loop {
                match b.get(i) {
                    None => return Err(format!("the value of `{key}` has no closing quote")),
                    Some(b'\'') => {
                        i += 1;
                        break;
                    }
                    Some(b'\\') if i + 1 < b.len() => {
                        value.push(b[i + 1]);
                        i += 2;
                    }
                    Some(&c) => {
                        value.push(c);
                        i += 1;
                    }
                }
            }
        } else {
            while i < b.len() && !b[i].is_ascii_whitespace() {
                if b[i] == b'\\' && i + 1 < b.len() {
                    i += 1;
                }
                value.push(b[i]);
                i += 1;
            }
        }
        let value = String::from_utf8(value).map_err(|_| format!("`{key}` is not UTF-8"))?;
        pairs.push((start, i, key, value));
    }
}

/// Read the CA certificates of a PEM file.
fn root_store(path: &Path) -> Result<RootCertStore, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("sslrootcert={}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "sslrootcert={}: no CERTIFICATE in the file",
            path.display()
        ));
    }
    let mut roots = RootCertStore::empty();
    for cert in certs {
        roots
            .add(cert)
            .map_err(|e| format!("sslrootcert={}: {e}", path.display()))?;
    }
    Ok(roots)
}

/// Makes a TLS connection per database connection, as the mode says.
#[derive(Clone)]
pub struct MakeRustlsConnect {
    mode: SslMode,
    /// `None` for `disable` (the driver then never asks for TLS).
    config: Option<Arc<ClientConfig>>,
}

impl fmt::Debug for MakeRustlsConnect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MakeRustlsConnect")
            .field("sslmode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl MakeRustlsConnect {
    /// A connector for `mode`, trusting the CAs of the PEM file `root`
    /// (needed by `verify-ca` and `verify-full`; with `require` it makes
    /// it `verify-ca`).
    pub fn new(mode: SslMode, root: Option<&Path>) -> Result<Self, String> {
        let mode = match (mode, root) {
            (SslMode::Require, Some(_)) => SslMode::VerifyCa,
            (m, _) => m,
        };
        if mode == SslMode::Disable {
            return Ok(Self { mode, config: None });
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| e.to_string())?;
        let roots = match (mode, root) {
            (SslMode::VerifyCa | SslMode::VerifyFull, None) => {
                return Err(format!(
                    "sslmode={mode} needs sslrootcert=PATH (a PEM file of the CA certificates to trust)"
                ));
            }
            (SslMode::VerifyCa | SslMode::VerifyFull, Some(path)) => Some(root_store(path)?),
            _ => None,
        };
        let mut config = match roots {
            Some(roots) => {
                let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                    .build()
                    .map_err(|e| e.to_string())?;
                let verifier: Arc<dyn ServerCertVerifier> = if mode == SslMode::VerifyFull {
                    webpki
                } else {
                    Arc::new(ChainOnly(webpki))
                };
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(verifier)
                    .with_no_client_auth()
            }
            None => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Unverified(provider)))
                .with_no_client_auth(),
        };
        config.alpn_protocols = vec![b"postgresql".to_vec()];
        Ok(Self {
            mode,
            config: Some(Arc::new(config)),
        })
    }

    /// The mode in force.
    pub fn mode(&self) -> SslMode {
        self.mode
    }
}

/// `verify-ca`: the chain is checked, the name is not (webpki checks the
/// name last, after the chain, its dates and its uses).
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `prefer` and `require` without a CA: any certificate (the handshake's
/// signatures are still checked against it, so the channel binding
/// means something).
#[derive(Debug)]
struct Unverified(Arc<CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

impl<S> MakeTlsConnect<S> for MakeRustlsConnect
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type TlsConnect = RustlsConnect;
    type Error = io::Error;

    fn make_tls_connect(&mut self, host: &str) -> io::Result<RustlsConnect> {
        Ok(RustlsConnect {
            mode: self.mode,
            config: self.config.clone(),
            host: host.to_string(),
        })
    }
}

/// One connection's TLS handshake.
pub struct RustlsConnect {
    mode: SslMode,
    config: Option<Arc<ClientConfig>>,
    host: String,
}

impl<S> TlsConnect<S> for RustlsConnect
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<RustlsStream<S>>> + Send>>;

    fn connect(self, stream: S) -> Self::Future {
        Box::pin(async move {
            let mode = self.mode;
            let config = self.config.ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, "sslmode=disable: no TLS")
            })?;
            let name = ServerName::try_from(self.host.clone()).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("sslmode={mode}: the host `{}`: {e}", self.host),
                )
            })?;
            let tls = tokio_rustls::TlsConnector::from(config)
                .connect(name, stream)
                .await
                .map_err(|e| {
                    io::Error::new(e.kind(), format!("sslmode={mode}, host {}: {e}", self.host))
                })?;
            Ok(RustlsStream(tls))
        })
    }
}

/// A TLS connection to the database.
pub struct RustlsStream<S>(tokio_rustls::client::TlsStream<S>);

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream for RustlsStream<S> {
    /// `tls-server-end-point` (RFC 5929): the hash of the server's
    /// certificate with its signature's hash (SHA-256 for SHA-1);
    /// none for a signature without one of SHA-1/256/384/512.
    fn channel_binding(&self) -> ChannelBinding {
        use der::Decode;
        use sha2::Digest;
        let Some(cert) = self
            .0
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|c| c.first())
        else {
            return ChannelBinding::none();
        };
        let Ok(parsed) = x509_cert::Certificate::from_der(cert.as_ref()) else {
            return ChannelBinding::none();
        };
        let hash: Vec<u8> = match parsed.signature_algorithm().oid.to_string().as_str() {
            // ecdsa-with-SHA1/256, sha1/sha256WithRSAEncryption
            "1.2.840.10045.4.1"
            | "1.2.840.10045.4.3.2"
            | "1.2.840.113549.1.1.5"
            | "1.2.840.113549.1.1.11" => sha2::Sha256::digest(cert.as_ref()).to_vec(),
            "1.2.840.10045.4.3.3" | "1.2.840.113549.1.1.12" => {
                sha2::Sha384::digest(cert.as_ref()).to_vec()
            }
            "1.2.840.10045.4.3.4" | "1.2.840.113549.1.1.13" => {
                sha2::Sha512::digest(cert.as_ref()).to_vec()
            }
            _ => return ChannelBinding::none(),
        };
        ChannelBinding::tls_server_end_point(hash)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for RustlsStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for RustlsStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(url: &str) -> (String, Option<SslMode>, Option<PathBuf>) {
        split_tls_params(url).unwrap()
    }

    #[test]
    fn takes_the_tls_parameters_out_of_a_url() {
        assert_eq!(
            split("postgres://u:p@db:5432/x?sslmode=verify-full&sslrootcert=%2Fetc%2Fca%20x.pem"),
            (
                "postgres://u:p@db:5432/x".into(),
                Some(SslMode::VerifyFull),
                Some(PathBuf::from("/etc/ca x.pem"))
            )
        );
        assert_eq!(
            split("postgresql://db/x?application_name=yzt&sslmode=verify-ca&connect_timeout=3"),
            (
                "postgresql://db/x?application_name=yzt&connect_timeout=3".into(),
                Some(SslMode::VerifyCa),
                None
            )
        );
        assert_eq!(
            split("postgres://db/x"),
            ("postgres://db/x".into(), None, None)
        );
        assert!(split_tls_params("postgres://db/x?sslmode=allow").is_err());
        assert!(split_tls_params("postgres://db/x?sslmode=verify").is_err());
        assert!(split_tls_params("postgres://db/x?sslrootcert=system").is_err());
        assert!(split_tls_params("postgres://db/x?sslrootcert=%zz").is_err());
    }

    #[test]
    fn takes_the_tls_parameters_out_of_key_values() {
        assert_eq!(
            split(
                "host=db  user=yzt sslmode = verify-full sslrootcert='/a b/c\\'s.pem' password=x"
            ),
            (
                "host=db user=yzt password=x".into(),
                Some(SslMode::VerifyFull),
                Some(PathBuf::from("/a b/c's.pem"))
            )
        );
        assert!(split_tls_params("host=db sslmode").is_err());
        assert!(split_tls_params("host=db sslrootcert='x").is_err());
    }

    #[test]
    fn modes() {
        let (c, tls) = config("postgres://u@db/x").unwrap();
        assert_eq!(tls.mode(), SslMode::Prefer);
        assert_eq!(c.get_ssl_mode(), DriverSslMode::Prefer);
        let (c, tls) = config("postgres://u@db/x?sslmode=disable").unwrap();
        assert_eq!(tls.mode(), SslMode::Disable);
        assert_eq!(c.get_ssl_mode(), DriverSslMode::Disable);
        let (c, tls) = config("postgres://u@db/x?sslmode=require").unwrap();
        assert_eq!(tls.mode(), SslMode::Require);
        assert_eq!(c.get_ssl_mode(), DriverSslMode::Require);
        let e = config("postgres://u@db/x?sslmode=verify-full").unwrap_err();
        assert!(e.contains("needs sslrootcert"), "{e}");
        let e = config("postgres://u@db/x?sslmode=verify-full&sslrootcert=/nonexistent.pem")
            .unwrap_err();
        assert!(e.contains("/nonexistent.pem"), "{e}");
        // the driver's own parameters still reach it
        let e = config("postgres://u@db/x?sslmode=require&nonsense=1").unwrap_err();
        assert!(e.contains("nonsense"), "{e}");
    }
}
