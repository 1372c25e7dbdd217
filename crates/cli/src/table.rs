//! The results table: one row per system and configuration, as CSV for machines and as
//! aligned text for people. Peers (`bench/peers.py`) append rows in the same columns.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::Result;
use anyhow::{Context, anyhow, bail};

/// The CSV header, in order.
pub const HEADER: &str =
    "system,trees,leaf_size,budget,build_s,index_bytes,recall10,qps,p50_ms,p99_ms,acc1";

/// One measured configuration. Empty cells (a parameter a system does not have) are None;
/// an empty latency (a peer timed in one batch call has none per query) is NaN.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub system: String,
    pub trees: Option<u64>,
    pub leaf_size: Option<u64>,
    pub budget: Option<u64>,
    pub build_s: Option<f64>,
    pub index_bytes: Option<u64>,
    pub recall10: f64,
    pub qps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub acc1: f64,
}

fn cell<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(T::to_string).unwrap_or_default()
}

/// A latency with `decimals` digits, or an empty cell for NaN (none measured).
fn latency(ms: f64, decimals: usize) -> String {
    if ms.is_nan() {
        String::new()
    } else {
        format!("{ms:.decimals$}")
    }
}

impl Row {
    fn to_csv(&self) -> String {
        format!(
            "{},{},{},{},{},{},{:.4},{:.1},{},{},{:.4}",
            self.system,
            cell(&self.trees),
            cell(&self.leaf_size),
            cell(&self.budget),
            self.build_s.map(|s| format!("{s:.3}")).unwrap_or_default(),
            cell(&self.index_bytes),
            self.recall10,
            self.qps,
            latency(self.p50_ms, 4),
            latency(self.p99_ms, 4),
            self.acc1
        )
    }

    fn from_csv(line: &str, at: &str) -> Result<Row> {
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        if f.len() != 11 {
            bail!("{at}: {} columns, expected 11 ({HEADER})", f.len());
        }
        fn opt<T: std::str::FromStr>(s: &str, at: &str, name: &str) -> Result<Option<T>> {
            if s.is_empty() {
                Ok(None)
            } else {
                s.parse()
                    .map(Some)
                    .map_err(|_| anyhow!("{at}: {name} {s:?} is not a number"))
            }
        }
        fn num(s: &str, at: &str, name: &str) -> Result<f64> {
            opt(s, at, name)?.ok_or_else(|| anyhow!("{at}: {name} is empty"))
        }
        Ok(Row {
            system: f[0].to_owned(),
            trees: opt(f[1], at, "trees")?,
            leaf_size: opt(f[2], at, "leaf_size")?,
            budget: opt(f[3], at, "budget")?,
            build_s: opt(f[4], at, "build_s")?,
            index_bytes: opt(f[5], at, "index_bytes")?,
            recall10: num(f[6], at, "recall10")?,
            qps: num(f[7], at, "qps")?,
            p50_ms: opt(f[8], at, "p50_ms")?.unwrap_or(f64::NAN),
            p99_ms: opt(f[9], at, "p99_ms")?.unwrap_or(f64::NAN),
            acc1: num(f[10], at, "acc1")?,
        })
    }

    /// The curve this row belongs to in the plot: a system with a fixed structure.
    pub fn series(&self) -> String {
        match self.trees {
            Some(t) => format!("{} ({t} trees)", self.system),
            None => self.system.clone(),
        }
    }
}

pub fn write_csv(path: &Path, rows: &[Row]) -> Result {
    let mut s = format!("{HEADER}\n");
    for r in rows {
        s.push_str(&r.to_csv());
        s.push('\n');
    }
    std::fs::write(path, s).with_context(|| path.display().to_string())
}

pub fn read_csv(path: &Path) -> Result<Vec<Row>> {
    let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
    let mut lines = text.lines();
    if lines.next().map(str::trim) != Some(HEADER) {
        bail!(
            "{}: the first line must be the header {HEADER}",
            path.display()
        );
    }
    lines
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| Row::from_csv(l, &format!("{}:{}", path.display(), i + 2)))
        .collect()
}

