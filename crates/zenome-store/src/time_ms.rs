//! Times are stored as BIGINT milliseconds since the Unix epoch, UTC.

use time::OffsetDateTime;

use crate::StoreError;

/// Now, truncated to the millisecond so that what is stored reads back equal.
pub fn now() -> OffsetDateTime {
    from_ms(to_ms(OffsetDateTime::now_utc())).expect("now is representable")
}

pub(crate) fn to_ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).expect("time within i64 milliseconds")
}

pub(crate) fn from_ms(ms: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|e| StoreError::corrupt("(time)", e))
}

/// Truncates a time to what the store keeps.
pub fn truncate(t: OffsetDateTime) -> OffsetDateTime {
    from_ms(to_ms(t)).expect("truncation stays in range")
}
