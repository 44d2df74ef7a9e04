//! Generated accounting files for integration tests: one place that writes a profile to a file.

use std::path::{Path, PathBuf};

use pmta_lens_synth::{Profile, Size, write_accounting};

/// Writes `profile`'s accounting file as `dir/name` and returns its path.
pub fn generated_file(profile: &Profile, dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let file = std::fs::File::create(&path).expect("create");
    write_accounting(profile, std::io::BufWriter::new(file)).expect("generate");
    path
}

/// `rows` rows of `profile` as `dir/small.csv` and four times as many as `dir/large.csv`: the
/// pair a memory test compares the peaks of.
#[allow(dead_code)] // not every test binary that includes this module uses it
pub fn small_and_large(profile: &Profile, rows: u64, dir: &Path) -> (PathBuf, PathBuf) {
    let sized = |n| Profile {
        size: Size::Rows(n),
        ..profile.clone()
    };
    (
        generated_file(&sized(rows), dir, "small.csv"),
        generated_file(&sized(4 * rows), dir, "large.csv"),
    )
}

/// The pool memory tests measure in: two workers, as on the 2-core machine the budgets are
/// set for, whatever the machine running the test.
#[allow(dead_code)]
pub fn two_workers() -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("pool")
}
