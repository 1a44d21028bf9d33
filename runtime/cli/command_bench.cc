// edgeformer bench: prompt processing (pp) and generation (tg) speed over repetitions, like llama-bench, each also
// as a share of the machine's measured limit: a prompt's (or encoder's) operations per second against the peak of
// the instructions the kernels use, and a decode step's bytes read per token against the read bandwidth.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "commands.h"
#include "edgeformer/schema/entry_names.h"
#include "json_writer.h"
#include "machine_peaks.h"

namespace edgeformer::cli {

namespace {

using Clock = std::chrono::steady_clock;

struct Stats {
  double mean = 0, deviation = 0;
};

Stats stats_of(const std::vector<double>& values) {
  Stats s;
  for (double v : values) s.mean += v;
  s.mean /= values.size();
  for (double v : values) s.deviation += (v - s.mean) * (v - s.mean);
  s.deviation = values.size() > 1 ? std::sqrt(s.deviation / (values.size() - 1)) : 0.0;
  return s;
}

std::string human_bytes(uint64_t bytes) {
  char text[32];
  if (bytes >= (uint64_t{1} << 30)) std::snprintf(text, sizeof text, "%.2f GiB", bytes / 1073741824.0);
  else if (bytes >= (uint64_t{1} << 20)) std::snprintf(text, sizeof text, "%.2f MiB", bytes / 1048576.0);
  else std::snprintf(text, sizeof text, "%.1f KiB", bytes / 1024.0);
  return text;
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

const EntryCost* entry_cost(const ModelInfo& info, const char* name) {
  for (const EntryInfo& e : info.entries)
    if (e.name == name) return &e.cost;
  return nullptr;
}

// The roofline of the measured speeds: what a prompt (or an encoding) computes and a decode step reads, from the
// model's entry costs, and the machine's limits measured on the same threads.
struct Roofline {
  double prefill_ops = 0;           // operations (2 per multiply-add) of one prompt or encoding
  double decode_bytes_per_token = 0;  // weights and KV cache, at the middle of the generated positions
  PeakLoop peak_loop{};
  bool has_peak = false;
  double peak_ops_per_s = 0, read_bytes_per_s = 0;
};

Roofline roofline_of(const ModelInfo& info, bool encoder, long prompt_length, long generated, int threads) {
  Roofline r;
  const double rows = static_cast<double>(prompt_length);
  if (const EntryCost* c = entry_cost(info, encoder ? schema::names::kEncode : schema::names::kPrefill)) {
    // A prompt's row at position p sees p + 1 keys; an encoder's rows see every row.
    const double keys = encoder ? rows * rows : rows * (rows + 1) / 2;
    r.prefill_ops = 2 * (static_cast<double>(c->matmul_macs_per_row) * rows +
                         static_cast<double>(encoder ? c->other_macs_per_key : c->causal_macs_per_key) * keys);
  }
  if (const EntryCost* c = entry_cost(info, schema::names::kDecode); c != nullptr && generated > 0) {
    const double position = (encoder ? 0.0 : rows) + (generated - 1) / 2.0;
    r.decode_bytes_per_token = static_cast<double>(c->weight_bytes + c->gathered_bytes_per_row) +
                               static_cast<double>(c->causal_cache_bytes_per_key) * (position + 1) +
                               static_cast<double>(c->other_kv_bytes_per_key) * (encoder ? rows : 0.0);
  }
  const kernels::Isa isa = kernels::selected_isa();
  r.has_peak = info.quantization == "f32" ? f32_peak_loop(isa, &r.peak_loop) : int8_peak_loop(isa, &r.peak_loop);
  if (r.has_peak) r.peak_ops_per_s = measure_peak(r.peak_loop, threads);
  // 256 MiB in all, larger than the last-level caches of the CPUs edgeformer runs on, split over the threads (at
  // least 4 MiB each): --threads 256 must not ask a small board for 32 GiB.
  if (generated > 0)
    r.read_bytes_per_s = measure_read_bandwidth(threads, std::max(size_t{4} << 20, (size_t{256} << 20) / threads));
  return r;
}

}  // namespace

int command_bench(int argc, char** argv) {
  Arguments args(argc, argv, {"--json", "--profile"});
  const long prompt_length = args.get_int("--prompt-len", 128, 1, 1 << 20);
  const long generate = args.get_int("--gen", 64, 0, 1 << 20);
  const long threads = args.get_int("--threads", 1, 1, 256);
  const long repetitions = args.get_int("--reps", 5, 1, 1000);
  if (!args.ok()) return fail(args.error());
  if (args.positionals().size() != 1) return fail("bench: expected one model path");

  std::shared_ptr<const Model> model;
  std::unique_ptr<Session> session;
  double load_ms = 0;
  if (Status s = open_session(args.positionals()[0], threads, &model, &session, &load_ms); !s.ok())
    return fail(s.message());
  // What the model runs: a decoder processes the prompt then generates; an encoder (BERT) encodes a sequence of
  // --prompt-len tokens; an encoder-decoder (Marian) encodes a source of --prompt-len tokens, then generates.
  const ModelInfo& info = model->info();
  bool encoder = false, decoder = false;
  size_t encode_rows = 0;
  for (const EntryInfo& e : info.entries) {
    if (e.name == schema::names::kEncode) encoder = true, encode_rows = static_cast<size_t>(e.max_rows);
    if (e.name == schema::names::kDecode) decoder = true;
  }
  const int vocab = info.vocab_size;
  const long generated = decoder ? generate : 0;
  if (encoder && static_cast<size_t>(prompt_length) > encode_rows)
    return fail("bench: --prompt-len " + std::to_string(prompt_length) + " exceeds the " + std::to_string(encode_rows) +
                " tokens the encoder takes");
  const size_t needed = static_cast<size_t>((encoder ? 1 : prompt_length) + generated);
  if (decoder && needed > session->max_context())
    return fail("bench: --prompt-len + --gen = " + std::to_string(needed) + " exceeds the context of " +
                std::to_string(session->max_context()));

  // Deterministic ids spread over the vocabulary; the speed does not depend on which ids they are.
  std::vector<int32_t> prompt(static_cast<size_t>(prompt_length));
  for (size_t i = 0; i < prompt.size(); ++i) prompt[i] = static_cast<int32_t>((i * 7919 + 1) % vocab);

  // The first run also pays for the first touch of every weight page; it is reported apart and not averaged.
  auto run_once = [&](double* prefill_seconds, double* decode_seconds) -> Status {
    session->reset();
    auto start = Clock::now();
    if (Status s = encoder ? session->encode(prompt.data(), nullptr, nullptr, prompt.size())
                           : session->prefill(prompt.data(), prompt.size());
        !s.ok())
      return s;
    *prefill_seconds = seconds_since(start);
    start = Clock::now();
    // An encoder-decoder's target starts from its start token.
    if (encoder && decoder)
      if (Status s = session->decode(model->bos_id() >= 0 ? model->bos_id() : 0); !s.ok()) return s;
    for (long i = encoder ? 1 : 0; i < generated; ++i)
      if (Status s = session->decode(static_cast<int32_t>((i * 31 + 7) % vocab)); !s.ok()) return s;
    *decode_seconds = seconds_since(start);
    return Status();
  };
  double first_prefill = 0, first_decode = 0;
  if (Status s = run_once(&first_prefill, &first_decode); !s.ok()) return fail(s.message());
  std::vector<double> pp, tg;
  // Profiling covers the measured repetitions only: the first run's page faults would skew it.
  session->set_profiling(args.has("--profile"));
  for (long r = 0; r < repetitions; ++r) {
    double prefill_seconds = 0, decode_seconds = 0;
    if (Status s = run_once(&prefill_seconds, &decode_seconds); !s.ok()) return fail(s.message());
    pp.push_back(prompt_length / prefill_seconds);
    if (generated > 0) tg.push_back(generated / decode_seconds);
  }
  const Stats pp_stats = stats_of(pp);
  const Stats tg_stats = generated > 0 ? stats_of(tg) : Stats{};
  // Before the roofline's measurements, whose buffers are not the model's.
  const uint64_t peak_rss = peak_rss_bytes();
  const Roofline roof = roofline_of(info, encoder, prompt_length, generated, static_cast<int>(threads));
  const double prefill_ops_per_s = roof.prefill_ops * pp_stats.mean / prompt_length;
  const double decode_bytes_per_s = roof.decode_bytes_per_token * tg_stats.mean;
  // llama-bench's names; "enc" for an encoder's sequence.
  const std::string pp_name = (encoder ? "enc" : "pp") + std::to_string(prompt_length);
  const std::string tg_name = "tg" + std::to_string(generated);

  if (args.has("--json")) {
    JsonWriter json;
    json.begin_object()
        .key("model").value(args.positionals()[0])
        .key("architecture").value(info.architecture)
        .key("quantization").value(info.quantization)
        .key("params").value(info.params)
        .key("weight_bytes").value(info.weight_bytes)
        .key("isa").value(info.kernel_isa)
        .key("threads").value(static_cast<int64_t>(threads))
        .key("repetitions").value(static_cast<int64_t>(repetitions))
        .key("load_ms").value(load_ms)
        .key("first_prefill_ms").value(first_prefill * 1e3)
        .key("prompt_tokens").value(static_cast<int64_t>(prompt_length))
        .key("prefill_tokens_per_s").value(pp_stats.mean)
        .key("prefill_tokens_per_s_stddev").value(pp_stats.deviation)
        .key("generated_tokens").value(static_cast<int64_t>(generated))
        .key("encoder").value(encoder)
        .key("decode_tokens_per_s").value(tg_stats.mean)
        .key("decode_tokens_per_s_stddev").value(tg_stats.deviation)
        .key("arena_bytes").value(info.arena_bytes)
        .key("state_bytes").value(info.state_bytes)
        .key("peak_rss_bytes").value(peak_rss)
        .key("prefill_ops").value(static_cast<uint64_t>(std::llround(roof.prefill_ops)))
        .key("prefill_ops_per_s").value(prefill_ops_per_s)
        .key("peak_loop").value(roof.has_peak ? peak_loop_name(roof.peak_loop) : "")
        .key("peak_ops_per_s").value(roof.peak_ops_per_s)
        .key("decode_bytes_per_token").value(static_cast<uint64_t>(std::llround(roof.decode_bytes_per_token)))
        .key("decode_bytes_per_s").value(decode_bytes_per_s)
        .key("read_bandwidth_bytes_per_s").value(roof.read_bytes_per_s);
    if (args.has("--profile")) {
      json.key("profile").begin_array();
      for (const Session::OperatorTime& t : session->profile())
        json.begin_object().key("op").value(t.op).key("calls").value(t.calls).key("seconds").value(t.seconds).end_object();
      json.end_array();
    }
    json.end_object();
    std::printf("%s\n", json.str().c_str());
    return 0;
  }
  std::printf("| model | weights | params | quant | isa | threads | test | tokens/s |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
  auto row = [&](const std::string& test, const Stats& s) {
    std::printf("| %s | %s | %.2f M | %s | %s | %ld | %s | %.2f ± %.2f |\n", info.architecture.c_str(),
                human_bytes(info.weight_bytes).c_str(), info.params / 1e6, info.quantization.c_str(),
                info.kernel_isa.c_str(), threads, test.c_str(), s.mean, s.deviation);
  };
  row(pp_name, pp_stats);
  if (generated > 0) row(tg_name, tg_stats);
  std::printf("\nload %.2f ms | first %s %.1f ms (includes first touch of the weights) | arena %s | KV cache %s | "
              "peak RSS %s | %ld repetitions\n",
              load_ms, pp_name.c_str(), first_prefill * 1e3, human_bytes(info.arena_bytes).c_str(),
              human_bytes(info.state_bytes).c_str(), human_bytes(peak_rss).c_str(), repetitions);
  if (roof.has_peak)
    std::printf("%s: %.1f GOP/s, %.0f%% of the %s peak measured on %ld thread%s (%.1f GOP/s)\n", pp_name.c_str(),
                prefill_ops_per_s / 1e9, 100 * prefill_ops_per_s / roof.peak_ops_per_s, peak_loop_name(roof.peak_loop),
                threads, threads > 1 ? "s" : "", roof.peak_ops_per_s / 1e9);
  if (generated > 0)
    std::printf("%s: %.1f MB read per token, %.2f GB/s, %.0f%% of the read bandwidth measured on %ld thread%s "
                "(%.2f GB/s)\n",
                tg_name.c_str(), roof.decode_bytes_per_token / 1e6, decode_bytes_per_s / 1e9,
                100 * decode_bytes_per_s / roof.read_bytes_per_s, threads, threads > 1 ? "s" : "",
                roof.read_bytes_per_s / 1e9);
  if (args.has("--profile")) {
    double total = 0;
    for (const Session::OperatorTime& t : session->profile()) total += t.seconds;
    std::printf("\n| op | calls | ms | share |\n| --- | --- | --- | --- |\n");
    for (const Session::OperatorTime& t : session->profile())
      std::printf("| %s | %llu | %.2f | %.1f%% |\n", t.op.c_str(), static_cast<unsigned long long>(t.calls),
                  t.seconds * 1e3, total > 0 ? 100.0 * t.seconds / total : 0.0);
  }
  return 0;
}

}  // namespace edgeformer::cli
