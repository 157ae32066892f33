// Mat-vec kernels of the fast golden datapath over the PreparedMatrix layout. The AVX2 kernels
// use _mm256_maddubs_epi16 (u8 x s8 pairs into int16) on nibbles unpacked in registers:
//   INT4 / INT3: nibble n = q + 8 in [0, 15] is the unsigned operand, v the signed one, so
//     sum n * v = acc + 8 * sum v; four blocks are summed in int16 (|sum| <= 4 * 7680) before
//     widening. Rows are reduced once at the end.
//   MXFP4: a pshufb table turns codes into val2, v + 128 (v ^ 0x80) is the unsigned operand,
//     so per block p = sum val2 * (v + 128) - 128 * sum val2 (the sum is precomputed); the 8
//     rows' block sums are reduced with hadd and aligned with the exact rounding shift.
// Omits: multithreading (the simulator runs many chips per rank) and AVX-512.
#include "chips/numerics/golden_kernels.h"

#include <immintrin.h>

#include <algorithm>
#include <vector>

#include "core/types.h"

namespace moefab::chips::internal {

namespace {

constexpr std::uint32_t kRowsPerGroup = 8;
constexpr std::uint32_t kBytesPerGroupBlock = kRowsPerGroup * 16;

}  // namespace

bool CpuHasAvx2() {
  static const bool has = __builtin_cpu_supports("avx2") != 0;
  return has;
}

void MatVecPortable(const PreparedMatrix& m, const std::int8_t* v, std::int32_t* acc) {
  for (std::uint32_t g = 0; g < m.groups; ++g) {
    std::int64_t row_acc[kRowsPerGroup] = {};
    for (std::uint32_t b = 0; b < m.blocks; ++b) {
      const std::size_t gb = std::size_t{g} * m.blocks + b;
      const std::uint8_t* blk = m.codes.data() + gb * kBytesPerGroupBlock;
      const std::int8_t* vb = v + std::size_t{b} * kMxBlock;
      for (std::uint32_t pair = 0; pair < 4; ++pair) {
        for (std::uint32_t half = 0; half < 2; ++half) {
          const std::uint32_t i = pair + 4 * half;
          const std::uint8_t* bytes = blk + pair * 32 + half * 16;
          std::int32_t p = 0;
          for (std::uint32_t k = 0; k < 16; ++k) {
            const int lo = bytes[k] & 0x0F;
            const int hi = bytes[k] >> 4;
            const int wlo = m.mx ? kMxfp4Val2[lo] : lo - 8;
            const int whi = m.mx ? kMxfp4Val2[hi] : hi - 8;
            p += wlo * vb[k] + whi * vb[k + 16];
          }
          if (m.mx) {
            row_acc[i] += RoundShift(std::int64_t{p} * (1 << kMxGuardBits), m.mx_shift[gb * 8 + i]);
          } else {
            row_acc[i] += p;
          }
        }
      }
    }
    for (std::uint32_t i = 0; i < kRowsPerGroup; ++i) {
      acc[g * kRowsPerGroup + i] = static_cast<std::int32_t>(row_acc[i]);
    }
  }
}

namespace {

// x duplicated per 128-bit lane: for block b, 64 bytes [v0..15, v0..15, v16..31, v16..31],
// each byte XORed with `flip` (0x80 turns int8 v into uint8 v + 128).
__attribute__((target("avx2"))) void PrepareVector(const std::int8_t* v, std::uint32_t blocks, std::uint8_t flip,
                                                   std::uint8_t* out) {
  const __m256i f = _mm256_set1_epi8(static_cast<char>(flip));
  for (std::uint32_t b = 0; b < blocks; ++b) {
    const __m256i x =
        _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(v + std::size_t{b} * 32)), f);
    const __m256i lo = _mm256_permute2x128_si256(x, x, 0x00);
    const __m256i hi = _mm256_permute2x128_si256(x, x, 0x11);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + std::size_t{b} * 64), lo);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + std::size_t{b} * 64 + 32), hi);
  }
}

