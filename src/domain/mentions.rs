//! Mentions in member-written text: `@alice` (here) and `@rosa@social.example` (elsewhere).
//! Known, visible accounts are linked to their profiles; others stay plain text. Looking up
//! accounts on other servers is the adapters' job (they may fetch before calling the domain);
//! the domain links what the database knows.
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::db::member;
use crate::domain::visibility;
use crate::error::AppResult;

/// At most this many mentions are linked in one text.
pub const MAX_MENTIONS: usize = 20;

/// The handles mentioned in `text`, lower-cased, in order, without repeats: `alice` or
/// `rosa@social.example`. An `@` inside a word (an e-mail address) is no mention.
pub fn handles(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let starts = chars[i] == '@' && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_'));
        if !starts {
            i += 1;
            continue;
        }
        let name_end = scan(&chars, i + 1, |c| c.is_ascii_alphanumeric() || c == '_');
        if name_end == i + 1 {
            i += 1;
            continue;
        }
        let mut end = name_end;
        if chars.get(name_end) == Some(&'@') {
            let domain_end =
                scan(&chars, name_end + 1, |c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == ':');
            // A domain has a dot or a port, and does not end in punctuation.
            let mut d_end = domain_end;
            while d_end > name_end + 1 && matches!(chars[d_end - 1], '.' | '-' | ':') {
                d_end -= 1;
            }
            let domain: String = chars[name_end + 1..d_end].iter().collect();
            if domain.contains('.') || domain.contains(':') {
                end = d_end;
            }
        }
        let handle: String = chars[i + 1..end].iter().collect::<String>().to_lowercase();
        if !out.contains(&handle) && out.len() < MAX_MENTIONS {
            out.push(handle);
        }
        i = end;
    }
    out
}

fn scan(chars: &[char], from: usize, ok: impl Fn(char) -> bool) -> usize {
    let mut j = from;
    while j < chars.len() && ok(chars[j]) {
        j += 1;
    }
    j
}

/// The visible accounts `text` mentions, in one statement.
pub async fn accounts<C: ConnectionTrait>(conn: &C, text: &str) -> AppResult<Vec<member::Model>> {
    let wanted = handles(text);
    if wanted.is_empty() {
        return Ok(vec![]);
    }
    let found = member::Entity::find().filter(member::Column::Handle.is_in(wanted)).all(conn).await?;
    Ok(found.into_iter().filter(visibility::member_public).collect())
}

/// Markdown with each known mention made a link to its profile.
pub async fn link<C: ConnectionTrait>(conn: &C, text: &str) -> AppResult<String> {
    let known = accounts(conn, text).await?;
    if known.is_empty() {
        return Ok(text.to_string());
    }
    let urls = crate::domain::actors::profile_urls(conn, known.iter().map(|m| m.id)).await?;
    let mut out = String::with_capacity(text.len() + 64 * known.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '@' && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')) {
            let rest: String = chars[i + 1..].iter().collect();
            let lower = rest.to_lowercase();
            // The longest known handle that starts here and ends at a boundary.
            let hit = known
                .iter()
                .filter(|m| {
                    lower.starts_with(&m.handle)
                        && !lower[m.handle.len()..]
                            .chars()
                            .next()
                            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '@')
                })
                .max_by_key(|m| m.handle.len());
            let span = hit.and_then(|m| chars.get(i..i + 1 + m.handle.chars().count()).map(|s| (m, s)));
            if let Some((m, span)) = span {
                let shown: String = span.iter().collect();
                let url = urls.get(&m.id).unwrap_or(&m.ap_id);
                out.push_str(&format!("[{shown}]({url})"));
                i += 1 + m.handle.chars().count();
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::handles;

    #[test]
    fn finds_handles() {
        assert_eq!(
            handles("Thanks @Alice and @rosa@social.example. Mail bob@example.org, @alice again, @x@localhost:8080!"),
            vec!["alice", "rosa@social.example", "x@localhost:8080"]
        );
        assert!(handles("no @ here, nor @-this").is_empty());
        assert_eq!(handles("@bob@nodot"), vec!["bob"]);
    }
}
