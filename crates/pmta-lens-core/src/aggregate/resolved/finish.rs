//! How the workers' partials become the resolved [`Aggregates`]: names sorted so ids follow
//! name order, recipient domains case-folded and rolled up once each, tables merged.

use std::collections::BTreeMap;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::{Aggregates, SenderLine};
use crate::aggregate::{CellCounts, CountTable, Dict, Partial, lower};
use crate::model::{Code, TypeCounts};
use crate::rollup::{DomainHints, MICROSOFT, Rollup};

/// Sorted distinct names of a dictionary, and each id's index among them.
pub(super) fn sorted_names(d: &Dict) -> (Vec<Arc<str>>, Vec<u32>) {
    // Names that are all UTF-8 (nearly always) sort as bytes, which is their order as text:
    // no string per name beside the one kept (a large sender has a hundred thousand
    // destinations, and this runs for every snapshot). Otherwise each is read lossily first,
    // and distinct bytes may read as the same name: they merge.
    let utf8 = d.iter().all(|s| std::str::from_utf8(s).is_ok());
    let order = if utf8 {
        sorted_ids(d)
    } else {
        let mut order: Vec<u32> = (0..d.len() as u32).collect();
        order.sort_by_cached_key(|&i| String::from_utf8_lossy(d.get(i)).into_owned());
        order
    };
    let mut names: Vec<Arc<str>> = Vec::with_capacity(order.len());
    let mut map = vec![0u32; order.len()];
    for id in order {
        let name = d.text(id);
        if names.last().is_none_or(|last| **last != *name) {
            names.push(Arc::from(name));
        }
        map[id as usize] = (names.len() - 1) as u32;
    }
    (names, map)
}

/// A recipient domain that is its own destination (in `finish`, before destinations are
/// numbered).
pub(super) const OWN: u32 = u32::MAX;

/// The ids of a dictionary in the byte order of their strings. Sorted in parallel on the first
/// eight bytes as one number, the strings compared only where those are equal: a large
/// sender's million domains sorted by `memcmp` alone took a second on one core.
pub(super) fn sorted_ids(d: &Dict) -> Vec<u32> {
    use rayon::slice::ParallelSliceMut;
    let prefix = |s: &[u8]| {
        let mut word = [0u8; 8];
        let n = s.len().min(8);
        word[..n].copy_from_slice(&s[..n]);
        u64::from_be_bytes(word)
    };
    let mut keyed: Vec<(u64, u32)> = d
        .iter()
        .enumerate()
        .map(|(id, s)| (prefix(s), id as u32))
        .collect();
    // Zero-padding makes `ab` and `ab\0` equal prefixes: the strings then decide.
    keyed.par_sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| d.get(a.1).cmp(d.get(b.1))));
    keyed.into_iter().map(|(_, id)| id).collect()
}

