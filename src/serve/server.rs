//! The service: configuration, routes, handlers, the middleware that
//! bounds, times and logs every request, and graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path as UrlPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use base64ct::{Base64, Encoding};
use serde::Deserialize;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use super::guard::{self, ApiKeyConfig, ApiKeys, Cors, RateLimiter};
use crate::cert::chain::{VerifyOptions, verify_chain};
use crate::cert::{Certificate, Crl, IntendedUse};
use crate::crypto::{DEFAULT_USER_ID, PrivateKey, PublicKey, Signature};
use crate::error::{Error, Result};
use crate::qr::{
    Action, KeyTaken, PageStage, PageStatus, QrStore, QuotaKey, Request as QrRequest, Verifier,
    VerifierConfig,
};
use crate::seal::{Seal, SealSignature, SealVerifyOptions, verify_seal, verify_signature};
use crate::store::AnyStore;
use crate::verify::KeyCache;

/// Largest request body accepted (a seal response with its image, in base64).
pub const MAX_BODY_BYTES: usize = 4 << 20;
/// Default time a request may take before it is answered 503.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the service looks for changed CRL files, by default.
pub const DEFAULT_CRL_REFRESH: Duration = Duration::from_secs(60);
/// Largest message accepted by `/v1/verify`.
const MAX_VERIFY_MESSAGE: usize = 1 << 20;

/// The login page.
const LOGIN_PAGE: &str = include_str!("login.html");
/// The OpenAPI document of the routes.
pub const OPENAPI: &str = include_str!("openapi.json");

// ---- configuration ----------------------------------------------------------

/// A package opened at start-up (memory backend only: a database's
/// packages are the workflows' business).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaConfig {
    /// The holder: ID number or credit code.
    pub holder: String,
    /// `ca` or `seal`.
    pub institution: String,
    /// Uses.
    pub uses: u64,
}

/// The configuration file (JSON). Paths are relative to the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    /// The platform's 11-character system code.
    pub platform_code: String,
    /// Its name, as the apps' registry shows it.
    pub platform_name: String,
    /// Where apps submit responses (`host[:port]`, as in the QR code).
    pub callback_host: String,
    /// The key that signs challenges (PEM or DER; encrypted PKCS#8 with
    /// the password from the environment variable `platform_key_password_env`).
    pub platform_key: PathBuf,
    /// The variable holding the platform key's password, if encrypted.
    #[serde(default)]
    pub platform_key_password_env: Option<String>,
    /// The platform's certificate (the apps' registry holds the same).
    pub platform_cert: PathBuf,
    /// The mutually recognised CAs.
    pub anchors: Vec<PathBuf>,
    /// Intermediate CA certificates.
    #[serde(default)]
    pub intermediates: Vec<PathBuf>,
    /// CRLs: read at start, and again whenever one of the files changes
    /// (checked every `crl_refresh_secs`).
    #[serde(default)]
    pub crls: Vec<PathBuf>,
    /// How often to look for changed CRL files, in seconds (default 60;
    /// 0: never, the CRLs read at start stay in force).
    #[serde(default)]
    pub crl_refresh_secs: Option<u64>,
    /// Challenge lifetime in seconds (default 120).
    #[serde(default)]
    pub lifetime_secs: Option<u64>,
    /// Request timeout in seconds (default 10).
    #[serde(default)]
    pub request_timeout_secs: Option<u64>,
    /// The platform's API keys (their SM3; `yzt serve key` makes one):
    /// every platform-side route needs one of them as a bearer token.
    #[serde(default)]
    pub api_keys: Vec<ApiKeyConfig>,
    /// Web origins, besides the service's own, whose pages may call it
    /// from a browser (CORS); none by default.
    #[serde(default)]
    pub cors_origins: Vec<String>,
    /// Codes a platform key may issue a minute (default 600; 0: no limit).
    #[serde(default)]
    pub issue_per_minute: Option<u32>,
    /// Login codes the public login page may get a minute per client
    /// address (default 20; 0: no limit).
    #[serde(default)]
    pub login_codes_per_minute: Option<u32>,
    /// Unexpired codes that may wait for an answer at once (default 10000).
    #[serde(default)]
    pub max_pending: Option<usize>,
    /// Largest message of a `msg_sign` code, in bytes (default 4096, at
    /// most 65536).
    #[serde(default)]
    pub max_message_bytes: Option<usize>,
    /// Addresses of the reverse proxies in front of the service: a
    /// request from one of them comes from the last address its
    /// `X-Forwarded-For` names; from anyone else that header is ignored.
    #[serde(default)]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Packages opened at start (memory backend only).
    #[serde(default)]
    pub quotas: Vec<QuotaConfig>,
    /// How the service listens: timeouts, connection cap, TLS.
    #[serde(default)]
    pub listener: super::listen::ListenerConfig,
}

/// Read and parse the CRL files.
fn read_crls(files: &[PathBuf]) -> Result<Vec<Crl>> {
    files
        .iter()
        .map(|p| Crl::from_any(&read_file(Path::new(""), p, "crls")?))
        .collect()
}

/// When each file was last modified (`None` for one that cannot be read).
fn modified(files: &[PathBuf]) -> Vec<Option<SystemTime>> {
    files
        .iter()
        .map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
        .collect()
}

fn read_file(base: &Path, p: &Path, what: &'static str) -> Result<Vec<u8>> {
    let path = base.join(p);
    std::fs::read(&path).map_err(|e| Error::param(what, format!("{}: {e}", path.display())))
}

/// What the configuration file describes, loaded.
pub struct Loaded {
    /// The verifier's configuration.
    pub verifier: VerifierConfig,
    /// The platform's certificate.
    pub platform_cert: Certificate,
    /// Packages to open.
    pub quotas: Vec<QuotaConfig>,
    /// The request timeout.
    pub request_timeout: Duration,
    /// The CRL files (resolved), to read again when they change.
    pub crl_files: Vec<PathBuf>,
    /// How often to look at them (`None`: never).
    pub crl_refresh: Option<Duration>,
    /// The accepted API keys.
    pub api_keys: ApiKeys,
    /// The CORS policy.
    pub cors: Cors,
    /// Codes per minute per API key.
    pub issue_per_minute: u32,
    /// Login codes per minute per client address.
    pub login_codes_per_minute: u32,
    /// The reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// How the service listens (TLS paths resolved).
    pub listener: super::listen::ListenerConfig,
}

impl Loaded {
    /// The key a database backend seals secrets with (the decrypt action's
    /// ephemeral keys and document keys), derived from the platform's
    /// private key: every instance configured with that key derives the
    /// same one, and nothing else needs configuring or storing.
    pub fn sealing_key(&self) -> Zeroizing<[u8; 16]> {
        let d = self.verifier.platform_key.to_bytes();
        let mac = Zeroizing::new(crate::crypto::hmac_sm3(
            &d[..],
            b"yizhengtong: the store's sealing key",
        ));
        let mut key = Zeroizing::new([0u8; 16]);
        key.copy_from_slice(&mac[..16]);
        key
    }
}

