//! Quotas: cluster-wide limits on what a VPC's guests may use, and the
//! admission check for one more guest.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};

/// Limits of a VPC; 0 means unlimited. Memory and disk are in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quota {
    /// Most guests attached at once.
    #[serde(default)]
    pub max_guests: u64,
    /// Most virtual CPUs over all guests.
    #[serde(default)]
    pub max_cpus: u64,
    /// Most memory over all guests, bytes.
    #[serde(default)]
    pub max_mem: u64,
    /// Most disk over all guests, bytes.
    #[serde(default)]
    pub max_disk: u64,
}

impl Quota {
    /// True when no limit is set.
    pub fn is_unlimited(&self) -> bool {
        *self == Quota::default()
    }
}

/// What a guest declares it uses, or what a set of guests uses together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Usage {
    /// Number of guests.
    #[serde(default)]
    pub guests: u64,
    /// Virtual CPUs.
    #[serde(default)]
    pub cpus: u64,
    /// Memory, bytes.
    #[serde(default)]
    pub mem: u64,
    /// Disk, bytes.
    #[serde(default)]
    pub disk: u64,
}

impl Usage {
    /// One guest with these resources.
    pub fn guest(cpus: u64, mem: u64, disk: u64) -> Usage {
        Usage {
            guests: 1,
            cpus,
            mem,
            disk,
        }
    }

    /// The sum, saturating (a sum past 2^64 is over any limit anyway).
    pub fn plus(self, o: Usage) -> Usage {
        Usage {
            guests: self.guests.saturating_add(o.guests),
            cpus: self.cpus.saturating_add(o.cpus),
            mem: self.mem.saturating_add(o.mem),
            disk: self.disk.saturating_add(o.disk),
        }
    }
}

/// A number of bytes, printed with a binary unit.
struct Bytes(u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
        let mut unit = 0;
        let mut v = self.0;
        while unit + 1 < UNITS.len() && v >= 1024 && v.is_multiple_of(1024) {
            v /= 1024;
            unit += 1;
        }
        write!(f, "{v} {}", UNITS[unit])
    }
}

/// Checks that `request` fits beside `used` under `quota`; returns the new
/// usage. The error names the limit, the usage and the request.
pub fn admit(quota: &Quota, used: Usage, request: Usage) -> Result<Usage> {
    let after = used.plus(request);
    let checks: [(&str, u64, u64, u64, bool); 4] = [
        (
            "max_guests",
            quota.max_guests,
            used.guests,
            request.guests,
            false,
        ),
        ("max_cpus", quota.max_cpus, used.cpus, request.cpus, false),
        ("max_mem", quota.max_mem, used.mem, request.mem, true),
        ("max_disk", quota.max_disk, used.disk, request.disk, true),
    ];
    for (key, limit, in_use, asked, bytes) in checks {
        if limit != 0 && in_use.saturating_add(asked) > limit {
            let show = |v: u64| {
                if bytes {
                    Bytes(v).to_string()
                } else {
                    v.to_string()
                }
            };
            return Err(Error::new(
                ErrorKind::Quota,
                format!(
                    "{key} {} would be exceeded: {} in use, {} requested",
                    show(limit),
                    show(in_use),
                    show(asked)
                ),
            ));
        }
    }
    Ok(after)
}

/// Parses a size such as `512m`, `16g`, `2t` or a plain byte count
/// (binary units); `key` names the argument in errors.
pub fn parse_size(key: &str, text: &str) -> Result<u64> {
    let bad = || {
        Error::invalid(format!(
            "{key} {text:?} is not valid: expected a size such as 512m, 16g or 2t"
        ))
    };
    let lower = text.to_ascii_lowercase();
    let (digits, shift) = match lower.as_bytes().last() {
        Some(b'k') => (&lower[..lower.len() - 1], 10),
        Some(b'm') => (&lower[..lower.len() - 1], 20),
        Some(b'g') => (&lower[..lower.len() - 1], 30),
        Some(b't') => (&lower[..lower.len() - 1], 40),
        _ => (lower.as_str(), 0),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n: u64 = digits.parse().map_err(|_| bad())?;
    n.checked_mul(1u64 << shift).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    const G: u64 = 1 << 30;

    #[test]
    fn admission() {
        let q = Quota {
            max_guests: 2,
            max_cpus: 8,
            max_mem: 16 * G,
            max_disk: 0,
        };
        let one = admit(&q, Usage::default(), Usage::guest(4, 8 * G, 100 * G)).unwrap();
        let two = admit(&q, one, Usage::guest(4, 8 * G, 900 * G)).unwrap();
        assert_eq!(
            two,
            Usage {
                guests: 2,
                cpus: 8,
                mem: 16 * G,
                disk: 1000 * G
            }
        );
        let e = admit(&q, two, Usage::guest(0, 0, 0)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Quota);
        assert_eq!(
            e.message(),
            "max_guests 2 would be exceeded: 2 in use, 1 requested"
        );
        let e = admit(&q, one, Usage::guest(1, 9 * G, 0)).unwrap_err();
        assert_eq!(
            e.message(),
            "max_mem 16 GiB would be exceeded: 8 GiB in use, 9 GiB requested"
        );
        assert!(admit(&Quota::default(), two, Usage::guest(u64::MAX, u64::MAX, 1)).is_ok());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("mem", "512m").unwrap(), 512 << 20);
        assert_eq!(parse_size("mem", "16G").unwrap(), 16 * G);
        assert_eq!(parse_size("mem", "1000").unwrap(), 1000);
        for bad in ["", "g", "-1g", "1.5g", "99999999999t", "1x"] {
            let e = parse_size("max_mem", bad).unwrap_err();
            assert!(e.message().starts_with("max_mem"), "{e}");
        }
    }
}
