// AVX-512 fully connected kernels: f32 with FMA on zmm, int8 and int4 with VNNI's vpdpbusd. Compiled with
// -mavx512f -mavx512bw -mavx512vl -mavx512vnni -mfma for this file alone.
//
// f32: register tiles of kRows rows x kChannels output channels: each step of k loads kRows activation vectors and
// kChannels weight vectors for kRows * kChannels multiply-adds, so a batch reuses every load (batch-1 decode uses
// the 1 x kChannels edge tile). The tail of k is one masked step. Every output is summed in the same lane order
// whatever tile computes it, so prefill and decode give identical results.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "edgeformer/kernels/fully_connected.h"
#include "edgeformer/kernels/int4_packing.h"
#include "edgeformer/kernels/int8_packing.h"
#include "edgeformer/kernels/variants.h"
#include "avx2_reduce.h"
#include "common/activation_groups.h"
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

// int8: tiles of kInt8Rows rows x up to kInt8Blocks blocks of 16 channels (24 zmm accumulators). Each group of 4
// k loads one zmm of weights per block and broadcasts 4 activation bytes per row, then vpdpbusd accumulates 16
// channel sums per instruction: 64 multiply-adds, no horizontal reduction. vpdpbusd multiplies unsigned by signed
// bytes, so activations enter as x + 128 (a flip of the sign bit) and 128 * (row sum) comes off at the end; the
// packed zeros past k meet 128 and add nothing. Exact for every int8 value.
constexpr size_t kInt8Rows = 8;
constexpr size_t kInt8Blocks = 3;
constexpr size_t kInt8BlocksSingleRow = 8;

template <size_t MR, size_t NR>
void tile_q8(const FullyConnectedQ8Args& a, size_t m0, size_t b0, size_t n_begin, size_t n_end) {
  const size_t k = a.k, groups = int8_packed_groups(k);
  const size_t block_bytes = groups * kInt8GroupBytes;
  const int8_t* w = a.w + b0 * block_bytes;
  const int8_t* x = a.xq + m0 * k;
  const __m512i sign_bits = _mm512_set1_epi32(static_cast<int>(0x80808080u));
  __m512i acc[MR][NR];
  for (size_t i = 0; i < MR; ++i)
    for (size_t r = 0; r < NR; ++r) acc[i][r] = _mm512_setzero_si512();
  const ActivationGroups<MR, kInt8GroupDepth> xs(x, k);
  for (size_t g = 0; g < groups; ++g) {
    const auto xg = xs.group(g);
    __m512i wv[NR];
    for (size_t r = 0; r < NR; ++r) wv[r] = _mm512_loadu_si512(w + r * block_bytes + g * kInt8GroupBytes);
    for (size_t i = 0; i < MR; ++i) {
      int32_t group;
      std::memcpy(&group, xg.row(i), sizeof(group));
      const __m512i xv = _mm512_xor_si512(_mm512_set1_epi32(group), sign_bits);
      for (size_t r = 0; r < NR; ++r) acc[i][r] = _mm512_dpbusd_epi32(acc[i][r], xv, wv[r]);
    }
  }

  for (size_t r = 0; r < NR; ++r) {
    const size_t c0 = (b0 + r) * kInt8BlockChannels;
    const auto channel_mask = [&](size_t begin, size_t end) {
      const size_t lo = begin > c0 ? begin - c0 : 0, hi = end > c0 ? std::min(end - c0, kInt8BlockChannels) : 0;
      return static_cast<__mmask16>(hi > lo ? ((1u << hi) - 1) & ~((1u << lo) - 1) : 0);
    };
    const __mmask16 valid = channel_mask(0, a.n), store = channel_mask(n_begin, n_end);
    // Wrapping vector arithmetic: sums from a corrupt file give a wrong number, not undefined behaviour.
    const __m512i offset = _mm512_slli_epi32(_mm512_maskz_loadu_epi32(valid, a.w_row_sums + c0), 7);
    const __m512 w_scale = _mm512_maskz_loadu_ps(valid, a.w_scale + c0);
    for (size_t i = 0; i < MR; ++i) {
      // (sum * x_scale) * w_scale, rounded as the reference rounds it.
      const __m512 y = _mm512_mul_ps(
          _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(acc[i][r], offset)), _mm512_set1_ps(a.x_scale[m0 + i])),
          w_scale);
      _mm512_mask_storeu_ps(a.y + (m0 + i) * a.y_stride + c0, store, y);
    }
  }
}

