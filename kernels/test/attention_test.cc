// Fused attention of every variant against a double-precision naive softmax(QK^T)V: causal over f32, f16 and int8
// caches, grouped-query heads, bidirectional and cross-attention, row tiles and thread splits.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <tuple>
#include <vector>

#include "kernel_test_support.h"

namespace edgeformer::kernels {
namespace {

struct AttentionProblem {
  size_t rows, heads, kv_heads, head_dim, pos0;
  float score_scale = 0.0f;  // 0: 1 / sqrt(head_dim)
  float logit_softcap = 0.0f;
  size_t bidirectional_keys = 0;  // 0: causal; else every row sees keys 0 .. bidirectional_keys - 1
  std::vector<float> q, k_cache, v_cache;
  size_t q_stride, kv_stride, out_stride, context;

  AttentionProblem(std::mt19937& rng, size_t rows_, size_t heads_, size_t kv_heads_, size_t head_dim_,
                   size_t pos0_)
      : rows(rows_), heads(heads_), kv_heads(kv_heads_), head_dim(head_dim_), pos0(pos0_) {
    // Strides wider than the rows, and cache positions past pos0 + rows - 1 filled with NaN: reading beyond
    // the causal window or the row would poison the output.
    q_stride = heads * head_dim + 3;
    kv_stride = kv_heads * head_dim + 5;
    out_stride = heads * head_dim + 7;
    context = pos0 + rows + 4;
    q = random_floats(rng, rows * q_stride);
    k_cache = random_floats(rng, context * kv_stride);
    v_cache = random_floats(rng, context * kv_stride);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::fill(k_cache.begin() + (pos0 + rows) * kv_stride, k_cache.end(), nan);
    std::fill(v_cache.begin() + (pos0 + rows) * kv_stride, v_cache.end(), nan);
  }

  float scale() const { return score_scale != 0.0f ? score_scale : 1.0f / std::sqrt(float(head_dim)); }

  AttentionArgs args(float* out) const {
    AttentionArgs a{q.data(), q_stride, k_cache.data(), v_cache.data(), kv_stride, out, out_stride,
                    rows,     heads,    kv_heads,       head_dim,       pos0,      scale()};
    a.causal = bidirectional_keys == 0;
    a.keys = bidirectional_keys;
    a.logit_softcap = logit_softcap;
    if (cache_type == KvCacheType::kF16) {
      a.cache_type = cache_type;
      a.k_cache = k_half.data();
      a.v_cache = v_half.data();
    } else if (cache_type == KvCacheType::kI8) {
      a.cache_type = cache_type;
      a.k_cache = k_codes.data();
      a.v_cache = v_codes.data();
      a.k_scales = k_scales.data();
      a.v_scales = v_scales.data();
    }
    return a;
  }

  // Stores the caches as f16 or int8 (per position and KV head: scale max|x| / 127, codes rounded) and replaces
  // the f32 caches by the values they now represent, so that naive() describes what the kernels read.
  void store_caches_as(KvCacheType type) {
    cache_type = type;
    const size_t elements = context * kv_stride;
    if (type == KvCacheType::kF16) {
      k_half.resize(elements);
      v_half.resize(elements);
      for (size_t i = 0; i < elements; ++i) {
        k_half[i] = float_to_half(k_cache[i]);
        v_half[i] = float_to_half(v_cache[i]);
        k_cache[i] = half_to_float(k_half[i]);
        v_cache[i] = half_to_float(v_half[i]);
      }
    } else if (type == KvCacheType::kI8) {
      k_codes.assign(elements, 0);
      v_codes.assign(elements, 0);
      k_scales.assign(context * kv_heads, 0.0f);
      v_scales.assign(context * kv_heads, 0.0f);
      // Only the filled positions: past them the f32 caches hold NaN, which int8 cannot (the kernels must not
      // read there anyway).
      const size_t filled = bidirectional_keys != 0 ? bidirectional_keys : pos0 + rows;
      for (size_t t = 0; t < filled; ++t)
        for (size_t h = 0; h < kv_heads; ++h)
          for (auto [values, codes, scales] : {std::tuple{&k_cache, &k_codes, &k_scales}, {&v_cache, &v_codes, &v_scales}}) {
            float* x = values->data() + t * kv_stride + h * head_dim;
            double amax = 0;
            for (size_t i = 0; i < head_dim; ++i) amax = std::max(amax, std::fabs(double(x[i])));
            const float scale = float(amax / 127.0);
            (*scales)[t * kv_heads + h] = scale;
            for (size_t i = 0; i < head_dim; ++i) {
              const int8_t code = scale == 0 ? 0 : int8_t(std::lround(x[i] / scale));
              (*codes)[t * kv_stride + h * head_dim + i] = code;
              x[i] = float(code) * scale;
            }
          }
    }
  }
  KvCacheType cache_type = KvCacheType::kF32;
  std::vector<uint16_t> k_half, v_half;
  std::vector<int8_t> k_codes, v_codes;
  std::vector<float> k_scales, v_scales;

