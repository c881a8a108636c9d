//! `expk`/`expulr` and `__expi64` with the spinn_common tables (fact sheet §1.3).

/// exp of an s16.15 value, s16.15 result (saturates to i32::MAX above, 0 below).
pub fn expk(_x: i32) -> i32 {
    todo!("port of spinn_common expk")
}

/// exp of an s16.15 value as u0.32 (exp(0) wraps to 0).
pub fn expulr(_x: i32) -> u32 {
    todo!("port of spinn_common expulr")
}
