//! Numbers as the views show them.

pub fn millions(n: u64) -> String {
    format!("{:.2} M", n as f64 / 1e6)
}

pub fn billions(n: u64) -> String {
    format!("{:.2} B", n as f64 / 1e9)
}

pub fn thousands(n: u64) -> String {
    if n >= 1_000_000 {
        millions(n)
    } else {
        format!("{:.1} k", n as f64 / 1e3)
    }
}
