//! The list of events (`events`, group pages, feeds): its filter, what the viewer may see of
//! it as one condition, and its start-time cursor.
use base64::Engine as _;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _, Query};
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::tags::tag_key;
use crate::db::enums::{EventStatus, RegistrationStatus, Role, Visibility};
use crate::db::{event, event_host, event_tag, membership, registration};
use crate::domain::groups;
use crate::domain::pagination::{Page, PageRequest};
use crate::domain::viewer::Viewer;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// `events` filters.
#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    pub group_handle: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub tag: Option<String>,
    pub search: Option<String>,
    pub include_remote: bool,
    /// Events the viewer holds or waits for a seat at (true) or not (false).
    pub registered: Option<bool>,
    pub mode: Option<crate::db::enums::LocationMode>,
    /// Matched without regard to case.
    pub country: Option<String>,
    pub city: Option<String>,
    /// Latest first (past events, newest first); soonest first by default.
    pub descending: bool,
}

/// An event's place in start-time order, as the statement that ordered a page read it: the
/// page's cursors come from here, never from a row read afterwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventKey {
    pub id: Uuid,
    pub starts_at: DateTime<Utc>,
}

impl EventKey {
    /// The cursor of the page that ends here (see [`decode_cursor`]).
    pub fn cursor(&self) -> String {
        let raw = format!("{}|{}", self.starts_at.timestamp_micros(), self.id);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    }
}

/// A page of events with their rows (see [`list_ids`]), and where it ends (its last key, also
/// when that row is gone by the time it is read).
pub struct Listed {
    pub page: Page<event::Model>,
    pub last: Option<EventKey>,
}

/// A page of events ordered by start time, as the viewer may see them (see [`list_ids`]).
pub async fn list(state: &AppState, viewer: &Viewer, filter: EventFilter, page: EventPage) -> AppResult<Listed> {
    let keys = list_ids(state, viewer, filter, page).await?;
    let last = keys.items.last().copied();
    let ids: Vec<Uuid> = keys.items.iter().map(|k| k.id).collect();
    let rows: std::collections::HashMap<Uuid, event::Model> = if ids.is_empty() {
        Default::default()
    } else {
        super::load_many(&state.db, &ids).await?.into_iter().map(|e| (e.id, e)).collect()
    };
    Ok(Listed { page: keys.fill(rows, |k| k.id).map(|(_, e)| e), last })
}

/// The keys of a page of events ordered by start time, as the viewer may see them: published
/// and cancelled PUBLIC events, MEMBERS events of groups they belong to, and drafts of groups
/// they moderate. UNLISTED events are reachable by id only. The caller reads the rows by id
/// ([`list`]; the API through its loaders, from the shared rows).
pub async fn list_ids(
    state: &AppState,
    viewer: &Viewer,
    filter: EventFilter,
    page: EventPage,
) -> AppResult<Page<EventKey>> {
    let mut cond = Condition::all();
    if let Some(h) = filter.group_handle.as_deref() {
        let Some(g) = groups::find_named(state, h).await? else {
            return Ok(Page { items: vec![], has_next: false, total: 0 });
        };
        // Its own events (an event without host rows is hosted by its group alone) and those
        // it co-hosts.
        cond = cond.add(
            Condition::any().add(event::Column::GroupId.eq(g.id)).add(
                event::Column::Id.in_subquery(
                    Query::select()
                        .column(event_host::Column::EventId)
                        .from(event_host::Entity)
                        .and_where(Expr::col(event_host::Column::GroupId).eq(g.id))
                        .and_where(Expr::col(event_host::Column::Confirmed).eq(true))
                        .to_owned(),
                ),
            ),
        );
    }
    if !filter.include_remote {
        cond = cond.add(event::Column::Local.eq(true));
    }
    if let Some(from) = filter.from {
        cond = cond.add(event::Column::EndsAt.gte(from));
    }
    if let Some(to) = filter.to {
        cond = cond.add(event::Column::StartsAt.lt(to));
    }
    if let Some(tag) = filter.tag.as_deref().map(tag_key).filter(|t| !t.is_empty()) {
        cond = cond.add(
            event::Column::Id.in_subquery(
                Query::select()
                    .column(event_tag::Column::EventId)
                    .from(event_tag::Entity)
                    .and_where(Expr::col(event_tag::Column::Tag).eq(tag))
                    .to_owned(),
            ),
        );
    }
    if let Some(q) = filter.search.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        // The full-text index (see `domain::search`), not a scan.
        use crate::domain::search;
        let ids = search::matching(&state.db, search::Kind::Event, q, search::MAX_MATCHES).await?;
        cond = cond.add(event::Column::Id.is_in(ids));
    }
    if filter.registered == Some(true) && viewer.optional()?.is_none() {
        // Nobody signed in holds a seat.
        return Ok(Page { items: vec![], has_next: false, total: 0 });
    }
    if let Some(mode) = filter.mode {
        cond = cond.add(event::Column::LocationMode.eq(mode));
    }
    for (column, value) in [(event::Column::Country, &filter.country), (event::Column::City, &filter.city)] {
        if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            let lower = sea_orm::sea_query::Func::lower(Expr::col(column));
            cond = cond.add(Expr::expr(lower).eq(v.to_lowercase()));
        }
    }
    if let Some((registered, me)) = filter.registered.zip(viewer.optional()?) {
        let mine = Query::select()
            .column(registration::Column::EventId)
            .from(registration::Entity)
            .and_where(Expr::col(registration::Column::MemberId).eq(me.id))
            .and_where(Expr::col(registration::Column::Status).is_in(HOLDING))
            .to_owned();
        cond = cond.add(if registered {
            event::Column::Id.in_subquery(mine)
        } else {
            event::Column::Id.not_in_subquery(mine)
        });
    }
    cond = cond.add(listable(viewer)?);
    let total = if page.count_total { event::Entity::find().filter(cond.clone()).count(&state.db).await? } else { 0 };
    let mut q =
        event::Entity::find().select_only().column(event::Column::Id).column(event::Column::StartsAt).filter(cond);
    if let Some((starts, id)) = page.after {
        q = q.filter(if filter.descending {
            Condition::any()
                .add(event::Column::StartsAt.lt(starts))
                .add(Condition::all().add(event::Column::StartsAt.eq(starts)).add(event::Column::Id.lt(id)))
        } else {
            Condition::any()
                .add(event::Column::StartsAt.gt(starts))
                .add(Condition::all().add(event::Column::StartsAt.eq(starts)).add(event::Column::Id.gt(id)))
        });
    }
    let order = if filter.descending { sea_orm::Order::Desc } else { sea_orm::Order::Asc };
    let keys = q
        .order_by(event::Column::StartsAt, order.clone())
        .order_by(event::Column::Id, order)
        .limit(page.first + 1)
        .into_tuple::<(Uuid, DateTime<Utc>)>()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|(id, starts_at)| EventKey { id, starts_at })
        .collect();
    Ok(Page::from_overfetch(keys, PageRequest { first: page.first, after: None, count_total: page.count_total }, total))
}

