//! Build script: the git commit and the target triple for `pmta-lens --version`, so a binary
//! copied onto an MTA host says exactly what it is. A build outside a git checkout (a release
//! tarball, `cargo package`) says "unknown" rather than fail.

use std::path::PathBuf;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!s.is_empty()).then_some(s)
}

/// Whether the package directory is the top of a git checkout (not a tarball unpacked inside
/// some other repository, whose commit would say nothing about this source).
fn in_own_checkout() -> bool {
    let top = git(&["rev-parse", "--show-toplevel"]).and_then(|t| std::fs::canonicalize(t).ok());
    let here = std::env::var_os("CARGO_MANIFEST_DIR").and_then(|d| std::fs::canonicalize(d).ok());
    top.is_some() && top == here
}

fn main() {
    let commit = in_own_checkout()
        .then(|| git(&["rev-parse", "--short=12", "HEAD"]))
        .flatten()
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=PMTA_LENS_COMMIT={commit}");
    // Cargo gives the target of this build (zigbuild's `.2.17` glibc suffix is not part of it).
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".into());
    println!("cargo:rustc-env=PMTA_LENS_TARGET={target}");
    // Rerun when HEAD moves: HEAD itself (a checkout) and the branch it points at (a commit).
    // Paths from git, so a worktree (whose .git is a file) is followed too.
    println!("cargo:rerun-if-changed=build.rs");
    // Only files that exist: cargo reruns a script watching a missing file on every build.
    let branch = git(&["symbolic-ref", "-q", "HEAD"]);
    for name in ["HEAD", "packed-refs"].into_iter().chain(branch.as_deref()) {
        if let Some(p) = git(&["rev-parse", "--git-path", name]).map(PathBuf::from)
            && p.exists()
        {
            println!("cargo:rerun-if-changed={}", p.display());
        }
    }
}
