// Fixed-point arithmetic and the mars_kiss64 generator of the SpiNNaker binaries, bit for bit
// as the Rust in src/fixed/ (mod.rs, kiss.rs, variates.rs) computes it.
//
// WGSL has no 64-bit integers: a u64 is carried as vec2<u32>(lo, hi) and the 64-bit products
// are built from 16-bit halves. Arithmetic that may overflow is done on u32 (defined to wrap
// on every backend) and bit-cast back to i32; `>>` on i32 is arithmetic.
// No bindings or entry points here: this file is concatenated with the engine's shaders.
// Private helpers are prefixed `fx_`.

// (lo, hi) of the u64 product a·b.
fn mul_wide_u32(a: u32, b: u32) -> vec2<u32> {
    let a0 = a & 0xFFFFu;
    let a1 = a >> 16u;
    let b0 = b & 0xFFFFu;
    let b1 = b >> 16u;
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    // Bits [16, 48) before carries: < 3·2^16, no overflow.
    let mid = (p00 >> 16u) + (p01 & 0xFFFFu) + (p10 & 0xFFFFu);
    let lo = (mid << 16u) | (p00 & 0xFFFFu);
    let hi = p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
    return vec2<u32>(lo, hi);
}

// (lo, hi) of the i64 product a·b as two's complement words.
fn fx_mul_wide_i32(a: i32, b: i32) -> vec2<u32> {
    let ua = bitcast<u32>(a);
    let ub = bitcast<u32>(b);
    let p = mul_wide_u32(ua, ub);
    // Signed hi word = unsigned hi − (a < 0 ? b : 0) − (b < 0 ? a : 0), mod 2^32.
    let hi = p.y - select(0u, ub, a < 0) - select(0u, ua, b < 0);
    return vec2<u32>(p.x, hi);
}

// Wrapping u64 + u32.
fn add_u64(lo_hi: vec2<u32>, x: u32) -> vec2<u32> {
    let lo = lo_hi.x + x;
    return vec2<u32>(lo, lo_hi.y + select(0u, 1u, lo < x));
}

// s16.15 × s16.15, floor: ((a as i64 * b as i64) >> 15) as i32, bits [46:15] of the product.
fn mul_k(a: i32, b: i32) -> i32 {
    let p = fx_mul_wide_i32(a, b);
    return bitcast<i32>((p.x >> 15u) | (p.y << 17u));
}

// s16.15 × u0.32 → s16.15, floor: ((x as i64 * d as i64) >> 32) as i32.
fn decay_s1615(x: i32, d: u32) -> i32 {
    let p = mul_wide_u32(bitcast<u32>(x), d);
    // d is non-negative: only x's sign corrects the high word.
    return bitcast<i32>(p.y - select(0u, d, x < 0));
}

// ((a as u64 * b as u64) >> 32) as u32.
fn mul_ulr(a: u32, b: u32) -> u32 {
    return mul_wide_u32(a, b).y;
}

// REAL_HALF: arithmetic shift right by one.
fn half_k(x: i32) -> i32 {
    return x >> 1u;
}

// roundk(x, 15): round half up to an integer value, still s16.15.
fn roundk(x: i32) -> i32 {
    let c = (x >> 14u) & 1;
    return bitcast<i32>(bitcast<u32>((x >> 15u) + c) << 15u);
}

// (uint32) of an accum: truncation toward zero.
fn accum_to_u32(x: i32) -> u32 {
    let up = select(0, 1, x < 0 && (x & 0x7FFF) != 0);
    return bitcast<u32>((x >> 15u) + up);
}

// mars_kiss64: state (x, y, z, c) in (.x, .y, .z, .w); returns x + y + z.
fn kiss64_next(s: ptr<function, vec4<u32>>) -> u32 {
    let st = *s;
    let x = st.x * 314527869u + 1234567u;
    var y = st.y;
    y = y ^ (y << 5u);
    y = y ^ (y >> 7u);
    y = y ^ (y << 22u);
    // t = 4294584393·z + c (u64, never overflows).
    let t = add_u64(mul_wide_u32(4294584393u, st.z), st.w);
    *s = vec4<u32>(x, y, t.x, t.y);
    return x + y + t.x;
}

// The exponential variate of exponential_dist_variate (von Neumann), s16.15.
fn exponential_variate(s: ptr<function, vec4<u32>>) -> i32 {
    var a: u32 = 0u;
    var result: u32 = 0u;
    var done = false;
    loop {
        var u = kiss64_next(s);
        let u0 = u;
        loop {
            let u_star = kiss64_next(s);
            if u < u_star {
                result = a + (u0 >> 17u);
                done = true;
                break;
            }
            u = kiss64_next(s);
            if u >= u_star {
                break;
            }
        }
        if done {
            break;
        }
        a = a + 0x8000u;
    }
    return bitcast<i32>(result);
}

// Ticks to the next spike of a slow Poisson source:
// (uint32) roundk(variate · 1000) · mean_isi, all wrapping.
fn isi_ticks(s: ptr<function, vec4<u32>>, mean_isi: u32) -> u32 {
    let v = bitcast<i32>(bitcast<u32>(exponential_variate(s)) * 1000u);
    return accum_to_u32(roundk(v)) * mean_isi;
}
