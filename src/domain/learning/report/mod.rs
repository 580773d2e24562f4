//! Progress reports for funders and partners: for a group and a period, its learning questions
//! (evidence, current understanding, the reflections that resonated most), its harvests (themes
//! and actions), the events it held with their attendance (a number, never names), the
//! resources it added, and a week-by-week series of reflections and attendance. Members read
//! it with their sign-in, seeing what `RecordScope` lets them; outsiders through a share link
//! (an unguessable token, revocable), which shows PUBLIC questions, reflections and events, the
//! group's harvests (what it chose to report), and no one's name.
mod links;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use sea_orm::{ActiveEnum as _, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use uuid::Uuid;

use crate::db::enums::{EventStatus, Visibility};
use crate::db::{
    event, group, harvest, learning_question, member, reflection, reflection_question, report_link, resource,
};
use crate::domain::viewer::Viewer;
use crate::domain::visibility::RecordScope;
use crate::domain::{groups, validate};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub use links::{create_link, links, open, revoke_link, NewLink};

/// Reflections, events and resources one report reads at most (a long period shows its newest).
const MAX_ROWS: u64 = 2_000;
/// Reflection times one report's weekly series counts at most.
const MAX_SERIES: u64 = 50_000;
/// The reflections shown per question.
const TOP: usize = 3;
/// A report covers at most this many days.
const MAX_DAYS: i64 = 3 * 366;

/// Who reads a report.
pub enum Reader<'a> {
    /// A signed-in member of the group (or an instance admin).
    Member(&'a Viewer),
    /// Whoever holds a share link's token.
    Link(&'a str),
}

#[derive(Serialize)]
pub struct Report {
    pub group: ReportGroup,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub questions: Vec<QuestionReport>,
    pub harvests: Vec<HarvestReport>,
    pub events: Vec<EventReport>,
    pub resources: Vec<ResourceReport>,
    /// Week by week (weeks start on Monday): reflections written and people GOING to events
    /// that ended that week.
    pub weeks: Vec<WeekReport>,
}

#[derive(Serialize)]
pub struct ReportGroup {
    pub handle: String,
    pub name: String,
}

#[derive(Serialize)]
pub struct QuestionReport {
    pub title: String,
    pub status: String,
    /// Reflections answering it, written in the period (all of them: a count).
    pub evidence: u64,
    pub understanding: Option<String>,
    pub top_reflections: Vec<ReflectionExcerpt>,
}

#[derive(Serialize)]
pub struct ReflectionExcerpt {
    pub kind: String,
    /// Plain text: the body, else what happened.
    pub text: String,
    pub resonance: u64,
    pub written_at: DateTime<Utc>,
}

#[derive(Serialize)]
pub struct HarvestReport {
    pub title: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub understanding: Option<String>,
    pub themes: Vec<ThemeReport>,
    pub actions: Vec<ActionReport>,
}

#[derive(Serialize)]
pub struct ThemeReport {
    pub name: Option<String>,
    pub reflections: u64,
}

#[derive(Serialize)]
pub struct ActionReport {
    pub title: String,
    pub owner: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub status: String,
}

#[derive(Serialize)]
pub struct EventReport {
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub going: i32,
}

#[derive(Serialize)]
pub struct ResourceReport {
    pub title: String,
    pub kind: String,
    pub added_at: DateTime<Utc>,
}

#[derive(Serialize)]
pub struct WeekReport {
    pub week: NaiveDate,
    pub reflections: u64,
    pub attendance: i64,
}

/// The period asked for: both ends within the accepted window, in order, at most
/// [`MAX_DAYS`]; by default the 90 days up to now.
pub fn period(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> AppResult<(DateTime<Utc>, DateTime<Utc>)> {
    let to = match to {
        Some(t) => validate::time("to", t)?,
        None => Utc::now(),
    };
    let from = match from {
        Some(f) => validate::time("from", f)?,
        None => to - Duration::days(90),
    };
    if to < from {
        return Err(AppError::bad_input("to", "a period ends after it starts"));
    }
    if to - from > Duration::days(MAX_DAYS) {
        return Err(AppError::bad_input("from", format!("a report covers at most {MAX_DAYS} days")));
    }
    Ok((from, to))
}

/// The report of the local group `slug` for the period (a link's own period wins over the one
/// asked). NOT_FOUND when there is no such group or the reader may not read it (a revoked
/// or foreign link, someone outside the group).
pub async fn report(
    state: &AppState,
    reader: Reader<'_>,
    slug: &str,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> AppResult<Report> {
    let g = groups::find_local(&state.db, &slug.to_lowercase()).await?.ok_or_else(|| AppError::not_found("report"))?;
    // A link's reader sees what anyone may (PUBLIC questions, reflections and events), the
    // group's harvests, and no one's name.
    let (scope, outsider, (from, to)) = match reader {
        Reader::Member(viewer) => {
            let scope = RecordScope::of(&state.db, viewer).await?;
            if !scope.member(g.id) {
                return Err(AppError::not_found("report"));
            }
            (scope, false, period(from, to)?)
        }
        Reader::Link(token) => {
            let link = report_link::Entity::find()
                .filter(report_link::Column::TokenHash.eq(crate::auth::hash_token(token)))
                .one(&state.db)
                .await?
                .filter(|l| l.group_id == g.id && open(l, Utc::now()))
                .ok_or_else(|| AppError::not_found("report"))?;
            (RecordScope::default(), true, period(link.period_from.or(from), link.period_to.or(to))?)
        }
    };
    let questions = questions(state, &g, from, to, &scope).await?;
    let harvests = harvests(state, &g, from, to, outsider).await?;
    let mut events_q = event::Entity::find()
        .filter(event::Column::GroupId.eq(g.id))
        .filter(event::Column::Status.eq(EventStatus::Published))
        .filter(event::Column::EndsAt.gte(from))
        .filter(event::Column::EndsAt.lte(to));
    if outsider {
        events_q = events_q.filter(event::Column::Visibility.eq(Visibility::Public));
    }
    let mut events: Vec<EventReport> = events_q
        .order_by_desc(event::Column::StartsAt)
        .limit(MAX_ROWS)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|e| EventReport { title: e.title, starts_at: e.starts_at, ends_at: e.ends_at, going: e.seats_taken })
        .collect();
    events.reverse();
    let resources = resource::Entity::find()
        .filter(resource::Column::GroupId.eq(g.id))
        .filter(resource::Column::CreatedAt.gte(from))
        .filter(resource::Column::CreatedAt.lte(to))
        .order_by_asc(resource::Column::Id)
        .limit(MAX_ROWS)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|r| ResourceReport { title: r.title, kind: r.kind.to_value(), added_at: r.created_at })
        .collect();
    let written: Vec<DateTime<Utc>> = reflection::Entity::find()
        .select_only()
        .column(reflection::Column::CreatedAt)
        .filter(reflection::Column::GroupId.eq(g.id))
        .filter(reflection::Column::CreatedAt.gte(from))
        .filter(reflection::Column::CreatedAt.lte(to))
        .limit(MAX_SERIES)
        .into_tuple()
        .all(&state.db)
        .await?;
    let weeks = weeks(from, to, &written, &events);
    Ok(Report {
        group: ReportGroup { handle: g.handle.clone(), name: g.name.clone() },
        from,
        to,
        questions,
        harvests,
        events,
        resources,
        weeks,
    })
}

async fn questions(
    state: &AppState,
    g: &group::Model,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    scope: &RecordScope,
) -> AppResult<Vec<QuestionReport>> {
    let questions = learning_question::Entity::find()
        .filter(learning_question::Column::GroupId.eq(g.id))
        .filter(scope.condition(learning_question::Column::GroupId, learning_question::Column::Visibility))
        .order_by_asc(learning_question::Column::Id)
        .limit(MAX_ROWS)
        .all(&state.db)
        .await?;
    // The group's reflections of the period that answer a question (the newest, at most
    // MAX_ROWS), and their links: subqueries, never lists of ids, whatever the numbers.
    let in_period = || {
        sea_orm::sea_query::Query::select()
            .column(reflection::Column::Id)
            .from(reflection::Entity)
            .and_where(reflection::Column::GroupId.eq(g.id))
            .and_where(reflection::Column::CreatedAt.gte(from))
            .and_where(reflection::Column::CreatedAt.lte(to))
            .to_owned()
    };
    let links = reflection_question::Entity::find()
        .filter(reflection_question::Column::ReflectionId.in_subquery(in_period()))
        .limit(MAX_ROWS * 4)
        .all(&state.db)
        .await?;
    let answering = sea_orm::sea_query::Query::select()
        .column(reflection_question::Column::ReflectionId)
        .from(reflection_question::Entity)
        .to_owned();
    let reflections: HashMap<Uuid, reflection::Model> = reflection::Entity::find()
        .filter(reflection::Column::Id.in_subquery(in_period()))
        .filter(reflection::Column::Id.in_subquery(answering))
        .order_by_desc(reflection::Column::CreatedAt)
        .limit(MAX_ROWS)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let ids: Vec<Uuid> = reflections.keys().copied().collect();
    let resonance = super::resonance(&state.db, &ids, None).await?;
    let mut out = vec![];
    for q in questions {
        let mut answering: Vec<&reflection::Model> =
            links.iter().filter(|l| l.question_id == q.id).filter_map(|l| reflections.get(&l.reflection_id)).collect();
        let evidence = answering.len() as u64;
        answering.retain(|r| scope.sees_written(r.group_id, r.visibility, r.author_id));
        let count = |r: &reflection::Model| resonance.get(&r.id).map_or(0, |(n, _)| *n);
        answering.sort_by(|a, b| count(b).cmp(&count(a)).then(a.id.cmp(&b.id)));
        let top_reflections = answering
            .into_iter()
            .take(TOP)
            .map(|r| ReflectionExcerpt {
                kind: r.kind.to_value(),
                text: excerpt(r),
                resonance: count(r),
                written_at: r.created_at,
            })
            .collect();
        out.push(QuestionReport {
            title: q.title,
            status: q.status.to_value(),
            evidence,
            understanding: q.understanding,
            top_reflections,
        });
    }
    Ok(out)
}

/// A reflection in plain text: its body (Markdown as written), else what happened.
fn excerpt(r: &reflection::Model) -> String {
    let text = r.body.as_deref().or(r.happened.as_deref()).or(r.intended.as_deref()).unwrap_or("");
    text.chars().take(500).collect()
}

async fn harvests(
    state: &AppState,
    g: &group::Model,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    outsider: bool,
) -> AppResult<Vec<HarvestReport>> {
    let harvests = harvest::Entity::find()
        .filter(harvest::Column::GroupId.eq(g.id))
        .filter(harvest::Column::PeriodTo.gte(from))
        .filter(harvest::Column::PeriodFrom.lte(to))
        .order_by_asc(harvest::Column::PeriodFrom)
        .limit(MAX_ROWS)
        .all(&state.db)
        .await?;
    let ids: Vec<Uuid> = harvests.iter().map(|h| h.id).collect();
    let mut items = super::items_of(&state.db, &ids).await?;
    let mut actions = super::actions_of(&state.db, &ids).await?;
    let owners: Vec<Uuid> = actions.values().flatten().filter_map(|a| a.owner_id).collect();
    let names: HashMap<Uuid, String> = member::Entity::find()
        .filter(member::Column::Id.is_in(owners))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|m| (m.id, m.display_name.unwrap_or(m.handle)))
        .collect();
    Ok(harvests
        .into_iter()
        .map(|h| {
            let themes = super::themes(items.remove(&h.id).unwrap_or_default())
                .into_iter()
                .map(|(name, reflections)| ThemeReport { name, reflections: reflections.len() as u64 })
                .collect();
            let actions = actions
                .remove(&h.id)
                .unwrap_or_default()
                .into_iter()
                .map(|a| ActionReport {
                    title: a.title,
                    owner: a.owner_id.filter(|_| !outsider).and_then(|o| names.get(&o).cloned()),
                    due_at: a.due_at,
                    status: a.status.to_value(),
                })
                .collect();
            HarvestReport {
                title: h.title,
                from: h.period_from,
                to: h.period_to,
                understanding: h.understanding,
                themes,
                actions,
            }
        })
        .collect())
}

fn week_of(t: DateTime<Utc>) -> NaiveDate {
    let day = t.date_naive();
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

/// Every week of the period, with the reflections written and the people GOING to events that
/// ended in it.
fn weeks(from: DateTime<Utc>, to: DateTime<Utc>, written: &[DateTime<Utc>], events: &[EventReport]) -> Vec<WeekReport> {
    let mut weeks: BTreeMap<NaiveDate, (u64, i64)> = BTreeMap::new();
    let mut week = week_of(from);
    let last = week_of(to);
    while week <= last {
        weeks.insert(week, (0, 0));
        week += Duration::days(7);
    }
    for t in written {
        if let Some(w) = weeks.get_mut(&week_of(*t)) {
            w.0 += 1;
        }
    }
    for e in events {
        if let Some(w) = weeks.get_mut(&week_of(e.ends_at)) {
            w.1 += i64::from(e.going);
        }
    }
    weeks.into_iter().map(|(week, (reflections, attendance))| WeekReport { week, reflections, attendance }).collect()
}
