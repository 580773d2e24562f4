use sea_orm::entity::prelude::*;

use super::enums::ThreadKind;

/// A discussion in a group. Its opening text is its first post.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "thread")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub ap_id: String,
    pub local: bool,
    pub group_id: Uuid,
    pub author_id: Option<Uuid>,
    pub title: String,
    pub kind: ThreadKind,
    pub event_id: Option<Uuid>,
    pub resource_id: Option<Uuid>,
    /// Refuses replies.
    pub locked: bool,
    /// Listed first in its group.
    pub pinned: bool,
    /// Hidden by a moderator: seen by the group's moderators only.
    pub hidden: bool,
    /// Posts in the thread, the opening one included (deleted ones keep their place).
    pub post_count: i32,
    pub last_post_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
