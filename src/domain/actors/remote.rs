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
use crate::db::{self, group, member};
use crate::domain::{follows, markdown};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

fn limit(s: Option<String>, max: usize) -> Option<String> {
    s.map(|s| s.chars().take(max).collect::<String>()).filter(|s| !s.trim().is_empty())
}

/// Stores a remote actor document that passed the vocabulary layer's checks: one
/// `INSERT … ON CONFLICT (ap_id) DO UPDATE`, so that two first deliveries from a new actor
/// arriving at once both succeed. Local rows are never touched from the wire, and an actor
/// keeps its type (a Person does not become a Group under the same id).
pub async fn upsert_remote(state: &AppState, remote: RemoteActor) -> AppResult<ApActor> {
    let refuse = |why: &str| AppError::bad_input("actor", why);
    let ap_id = remote.ap_id.to_string();
    let other_kind_exists = match remote.kind {
        RemoteKind::Group => {
            member::Entity::find().filter(member::Column::ApId.eq(&ap_id)).one(&state.db).await?.is_some()
        }
        RemoteKind::Person => {
            group::Entity::find().filter(group::Column::ApId.eq(&ap_id)).one(&state.db).await?.is_some()
        }
    };
    if other_kind_exists {
        return Err(refuse("an actor cannot change its type"));
    }
    let now = Utc::now();
    let username: String = remote.username.chars().take(100).collect();
    let name = limit(remote.name, 200);
    let summary_html = limit(remote.summary.map(|s| markdown::sanitize(&s)), 10_000);
    let url_string = |u: &Option<Url>| u.as_ref().map(Url::to_string);
    let txn = db::begin_write(&state.db).await?;
    match remote.kind {
        RemoteKind::Group => {
            let row = group::ActiveModel {
                id: Set(Uuid::now_v7()),
                ap_id: Set(ap_id.clone()),
                local: Set(false),
                join_mode: Set(JoinMode::Open),
                private_key_pem: Set(None),
                created_by: Set(None),
                created_at: Set(now),
                public_followers: Set(false),
                verified_at: Set(None),
                handle: Set(remote.handle),
                name: Set(name.unwrap_or_else(|| username.clone())),
                slug: Set(username),
                domain: Set(Some(remote.domain)),
                summary: Set(summary_html.clone()),
                summary_html: Set(summary_html),
                url: Set(remote.profile_url),
                inbox_url: Set(Some(remote.inbox.to_string())),
                shared_inbox_url: Set(url_string(&remote.shared_inbox)),
                outbox_url: Set(url_string(&remote.outbox)),
                followers_url: Set(url_string(&remote.followers)),
                public_key_pem: Set(Some(remote.public_key_pem)),
                avatar_url: Set(url_string(&remote.icon)),
                manually_approves_followers: Set(remote.manually_approves_followers),
                updated_at: Set(now),
                last_refreshed_at: Set(Some(now)),
            };
            use group::Column as C;
            group::Entity::insert(row)
                .on_conflict(
                    OnConflict::column(C::ApId)
                        .update_columns([
                            C::Handle,
                            C::Slug,
                            C::Domain,
                            C::Name,
                            C::Summary,
                            C::SummaryHtml,
                            C::Url,
                            C::InboxUrl,
                            C::SharedInboxUrl,
                            C::OutboxUrl,
                            C::FollowersUrl,
                            C::PublicKeyPem,
                            C::AvatarUrl,
                            C::ManuallyApprovesFollowers,
                            C::UpdatedAt,
                            C::LastRefreshedAt,
                        ])
                        .action_and_where(Expr::col((group::Entity, C::Local)).eq(false))
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
        }
        RemoteKind::Person => {
            let row = member::ActiveModel {
                id: Set(Uuid::now_v7()),
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
                private_key_pem: Set(None),
                created_at: Set(now),
                verified_at: Set(None),
                calendar_token: Set(None),
                handle: Set(remote.handle),
                username: Set(username),
                domain: Set(Some(remote.domain)),
                display_name: Set(name),
                bio: Set(summary_html.clone()),
                bio_html: Set(summary_html),
                url: Set(remote.profile_url),
                inbox_url: Set(Some(remote.inbox.to_string())),
                shared_inbox_url: Set(url_string(&remote.shared_inbox)),
                outbox_url: Set(url_string(&remote.outbox)),
                followers_url: Set(url_string(&remote.followers)),
                public_key_pem: Set(Some(remote.public_key_pem)),
                avatar_url: Set(url_string(&remote.icon)),
                manually_approves_followers: Set(remote.manually_approves_followers),
                discoverable: Set(remote.discoverable),
                updated_at: Set(now),
                last_refreshed_at: Set(Some(now)),
            };
            use member::Column as C;
            member::Entity::insert(row)
                .on_conflict(
                    OnConflict::column(C::ApId)
                        .update_columns([
                            C::Handle,
                            C::Username,
                            C::Domain,
                            C::DisplayName,
                            C::Bio,
                            C::BioHtml,
                            C::Url,
                            C::InboxUrl,
                            C::SharedInboxUrl,
                            C::OutboxUrl,
                            C::FollowersUrl,
                            C::PublicKeyPem,
                            C::AvatarUrl,
                            C::ManuallyApprovesFollowers,
                            C::Discoverable,
                            C::UpdatedAt,
                            C::LastRefreshedAt,
                        ])
                        // Local rows are never written from the wire, and a tombstone of a
                        // deleted remote account is not revived by an old document.
                        .action_and_where(
                            Expr::col((member::Entity, C::Local))
                                .eq(false)
                                .and(Expr::col((member::Entity, C::Status)).ne(MemberStatus::Deleted)),
                        )
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
        }
    }
    let actor = match remote.kind {
        RemoteKind::Group => {
            group::Entity::find().filter(group::Column::ApId.eq(&ap_id)).one(&txn).await?.map(ApActor::from_group)
        }
        RemoteKind::Person => {
            member::Entity::find().filter(member::Column::ApId.eq(&ap_id)).one(&txn).await?.map(ApActor::from_member)
        }
    }
    .transpose()?
    .ok_or_else(|| AppError::internal(anyhow::anyhow!("an upserted actor vanished")))?;
    if actor.local {
        return Err(refuse("a remote document claims a local actor"));
    }
    match &actor.source {
        ActorSource::Member(m) => crate::domain::search::index_member(&txn, m).await?,
        ActorSource::Group(g) => crate::domain::search::index_group(&txn, g).await?,
        _ => {}
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
    let now = Utc::now();
    match actor.kind {
        ActorKind::Member => {
            member::Entity::update_many()
                .col_expr(member::Column::VerifiedAt, Expr::value(now))
                .filter(member::Column::Id.eq(actor.row_id))
                .filter(member::Column::VerifiedAt.is_null())
                .exec(&state.db)
                .await?;
        }
        ActorKind::Group => {
            group::Entity::update_many()
                .col_expr(group::Column::VerifiedAt, Expr::value(now))
                .filter(group::Column::Id.eq(actor.row_id))
                .filter(group::Column::VerifiedAt.is_null())
                .exec(&state.db)
                .await?;
        }
        ActorKind::Instance => {}
    }
    Ok(())
}

/// A remote actor is gone: its follows (both ways) and its row go too.
pub async fn forget_remote(state: &AppState, kind: ActorKind, id: Uuid) -> AppResult<()> {
    let txn = db::begin_write(&state.db).await?;
    let is_local = match kind {
        ActorKind::Member => member::Entity::find_by_id(id).one(&txn).await?.is_some_and(|m| m.local),
        ActorKind::Group => group::Entity::find_by_id(id).one(&txn).await?.is_some_and(|g| g.local),
        ActorKind::Instance => true,
    };
    if is_local {
        return Err(AppError::forbidden("local actors cannot be deleted from the wire"));
    }
    follows::delete_all_of(&txn, kind, id).await?;
    match kind {
        ActorKind::Member => {
            // Their seats go back (and the waitlists move up) before their registrations go
            // with the row.
            crate::domain::events::registrations::withdraw_all(&txn, id).await?;
            member::Entity::delete_by_id(id).exec(&txn).await?;
            crate::domain::search::remove(&txn, crate::domain::search::Kind::Member, id).await?;
        }
        ActorKind::Group => {
            group::Entity::delete_by_id(id).exec(&txn).await?;
            crate::domain::search::remove(&txn, crate::domain::search::Kind::Group, id).await?;
        }
        ActorKind::Instance => {}
    }
    txn.commit().await?;
    Ok(())
}
