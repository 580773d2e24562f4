//! Database migrations for Weave. One file per migration; they run automatically at start-up.
pub use sea_orm_migration::prelude::*;

pub mod data_version;

mod m0001_foundation;
mod m0002_federation;
mod m0003_inbound_handled;
mod m0004_group_public_followers;
mod m0005_actor_verified;
mod m0006_events;
mod m0007_indexes;
mod m0008_library;
mod m0009_search;
mod m0010_registration_via;
mod m0011_thread_listing;
mod m0012_event_remote_updated;
mod m0013_event_tag;
mod m0014_event_host_ids;
mod m0015_foreign_keys;
mod m0016_content_foreign_keys;
mod m0017_resource_tag;
mod m0018_actor;
mod m0019_learning;
mod m0020_password_reset;
mod m0021_group_invitation;
mod m0022_media;
mod m0023_notification_invitation;
mod m0024_instance_profile;
mod m0025_reports;
mod m0026_mail;
mod m0027_search_kinds;
mod m0028_data_version;
mod tag_rows;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_foundation::Migration),
            Box::new(m0002_federation::Migration),
            Box::new(m0003_inbound_handled::Migration),
            Box::new(m0004_group_public_followers::Migration),
            Box::new(m0005_actor_verified::Migration),
            Box::new(m0006_events::Migration),
            Box::new(m0007_indexes::Migration),
            Box::new(m0008_library::Migration),
            Box::new(m0009_search::Migration),
            Box::new(m0010_registration_via::Migration),
            Box::new(m0011_thread_listing::Migration),
            Box::new(m0012_event_remote_updated::Migration),
            Box::new(m0013_event_tag::Migration),
            Box::new(m0014_event_host_ids::Migration),
            Box::new(m0015_foreign_keys::Migration),
            Box::new(m0016_content_foreign_keys::Migration),
            Box::new(m0017_resource_tag::Migration),
            Box::new(m0018_actor::Migration),
            Box::new(m0019_learning::Migration),
            Box::new(m0020_password_reset::Migration),
            Box::new(m0021_group_invitation::Migration),
            Box::new(m0022_media::Migration),
            Box::new(m0023_notification_invitation::Migration),
            Box::new(m0024_instance_profile::Migration),
            Box::new(m0025_reports::Migration),
            Box::new(m0026_mail::Migration),
            Box::new(m0027_search_kinds::Migration),
            Box::new(m0028_data_version::Migration),
        ]
    }
}
