//! "Permission denied" on an input, made actionable: which group may read it. `PowerMTA`'s log
//! directory is usually readable by the `pmta` group, and joining it is the fix an operator
//! wants, rather than running pmta-lens as root. The core returns the error as a value
//! (`InputError`); this adds the advice where the front end prints it.

use std::fmt::Write as _;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::error::InputError;

/// The error as printed, with what became of its rows and, when permission was denied, whom to
/// ask: `/var/log/pmta/acct.csv: Permission denied (os error 13) (skipped); the group pmta ...`.
pub fn explain(e: &InputError) -> String {
    let mut s = format!("{e}{}", e.outcome());
    if let Some(hint) = denied_path(e).and_then(hint) {
        let _ = write!(s, "; {hint}");
    }
    s
}

/// A config that could not be read, with the same advice when permission was denied:
/// `/etc/pmta/config` is often `root:pmta`, mode 640.
pub fn explain_config(e: &crate::config::ConfigError) -> String {
    let mut s = e.to_string();
    if let crate::config::ConfigError::Read { path, reason, .. } = e
        && reason.kind() == std::io::ErrorKind::PermissionDenied
        && let Some(hint) = hint(path)
    {
        let _ = write!(s, "; {hint}");
    }
    s
}

/// Why a file that exists cannot be opened, with the advice, or `None` when it can be (or
/// does not exist).
pub fn unreadable(path: &Path) -> Option<String> {
    let e = std::fs::File::open(path).err()?;
    if e.kind() == std::io::ErrorKind::NotFound {
        return None;
    }
    let mut s = format!("{}: {e}", path.display());
    if e.kind() == std::io::ErrorKind::PermissionDenied
        && let Some(hint) = hint(path)
    {
        let _ = write!(s, "; {hint}");
    }
    Some(s)
}

/// The path of an input that could not be read for want of permission.
fn denied_path(e: &InputError) -> Option<&Path> {
    match e {
        InputError::Io { path, source } | InputError::Cut { path, source, .. }
            if source.kind() == std::io::ErrorKind::PermissionDenied =>
        {
            Some(path)
        }
        _ => None,
    }
}

/// What refuses access to a path: the path itself when it can be looked at (a file needs its
/// read bit, a directory read and search), else the nearest directory above it that can be
/// (looking at the path failed, so that directory denies search).
struct Blocker {
    path: PathBuf,
    /// The path itself, not a directory above it.
    is_target: bool,
    gid: u32,
    /// Whether the group's permission bits give what is needed.
    group_can: bool,
}

fn blocker(path: &Path) -> Option<Blocker> {
    if let Ok(m) = std::fs::metadata(path) {
        let need = if m.is_dir() { 0o050 } else { 0o040 };
        return Some(Blocker {
            path: path.to_path_buf(),
            is_target: true,
            gid: m.gid(),
            group_can: m.mode() & need == need,
        });
    }
    let (dir, m) = path.ancestors().skip(1).find_map(|a| {
        let a = if a.as_os_str().is_empty() {
            Path::new(".")
        } else {
            a
        };
        std::fs::metadata(a).ok().map(|m| (a.to_path_buf(), m))
    })?;
    Some(Blocker {
        path: dir,
        is_target: false,
        gid: m.gid(),
        group_can: m.mode() & 0o010 != 0,
    })
}

/// The advice for a path that could not be read, or `None` when nothing useful can be said.
fn hint(path: &Path) -> Option<String> {
    let b = blocker(path)?;
    let group = nss_group_name(b.gid).unwrap_or_else(|| {
        group_name(
            b.gid,
            &std::fs::read_to_string("/etc/group").unwrap_or_default(),
        )
    });
    let member = std::fs::read_to_string("/proc/self/status")
        .ok()
        .is_some_and(|s| process_groups(&s).contains(&b.gid));
    Some(advice(&b, &group, member))
}

