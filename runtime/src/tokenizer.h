#pragma once
// SentencePiece-style BPE (llama2.c / LLaMA 1-2): text -> code points -> pieces, then repeatedly merge the adjacent
// pair whose merged piece scores highest; characters without a piece fall back to <0xXX> byte pieces.
#include <string>
#include <vector>

#include "edgeformer/edgeformer.hpp"
#include "model_impl.h"

namespace edgeformer {

Status tokenize(const TokenizerTables& tokenizer, const std::string& text, bool add_bos, std::vector<int32_t>* ids);
Status detokenize(const TokenizerTables& tokenizer, int32_t previous, int32_t id, std::string* text);

}  // namespace edgeformer
