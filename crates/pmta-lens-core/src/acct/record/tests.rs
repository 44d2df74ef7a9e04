//! Tests of the record splitter: the csv crate as reference, every way of computing the masks,
//! resynchronisation after a stray quote, and random records.

use super::*;

fn split_all(input: &[u8]) -> Vec<(Vec<String>, RecordEnd, u64)> {
    let mut s = FieldSplitter::default();
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < input.len() {
        let r = s.split(input, pos);
        let fields = s
            .fields()
            .iter()
            .map(|f| String::from_utf8_lossy(&unescape(f.bytes(input), f.escaped)).into_owned())
            .collect();
        out.push((fields, r.end, r.newlines));
        assert!(r.next > pos, "progress");
        pos = r.next;
    }
    out
}

fn csv_crate(input: &[u8]) -> Vec<Vec<String>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    rdr.byte_records()
        .map(|r| {
            r.expect("valid csv")
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect()
        })
        .collect()
}

#[test]
fn agrees_with_the_csv_crate_on_well_formed_input() {
    let cases: &[&[u8]] = &[
        b"a,b,c\n",
        b"a,b,c",
        b"a,,c\r\nd,e,\r\n",
        b"d,\"ENHANCEDSTATUSCODES,8BITMIME\",x\n",
        b"d,\"He said \"\"hi\"\", then left\",x\n",
        b"d,\"multi\nline\",x\nb,2,3\n",
        b"d,\"\",x\n",
        b"d,\"\"\"\",x\n",
        b"t,\"a\r\nb\",c\r\n",
        b"rb,2010-12-01 14:24:44-0500,\"smtp;550 5.1.1 in \"\"RCPT TO:<x@y>\"\"\",z\n",
    ];
    for input in cases {
        let ours: Vec<Vec<String>> = split_all(input).into_iter().map(|r| r.0).collect();
        assert_eq!(ours, csv_crate(input), "{}", String::from_utf8_lossy(input));
    }
}

#[test]
fn storing_fewer_fields_counts_the_same_record() {
    let cases: &[&[u8]] = &[
        b"a,b,c\n",
        b"a,b,c",
        b"a,,c\r\nd,e,\r\n",
        b"d,\"ENHANCEDSTATUSCODES,8BITMIME\",x,\"s, \"\"q\"\"\",,\n",
        b"d,\"multi\nline\",x\nb,2,3\n",
        b"d,a\"b,c\"d,e\n",
        b"d,\"a\"junk,\"b\",c\n",
        b"d,\"a\"\r,x\n",
        b"d,1,\"ENHANCED\nd,2,\"x,y\",z\nb,3,q\n",
        b"d,1,2,\"never closed",
    ];
    let mut full = FieldSplitter::default();
    let mut part = FieldSplitter::default();
    for input in cases {
        let mut pos = 0;
        while pos < input.len() {
            let want = full.split(input, pos);
            assert_eq!(want.field_count, full.fields().len());
            for limit in 0..=want.field_count + 1 {
                let got = part.split_first(input, pos, limit);
                let what = format!("{} at {pos} limit {limit}", String::from_utf8_lossy(input));
                assert_eq!(got, want, "{what}");
                assert_eq!(
                    part.fields(),
                    &full.fields()[..limit.min(want.field_count)],
                    "{what}"
                );
            }
            pos = want.next;
        }
    }
}

#[test]
fn record_ends_and_line_counts() {
    let recs = split_all(b"d,\"a\nb\",c\nb,1\nt,2");
    assert_eq!(recs.len(), 3);
    assert_eq!((recs[0].1, recs[0].2), (RecordEnd::Newline, 2));
    assert_eq!((recs[1].1, recs[1].2), (RecordEnd::Newline, 1));
    assert_eq!((recs[2].1, recs[2].2), (RecordEnd::EndOfInput, 0));
}

