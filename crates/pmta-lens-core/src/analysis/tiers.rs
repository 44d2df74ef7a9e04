//! Daily volume to Microsoft (the rolled-up `outlook.com`) against the article's three volume
//! tiers, and the consistency of each sending IP's daily volume toward it (the article: Microsoft
//! rewards stable volumes; spikes with silence between hurt). Both read only the aggregates'
//! per-day counts. Days are UTC calendar days.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::aggregate::{Aggregates, DAY};
use crate::model::{NONE_KEY, TypeCounts};
use crate::rollup::MICROSOFT;

pub use crate::volume::{TIERS, Tier, tier_of};

/// Whether a sending-IP key names a real IP of ours: not `(none)` (rows `PowerMTA` bounced itself)
/// nor `0.0.0.0` (connection failures before a source address was bound).
pub fn is_sending_ip(ip: &str) -> bool {
    !matches!(
        ip,
        NONE_KEY | "0.0.0.0" | "::" | crate::model::UNATTRIBUTED_KEY
    )
}

/// The smallest pool the top tier asks for.
pub const TOP_TIER_MIN_POOL: u64 = 6;

/// One day of volume to Microsoft.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TierDay {
    #[serde(serialize_with = "super::ser::date")]
    pub day: i64,
    /// Delivery attempts (d, t, tq, b, rb, rs) and deliveries.
    pub attempts: u64,
    pub delivered: u64,
    /// Sending IPs with an attempt that day.
    pub source_ips: u64,
    pub tier: &'static str,
}

/// Daily volume to the rolled-up `outlook.com` and the tier that fits it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Tiers {
    pub domain: &'static str,
    /// Every day from the scan's first to its last, quiet days included.
    pub days: Vec<TierDay>,
    /// The tier of the busiest day (by delivered): the settings to configure, since a config is
    /// not changed day by day.
    pub recommended: Option<Tier>,
    /// Delivered on the busiest day.
    pub peak_delivered: u64,
    /// Most sending IPs toward Microsoft on one day.
    pub peak_source_ips: u64,
}

/// Days of the scan, first to last (UTC).
fn day_range(agg: &Aggregates) -> Vec<i64> {
    match (agg.first, agg.last) {
        (Some(a), Some(b)) => {
            let (a, b) = (a.div_euclid(DAY) * DAY, b.div_euclid(DAY) * DAY);
            (0..=(b - a) / DAY).map(|i| a + i * DAY).collect()
        }
        _ => Vec::new(),
    }
}

/// Daily volume to Microsoft and its tiers.
pub fn tiers(agg: &Aggregates) -> Tiers {
    let by_day_ip = agg.microsoft_days();
    let mut per_day: BTreeMap<i64, (TypeCounts, u64)> = BTreeMap::new();
    for ((day, ip), c) in by_day_ip {
        let e = per_day.entry(*day).or_default();
        e.0.merge(c);
        if is_sending_ip(ip) && c.attempts() > 0 {
            e.1 += 1;
        }
    }
    if per_day.is_empty() {
        return Tiers {
            domain: MICROSOFT,
            ..Tiers::default()
        };
    }
    let days: Vec<TierDay> = day_range(agg)
        .into_iter()
        .map(|day| {
            let (c, ips) = per_day.get(&day).copied().unwrap_or_default();
            TierDay {
                day,
                attempts: c.attempts(),
                delivered: c.delivered(),
                source_ips: ips,
                tier: tier_of(c.delivered()).name,
            }
        })
        .collect();
    let peak_delivered = days.iter().map(|d| d.delivered).max().unwrap_or(0);
    Tiers {
        domain: MICROSOFT,
        recommended: Some(*tier_of(peak_delivered)),
        peak_delivered,
        peak_source_ips: days.iter().map(|d| d.source_ips).max().unwrap_or(0),
        days,
    }
}

/// A day at least this many times the IP's median is a spike...
pub const SPIKE_FACTOR: f64 = 3.0;
/// ...if it holds at least this many attempts (a few dozen mails are no campaign). An IP with
/// silent days between its sending days and a day of at least this many is spike-and-silence.
pub const SPIKE_MIN: u64 = 100;
/// Consistency is judged only over at least this many days.
pub const MIN_DAYS: usize = 3;

