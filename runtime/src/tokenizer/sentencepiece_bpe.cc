// SentencePiece-style BPE (llama2.c / LLaMA 1-2): text -> code points -> pieces, then repeatedly merge the adjacent
// pair whose merged piece scores highest; characters without a piece fall back to <0xXX> byte pieces.
#include "tokenizer/bpe_merge.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace edgeformer {

Status encode_sentencepiece_bpe(const TokenizerTables& t, const std::string& text, bool at_start,
                                std::vector<int32_t>* ids) {
  std::vector<int32_t> tokens;
  if (t.add_dummy_prefix && at_start && !text.empty() && t.space >= 0) tokens.push_back(t.space);
  for (size_t i = 0; i < text.size();) {
    const size_t length = utf8_sequence_length(text, i);
    const auto found = t.piece_ids.find(text.substr(i, length));
    if (found != t.piece_ids.end()) {
      tokens.push_back(found->second);
    } else {
      for (size_t j = 0; j < length; ++j) {
        if (t.byte_base >= 0)
          tokens.push_back(t.byte_base + static_cast<unsigned char>(text[i + j]));
        else if (t.unk >= 0)
          tokens.push_back(t.unk);
        else
          return Status(StatusCode::kInvalidArgument, "the text has a character the tokenizer cannot represent");
      }
    }
    i += length;
  }
  std::string buffer;
  // The highest score first, and the leftmost of equal scores, as SentencePiece and llama2.c pick them.
  merge_pairs<float>(tokens, [&](int32_t a, int32_t b, float* score, int32_t* merged) {
    buffer.assign(t.pieces[a]);
    buffer += t.pieces[b];
    const auto found = t.piece_ids.find(buffer);
    if (found == t.piece_ids.end()) return false;
    *merged = found->second;
    *score = t.scores[found->second];
    return true;
  });
  ids->insert(ids->end(), tokens.begin(), tokens.end());
  return Status();
}

}  // namespace edgeformer
