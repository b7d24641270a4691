//! The `mtw` command line.

fn main() {
    println!("mtw: skeleton");
}