__attribute__((target("avx2"))) void MatVecIntAvx2(const PreparedMatrix& m, const std::uint8_t* xp, std::int32_t sum_v,
                                                   std::int32_t* acc) {
  const __m256i nib = _mm256_set1_epi8(0x0F);
  const __m256i ones = _mm256_set1_epi16(1);
  const __m256i corr = _mm256_set1_epi32(8 * sum_v);
  for (std::uint32_t g = 0; g < m.groups; ++g) {
    const std::uint8_t* gcodes = m.codes.data() + std::size_t{g} * m.blocks * kBytesPerGroupBlock;
    __m256i a0 = _mm256_setzero_si256();
    __m256i a1 = _mm256_setzero_si256();
    __m256i a2 = _mm256_setzero_si256();
    __m256i a3 = _mm256_setzero_si256();
    for (std::uint32_t b0 = 0; b0 < m.blocks; b0 += 4) {
      const std::uint32_t b_end = std::min(m.blocks, b0 + 4);
      __m256i s0 = _mm256_setzero_si256();
      __m256i s1 = _mm256_setzero_si256();
      __m256i s2 = _mm256_setzero_si256();
      __m256i s3 = _mm256_setzero_si256();
      for (std::uint32_t b = b0; b < b_end; ++b) {
        const __m256i xl = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xp + b * 64));
        const __m256i xh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xp + b * 64 + 32));
        const __m256i* blk = reinterpret_cast<const __m256i*>(gcodes + b * kBytesPerGroupBlock);
        __m256i w = _mm256_loadu_si256(blk + 0);
        __m256i lo = _mm256_and_si256(w, nib);
        __m256i hi = _mm256_and_si256(_mm256_srli_epi16(w, 4), nib);
        s0 = _mm256_add_epi16(s0, _mm256_add_epi16(_mm256_maddubs_epi16(lo, xl), _mm256_maddubs_epi16(hi, xh)));
        w = _mm256_loadu_si256(blk + 1);
        lo = _mm256_and_si256(w, nib);
        hi = _mm256_and_si256(_mm256_srli_epi16(w, 4), nib);
        s1 = _mm256_add_epi16(s1, _mm256_add_epi16(_mm256_maddubs_epi16(lo, xl), _mm256_maddubs_epi16(hi, xh)));
        w = _mm256_loadu_si256(blk + 2);
        lo = _mm256_and_si256(w, nib);
        hi = _mm256_and_si256(_mm256_srli_epi16(w, 4), nib);
        s2 = _mm256_add_epi16(s2, _mm256_add_epi16(_mm256_maddubs_epi16(lo, xl), _mm256_maddubs_epi16(hi, xh)));
        w = _mm256_loadu_si256(blk + 3);
        lo = _mm256_and_si256(w, nib);
        hi = _mm256_and_si256(_mm256_srli_epi16(w, 4), nib);
        s3 = _mm256_add_epi16(s3, _mm256_add_epi16(_mm256_maddubs_epi16(lo, xl), _mm256_maddubs_epi16(hi, xh)));
      }
      a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(s0, ones));
      a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(s1, ones));
      a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(s2, ones));
      a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(s3, ones));
    }
    // a_j = [row j | row j + 4] partial sums; three hadds give [r0 r1 r2 r3 | r4 r5 r6 r7].
    const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(a0, a1), _mm256_hadd_epi32(a2, a3));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc + g * kRowsPerGroup), _mm256_sub_epi32(h, corr));
  }
}

__attribute__((target("avx2"))) inline __m256i MxPair(const __m256i* blk, __m256i lut, __m256i nib, __m256i ones,
                                                      __m256i xl, __m256i xh) {
  const __m256i w = _mm256_loadu_si256(blk);
  const __m256i vl = _mm256_shuffle_epi8(lut, _mm256_and_si256(w, nib));
  const __m256i vh = _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(w, 4), nib));
  return _mm256_madd_epi16(_mm256_add_epi16(_mm256_maddubs_epi16(xl, vl), _mm256_maddubs_epi16(xh, vh)), ones);
}

__attribute__((target("avx2"))) void MatVecMxAvx2(const PreparedMatrix& m, const std::uint8_t* xp, std::int32_t* acc) {
  const __m256i nib = _mm256_set1_epi8(0x0F);
  const __m256i ones = _mm256_set1_epi16(1);
  const __m256i one32 = _mm256_set1_epi32(1);
  const __m256i lut = _mm256_setr_epi8(0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12, 0, 1, 2, 3, 4, 6, 8, 12,
                                       0, -1, -2, -3, -4, -6, -8, -12);
  for (std::uint32_t g = 0; g < m.groups; ++g) {
    const std::size_t gb0 = std::size_t{g} * m.blocks;
    const std::uint8_t* gcodes = m.codes.data() + gb0 * kBytesPerGroupBlock;
    __m256i a = _mm256_setzero_si256();
    for (std::uint32_t b = 0; b < m.blocks; ++b) {
      const __m256i xl = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xp + b * 64));
      const __m256i xh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xp + b * 64 + 32));
      const __m256i* blk = reinterpret_cast<const __m256i*>(gcodes + b * kBytesPerGroupBlock);
      const __m256i p0 = MxPair(blk + 0, lut, nib, ones, xl, xh);
      const __m256i p1 = MxPair(blk + 1, lut, nib, ones, xl, xh);
      const __m256i p2 = MxPair(blk + 2, lut, nib, ones, xl, xh);
      const __m256i p3 = MxPair(blk + 3, lut, nib, ones, xl, xh);
      const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(p0, p1), _mm256_hadd_epi32(p2, p3));
      const __m256i sum =
          _mm256_cvtepi16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(m.mx_sum.data() + (gb0 + b) * 8)));
      const __m256i p = _mm256_sub_epi32(h, _mm256_slli_epi32(sum, 7));
      const __m256i s =
          _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(m.mx_shift.data() + (gb0 + b) * 8)));
      const __m256i rnd = _mm256_srli_epi32(_mm256_sllv_epi32(one32, s), 1);
      a = _mm256_add_epi32(a, _mm256_srav_epi32(_mm256_add_epi32(_mm256_slli_epi32(p, kMxGuardBits), rnd), s));
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc + g * kRowsPerGroup), a);
  }
}

}  // namespace

void MatVecAvx2(const PreparedMatrix& m, const std::int8_t* v, std::int32_t* acc) {
  thread_local std::vector<std::uint8_t> xp;
  xp.resize(std::size_t{m.blocks} * 64);
  PrepareVector(v, m.blocks, m.mx ? 0x80 : 0x00, xp.data());
  if (m.mx) {
    MatVecMxAvx2(m, xp.data(), acc);
  } else {
    std::int32_t sum_v = 0;
    for (std::size_t c = 0; c < std::size_t{m.blocks} * kMxBlock; ++c) sum_v += v[c];
    MatVecIntAvx2(m, xp.data(), sum_v, acc);
  }
}

}  // namespace moefab::chips::internal
