// Byte-level BPE (GPT-2): the GPT-2 pre-tokenizer cuts the text into words, and each word's UTF-8 bytes start as
// single-byte pieces that ranked merges join (the lowest rank first, the leftmost of equal ranks).
//
// The split is the GPT-2 pattern
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// written out as a scanner over code points, so that the device needs no regex engine.
#include <vector>

#include "bpe_merge.h"
#include "tokenizer.h"
#include "unicode_tables.h"
#include "utf8.h"

namespace edgeformer {

namespace {

enum class CharClass { kLetter, kNumber, kSpace, kOther };

CharClass class_of(char32_t c) {
  if (is_white_space(c)) return CharClass::kSpace;
  if (unicode::is_letter(c)) return CharClass::kLetter;
  if (unicode::is_number(c)) return CharClass::kNumber;
  return CharClass::kOther;
}

// Length (in code points) of the contraction 's 't 're 've 'm 'll 'd at cps[i], or 0.
size_t contraction_length(const std::vector<char32_t>& cps, size_t i) {
  if (cps[i] != U'\'' || i + 1 >= cps.size()) return 0;
  const char32_t a = cps[i + 1];
  if (a == U's' || a == U't' || a == U'm' || a == U'd') return 2;
  if (i + 2 < cps.size()) {
    const char32_t b = cps[i + 2];
    if ((a == U'r' && b == U'e') || (a == U'v' && b == U'e') || (a == U'l' && b == U'l')) return 3;
  }
  return 0;
}

// Calls word(begin, end) for each pre-token, as byte offsets into text.
template <typename Word>
void split_gpt2(const std::string& text, Word&& word) {
  std::vector<char32_t> cps;
  std::vector<size_t> offsets;  // byte offset of each code point, and the end
  for (size_t i = 0; i < text.size();) {
    const size_t length = utf8_sequence_length(text, i);
    cps.push_back(decode_utf8(text, i, length));
    offsets.push_back(i);
    i += length;
  }
  offsets.push_back(text.size());
  const size_t n = cps.size();
  std::vector<CharClass> classes(n);
  for (size_t i = 0; i < n; ++i) classes[i] = class_of(cps[i]);
  size_t i = 0;
  while (i < n) {
    size_t end = i;
    if (const size_t contraction = contraction_length(cps, i)) {
      end = i + contraction;
    } else {
      // ' ?X+' for the letter, number and other classes: an optional ASCII space, then a run of one class.
      const size_t start = cps[i] == U' ' && i + 1 < n && classes[i + 1] != CharClass::kSpace ? i + 1 : i;
      const CharClass run = classes[start];
      if (run != CharClass::kSpace) {
        end = start;
        while (end < n && classes[end] == run) ++end;
      } else {
        // A run of spaces keeps its last one for the next word ('\s+(?!\S)'), unless it ends the text or is
        // a single space ('\s+').
        end = i;
        while (end < n && classes[end] == CharClass::kSpace) ++end;
        if (end < n && end - i >= 2) --end;
      }
    }
    word(offsets[i], offsets[end]);
    i = end;
  }
}

}  // namespace

void encode_byte_level_bpe(const TokenizerTables& t, const std::string& text, std::vector<int32_t>* ids) {
  std::vector<int32_t> tokens;
  split_gpt2(text, [&](size_t begin, size_t end) {
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
