//! Remote actors: stored from documents the vocabulary layer has checked, marked verified
//! once they proved who they are, and forgotten when they are gone.
use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait as _, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use url::Url;
use uuid::Uuid;

use super::actor::{ActorKind, ActorSource, ApActor};
use crate::ap::actor::{RemoteActor, RemoteKind};
use crate::db::enums::{JoinMode, MemberStatus};
use crate::db::{self, actor, group, member};
use crate::domain::markdown;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

fn limit(s: Option<String>, max: usize) -> Option<String> {
    s.map(|s| s.chars().take(max).collect::<String>()).filter(|s| !s.trim().is_empty())
}

/// Stores a remote actor document that passed the vocabulary layer's checks: its actor row
/// with one `INSERT … ON CONFLICT (ap_id) DO UPDATE` (so that two first deliveries from a new
/// actor arriving at once both succeed), then its member or group row by the same id. Local
/// rows are never touched from the wire, and an actor keeps its type (a Person does not become
/// a Group under the same id).
pub async fn upsert_remote(state: &AppState, remote: RemoteActor) -> AppResult<ApActor> {
    let refuse = |why: &str| AppError::bad_input("actor", why);
    let kind = match remote.kind {
        RemoteKind::Group => ActorKind::Group,
        RemoteKind::Person => ActorKind::Member,
    };
    let ap_id = remote.ap_id.to_string();
    let now = Utc::now();
    let username: String = remote.username.chars().take(100).collect();
    let name = limit(remote.name, 200);
    let summary_html = limit(remote.summary.map(|s| markdown::sanitize(&s)), 10_000);
    let url_string = |u: &Option<Url>| u.as_ref().map(Url::to_string);
    let txn = db::begin_write(&state.db).await?;
    let row = actor::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(kind),
        ap_id: Set(ap_id.clone()),
        username: Set(username.clone()),
        domain: Set(Some(remote.domain.clone())),
        local: Set(false),
        url: Set(remote.profile_url),
        inbox_url: Set(Some(remote.inbox.to_string())),
        shared_inbox_url: Set(url_string(&remote.shared_inbox)),
        outbox_url: Set(url_string(&remote.outbox)),
        followers_url: Set(url_string(&remote.followers)),
        public_key_pem: Set(Some(remote.public_key_pem)),
        private_key_pem: Set(None),
        manually_approves_followers: Set(remote.manually_approves_followers),
        created_at: Set(now),
        updated_at: Set(now),
        last_refreshed_at: Set(Some(now)),
        verified_at: Set(None),
    };
    {
        use actor::Column as C;
        actor::Entity::insert(row)
            .on_conflict(
                OnConflict::column(C::ApId)
                    .update_columns([
                        C::Username,
                        C::Domain,
                        C::Url,
                        C::InboxUrl,
                        C::SharedInboxUrl,
                        C::OutboxUrl,
                        C::FollowersUrl,
                        C::PublicKeyPem,
                        C::ManuallyApprovesFollowers,
                        C::UpdatedAt,
                        C::LastRefreshedAt,
                    ])
                    .action_and_where(
                        Expr::col((actor::Entity, C::Local))
                            .eq(false)
                            .and(Expr::col((actor::Entity, C::Kind)).eq(kind)),
                    )
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    let row = actor::Entity::find()
        .filter(actor::Column::ApId.eq(&ap_id))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("an upserted actor vanished")))?;
    if row.kind != kind {
        return Err(refuse("an actor cannot change its type"));
    }
    if row.local {
        return Err(refuse("a remote document claims a local actor"));
    }
    let id = row.id;
    // Their pictures are referenced where they are, never copied; a person's header picture
    // is not shown, so not kept.
    let (before, picture) = match kind {
        ActorKind::Group => {
            let before = group::Entity::find_by_id(id).one(&txn).await?.and_then(|g| g.banner_id);
            (before, crate::domain::media::reference(&txn, id, remote.image.as_ref()).await?)
        }
        _ => {
            let before = member::Entity::find_by_id(id).one(&txn).await?.and_then(|m| m.avatar_id);
            (before, crate::domain::media::reference(&txn, id, remote.icon.as_ref()).await?)
        }
    };
    match kind {
        ActorKind::Group => {
            let group_row = group::ActiveModel {
                id: Set(id),
                ap_id: Set(ap_id.clone()),
                local: Set(false),
                join_mode: Set(JoinMode::Open),
                created_by: Set(None),
                created_at: Set(now),
                public_followers: Set(false),
                handle: Set(remote.handle),
                name: Set(name.unwrap_or_else(|| username.clone())),
                slug: Set(username),
                domain: Set(Some(remote.domain)),
                summary: Set(summary_html.clone()),
                summary_html: Set(summary_html),
                avatar_url: Set(remote.icon.as_ref().map(|i| i.url.to_string())),
                banner_id: Set(picture),
                updated_at: Set(now),
            };
            use group::Column as C;
            group::Entity::insert(group_row)
                .on_conflict(
                    OnConflict::column(C::Id)
                        .update_columns([
                            C::Handle,
                            C::Slug,
                            C::Domain,
                            C::Name,
                            C::Summary,
                            C::SummaryHtml,
                            C::AvatarUrl,
                            C::BannerId,
                            C::UpdatedAt,
                        ])
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
        }
        _ => {
            let member_row = member::ActiveModel {
                id: Set(id),
                ap_id: Set(ap_id.clone()),
                local: Set(false),
                email: Set(None),
                password_hash: Set(None),
                sector: Set(None),
                organization: Set(None),
                country: Set(None),
                pronouns: Set(None),
                interests: Set(serde_json::json!([])),
                links: Set(serde_json::json!([])),
                is_admin: Set(false),
                status: Set(MemberStatus::Active),
                created_at: Set(now),
                calendar_token: Set(None),
                mail_off: Set(String::new()),
                handle: Set(remote.handle),
                username: Set(username),
                domain: Set(Some(remote.domain)),
                display_name: Set(name),
                bio: Set(summary_html.clone()),
                bio_html: Set(summary_html),
                avatar_url: Set(remote.icon.as_ref().map(|i| i.url.to_string())),
                avatar_id: Set(picture),
                discoverable: Set(remote.discoverable),
                updated_at: Set(now),
            };
            use member::Column as C;
            member::Entity::insert(member_row)
                .on_conflict(
                    OnConflict::column(C::Id)
                        .update_columns([
                            C::Handle,
                            C::Username,
                            C::Domain,
                            C::DisplayName,
                            C::Bio,
                            C::BioHtml,
                            C::AvatarUrl,
                            C::AvatarId,
                            C::Discoverable,
                            C::UpdatedAt,
                        ])
                        // A tombstone of a deleted remote account is not revived by an old
                        // document.
                        .action_and_where(Expr::col((member::Entity, C::Status)).ne(MemberStatus::Deleted))
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
        }
    }
    crate::domain::media::replaced(&txn, before, picture).await?;
    let actor = ApActor::from_row(&txn, row)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("an upserted actor vanished")))?;
    match &actor.source {
        ActorSource::Member(m) => crate::domain::search::index_member(&txn, m).await?,
        ActorSource::Group(g) => crate::domain::search::index_group(&txn, g).await?,
        ActorSource::Instance => {}
    }
    txn.commit().await?;
    Ok(actor)
}

