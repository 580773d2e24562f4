//! What each mail says, composed when it is sent from what is true then: a mail whose news is
//! no longer true (a registration cancelled meanwhile, an event called off before its
//! reminder) is not sent. Plain text, with the event's calendar file where a seat is taken.
use crate::db::enums::{EventStatus, MailKind, RegistrationStatus};
use crate::db::{event, member, registration};
use crate::domain::events;
use crate::state::AppState;
use crate::web::ical;

/// A composed mail.
pub struct Letter {
    pub subject: String,
    pub text: String,
    /// The event as an iCalendar file (`invite.ics`), for a seat taken.
    pub calendar: Option<String>,
}

fn event_lines(state: &AppState, e: &event::Model, online: bool) -> String {
    let mut text = format!("{}\n{}\n", e.title, events::when(e).join("\n"));
    let place = events::place(e);
    if !place.is_empty() {
        text.push_str(&format!("{place}\n"));
    }
    if online {
        if let Some(link) = e.online_url.as_deref().and_then(crate::ap::web_url) {
            text.push_str(&format!("Join online: {link}\n"));
        }
    }
    text.push_str(&format!("\n{}\n", events::event_url(state, e.id)));
    text
}

fn calendar(state: &AppState, e: &event::Model) -> String {
    let entry = ical::Entry { event: e.clone(), url: events::event_url(state, e.id), show_online_url: true };
    ical::calendar(&e.title, &state.config.domain, &[entry])
}

fn greeting(m: &member::Model) -> String {
    format!("Hello {},\n\n", m.display_name.as_deref().unwrap_or(&m.username))
}

/// The password reset mail, carrying the link it was queued with.
pub fn password_reset(state: &AppState, m: &member::Model, link: &str) -> Letter {
    let text = format!(
        "{}Someone (we hope you) asked to reset the password of your account {} at {}.\n\nSet a new one here within 24 hours:\n{link}\n\nIf it was not you, ignore this mail: your password stays as it is.\n",
        greeting(m),
        m.username,
        state.config.instance_name
    );
    Letter { subject: format!("Reset your password at {}", state.config.instance_name), text, calendar: None }
}

/// The mail of `kind`, or `None` when there is nothing (any more) to tell.
pub fn compose(
    state: &AppState,
    kind: MailKind,
    m: &member::Model,
    e: Option<&event::Model>,
    r: Option<&registration::Model>,
) -> Option<Letter> {
    use RegistrationStatus as S;
    let e = e?;
    let status = r.map(|r| r.status);
    let live = matches!(status, Some(S::Going | S::Waitlisted | S::Requested));
    let going = status == Some(S::Going);
    let (subject, lead, with_calendar) = match kind {
        MailKind::Registration => match status? {
            S::Going => (format!("You're going: {}", e.title), "Your seat is booked.", true),
            S::Waitlisted => (
                format!("On the waitlist: {}", e.title),
                "You are on the waitlist; we will write when a seat is yours.",
                false,
            ),
            S::Requested => {
                (format!("Seat requested: {}", e.title), "Your request for a seat is with the hosts.", false)
            }
            S::Cancelled | S::Declined => return None,
        },
        MailKind::WaitlistPromotion if going => {
            (format!("A seat is yours: {}", e.title), "A seat came free and you moved up from the waitlist.", true)
        }
        MailKind::HeldSeat => match status? {
            S::Going => {
                (format!("Seat granted: {}", e.title), "The hosts granted your request: your seat is booked.", true)
            }
            S::Declined => {
                (format!("Seat request declined: {}", e.title), "The hosts could not give you a seat this time.", false)
            }
            _ => return None,
        },
        MailKind::Reminder if live && e.status == EventStatus::Published => {
            (format!("Tomorrow: {}", e.title), "A reminder: the event starts within a day.", false)
        }
        MailKind::EventChange if live && e.status == EventStatus::Cancelled => {
            (format!("Cancelled: {}", e.title), "The hosts cancelled this event.", false)
        }
        MailKind::EventChange if live => (format!("New date: {}", e.title), "The event has a new date.", true),
        MailKind::ReflectionPrompt => {
            (format!("How did it go? {}", e.title), "The event has ended: what did you learn? Add a reflection.", false)
        }
        _ => return None,
    };
    let mut text = greeting(m);
    text.push_str(lead);
    text.push_str("\n\n");
    if kind == MailKind::EventChange {
        if let Some(reason) = &e.cancel_reason {
            text.push_str(&format!("{reason}\n\n"));
        }
    }
    text.push_str(&event_lines(state, e, going && kind != MailKind::EventChange));
    let calendar = (with_calendar && going).then(|| calendar(state, e));
    Some(Letter { subject, text, calendar })
}