impl ServiceConfig {
    /// Read a configuration file.
    pub fn from_file(path: &Path) -> Result<(Self, PathBuf)> {
        let text = std::fs::read(path)
            .map_err(|e| Error::param("config", format!("{}: {e}", path.display())))?;
        let config: Self = serde_json::from_slice(&text)
            .map_err(|e| Error::param("config", format!("{}: {e}", path.display())))?;
        let base = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Ok((config, base))
    }

    /// Load the keys, certificates and CRLs it names (relative to `base`).
    pub fn load(&self, base: &Path) -> Result<Loaded> {
        let key_bytes = Zeroizing::new(read_file(base, &self.platform_key, "platform_key")?);
        let platform_key = match &self.platform_key_password_env {
            Some(var) => {
                let pw = Zeroizing::new(std::env::var(var).map_err(|_| {
                    Error::param("platform_key_password_env", format!("{var} is not set"))
                })?);
                PrivateKey::from_any_with_password(&key_bytes, pw.as_bytes())?
            }
            None => PrivateKey::from_any(&key_bytes)?,
        };
        let platform_cert =
            Certificate::from_any(&read_file(base, &self.platform_cert, "platform_cert")?)?;
        if platform_key.public_key() != *platform_cert.public_key() {
            return Err(Error::KeyMismatch);
        }
        let certs = |list: &[PathBuf], what: &'static str| -> Result<Vec<Certificate>> {
            list.iter()
                .map(|p| Certificate::from_any(&read_file(base, p, what)?))
                .collect()
        };
        let anchors = certs(&self.anchors, "anchors")?;
        if anchors.is_empty() {
            return Err(Error::param("anchors", "at least one trusted CA"));
        }
        let mut verifier = VerifierConfig::new(
            &self.platform_code,
            &self.platform_name,
            &self.callback_host,
            platform_key,
            anchors,
        );
        verifier.intermediates = certs(&self.intermediates, "intermediates")?;
        let crl_files: Vec<PathBuf> = self.crls.iter().map(|p| base.join(p)).collect();
        verifier.crls = read_crls(&crl_files)?;
        let crl_refresh = match self.crl_refresh_secs {
            Some(0) => None,
            Some(s) => Some(Duration::from_secs(s.min(86_400))),
            None => Some(DEFAULT_CRL_REFRESH),
        };
        if let Some(s) = self.lifetime_secs {
            if s == 0 || s > 3600 {
                return Err(Error::param("lifetime_secs", "1 to 3600"));
            }
            verifier.lifetime = Duration::from_secs(s);
        }
        let request_timeout = match self.request_timeout_secs {
            Some(0) => return Err(Error::param("request_timeout_secs", "at least 1")),
            Some(s) => Duration::from_secs(s.min(300)),
            None => DEFAULT_REQUEST_TIMEOUT,
        };
        for q in &self.quotas {
            if q.institution != "ca" && q.institution != "seal" {
                return Err(Error::param("quotas", "institution is `ca` or `seal`"));
            }
        }
        if let Some(n) = self.max_pending {
            if n == 0 || n > 10_000_000 {
                return Err(Error::param("max_pending", "1 to 10000000"));
            }
            verifier.max_pending = n;
        }
        if let Some(n) = self.max_message_bytes {
            if n == 0 || n > crate::qr::MAX_MESSAGE {
                return Err(Error::param("max_message_bytes", "1 to 65536"));
            }
            verifier.max_message = n;
        }
        Ok(Loaded {
            verifier,
            platform_cert,
            quotas: self.quotas.clone(),
            request_timeout,
            crl_files,
            crl_refresh,
            api_keys: ApiKeys::from_config(&self.api_keys)?,
            cors: Cors::new(&self.cors_origins)?,
            issue_per_minute: self.issue_per_minute.unwrap_or(600),
            login_codes_per_minute: self.login_codes_per_minute.unwrap_or(20),
            trusted_proxies: self.trusted_proxies.clone(),
            listener: self.listener.resolve(base)?,
        })
    }
}

// ---- state ------------------------------------------------------------------

/// The running service's state.
pub struct Service {
    verifier: Verifier<AnyStore>,
    platform_cert: Certificate,
    keys: KeyCache,
    backend: String,
    request_timeout: Duration,
    crl_files: Vec<PathBuf>,
    crl_refresh: Option<Duration>,
    /// The CRL files' modification times when last read.
    crl_seen: Mutex<Vec<Option<SystemTime>>>,
    api_keys: ApiKeys,
    cors: Cors,
    trusted_proxies: Vec<std::net::IpAddr>,
    /// Codes issued per API key.
    per_key: RateLimiter,
    /// Login codes issued per client address.
    per_address: RateLimiter,
}

type Shared = Arc<Service>;

fn unix(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Service {
    /// A service over `store` (opened by the caller: `AnyStore::open`).
    pub fn new(loaded: Loaded, store: AnyStore) -> Result<Self> {
        // what /healthz tells anyone: the kind, never where
        let backend = match &store {
            AnyStore::Memory(_) => "memory",
            #[allow(unreachable_patterns)]
            _ => "postgres",
        }
        .to_string();
        let memory = matches!(store, AnyStore::Memory(_));
        let crl_seen = modified(&loaded.crl_files);
        let verifier = Verifier::new(loaded.verifier, store)?;
        // The CRLs read at start are checked as any later ones are: a CRL
        // no configured CA signed is refused here, by name.
        verifier.check_crls(&verifier.crls(), SystemTime::now())?;
        if !loaded.quotas.is_empty() && !memory {
            return Err(Error::param(
                "quotas",
                "packages in the configuration are for the memory backend; a database's packages come from its workflows",
            ));
        }
        for q in &loaded.quotas {
            let key = QuotaKey {
                holder: q.holder.clone(),
                platform: verifier.config().platform_code.clone(),
                institution: if q.institution == "seal" {
                    "seal"
                } else {
                    "ca"
                },
            };
            verifier.store().set_quota(&key, q.uses)?;
        }
        Ok(Self {
            verifier,
            platform_cert: loaded.platform_cert,
            keys: KeyCache::new(10_000),
            backend,
            request_timeout: loaded.request_timeout,
            crl_files: loaded.crl_files,
            crl_refresh: loaded.crl_refresh,
            crl_seen: Mutex::new(crl_seen),
            api_keys: loaded.api_keys,
            cors: loaded.cors,
            trusted_proxies: loaded.trusted_proxies,
            per_key: RateLimiter::new(
                loaded.issue_per_minute,
                loaded.issue_per_minute.clamp(1, 60),
            ),
            per_address: RateLimiter::new(
                loaded.login_codes_per_minute,
                loaded.login_codes_per_minute.clamp(1, 5),
            ),
        })
    }

    /// Read the CRL files again and put them in force, once each is shown
    /// to be signed by a configured CA ([`Verifier::replace_crls`]); on
    /// any error the CRLs in force stay, and the error names the file or
    /// CRL. Returns how many CRLs are in force.
    pub fn reload_crls(&self) -> Result<usize> {
        let seen = modified(&self.crl_files);
        // whatever comes of it, these versions of the files have been seen
        *self.crl_seen.lock().unwrap_or_else(|p| p.into_inner()) = seen;
        let crls = read_crls(&self.crl_files)?;
        let n = crls.len();
        self.verifier.replace_crls(crls, SystemTime::now())?;
        Ok(n)
    }

    /// [`Service::reload_crls`] when a CRL file changed since it was last
    /// read; `None` when none did.
    pub fn reload_crls_if_changed(&self) -> Option<Result<usize>> {
        let changed =
            modified(&self.crl_files) != *self.crl_seen.lock().unwrap_or_else(|p| p.into_inner());
        changed.then(|| self.reload_crls())
    }

    /// The verifier.
    pub fn verifier(&self) -> &Verifier<AnyStore> {
        &self.verifier
    }
}

// ---- errors -----------------------------------------------------------------

/// A request refused before any verification: HTTP status, a stable code
/// and a message.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// What went wrong inside, for the server's log only.
    internal: Option<String>,
}

