// NEON (aarch64) causal attention: the reference kernel's online softmax over chunks of keys, with the query and the
// softmax-weighted sum of V held in 4-float registers. Heads of up to 128 floats whose head_dim is a multiple of 4
// take this path; others take the reference.
// aarch64 only: 32-bit NEON lacks what this kernel needs (float64 lanes, vector division, round-half-away).
#if defined(__aarch64__)
#include <arm_neon.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>

#include "edgeformer/kernels/attention.h"
#include "edgeformer/kernels/variants.h"
#include "vector_exp.h"

namespace edgeformer::kernels {

namespace {

using arm::exp_non_positive;

constexpr size_t kLanes = 4;
constexpr size_t kMaxChunks = 32;
// Keys per chunk: a chunk's scores and weights stay on the stack.
constexpr size_t kKeyChunk = 64;
const uint32x4_t kLaneIndex = {0, 1, 2, 3};

// Loads 4 cache elements of type T as floats (int8 codes without their scale).
template <KvCacheType T>
float32x4_t load_cache(const void* cache, size_t index) {
  if constexpr (T == KvCacheType::kF32) return vld1q_f32(static_cast<const float*>(cache) + index);
  if constexpr (T == KvCacheType::kF16)
    return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(static_cast<const uint16_t*>(cache) + index)));
  if constexpr (T == KvCacheType::kI8) {
    int32_t codes;
    std::memcpy(&codes, static_cast<const int8_t*>(cache) + index, sizeof(codes));
    const int16x8_t wide = vmovl_s8(vreinterpret_s8_s32(vdup_n_s32(codes)));
    return vcvtq_f32_s32(vmovl_s16(vget_low_s16(wide)));
  }
}