/// The article's advice for spike-and-silence IPs.
pub const HEARTBEAT_ACTION: &str = "Microsoft rewards consistent sending patterns: spread \
campaigns over more days, and maintain a low-volume daily heartbeat send from this IP on \
off-campaign days to keep its history consistent";

/// One sending IP's daily volume toward Microsoft.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct IpConsistency {
    pub source_ip: String,
    /// Attempts per day of [`Consistency::days`].
    pub volumes: Vec<u64>,
    pub sending_days: u64,
    /// Days without a single attempt between the IP's first and last sending day.
    pub silent_days: u64,
    /// Median attempts per day from the IP's first to its last sending day, silent days included.
    pub median: f64,
    pub max: u64,
    /// Days far above the median.
    #[serde(serialize_with = "super::ser::dates")]
    pub spike_days: Vec<i64>,
    /// Silent days between sending days, and a campaign-sized day: the pattern the article says
    /// Microsoft treats worse than stable volume.
    pub spike_and_silence: bool,
}

/// Consistency per sending IP toward Microsoft.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Consistency {
    pub domain: &'static str,
    #[serde(serialize_with = "super::ser::dates")]
    pub days: Vec<i64>,
    /// Whether the range is long enough ([`MIN_DAYS`]) to judge spikes and silence.
    pub judged: bool,
    pub ips: Vec<IpConsistency>,
}

fn median(v: &[u64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_unstable();
    match s.len() {
        0 => 0.0,
        n if n % 2 == 1 => s[n / 2] as f64,
        n => (s[n / 2 - 1] + s[n / 2]) as f64 / 2.0,
    }
}

/// Per-IP daily volumes toward Microsoft, spikes and silences.
pub fn consistency(agg: &Aggregates) -> Consistency {
    let days = day_range(agg);
    let judged = days.len() >= MIN_DAYS;
    let index: BTreeMap<i64, usize> = days.iter().enumerate().map(|(i, d)| (*d, i)).collect();
    let mut vols: BTreeMap<Arc<str>, Vec<u64>> = BTreeMap::new();
    for ((day, ip), c) in agg.microsoft_days() {
        // Rows without a sending IP (`b` rows PowerMTA bounced itself) say nothing about an IP.
        if !is_sending_ip(ip) || c.attempts() == 0 {
            continue;
        }
        if let Some(&i) = index.get(day) {
            vols.entry(Arc::clone(ip))
                .or_insert_with(|| vec![0; days.len()])[i] += c.attempts();
        }
    }
    let ips = vols
        .into_iter()
        .map(|(ip, volumes)| {
            let first = volumes.iter().position(|v| *v > 0).unwrap_or(0);
            let last = volumes.iter().rposition(|v| *v > 0).unwrap_or(0);
            let active = &volumes[first..=last];
            let silent_days = active.iter().filter(|v| **v == 0).count() as u64;
            let median = median(active);
            let spike_days: Vec<i64> = if judged {
                active
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| {
                        **v >= SPIKE_MIN && **v as f64 >= SPIKE_FACTOR * median.max(1.0)
                    })
                    .map(|(i, _)| days[first + i])
                    .collect()
            } else {
                Vec::new()
            };
            IpConsistency {
                source_ip: ip.to_string(),
                sending_days: active.iter().filter(|v| **v > 0).count() as u64,
                silent_days,
                median,
                max: active.iter().copied().max().unwrap_or(0),
                spike_and_silence: judged
                    && silent_days > 0
                    && active.iter().any(|v| *v >= SPIKE_MIN),
                spike_days,
                volumes,
            }
        })
        .collect();
    Consistency {
        domain: MICROSOFT,
        days,
        judged,
        ips,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tier_boundaries() {
        let cases = [
            (0, "< 100k/day"),
            (99_999, "< 100k/day"),
            (100_000, "100k-500k/day"),
            (499_999, "100k-500k/day"),
            (500_000, "500k+/day"),
            (5_000_000, "500k+/day"),
        ];
        for (n, want) in cases {
            assert_eq!(tier_of(n).name, want, "{n}");
        }
        assert_eq!(
            (TIERS[2].max_smtp_out, TIERS[2].retry_after, TIERS[2].pool),
            (6, "15m", "6-10 IPs")
        );
    }
}
