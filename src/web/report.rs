//! `GET /groups/{slug}/report?from=&to=&format=&token=`: a group's progress report
//! (`domain::learning::report`) as an HTML page with an SVG chart, Markdown, JSON or CSV.
//! Members send their access token (`Authorization: Bearer`); outsiders open a share link
//! (`token`). `format` is `html`, `md`, `json` or `csv`; without it, `Accept` decides (HTML by
//! default).
use std::fmt::Write as _;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use maud::{html, PreEscaped};
use serde::Deserialize;

use super::pages::{self, Head};
use crate::domain::learning::report::{self, Reader, Report};
use crate::error::AppError;
use crate::state::State;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/groups/{slug}/report", web::get().to(group_report));
}

#[derive(Deserialize)]
pub struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
    token: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Html,
    Markdown,
    Json,
    Csv,
}

fn format_of(req: &HttpRequest, asked: Option<&str>) -> Option<Format> {
    match asked {
        Some("html") => Some(Format::Html),
        Some("md" | "markdown") => Some(Format::Markdown),
        Some("json") => Some(Format::Json),
        Some("csv") => Some(Format::Csv),
        Some(_) => None,
        None => {
            let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
            Some(if accept.contains("text/html") || accept.is_empty() {
                Format::Html
            } else if accept.contains("application/json") {
                Format::Json
            } else if accept.contains("text/csv") {
                Format::Csv
            } else if accept.contains("text/markdown") {
                Format::Markdown
            } else {
                Format::Html
            })
        }
    }
}

fn text(status: actix_web::http::StatusCode, body: &str) -> HttpResponse {
    HttpResponse::build(status).content_type("text/plain; charset=utf-8").body(body.to_owned())
}

/// An RFC 3339 time, or the message that says it is not one.
fn time(field: &str, value: Option<&str>) -> Result<Option<DateTime<Utc>>, String> {
    match value.filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => DateTime::parse_from_rfc3339(v)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| format!("{field} is not an RFC 3339 time")),
    }
}

async fn group_report(
    state: web::Data<State>,
    req: HttpRequest,
    path: web::Path<String>,
    q: web::Query<ReportQuery>,
) -> HttpResponse {
    use actix_web::http::StatusCode;
    let Some(format) = format_of(&req, q.format.as_deref()) else {
        return text(StatusCode::BAD_REQUEST, "format is html, md, json or csv");
    };
    let (from, to) = match (time("from", q.from.as_deref()), time("to", q.to.as_deref())) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(e), _) | (_, Err(e)) => return text(StatusCode::BAD_REQUEST, &e),
    };
    let authorization = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let viewer;
    let reader = match (q.token.as_deref(), authorization) {
        (Some(token), _) => Reader::Link(token),
        (None, Some(authorization)) => {
            viewer = crate::graphql::http::resolve_viewer(&state, Some(authorization)).await;
            if viewer.optional().is_err() {
                return text(StatusCode::UNAUTHORIZED, "the access token is not valid");
            }
            Reader::Member(&viewer)
        }
        (None, None) => {
            return HttpResponse::Unauthorized()
                .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
                .content_type("text/plain; charset=utf-8")
                .body("a member's access token or a share link's token is needed");
        }
    };
    let r = match report::report(&state, reader, &path, from, to).await {
        Ok(r) => r,
        Err(AppError::NotFound(_)) => return text(StatusCode::NOT_FOUND, "not found"),
        Err(AppError::BadInput { message, .. }) => return text(StatusCode::BAD_REQUEST, &message),
        Err(e) => return text(StatusCode::INTERNAL_SERVER_ERROR, &e.client_message()),
    };
    let private = |res: HttpResponse| {
        let mut res = res;
        let headers = res.headers_mut();
        headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("private, no-store"));
        // A share link's token leaves with no link followed, and no search engine lists it.
        headers.insert(header::REFERRER_POLICY, header::HeaderValue::from_static("no-referrer"));
        headers.insert(header::HeaderName::from_static("x-robots-tag"), header::HeaderValue::from_static("noindex"));
        res
    };
    private(match format {
        Format::Json => HttpResponse::Ok().json(&r),
        Format::Markdown => HttpResponse::Ok().content_type("text/markdown; charset=utf-8").body(markdown(&r)),
        Format::Csv => HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}-report.csv\"", r.group.handle),
            ))
            .body(csv(&r)),
        Format::Html => page(&state, &r),
    })
}

