#pragma once
// A model family as edgeformer-convert sees it: the model_type it answers to, and the steps from its checkpoint to
// a Graph. Each family makes its record in its own folder (families/<name>/<name>_family.cc, with make_family);
// family_table.cc holds the one list of them.
#include <any>
#include <functional>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "graph/graph_options.h"

namespace edgeformer::converter {

// A checkpoint of whichever family read or made it; only that family's steps look inside.
using AnyCheckpoint = std::any;

// Where a checkpoint keeps its tokenizer, so that --tokenizer replaces it the same way in every family.
struct TokenizerSlot {
  TokenizerData& tokenizer;
  std::string& note;  // why the checkpoint has no tokenizer; printed when none replaces it
  int vocab_size;     // the ids of a replacement must fit
};

struct ModelFamily {
  std::string model_type;  // config.json's model_type, also the architecture of a --synthetic spec
  std::function<AnyCheckpoint(const std::string& folder)> read_folder;  // a Hugging Face folder
  // A single-file checkpoint and the --tokenizer path (llama2.c); empty for families without one.
  std::function<AnyCheckpoint(const std::string& path, const std::string& tokenizer)> read_file;
  // Random weights of a --synthetic spec's shape; empty for families without synthetic checkpoints.
  std::function<AnyCheckpoint(const std::string& spec)> synthetic;
  std::function<TokenizerSlot(AnyCheckpoint& checkpoint)> tokenizer_slot;
  std::function<Graph(const AnyCheckpoint& checkpoint, const GraphOptions& options)> build_graph;
  // The summary line's shape, e.g. "gpt2: dim 768, inner 3072, ...", from the checkpoint and its graph.
  std::function<std::string(const AnyCheckpoint& checkpoint, const Graph& graph)> describe;
  // A --synthetic spec of a realistic shape, for the usage text; empty for families without synthetic checkpoints.
  std::string synthetic_example;
};

// A family's record from functions on its own checkpoint type, which keeps its tokenizer in `tokenizer`,
// `tokenizer_note` and `config.vocab_size`. `read_file` and `synthetic` may be null (`synthetic_example` empty).
template <typename Checkpoint>
ModelFamily make_family(std::string model_type, Checkpoint (*read_folder)(const std::string&),
                        Checkpoint (*read_file)(const std::string&, const std::string&),
                        Checkpoint (*synthetic)(const std::string&), std::string synthetic_example,
                        Graph (*build_graph)(const Checkpoint&, const GraphOptions&),
                        std::string (*describe)(const Checkpoint&, const Graph&)) {
  ModelFamily family;
  family.model_type = std::move(model_type);
  family.synthetic_example = std::move(synthetic_example);
  family.read_folder = [read_folder](const std::string& folder) { return AnyCheckpoint(read_folder(folder)); };
  if (read_file != nullptr)
    family.read_file = [read_file](const std::string& path, const std::string& tokenizer) {
      return AnyCheckpoint(read_file(path, tokenizer));
    };
  if (synthetic != nullptr)
    family.synthetic = [synthetic](const std::string& spec) { return AnyCheckpoint(synthetic(spec)); };
  family.tokenizer_slot = [](AnyCheckpoint& checkpoint) {
    Checkpoint& c = std::any_cast<Checkpoint&>(checkpoint);
    return TokenizerSlot{c.tokenizer, c.tokenizer_note, c.config.vocab_size};
  };
  family.build_graph = [build_graph](const AnyCheckpoint& checkpoint, const GraphOptions& options) {
    return build_graph(std::any_cast<const Checkpoint&>(checkpoint), options);
  };
  family.describe = [describe](const AnyCheckpoint& checkpoint, const Graph& graph) {
    return describe(std::any_cast<const Checkpoint&>(checkpoint), graph);
  };
  return family;
}

// Every family, in the order messages list them; the first is the default (see default_family).
const std::vector<ModelFamily>& model_families();

// The family answering to `model_type`, or null.
const ModelFamily* find_family(const std::string& model_type);

// The family of an input that is not a folder: llama, whose read_file takes llama2.c checkpoints.
const ModelFamily& default_family();

}  // namespace edgeformer::converter
