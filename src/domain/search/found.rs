//! The search box: every kind at once, best first, as the viewer may see it, each kind's
//! list with a cursor to go on (`Cursor`: the kind and how many of its visible matches came
//! before; ranks are recomputed per page, as every ranked search does).
use base64::Engine as _;
use sea_orm::{ColumnTrait as _, Condition, EntityTrait as _, QueryFilter as _};
use uuid::Uuid;

use super::{matching, Kind, MAX_MATCHES};
use crate::db::{event, group, learning_question, member, reflection, resource, thread};
use crate::domain::viewer::Viewer;
use crate::domain::{events, visibility};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Where one kind's matches go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub kind: Kind,
    pub offset: u64,
}

/// The kinds the search box shows, in the order of its answer.
const KINDS: [Kind; 7] =
    [Kind::Member, Kind::Group, Kind::Event, Kind::Resource, Kind::Thread, Kind::Question, Kind::Reflection];

impl Cursor {
    pub fn encode(self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
            "search:{}:{}",
            self.kind.as_str(),
            self.offset
        ))
    }

    pub fn decode(cursor: &str) -> AppResult<Cursor> {
        let bad = || AppError::bad_input("after", "after is not a cursor of this search");
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| bad())?;
        let text = String::from_utf8(raw).map_err(|_| bad())?;
        let mut parts = text.splitn(3, ':');
        let (Some("search"), Some(kind), Some(offset)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        let kind = KINDS.into_iter().find(|k| k.as_str() == kind).ok_or_else(bad)?;
        let offset = offset.parse::<u64>().ok().filter(|o| *o < MAX_MATCHES).ok_or_else(bad)?;
        Ok(Cursor { kind, offset })
    }
}

/// One kind's matches on this page, and where they go on (`None`: no more).
pub struct KindPage<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

impl<T> Default for KindPage<T> {
    fn default() -> Self {
        KindPage { items: Vec::new(), next: None }
    }
}

/// What one search box finds.
#[derive(Default)]
pub struct Found {
    pub members: KindPage<member::Model>,
    pub groups: KindPage<group::Model>,
    pub events: KindPage<event::Model>,
    pub resources: KindPage<resource::Model>,
    pub threads: KindPage<thread::Model>,
    pub questions: KindPage<learning_question::Model>,
    pub reflections: KindPage<reflection::Model>,
}

/// Which kinds a search looks in and from where: `after` continues its own kind only;
/// otherwise `only` (or every kind) from the start.
fn plan(only: Option<Kind>, after: Option<Cursor>) -> AppResult<impl Fn(Kind) -> Option<u64>> {
    if let (Some(only), Some(after)) = (only, after) {
        if only != after.kind {
            return Err(AppError::bad_input("after", "the cursor belongs to another kind"));
        }
    }
    Ok(move |kind: Kind| match (after, only) {
        (Some(c), _) => (c.kind == kind).then_some(c.offset),
        (None, Some(o)) => (o == kind).then_some(0),
        (None, None) => Some(0),
    })
}

/// Searches members, groups, events, resources, threads, learning questions and reflections:
/// one index query and one visibility-filtered load per kind looked in. Members and groups
/// are those of the directory; events, threads and learning records those the viewer may list.
pub async fn everything(
    state: &AppState,
    viewer: &Viewer,
    q: &str,
    first: u64,
    only: Option<Kind>,
    after: Option<Cursor>,
) -> AppResult<Found> {
    let conn = &state.db;
    let from = plan(only, after)?;
    // Over-fetch so that rows the viewer may not see leave enough behind.
    let budget = |offset: u64| ((offset + first) * 4).clamp(20, MAX_MATCHES);
    let ids = |kind: Kind| {
        let start = from(kind);
        async move {
            match start {
                Some(offset) => matching(conn, kind, q, budget(offset)).await,
                None => Ok(Vec::new()),
            }
        }
    };
    let (m, g, e, r, t, lq, lr) = futures_util::try_join!(
        ids(Kind::Member),
        ids(Kind::Group),
        ids(Kind::Event),
        ids(Kind::Resource),
        ids(Kind::Thread),
        ids(Kind::Question),
        ids(Kind::Reflection)
    )?;
    let scope = if lq.is_empty() && lr.is_empty() {
        visibility::RecordScope::default()
    } else {
        visibility::RecordScope::of(conn, viewer).await?
    };
    let questions = learning_question::Entity::find()
        .filter(
            Condition::all()
                .add(learning_question::Column::Id.is_in(lq.clone()))
                .add(scope.condition(learning_question::Column::GroupId, learning_question::Column::Visibility)),
        )
        .all(conn);
    let reflections = reflection::Entity::find()
        .filter(Condition::all().add(reflection::Column::Id.is_in(lr.clone())).add(scope.written_condition(
            reflection::Column::GroupId,
            reflection::Column::Visibility,
            reflection::Column::AuthorId,
        )))
        .all(conn);
    let members = member::Entity::find()
        .filter(Condition::all().add(member::Column::Id.is_in(m.clone())).add(visibility::member_directory()))
        .all(conn);
    let groups = group::Entity::find()
        .filter(Condition::all().add(group::Column::Id.is_in(g.clone())).add(visibility::group_directory()))
        .all(conn);
    let listable = events::listable(viewer)?;
    let events =
        event::Entity::find().filter(Condition::all().add(event::Column::Id.is_in(e.clone())).add(listable)).all(conn);
    let resources = resource::Entity::find().filter(resource::Column::Id.is_in(r.clone())).all(conn);
    let visible = visibility::threads_visible(viewer)?;
    let threads =
        thread::Entity::find().filter(Condition::all().add(thread::Column::Id.is_in(t.clone())).add(visible)).all(conn);
    let (members, groups, events, resources, threads, questions, reflections) =
        futures_util::try_join!(members, groups, events, resources, threads, questions, reflections)?;
    let page =
        |kind: Kind| Window { kind, offset: from(kind).unwrap_or(0), first, budget: budget(from(kind).unwrap_or(0)) };
    Ok(Found {
        members: page(Kind::Member).of(&m, members, |x| x.id),
        groups: page(Kind::Group).of(&g, groups, |x| x.id),
        events: page(Kind::Event).of(&e, events, |x| x.id),
        resources: page(Kind::Resource).of(&r, resources, |x| x.id),
        threads: page(Kind::Thread).of(&t, threads, |x| x.id),
        questions: page(Kind::Question).of(&lq, questions, |x| x.id),
        reflections: page(Kind::Reflection).of(&lr, reflections, |x| x.id),
    })
}

