//! Network files (TOML) and the size check that refuses networks too large for memory.

use super::{Connector, Network};
use crate::error::{Error, Result};

/// Parses and validates a network file.
pub fn load_toml(text: &str) -> Result<Network> {
    let net: Network = toml::from_str(text).map_err(|e| Error::NetworkFile(e.to_string().trim_end().to_string()))?;
    if let Some(t) = net.run_ms {
        if !t.is_finite() || t < 0.0 {
            return Err(Error::param("network file", "run_ms", format!("{t} must be a finite time >= 0")));
        }
    }
    net.validate()?;
    Ok(net)
}

/// Bytes of host memory a network needs while mapped and running, estimated from its sizes and
/// connectors before anything is allocated.
pub fn estimate_bytes(net: &Network) -> f64 {
    // Per neuron: parameters while resolving (f64) and the image and state (i32/u32).
    const PER_NEURON: f64 = 30.0 * 8.0 + 40.0 * 4.0;
    // Per synapse while mapping: the drawn connection, the quantised synapse and its row word.
    const PER_SYNAPSE: f64 = 24.0 + 16.0 + 8.0;
    let size = |label: &str| net.populations.iter().find(|p| p.label == label).map(|p| p.size as f64).unwrap_or(0.0);
    let neurons: f64 = net.populations.iter().map(|p| p.size as f64).sum();
    let synapses: f64 = net
        .projections
        .iter()
        .map(|p| {
            let (a, b) = (size(&p.pre), size(&p.post));
            match &p.connector {
                Connector::OneToOneConnector => a.min(b),
                Connector::AllToAllConnector { .. } => a * b,
                Connector::FixedProbabilityConnector { p_connect, .. } => a * b * p_connect.clamp(0.0, 1.0),
                Connector::FixedTotalNumberConnector { n, .. } => *n as f64,
                Connector::FixedNumberPreConnector { n, .. } => *n as f64 * b,
                Connector::FixedNumberPostConnector { n, .. } => *n as f64 * a,
                Connector::FromListConnector { conn_list } => conn_list.len() as f64,
            }
        })
        .sum();
    neurons * PER_NEURON + synapses * PER_SYNAPSE
}

/// Memory this machine can give: MemAvailable from /proc/meminfo, or 16 GiB when unknown.
pub fn available_bytes() -> f64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemAvailable:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb * 1024.0)
        .unwrap_or(16.0 * (1u64 << 30) as f64)
}

/// Refuses a network whose estimated size exceeds the memory available.
pub fn check_fits(net: &Network) -> Result<()> {
    let need = estimate_bytes(net);
    let have = available_bytes();
    if need > have {
        return Err(Error::Network(format!(
            "the network needs about {:.1} GiB of memory ({} neurons and its synapses), but only {:.1} GiB is available",
            need / (1u64 << 30) as f64,
            net.populations.iter().map(|p| p.size as u64).sum::<u64>(),
            have / (1u64 << 30) as f64
        )));
    }
    Ok(())
}
