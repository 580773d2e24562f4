//! Pictures: uploads over the GraphQL multipart request specification, told apart by their
//! bytes, re-encoded without their metadata, served from `/media`, attached as avatars, event
//! pictures and banners by those who uploaded them, published on actors and events, and shown
//! on a partner server where they are (referenced, not copied). Both engines.
use std::io::Cursor;

use serde_json::{json, Value};

use crate::helpers::{code, spawn_app, Account, TestApp};

const UPLOAD: &str = "mutation($f: Upload!, $alt: String) { uploadMedia(file: $f, alt: $alt) {
    id url thumbnailUrl width height contentType alt } }";

/// A multipart GraphQL request carrying `bytes` as the file `$f`; answers the status and body.
async fn upload_raw(app: &TestApp, token: Option<&str>, name: &str, claimed: &str, bytes: &[u8]) -> (u16, Value) {
    let boundary = "weave-test-boundary-7d1f";
    let operations = json!({"query": UPLOAD, "variables": {"f": null, "alt": "Our circle, seen from above"}});
    let mut body = Vec::new();
    for (field, value) in [("operations", operations.to_string()), ("map", json!({"0": ["variables.f"]}).to_string())] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"{name}\"\r\nContent-Type: {claimed}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut req = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .header("accept", "application/json")
        .body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

pub async fn upload(app: &TestApp, who: &Account, name: &str, bytes: &[u8]) -> Value {
    let (status, v) = upload_raw(app, Some(&who.access), name, "image/png", bytes).await;
    assert_eq!(status, 200);
    assert!(v.get("errors").is_none(), "{v}");
    v["data"]["uploadMedia"].clone()
}

pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A JPEG carrying an EXIF block with a GPS position (52° 31' N), as phones write them.
fn jpeg_with_gps() -> Vec<u8> {
    let img = image::RgbImage::from_fn(640, 480, |x, y| image::Rgb([(x / 3) as u8, (y / 2) as u8, 40]));
    let mut plain = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut plain, image::ImageFormat::Jpeg).unwrap();
    let plain = plain.into_inner();
    // TIFF (big-endian): IFD0 with one entry pointing at the GPS IFD, which holds
    // GPSLatitudeRef "N" and GPSLatitude 52/1, 31/1, 0/1.
    let mut tiff: Vec<u8> = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    tiff.extend_from_slice(&[0, 1, 0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 26, 0, 0, 0, 0]);
    tiff.extend_from_slice(&[0, 2, 0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]);
    tiff.extend_from_slice(&[0, 2, 0, 5, 0, 0, 0, 3, 0, 0, 0, 56, 0, 0, 0, 0]);
    for (n, d) in [(52u32, 1u32), (31, 1), (0, 1)] {
        tiff.extend_from_slice(&n.to_be_bytes());
        tiff.extend_from_slice(&d.to_be_bytes());
    }
    let mut app1 = b"Exif\x00\x00".to_vec();
    app1.extend_from_slice(&tiff);
    let len = u16::try_from(app1.len() + 2).unwrap();
    let mut out = plain[..2].to_vec(); // SOI
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&plain[2..]);
    out
}

async fn ap_json(app: &TestApp, url: &str) -> Value {
    let resp = app.client.get(url).header("accept", "application/activity+json").send().await.unwrap();
    resp.json().await.unwrap()
}