template <size_t NR>
void rows_q8(const FullyConnectedQ8Args& a, size_t b0, size_t n_begin, size_t n_end) {
  size_t m = 0;
  for (; m + kInt8Rows <= a.m; m += kInt8Rows) tile_q8<kInt8Rows, NR>(a, m, b0, n_begin, n_end);
  for (; m < a.m; ++m) tile_q8<1, NR>(a, m, b0, n_begin, n_end);
}

template <size_t... NR>
void rows_q8_narrow(size_t blocks, const FullyConnectedQ8Args& a, size_t b0, size_t n_begin, size_t n_end,
                    std::index_sequence<NR...>) {
  ((blocks == NR + 1 ? rows_q8<NR + 1>(a, b0, n_begin, n_end) : void()), ...);
}

// int4: tiles of kInt4Rows rows x kInt4Blocks blocks. Per group of 32 inputs: four 64-byte chunks per block, whose
// low and high nibbles (code + 8, unsigned) are the weights of two 4-input quads; vpdpbusd multiplies them by the
// row's signed activation quads (broadcast) into an int32 group sum per channel. The group sum less 8 x (sum of
// the row's 32 activations) is the exact sum of code x activation; it is converted, scaled by the group's 16 f16
// scales and added to a float accumulator (multiply, then add, as the reference does).
constexpr size_t kInt4Rows = 4;
constexpr size_t kInt4Blocks = 3;

template <size_t MR, size_t NR>
void tile_q4(const FullyConnectedQ4Args& a, size_t m0, size_t b0, size_t n_begin, size_t n_end) {
  const size_t k = a.k, groups = int4_packed_groups(k);
  const size_t block_bytes = groups * kInt4GroupBytes, block_scales = groups * kInt4BlockChannels;
  const uint8_t* w = a.w + b0 * block_bytes;
  const uint16_t* scales = a.w_scale + b0 * block_scales;
  const int8_t* x = a.xq + m0 * k;
  const __m512i low_nibbles = _mm512_set1_epi8(0x0f);
  const ActivationGroups<MR, kInt4GroupDepth> xs(x, k);
  __m512 total[MR][NR];
  for (size_t i = 0; i < MR; ++i)
    for (size_t r = 0; r < NR; ++r) total[i][r] = _mm512_setzero_ps();
  for (size_t g = 0; g < groups; ++g) {
    const auto xg = xs.group(g);
    // A single row has too few independent sums to hide vpdpbusd's latency: it keeps the low and high nibbles'
    // sums apart and adds them at the end of the group.
    constexpr size_t kChains = MR == 1 ? 2 : 1;
    __m512i acc[MR][NR], acc_high[MR][NR];
    for (size_t i = 0; i < MR; ++i)
      for (size_t r = 0; r < NR; ++r) acc[i][r] = acc_high[i][r] = _mm512_setzero_si512();
    for (size_t chunk = 0; chunk < 4; ++chunk) {
      __m512i low[NR], high[NR];
      for (size_t r = 0; r < NR; ++r) {
        const __m512i packed = _mm512_loadu_si512(w + r * block_bytes + g * kInt4GroupBytes + chunk * 64);
        low[r] = _mm512_and_si512(packed, low_nibbles);
        high[r] = _mm512_and_si512(_mm512_srli_epi16(packed, 4), low_nibbles);
      }
      for (size_t i = 0; i < MR; ++i) {
        int32_t quad_low, quad_high;
        std::memcpy(&quad_low, xg.row(i) + chunk * 8, 4);
        std::memcpy(&quad_high, xg.row(i) + chunk * 8 + 4, 4);
        const __m512i x_low = _mm512_set1_epi32(quad_low), x_high = _mm512_set1_epi32(quad_high);
        for (size_t r = 0; r < NR; ++r) {
          acc[i][r] = _mm512_dpbusd_epi32(acc[i][r], low[r], x_low);
          if (kChains == 2)
            acc_high[i][r] = _mm512_dpbusd_epi32(acc_high[i][r], high[r], x_high);
          else
            acc[i][r] = _mm512_dpbusd_epi32(acc[i][r], high[r], x_high);
        }
      }
    }
    __m512 group_scale[NR];
    for (size_t r = 0; r < NR; ++r)
      group_scale[r] = _mm512_cvtph_ps(
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(scales + r * block_scales + g * kInt4BlockChannels)));
    for (size_t i = 0; i < MR; ++i) {
      const __m512i offset = _mm512_set1_epi32(kInt4CodeOffset * x86::sum_of_32(xg.row(i)));
      for (size_t r = 0; r < NR; ++r) {
        const __m512i sum = kChains == 2 ? _mm512_add_epi32(acc[i][r], acc_high[i][r]) : acc[i][r];
        total[i][r] = _mm512_add_ps(
            total[i][r], _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(sum, offset)), group_scale[r]));
      }
    }
  }
  for (size_t r = 0; r < NR; ++r) {
    const size_t c0 = (b0 + r) * kInt4BlockChannels;
    const size_t lo = n_begin > c0 ? n_begin - c0 : 0, hi = n_end > c0 ? std::min(n_end - c0, kInt4BlockChannels) : 0;
    const __mmask16 store = static_cast<__mmask16>(hi > lo ? ((1u << hi) - 1) & ~((1u << lo) - 1) : 0);
    for (size_t i = 0; i < MR; ++i)
      _mm512_mask_storeu_ps(a.y + (m0 + i) * a.y_stride + c0, store,
                            _mm512_mul_ps(total[i][r], _mm512_set1_ps(a.x_scale[m0 + i])));
  }
}