/// What went wrong inside a request, carried from the handler to the log
/// line in the response's extensions (never in its body).
#[derive(Debug, Clone)]
struct Internal(String);

/// The client's address as the listener saw it.
#[derive(Debug, Clone)]
struct ClientAddr(String);

/// The id of the API key that authorised a request.
#[derive(Debug, Clone)]
struct KeyId(String);

impl ApiError {
    fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            internal: None,
        }
    }

    /// A failure inside the service: the caller is told `message`, the
    /// log gets `internal`.
    fn internal(status: StatusCode, code: &'static str, message: &str, internal: String) -> Self {
        Self {
            internal: Some(internal),
            ..Self::new(status, code, message)
        }
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        match &e {
            Error::NotFound { .. } => Self::new(StatusCode::NOT_FOUND, "not_found", e.to_string()),
            Error::LimitReached { .. } => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "limit_reached",
                e.to_string(),
            ),
            // Inside the service: the caller learns that, and the log the rest.
            Error::Store(_) | Error::Conflict { .. } => Self::internal(
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                "the store is unavailable; nothing was changed: try again",
                e.to_string(),
            ),
            _ => Self::new(StatusCode::BAD_REQUEST, "bad_request", e.to_string()),
        }
    }
}

fn error_body(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"error": {"status": status.as_u16(), "code": code, "message": message}});
    (status, json_response(&body)).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = error_body(self.status, self.code, &self.message);
        if let Some(i) = self.internal {
            r.extensions_mut().insert(Internal(i));
        }
        r
    }
}

type ApiResult = std::result::Result<Response, ApiError>;

fn json_response(v: &Value) -> Response {
    raw_json(StatusCode::OK, v.to_string())
}

fn raw_json(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

// ---- request fields -----------------------------------------------------------

fn parse_body(body: &Bytes) -> std::result::Result<serde_json::Map<String, Value>, ApiError> {
    if body.is_empty() {
        return Err(ApiError::bad(
            "the body is empty; a JSON object is expected",
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::bad("the body must be a JSON object")),
        Err(e) => Err(ApiError::bad(format!("the body is not JSON: {e}"))),
    }
}

fn opt_str<'a>(
    m: &'a serde_json::Map<String, Value>,
    field: &str,
) -> std::result::Result<Option<&'a str>, ApiError> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::bad(format!("{field}: a string is expected"))),
    }
}

fn req_str<'a>(
    m: &'a serde_json::Map<String, Value>,
    field: &str,
) -> std::result::Result<&'a str, ApiError> {
    opt_str(m, field)?.ok_or_else(|| ApiError::bad(format!("{field} is missing")))
}

fn b64(field: &str, text: &str) -> std::result::Result<Vec<u8>, ApiError> {
    let cleaned: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    Base64::decode_vec(&cleaned).map_err(|_| ApiError::bad(format!("{field}: not standard base64")))
}

/// A certificate, key or other object: PEM text as is, else base64 DER.
fn pem_or_b64(field: &str, text: &str) -> std::result::Result<Vec<u8>, ApiError> {
    if text.trim_start().starts_with("-----BEGIN") {
        Ok(text.as_bytes().to_vec())
    } else {
        b64(field, text)
    }
}

fn opt_time(
    m: &serde_json::Map<String, Value>,
    field: &str,
) -> std::result::Result<SystemTime, ApiError> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(SystemTime::now()),
        Some(v) => v
            .as_u64()
            .filter(|s| *s < 253_402_300_800)
            .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s))
            .ok_or_else(|| ApiError::bad(format!("{field}: Unix seconds expected"))),
    }
}

fn tid_in(text: &str) -> std::result::Result<[u8; 16], ApiError> {
    crate::hex::decode(text)
        .ok()
        .and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{text:?} is not a transaction id (32 hex digits)"),
            )
        })
}

/// Run blocking work (verification, the store) off the async workers. A
/// panic in it is an internal error whose text goes to the log only.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::result::Result<T, ApiError> + Send + 'static,
) -> std::result::Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        let why = match e.try_into_panic() {
            Ok(p) => p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into()),
            Err(e) => e.to_string(),
        };
        ApiError::internal(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the service failed on this request",
            format!("worker failed: {why}"),
        )
    })?
}

// ---- handlers ------------------------------------------------------------------

/// The challenge a request body asks for: action and its data.
struct IssueRequest {
    action: Action,
    digest: Option<[u8; 32]>,
    data: Option<Vec<u8>>,
}

fn issue_request(body: &Bytes) -> std::result::Result<IssueRequest, ApiError> {
    let m = parse_body(body)?;
    let action: Action = req_str(&m, "action")?
        .parse()
        .map_err(|e: Error| ApiError::bad(format!("action: {e}")))?;
    let digest = match action {
        Action::Seal | Action::FileSign => Some(
            crate::hex::decode(req_str(&m, "digest")?)
                .ok()
                .and_then(|d| <[u8; 32]>::try_from(d.as_slice()).ok())
                .ok_or_else(|| ApiError::bad("digest: 64 hex digits (SM3) expected"))?,
        ),
        _ => None,
    };
    let data = match action {
        Action::Decrypt => Some(b64("envelope", req_str(&m, "envelope")?)?),
        Action::MsgSign => Some(b64("message", req_str(&m, "message")?)?),
        _ => None,
    };
    Ok(IssueRequest {
        action,
        digest,
        data,
    })
}

