#pragma once
// Random-weight GPT-2 checkpoints of any shape, to measure realistic sizes without a download:
//   edgeformer-convert --synthetic gpt2:dim=768,layers=12,heads=12,ffn=3072,vocab=50257,context=1024
#include <string>

#include "families/gpt2/gpt2_checkpoint.h"

namespace edgeformer::converter {

// `spec` is "gpt2:key=value,..." with keys dim, layers, heads, ffn, vocab, context, seed.
Gpt2Checkpoint synthetic_gpt2(const std::string& spec);

}  // namespace edgeformer::converter