  // All scores of a (row, head) materialized in double, then a two-pass softmax.
  std::vector<double> naive() const {
    std::vector<double> out(rows * out_stride, 0.0);
    const size_t group = heads / kv_heads;
    for (size_t r = 0; r < rows; ++r) {
      const size_t keys = bidirectional_keys != 0 ? bidirectional_keys : pos0 + r + 1;
      for (size_t h = 0; h < heads; ++h) {
        const float* qh = q.data() + r * q_stride + h * head_dim;
        const size_t kv_head = h / group;
        std::vector<double> scores(keys);
        for (size_t t = 0; t < keys; ++t) {
          double s = 0.0;
          for (size_t i = 0; i < head_dim; ++i)
            s += double(qh[i]) * k_cache[t * kv_stride + kv_head * head_dim + i];
          scores[t] = s * scale();
          if (logit_softcap > 0.0f) scores[t] = logit_softcap * std::tanh(scores[t] / logit_softcap);
        }
        const double max = *std::max_element(scores.begin(), scores.end());
        double sum = 0.0;
        for (double& s : scores) sum += (s = std::exp(s - max));
        for (size_t t = 0; t < keys; ++t)
          for (size_t i = 0; i < head_dim; ++i)
            out[r * out_stride + h * head_dim + i] +=
                scores[t] / sum * v_cache[t * kv_stride + kv_head * head_dim + i];
      }
    }
    return out;
  }
};

class AttentionTest : public VariantTest<AttentionF32Fn> {
 protected:
  void ExpectMatchesNaive(const AttentionProblem& p, double max_abs_error) {
    std::vector<float> out(p.rows * p.out_stride, 0.0f);
    GetParam().fn(p.args(out.data()), 0, p.rows, 0, p.heads);
    const std::vector<double> want = p.naive();
    for (size_t r = 0; r < p.rows; ++r)
      for (size_t i = 0; i < p.heads * p.head_dim; ++i)
        ASSERT_NEAR(out[r * p.out_stride + i], want[r * p.out_stride + i], max_abs_error)
            << "row " << r << " element " << i;
  }

