//! The printed report: the machine, and per backend a table of figures beside their
//! same-run baselines.

use std::time::Duration;

use crate::load::{Latency, Throughput};

/// One line of a backend's table.
#[derive(Clone, Debug)]
pub struct Row {
    /// What was measured.
    pub scenario: String,
    /// The figure.
    pub figure: String,
    /// The same-run baseline it is compared with.
    pub baseline: String,
    /// figure ÷ baseline (or as the row says).
    pub ratio: String,
}

impl Row {
    /// A row; printed as soon as it is measured so that a long run shows progress.
    pub fn new(
        scenario: impl Into<String>,
        figure: impl Into<String>,
        baseline: impl Into<String>,
        ratio: impl Into<String>,
    ) -> Row {
        let row = Row {
            scenario: scenario.into(),
            figure: figure.into(),
            baseline: baseline.into(),
            ratio: ratio.into(),
        };
        eprintln!(
            "  .. {} | {} | {} | {}",
            row.scenario, row.figure, row.baseline, row.ratio
        );
        row
    }
}

/// Prints `rows` as an aligned table under `title`.
pub fn print_table(title: &str, rows: &[Row]) {
    let header = Row {
        scenario: "scenario".into(),
        figure: "figure".into(),
        baseline: "baseline (same run)".into(),
        ratio: "ratio".into(),
    };
    let all: Vec<&Row> = std::iter::once(&header).chain(rows).collect();
    let width = |f: fn(&Row) -> &str| all.iter().map(|r| f(r).chars().count()).max().unwrap_or(0);
    let (w1, w2, w3, w4) = (
        width(|r| &r.scenario),
        width(|r| &r.figure),
        width(|r| &r.baseline),
        width(|r| &r.ratio),
    );
    println!();
    println!("{title}");
    for (n, row) in all.iter().enumerate() {
        println!(
            "| {:<w1$} | {:<w2$} | {:<w3$} | {:<w4$} |",
            row.scenario, row.figure, row.baseline, row.ratio
        );
        if n == 0 {
            let rule = |w: usize| "-".repeat(w + 2);
            println!("|{}|{}|{}|{}|", rule(w1), rule(w2), rule(w3), rule(w4));
        }
    }
}

/// `a ÷ b` with two decimals (three below 0.1), or "n/a" when `b` is zero.
pub fn ratio(a: f64, b: f64) -> String {
    match a / b {
        _ if b <= 0.0 => "n/a".into(),
        r if r < 0.1 => format!("{r:.3}"),
        r => format!("{r:.2}"),
    }
}

/// A rate with thousands separators, e.g. `12,345 changes/s`.
pub fn rate(per_second: f64, unit: &str) -> String {
    format!("{} {unit}/s", thousands(per_second.round() as u64))
}

/// An integer with thousands separators.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A duration in milliseconds, e.g. `3.42 ms`.
pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Signed microseconds as milliseconds.
pub fn signed_ms(micros: i64) -> String {
    format!("{:.2} ms", micros as f64 / 1000.0)
}

/// `p50 … p99 …`.
pub fn latency(l: &Latency) -> String {
    format!("p50 {} p99 {}", ms(l.p50), ms(l.p99))
}

/// `12,345 changes/s, p50 … p99 …` plus failures, if any.
pub fn throughput(unit: &str, t: &Throughput) -> String {
    let mut text = format!("{}, {}", rate(t.rate, unit), latency(&t.latency));
    if t.failures > 0 {
        text.push_str(&format!(
            ", {} FAILED ({})",
            t.failures,
            t.first_failure.as_deref().unwrap_or("")
        ));
    }
    text
}

/// KiB as MiB with one decimal.
pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// The machine the figures come from: cores, CPU model, memory, load, date.
pub fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map_or("unknown".to_owned(), |(_, m)| m.trim().to_owned());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        .map_or("unknown".to_owned(), |kib| {
            format!("{} GiB", kib / 1024 / 1024)
        });
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    format!(
        "{cores} cores (nproc), {model}, {memory} RAM, load average {} at start, {}",
        load.join(" "),
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
    )
}