/// The destinations in name order: the recipient domains (`rcpt`, in name order) that are
/// their own ([`OWN`] in `dest`) merged with the `others` names, each once. Rewrites `dest` to
/// indices into the result. A name among `shown` (the destinations of the snapshot on screen,
/// in name order) shares its string: a large sender's hundred thousand destinations are not
/// allocated again for each snapshot, nor held twice while the next one is built.
pub(super) fn merge_destinations(
    rcpt: &[u8],
    rcpt_ends: &[usize],
    dest: &mut [u32],
    others: &Dict,
    shown: &[Arc<str>],
) -> Vec<Arc<str>> {
    let name = |i: usize| {
        let start = if i == 0 { 0 } else { rcpt_ends[i - 1] };
        std::str::from_utf8(&rcpt[start..rcpt_ends[i]]).unwrap_or_default()
    };
    let (other_names, other_rank) = sorted_names(others);
    // u32 indices: every row a new domain makes this a million long.
    let own: Vec<u32> = (0..dest.len() as u32)
        .filter(|&i| dest[i as usize] == OWN)
        .collect();
    // Names come in order: the search in `shown` goes forward only.
    let mut seen = 0;
    let mut share = |name: &str| -> Arc<str> {
        while shown.get(seen).is_some_and(|s| **s < *name) {
            seen += 1;
        }
        match shown.get(seen) {
            Some(s) if **s == *name => Arc::clone(s),
            _ => Arc::from(name),
        }
    };
    let mut out: Vec<Arc<str>> = Vec::with_capacity(own.len() + other_names.len());
    let mut own_at = vec![0u32; own.len()];
    let mut other_at = vec![0u32; other_names.len()];
    let (mut i, mut j) = (0, 0);
    while i < own.len() || j < other_names.len() {
        let mine = own.get(i).map(|&r| name(r as usize));
        let theirs = other_names.get(j).map(|s| &**s);
        let at = out.len() as u32;
        let next = match (mine, theirs) {
            (Some(a), Some(b)) if a == b => {
                (own_at[i], other_at[j]) = (at, at);
                (i, j) = (i + 1, j + 1);
                a
            }
            (Some(a), _) if theirs.is_none_or(|b| a < b) => {
                own_at[i] = at;
                i += 1;
                a
            }
            (_, Some(b)) => {
                other_at[j] = at;
                j += 1;
                b
            }
            // Both sides done (the loop's condition): only (None, None) comes here.
            (_, None) => break,
        };
        out.push(share(next));
    }
    let mut next_own = own_at.iter();
    for d in dest.iter_mut() {
        *d = if *d == OWN {
            *next_own.next().expect("one per own domain")
        } else {
            other_at[other_rank[*d as usize] as usize]
        };
    }
    out
}

/// Adds `n` to a count table keyed by remapped ids.
pub(super) fn add<K: std::hash::Hash + Eq>(map: &mut FxHashMap<K, u64>, k: K, n: u64) {
    *map.entry(k).or_default() += n;
}

