// The machine's own limits, measured in the same run as the kernels so that each kernel is reported as a ratio of
// them: the multiply-add peaks of the instructions each ISA's kernels are built on and memory read bandwidth over a
// buffer far larger than the caches. The loops are the ones `edgeformer bench` measures (runtime/cli/machine_peaks.h);
// each benchmark checks the CPU first.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "machine_peaks.h"

namespace {

using edgeformer::cli::PeakLoop;

constexpr size_t kLoopSteps = 1 << 16;

void BM_Peak(benchmark::State& state, PeakLoop loop, const char* counter) {
  if (!edgeformer::cli::peak_loop_supported(loop)) return state.SkipWithError("the CPU lacks this instruction");
  uint64_t ops = 0;
  for (auto _ : state) ops += edgeformer::cli::run_peak_loop(loop, kLoopSteps);
  state.counters[counter] = benchmark::Counter(static_cast<double>(ops), benchmark::Counter::kIsRate);
  state.SetLabel(edgeformer::cli::peak_loop_name(loop));
}

// 256 MiB read per thread, on 1 and 2 threads (each its own buffer): the bandwidths that bound 1- and 2-thread decode.
// bytes/s is the threads' sum over wall time.
void BM_PeakMemoryRead(benchmark::State& state) {
  const std::vector<uint64_t> buffer((size_t{256} << 20) / sizeof(uint64_t), 1);
  for (auto _ : state) benchmark::DoNotOptimize(edgeformer::cli::read_words(buffer.data(), buffer.size()));
  state.counters["bytes/s"] =
      benchmark::Counter(double(buffer.size() * sizeof(uint64_t)) * state.iterations(), benchmark::Counter::kIsRate);
}

BENCHMARK_CAPTURE(BM_Peak, F32FmaAvx2, PeakLoop::kFmaYmm, "FLOPS");
BENCHMARK_CAPTURE(BM_Peak, F32FmaAvx512, PeakLoop::kFmaZmm, "FLOPS");
BENCHMARK_CAPTURE(BM_Peak, Int8Avx512Vnni, PeakLoop::kAvx512VnniZmm, "OPS");
BENCHMARK_CAPTURE(BM_Peak, Int8AvxVnni, PeakLoop::kAvxVnniYmm, "OPS");
BENCHMARK_CAPTURE(BM_Peak, Int8Avx2Madd, PeakLoop::kAvx2Madd, "OPS");
BENCHMARK_CAPTURE(BM_Peak, Int8Avx2Maddubs, PeakLoop::kAvx2Maddubs, "OPS");
BENCHMARK_CAPTURE(BM_Peak, F32FmlaNeon, PeakLoop::kNeonFmla, "FLOPS");
BENCHMARK_CAPTURE(BM_Peak, Int8SmullNeon, PeakLoop::kNeonSmull, "OPS");
BENCHMARK_CAPTURE(BM_Peak, Int8Sdot, PeakLoop::kNeonSdot, "OPS");
BENCHMARK_CAPTURE(BM_Peak, Int8Smmla, PeakLoop::kNeonSmmla, "OPS");
BENCHMARK(BM_PeakMemoryRead)->Unit(benchmark::kMillisecond)->ThreadRange(1, 2)->UseRealTime();

}  // namespace
