//! Lexical checks: CURIEs, ISO 8601 durations and RFC 3339 timestamps.

/// `PREFIX:LOCAL`: a prefix starting with a letter, then letters, digits, `_`, `-` or `.`;
/// a non-empty local part without whitespace (`UCUM:mg/dL` and `LOINC:1668-3` are CURIEs).
pub(crate) fn is_curie(id: &str) -> bool {
    let Some((prefix, local)) = id.split_once(':') else {
        return false;
    };
    let mut chars = prefix.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !local.is_empty()
        && !local.chars().any(char::is_whitespace)
}

/// An ISO 8601 duration as phenopackets use it: `P` then date components `nY nM nW nD` in that
/// order, optionally `T` and time components `nH nM nS` (seconds may have a fraction); at least
/// one component, and at least one after a `T`.
pub(crate) fn is_iso8601_duration(text: &str) -> bool {
    let Some(rest) = text.strip_prefix('P') else {
        return false;
    };
    let (date, time) = match rest.split_once('T') {
        Some((date, time)) => (date, Some(time)),
        None => (rest, None),
    };
    let Some(date_count) = components(date, &['Y', 'M', 'W', 'D'], false) else {
        return false;
    };
    match time {
        None => date_count > 0,
        Some(time) => components(time, &['H', 'M', 'S'], true).is_some_and(|n| n > 0),
    }
}

/// Counts `<digits><designator>` components whose designators appear in `order`, each at most
/// once and in that order; `None` if the text is anything else.
fn components(mut text: &str, order: &[char], fraction_on_last: bool) -> Option<usize> {
    let mut next = 0;
    let mut count = 0;
    while !text.is_empty() {
        let digits = text.find(|c: char| !c.is_ascii_digit() && c != '.' && c != ',')?;
        let (number, tail) = text.split_at(digits);
        let designator = tail.chars().next()?;
        let position = order[next..].iter().position(|&d| d == designator)? + next;
        let is_last = position == order.len() - 1;
        let valid_number = match number.split_once(['.', ',']) {
            None => !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()),
            Some((whole, frac)) => {
                fraction_on_last
                    && is_last
                    && !whole.is_empty()
                    && !frac.is_empty()
                    && (whole.bytes().chain(frac.bytes())).all(|b| b.is_ascii_digit())
            }
        };
        if !valid_number {
            return None;
        }
        next = position + 1;
        count += 1;
        text = &tail[designator.len_utf8()..];
    }
    Some(count)
}

/// An RFC 3339 date-time as `google.protobuf.Timestamp` accepts it:
/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, upper-case `T` and `Z`, a real calendar date,
/// year 0001–9999, no leap second.
pub(crate) fn is_rfc3339(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return false;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = text.get(range)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        num(0..4),
        num(5..7),
        num(8..10),
        num(11..13),
        num(14..16),
        num(17..19),
    ) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if year == 0 || day == 0 || day > days_in_month || hour > 23 || minute > 59 || second > 59 {
        return false;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return false;
        }
        rest = &fraction[digits..];
    }
    if rest == "Z" {
        return true;
    }
    let ob = rest.as_bytes();
    ob.len() == 6
        && matches!(ob[0], b'+' | b'-')
        && ob[3] == b':'
        && num_in(&rest[1..3], 23)
        && num_in(&rest[4..6], 59)
}

fn num_in(text: &str, max: u32) -> bool {
    text.bytes().all(|c| c.is_ascii_digit()) && text.parse::<u32>().is_ok_and(|n| n <= max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curies() {
        for good in [
            "HP:0001250",
            "OMIM:130050",
            "UCUM:ng/dL",
            "LOINC:1668-3",
            "NCBITaxon:9606",
        ] {
            assert!(is_curie(good), "{good}");
        }
        for bad in [
            "HP_0001250",
            "HP:",
            ":0001250",
            "1HP:1",
            "HP:00 01",
            "H P:1",
            "",
        ] {
            assert!(!is_curie(bad), "{bad}");
        }
    }

    #[test]
    fn durations() {
        for good in [
            "P35Y",
            "P1Y6M",
            "P3M",
            "P2W",
            "P1D",
            "PT12H",
            "P1DT2H30M",
            "PT0.5S",
            "P0D",
        ] {
            assert!(is_iso8601_duration(good), "{good}");
        }
        for bad in [
            "", "P", "PT", "35Y", "P1Y2Y", "P6M1Y", "P1.5Y", "P1DT", "p1Y", "P Y", "PY", "P1H",
        ] {
            assert!(!is_iso8601_duration(bad), "{bad}");
        }
    }

    #[test]
    fn timestamps() {
        for good in [
            "2025-10-07T19:29:16.660399Z",
            "2024-02-29T00:00:00Z",
            "1999-12-31T23:59:59+09:00",
            "2020-01-01T00:00:00.123456789-05:30",
        ] {
            assert!(is_rfc3339(good), "{good}");
        }
        for bad in [
            "2025-10-07",
            "2023-02-29T00:00:00Z",
            "2025-13-01T00:00:00Z",
            "2025-10-07 19:29:16Z",
            "2025-10-07T24:00:00Z",
            "2025-10-07T19:29:16",
            "2025-10-07T19:29:16.Z",
            "2025-10-07T19:29:16z",
            "2025-10-07T19:29:16+0900",
            "0000-01-01T00:00:00Z",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
    }
}
