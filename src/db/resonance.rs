use sea_orm::entity::prelude::*;

/// A member marked a reflection "resonates" (counts are shown, never names).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "resonance")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub reflection_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