#[test]
fn a_stray_quote_does_not_swallow_the_following_rows() {
    let input = b"d,1,\"ENHANCED\nd,2,\"x,y\",z\nb,3,q\n";
    let recs = split_all(input);
    assert_eq!(recs.len(), 3);
    assert_eq!(recs[0].1, RecordEnd::UnterminatedQuote);
    assert_eq!(recs[0].0, ["d", "1", "ENHANCED"]);
    assert_eq!(recs[1].0, ["d", "2", "x,y", "z"]);
    assert_eq!(recs[2].0, ["b", "3", "q"]);
    assert_eq!(
        recs.iter().map(|r| r.2).sum::<u64>(),
        3,
        "every line counted once"
    );
}

#[test]
fn unterminated_quote_at_end_of_input() {
    let recs = split_all(b"d,1,\"never closed");
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].1, RecordEnd::UnterminatedQuote);
}

#[test]
fn record_starts() {
    for yes in [
        &b"d,"[..],
        b"b,x",
        b"t,",
        b"tq,",
        b"r,",
        b"f,",
        b"rb,",
        b"rs,",
        b"type,",
    ] {
        assert!(is_record_start(yes, 0), "{}", String::from_utf8_lossy(yes));
    }
    for no in [&b"d"[..], b"x,", b"dd,", b"typ,", b"550 5.7.1", b"", b"tr,"] {
        assert!(!is_record_start(no, 0), "{}", String::from_utf8_lossy(no));
    }
}

#[test]
fn garbage_after_a_closing_quote_stays_in_one_field() {
    let recs = split_all(b"d,\"a\"b,c\n");
    assert_eq!(recs[0].0, ["d", "a", "c"]);
}

use crate::test_rng::Rng;

/// Bytes a field's text is made of: separators, quotes, CR and LF turn up often.
const TEXT: &[u8] = b"ab9 .@;,,\"\r\n\n\t";

fn text(rng: &mut Rng, out: &mut Vec<u8>, max: usize) {
    // Mostly short, sometimes long enough to cross one or two 64-byte blocks.
    let n = match rng.below(8) {
        0 => rng.below(150),
        _ => rng.below(max + 1),
    };
    for _ in 0..n {
        out.push(*rng.pick(TEXT));
    }
}

/// A buffer of random records: plain, empty and quoted fields, doubled and stray quotes,
/// garbage after a closing quote, quotes never closed, newlines inside quotes (some followed
/// by a record start), LF and CRLF, and sometimes no newline at the end.
fn random_records(rng: &mut Rng) -> Vec<u8> {
    const STARTS: &[&[u8]] = &[
        b"d", b"b", b"t", b"tq", b"r", b"f", b"rb", b"rs", b"type", b"x", b"dd", b"",
    ];
    let mut out = Vec::new();
    for _ in 0..=rng.below(6) {
        out.extend(rng.pick(STARTS).iter());
        // Up to the ~40 columns of a real union header, mostly empty at the end.
        let most = *rng.pick(&[4, 12, 45]);
        let fields = rng.below(most);
        // Some records quote often, some never (long unquoted stretches).
        let quoted = *rng.pick(&[0, 2, 4]);
        for _ in 0..fields {
            field(rng, &mut out, quoted);
        }
        match rng.below(8) {
            0 => out.extend_from_slice(b"\r\n"),
            1 => out.push(b'\r'),
            _ => out.push(b'\n'),
        }
    }
    if rng.below(4) == 0 {
        out.pop();
    }
    out
}

/// A comma and a field: quoted with probability `quoted` in 10, else plain or empty.
fn field(rng: &mut Rng, out: &mut Vec<u8>, quoted: usize) {
    out.push(b',');
    let kind = rng.below(10);
    if kind < quoted {
        quoted_field(rng, out);
    } else if kind < 6 {
        // plain text, which may hold a stray quote or a CR but no separator
        let from = out.len();
        text(rng, out, 12);
        let plain: Vec<u8> = out
            .drain(from..)
            .filter(|c| !matches!(c, b',' | b'\n'))
            .collect();
        out.extend(plain);
    }
}

