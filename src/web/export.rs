//! `GET /me/export` and `GET /me/export/following.csv`: a member's own data, with their access
//! token (`Authorization: Bearer …`), as files to keep (see `domain::members::export`).
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::domain::members;
use crate::domain::viewer::Viewer;
use crate::state::State;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/me/export", web::get().to(everything)).route("/me/export/following.csv", web::get().to(following));
}

async fn viewer(req: &HttpRequest, state: &State) -> Result<Viewer, HttpResponse> {
    let authorization = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    match crate::graphql::http::resolve_viewer(state, authorization).await {
        v @ Viewer::Member(_) => Ok(v),
        _ => Err(HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
            .json(serde_json::json!({"error": "send your access token: Authorization: Bearer <accessToken>"}))),
    }
}

fn failed(e: crate::error::AppError) -> HttpResponse {
    HttpResponse::build(e.status()).json(serde_json::json!({"error": e.client_message()}))
}

async fn everything(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    let viewer = match viewer(&req, &state).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    match members::export(&state, &viewer).await {
        Ok(doc) => HttpResponse::Ok()
            .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"weave-export.json\""))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(doc),
        Err(e) => failed(e),
    }
}

async fn following(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    let viewer = match viewer(&req, &state).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    match members::following_csv(&state, &viewer).await {
        Ok(csv) => HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"following_accounts.csv\""))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(csv),
        Err(e) => failed(e),
    }
}
