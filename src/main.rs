//! The `pmta-lens` binary: everything is in the library's `cli` module, so tests reach it too.

fn main() -> std::process::ExitCode {
    pmta_lens::cli::workers::tune_allocator();
    pmta_lens::cli::main()
}
