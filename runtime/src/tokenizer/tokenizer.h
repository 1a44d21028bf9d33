#pragma once
// Text <-> token ids with the tokenizer inside the model: SentencePiece-style BPE (llama2.c, LLaMA 1/2), byte-level
// BPE (GPT-2), WordPiece (BERT) and SentencePiece unigram (Marian). tokenize() validates the UTF-8, cuts out the
// added (special) tokens, and hands each stretch of text between them to the model's kind.
#include <string>
#include <vector>

#include "edgeformer/edgeformer.hpp"
#include "tokenizer/tokenizer_tables.h"

namespace edgeformer {

// add_bos: BOS first for the BPE kinds; [CLS] ... [SEP] around the text for WordPiece; EOS after the text (and no
// BOS) for a translation model's source (append_eos).
Status tokenize(const TokenizerTables& tokenizer, const std::string& text, bool add_bos, std::vector<int32_t>* ids);

// Bytes [begin, end) of a text.
struct TextSpan {
  size_t begin, end;
};
// tokenize() without BOS, where no control token (an added token flagged special) is matched inside the `plain`
// spans (in order, apart): a laid-out chat, whose messages' own text stays text.
Status tokenize_with_plain_spans(const TokenizerTables& tokenizer, const std::string& text,
                                 const std::vector<TextSpan>& plain, std::vector<int32_t>* ids);
Status detokenize(const TokenizerTables& tokenizer, int32_t previous, int32_t id, std::string* text);

// Unicode's White_Space property: \s of the GPT-2 pattern, and BERT's whitespace.
inline bool is_white_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

// A stretch of the text: an added token (id >= 0, with any whitespace its flags take) or text for the model's kind
// (id -1).
struct TextSegment {
  size_t begin, end;
  int32_t id;
};
// Cuts the added tokens out of valid UTF-8 text, as Hugging Face's AddedVocabulary does (added_tokens.cc), except
// that no control token starts or ends in the `plain` spans (null: none): appends segments that cover the text. Normalized tokens are matched in the text itself, which is what the kinds'
// normalizers give for the text they see in practice (byte-level BPE has none).
void split_added_tokens(const TokenizerTables& t, const std::string& text, const std::vector<TextSpan>* plain,
                        std::vector<TextSegment>* segments);

// The kinds, each on valid UTF-8 without added tokens; `at_start` says whether the stretch begins the text.
Status encode_sentencepiece_bpe(const TokenizerTables& t, const std::string& text, bool at_start,
                                std::vector<int32_t>* ids);
void encode_byte_level_bpe(const TokenizerTables& t, const std::string& text, std::vector<int32_t>* ids);
void encode_wordpiece(const TokenizerTables& t, const std::string& text, std::vector<int32_t>* ids);
Status encode_sentencepiece_unigram(const TokenizerTables& t, const std::string& text, std::vector<int32_t>* ids);

}  // namespace edgeformer
