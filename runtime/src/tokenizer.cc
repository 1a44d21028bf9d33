#include "tokenizer.h"

#include <cmath>

namespace edgeformer {

namespace {

// Length of the UTF-8 sequence starting at text[i], or 1 for a byte that does not start a valid one (such bytes
// are then encoded one by one through byte fallback).
size_t utf8_sequence_length(const std::string& text, size_t i) {
  const auto byte = [&](size_t j) { return static_cast<unsigned char>(text[j]); };
  const unsigned char lead = byte(i);
  size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xe ? 3 : (lead >> 3) == 0x1e ? 4 : 0;
  if (length == 0 || i + length > text.size()) return 1;
  for (size_t j = 1; j < length; ++j)
    if ((byte(i + j) & 0xc0) != 0x80) return 1;
  return length;
}

// The piece that merging tokens a and b would make, or -1.
int32_t merge_of(const TokenizerTables& t, int32_t a, int32_t b, std::string& buffer) {
  buffer.assign(t.def->pieces()->Get(a)->str());
  buffer += t.def->pieces()->Get(b)->str();
  const auto found = t.piece_ids.find(buffer);
  return found == t.piece_ids.end() ? -1 : found->second;
}

}  // namespace

Status tokenize(const TokenizerTables& t, const std::string& text, bool add_bos, std::vector<int32_t>* ids) {
  if (t.kind == schema::TokenizerKind::None) return Status(StatusCode::kUnsupported, "this model has no tokenizer");
  if (ids == nullptr) return Status(StatusCode::kInvalidArgument, "ids is null");
  if (add_bos && t.bos >= 0) ids->push_back(t.bos);
  std::vector<int32_t> tokens;
  if (t.add_dummy_prefix && !text.empty() && t.space >= 0) tokens.push_back(t.space);
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

  // merges[i] is the piece that tokens[i] and tokens[i + 1] would make; only a merge's neighbours change.
  const auto* scores = t.def->scores();
  std::string buffer;
  std::vector<int32_t> merges(tokens.size() > 1 ? tokens.size() - 1 : 0);
  for (size_t i = 0; i < merges.size(); ++i) merges[i] = merge_of(t, tokens[i], tokens[i + 1], buffer);
  while (!merges.empty()) {
    float best_score = -INFINITY;
    size_t best = merges.size();
    for (size_t i = 0; i < merges.size(); ++i)
      if (merges[i] >= 0 && scores->Get(merges[i]) > best_score) {
        best_score = scores->Get(merges[i]);
        best = i;
      }
    if (best == merges.size()) break;
    tokens[best] = merges[best];
    tokens.erase(tokens.begin() + static_cast<std::ptrdiff_t>(best) + 1);
    merges.erase(merges.begin() + static_cast<std::ptrdiff_t>(best));
    if (best > 0) merges[best - 1] = merge_of(t, tokens[best - 1], tokens[best], buffer);
    if (best < merges.size()) merges[best] = merge_of(t, tokens[best], tokens[best + 1], buffer);
  }
  ids->insert(ids->end(), tokens.begin(), tokens.end());
  return Status();
}

Status detokenize(const TokenizerTables& t, int32_t previous, int32_t id, std::string* text) {
  if (t.kind == schema::TokenizerKind::None) return Status(StatusCode::kUnsupported, "this model has no tokenizer");
  if (text == nullptr) return Status(StatusCode::kInvalidArgument, "text is null");
  const int32_t count = static_cast<int32_t>(t.def->pieces()->size());
  if (id < 0 || id >= count)
    return Status(StatusCode::kOutOfRange, "token id " + std::to_string(id) + " is outside the vocabulary [0, " +
                                               std::to_string(count) + ")");
  text->clear();
  if (id == t.bos || id == t.eos) return Status();
  if (t.byte_base >= 0 && id >= t.byte_base && id < t.byte_base + 256) {
    text->push_back(static_cast<char>(id - t.byte_base));
    return Status();
  }
  *text = t.def->pieces()->Get(id)->str();
  // The space that add_dummy_prefix put before the first word is not part of the text.
  if (t.add_dummy_prefix && previous == t.bos && !text->empty() && (*text)[0] == ' ') text->erase(0, 1);
  return Status();
}

}  // namespace edgeformer
