//! `ssam rank`: how each way of ranking the nearest finds the right digit over the test
//! images, and what it costs: the plain search, and re-ranking by the image distortion
//! model of more or fewer of its nearest candidates. One thread, the shipped index.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use ssam::distortion::Distortion;
use ssam::{DEFAULT_K, Effort, Ranking, Scratch, verdict};

use crate::assets::{self, Split};
use crate::{Result, progress};

#[derive(clap::Args)]
pub struct Args {
    /// Use only the first N test images as queries (default: all 10,000).
    #[arg(long)]
    queries: Option<usize>,
    /// Candidates re-ranked, one row each; 0 is the plain search.
    #[arg(long, value_delimiter = ',', default_value = "0,16,32,50,100")]
    candidates: Vec<usize>,
    /// Largest displacement of a pixel in the distortion model.
    #[arg(long, default_value_t = Distortion::DEFAULT.warp)]
    warp: u8,
    /// Half side of the context window in the distortion model.
    #[arg(long, default_value_t = Distortion::DEFAULT.context)]
    context: u8,
    /// Where to write the table as CSV.
    #[arg(long, default_value = "bench/out/rankings.csv")]
    out: PathBuf,
}

pub fn run(assets_dir: &Path, args: Args) -> Result {
    let train = assets::dataset(assets_dir, Split::Train)?;
    let test = assets::dataset(assets_dir, Split::Test)?;
    let test = test.head(args.queries.unwrap_or(test.len()).max(1));
    let index = assets::index(&assets_dir.join(assets::INDEX), train)?;
    let effort = Effort::default_for(&index);
    let model = Distortion {
        warp: args.warp,
        context: args.context,
    };
    let mut lines =
        vec!["ranking,candidates,acc1,verdict_acc,sure_share,sure_acc,p50_ms,qps".to_string()];
    for &candidates in &args.candidates {
        let ranking = match candidates {
            0 => Ranking::Space,
            _ => Ranking::Distortion { model, candidates },
        };
        let mut scratch = Scratch::new();
        let mut latencies = Vec::with_capacity(test.len());
        let (mut right1, mut right_verdict, mut sure, mut sure_right) = (0, 0, 0, 0);
        let bar = progress(test.len(), &format!("{candidates} re-ranked"));
        for i in 0..test.len() {
            let start = Instant::now();
            let found = index.find(test.image(i), DEFAULT_K, effort, ranking, &mut scratch)?;
            latencies.push(start.elapsed().as_secs_f64() * 1e3);
            let label_of = |id: u32| index.originals().label(id as usize);
            let want = test.label(i);
            right1 += usize::from(found.first().is_some_and(|n| label_of(n.id) == want));
            if let Some(v) = verdict::verdict(found, label_of) {
                right_verdict += usize::from(v.label == want);
                if v.sure() {
                    sure += 1;
                    sure_right += usize::from(v.label == want);
                }
            }
            bar.inc(1);
        }
        bar.finish_and_clear();
        let total_s = latencies.iter().sum::<f64>() / 1e3;
        latencies.sort_by(f64::total_cmp);
        let n = test.len() as f64;
        let name = match ranking {
            Ranking::Space => "space".to_string(),
            Ranking::Distortion { model, .. } => {
                format!("distortion warp {} context {}", model.warp, model.context)
            }
        };
        lines.push(format!(
            "{name},{candidates},{:.4},{:.4},{:.4},{:.4},{:.3},{:.0}",
            right1 as f64 / n,
            right_verdict as f64 / n,
            sure as f64 / n,
            sure_right as f64 / sure.max(1) as f64,
            latencies[latencies.len() / 2],
            n / total_s
        ));
        eprintln!("{}", lines.last().expect("just pushed"));
    }
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
    }
    let text = lines.join("\n") + "\n";
    std::fs::write(&args.out, &text).with_context(|| args.out.display().to_string())?;
    println!(
        "{} test images, {effort:?}, k = {DEFAULT_K}, one thread:\n{text}wrote {}",
        test.len(),
        args.out.display()
    );
    Ok(())
}
