// XNNPACK as the peer for every fully connected shape of kernels_bench: f32 and qs8 fully connected (Debian's
// 2022-02 snapshot: qs8 has one weight scale per tensor and no VNNI kernels), one thread, weights cycled through
// 64 MiB as in kernels_bench. Built when libxnnpack-dev is installed.
#include <benchmark/benchmark.h>
#include <xnnpack.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <type_traits>
#include <vector>

namespace {

constexpr size_t kColdBytes = size_t{64} << 20;

bool initialized() {
  static const bool ok = xnn_initialize(nullptr) == xnn_status_success;
  return ok;
}

template <typename T>
std::vector<T> random_values(size_t count, float scale) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<T> values(count);
  for (T& v : values) v = static_cast<T>(dist(rng));
  return values;
}

// One operator per copy of the weights (XNNPACK packs them at creation), run in turn.
template <typename T, typename Create, typename Setup>
void run_copies(benchmark::State& state, size_t weight_bytes, Create create, Setup setup, double ops) {
  if (!initialized()) return state.SkipWithError("xnn_initialize failed");
  const size_t m = state.range(0), k = state.range(1), n = state.range(2);
  const size_t copies = std::max<size_t>(1, kColdBytes / weight_bytes);
  const auto weights = random_values<T>(n * k, std::is_same<T, float>::value ? 1.0f : 127.0f);
  std::vector<xnn_operator_t> ops_list(copies, nullptr);
  for (auto& op : ops_list)
    if (create(k, n, weights.data(), &op) != xnn_status_success) return state.SkipWithError("create failed");
  const auto x = random_values<T>(m * k, std::is_same<T, float>::value ? 1.0f : 100.0f);
  std::vector<T> y(m * n);
  for (auto& op : ops_list)
    if (setup(op, m, x.data(), y.data()) != xnn_status_success) return state.SkipWithError("setup failed");
  size_t copy = 0;
  for (auto _ : state) {
    xnn_run_operator(ops_list[copy++ % copies], nullptr);
    benchmark::DoNotOptimize(y.data());
  }
  for (auto op : ops_list) xnn_delete_operator(op);
  state.counters[std::is_same<T, float>::value ? "FLOPS" : "OPS"] =
      benchmark::Counter(ops * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["weight_bytes/s"] =
      benchmark::Counter(double(weight_bytes) * state.iterations(), benchmark::Counter::kIsRate);
}

void BM_XnnpackFullyConnectedF32(benchmark::State& state) {
  const size_t m = state.range(0), k = state.range(1), n = state.range(2);
  run_copies<float>(
      state, n * k * sizeof(float),
      [](size_t k, size_t n, const float* w, xnn_operator_t* op) {
        return xnn_create_fully_connected_nc_f32(k, n, k, n, w, nullptr, -INFINITY, INFINITY, 0, op);
      },
      [](xnn_operator_t op, size_t m, const float* x, float* y) {
        return xnn_setup_fully_connected_nc_f32(op, m, x, y, nullptr);
      },
      2.0 * m * n * k);
}

void BM_XnnpackFullyConnectedQs8(benchmark::State& state) {
  const size_t m = state.range(0), k = state.range(1), n = state.range(2);
  run_copies<int8_t>(
      state, n * k,
      [](size_t k, size_t n, const int8_t* w, xnn_operator_t* op) {
        return xnn_create_fully_connected_nc_qs8(k, n, k, n, 0, 0.05f, 0.01f, w, nullptr, 0, 1.0f, -127, 127, 0, op);
      },
      [](xnn_operator_t op, size_t m, const int8_t* x, int8_t* y) {
        return xnn_setup_fully_connected_nc_qs8(op, m, x, y, nullptr);
      },
      2.0 * m * n * k);
}

#define EDGEFORMER_FC_SHAPES \
  ->Args({1, 768, 768})->Args({1, 768, 3072})->Args({1, 4096, 11008})->Args({128, 768, 768})->Args({128, 768, 3072})
BENCHMARK(BM_XnnpackFullyConnectedF32) EDGEFORMER_FC_SHAPES;
BENCHMARK(BM_XnnpackFullyConnectedQs8) EDGEFORMER_FC_SHAPES;

}  // namespace
