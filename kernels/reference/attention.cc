#include "edgeformer/kernels/attention.h"

#include <cmath>
#include <cstdint>

#include "edgeformer/kernels/half.h"

namespace edgeformer::kernels {

namespace {

// One KV-cache row of a head, read as floats (int8 codes without their scale, which the caller applies).
template <KvCacheType T>
float cache_at(const void* cache, size_t index) {
  if constexpr (T == KvCacheType::kF32) return static_cast<const float*>(cache)[index];
  if constexpr (T == KvCacheType::kF16) return half_to_float(static_cast<const uint16_t*>(cache)[index]);
  if constexpr (T == KvCacheType::kI8) return static_cast<float>(static_cast<const int8_t*>(cache)[index]);
}

template <KvCacheType T>
float row_scale(const float* scales, size_t t, size_t kv_heads, size_t kv_head) {
  if constexpr (T == KvCacheType::kI8) return scales[t * kv_heads + kv_head];
  return 1.0f;
}

template <KvCacheType T>
float score(const AttentionArgs& args, const float* q, size_t t, size_t kv_head) {
  const size_t base = t * args.kv_stride + kv_head * args.head_dim;
  float acc = 0.0f;
  for (size_t i = 0; i < args.head_dim; ++i) acc += q[i] * cache_at<T>(args.k_cache, base + i);
  return soft_capped(args, acc * row_scale<T>(args.k_scales, t, args.kv_heads, kv_head) * args.scale);
}

// The output slice of (row, head) doubles as the accumulator of the softmax-weighted sum of V, so the kernel
// needs no scratch memory; `out` therefore must not overlap q or the caches.
template <KvCacheType T>
void attention(const AttentionArgs& args, size_t row_begin, size_t row_end, size_t head_begin, size_t head_end) {
  const size_t head_dim = args.head_dim;
  // Grouped-query attention: `group` consecutive query heads share one KV head (MHA: 1, MQA: heads).
  const size_t group = args.heads / args.kv_heads;
  const auto value = [&](size_t t, size_t kv_head, size_t i) {
    return cache_at<T>(args.v_cache, t * args.kv_stride + kv_head * head_dim + i);
  };
  for (size_t r = row_begin; r < row_end; ++r) {
    const size_t last_key = visible_keys(args, r) - 1;
    for (size_t h = head_begin; h < head_end; ++h) {
      const float* q = args.q + r * args.q_stride + h * head_dim;
      float* acc = args.out + r * args.out_stride + h * head_dim;
      const size_t kv_head = h / group;
      float* captured = captured_scores(args, r, h);

      // Key 0 always exists, so it seeds the running max; this keeps -infinity out of expf(m_old - m_new).
      float running_max = score<T>(args, q, 0, kv_head);
      float running_sum = 1.0f;
      if (captured != nullptr) captured[0] = running_max;
      const float v0_scale = row_scale<T>(args.v_scales, 0, args.kv_heads, kv_head);
      for (size_t i = 0; i < head_dim; ++i) acc[i] = v0_scale * value(0, kv_head, i);

      for (size_t t = 1; t <= last_key; ++t) {
        const float s = score<T>(args, q, t, kv_head);
        if (captured != nullptr) captured[t] = s;
        const float v_scale = row_scale<T>(args.v_scales, t, args.kv_heads, kv_head);
        if (s > running_max) {
          // A new maximum: rescale what was accumulated so that every exponent stays <= 0 and cannot overflow.
          const float correction = expf(running_max - s);
          running_max = s;
          running_sum = running_sum * correction + 1.0f;
          for (size_t i = 0; i < head_dim; ++i) acc[i] = acc[i] * correction + v_scale * value(t, kv_head, i);
        } else {
          const float weight = expf(s - running_max);
          running_sum += weight;
          const float scaled = weight * v_scale;
          for (size_t i = 0; i < head_dim; ++i) acc[i] += scaled * value(t, kv_head, i);
        }
      }
      for (size_t i = 0; i < head_dim; ++i) acc[i] /= running_sum;
    }
  }
}

}  // namespace

void attention_f32_ref(const AttentionArgs& args, size_t row_begin, size_t row_end, size_t head_begin,
                              size_t head_end) {
  switch (args.cache_type) {
    case KvCacheType::kF32: return attention<KvCacheType::kF32>(args, row_begin, row_end, head_begin, head_end);
    case KvCacheType::kF16: return attention<KvCacheType::kF16>(args, row_begin, row_end, head_begin, head_end);
    case KvCacheType::kI8: return attention<KvCacheType::kI8>(args, row_begin, row_end, head_begin, head_end);
  }
}

}  // namespace edgeformer::kernels
