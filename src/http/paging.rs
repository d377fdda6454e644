//! Cursor pagination shared by the listings: the page size a caller may ask
//! for, and the cursor of the next page.

use serde::Deserialize;
use utoipa::IntoParams;

use super::error::ApiError;

/// A page of a listing that runs newest first by id.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<i64>,
}

/// The largest page any listing returns.
pub const MAX_PAGE: i64 = 200;
/// The page size when none is asked for.
pub const DEFAULT_PAGE: i64 = 50;

/// `requested` (or `default`) if it is between 1 and `max`; 400 otherwise.
pub fn page_size(requested: Option<i64>, default: i64, max: i64) -> Result<i64, ApiError> {
    let size = requested.unwrap_or(default);
    if (1..=max).contains(&size) {
        Ok(size)
    } else {
        Err(ApiError::BadRequest(format!(
            "limit must be between 1 and {max}"
        )))
    }
}

/// The cursor of the page after `items`: the last item's key when the page
/// is full, none when it is the last page.
pub fn next_cursor<T>(items: &[T], size: i64, key: impl Fn(&T) -> i64) -> Option<i64> {
    (items.len() as i64 == size)
        .then(|| items.last().map(key))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_are_bounded_and_full_pages_have_a_next_cursor() {
        assert_eq!(page_size(None, 50, 200).unwrap(), 50);
        assert!(page_size(Some(0), 50, 200).is_err());
        assert!(page_size(Some(201), 50, 200).is_err());
        assert_eq!(next_cursor(&[9, 8], 2, |n| *n), Some(8));
        assert_eq!(next_cursor(&[9], 2, |n| *n), None);
    }
}
