//! The request side of files: bodies read within their limit, and the GraphQL multipart
//! request specification (`operations`, `map`, then the files) for `uploadMedia`.
use actix_web::http::StatusCode;
use actix_web::web;
use futures_util::StreamExt as _;

use crate::domain::media::picture::MAX_BYTES;

/// Files one multipart request may carry.
const MAX_FILES: usize = 4;
/// Room for the `operations` and `map` parts beside the files.
const ENVELOPE: usize = 1024 * 1024;

/// Reads a body of at most `limit` bytes; 413 beyond it (read no further), 400 if it breaks off.
pub async fn read_body(mut payload: web::Payload, limit: usize) -> Result<web::Bytes, StatusCode> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| StatusCode::BAD_REQUEST)?;
        if body.len() + chunk.len() > limit {
            return Err(StatusCode::PAYLOAD_TOO_LARGE);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// A multipart GraphQL request, its files in temporary files. Every file is at most
/// [`MAX_BYTES`], the whole body at most that and the envelope, and the parts are counted and
/// the `operations` and `map` parts measured before anything is parsed (see [`precheck`]).
pub async fn receive(
    payload: web::Payload,
    content_type: Option<&str>,
    json_limit: usize,
) -> Result<async_graphql::Request, (StatusCode, &'static str)> {
    const TOO_LARGE: &str = "a picture may be at most 10 MB";
    let body = read_body(payload, MAX_BYTES + ENVELOPE).await.map_err(|status| match status {
        StatusCode::PAYLOAD_TOO_LARGE => (status, TOO_LARGE),
        _ => (status, "the request body was cut short"),
    })?;
    let boundary =
        content_type.and_then(boundary).ok_or((StatusCode::BAD_REQUEST, "the multipart boundary is missing"))?;
    precheck(&body, &boundary, json_limit)?;
    let options = async_graphql::http::MultipartOptions::default().max_file_size(MAX_BYTES).max_num_files(MAX_FILES);
    async_graphql::http::receive_body(content_type, futures_util::io::Cursor::new(body), options).await.map_err(|e| {
        use async_graphql::ParseRequestError as E;
        match e {
            E::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, TOO_LARGE),
            _ => (StatusCode::BAD_REQUEST, "a malformed multipart GraphQL request"),
        }
    })
}

/// The `boundary` parameter of a `multipart/form-data` type.
fn boundary(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (name, value) = p.split_once('=')?;
        let value = value.trim().trim_matches('"');
        (name.trim().eq_ignore_ascii_case("boundary") && !value.is_empty() && value.len() <= 70)
            .then(|| value.to_string())
    })
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|i| i + from)
}

/// The spec's envelope, bounded before the parser sees it: at most `operations`, `map` and
/// [`MAX_FILES`] files; `operations` no larger than a JSON request may be; a `map` of a few
/// entries (each entry would hold the file open once more).
fn precheck(body: &[u8], boundary: &str, json_limit: usize) -> Result<(), (StatusCode, &'static str)> {
    let bad = |m: &'static str| (StatusCode::BAD_REQUEST, m);
    let delimiter = format!("--{boundary}");
    let mut starts = Vec::new();
    let mut at = 0;
    while let Some(i) = find(body, delimiter.as_bytes(), at) {
        if starts.len() > MAX_FILES + 2 {
            return Err(bad("at most 4 files in one request"));
        }
        starts.push(i + delimiter.len());
        at = i + delimiter.len();
    }
    for pair in starts.windows(2) {
        let part = &body[pair[0]..pair[1] - delimiter.len()];
        let Some(split) = find(part, b"\r\n\r\n", 0) else { continue };
        let headers = String::from_utf8_lossy(&part[..split]).to_ascii_lowercase();
        let content = &part[split + 4..];
        if headers.contains("name=\"operations\"") && content.len() > json_limit {
            return Err((StatusCode::PAYLOAD_TOO_LARGE, "the operations part is too large"));
        }
        if headers.contains("name=\"map\"") {
            let map: serde_json::Map<String, serde_json::Value> =
                serde_json::from_slice(content).map_err(|_| bad("the map part is not a JSON object"))?;
            let entries: usize = map.values().map(|v| v.as_array().map_or(1, Vec::len)).sum();
            if map.len() > MAX_FILES || entries > 2 * MAX_FILES {
                return Err(bad("at most 4 files in one request, each used at most twice"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(parts: &[(&str, &str)]) -> Vec<u8> {
        let mut out = String::new();
        for (name, content) in parts {
            out.push_str(&format!("--b\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{content}\r\n"));
        }
        out.push_str("--b--\r\n");
        out.into_bytes()
    }

    #[test]
    fn the_envelope_is_bounded_before_parsing() {
        let ok = body(&[("operations", "{}"), ("map", r#"{"0":["variables.f"]}"#), ("0", "x")]);
        assert!(precheck(&ok, "b", 100).is_ok());
        let many: Vec<(&str, &str)> = std::iter::repeat_n(("0", "x"), 9).collect();
        assert!(precheck(&body(&many), "b", 100).is_err());
        let fanned = body(&[("map", r#"{"0":["a","b","c","d","e","f","g","h","i"]}"#)]);
        assert!(precheck(&fanned, "b", 100).is_err());
        let long = "x".repeat(200);
        assert!(precheck(&body(&[("operations", &long)]), "b", 100).is_err());
        assert_eq!(boundary("multipart/form-data; boundary=\"abc\"").as_deref(), Some("abc"));
        assert_eq!(boundary("multipart/form-data"), None);
    }
}