async fn fetch(app: &TestApp, url: &str) -> (u16, String, Vec<u8>) {
    let resp = app.client.get(url).send().await.unwrap();
    let status = resp.status().as_u16();
    let kind = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, kind, resp.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn uploads_are_checked_by_their_bytes_re_encoded_without_metadata_and_served() {
    let app = spawn_app().await;
    let ada = app.register("ada").await;

    let m = upload(&app, &ada, "circle.png", &png(1200, 600)).await;
    let first = m.clone();
    assert_eq!(
        (&m["width"], &m["height"], &m["contentType"], &m["alt"]),
        (&json!(1200), &json!(600), &json!("image/png"), &json!("Our circle, seen from above"))
    );
    let (status, kind, bytes) = fetch(&app, m["url"].as_str().unwrap()).await;
    assert_eq!((status, kind.as_str()), (200, "image/png"));
    let served = image::load_from_memory(&bytes).unwrap();
    assert_eq!((served.width(), served.height()), (1200, 600));
    let (_, _, thumb) = fetch(&app, m["thumbnailUrl"].as_str().unwrap()).await;
    let thumb = image::load_from_memory(&thumb).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (400, 200));

    // A phone's photograph: the position is gone, the picture is not. The name and the claimed
    // type say PNG; the bytes say JPEG, and the bytes win.
    let photo = jpeg_with_gps();
    assert!(photo.windows(6).any(|w| w == b"Exif\x00\x00"));
    let m = upload(&app, &ada, "holiday.png", &photo).await;
    assert_eq!((&m["contentType"], &m["width"], &m["height"]), (&json!("image/jpeg"), &json!(640), &json!(480)));
    let (status, kind, bytes) = fetch(&app, m["url"].as_str().unwrap()).await;
    assert_eq!((status, kind.as_str()), (200, "image/jpeg"));
    assert!(!bytes.windows(4).any(|w| w == b"Exif"), "EXIF survived the upload");
    assert!(!bytes.windows(6).any(|w| w == [0, 2, 0, 5, 0, 0]), "the GPS entry survived");
    assert_eq!(image::load_from_memory(&bytes).unwrap().width(), 640);

    // Text that claims to be a picture, and a picture cut short.
    let (status, v) = upload_raw(&app, Some(&ada.access), "x.png", "image/png", b"<svg onload='alert(1)'/>").await;
    assert_eq!((status, code(&v)), (200, "BAD_USER_INPUT"), "{v}");
    let mut cut = png(50, 50);
    cut.truncate(60);
    let (_, v) = upload_raw(&app, Some(&ada.access), "x.png", "image/png", &cut).await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    // Over 10 MB: refused before anything is decoded.
    let mut big = png(10, 10);
    big.resize(11 * 1024 * 1024, 0);
    let (status, v) = upload_raw(&app, Some(&ada.access), "big.png", "image/png", &big).await;
    assert_eq!(status, 413, "{v}");
    assert!(v["errors"][0]["message"].as_str().unwrap().contains("10 MB"), "{v}");
    // Signed-in members only.
    let (status, v) = upload_raw(&app, None, "x.png", "image/png", &png(10, 10)).await;
    assert_eq!((status, code(&v)), (401, "UNAUTHENTICATED"));
    // Only keys Weave makes are served.
    assert_eq!(fetch(&app, &format!("{}/media/..%2Fjwt_secret", app.address)).await.0, 404);
    assert_eq!(fetch(&app, &format!("{}/media/{}.png", app.address, uuid::Uuid::now_v7())).await.0, 404);

    // Nothing refused was kept.
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(weave::db::media::Entity::find().count(&app.state.db).await.unwrap(), 2);

    // An upload nothing shows after a day goes when its owner uploads again; one in use stays.
    let shown = m.clone();
    let kept = "mutation($a: ID) { updateProfile(input: {avatarId: $a}) { id } }";
    app.ok(kept, json!({"a": shown["id"]}), Some(&ada.access)).await;
    use sea_orm::{ConnectionTrait, Statement};
    let two_days_ago = chrono::Utc::now() - chrono::Duration::days(2);
    let backend = app.state.db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => "UPDATE media SET created_at = $1",
        _ => "UPDATE media SET created_at = ?",
    };
    app.state.db.execute_raw(Statement::from_sql_and_values(backend, sql, [two_days_ago.into()])).await.unwrap();
    upload(&app, &ada, "fresh.png", &png(30, 30)).await;
    assert_eq!(fetch(&app, first["url"].as_str().unwrap()).await.0, 404, "the unattached upload was swept");
    assert_eq!(fetch(&app, shown["url"].as_str().unwrap()).await.0, 200, "the avatar stays");
    assert_eq!(weave::db::media::Entity::find().count(&app.state.db).await.unwrap(), 2);
}

