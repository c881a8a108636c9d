//! `sqrtk` from spinn_common (fact sheet §1.3).

/// Square root of an s16.15 value, s16.15 result; negative input gives 0.
pub fn sqrtk(_x: i32) -> i32 {
    todo!("port of spinn_common sqrtk")
}