/// Issue a challenge (for the browser holding `viewer`, if any) and its
/// SVG, off the async workers.
async fn issue_code(
    s: &Shared,
    r: IssueRequest,
    viewer: Option<[u8; 32]>,
) -> std::result::Result<(crate::qr::Challenge, String), ApiError> {
    let s = Arc::clone(s);
    blocking(move || {
        let digest = r.digest.unwrap_or_default();
        let data = r.data.as_deref().unwrap_or_default();
        let request = match r.action {
            Action::Login => QrRequest::Login,
            Action::Encrypt => QrRequest::Encrypt,
            Action::Seal => QrRequest::Seal { digest },
            Action::FileSign => QrRequest::FileSign { digest },
            Action::Decrypt => QrRequest::Decrypt { envelope: data },
            Action::MsgSign => QrRequest::MsgSign { message: data },
        };
        let c = s
            .verifier
            .issue_for(request, viewer, SystemTime::now(), &mut rand::rng())?;
        let svg = c.to_svg()?;
        Ok((c, svg))
    })
    .await
}

fn code_json(challenge: &crate::qr::Challenge, svg: String) -> Value {
    let tid = challenge.transaction_hex();
    json!({
        "transaction": tid,
        "action": challenge.action.name(),
        "text": challenge.to_text(),
        "svg": svg,
        "issued_at": challenge.issued_at,
        "expires_at": challenge.expires_at,
        "callback": format!("http://{}/v1/qr/{tid}/response", challenge.callback_host),
    })
}

fn too_many(what: &str, retry_after: u64) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("{what}: too many requests; try again in {retry_after} s"),
    )
}

/// `POST /v1/qr` (platform): a challenge for any action.
async fn issue(
    State(s): State<Shared>,
    axum::Extension(KeyId(key)): axum::Extension<KeyId>,
    body: Bytes,
) -> ApiResult {
    let r = issue_request(&body)?;
    s.per_key
        .take(&key, Instant::now())
        .map_err(|after| too_many("issuing codes with this key", after))?;
    let (challenge, svg) = issue_code(&s, r, None).await?;
    Ok(raw_json(
        StatusCode::CREATED,
        code_json(&challenge, svg).to_string(),
    ))
}

/// `POST /v1/login` (public): a login code for the login page, with the
/// secret that alone may read its status.
async fn login_code(
    State(s): State<Shared>,
    axum::Extension(ClientAddr(addr)): axum::Extension<ClientAddr>,
) -> ApiResult {
    s.per_address
        .take(&addr, Instant::now())
        .map_err(|after| too_many("login codes from this address", after))?;
    let (secret, kept) = guard::new_page_secret(&mut rand::rng());
    let r = IssueRequest {
        action: Action::Login,
        digest: None,
        data: None,
    };
    let (challenge, svg) = issue_code(&s, r, Some(kept)).await?;
    let mut v = code_json(&challenge, svg);
    v["page_secret"] = Value::String(secret);
    Ok(raw_json(StatusCode::CREATED, v.to_string()))
}

/// The state a page is in at `now`.
fn state_name(page: &PageStatus, now: u64) -> &'static str {
    match page.stage {
        PageStage::Pending | PageStage::Scanned if now >= page.expires_at => "expired",
        PageStage::Pending => "pending",
        PageStage::Scanned => "scanned",
        PageStage::Authorised => "authorised",
        PageStage::Refused => "refused",
    }
}

fn refusal_json(reason: crate::qr::Reason) -> Value {
    json!({"code": reason.code(), "reason": reason.name()})
}

/// The platform's view of a code: everything the verdict handed over.
fn status_json(tid: &str, page: &PageStatus, now: u64) -> Value {
    let mut v = json!({
        "transaction": tid,
        "action": page.action.name(),
        "state": state_name(page, now),
        "issued_at": page.issued_at,
        "expires_at": page.expires_at,
    });
    // the detail was written by the verifier, as a JSON object
    if let (Value::Object(o), Ok(Value::Object(d))) = (&mut v, serde_json::from_str(&page.detail)) {
        o.extend(d);
    }
    if let Some(n) = page.remaining
        && let Some(identity) = v.get_mut("identity")
    {
        identity["remaining"] = json!(n);
    }
    if let Some(r) = page.refusal {
        v["refusal"] = refusal_json(r);
    }
    v
}

/// The login page's view of its code: the state and, once authorised,
/// who, masked (欧*, 138****0000; no ID number, no subject).
fn page_json(tid: &str, page: &PageStatus, now: u64) -> Value {
    let mut v = json!({
        "transaction": tid,
        "action": page.action.name(),
        "state": state_name(page, now),
        "expires_at": page.expires_at,
    });
    if page.stage == PageStage::Authorised {
        let d: Value = serde_json::from_str(&page.detail).unwrap_or(Value::Null);
        let id = &d["identity"];
        let text = |k: &str| id[k].as_str().unwrap_or_default().to_string();
        // a person's name is masked; an enterprise certificate's name is
        // the enterprise's, public as its credit code is
        let name = if id["enterprise"].is_string() {
            text("name")
        } else {
            guard::mask_name(&text("name"))
        };
        v["identity"] = json!({
            "name": name,
            "member": guard::mask_account(&text("member")),
            "enterprise": id["enterprise"],
            "enterprise_name": id["enterprise_name"],
            "certificate_serial": id["certificate_serial"],
        });
    }
    if let Some(r) = page.refusal {
        v["refusal"] = refusal_json(r);
    }
    v
}

/// The refusal for a transaction the store does not know.
fn no_such_code(tid: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no QR code {tid} was issued here (or it was forgotten after expiry)"),
    )
}

/// Run a call on the verifier's store off the async workers (a database
/// call blocks).
async fn on_store<T: Send + 'static>(
    s: &Shared,
    f: impl FnOnce(&AnyStore) -> Result<T> + Send + 'static,
) -> std::result::Result<T, ApiError> {
    let s = Arc::clone(s);
    blocking(move || f(s.verifier.store()).map_err(ApiError::from)).await
}

/// `GET /v1/qr/{tid}` (platform).
async fn status(State(s): State<Shared>, UrlPath(tid): UrlPath<String>) -> ApiResult {
    let id = tid_in(&tid)?;
    let page = on_store(&s, move |store| store.page(&id)).await?;
    let page = page.ok_or_else(|| no_such_code(&tid))?;
    Ok(json_response(&status_json(
        &tid,
        &page,
        unix(SystemTime::now()),
    )))
}

