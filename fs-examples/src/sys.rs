//! The few POSIX calls std lacks, each in one small safe function:
//! blocking the termination signals and waiting for one, starting a new
//! session, the real user id, waiting a moment for input without sleeping.
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::{Duration, Instant};

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

/// Waits up to `at_most` for `fd` to have input, without sleeping: it
/// polls with no timeout, letting any other thread that is ready to run
/// on this CPU go first between polls. Whether input came.
pub fn await_input(fd: BorrowedFd<'_>, at_most: Duration) -> bool {
    let start = Instant::now();
    loop {
        let mut poll = libc::pollfd { fd: fd.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        // SAFETY: one initialised pollfd, and the count says one; a zero
        // timeout never blocks. The descriptor is borrowed, so open.
        let ready = unsafe { libc::poll(&mut poll, 1, 0) };
        if ready > 0 {
            return true;
        }
        if ready < 0 && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            return false;
        }
        if start.elapsed() >= at_most {
            return false;
        }
        // SAFETY: sched_yield takes no arguments and cannot fail on Linux.
        unsafe { libc::sched_yield() };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsFd;
    use std::os::unix::net::UnixStream;

    #[test]
    fn await_input_sees_input_and_gives_up_after_its_time() {
        let (mut writer, reader) = UnixStream::pair().unwrap();
        let start = Instant::now();
        assert!(!await_input(reader.as_fd(), Duration::from_millis(2)), "nothing written yet");
        assert!(start.elapsed() >= Duration::from_millis(2));
        writer.write_all(b"x").unwrap();
        assert!(await_input(reader.as_fd(), Duration::ZERO), "input already there is seen at once");

        let (mut writer, reader) = UnixStream::pair().unwrap();
        let later = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(5));
            writer.write_all(b"y")
        });
        assert!(await_input(reader.as_fd(), Duration::from_secs(10)), "input arriving while waiting");
        later.join().unwrap().unwrap();
    }
}
