#pragma once
// The machine's own limits, measured in the same run as what is compared with them: the multiply-add peak of the
// instructions each ISA's kernels are built on, and read bandwidth over a buffer far larger than the caches.
// `edgeformer bench` reports its speeds as shares of them; kernels_bench measures the same loops.
#include <cstddef>
#include <cstdint>

#include "edgeformer/kernels/isa.h"

namespace edgeformer::cli {

// A loop of one multiply-add instruction mix, with 12 independent accumulators to hide its latency.
enum class PeakLoop {
  kAvx2Maddubs,     // vpmaddubsw + vpmaddwd + vpaddd ymm: the AVX2 int8 kernels' arithmetic, 32 multiply-adds
  kAvx2Madd,        // vpmaddwd + vpaddd ymm, 16 multiply-adds
  kAvxVnniYmm,      // vpdpbusd ymm, 32 multiply-adds
  kAvx512VnniZmm,   // vpdpbusd zmm, 64 multiply-adds
  kFmaYmm,          // vfmadd ymm, 8 lanes
  kFmaZmm,          // vfmadd zmm, 16 lanes
  kNeonSmull,       // smull + sadalp: the plain NEON int8 kernels' arithmetic, 8 multiply-adds
  kNeonSdot,        // sdot, 16 multiply-adds
  kNeonSmmla,       // smmla, 32 multiply-adds
  kNeonFmla,        // fmla, 4 lanes
};
const char* peak_loop_name(PeakLoop loop);
bool peak_loop_supported(PeakLoop loop);
// Runs `steps` steps of the loop; returns the operations done (2 per multiply-add).
uint64_t run_peak_loop(PeakLoop loop, size_t steps);

// The loops `isa`'s int8 and f32 fully connected kernels are measured against; false where there is none (the
// scalar kernels; 32-bit ARM).
bool int8_peak_loop(kernels::Isa isa, PeakLoop* loop);
bool f32_peak_loop(kernels::Isa isa, PeakLoop* loop);

// Operations per second of `loop` on `threads` threads at once, the best of a few runs of about 50 ms.
double measure_peak(PeakLoop loop, int threads);
// Bytes per second that `threads` threads read at once, each its own buffer of `bytes_per_thread`, best of 3 passes.
double measure_read_bandwidth(int threads, size_t bytes_per_thread);
// One pass of the read loop over `words` words (kernels_bench times it itself).
uint64_t read_words(const uint64_t* data, size_t words);

}  // namespace edgeformer::cli
