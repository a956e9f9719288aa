//! Reads of many participants at once: ids go in `IN (…)` lists of at most
//! [`CHUNK`] placeholders, so a 10,000-row submission costs tens of queries,
//! not tens of thousands, on both engines (SQLite allows 32,766 parameters,
//! PostgreSQL 65,535).

/// Ids per query.
pub(crate) const CHUNK: usize = 500;

/// `$from, $from+1, …` for `n` parameters.
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_numbered_from_the_start() {
        assert_eq!(super::placeholders(2, 3), "$2, $3, $4");
        assert_eq!(super::placeholders(1, 0), "");
    }
}
