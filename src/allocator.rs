//! How the process uses glibc's allocator: settings made once at start (for every command, and
//! one arena for the dashboard) and the free pages handed back after the dashboard's merges. A
//! module of its own, beside the front ends, because both the command line and the dashboard
//! call it and neither may reach into the other.

/// Large buffers (a large sender's tables of a hundred thousand destinations, the vectors that
/// double as they grow) get their own mappings, returned to the system when freed. glibc's
/// default raises that threshold each time such a buffer is freed, after which freed buffers
/// stay in the heap as holes that later requests do not fit: 15-20 % more resident memory on a
/// large sender's day, taken from `PowerMTA` on its host. Call once, first thing in `main`.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn tune_allocator() {
    // SAFETY: mallopt only sets a parameter of the allocator; it is called before any thread
    // is started.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// Other platforms' allocators are left as they are.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn tune_allocator() {}

/// Limits the allocator to one arena, for the dashboard. It lives for hours beside `PowerMTA`
/// and builds each snapshot on its own thread from what the scan's workers counted: with one
/// arena a block a worker frees serves the next snapshot instead of staying resident in that
/// worker's arena (the `esp` day: 104 -> 98 MB at the peak). The scan allocates per chunk, not
/// per row, so the workers hardly contend for it. Call before the scan's threads start.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn one_allocator_arena() {
    // SAFETY: mallopt only sets a parameter of the allocator.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// Other platforms' allocators are left as they are.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn one_allocator_arena() {}

/// Hands the pages the allocator holds free back to the system. glibc gives each thread an
/// arena and reuses a freed block only for the thread of its arena, so what the scan's workers
/// free (their partial counts, once merged) stays resident while the main thread builds the
/// next snapshot. Called a few times a scan, after such a merge: it costs about a millisecond.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn release_free_memory() {
    // SAFETY: malloc_trim only returns free memory to the system; it is thread-safe and
    // touches no block in use.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Other platforms' allocators are left as they are.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_free_memory() {}
