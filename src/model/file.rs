//! Network files (TOML).

use super::Network;
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