#[tokio::test]
async fn members_attach_their_own_pictures_and_actors_and_events_carry_them() {
    let app = spawn_app().await;
    let steward = app.admin("steward").await;
    let ada = app.register("ada").await;
    let g = app.ok("{ group(handle: \"community\") { id } }", json!({}), None).await["group"]["id"].clone();

    let avatar = upload(&app, &ada, "me.png", &png(300, 300)).await;
    let set = "mutation($a: ID) { updateProfile(input: {avatarId: $a}) { avatarUrl avatar { id url } } }";
    let v = app.ok(set, json!({"a": avatar["id"]}), Some(&ada.access)).await;
    assert_eq!(v["updateProfile"]["avatar"]["id"], avatar["id"]);
    assert_eq!(v["updateProfile"]["avatarUrl"], avatar["url"]);
    // The actor document shows it as its icon.
    let actor: Value = ap_json(&app, &format!("{}/members/ada", app.address)).await;
    assert_eq!(actor["icon"]["url"], avatar["url"]);
    assert_eq!(actor["icon"]["mediaType"], "image/png");

    // Someone else's picture cannot be attached, nor a made-up one.
    let v = app.gql(set, json!({"a": avatar["id"]}), Some(&steward.access)).await;
    assert_eq!(code(&v), "BAD_USER_INPUT");
    let v = app.gql(set, json!({"a": uuid::Uuid::now_v7().to_string()}), Some(&steward.access)).await;
    assert_eq!(code(&v), "BAD_USER_INPUT");
    // Null removes it.
    let v = app.ok(set, json!({"a": null}), Some(&ada.access)).await;
    assert_eq!(v["updateProfile"], json!({"avatarUrl": null, "avatar": null}));

    // An event picture and a group banner, by the host who uploaded them.
    let picture = upload(&app, &steward, "event.png", &png(800, 400)).await;
    let banner = upload(&app, &steward, "banner.png", &png(1500, 500)).await;
    let e = app
        .ok(
            "mutation($i: CreateEventInput!) { createEvent(input: $i) { id picture { id width } } }",
            json!({"i": {"groupId": g, "title": "Pictured", "timezone": "UTC", "visibility": "PUBLIC",
                "sessions": [{"startsAt": "2031-03-01T09:00:00Z", "endsAt": "2031-03-01T10:00:00Z"}],
                "location": {"mode": "ONLINE", "onlineUrl": "https://meet.example/p"}, "pictureId": picture["id"]}}),
            Some(&steward.access),
        )
        .await["createEvent"]
        .clone();
    assert_eq!(e["picture"], json!({"id": picture["id"], "width": 800}));
    app.ok(
        "mutation($g: ID!, $b: ID) { updateGroup(groupId: $g, input: {bannerId: $b}) { id } }",
        json!({"g": g, "b": banner["id"]}),
        Some(&steward.access),
    )
    .await;
    let v = app.ok("{ group(handle: \"community\") { banner { url height } } }", json!({}), None).await;
    assert_eq!(v["group"]["banner"], json!({"url": banner["url"], "height": 500}));
    // A page of events loads its pictures in one go; node(id) finds a picture.
    let v = app.ok("{ events { edges { node { title picture { contentType } } } } }", json!({}), None).await;
    assert_eq!(v["events"]["edges"][0]["node"]["picture"]["contentType"], "image/png");
    let v =
        app.ok("query($id: ID!) { node(id: $id) { ... on Media { url } } }", json!({"id": picture["id"]}), None).await;
    assert_eq!(v["node"]["url"], picture["url"]);

    // The event's document: `image`, and an attachment Mastodon shows.
    let doc: Value = ap_json(&app, &format!("{}/events/{}", app.address, e["id"].as_str().unwrap())).await;
    assert_eq!(doc["image"]["url"], picture["url"]);
    assert_eq!(doc["attachment"][0]["type"], "Document");
    assert_eq!(doc["attachment"][0]["mediaType"], "image/png");
    assert_eq!(doc["attachment"][0]["name"], "Our circle, seen from above");
    let group: Value = ap_json(&app, &format!("{}/groups/community", app.address)).await;
    assert_eq!(group["image"]["url"], banner["url"]);

    // A deleted account takes its uploads with it (not the ones a group or event shows).
    let avatar = upload(&app, &ada, "me-again.png", &png(64, 64)).await;
    app.ok(set, json!({"a": avatar["id"]}), Some(&ada.access)).await;
    assert_eq!(fetch(&app, avatar["url"].as_str().unwrap()).await.0, 200);
    app.ok("mutation { deleteAccount(password: \"correct horse battery\") }", json!({}), Some(&ada.access)).await;
    assert_eq!(fetch(&app, avatar["url"].as_str().unwrap()).await.0, 404);
    assert_eq!(fetch(&app, picture["url"].as_str().unwrap()).await.0, 200);
}