fn advice(b: &Blocker, group: &str, member: bool) -> String {
    let what = if b.is_target {
        "it".to_owned()
    } else {
        format!("its directory {}", b.path.display())
    };
    if !b.group_can {
        return format!(
            "only the owner of {} can read {what}: ask for group read access, or run as its owner",
            b.path.display()
        );
    }
    if member {
        // In the group on paper but not in this session: groups are read at login.
        format!(
            "the group {group} can read {what} and you were added to it after this session \
             started: log in again (or `newgrp {group}`)"
        )
    } else {
        format!(
            "the group {group} can read {what}: join it with `sudo usermod -aG {group} $USER`, \
             then log in again"
        )
    }
}

/// A group's name as the system's name service gives it (files, LDAP, sssd: the name `ls -l`
/// shows), if it knows the group. MTA hosts joined to a directory have their `pmta` group there,
/// not in /etc/group.
fn nss_group_name(gid: u32) -> Option<String> {
    nix::unistd::Group::from_gid(nix::unistd::Gid::from_raw(gid))
        .ok()
        .flatten()
        .map(|g| g.name)
        .filter(|n| !n.is_empty())
}

/// A group's name from the text of /etc/group (`name:x:gid:members`), or its number.
fn group_name(gid: u32, etc_group: &str) -> String {
    etc_group
        .lines()
        .find_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            let id: u32 = f.nth(1)?.parse().ok()?;
            (id == gid && !name.is_empty()).then(|| name.to_owned())
        })
        .unwrap_or_else(|| gid.to_string())
}

/// The process's supplementary groups, from the `Groups:` line of /proc/self/status.
fn process_groups(status: &str) -> Vec<u32> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("Groups:"))
        .map(|g| {
            g.split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ETC_GROUP: &str = "root:x:0:\nadm:x:4:syslog\n\npmta:x:998:alice,bob\n";

    #[test]
    fn groups_are_named_from_etc_group_or_numbered() {
        assert_eq!(group_name(998, ETC_GROUP), "pmta");
        assert_eq!(group_name(0, ETC_GROUP), "root");
        assert_eq!(group_name(1234, ETC_GROUP), "1234");
        assert_eq!(group_name(5, "broken\n:x:5:\n"), "5");
    }

    #[test]
    fn groups_are_named_by_the_name_service() {
        assert_eq!(nss_group_name(0).as_deref(), Some("root"));
    }

    #[test]
    fn the_process_groups_come_from_proc_status() {
        let status = "Name:\tpmta-lens\nGroups:\t4 27 998 \nVmPeak:\t1 kB\n";
        assert_eq!(process_groups(status), [4, 27, 998]);
        assert!(process_groups("Name:\tx\n").is_empty());
    }

    fn blocker(is_target: bool, group_can: bool) -> Blocker {
        Blocker {
            path: "/var/log/pmta".into(),
            is_target,
            gid: 998,
            group_can,
        }
    }

    #[test]
    fn the_advice_names_the_group_that_can_read() {
        assert_eq!(
            advice(&blocker(true, true), "pmta", false),
            "the group pmta can read it: join it with `sudo usermod -aG pmta $USER`, then log \
             in again"
        );
        assert_eq!(
            advice(&blocker(false, true), "pmta", false),
            "the group pmta can read its directory /var/log/pmta: join it with `sudo usermod \
             -aG pmta $USER`, then log in again"
        );
        assert!(advice(&blocker(true, true), "pmta", true).contains("log in again"));
        assert_eq!(
            advice(&blocker(true, false), "pmta", false),
            "only the owner of /var/log/pmta can read it: ask for group read access, or run as \
             its owner"
        );
    }

    #[test]
    fn only_permission_denied_gets_advice() {
        let other = InputError::Io {
            path: "/nonexistent/acct.csv".into(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        };
        assert_eq!(explain(&other), format!("{other} (skipped)"));
        let denied = InputError::Io {
            path: "/".into(),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        };
        // `/` is root's group's and readable by it.
        assert!(
            explain(&denied).contains("; the group "),
            "{}",
            explain(&denied)
        );
    }
}
