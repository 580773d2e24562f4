//! The typed values of status, role, state and kind columns. They are stored as their names;
//! a value the code does not know is a read error, never a silent default.
use sea_orm::entity::prelude::*;

/// A member account's state. `Deleted` is final: a tombstone never becomes anything else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum MemberStatus {
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    /// Awaiting an admin's approval (registration mode `approval`).
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "SUSPENDED")]
    Suspended,
    /// The row stays as a tombstone (and keeps its keys to sign its Delete).
    #[sea_orm(string_value = "DELETED")]
    Deleted,
}

/// Membership roles, lowest first, so that `Role::Admin <= role` reads as "at least admin".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum Role {
    /// Asked to join a group that approves its members.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "MEMBER")]
    Member,
    #[sea_orm(string_value = "MODERATOR")]
    Moderator,
    #[sea_orm(string_value = "ADMIN")]
    Admin,
    #[sea_orm(string_value = "OWNER")]
    Owner,
}

/// How a group takes new members.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum JoinMode {
    #[sea_orm(string_value = "OPEN")]
    Open,
    /// Joining needs a moderator's approval.
    #[sea_orm(string_value = "APPROVAL")]
    Approval,
}

/// A follow waits for the target's answer, or is accepted (rejected follows are deleted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum FollowState {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "ACCEPTED")]
    Accepted,
}

/// One delivery's progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum DeliveryState {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "DONE")]
    Done,
    /// Gave up after the retries.
    #[sea_orm(string_value = "FAILED")]
    Failed,
    /// Blocked or refused by policy.
    #[sea_orm(string_value = "SKIPPED")]
    Skipped,
}

/// Which table an actor lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ActorKind {
    #[sea_orm(string_value = "member")]
    Member,
    #[sea_orm(string_value = "group")]
    Group,
    /// The instance actor (`/actor`), which signs fetches.
    #[sea_orm(string_value = "instance")]
    Instance,
}
