//! The hot loop of the engine on `u8` pixels: squared euclidean distance, one row or
//! several at once. Each has a plain scalar version, which is the
//! reference, and SIMD versions for x86-64 (AVX2, picked at run time) and wasm32 (simd128,
//! picked at compile time); tests check that they agree bit for bit.
//!
//! Both are exact integer arithmetic, so results are the same on every platform. Vectors
//! may have at most [`MAX_DIM`] elements, which keeps every sum inside 32 bits.

/// Longest vector the kernels accept: `MAX_DIM * 255 * 255` fits in an `i32`.
pub const MAX_DIM: usize = 16_384;

use crate::neighbors::Neighbor;

/// Squared euclidean distance between two vectors of equal length.
#[inline]
pub fn l2_sq(a: &[u8], b: &[u8]) -> u32 {
    assert_eq!(a.len(), b.len(), "vectors of different lengths");
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 is present, checked just above.
        return unsafe { x86::l2_sq(a, b) };
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    return wasm::l2_sq(a, b);
    #[allow(unreachable_code)]
    scalar::l2_sq(a, b)
}

/// Squared euclidean distances from `q` to `N` vectors at once. Interleaving rows keeps
/// several memory streams in flight: ranking candidates waits on memory far more than
/// it computes, so this is faster than `N` calls.
#[inline]
pub fn l2_sq_many<const N: usize>(q: &[u8], rows: [&[u8]; N]) -> [u32; N] {
    assert!(
        rows.iter().all(|r| r.len() == q.len()),
        "vectors of different lengths"
    );
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 is present, checked just above.
        return unsafe { x86::l2_sq_many(q, rows) };
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    return wasm::l2_sq_many(q, rows);
    #[allow(unreachable_code)]
    rows.map(|r| scalar::l2_sq(q, r))
}

/// Equal-length vectors stored one after another: a dataset's images or their compact
/// codes, as the search stages read them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rows<'a> {
    bytes: &'a [u8],
    dim: usize,
}

impl<'a> Rows<'a> {
    /// `bytes` cut into rows of `dim` (the caller keeps `bytes.len()` a multiple of it).
    pub(crate) fn new(bytes: &'a [u8], dim: usize) -> Self {
        debug_assert!(dim > 0 && bytes.len().is_multiple_of(dim));
        Rows { bytes, dim }
    }

    /// Row `i`.
    #[inline]
    pub(crate) fn row(&self, i: usize) -> &'a [u8] {
        &self.bytes[i * self.dim..(i + 1) * self.dim]
    }

    /// Measures the rows `ids` against `query` and hands each distance to `take`. Rows
    /// about to be measured are fetched ahead: waiting on memory is most of a query's time.
    pub(crate) fn measure(&self, query: &[u8], ids: &[u32], mut take: impl FnMut(Neighbor)) {
        // Rows measured together; more keeps more of memory's latency hidden.
        const WIDTH: usize = 4;
        let mut groups = ids.chunks_exact(WIDTH);
        for (at, group) in groups.by_ref().enumerate() {
            for &ahead in ids.iter().skip((at + 1) * WIDTH).take(WIDTH) {
                self.prefetch(ahead as usize);
            }
            let group: [u32; WIDTH] = group.try_into().expect("chunks of WIDTH");
            let distances = l2_sq_many(query, group.map(|id| self.row(id as usize)));
            for (id, distance) in group.into_iter().zip(distances) {
                take(Neighbor { id, distance });
            }
        }
        for &id in groups.remainder() {
            take(Neighbor {
                id,
                distance: l2_sq(query, self.row(id as usize)),
            });
        }
    }

    /// Asks the processor to start loading row `i` into cache.
    #[inline]
    pub(crate) fn prefetch(&self, i: usize) {
        prefetch(self.row(i));
    }
}

