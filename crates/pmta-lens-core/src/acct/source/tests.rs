//! Tests of opening and reading inputs: plain, gzip, pipes, damage and files that change while read.

use super::*;

#[test]
fn blocks_end_on_record_boundaries_and_lose_nothing() {
    let mut data = Vec::new();
    data.extend_from_slice(b"type,a,b\n");
    for i in 0..500 {
        data.extend_from_slice(format!("d,\"x\n{i}\",{i}\n").as_bytes());
    }
    data.extend_from_slice(b"b,last,row");
    for block in [64, 100, 1000, 1 << 20] {
        let mut r = BlockReader::new(&data[..], block);
        let mut joined = Vec::new();
        while let Some(b) = r.next_block().expect("read") {
            assert!(b.starts_with(b"type,") || b.starts_with(b"d,") || b.starts_with(b"b,"));
            joined.extend_from_slice(b);
        }
        assert_eq!(joined, data, "block {block}");
        assert_eq!(r.bytes_read, data.len() as u64);
    }
}

/// Reads `data` in blocks of `block`; the blocks joined, and the largest buffer it took.
fn blocks_of(data: impl Read, block: usize) -> (Vec<u8>, usize, u64) {
    let mut r = BlockReader::new(data, block);
    let (mut joined, mut peak) = (Vec::new(), 0);
    while let Some(b) = r.next_block().expect("read") {
        joined.extend_from_slice(b);
        peak = peak.max(r.buf.capacity());
    }
    peak = peak.max(r.buf.capacity());
    (joined, peak, r.bytes_skipped)
}

#[test]
fn memory_stays_bounded_on_endless_lines() {
    const SIZE: u64 = 8 << 20;
    let bound = (1 << 16) + MAX_RECORD + (256 << 10);
    for (byte, what) in [(0u8, "zeros"), (b'x', "one line"), (b'\n', "blank lines")] {
        let data = io::repeat(byte).take(SIZE).chain(&b"\nd,1\n"[..]);
        let (joined, peak, skipped) = blocks_of(data, 1 << 16);
        assert!(peak <= bound, "{what}: a buffer of {peak} bytes");
        assert_eq!(joined.len() as u64 + skipped, SIZE + 5, "{what}");
        assert!(
            joined.ends_with(b"\nd,1\n"),
            "{what}: the row after it is kept"
        );
    }
}

#[test]
fn a_byte_order_mark_is_dropped_and_a_read_error_comes_after_the_data() {
    let (joined, _, skipped) = blocks_of(&b"\xEF\xBB\xBFtype,a\nd,1\n"[..], 64);
    assert_eq!(joined, b"type,a\nd,1\n");
    assert_eq!(skipped, 3);
    // an error after some data: the data first, then the error
    let failing = (&b"type,a\nd,1\nd,2"[..]).chain(Failing);
    let mut r = BlockReader::new(failing, 1 << 20);
    assert_eq!(
        r.next_block().expect("data first"),
        Some(&b"type,a\nd,1\nd,2"[..])
    );
    assert!(r.next_block().is_err());
}

struct Failing;

impl Read for Failing {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(io::Error::other("disk on fire"))
    }
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).expect("gzip");
    enc.finish().expect("gzip")
}

fn gunzip(data: &[u8]) -> (Vec<u8>, Option<io::Error>) {
    let mut out = Vec::new();
    let err = MaybeGzip::new(data).read_to_end(&mut out).err();
    (out, err)
}

#[test]
fn gzip_members_padding_garbage_and_truncation() {
    let text = b"type,a\nd,1\n".repeat(1000);
    let one = gz(&text);
    assert_eq!(gunzip(&one).0, text);
    // not gzip: as is
    assert_eq!(gunzip(&text).0, text);
    let (two, err) = gunzip(&[one.clone(), one.clone()].concat());
    assert!(err.is_none());
    assert_eq!(two, [&text[..], &text].concat());
    let (padded, err) = gunzip(&[&one[..], &[0; 4096]].concat());
    assert!(err.is_none(), "{err:?}");
    assert_eq!(padded, text);
    let (kept, err) = gunzip(&[&one[..], b"junk"].concat());
    assert_eq!(kept, text);
    let err = err.expect("garbage is reported");
    assert!(matches!(GzipEnd::of(&err), Some(GzipEnd::TrailingGarbage)));
    let big: Vec<u8> = (0..200_000u32)
        .flat_map(|i| format!("d,{i}\n").into_bytes())
        .collect();
    let big_gz = gz(&big);
    let (kept, err) = gunzip(&big_gz[..big_gz.len() - 1000]);
    assert!(matches!(
        err.as_ref().and_then(GzipEnd::of),
        Some(GzipEnd::Truncated)
    ));
    assert!(kept.len() > big.len() / 2 && big.starts_with(&kept));
}

#[test]
fn corrupt_gzip_data_keeps_the_rows_before_the_damage() {
    // Found by the fuzz harness (tests/fuzz.rs): flate2 drops the output of the read that
    // meets corrupt deflate data, and the stream reader reads 1 MiB at a time, so a file
    // damaged anywhere in its first MiB lost every row.
    let big: Vec<u8> = (0..100_000u32)
        .flat_map(|i| format!("d,{i}\n").into_bytes())
        .collect();
    // Stored (uncompressed) deflate blocks, so the damage is certain: a block whose length
    // does not match its one's complement (LEN, NLEN) is corrupt data.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::none());
    enc.write_all(&big).expect("gzip in memory");
    let mut damaged = enc.finish().expect("gzip in memory");
    let nlen = (damaged.len() * 3 / 4..damaged.len() - 4)
        .find(|&i| {
            let len = u16::from_le_bytes([damaged[i], damaged[i + 1]]);
            len > 1000 && !len == u16::from_le_bytes([damaged[i + 2], damaged[i + 3]])
        })
        .expect("a stored block")
        + 2;
    damaged[nlen] ^= 1;
    let mut dec = Gunzip::new(io::BufReader::with_capacity(1 << 20, &damaged[..]));
    let mut kept = Vec::new();
    let mut buf = vec![0; 1 << 20];
    let err = loop {
        match dec.read(&mut buf) {
            Ok(0) => break None,
            Ok(n) => kept.extend_from_slice(&buf[..n]),
            Err(e) => break Some(e),
        }
    };
    assert!(err.is_some(), "the damage is an error");
    assert!(
        kept.len() > big.len() / 2 && big.starts_with(&kept),
        "{} of {} bytes kept",
        kept.len(),
        big.len()
    );
}

#[test]
fn a_failed_copy_is_a_warning_value_and_the_read_goes_on() {
    let cache = MapCache::default();
    // A file opened for reading only: every write to it fails.
    let spool = tempfile::NamedTempFile::new().expect("temp file");
    let mut tee = Tee {
        inner: &b"type,a\nd,1\n"[..],
        copy: Some(File::open(spool.path()).expect("opens")),
        name: "-".to_owned(),
        warnings: Arc::clone(&cache.warnings),
    };
    let mut read = Vec::new();
    tee.read_to_end(&mut read)
        .expect("the read itself succeeds");
    assert_eq!(read, b"type,a\nd,1\n");
    let warnings = cache.take_warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0]
            .starts_with("cannot keep a copy of standard input in the temporary directory ("),
        "{}",
        warnings[0]
    );
    assert!(warnings[0].ends_with("will miss rows"), "{}", warnings[0]);
    assert!(cache.take_warnings().is_empty(), "taken once");
}
