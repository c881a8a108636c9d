//! `norminv_urt` from spinn_common (fact sheet §1.3).

/// Inverse normal CDF of a uniform u0.32 draw, s16.15 result.
pub fn norminv_urt(_u: u32) -> i32 {
    todo!("port of spinn_common norminv_urt")
}
