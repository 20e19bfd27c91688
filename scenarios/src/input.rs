//! Reading input files with a size limit: a file over the limit is refused
//! by its size before any of it is read, and a file that grows while being
//! read (or a device like `/dev/zero`) is cut off at the limit, so no input
//! can exhaust memory.

use std::io::Read;
use std::path::Path;

/// Reads all of `path`, a `what` (for messages: "history", "scenario file"),
/// if it is at most `max_bytes` long. The error names the file.
pub fn read_limited(path: &Path, what: &str, max_bytes: u64) -> Result<Vec<u8>, String> {
    let shown = path.display();
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read {what} {shown}: {e}"))?;
    let too_big = |size: u64| {
        format!("{what} {shown} is {size} bytes, above the limit of {max_bytes} bytes; faultline refuses it unread")
    };
    let metadata = file.metadata().map_err(|e| format!("cannot read {what} {shown}: {e}"))?;
    if metadata.is_dir() {
        return Err(format!("{what} {shown} is a directory, not a file"));
    }
    if metadata.len() > max_bytes {
        return Err(too_big(metadata.len()));
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    file.take(max_bytes + 1).read_to_end(&mut bytes).map_err(|e| format!("cannot read {what} {shown}: {e}"))?;
    if bytes.len() as u64 > max_bytes {
        return Err(format!("{what} {shown} grew past the limit of {max_bytes} bytes while being read"));
    }
    Ok(bytes)
}

/// [`read_limited`], as UTF-8 text; the error gives the line and byte of
/// the first invalid sequence.
pub fn read_text_limited(path: &Path, what: &str, max_bytes: u64) -> Result<String, String> {
    let bytes = read_limited(path, what, max_bytes)?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        format!("{what} {} is not UTF-8 text (line {line}, byte {})", path.display(), e.utf8_error().valid_up_to() + 1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_huge_sparse_file_by_its_size() {
        let dir = std::env::temp_dir().join(format!("faultline-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("huge.json");
        // Sparse: a gigabyte long, no disk used, and never read.
        std::fs::File::create(&path).unwrap().set_len(1 << 30).unwrap();
        let e = read_limited(&path, "history", 1 << 20).unwrap_err();
        assert!(e.contains("1073741824 bytes, above the limit of 1048576 bytes"), "{e}");
        std::fs::write(&path, b"ok\n\xff").unwrap();
        let e = read_text_limited(&path, "history", 1 << 20).unwrap_err();
        assert!(e.contains("not UTF-8 text (line 2, byte 4)"), "{e}");
        assert_eq!(read_limited(&path, "history", 4).unwrap(), b"ok\n\xff");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
