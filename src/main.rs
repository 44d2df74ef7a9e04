//! The `pmta-lens` binary: everything is in the library's `cli` module, so tests reach it too.

fn main() -> std::process::ExitCode {
    pmta_lens::allocator::tune_allocator();
    pmta_lens::cli::main()
}

/// Notes whether stdout was closed when the process started (`pmta-lens rows >&-`). The Rust
/// runtime opens `/dev/null` in place of a closed standard descriptor before `main` (so a file
/// opened later cannot take descriptor 1), after which a closed stdout looks like `> /dev/null`
/// and the output would vanish without a word. A function in `.init_array` runs before that.
#[cfg(target_os = "linux")]
mod stdout_probe {
    use std::sync::atomic::Ordering;

    extern "C" fn probe() {
        // SAFETY: F_GETFD only reads the descriptor's flags; it fails (EBADF) exactly when the
        // descriptor is not open. No memory is passed.
        #[allow(unsafe_code)]
        let closed = unsafe { libc::fcntl(1, libc::F_GETFD) } == -1;
        if closed {
            pmta_lens::cli::stdout::CLOSED_AT_START.store(true, Ordering::Relaxed);
        }
    }

    // SAFETY: the loader calls each `.init_array` entry once, before `main`, as a C function;
    // `probe` is one, touches only an atomic and the descriptor table, and ignores the
    // arguments glibc passes.
    #[allow(unsafe_code)]
    #[used]
    #[unsafe(link_section = ".init_array")]
    static PROBE: extern "C" fn() = probe;
}
