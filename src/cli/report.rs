//! What the command line shows people: sizes, durations, speeds, and the progress of the long
//! steps (mapping, the run, writing). Progress goes to stderr and only to a terminal.

use indicatif::{ProgressBar, ProgressStyle};
use std::time::Duration;

/// A size in bytes for people: `2 GiB`, `128 MiB`, `65536 B`.
pub(super) fn bytes(n: u64) -> String {
    crate::mapping::memory::human_bytes(n as f64)
}

/// A wall time for people, with three significant digits: `420 µs`, `12.3 ms`, `4.56 s`,
/// `2 min 09 s`, `1 h 02 min`.
pub(super) fn duration(seconds: f64) -> String {
    let s = seconds.max(0.0);
    if s < 1e-3 {
        format!("{:.0} µs", s * 1e6)
    } else if s < 1.0 {
        format!("{} ms", three_digits(s * 1e3))
    } else if s < 60.0 {
        format!("{} s", three_digits(s))
    } else if s < 3600.0 {
        format!("{} min {:02} s", (s / 60.0).floor(), (s % 60.0).floor())
    } else {
        format!("{} h {:02} min", (s / 3600.0).floor(), ((s % 3600.0) / 60.0).floor())
    }
}

fn three_digits(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// How model time compares with wall time: `12.3× faster than real time`, `4.56× slower than
/// real time`; `None` when no model time passed.
pub(super) fn real_time(model_seconds: f64, wall_seconds: f64) -> Option<String> {
    if model_seconds <= 0.0 {
        return None;
    }
    let ratio = model_seconds / wall_seconds.max(1e-9);
    Some(if ratio >= 1.0 {
        format!("{}× faster than real time", three_digits(ratio))
    } else {
        format!("{}× slower than real time", three_digits(1.0 / ratio))
    })
}

/// A line that says which long step is under way, with the time it has taken; nothing when
/// stderr is not a terminal.
pub(super) struct Spinner(ProgressBar);

impl Spinner {
    pub(super) fn new(message: impl Into<std::borrow::Cow<'static, str>>) -> Spinner {
        let bar = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            bar.set_style(style);
        }
        bar.set_message(message);
        bar.enable_steady_tick(Duration::from_millis(120));
        Spinner(bar)
    }

    /// Shows `step` as the step under way.
    pub(super) fn step(&self, step: impl std::fmt::Display) {
        self.0.set_message(step.to_string());
    }

    pub(super) fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// The bar of a run of `ticks` ticks.
pub(super) fn tick_bar(ticks: u32) -> ProgressBar {
    let bar = ProgressBar::new(ticks as u64);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} ticks {elapsed_precise} eta {eta}") {
        bar.set_style(style);
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_speeds_read_well_at_every_scale() {
        assert_eq!(duration(0.000042), "42 µs");
        assert_eq!(duration(0.0123), "12.3 ms");
        assert_eq!(duration(4.561), "4.56 s");
        assert_eq!(duration(129.4), "2 min 09 s");
        assert_eq!(duration(3725.0), "1 h 02 min");
        assert_eq!(real_time(1.0, 0.0813).as_deref(), Some("12.3× faster than real time"));
        assert_eq!(real_time(0.1, 45.6).as_deref(), Some("456× slower than real time"));
        assert_eq!(real_time(0.0, 1.0), None);
        assert_eq!(bytes(128 << 20), "128 MiB");
        assert_eq!(bytes(1500), "1.46 KiB");
    }
}
