//! A strict, Mastodon-style peer for inbox tests: it signs requests the way Mastodon does
//! (draft-cavage HTTP signatures over `(request-target) host date digest`, RSA-SHA256), with
//! switches to break each part on purpose. The keys it signs with are a Weave instance's real
//! actor keys, so the receiving instance fetches and verifies a real actor document.
use base64::Engine as _;
use http_signature_normalization_reqwest::prelude::{Config, Sign as _};
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::helpers::TestApp;

/// The private key and id of a local actor of `app` (made on first use, as federation does).
pub async fn actor_key(app: &TestApp, ap_id: &str) -> (String, String) {
    let actor = weave::domain::actors::ApActor::by_ap_id(&app.state, ap_id).await.unwrap().expect("actor exists");
    let actor = weave::domain::actors::ensure_keys(&app.state, actor).await.unwrap();
    (actor.id.to_string(), actor.private_key_pem.expect("local actor has a key"))
}

#[derive(Default, Clone)]
pub struct Tamper {
    /// Send this body instead of the one signed (the Digest no longer matches).
    pub body_after_signing: Option<Vec<u8>>,
    /// A `Date` header to sign instead of now.
    pub date: Option<String>,
    /// Leave out the Digest header.
    pub no_digest: bool,
}

#[derive(Debug)]
pub struct PeerError;
impl From<http_signature_normalization_reqwest::SignError> for PeerError {
    fn from(_: http_signature_normalization_reqwest::SignError) -> Self {
        PeerError
    }
}
impl From<reqwest::Error> for PeerError {
    fn from(_: reqwest::Error) -> Self {
        PeerError
    }
}

/// POSTs `activity` to `inbox`, signed with `key_id` / `private_pem`; answers the status.
pub async fn post_signed(inbox: &str, key_id: &str, private_pem: &str, activity: &Value, tamper: Tamper) -> u16 {
    let body = serde_json::to_vec(activity).unwrap();
    let key = RsaPrivateKey::from_pkcs8_pem(private_pem).unwrap();
    let url = url::Url::parse(inbox).unwrap();
    let host = match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap()),
        None => url.host_str().unwrap().to_string(),
    };
    // Connect to the loopback address, but sign (and send) the Host the peer would use.
    let connect = inbox.replacen("localhost", "127.0.0.1", 1);
    let client = reqwest::Client::new();
    let mut builder = client
        .post(&connect)
        .header("content-type", "application/activity+json")
        .header("host", host)
        .header("date", tamper.date.clone().unwrap_or_else(|| httpdate::fmt_http_date(std::time::SystemTime::now())));
    if !tamper.no_digest {
        let digest = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&body));
        builder = builder.header("digest", format!("SHA-256={digest}"));
    }
    let config = Config::new().mastodon_compat();
    let mut request = builder
        .body(body)
        .signature(&config, format!("{key_id}#main-key"), move |signing_string| {
            let sig = key
                .sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(signing_string.as_bytes()))
                .map_err(|_| PeerError)?;
            Ok::<_, PeerError>(base64::engine::general_purpose::STANDARD.encode(sig))
        })
        .await
        .unwrap();
    if let Some(other) = tamper.body_after_signing {
        *request.body_mut() = Some(other.into());
    }
    client.execute(request).await.unwrap().status().as_u16()
}

/// POSTs without any signature.
pub async fn post_unsigned(inbox: &str, body: &[u8]) -> u16 {
    reqwest::Client::new()
        .post(inbox.replacen("localhost", "127.0.0.1", 1))
        .header("content-type", "application/activity+json")
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}
