#include <cstdio>

#include "commands.h"
#include "model_json.h"

namespace edgeformer::cli {

namespace {

std::string shape_text(const TensorInfo& t) {
  std::string s = t.name + ": " + dtype_name(t.dtype) + "[";
  for (size_t i = 0; i < t.shape.size(); ++i)
    s += (i ? ", " : "") + ((i == 0 && t.dynamic_rows) ? "<=" : std::string()) + std::to_string(t.shape[i]);
  return s + "]";
}

}  // namespace

int command_inspect(int argc, char** argv) {
  Arguments args(argc, argv, {"--json", "--check"});
  if (!args.ok()) return fail(args.error());
  if (args.positionals().size() != 1) return fail("inspect: expected one model path");
  std::shared_ptr<const Model> model;
  double load_ms = 0;
  if (Status s = open_model(args.positionals()[0], &model, &load_ms); !s.ok()) return fail(s.message());
  const ModelInfo& info = model->info();
  const bool check = args.has("--check");
  const std::vector<WeightIssue> issues = check ? model->check_weights() : std::vector<WeightIssue>();

  if (args.has("--json")) {
    std::printf("%s\n", model_info_json(*model, load_ms, check ? &issues : nullptr).c_str());
    return issues.empty() ? 0 : 1;
  }

  std::printf("%s  (format %u, %s)\n", args.positionals()[0].c_str(), info.format_version, info.source.c_str());
  std::printf("  architecture   %s, %d layers, hidden %d, vocab %d, context %d\n", info.architecture.c_str(),
              info.layers, info.hidden_size, info.vocab_size, info.max_context);
  std::printf("  quantization   %s, KV cache %s\n", info.quantization.c_str(), info.kv_cache.c_str());
  std::printf("  params         %llu\n", static_cast<unsigned long long>(info.params));
  std::printf("  weight bytes   %llu\n", static_cast<unsigned long long>(info.weight_bytes));
  std::printf("  arena bytes    %llu\n", static_cast<unsigned long long>(info.arena_bytes));
  std::printf("  state bytes    %llu\n", static_cast<unsigned long long>(info.state_bytes));
  std::printf("  tokenizer      %s\n", info.tokenizer_kind.c_str());
  std::printf("  stop ids      ");
  for (size_t i = 0; i < info.stop_ids.size(); ++i) std::printf("%s %d", i ? "," : "", info.stop_ids[i]);
  std::printf("%s\n", info.stop_ids.empty() ? " none" : "");
  std::printf("  kernels        %s\n", info.kernel_isa.c_str());
  if (!info.labels.empty()) {
    std::printf("  labels         %s:", info.multi_label ? "multi-label" : "one of");
    for (const std::string& label : info.labels) std::printf(" %s", label.c_str());
    std::printf("\n");
  }
  std::printf("  load           %.2f ms\n", load_ms);
  std::printf("  ops           ");
  for (const auto& [name, count] : info.op_counts) std::printf(" %s=%d", name.c_str(), count);
  std::printf("\n");
  for (const EntryInfo& e : info.entries) {
    std::printf("  entry %s (%zu ops, up to %d rows)\n", e.name.c_str(), e.operator_count, e.max_rows);
    for (const TensorInfo& t : e.inputs) std::printf("    in  %s\n", shape_text(t).c_str());
    for (const TensorInfo& t : e.outputs) std::printf("    out %s\n", shape_text(t).c_str());
  }
  if (!check) return 0;
  if (issues.empty()) std::printf("  check          every weight is finite and every int8 row sum matches\n");
  for (const WeightIssue& issue : issues)
    std::printf("  check          %s: %llu NaN, %llu Inf, %llu wrong row sums\n", issue.tensor.c_str(),
                static_cast<unsigned long long>(issue.nan), static_cast<unsigned long long>(issue.infinite),
                static_cast<unsigned long long>(issue.wrong_row_sums));
  return issues.empty() ? 0 : 1;
}

}  // namespace edgeformer::cli
