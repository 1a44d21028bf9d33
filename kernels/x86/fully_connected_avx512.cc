// AVX-512 fully connected kernels: f32 with FMA on zmm, int8 with VNNI's vpdpwssd. Compiled with
// -mavx512f -mavx512bw -mavx512vl -mavx512vnni -mfma for this file alone.
//
// Register tiles of kRows rows x kChannels output channels: each step of k loads kRows activation vectors and
// kChannels weight vectors for kRows * kChannels multiply-adds, so a batch reuses every load (batch-1 decode uses
// the 1 x kChannels edge tile). The tail of k is one masked step. Every output is summed in the same lane order
// whatever tile computes it, so prefill and decode give identical results.
#include <immintrin.h>

#include "edgeformer/kernels/fully_connected.h"
#include "tile_loop.h"

namespace edgeformer::kernels {

namespace {

constexpr size_t kRows = 4;
constexpr size_t kChannels = 4;

template <size_t MR, size_t NR>
void tile_f32(const FullyConnectedF32Args& a, size_t m0, size_t n0) {
  const size_t k = a.k;
  const float* x = a.x + m0 * a.x_stride;
  const float* w = a.w + n0 * k;
  __m512 acc[MR][NR];
  for (size_t i = 0; i < MR; ++i)
    for (size_t r = 0; r < NR; ++r) acc[i][r] = _mm512_setzero_ps();
  size_t l = 0;
  for (; l + 16 <= k; l += 16) {
    __m512 wv[NR];
    for (size_t r = 0; r < NR; ++r) wv[r] = _mm512_loadu_ps(w + r * k + l);
    for (size_t i = 0; i < MR; ++i) {
      const __m512 xv = _mm512_loadu_ps(x + i * a.x_stride + l);
      for (size_t r = 0; r < NR; ++r) acc[i][r] = _mm512_fmadd_ps(wv[r], xv, acc[i][r]);
    }
  }
  if (l < k) {
    const __mmask16 mask = static_cast<__mmask16>((1u << (k - l)) - 1);
    __m512 wv[NR];
    for (size_t r = 0; r < NR; ++r) wv[r] = _mm512_maskz_loadu_ps(mask, w + r * k + l);
    for (size_t i = 0; i < MR; ++i) {
      const __m512 xv = _mm512_maskz_loadu_ps(mask, x + i * a.x_stride + l);
      for (size_t r = 0; r < NR; ++r) acc[i][r] = _mm512_fmadd_ps(wv[r], xv, acc[i][r]);
    }
  }
  for (size_t i = 0; i < MR; ++i)
    for (size_t r = 0; r < NR; ++r) a.y[(m0 + i) * a.y_stride + n0 + r] = _mm512_reduce_add_ps(acc[i][r]);
}

// int8 widened to int16, then vpdpwssd multiplies pairs and accumulates in int32: exact for every int8 value.
template <size_t MR, size_t NR>
void tile_q8(const FullyConnectedQ8Args& a, size_t m0, size_t n0) {
  const size_t k = a.k;
  const int8_t* x = a.xq + m0 * k;
  const int8_t* w = a.w + n0 * k;
  __m512i acc[MR][NR];
  for (size_t i = 0; i < MR; ++i)
    for (size_t r = 0; r < NR; ++r) acc[i][r] = _mm512_setzero_si512();
  size_t l = 0;
  for (; l + 32 <= k; l += 32) {
    __m512i wv[NR];
    for (size_t r = 0; r < NR; ++r)
      wv[r] = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + r * k + l)));
    for (size_t i = 0; i < MR; ++i) {
      const __m512i xv = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i * k + l)));
      for (size_t r = 0; r < NR; ++r) acc[i][r] = _mm512_dpwssd_epi32(acc[i][r], xv, wv[r]);
    }
  }
  if (l < k) {
    const __mmask32 mask = static_cast<__mmask32>((uint64_t{1} << (k - l)) - 1);
    __m512i wv[NR];
    for (size_t r = 0; r < NR; ++r) wv[r] = _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(mask, w + r * k + l));
    for (size_t i = 0; i < MR; ++i) {
      const __m512i xv = _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(mask, x + i * k + l));
      for (size_t r = 0; r < NR; ++r) acc[i][r] = _mm512_dpwssd_epi32(acc[i][r], xv, wv[r]);
    }
  }
  for (size_t i = 0; i < MR; ++i)
    for (size_t r = 0; r < NR; ++r)
      a.y[(m0 + i) * a.y_stride + n0 + r] =
          static_cast<float>(_mm512_reduce_add_epi32(acc[i][r])) * a.x_scale[m0 + i] * a.w_scale[n0 + r];
}

