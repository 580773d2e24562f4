use sea_orm::entity::prelude::*;

/// A reflection is evidence for a learning question.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reflection_question")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub reflection_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub question_id: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
