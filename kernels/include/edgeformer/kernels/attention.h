#pragma once
// Multi-head attention with grouped-query heads, causal over a KV cache or bidirectional over a sequence (encoders,
// cross-attention), and rotary position embedding.
#include <cmath>
#include <cstddef>

namespace edgeformer::kernels {

// How RoPE pairs the elements of a head: llama2.c / Meta rotate adjacent pairs (x[2i], x[2i+1]);
// Hugging Face rotates halves (x[i], x[i + head_dim/2]).
enum class RopeStyle { kInterleaved = 0, kHalf = 1 };

// One call's rotary embedding: pair i of the first `dim` elements of each head turns by position * inv_freq[i]
// (interleaved: elements 2i and 2i+1; half: i and i + dim/2), the rest of the head passes through (partial
// rotary); cos and sin are multiplied by `scale` (YaRN's and LongRoPE's attention factor, else 1).
struct RopeSpec {
  const float* inv_freq;  // [dim / 2]
  size_t dim;             // even, at most head_dim
  float scale;
  RopeStyle style;
};

// Rotates `rows` rows of q and of k in place (k may be null, with k_heads 0); row r is at absolute position
// pos0 + r and holds q_heads (k_heads) heads of head_dim. Each (cos, sin) is computed once for both.
using RopeF32Fn = void (*)(float* q, size_t q_stride, size_t q_heads, float* k, size_t k_stride, size_t k_heads,
                          size_t rows, size_t head_dim, size_t pos0, const RopeSpec& rope);
void rope_f32_ref(float* q, size_t q_stride, size_t q_heads, float* k, size_t k_stride, size_t k_heads, size_t rows,
                  size_t head_dim, size_t pos0, const RopeSpec& rope);
// The unscaled inverse frequencies inv_freq[i] = 1 / theta^(2i / dim), i < dim / 2, with the float operations of
// llama2.c's forward() (so that its goldens match) and of Hugging Face's default rope init.
void rope_inverse_frequencies(float theta, size_t dim, float* inv_freq);
// SIMD variants: the reference's angles with a vector sin / cos computed in double (the correctly rounded values;
// libm's miss by one rounding for about 1.5% of angles) and the reference's rotation arithmetic, 8 pairs at a time. The
// NEON variant does the same on float64x2.

// What a KV cache holds: f32, f16 (IEEE half), or int8 codes with one f32 scale per position and KV head
// (symmetric, max|x| / 127 over the head's head_dim values, as quantize_rows_q8 makes them).
enum class KvCacheType { kF32 = 0, kF16 = 1, kI8 = 2 };

struct AttentionArgs {
  const float* q;        // [rows][heads * head_dim], row r at absolute position pos0 + r
  size_t q_stride;
  const void* k_cache;   // [context][kv_heads * head_dim] of cache_type; positions 0 .. pos0 + rows - 1 are filled
  const void* v_cache;   // same layout as k_cache
  size_t kv_stride;      // in elements
  float* out;            // [rows][heads * head_dim]
  size_t out_stride;
  size_t rows, heads, kv_heads, head_dim, pos0;
  float scale;           // usually 1 / sqrt(head_dim)
  // > 0: scores become logit_softcap * tanh(score / logit_softcap) before the softmax (Gemma 2; soft_capped()).
  float logit_softcap = 0.0f;
  KvCacheType cache_type = KvCacheType::kF32;
  const float* k_scales = nullptr;  // int8 caches: [context][kv_heads]
  const float* v_scales = nullptr;
  // Causal: row r sees keys 0 .. pos0 + r. Bidirectional: every row sees keys 0 .. keys - 1 (keys >= 1).
  bool causal = true;
  size_t keys = 0;
  // Capture (opt-in, docs/attention.md): for heads [capture_head_begin, capture_head_end), every score the kernel
  // computes (after the scale and the soft-cap, before the softmax) is also stored, key t of row r of head h at
  // capture[(h - capture_head_begin) * capture_head_stride + r * capture_row_stride + t]. Only the keys a row sees
  // are written. Null: nothing is stored and the kernels run as without capture.
  float* capture = nullptr;
  size_t capture_row_stride = 0, capture_head_stride = 0, capture_head_begin = 0, capture_head_end = 0;
};

// A score after the call's soft-cap, in every variant: cap * tanh(score / cap), or the score without a cap.
inline float soft_capped(const AttentionArgs& args, float score) {
  return args.logit_softcap > 0.0f ? args.logit_softcap * std::tanh(score / args.logit_softcap) : score;
}

// How many keys row r sees: [0, visible_keys(args, r)).
inline size_t visible_keys(const AttentionArgs& args, size_t r) { return args.causal ? args.pos0 + r + 1 : args.keys; }

// Where the captured scores of (row r, head h) go, or null when that head is not captured.
inline float* captured_scores(const AttentionArgs& args, size_t r, size_t h) {
  if (args.capture == nullptr || h < args.capture_head_begin || h >= args.capture_head_end) return nullptr;
  return args.capture + (h - args.capture_head_begin) * args.capture_head_stride + r * args.capture_row_stride;
}

// Captures a block of a tile kernel, whose rows sit in lanes: scores[j][i] is key t0 + j of row r0 + i. A row's keys
// past the ones it sees are left alone.
template <size_t Lanes>
void capture_tile_block(const AttentionArgs& args, size_t r0, size_t rows, size_t h, size_t t0, size_t count,
                        const float (*scores)[Lanes]) {
  for (size_t i = 0; i < rows; ++i) {
    float* row = captured_scores(args, r0 + i, h);
    const size_t visible = visible_keys(args, r0 + i);
    for (size_t j = 0; j < count && t0 + j < visible; ++j) row[t0 + j] = scores[j][i];
  }
}

// Computes the heads [head_begin, head_end) of rows [row_begin, row_end). One pass over the keys with an online
// softmax (running max and sum): no [rows x context] score matrix is ever stored. An int8 key scores
// (q . codes) * k_scale, an int8 value adds weight * v_scale * codes.
// Callers that split rows among threads give each kernel call whole tiles of this many rows: the SIMD kernels hold
// tiles of query rows in the lanes of a register (16 per zmm, 8 per ymm), and a row's bits then depend neither on
// the thread count nor on the other rows of the call.
constexpr size_t kAttentionRowTile = 16;
using AttentionF32Fn = void (*)(const AttentionArgs& args, size_t row_begin, size_t row_end, size_t head_begin,
                                size_t head_end);
void attention_f32_ref(const AttentionArgs& args, size_t row_begin, size_t row_end, size_t head_begin,
                              size_t head_end);

// The x86 variants run the same algorithm with head vectors in registers. AVX2 takes heads up to 256 wide (Gemma's)
// and soft-capped scores; f16 and int8 caches whose head_dim is not a multiple of 8 use the reference. AVX-512
// takes heads up to 128 without a soft-cap; others use the reference. NEON takes heads whose head_dim is a
// multiple of 4, up to 128; others use the reference.

}  // namespace edgeformer::kernels
