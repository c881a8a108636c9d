//! Recordings as Parquet files (cargo feature `parquet`), written atomically.
//!
//! The tables are the ones of [`super::arrow`], unchanged: same columns, same types (u32 columns are
//! Parquet INT32 annotated unsigned), snappy-compressed. The schema metadata is kept twice: inside
//! the embedded Arrow schema (`ARROW:schema`, restored by Arrow readers) and as plain Parquet
//! key-value metadata, so that readers that ignore the Arrow schema see it too.

use crate::error::{Error, Result};
use arrow_array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use std::path::Path;

/// Writes a batch as a snappy-compressed Parquet file: to a temporary name first, then renamed
/// into place.
pub fn write_parquet(batch: &RecordBatch, path: &Path) -> Result<()> {
    let err = |e: String| Error::Output { path: path.display().to_string(), message: e };
    let schema = batch.schema();
    let mut kv: Vec<KeyValue> = schema.metadata().iter().map(|(k, v)| KeyValue::new(k.clone(), v.clone())).collect();
    kv.sort_by(|a, b| a.key.cmp(&b.key));
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_created_by(format!("spinnsim {}", env!("CARGO_PKG_VERSION")))
        .set_key_value_metadata(Some(kv))
        .build();
    let tmp = path.with_extension("parquet.partial");
    let written = (|| -> std::result::Result<(), String> {
        let file = std::fs::File::create(&tmp).map_err(|e| e.to_string())?;
        let mut w = ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(|e| e.to_string())?;
        w.write(batch).map_err(|e| e.to_string())?;
        let file = w.into_inner().map_err(|e| e.to_string())?;
        file.sync_all().map_err(|e| e.to_string())
    })();
    if let Err(e) = written {
        std::fs::remove_file(&tmp).ok();
        return Err(err(e));
    }
    std::fs::rename(&tmp, path).map_err(|e| err(e.to_string()))
}
