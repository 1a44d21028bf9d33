#pragma once
// Random-weight BERT checkpoints of any shape, to measure realistic sizes without a download:
//   edgeformer-convert --synthetic bert:dim=384,layers=6,heads=12,ffn=1536,vocab=30522,context=512[,labels=N]
#include <string>

#include "families/bert/bert_checkpoint.h"

namespace edgeformer::converter {

// `spec` is "bert:key=value,..." with keys dim, layers, heads, ffn, vocab, context, labels, seed. Without `labels`, a
// sentence embedder (mean pooling, L2 normalization); with labels=N, a sequence classifier.
BertCheckpoint synthetic_bert(const std::string& spec);

}  // namespace edgeformer::converter