fn day(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

/// One line of Markdown text: no line breaks, and the characters Markdown reads escaped.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

pub fn markdown(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}: progress report\n", md(&r.group.name));
    let _ = writeln!(out, "{} to {} · @{}\n", day(r.from), day(r.to), md(&r.group.handle));
    let _ = writeln!(out, "## Learning questions\n");
    for q in &r.questions {
        let _ = writeln!(out, "### {} ({}, {} reflections)\n", md(&q.title), q.status, q.evidence);
        if let Some(u) = &q.understanding {
            let _ = writeln!(out, "Current understanding: {}\n", md(u));
        }
        for x in &q.top_reflections {
            let _ = writeln!(out, "- {} ({} resonate)", md(&x.text), x.resonance);
        }
        if !q.top_reflections.is_empty() {
            out.push('\n');
        }
    }
    let _ = writeln!(out, "## Harvests\n");
    for h in &r.harvests {
        let _ = writeln!(out, "### {} ({} to {})\n", md(&h.title), day(h.from), day(h.to));
        if let Some(u) = &h.understanding {
            let _ = writeln!(out, "{}\n", md(u));
        }
        for t in &h.themes {
            let _ =
                writeln!(out, "- Theme {}: {} reflections", md(t.name.as_deref().unwrap_or("(none)")), t.reflections);
        }
        for a in &h.actions {
            let due = a.due_at.map(|d| format!(", due {}", day(d))).unwrap_or_default();
            let owner = a.owner.as_deref().map(|o| format!(", {}", md(o))).unwrap_or_default();
            let _ = writeln!(out, "- Action: {} ({}{owner}{due})", md(&a.title), a.status);
        }
        out.push('\n');
    }
    let _ = writeln!(out, "## Events\n\n| event | date | going |\n|---|---|---|");
    for e in &r.events {
        let _ = writeln!(out, "| {} | {} | {} |", md(&e.title), day(e.starts_at), e.going);
    }
    let _ = writeln!(out, "\n## Resources added\n");
    for x in &r.resources {
        let _ = writeln!(out, "- {} ({}, {})", md(&x.title), x.kind, day(x.added_at));
    }
    out
}

/// One CSV field: quoted when it must be (RFC 4180), and never read as a formula by a
/// spreadsheet.
fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// One table: `section,title,date,count,status,detail`.
pub fn csv(r: &Report) -> String {
    let mut out = String::from("section,title,date,count,status,detail\r\n");
    let mut row = |cols: [&str; 6]| {
        let line: Vec<String> = cols.iter().map(|c| field(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    };
    for q in &r.questions {
        row(["question", &q.title, "", &q.evidence.to_string(), &q.status, q.understanding.as_deref().unwrap_or("")]);
        for x in &q.top_reflections {
            row(["reflection", &q.title, &day(x.written_at), &x.resonance.to_string(), &x.kind, &x.text]);
        }
    }
    for h in &r.harvests {
        row(["harvest", &h.title, &day(h.from), "", "", h.understanding.as_deref().unwrap_or("")]);
        for t in &h.themes {
            row(["theme", &h.title, "", &t.reflections.to_string(), "", t.name.as_deref().unwrap_or("")]);
        }
        for a in &h.actions {
            let due = a.due_at.map(day).unwrap_or_default();
            row(["action", &a.title, &due, "", &a.status, a.owner.as_deref().unwrap_or("")]);
        }
    }
    for e in &r.events {
        row(["event", &e.title, &day(e.starts_at), &e.going.to_string(), "", ""]);
    }
    for x in &r.resources {
        row(["resource", &x.title, &day(x.added_at), "", "", &x.kind]);
    }
    for w in &r.weeks {
        row(["week", "", &w.week.to_string(), &w.reflections.to_string(), "", &w.attendance.to_string()]);
    }
    out
}

/// The week-by-week chart: reflections as bars, attendance as a line, each on its own scale
/// (the page's legend names them). Numbers only: nothing a report holds reaches the SVG.
fn chart(r: &Report) -> String {
    use plotters::prelude::*;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 240)).into_drawing_area();
        let n = r.weeks.len().max(1) as u32;
        let most_reflections = r.weeks.iter().map(|w| w.reflections).max().unwrap_or(0).max(1) as u32;
        let most_going = r.weeks.iter().map(|w| w.attendance).max().unwrap_or(0).max(1) as f64;
        let drawn = (|| -> Result<(), Box<dyn std::error::Error + '_>> {
            root.fill(&WHITE)?;
            let mut chart = ChartBuilder::on(&root)
                .margin(8)
                .build_cartesian_2d((0u32..n).into_segmented(), 0u32..most_reflections + 1)?;
            chart.draw_series(
                Histogram::vertical(&chart)
                    .style(RGBColor(0x4c, 0x72, 0xb0).filled())
                    .margin(4)
                    .data(r.weeks.iter().enumerate().map(|(i, w)| (i as u32, w.reflections as u32))),
            )?;
            let scale = f64::from(most_reflections) / most_going;
            chart.draw_series(LineSeries::new(
                r.weeks
                    .iter()
                    .enumerate()
                    .map(|(i, w)| (SegmentValue::CenterOf(i as u32), (w.attendance as f64 * scale).round() as u32)),
                RGBColor(0xdd, 0x84, 0x52).stroke_width(3),
            ))?;
            root.present()?;
            Ok(())
        })();
        if drawn.is_err() {
            return String::new();
        }
    }
    svg
}

