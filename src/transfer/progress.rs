//! Progress of an import or export on stderr: a bar with rows/s and ETA on a terminal
//! (`indicatif`), plain lines every few seconds otherwise (logs, CI).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often a plain progress line is written when stderr is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

/// Progress of one file.
pub struct Progress {
    label: String,
    total: Option<u64>,
    done: u64,
    started: Instant,
    shown: Instant,
    bar: Option<ProgressBar>,
    quiet: bool,
}

impl Progress {
    /// Starts the progress of `label` (a file name) over `total` rows if known.
    pub fn start(label: &str, total: Option<u64>) -> Progress {
        Progress::with_terminal(label, total, std::io::stderr().is_terminal())
    }

    /// As [`Progress::start`], saying whether stderr is a terminal; no output at all when
    /// `STOCKLEDGER_PROGRESS=off`.
    pub fn with_terminal(label: &str, total: Option<u64>, terminal: bool) -> Progress {
        let quiet = std::env::var("STOCKLEDGER_PROGRESS").is_ok_and(|v| v == "off");
        let bar = (terminal && !quiet).then(|| {
            let bar = match total {
                Some(n) => ProgressBar::new(n),
                None => ProgressBar::no_length(),
            };
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix} [{bar:30}] {human_pos}/{human_len} rows, {per_sec}, ETA {eta}",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            bar.set_prefix(label.to_owned());
            bar
        });
        let now = Instant::now();
        Progress {
            label: label.to_owned(),
            total,
            done: 0,
            started: now,
            shown: now,
            bar,
            quiet,
        }
    }

    /// `n` more rows done.
    pub fn advance(&mut self, n: u64) {
        self.done += n;
        if let Some(bar) = &self.bar {
            bar.inc(n);
        } else if !self.quiet && self.shown.elapsed() >= PLAIN_EVERY {
            self.shown = Instant::now();
            eprintln!("{}", self.line());
        }
    }

    /// Rows per second so far.
    pub fn rate(&self) -> f64 {
        self.done as f64 / self.started.elapsed().as_secs_f64().max(1e-9)
    }

    fn line(&self) -> String {
        let rate = self.rate();
        match self.total {
            Some(total) if rate > 0.0 => format!(
                "{}: {}/{total} rows, {rate:.0} rows/s, ETA {:.0} s",
                self.label,
                self.done,
                total.saturating_sub(self.done) as f64 / rate
            ),
            _ => format!("{}: {} rows, {rate:.0} rows/s", self.label, self.done),
        }
    }

    /// Ends the display with a final line.
    pub fn finish(self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if !self.quiet {
            eprintln!(
                "{}: {} rows in {:.1} s ({:.0} rows/s)",
                self.label,
                self.done,
                self.started.elapsed().as_secs_f64(),
                self.rate()
            );
        }
    }
}
