use sea_orm::entity::prelude::*;

/// A group hosting an event: its own group first (position 0), then co-hosts. The confirmed
/// rows are the event's hosts (what visibility, the hosts' rights and the `hosts` list read).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_host")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub event_id: Uuid,
    pub group_id: Uuid,
    pub position: i32,
    /// A co-host on another server is confirmed once its group accepts the `Offer`.
    pub confirmed: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// Its group: an event's hosts load with their groups in one statement.
    #[sea_orm(belongs_to = "super::group::Entity", from = "Column::GroupId", to = "super::group::Column::Id")]
    Group,
}

impl Related<super::group::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Group.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
