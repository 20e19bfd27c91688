//! Any bytes as a repro file: an error, or a repro whose replay checks
//! (format version, scenario hash) answer without a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    faultline_fuzz::repro(data);
});
