#include "edgeformer/kernels/attention.h"

#include <cmath>

namespace edgeformer::kernels {

namespace {

float dot(const float* a, const float* b, size_t n) {
  float acc = 0.0f;
  for (size_t i = 0; i < n; ++i) acc += a[i] * b[i];
  return acc;
}

}  // namespace

// The output slice of (row, head) doubles as the accumulator of the softmax-weighted sum of V, so the kernel
// needs no scratch memory; `out` therefore must not overlap q or the caches.
void attention_causal_f32_ref(const AttentionArgs& args, size_t row_begin, size_t row_end, size_t head_begin,
                              size_t head_end) {
  const size_t head_dim = args.head_dim;
  // Grouped-query attention: `group` consecutive query heads share one KV head (MHA: 1, MQA: heads).
  const size_t group = args.heads / args.kv_heads;
  for (size_t r = row_begin; r < row_end; ++r) {
    const size_t last_key = args.pos0 + r;  // causal: a row attends to itself and to earlier positions only
    for (size_t h = head_begin; h < head_end; ++h) {
      const float* q = args.q + r * args.q_stride + h * head_dim;
      float* acc = args.out + r * args.out_stride + h * head_dim;
      const size_t kv_offset = (h / group) * head_dim;

      // Key 0 always exists, so it seeds the running max; this keeps -infinity out of expf(m_old - m_new).
      float running_max = dot(q, args.k_cache + kv_offset, head_dim) * args.scale;
      float running_sum = 1.0f;
      const float* v0 = args.v_cache + kv_offset;
      for (size_t i = 0; i < head_dim; ++i) acc[i] = v0[i];

      for (size_t t = 1; t <= last_key; ++t) {
        const float score = dot(q, args.k_cache + t * args.kv_stride + kv_offset, head_dim) * args.scale;
        const float* v = args.v_cache + t * args.kv_stride + kv_offset;
        if (score > running_max) {
          // A new maximum: rescale what was accumulated so that every exponent stays <= 0 and cannot overflow.
          const float correction = expf(running_max - score);
          running_max = score;
          running_sum = running_sum * correction + 1.0f;
          for (size_t i = 0; i < head_dim; ++i) acc[i] = acc[i] * correction + v[i];
        } else {
          const float weight = expf(score - running_max);
          running_sum += weight;
          for (size_t i = 0; i < head_dim; ++i) acc[i] += weight * v[i];
        }
      }
      for (size_t i = 0; i < head_dim; ++i) acc[i] /= running_sum;
    }
  }
}

}  // namespace edgeformer::kernels
