//! Who will be there, without naming anyone: GOING registrants counted by country and sector.
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::db::enums::RegistrationStatus;
use crate::db::{event, member, registration};
use crate::error::AppResult;

/// Fewer people than this going, and `attendance` shows nothing (no one can be singled out).
pub const ATTENDANCE_THRESHOLD: i32 = 5;

/// Who will be there, without naming anyone: GOING registrants by country and by sector,
/// once at least [`ATTENDANCE_THRESHOLD`] are going. Every bucket holds at least that many
/// people too (see [`k_anonymous`]): smaller ones are merged into [`OTHER`].
pub struct Attendance {
    pub going: i32,
    pub by_country: Vec<(String, i32)>,
    pub by_sector: Vec<(String, i32)>,
}

pub async fn attendance<C: ConnectionTrait>(conn: &C, e: &event::Model) -> AppResult<Option<Attendance>> {
    if e.seats_taken < ATTENDANCE_THRESHOLD {
        return Ok(None);
    }
    use sea_orm::QuerySelect;
    let going = sea_orm::sea_query::Query::select()
        .column(registration::Column::MemberId)
        .from(registration::Entity)
        .and_where(Expr::col(registration::Column::EventId).eq(e.id))
        .and_where(Expr::col(registration::Column::Status).eq(RegistrationStatus::Going))
        .to_owned();
    let rows: Vec<(Option<String>, Option<String>)> = member::Entity::find()
        .select_only()
        .column(member::Column::Country)
        .column(member::Column::Sector)
        .filter(member::Column::Id.in_subquery(going))
        .into_tuple()
        .all(conn)
        .await?;
    if (rows.len() as i32) < ATTENDANCE_THRESHOLD {
        return Ok(None);
    }
    let tally = |keys: Vec<String>| k_anonymous(keys, ATTENDANCE_THRESHOLD);
    let unknown = || "UNSPECIFIED".to_string();
    let by_country = tally(rows.iter().map(|(c, _)| c.clone().unwrap_or_else(unknown)).collect());
    let by_sector = tally(rows.iter().map(|(_, s)| s.clone().unwrap_or_else(unknown)).collect());
    Ok(Some(Attendance { going: rows.len() as i32, by_country, by_sector }))
}

/// The bucket smaller buckets are merged into.
pub const OTHER: &str = "OTHER";

/// Counts `keys` into buckets of at least `k` (largest first, then by key): every bucket
/// below `k` is merged into [`OTHER`], which is itself shown only when it reaches `k` (a
/// bucket of one names a country or sector that, with public profiles, singles a person out).
fn k_anonymous(keys: Vec<String>, k: i32) -> Vec<(String, i32)> {
    let mut counts: std::collections::BTreeMap<String, i32> = std::collections::BTreeMap::new();
    for key in keys {
        *counts.entry(key).or_default() += 1;
    }
    let mut other = 0;
    let mut v: Vec<(String, i32)> = Vec::new();
    for (key, n) in counts {
        if n >= k && key != OTHER {
            v.push((key, n));
        } else {
            other += n;
        }
    }
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    if other >= k {
        v.push((OTHER.to_string(), other));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(v: &[(&str, usize)]) -> Vec<String> {
        v.iter().flat_map(|(k, n)| vec![k.to_string(); *n]).collect()
    }

    #[test]
    fn small_buckets_merge_into_other_which_needs_k_itself() {
        assert_eq!(
            k_anonymous(keys(&[("Kenya", 6), ("Chile", 1), ("Canada", 4)]), 5),
            vec![("Kenya".to_string(), 6), (OTHER.to_string(), 5)]
        );
        assert_eq!(k_anonymous(keys(&[("Kenya", 6), ("Chile", 1)]), 5), vec![("Kenya".to_string(), 6)]);
    }
}
