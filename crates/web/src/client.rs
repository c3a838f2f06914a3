//! Who is on the other end of a connection: the peer address, or — only when
//! the peer is a proxy the operator named (`--trusted-proxy`,
//! `GONGZHI_TRUSTED_PROXIES`) — the address that proxy reports in
//! `X-Forwarded-For`. Without the setting no header is believed, so a client
//! cannot pick the address it is throttled under.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

/// Proxies whose `X-Forwarded-For` is believed: addresses or CIDR blocks.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parse "10.0.0.1", "10.0.0.0/8", "::1", "fd00::/8"; items may be
    /// comma-separated lists themselves. An item that is not an address or a
    /// block is an error naming it.
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<TrustedProxies, String> {
        let mut out = Vec::new();
        for item in items.iter().flat_map(|s| s.as_ref().split(',')).map(str::trim).filter(|s| !s.is_empty()) {
            let bad = || format!("trusted proxy {item:?}: give an IP address or a CIDR block such as 10.0.0.0/8");
            let (ip, bits) = match item.split_once('/') {
                Some((ip, bits)) => (ip.parse::<IpAddr>().map_err(|_| bad())?, bits.parse::<u8>().map_err(|_| bad())?),
                None => {
                    let ip = item.parse::<IpAddr>().map_err(|_| bad())?;
                    (ip, if ip.is_ipv4() { 32 } else { 128 })
                }
            };
            let ip = ip.to_canonical();
            if bits > if ip.is_ipv4() { 32 } else { 128 } {
                return Err(bad());
            }
            out.push((ip, bits));
        }
        Ok(TrustedProxies(out))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|(net, bits)| within(ip, *net, *bits))
    }

    /// The client's address. The peer's own, unless the peer is a trusted
    /// proxy: then the rightmost `X-Forwarded-For` entry that is not itself a
    /// trusted proxy (entries to its left were written by the client and
    /// prove nothing). An entry that does not parse stops the walk at the
    /// last trusted hop.
    pub fn client(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = peer?.to_canonical();
        if !self.contains(peer) {
            return Some(peer);
        }
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        let mut last = peer;
        for hop in hops.iter().rev() {
            let Some(ip) = parse_hop(hop) else { return Some(last) };
            if !self.contains(ip) {
                return Some(ip);
            }
            last = ip;
        }
        Some(last)
    }
}

fn parse_hop(s: &str) -> Option<IpAddr> {
    s.parse::<IpAddr>().ok().or_else(|| s.parse::<SocketAddr>().ok().map(|a| a.ip())).map(|ip| ip.to_canonical())
}

fn within(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// The key an address is throttled under: an IPv4 address as is, an IPv6
/// address by its /64 (one subscriber's network hands out many addresses);
/// "local" when there is no peer (in-process calls).
pub fn throttle_key(ip: Option<IpAddr>) -> String {
    match ip.map(|i| i.to_canonical()) {
        Some(IpAddr::V4(a)) => a.to_string(),
        Some(IpAddr::V6(a)) => {
            let s = a.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        None => "local".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    #[test]
    fn only_trusted_peers_are_believed() {
        let t = TrustedProxies::parse(&["10.0.0.1", "192.168.0.0/16, ::1"]).unwrap();
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        // An untrusted peer: its header is ignored.
        assert_eq!(t.client(ip("203.0.113.9"), &headers(&["1.1.1.1"])), ip("203.0.113.9"));
        // A trusted one: the rightmost address that is not a proxy.
        assert_eq!(t.client(ip("10.0.0.1"), &headers(&["6.6.6.6, 1.1.1.1"])), ip("1.1.1.1"));
        assert_eq!(t.client(ip("10.0.0.1"), &headers(&["6.6.6.6", "1.1.1.1, 192.168.3.4"])), ip("1.1.1.1"));
        assert_eq!(t.client(ip("::ffff:10.0.0.1"), &headers(&["1.1.1.1:4711"])), ip("1.1.1.1"));
        assert_eq!(t.client(ip("10.0.0.1"), &headers(&[])), ip("10.0.0.1"), "no header: the proxy itself");
        assert_eq!(t.client(ip("10.0.0.1"), &headers(&["1.1.1.1, junk"])), ip("10.0.0.1"));
        assert_eq!(t.client(ip("::1"), &headers(&["2001:db8::7"])), ip("2001:db8::7"));
        // No setting: nobody is believed.
        assert_eq!(TrustedProxies::default().client(ip("10.0.0.1"), &headers(&["1.1.1.1"])), ip("10.0.0.1"));
        assert!(TrustedProxies::parse(&["10.0.0.0/33"]).is_err());
        assert!(TrustedProxies::parse(&["proxy.example"]).unwrap_err().contains("proxy.example"));
        assert!(TrustedProxies::parse(&[""]).unwrap().is_empty());
    }

    #[test]
    fn ipv6_is_throttled_by_its_64() {
        let a = throttle_key(Some("2001:db8:1:2::1".parse().unwrap()));
        assert_eq!(a, throttle_key(Some("2001:db8:1:2:ffff::9".parse().unwrap())));
        assert_ne!(a, throttle_key(Some("2001:db8:1:3::1".parse().unwrap())));
        assert_eq!(throttle_key(Some("::ffff:1.2.3.4".parse().unwrap())), "1.2.3.4");
        assert_eq!(throttle_key(None), "local");
    }
}