fn page(state: &State, r: &Report) -> HttpResponse {
    let title = format!("{}: progress report", r.group.name);
    let period = format!("{} to {}", day(r.from), day(r.to));
    let body = html! {
        h1 { (title) }
        p { (period) " · @" (r.group.handle) }
        figure {
            (PreEscaped(chart(r)))
            figcaption { "Each week: reflections written (bars) and people going to the events that ended (line, on its own scale)." }
        }
        details {
            summary { "Week by week" }
            table {
                tr { th { "Week of" } th { "Reflections" } th { "Going" } }
                @for w in &r.weeks { tr { td { (w.week.to_string()) } td { (w.reflections) } td { (w.attendance) } } }
            }
        }
        h2 { "Learning questions" }
        @for q in &r.questions {
            section {
                h3 { (q.title) }
                p { (q.status) " · " (q.evidence) " reflections in the period" }
                @if let Some(u) = &q.understanding { p { "Current understanding: " (u) } }
                @if !q.top_reflections.is_empty() {
                    ul { @for x in &q.top_reflections { li { (x.text) " (" (x.resonance) " resonate)" } } }
                }
            }
        }
        h2 { "Harvests" }
        @for h in &r.harvests {
            section {
                h3 { (h.title) }
                p { (day(h.from)) " to " (day(h.to)) }
                @if let Some(u) = &h.understanding { p { (u) } }
                @if !h.themes.is_empty() {
                    ul { @for t in &h.themes { li { (t.name.as_deref().unwrap_or("(no theme)")) ": " (t.reflections) " reflections" } } }
                }
                @if !h.actions.is_empty() {
                    table {
                        tr { th { "Action" } th { "Owner" } th { "Due" } th { "Status" } }
                        @for a in &h.actions {
                            tr { td { (a.title) } td { (a.owner.as_deref().unwrap_or("")) } td { (a.due_at.map(day).unwrap_or_default()) } td { (a.status) } }
                        }
                    }
                }
            }
        }
        h2 { "Events held" }
        table {
            tr { th { "Event" } th { "Date" } th { "Going" } }
            @for e in &r.events { tr { td { (e.title) } td { (day(e.starts_at)) } td { (e.going) } } }
        }
        h2 { "Resources added" }
        ul { @for x in &r.resources { li { (x.title) " (" (x.kind) ", " (day(x.added_at)) ")" } } }
    };
    pages::page(
        state,
        Head { title: &title, description: &period, kind: "website", url: "", alternates: &[], meta: &[] },
        body,
    )
}

#[cfg(test)]
mod tests {
    use super::{field, md};

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("-1"), "'-1");
    }

    #[test]
    fn markdown_text_stays_text() {
        assert_eq!(md("**bold** [x](javascript:y)\n# h"), "\\*\\*bold\\*\\* \\[x\\](javascript:y) \\# h");
    }
}
