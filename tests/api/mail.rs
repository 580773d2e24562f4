//! Mail to members, end to end: a local SMTP sink receives what the server sends, and each mail
//! is parsed as a mail client would (mailparse; the calendar file with an iCalendar parser).
//! Registrations, waitlist promotions, reminders and cancellations are mailed once each, with a
//! one-click unsubscribe that works (RFC 8058); kinds turned off are not sent; without SMTP
//! nothing queues.
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};

use crate::helpers::{spawn_app, spawn_with, Account, TestApp};

/// A minimal SMTP server that keeps every message it is given (the raw text after DATA).
struct Sink {
    port: u16,
    messages: Arc<Mutex<Vec<String>>>,
}

impl Sink {
    async fn start() -> Sink {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let kept = messages.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read).lines();
                    let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                    while let Ok(Some(line)) = lines.next_line().await {
                        let verb = line.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
                        let answer: &[u8] = match verb.as_str() {
                            "EHLO" | "HELO" => b"250-sink\r\n250 8BITMIME\r\n",
                            "DATA" => {
                                let _ = write.write_all(b"354 go on\r\n").await;
                                let mut message = String::new();
                                while let Ok(Some(l)) = lines.next_line().await {
                                    if l == "." {
                                        break;
                                    }
                                    message.push_str(l.strip_prefix('.').unwrap_or(&l));
                                    message.push_str("\r\n");
                                }
                                kept.lock().unwrap().push(message);
                                b"250 kept\r\n"
                            }
                            "QUIT" => {
                                let _ = write.write_all(b"221 bye\r\n").await;
                                return;
                            }
                            _ => b"250 ok\r\n",
                        };
                        let _ = write.write_all(answer).await;
                    }
                });
            }
        });
        Sink { port, messages }
    }

    fn count(&self) -> usize {
        self.messages.lock().unwrap().len()
    }

    /// Waits (at most 20 s) until `n` messages have arrived; answers them all.
    async fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..200 {
            if self.count() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let all = self.messages.lock().unwrap().clone();
        assert!(all.len() >= n, "expected {n} mails, got {}", all.len());
        all
    }
}

/// A received mail, as a client reads it.
struct Mail {
    to: String,
    subject: String,
    text: String,
    unsubscribe: String,
    one_click: String,
    calendar: Option<String>,
}

fn read(raw: &str) -> Mail {
    let parsed = mailparse::parse_mail(raw.as_bytes()).expect("a well-formed mail");
    let header = |name: &str| {
        parsed
            .headers
            .iter()
            .find(|h| h.get_key().eq_ignore_ascii_case(name))
            .map(|h| h.get_value())
            .unwrap_or_default()
    };
    let mut text = String::new();
    let mut calendar = None;
    for part in std::iter::once(&parsed).chain(parsed.subparts.iter()) {
        match part.ctype.mimetype.as_str() {
            "text/plain" => text.push_str(&part.get_body().unwrap()),
            "text/calendar" => calendar = Some(part.get_body().unwrap()),
            _ => {}
        }
    }
    Mail {
        to: header("To"),
        subject: header("Subject"),
        text,
        unsubscribe: header("List-Unsubscribe"),
        one_click: header("List-Unsubscribe-Post"),
        calendar,
    }
}

async fn community(app: &TestApp) -> String {
    app.ok("{ group(handle: \"community\") { id } }", json!({}), None).await["group"]["id"].as_str().unwrap().into()
}

