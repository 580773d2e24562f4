//! Invitations to join a group: made by its moderators for a member here, answered by the
//! member. One row per group and member (inviting again after a decline reopens it); both go
//! with the group or the member, the inviter is cleared.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn col(name: &str) -> Alias {
    Alias::new(name)
}

fn fk(column: &str, parent: &str, action: ForeignKeyAction) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_group_invitation_{column}"))
        .from(col("group_invitation"), col(column))
        .to(col(parent), col("id"))
        .on_delete(action)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(col("group_invitation"))
                    .col(uuid(col("id")).primary_key())
                    .col(uuid(col("group_id")))
                    .col(uuid(col("member_id")))
                    .col(uuid_null(col("invited_by")))
                    .col(string(col("status")))
                    .col(timestamp_with_time_zone(col("created_at")))
                    .col(timestamp_with_time_zone_null(col("answered_at")))
                    .foreign_key(&mut fk("group_id", "groups", ForeignKeyAction::Cascade))
                    .foreign_key(&mut fk("member_id", "member", ForeignKeyAction::Cascade))
                    .foreign_key(&mut fk("invited_by", "member", ForeignKeyAction::SetNull))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_group_invitation_group_member")
                    .table(col("group_invitation"))
                    .col(col("group_id"))
                    .col(col("member_id"))
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_group_invitation_member")
                    .table(col("group_invitation"))
                    .col(col("member_id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(col("group_invitation")).to_owned()).await
    }
}
