//! Which menu image URLs wabot accepts. WAHA downloads a menu item's
//! `image_url` itself to send the picture, from inside the platform's
//! network, so an unchecked URL lets a tenant make WAHA fetch internal
//! services (`http://169.254.169.254/…`, the cloud metadata service) and
//! post the answer into a chat: server-side request forgery.
//!
//! By default only `https` URLs whose host resolves to public addresses
//! only are accepted: loopback, private, link-local, shared, documentation,
//! multicast and other reserved ranges are refused, for IPv4 and IPv6
//! (including IPv4-mapped IPv6). `media.allow_private_image_urls` lifts
//! this for development, where WAHA and the pictures are on one machine.
//!
//! The check runs when an item is saved. A host whose DNS changes later
//! (rebinding) is not caught here; serving pictures from wabot's own media
//! store would close that too.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use wabot_plugins::MenuItem;

use crate::domain::RowError;

/// Longest wait for a host name to resolve.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(3);

/// The rule for menu image URLs.
#[derive(Debug, Clone, Copy)]
pub struct ImageUrlPolicy {
    /// Accept `http` and private or local hosts (development only).
    pub allow_private: bool,
}

impl ImageUrlPolicy {
    /// Why `url` may not be an image URL, if it may not.
    pub async fn check(&self, url: &str) -> Result<(), String> {
        self.check_with(url, &mut HostVerdicts::new()).await
    }

    /// [`ImageUrlPolicy::check`], resolving each host once per `verdicts`.
    async fn check_with(&self, url: &str, verdicts: &mut HostVerdicts) -> Result<(), String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("image_url is not a URL ({e})"))?;
        let scheme_ok = match parsed.scheme() {
            "https" => true,
            "http" => self.allow_private,
            _ => false,
        };
        if !scheme_ok {
            return Err("image_url must be an https:// URL".to_owned());
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err("image_url must not carry a user name or password".to_owned());
        }
        if self.allow_private {
            return Ok(());
        }
        let port = parsed.port_or_known_default().unwrap_or(443);
        let host = parsed.host_str().unwrap_or_default().to_owned();
        if let Some(verdict) = verdicts.get(&(host.clone(), port)) {
            return verdict.clone();
        }
        let verdict = host_verdict(parsed.host(), port).await;
        verdicts.insert((host, port), verdict.clone());
        verdict
    }

    /// Every item of `items` whose image URL is refused, with its reason
    /// (rows numbered from 1 in the order given). Each host is resolved
    /// once, however many items point to it.
    pub async fn check_menu(&self, items: &[MenuItem]) -> Result<(), Vec<RowError>> {
        let mut verdicts = HostVerdicts::new();
        let mut errors = Vec::new();
        for (row, item) in (1..).zip(items) {
            if let Some(url) = &item.image_url
                && let Err(message) = self.check_with(url, &mut verdicts).await
            {
                errors.push(RowError {
                    row,
                    item_id: item.item_id.clone(),
                    message,
                });
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// The verdict on each `(host, port)` already checked.
type HostVerdicts = HashMap<(String, u16), Result<(), String>>;

/// Whether `host` (at `port`) is a public host: every address it resolves
/// to is public.
async fn host_verdict(host: Option<url::Host<&str>>, port: u16) -> Result<(), String> {
    let addresses: Vec<IpAddr> = match host {
        Some(url::Host::Ipv4(ip)) => vec![IpAddr::V4(ip)],
        Some(url::Host::Ipv6(ip)) => vec![IpAddr::V6(ip)],
        Some(url::Host::Domain(name)) => resolve(name, port).await?,
        None => return Err("image_url must name a host".to_owned()),
    };
    match addresses.iter().find(|ip| !is_public(**ip)) {
        Some(ip) => Err(format!(
            "image_url must point to a public host; {ip} is a private, local or reserved address"
        )),
        None => Ok(()),
    }
}

/// The addresses `name` resolves to.
async fn resolve(name: &str, port: u16) -> Result<Vec<IpAddr>, String> {
    let unresolved = || format!("image_url's host '{name}' could not be resolved");
    let lookup = tokio::net::lookup_host((name, port));
    match tokio::time::timeout(RESOLVE_TIMEOUT, lookup).await {
        Ok(Ok(addresses)) => {
            let addresses: Vec<IpAddr> = addresses.map(|a| a.ip()).collect();
            if addresses.is_empty() {
                Err(unresolved())
            } else {
                Ok(addresses)
            }
        }
        _ => Err(unresolved()),
    }
}

/// Whether `ip` is reachable on the public internet (not loopback,
/// private, link-local, shared, documentation, multicast or reserved).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_public_v4(ip),
        IpAddr::V6(ip) => match ip.to_ipv4_mapped() {
            Some(mapped) => is_public_v4(mapped),
            None => is_public_v6(ip),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        // Shared address space (carrier-grade NAT), 100.64.0.0/10.
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments, 192.0.0.0/24.
        || (a == 192 && b == 0 && c == 0)
        // Benchmarking, 198.18.0.0/15.
        || (a == 198 && (18..20).contains(&b))
        // Reserved, 240.0.0.0/4.
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // Unique local, fc00::/7.
        || (first & 0xfe00) == 0xfc00
        // Link-local, fe80::/10.
        || (first & 0xffc0) == 0xfe80
        // Documentation, 2001:db8::/32.
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
        // NAT64 (64:ff9b::/96) and IPv4-compatible forms reach IPv4 hosts.
        || (first == 0x0064 && ip.segments()[1] == 0xff9b)
        || ip.segments()[..6] == [0; 6])
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: ImageUrlPolicy = ImageUrlPolicy {
        allow_private: false,
    };

    #[tokio::test]
    async fn only_public_https_urls_pass() {
        assert!(
            STRICT
                .check("https://93.184.216.34/pizza.jpg")
                .await
                .is_ok()
        );
        assert!(
            STRICT
                .check("https://[2606:2800:220:1::1]/a.png")
                .await
                .is_ok()
        );
        for refused in [
            "http://93.184.216.34/pizza.jpg",
            "https://169.254.169.254/latest/meta-data/",
            "https://127.0.0.1/x.jpg",
            "https://localhost/x.jpg",
            "https://10.0.0.5/x.jpg",
            "https://192.168.1.1/x.jpg",
            "https://100.64.0.1/x.jpg",
            "https://0.0.0.0/x.jpg",
            "https://[::1]/x.jpg",
            "https://[fd00::1]/x.jpg",
            "https://[fe80::1]/x.jpg",
            "https://[::ffff:169.254.169.254]/x.jpg",
            "https://user:pw@93.184.216.34/x.jpg",
            "file:///etc/passwd",
            "gopher://93.184.216.34/",
            "not a url",
        ] {
            assert!(
                STRICT.check(refused).await.is_err(),
                "{refused} was accepted"
            );
        }
    }

    #[tokio::test]
    async fn development_may_allow_local_http() {
        let open = ImageUrlPolicy {
            allow_private: true,
        };
        assert!(open.check("http://127.0.0.1:8080/x.jpg").await.is_ok());
        assert!(open.check("file:///etc/passwd").await.is_err());
    }
}
