// The tokenizer's lookup tables, built once from the file: pieces, added tokens, merges, byte pieces, and the
// checks that make every id they hold valid.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "loader/binding.h"

namespace edgeformer {

namespace {

// Byte-level BPE: every single byte must be a piece, and every merge must name pieces whose bytes, joined, are one.
Status bind_byte_level_bpe(const schema::Tokenizer* def, TokenizerTables* tok) {
  if (def->pre_tokenizer() != schema::PreTokenizerPattern::Gpt2 &&
      def->pre_tokenizer() != schema::PreTokenizerPattern::Llama3)
    return invalid("tokenizer: unknown pre-tokenizer pattern");
  if (def->digit_group() < 1 || def->digit_group() > 3)
    return invalid("tokenizer: digit_group must be 1..3, got " + std::to_string(def->digit_group()));
  tok->pre_tokenizer = static_cast<PreTokenizerPattern>(def->pre_tokenizer());
  tok->digit_group = static_cast<size_t>(def->digit_group());
  for (int byte = 0; byte < 256; ++byte) {
    const auto found = tok->piece_ids.find(std::string(1, static_cast<char>(byte)));
    if (found == tok->piece_ids.end())
      return invalid("tokenizer: byte-level BPE has no piece for byte " + std::to_string(byte));
    tok->byte_ids[byte] = found->second;
  }
  const auto* left = def->merge_left();
  const auto* right = def->merge_right();
  if (left == nullptr || right == nullptr || left->size() != right->size())
    return invalid("tokenizer: byte-level BPE merges must be two lists of equal length");
  const int32_t count = static_cast<int32_t>(def->pieces()->size());
  tok->merges.reserve(left->size());
  for (flatbuffers::uoffset_t rank = 0; rank < left->size(); ++rank) {
    const int32_t a = left->Get(rank), b = right->Get(rank);
    if (a < 0 || a >= count || b < 0 || b >= count)
      return invalid("tokenizer: merge " + std::to_string(rank) + " names a piece out of range");
    const auto merged = tok->piece_ids.find(def->pieces()->Get(a)->str() + def->pieces()->Get(b)->str());
    if (merged == tok->piece_ids.end())
      return invalid("tokenizer: merge " + std::to_string(rank) + " makes a piece that is not in the vocabulary");
    // The first (lowest) rank of a pair wins, as in the tokenizer.json it came from.
    tok->merges.emplace(static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32 | static_cast<uint32_t>(b),
                        TokenizerTables::Merge{static_cast<int32_t>(rank), merged->second});
  }
  return Status();
}

Status bind_sentencepiece_unigram(const schema::Tokenizer* def, TokenizerTables* tok) {
  if (const auto* blob = def->precompiled_charsmap(); blob != nullptr && blob->size() > 0) {
    uint32_t trie_bytes = 0;
    if (blob->size() >= 4) std::memcpy(&trie_bytes, blob->data(), 4);
    if (blob->size() < 4 || trie_bytes % 4 != 0 || trie_bytes > blob->size() - 4)
      return invalid("tokenizer: the precompiled character map is malformed");
    tok->precompiled_charsmap = blob->data();
    tok->precompiled_charsmap_bytes = blob->size();
  }
  float lowest = std::numeric_limits<float>::infinity();
  for (int32_t id = 0; id < static_cast<int32_t>(def->pieces()->size()); ++id) {
    const float score = def->scores()->Get(id);
    if (std::isinf(score) && score > 0) return invalid("tokenizer: piece " + std::to_string(id) + " scores +infinity");
    if (score == -std::numeric_limits<float>::infinity()) continue;
    lowest = std::min(lowest, score);
    tok->max_piece_bytes = std::max<size_t>(tok->max_piece_bytes, def->pieces()->Get(id)->size());
  }
  if (tok->max_piece_bytes == 0) return invalid("tokenizer: no piece that text can encode to");
  tok->unknown_score = lowest - 10.0f;
  tok->remove_extra_whitespaces = def->remove_extra_whitespaces();
  tok->append_eos = def->append_eos();
  return Status();
}

// eos, then the file's stop ids (absent before they existed), each once and inside [0, count).
Status bind_stop_ids(const schema::Tokenizer* def, int32_t count, TokenizerTables* tok) {
  if (tok->eos >= 0) tok->stop_ids.push_back(tok->eos);
  if (const auto* stops = def->stop_ids()) {
    for (int32_t id : *stops) {
      if (id < 0 || id >= count) return invalid("tokenizer: stop id " + std::to_string(id) + " out of range");
      if (std::find(tok->stop_ids.begin(), tok->stop_ids.end(), id) == tok->stop_ids.end()) tok->stop_ids.push_back(id);
    }
  }
  return Status();
}

Status bind_added_tokens(const schema::Tokenizer* def, int32_t count, TokenizerTables* tok) {
  const auto* specials = def->special_ids();
  if (specials == nullptr) return Status();
  const auto* flags = def->special_flags();
  if (flags != nullptr && flags->size() != specials->size())
    return invalid("tokenizer: special_flags must have one entry per special id");
  for (flatbuffers::uoffset_t i = 0; i < specials->size(); ++i) {
    const int32_t id = specials->Get(i);
    if (id < 0 || id >= count) return invalid("tokenizer: added token id out of range");
    std::string text = def->pieces()->Get(id)->str();
    if (text.empty()) return invalid("tokenizer: added token " + std::to_string(id) + " is empty");
    using Flags = schema::AddedTokenFlags;
    const Flags f = flags ? flags->Get(i) : Flags::NONE;
    const auto has = [f](Flags flag) { return (f & flag) != Flags::NONE; };
    const int pass = has(Flags::Normalized) ? 1 : 0;
    const unsigned char first = static_cast<unsigned char>(text[0]);
    tok->added_by_first_byte[pass][first].push_back(
        {std::move(text), id, has(Flags::Lstrip), has(Flags::Rstrip), has(Flags::SingleWord),
         flags == nullptr || has(Flags::Special)});
  }
  for (auto& pass : tok->added_by_first_byte)
    for (auto& bucket : pass)
      std::stable_sort(bucket.begin(), bucket.end(),
                       [](const auto& a, const auto& b) { return a.text.size() > b.text.size(); });
  return Status();
}

}  // namespace

Status bind_tokenizer(const schema::Model& m, TokenizerTables* tok) {
  const schema::Tokenizer* def = m.tokenizer();
  if (def == nullptr) return Status();
  if (def->kind() == schema::TokenizerKind::None) {
    // No pieces, but the special ids generation needs.
    const int32_t vocab = m.metadata()->vocab_size();
    for (int32_t id : {def->bos_id(), def->eos_id(), def->pad_id()})
      if (id < -1 || id >= vocab) return invalid("tokenizer: special token id out of range");
    tok->bos = def->bos_id();
    tok->eos = def->eos_id();
    tok->pad = def->pad_id();
    return bind_stop_ids(def, vocab, tok);
  }
  const schema::TokenizerKind kind = def->kind();
  if (kind != schema::TokenizerKind::SentencePieceBpe && kind != schema::TokenizerKind::ByteLevelBpe &&
      kind != schema::TokenizerKind::WordPiece && kind != schema::TokenizerKind::SentencePieceUnigram)
    return invalid("tokenizer: unknown kind");
  if (!def->pieces() || def->pieces()->size() == 0) return invalid("tokenizer: no pieces");
  const bool sentencepiece =
      kind == schema::TokenizerKind::SentencePieceBpe || kind == schema::TokenizerKind::SentencePieceUnigram;
  if (sentencepiece && (!def->scores() || def->pieces()->size() != def->scores()->size()))
    return invalid("tokenizer: pieces and scores must be non-empty and of equal length");
  const int32_t count = static_cast<int32_t>(def->pieces()->size());
  auto id_ok = [&](int32_t id) { return id >= -1 && id < count; };
  if (!id_ok(def->bos_id()) || !id_ok(def->eos_id()) || !id_ok(def->unk_id()) || !id_ok(def->cls_id()) ||
      !id_ok(def->sep_id()) || !id_ok(def->pad_id()))
    return invalid("tokenizer: special token id out of range");
  if (def->byte_fallback_base() != -1 &&
      (def->byte_fallback_base() < 0 || def->byte_fallback_base() > count - 256))
    return invalid("tokenizer: byte fallback pieces out of range");
  tok->kind = static_cast<TokenizerKind>(kind);
  tok->bos = def->bos_id();
  tok->eos = def->eos_id();
  tok->unk = def->unk_id();
  tok->cls = def->cls_id();
  tok->sep = def->sep_id();
  tok->pad = def->pad_id();
  tok->byte_base = def->byte_fallback_base();
  tok->add_dummy_prefix = def->add_dummy_prefix();
  tok->dummy_prefix_per_stretch = def->dummy_prefix_per_stretch();
  tok->piece_ids.reserve(static_cast<size_t>(count));
  tok->pieces.reserve(static_cast<size_t>(count));
  for (int32_t id = 0; id < count; ++id) {
    const flatbuffers::String* piece = def->pieces()->Get(id);
    if (piece == nullptr) return invalid("tokenizer: piece " + std::to_string(id) + " is missing");
    // Merges are ordered by score: a NaN would break that order (-inf is fine: "never a merge result").
    if (sentencepiece && std::isnan(def->scores()->Get(id)))
      return invalid("tokenizer: piece " + std::to_string(id) + " has a NaN score");
    tok->piece_ids.emplace(piece->str(), id);  // first id wins for duplicate pieces
    tok->pieces.emplace_back(piece->c_str(), piece->size());
  }
  if (sentencepiece) tok->scores.assign(def->scores()->begin(), def->scores()->end());
  const auto space = tok->piece_ids.find(" ");
  tok->space = space == tok->piece_ids.end() ? -1 : space->second;
  if (Status s = bind_stop_ids(def, count, tok); !s.ok()) return s;
  if (Status s = bind_added_tokens(def, count, tok); !s.ok()) return s;
  if (kind == schema::TokenizerKind::ByteLevelBpe) return bind_byte_level_bpe(def, tok);
  if (kind == schema::TokenizerKind::SentencePieceUnigram) return bind_sentencepiece_unigram(def, tok);
  if (kind == schema::TokenizerKind::WordPiece) {
    if (tok->unk < 0) return invalid("tokenizer: WordPiece needs an unknown token");
    if (def->max_word_chars() < 1) return invalid("tokenizer: WordPiece max_word_chars must be positive");
    tok->lowercase = def->lowercase();
    tok->strip_accents = def->strip_accents();
    tok->split_cjk = def->split_cjk();
    tok->continuing_prefix = def->continuing_prefix() ? def->continuing_prefix()->str() : std::string();
    tok->max_word_chars = static_cast<size_t>(def->max_word_chars());
  }
  return Status();
}

}  // namespace edgeformer