/// `GET /v1/login/{tid}` (the page that asked for the code).
async fn login_status(
    State(s): State<Shared>,
    UrlPath(tid): UrlPath<String>,
    headers: axum::http::HeaderMap,
) -> ApiResult {
    let id = tid_in(&tid)?;
    let presented = headers
        .get(PAGE_SECRET_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let page = on_store(&s, move |store| store.page(&id)).await?;
    let page = page.ok_or_else(|| no_such_code(&tid))?;
    let allowed = page
        .viewer
        .as_ref()
        .is_some_and(|kept| guard::page_secret_matches(&presented, kept));
    if !allowed {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "page_secret",
            format!("only the page that asked for {tid} may read it (header {PAGE_SECRET_HEADER})"),
        ));
    }
    Ok(json_response(&page_json(
        &tid,
        &page,
        unix(SystemTime::now()),
    )))
}

/// `POST /v1/qr/{tid}/scanned` (the phone): the page may show 已扫码.
/// Anyone holding the QR text can call it; it changes only that mark and
/// answers only the state.
async fn scanned(State(s): State<Shared>, UrlPath(tid): UrlPath<String>) -> ApiResult {
    let id = tid_in(&tid)?;
    let now = unix(SystemTime::now());
    let page = on_store(&s, move |store| store.page_scanned(&id, now)).await?;
    let page = page.ok_or_else(|| no_such_code(&tid))?;
    Ok(json_response(&json!({
        "transaction": tid,
        "state": state_name(&page, now),
        "expires_at": page.expires_at,
    })))
}

/// `POST /v1/qr/{tid}/response` (the phone): the verifier decides, and
/// commits a verified answer at once or not at all before the request's
/// deadline; the answer says which.
async fn response(
    State(s): State<Shared>,
    UrlPath(tid): UrlPath<String>,
    body: Bytes,
) -> ApiResult {
    let started = Instant::now();
    let id = tid_in(&tid)?;
    let m = parse_body(&body)?;
    let der = b64("response", req_str(&m, "response")?)?;
    if der.len() > crate::qr::response::MAX_RESPONSE_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "response: larger than a response can be",
        ));
    }
    // A response for another QR code is refused before it is verified.
    if let Ok(r) = crate::qr::Response::from_der(&der)
        && r.statement.transaction_id != id
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "wrong_transaction",
            format!(
                "the response answers QR code {}, not {tid}",
                crate::hex::encode(&r.statement.transaction_id)
            ),
        ));
    }
    // Leave room to answer: a commit that cannot start before this
    // deadline does not start.
    let deadline = started + s.request_timeout.mul_f32(0.9);
    let s2 = Arc::clone(&s);
    let mut v = blocking(move || {
        Ok(s2
            .verifier
            .verify_until(&der, SystemTime::now(), Some(deadline)))
    })
    .await?;
    let mut internal = None;
    let status = match v.reason {
        crate::qr::Reason::StoreUnavailable => {
            internal = Some(std::mem::replace(
                &mut v.detail,
                "the store did not answer: send the same response again (it is told the verdict if one was committed)"
                    .into(),
            ));
            StatusCode::SERVICE_UNAVAILABLE
        }
        crate::qr::Reason::TimedOut => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::OK,
    };
    let mut r = raw_json(status, v.answer_json());
    if let Some(i) = internal {
        r.extensions_mut().insert(Internal(i));
    }
    Ok(r)
}

/// `POST /v1/decrypt-envelope` (platform): the document key, once.
async fn decrypt_envelope(State(s): State<Shared>, body: Bytes) -> ApiResult {
    let m = parse_body(&body)?;
    let tid = req_str(&m, "transaction")?.to_string();
    let id = tid_in(&tid)?;
    let taken = on_store(&s, move |store| {
        let taken = store.page_take_key(&id)?;
        // only when there is no key: tell a code of another action apart
        let action = match taken {
            KeyTaken::Key(_) => None,
            _ => store.page(&id)?.map(|p| p.action),
        };
        Ok((taken, action))
    })
    .await?;
    match taken {
        (KeyTaken::Key(key), _) => Ok(json_response(&json!({
            "transaction": tid,
            "document_key": Base64::encode_string(&key),
        }))),
        (_, Some(action)) if action != Action::Decrypt => Err(ApiError::new(
            StatusCode::CONFLICT,
            "wrong_action",
            format!("{tid} is a {} code, not decrypt", action.name()),
        )),
        (KeyTaken::Unknown, _) => Err(no_such_code(&tid)),
        (KeyTaken::NotAuthorised(_), _) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_authorised",
            format!("{tid} has not been authorised"),
        )),
        (KeyTaken::Gone, _) => Err(ApiError::new(
            StatusCode::GONE,
            "already_taken",
            "the document key was handed over before; it is kept only until then",
        )),
    }
}

fn institution(text: &str) -> std::result::Result<&'static str, ApiError> {
    match text {
        "ca" => Ok("ca"),
        "seal" => Ok("seal"),
        other => Err(ApiError::bad(format!(
            "institution: {other:?}; `ca` or `seal`"
        ))),
    }
}

fn holder_in(text: &str) -> std::result::Result<String, ApiError> {
    let n = text.chars().count();
    if n == 0 || n > 64 || text.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(ApiError::bad(
            "holder: the ID number or credit code (1 to 64 characters, no spaces)",
        ));
    }
    Ok(text.to_string())
}

/// `POST /v1/packages` (platform): open or top up a holder's package on
/// this platform (set the uses left).
async fn package_open(State(s): State<Shared>, body: Bytes) -> ApiResult {
    let m = parse_body(&body)?;
    let holder = holder_in(req_str(&m, "holder")?)?;
    let institution = institution(req_str(&m, "institution")?)?;
    let uses = m
        .get("uses")
        .and_then(Value::as_u64)
        .filter(|n| *n <= 1_000_000_000)
        .ok_or_else(|| ApiError::bad("uses: a whole number from 0 to 1000000000"))?;
    let key = QuotaKey {
        holder,
        platform: s.verifier.config().platform_code.clone(),
        institution,
    };
    let k = key.clone();
    on_store(&s, move |store| store.set_quota(&k, uses)).await?;
    Ok(json_response(&json!({
        "holder": key.holder,
        "platform": key.platform,
        "institution": key.institution,
        "uses": uses,
    })))
}

/// `GET /v1/packages/{holder}` (platform): the uses left of a holder's
/// packages on this platform (`null`: none opened).
async fn package_show(State(s): State<Shared>, UrlPath(holder): UrlPath<String>) -> ApiResult {
    let holder = holder_in(&holder)?;
    let platform = s.verifier.config().platform_code.clone();
    let (h, p) = (holder.clone(), platform.clone());
    let (ca, seal) = on_store(&s, move |store| {
        let key = |institution| QuotaKey {
            holder: h.clone(),
            platform: p.clone(),
            institution,
        };
        Ok((store.quota(&key("ca"))?, store.quota(&key("seal"))?))
    })
    .await?;
    Ok(json_response(&json!({
        "holder": holder,
        "platform": platform,
        "ca": ca,
        "seal": seal,
    })))
}