/// Resolves a partial: see [`Partial::finish`].
#[allow(clippy::too_many_lines)] // one pass per table, in dependency order
pub(in crate::aggregate) fn finish(
    p: &mut Partial,
    rollup: &Rollup,
    hints: Option<&FxHashMap<String, DomainHints>>,
    release: bool,
    shown: &Aggregates,
) -> Aggregates {
    let Partial {
        records,
        by_type,
        first,
        last,
        vmtas,
        ips,
        pools,
        domains,
        domain_stats,
        domain_counts,
        rollups,
        queue_rollups,
        sender_dims,
        sender_counts,
        codes,
        sender_codes,
        domain_codes,
        minutes,
        code_minutes,
        ms_senders,
        ms_days,
        ms_codes,
        domain_pool,
        smtp_pools,
        jobs,
        ..
    } = p;
    let (vmta_names, vmta_of) = sorted_names(vmtas);
    let (ip_names, ip_of) = sorted_names(ips);
    let (pool_names, pool_of) = sorted_names(pools);

    // Senders in (VMTA, IP, pool) order. Distinct ids may name the same sender once names are
    // read lossily, so equal keys merge.
    let mut order: Vec<([u32; 3], u32)> = sender_dims
        .iter()
        .enumerate()
        .map(|(i, d)| {
            (
                [
                    vmta_of[d[0] as usize],
                    ip_of[d[1] as usize],
                    pool_of[d[2] as usize],
                ],
                i as u32,
            )
        })
        .collect();
    order.sort_unstable();
    let mut sender_list: Vec<SenderLine> = Vec::with_capacity(order.len());
    let mut sender_of = vec![0u32; order.len()];
    let mut last_key = None;
    for (key, old) in order {
        if last_key != Some(key) {
            sender_list.push(SenderLine {
                vmta: Arc::clone(&vmta_names[key[0] as usize]),
                source_ip: Arc::clone(&ip_names[key[1] as usize]),
                pool: Arc::clone(&pool_names[key[2] as usize]),
                counts: TypeCounts::default(),
            });
            last_key = Some(key);
        }
        let i = sender_list.len() - 1;
        sender_list[i].counts.merge(&sender_counts[old as usize]);
        sender_of[old as usize] = i as u32;
    }

    // Recipient domains: case-folded, sorted, each rolled up once. Names live in one buffer
    // and are sorted by index: no string per domain (a large sender has a million). Logs
    // mostly write them in lowercase already: then they are their own folded names.
    let folded_already = domains
        .iter()
        .all(|s| s.is_ascii() && !s.iter().any(u8::is_ascii_uppercase));
    let refolded: Dict;
    let (folded, fold_of): (&Dict, Vec<u32>) = if folded_already {
        let ids = (0..domains.len() as u32).collect();
        (domains, ids)
    } else {
        let mut folded = Dict::default();
        let fold_of = domains
            .iter()
            .map(|s| {
                if s.is_ascii() {
                    let mut buf = [0u8; 256];
                    if let Some(b) = buf.get_mut(..s.len()) {
                        b.copy_from_slice(s);
                        b.make_ascii_lowercase();
                        return folded.intern(b);
                    }
                }
                folded.intern(lower(s).as_bytes())
            })
            .collect();
        refolded = folded;
        (&refolded, fold_of)
    };
    let order = sorted_ids(folded);
    // Each folded name's rank, and its hints (of every spelling of it).
    let mut rank = vec![0u32; folded.len()];
    for (r, f) in order.iter().enumerate() {
        rank[*f as usize] = r as u32;
    }
    let mut microsoft_mx = vec![false; folded.len()];
    let mut queue_rollup: Vec<Option<u32>> = vec![None; folded.len()];
    for (old, f) in fold_of.iter().enumerate() {
        let r = rank[*f as usize] as usize;
        microsoft_mx[r] |= domain_stats[old].microsoft_mx;
        if let Some(&q) = queue_rollups.get(&(old as u32)) {
            queue_rollup[r] = match queue_rollup[r] {
                Some(cur) if lower(rollups.get(cur)) <= lower(rollups.get(q)) => Some(cur),
                _ => Some(q),
            };
        }
    }
    // Each domain's destination: itself (most of a large sender's tail) or another name (a
    // rollup's; few distinct). The destinations in name order are then the domains that are
    // their own merged with the other names: no second dictionary or sort of every domain.
    let mut rcpt = Vec::with_capacity(folded.bytes_len());
    let mut rcpt_ends = Vec::with_capacity(order.len());
    let mut others = Dict::default();
    let mut rcpt_dest: Vec<u32> = Vec::with_capacity(order.len());
    for (r, f) in order.iter().enumerate() {
        let name = folded.get(*f);
        rcpt.extend_from_slice(name);
        rcpt_ends.push(rcpt.len());
        let name = std::str::from_utf8(name).unwrap_or_default();
        let resolved;
        let dest: &str = if let Some(h) = hints {
            resolved = rollup.resolve(name, h.get(name));
            &resolved
        } else if let Some(d) = rollup.fixed(name) {
            d
        } else if let Some(q) = queue_rollup[r] {
            resolved = lower(rollups.get(q));
            &resolved
        } else if microsoft_mx[r] {
            MICROSOFT
        } else {
            name
        };
        rcpt_dest.push(if dest == name {
            OWN
        } else {
            others.intern(dest.as_bytes())
        });
    }
    drop((order, microsoft_mx, queue_rollup));
    let rcpt_of: Vec<u32> = fold_of.iter().map(|f| rank[*f as usize]).collect();
    drop((fold_of, rank));
    let mut rcpt_counts = CountTable::zeroed(rcpt_ends.len());
    for (old, r) in rcpt_of.iter().enumerate() {
        rcpt_counts.add_counts(*r, &domain_counts.get(old as u32));
    }
    // A partial that is finished for good gives back its per-domain tables as they are done
    // with (every row a new domain: they are most of the memory), not when the result is made.
    if release {
        *domains = Dict::default();
        *domain_stats = Vec::new();
        *domain_counts = CountTable::default();
    }
    let dests = merge_destinations(&rcpt, &rcpt_ends, &mut rcpt_dest, &others, &shown.dests);
    drop(others);
    let mut dest_counts = CountTable::zeroed(dests.len());
    for (i, d) in rcpt_dest.iter().enumerate() {
        dest_counts.add_counts(*d, &rcpt_counts.get(i as u32));
    }
    let mut codes: Vec<(Code, CellCounts)> = codes.iter().map(|(c, n)| (*c, *n)).collect();
    codes.sort_unstable_by_key(|(c, _)| *c);

    let mut by_sender: FxHashMap<(u32, Code), u64> = FxHashMap::default();
    for (&(s, code), &n) in sender_codes.iter() {
        add(&mut by_sender, (sender_of[s as usize], code), n);
    }
    let mut sender_codes: Vec<(u32, Code, u64)> =
        by_sender.into_iter().map(|((s, c), n)| (s, c, n)).collect();
    sender_codes.sort_unstable();
    let mut by_rcpt: FxHashMap<(u32, Code), u64> = FxHashMap::default();
    for (&(d, code), &n) in domain_codes.iter() {
        add(&mut by_rcpt, (rcpt_of[d as usize], code), n);
    }
    if release {
        *domain_codes = FxHashMap::default();
    }
    let mut rcpt_codes: Vec<(u32, Code, u64)> =
        by_rcpt.into_iter().map(|((d, c), n)| (d, c, n)).collect();
    rcpt_codes.sort_unstable();

    let ip = |old_sender: u32| {
        Arc::clone(&sender_list[sender_of[old_sender as usize] as usize].source_ip)
    };
    let mut ms_sender_map: BTreeMap<u32, TypeCounts> = BTreeMap::new();
    for (&s, c) in ms_senders.iter() {
        ms_sender_map
            .entry(sender_of[s as usize])
            .or_default()
            .merge(c);
    }
    let mut ms_day_map: BTreeMap<(i64, Arc<str>), TypeCounts> = BTreeMap::new();
    for (&(day, s), c) in ms_days.iter() {
        ms_day_map.entry((day, ip(s))).or_default().merge(c);
    }
    let mut ms_code_map: BTreeMap<(Arc<str>, Code), u64> = BTreeMap::new();
    for (&(s, code), &n) in ms_codes.iter() {
        *ms_code_map.entry((ip(s), code)).or_default() += n;
    }
    // Pool indices follow name order, as destination indices do: sorting the ids sorts the
    // names.
    // Sorted, then equal keys summed: a large sender has a hundred thousand.
    let mut smtp_groups: Vec<(u32, u32, u64)> =
        crate::aggregate::smtp_pairs(domain_pool, smtp_pools)
            .map(|(d, pool, n)| {
                let dest = rcpt_dest[rcpt_of[d as usize] as usize];
                (dest, pool_of[pool as usize], n)
            })
            .collect();
    smtp_groups.sort_unstable();
    smtp_groups.dedup_by(|b, a| {
        let same = (a.0, a.1) == (b.0, b.1);
        if same {
            a.2 += b.2;
        }
        same
    });
    smtp_groups.shrink_to_fit();
    Aggregates {
        records: *records,
        by_type: *by_type,
        first: *first,
        last: *last,
        senders: sender_list,
        rcpt,
        rcpt_ends,
        rcpt_dest,
        rcpt_counts,
        dests,
        dest_counts,
        codes,
        sender_codes,
        rcpt_codes,
        minutes: minutes.iter().map(|(m, c)| (*m, *c)).collect(),
        code_minutes: code_minutes.iter().map(|(k, n)| (*k, *n)).collect(),
        ms_senders: ms_sender_map.into_iter().collect(),
        ms_days: ms_day_map,
        ms_codes: ms_code_map,
        smtp_groups,
        smtp_pools: pool_names,
        // A snapshot of a scan that goes on keeps counting into the partial's.
        job_deliveries: if release {
            std::mem::take(jobs)
        } else {
            jobs.clone()
        },
    }
}
