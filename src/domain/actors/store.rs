//! Loading actors (by ActivityPub id, by id, or for a member or group already loaded), making
//! local actor rows, and the instance actor (made, with its keys, on first use).
use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::actor::{ActorKind, ActorSource, ApActor};
use super::keys::generate_keys;
use crate::db::{actor, group, member};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

impl ApActor {
    /// The actor of `row`, with the member or group of the same id; `None` if that is gone.
    pub async fn from_row<C: ConnectionTrait>(conn: &C, row: actor::Model) -> AppResult<Option<ApActor>> {
        let source = match row.kind {
            ActorKind::Member => match member::Entity::find_by_id(row.id).one(conn).await? {
                Some(m) => ActorSource::Member(Box::new(m)),
                None => return Ok(None),
            },
            ActorKind::Group => match group::Entity::find_by_id(row.id).one(conn).await? {
                Some(g) => ActorSource::Group(Box::new(g)),
                None => return Ok(None),
            },
            ActorKind::Instance => ActorSource::Instance,
        };
        ApActor::new(row, source).map(Some)
    }

    /// Loads any actor by its ActivityPub id (the instance actor is made on first use).
    pub async fn by_ap_id(state: &AppState, id: &str) -> AppResult<Option<ApActor>> {
        match actor::Entity::find().filter(actor::Column::ApId.eq(id)).one(&state.db).await? {
            Some(row) => ApActor::from_row(&state.db, row).await,
            None if id == instance_actor_id(state) => Ok(Some(instance(state).await?)),
            None => Ok(None),
        }
    }

    /// Loads an actor by `actor.id` (outbox signers, follow rows).
    pub async fn by_id<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<Option<ApActor>> {
        match actor::Entity::find_by_id(id).one(conn).await? {
            Some(row) => ApActor::from_row(conn, row).await,
            None => Ok(None),
        }
    }

    /// The actor of a member already loaded.
    pub async fn of_member<C: ConnectionTrait>(conn: &C, m: member::Model) -> AppResult<ApActor> {
        let row = actor_row(conn, m.id).await?;
        ApActor::new(row, ActorSource::Member(Box::new(m)))
    }

    /// The actor of a group already loaded.
    pub async fn of_group<C: ConnectionTrait>(conn: &C, g: group::Model) -> AppResult<ApActor> {
        let row = actor_row(conn, g.id).await?;
        ApActor::new(row, ActorSource::Group(Box::new(g)))
    }
}

/// The actor row of a member or group (every one has one: `member.id` and `groups.id` are
/// foreign keys to it).
pub async fn actor_row<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<actor::Model> {
    actor::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("no actor row for {id}")))
}

/// Makes the actor row of a new local member or group, at `ap_id` (from which its inbox,
/// outbox and followers URLs are derived); the member or group row takes its id.
pub async fn insert_local<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    kind: ActorKind,
    ap_id: String,
    username: &str,
    manually_approves_followers: bool,
) -> AppResult<actor::Model> {
    let now = Utc::now();
    let row = actor::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(kind),
        username: Set(username.to_owned()),
        domain: Set(None),
        local: Set(true),
        // Every URL of a local actor is derived from its id; the shared inbox is the server's.
        url: Set(Some(ap_id.clone())),
        inbox_url: Set(Some(format!("{ap_id}/inbox"))),
        shared_inbox_url: Set(Some(format!("{}/inbox", state.base_url()))),
        outbox_url: Set(Some(format!("{ap_id}/outbox"))),
        followers_url: Set(Some(local_followers(&ap_id))),
        ap_id: Set(ap_id),
        public_key_pem: Set(None),
        private_key_pem: Set(None),
        manually_approves_followers: Set(manually_approves_followers),
        created_at: Set(now),
        updated_at: Set(now),
        last_refreshed_at: Set(None),
        verified_at: Set(None),
    };
    Ok(row.insert(conn).await?)
}

pub fn instance_actor_id(state: &AppState) -> String {
    format!("{}/actor", state.base_url())
}

