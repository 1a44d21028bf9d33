// The peak loops: each step issues one instruction of the mix into each of its accumulators, then an empty asm
// "changes" them, so that the loop can neither be folded away nor keep an accumulator in memory. Operands that
// would make a product loop-invariant pass through an asm too. Each x86 loop is compiled for its ISA with a target
// attribute, as are the ARM dot-product and matrix-multiply loops.
#include "machine_peaks.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

namespace edgeformer::cli {

namespace {

using kernels::Isa;

#define EF_PEAK_ACCUMULATORS(init) \
  auto a0 = init, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0
#define EF_PEAK_STEPS(step) \
  step(a0); step(a1); step(a2); step(a3); step(a4); step(a5); step(a6); step(a7); step(a8); step(a9); step(a10); \
  step(a11)
#define EF_PEAK_KEEP(c)                                                                                           \
  asm volatile("" : "+" c(a0), "+" c(a1), "+" c(a2), "+" c(a3), "+" c(a4), "+" c(a5), "+" c(a6), "+" c(a7), \
               "+" c(a8), "+" c(a9), "+" c(a10), "+" c(a11))

#if defined(__x86_64__)
__attribute__((target("avx2"))) uint64_t maddubs_loop(size_t steps) {
  __m256i x = _mm256_set1_epi8(3);
  const __m256i w = _mm256_set1_epi8(-2), ones = _mm256_set1_epi16(1);
  EF_PEAK_ACCUMULATORS(_mm256_setzero_si256());
  for (size_t s = 0; s < steps; ++s) {
#define STEP(a) asm volatile("" : "+v"(x)); a = _mm256_add_epi32(a, _mm256_madd_epi16(_mm256_maddubs_epi16(x, w), ones))
    EF_PEAK_STEPS(STEP);
#undef STEP
    EF_PEAK_KEEP("v");
  }
  return steps * 12 * 32 * 2;
}

__attribute__((target("avx2"))) uint64_t madd_loop(size_t steps) {
  __m256i x = _mm256_set1_epi16(3);
  const __m256i w = _mm256_set1_epi16(-2);
  EF_PEAK_ACCUMULATORS(_mm256_setzero_si256());
  for (size_t s = 0; s < steps; ++s) {
#define STEP(a) asm volatile("" : "+v"(x)); a = _mm256_add_epi32(a, _mm256_madd_epi16(x, w))
    EF_PEAK_STEPS(STEP);
#undef STEP
    EF_PEAK_KEEP("v");
  }
  return steps * 12 * 16 * 2;
}

__attribute__((target("avx2,avxvnni"))) uint64_t vnni_ymm_loop(size_t steps) {
  const __m256i x = _mm256_set1_epi8(3), w = _mm256_set1_epi8(-2);
  EF_PEAK_ACCUMULATORS(_mm256_setzero_si256());
  for (size_t s = 0; s < steps; ++s) {
#define STEP(a) a = _mm256_dpbusd_avx_epi32(a, x, w)
    EF_PEAK_STEPS(STEP);
#undef STEP
    EF_PEAK_KEEP("v");
  }
  return steps * 12 * 32 * 2;
}

__attribute__((target("avx512f,avx512vnni"))) uint64_t vnni_zmm_loop(size_t steps) {
  const __m512i x = _mm512_set1_epi8(3), w = _mm512_set1_epi8(-2);
  EF_PEAK_ACCUMULATORS(_mm512_setzero_si512());
  for (size_t s = 0; s < steps; ++s) {
#define STEP(a) a = _mm512_dpbusd_epi32(a, x, w)
    EF_PEAK_STEPS(STEP);
#undef STEP
    EF_PEAK_KEEP("v");
  }
  return steps * 12 * 64 * 2;
}

__attribute__((target("avx2,fma"))) uint64_t fma_ymm_loop(size_t steps) {
  const __m256 x = _mm256_set1_ps(0.999f), y = _mm256_set1_ps(1e-3f);
  EF_PEAK_ACCUMULATORS(x);
  for (size_t s = 0; s < steps; ++s) {
#define STEP(a) a = _mm256_fmadd_ps(a, x, y)
    EF_PEAK_STEPS(STEP);
#undef STEP
    EF_PEAK_KEEP("v");
  }
  return steps * 12 * 8 * 2;
}

__attribute__((target("avx512f"))) uint64_t fma_zmm_loop(size_t steps) {
  const __m512 x = _mm512_set1_ps(0.999f), y = _mm512_set1_ps(1e-3f);
  EF_PEAK_ACCUMULATORS(x);
  for (size_t s = 0; s < steps; ++s) {
#define STEP(a) a = _mm512_fmadd_ps(a, x, y)
    EF_PEAK_STEPS(STEP);
#undef STEP
    EF_PEAK_KEEP("v");
  }
  return steps * 12 * 16 * 2;
}
#endif

#if defined(__aarch64__)
uint64_t smull_loop(size_t steps) {
  int8x8_t x = vdup_n_s8(3);
  const int8x8_t w = vdup_n_s8(-2);
  EF_PEAK_ACCUMULATORS(vdupq_n_s32(0));
  for (size_t s = 0; s < steps; ++s) {
#define STEP(a) asm volatile("" : "+w"(x)); a = vpadalq_s16(a, vmull_s8(x, w))
    EF_PEAK_STEPS(STEP);
#undef STEP
    EF_PEAK_KEEP("w");
  }
  return steps * 12 * 8 * 2;
}

__attribute__((target("arch=armv8.2-a+dotprod"))) uint64_t sdot_loop(size_t steps) {
  const int8x16_t x = vdupq_n_s8(3), w = vdupq_n_s8(-2);
  EF_PEAK_ACCUMULATORS(vdupq_n_s32(0));
  for (size_t s = 0; s < steps; ++s) {
#define STEP(a) a = vdotq_s32(a, x, w)
    EF_PEAK_STEPS(STEP);
#undef STEP
    EF_PEAK_KEEP("w");
  }
  return steps * 12 * 16 * 2;
}

__attribute__((target("arch=armv8.6-a+i8mm"))) uint64_t smmla_loop(size_t steps) {
  const int8x16_t x = vdupq_n_s8(3), w = vdupq_n_s8(-2);
  EF_PEAK_ACCUMULATORS(vdupq_n_s32(0));
  for (size_t s = 0; s < steps; ++s) {
#define STEP(a) a = vmmlaq_s32(a, x, w)
    EF_PEAK_STEPS(STEP);
#undef STEP
    EF_PEAK_KEEP("w");
  }
  return steps * 12 * 32 * 2;
}

uint64_t fmla_loop(size_t steps) {
  const float32x4_t x = vdupq_n_f32(0.999f), y = vdupq_n_f32(1e-3f);
  EF_PEAK_ACCUMULATORS(x);
  for (size_t s = 0; s < steps; ++s) {
#define STEP(a) a = vfmaq_f32(y, a, x)
    EF_PEAK_STEPS(STEP);
#undef STEP
    EF_PEAK_KEEP("w");
  }
  return steps * 12 * 4 * 2;
}
#endif

#undef EF_PEAK_ACCUMULATORS
#undef EF_PEAK_STEPS
#undef EF_PEAK_KEEP

using Clock = std::chrono::steady_clock;

// Seconds for every thread to run `work` once, all started together.
template <typename Work>
double run_on_threads(int threads, Work work) {
  std::vector<std::thread> pool;
  const auto start = Clock::now();
  for (int t = 1; t < threads; ++t) pool.emplace_back([&work, t] { work(t); });
  work(0);
  for (std::thread& thread : pool) thread.join();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

const char* peak_loop_name(PeakLoop loop) {
  switch (loop) {
    case PeakLoop::kAvx2Maddubs: return "vpmaddubsw+vpmaddwd ymm";
    case PeakLoop::kAvx2Madd: return "vpmaddwd ymm";
    case PeakLoop::kAvxVnniYmm: return "vpdpbusd ymm";
    case PeakLoop::kAvx512VnniZmm: return "vpdpbusd zmm";
    case PeakLoop::kFmaYmm: return "vfmadd ymm";
    case PeakLoop::kFmaZmm: return "vfmadd zmm";
    case PeakLoop::kNeonSmull: return "smull+sadalp";
    case PeakLoop::kNeonSdot: return "sdot";
    case PeakLoop::kNeonSmmla: return "smmla";
    case PeakLoop::kNeonFmla: return "fmla";
  }
  return "?";
}

bool peak_loop_supported(PeakLoop loop) {
  switch (loop) {
#if defined(__x86_64__)
    case PeakLoop::kAvx2Maddubs:
    case PeakLoop::kAvx2Madd:
    case PeakLoop::kFmaYmm: return kernels::isa_supported(Isa::kAvx2);
    case PeakLoop::kAvxVnniYmm: return kernels::isa_supported(Isa::kAvxVnni);
    case PeakLoop::kAvx512VnniZmm:
    case PeakLoop::kFmaZmm: return kernels::isa_supported(Isa::kAvx512Vnni);
#elif defined(__aarch64__)
    case PeakLoop::kNeonSmull:
    case PeakLoop::kNeonFmla: return true;
    case PeakLoop::kNeonSdot: return kernels::isa_supported(Isa::kNeonDotprod);
    case PeakLoop::kNeonSmmla: return kernels::isa_supported(Isa::kNeonI8mm);
#endif
    default: return false;
  }
}

uint64_t run_peak_loop(PeakLoop loop, [[maybe_unused]] size_t steps) {
  if (!peak_loop_supported(loop)) return 0;
  switch (loop) {
#if defined(__x86_64__)
    case PeakLoop::kAvx2Maddubs: return maddubs_loop(steps);
    case PeakLoop::kAvx2Madd: return madd_loop(steps);
    case PeakLoop::kAvxVnniYmm: return vnni_ymm_loop(steps);
    case PeakLoop::kAvx512VnniZmm: return vnni_zmm_loop(steps);
    case PeakLoop::kFmaYmm: return fma_ymm_loop(steps);
    case PeakLoop::kFmaZmm: return fma_zmm_loop(steps);
#elif defined(__aarch64__)
    case PeakLoop::kNeonSmull: return smull_loop(steps);
    case PeakLoop::kNeonSdot: return sdot_loop(steps);
    case PeakLoop::kNeonSmmla: return smmla_loop(steps);
    case PeakLoop::kNeonFmla: return fmla_loop(steps);
#endif
    default: return 0;
  }
}

bool int8_peak_loop(Isa isa, PeakLoop* loop) {
  switch (isa) {
    case Isa::kAvx2: *loop = PeakLoop::kAvx2Maddubs; break;
    case Isa::kAvxVnni: *loop = PeakLoop::kAvxVnniYmm; break;
    case Isa::kAvx512Vnni: *loop = PeakLoop::kAvx512VnniZmm; break;
    case Isa::kNeon: *loop = PeakLoop::kNeonSmull; break;
    case Isa::kNeonDotprod: *loop = PeakLoop::kNeonSdot; break;
    case Isa::kNeonI8mm: *loop = PeakLoop::kNeonSmmla; break;
    default: return false;
  }
  return peak_loop_supported(*loop);
}

bool f32_peak_loop(Isa isa, PeakLoop* loop) {
  switch (isa) {
    case Isa::kAvx2:
    case Isa::kAvxVnni: *loop = PeakLoop::kFmaYmm; break;
    case Isa::kAvx512Vnni: *loop = PeakLoop::kFmaZmm; break;
    case Isa::kNeon:
    case Isa::kNeonDotprod:
    case Isa::kNeonI8mm: *loop = PeakLoop::kNeonFmla; break;
    default: return false;
  }
  return peak_loop_supported(*loop);
}

double measure_peak(PeakLoop loop, int threads) {
  if (!peak_loop_supported(loop)) return 0;
  // About 50 ms per run at a few hundred GOP/s; the first run also wakes the core up from its idle clock.
  constexpr size_t kSteps = size_t{1} << 20;
  double best = 0;
  for (int run = 0; run < 4; ++run) {
    uint64_t ops = 0;
    const double seconds = run_on_threads(threads, [&](int t) {
      const uint64_t done = run_peak_loop(loop, kSteps);
      if (t == 0) ops = done;
    });
    best = std::max(best, static_cast<double>(threads) * static_cast<double>(ops) / seconds);
  }
  return best;
}

uint64_t read_words(const uint64_t* data, size_t words) {
  uint64_t sums[8] = {};
  size_t i = 0;
  for (; i + 8 <= words; i += 8)
    for (int j = 0; j < 8; ++j) sums[j] += data[i + j];
  for (; i < words; ++i) sums[0] += data[i];
  uint64_t total = 0;
  for (uint64_t s : sums) total += s;
  return total;
}

double measure_read_bandwidth(int threads, size_t bytes_per_thread) {
  const size_t words = bytes_per_thread / sizeof(uint64_t);
  std::vector<std::vector<uint64_t>> buffers(static_cast<size_t>(threads), std::vector<uint64_t>(words, 1));
  std::vector<uint64_t> sinks(static_cast<size_t>(threads));
  double best = 0;
  for (int pass = 0; pass < 3; ++pass) {
    const double seconds =
        run_on_threads(threads, [&](int t) { sinks[t] = read_words(buffers[t].data(), words); });
    best = std::max(best, static_cast<double>(threads) * words * sizeof(uint64_t) / seconds);
  }
  return best;
}

}  // namespace edgeformer::cli
