//! Signing and posting one delivery. The HTTP signature is Mastodon's (`rsa-sha256` over
//! `(request-target)`, host, date and digest, as activitypub_federation makes it in its
//! compatible mode), made with `ring`, whose RSA signs about three times faster on this kind of
//! machine than the `rsa` crate the library signs with: the signature is most of what an
//! answer to a follower costs. Each signer's key is parsed once and kept.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use http_signature_normalization_reqwest::digest::SignExt as _;
use http_signature_normalization_reqwest::{Canceled, Config, SignError, Spawn};
use reqwest_middleware::ClientWithMiddleware;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use sha2::{Digest as _, Sha256};
use url::Url;
use uuid::Uuid;

use crate::domain::actors::ApActor;

/// How long a signature stays valid (as the library's).
const EXPIRES_AFTER: Duration = Duration::from_secs(3_600);
/// Parsed keys kept at most; past this the store starts again (local signers are few, and a
/// key parses in about a millisecond).
const MAX_KEYS: usize = 4_096;

/// What deliveries are sent with: the federation's HTTP client and the parsed signing keys.
pub struct Outbound {
    client: ClientWithMiddleware,
    timeout: Duration,
    keys: Mutex<HashMap<Uuid, (String, Arc<RsaKeyPair>)>>,
}

/// Why a delivery could not be signed or sent.
pub(super) enum PostError {
    /// The signer's key cannot be read: sending again will not help.
    Key,
    /// Signing or the request failed: worth another try.
    Failed(String),
}

impl Outbound {
    pub fn new(client: ClientWithMiddleware, timeout: Duration) -> Self {
        Outbound { client, timeout, keys: Mutex::new(HashMap::new()) }
    }

    /// The signer's key pair, parsed from its PEM (PKCS#8) once.
    fn key(&self, signer: &ApActor) -> Option<Arc<RsaKeyPair>> {
        let pem = signer.private_key_pem.as_deref()?;
        if let Ok(keys) = self.keys.lock() {
            if let Some((kept, pair)) = keys.get(&signer.row_id) {
                if kept == pem {
                    return Some(pair.clone());
                }
            }
        }
        let pair = Arc::new(parse_key(pem)?);
        if let Ok(mut keys) = self.keys.lock() {
            if keys.len() >= MAX_KEYS {
                keys.clear();
            }
            keys.insert(signer.row_id, (pem.to_string(), pair.clone()));
        }
        Some(pair)
    }

    /// Signs `body` as `signer` and POSTs it to `inbox`.
    pub(super) async fn post(
        &self,
        signer: &ApActor,
        inbox: &Url,
        body: bytes::Bytes,
    ) -> Result<reqwest::Response, PostError> {
        let key = self.key(signer).ok_or(PostError::Key)?;
        let host = match inbox.port() {
            Some(port) => format!("{}:{port}", inbox.host_str().unwrap_or_default()),
            None => inbox.host_str().unwrap_or_default().to_string(),
        };
        let config = Config::new().mastodon_compat().set_expiration(EXPIRES_AFTER).set_spawner(Inline);
        let request = self
            .client
            .post(inbox.as_str())
            .timeout(self.timeout)
            .header("content-type", activitypub_federation::FEDERATION_CONTENT_TYPE)
            .header("host", host)
            .header("date", httpdate::fmt_http_date(std::time::SystemTime::now()))
            .signature_with_digest(config, format!("{}#main-key", signer.id), Sha256::new(), body, move |signing| {
                sign(&key, signing)
            })
            .await
            .map_err(|e| PostError::Failed(e.0))?;
        self.client.execute(request).await.map_err(|e| PostError::Failed(e.to_string()))
    }
}

/// A PKCS#8 PEM private key (as `generate_actor_keypair` writes every local actor's).
fn parse_key(pem: &str) -> Option<RsaKeyPair> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(body.trim()).ok()?;
    RsaKeyPair::from_pkcs8(&der).ok()
}

/// The base64 `rsa-sha256` (PKCS#1 v1.5) signature of a signing string.
fn sign(key: &RsaKeyPair, signing: &str) -> Result<String, SignFailed> {
    let mut signature = vec![0; key.public().modulus_len()];
    key.sign(&RSA_PKCS1_SHA256, &ring::rand::SystemRandom::new(), signing.as_bytes(), &mut signature)
        .map_err(|_| SignFailed("the signature could not be made".into()))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(signature))
}

/// Signing failed, and why.
struct SignFailed(String);

impl From<SignError> for SignFailed {
    fn from(e: SignError) -> Self {
        SignFailed(e.to_string())
    }
}

impl From<reqwest::Error> for SignFailed {
    fn from(e: reqwest::Error) -> Self {
        SignFailed(e.to_string())
    }
}

/// Digest and signature are made where the delivery runs (the workers' runtime): a signature
/// takes well under a millisecond, about what handing it to a blocking thread and back costs in
/// switches. The workers' tasks share that runtime with the bus listener and mail, which wait
/// at most one signature per delivery in flight.
struct Inline;

impl Spawn for Inline {
    type Future<T>
        = std::future::Ready<Result<T, Canceled>>
    where
        T: Send;

    fn spawn_blocking<Func, Out>(&self, func: Func) -> Self::Future<Out>
    where
        Func: FnOnce() -> Out + Send + 'static,
        Out: Send + 'static,
    {
        std::future::ready(Ok(func()))
    }
}

#[cfg(test)]
mod tests {
    use rsa::pkcs8::DecodePrivateKey as _;
    use sha2::{Digest as _, Sha256};

    /// ring signs exactly what the federation library's `rsa` signing made (PKCS#1 v1.5 is
    /// deterministic), so peers verify deliveries as before.
    #[test]
    fn ring_signs_the_bytes_the_library_signed() -> Result<(), String> {
        let keys = activitypub_federation::http_signatures::generate_actor_keypair().map_err(|e| e.to_string())?;
        let signing = "(request-target): post /inbox\nhost: partner.example:8443\ndate: Sat, 05 Dec 2026 10:00:00 GMT";
        let ours =
            super::sign(&super::parse_key(&keys.private_key).ok_or("ring reads the key")?, signing).map_err(|e| e.0)?;
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(&keys.private_key).map_err(|e| e.to_string())?;
        let theirs = key
            .sign(rsa::Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(signing.as_bytes()))
            .map_err(|e| e.to_string())?;
        use base64::Engine as _;
        assert_eq!(ours, base64::engine::general_purpose::STANDARD.encode(theirs));
        assert!(super::parse_key("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----").is_none());
        Ok(())
    }
}
