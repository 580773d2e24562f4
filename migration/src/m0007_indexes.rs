//! Indexes for the queries that scan without them: pruning (login failures, received
//! activities, finished deliveries, expired refresh tokens), sign-in cleanup per member, the
//! member directory by status, and delivery health per server.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LoginFailure {
    Table,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RefreshToken {
    Table,
    MemberId,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Member {
    Table,
    Status,
}

#[derive(DeriveIden)]
enum InboundActivity {
    Table,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum Delivery {
    Table,
    UpdatedAt,
    Domain,
    State,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let indexes = [
            Index::create()
                .name("ix_login_failure_created")
                .table(LoginFailure::Table)
                .col(LoginFailure::CreatedAt)
                .to_owned(),
            Index::create()
                .name("ix_refresh_token_member")
                .table(RefreshToken::Table)
                .col(RefreshToken::MemberId)
                .to_owned(),
            Index::create()
                .name("ix_refresh_token_expires")
                .table(RefreshToken::Table)
                .col(RefreshToken::ExpiresAt)
                .to_owned(),
            Index::create().name("ix_member_status").table(Member::Table).col(Member::Status).to_owned(),
            Index::create()
                .name("ix_inbound_activity_received")
                .table(InboundActivity::Table)
                .col(InboundActivity::ReceivedAt)
                .to_owned(),
            Index::create().name("ix_delivery_updated").table(Delivery::Table).col(Delivery::UpdatedAt).to_owned(),
            Index::create()
                .name("ix_delivery_domain_state")
                .table(Delivery::Table)
                .col(Delivery::Domain)
                .col(Delivery::State)
                .to_owned(),
        ];
        for index in indexes {
            manager.create_index(index).await?;
        }
        Ok(())
    }
}
