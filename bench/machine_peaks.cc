// The machine's own limits, measured in the same run as the kernels so that each kernel is reported as a ratio of
// them: int8 multiply-add peaks (vpdpbusd on zmm and on ymm with 12 independent accumulators; AVX2 vpmaddwd +
// vpaddd, and vpmaddubsw + vpmaddwd + vpaddd), the f32 FMA peaks on ymm and zmm, and memory read bandwidth over a
// buffer far larger than the caches. Each loop is compiled for its ISA with a target attribute; each benchmark
// checks the CPU first.
#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <cstdint>
#include <vector>

#include "edgeformer/kernels/isa.h"

namespace {

using edgeformer::kernels::Isa;
using edgeformer::kernels::isa_supported;

constexpr size_t kLoopSteps = 1 << 16;

// Named accumulators and an empty asm that "changes" them each step: the loop cannot be folded away, and no
// accumulator is kept in memory (an array of them would be).
__attribute__((target("avx512f,avx512vnni"))) int32_t vnni_zmm_loop(size_t steps) {
  const __m512i x = _mm512_set1_epi8(3), w = _mm512_set1_epi8(-2);
  __m512i a0 = x, a1 = x, a2 = x, a3 = x, a4 = x, a5 = x, a6 = x, a7 = x, a8 = x, a9 = x, a10 = x, a11 = x;
  for (size_t s = 0; s < steps; ++s) {
    a0 = _mm512_dpbusd_epi32(a0, x, w), a1 = _mm512_dpbusd_epi32(a1, x, w), a2 = _mm512_dpbusd_epi32(a2, x, w);
    a3 = _mm512_dpbusd_epi32(a3, x, w), a4 = _mm512_dpbusd_epi32(a4, x, w), a5 = _mm512_dpbusd_epi32(a5, x, w);
    a6 = _mm512_dpbusd_epi32(a6, x, w), a7 = _mm512_dpbusd_epi32(a7, x, w), a8 = _mm512_dpbusd_epi32(a8, x, w);
    a9 = _mm512_dpbusd_epi32(a9, x, w), a10 = _mm512_dpbusd_epi32(a10, x, w), a11 = _mm512_dpbusd_epi32(a11, x, w);
    asm volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), "+v"(a6), "+v"(a7), "+v"(a8),
                 "+v"(a9), "+v"(a10), "+v"(a11));
  }
  const __m512i sum = _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3)),
                                       _mm512_add_epi32(_mm512_add_epi32(a4, a5), _mm512_add_epi32(a6, a7)));
  // Stored and summed rather than _mm512_reduce_add_epi32, which makes GCC 12 warn about its own helpers.
  alignas(64) int32_t lanes[16];
  _mm512_store_si512(lanes, _mm512_add_epi32(sum, _mm512_add_epi32(_mm512_add_epi32(a8, a9), _mm512_add_epi32(a10, a11))));
  int32_t total = 0;
  for (int32_t lane : lanes) total += lane;
  return total;
}

__attribute__((target("avx2,avxvnni"))) int32_t vnni_ymm_loop(size_t steps) {
  const __m256i x = _mm256_set1_epi8(3), w = _mm256_set1_epi8(-2);
  __m256i a0 = x, a1 = x, a2 = x, a3 = x, a4 = x, a5 = x, a6 = x, a7 = x, a8 = x, a9 = x, a10 = x, a11 = x;
  for (size_t s = 0; s < steps; ++s) {
    a0 = _mm256_dpbusd_avx_epi32(a0, x, w), a1 = _mm256_dpbusd_avx_epi32(a1, x, w);
    a2 = _mm256_dpbusd_avx_epi32(a2, x, w), a3 = _mm256_dpbusd_avx_epi32(a3, x, w);
    a4 = _mm256_dpbusd_avx_epi32(a4, x, w), a5 = _mm256_dpbusd_avx_epi32(a5, x, w);
    a6 = _mm256_dpbusd_avx_epi32(a6, x, w), a7 = _mm256_dpbusd_avx_epi32(a7, x, w);
    a8 = _mm256_dpbusd_avx_epi32(a8, x, w), a9 = _mm256_dpbusd_avx_epi32(a9, x, w);
    a10 = _mm256_dpbusd_avx_epi32(a10, x, w), a11 = _mm256_dpbusd_avx_epi32(a11, x, w);
    asm volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), "+v"(a6), "+v"(a7), "+v"(a8),
                 "+v"(a9), "+v"(a10), "+v"(a11));
  }
  const __m256i sum = _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(a2, a3)),
                                       _mm256_add_epi32(_mm256_add_epi32(a4, a5), _mm256_add_epi32(a6, a7)));
  return _mm256_extract_epi32(_mm256_add_epi32(sum, _mm256_add_epi32(_mm256_add_epi32(a8, a9), _mm256_add_epi32(a10, a11))), 0);
}