/// A remote actor proved who it is: one of its signatures verified, or a member looked it up
/// on its own server. From then on it may be listed in the directory.
pub async fn mark_verified(state: &AppState, actor: &ApActor) -> AppResult<()> {
    if actor.verified {
        return Ok(());
    }
    actor::Entity::update_many()
        .col_expr(actor::Column::VerifiedAt, Expr::value(Utc::now()))
        .filter(actor::Column::Id.eq(actor.row_id))
        .filter(actor::Column::VerifiedAt.is_null())
        .exec(&state.db)
        .await?;
    Ok(())
}

/// A remote actor is gone: its row goes, and with it (by foreign keys) its member or group
/// row, its follows both ways and what belongs to it.
pub async fn forget_remote(state: &AppState, kind: ActorKind, id: Uuid) -> AppResult<()> {
    let txn = db::begin_write(&state.db).await?;
    let Some(row) = actor::Entity::find_by_id(id).one(&txn).await? else {
        return Ok(());
    };
    if row.local {
        return Err(AppError::forbidden("local actors cannot be deleted from the wire"));
    }
    match kind {
        ActorKind::Member => {
            // Their seats go back (and the waitlists move up) before their registrations go
            // with the row.
            crate::domain::events::registrations::withdraw_all(&txn, state, id).await?;
            crate::domain::learning::forget_replies_of(&txn, id).await?;
            crate::domain::search::remove(&txn, crate::domain::search::Kind::Member, id).await?;
        }
        ActorKind::Group => crate::domain::search::remove(&txn, crate::domain::search::Kind::Group, id).await?,
        ActorKind::Instance => {}
    }
    actor::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}