/// Asks the processor to start loading `items` into cache; a hint with no effect on
/// results, and nothing on targets without one.
#[inline]
pub(crate) fn prefetch<T>(items: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        let start = items.as_ptr().cast::<u8>();
        for offset in (0..std::mem::size_of_val(items)).step_by(64) {
            // SAFETY: the address is inside `items`, and prefetching reads nothing
            // observable and cannot fault.
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                    start.add(offset).cast(),
                )
            };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = items;
}

/// The reference versions: obviously right, and what the SIMD versions are tested against.
pub mod scalar {
    /// Squared euclidean distance.
    pub fn l2_sq(a: &[u8], b: &[u8]) -> u32 {
        a.iter()
            .zip(b)
            .map(|(&x, &y)| {
                let d = u32::from(x.abs_diff(y));
                d * d
            })
            .sum()
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// Horizontal sum of eight 32-bit lanes.
    #[target_feature(enable = "avx2")]
    fn hsum(v: __m256i) -> i32 {
        let s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b01_00_11_10>(s));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b10_11_00_01>(s));
        _mm_cvtsi128_si32(s)
    }

    /// 32 bytes at a time: |a - b| as bytes, widened to 16 bits, squared and paired by madd.
    #[target_feature(enable = "avx2")]
    pub unsafe fn l2_sq(a: &[u8], b: &[u8]) -> u32 {
        let n = a.len();
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let zero = _mm256_setzero_si256();
        let mut acc = zero;
        let mut i = 0;
        while i + 32 <= n {
            // SAFETY: i + 32 <= n and both slices have n bytes.
            let (va, vb) = unsafe {
                (
                    _mm256_loadu_si256(pa.add(i).cast()),
                    _mm256_loadu_si256(pb.add(i).cast()),
                )
            };
            let d = _mm256_or_si256(_mm256_subs_epu8(va, vb), _mm256_subs_epu8(vb, va));
            let lo = _mm256_unpacklo_epi8(d, zero);
            let hi = _mm256_unpackhi_epi8(d, zero);
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(lo, lo));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(hi, hi));
            i += 32;
        }
        if i + 16 <= n {
            // SAFETY: i + 16 <= n.
            let (va, vb) = unsafe {
                (
                    _mm256_cvtepu8_epi16(_mm_loadu_si128(pa.add(i).cast())),
                    _mm256_cvtepu8_epi16(_mm_loadu_si128(pb.add(i).cast())),
                )
            };
            let d = _mm256_sub_epi16(va, vb);
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(d, d));
            i += 16;
        }
        hsum(acc) as u32 + super::scalar::l2_sq(&a[i..], &b[i..])
    }

    /// As `l2_sq`, the query loaded once for `N` rows.
    #[target_feature(enable = "avx2")]
    pub unsafe fn l2_sq_many<const N: usize>(q: &[u8], rows: [&[u8]; N]) -> [u32; N] {
        let n = q.len();
        let zero = _mm256_setzero_si256();
        let mut acc = [zero; N];
        let mut i = 0;
        while i + 32 <= n {
            // SAFETY: i + 32 <= n and every slice has n bytes.
            let vq = unsafe { _mm256_loadu_si256(q.as_ptr().add(i).cast()) };
            for (a, row) in acc.iter_mut().zip(rows) {
                let vr = unsafe { _mm256_loadu_si256(row.as_ptr().add(i).cast()) };
                let d = _mm256_or_si256(_mm256_subs_epu8(vq, vr), _mm256_subs_epu8(vr, vq));
                let lo = _mm256_unpacklo_epi8(d, zero);
                let hi = _mm256_unpackhi_epi8(d, zero);
                *a = _mm256_add_epi32(
                    *a,
                    _mm256_add_epi32(_mm256_madd_epi16(lo, lo), _mm256_madd_epi16(hi, hi)),
                );
            }
            i += 32;
        }
        let mut out = [0u32; N];
        for ((o, a), row) in out.iter_mut().zip(acc).zip(rows) {
            *o = hsum(a) as u32 + super::scalar::l2_sq(&q[i..], &row[i..]);
        }
        out
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm {
    use core::arch::wasm32::*;

    fn hsum(v: v128) -> i32 {
        i32x4_extract_lane::<0>(v)
            + i32x4_extract_lane::<1>(v)
            + i32x4_extract_lane::<2>(v)
            + i32x4_extract_lane::<3>(v)
    }

    /// 16 bytes at a time: |a - b| as bytes, widened to 16 bits, squared and paired by dot.
    pub fn l2_sq(a: &[u8], b: &[u8]) -> u32 {
        let n = a.len();
        let mut acc = i32x4_splat(0);
        let mut i = 0;
        while i + 16 <= n {
            // SAFETY: i + 16 <= n and both slices have n bytes; v128_load is unaligned.
            let (va, vb) = unsafe {
                (
                    v128_load(a.as_ptr().add(i).cast()),
                    v128_load(b.as_ptr().add(i).cast()),
                )
            };
            let d = v128_or(u8x16_sub_sat(va, vb), u8x16_sub_sat(vb, va));
            let lo = u16x8_extend_low_u8x16(d);
            let hi = u16x8_extend_high_u8x16(d);
            acc = i32x4_add(
                acc,
                i32x4_add(i32x4_dot_i16x8(lo, lo), i32x4_dot_i16x8(hi, hi)),
            );
            i += 16;
        }
        hsum(acc) as u32 + super::scalar::l2_sq(&a[i..], &b[i..])
    }

    /// As `l2_sq`, the query loaded once for `N` rows.
    pub fn l2_sq_many<const N: usize>(q: &[u8], rows: [&[u8]; N]) -> [u32; N] {
        let n = q.len();
        let mut acc = [i32x4_splat(0); N];
        let mut i = 0;
        while i + 16 <= n {
            // SAFETY: i + 16 <= n and every slice has n bytes; v128_load is unaligned.
            let vq = unsafe { v128_load(q.as_ptr().add(i).cast()) };
            for (a, row) in acc.iter_mut().zip(rows) {
                let vr = unsafe { v128_load(row.as_ptr().add(i).cast()) };
                let d = v128_or(u8x16_sub_sat(vq, vr), u8x16_sub_sat(vr, vq));
                let lo = u16x8_extend_low_u8x16(d);
                let hi = u16x8_extend_high_u8x16(d);
                *a = i32x4_add(
                    *a,
                    i32x4_add(i32x4_dot_i16x8(lo, lo), i32x4_dot_i16x8(hi, hi)),
                );
            }
            i += 16;
        }
        let mut out = [0u32; N];
        for ((o, a), row) in out.iter_mut().zip(acc).zip(rows) {
            *o = hsum(a) as u32 + super::scalar::l2_sq(&q[i..], &row[i..]);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn vector(rng: &mut ChaCha8Rng, n: usize) -> Vec<u8> {
        (0..n).map(|_| rng.random()).collect()
    }

    #[test]
    fn simd_and_scalar_agree_on_every_length_and_extreme_values() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for n in (0..100).chain([784, 785, 1000]) {
            let (x, p, q) = (
                vector(&mut rng, n),
                vector(&mut rng, n),
                vector(&mut rng, n),
            );
            assert_eq!(l2_sq(&x, &p), scalar::l2_sq(&x, &p), "l2 at length {n}");
            let (full, empty) = (vec![255u8; n], vec![0u8; n]);
            assert_eq!(l2_sq(&full, &empty), 65025 * n as u32);
            assert_eq!(
                l2_sq_many(&x, [&p, &q, &full, &empty]),
                [&p, &q, &full, &empty].map(|r| scalar::l2_sq(&x, r)),
                "l2_sq_many at length {n}"
            );
        }
    }

    #[test]
    fn the_longest_vectors_do_not_overflow() {
        let (full, empty) = (vec![255u8; MAX_DIM], vec![0u8; MAX_DIM]);
        assert_eq!(l2_sq(&full, &empty), scalar::l2_sq(&full, &empty));
    }
}
