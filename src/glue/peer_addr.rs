//! An address to connect to, owned: the socket address and its name for
//! nginx's log lines, copied out of nginx's pools, so that it lives as long
//! as whoever holds it (a configuration, a sync loop) and no longer.

use std::net::IpAddr;

use nginx_sys::{ngx_addr_t, ngx_sockaddr_t, socklen_t, AF_INET, AF_INET6};

#[derive(Clone)]
pub struct PeerAddr {
    sockaddr: ngx_sockaddr_t,
    socklen: socklen_t,
    /// `ip:port`, `host:port`, `unix:/path` (nginx's "connect() to ... failed").
    name: Vec<u8>,
}

impl core::fmt::Debug for PeerAddr {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PeerAddr")
            .field("name", &String::from_utf8_lossy(&self.name))
            .finish()
    }
}

impl PeerAddr {
    /// `ip` and `port` (what nginx's `ngx_parse_addr` and
    /// `ngx_inet_set_port` make of them), named `name`.
    pub fn from_ip(ip: IpAddr, port: u16, name: &str) -> PeerAddr {
        // SAFETY: all-zero is a valid socket address of any family.
        let mut sockaddr: ngx_sockaddr_t = unsafe { core::mem::zeroed() };
        let socklen = match ip {
            IpAddr::V4(a) => {
                sockaddr.sockaddr_in.sin_family = AF_INET as _;
                sockaddr.sockaddr_in.sin_port = port.to_be();
                sockaddr.sockaddr_in.sin_addr.s_addr = u32::from(a).to_be();
                core::mem::size_of::<nginx_sys::sockaddr_in>()
            }
            IpAddr::V6(a) => {
                sockaddr.sockaddr_in6.sin6_family = AF_INET6 as _;
                sockaddr.sockaddr_in6.sin6_port = port.to_be();
                sockaddr.sockaddr_in6.sin6_addr.__in6_u.__u6_addr8 = a.octets();
                core::mem::size_of::<nginx_sys::sockaddr_in6>()
            }
        };
        PeerAddr {
            sockaddr,
            socklen: socklen as socklen_t,
            name: name.as_bytes().to_vec(),
        }
    }

    /// A copy of one of nginx's addresses.
    ///
    /// # Safety
    /// `addr.sockaddr` points to `addr.socklen` bytes; `addr.name` is valid.
    pub(super) unsafe fn copy_of(addr: &ngx_addr_t) -> PeerAddr {
        // SAFETY: all-zero is a valid socket address of any family.
        let mut sockaddr: ngx_sockaddr_t = unsafe { core::mem::zeroed() };
        let len = (addr.socklen as usize).min(core::mem::size_of::<ngx_sockaddr_t>());
        if !addr.sockaddr.is_null() {
            // SAFETY: the caller's word: len bytes at addr.sockaddr; our
            // union has room for them.
            unsafe {
                core::ptr::copy_nonoverlapping(
                    addr.sockaddr.cast::<u8>(),
                    core::ptr::addr_of_mut!(sockaddr).cast::<u8>(),
                    len,
                )
            };
        }
        // The caller's word: the name is valid (as_bytes reads it).
        let name = addr.name.as_bytes().to_vec();
        PeerAddr {
            sockaddr,
            socklen: len as socklen_t,
            name,
        }
    }

    /// The parts `ngx_event_connect_peer` reads, copied for one connect.
    pub(super) fn parts(&self) -> (ngx_sockaddr_t, socklen_t, Vec<u8>) {
        (self.sockaddr, self.socklen, self.name.clone())
    }
}