fn verify_answer(ok: bool, msg: &str) -> Response {
    raw_json(
        StatusCode::OK,
        json!({
            "code": 200,
            "success": true,
            "data": {"verifySignatureResult": ok},
            "msg": msg,
            "errorCode": if ok { "" } else { "signature_mismatch" },
        })
        .to_string(),
    )
}

async fn verify_message(State(s): State<Shared>, body: Bytes) -> ApiResult {
    let m = parse_body(&body)?;
    let message = b64("message", req_str(&m, "message")?)?;
    if message.len() > MAX_VERIFY_MESSAGE {
        return Err(ApiError::bad(format!(
            "message: at most {MAX_VERIFY_MESSAGE} bytes; send the SM3 digest's signature flow instead"
        )));
    }
    let sig_bytes = b64("signature", req_str(&m, "signature")?)?;
    let signature = Signature::from_der_or_raw(&sig_bytes)?;
    let public: PublicKey = match (opt_str(&m, "certificate")?, opt_str(&m, "public_key")?) {
        (Some(c), None) => *Certificate::from_any(&pem_or_b64("certificate", c)?)?.public_key(),
        (None, Some(k)) => PublicKey::from_any(&pem_or_b64("public_key", k)?)?,
        _ => {
            return Err(ApiError::bad(
                "exactly one of certificate and public_key is expected",
            ));
        }
    };
    let user_id = opt_str(&m, "user_id")?
        .map(|u| u.as_bytes().to_vec())
        .unwrap_or_else(|| DEFAULT_USER_ID.to_vec());
    let s2 = Arc::clone(&s);
    blocking(
        move || match s2.keys.verify(&public, &user_id, &message, &signature) {
            Ok(()) => Ok(verify_answer(true, "")),
            Err(e) if e.is_signature_mismatch() => {
                Ok(verify_answer(false, "the signature does not verify"))
            }
            Err(e) => Err(e.into()),
        },
    )
    .await
}

async fn cert_verify(State(s): State<Shared>, body: Bytes) -> ApiResult {
    let m = parse_body(&body)?;
    let cert = Certificate::from_any(&pem_or_b64("certificate", req_str(&m, "certificate")?)?)?;
    let at = opt_time(&m, "at")?;
    let usage = match opt_str(&m, "usage")?.unwrap_or("any") {
        "any" => IntendedUse::Any,
        "signature" => IntendedUse::Signature,
        "encryption" => IntendedUse::Encryption,
        other => {
            return Err(ApiError::bad(format!(
                "usage: {other:?}; any, signature or encryption"
            )));
        }
    };
    let mut extra = Vec::new();
    if let Some(list) = m.get("intermediates") {
        let arr = list
            .as_array()
            .ok_or_else(|| ApiError::bad("intermediates: an array of certificates"))?;
        if arr.len() > 16 {
            return Err(ApiError::bad("intermediates: at most 16"));
        }
        for (i, c) in arr.iter().enumerate() {
            let text = c
                .as_str()
                .ok_or_else(|| ApiError::bad(format!("intermediates[{i}]: a string")))?;
            extra.push(Certificate::from_any(&pem_or_b64("intermediates", text)?)?);
        }
    }
    let s2 = Arc::clone(&s);
    blocking(move || {
        let config = s2.verifier.config();
        let crls = s2.verifier.crls();
        let mut inter = config.intermediates.clone();
        inter.extend(extra);
        let opts = VerifyOptions {
            at,
            usage,
            crls: &crls,
            status: config.status.as_deref().map(|x| x as _),
            require_revocation_check: false,
        };
        let mut v = json!({
            "subject": cert.subject(),
            "serial": cert.serial_hex(),
            "not_before": unix(cert.not_before()),
            "not_after": unix(cert.not_after()),
            "at": unix(at),
        });
        match verify_chain(&cert, &inter, &config.anchors, &opts) {
            Ok(chain) => {
                v["valid"] = Value::Bool(true);
                v["chain"] = chain
                    .certificates
                    .iter()
                    .map(|c| Value::String(c.subject()))
                    .collect();
            }
            Err(Error::Certificate {
                index,
                check,
                detail,
                ..
            }) => {
                v["valid"] = Value::Bool(false);
                v["failure"] = json!({
                    "index": index,
                    "check": format!("{check:?}"),
                    "detail": format!("{check}: {detail}"),
                });
            }
            Err(e) => return Err(e.into()),
        }
        Ok(json_response(&v))
    })
    .await
}

async fn seal_verify(State(s): State<Shared>, body: Bytes) -> ApiResult {
    let m = parse_body(&body)?;
    let document = opt_str(&m, "document")?
        .map(|d| b64("document", d))
        .transpose()?;
    let signature = opt_str(&m, "signature")?
        .map(|d| b64("signature", d))
        .transpose()?;
    let seal = opt_str(&m, "seal")?.map(|d| b64("seal", d)).transpose()?;
    let at = opt_time(&m, "at")?;
    let s2 = Arc::clone(&s);
    blocking(move || {
        let config = s2.verifier.config();
        let crls = s2.verifier.crls();
        let opts = SealVerifyOptions {
            anchors: &config.anchors,
            intermediates: &config.intermediates,
            crls: &crls,
            status: config.status.as_deref().map(|x| x as _),
        };
        let (kind, report) = match (signature, seal) {
            (Some(sig), None) => {
                let sig = SealSignature::from_der(&sig)?;
                (
                    "signature",
                    verify_signature(&sig, document.as_deref(), &opts),
                )
            }
            (None, Some(seal)) => {
                if document.is_some() {
                    return Err(ApiError::bad("document: only with a signature"));
                }
                ("seal", verify_seal(&Seal::from_der(&seal)?, at, &opts))
            }
            _ => {
                return Err(ApiError::bad(
                    "exactly one of signature and seal is expected",
                ));
            }
        };
        let mut v = serde_json::to_value(&report).map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
        })?;
        v["kind"] = Value::String(kind.into());
        Ok(json_response(&v))
    })
    .await
}