/// The registrations that hold or wait for a seat.
const HOLDING: [RegistrationStatus; 3] =
    [RegistrationStatus::Going, RegistrationStatus::Waitlisted, RegistrationStatus::Requested];

/// What lists may show the viewer (see [`list`]), as one condition (memberships are
/// subqueries, so a list costs no extra statement). Its drafts are a subset of
/// [`manages`](super::manages) in SQL: those of groups the viewer moderates, and their own;
/// admins of a co-hosting group open a co-hosted draft by id.
pub(crate) fn listable(viewer: &Viewer) -> AppResult<Condition> {
    let published = Condition::any()
        .add(event::Column::Status.eq(EventStatus::Published))
        .add(event::Column::Status.eq(EventStatus::Cancelled));
    let public = Condition::all().add(published.clone()).add(event::Column::Visibility.eq(Visibility::Public));
    let Some(me) = viewer.optional()? else { return Ok(public) };
    if me.is_admin {
        return Ok(Condition::all().add(event::Column::Visibility.ne(Visibility::Unlisted)));
    }
    // The groups where the viewer has at least `roles`, and the events those groups host
    // (confirmed co-hosts; the event's own group is `group_id`): the same rule as
    // [`may_view`](super::may_view) and [`manages`](super::manages), as SQL.
    let groups_where = |roles: &[Role]| {
        Query::select()
            .column(membership::Column::GroupId)
            .from(membership::Entity)
            .and_where(Expr::col(membership::Column::MemberId).eq(me.id))
            .and_where(Expr::col(membership::Column::Role).is_in(roles.iter().copied()))
            .to_owned()
    };
    let cohosted_by = |roles: &[Role]| {
        Query::select()
            .column(event_host::Column::EventId)
            .from(event_host::Entity)
            .and_where(Expr::col(event_host::Column::Confirmed).eq(true))
            .and_where(Expr::col(event_host::Column::GroupId).in_subquery(groups_where(roles)))
            .to_owned()
    };
    const MEMBERS: [Role; 4] = [Role::Member, Role::Moderator, Role::Admin, Role::Owner];
    const MODERATORS: [Role; 3] = [Role::Moderator, Role::Admin, Role::Owner];
    const ADMINS: [Role; 2] = [Role::Admin, Role::Owner];
    Ok(Condition::any()
        .add(public)
        .add(
            Condition::all().add(published).add(event::Column::Visibility.eq(Visibility::Members)).add(
                Condition::any()
                    .add(event::Column::GroupId.in_subquery(groups_where(&MEMBERS)))
                    .add(event::Column::Id.in_subquery(cohosted_by(&MEMBERS)))
                    .add(event::Column::OrganizerId.eq(me.id)),
            ),
        )
        .add(
            Condition::all()
                .add(event::Column::Status.eq(EventStatus::Draft))
                .add(event::Column::Visibility.ne(Visibility::Unlisted))
                .add(
                    Condition::any()
                        .add(event::Column::GroupId.in_subquery(groups_where(&MODERATORS)))
                        .add(event::Column::Id.in_subquery(cohosted_by(&ADMINS)))
                        .add(event::Column::OrganizerId.eq(me.id)),
                ),
        ))
}

/// A page of events in start-time order: at most `first` after the cursor.
#[derive(Clone, Copy, Debug)]
pub struct EventPage {
    pub first: u64,
    pub after: Option<(DateTime<Utc>, Uuid)>,
    /// Whether to count all matches (`totalCount`): a statement of its own.
    pub count_total: bool,
}

impl EventPage {
    pub fn new(first: Option<i32>, after: Option<&str>) -> AppResult<Self> {
        let first = PageRequest::new(first, None)?.first;
        Ok(EventPage { first, after: after.map(decode_cursor).transpose()?, count_total: true })
    }
}

/// Reads a cursor made by [`EventKey::cursor`].
pub fn decode_cursor(c: &str) -> AppResult<(DateTime<Utc>, Uuid)> {
    let bad = || AppError::bad_input("after", "after is not a cursor from this API");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(c).map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    let (micros, id) = raw.split_once('|').ok_or_else(bad)?;
    let micros: i64 = micros.parse().map_err(|_| bad())?;
    let at = DateTime::<Utc>::from_timestamp_micros(micros).ok_or_else(bad)?;
    Ok((at, Uuid::parse_str(id).map_err(|_| bad())?))
}
