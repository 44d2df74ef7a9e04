//! The daily volume to Microsoft's consumer domains (the rolled-up `outlook.com`), which picks
//! the article's tier for `check-config`: deliveries per UTC day, the busiest day counting.
//! Read off the aggregates of the scan (their per-day Microsoft table), so it needs no pass of
//! its own.

use std::collections::BTreeMap;

use crate::aggregate::Aggregates;

/// The busiest day to Microsoft.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DailyVolume {
    /// Start of the UTC day, Unix seconds.
    pub day: i64,
    /// Deliveries (`d` rows) to the rolled-up `outlook.com` that day.
    pub delivered: u64,
    /// Days with at least one such delivery.
    pub days: u64,
}

/// Deliveries to `outlook.com` on the busiest UTC day of a scan (the earliest of equals);
/// `None` when there are none.
pub fn microsoft_daily(agg: &Aggregates) -> Option<DailyVolume> {
    let mut days: BTreeMap<i64, u64> = BTreeMap::new();
    for ((day, _), c) in agg.microsoft_days() {
        if c.delivered() > 0 {
            *days.entry(*day).or_default() += c.delivered();
        }
    }
    let count = days.len() as u64;
    days.into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
        .map(|(day, delivered)| DailyVolume {
            day,
            delivered,
            days: count,
        })
}
