// NEON (aarch64) causal attention: the reference kernel's one-pass online softmax, with the query and the
// softmax-weighted sum of V held in 4-float registers. Heads of up to 128 floats whose head_dim is a multiple of 4
// take this path; others take the reference.
// aarch64 only: 32-bit NEON lacks what this kernel needs (float64 lanes, vector division, round-half-away).
#if defined(__aarch64__)
#include <arm_neon.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>

#include "edgeformer/kernels/attention.h"
#include "edgeformer/kernels/variants.h"

namespace edgeformer::kernels {

namespace {

constexpr size_t kLanes = 4;
constexpr size_t kMaxChunks = 32;

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

  float32x4_t acc[C];
  float* captured = captured_scores(args, r, h);
  float running_max = score_of(0);  // key 0 always exists and seeds the running max
  float running_sum = 1.0f;
  if (captured != nullptr) captured[0] = running_max;
  for (size_t c = 0; c < C; ++c) acc[c] = value(0, c);
  const size_t last_key = visible_keys(args, r) - 1;
  for (size_t t = 1; t <= last_key; ++t) {
    const float score = score_of(t);
    if (captured != nullptr) captured[t] = score;
    if (score > running_max) {
      // A new maximum: rescale what was accumulated so that every exponent stays <= 0.
      const float correction = expf(running_max - score);
      running_sum = running_sum * correction + 1.0f;
      running_max = score;
      for (size_t c = 0; c < C; ++c) acc[c] = vfmaq_n_f32(value(t, c), acc[c], correction);
    } else {
      const float weight = expf(score - running_max);
      running_sum += weight;
      for (size_t c = 0; c < C; ++c) acc[c] = vfmaq_n_f32(acc[c], value(t, c), weight);
    }
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
