#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Integration tests: each starts the real server on a random port with a fresh database and
//! speaks HTTP to it. SQLite always; PostgreSQL too when `WEAVE_TEST_DATABASE_URL` or
//! `DATABASE_URL` points at one (a new database per test, dropped afterwards).
mod actor_table;
mod auth;
mod client_app;
mod content_keys;
mod delivery;
mod event_federation;
mod events;
mod federation;
mod fixtures;
mod graphql_http;
mod groups;
mod helpers;
mod inbox;
mod layering;
mod learning;
mod learning_federation;
mod library;
mod library_federation;
mod mail;
mod media;
mod members;
mod metrics;
mod ops;
mod pages;
mod peer;
mod remote_trust;
mod reports;
mod retraction_trust;
mod rules;
mod schema;
mod transport_trust;
mod typed_inbox;
mod visibility;
mod web_trust;
