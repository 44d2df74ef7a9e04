//! The daily volume to Microsoft's consumer domains (the rolled-up `outlook.com`), which picks
//! the article's tier for `check-config`: deliveries per UTC day, the busiest day counting.
//! Reads the rows through [`scan::visit`].

use rustc_hash::{FxHashMap, FxHashSet};

use crate::acct::discover::Input;
use crate::aggregate::Aggregates;
use crate::classify::Classifier;
use crate::model::RecordKind;
use crate::rollup::{MICROSOFT, Rollup};
use crate::scan::{self, ScanOptions};

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

/// Per chunk: deliveries per day, and which recipient domains are Microsoft's.
#[derive(Default)]
struct Chunk {
    days: FxHashMap<i64, u64>,
    known: FxHashMap<Box<[u8]>, bool>,
}

/// Deliveries to `outlook.com` on the busiest UTC day of `inputs`; `None` when there are none.
/// `agg` (a scan of the same inputs) says which recipient domains roll up to `outlook.com`.
pub fn microsoft_daily(
    inputs: &[Input],
    opts: &ScanOptions,
    classifier: &Classifier,
    rollup: &Rollup,
    agg: &Aggregates,
) -> Option<DailyVolume> {
    let microsoft: FxHashSet<String> = agg
        .cells
        .iter()
        .filter(|c| &*c.id.domain == MICROSOFT)
        .map(|c| c.id.rcpt_domain.to_string())
        .collect();
    let chunks = scan::visit_all(
        inputs,
        opts,
        classifier,
        rollup,
        Chunk::default,
        |c, row| {
            let k = row.keys;
            let (RecordKind::Delivered, Some(t)) = (k.kind, k.time) else {
                return;
            };
            let is_ms = if let Some(v) = c.known.get(k.rcpt_domain) {
                *v
            } else {
                let lower = String::from_utf8_lossy(k.rcpt_domain).to_ascii_lowercase();
                let v = microsoft.contains(&lower);
                c.known.insert(k.rcpt_domain.into(), v);
                v
            };
            if is_ms {
                *c.days.entry(t.div_euclid(86_400) * 86_400).or_default() += 1;
            }
        },
    );
    let mut days: FxHashMap<i64, u64> = FxHashMap::default();
    for c in chunks {
        for (d, n) in c.days {
            *days.entry(d).or_default() += n;
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
