//! A coded cell's codes, stored as their differences from the cell's centroid code and
//! entropy coded (rANS, by `constriction`): each direction's differences are modelled as
//! a discrete Gaussian of mean 0 whose spread the cell gives in two bytes.
//!
//! Why this shape:
//! - A cell's items lie around its centroid, so each direction's differences are small
//!   numbers spread like a Gaussian, each direction with its own spread: deflate fits
//!   one code table to all of them and comes out about a tenth above what a model per
//!   direction gives (the README gives the figures).
//! - The model is built from its spread by multiplications and divisions only, whose
//!   results IEEE 754 fixes to the bit on every platform, so a reader in WebAssembly
//!   builds the very tables the writer coded with (an `exp` from the platform's maths
//!   library might differ in its last bit, and one differing probability garbles the
//!   cell).
//! - Every value keeps a probability of at least one in 2^24: a difference the model
//!   did not expect costs bits, never a failure.

use constriction::UnwrapInfallible;
use constriction::stream::Decode;
use constriction::stream::model::DefaultContiguousCategoricalEntropyModel;
use constriction::stream::stack::DefaultAnsCoder;

/// Fixed-point precision of the models (constriction's default, for 32-bit words).
const PRECISION: u32 = 24;
/// Values a difference takes: a byte, read as -128 to 127.
const VALUES: usize = 256;

type Model = DefaultContiguousCategoricalEntropyModel;

/// The model of one direction's differences: value `d` (as its symbol `d + 128`) has a
/// weight of `q^(d^2)`, where `q = spread / 65536`.
fn model(spread: u16) -> Model {
    let q = f64::from(spread) / 65_536.0;
    let mut weights = [0f64; VALUES];
    weights[128] = 1.0;
    // q^(d^2) from q^((d-1)^2) times q^(2d-1); the odd powers step by q^2.
    let (mut w, mut odd) = (1.0f64, q);
    for d in 1..=128usize {
        w *= odd;
        odd *= q * q;
        if d < 128 {
            weights[128 + d] = w;
        }
        weights[128 - d] = w;
    }
    let total: f64 = weights.iter().sum();
    // One each, and the rest shared by weight (rounded down): the mode takes what the
    // rounding left.
    let spare = (1u32 << PRECISION) - VALUES as u32;
    let mut fixed: Vec<u32> = weights
        .iter()
        .map(|&w| 1 + (w / total * f64::from(spare)) as u32)
        .collect();
    let used: u32 = fixed.iter().sum();
    fixed[128] += (1u32 << PRECISION) - used;
    Model::from_nonzero_fixed_point_probabilities(&fixed, false)
        .expect("probabilities of at least one that sum to 2^24")
}

/// The spread whose model codes `values` (differences as bytes) in the fewest bits:
/// tried around the one their deviation suggests.
fn best_spread(values: &[u8]) -> u16 {
    let n = values.len().max(1) as f64;
    let var = values
        .iter()
        .map(|&v| f64::from(v as i8).powi(2))
        .sum::<f64>()
        / n;
    let mut hist = [0u32; VALUES];
    for &v in values {
        hist[usize::from(v.wrapping_add(128))] += 1;
    }
    let cost = |spread: u16| {
        let m = model(spread);
        let mut bits = 0.0;
        for (s, &count) in hist.iter().enumerate() {
            if count > 0 {
                let p = probability(&m, s);
                bits -= f64::from(count) * p.log2();
            }
        }
        bits
    };
    let mut best = (f64::INFINITY, 1u16);
    for factor in [0.7, 0.8, 0.9, 1.0, 1.1, 1.25, 1.4] {
        let sigma2 = (var * factor * factor).max(0.05);
        let q = (-1.0 / (2.0 * sigma2)).exp();
        let spread = (q * 65_536.0).round().clamp(1.0, 65_535.0) as u16;
        let bits = cost(spread);
        if bits < best.0 {
            best = (bits, spread);
        }
    }
    best.1
}

fn probability(m: &Model, symbol: usize) -> f64 {
    use constriction::stream::model::EncoderModel;
    let (_, p) = m
        .left_cumulative_and_probability(symbol)
        .expect("every symbol is in the model");
    f64::from(p.get()) / f64::from(1u32 << PRECISION)
}