// vpdpbusd multiplies unsigned by signed bytes, four per lane: activations enter as x + 128 (a flip of the sign
// bit), and 128 * sum(w) comes off at the end. Exact for every int8 value; 64 multiply-adds per instruction.
template <size_t MR, size_t NR>
void tile_q8_unsigned(const FullyConnectedQ8Args& a, size_t m0, size_t n0) {
  const size_t k = a.k;
  const int8_t* x = a.xq + m0 * k;
  const int8_t* w = a.w + n0 * k;
  const __m512i sign_bit = _mm512_set1_epi8(static_cast<char>(0x80));
  __m512i acc[MR][NR];
  for (size_t i = 0; i < MR; ++i)
    for (size_t r = 0; r < NR; ++r) acc[i][r] = _mm512_setzero_si512();
  size_t l = 0;
  for (; l + 64 <= k; l += 64) {
    __m512i wv[NR];
    for (size_t r = 0; r < NR; ++r) wv[r] = _mm512_loadu_si512(w + r * k + l);
    for (size_t i = 0; i < MR; ++i) {
      const __m512i xv = _mm512_xor_si512(_mm512_loadu_si512(x + i * k + l), sign_bit);
      for (size_t r = 0; r < NR; ++r) acc[i][r] = _mm512_dpbusd_epi32(acc[i][r], xv, wv[r]);
    }
  }
  if (l < k) {
    // Masked-off weight bytes are 0, so the 128 that the masked-off activation bytes become adds nothing.
    const __mmask64 mask = (uint64_t{1} << (k - l)) - 1;  // k - l < 64
    __m512i wv[NR];
    for (size_t r = 0; r < NR; ++r) wv[r] = _mm512_maskz_loadu_epi8(mask, w + r * k + l);
    for (size_t i = 0; i < MR; ++i) {
      const __m512i xv = _mm512_xor_si512(_mm512_maskz_loadu_epi8(mask, x + i * k + l), sign_bit);
      for (size_t r = 0; r < NR; ++r) acc[i][r] = _mm512_dpbusd_epi32(acc[i][r], xv, wv[r]);
    }
  }
  for (size_t i = 0; i < MR; ++i)
    for (size_t r = 0; r < NR; ++r) {
      // Wrapping arithmetic: sums from a corrupt file must give a wrong number, not undefined behaviour.
      const int32_t sum = static_cast<int32_t>(static_cast<uint32_t>(_mm512_reduce_add_epi32(acc[i][r])) -
                                               128u * static_cast<uint32_t>(a.w_row_sums[n0 + r]));
      a.y[(m0 + i) * a.y_stride + n0 + r] = static_cast<float>(sum) * a.x_scale[m0 + i] * a.w_scale[n0 + r];
    }
}

}  // namespace

void fully_connected_f32_avx512(const FullyConnectedF32Args& args, size_t n_begin, size_t n_end) {
  x86::for_each_tile<kRows, kChannels>(args.m, n_begin, n_end, [&](auto rows, auto channels, size_t m, size_t n) {
    tile_f32<decltype(rows)::value, decltype(channels)::value>(args, m, n);
  });
}

void fully_connected_q8_avx512vnni(const FullyConnectedQ8Args& args, size_t n_begin, size_t n_end) {
  if (args.w_row_sums != nullptr) {
    x86::for_each_tile<kRows, kChannels>(args.m, n_begin, n_end, [&](auto rows, auto channels, size_t m, size_t n) {
      tile_q8_unsigned<decltype(rows)::value, decltype(channels)::value>(args, m, n);
    });
    return;
  }
  x86::for_each_tile<kRows, kChannels>(args.m, n_begin, n_end, [&](auto rows, auto channels, size_t m, size_t n) {
    tile_q8<decltype(rows)::value, decltype(channels)::value>(args, m, n);
  });
}

}  // namespace edgeformer::kernels
