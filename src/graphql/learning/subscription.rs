//! `notifications`.
use async_graphql::Context;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::types::Notification;
use crate::db::notification;
use crate::graphql::types::Result;
use crate::graphql::ContextExt as _;

#[derive(Default)]
pub struct LearningSubscription;

#[async_graphql::Subscription]
impl LearningSubscription {
    /// The viewer's new notifications as they are made (on PostgreSQL, by any replica).
    async fn notifications(&self, ctx: &Context<'_>) -> Result<impl futures_util::Stream<Item = Notification> + use<>> {
        use tokio::sync::broadcast::error::RecvError;
        let state = ctx.data_unchecked::<crate::state::State>().clone();
        let me = ctx.viewer().active_member()?.id;
        let rx = state.bus.subscribe();
        // What is newer than this was not seen yet.
        let seen = uuid::Uuid::now_v7();
        let pending: std::collections::VecDeque<notification::Model> = Default::default();
        Ok(futures_util::stream::unfold(
            (rx, state, seen, pending),
            move |(mut rx, state, mut seen, mut pending)| async move {
                loop {
                    if let Some(n) = pending.pop_front() {
                        return Some((Notification(n), (rx, state, seen, pending)));
                    }
                    match rx.recv().await {
                        Ok(crate::bus::Change::Notified { member }) if member == me => {}
                        Ok(_) | Err(RecvError::Lagged(_)) => continue,
                        Err(RecvError::Closed) => return None,
                    }
                    let Ok(new) = notification::Entity::find()
                        .filter(notification::Column::MemberId.eq(me))
                        .filter(notification::Column::Id.gt(seen))
                        .order_by_asc(notification::Column::Id)
                        .all(&state.db)
                        .await
                    else {
                        return None;
                    };
                    if let Some(last) = new.last() {
                        seen = last.id;
                    }
                    pending.extend(new);
                }
            },
        ))
    }
}
