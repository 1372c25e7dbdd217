//! The benchmark's plot: recall@10 across, queries per second up on a log scale, as
//! ann-benchmarks draws it. The axes carry ticks with their values and titles with their
//! units; each point is labelled by its knob (the graph's beam, the forest's candidates)
//! where the label covers no point, no line and no other label.

use leptos::prelude::*;

use crate::protocol::thousands;
use crate::protocol::{Row, Setting};

/// The plot's size in its own units, its margins, its text and its points.
const W: f64 = 400.0;
const H: f64 = 260.0;
const LEFT: f64 = 66.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 26.0;
const BOTTOM: f64 = 42.0;
const FONT: f64 = 11.0;
const DOT: f64 = 3.5;

/// A value on an axis and the text beside its tick.
struct Tick {
    value: f64,
    text: String,
}

/// Recall ticks: a round step giving about five, from a multiple of it at or below the
/// lowest recall to 1.
fn recall_ticks(lowest: f64) -> (f64, Vec<Tick>) {
    let span = (1.0 - lowest.min(0.99)).max(0.01);
    let step = [0.01, 0.02, 0.05, 0.1, 0.2, 0.25]
        .into_iter()
        .find(|&s| span / s <= 5.0)
        .unwrap_or(0.25);
    let first = ((lowest.min(0.99) - 1e-9) / step).floor().max(0.0);
    let decimals = if step < 0.1 { 2 } else { 1 };
    let ticks = (first as u32..)
        .map(|i| f64::from(i) * step)
        .take_while(|&v| v <= 1.0 + 1e-9)
        .map(|value| Tick {
            value,
            text: format!("{value:.decimals$}"),
        })
        .collect();
    (first * step, ticks)
}

/// Queries-per-second ticks on a log axis: 1, 2 and 5 times powers of ten around the
/// values, or only the powers when those would be too many.
fn qps_ticks(lo: f64, hi: f64) -> (f64, f64, Vec<Tick>) {
    let nice = |k: i32| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(k));
    let (a, b) = (
        lo.max(1.0).log10().floor() as i32,
        hi.max(1.0).log10().ceil() as i32,
    );
    let candidates: Vec<f64> = (a..=b).flat_map(nice).collect();
    let bottom = candidates
        .iter()
        .rev()
        .find(|&&v| v <= lo * 0.9)
        .copied()
        .unwrap_or(10f64.powi(a));
    let top = candidates
        .iter()
        .find(|&&v| v >= hi * 1.1)
        .copied()
        .unwrap_or(10f64.powi(b + 1));
    let mut values: Vec<f64> = (a..=b + 1)
        .flat_map(nice)
        .filter(|&v| v >= bottom && v <= top)
        .collect();
    let (mut bottom, mut top) = (bottom, top);
    if values.len() > 7 {
        bottom = 10f64.powi(bottom.log10().floor() as i32);
        top = 10f64.powi(top.log10().ceil() as i32);
        values = (bottom.log10() as i32..=top.log10() as i32)
            .map(|k| 10f64.powi(k))
            .collect();
    }
    let ticks = values
        .into_iter()
        .map(|value| Tick {
            value,
            text: thousands(value as u64),
        })
        .collect();
    (bottom, top, ticks)
}

/// A point in the plot's units, and a straight line between two.
type Point = (f64, f64);
type Segment = (Point, Point);

/// A box in the plot's units: left, top, right, bottom.
#[derive(Clone, Copy)]
struct Box2(f64, f64, f64, f64);

impl Box2 {
    fn meets(self, o: Box2) -> bool {
        self.0 < o.2 && o.0 < self.2 && self.1 < o.3 && o.1 < self.3
    }

    /// Whether the segment from `p` to `q` passes through the box (Liang-Barsky).
    fn crossed_by(self, p: Point, q: Point) -> bool {
        let (dx, dy) = (q.0 - p.0, q.1 - p.1);
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        for (d, near) in [
            (-dx, p.0 - self.0),
            (dx, self.2 - p.0),
            (-dy, p.1 - self.1),
            (dy, self.3 - p.1),
        ] {
            if d == 0.0 {
                if near < 0.0 {
                    return false;
                }
            } else if d < 0.0 {
                t0 = t0.max(near / d);
            } else {
                t1 = t1.min(near / d);
            }
        }
        t0 <= t1
    }
}

/// A point's label, placed: its text's anchor, baseline and alignment.
struct Placed {
    x: f64,
    y: f64,
    anchor: &'static str,
}

