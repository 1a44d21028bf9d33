// Byte-level BPE (GPT-2, LLaMA-3): the model's pre-tokenizer pattern cuts the text into words, and each word's
// UTF-8 bytes start as single-byte pieces that ranked merges join (the lowest rank first, the leftmost of equal
// ranks).
#include <vector>

#include "tokenizer/bpe_merge.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/tokenizer.h"

namespace edgeformer {

void encode_byte_level_bpe(const TokenizerTables& t, const std::string& text, std::vector<int32_t>* ids) {
  std::vector<int32_t> tokens;
  split_pre_tokens(t.pre_tokenizer, t.digit_group, text, [&](size_t begin, size_t end) {
    tokens.clear();
    for (size_t i = begin; i < end; ++i) tokens.push_back(t.byte_ids[static_cast<unsigned char>(text[i])]);
    merge_pairs<int64_t>(tokens, [&](int32_t a, int32_t b, int64_t* priority, int32_t* merged) {
      const auto found = t.merges.find(static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32 | static_cast<uint32_t>(b));
      if (found == t.merges.end()) return false;
      *priority = -static_cast<int64_t>(found->second.rank);
      *merged = found->second.merged;
      return true;
    });
    ids->insert(ids->end(), tokens.begin(), tokens.end());
  });
}

}  // namespace edgeformer
