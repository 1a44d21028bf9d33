#pragma once
// A model's tokenizer as the tokenizers read it: the pieces in place in the mapped file and the lookup tables built
// once at load (loader/tokenizer_binding.cc). No FlatBuffers, no kernels: text processing stands on its own.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace edgeformer {

// As the file's TokenizerKind (schema/edgeformer.fbs describes each).
enum class TokenizerKind { kNone = 0, kSentencePieceBpe = 1, kByteLevelBpe = 2, kWordPiece = 3, kSentencePieceUnigram = 4 };
// The regex that cuts byte-level BPE text into words (pre_tokenizer.h).
enum class PreTokenizerPattern { kGpt2 = 0, kLlama3 = 1 };

struct TokenizerTables {
  TokenizerKind kind = TokenizerKind::kNone;
  // Each piece's bytes, in place in the mapped file; the SentencePiece kinds' scores, one per piece.
  std::vector<std::string_view> pieces;
  std::vector<float> scores;
  std::unordered_map<std::string, int32_t> piece_ids;
  int32_t bos = -1, eos = -1, unk = -1, byte_base = -1, space = -1;
  // The ids that end generation: eos first, then the file's stop_ids, each once.
  std::vector<int32_t> stop_ids;
  bool add_dummy_prefix = false;
  bool dummy_prefix_per_stretch = false;  // SentencePiece BPE: before every stretch between added tokens
  // Added tokens, cut out before the model's own splitting (tokenizer.cc), with Hugging Face's AddedToken flags.
  struct AddedToken {
    std::string text;
    int32_t id;
    bool lstrip, rstrip, single_word;
    bool special;  // a control token (files without flags: all), never matched in the plain spans of a chat
  };
  // [0]: matched in the whole text first; [1]: the normalized ones, then matched in the text between those. Each by
  // first byte, longest first.
  std::vector<AddedToken> added_by_first_byte[2][256];
  // Byte-level BPE: the piece of each single byte, and the merges by (left << 32 | right).
  struct Merge {
    int32_t rank, merged;
  };
  std::unordered_map<uint64_t, Merge> merges;
  int32_t byte_ids[256] = {};
  PreTokenizerPattern pre_tokenizer = PreTokenizerPattern::kGpt2;
  size_t digit_group = 3;
  // WordPiece.
  bool lowercase = false, strip_accents = false, split_cjk = true;
  std::string continuing_prefix;
  size_t max_word_chars = 100;
  int32_t cls = -1, sep = -1, pad = -1;
  // SentencePiece unigram.
  bool remove_extra_whitespaces = true, append_eos = false;
  // SentencePiece's precompiled character map (checked at load), in place in the mapped file.
  const uint8_t* precompiled_charsmap = nullptr;
  size_t precompiled_charsmap_bytes = 0;
  size_t max_piece_bytes = 0;
  float unknown_score = 0.0f;  // SentencePiece's: the lowest piece score minus 10
};

}  // namespace edgeformer