/// The rows as an aligned text table.
pub fn render(rows: &[Row]) -> String {
    let head = [
        "system",
        "trees",
        "leaf",
        "budget",
        "build s",
        "index bytes",
        "recall@10",
        "QPS",
        "p50 ms",
        "p99 ms",
        "1-NN acc",
    ];
    let body: Vec<[String; 11]> = rows
        .iter()
        .map(|r| {
            [
                r.system.clone(),
                cell(&r.trees),
                cell(&r.leaf_size),
                cell(&r.budget),
                r.build_s.map(|s| format!("{s:.2}")).unwrap_or_default(),
                cell(&r.index_bytes),
                format!("{:.4}", r.recall10),
                format!("{:.0}", r.qps),
                latency(r.p50_ms, 3),
                latency(r.p99_ms, 3),
                format!("{:.4}", r.acc1),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..11)
        .map(|c| {
            body.iter()
                .map(|r| r[c].len())
                .chain([head[c].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    let mut line = |cells: &[String]| {
        let parts: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (s, &w))| {
                if c == 0 {
                    format!("{s:<w$}")
                } else {
                    format!("{s:>w$}")
                }
            })
            .collect();
        let _ = writeln!(out, "{}", parts.join("  ").trim_end());
    };
    line(&head.map(String::from));
    for r in &body {
        line(r);
    }
    out
}

/// The recall@10 levels the summary compares SSAM and its peers at.
pub const THRESHOLDS: [f64; 3] = [0.95, 0.99, 0.999];

/// Which side of the comparison a system is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Ssam,
    Peer,
    /// `exact`, SSAM's exhaustive scan: the reference the others are scored against.
    Reference,
}

fn side(system: &str) -> Side {
    if system.starts_with("ssam") {
        Side::Ssam
    } else if system == "exact" {
        Side::Reference
    } else {
        Side::Peer
    }
}

/// Each series' side and best QPS among its rows with recall@10 at least `recall`; a
/// series with no such row is absent.
fn best_at(rows: &[Row], recall: f64) -> BTreeMap<String, (Side, f64)> {
    let mut best = BTreeMap::new();
    for r in rows.iter().filter(|r| r.recall10 >= recall) {
        let (_, qps) = best.entry(r.series()).or_insert((side(&r.system), 0.0));
        *qps = f64::max(*qps, r.qps);
    }
    best
}

/// The median, the mean of the middle two for an even count; None for none.
fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

/// SSAM against its best peer at one recall@10 level, over one or more runs.
#[derive(Debug, PartialEq)]
pub struct Standing {
    pub recall: f64,
    /// The SSAM series whose best QPS at this level has the highest median over the
    /// runs (a run where a series does not reach the level counts as 0), and that median.
    pub ssam: Option<(String, f64)>,
    /// The same among the peers.
    pub peer: Option<(String, f64)>,
    /// Per run, SSAM's best QPS over the best peer's (infinite where no peer reaches the
    /// level; a run where neither does has none): their median, least and most.
    pub ratio: Option<(f64, f64, f64)>,
}

pub fn standing(runs: &[Vec<Row>], recall: f64) -> Standing {
    let bests: Vec<_> = runs.iter().map(|rows| best_at(rows, recall)).collect();
    let sides: BTreeMap<&String, Side> = bests
        .iter()
        .flat_map(|b| b.iter().map(|(series, (side, _))| (series, *side)))
        .collect();
    let leader = |want: Side| {
        sides
            .iter()
            .filter(|&(_, &side)| side == want)
            .filter_map(|(&series, _)| {
                let per_run = bests.iter().map(|b| b.get(series).map_or(0.0, |e| e.1));
                let qps = median(per_run.collect())?;
                (qps > 0.0).then(|| (series.clone(), qps))
            })
            .max_by(|a, b| a.1.total_cmp(&b.1))
    };
    let ratios: Vec<f64> = bests
        .iter()
        .filter_map(|b| {
            let top = |want: Side| {
                b.values()
                    .filter(|(side, _)| *side == want)
                    .fold(0.0, |top, &(_, qps)| f64::max(top, qps))
            };
            let (ssam, peer) = (top(Side::Ssam), top(Side::Peer));
            match (ssam > 0.0, peer > 0.0) {
                (_, true) => Some(ssam / peer),
                (true, false) => Some(f64::INFINITY),
                (false, false) => None,
            }
        })
        .collect();
    let least = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let most = ratios.iter().copied().fold(0.0, f64::max);
    Standing {
        recall,
        ssam: leader(Side::Ssam),
        peer: leader(Side::Peer),
        ratio: median(ratios).map(|m| (m, least, most)),
    }
}

/// The standings at every level of [`THRESHOLDS`] as a Markdown table, for the README.
pub fn render_standings(runs: &[Vec<Row>]) -> String {
    let qps = |leader: &Option<(String, f64)>| match leader {
        Some((series, qps)) => format!("{series} | {qps:.0}"),
        None => "not reached | -".to_owned(),
    };
    let times = |r: f64| {
        if r.is_finite() {
            format!("{r:.2}x")
        } else {
            "no peer reaches it".to_owned()
        }
    };
    let of = if runs.len() > 1 {
        format!("median of {} runs", runs.len())
    } else {
        "one run".to_owned()
    };
    let mut out = format!(
        "Best QPS at each recall@10 ({of}):\n\n\
         | recall@10 | SSAM best | QPS | best peer | QPS | SSAM / peer |\n\
         |---|---|---|---|---|---|\n"
    );
    for s in THRESHOLDS.map(|t| standing(runs, t)) {
        let ratio = match s.ratio {
            None => "-".to_owned(),
            Some((m, least, most)) if runs.len() > 1 => {
                format!("{} ({} to {})", times(m), times(least), times(most))
            }
            Some((m, _, _)) => times(m),
        };
        let _ = writeln!(
            out,
            "| >= {} | {} | {} | {ratio} |",
            s.recall,
            qps(&s.ssam),
            qps(&s.peer)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_round_trips_with_empty_cells() {
        let row = Row {
            system: "hnswlib(M=16)".into(),
            trees: None,
            leaf_size: None,
            budget: Some(64),
            build_s: Some(12.5),
            index_bytes: Some(1000),
            recall10: 0.97,
            qps: 6000.0,
            p50_ms: 0.15,
            p99_ms: 0.4,
            acc1: 0.969,
        };
        assert_eq!(Row::from_csv(&row.to_csv(), "x").unwrap(), row);
        assert!(
            Row::from_csv("a,b", "f:2")
                .unwrap_err()
                .to_string()
                .starts_with("f:2: 2 columns")
        );
    }

    #[test]
    fn an_empty_latency_reads_as_none_measured_and_writes_back_empty() {
        let line = "glass,,,32,20.000,1000,0.9800,9000.0,,,0.9600";
        let row = Row::from_csv(line, "x").unwrap();
        assert!(row.p50_ms.is_nan() && row.p99_ms.is_nan());
        assert_eq!(row.to_csv(), line);
        assert!(!render(&[row]).contains("NaN"));
    }

    fn measured(system: &str, trees: Option<u64>, recall10: f64, qps: f64) -> Row {
        Row {
            system: system.into(),
            trees,
            leaf_size: None,
            budget: None,
            build_s: None,
            index_bytes: None,
            recall10,
            qps,
            p50_ms: f64::NAN,
            p99_ms: f64::NAN,
            acc1: 0.96,
        }
    }

    #[test]
    fn best_at_counts_only_rows_at_or_above_the_level() {
        let rows = [
            measured("hnswlib(M=16)", None, 0.9499, 9000.0),
            measured("hnswlib(M=16)", None, 0.95, 7000.0),
            measured("hnswlib(M=16)", None, 0.99, 4000.0),
            measured("annoy", Some(10), 0.9, 3000.0),
            measured("ssam-graph", Some(10), 0.97, 20000.0),
        ];
        let best = best_at(&rows, 0.95);
        assert_eq!(best["hnswlib(M=16)"], (Side::Peer, 7000.0));
        assert_eq!(best["ssam-graph (10 trees)"], (Side::Ssam, 20000.0));
        assert!(!best.contains_key("annoy (10 trees)"));
        assert_eq!(best_at(&rows, 0.99)["hnswlib(M=16)"].1, 4000.0);
        assert!(best_at(&rows, 0.999).is_empty());
    }

    #[test]
    fn one_run_sets_ssam_best_against_the_best_peer_leaving_exact_aside() {
        let run = vec![
            measured("ssam-graph", Some(10), 0.96, 20000.0),
            measured("ssam-graph", Some(10), 0.99, 8000.0),
            measured("ssam-forest", Some(5), 0.9992, 1000.0),
            measured("glass", None, 0.955, 10000.0),
            measured("glass", None, 0.991, 5000.0),
            measured("hnswlib(M=16)", None, 0.97, 6000.0),
            measured("exact", None, 1.0, 73.0),
        ];
        let at = |recall| standing(std::slice::from_ref(&run), recall);
        let s = at(0.95);
        assert_eq!(s.ssam, Some(("ssam-graph (10 trees)".into(), 20000.0)));
        assert_eq!(s.peer, Some(("glass".into(), 10000.0)));
        assert_eq!(s.ratio, Some((2.0, 2.0, 2.0)));
        assert_eq!(at(0.99).ratio, Some((1.6, 1.6, 1.6)));
        let s = at(0.999);
        assert_eq!(s.ssam, Some(("ssam-forest (5 trees)".into(), 1000.0)));
        assert_eq!(s.peer, None);
        assert_eq!(s.ratio, Some((f64::INFINITY, f64::INFINITY, f64::INFINITY)));

        let table = render_standings(&[run]);
        assert!(table.contains("(one run)"), "{table}");
        assert!(
            table.contains("| >= 0.95 | ssam-graph (10 trees) | 20000 | glass | 10000 | 2.00x |"),
            "{table}"
        );
        assert!(
            table.contains(
                "| >= 0.999 | ssam-forest (5 trees) | 1000 | not reached | - | no peer reaches it |"
            ),
            "{table}"
        );
    }

    #[test]
    fn several_runs_take_medians_and_a_run_below_the_level_counts_as_zero() {
        let run = |ssam: f64, p1: f64, p2_recall: f64, p2: f64| {
            vec![
                measured("ssam-graph", Some(10), 0.96, ssam),
                measured("p1", None, 0.96, p1),
                measured("p2", None, p2_recall, p2),
            ]
        };
        let runs = [
            run(30000.0, 10000.0, 0.96, 12000.0),
            run(24000.0, 14000.0, 0.94, 30000.0),
            run(20000.0, 8000.0, 0.96, 16000.0),
        ];
        let s = standing(&runs, 0.95);
        assert_eq!(s.ssam, Some(("ssam-graph (10 trees)".into(), 24000.0)));
        // p1: 10,000, 14,000, 8,000; p2: 12,000, below the level (0), 16,000.
        assert_eq!(s.peer, Some(("p2".into(), 12000.0)));
        // Per run: 30,000 / 12,000, 24,000 / 14,000, 20,000 / 16,000.
        assert_eq!(s.ratio, Some((24000.0 / 14000.0, 1.25, 2.5)));
        assert!(render_standings(&runs).contains("| 1.71x (1.25x to 2.50x) |"));
        assert_eq!(standing(&runs, 0.99).ratio, None);
    }

    #[test]
    fn median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(vec![5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(vec![]), None);
    }
}
