//! Passing a signal on, from a handler of ours, to what was there before it: shared by the
//! mapped-file guard (`acct::guard`, SIGBUS) and the dashboard's terminal restore
//! (`tui::terminal`, the fatal signals). Async-signal-safe calls only.
#![allow(unsafe_code)]

/// Puts back the default action of `sig` (with an empty mask): a sent signal re-raised, or a
/// fault repeating as the handler returns, then does what it would have done without us.
pub fn default_action(sig: libc::c_int) {
    // SAFETY: a zeroed sigaction is valid; SIG_DFL with no flags is the default action.
    unsafe {
        let mut dfl: libc::sigaction = std::mem::zeroed();
        dfl.sa_sigaction = libc::SIG_DFL;
        libc::sigaction(sig, &raw const dfl, std::ptr::null_mut());
    }
}

/// Passes `sig` on to `prev`, the action our handler replaced: its handler, called with the
/// signature its flags declare; or, when it was the default action, ignored, or unknown (null),
/// the default action, which a fault takes as the handler returns.
///
/// # Safety
/// `prev` is null or points to a `sigaction` that outlives the call; `info` and `ctx` are the
/// arguments the kernel passed to an `SA_SIGINFO` handler for `sig`.
pub unsafe fn pass_on(
    sig: libc::c_int,
    info: *mut libc::siginfo_t,
    ctx: *mut libc::c_void,
    prev: *const libc::sigaction,
) {
    // SAFETY: the caller's promise: null or valid.
    let Some(prev) = (unsafe { prev.as_ref() }) else {
        default_action(sig);
        return;
    };
    let handler = prev.sa_sigaction;
    if handler == libc::SIG_DFL || handler == libc::SIG_IGN {
        default_action(sig);
        return;
    }
    // SAFETY: the previous action's handler, with the signature its flags declare, called with
    // the kernel's own arguments.
    unsafe {
        if prev.sa_flags & libc::SA_SIGINFO != 0 {
            let f = std::mem::transmute::<
                usize,
                extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void),
            >(handler);
            f(sig, info, ctx);
        } else {
            let f = std::mem::transmute::<usize, extern "C" fn(libc::c_int)>(handler);
            f(sig);
        }
    }
}
