// AVX2 + FMA fully connected kernels. Compiled with -mavx2 -mfma for this file alone.
//
// Register tiles of kRows rows x kChannels output channels (8 accumulators of the 16 ymm registers): each step of k
// loads kRows activation vectors and kChannels weight vectors for kRows * kChannels multiply-adds. Every output is
// summed in the same lane order whatever tile computes it, so prefill and decode give identical results.
#include <immintrin.h>

#include "avx2_reduce.h"
#include "edgeformer/kernels/fully_connected.h"
#include "tile_loop.h"

namespace edgeformer::kernels {

namespace {

using x86::horizontal_sum;

constexpr size_t kRows = 2;
constexpr size_t kChannels = 4;

template <size_t MR, size_t NR>
void tile_f32(const FullyConnectedF32Args& a, size_t m0, size_t n0) {
  const size_t k = a.k;
  const float* x = a.x + m0 * a.x_stride;
  const float* w = a.w + n0 * k;
  __m256 acc[MR][NR];
  for (size_t i = 0; i < MR; ++i)
    for (size_t r = 0; r < NR; ++r) acc[i][r] = _mm256_setzero_ps();
  size_t l = 0;
  for (; l + 8 <= k; l += 8) {
    __m256 wv[NR];
    for (size_t r = 0; r < NR; ++r) wv[r] = _mm256_loadu_ps(w + r * k + l);
    for (size_t i = 0; i < MR; ++i) {
      const __m256 xv = _mm256_loadu_ps(x + i * a.x_stride + l);
      for (size_t r = 0; r < NR; ++r) acc[i][r] = _mm256_fmadd_ps(wv[r], xv, acc[i][r]);
    }
  }
  for (size_t i = 0; i < MR; ++i)
    for (size_t r = 0; r < NR; ++r) {
      float sum = horizontal_sum(acc[i][r]);
      for (size_t j = l; j < k; ++j) sum += x[i * a.x_stride + j] * w[r * k + j];
      a.y[(m0 + i) * a.y_stride + n0 + r] = sum;
    }
}

// int8 x int8 widened to int16 and multiplied pairwise into int32 (vpmaddwd): exact for every int8 value, unlike
// vpmaddubsw whose int16 pair sums saturate.
template <size_t MR, size_t NR>
void tile_q8(const FullyConnectedQ8Args& a, size_t m0, size_t n0) {
  const size_t k = a.k;
  const int8_t* x = a.xq + m0 * k;
  const int8_t* w = a.w + n0 * k;
  __m256i acc[MR][NR];
  for (size_t i = 0; i < MR; ++i)
    for (size_t r = 0; r < NR; ++r) acc[i][r] = _mm256_setzero_si256();
  size_t l = 0;
  for (; l + 16 <= k; l += 16) {
    __m256i wv[NR];
    for (size_t r = 0; r < NR; ++r)
      wv[r] = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + r * k + l)));
    for (size_t i = 0; i < MR; ++i) {
      const __m256i xv = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i * k + l)));
      for (size_t r = 0; r < NR; ++r) acc[i][r] = _mm256_add_epi32(acc[i][r], _mm256_madd_epi16(xv, wv[r]));
    }
  }
  for (size_t i = 0; i < MR; ++i)
    for (size_t r = 0; r < NR; ++r) {
      int32_t sum = horizontal_sum(acc[i][r]);
      for (size_t j = l; j < k; ++j) sum += static_cast<int32_t>(x[i * k + j]) * static_cast<int32_t>(w[r * k + j]);
      a.y[(m0 + i) * a.y_stride + n0 + r] = static_cast<float>(sum) * a.x_scale[m0 + i] * a.w_scale[n0 + r];
    }
}

}  // namespace

void fully_connected_f32_avx2(const FullyConnectedF32Args& args, size_t n_begin, size_t n_end) {
  x86::for_each_tile<kRows, kChannels>(args.m, n_begin, n_end, [&](auto rows, auto channels, size_t m, size_t n) {
    tile_f32<decltype(rows)::value, decltype(channels)::value>(args, m, n);
  });
}

void fully_connected_q8_avx2(const FullyConnectedQ8Args& args, size_t n_begin, size_t n_end) {
  x86::for_each_tile<kRows, kChannels>(args.m, n_begin, n_end, [&](auto rows, auto channels, size_t m, size_t n) {
    tile_q8<decltype(rows)::value, decltype(channels)::value>(args, m, n);
  });
}

}  // namespace edgeformer::kernels