  void ExpectMatchesNaiveOverShapes(size_t heads, size_t kv_heads) {
    std::mt19937 rng(15 + heads * 31 + kv_heads);
    for (size_t head_dim : {1, 3, 17, 64, 65, 128, 129, 256, 257}) {
      for (size_t pos0 : {0, 1, 16, 63}) {
        // AVX-512 tiles hold 16 rows, AVX2 tiles 8; fewer than 4 rows go one by one. 9: one partial tile of 16, or
        // a tile of 8 and a row; 13: a tile of 8 and a partial one of 5; 20: a tile of 16 and one of 4, or 8, 8, 4.
        for (size_t rows : {1, 3, 9, 13, 20}) {
          SCOPED_TRACE(testing::Message() << "heads=" << heads << " kv_heads=" << kv_heads << " head_dim="
                                          << head_dim << " pos0=" << pos0 << " rows=" << rows);
          ExpectMatchesNaive(AttentionProblem(rng, rows, heads, kv_heads, head_dim, pos0), kAttentionMaxAbsError);
        }
      }
    }
  }
};

TEST_P(AttentionTest, MultiHeadMatchesNaive) { ExpectMatchesNaiveOverShapes(4, 4); }

// f16 and int8 caches: the kernels must compute attention over exactly the values the cache represents (naive
// here is the double-precision attention over the dequantized caches).
TEST_P(AttentionTest, HalfAndInt8CachesMatchNaiveOfWhatTheyHold) {
  std::mt19937 rng(19);
  for (KvCacheType type : {KvCacheType::kF16, KvCacheType::kI8}) {
    for (size_t head_dim : {8, 16, 17, 64, 128}) {
      for (size_t pos0 : {0, 9, 40}) {
        SCOPED_TRACE(testing::Message() << "cache " << int(type) << " head_dim=" << head_dim << " pos0=" << pos0);
        AttentionProblem p(rng, 6, 8, 2, head_dim, pos0);
        p.store_caches_as(type);
        ExpectMatchesNaive(p, kAttentionMaxAbsError);
      }
    }
  }
}

TEST_P(AttentionTest, GroupedQueryMatchesNaive) { ExpectMatchesNaiveOverShapes(8, 2); }

TEST_P(AttentionTest, MultiQueryMatchesNaive) { ExpectMatchesNaiveOverShapes(6, 1); }

// Encoders and cross-attention: every row sees the same keys, fewer than the rows (padding) or more; keys past them
// hold NaN. All caches, tiles and partial tiles.
TEST_P(AttentionTest, BidirectionalRowsSeeExactlyTheirKeys) {
  std::mt19937 rng(23);
  for (KvCacheType type : {KvCacheType::kF32, KvCacheType::kF16, KvCacheType::kI8})
    for (size_t head_dim : {16, 17, 64})
      for (size_t rows : {1, 3, 20, 33})
        for (size_t keys : {size_t{1}, size_t{5}, rows, rows + 19}) {
          if (type != KvCacheType::kF32 && head_dim % 8 != 0) continue;
          SCOPED_TRACE(testing::Message() << "cache " << int(type) << " head_dim=" << head_dim << " rows=" << rows
                                          << " keys=" << keys);
          // The filled positions are pos0 + rows: make them cover `keys`, then poison everything past `keys`.
          AttentionProblem p(rng, rows, 4, 2, head_dim, keys > rows ? keys - rows : 0);
          p.bidirectional_keys = keys;
          const float nan = std::numeric_limits<float>::quiet_NaN();
          std::fill(p.k_cache.begin() + keys * p.kv_stride, p.k_cache.end(), nan);
          std::fill(p.v_cache.begin() + keys * p.kv_stride, p.v_cache.end(), nan);
          p.store_caches_as(type);
          ExpectMatchesNaive(p, kAttentionMaxAbsError);
        }
}

// A row of a call with several rows gets the same bits whatever rows are computed beside it: fewer rows (an unpadded
// sequence) give the first rows of more (the same sequence padded), causal and bidirectional.
TEST_P(AttentionTest, RowsDoNotDependOnTheRowsBesideThem) {
  std::mt19937 rng(29);
  for (size_t bidirectional_keys : {size_t{0}, size_t{7}, size_t{40}}) {
    AttentionProblem padded(rng, 40, 4, 2, 64, 3);
    padded.bidirectional_keys = bidirectional_keys;
    std::vector<float> padded_out(padded.rows * padded.out_stride);
    GetParam().fn(padded.args(padded_out.data()), 0, padded.rows, 0, padded.heads);
    for (size_t rows : {2, 3, 9, 17, 20}) {
      SCOPED_TRACE(testing::Message() << "keys=" << bidirectional_keys << " rows=" << rows);
      AttentionProblem unpadded = padded;
      unpadded.rows = rows;
      std::vector<float> out(rows * padded.out_stride);
      GetParam().fn(unpadded.args(out.data()), 0, rows, 0, padded.heads);
      for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], padded_out[i]) << i;
    }
  }
}

