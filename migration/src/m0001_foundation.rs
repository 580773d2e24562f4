//! Members, groups, memberships, authentication tables. Every row that federates carries
//! `ap_id` (unique), `local`, `last_refreshed_at` and the actor key columns from the start.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Member {
    Table,
    Id,
    Handle,
    Username,
    Domain,
    Email,
    PasswordHash,
    DisplayName,
    Bio,
    BioHtml,
    Sector,
    Organization,
    Country,
    Pronouns,
    Interests,
    Links,
    IsAdmin,
    Status,
    Local,
    ApId,
    Url,
    InboxUrl,
    SharedInboxUrl,
    OutboxUrl,
    FollowersUrl,
    PublicKeyPem,
    PrivateKeyPem,
    AvatarUrl,
    ManuallyApprovesFollowers,
    Discoverable,
    CreatedAt,
    UpdatedAt,
    LastRefreshedAt,
}

#[derive(DeriveIden)]
enum Groups {
    Table,
    Id,
    Handle,
    Slug,
    Domain,
    Name,
    Summary,
    SummaryHtml,
    JoinMode,
    Local,
    ApId,
    Url,
    InboxUrl,
    SharedInboxUrl,
    OutboxUrl,
    FollowersUrl,
    PublicKeyPem,
    PrivateKeyPem,
    AvatarUrl,
    ManuallyApprovesFollowers,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    LastRefreshedAt,
}

#[derive(DeriveIden)]
enum Membership {
    Table,
    Id,
    GroupId,
    MemberId,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RefreshToken {
    Table,
    Id,
    MemberId,
    FamilyId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Invite {
    Table,
    Id,
    CodeHash,
    CreatedBy,
    UsedBy,
    UsedAt,
    ExpiresAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LoginFailure {
    Table,
    Id,
    AccountKey,
    Ip,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Member::Table)
                    .col(uuid(Member::Id).primary_key())
                    .col(string_uniq(Member::Handle))
                    .col(string(Member::Username))
                    .col(string_null(Member::Domain))
                    .col(string_null(Member::Email).unique_key())
                    .col(string_null(Member::PasswordHash))
                    .col(string_null(Member::DisplayName))
                    .col(text_null(Member::Bio))
                    .col(text_null(Member::BioHtml))
                    .col(string_null(Member::Sector))
                    .col(string_null(Member::Organization))
                    .col(string_null(Member::Country))
                    .col(string_null(Member::Pronouns))
                    .col(json(Member::Interests))
                    .col(json(Member::Links))
                    .col(boolean(Member::IsAdmin).default(false))
                    .col(string(Member::Status))
                    .col(boolean(Member::Local))
                    .col(string_uniq(Member::ApId))
                    .col(string_null(Member::Url))
                    .col(string_null(Member::InboxUrl))
                    .col(string_null(Member::SharedInboxUrl))
                    .col(string_null(Member::OutboxUrl))
                    .col(string_null(Member::FollowersUrl))
                    .col(text_null(Member::PublicKeyPem))
                    .col(text_null(Member::PrivateKeyPem))
                    .col(string_null(Member::AvatarUrl))
                    .col(boolean(Member::ManuallyApprovesFollowers).default(false))
                    .col(boolean(Member::Discoverable).default(true))
                    .col(timestamp_with_time_zone(Member::CreatedAt))
                    .col(timestamp_with_time_zone(Member::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Member::LastRefreshedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Groups::Table)
                    .col(uuid(Groups::Id).primary_key())
                    .col(string_uniq(Groups::Handle))
                    .col(string(Groups::Slug))
                    .col(string_null(Groups::Domain))
                    .col(string(Groups::Name))
                    .col(text_null(Groups::Summary))
                    .col(text_null(Groups::SummaryHtml))
                    .col(string(Groups::JoinMode))
                    .col(boolean(Groups::Local))
                    .col(string_uniq(Groups::ApId))
                    .col(string_null(Groups::Url))
                    .col(string_null(Groups::InboxUrl))
                    .col(string_null(Groups::SharedInboxUrl))
                    .col(string_null(Groups::OutboxUrl))
                    .col(string_null(Groups::FollowersUrl))
                    .col(text_null(Groups::PublicKeyPem))
                    .col(text_null(Groups::PrivateKeyPem))
                    .col(string_null(Groups::AvatarUrl))
                    .col(boolean(Groups::ManuallyApprovesFollowers).default(false))
                    .col(uuid_null(Groups::CreatedBy))
                    .col(timestamp_with_time_zone(Groups::CreatedAt))
                    .col(timestamp_with_time_zone(Groups::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Groups::LastRefreshedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Groups::Table, Groups::CreatedBy)
                            .to(Member::Table, Member::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Membership::Table)
                    .col(uuid(Membership::Id).primary_key())
                    .col(uuid(Membership::GroupId))
                    .col(uuid(Membership::MemberId))
                    .col(string(Membership::Role))
                    .col(timestamp_with_time_zone(Membership::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Membership::Table, Membership::GroupId)
                            .to(Groups::Table, Groups::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Membership::Table, Membership::MemberId)
                            .to(Member::Table, Member::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_membership_group_member")
                    .table(Membership::Table)
                    .col(Membership::GroupId)
                    .col(Membership::MemberId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_membership_member")
                    .table(Membership::Table)
                    .col(Membership::MemberId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RefreshToken::Table)
                    .col(uuid(RefreshToken::Id).primary_key())
                    .col(uuid(RefreshToken::MemberId))
                    .col(uuid(RefreshToken::FamilyId))
                    .col(string_uniq(RefreshToken::TokenHash))
                    .col(timestamp_with_time_zone(RefreshToken::CreatedAt))
                    .col(timestamp_with_time_zone(RefreshToken::ExpiresAt))
                    .col(timestamp_with_time_zone_null(RefreshToken::UsedAt))
                    .col(timestamp_with_time_zone_null(RefreshToken::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RefreshToken::Table, RefreshToken::MemberId)
                            .to(Member::Table, Member::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_refresh_token_family")
                    .table(RefreshToken::Table)
                    .col(RefreshToken::FamilyId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Invite::Table)
                    .col(uuid(Invite::Id).primary_key())
                    .col(string_uniq(Invite::CodeHash))
                    .col(uuid_null(Invite::CreatedBy))
                    .col(uuid_null(Invite::UsedBy))
                    .col(timestamp_with_time_zone_null(Invite::UsedAt))
                    .col(timestamp_with_time_zone_null(Invite::ExpiresAt))
                    .col(timestamp_with_time_zone(Invite::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Invite::Table, Invite::CreatedBy)
                            .to(Member::Table, Member::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Invite::Table, Invite::UsedBy)
                            .to(Member::Table, Member::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LoginFailure::Table)
                    .col(uuid(LoginFailure::Id).primary_key())
                    .col(string(LoginFailure::AccountKey))
                    .col(string(LoginFailure::Ip))
                    .col(timestamp_with_time_zone(LoginFailure::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_login_failure_account")
                    .table(LoginFailure::Table)
                    .col(LoginFailure::AccountKey)
                    .col(LoginFailure::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_login_failure_ip")
                    .table(LoginFailure::Table)
                    .col(LoginFailure::Ip)
                    .col(LoginFailure::CreatedAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
