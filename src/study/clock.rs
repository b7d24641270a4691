//! UTC timestamps in RFC 3339 form (`2024-05-01T12:34:56Z`) from the system clock, without a
//! date-time dependency.

use std::time::{SystemTime, UNIX_EPOCH};

/// The current time as `YYYY-MM-DDThh:mm:ssZ` (UTC, whole seconds).
pub fn now_rfc3339() -> String {
    let secs = match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        // A clock set before 1970: report the negative offset rather than fail.
        Err(e) => -(e.duration().as_secs() as i64),
    };
    rfc3339_of_unix(secs)
}

/// Formats seconds since 1970-01-01T00:00:00Z as `YYYY-MM-DDThh:mm:ssZ`.
pub fn rfc3339_of_unix(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Proleptic Gregorian (year, month, day) of a day count since 1970-01-01.
///
/// Counts in 400-year eras of 146 097 days starting on March 1st, so that the leap day is the
/// last day of a year: `doe` is the day of the era, `yoe` the year of the era, `doy` the day of
/// a March-based year and `mp` the March-based month (0 = March).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468; // days since 0000-03-01
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(rfc3339_of_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_of_unix(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_of_unix(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339_of_unix(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339_of_unix(4_107_542_399), "2100-02-28T23:59:59Z");
        assert_eq!(rfc3339_of_unix(4_107_542_400), "2100-03-01T00:00:00Z");
    }
}
