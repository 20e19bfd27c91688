//! Any bytes as a scenario file: an error naming a field, or a scenario that
//! runs (with a small event budget) to a verdict without a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    faultline_fuzz::scenario(data);
});
