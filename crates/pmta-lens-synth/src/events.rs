//! The rows to write as events: record kind, time, message, recipient and response, and the
//! queue of events waiting for their time.

use super::RECORD_TYPES;
use super::responses::RespKind;
use std::cmp::Ordering;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    D = 0,
    B = 1,
    T = 2,
    Tq = 3,
    R = 4,
    F = 5,
    Rb = 6,
    Rs = 7,
}

impl Kind {
    pub(super) const ALL: [Kind; 8] = [
        Kind::D,
        Kind::B,
        Kind::T,
        Kind::Tq,
        Kind::R,
        Kind::F,
        Kind::Rb,
        Kind::Rs,
    ];

    pub(super) fn token(self) -> &'static [u8] {
        RECORD_TYPES[self as usize].as_bytes()
    }

    pub(super) fn for_resp(kind: RespKind) -> Kind {
        match kind {
            RespKind::Deliver => Kind::D,
            RespKind::Defer => Kind::T,
            RespKind::QueueDefer => Kind::Tq,
            RespKind::Bounce | RespKind::Expire => Kind::B,
            RespKind::RemoteBounce => Kind::Rb,
            RespKind::RemoteStatus => Kind::Rs,
        }
    }
}

/// One row to write. Everything else in the row is derived from these fields.
#[derive(Clone, Copy, Debug)]
pub(super) struct Event {
    pub(super) kind: Kind,
    pub(super) logged: i64,
    pub(super) queued: i64,
    /// Seeds the per-message values (ids, size, MX choice, subject number).
    pub(super) msg: u64,
    pub(super) user: u64,
    pub(super) domain: usize,
    /// Rank of a [`DomainTail`] domain (1-based; `domain` is then its stand-in), 0 for none.
    pub(super) rank: u32,
    pub(super) vmta: usize,
    pub(super) campaign: usize,
    pub(super) subject: usize,
    /// Index into [`CATALOGUE`]; `None` for r and f rows.
    pub(super) resp: Option<usize>,
    pub(super) attempt: u8,
    pub(super) burst: Option<usize>,
    /// Index into [`Profile::sends`].
    pub(super) send: Option<usize>,
}

/// An event waiting for its time (retries, complaints, bursts, showcase rows).
pub(super) struct Pending {
    pub(super) time: i64,
    pub(super) seq: u64,
    pub(super) ev: Event,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    /// Reversed: `BinaryHeap` is a max-heap and the earliest event must come out first; `seq`
    /// keeps events of the same second in the order they were made.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Special {
    None,
    BadTime,
    Multiline,
}
