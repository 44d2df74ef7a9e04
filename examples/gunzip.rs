//! Decompresses `.gz` accounting files on one thread the way the scan reads them (the same
//! decoder, the same record-aligned blocks) and throws the bytes away, so that
//! `benches/compare.py` can set our decompression beside `zcat` on the same file.
//!
//! ```text
//! cargo run --release --example gunzip -- bench-data/acct-esp-1g-seed42.csv.gz
//! ```
//!
//! Prints one line per file: decompressed bytes, seconds and GB/s.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use pmta_lens::acct::discover::{Input, InputKind};
use pmta_lens::acct::source::{BlockReader, Opened, open};

/// The scan's block size for streams (see `scan::driver`).
const BLOCK: usize = 1 << 20;

fn main() -> ExitCode {
    let paths: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if paths.is_empty() {
        eprintln!("usage: gunzip FILE.gz...");
        return ExitCode::from(2);
    }
    for path in paths {
        let input = Input {
            path: path.clone(),
            kind: InputKind::Gzip,
        };
        let started = Instant::now();
        let stream = match open(&input, true) {
            Ok(Opened::Stream(s)) => s,
            Ok(other) => {
                eprintln!("{}: not read as a stream: {other:?}", path.display());
                return ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        };
        let mut reader = BlockReader::new(stream, BLOCK);
        loop {
            match reader.next_block() {
                Ok(Some(block)) => {
                    std::hint::black_box(block);
                }
                Ok(None) => break,
                Err(e) => {
                    eprintln!("{}: {e}", path.display());
                    return ExitCode::FAILURE;
                }
            }
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{}: {} bytes in {secs:.3} s, {:.2} GB/s",
            path.display(),
            reader.bytes_read,
            reader.bytes_read as f64 / secs / 1e9
        );
    }
    ExitCode::SUCCESS
}
