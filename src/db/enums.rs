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

/// An event's life: drafts are seen by hosts only; cancelled events stay listed, marked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum EventStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "PUBLISHED")]
    Published,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

/// Who sees an event: everyone, the host groups' members, or whoever has its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum Visibility {
    #[sea_orm(string_value = "PUBLIC")]
    Public,
    #[sea_orm(string_value = "MEMBERS")]
    Members,
    #[sea_orm(string_value = "UNLISTED")]
    Unlisted,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum LocationMode {
    #[sea_orm(string_value = "ONLINE")]
    Online,
    #[sea_orm(string_value = "IN_PERSON")]
    InPerson,
    #[sea_orm(string_value = "HYBRID")]
    Hybrid,
}

/// A registration's state. GOING holds a seat; WAITLISTED waits in `waitlist_seq` order;
/// REQUESTED asks the hosts for a held seat; CANCELLED and DECLINED hold nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum RegistrationStatus {
    #[sea_orm(string_value = "GOING")]
    Going,
    #[sea_orm(string_value = "WAITLISTED")]
    Waitlisted,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
    #[sea_orm(string_value = "REQUESTED")]
    Requested,
    #[sea_orm(string_value = "DECLINED")]
    Declined,
}

/// What a library entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ResourceKind {
    #[sea_orm(string_value = "LINK")]
    Link,
    #[sea_orm(string_value = "DOCUMENT")]
    Document,
    #[sea_orm(string_value = "TOOLKIT")]
    Toolkit,
    #[sea_orm(string_value = "TEMPLATE")]
    Template,
    #[sea_orm(string_value = "RECORDING")]
    Recording,
    #[sea_orm(string_value = "SLIDES")]
    Slides,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// What a thread is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ThreadKind {
    #[sea_orm(string_value = "DISCUSSION")]
    Discussion,
    #[sea_orm(string_value = "QUESTION")]
    Question,
    /// What someone learned: the community's learning record.
    #[sea_orm(string_value = "REFLECTION")]
    Reflection,
}

/// Where a learning question stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum QuestionStatus {
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "ANSWERED")]
    Answered,
    #[sea_orm(string_value = "RETIRED")]
    Retired,
}

/// What a reflection is: an after-action review (intended, happened, why, next time), an
/// observation, an insight or a story.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ReflectionKind {
    #[sea_orm(string_value = "AFTER_ACTION")]
    AfterAction,
    #[sea_orm(string_value = "OBSERVATION")]
    Observation,
    #[sea_orm(string_value = "INSIGHT")]
    Insight,
    #[sea_orm(string_value = "STORY")]
    Story,
}

/// Who sees a learning record: the group's members, also its partner groups' members, or
/// everyone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum RecordVisibility {
    #[sea_orm(string_value = "GROUP")]
    Group,
    #[sea_orm(string_value = "PARTNERS")]
    Partners,
    #[sea_orm(string_value = "PUBLIC")]
    Public,
}

/// The value-creation framework's kinds of value a reflection describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ValueKind {
    #[sea_orm(string_value = "IMMEDIATE")]
    Immediate,
    #[sea_orm(string_value = "POTENTIAL")]
    Potential,
    #[sea_orm(string_value = "APPLIED")]
    Applied,
    #[sea_orm(string_value = "REALISED")]
    Realised,
    #[sea_orm(string_value = "REFRAMING")]
    Reframing,
}

/// A harvest's next action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ActionStatus {
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "DONE")]
    Done,
    #[sea_orm(string_value = "DROPPED")]
    Dropped,
}

/// Why a member is notified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum NotificationKind {
    /// An event they went to or hosted has ended: how did it go?
    #[sea_orm(string_value = "REFLECTION_PROMPT")]
    ReflectionPrompt,
    /// A learning question they own is due for review.
    #[sea_orm(string_value = "REVIEW_DUE")]
    ReviewDue,
    /// A group's moderators invited them to join.
    #[sea_orm(string_value = "GROUP_INVITATION")]
    GroupInvitation,
    /// A report they made was resolved.
    #[sea_orm(string_value = "REPORT_RESOLVED")]
    ReportResolved,
    /// A report they handle (as an admin or the group's moderator) waits in the queue.
    #[sea_orm(string_value = "REPORT_FILED")]
    ReportFiled,
}

/// Where an invitation to a group stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum InvitationStatus {
    #[sea_orm(string_value = "INVITED")]
    Invited,
    #[sea_orm(string_value = "ACCEPTED")]
    Accepted,
    #[sea_orm(string_value = "DECLINED")]
    Declined,
}

/// What a report is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ReportSubject {
    #[sea_orm(string_value = "MEMBER")]
    Member,
    #[sea_orm(string_value = "POST")]
    Post,
    #[sea_orm(string_value = "THREAD")]
    Thread,
    #[sea_orm(string_value = "RESOURCE")]
    Resource,
    #[sea_orm(string_value = "EVENT")]
    Event,
    #[sea_orm(string_value = "REFLECTION")]
    Reflection,
}

/// Why something is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ReportReason {
    #[sea_orm(string_value = "SPAM")]
    Spam,
    #[sea_orm(string_value = "HARASSMENT")]
    Harassment,
    #[sea_orm(string_value = "ILLEGAL")]
    Illegal,
    #[sea_orm(string_value = "RULE_VIOLATION")]
    RuleViolation,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// Whether a report waits for a moderator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ReportStatus {
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "RESOLVED")]
    Resolved,
}

/// What a moderator did about a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ModerationAction {
    #[sea_orm(string_value = "DISMISS")]
    Dismiss,
    #[sea_orm(string_value = "HIDE")]
    Hide,
    #[sea_orm(string_value = "DELETE")]
    Delete,
    #[sea_orm(string_value = "LOCK_THREAD")]
    LockThread,
    #[sea_orm(string_value = "SUSPEND_MEMBER")]
    SuspendMember,
    #[sea_orm(string_value = "BLOCK_DOMAIN")]
    BlockDomain,
}

/// What a mail to a member tells of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum MailKind {
    /// Their registration: going (with the event's calendar file), waitlisted or requested.
    #[sea_orm(string_value = "REGISTRATION")]
    Registration,
    /// A seat came free and they moved up from the waitlist.
    #[sea_orm(string_value = "WAITLIST_PROMOTION")]
    WaitlistPromotion,
    /// The hosts granted or declined their request for a held seat.
    #[sea_orm(string_value = "HELD_SEAT")]
    HeldSeat,
    /// The event starts within a day.
    #[sea_orm(string_value = "REMINDER")]
    Reminder,
    /// The event was cancelled or has a new date.
    #[sea_orm(string_value = "EVENT_CHANGE")]
    EventChange,
    /// An event they went to ended: a prompt to reflect.
    #[sea_orm(string_value = "REFLECTION_PROMPT")]
    ReflectionPrompt,
    /// A password reset link they asked for (always sent; not a kind to turn off).
    #[sea_orm(string_value = "PASSWORD_RESET")]
    PasswordReset,
}

/// Where a queued mail stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum MailState {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "SENT")]
    Sent,
    /// Gave up after the retries.
    #[sea_orm(string_value = "FAILED")]
    Failed,
    /// Not sent: turned off by the member, or nothing left to tell (the event or address gone).
    #[sea_orm(string_value = "SKIPPED")]
    Skipped,
}
