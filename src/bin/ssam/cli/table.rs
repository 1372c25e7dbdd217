//! The results table: one row per system and configuration, as CSV for machines and as
//! aligned text for people. Peers (`bench/peers.py`) append rows in the same columns.

use std::fmt::Write as _;
use std::path::Path;

use super::Result;

/// The CSV header, in order.
pub const HEADER: &str =
    "system,trees,leaf_size,budget,build_s,index_bytes,recall10,qps,p50_ms,p99_ms,acc1";

/// One measured configuration. Empty cells (a parameter a system does not have) are None.
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

impl Row {
    fn to_csv(&self) -> String {
        format!(
            "{},{},{},{},{},{},{:.4},{:.1},{:.4},{:.4},{:.4}",
            self.system,
            cell(&self.trees),
            cell(&self.leaf_size),
            cell(&self.budget),
            self.build_s.map(|s| format!("{s:.3}")).unwrap_or_default(),
            cell(&self.index_bytes),
            self.recall10,
            self.qps,
            self.p50_ms,
            self.p99_ms,
            self.acc1
        )
    }

    fn from_csv(line: &str, at: &str) -> Result<Row> {
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        if f.len() != 11 {
            return Err(format!("{at}: {} columns, expected 11 ({HEADER})", f.len()));
        }
        fn opt<T: std::str::FromStr>(s: &str, at: &str, name: &str) -> Result<Option<T>> {
            if s.is_empty() {
                Ok(None)
            } else {
                s.parse()
                    .map(Some)
                    .map_err(|_| format!("{at}: {name} {s:?} is not a number"))
            }
        }
        fn num(s: &str, at: &str, name: &str) -> Result<f64> {
            opt(s, at, name)?.ok_or_else(|| format!("{at}: {name} is empty"))
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
            p50_ms: num(f[8], at, "p50_ms")?,
            p99_ms: num(f[9], at, "p99_ms")?,
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
    std::fs::write(path, s).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn read_csv(path: &Path) -> Result<Vec<Row>> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut lines = text.lines();
    if lines.next().map(str::trim) != Some(HEADER) {
        return Err(format!(
            "{}: the first line must be the header {HEADER}",
            path.display()
        ));
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
                format!("{:.3}", r.p50_ms),
                format!("{:.3}", r.p99_ms),
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
                .starts_with("f:2: 2 columns")
        );
    }
}
