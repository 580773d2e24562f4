//! One-click unsubscribe (RFC 8058): every mail's `List-Unsubscribe` address. A mail client's
//! `POST` (body `List-Unsubscribe=One-Click`) turns that kind of mail off at once; a person who
//! follows the link gets a page with one button that does the same (a `GET` changes nothing,
//! so link scanners cannot unsubscribe anyone).
use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpResponse};
use maud::html;
use serde::Deserialize;

use super::pages::{page, Head};
use crate::domain::mail::{self, MailKind};
use crate::state::State;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/mail/unsubscribe", web::get().to(confirm)).route("/mail/unsubscribe", web::post().to(unsubscribe));
}

#[derive(Deserialize)]
struct TokenQuery {
    token: String,
}

fn describe(kind: MailKind) -> &'static str {
    match kind {
        MailKind::Registration => "registration confirmations",
        MailKind::WaitlistPromotion => "waitlist news",
        MailKind::HeldSeat => "answers to seat requests",
        MailKind::Reminder => "event reminders",
        MailKind::EventChange => "cancellations and new dates",
        MailKind::ReflectionPrompt => "prompts to reflect after events",
        MailKind::PasswordReset => "password reset links",
    }
}

fn invalid() -> HttpResponse {
    HttpResponse::BadRequest().content_type("text/plain; charset=utf-8").body("this unsubscribe link is not valid")
}

async fn confirm(state: web::Data<State>, q: Option<web::Query<TokenQuery>>) -> HttpResponse {
    let Some(q) = q else { return invalid() };
    let Ok(kind) = mail::describe_token(&state, &q.token) else { return invalid() };
    let body = html! {
        h1 { "Stop " (describe(kind)) "?" }
        p { "You will get no more mails of this kind from " (state.config.instance_name) ". You can turn them on again in your settings." }
        form method="post" action={ "/mail/unsubscribe?token=" (q.token) } {
            input type="hidden" name="List-Unsubscribe" value="One-Click";
            button type="submit" { "Unsubscribe" }
        }
    };
    let mut res = page(
        &state,
        Head {
            title: "Unsubscribe",
            description: "Stop a kind of mail",
            kind: "website",
            url: "",
            alternates: &[],
            meta: &[],
        },
        body,
    );
    // This page's one form posts here.
    let csp = super::pages::CSP.replace("form-action 'none'", "form-action 'self'");
    if let Ok(v) = HeaderValue::from_str(&csp) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

async fn unsubscribe(state: web::Data<State>, q: Option<web::Query<TokenQuery>>) -> HttpResponse {
    let Some(q) = q else { return invalid() };
    match mail::unsubscribe(&state, &q.token).await {
        Ok(kind) => page(
            &state,
            Head {
                title: "Unsubscribed",
                description: "Unsubscribed",
                kind: "website",
                url: "",
                alternates: &[],
                meta: &[],
            },
            html! { h1 { "Unsubscribed" } p { "You will get no more " (describe(kind)) "." } },
        ),
        Err(crate::error::AppError::BadInput { .. } | crate::error::AppError::NotFound(_)) => invalid(),
        Err(e) => {
            HttpResponse::InternalServerError().content_type("text/plain; charset=utf-8").body(e.client_message())
        }
    }
}