/// `GET /healthz` (public): up, and the kind of backend (never where it is).
async fn healthz(State(s): State<Shared>) -> Response {
    json_response(&json!({
        "status": "ok",
        "backend": s.backend,
        "platform_code": s.verifier.config().platform_code,
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

async fn openapi() -> Response {
    raw_json(StatusCode::OK, OPENAPI.to_string())
}

async fn login_page(State(s): State<Shared>) -> Response {
    let config = s.verifier.config();
    let html = LOGIN_PAGE
        .replace("{{PLATFORM_NAME}}", &html_escape(&config.platform_name))
        .replace("{{PLATFORM_CODE}}", &html_escape(&config.platform_code))
        .replace(
            "{{PLATFORM_SERIAL}}",
            &html_escape(&s.platform_cert.serial_hex()),
        );
    let mut r = html.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

async fn not_found() -> Response {
    error_body(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such route; see /openapi.json",
    )
}

// ---- routes and middleware ------------------------------------------------------

/// The header carrying the login page's secret.
pub const PAGE_SECRET_HEADER: &str = "x-page-secret";

/// Who may call a route (see the module [`guard`] and the README's
/// "Deploying").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: the login page, the health check, the OpenAPI document,
    /// a login code for the page (rate-limited per address), and the
    /// phone's calls, whose content is signed and verified before it
    /// changes anything.
    Public,
    /// The browser that asked for the login code, by its page secret.
    Page,
    /// The platform, with one of its API keys (bearer).
    Platform,
}

/// One route: method, path (OpenAPI syntax), who may call it, whether it
/// changes state (then it is never cut off by the request timeout after
/// it started: it commits at once or not at all, and says which), and
/// its handler.
pub struct Route {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The path, in OpenAPI syntax.
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    /// Whether it changes state.
    pub writes: bool,
    handler: MethodRouter<Shared>,
}

/// Every route. The router is built from this table and the OpenAPI test
/// compares it with the document (paths, methods and security).
pub fn routes() -> Vec<Route> {
    use Access::*;
    let r = |method, path, access, writes, handler| Route {
        method,
        path,
        access,
        writes,
        handler,
    };
    vec![
        r("GET", "/", Public, false, get(login_page)),
        r("GET", "/healthz", Public, false, get(healthz)),
        r("GET", "/openapi.json", Public, false, get(openapi)),
        r("POST", "/v1/login", Public, true, post(login_code)),
        r("GET", "/v1/login/{tid}", Page, false, get(login_status)),
        r("POST", "/v1/qr/{tid}/scanned", Public, true, post(scanned)),
        r(
            "POST",
            "/v1/qr/{tid}/response",
            Public,
            true,
            post(response),
        ),
        r("POST", "/v1/qr", Platform, true, post(issue)),
        r("GET", "/v1/qr/{tid}", Platform, false, get(status)),
        r(
            "POST",
            "/v1/decrypt-envelope",
            Platform,
            true,
            post(decrypt_envelope),
        ),
        r("POST", "/v1/packages", Platform, true, post(package_open)),
        r(
            "GET",
            "/v1/packages/{holder}",
            Platform,
            false,
            get(package_show),
        ),
        r("POST", "/v1/verify", Platform, false, post(verify_message)),
        r(
            "POST",
            "/v1/cert/verify",
            Platform,
            false,
            post(cert_verify),
        ),
        r(
            "POST",
            "/v1/seal/verify",
            Platform,
            false,
            post(seal_verify),
        ),
    ]
}

/// Platform routes: a bearer API key the configuration lists, else 401.
async fn require_key(State(s): State<Shared>, mut req: Request, next: Next) -> Response {
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    let why = match presented {
        _ if s.api_keys.is_empty() => "this service has no API key configured (api_keys)",
        None => "this route is the platform's: send its API key as Authorization: Bearer …",
        Some(token) => match s.api_keys.check(token) {
            Some(id) => {
                let id = KeyId(id.to_string());
                req.extensions_mut().insert(id.clone());
                let mut resp = next.run(req).await;
                resp.extensions_mut().insert(id);
                return resp;
            }
            None => "the API key is not one of this service's",
        },
    };
    let mut r = error_body(StatusCode::UNAUTHORIZED, "unauthorized", why);
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"yzt\""),
    );
    r
}

/// Routes that change nothing: bounded by the request timeout.
async fn bounded(State(s): State<Shared>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(s.request_timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => error_body(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            "the request took too long (it changes nothing)",
        ),
    }
}

/// The CORS and content-type policy, before any handler: a preflight is
/// answered only for a configured origin; a POST from another web origin
/// than the service's own or a configured one is refused (403), and a
/// POST whose body is not declared JSON is refused (415), so that no web
/// page can post to the service without the browser asking first.
fn gate(s: &Service, req: &Request) -> std::result::Result<Option<HeaderValue>, Box<Response>> {
    let h = req.headers();
    let origin = h.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = h
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let allowed = origin
        .filter(|o| s.cors.allows(o))
        .and_then(|o| HeaderValue::from_str(o).ok());
    let foreign = origin.is_some_and(|o| !guard::same_origin(o, host)) && allowed.is_none();
    if req.method() == axum::http::Method::OPTIONS {
        return Err(Box::new(match allowed {
            Some(o) => {
                let mut r = StatusCode::NO_CONTENT.into_response();
                let hs = r.headers_mut();
                hs.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
                hs.insert(
                    header::ACCESS_CONTROL_ALLOW_METHODS,
                    HeaderValue::from_static("GET, POST"),
                );
                hs.insert(
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    HeaderValue::from_static("authorization, content-type, x-page-secret"),
                );
                hs.insert(
                    header::ACCESS_CONTROL_MAX_AGE,
                    HeaderValue::from_static("600"),
                );
                hs.insert(header::VARY, HeaderValue::from_static("Origin"));
                r
            }
            None => error_body(
                StatusCode::FORBIDDEN,
                "cors_refused",
                "this origin may not call the service from a browser (cors_origins)",
            ),
        }));
    }
    if req.method() == axum::http::Method::POST {
        if foreign {
            return Err(Box::new(error_body(
                StatusCode::FORBIDDEN,
                "cross_origin",
                "a page of another origin may not post here (cors_origins)",
            )));
        }
        let json = h
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            return Err(Box::new(error_body(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the body must be JSON, declared as Content-Type: application/json",
            )));
        }
    }
    Ok(allowed)
}

/// The client's address: the peer's, or, when the peer is a trusted
/// proxy, the last address its `X-Forwarded-For` names (what the proxy
/// itself saw; earlier entries are the client's to write).
fn client_address(s: &Service, req: &Request) -> String {
    let Some(peer) = req
        .extensions()
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
    else {
        return "unknown".into();
    };
    if s.trusted_proxies.contains(&peer) {
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<std::net::IpAddr>().ok())
            .next_back();
        if let Some(client) = forwarded {
            return client.to_string();
        }
    }
    peer.to_string()
}

