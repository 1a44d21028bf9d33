// WordPiece (BERT): the BERT normalizer (drop control characters, whitespace to spaces, spaces around CJK
// ideographs, accents stripped and case folded per the model), the BERT pre-tokenizer (whitespace and punctuation
// splits), then for each word the longest vocabulary prefix first, continuations spelled with the continuing prefix
// ("##"). A word that cannot be covered, or is longer than max_word_chars, becomes the unknown token.
#include <vector>

#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode/unicode_tables.h"
#include "tokenizer/utf8.h"

namespace edgeformer {

namespace {

// Tab, newline and carriage return count as whitespace, every other character of category C* as control.
bool is_bert_control(char32_t c) { return c != U'\t' && c != U'\n' && c != U'\r' && unicode::is_control(c); }

// BERT counts the ASCII symbols ($, +, <, ^, `, |, ~ ...) as punctuation too.
bool is_bert_punctuation(char32_t c) {
  return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126) ||
         unicode::is_punctuation(c);
}

bool is_cjk_ideograph(char32_t c) {
  return (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x20000 && c <= 0x2a6df) ||
         (c >= 0x2a700 && c <= 0x2b73f) || (c >= 0x2b740 && c <= 0x2b81f) || (c >= 0x2b820 && c <= 0x2ceaf) ||
         (c >= 0xf900 && c <= 0xfaff) || (c >= 0x2f800 && c <= 0x2fa1f);
}

// The normalized text as code points, with a space wherever the pre-tokenizer must cut.
std::vector<char32_t> normalize(const TokenizerTables& t, const std::string& text) {
  std::vector<char32_t> out;
  char32_t decomposed[32];
  for (size_t i = 0; i < text.size();) {
    const size_t length = utf8_sequence_length(text, i);
    const char32_t c = decode_utf8(text, i, length);
    i += length;
    if (c == 0 || c == 0xfffd || is_bert_control(c)) continue;
    if (is_white_space(c)) {
      out.push_back(U' ');
      continue;
    }
    if (t.split_cjk && is_cjk_ideograph(c)) {
      out.insert(out.end(), {U' ', c, U' '});
      continue;
    }
    size_t count = 1;
    decomposed[0] = c;
    if (t.strip_accents) count = unicode::decompose_canonical(c, decomposed, sizeof decomposed / sizeof *decomposed);
    for (size_t j = 0; j < count; ++j) {
      if (t.strip_accents && unicode::is_nonspacing_mark(decomposed[j])) continue;
      const char32_t kept = t.lowercase ? unicode::to_lower(decomposed[j]) : decomposed[j];
      if (is_bert_punctuation(kept)) {
        out.insert(out.end(), {U' ', kept, U' '});
      } else {
        out.push_back(kept);
      }
    }
  }
  return out;
}

void encode_word(const TokenizerTables& t, const std::vector<char32_t>& word, std::vector<int32_t>* ids) {
  if (word.size() > t.max_word_chars) {
    ids->push_back(t.unk);
    return;
  }
  std::vector<size_t> offsets;  // byte offset of each code point in `spelled`, and the end
  std::string spelled;
  for (char32_t c : word) {
    offsets.push_back(spelled.size());
    append_utf8(c, &spelled);
  }
  offsets.push_back(spelled.size());
  const size_t before = ids->size();
  std::string candidate;
  for (size_t start = 0; start < word.size();) {
    size_t end = word.size();
    int32_t found = -1;
    for (; end > start; --end) {
      candidate.assign(start > 0 ? t.continuing_prefix : std::string());
      candidate.append(spelled, offsets[start], offsets[end] - offsets[start]);
      const auto piece = t.piece_ids.find(candidate);
      if (piece != t.piece_ids.end()) {
        found = piece->second;
        break;
      }
    }
    if (found < 0) {
      ids->resize(before);
      ids->push_back(t.unk);
      return;
    }
    ids->push_back(found);
    start = end;
  }
}

}  // namespace

void encode_wordpiece(const TokenizerTables& t, const std::string& text, std::vector<int32_t>* ids) {
  const std::vector<char32_t> normalized = normalize(t, text);
  std::vector<char32_t> word;
  for (size_t i = 0; i <= normalized.size(); ++i) {
    if (i == normalized.size() || normalized[i] == U' ') {
      if (!word.empty()) encode_word(t, word, ids);
      word.clear();
    } else {
      word.push_back(normalized[i]);
    }
  }
}

}  // namespace edgeformer
