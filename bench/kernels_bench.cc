// Reference kernels at transformer shapes: the baseline every SIMD variant is measured against.
// Weights are cycled through buffers larger than the last-level cache so that they stream from memory, as in
// real batch-1 decoding.
#include <benchmark/benchmark.h>
#include <pthreadpool.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "edgeformer/kernels/attention.h"
#include "edgeformer/kernels/fully_connected.h"
#include "edgeformer/kernels/int4_packing.h"
#include "edgeformer/kernels/int8_packing.h"
#include "edgeformer/kernels/kernel_set.h"
#include "edgeformer/kernels/quantize.h"

namespace {

using namespace edgeformer::kernels;

constexpr size_t kColdBytes = size_t{64} << 20;  // above this machine's usable L3

template <typename T>
std::vector<T> random_values(size_t count, float scale) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<T> values(count);
  for (T& v : values) v = static_cast<T>(dist(rng));
  return values;
}

// Runs on the variant of `isa`, or reports that this CPU lacks it.
bool use_isa(benchmark::State& state, Isa isa) {
  if (isa_supported(isa)) return true;
  state.SkipWithError((std::string(isa_name(isa)) + " is not supported on this CPU").c_str());
  return false;
}

void BM_FullyConnectedF32(benchmark::State& state, Isa isa) {
  if (!use_isa(state, isa)) return;
  const FullyConnectedF32Fn fully_connected = kernel_set(isa).fully_connected_f32;
  const size_t m = state.range(0), k = state.range(1), n = state.range(2);
  const size_t copies = std::max<size_t>(1, kColdBytes / (n * k * sizeof(float)));
  const auto w = random_values<float>(copies * n * k, 1.0f);
  const auto x = random_values<float>(m * k, 1.0f);
  std::vector<float> y(m * n);
  size_t copy = 0;
  for (auto _ : state) {
    FullyConnectedF32Args args{x.data(), k, w.data() + (copy++ % copies) * n * k, y.data(), n, m, k, n};
    fully_connected(args, 0, n);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["FLOPS"] = benchmark::Counter(2.0 * m * n * k * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["weight_bytes/s"] =
      benchmark::Counter(double(n * k * sizeof(float)) * state.iterations(), benchmark::Counter::kIsRate);
}

// An int8 layer as the converter stores it (`copies` packed copies of one weight, with its row sums and scales),
// and its input rows quantized once: the benchmarks time the GEMM alone.
struct Int8Layer {
  Int8Layer(size_t m, size_t k, size_t n, size_t copies)
      : packed_bytes(int8_packed_bytes(n, k)), packed(copies * packed_bytes), row_sums(n, 0), w_scale(n, 0.01f),
        xq(m * k), x_scale(m), y(m * n) {
    const auto w = random_values<int8_t>(n * k, 127.0f);
    for (size_t c = 0; c < copies; ++c) pack_int8_weights(w.data(), n, k, packed.data() + c * packed_bytes);
    for (size_t row = 0; row < n; ++row)
      for (size_t l = 0; l < k; ++l) row_sums[row] += w[row * k + l];
    const auto x = random_values<float>(m * k, 1.0f);
    quantize_rows_q8_ref(x.data(), k, m, k, xq.data(), x_scale.data());
  }
  FullyConnectedQ8Args args(size_t m, size_t k, size_t n, size_t copy) {
    return {xq.data(), x_scale.data(), packed.data() + copy * packed_bytes, w_scale.data(), y.data(), n, m, k, n,
            row_sums.data()};
  }
  size_t packed_bytes;
  std::vector<int8_t> packed;
  std::vector<int32_t> row_sums;
  std::vector<float> w_scale;
  std::vector<int8_t> xq;
  std::vector<float> x_scale, y;
};

void BM_FullyConnectedQ8(benchmark::State& state, Isa isa) {
  if (!use_isa(state, isa)) return;
  const FullyConnectedQ8Fn fully_connected = kernel_set(isa).fully_connected_q8;
  const size_t m = state.range(0), k = state.range(1), n = state.range(2);
  const size_t copies = std::max<size_t>(1, kColdBytes / int8_packed_bytes(n, k));
  Int8Layer layer(m, k, n, copies);
  size_t copy = 0;
  for (auto _ : state) {
    fully_connected(layer.args(m, k, n, copy++ % copies), 0, n);
    benchmark::DoNotOptimize(layer.y.data());
  }
  state.counters["OPS"] = benchmark::Counter(2.0 * m * n * k * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["weight_bytes/s"] =
      benchmark::Counter(double(n * k) * state.iterations(), benchmark::Counter::kIsRate);
}

// The int8 GEMM split over output channels on a pthreadpool of `threads`, as the runtime splits it (tiles of 16
// channels, 4 per thread): the scaling from 1 to 2 threads.
void BM_FullyConnectedQ8Threads(benchmark::State& state, Isa isa) {
  if (!use_isa(state, isa)) return;
  const size_t m = state.range(0), k = state.range(1), n = state.range(2), threads = state.range(3);
  Int8Layer layer(m, k, n, 1);
  struct Task {
    FullyConnectedQ8Fn fn;
    FullyConnectedQ8Args args;
    static void run(void* context, size_t begin, size_t count) {
      const auto* task = static_cast<const Task*>(context);
      task->fn(task->args, begin, begin + count);
    }
  } task{kernel_set(isa).fully_connected_q8, layer.args(m, k, n, 0)};
  pthreadpool_t pool = pthreadpool_create(threads);
  const size_t tile = std::max<size_t>(16, (n / (threads * 4) + 15) / 16 * 16);
  for (auto _ : state) {
    pthreadpool_parallelize_1d_tile_1d(pool, &Task::run, &task, n, tile, 0);
    benchmark::DoNotOptimize(layer.y.data());
  }
  pthreadpool_destroy(pool);
  state.counters["OPS"] = benchmark::Counter(2.0 * m * n * k * state.iterations(), benchmark::Counter::kIsRate);
}

void BM_FullyConnectedQ4(benchmark::State& state, Isa isa) {
  if (!use_isa(state, isa)) return;
  const FullyConnectedQ4Fn fully_connected = kernel_set(isa).fully_connected_q4;
  const size_t m = state.range(0), k = state.range(1), n = state.range(2);
  const size_t packed_bytes = int4_packed_bytes(n, k), scale_count = int4_packed_scale_count(n, k);
  const size_t copies = std::max<size_t>(1, kColdBytes / packed_bytes);
  std::vector<int8_t> codes(n * k);
  for (size_t i = 0; i < codes.size(); ++i) codes[i] = static_cast<int8_t>(int(i * 7 % 16) - 8);
  const std::vector<uint16_t> scales(n * int4_packed_groups(k), float_to_half(0.01f));
  std::vector<uint8_t> packed(copies * packed_bytes);
  std::vector<uint16_t> packed_scales(copies * scale_count);
  for (size_t c = 0; c < copies; ++c)
    pack_int4_weights(codes.data(), scales.data(), n, k, packed.data() + c * packed_bytes,
                      packed_scales.data() + c * scale_count);
  const auto x = random_values<float>(m * k, 1.0f);
  std::vector<int8_t> xq(m * k);
  std::vector<float> x_scale(m), y(m * n);
  quantize_rows_q8_ref(x.data(), k, m, k, xq.data(), x_scale.data());
  size_t copy = 0;
  for (auto _ : state) {
    const size_t c = copy++ % copies;
    fully_connected({xq.data(), x_scale.data(), packed.data() + c * packed_bytes, packed_scales.data() + c * scale_count,
                     y.data(), n, m, k, n},
                    0, n);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["OPS"] = benchmark::Counter(2.0 * m * n * k * state.iterations(), benchmark::Counter::kIsRate);
  // Weight bytes streamed: the packed codes and their scales.
  state.counters["weight_bytes/s"] = benchmark::Counter(
      double(packed_bytes + scale_count * sizeof(uint16_t)) * state.iterations(), benchmark::Counter::kIsRate);
}

// Dynamic quantization of a layer's input rows (it runs before every int8 fully connected layer).
void BM_QuantizeRows(benchmark::State& state, Isa isa) {
  if (!use_isa(state, isa)) return;
  const QuantizeRowsQ8Fn quantize = kernel_set(isa).quantize_rows_q8;
  const size_t rows = state.range(0), k = state.range(1);
  const auto x = random_values<float>(rows * k, 3.0f);
  std::vector<int8_t> q(rows * k);
  std::vector<float> scales(rows);
  for (auto _ : state) {
    quantize(x.data(), k, rows, k, q.data(), scales.data());
    benchmark::DoNotOptimize(q.data());
  }
  state.counters["values/s"] = benchmark::Counter(double(rows * k) * state.iterations(), benchmark::Counter::kIsRate);
}

// Decode: one query row against `context` cached positions, 12 heads of 64.
void BM_AttentionDecode(benchmark::State& state, Isa isa) {
  if (!use_isa(state, isa)) return;
  const AttentionF32Fn attention = kernel_set(isa).attention_f32;
  // 768 wide: 12 heads of 64 (LLaMA-110M, GPT-2) or 3 of 256 (Gemma's head).
  const size_t context = state.range(0), head_dim = state.range(1), heads = 768 / head_dim, dim = heads * head_dim;
  const auto k = random_values<float>(context * dim, 1.0f), v = random_values<float>(context * dim, 1.0f);
  const auto q = random_values<float>(dim, 1.0f);
  std::vector<float> out(dim);
  const AttentionArgs args{q.data(), dim, k.data(), v.data(), dim, out.data(), dim, 1, heads, heads, head_dim,
                           context - 1, 1.0f / std::sqrt(float(head_dim))};
  for (auto _ : state) {
    attention(args, 0, 1, 0, heads);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["kv_bytes/s"] =
      benchmark::Counter(2.0 * context * dim * sizeof(float) * state.iterations(), benchmark::Counter::kIsRate);
}

// Prefill: `rows` causal rows from position 0, 8 heads of 64; FLOPS counts the 2 x 2 x head_dim flops of each
// (query, key) pair (score and value sum).
void BM_AttentionPrefill(benchmark::State& state, Isa isa) {
  if (!use_isa(state, isa)) return;
  const AttentionF32Fn attention = kernel_set(isa).attention_f32;
  const size_t rows = state.range(0), heads = 8, head_dim = 64, dim = heads * head_dim;
  const auto k = random_values<float>(rows * dim, 1.0f), v = random_values<float>(rows * dim, 1.0f);
  const auto q = random_values<float>(rows * dim, 1.0f);
  std::vector<float> out(rows * dim);
  const AttentionArgs args{q.data(), dim, k.data(), v.data(), dim, out.data(), dim, rows, heads, heads, head_dim,
                           0, 1.0f / std::sqrt(float(head_dim))};
  for (auto _ : state) {
    attention(args, 0, rows, 0, heads);
    benchmark::DoNotOptimize(out.data());
  }
  const double pairs = double(rows) * (rows + 1) / 2 * heads;
  state.counters["FLOPS"] = benchmark::Counter(pairs * 4 * head_dim * state.iterations(), benchmark::Counter::kIsRate);
}

// The same prefill with every head's scores captured (attention capture, docs/attention.md): what capture costs the
// kernel. Without capture, BM_AttentionPrefill runs the same code with a null pointer.
void BM_AttentionPrefillCaptured(benchmark::State& state, Isa isa) {
  if (!use_isa(state, isa)) return;
  const AttentionF32Fn attention = kernel_set(isa).attention_f32;
  const size_t rows = state.range(0), heads = 8, head_dim = 64, dim = heads * head_dim;
  const auto k = random_values<float>(rows * dim, 1.0f), v = random_values<float>(rows * dim, 1.0f);
  const auto q = random_values<float>(rows * dim, 1.0f);
  std::vector<float> out(rows * dim), scores(heads * rows * rows);
  AttentionArgs args{q.data(), dim, k.data(), v.data(), dim, out.data(), dim, rows, heads, heads, head_dim,
                     0, 1.0f / std::sqrt(float(head_dim))};
  args.capture = scores.data();
  args.capture_row_stride = rows;
  args.capture_head_stride = rows * rows;
  args.capture_head_end = heads;
  for (auto _ : state) {
    attention(args, 0, rows, 0, heads);
    benchmark::DoNotOptimize(out.data());
    benchmark::DoNotOptimize(scores.data());
  }
  const double pairs = double(rows) * (rows + 1) / 2 * heads;
  state.counters["FLOPS"] = benchmark::Counter(pairs * 4 * head_dim * state.iterations(), benchmark::Counter::kIsRate);
}

// RoPE on q and k of a prompt (LLaMA-110M-like heads: 12 x 64), positions 0 .. rows - 1.
void BM_Rope(benchmark::State& state, Isa isa) {
  if (!use_isa(state, isa)) return;
  const RopeF32Fn rope = kernel_set(isa).rope_f32;
  const size_t rows = state.range(0), heads = 12, head_dim = 64, dim = heads * head_dim;
  auto q = random_values<float>(rows * dim, 1.0f), k = random_values<float>(rows * dim, 1.0f);
  std::vector<float> inv_freq(head_dim / 2);
  rope_inverse_frequencies(10000.0f, head_dim, inv_freq.data());
  const RopeSpec spec{inv_freq.data(), head_dim, 1.0f, RopeStyle::kInterleaved};
  for (auto _ : state) {
    rope(q.data(), dim, heads, k.data(), dim, heads, rows, head_dim, 0, spec);
    benchmark::DoNotOptimize(q.data());
  }
  state.counters["rows/s"] = benchmark::Counter(double(rows) * state.iterations(), benchmark::Counter::kIsRate);
}

#define EDGEFORMER_FC_SHAPES \
  ->Args({1, 768, 768})->Args({1, 768, 3072})->Args({1, 4096, 11008})->Args({128, 768, 768})->Args({128, 768, 3072})
BENCHMARK_CAPTURE(BM_FullyConnectedF32, scalar, Isa::kScalar) EDGEFORMER_FC_SHAPES;
BENCHMARK_CAPTURE(BM_FullyConnectedF32, avx2, Isa::kAvx2) EDGEFORMER_FC_SHAPES;
BENCHMARK_CAPTURE(BM_FullyConnectedF32, avx512, Isa::kAvx512Vnni) EDGEFORMER_FC_SHAPES;
BENCHMARK_CAPTURE(BM_FullyConnectedQ8, scalar, Isa::kScalar) EDGEFORMER_FC_SHAPES;
BENCHMARK_CAPTURE(BM_FullyConnectedQ8, avx2, Isa::kAvx2) EDGEFORMER_FC_SHAPES;
BENCHMARK_CAPTURE(BM_FullyConnectedQ8, avxvnni, Isa::kAvxVnni) EDGEFORMER_FC_SHAPES;
BENCHMARK_CAPTURE(BM_FullyConnectedQ8, avx512vnni, Isa::kAvx512Vnni) EDGEFORMER_FC_SHAPES;
BENCHMARK_CAPTURE(BM_FullyConnectedQ8Threads, avx512vnni, Isa::kAvx512Vnni)
    ->Args({128, 768, 768, 1})->Args({128, 768, 768, 2})->Args({128, 768, 3072, 1})->Args({128, 768, 3072, 2})
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_FullyConnectedQ4, scalar, Isa::kScalar) EDGEFORMER_FC_SHAPES;
BENCHMARK_CAPTURE(BM_FullyConnectedQ4, avx2, Isa::kAvx2) EDGEFORMER_FC_SHAPES;
BENCHMARK_CAPTURE(BM_FullyConnectedQ4, avxvnni, Isa::kAvxVnni) EDGEFORMER_FC_SHAPES;
BENCHMARK_CAPTURE(BM_FullyConnectedQ4, avx512vnni, Isa::kAvx512Vnni) EDGEFORMER_FC_SHAPES;
BENCHMARK_CAPTURE(BM_QuantizeRows, scalar, Isa::kScalar)->Args({128, 768});
BENCHMARK_CAPTURE(BM_QuantizeRows, avx2, Isa::kAvx2)->Args({128, 768});
BENCHMARK_CAPTURE(BM_QuantizeRows, avx512, Isa::kAvx512Vnni)->Args({128, 768});
BENCHMARK_CAPTURE(BM_AttentionDecode, scalar, Isa::kScalar)->Args({2048, 64})->Args({2048, 256})->Args({256, 64})->Args({256, 256});
BENCHMARK_CAPTURE(BM_AttentionDecode, avx2, Isa::kAvx2)->Args({2048, 64})->Args({2048, 256})->Args({256, 64})->Args({256, 256});
BENCHMARK_CAPTURE(BM_AttentionDecode, avx512, Isa::kAvx512Vnni)->Args({2048, 64})->Args({2048, 256});
BENCHMARK_CAPTURE(BM_Rope, scalar, Isa::kScalar)->Arg(1)->Arg(128);
BENCHMARK_CAPTURE(BM_Rope, avx2, Isa::kAvx2)->Arg(1)->Arg(128);
BENCHMARK_CAPTURE(BM_AttentionPrefill, scalar, Isa::kScalar)->Arg(512);
BENCHMARK_CAPTURE(BM_AttentionPrefill, avx2, Isa::kAvx2)->Arg(512);
BENCHMARK_CAPTURE(BM_AttentionPrefill, avx512, Isa::kAvx512Vnni)->Arg(512);
BENCHMARK_CAPTURE(BM_AttentionPrefillCaptured, avx2, Isa::kAvx2)->Arg(512);
BENCHMARK_CAPTURE(BM_AttentionPrefillCaptured, avx512, Isa::kAvx512Vnni)->Arg(512);

}  // namespace