/// Every request: an id, the CORS and content-type gate, the
/// framework's plain-text refusals (405, 413, a bad path) turned into
/// JSON errors, the request id in the answer, and one JSON log line (no
/// bodies, no keys: method, path, status, milliseconds, the API key's
/// id, and what went wrong inside, if anything).
async fn frame(State(s): State<Shared>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = {
        let mut b = [0u8; 8];
        rand::Rng::fill_bytes(&mut rand::rng(), &mut b);
        crate::hex::encode(&b)
    };
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let client = client_address(&s, &req);
    req.extensions_mut().insert(ClientAddr(client.clone()));
    let mut resp = match gate(&s, &req) {
        Err(r) => *r,
        Ok(cors) => {
            let mut r = next.run(req).await;
            if let Some(o) = cors {
                r.headers_mut()
                    .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
                r.headers_mut()
                    .insert(header::VARY, HeaderValue::from_static("Origin"));
            }
            r
        }
    };
    let status = resp.status();
    if status.is_client_error() || status.is_server_error() {
        let is_json = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        let text = axum::body::to_bytes(
            std::mem::replace(resp.body_mut(), Body::empty()),
            256 * 1024,
        )
        .await
        .unwrap_or_default();
        let mut body: Value = if is_json {
            serde_json::from_slice(&text).unwrap_or(Value::Null)
        } else {
            Value::Null
        };
        if body.get("error").is_none() && body.get("data").is_none() {
            // a plain-text refusal of the framework: its words, as JSON
            let code = match status {
                StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
                StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
                StatusCode::NOT_FOUND => "not_found",
                StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
                _ if status.is_server_error() => "internal",
                _ => "bad_request",
            };
            let words = String::from_utf8_lossy(&text);
            let message = if status.is_server_error() || words.is_empty() {
                status.canonical_reason().unwrap_or("refused").to_string()
            } else {
                words.chars().take(300).collect()
            };
            body = json!({"error": {"status": status.as_u16(), "code": code, "message": message}});
        }
        if let Some(e) = body.get_mut("error").and_then(Value::as_object_mut) {
            e.insert("request_id".into(), Value::String(id.clone()));
        }
        let headers = resp.headers().clone();
        let extensions = resp.extensions().clone();
        resp = raw_json(status, body.to_string());
        for (k, v) in headers.iter() {
            if k != header::CONTENT_LENGTH && k != header::CONTENT_TYPE {
                resp.headers_mut().insert(k, v.clone());
            }
        }
        *resp.extensions_mut() = extensions;
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    let mut line = json!({
        "time": crate::time::format_rfc3339(SystemTime::now()),
        "request_id": id,
        "client": client,
        "method": method.as_str(),
        "path": path,
        "status": resp.status().as_u16(),
        "ms": (started.elapsed().as_secs_f64() * 1000.0 * 100.0).round() / 100.0,
    });
    if let Some(KeyId(k)) = resp.extensions().get::<KeyId>() {
        line["key"] = Value::String(k.clone());
    }
    if let Some(Internal(i)) = resp.extensions().get::<Internal>() {
        line["internal"] = Value::String(i.clone());
    }
    eprintln!("{line}");
    resp
}

/// The router over a service.
pub fn router(service: Arc<Service>) -> Router {
    let mut r = Router::new();
    for route in routes() {
        let mut handler = route.handler;
        if !route.writes {
            handler = handler.route_layer(middleware::from_fn_with_state(
                Arc::clone(&service),
                bounded,
            ));
        }
        if route.access == Access::Platform {
            handler = handler.route_layer(middleware::from_fn_with_state(
                Arc::clone(&service),
                require_key,
            ));
        }
        r = r.route(route.path, handler);
    }
    r.fallback(not_found)
        .layer(middleware::from_fn_with_state(Arc::clone(&service), frame))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(service)
}

/// Serve on `listener` as `config` says (timeouts, connection cap, TLS:
/// see [`super::listen`]) until `shutdown` completes, then finish the
/// requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    service: Arc<Service>,
    config: &super::listen::ListenerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let refresher = tokio::spawn(refresh_crls(Arc::clone(&service)));
    let served = super::listen::run(listener, router(service), config, shutdown).await;
    refresher.abort();
    served
}

/// Every `crl_refresh`, read the CRL files again if one changed, and say
/// so in the log (one JSON line: the CRLs now in force, or why the old
/// ones stay).
async fn refresh_crls(service: Arc<Service>) {
    let Some(every) = service
        .crl_refresh
        .filter(|_| !service.crl_files.is_empty())
    else {
        return;
    };
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await; // the first tick is now: the files were just read
    loop {
        tick.tick().await;
        let s = Arc::clone(&service);
        let line = match tokio::task::spawn_blocking(move || s.reload_crls_if_changed()).await {
            Ok(None) => continue,
            Ok(Some(Ok(n))) => json!({"event": "crls_reloaded", "crls": n}),
            Ok(Some(Err(e))) => json!({
                "event": "crl_reload_failed",
                "error": e.to_string(),
                "kept": service.verifier.crls().len(),
            }),
            Err(e) => json!({"event": "crl_reload_failed", "error": e.to_string()}),
        };
        eprintln!("{line}");
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// A service running on its own threads (for tests, benchmarks and
/// embedding): its address, and a handle that stops it.
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    scheme: &'static str,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<()>>>,
}

impl Running {
    /// The base URL, `http://addr` (`https://addr` with TLS).
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// Stop gracefully and wait.
    pub fn stop(mut self) -> Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<()> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        match self.thread.take() {
            Some(t) => t
                .join()
                .map_err(|_| Error::param("server", "the server thread panicked"))?,
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// Start `service` on `listen` (port 0 picks one) with `workers` threads.
pub fn spawn(service: Arc<Service>, listen: &str, workers: usize) -> Result<Running> {
    spawn_with(service, listen, workers, Default::default())
}

/// [`spawn`] with a listener configuration (its TLS paths resolved, as
/// [`ServiceConfig::load`] leaves them).
pub fn spawn_with(
    service: Arc<Service>,
    listen: &str,
    workers: usize,
    config: super::listen::ListenerConfig,
) -> Result<Running> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers.max(1))
        .enable_all()
        .build()
        .map_err(|e| Error::param("server", e.to_string()))?;
    let std_listener = std::net::TcpListener::bind(listen)
        .map_err(|e| Error::param("listen", format!("{listen}: {e}")))?;
    std_listener
        .set_nonblocking(true)
        .map_err(|e| Error::param("listen", e.to_string()))?;
    let addr = std_listener
        .local_addr()
        .map_err(|e| Error::param("listen", e.to_string()))?;
    let scheme = config.scheme();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        // The last reference is dropped here, outside the runtime: a
        // database backend's synchronous client may not be dropped on an
        // async worker.
        let keep = Arc::clone(&service);
        let result = runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(std_listener)
                .map_err(|e| Error::param("listen", e.to_string()))?;
            serve(listener, service, &config, async {
                let _ = rx.await;
            })
            .await
        });
        drop(runtime);
        drop(keep);
        result
    });
    Ok(Running {
        addr,
        scheme,
        stop: Some(tx),
        thread: Some(thread),
    })
}
