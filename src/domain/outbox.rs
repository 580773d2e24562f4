//! The transactional outbox. A change that must federate calls [`enqueue`] with the same
//! transaction: the activity row and one delivery row per distinct inbox commit (or vanish)
//! together with the change. Delivery workers (`federation::delivery`) send them later.
use std::collections::BTreeSet;

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait as _, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use url::Url;
use uuid::Uuid;

use crate::ap;
use crate::db::enums::{DeliveryState, FollowState};
use crate::db::{actor, delivery, follow, group, member, outbound_activity};
use crate::error::AppResult;
use crate::state::AppState;

/// An activity to publish.
pub struct Outgoing {
    /// Whose key signs it (`actor.id`).
    pub actor_id: Uuid,
    /// Its id (also inside `payload`).
    pub ap_id: String,
    pub kind: &'static str,
    /// The activity without `@context` (added here).
    pub payload: serde_json::Value,
    /// Listed in the actor's public outbox.
    pub public: bool,
    pub inboxes: Vec<Url>,
}

impl Outgoing {
    /// An activity from a local group.
    pub fn from_group(
        g: &group::Model,
        ap_id: String,
        kind: &'static str,
        payload: serde_json::Value,
        public: bool,
        inboxes: Vec<Url>,
    ) -> Self {
        Outgoing { actor_id: g.id, ap_id, kind, payload, public, inboxes }
    }

    /// An activity from a local member.
    pub fn from_member(
        m: &member::Model,
        ap_id: String,
        kind: &'static str,
        payload: serde_json::Value,
        public: bool,
        inboxes: Vec<Url>,
    ) -> Self {
        Outgoing { actor_id: m.id, ap_id, kind, payload, public, inboxes }
    }
}

/// Where to deliver to an actor: its server's shared inbox, else its own.
pub async fn inbox_of<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<Option<Url>> {
    let row: Option<(Option<String>, Option<String>)> = actor::Entity::find_by_id(id)
        .select_only()
        .column(actor::Column::SharedInboxUrl)
        .column(actor::Column::InboxUrl)
        .into_tuple()
        .one(conn)
        .await?;
    Ok(row.and_then(|(shared, inbox)| shared.or(inbox)).and_then(|u| Url::parse(&u).ok()))
}

/// A fresh activity id under the actor's URL.
pub fn activity_id(state: &AppState, kind: &str) -> String {
    format!("{}/activities/{}/{}", state.base_url(), kind.to_lowercase(), Uuid::now_v7())
}

/// Writes the activity and its deliveries. Inboxes on this instance, on blocked domains, or
/// repeated (several followers behind one shared inbox) are left out.
pub async fn enqueue<C: ConnectionTrait>(conn: &C, state: &AppState, out: Outgoing) -> AppResult<Uuid> {
    let now = Utc::now();
    let id = Uuid::now_v7();
    let payload = ap::with_context(out.payload);
    outbound_activity::ActiveModel {
        id: Set(id),
        ap_id: Set(out.ap_id),
        actor_id: Set(out.actor_id),
        kind: Set(out.kind.into()),
        payload: Set(payload.to_string()),
        public: Set(out.public),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;

    let local = state.config.domain.to_lowercase();
    let blocks = crate::domain::moderation::Blocks::load(conn, &out.inboxes).await?;
    let mut seen = BTreeSet::new();
    let mut rows = Vec::new();
    for inbox in out.inboxes {
        let authority = ap::authority(&inbox);
        if authority.is_empty() || authority == local || !seen.insert(inbox.to_string()) {
            continue;
        }
        if blocks.covers(&inbox) {
            continue;
        }
        rows.push(delivery::ActiveModel {
            id: Set(Uuid::now_v7()),
            activity_id: Set(id),
            inbox_url: Set(inbox.to_string()),
            domain: Set(authority),
            state: Set(DeliveryState::Pending),
            attempts: Set(0),
            next_attempt_at: Set(now),
            locked_until: Set(None),
            last_error: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        });
    }
    // Bounded batches keep every engine under its bind-parameter limit.
    for chunk in rows.chunks(500) {
        delivery::Entity::insert_many(chunk.to_vec()).exec_without_returning(conn).await?;
    }
    Ok(id)
}

/// The inboxes of an actor's accepted remote followers: shared inboxes where the follower's
/// server has one, each once.
pub async fn follower_inboxes<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<Vec<Url>> {
    let followers = Query::select()
        .column(follow::Column::FollowerId)
        .from(follow::Entity)
        .and_where(Expr::col(follow::Column::TargetId).eq(id))
        .and_where(Expr::col(follow::Column::State).eq(FollowState::Accepted))
        .to_owned();
    remote_inboxes(conn, actor::Column::Id.in_subquery(followers)).await
}

/// The inboxes of the remote actors an actor follows or asked to follow (they hear of its
/// deletion too).
pub async fn followed_inboxes<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<Vec<Url>> {
    let targets = Query::select()
        .column(follow::Column::TargetId)
        .from(follow::Entity)
        .and_where(Expr::col(follow::Column::FollowerId).eq(id))
        .to_owned();
    remote_inboxes(conn, actor::Column::Id.in_subquery(targets)).await
}

/// The delivery inboxes of these actors (those on other servers), each once.
pub async fn inboxes_of<C: ConnectionTrait>(conn: &C, ids: impl IntoIterator<Item = Uuid>) -> AppResult<Vec<Url>> {
    remote_inboxes(conn, actor::Column::Id.is_in(ids)).await
}

/// The delivery inboxes (shared where there is one) of the remote actors whose ids the
/// condition selects, each once: one statement whatever their number.
async fn remote_inboxes<C: ConnectionTrait>(conn: &C, which: sea_orm::sea_query::SimpleExpr) -> AppResult<Vec<Url>> {
    let rows: Vec<(Option<String>, Option<String>)> = actor::Entity::find()
        .select_only()
        .column(actor::Column::SharedInboxUrl)
        .column(actor::Column::InboxUrl)
        .filter(actor::Column::Local.eq(false))
        .filter(which)
        .distinct()
        .into_tuple()
        .all(conn)
        .await?;
    let mut out = BTreeSet::new();
    for (shared, inbox) in rows {
        if let Some(u) = shared.or(inbox).and_then(|u| Url::parse(&u).ok()) {
            out.insert(u);
        }
    }
    Ok(out.into_iter().collect())
}
