use sea_orm::entity::prelude::*;

/// A next action a harvest records: who, by when, and where it stands.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "harvest_action")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub harvest_id: Uuid,
    pub title: String,
    pub owner_id: Option<Uuid>,
    pub due_at: Option<DateTimeUtc>,
    pub status: super::enums::ActionStatus,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
