//! What a connection says first, and what a sentinel answers: AUTH as
//! Redis expects it, the master's role, the master's address.

use std::net::IpAddr;

use redis::{Cmd, Value};

/// AUTH for a user and password as the URL gave them; None when there is
/// nothing to authenticate.
///
/// A user without a password (`redis://user@host`) is an ACL user with
/// `nopass`: Redis 6 and 7 accept any password for such a user, but take a
/// one-argument AUTH as the default user's password, so the user is sent
/// with an empty password (`AUTH user ""`).
pub fn auth_command(user: Option<&str>, password: Option<&str>) -> Option<Cmd> {
    let mut c = redis::cmd("AUTH");
    match (user, password) {
        (None, None) => return None,
        (None, Some(p)) => c.arg(p),
        (Some(u), p) => c.arg(u).arg(p.unwrap_or("")),
    };
    Some(c)
}

/// `HELLO 2`: the server's description (RESP2), whose `role` says whether
/// it is the master. Unlike `ROLE` (an `@admin @dangerous` command), HELLO
/// is `@connection`, which ACL users for applications keep.
pub fn hello_command() -> Cmd {
    let mut c = redis::cmd("HELLO");
    c.arg(2);
    c
}

/// The `role` of a HELLO 2 reply (`master` or `replica`).
pub fn read_role(v: &Value) -> Result<String, String> {
    let fields: &[Value] = match v {
        Value::Array(a) => a,
        _ => return Err("unreadable HELLO reply".into()),
    };
    for pair in fields.chunks_exact(2) {
        if let [Value::BulkString(k), role] = pair {
            if k.as_slice() == b"role" {
                return match role {
                    Value::BulkString(r) => Ok(String::from_utf8_lossy(r).into_owned()),
                    Value::SimpleString(r) => Ok(r.clone()),
                    _ => Err("unreadable role".into()),
                };
            }
        }
    }
    Err("no role in the HELLO reply".into())
}

/// `SENTINEL get-master-addr-by-name <name>`.
pub fn master_addr_command(master: &str) -> Cmd {
    let mut c = redis::cmd("SENTINEL");
    c.arg("get-master-addr-by-name").arg(master);
    c
}

/// The master's IP address and port from a sentinel's reply. A host name
/// is refused: it would need DNS on nginx's event loop (sentinels announce
/// IP addresses unless `announce-hostnames` is on).
pub fn read_master_addr(v: &Value) -> Result<(IpAddr, u16), String> {
    let text = |v: &Value| match v {
        Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::SimpleString(s) => Some(s.clone()),
        _ => None,
    };
    match v {
        Value::Nil => Err("the sentinel does not know this master".into()),
        Value::Array(a) if a.len() == 2 => {
            let (Some(ip), Some(port)) = (text(&a[0]), text(&a[1])) else {
                return Err("unreadable sentinel reply".into());
            };
            let ip: IpAddr = ip
                .parse()
                .map_err(|_| format!("the sentinel gave a host name, not an IP address: {ip}"))?;
            let port: u16 = port
                .parse()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("the sentinel gave an invalid port: {port}"))?;
            Ok((ip, port))
        }
        _ => Err("unreadable sentinel reply".into()),
    }
}

/// `ip:port`, `[ip6]:port`.
pub fn addr_text(ip: IpAddr, port: u16) -> String {
    std::net::SocketAddr::new(ip, port).to_string()
}