/// `runs` (one run of `n` differences per direction, run after run) coded: a spread per
/// direction, then the coder's words.
pub(crate) fn encode(runs: &[u8], n: usize) -> (Vec<u16>, Vec<u32>) {
    if n == 0 {
        return (vec![1; runs.len()], Vec::new());
    }
    let spreads: Vec<u16> = runs.chunks_exact(n).map(best_spread).collect();
    let models: Vec<Model> = spreads.iter().map(|&s| model(s)).collect();
    let mut coder = DefaultAnsCoder::new();
    let symbols = runs.chunks_exact(n).zip(&models).flat_map(|(run, m)| {
        run.iter()
            .map(move |&v| (usize::from(v.wrapping_add(128)), m))
    });
    coder
        .encode_symbols_reverse(symbols)
        .expect("a model holds every symbol");
    (spreads, coder.into_compressed().unwrap_infallible())
}

/// The runs of `n` differences per direction that `words` code with `spreads`, or what
/// is wrong with them.
pub(crate) fn decode(spreads: &[u16], words: Vec<u32>, n: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(spreads.len() * n);
    let mut coder = DefaultAnsCoder::from_compressed(words)
        .map_err(|_| "coded differences that end in a zero word".to_string())?;
    for &spread in spreads {
        let m = model(spread);
        for symbol in coder.decode_iid_symbols(n, &m) {
            let symbol =
                symbol.map_err(|e| format!("coded differences that do not decode ({e})"))?;
            out.push((symbol as u8).wrapping_sub(128));
        }
    }
    if !coder.is_empty() {
        return Err("more coded differences than the cell holds".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn deflated_len(raw: &[u8]) -> usize {
        use std::io::Write;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(raw).unwrap();
        z.finish().unwrap().len()
    }

    /// Runs of `n` differences, direction `j` spread about `10 - j / 4`.
    fn runs(n: usize, dirs: usize, seed: u64) -> Vec<u8> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..dirs)
            .flat_map(|j| {
                let spread = 10.0 - j as f64 / 4.0;
                (0..n)
                    .map(|_| {
                        // A sum of uniforms: near a Gaussian.
                        let s: f64 = (0..4).map(|_| rng.random::<f64>() - 0.5).sum();
                        (s * spread * 1.7).round() as i8 as u8
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn differences_come_back_exactly_in_fewer_bytes_than_deflate_gives() {
        for (n, seed) in [(1, 1), (7, 2), (230, 3), (512, 4)] {
            let runs = runs(n, 32, seed);
            let (spreads, words) = encode(&runs, n);
            assert_eq!(decode(&spreads, words.clone(), n).unwrap(), runs);
            if n >= 230 {
                let deflated = deflated_len(&runs);
                assert!(
                    words.len() * 4 + spreads.len() * 2 < deflated,
                    "{} words against {deflated} bytes deflated",
                    words.len()
                );
            }
        }
        // Values far from the model's expectation still come back.
        let wild: Vec<u8> = (0..=255).collect();
        let (spreads, words) = encode(&wild, 256);
        assert_eq!(decode(&spreads, words, 256).unwrap(), wild);
    }

    #[test]
    fn models_span_the_precision_for_every_spread() {
        for spread in [0u16, 1, 2, 100, 30_000, 65_000, 65_535] {
            let m = model(spread);
            let total: f64 = (0..VALUES).map(|s| probability(&m, s)).sum();
            assert!((total - 1.0).abs() < 1e-9, "spread {spread}: {total}");
        }
    }

    #[test]
    fn any_words_decode_to_an_answer_or_an_error_never_a_panic() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let good = runs(40, 4, 5);
        let (spreads, words) = encode(&good, 40);
        for _ in 0..2_000 {
            let mut bad = words.clone();
            match rng.random_range(0..3) {
                0 => {
                    let at = rng.random_range(0..bad.len());
                    bad[at] ^= 1 << rng.random_range(0..32);
                }
                1 => bad.truncate(rng.random_range(0..bad.len())),
                _ => bad = (0..rng.random_range(0..20)).map(|_| rng.random()).collect(),
            }
            let spreads: Vec<u16> = spreads
                .iter()
                .map(|&s| s ^ (rng.random::<u16>() % 4))
                .collect();
            if let Ok(out) = decode(&spreads, bad, 40) {
                assert_eq!(out.len(), 160);
            }
        }
    }
}
