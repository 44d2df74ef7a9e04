//! Generated accounting files for integration tests: one place that writes a profile to a file.

use std::path::{Path, PathBuf};

use pmta_lens_synth::{Profile, write_accounting};

/// Writes `profile`'s accounting file as `dir/name` and returns its path.
pub fn generated_file(profile: &Profile, dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let file = std::fs::File::create(&path).expect("create");
    write_accounting(profile, std::io::BufWriter::new(file)).expect("generate");
    path
}