async fn create_event(app: &TestApp, host: &Account, group: &str) -> String {
    app.ok(
        "mutation($i: CreateEventInput!) { createEvent(input: $i) { id } }",
        json!({"i": {"groupId": group, "title": "Evaluation clinic", "timezone": "Europe/London", "capacity": 1,
            "waitlist": true, "visibility": "PUBLIC",
            "sessions": [{"startsAt": "2031-05-01T09:00:00Z", "endsAt": "2031-05-01T11:00:00Z"}],
            "location": {"mode": "ONLINE", "onlineUrl": "https://meet.example.org/clinic"}}}),
        Some(&host.access),
    )
    .await["createEvent"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn rsvp(app: &TestApp, who: &Account, event: &str) -> Value {
    app.ok("mutation($e: ID!) { rsvp(eventId: $e) { status } }", json!({"e": event}), Some(&who.access)).await
}

#[tokio::test]
async fn members_get_the_mails_they_expect_once_and_can_stop_them() {
    let sink = Sink::start().await;
    let app = spawn_with(|c| c.smtp_url = Some(format!("smtp://127.0.0.1:{}", sink.port).into())).await;
    let ann = app.admin("ann").await;
    let bob = app.register("bob").await;
    let carl = app.register("carl").await;
    let dave = app.register("dave").await;
    let g = community(&app).await;
    let e = create_event(&app, &ann, &g).await;

    // Dave turned registration mails off; his settings say so.
    let off = app
        .ok(
            "mutation { updateNotificationSettings(input: {registration: false}) { registration reminder } }",
            json!({}),
            Some(&dave.access),
        )
        .await;
    assert_eq!(off["updateNotificationSettings"], json!({"registration": false, "reminder": true}));

    rsvp(&app, &bob, &e).await; // going: the seat
    rsvp(&app, &carl, &e).await; // waitlisted
    rsvp(&app, &dave, &e).await; // waitlisted, no mail
    let mails: Vec<Mail> = sink.wait_for(2).await.iter().map(|m| read(m)).collect();
    let going = mails.iter().find(|m| m.to.contains("bob@example.org")).expect("bob's confirmation");
    assert_eq!(going.subject, "You're going: Evaluation clinic");
    assert!(going.text.contains("Join online: https://meet.example.org/clinic"), "{}", going.text);
    let ics = going.calendar.as_deref().expect("the event's calendar file");
    let calendar = ical::IcalParser::new(ics.as_bytes()).next().expect("a calendar").expect("it parses");
    assert_eq!(calendar.events.len(), 1);
    assert!(going.unsubscribe.starts_with('<') && going.unsubscribe.contains("/mail/unsubscribe?token="));
    assert_eq!(going.one_click, "List-Unsubscribe=One-Click");
    let waiting = mails.iter().find(|m| m.to.contains("carl@example.org")).expect("carl's");
    assert_eq!(waiting.subject, "On the waitlist: Evaluation clinic");
    assert!(waiting.calendar.is_none() && !waiting.text.contains("Join online"));

    // Bob cancels: Carl moves up and hears of it.
    app.ok("mutation($e: ID!) { cancelRsvp(eventId: $e) { status } }", json!({"e": e}), Some(&bob.access)).await;
    let promoted = read(&sink.wait_for(3).await[2]);
    assert_eq!(promoted.subject, "A seat is yours: Evaluation clinic");
    assert!(promoted.to.contains("carl@example.org") && promoted.calendar.is_some());

    // A day before: the reminder (with the online link for Carl, who is going; Dave waits
    // without it). Asking again sends nothing more.
    let starts = chrono::DateTime::parse_from_rfc3339("2031-05-01T09:00:00Z").unwrap().with_timezone(&chrono::Utc);
    assert_eq!(weave::domain::mail::remind_due(&app.state, starts - chrono::Duration::hours(12)).await.unwrap(), 1);
    weave::domain::mail::remind_due(&app.state, starts - chrono::Duration::hours(11)).await.unwrap();
    let all = sink.wait_for(5).await;
    let reminders: Vec<Mail> = all[3..].iter().map(|m| read(m)).collect();
    let carls = reminders.iter().find(|m| m.to.contains("carl@")).expect("carl's reminder");
    assert_eq!(carls.subject, "Tomorrow: Evaluation clinic");
    assert!(carls.text.contains("Join online: https://meet.example.org/clinic"));
    let daves = reminders.iter().find(|m| m.to.contains("dave@")).expect("dave's reminder");
    assert!(!daves.text.contains("Join online"));

    // Carl stops reminders with the mail's one-click link (RFC 8058: a POST).
    let link = carls.unsubscribe.trim_matches(|c| c == '<' || c == '>').to_string();
    let path = &link[link.find("/mail/").unwrap()..];
    let page = app.client.get(format!("{}{path}", app.address)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let settings = "{ notificationSettings { reminder registration } }";
    assert_eq!(
        app.ok(settings, json!({}), Some(&carl.access)).await["notificationSettings"]["reminder"],
        true,
        "a GET changes nothing"
    );
    let posted = app
        .client
        .post(format!("{}{path}", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);
    assert_eq!(
        app.ok(settings, json!({}), Some(&carl.access)).await["notificationSettings"],
        json!({"reminder": false, "registration": true})
    );
    let forged =
        app.client.post(format!("{}/mail/unsubscribe?token=forged.token.here", app.address)).send().await.unwrap();
    assert_eq!(forged.status(), 400);

    // After the event: the prompt to reflect comes by mail with its notification, once.
    let ended = starts + chrono::Duration::hours(3);
    let prompted = weave::domain::learning::prompt_once(&app.state, ended).await.unwrap();
    assert!(prompted >= 1);
    weave::domain::learning::prompt_once(&app.state, ended).await.unwrap();
    let all = sink.wait_for(5 + prompted).await;
    let prompts: Vec<Mail> = all[5..].iter().map(|m| read(m)).collect();
    assert_eq!(prompts.len(), prompted);
    assert!(prompts.iter().any(|m| m.to.contains("carl@") && m.subject == "How did it go? Evaluation clinic"));
    let so_far = 5 + prompted;

    // The hosts cancel: everyone still registered hears of it, once.
    app.ok(
        "mutation($e: ID!) { cancelEvent(id: $e, reason: \"The venue closed.\") { status } }",
        json!({"e": e}),
        Some(&ann.access),
    )
    .await;
    let all = sink.wait_for(so_far + 2).await;
    let cancelled: Vec<Mail> = all[so_far..].iter().map(|m| read(m)).collect();
    assert!(cancelled
        .iter()
        .all(|m| m.subject == "Cancelled: Evaluation clinic" && m.text.contains("The venue closed.")));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(sink.count(), so_far + 2, "each mail once, and none to Dave for his registration");
}

#[tokio::test]
async fn without_smtp_nothing_queues() {
    let app = spawn_app().await;
    let ann = app.admin("ann").await;
    let bob = app.register("bob").await;
    let g = community(&app).await;
    let e = create_event(&app, &ann, &g).await;
    rsvp(&app, &bob, &e).await;
    use sea_orm::{EntityTrait as _, PaginatorTrait as _};
    assert_eq!(weave::db::mail::Entity::find().count(&app.state.db).await.unwrap(), 0);
}

#[tokio::test]
async fn a_password_reset_link_is_mailed_to_the_account_alone() {
    let sink = Sink::start().await;
    let app = spawn_with(|c| c.smtp_url = Some(format!("smtp://127.0.0.1:{}", sink.port).into())).await;
    app.register("erin").await;
    let ask = "mutation($e: String!) { requestPasswordReset(email: $e) }";
    assert_eq!(app.ok(ask, json!({"e": "ERIN@example.org"}), None).await["requestPasswordReset"], true);
    // An unknown address gets the same answer and no mail; asking again at once sends nothing more.
    assert_eq!(app.ok(ask, json!({"e": "nobody@example.org"}), None).await["requestPasswordReset"], true);
    app.ok(ask, json!({"e": "erin@example.org"}), None).await;
    let mail = read(&sink.wait_for(1).await[0]);
    assert!(mail.to.contains("erin@example.org"));
    assert!(mail.unsubscribe.is_empty(), "a security mail has nothing to unsubscribe from");
    let at = mail.text.find("token=").expect("the link");
    let token: String =
        mail.text[at + 6..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    let reset = "mutation($t: String!) { resetPassword(token: $t, newPassword: \"a brand new passphrase\") }";
    assert_eq!(app.ok(reset, json!({"t": token}), None).await["resetPassword"], true);
    app.login("erin", "a brand new passphrase").await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(sink.count(), 1);
}
