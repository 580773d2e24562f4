//! The page a password reset link opens (`GET /reset-password?token=…`): a form for the new
//! password, posted back to the same address, which sets it through
//! `members::reset_password` (the one code path the `resetPassword` mutation takes too). The
//! page's policy allows this one form to post to this server; nothing runs.
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use maud::html;
use serde::Deserialize;

use super::pages::{page, Head, CSP};
use crate::domain::members;
use crate::error::AppError;
use crate::state::{AppState, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/reset-password", web::get().to(form)).route("/reset-password", web::post().to(submit));
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

#[derive(Deserialize)]
struct ResetForm {
    token: String,
    password: String,
}

/// A page whose policy lets its form post here, never cached, never sent on as a referrer.
fn reset_page(state: &AppState, message: Option<&str>, token: Option<&str>) -> HttpResponse {
    let body = html! {
        h1 { "Choose a new password" }
        @if let Some(m) = message { p { (m) } }
        @if let Some(t) = token {
            form method="post" action="/reset-password" {
                input type="hidden" name="token" value=(t);
                p {
                    label for="password" { "New password (at least 10 characters)" }
                    br;
                    input id="password" type="password" name="password" minlength="10" autocomplete="new-password" required;
                }
                p { button type="submit" { "Set the password" } }
            }
        }
    };
    let mut resp = page(
        state,
        Head { title: "Reset your password", description: "", kind: "website", url: "", alternates: &[], meta: &[] },
        body,
    );
    let policy = CSP.replace("form-action 'none'", "form-action 'self'");
    let headers = resp.headers_mut();
    if let Ok(v) = header::HeaderValue::from_str(&policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, header::HeaderValue::from_static("no-referrer"));
    resp
}

async fn form(q: web::Query<TokenQuery>, state: web::Data<State>) -> HttpResponse {
    match q.into_inner().token.filter(|t| !t.trim().is_empty()) {
        Some(t) => reset_page(&state, None, Some(&t)),
        None => reset_page(&state, Some("This page opens from a password reset link."), None),
    }
}

async fn submit(f: web::Form<ResetForm>, state: web::Data<State>) -> HttpResponse {
    let f = f.into_inner();
    match members::reset_password(&state, &f.token, &f.password).await {
        Ok(_) => reset_page(&state, Some("Your password is set. Sign in with it in your app."), None),
        Err(AppError::BadInput { field, message }) if field.as_deref() == Some("password") => {
            reset_page(&state, Some(&message), Some(&f.token))
        }
        Err(AppError::BadInput { message, .. }) => reset_page(&state, Some(&message), None),
        Err(e) => reset_page(&state, Some(&e.client_message()), None),
    }
}
