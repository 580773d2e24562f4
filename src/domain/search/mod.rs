//! Full-text search with each engine's own index. Every searchable row has one entry in
//! `search_entry` (kind, id, owning row, title, body), written by the domain in the transaction
//! of the change. SQLite indexes it with FTS5 (an external-content table kept in sync by
//! triggers, ranked by bm25); PostgreSQL with a generated, weighted `tsvector` under a GIN index
//! (ranked by `ts_rank`). Titles weigh more than bodies on both.
//!
//! Queries are reduced to words (letters and digits) and every word must match, as a prefix,
//! so user input never reaches either engine's query syntax.
mod found;

pub use found::{everything, Cursor, Found, KindPage};

use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use uuid::Uuid;

use crate::db::{event, learning_question, member, post, reflection, resource, thread};
use crate::error::AppResult;

/// At most this many matches of one kind are considered (then filtered by visibility).
pub const MAX_MATCHES: u64 = 500;
/// At most this many of a query's matches are ranked, the newest: a word found in most of a
/// large discussion would otherwise be ranked in every entry before the best are kept.
const RANKED: i64 = 2000;
/// Every kind but threads and posts (a new kind belongs here too).
const NOT_THREADS: [Kind; 6] =
    [Kind::Member, Kind::Group, Kind::Event, Kind::Resource, Kind::Question, Kind::Reflection];
/// Characters of body text indexed per entry.
const MAX_BODY: usize = 20_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Member,
    Group,
    Event,
    Resource,
    Thread,
    Post,
    Question,
    Reflection,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Member => "member",
            Kind::Group => "group",
            Kind::Event => "event",
            Kind::Resource => "resource",
            Kind::Thread => "thread",
            Kind::Post => "post",
            Kind::Question => "question",
            Kind::Reflection => "reflection",
        }
    }
}

/// Text without markup: tags dropped, entities of the common kind decoded.
pub fn plain(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'")
}

/// Lower-cased, without diacritics ("Résilience" → "resilience"), at most `MAX_BODY`
/// characters: both engines index and query the same folded text, so they find the same.
pub fn fold(s: &str) -> String {
    use unicode_normalization::char::is_combining_mark;
    use unicode_normalization::UnicodeNormalization as _;
    s.nfd().filter(|c| !is_combining_mark(*c)).take(MAX_BODY).flat_map(char::to_lowercase).collect()
}

/// Writes (or rewrites) the entry of one row.
pub async fn put<C: ConnectionTrait>(
    conn: &C,
    kind: Kind,
    id: Uuid,
    owner: Uuid,
    title: &str,
    body: &str,
) -> AppResult<()> {
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "INSERT INTO search_entry (kind, ref_id, owner_id, title, body) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (ref_id) DO UPDATE SET owner_id = excluded.owner_id, title = excluded.title, body = excluded.body"
        }
        _ => {
            "INSERT INTO search_entry (kind, ref_id, owner_id, title, body) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (ref_id) DO UPDATE SET owner_id = excluded.owner_id, title = excluded.title, body = excluded.body"
        }
    };
    let values: [Value; 5] = [kind.as_str().into(), id.into(), owner.into(), fold(title).into(), fold(body).into()];
    conn.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    Ok(())
}

/// Changes the title of an entry.
pub async fn retitle<C: ConnectionTrait>(conn: &C, kind: Kind, id: Uuid, title: &str) -> AppResult<()> {
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "UPDATE search_entry SET title = $1 WHERE ref_id = $2 AND kind = $3",
        _ => "UPDATE search_entry SET title = ? WHERE ref_id = ? AND kind = ?",
    };
    let values: [Value; 3] = [fold(title).into(), id.into(), kind.as_str().into()];
    conn.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    Ok(())
}

/// Removes the entry of a row.
pub async fn remove<C: ConnectionTrait>(conn: &C, kind: Kind, id: Uuid) -> AppResult<()> {
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "DELETE FROM search_entry WHERE ref_id = $1 AND kind = $2",
        _ => "DELETE FROM search_entry WHERE ref_id = ? AND kind = ?",
    };
    let values: [Value; 2] = [id.into(), kind.as_str().into()];
    conn.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    Ok(())
}