// Prefill of several rows after a cached prefix: row r must see keys 0 .. pos0 + r only.
TEST_P(AttentionTest, RowsAfterPrefixAreCausal) {
  std::mt19937 rng(16);
  AttentionProblem p(rng, 5, 4, 2, 16, 9);
  ExpectMatchesNaive(p, kAttentionMaxAbsError);

  std::vector<float> before(p.rows * p.out_stride, 0.0f);
  GetParam().fn(p.args(before.data()), 0, p.rows, 0, p.heads);
  // Changing the keys and values of the last position only changes the last row.
  const size_t last = p.pos0 + p.rows - 1;
  for (size_t i = 0; i < p.kv_heads * p.head_dim; ++i) {
    p.k_cache[last * p.kv_stride + i] += 0.5f;
    p.v_cache[last * p.kv_stride + i] -= 0.5f;
  }
  std::vector<float> after(p.rows * p.out_stride, 0.0f);
  GetParam().fn(p.args(after.data()), 0, p.rows, 0, p.heads);
  const size_t row_floats = p.heads * p.head_dim;
  for (size_t r = 0; r + 1 < p.rows; ++r)
    for (size_t i = 0; i < row_floats; ++i)
      ASSERT_EQ(after[r * p.out_stride + i], before[r * p.out_stride + i]) << r << " " << i;
  bool last_row_changed = false;
  for (size_t i = 0; i < row_floats; ++i)
    last_row_changed |= after[(p.rows - 1) * p.out_stride + i] != before[(p.rows - 1) * p.out_stride + i];
  EXPECT_TRUE(last_row_changed);
}

// Splitting rows and heads among threads writes nothing else. Rows split in whole tiles of kAttentionRowTile (as
// the runtime splits them) give the same bits as one call; other splits may round differently, within the budget.
TEST_P(AttentionTest, SubrangesWriteOnlyTheirSlices) {
  std::mt19937 rng(17);
  const AttentionProblem p(rng, 2 * kAttentionRowTile + 8, 8, 2, 17, 5);
  std::vector<float> whole(p.rows * p.out_stride, 0.0f);
  GetParam().fn(p.args(whole.data()), 0, p.rows, 0, p.heads);

  const size_t head_begin = 3, head_end = 6;
  const float kSentinel = -12345.0f;
  for (const auto& [row_begin, row_end] : {std::pair<size_t, size_t>{kAttentionRowTile, 2 * kAttentionRowTile},
                                           {2 * kAttentionRowTile, p.rows}, {1, 3}, {5, 27}}) {
    SCOPED_TRACE(testing::Message() << "rows " << row_begin << ".." << row_end);
    const bool whole_tiles = row_begin % kAttentionRowTile == 0;
    std::vector<float> part(p.rows * p.out_stride, kSentinel);
    GetParam().fn(p.args(part.data()), row_begin, row_end, head_begin, head_end);
    for (size_t r = 0; r < p.rows; ++r) {
      for (size_t i = 0; i < p.out_stride; ++i) {
        const size_t h = i / p.head_dim;
        const bool inside = r >= row_begin && r < row_end && h >= head_begin && h < head_end;
        if (!inside)
          ASSERT_EQ(part[r * p.out_stride + i], kSentinel) << r << " " << i;
        else if (whole_tiles)
          ASSERT_EQ(part[r * p.out_stride + i], whole[r * p.out_stride + i]) << r << " " << i;
        else
          ASSERT_NEAR(part[r * p.out_stride + i], whole[r * p.out_stride + i], kAttentionMaxAbsError) << r << " " << i;
      }
    }
  }
}

// Gemma 2's soft-capped scores: cap * tanh(score / cap) before the softmax, scores large enough that the cap
// matters (prefill tiles and a decode row, f32 and f16 caches, Gemma 2's head of 256).
TEST_P(AttentionTest, SoftCappedScoresMatchNaive) {
  std::mt19937 rng(27);
  for (size_t head_dim : {32, 256}) {
    for (size_t rows : {1, 9}) {
      for (KvCacheType type : {KvCacheType::kF32, KvCacheType::kF16}) {
        AttentionProblem p(rng, rows, 4, 2, head_dim, 20);
        p.score_scale = 2.0f;
        p.logit_softcap = 3.0f;
        p.store_caches_as(type);
        SCOPED_TRACE(testing::Message() << "head_dim=" << head_dim << " rows=" << rows << " cache " << int(type));
        ExpectMatchesNaive(p, kAttentionMaxAbsError);
      }
    }
  }
}

