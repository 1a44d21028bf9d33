#include "tokenizer.h"

#include <cmath>
#include <cstdint>
#include <queue>

namespace edgeformer {

namespace {

// Length of the well-formed UTF-8 sequence (RFC 3629: no overlong forms, surrogates or values above U+10FFFF)
// starting at text[i], or 0 if there is none.
size_t utf8_sequence_length(const std::string& text, size_t i) {
  const auto byte = [&](size_t j) { return static_cast<unsigned char>(text[j]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  size_t length = 0;
  unsigned char second_min = 0x80, second_max = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) second_min = 0xa0;
    if (lead == 0xed) second_max = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) second_min = 0x90;
    if (lead == 0xf4) second_max = 0x8f;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < second_min || byte(i + 1) > second_max) return 0;
  for (size_t j = 2; j < length; ++j)
    if ((byte(i + j) & 0xc0) != 0x80) return 0;
  return length;
}

// The piece that merging tokens a and b would make, or -1.
int32_t merge_of(const TokenizerTables& t, int32_t a, int32_t b, std::string& buffer) {
  buffer.assign(t.def->pieces()->Get(a)->str());
  buffer += t.def->pieces()->Get(b)->str();
  const auto found = t.piece_ids.find(buffer);
  return found == t.piece_ids.end() ? -1 : found->second;
}

// A possible merge of the symbol at `left` with the one after it. The queue may hold merges that an earlier merge
// made stale; they are recognised by the tokens they were made from and skipped.
struct Merge {
  float score;
  size_t left, right;
  int32_t left_token, right_token, merged;
  // The highest score first, and the leftmost of equal scores, as SentencePiece and llama2.c pick them.
  bool operator<(const Merge& other) const {
    return score != other.score ? score < other.score : left > other.left;
  }
};

// Repeatedly merges the adjacent pair whose merged piece scores highest: O(n log n) with a priority queue over a
// linked list of symbols, so that a long hostile prompt cannot make tokenizing quadratic.
void merge_pairs(const TokenizerTables& t, std::vector<int32_t>& tokens) {
  const size_t n = tokens.size();
  if (n < 2) return;
  constexpr size_t kNone = SIZE_MAX;
  std::vector<size_t> next(n), previous(n);
  for (size_t i = 0; i < n; ++i) {
    next[i] = i + 1 < n ? i + 1 : kNone;
    previous[i] = i > 0 ? i - 1 : kNone;
  }
  std::vector<bool> alive(n, true);
  std::priority_queue<Merge> queue;
  std::string buffer;
  const auto consider = [&](size_t left) {
    if (left == kNone || next[left] == kNone) return;
    const size_t right = next[left];
    const int32_t merged = merge_of(t, tokens[left], tokens[right], buffer);
    if (merged >= 0) queue.push({t.def->scores()->Get(merged), left, right, tokens[left], tokens[right], merged});
  };
  for (size_t i = 0; i + 1 < n; ++i) consider(i);
  while (!queue.empty()) {
    const Merge m = queue.top();
    queue.pop();
    if (!alive[m.left] || !alive[m.right] || next[m.left] != m.right || tokens[m.left] != m.left_token ||
        tokens[m.right] != m.right_token)
      continue;
    tokens[m.left] = m.merged;
    alive[m.right] = false;
    next[m.left] = next[m.right];
    if (next[m.left] != kNone) previous[next[m.left]] = m.left;
    consider(previous[m.left]);
    consider(m.left);
  }
  size_t kept = 0;
  for (size_t i = 0; i < n; ++i)
    if (alive[i]) tokens[kept++] = tokens[i];
  tokens.resize(kept);
}

}  // namespace

Status tokenize(const TokenizerTables& t, const std::string& text, bool add_bos, std::vector<int32_t>* ids) {
  if (t.kind == schema::TokenizerKind::None) return Status(StatusCode::kUnsupported, "this model has no tokenizer");
  if (ids == nullptr) return Status(StatusCode::kInvalidArgument, "ids is null");
  // Invalid UTF-8 is refused rather than passed through byte fallback: it means the caller cut a character in two
  // or used another encoding, and the model would see text it was never trained on.
  for (size_t i = 0; i < text.size();) {
    const size_t length = utf8_sequence_length(text, i);
    if (length == 0)
      return Status(StatusCode::kInvalidArgument, "the text is not valid UTF-8 (byte " + std::to_string(i) + ")");
    i += length;
  }
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
  merge_pairs(t, tokens);
  if (add_bos && t.bos >= 0) ids->push_back(t.bos);
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
