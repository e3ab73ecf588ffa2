//! Sentinel mode's state: the master's address as a sentinel gave it (an
//! IP address, no DNS), and the connection to the sentinels.

use std::net::IpAddr;

use fediguard_core::cluster::addr_text;

use super::link::Link;
use crate::glue::home::Home;
use crate::glue::peer_addr::PeerAddr;
use crate::glue::timer::Timer;

/// The master's address.
pub struct Master {
    pub addr: PeerAddr,
    /// `ip:port`.
    pub text: String,
}

impl Master {
    pub fn new(ip: IpAddr, port: u16) -> Master {
        let text = addr_text(ip, port);
        Master {
            addr: PeerAddr::from_ip(ip, port, &text),
            text,
        }
    }
}

/// `T` is the loop whose state the link's and the timer's events reach.
pub struct Sentinels<T: 'static> {
    pub link: Link<T>,
    /// The sentinel link's timeout.
    pub timer: Timer<T>,
    /// The sentinel asked next: the last that answered, or the one after
    /// the last that failed.
    pub next: usize,
    /// Sentinels that failed in this discovery (while no master is known:
    /// with one known, a question only checks it).
    pub tries: usize,
    /// Where the master is, as the sentinels last said.
    pub master: Option<Master>,
    /// The master the last failure was about (`ip:port`): while the
    /// backoff runs, only another address is tried at once.
    pub failed: Option<String>,
    /// When a sentinel last confirmed the master.
    pub checked_at: u64,
    /// A failed check was logged (once, until one succeeds).
    pub check_failed: bool,
}

impl<T: 'static> Sentinels<T> {
    /// The link's timeout calls `on_timeout`.
    pub fn new(home: Home<T>, on_timeout: fn(&mut T)) -> Sentinels<T> {
        Sentinels {
            link: Link::new(),
            timer: Timer::new(home, on_timeout),
            next: 0,
            tries: 0,
            master: None,
            failed: None,
            checked_at: 0,
            check_failed: false,
        }
    }

    /// Closes the link to the sentinel and stops its timeout.
    pub fn close(&mut self) {
        self.link.close();
        self.timer.del();
    }
}