// Each multiply's operand passes through an empty asm first: otherwise the compiler computes the (identical,
// loop-invariant) products once, and the loop measures vpaddd alone.
__attribute__((target("avx2"), always_inline)) inline __m256i madd_step(__m256i acc, __m256i& x, __m256i w) {
  asm volatile("" : "+v"(x));
  return _mm256_add_epi32(acc, _mm256_madd_epi16(x, w));
}

__attribute__((target("avx2"))) int32_t madd_ymm_loop(size_t steps) {
  __m256i x = _mm256_set1_epi16(3);
  const __m256i w = _mm256_set1_epi16(-2);
  __m256i a0 = x, a1 = x, a2 = x, a3 = x, a4 = x, a5 = x, a6 = x, a7 = x;
  for (size_t s = 0; s < steps; ++s) {
    a0 = madd_step(a0, x, w), a1 = madd_step(a1, x, w), a2 = madd_step(a2, x, w), a3 = madd_step(a3, x, w);
    a4 = madd_step(a4, x, w), a5 = madd_step(a5, x, w), a6 = madd_step(a6, x, w), a7 = madd_step(a7, x, w);
    asm volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), "+v"(a6), "+v"(a7));
  }
  const __m256i sum = _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(a2, a3)),
                                       _mm256_add_epi32(_mm256_add_epi32(a4, a5), _mm256_add_epi32(a6, a7)));
  return _mm256_extract_epi32(sum, 0);
}

// vpmaddubsw (32 byte products into 16 int16 pair sums), vpmaddwd by ones (into 8 int32) and vpaddd: the most int8
// work AVX2 does per instruction, were there nothing to keep the pair sums from saturating.
__attribute__((target("avx2"), always_inline)) inline __m256i maddubs_step(__m256i acc, __m256i& x, __m256i w,
                                                                           __m256i ones) {
  asm volatile("" : "+v"(x));
  return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(x, w), ones));
}

__attribute__((target("avx2"))) int32_t maddubs_ymm_loop(size_t steps) {
  __m256i x = _mm256_set1_epi8(3);
  const __m256i w = _mm256_set1_epi8(-2), ones = _mm256_set1_epi16(1);
  __m256i a0 = x, a1 = x, a2 = x, a3 = x, a4 = x, a5 = x, a6 = x, a7 = x;
  for (size_t s = 0; s < steps; ++s) {
    a0 = maddubs_step(a0, x, w, ones), a1 = maddubs_step(a1, x, w, ones), a2 = maddubs_step(a2, x, w, ones);
    a3 = maddubs_step(a3, x, w, ones), a4 = maddubs_step(a4, x, w, ones), a5 = maddubs_step(a5, x, w, ones);
    a6 = maddubs_step(a6, x, w, ones), a7 = maddubs_step(a7, x, w, ones);
    asm volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), "+v"(a6), "+v"(a7));
  }
  const __m256i sum = _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(a2, a3)),
                                       _mm256_add_epi32(_mm256_add_epi32(a4, a5), _mm256_add_epi32(a6, a7)));
  return _mm256_extract_epi32(sum, 0);
}

