//! Any bytes as a `porcupine_etcd` history: an error or a parsed history, never a panic;
//! a parsed one also goes through the checkers' input handling.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    faultline_fuzz::history(data, checkers::formats::Format::PorcupineEtcd);
});
