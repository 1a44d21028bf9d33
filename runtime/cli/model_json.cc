#include "model_json.h"

#include "json_writer.h"

namespace edgeformer::cli {

namespace {

void write_tensors(JsonWriter& json, const std::vector<TensorInfo>& tensors) {
  json.begin_array();
  for (const TensorInfo& t : tensors) {
    json.begin_object().key("name").value(t.name).key("dtype").value(dtype_name(t.dtype)).key("shape").begin_array();
    for (int64_t d : t.shape) json.value(d);
    json.end_array().key("dynamic_rows").value(t.dynamic_rows).end_object();
  }
  json.end_array();
}

}  // namespace

std::string model_info_json(const Model& model, double load_ms, const std::vector<WeightIssue>* issues) {
  const ModelInfo& info = model.info();
  JsonWriter json;
  json.begin_object()
      .key("architecture").value(info.architecture)
      .key("source").value(info.source)
      .key("quantization").value(info.quantization)
      .key("kv_cache").value(info.kv_cache)
      .key("format_version").value(static_cast<uint64_t>(info.format_version))
      .key("params").value(info.params)
      .key("weight_bytes").value(info.weight_bytes)
      .key("arena_bytes").value(info.arena_bytes)
      .key("state_bytes").value(info.state_bytes)
      .key("file_bytes").value(info.file_bytes)
      .key("vocab_size").value(info.vocab_size)
      .key("hidden_size").value(info.hidden_size)
      .key("layers").value(info.layers)
      .key("max_context").value(info.max_context)
      .key("tokenizer").value(info.has_tokenizer)
      .key("tokenizer_kind").value(info.tokenizer_kind)
      .key("stop_ids").begin_array();
  for (int32_t id : info.stop_ids) json.value(id);
  json.end_array()
      .key("isa").value(info.kernel_isa)
      .key("load_ms").value(load_ms)
      .key("ops").begin_object();
  for (const auto& [name, count] : info.op_counts) json.key(name).value(count);
  json.end_object().key("entries").begin_array();
  for (const EntryInfo& e : info.entries) {
    json.begin_object().key("name").value(e.name).key("max_rows").value(e.max_rows).key("operators")
        .value(static_cast<uint64_t>(e.operator_count)).key("inputs");
    write_tensors(json, e.inputs);
    json.key("outputs");
    write_tensors(json, e.outputs);
    json.end_object();
  }
  json.end_array();
  if (!info.labels.empty()) {
    json.key("labels").begin_array();
    for (const std::string& label : info.labels) json.value(label);
    json.end_array().key("multi_label").value(info.multi_label);
  }
  if (issues != nullptr) {
    json.key("weight_issues").begin_array();
    for (const WeightIssue& issue : *issues)
      json.begin_object().key("tensor").value(issue.tensor).key("nan").value(issue.nan).key("inf")
          .value(issue.infinite).key("wrong_row_sums").value(issue.wrong_row_sums).end_object();
    json.end_array();
  }
  json.end_object();
  return json.str();
}

}  // namespace edgeformer::cli
