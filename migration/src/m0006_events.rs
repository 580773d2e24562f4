//! Events with registration. Local and remote events share the table (`ap_id`, `local`); the
//! seat counters live on the event row so that a conditional `UPDATE` enforces the seat
//! invariant on every engine. Sessions, agenda, FAQ and facilitators are ordered lists owned by
//! their event and stored with it (JSON); hosts are rows, so a co-host's events can be listed.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Event {
    Table,
    Id,
    ApId,
    Local,
    Url,
    GroupId,
    HostIds,
    OrganizerId,
    Title,
    Summary,
    Description,
    DescriptionHtml,
    Timezone,
    StartsAt,
    EndsAt,
    Sessions,
    LocationMode,
    Venue,
    Address,
    City,
    Country,
    OnlineUrl,
    Capacity,
    HeldSeats,
    SeatsTaken,
    WaitlistEnabled,
    WaitlistCount,
    RequestCount,
    RegistrationClosesAt,
    RefundPolicy,
    ContactEmail,
    ExternalRegistrationUrl,
    PriceAmount,
    PriceCurrency,
    PaymentUrl,
    Agenda,
    Faq,
    Facilitators,
    Tags,
    TagList,
    Visibility,
    Status,
    CancelReason,
    Sequence,
    CreatedAt,
    UpdatedAt,
    LastRefreshedAt,
}

#[derive(DeriveIden)]
enum EventHost {
    Table,
    Id,
    EventId,
    GroupId,
    Position,
}

#[derive(DeriveIden)]
enum Registration {
    Table,
    Id,
    EventId,
    MemberId,
    Status,
    WaitlistSeq,
    Message,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Member {
    Table,
    CalendarToken,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Event::Table)
                    .col(uuid(Event::Id).primary_key())
                    .col(string_uniq(Event::ApId))
                    .col(boolean(Event::Local))
                    .col(text_null(Event::Url))
                    .col(uuid(Event::GroupId))
                    .col(json(Event::HostIds))
                    .col(uuid_null(Event::OrganizerId))
                    .col(text(Event::Title))
                    .col(text_null(Event::Summary))
                    .col(text_null(Event::Description))
                    .col(text_null(Event::DescriptionHtml))
                    .col(string(Event::Timezone))
                    .col(timestamp_with_time_zone(Event::StartsAt))
                    .col(timestamp_with_time_zone(Event::EndsAt))
                    .col(json(Event::Sessions))
                    .col(string(Event::LocationMode))
                    .col(text_null(Event::Venue))
                    .col(text_null(Event::Address))
                    .col(text_null(Event::City))
                    .col(text_null(Event::Country))
                    .col(text_null(Event::OnlineUrl))
                    .col(integer_null(Event::Capacity))
                    .col(integer(Event::HeldSeats).default(0))
                    .col(integer(Event::SeatsTaken).default(0))
                    .col(boolean(Event::WaitlistEnabled).default(true))
                    .col(integer(Event::WaitlistCount).default(0))
                    .col(integer(Event::RequestCount).default(0))
                    .col(timestamp_with_time_zone_null(Event::RegistrationClosesAt))
                    .col(text_null(Event::RefundPolicy))
                    .col(text_null(Event::ContactEmail))
                    .col(text_null(Event::ExternalRegistrationUrl))
                    .col(string_null(Event::PriceAmount))
                    .col(string_null(Event::PriceCurrency))
                    .col(text_null(Event::PaymentUrl))
                    .col(json(Event::Agenda))
                    .col(json(Event::Faq))
                    .col(json(Event::Facilitators))
                    .col(json(Event::Tags))
                    .col(text(Event::TagList))
                    .col(string(Event::Visibility))
                    .col(string(Event::Status))
                    .col(text_null(Event::CancelReason))
                    .col(integer(Event::Sequence).default(0))
                    .col(timestamp_with_time_zone(Event::CreatedAt))
                    .col(timestamp_with_time_zone(Event::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Event::LastRefreshedAt))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("ix_event_starts", vec![Event::StartsAt, Event::Id]),
            ("ix_event_group_starts", vec![Event::GroupId, Event::StartsAt]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Event::Table);
            for c in cols {
                index.col(c);
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(EventHost::Table)
                    .col(uuid(EventHost::Id).primary_key())
                    .col(uuid(EventHost::EventId))
                    .col(uuid(EventHost::GroupId))
                    .col(integer(EventHost::Position))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_event_host")
                    .table(EventHost::Table)
                    .col(EventHost::EventId)
                    .col(EventHost::GroupId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ix_event_host_group").table(EventHost::Table).col(EventHost::GroupId).to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Registration::Table)
                    .col(uuid(Registration::Id).primary_key())
                    .col(uuid(Registration::EventId))
                    .col(uuid(Registration::MemberId))
                    .col(string(Registration::Status))
                    .col(big_integer_null(Registration::WaitlistSeq))
                    .col(text_null(Registration::Message))
                    .col(timestamp_with_time_zone(Registration::CreatedAt))
                    .col(timestamp_with_time_zone(Registration::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_registration_event_member")
                    .table(Registration::Table)
                    .col(Registration::EventId)
                    .col(Registration::MemberId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_registration_event_status")
                    .table(Registration::Table)
                    .col(Registration::EventId)
                    .col(Registration::Status)
                    .col(Registration::WaitlistSeq)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_registration_member")
                    .table(Registration::Table)
                    .col(Registration::MemberId)
                    .to_owned(),
            )
            .await?;

        manager
            .alter_table(Table::alter().table(Member::Table).add_column(string_null(Member::CalendarToken)).to_owned())
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_member_calendar_token")
                    .table(Member::Table)
                    .col(Member::CalendarToken)
                    .unique()
                    .to_owned(),
            )
            .await
    }
}