/// A quoted field: doubled quotes, newlines (some followed by a record start), and sometimes
/// garbage after the closing quote or no closing quote at all.
fn quoted_field(rng: &mut Rng, out: &mut Vec<u8>) {
    const RESYNC: &[&[u8]] = &[b"\nd,", b"\ntq,", b"\ntype,", b"\nx,"];
    out.push(b'"');
    for _ in 0..=rng.below(3) {
        text(rng, out, 20);
        match rng.below(6) {
            0 => out.extend_from_slice(b"\"\""),
            1 => out.extend(rng.pick(RESYNC).iter()),
            _ => {}
        }
    }
    match rng.below(12) {
        0 => {} // never closed (until a later quote, if any)
        1 => {
            out.push(b'"');
            text(rng, out, 5); // garbage after the closing quote
        }
        _ => out.push(b'"'),
    }
}

/// The block-scan splitter with each way of computing masks this machine can run.
#[allow(unsafe_code)]
fn split_each_way(
    s: &mut FieldSplitter,
    buf: &[u8],
    pos: usize,
    limit: usize,
) -> Vec<(Split, Vec<Field>)> {
    let mut out = vec![(s.split_with(Portable, buf, pos, limit), s.fields().to_vec())];
    #[cfg(target_arch = "x86_64")]
    {
        out.push((s.split_with(Sse2, buf, pos, limit), s.fields().to_vec()));
        if let Some(avx2) = Avx2::detect() {
            // SAFETY: `detect` found AVX2, BMI1 and POPCNT on this CPU.
            out.push((
                unsafe { s.split_avx2(avx2, buf, pos, limit) },
                s.fields().to_vec(),
            ));
        }
    }
    out.push((s.split_first(buf, pos, limit), s.fields().to_vec()));
    out
}

#[test]
fn agrees_with_the_reference_splitter_on_random_records() {
    let mut rng = Rng::new(0x5EED_5EED);
    let mut reference = reference::FieldSplitter::default();
    let mut fast = FieldSplitter::default();
    let mut records = 0;
    for case in 0..6_000 {
        let buf = random_records(&mut rng);
        if buf.is_empty() {
            continue;
        }
        // Every record start in turn, and a few positions that are not record starts.
        let mut starts = Vec::new();
        let mut pos = 0;
        while pos < buf.len() {
            starts.push(pos);
            pos = reference.split(&buf, pos).next;
        }
        records += starts.len();
        for _ in 0..2 {
            starts.push(rng.below(buf.len()));
        }
        for pos in starts {
            let all = reference.split(&buf, pos);
            let mut limits = vec![0, 1, 2, 3, all.field_count, usize::MAX];
            limits.push(rng.below(all.field_count + 2));
            for limit in limits {
                let want = (
                    reference.split_first(&buf, pos, limit),
                    reference.fields().to_vec(),
                );
                for got in split_each_way(&mut fast, &buf, pos, limit) {
                    assert_eq!(
                        got,
                        want,
                        "case {case}, pos {pos}, limit {limit}: {:?}",
                        String::from_utf8_lossy(&buf)
                    );
                }
            }
        }
    }
    assert!(records > 15_000, "the generator makes records ({records})");
}

/// The masks of `block` from each way but [`Portable`] that this machine can run.
#[cfg(target_arch = "x86_64")]
fn other_masks(block: &[u8; 64]) -> Vec<Masks> {
    let avx2 = Avx2::detect().map(|a| a.masks(block));
    std::iter::once(Sse2.masks(block)).chain(avx2).collect()
}

#[cfg(not(target_arch = "x86_64"))]
fn other_masks(_: &[u8; 64]) -> Vec<Masks> {
    Vec::new()
}

#[test]
fn the_ways_of_computing_masks_agree() {
    let mut rng = Rng::new(7);
    for _ in 0..2_000 {
        let mut block = [0u8; 64];
        for b in &mut block {
            *b = match rng.below(4) {
                0 => *rng.pick(b",\"\n\r"),
                _ => rng.next() as u8,
            };
        }
        let want = Portable.masks(&block);
        for g in other_masks(&block) {
            assert_eq!((g.comma, g.quote, g.nl), (want.comma, want.quote, want.nl));
        }
    }
}

#[test]
fn unescape_doubled_quotes() {
    assert_eq!(&*unescape(b"a\"\"b", true), b"a\"b");
    assert_eq!(&*unescape(b"plain", false), b"plain");
}
