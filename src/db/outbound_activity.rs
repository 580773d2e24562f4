use sea_orm::entity::prelude::*;

/// An activity we publish, written in the same transaction as the change it announces.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbound_activity")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub ap_id: String,
    /// Whose key signs it (`actor.id`).
    pub actor_id: Uuid,
    pub kind: String,
    /// The JSON-LD document, `@context` included.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// Listed in the actor's outbox collection.
    pub public: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