#[tokio::test]
async fn a_partner_shows_a_remote_groups_event_picture_and_banner_where_they_are() {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let a = spawn_app().await;
    let b = spawn_app().await;
    let steward = a.admin("steward").await;
    let bob = b.register("bob").await;
    let g = a.ok("{ group(handle: \"community\") { id } }", json!({}), None).await["group"]["id"].clone();
    let banner = upload(&a, &steward, "banner.png", &png(900, 300)).await;
    a.ok(
        "mutation($g: ID!, $b: ID) { updateGroup(groupId: $g, input: {bannerId: $b}) { id } }",
        json!({"g": g, "b": banner["id"]}),
        Some(&steward.access),
    )
    .await;
    let handle = format!("community@{}", a.domain());
    b.ok("mutation($h: String!) { follow(handle: $h) { id } }", json!({"h": handle}), Some(&bob.access)).await;
    b.deliver().await;
    a.deliver().await;

    let picture = upload(&a, &steward, "event.png", &png(640, 320)).await;
    a.ok(
        "mutation($i: CreateEventInput!) { createEvent(input: $i) { id } }",
        json!({"i": {"groupId": g, "title": "Seen afar", "timezone": "UTC", "visibility": "PUBLIC",
            "sessions": [{"startsAt": "2031-04-01T09:00:00Z", "endsAt": "2031-04-01T10:00:00Z"}],
            "location": {"mode": "ONLINE", "onlineUrl": "https://meet.example/q"}, "pictureId": picture["id"]}}),
        Some(&steward.access),
    )
    .await;
    a.deliver().await;
    let v = b
        .ok(
            "{ events(filter: {includeRemote: true}) { edges { node { title local picture { url contentType alt } } } } }",
            json!({}),
            Some(&bob.access),
        )
        .await;
    let node = &v["events"]["edges"][0]["node"];
    assert_eq!(node["local"], false);
    // On A's server, as A serves it: referenced, not copied.
    assert_eq!(
        node["picture"],
        json!({"url": picture["url"], "contentType": "image/png", "alt": "Our circle, seen from above"})
    );
    assert!(picture["url"].as_str().unwrap().contains(a.domain()));
    let v = b.ok("query($h: String!) { group(handle: $h) { banner { url } } }", json!({"h": handle}), None).await;
    assert_eq!(v["group"]["banner"]["url"], banner["url"]);
    // A new banner replaces the old one's row instead of piling rows up.
    let newer = upload(&a, &steward, "banner2.png", &png(900, 300)).await;
    a.ok(
        "mutation($g: ID!, $b: ID) { updateGroup(groupId: $g, input: {bannerId: $b}) { id } }",
        json!({"g": g, "b": newer["id"]}),
        Some(&steward.access),
    )
    .await;
    a.deliver().await;
    let v = b.ok("query($h: String!) { group(handle: $h) { banner { url } } }", json!({"h": handle}), None).await;
    assert_eq!(v["group"]["banner"]["url"], newer["url"]);
    let remote_rows = weave::db::media::Entity::find().count(&b.state.db).await.unwrap();
    assert_eq!(remote_rows, 2, "the event picture and the current banner");
    let copies =
        weave::db::media::Entity::find().filter(weave::db::media::Column::Local.eq(true)).count(&b.state.db).await;
    assert_eq!(copies.unwrap(), 0, "B stores no copy");
}