TEST_P(AttentionTest, LargeScoresDoNotOverflow) {
  std::mt19937 rng(18);
  const size_t head_dim = 16, pos0 = 40, rows = 2;
  AttentionProblem p(rng, rows, 2, 1, head_dim, pos0);
  p.score_scale = 1.0f;
  for (size_t r = 0; r < rows; ++r)
    for (size_t i = 0; i < 2 * head_dim; ++i) p.q[r * p.q_stride + i] = 10.0f;
  for (size_t t = 0; t < pos0 + rows; ++t)
    for (size_t i = 0; i < head_dim; ++i)  // q.k = 160 * k_i: from about 960 up to about 1000
      p.k_cache[t * p.kv_stride + i] = 6.0f + 0.25f * float(t) / float(pos0 + rows) + 0.001f * float(i % 3);

  std::vector<float> out(rows * p.out_stride, 0.0f);
  GetParam().fn(p.args(out.data()), 0, rows, 0, p.heads);
  for (size_t r = 0; r < rows; ++r)
    for (size_t i = 0; i < 2 * head_dim; ++i) ASSERT_TRUE(std::isfinite(out[r * p.out_stride + i])) << r << i;
  ExpectMatchesNaive(p, kLargeScoreAttentionMaxAbsError);
}

// Capture: the scores a kernel stores for the captured heads are q.k * scale (soft-capped) of the keys each row
// sees, in every shape (tiles, partial tiles, decode rows, all caches, bidirectional); keys a row does not see and
// heads not captured are left alone; and the output has the bits of the same call without capture.
TEST_P(AttentionTest, CapturedScoresAreTheKernelsScores) {
  std::mt19937 rng(31);
  const float kSentinel = -777.0f;
  for (KvCacheType type : {KvCacheType::kF32, KvCacheType::kF16, KvCacheType::kI8})
    for (size_t bidirectional_keys : {size_t{0}, size_t{11}})
      for (float softcap : {0.0f, 4.0f})
        for (size_t rows : {1, 9, 20}) {
          SCOPED_TRACE(testing::Message() << "cache " << int(type) << " keys=" << bidirectional_keys
                                          << " softcap=" << softcap << " rows=" << rows);
          AttentionProblem p(rng, rows, 4, 2, 32, 12);  // positions 0 .. 12 + rows - 1 filled: 11 keys
          p.bidirectional_keys = bidirectional_keys;
          p.logit_softcap = softcap;
          p.store_caches_as(type);
          std::vector<float> plain(p.rows * p.out_stride), captured_out(p.rows * p.out_stride);
          GetParam().fn(p.args(plain.data()), 0, p.rows, 0, p.heads);

          const size_t keys_stride = p.context + 3, head_begin = 1, head_end = 3;
          std::vector<float> scores((head_end - head_begin) * p.rows * keys_stride, kSentinel);
          AttentionArgs a = p.args(captured_out.data());
          a.capture = scores.data();
          a.capture_row_stride = keys_stride;
          a.capture_head_stride = p.rows * keys_stride;
          a.capture_head_begin = head_begin;
          a.capture_head_end = head_end;
          GetParam().fn(a, 0, p.rows, 0, p.heads);
          for (size_t i = 0; i < plain.size(); ++i) ASSERT_EQ(captured_out[i], plain[i]) << i;

          for (size_t h = head_begin; h < head_end; ++h)
            for (size_t r = 0; r < p.rows; ++r) {
              const float* q = p.q.data() + r * p.q_stride + h * p.head_dim;
              const size_t visible = bidirectional_keys != 0 ? bidirectional_keys : p.pos0 + r + 1;
              for (size_t t = 0; t < keys_stride; ++t) {
                const float got = scores[(h - head_begin) * a.capture_head_stride + r * keys_stride + t];
                if (t >= visible) {
                  ASSERT_EQ(got, kSentinel) << "head " << h << " row " << r << " key " << t;
                  continue;
                }
                double want = 0.0;
                for (size_t i = 0; i < p.head_dim; ++i)
                  want += double(q[i]) * p.k_cache[t * p.kv_stride + (h / 2) * p.head_dim + i];
                want *= p.scale();
                if (softcap > 0.0f) want = softcap * std::tanh(want / softcap);
                ASSERT_NEAR(got, want, 1e-5) << "head " << h << " row " << r << " key " << t;
              }
            }
        }
}

INSTANTIATE_TEST_SUITE_P(Variants, AttentionTest, testing::ValuesIn(variants_of(&KernelSet::attention_f32)),
                         variant_name<AttentionF32Fn>);

}  // namespace
}  // namespace edgeformer::kernels