template <size_t NR>
void rows_q4(const FullyConnectedQ4Args& a, size_t b0, size_t n_begin, size_t n_end) {
  size_t m = 0;
  for (; m + kInt4Rows <= a.m; m += kInt4Rows) tile_q4<kInt4Rows, NR>(a, m, b0, n_begin, n_end);
  for (; m < a.m; ++m) tile_q4<1, NR>(a, m, b0, n_begin, n_end);
}

}  // namespace

void fully_connected_f32_avx512(const FullyConnectedF32Args& args, size_t n_begin, size_t n_end) {
  x86::for_each_tile<kRows, kChannels>(args.m, n_begin, n_end, [&](auto rows, auto channels, size_t m, size_t n) {
    tile_f32<decltype(rows)::value, decltype(channels)::value>(args, m, n);
  });
}

void fully_connected_q8_avx512vnni(const FullyConnectedQ8Args& args, size_t n_begin, size_t n_end) {
  const size_t b_end = int8_packed_blocks(n_end);
  size_t b = n_begin / kInt8BlockChannels;
  // One row (decode) is bound by reading the weights: wider tiles keep more weight streams in flight.
  if (args.m == 1)
    for (; b + kInt8BlocksSingleRow <= b_end; b += kInt8BlocksSingleRow)
      tile_q8<1, kInt8BlocksSingleRow>(args, 0, b, n_begin, n_end);
  for (; b + kInt8Blocks <= b_end; b += kInt8Blocks) rows_q8<kInt8Blocks>(args, b, n_begin, n_end);
  if (b < b_end) rows_q8_narrow(b_end - b, args, b, n_begin, n_end, std::make_index_sequence<kInt8Blocks - 1>());
}

void fully_connected_q4_avx512vnni(const FullyConnectedQ4Args& args, size_t n_begin, size_t n_end) {
  const size_t b_end = int4_packed_blocks(n_end);
  size_t b = n_begin / kInt4BlockChannels;
  for (; b + kInt4Blocks <= b_end; b += kInt4Blocks) rows_q4<kInt4Blocks>(args, b, n_begin, n_end);
  for (; b < b_end; ++b) rows_q4<1>(args, b, n_begin, n_end);
}

}  // namespace edgeformer::kernels
