//! Any text as the command-line values with hand-written parsers:
//! durations, seed ranges, shards.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    faultline_fuzz::cli_values(data);
});