__attribute__((target("avx512f"))) float fma_zmm_loop(size_t steps) {
  const __m512 x = _mm512_set1_ps(0.999f), y = _mm512_set1_ps(1e-3f);
  __m512 a0 = x, a1 = x, a2 = x, a3 = x, a4 = x, a5 = x, a6 = x, a7 = x, a8 = x, a9 = x, a10 = x, a11 = x;
  for (size_t s = 0; s < steps; ++s) {
    a0 = _mm512_fmadd_ps(a0, x, y), a1 = _mm512_fmadd_ps(a1, x, y), a2 = _mm512_fmadd_ps(a2, x, y);
    a3 = _mm512_fmadd_ps(a3, x, y), a4 = _mm512_fmadd_ps(a4, x, y), a5 = _mm512_fmadd_ps(a5, x, y);
    a6 = _mm512_fmadd_ps(a6, x, y), a7 = _mm512_fmadd_ps(a7, x, y), a8 = _mm512_fmadd_ps(a8, x, y);
    a9 = _mm512_fmadd_ps(a9, x, y), a10 = _mm512_fmadd_ps(a10, x, y), a11 = _mm512_fmadd_ps(a11, x, y);
    asm volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), "+v"(a6), "+v"(a7), "+v"(a8),
                 "+v"(a9), "+v"(a10), "+v"(a11));
  }
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                                       _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)),
                                                     _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)))));
  return lanes[0];
}

__attribute__((target("avx2,fma"))) float fma_ymm_loop(size_t steps) {
  const __m256 x = _mm256_set1_ps(0.999f), y = _mm256_set1_ps(1e-3f);
  __m256 a0 = x, a1 = x, a2 = x, a3 = x, a4 = x, a5 = x, a6 = x, a7 = x, a8 = x, a9 = x, a10 = x, a11 = x;
  for (size_t s = 0; s < steps; ++s) {
    a0 = _mm256_fmadd_ps(a0, x, y), a1 = _mm256_fmadd_ps(a1, x, y), a2 = _mm256_fmadd_ps(a2, x, y);
    a3 = _mm256_fmadd_ps(a3, x, y), a4 = _mm256_fmadd_ps(a4, x, y), a5 = _mm256_fmadd_ps(a5, x, y);
    a6 = _mm256_fmadd_ps(a6, x, y), a7 = _mm256_fmadd_ps(a7, x, y), a8 = _mm256_fmadd_ps(a8, x, y);
    a9 = _mm256_fmadd_ps(a9, x, y), a10 = _mm256_fmadd_ps(a10, x, y), a11 = _mm256_fmadd_ps(a11, x, y);
    asm volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), "+v"(a6), "+v"(a7), "+v"(a8),
                 "+v"(a9), "+v"(a10), "+v"(a11));
  }
  const __m256 sum = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                                   _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)),
                                                 _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11))));
  return _mm256_cvtss_f32(sum);
}

__attribute__((target("avx2"))) uint64_t read_all(const uint64_t* data, size_t words) {
  __m256i acc[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()};
  for (size_t i = 0; i + 16 <= words; i += 16)
    for (int j = 0; j < 4; ++j)
      acc[j] = _mm256_add_epi64(acc[j], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + i + 4 * j)));
  const __m256i sum = _mm256_add_epi64(_mm256_add_epi64(acc[0], acc[1]), _mm256_add_epi64(acc[2], acc[3]));
  return static_cast<uint64_t>(_mm256_extract_epi64(sum, 0));
}

// 12 vpdpbusd per step, each 64 multiply-adds (128 ops).
void BM_PeakInt8Avx512Vnni(benchmark::State& state) {
  if (!isa_supported(Isa::kAvx512Vnni)) return state.SkipWithError("no AVX-512 VNNI");
  for (auto _ : state) benchmark::DoNotOptimize(vnni_zmm_loop(kLoopSteps));
  state.counters["OPS"] = benchmark::Counter(12.0 * 128 * kLoopSteps * state.iterations(), benchmark::Counter::kIsRate);
}

