//! Socket addresses as nginx keeps them, and std's `IpAddr`.

use core::mem;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use nginx_sys::{ngx_http_request_t, sockaddr, sockaddr_in, sockaddr_in6, socklen_t};
use nginx_sys::{AF_INET, AF_INET6};
use ngx::http::Request;

/// The address of an IPv4 or IPv6 socket address; None for other families
/// (a Unix socket) or a null pointer.
///
/// # Safety
/// `sa` is null or points to a socket address of its family's size.
pub unsafe fn ip_of(sa: *const sockaddr) -> Option<IpAddr> {
    // SAFETY: the caller's promise: sa is null or an address of its family's size.
    unsafe {
        let family = u32::from(sa.as_ref()?.sa_family);
        if family == AF_INET {
            let sin = &*sa.cast::<sockaddr_in>();
            Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(
                sin.sin_addr.s_addr,
            ))))
        } else if family == AF_INET6 {
            let sin6 = &*sa.cast::<sockaddr_in6>();
            Some(IpAddr::V6(Ipv6Addr::from(
                sin6.sin6_addr.__in6_u.__u6_addr8,
            )))
        } else {
            None
        }
    }
}

/// The client's address as nginx sees it (after `realip`).
pub fn client_ip(r: &Request) -> Option<IpAddr> {
    let raw: *const ngx_http_request_t = (r as *const Request).cast();
    // SAFETY: a live request's connection and its socket address.
    unsafe { ip_of((*(*raw).connection).sockaddr) }
}

/// A socket address built from an `IpAddr`, in storage large enough for
/// either family (what nginx's resolver takes for a PTR query).
#[derive(Clone, Copy)]
pub struct SockAddr {
    storage: sockaddr_in6,
    len: socklen_t,
}

impl SockAddr {
    pub fn new(ip: IpAddr) -> SockAddr {
        // SAFETY: all-zero is a valid sockaddr_in6 (and sockaddr_in).
        let mut storage: sockaddr_in6 = unsafe { mem::zeroed() };
        let len = match ip {
            IpAddr::V4(a) => {
                // SAFETY: sockaddr_in is smaller than sockaddr_in6 and
                // both start with the family.
                let sin =
                    unsafe { &mut *(&mut storage as *mut sockaddr_in6).cast::<sockaddr_in>() };
                sin.sin_family = AF_INET as _;
                sin.sin_addr.s_addr = u32::from(a).to_be();
                mem::size_of::<sockaddr_in>()
            }
            IpAddr::V6(a) => {
                storage.sin6_family = AF_INET6 as _;
                storage.sin6_addr.__in6_u.__u6_addr8 = a.octets();
                mem::size_of::<sockaddr_in6>()
            }
        };
        SockAddr {
            storage,
            len: len as socklen_t,
        }
    }

    pub fn as_mut_ptr(&mut self) -> *mut sockaddr {
        (&mut self.storage as *mut sockaddr_in6).cast()
    }

    pub fn len(&self) -> socklen_t {
        self.len
    }
}
