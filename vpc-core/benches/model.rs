//! How long the pure model takes for large VPCs: the peer map, and a
//! node's desired state plus its plan from nothing. Only computation:
//! nothing is sent or configured.
//!
//! `cargo bench -p vpc-core --bench model` prints a markdown table of the
//! median over several runs.

#![allow(
    clippy::disallowed_macros,
    reason = "tests and benchmarks report to the terminal themselves"
)]

use std::hint::black_box;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use vpc_core::Result;
use vpc_core::model::name::{NodeName, VpcName};
use vpc_core::model::node::Node;
use vpc_core::model::platform::Platform;
use vpc_core::model::spec::{Options, Spec};
use vpc_core::plan::{self, Observed, Scope};

/// Member counts measured.
const SIZES: [usize; 3] = [11, 100, 1000];
/// Runs per measurement; the median is reported.
const RUNS: usize = 15;

/// A VPC of `members` nodes on an IPv4 underlay (198.18.x.y) with peer
/// network 10.0.0.0/8.
fn spec_of(members: usize) -> Result<Spec> {
    let mut nodes = (0..members)
        .map(|i| {
            let ip = Ipv4Addr::new(198, 18, (i / 250) as u8, (i % 250 + 1) as u8);
            Node::new(NodeName::new(&format!("node{i:04}"))?, Some(ip), None)
        })
        .collect::<Result<Vec<_>>>()?;
    let initiator = nodes.remove(0);
    let mut options = Options::default();
    options.set("peer_network", "10.0.0.0/8")?;
    Spec::define(VpcName::new("bench")?, initiator, nodes, &options, &[])
}

/// The median time of `RUNS` runs of `f`.
fn median<T>(mut f: impl FnMut() -> Result<T>) -> Result<Duration> {
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        black_box(f()?);
        times.push(start.elapsed());
    }
    times.sort_unstable();
    Ok(times[RUNS / 2])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() -> Result<()> {
    println!("| members | links | peer map median ms | plan median ms |");
    println!("|--------:|------:|-------------------:|---------------:|");
    for members in SIZES {
        let spec = spec_of(members)?;
        let links = spec.peer_map()?.len();
        let first = spec.members().next().map(|m| m.node.name.clone());
        let first = first.ok_or_else(|| vpc_core::Error::invalid("no initiator"))?;
        let map = median(|| black_box(&spec).peer_map().map(|m| m.len()))?;
        let plan = median(|| {
            let desired = plan::desired(black_box(&spec), &first, Platform::Linux)?;
            plan::plan(&desired, &Observed::default(), Scope::All)
        })?;
        println!("| {members} | {links} | {:.4} | {:.4} |", ms(map), ms(plan));
    }
    Ok(())
}