/// One kind's page within its ranked, visible matches.
struct Window {
    kind: Kind,
    offset: u64,
    first: u64,
    budget: u64,
}

impl Window {
    /// The rows in the order of `ids` (their rank), this page of them, and the cursor past it
    /// when more may follow: more visible rows were loaded, or the index had more matches than
    /// were asked for.
    fn of<T>(&self, ids: &[Uuid], rows: Vec<T>, id: impl Fn(&T) -> Uuid) -> KindPage<T> {
        let rank: std::collections::HashMap<Uuid, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        let mut rows: Vec<(usize, T)> =
            rows.into_iter().map(|r| (rank.get(&id(&r)).copied().unwrap_or(usize::MAX), r)).collect();
        rows.sort_by_key(|(rank, _)| *rank);
        let visible = rows.len() as u64;
        let end = self.offset + self.first;
        let more = visible > end || (ids.len() as u64 >= self.budget && self.budget < MAX_MATCHES);
        let items: Vec<T> = rows
            .into_iter()
            .skip(usize::try_from(self.offset).unwrap_or(usize::MAX))
            .take(usize::try_from(self.first).unwrap_or(usize::MAX))
            .map(|(_, r)| r)
            .collect();
        // The next page starts after what this one showed (a short page skips nothing), and
        // only a page that showed something goes on, so paging always ends.
        let next = self.offset + items.len() as u64;
        let go_on = more && !items.is_empty() && next < MAX_MATCHES;
        KindPage { items, next: go_on.then_some(Cursor { kind: self.kind, offset: next }) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_name_their_kind_and_nothing_else_is_one() {
        let c = Cursor { kind: Kind::Thread, offset: 40 };
        assert_eq!(Cursor::decode(&c.encode()).ok(), Some(c));
        for bad in ["", "search:thread:40", "c2VhcmNoOnBvc3Q6NDA", "c2VhcmNoOnRocmVhZDo5OTk5"] {
            assert!(Cursor::decode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_window_pages_through_ranked_rows() {
        let ids: Vec<Uuid> = (0..5).map(|_| Uuid::now_v7()).collect();
        let rows: Vec<Uuid> = ids.iter().rev().copied().collect();
        let w = Window { kind: Kind::Member, offset: 2, first: 2, budget: 20 };
        let page = w.of(&ids, rows.clone(), |x| *x);
        assert_eq!(page.items, vec![ids[2], ids[3]]);
        assert_eq!(page.next, Some(Cursor { kind: Kind::Member, offset: 4 }));
        let last = Window { kind: Kind::Member, offset: 4, first: 2, budget: 20 }.of(&ids, rows.clone(), |x| *x);
        assert_eq!((last.items, last.next), (vec![ids[4]], None));
        // A short page (the index had more than it looked at) goes on from what it showed.
        let short = Window { kind: Kind::Member, offset: 0, first: 8, budget: 5 }.of(&ids, rows[..3].to_vec(), |x| *x);
        assert_eq!(short.next, Some(Cursor { kind: Kind::Member, offset: 3 }));
        let none = Window { kind: Kind::Member, offset: 3, first: 8, budget: 5 }.of(&ids, vec![], |x: &Uuid| *x);
        assert_eq!(none.next, None);
    }
}