/// Removes a thread's entry and its posts' (they are owned by the thread), in one statement.
pub async fn remove_thread<C: ConnectionTrait>(conn: &C, thread_id: Uuid) -> AppResult<()> {
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "DELETE FROM search_entry WHERE owner_id = $1 AND kind IN ('thread', 'post')",
        _ => "DELETE FROM search_entry WHERE owner_id = ? AND kind IN ('thread', 'post')",
    };
    let values: [Value; 1] = [thread_id.into()];
    conn.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    Ok(())
}

pub async fn index_member<C: ConnectionTrait>(conn: &C, m: &member::Model) -> AppResult<()> {
    let title = format!("{} {}", m.display_name.as_deref().unwrap_or(""), m.handle);
    let interests: Vec<String> = serde_json::from_value(m.interests.clone()).unwrap_or_default();
    let body = format!(
        "{} {} {} {}",
        m.organization.as_deref().unwrap_or(""),
        plain(m.bio_html.as_deref().or(m.bio.as_deref()).unwrap_or("")),
        interests.join(" "),
        m.country.as_deref().unwrap_or("")
    );
    put(conn, Kind::Member, m.id, m.id, &title, &body).await
}

pub async fn index_group<C: ConnectionTrait>(conn: &C, g: &crate::db::group::Model) -> AppResult<()> {
    let title = format!("{} {}", g.name, g.handle);
    let body = plain(g.summary_html.as_deref().or(g.summary.as_deref()).unwrap_or(""));
    put(conn, Kind::Group, g.id, g.id, &title, &body).await
}

pub async fn index_event<C: ConnectionTrait>(conn: &C, e: &event::Model) -> AppResult<()> {
    let tags: Vec<String> = serde_json::from_value(e.tags.clone()).unwrap_or_default();
    let body = format!(
        "{} {} {} {} {}",
        e.summary.as_deref().unwrap_or(""),
        plain(e.description_html.as_deref().unwrap_or("")),
        tags.join(" "),
        e.venue.as_deref().unwrap_or(""),
        e.city.as_deref().unwrap_or("")
    );
    put(conn, Kind::Event, e.id, e.id, &e.title, &body).await
}

pub async fn index_resource<C: ConnectionTrait>(conn: &C, r: &resource::Model) -> AppResult<()> {
    let tags: Vec<String> = serde_json::from_value(r.tags.clone()).unwrap_or_default();
    let body = format!(
        "{} {} {}",
        plain(r.description_html.as_deref().unwrap_or("")),
        tags.join(" "),
        r.folder.replace('/', " ")
    );
    put(conn, Kind::Resource, r.id, r.id, &r.title, &body).await
}

/// A thread is found by its title and its opening post.
pub async fn index_thread<C: ConnectionTrait>(conn: &C, t: &thread::Model, opening: &post::Model) -> AppResult<()> {
    put(conn, Kind::Thread, t.id, t.id, &t.title, &plain(&opening.body_html)).await
}

/// A reply is found through its thread.
pub async fn index_post<C: ConnectionTrait>(conn: &C, p: &post::Model) -> AppResult<()> {
    put(conn, Kind::Post, p.id, p.thread_id, "", &plain(&p.body_html)).await
}

/// The words of a query, each at most 40 characters, at most 8 of them.
fn words(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(8)
        .map(|w| fold(&w.chars().take(40).collect::<String>()))
        .collect()
}

pub async fn index_question<C: ConnectionTrait>(conn: &C, q: &learning_question::Model) -> AppResult<()> {
    let body = format!("{} {}", q.why_it_matters.as_deref().unwrap_or(""), q.understanding.as_deref().unwrap_or(""));
    put(conn, Kind::Question, q.id, q.id, &q.title, &body).await
}

pub async fn index_reflection<C: ConnectionTrait>(conn: &C, r: &reflection::Model) -> AppResult<()> {
    let parts = [&r.body, &r.intended, &r.happened, &r.why, &r.next_time];
    let body: Vec<&str> = parts.iter().filter_map(|p| p.as_deref()).collect();
    put(conn, Kind::Reflection, r.id, r.id, "", &body.join(" ")).await
}

