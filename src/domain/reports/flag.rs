//! Reports across servers, as Mastodon makes them: a `Flag` from another server joins the
//! queue attributed to that server ([`receive_flag`]); a member's report of remote content may
//! be forwarded as a `Flag` from the instance actor to the content's server ([`forward`]),
//! naming the reported account and objects and carrying the comment, never the reporter.
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::subject::{self, Subject};
use super::{new_row, MAX_COMMENT};
use crate::db::enums::{ReportReason, ReportStatus, ReportSubject};
use crate::db::{self, member, report};
use crate::domain::outbox::{self, Outgoing};
use crate::error::AppResult;
use crate::state::AppState;

/// Open reports one server may have in the queue at once; its further `Flag`s are dropped
/// until moderators resolve some.
pub const MAX_OPEN_PER_SERVER: u64 = 100;

/// Objects of one `Flag` that are looked up (a report of an account and its posts).
const MAX_OBJECTS: usize = 20;

/// A `Flag` another server sent, as checked at the inbox.
pub struct ReceivedFlag {
    /// The reporting server (`host[:port]` of the activity's actor).
    pub origin_domain: String,
    /// What it reports: an account and its posts, as ActivityPub ids.
    pub objects: Vec<String>,
    pub comment: Option<String>,
}

/// Files the reports a `Flag` makes: one per reported object we know (posts, threads, events,
/// entries, reflections), or of the account alone when it names no object of ours. Returns how
/// many were filed (a repeat of an open report from the same server files nothing).
pub async fn receive_flag(state: &AppState, flag: ReceivedFlag) -> AppResult<usize> {
    let open_from_server = report::Entity::find()
        .filter(report::Column::OriginDomain.eq(&flag.origin_domain))
        .filter(report::Column::Status.eq(ReportStatus::Open))
        .count(&state.db)
        .await?;
    if open_from_server >= MAX_OPEN_PER_SERVER {
        tracing::info!(server = %flag.origin_domain, "Flag dropped: too many open reports from this server");
        return Ok(0);
    }
    let mut subjects: Vec<Subject> = Vec::new();
    for object in flag.objects.iter().take(MAX_OBJECTS) {
        if let Some(s) = subject::by_ap_id(&state.db, object).await? {
            if !subjects.iter().any(|x| x.id == s.id) {
                subjects.push(s);
            }
        }
    }
    // An account named beside its posts is their author: the posts are what is reported.
    let content: Vec<Option<uuid::Uuid>> =
        subjects.iter().filter(|s| s.kind != ReportSubject::Member).map(|s| s.author_id).collect();
    subjects.retain(|s| s.kind != ReportSubject::Member || !content.contains(&Some(s.id)));
    let comment =
        flag.comment.map(|c| c.trim().chars().take(MAX_COMMENT).collect::<String>()).filter(|c| !c.is_empty());
    let room = (MAX_OPEN_PER_SERVER - open_from_server) as usize;
    let txn = db::begin_write(&state.db).await?;
    let mut filed = 0;
    let mut told = Vec::new();
    for s in subjects.iter().take(room) {
        let repeat = report::Entity::find()
            .filter(report::Column::SubjectId.eq(s.id))
            .filter(report::Column::OriginDomain.eq(&flag.origin_domain))
            .filter(report::Column::Status.eq(ReportStatus::Open))
            .count(&txn)
            .await?;
        if repeat > 0 {
            continue;
        }
        let row = new_row(s, None, Some(flag.origin_domain.clone()), ReportReason::Other, comment.clone(), false)
            .insert(&txn)
            .await?;
        told.extend(super::tell_handlers(&txn, &row).await?);
        filed += 1;
    }
    txn.commit().await?;
    told.sort();
    told.dedup();
    super::announce(state, told).await;
    Ok(filed)
}

/// Where a forwarded report goes, found before the report's transaction opens (the instance
/// actor may be made on first use).
pub struct Forward {
    instance_row: uuid::Uuid,
    instance_id: String,
    inbox: url::Url,
    account: Option<String>,
}

/// The server to tell about a report of remote content: its author's (shared) inbox. `None`
/// when the author is unknown or has no inbox.
pub async fn prepare(state: &AppState, s: &Subject) -> AppResult<Option<Forward>> {
    let Some(author) = s.author_id else { return Ok(None) };
    let Some(inbox) = outbox::inbox_of(&state.db, author).await? else { return Ok(None) };
    let account = member::Entity::find_by_id(author).one(&state.db).await?.map(|m| m.ap_id);
    let instance = crate::domain::actors::instance(state).await?;
    Ok(Some(Forward { instance_row: instance.row_id, instance_id: instance.id.to_string(), inbox, account }))
}

/// Queues the `Flag`, in the report's transaction.
pub async fn forward<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    to: Forward,
    s: &Subject,
    comment: Option<&str>,
) -> AppResult<()> {
    let id = outbox::activity_id(state, "flag");
    let objects: Vec<&str> = if s.kind == ReportSubject::Member { vec![] } else { vec![s.ap_id.as_str()] };
    let payload = crate::ap::activities::flag(&id, &to.instance_id, to.account.as_deref(), &objects, comment);
    let out = Outgoing {
        actor_id: to.instance_row,
        ap_id: id,
        kind: "Flag",
        payload,
        public: false,
        inboxes: vec![to.inbox],
    };
    outbox::enqueue(conn, state, out).await?;
    Ok(())
}
