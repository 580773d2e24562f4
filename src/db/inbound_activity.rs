use sea_orm::entity::prelude::*;

/// Ids of activities received, so each is handled once however often it is delivered.
/// A row with `handled_at` NULL is a claim by a request in progress; an old one is stale.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inbound_activity")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub ap_id: String,
    pub actor_ap_id: String,
    pub kind: String,
    pub received_at: DateTimeUtc,
    /// Set once handled (or deliberately ignored); NULL while a request holds the claim.
    pub handled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
