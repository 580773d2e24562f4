//! Which mails a member gets: `notificationSettings` and `updateNotificationSettings`. What
//! each kind is, and the queue, are `domain::mail`'s.
use async_graphql::{Context, InputObject, Object, SimpleObject};

use super::types::Result;
use super::ContextExt as _;
use crate::db::member;
use crate::domain::mail::{self, MailKind};

/// The mails the signed-in member gets (all on until turned off). Mail is sent only when the
/// instance has an SMTP server; every mail also has a one-click unsubscribe link for its kind.
#[derive(SimpleObject)]
pub struct NotificationSettings {
    /// A registration taken: going (with the event's calendar file), waitlisted or requested.
    pub registration: bool,
    /// A seat came free and they moved up from the waitlist.
    pub waitlist_promotion: bool,
    /// The hosts granted or declined a request for a held seat.
    pub held_seat: bool,
    /// A reminder a day before an event they registered for (with the online link when going).
    pub reminder: bool,
    /// An event they registered for was cancelled or has a new date.
    pub event_change: bool,
    /// An event they went to ended: a prompt to reflect.
    pub reflection_prompt: bool,
}

impl NotificationSettings {
    fn of(m: &member::Model) -> Self {
        let on = |k| !mail::is_off(m, k);
        NotificationSettings {
            registration: on(MailKind::Registration),
            waitlist_promotion: on(MailKind::WaitlistPromotion),
            held_seat: on(MailKind::HeldSeat),
            reminder: on(MailKind::Reminder),
            event_change: on(MailKind::EventChange),
            reflection_prompt: on(MailKind::ReflectionPrompt),
        }
    }
}

/// Kinds of mail to turn on (true) or off (false); those left out stay as they are.
#[derive(InputObject)]
pub struct NotificationSettingsInput {
    /// Registration confirmations.
    pub registration: Option<bool>,
    /// Moving up from a waitlist.
    pub waitlist_promotion: Option<bool>,
    /// Answers to held-seat requests.
    pub held_seat: Option<bool>,
    /// Reminders a day before.
    pub reminder: Option<bool>,
    /// Cancellations and new dates.
    pub event_change: Option<bool>,
    /// Prompts to reflect after an event.
    pub reflection_prompt: Option<bool>,
}

#[derive(Default)]
pub struct MailQuery;

#[Object]
impl MailQuery {
    /// The signed-in member's mail settings.
    async fn notification_settings(&self, ctx: &Context<'_>) -> Result<NotificationSettings> {
        Ok(NotificationSettings::of(ctx.viewer().member()?))
    }
}

#[derive(Default)]
pub struct MailMutation;

#[Object]
impl MailMutation {
    /// Turns kinds of mail on or off for the signed-in member; answers the settings now.
    async fn update_notification_settings(
        &self,
        ctx: &Context<'_>,
        input: NotificationSettingsInput,
    ) -> Result<NotificationSettings> {
        let changes: Vec<(MailKind, bool)> = [
            (MailKind::Registration, input.registration),
            (MailKind::WaitlistPromotion, input.waitlist_promotion),
            (MailKind::HeldSeat, input.held_seat),
            (MailKind::Reminder, input.reminder),
            (MailKind::EventChange, input.event_change),
            (MailKind::ReflectionPrompt, input.reflection_prompt),
        ]
        .into_iter()
        .filter_map(|(k, on)| on.map(|on| (k, on)))
        .collect();
        let saved = mail::set(ctx.state(), ctx.viewer(), &changes).await?;
        Ok(NotificationSettings::of(&saved))
    }
}
