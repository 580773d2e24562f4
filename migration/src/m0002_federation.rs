//! Federation: the instance actor, follows (both directions, local and remote in one table),
//! the inbound dedup log, the transactional outbox with per-inbox deliveries, instance health,
//! and the domain block list.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum InstanceActor {
    Table,
    Id,
    ApId,
    PublicKeyPem,
    PrivateKeyPem,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Follow {
    Table,
    Id,
    ApId,
    FollowerKind,
    FollowerId,
    TargetKind,
    TargetId,
    State,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum InboundActivity {
    Table,
    Id,
    ApId,
    ActorApId,
    Kind,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum OutboundActivity {
    Table,
    Id,
    ApId,
    ActorKind,
    ActorId,
    Kind,
    Payload,
    Public,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Delivery {
    Table,
    Id,
    ActivityId,
    InboxUrl,
    Domain,
    State,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastError,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RemoteInstance {
    Table,
    Domain,
    Failures,
    FirstFailureAt,
    DeadSince,
    LastSuccessAt,
}

#[derive(DeriveIden)]
enum DomainBlock {
    Table,
    Domain,
    Reason,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(InstanceActor::Table)
                    .col(integer(InstanceActor::Id).primary_key())
                    .col(string_uniq(InstanceActor::ApId))
                    .col(text(InstanceActor::PublicKeyPem))
                    .col(text(InstanceActor::PrivateKeyPem))
                    .col(timestamp_with_time_zone(InstanceActor::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Follow::Table)
                    .col(uuid(Follow::Id).primary_key())
                    .col(string_uniq(Follow::ApId))
                    .col(string(Follow::FollowerKind))
                    .col(uuid(Follow::FollowerId))
                    .col(string(Follow::TargetKind))
                    .col(uuid(Follow::TargetId))
                    .col(string(Follow::State))
                    .col(timestamp_with_time_zone(Follow::CreatedAt))
                    .col(timestamp_with_time_zone(Follow::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_follow_pair")
                    .table(Follow::Table)
                    .col(Follow::FollowerKind)
                    .col(Follow::FollowerId)
                    .col(Follow::TargetKind)
                    .col(Follow::TargetId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_follow_target")
                    .table(Follow::Table)
                    .col(Follow::TargetKind)
                    .col(Follow::TargetId)
                    .col(Follow::State)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(InboundActivity::Table)
                    .col(uuid(InboundActivity::Id).primary_key())
                    .col(string_uniq(InboundActivity::ApId))
                    .col(string(InboundActivity::ActorApId))
                    .col(string(InboundActivity::Kind))
                    .col(timestamp_with_time_zone(InboundActivity::ReceivedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OutboundActivity::Table)
                    .col(uuid(OutboundActivity::Id).primary_key())
                    .col(string_uniq(OutboundActivity::ApId))
                    .col(string(OutboundActivity::ActorKind))
                    .col(uuid(OutboundActivity::ActorId))
                    .col(string(OutboundActivity::Kind))
                    .col(text(OutboundActivity::Payload))
                    .col(boolean(OutboundActivity::Public))
                    .col(timestamp_with_time_zone(OutboundActivity::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_outbound_actor")
                    .table(OutboundActivity::Table)
                    .col(OutboundActivity::ActorKind)
                    .col(OutboundActivity::ActorId)
                    .col(OutboundActivity::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Delivery::Table)
                    .col(uuid(Delivery::Id).primary_key())
                    .col(uuid(Delivery::ActivityId))
                    .col(string(Delivery::InboxUrl))
                    .col(string(Delivery::Domain))
                    .col(string(Delivery::State))
                    .col(integer(Delivery::Attempts).default(0))
                    .col(timestamp_with_time_zone(Delivery::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(Delivery::LockedUntil))
                    .col(text_null(Delivery::LastError))
                    .col(timestamp_with_time_zone(Delivery::CreatedAt))
                    .col(timestamp_with_time_zone(Delivery::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Delivery::Table, Delivery::ActivityId)
                            .to(OutboundActivity::Table, OutboundActivity::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_delivery_activity_inbox")
                    .table(Delivery::Table)
                    .col(Delivery::ActivityId)
                    .col(Delivery::InboxUrl)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_delivery_due")
                    .table(Delivery::Table)
                    .col(Delivery::State)
                    .col(Delivery::NextAttemptAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RemoteInstance::Table)
                    .col(string(RemoteInstance::Domain).primary_key())
                    .col(integer(RemoteInstance::Failures).default(0))
                    .col(timestamp_with_time_zone_null(RemoteInstance::FirstFailureAt))
                    .col(timestamp_with_time_zone_null(RemoteInstance::DeadSince))
                    .col(timestamp_with_time_zone_null(RemoteInstance::LastSuccessAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DomainBlock::Table)
                    .col(string(DomainBlock::Domain).primary_key())
                    .col(text_null(DomainBlock::Reason))
                    .col(timestamp_with_time_zone(DomainBlock::CreatedAt))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