/// The ids of the rows of `kind` that match `q`, best first: for threads, the threads whose
/// title, opening text or replies match.
pub async fn matching<C: ConnectionTrait>(conn: &C, kind: Kind, q: &str, limit: u64) -> AppResult<Vec<Uuid>> {
    let words = words(q);
    if words.is_empty() {
        return Ok(vec![]);
    }
    let backend = conn.get_database_backend();
    let kinds: Vec<&str> = if kind == Kind::Thread { vec!["thread", "post"] } else { vec![kind.as_str()] };
    let limit = i64::try_from(limit.min(MAX_MATCHES)).unwrap_or(500);
    let stmt = match backend {
        DbBackend::Postgres => {
            let query: Vec<String> = words.iter().map(|w| format!("{w}:*")).collect();
            // The kinds are written into the text (they are this module's constants), so that
            // the planner picks the partial GIN index they imply even for a generic plan. The
            // newest RANKED matches are ranked, and each owner keeps its best. For threads and
            // posts (most of the index, so the word statistics describe them) how to find them
            // is the planner's choice: a rare word's few matches through the GIN index, a
            // common word's newest by walking the primary key down until RANKED have matched
            // (a tenth of the rows for a word in a tenth of them, instead of visiting every
            // match). Other kinds always go through their index (`id + 0`): a word common in
            // discussions may be rare among members, and a walk would read the whole table.
            let order = if matches!(kind, Kind::Thread | Kind::Post) { "id" } else { "id + 0" };
            let sql = format!(
                "SELECT owner_id FROM (SELECT n.owner_id, max(ts_rank(n.document, q)) AS rank \
                 FROM (SELECT owner_id, document FROM search_entry \
                 WHERE document @@ to_tsquery('simple', $1) AND kind IN ('{}', '{}') ORDER BY {} DESC LIMIT $3) AS n, \
                 to_tsquery('simple', $1) AS q GROUP BY n.owner_id) AS hits \
                 ORDER BY rank DESC LIMIT $2",
                kinds[0],
                kinds[kinds.len() - 1],
                order
            );
            Statement::from_sql_and_values(backend, sql, [query.join(" & ").into(), limit.into(), RANKED.into()])
        }
        _ => {
            let words: Vec<String> = words.iter().map(|w| format!("\"{w}\"*")).collect();
            // The kind is a column of the index, so a search of one kind matches in it alone.
            // Threads (with their posts, most of the index) are asked for as "not any other
            // kind": a kind phrase that matches most entries would make bm25 read all of them
            // for its weight, where the other kinds' lists are short.
            let words = words.join(" ");
            let query = match kind {
                Kind::Thread | Kind::Post => {
                    format!("{{title body}} : ({words}) NOT kind : ({})", NOT_THREADS.map(Kind::as_str).join(" OR "))
                }
                _ => format!("kind : {} AND {{title body}} : ({words})", kind.as_str()),
            };
            Statement::from_sql_and_values(
                backend,
                // The newest RANKED matches are ranked (bm25 may not appear in an aggregate,
                // and the inner LIMIT keeps SQLite from flattening the subquery), then each
                // owner keeps its best.
                "SELECT e.owner_id AS owner_id FROM (SELECT rowid AS id, bm25(search_fts, 0.0, 4.0, 1.0) AS score \
                 FROM search_fts WHERE search_fts MATCH ? ORDER BY rowid DESC LIMIT ?) AS hits \
                 JOIN search_entry e ON e.id = hits.id WHERE e.kind IN (?, ?) \
                 GROUP BY e.owner_id ORDER BY min(hits.score) LIMIT ?",
                [query.into(), RANKED.into(), kinds[0].into(), kinds[kinds.len() - 1].into(), limit.into()],
            )
        }
    };
    let rows = conn.query_all_raw(stmt).await?;
    let mut ids = Vec::with_capacity(rows.len());
    for row in rows {
        ids.push(row.try_get::<Uuid>("", "owner_id")?);
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    #[test]
    fn queries_become_words() {
        assert_eq!(super::words("DEI: how \"are\" we* doing?"), vec!["dei", "how", "are", "we", "doing"]);
        assert!(super::words("\"*:() -").is_empty());
        let plain = super::plain("<p>A &amp; <b>B</b></p>");
        assert_eq!(plain.split_whitespace().collect::<Vec<_>>(), vec!["A", "&", "B"]);
        assert_eq!(super::words("Résilience, ÇA"), vec!["resilience", "ca"]);
    }
}
