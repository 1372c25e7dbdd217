//! `ssam plot` and the SVG every bench writes: recall@10 across, queries per second up
//! (log scale), each system and structure's frontier, as ann-benchmarks draws it; and the
//! summary of SSAM against its best peer, over one run or the median of several.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail};
use plotters::prelude::*;

use crate::Result;
use crate::table::{self, Row};

#[derive(clap::Args)]
pub struct Args {
    /// The results CSV, or several runs' CSVs to summarise by their medians.
    #[arg(default_value = "bench/out/results.csv")]
    csv: Vec<PathBuf>,
    /// Where to write the plot of a single CSV (default: each CSV's name with .svg).
    #[arg(long)]
    svg: Option<PathBuf>,
}

pub fn run(args: Args) -> Result {
    if args.svg.is_some() && args.csv.len() > 1 {
        bail!("--svg names the plot of a single CSV; several get one each");
    }
    let runs = args
        .csv
        .iter()
        .map(|csv| table::read_csv(csv))
        .collect::<Result<Vec<_>>>()?;
    for (csv, rows) in args.csv.iter().zip(&runs) {
        let svg = args
            .svg
            .clone()
            .unwrap_or_else(|| csv.with_extension("svg"));
        draw(&svg, rows)?;
        if runs.len() == 1 {
            print!("{}", table::render(rows));
        }
        println!("plot: {}", svg.display());
    }
    print!("\n{}", table::render_standings(&runs));
    Ok(())
}

/// The points no other point beats on both recall and QPS, by recall: what a system can
/// offer at each recall, whatever the noise between neighbouring settings.
fn frontier(mut points: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    points.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.total_cmp(&a.1)));
    let mut best = f64::NEG_INFINITY;
    points.retain(|&(_, qps)| {
        let keep = qps > best;
        best = best.max(qps);
        keep
    });
    points.reverse();
    points
}

/// The plot's least recall@10: the range where systems are compared, given the width.
const RECALL_FROM: f64 = 0.9;

pub fn draw(path: &Path, rows: &[Row]) -> Result {
    let err = |e: String| anyhow!("{}: {e}", path.display());
    let rows: Vec<&Row> = rows
        .iter()
        .filter(|r| r.qps > 0.0 && r.recall10 >= RECALL_FROM)
        .collect();
    let mut series: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for r in &rows {
        series
            .entry(r.series())
            .or_default()
            .push((r.recall10, r.qps));
    }
    let y_min = rows
        .iter()
        .map(|r| r.qps)
        .filter(|&q| q > 0.0)
        .fold(f64::MAX, f64::min)
        .min(100.0)
        * 0.8;
    let y_max = rows.iter().map(|r| r.qps).fold(0.0, f64::max).max(1000.0) * 1.25;

    // Tall enough for the legend of some twenty curves.
    let root = SVGBackend::new(path, (1000, 800)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "MNIST, 60,000 x 784, euclidean, top 10, one thread",
            ("sans-serif", 20),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(RECALL_FROM..1.001, (y_min..y_max).log_scale())
        .map_err(|e| err(e.to_string()))?;
    chart
        .configure_mesh()
        .x_desc("recall@10")
        .y_desc("queries per second (log)")
        .draw()
        .map_err(|e| err(e.to_string()))?;
    let frontiers = series
        .into_iter()
        .map(|(name, points)| (name, frontier(points)));
    draw_lines(&mut chart, frontiers, &err)?;
    root.present().map_err(|e| err(e.to_string()))
}

/// Draws each named series as a line through dots, sorted along x, and the legend.
fn draw_lines<'a, X, Y, S: Into<String>>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, Cartesian2d<X, Y>>,
    series: impl IntoIterator<Item = (S, Vec<(f64, f64)>)>,
    err: &dyn Fn(String) -> anyhow::Error,
) -> Result
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    for (i, (name, mut points)) in series.into_iter().enumerate() {
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let colour = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))
            .map_err(|e| err(e.to_string()))?
            .label(name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2))
            });
        chart
            .draw_series(
                points
                    .into_iter()
                    .map(|p| Circle::new(p, 3, colour.filled())),
            )
            .map_err(|e| err(e.to_string()))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(e.to_string()))?;
    Ok(())
}

/// How cost grows with the data: for each system, QPS at recall@10 >= 0.95 against the
/// number of items, both axes logarithmic. `points` are (system, items, QPS).
pub fn draw_growth(path: &Path, points: &[(String, f64, f64)]) -> Result {
    let err = |e: String| anyhow!("{}: {e}", path.display());
    let mut series: BTreeMap<&str, Vec<(f64, f64)>> = BTreeMap::new();
    for (system, items, qps) in points.iter().filter(|p| p.1 > 0.0 && p.2 > 0.0) {
        series.entry(system).or_default().push((*items, *qps));
    }
    let fold = |f: fn(f64, f64) -> f64, start: f64, get: fn(&(String, f64, f64)) -> f64| {
        points.iter().map(get).fold(start, f)
    };
    let (x_lo, x_hi) = (
        fold(f64::min, f64::MAX, |p| p.1),
        fold(f64::max, 1.0, |p| p.1),
    );
    let (y_lo, y_hi) = (
        fold(f64::min, f64::MAX, |p| p.2),
        fold(f64::max, 1.0, |p| p.2),
    );
    let root = SVGBackend::new(path, (640, 420)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "QPS at recall@10 >= 0.95 as the data grow",
            ("sans-serif", 18),
        )
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(
            (x_lo * 0.8..x_hi * 1.25).log_scale(),
            (y_lo * 0.5..y_hi * 2.0).log_scale(),
        )
        .map_err(|e| err(e.to_string()))?;
    chart
        .configure_mesh()
        .x_desc("training items (log)")
        .y_desc("queries per second (log)")
        .draw()
        .map_err(|e| err(e.to_string()))?;
    draw_lines(&mut chart, series, &err)?;
    root.present().map_err(|e| err(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frontier_drops_points_beaten_on_both_recall_and_qps() {
        let points = vec![
            (0.95, 9000.0),
            (0.97, 9500.0), // beats the one before on both
            (0.98, 6000.0),
            (0.98, 5000.0), // same recall, slower
            (0.99, 6500.0), // beats both at 0.98
            (0.999, 1000.0),
        ];
        assert_eq!(
            frontier(points),
            vec![(0.97, 9500.0), (0.99, 6500.0), (0.999, 1000.0)]
        );
        assert!(frontier(vec![]).is_empty());
    }
}
