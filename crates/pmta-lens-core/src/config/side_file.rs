//! Reading the side files an operator names (`--config` and its includes, `--rules`, `--snds`,
//! `--pmta-log`) without trusting them to be files of sane size. A path can name `/dev/zero`
//! (read whole it eats memory until the machine swaps), a FIFO (opening it blocks until a writer
//! comes) or a directory; a side file read whole must also fit in memory. So a side file must be
//! a regular file, and one read whole must be under its kind's limit. Never touches the
//! accounting logs.

use std::fs::File;
use std::io::{self, Read as _};
use std::path::Path;

const MIB: u64 = 1 << 20;

/// What a side file is, for its limit and for the messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kind {
    /// As a message names it: "a `PowerMTA` config file".
    pub what: &'static str,
    /// The largest file read whole, in bytes.
    pub limit: u64,
}

/// A config file (each include counts on its own). The largest real configs are tens of KiB.
pub const CONFIG: Kind = Kind {
    what: "a PowerMTA config file",
    limit: 16 * MIB,
};

/// `--rules`: a JSON array of a few dozen rules is a few KiB.
pub const RULES: Kind = Kind {
    what: "a rules file",
    limit: 16 * MIB,
};

/// `--snds`: one line per IP and day, about 100 bytes. 64 MiB holds a year of 1,700 IPs.
pub const SNDS: Kind = Kind {
    what: "an SNDS export",
    limit: 64 * MIB,
};

/// `--pmta-log`: streamed line by line, so of any size (the limit is not used).
pub const LOG: Kind = Kind {
    what: "a PowerMTA log",
    limit: u64::MAX,
};

/// The longest `--pmta-log` line kept. The log is streamed line by line, so its size has no
/// limit; a line longer than this (the lines that matter are under 300 bytes; a `log-data`
/// line can be long) is skipped without being held, so a file with no newline cannot fill
/// memory.
pub const LOG_LINE_LIMIT: usize = 64 * 1024;

/// Opens `path` for reading if it is a regular file. The open does not block on a FIFO (it is
/// made non-blocking, then refused), and the type is checked on the opened file, so the path
/// cannot be swapped between the check and the read.
pub fn open_regular(path: &Path, kind: Kind) -> io::Result<File> {
    let file = open_nonblocking(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "not a regular file ({}): {} must be a regular file",
                type_name(meta.file_type()),
                kind.what
            ),
        ));
    }
    Ok(file)
}

/// Reads a whole side file: a regular file of at most `kind.limit` bytes.
pub fn read(path: &Path, kind: Kind) -> io::Result<Vec<u8>> {
    let file = open_regular(path, kind)?;
    let size = file.metadata()?.len();
    let too_big = |size: u64| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{} is over the {} limit for {}",
                human(size),
                human(kind.limit),
                kind.what
            ),
        )
    };
    if size > kind.limit {
        return Err(too_big(size));
    }
    // The file may grow after the size was read (a log being written): read one byte past the
    // limit at most, so a growing file is refused instead of read without end.
    let mut data = Vec::with_capacity(size as usize);
    file.take(kind.limit + 1).read_to_end(&mut data)?;
    if data.len() as u64 > kind.limit {
        return Err(too_big(data.len() as u64));
    }
    Ok(data)
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. It changes
    // nothing for a regular file's reads.
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> io::Result<File> {
    File::open(path)
}

fn type_name(t: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else {
        "not a file"
    }
}

/// `16 MiB`, `20.5 MiB`, `512 bytes`.
fn human(n: u64) -> String {
    if n < MIB {
        return format!("{n} bytes");
    }
    let mib = n as f64 / MIB as f64;
    if n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else {
        format!("{mib:.1} MiB")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Kind = Kind {
        what: "a test file",
        limit: 10,
    };

    #[test]
    fn devices_directories_and_fifos_are_refused_without_reading() {
        let e = read(Path::new("/dev/zero"), CONFIG).expect_err("a device");
        assert!(
            e.to_string()
                .contains("not a regular file (a character device)"),
            "{e}"
        );
        let dir = tempfile::tempdir().expect("dir");
        let e = read(dir.path(), RULES).expect_err("a directory");
        assert!(e.to_string().contains("(a directory): a rules file"), "{e}");
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success());
        if made {
            // Would block forever without O_NONBLOCK: no writer ever comes.
            let e = read(&fifo, SNDS).expect_err("a FIFO");
            assert!(e.to_string().contains("(a FIFO)"), "{e}");
        }
    }

    #[test]
    fn files_over_the_limit_are_refused_with_it() {
        let dir = tempfile::tempdir().expect("dir");
        let p = dir.path().join("f");
        std::fs::write(&p, b"0123456789").expect("write");
        assert_eq!(read(&p, SMALL).expect("at the limit"), b"0123456789");
        std::fs::write(&p, b"0123456789x").expect("write");
        let e = read(&p, SMALL).expect_err("over");
        assert_eq!(
            e.to_string(),
            "11 bytes is over the 10 bytes limit for a test file"
        );
        assert_eq!(human(16 * MIB), "16 MiB");
        assert_eq!(human(16 * MIB + MIB / 2), "16.5 MiB");
    }
}
