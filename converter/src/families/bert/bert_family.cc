// The bert family: Hugging Face BertModel / BertForSequenceClassification folders, sentence-transformers folders
// around a BertModel, and --synthetic bert:...
#include "families/bert/bert_graph.h"
#include "families/bert/synthetic_bert.h"
#include "families/family.h"

namespace edgeformer::converter {

namespace {

// The sequence is the graph's: the longest the user, sentence-transformers or the positions allow.
std::string describe_bert(const BertCheckpoint& checkpoint, const Graph& graph) {
  const BertConfig& c = checkpoint.config;
  std::string shape = "bert: dim " + std::to_string(c.dim) + ", inner " + std::to_string(c.inner) + ", layers " +
                      std::to_string(c.layers) + ", heads " + std::to_string(c.heads) + ", sequence " +
                      std::to_string(graph.max_context) + ", vocab " + std::to_string(c.vocab_size);
  if (!checkpoint.labels.empty()) shape += ", " + std::to_string(checkpoint.labels.size()) + " labels";
  return shape;
}

}  // namespace

ModelFamily bert_family() {
  return make_family<BertCheckpoint>("bert", read_hf_bert, nullptr, synthetic_bert,
                                     "bert:dim=384,layers=6,heads=12,ffn=1536,vocab=30522,context=512[,labels=2]",
                                     build_bert_graph, describe_bert);
}

}  // namespace edgeformer::converter
