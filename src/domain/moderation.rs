//! Instance-level moderation: the domain block list.
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use crate::db::enums::DeliveryState;
use crate::db::{self, delivery, domain_block};
use crate::domain::validate;
use crate::domain::viewer::Viewer;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// `host` or `host:port`, lowercase, as blocks are matched.
fn normalize_domain(input: &str) -> AppResult<String> {
    let d = input.trim().trim_end_matches('.').to_lowercase();
    let d = d.strip_prefix("https://").or_else(|| d.strip_prefix("http://")).unwrap_or(&d).trim_end_matches('/');
    let parsed = url::Url::parse(&format!("http://{d}/")).ok();
    match parsed {
        Some(u) if u.host_str().is_some() && u.path() == "/" && !d.contains('@') && !d.is_empty() => {
            Ok(crate::ap::authority(&u))
        }
        _ => Err(AppError::bad_input("domain", "domain must be a host name such as social.example")),
    }
}

/// Blocks a server: its activities are refused, nothing more is delivered to it.
pub async fn block(
    state: &AppState,
    viewer: &Viewer,
    domain: &str,
    reason: Option<&str>,
) -> AppResult<domain_block::Model> {
    viewer.admin()?;
    let domain = normalize_domain(domain)?;
    if domain == state.config.domain.to_lowercase() {
        return Err(AppError::bad_input("domain", "an instance cannot block itself"));
    }
    let reason = validate::text("reason", reason, 500)?;
    let txn = db::begin_write(&state.db).await?;
    if let Some(existing) = domain_block::Entity::find_by_id(domain.clone()).one(&txn).await? {
        return Ok(existing);
    }
    let row =
        domain_block::ActiveModel { domain: Set(domain.clone()), reason: Set(reason), created_at: Set(Utc::now()) }
            .insert(&txn)
            .await?;
    delivery::Entity::update_many()
        .col_expr(delivery::Column::State, sea_orm::sea_query::Expr::value(DeliveryState::Skipped))
        .col_expr(delivery::Column::LastError, sea_orm::sea_query::Expr::value("domain blocked"))
        .filter(delivery::Column::State.eq(DeliveryState::Pending))
        .filter(delivery::Column::Domain.eq(domain))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(row)
}

pub async fn unblock(state: &AppState, viewer: &Viewer, domain: &str) -> AppResult<bool> {
    viewer.admin()?;
    let domain = normalize_domain(domain)?;
    Ok(domain_block::Entity::delete_by_id(domain).exec(&state.db).await?.rows_affected > 0)
}

pub async fn list(state: &AppState, viewer: &Viewer) -> AppResult<Vec<domain_block::Model>> {
    viewer.admin()?;
    Ok(domain_block::Entity::find().order_by_asc(domain_block::Column::Domain).all(&state.db).await?)
}

/// Whether a URL is on a blocked domain (see [`crate::ap::block_candidates`]): the one check
/// behind the inbox, every fetch and every delivery.
pub async fn is_blocked(db: &sea_orm::DatabaseConnection, url: &url::Url) -> Result<bool, sea_orm::DbErr> {
    Ok(Blocks::load(db, [url]).await?.covers(url))
}

/// The block-list entries that bear on a set of URLs, read in one query: a round of
/// deliveries asks once for all its inboxes.
pub struct Blocks(std::collections::HashSet<String>);

impl Blocks {
    pub async fn load<'a, C: sea_orm::ConnectionTrait>(
        db: &C,
        urls: impl IntoIterator<Item = &'a url::Url>,
    ) -> Result<Blocks, sea_orm::DbErr> {
        let candidates: std::collections::BTreeSet<String> =
            urls.into_iter().flat_map(crate::ap::block_candidates).collect();
        if candidates.is_empty() {
            return Ok(Blocks(Default::default()));
        }
        let query = domain_block::Entity::find().select_only().column(domain_block::Column::Domain);
        // Many hosts (a fan-out to every follower's server): the whole list, which moderators
        // keep, is one read instead of many.
        let query =
            if candidates.len() > 500 { query } else { query.filter(domain_block::Column::Domain.is_in(candidates)) };
        let found = query.into_tuple::<String>().all(db).await?.into_iter().collect();
        Ok(Blocks(found))
    }

    /// Whether `url` is blocked by one of the loaded entries (it must be among the loaded URLs).
    pub fn covers(&self, url: &url::Url) -> bool {
        !self.0.is_empty() && crate::ap::block_candidates(url).iter().any(|c| self.0.contains(c))
    }
}
