//! Worker processes: this one's pid, and whether another's is alive (a
//! worker killed mid-work leaves marks in shared memory behind it).

/// This worker's pid.
pub fn own_pid() -> u32 {
    std::process::id()
}

/// Whether the process `pid` may still be alive: false only when the
/// system says there is no such process. An unknown pid (0) or a process
/// of another user (the pid was reused) counts as alive.
pub fn alive(pid: u32) -> bool {
    let Ok(p) = i32::try_from(pid) else {
        return true;
    };
    if p <= 0 {
        return true;
    }
    // SAFETY: signal 0 sends nothing: kill(2) only checks that the pid
    // exists and may be signalled.
    let rc = unsafe { nginx_sys::kill(p, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(nginx_sys::ESRCH as i32)
}
