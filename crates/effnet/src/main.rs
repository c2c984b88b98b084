fn main() {
    std::process::exit(effnet::cli::main());
}