/// The instance actor, made (with its keys) on first use.
pub async fn instance(state: &AppState) -> AppResult<ApActor> {
    let id = instance_actor_id(state);
    let find = || actor::Entity::find().filter(actor::Column::ApId.eq(&id)).one(&state.db);
    if let Some(row) = find().await? {
        return ApActor::new(row, ActorSource::Instance);
    }
    let keys = generate_keys().await?;
    let now = Utc::now();
    let inbox = format!("{}/inbox", state.base_url());
    let row = actor::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(ActorKind::Instance),
        ap_id: Set(id.clone()),
        username: Set("actor".into()),
        domain: Set(None),
        local: Set(true),
        url: Set(None),
        inbox_url: Set(Some(inbox.clone())),
        shared_inbox_url: Set(Some(inbox)),
        outbox_url: Set(None),
        followers_url: Set(None),
        public_key_pem: Set(Some(keys.public_key)),
        private_key_pem: Set(Some(keys.private_key)),
        manually_approves_followers: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        last_refreshed_at: Set(None),
        verified_at: Set(None),
    };
    // Two racing first uses: one insert wins, the other does nothing, both read the winner.
    actor::Entity::insert(row)
        .on_conflict(OnConflict::column(actor::Column::ApId).do_nothing().to_owned())
        .exec_without_returning(&state.db)
        .await?;
    let row = find().await?.ok_or_else(|| AppError::internal(anyhow::anyhow!("instance actor vanished")))?;
    if row.kind != ActorKind::Instance {
        return Err(AppError::internal(anyhow::anyhow!("the instance actor's id belongs to another actor")));
    }
    ApActor::new(row, ActorSource::Instance)
}

/// A local actor's followers collection (derived from its id, as all its URLs are).
pub fn local_followers(ap_id: &str) -> String {
    format!("{ap_id}/followers")
}

/// The profile pages of actors by id (a remote actor's `url`, else its id), in one statement.
pub async fn profile_urls<C: ConnectionTrait>(
    conn: &C,
    ids: impl IntoIterator<Item = Uuid>,
) -> AppResult<std::collections::HashMap<Uuid, String>> {
    use sea_orm::QuerySelect;
    let rows: Vec<(Uuid, String, Option<String>)> = actor::Entity::find()
        .select_only()
        .columns([actor::Column::Id, actor::Column::ApId, actor::Column::Url])
        .filter(actor::Column::Id.is_in(ids))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|(id, ap_id, url)| (id, url.unwrap_or(ap_id))).collect())
}

/// Whether follow requests to a local actor wait for a decision.
pub async fn set_manually_approves_followers<C: ConnectionTrait>(conn: &C, id: Uuid, manual: bool) -> AppResult<()> {
    use sea_orm::sea_query::Expr;
    actor::Entity::update_many()
        .col_expr(actor::Column::ManuallyApprovesFollowers, Expr::value(manual))
        .col_expr(actor::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(actor::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Actor rows by id, in one statement (for the GraphQL loaders).
pub async fn load_many<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> AppResult<Vec<actor::Model>> {
    Ok(actor::Entity::find().filter(actor::Column::Id.is_in(ids.iter().copied())).all(conn).await?)
}

impl ApActor {
    /// A local member or group by its name (usernames and slugs share one namespace), of
    /// `kind` if given: WebFinger and the actor URLs ask this.
    pub async fn local_by_name<C: ConnectionTrait>(
        conn: &C,
        kind: Option<ActorKind>,
        name: &str,
    ) -> AppResult<Option<ApActor>> {
        let mut query = actor::Entity::find()
            .filter(actor::Column::Local.eq(true))
            .filter(actor::Column::Username.eq(name.to_lowercase()))
            .filter(actor::Column::Kind.is_in([ActorKind::Member, ActorKind::Group]));
        if let Some(kind) = kind {
            query = query.filter(actor::Column::Kind.eq(kind));
        }
        match query.one(conn).await? {
            Some(row) => ApActor::from_row(conn, row).await,
            None => Ok(None),
        }
    }
}
