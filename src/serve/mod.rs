//! The HTTP verification service (`yzt serve`): QR challenges for a
//! platform's login page, the app's response endpoint, and stateless
//! verification of signatures, certificates and seals, as JSON over HTTP
//! for platforms that will not link a native library (the
//! 签名验签服务器 of GM/T 0029). Also the login page it serves and a small
//! HTTP client for the app simulator and the tests.
//!
//! Feature `serve`.

pub mod client;
pub mod guard;
pub mod listen;
pub mod load;
mod server;

pub use listen::ListenerConfig;
pub use server::{
    Access, DEFAULT_REQUEST_TIMEOUT, Loaded, MAX_BODY_BYTES, OPENAPI, PAGE_SECRET_HEADER,
    QuotaConfig, Route, Running, Service, ServiceConfig, router, routes, serve, shutdown_signal,
    spawn, spawn_with,
};
