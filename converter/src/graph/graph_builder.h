#pragma once
// What every family's graph builder shares: weights in the requested format (f32, int8 per channel, int4 per
// group, packed for the kernels), KV-cache state, arena activations of an entry, and operators.
#include <string>
#include <vector>

#include "graph/graph.h"
#include "graph/graph_options.h"

namespace edgeformer::converter {

class GraphBuilder {
 public:
  GraphBuilder(Graph& graph, WeightFormat weights) : graph_(graph), weights_(weights) {}

 protected:
  using OperatorOptions = schema::OperatorOptions;

  // Starts an entry of up to `rows` tokens; its tensors and operators go there until the next one.
  void begin_entry(const std::string& name, int rows) {
    graph_.entries.emplace_back();
    entry_ = &graph_.entries.back();
    entry_->name = name;
    entry_->max_rows = rows;
    rows_ = rows;
  }

  // A [rows][cols] linear weight in the requested format; int8 gets per-row (output channel) scales and row sums,
  // and is packed in the layout the int8 kernels read in place (int8_packing.h).
  int linear_weight(const std::string& name, const std::vector<float>& values, int rows, int cols);
  int f32_weight(const std::string& name, const std::vector<float>& values, std::vector<int64_t> shape);
  int state(const std::string& name, std::vector<int64_t> shape, DType dtype);
  int activation(const std::string& name, DType dtype, std::vector<int64_t> shape, bool dynamic_rows);
  // An operator of the type of `options`, its schema options table as a plain struct (schema::GeluOptionsT ...);
  // `scratch` is an arena tensor it uses besides its inputs and outputs.
  template <typename Options>
  void op(std::vector<int> inputs, std::vector<int> outputs, Options options, int scratch = -1) {
    Operator o;
    o.options.Set(std::move(options));
    o.inputs = std::move(inputs);
    o.outputs = std::move(outputs);
    o.scratch = scratch;
    entry_->operators.push_back(std::move(o));
  }
  // Attention options with no KV cache and no rotary embedding, for the builder to complete.
  static schema::AttentionOptionsT attention_options(int heads, int kv_heads, int head_dim);
  // Tensors of a row count: the entry's dynamic rows, or a single fixed row after LastRow.
  int rows_tensor(const std::string& name, int cols, bool dynamic);
  // y = x W^T (+ bias, an f32 [n] weight id, or -1).
  int fully_connected(const std::string& name, int x, int weight, bool dynamic, int bias = -1);
  int add(const std::string& name, int a, int b, int cols);
  // (x - mean) / sqrt(var + epsilon) * weight + bias over each row of x.
  int layer_norm(const std::string& name, int x, int weight, int bias, float epsilon, bool dynamic);
  // A classifier tied to the token embeddings: the embedding table itself with f32 weights (stored once), else a
  // quantized copy (not counted again in the parameters).
  int tied_classifier(int embedding, const std::vector<float>& table, int vocab, int dim);
  // The K and V caches of one layer in the requested format (int8 with their scales). A sliding window shorter
  // than the context makes them rings of the window's rows; a longer one changes nothing and is dropped.
  struct KvCache {
    int k = -1, v = -1, k_scales = -1, v_scales = -1;
    int sliding_window = 0;
  };
  KvCache kv_cache(const std::string& prefix, int kv_heads, int head_dim, KvCacheFormat format,
                   int sliding_window = 0);
  // Points causal attention at its layer's caches.
  static void set_cache(schema::AttentionOptionsT& attention, const KvCache& cache) {
    attention.k_cache = cache.k;
    attention.v_cache = cache.v;
    attention.k_scales = cache.k_scales;
    attention.v_scales = cache.v_scales;
    attention.sliding_window = cache.sliding_window;
  }

  Graph& graph_;
  const WeightFormat weights_;
  Entry* entry_ = nullptr;
  int rows_ = 0;

 private:
  int int4_weight(const std::string& name, const std::vector<float>& values, int rows, int cols);
};

}  // namespace edgeformer::converter
