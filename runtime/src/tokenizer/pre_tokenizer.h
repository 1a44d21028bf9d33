#pragma once
// The regex pre-tokenizers of byte-level BPE, written out as scanners over code points so that the device needs no
// regex engine. Each calls word(begin, end) for each piece of the text, as byte offsets, in order.
//
// GPT-2:   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// LLaMA-3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,D}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|
//          \s+(?!\S)|\s+
//          with D = 3 (LLaMA-3) or 1 (Qwen2's \p{N}).
#include <cstddef>
#include <functional>
#include <string>

#include "tokenizer/tokenizer_tables.h"

namespace edgeformer {

void split_pre_tokens(PreTokenizerPattern pattern, size_t digit_group, const std::string& text,
                      const std::function<void(size_t begin, size_t end)>& word);

}  // namespace edgeformer