/// Places each point's label beside it where it meets no point, no line, no other label
/// and stays inside the plotting area; a point with no such place is left unlabelled
/// (its title still names it). `points` are where each point is and its text; `lines` join points.
fn place_labels(points: &[(Point, String)], lines: &[Segment], area: Box2) -> Vec<Option<Placed>> {
    let dots: Vec<Box2> = points
        .iter()
        .map(|&((x, y), _)| Box2(x - DOT - 1.0, y - DOT - 1.0, x + DOT + 1.0, y + DOT + 1.0))
        .collect();
    let mut taken: Vec<Box2> = Vec::new();
    let gap = DOT + 3.0;
    points
        .iter()
        .map(|&((x, y), ref text)| {
            // Digits and separators run at most 0.62 of the font size wide; the browser's
            // box of a line of text reaches about an em above its baseline and a quarter
            // below.
            let w = text.chars().count() as f64 * FONT * 0.62;
            let (up, down) = (FONT * 1.0, FONT * 0.3);
            let tries = [
                (x + gap, y + up / 2.0, "start"),
                (x - gap, y + up / 2.0, "end"),
                (x, y - gap, "middle"),
                (x, y + gap + up, "middle"),
                (x + gap, y - gap, "start"),
                (x - gap, y - gap, "end"),
                (x + gap, y + gap + up, "start"),
                (x - gap, y + gap + up, "end"),
                // Where points crowd (the graph's beams near full recall), a line
                // farther above or below.
                (x, y - gap - up, "middle"),
                (x, y + gap + 2.0 * up, "middle"),
                (x + gap, y - gap - up, "start"),
                (x - gap, y - gap - up, "end"),
            ];
            tries.into_iter().find_map(|(tx, ty, anchor)| {
                let left = match anchor {
                    "start" => tx,
                    "end" => tx - w,
                    _ => tx - w / 2.0,
                };
                let b = Box2(left, ty - up, left + w, ty + down);
                let inside = b.0 >= area.0 && b.2 <= area.2 && b.1 >= area.1 && b.3 <= area.3;
                let clear = inside
                    && !dots.iter().chain(&taken).any(|d| d.meets(b))
                    && !lines.iter().any(|&(p, q)| b.crossed_by(p, q));
                clear.then(|| {
                    taken.push(b);
                    Placed {
                        x: tx,
                        y: ty,
                        anchor,
                    }
                })
            })
        })
        .collect()
}

/// One line a method: the graph's beams and the forest's budgets are different knobs,
/// and a line between them would mean nothing.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Method {
    Graph,
    Forest,
}

impl Method {
    fn of(s: Setting) -> Method {
        match s {
            Setting::Graph(_) => Method::Graph,
            _ => Method::Forest,
        }
    }

    /// Its class in the plot (and its line's `data-method`).
    fn name(self) -> &'static str {
        match self {
            Method::Graph => "graph",
            Method::Forest => "forest",
        }
    }

    /// What the legend says: the line, and what its points' labels count.
    fn legend(self) -> &'static str {
        match self {
            Method::Graph => "graph, by beam",
            Method::Forest => "forest, by candidates",
        }
    }
}

/// What a point's label says: the graph's beam, the forest's candidates.
fn knob(s: Setting) -> String {
    match s {
        Setting::Graph(ef) => thousands(u64::from(ef)),
        Setting::Forest(budget) => thousands(u64::from(budget)),
        Setting::Exact => "exact".into(),
    }
}

/// Where values go: the plotting area, the axes' ranges and their ticks.
struct Frame {
    area: Box2,
    x_min: f64,
    /// The QPS axis' ends, as powers of ten.
    log_bottom: f64,
    log_top: f64,
    x_ticks: Vec<Tick>,
    y_ticks: Vec<Tick>,
}

impl Frame {
    fn fit(rows: &[Row]) -> Frame {
        let lowest = rows.iter().map(|r| r.recall).fold(1.0, f64::min);
        let (x_min, x_ticks) = recall_ticks(lowest);
        let (lo, hi) = rows.iter().fold((f64::MAX, 0.0f64), |(lo, hi), r| {
            (lo.min(r.qps), hi.max(r.qps))
        });
        let (bottom, top, y_ticks) = qps_ticks(lo, hi);
        Frame {
            area: Box2(LEFT, TOP, W - RIGHT, H - BOTTOM),
            x_min,
            log_bottom: bottom.log10(),
            log_top: top.log10(),
            x_ticks,
            y_ticks,
        }
    }

    fn x(&self, recall: f64) -> f64 {
        let Box2(l, _, r, _) = self.area;
        l + (recall - self.x_min) / (1.0 - self.x_min).max(1e-9) * (r - l)
    }

    fn y(&self, qps: f64) -> f64 {
        let Box2(_, t, _, b) = self.area;
        let share =
            (qps.max(1.0).log10() - self.log_bottom) / (self.log_top - self.log_bottom).max(1e-9);
        b - share * (b - t)
    }

    fn at(&self, r: &Row) -> Point {
        (self.x(r.recall), self.y(r.qps))
    }
}