// 12 vpdpbusd on ymm per step, each 32 multiply-adds (64 ops).
void BM_PeakInt8AvxVnni(benchmark::State& state) {
  if (!isa_supported(Isa::kAvxVnni)) return state.SkipWithError("no AVX-VNNI");
  for (auto _ : state) benchmark::DoNotOptimize(vnni_ymm_loop(kLoopSteps));
  state.counters["OPS"] = benchmark::Counter(12.0 * 64 * kLoopSteps * state.iterations(), benchmark::Counter::kIsRate);
}

// 8 vpmaddwd + vpaddd per step, each 16 multiply-adds (32 ops): the AVX2 int8 kernels' instruction pair.
void BM_PeakInt8Avx2Madd(benchmark::State& state) {
  if (!isa_supported(Isa::kAvx2)) return state.SkipWithError("no AVX2");
  for (auto _ : state) benchmark::DoNotOptimize(madd_ymm_loop(kLoopSteps));
  state.counters["OPS"] = benchmark::Counter(8.0 * 32 * kLoopSteps * state.iterations(), benchmark::Counter::kIsRate);
}

// 8 vpmaddubsw + vpmaddwd + vpaddd per step, each 32 multiply-adds (64 ops).
void BM_PeakInt8Avx2Maddubs(benchmark::State& state) {
  if (!isa_supported(Isa::kAvx2)) return state.SkipWithError("no AVX2");
  for (auto _ : state) benchmark::DoNotOptimize(maddubs_ymm_loop(kLoopSteps));
  state.counters["OPS"] = benchmark::Counter(8.0 * 64 * kLoopSteps * state.iterations(), benchmark::Counter::kIsRate);
}

// 256 MiB read per thread, on 1 and 2 threads (each its own buffer): the bandwidths that bound 1- and 2-thread decode.
// bytes/s is the threads' sum over wall time.
void BM_PeakMemoryRead(benchmark::State& state) {
  if (!isa_supported(Isa::kAvx2)) return state.SkipWithError("no AVX2");
  const std::vector<uint64_t> buffer((size_t{256} << 20) / sizeof(uint64_t), 1);
  for (auto _ : state) benchmark::DoNotOptimize(read_all(buffer.data(), buffer.size()));
  state.counters["bytes/s"] =
      benchmark::Counter(double(buffer.size() * sizeof(uint64_t)) * state.iterations(), benchmark::Counter::kIsRate);
}

// 12 FMAs on zmm per step, each 16 lanes x 2 flops: the f32 peak that attention is measured against.
// 12 FMAs on ymm per step, each 8 lanes x 2 flops: the AVX2 attention's peak.
void BM_PeakF32FmaAvx2(benchmark::State& state) {
  if (!isa_supported(Isa::kAvx2)) return state.SkipWithError("no AVX2");
  for (auto _ : state) benchmark::DoNotOptimize(fma_ymm_loop(kLoopSteps));
  state.counters["FLOPS"] =
      benchmark::Counter(12.0 * 16 * kLoopSteps * state.iterations(), benchmark::Counter::kIsRate);
}

void BM_PeakF32FmaAvx512(benchmark::State& state) {
  if (!isa_supported(Isa::kAvx512Vnni)) return state.SkipWithError("no AVX-512");
  for (auto _ : state) benchmark::DoNotOptimize(fma_zmm_loop(kLoopSteps));
  state.counters["FLOPS"] = benchmark::Counter(12.0 * 32 * kLoopSteps * state.iterations(), benchmark::Counter::kIsRate);
}

BENCHMARK(BM_PeakF32FmaAvx2);
BENCHMARK(BM_PeakF32FmaAvx512);
BENCHMARK(BM_PeakInt8Avx512Vnni);
BENCHMARK(BM_PeakInt8AvxVnni);
BENCHMARK(BM_PeakInt8Avx2Madd);
BENCHMARK(BM_PeakInt8Avx2Maddubs);
BENCHMARK(BM_PeakMemoryRead)->Unit(benchmark::kMillisecond)->ThreadRange(1, 2)->UseRealTime();

}  // namespace
