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
/// [`MAX_BYTES`], and the whole body at most that and the envelope.
pub async fn receive(
    payload: web::Payload,
    content_type: Option<&str>,
) -> Result<async_graphql::Request, (StatusCode, &'static str)> {
    const TOO_LARGE: &str = "a picture may be at most 10 MB";
    let body = read_body(payload, MAX_BYTES + ENVELOPE).await.map_err(|status| match status {
        StatusCode::PAYLOAD_TOO_LARGE => (status, TOO_LARGE),
        _ => (status, "the request body was cut short"),
    })?;
    let options = async_graphql::http::MultipartOptions::default().max_file_size(MAX_BYTES).max_num_files(MAX_FILES);
    async_graphql::http::receive_body(content_type, futures_util::io::Cursor::new(body), options).await.map_err(|e| {
        use async_graphql::ParseRequestError as E;
        match e {
            E::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, TOO_LARGE),
            _ => (StatusCode::BAD_REQUEST, "a malformed multipart GraphQL request"),
        }
    })
}