/// The plot of `rows` (the re-ranked row left out by the caller: it is another measure).
pub fn plot(rows: &[Row]) -> impl IntoView + use<> {
    let frame = Frame::fit(rows);
    let lines: Vec<(Method, Vec<&Row>)> = [Method::Graph, Method::Forest]
        .into_iter()
        .map(|m| {
            (
                m,
                rows.iter().filter(|r| Method::of(r.setting) == m).collect(),
            )
        })
        .filter(|(_, rs): &(Method, Vec<&Row>)| !rs.is_empty())
        .collect();
    let segments: Vec<Segment> = lines
        .iter()
        .flat_map(|(_, rs)| rs.windows(2).map(|w| (frame.at(w[0]), frame.at(w[1]))))
        .collect();
    let ordered: Vec<&Row> = lines
        .iter()
        .flat_map(|(_, rs)| rs.iter().copied())
        .collect();
    let points: Vec<(Point, String)> = ordered
        .iter()
        .map(|r| (frame.at(r), knob(r.setting)))
        .collect();
    let placed = place_labels(&points, &segments, frame.area);
    let curves = lines
        .iter()
        .map(|(m, rs)| {
            let points: String = rs
                .iter()
                .map(|r| format!("{:.1},{:.1} ", frame.x(r.recall), frame.y(r.qps)))
                .collect();
            let name = m.name();
            view! { <polyline points=points class=format!("curve {name}") data-method=name></polyline> }
        })
        .collect_view();
    let marks = ordered
        .iter()
        .zip(placed)
        .map(|(r, at)| mark(&frame, r, at))
        .collect_view();
    let shown: Vec<Method> = lines.iter().map(|(m, _)| *m).collect();
    view! {
        <svg class="plot" viewBox=format!("0 0 {W} {H}") role="img" aria-label="recall at 10 against queries per second, one line a method">
            {axes(&frame)}
            {curves}
            {marks}
            {legend(&shown)}
        </svg>
    }
}

/// A row's point, named in full on hover, and its label where one fits.
fn mark(frame: &Frame, r: &Row, at: Option<Placed>) -> impl IntoView + use<> {
    let title = format!(
        "{}: recall@10 {:.4}, {} queries per second",
        r.setting.name(),
        r.recall,
        thousands(r.qps.round() as u64)
    );
    let label = at.map(|p| {
        view! { <text class="point-label" x=p.x y=p.y text-anchor=p.anchor>{knob(r.setting)}</text> }
    });
    let (cx, cy) = frame.at(r);
    view! {
        <circle class=Method::of(r.setting).name() cx=cx cy=cy r=DOT><title>{title}</title></circle>
        {label}
    }
}

/// The frame, the ticks with their values, light grid lines and the axis titles.
fn axes(frame: &Frame) -> impl IntoView + use<> {
    let Box2(l, t, r, b) = frame.area;
    let xs = frame
        .x_ticks
        .iter()
        .map(|k| {
            let at = frame.x(k.value);
            view! {
                <g class="tick x-tick">
                    <line class="grid" x1=at y1=t x2=at y2=b></line>
                    <line class="axis" x1=at y1=b x2=at y2=b + 4.0></line>
                    <text x=at y=b + 5.0 + FONT text-anchor="middle">{k.text.clone()}</text>
                </g>
            }
        })
        .collect_view();
    let ys = frame
        .y_ticks
        .iter()
        .map(|k| {
            let at = frame.y(k.value);
            view! {
                <g class="tick y-tick">
                    <line class="grid" x1=l y1=at x2=r y2=at></line>
                    <line class="axis" x1=l - 4.0 y1=at x2=l y2=at></line>
                    <text x=l - 6.0 y=at + FONT * 0.35 text-anchor="end">{k.text.clone()}</text>
                </g>
            }
        })
        .collect_view();
    let middle = (t + b) / 2.0;
    view! {
        {xs}
        {ys}
        <line class="axis" x1=l y1=b x2=r y2=b></line>
        <line class="axis" x1=l y1=t x2=l y2=b></line>
        <text class="axis-title" x=(l + r) / 2.0 y=H - 4.0 text-anchor="middle">"recall@10 (share of the true 10 nearest found)"</text>
        <text class="axis-title" x=FONT y=middle transform=format!("rotate(-90 {FONT} {middle})") text-anchor="middle">"queries per second (log scale)"</text>
    }
}

/// Which line is which, above the plotting area, and what the point labels count.
fn legend(shown: &[Method]) -> impl IntoView + use<> {
    shown
        .iter()
        .enumerate()
        .map(|(i, &m)| {
            let x0 = LEFT + i as f64 * 150.0;
            let y0 = TOP / 2.0;
            view! {
                <g class="legend-item">
                    <line class=format!("curve {}", m.name()) x1=x0 y1=y0 x2=x0 + 18.0 y2=y0></line>
                    <circle class=m.name() cx=x0 + 9.0 cy=y0 r=DOT></circle>
                    <text class="legend-text" x=x0 + 24.0 y=y0 + FONT * 0.35>{m.legend()}</text>
                </g>
            }
        })
        .collect_view()
}
