//! Passwords (argon2id), access tokens (JWT, HS256) and the helpers for opaque tokens.
//! Refresh-token rotation lives in `domain::sessions`, since it is a database workflow.
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine as _;
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// Access tokens live 15 minutes.
pub const ACCESS_TOKEN_SECS: i64 = 15 * 60;
/// Refresh tokens live 30 days unless rotated or revoked.
pub const REFRESH_TOKEN_DAYS: i64 = 30;

/// A URL-safe random string of `bytes` random bytes.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// SHA-256 hex of a high-entropy token (refresh tokens, invite codes): what we store.
pub fn hash_token(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// Password hashes computed at once in this process: one per CPU. Each argon2id hash takes
/// tens of milliseconds of CPU and 19 MiB of memory; more at once only queue for the CPU while
/// holding their memory. Process-wide because the CPUs are.
fn hashing_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS
        .get_or_init(|| tokio::sync::Semaphore::new(std::thread::available_parallelism().map(usize::from).unwrap_or(2)))
}

/// Hashes with argon2id on the blocking pool (it must not stall the async executor), one hash
/// per CPU at a time.
pub async fn hash_password(password: String) -> AppResult<String> {
    let _slot = hashing_slots().acquire().await.map_err(AppError::internal)?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::internal(anyhow::anyhow!("hashing password: {e}")))
    })
    .await
    .map_err(AppError::internal)?
}

/// Verifies on the blocking pool, one hash per CPU at a time. A malformed stored hash counts
/// as a mismatch.
pub async fn verify_password(password: String, hash: String) -> AppResult<bool> {
    let _slot = hashing_slots().acquire().await.map_err(AppError::internal)?;
    tokio::task::spawn_blocking(move || match PasswordHash::new(&hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    })
    .await
    .map_err(AppError::internal)
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The member's id.
    pub sub: Uuid,
    pub iat: i64,
    pub exp: i64,
    /// Issuer: the instance's domain, so tokens of one instance are useless on another.
    pub iss: String,
}

#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    issuer: String,
}

impl JwtKeys {
    pub fn new(secret: &str, issuer: &str) -> Self {
        JwtKeys {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            issuer: issuer.to_string(),
        }
    }

    pub fn issue(&self, member_id: Uuid) -> AppResult<String> {
        let now = Utc::now().timestamp();
        let claims = Claims { sub: member_id, iat: now, exp: now + ACCESS_TOKEN_SECS, iss: self.issuer.clone() };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(AppError::internal)
    }

    /// Checks signature, algorithm, expiry and issuer.
    pub fn verify(&self, token: &str) -> AppResult<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 30;
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).map(|d| d.claims).map_err(|e| {
            match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                    AppError::Unauthenticated("access token expired; refresh it".into())
                }
                _ => AppError::Unauthenticated("invalid access token".into()),
            }
        })
    }
}
