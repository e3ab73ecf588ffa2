//! App watch (`fediguard_app_watch`): reads Mastodon's answers to app
//! registrations and client_credentials grants as they pass, records the
//! app in the stats zone's ring, logs it, and puts a granted token's
//! verdict into the token zone. The answers' formats are
//! `fediguard_core::watch`.

pub mod conf;

pub mod record;
