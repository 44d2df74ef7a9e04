//! A vector in fixed-size chunks, for the stream's per-group accumulators.

/// A vector in chunks of a fixed size: a large sender's hundred thousand groups grow without
/// the copy (and the momentary second buffer) of a doubling vector, and are freed a chunk at a
/// time as they are taken from the end.
#[derive(Clone)]
pub(super) struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Chunked<T> {
    const CHUNK: usize = 4096;

    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn push(&mut self, v: T) {
        if self.len.is_multiple_of(Self::CHUNK) {
            self.chunks.push(Vec::with_capacity(Self::CHUNK));
        }
        if let Some(last) = self.chunks.last_mut() {
            last.push(v);
            self.len += 1;
        }
    }

    pub(super) fn get_mut(&mut self, i: u32) -> &mut T {
        let i = i as usize;
        &mut self.chunks[i / Self::CHUNK][i % Self::CHUNK]
    }

    /// Takes the last element, freeing its chunk once empty.
    pub(super) fn pop(&mut self) -> Option<T> {
        let last = self.chunks.last_mut()?;
        let v = last.pop();
        if last.is_empty() {
            self.chunks.pop();
        }
        if v.is_some() {
            self.len -= 1;
        }
        v
    }
}