template <size_t C, KvCacheType T>
void attend_one(const AttentionArgs& args, size_t r, size_t h) {
  const size_t head_dim = args.head_dim;
  const size_t group = args.heads / args.kv_heads;
  const size_t kv_head = h / group, kv_offset = kv_head * head_dim;
  const auto row_scale = [&](const float* scales, size_t t) {
    return T == KvCacheType::kI8 ? scales[t * args.kv_heads + kv_head] : 1.0f;
  };
  float32x4_t q[C];
  for (size_t c = 0; c < C; ++c) q[c] = vld1q_f32(args.q + r * args.q_stride + h * head_dim + c * kLanes);
  auto score_of = [&](size_t t) {
    const size_t k = t * args.kv_stride + kv_offset;
    float32x4_t sum = vmulq_f32(q[0], load_cache<T>(args.k_cache, k));
    for (size_t c = 1; c < C; ++c) sum = vfmaq_f32(sum, q[c], load_cache<T>(args.k_cache, k + c * kLanes));
    return vaddvq_f32(sum) * row_scale(args.k_scales, t) * args.scale;
  };
  // Values enter already multiplied by their row's scale (int8) or as they are.
  auto value = [&](size_t t, size_t c) {
    const float32x4_t v = load_cache<T>(args.v_cache, t * args.kv_stride + kv_offset + c * kLanes);
    return T == KvCacheType::kI8 ? vmulq_n_f32(v, row_scale(args.v_scales, t)) : v;
  };

  // Keys go in chunks, as on AVX2: first every score of the chunk (independent dot products; key by key, each
  // waited on its expf, which also made every vector register spill around the call), then their weights at once
  // with the vector exp, then the value sums. The running max and sum carry the softmax from chunk to chunk.
  float32x4_t acc[C];
  for (size_t c = 0; c < C; ++c) acc[c] = vdupq_n_f32(0.0f);
  float* captured = captured_scores(args, r, h);
  float running_max = 0.0f, running_sum = 0.0f;
  alignas(16) float weights[kKeyChunk];
  const size_t keys = visible_keys(args, r);
  for (size_t t0 = 0; t0 < keys; t0 += kKeyChunk) {
    const size_t count = std::min(kKeyChunk, keys - t0);
    float chunk_max = score_of(t0);
    weights[0] = chunk_max;
    for (size_t j = 1; j < count; ++j) {
      weights[j] = score_of(t0 + j);
      chunk_max = std::max(chunk_max, weights[j]);
    }
    if (captured != nullptr) std::copy_n(weights, count, captured + t0);
    const size_t padded = (count + kLanes - 1) / kLanes * kLanes;
    std::fill(weights + count, weights + padded, 0.0f);
    if (t0 == 0 || chunk_max > running_max) {
      if (t0 > 0) {
        const float correction = expf(running_max - chunk_max);
        running_sum *= correction;
        for (size_t c = 0; c < C; ++c) acc[c] = vmulq_n_f32(acc[c], correction);
      }
      running_max = chunk_max;
    }
    const float32x4_t max = vdupq_n_f32(running_max);
    float32x4_t sum = vdupq_n_f32(0.0f);
    for (size_t j = 0; j < padded; j += kLanes) {
      // Lanes past the chunk's keys weigh exactly 0.
      const uint32x4_t inside = vcltq_u32(vaddq_u32(vdupq_n_u32(static_cast<uint32_t>(j)), kLaneIndex),
                                          vdupq_n_u32(static_cast<uint32_t>(count)));
      const float32x4_t scores = vbslq_f32(inside, vld1q_f32(weights + j), max);
      const float32x4_t w = vreinterpretq_f32_u32(
          vandq_u32(vreinterpretq_u32_f32(exp_non_positive(vsubq_f32(scores, max))), inside));
      vst1q_f32(weights + j, w);
      sum = vaddq_f32(sum, w);
    }
    running_sum += vaddvq_f32(sum);
    for (size_t j = 0; j < count; ++j)
      for (size_t c = 0; c < C; ++c) acc[c] = vfmaq_n_f32(acc[c], value(t0 + j, c), weights[j]);
  }
  const float inverse = 1.0f / running_sum;
  float* out = args.out + r * args.out_stride + h * head_dim;
  for (size_t c = 0; c < C; ++c) vst1q_f32(out + c * kLanes, vmulq_n_f32(acc[c], inverse));
}

template <size_t C>
void attend(const AttentionArgs& args, size_t row_begin, size_t row_end, size_t head_begin, size_t head_end) {
  for (size_t r = row_begin; r < row_end; ++r)
    for (size_t h = head_begin; h < head_end; ++h) {
      switch (args.cache_type) {
        case KvCacheType::kF32: attend_one<C, KvCacheType::kF32>(args, r, h); break;
        case KvCacheType::kF16: attend_one<C, KvCacheType::kF16>(args, r, h); break;
        case KvCacheType::kI8: attend_one<C, KvCacheType::kI8>(args, r, h); break;
      }
    }
}

template <size_t... C>
constexpr auto attend_table(std::index_sequence<C...>) {
  using Attend = void (*)(const AttentionArgs&, size_t, size_t, size_t, size_t);
  return std::array<Attend, sizeof...(C)>{attend<C + 1>...};
}

}  // namespace

void attention_f32_neon(const AttentionArgs& args, size_t row_begin, size_t row_end, size_t head_begin,
                               size_t head_end) {
  static constexpr auto kByChunks = attend_table(std::make_index_sequence<kMaxChunks>{});
  const size_t chunks = args.head_dim / kLanes;
  // Soft-capped scores (Gemma 2) take the reference (not yet in this kernel).
  if (args.logit_softcap != 0.0f || chunks == 0 || chunks > kMaxChunks || args.head_dim % kLanes != 0) {
    attention_f32_ref(args, row_begin, row_end, head_begin, head_end);
    return;
  }
  kByChunks[chunks - 1](args, row_begin, row_end, head_begin, head_end);
}

}  // namespace edgeformer::kernels

#endif  // defined(__aarch64__)
