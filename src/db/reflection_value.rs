use sea_orm::entity::prelude::*;

/// A kind of value a reflection describes.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reflection_value")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub reflection_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub value: super::enums::ValueKind,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
