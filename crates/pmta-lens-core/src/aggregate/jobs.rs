//! Deliveries per job, for complaint rates per job: counted by each worker with the other
//! aggregates while there are few jobs ([`JOB_CAP`]); past it (a job id per message) the
//! complaints' pass 3 counts just the jobs complained about.

use rustc_hash::FxHashSet;

use super::Dict;

/// Most distinct jobs pass 1 counts deliveries of; past it (a job id per message) pass 3 counts
/// just the jobs complained about.
pub const JOB_CAP: usize = 10_000;

/// Deliveries per job: every job in pass 1 (up to [`JOB_CAP`]), else the jobs complained about in
/// pass 3. Job ids are interned in one buffer: a sender with a job id per message brings a new
/// one on nearly every row, which must not cost an allocation each.
#[derive(Clone, Debug, Default)]
pub struct JobCounts {
    jobs: Dict,
    /// Deliveries, by job id.
    counts: Vec<u64>,
    /// More than [`JOB_CAP`] jobs were seen: the counts are incomplete.
    overflow: bool,
}

/// The same jobs with the same counts, in whatever order they were first seen (workers see
/// them in different orders).
impl PartialEq for JobCounts {
    fn eq(&self, other: &JobCounts) -> bool {
        self.overflow == other.overflow
            && self.len() == other.len()
            && self.jobs.iter().zip(&self.counts).all(|(job, &n)| {
                other
                    .jobs
                    .find(job)
                    .is_some_and(|id| other.counts[id as usize] == n)
            })
    }
}

impl Eq for JobCounts {}

impl JobCounts {
    /// Counts `n` deliveries of `job`.
    pub(crate) fn add(&mut self, job: &[u8], n: u64) {
        let (id, new) = self.jobs.intern_new(job);
        if new {
            self.counts.push(0);
        }
        self.counts[id as usize] += n;
    }

    /// The deliveries counted for a job.
    pub fn of(&self, job: &[u8]) -> u64 {
        self.jobs.find(job).map_or(0, |id| self.counts[id as usize])
    }

    /// Jobs counted.
    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    /// Gives up counting: too many jobs.
    fn overflowed(&mut self) {
        *self = JobCounts {
            overflow: true,
            ..JobCounts::default()
        };
    }

    /// Pass 1: counts a delivery of `job` (none: empty), until there are too many jobs.
    #[inline]
    pub fn count_delivery(&mut self, job: &[u8]) {
        if self.overflow || job.is_empty() {
            return;
        }
        self.add(job, 1);
        if self.len() > JOB_CAP {
            self.overflowed();
        }
    }

    /// Whether the counts hold every job (pass 3 is not needed).
    pub fn complete(&self) -> bool {
        !self.overflow
    }

    /// Pass 3: counts a delivery of `job` if it is one of `jobs`.
    #[inline]
    pub fn count_listed(&mut self, jobs: &FxHashSet<Box<[u8]>>, job: &[u8]) {
        if jobs.contains(job) {
            self.add(job, 1);
        }
    }

    pub fn merge(&mut self, other: &JobCounts) {
        if self.overflow || other.overflow {
            self.overflowed();
            return;
        }
        for (job, &n) in other.jobs.iter().zip(&other.counts) {
            self.add(job, n);
        }
    }

    /// Pass 1's merge ([`Self::count_delivery`]): each chunk counts up to the cap, and together they
    /// may not pass it either.
    pub fn merge_any(&mut self, other: &JobCounts) {
        self.merge(other);
        if self.len() > JOB_CAP {
            self.overflowed();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_counts_past_the_cap_ask_for_pass_3_whatever_the_merge_order() {
        let counts = |jobs: &mut dyn Iterator<Item = (Vec<u8>, u64)>| {
            let mut c = JobCounts::default();
            for (job, n) in jobs {
                c.add(&job, n);
            }
            c
        };
        let counted = || counts(&mut std::iter::once((b"j1".to_vec(), 3)));
        let over = || JobCounts {
            overflow: true,
            ..JobCounts::default()
        };
        let mut a = counted();
        a.merge(&counted());
        assert!(a.complete());
        assert_eq!(a.of(b"j1"), 6);
        for (mut x, y) in [(counted(), over()), (over(), counted())] {
            x.merge(&y);
            assert!(!x.complete() && x.is_empty());
        }
        // Chunks under the cap each, over it together: pass 3 counts.
        let half = |from: usize| {
            counts(&mut (from..=from + JOB_CAP / 2).map(|j| (j.to_string().into_bytes(), 1)))
        };
        let mut a = half(0);
        a.merge_any(&half(JOB_CAP));
        assert!(!a.complete() && a.is_empty());
        // Pass 3 counts every job complained about, however many.
        let mut a = half(0);
        a.merge(&half(JOB_CAP));
        assert!(a.complete());
        assert_eq!(a.len(), JOB_CAP + 2);
    }
}
