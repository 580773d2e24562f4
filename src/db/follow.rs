use sea_orm::entity::prelude::*;

/// A follow between two actors, either of which may be local or remote, a member or a group.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "follow")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The id of the Follow activity (ours or the remote's).
    #[sea_orm(unique)]
    pub ap_id: String,
    /// The actor who follows (`actor.id`).
    pub follower_id: Uuid,
    /// The actor followed (`actor.id`).
    pub target_id: Uuid,
    /// PENDING or ACCEPTED (rejected follows are deleted).
    pub state: super::enums::FollowState,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
