//! `Marker` / `MaxItems` pagination, as every IAM list operation does it.
//!
//! A marker is opaque to clients; ours is the sort key of the first item of the next page,
//! base64-encoded, so a page boundary stays put when items before it are added or removed.

use super::IamError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// IAM's default page size.
const DEFAULT_MAX_ITEMS: usize = 100;

/// The paging members of a list request.
#[derive(Debug, Default)]
pub(crate) struct Paging {
    pub marker: Option<String>,
    pub max_items: Option<i64>,
}

impl Paging {
    /// A request's `Marker` and `MaxItems`.
    pub fn new(marker: Option<String>, max_items: Option<i32>) -> Self {
        Self { marker, max_items: max_items.map(i64::from) }
    }
}

/// The paging members of a list response.
#[derive(Debug)]
pub(crate) struct Truncation {
    pub is_truncated: bool,
    pub marker: Option<String>,
}

/// One page of `items`, ordered by `key` (case-insensitively, as IAM lists names).
pub(crate) fn paginate<T>(
    mut items: Vec<T>,
    key: impl Fn(&T) -> String,
    paging: &Paging,
) -> Result<(Vec<T>, Truncation), IamError> {
    let lower = |t: &T| key(t).to_ascii_lowercase();
    items.sort_by_cached_key(lower);
    let start = match &paging.marker {
        None => 0,
        Some(marker) => {
            let from = URL_SAFE_NO_PAD
                .decode(marker)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| IamError::InvalidInput("Invalid Marker.".into()))?;
            items.partition_point(|t| lower(t) < from)
        }
    };
    let max = paging.max_items.and_then(|m| usize::try_from(m).ok()).unwrap_or(DEFAULT_MAX_ITEMS);
    let mut rest = items.split_off(start.min(items.len()));
    let tail = rest.split_off(max.min(rest.len()));
    let marker = tail.first().map(|t| URL_SAFE_NO_PAD.encode(lower(t)));
    Ok((rest, Truncation { is_truncated: marker.is_some(), marker }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("User{i:03}")).collect()
    }

    #[test]
    fn pages_cover_everything_once() {
        let all = names(7);
        let mut seen = Vec::new();
        let mut paging = Paging { marker: None, max_items: Some(3) };
        loop {
            let (page, t) = paginate(all.clone(), Clone::clone, &paging).unwrap();
            assert!(page.len() <= 3);
            seen.extend(page);
            if !t.is_truncated {
                assert!(t.marker.is_none());
                break;
            }
            paging.marker = t.marker;
        }
        assert_eq!(seen, all);
    }

    #[test]
    fn a_marker_survives_removal_of_earlier_items() {
        let all = names(5);
        let (_, t) = paginate(all.clone(), Clone::clone, &Paging { marker: None, max_items: Some(2) }).unwrap();
        let fewer: Vec<String> = all[1..].to_vec();
        let (page, _) = paginate(fewer, Clone::clone, &Paging { marker: t.marker, max_items: Some(2) }).unwrap();
        assert_eq!(page, vec!["User002".to_string(), "User003".to_string()]);
    }

    #[test]
    fn order_is_case_insensitive_and_bad_markers_are_refused() {
        let (page, t) =
            paginate(vec!["b".to_string(), "A".to_string(), "c".to_string()], Clone::clone, &Paging::default())
                .unwrap();
        assert_eq!(page, ["A", "b", "c"]);
        assert!(!t.is_truncated);
        let bad = Paging { marker: Some("!!".into()), max_items: None };
        assert!(matches!(paginate(page, Clone::clone, &bad), Err(IamError::InvalidInput(_))));
    }
}
