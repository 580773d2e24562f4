//! Documents fetched from other servers (actors, objects, WebFinger answers) go through one
//! middleware of the federation client, which takes NUL and other control characters out of
//! every string (`ap::bounds::clean_json`) before the library or Weave parses anything. The
//! inbox's counterpart is the `Deserialize` of `activities::Inbound`.
use reqwest::ResponseBuilderExt as _;

/// A fetched body is read at most this far (the library's own limit); past it the fetch fails.
const MAX_BODY: usize = 1024 * 1024;

/// Cleans JSON answers to GETs; everything else passes untouched.
pub struct CleanFetched;

#[async_trait::async_trait]
impl reqwest_middleware::Middleware for CleanFetched {
    async fn handle(
        &self,
        req: reqwest::Request,
        extensions: &mut http::Extensions,
        next: reqwest_middleware::Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let is_get = req.method() == reqwest::Method::GET;
        let mut response = next.run(req, extensions).await?;
        let json = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
        if !is_get || !json || !response.status().is_success() {
            return Ok(response);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_BODY {
                return Err(reqwest_middleware::Error::middleware(std::io::Error::other(format!(
                    "the fetched document is larger than {MAX_BODY} bytes"
                ))));
            }
        }
        if let Ok(mut document) = serde_json::from_slice::<serde_json::Value>(&body) {
            if has_forbidden(&document) {
                crate::ap::bounds::clean_json(&mut document);
                if let Ok(cleaned) = serde_json::to_vec(&document) {
                    body = cleaned;
                }
            }
        }
        let mut rebuilt =
            http::Response::builder().status(response.status()).version(response.version()).url(response.url().clone());
        for (name, value) in response.headers() {
            if name != reqwest::header::CONTENT_LENGTH && name != reqwest::header::TRANSFER_ENCODING {
                rebuilt = rebuilt.header(name, value);
            }
        }
        let rebuilt = rebuilt.body(body).map_err(reqwest_middleware::Error::middleware)?;
        Ok(reqwest::Response::from(rebuilt))
    }
}

/// Whether any string (keys included) of a document has a character no stored text may have.
fn has_forbidden(v: &serde_json::Value) -> bool {
    use crate::ap::bounds::has_forbidden_chars;
    match v {
        serde_json::Value::String(s) => has_forbidden_chars(s),
        serde_json::Value::Array(a) => a.iter().any(has_forbidden),
        serde_json::Value::Object(o) => o.iter().any(|(k, v)| has_forbidden_chars(k) || has_forbidden(v)),
        _ => false,
    }
}
