//! Integers in decimal into a buffer, without allocating (`write!` would go through the
//! formatting machinery for every row).

/// Room for any `u64` in decimal.
#[derive(Debug, Default)]
pub struct Digits([u8; 20]);

impl Digits {
    pub fn format(&mut self, mut v: u64) -> &[u8] {
        let mut i = self.0.len();
        loop {
            i -= 1;
            self.0[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                return &self.0[i..];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        let mut b = Digits::default();
        for v in [0, 7, 10, 1_795_220_091, u64::MAX] {
            assert_eq!(b.format(v), v.to_string().as_bytes());
        }
    }
}
