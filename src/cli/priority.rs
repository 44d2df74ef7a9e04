//! A good neighbour to `PowerMTA`: by default pmta-lens lowers its own CPU priority (nice 10) and
//! I/O priority (best-effort, level 7) before it starts any thread, so on a busy MTA host the
//! mail server wins every contention for the cores and the disk. `--priority normal` opts out
//! (the benchmarks use it); `--stats` says what was in force.

use std::sync::OnceLock;

use clap::ValueEnum;

/// `--priority`: what the process runs at.
#[derive(Clone, Copy, Debug, Default, ValueEnum, PartialEq, Eq)]
pub enum Priority {
    /// nice 10 and I/O best-effort level 7 (or lower, if started lower).
    #[default]
    Low,
    /// Left as started.
    Normal,
}

/// The nice value `low` asks for: below every process at the default 0, above `nice 19` jobs.
pub const NICE: i32 = 10;
/// The best-effort I/O level `low` asks for: the lowest of the class (0 is the highest).
pub const IO_LEVEL: u32 = 7;

/// The I/O scheduling classes of `ioprio_set(2)` (`linux/ioprio.h`): none (follows the nice value),
/// real time, best effort, idle.
const CLASS_NAMES: [&str; 4] = ["none", "realtime", "best-effort", "idle"];
const IOPRIO_CLASS_SHIFT: u32 = 13;
const IOPRIO_CLASS_BE: u32 = 2;
const IOPRIO_CLASS_IDLE: u32 = 3;
const IOPRIO_WHO_PROCESS: libc::c_int = 1;

/// What `apply` did, for `--stats`.
static APPLIED: OnceLock<String> = OnceLock::new();

/// An ioprio value from its class and level, as the kernel packs them.
const fn ioprio(class: u32, level: u32) -> u32 {
    (class << IOPRIO_CLASS_SHIFT) | level
}

/// `best-effort 7`, `idle`, `none 4` from a packed ioprio value.
fn describe_io(value: u32) -> String {
    let class = (value >> IOPRIO_CLASS_SHIFT) as usize;
    let level = value & ((1 << IOPRIO_CLASS_SHIFT) - 1);
    match CLASS_NAMES.get(class) {
        Some(&"idle") => "idle".to_owned(),
        Some(name) => format!("{name} {level}"),
        None => format!("class {class} level {level}"),
    }
}

/// Whether an I/O priority is already as low as `low` asks, or lower: idle, or best effort at
/// level 7. (Class none follows the nice value, at most level 7 of best effort when niced.)
fn io_low_enough(value: u32) -> bool {
    let class = value >> IOPRIO_CLASS_SHIFT;
    let level = value & ((1 << IOPRIO_CLASS_SHIFT) - 1);
    class == IOPRIO_CLASS_IDLE || (class == IOPRIO_CLASS_BE && level >= IO_LEVEL)
}

/// The calling thread's nice value.
fn nice() -> i32 {
    // SAFETY: getpriority only reads the scheduling attributes of the calling thread (who 0);
    // no memory is passed. -1 is a legal value as well as the error return, and the call cannot
    // fail for the calling thread, so it is taken as the value.
    #[allow(unsafe_code)]
    unsafe {
        libc::getpriority(libc::PRIO_PROCESS, 0)
    }
}

/// The calling thread's packed I/O priority, if the kernel has `ioprio_get(2)`.
fn io_priority() -> Option<u32> {
    // SAFETY: ioprio_get with IOPRIO_WHO_PROCESS and who 0 reads the calling thread's I/O
    // priority; it takes integers only and writes no memory.
    #[allow(unsafe_code)]
    let v = unsafe { libc::syscall(libc::SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0) };
    u32::try_from(v).ok()
}

/// Lowers the CPU and I/O priority of the calling thread (never raises them), and keeps a line
/// for `--stats`. Call it before any thread starts: on Linux both are per thread, and a thread
/// inherits them from the one that creates it, so the workers, the dashboard's loader and the
/// memory sampler all run at the lowered priority.
pub fn apply(priority: Priority) {
    let line = match priority {
        Priority::Normal => format!(
            "priority: as started (--priority normal): nice {}, I/O {}",
            nice(),
            io_priority().map_or_else(|| "unknown".into(), describe_io)
        ),
        Priority::Low => lower(),
    };
    let _ = APPLIED.set(line);
}

fn lower() -> String {
    let mut problems = Vec::new();
    if nice() < NICE {
        // SAFETY: setpriority changes the calling thread's nice value (who 0); integers only.
        // Raising the value (lower priority) needs no privilege.
        #[allow(unsafe_code)]
        let rc = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, NICE) };
        if rc != 0 {
            problems.push(format!("nice: {}", std::io::Error::last_os_error()));
        }
    }
    if !io_priority().is_some_and(io_low_enough) {
        // SAFETY: ioprio_set with IOPRIO_WHO_PROCESS and who 0 sets the calling thread's I/O
        // priority; integers only. Best effort at level 7 needs no privilege.
        #[allow(unsafe_code)]
        let rc = unsafe {
            libc::syscall(
                libc::SYS_ioprio_set,
                IOPRIO_WHO_PROCESS,
                0,
                ioprio(IOPRIO_CLASS_BE, IO_LEVEL),
            )
        };
        if rc != 0 {
            problems.push(format!("I/O priority: {}", std::io::Error::last_os_error()));
        }
    }
    // Read back rather than assumed: what the kernel has is what `--stats` says.
    let mut line = format!(
        "priority: nice {}, I/O {} (lowered for PowerMTA; --priority normal opts out)",
        nice(),
        io_priority().map_or_else(|| "unknown".into(), describe_io)
    );
    if !problems.is_empty() {
        line.push_str("; could not lower ");
        line.push_str(&problems.join(", "));
    }
    line
}

/// The line `--stats` prints: what `apply` did, or `None` if it was not called.
pub fn stats_line() -> Option<&'static str> {
    APPLIED.get().map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_priorities_are_packed_and_described_as_the_kernel_does() {
        // linux/ioprio.h: IOPRIO_PRIO_VALUE(IOPRIO_CLASS_BE, 7) == 0x4007.
        assert_eq!(ioprio(IOPRIO_CLASS_BE, 7), 0x4007);
        assert_eq!(describe_io(0x4007), "best-effort 7");
        assert_eq!(describe_io(ioprio(IOPRIO_CLASS_IDLE, 0)), "idle");
        assert_eq!(describe_io(4), "none 4");
        assert_eq!(describe_io(ioprio(1, 0)), "realtime 0");
    }

    #[test]
    fn only_a_higher_io_priority_is_lowered() {
        assert!(io_low_enough(ioprio(IOPRIO_CLASS_BE, 7)));
        assert!(io_low_enough(ioprio(IOPRIO_CLASS_IDLE, 0)));
        assert!(!io_low_enough(ioprio(IOPRIO_CLASS_BE, 4)));
        assert!(!io_low_enough(ioprio(1, 7)));
        assert!(!io_low_enough(0));
    }

    #[test]
    fn lowering_on_a_thread_of_its_own_leaves_it_at_nice_10_and_best_effort_7() {
        // Per thread on Linux: a fresh thread, so the test runner's other threads are untouched.
        std::thread::spawn(|| {
            let before = nice();
            let line = lower();
            assert!(nice() >= NICE.max(before), "{line}");
            assert!(io_priority().is_some_and(io_low_enough), "{line}");
            assert!(line.starts_with("priority: nice "), "{line}");
            assert!(!line.contains("could not"), "{line}");
        })
        .join()
        .expect("the thread ran");
    }
}
