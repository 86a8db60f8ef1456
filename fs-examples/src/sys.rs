//! The few POSIX calls std lacks, each in one small safe function:
//! blocking the termination signals and waiting for one, starting a new
//! session, the real user id.
use std::io;

/// SIGINT, SIGTERM and SIGHUP, blocked in the calling thread (and every
/// thread it starts afterwards) so that [`TerminationSignals::wait`] can
/// take them one at a time instead of a handler interrupting anything.
pub struct TerminationSignals {
    set: libc::sigset_t,
}

impl TerminationSignals {
    pub fn block() -> Result<TerminationSignals, String> {
        // SAFETY: sigset_t is plain data; sigemptyset initialises it before
        // any other use, sigaddset only sets bits, and pthread_sigmask reads
        // the set and accepts a null old-set pointer.
        let rc = unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                libc::sigaddset(&mut set, signal);
            }
            let rc = libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            (rc == 0).then_some(set).ok_or(rc)
        };
        match rc {
            Ok(set) => Ok(TerminationSignals { set }),
            Err(rc) => Err(format!("cannot block SIGINT/SIGTERM/SIGHUP: {}", io::Error::from_raw_os_error(rc))),
        }
    }

    /// Waits for one of the signals and names it.
    pub fn wait(&self) -> &'static str {
        loop {
            let mut signal = 0;
            // SAFETY: `self.set` was initialised by `block`; `signal` is a
            // valid place for sigwait to write to.
            if unsafe { libc::sigwait(&self.set, &mut signal) } == 0 {
                return match signal {
                    libc::SIGINT => "SIGINT",
                    libc::SIGTERM => "SIGTERM",
                    _ => "SIGHUP",
                };
            }
        }
    }
}

/// Detaches the process from its terminal and process group (setsid).
pub fn new_session() -> io::Result<()> {
    // SAFETY: setsid takes no arguments and only changes this process's
    // session; it fails (EPERM) if the process already leads a group.
    if unsafe { libc::setsid() } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The real user id of this process.
pub fn uid() -> u32 {
    // SAFETY: getuid cannot fail and has no preconditions.
    unsafe { libc::getuid() }
}
