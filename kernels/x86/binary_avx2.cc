// Element-wise add and multiply with AVX2: 32 floats per step in four independent ymm results, then 8 at a time,
// then a masked tail. Each result is one IEEE rounding, as in the reference, so they are bit-identical to it. The
// residual adds of a transformer block (and the gated feed-forward's product) stream two [rows, dim] activations;
// this keeps them at memory speed.
#include <immintrin.h>

#include "edgeformer/kernels/elementwise.h"
#include "edgeformer/kernels/variants.h"

namespace edgeformer::kernels {

namespace {

template <__m256 (*Op)(__m256, __m256)>
void binary(const float* a, const float* b, size_t count, float* y) {
  size_t i = 0;
  for (; i + 32 <= count; i += 32) {
    const __m256 s0 = Op(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    const __m256 s1 = Op(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
    const __m256 s2 = Op(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16));
    const __m256 s3 = Op(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24));
    _mm256_storeu_ps(y + i, s0);
    _mm256_storeu_ps(y + i + 8, s1);
    _mm256_storeu_ps(y + i + 16, s2);
    _mm256_storeu_ps(y + i + 24, s3);
  }
  for (; i + 8 <= count; i += 8) _mm256_storeu_ps(y + i, Op(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
  if (i < count) {
    // Lanes below the remainder load and store; the others touch no memory.
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count - i)), lane);
    _mm256_maskstore_ps(y + i, mask, Op(_mm256_maskload_ps(a + i, mask), _mm256_maskload_ps(b + i, mask)));
  }
}

__m256 add(__m256 a, __m256 b) { return _mm256_add_ps(a, b); }
__m256 multiply(__m256 a, __m256 b) { return _mm256_mul_ps(a, b); }

}  // namespace

void add_f32_avx2(const float* a, const float* b, size_t count, float* y) { binary<add>(a, b, count, y); }
void multiply_f32_avx2(const float* a, const float* b, size_t count, float* y) { binary<multiply>(a, b, count, y); }

}  // namespace edgeformer::kernels
