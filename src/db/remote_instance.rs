use sea_orm::entity::prelude::*;

/// Delivery health per remote server: a server failing for long enough is marked dead and
/// skipped until it answers again (an inbound activity from it revives it).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "remote_instance")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub domain: String,
    pub failures: i32,
    pub first_failure_at: Option<DateTimeUtc>,
    pub dead_since: Option<DateTimeUtc>,
    pub last_success_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
