use sea_orm::entity::prelude::*;

/// A reflection gathered into a harvest, under a theme.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "harvest_item")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub harvest_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub reflection_id: Uuid,
    pub theme: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
