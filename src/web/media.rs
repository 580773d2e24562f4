//! `GET /media/{key}`: uploaded pictures and their thumbnails, from the media store. Keys are
//! ours alone (a UUID, `-thumb` for a thumbnail, the kind's extension), so nothing else in the
//! store can be asked for. A picture never changes under its key: it is kept by browsers and
//! proxies for a year, and it is served as the image it is, never as a document.
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use uuid::Uuid;

use crate::domain::media::picture::Kind;
use crate::state::State;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/media/{key}", web::get().to(picture));
}

/// The kind of the file `key` names, if it is a key we make.
fn kind_of(key: &str) -> Option<Kind> {
    let (stem, ext) = key.rsplit_once('.')?;
    let id = stem.strip_suffix("-thumb").unwrap_or(stem);
    Uuid::parse_str(id).ok().filter(|u| u.hyphenated().to_string() == id)?;
    Kind::of_extension(ext)
}

async fn picture(path: web::Path<String>, state: web::Data<State>) -> HttpResponse {
    let key = path.into_inner();
    let Some(kind) = kind_of(&key) else { return HttpResponse::NotFound().finish() };
    match state.media.get(&key).await {
        Ok(Some(chunks)) => HttpResponse::Ok()
            .content_type(kind.content_type())
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'none'; sandbox"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .streaming(chunks),
        Ok(None) => HttpResponse::NotFound().finish(),
        Err(e) => {
            tracing::error!(error = ?e, "serving a picture");
            HttpResponse::InternalServerError().finish()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_own_keys_name_a_picture() {
        let id = Uuid::now_v7();
        assert_eq!(kind_of(&format!("{id}.png")), Some(Kind::Png));
        assert_eq!(kind_of(&format!("{id}-thumb.jpg")), Some(Kind::Jpeg));
        for bad in ["../jwt_secret", "weave.db", &format!("{id}.svg"), &format!("{id}.png.png"), "x-thumb.png"] {
            assert_eq!(kind_of(bad), None, "{bad}");
        }
    }
}
