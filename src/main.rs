//! `spinnsim`: run a network file, or show how it maps onto virtual SpiNNaker cores (see
//! [`spinnsim::cli`]).

fn main() -> std::process::ExitCode {
    spinnsim::cli::main(std::env::args_os())
}
