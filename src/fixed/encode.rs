//! Host-side encoding of parameters (fact sheet §1.4): `int(round(Decimal(str(v)) * scale))`.

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EncodeError {
    #[error("{value} is not a finite number")]
    NotFinite { value: f64 },
    #[error("{value} is outside the range of {format} ({min} to {max})")]
    OutOfRange { value: f64, format: &'static str, min: f64, max: f64 },
}

pub fn encode_s1615(_v: f64) -> Result<i32, EncodeError> {
    todo!()
}
pub fn encode_u032(_v: f64) -> Result<u32, EncodeError> {
    todo!()
}
pub fn encode_u1616(_v: f64) -> Result<u32, EncodeError> {
    todo!()
}
pub fn encode_u3232(_v: f64) -> Result<u64, EncodeError> {
    todo!()
}
