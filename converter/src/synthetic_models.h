#pragma once
// Random-weight GPT-2 and BERT checkpoints of any shape, as synthetic_llama makes LLaMA ones, to measure realistic
// sizes without a download:
//   edgeformer-convert --synthetic gpt2:dim=768,layers=12,heads=12,ffn=3072,vocab=50257,context=1024
//   edgeformer-convert --synthetic bert:dim=384,layers=6,heads=12,ffn=1536,vocab=30522,context=512[,labels=N]
#include <string>

#include "bert_checkpoint.h"
#include "gpt2_checkpoint.h"

namespace edgeformer::converter {

Gpt2Checkpoint synthetic_gpt2(const std::string& spec);
// Without `labels`, a sentence embedder (mean pooling, L2 normalization); with labels=N, a sequence classifier.
BertCheckpoint synthetic_bert(const std::string& spec);

}  // namespace edgeformer::converter
