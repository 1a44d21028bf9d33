#include "tokenizer/pre_tokenizer.h"

#include <vector>

#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode/unicode_tables.h"
#include "tokenizer/utf8.h"

namespace edgeformer {

namespace {

enum class CharClass { kLetter, kNumber, kSpace, kOther };

CharClass class_of(char32_t c) {
  if (is_white_space(c)) return CharClass::kSpace;
  if (unicode::is_letter(c)) return CharClass::kLetter;
  if (unicode::is_number(c)) return CharClass::kNumber;
  return CharClass::kOther;
}

char32_t lower_ascii(char32_t c) { return c >= U'A' && c <= U'Z' ? c + 32 : c; }

// Length (in code points) of the contraction 's 't 're 've 'm 'll 'd at cps[i] (any case if `any_case`), or 0.
size_t contraction_length(const std::vector<char32_t>& cps, size_t i, bool any_case) {
  if (cps[i] != U'\'' || i + 1 >= cps.size()) return 0;
  const auto fold = [&](char32_t c) { return any_case ? lower_ascii(c) : c; };
  const char32_t a = fold(cps[i + 1]);
  if (a == U's' || a == U't' || a == U'm' || a == U'd') return 2;
  if (i + 2 < cps.size()) {
    const char32_t b = fold(cps[i + 2]);
    if ((a == U'r' && b == U'e') || (a == U'v' && b == U'e') || (a == U'l' && b == U'l')) return 3;
  }
  return 0;
}

bool is_line_break(char32_t c) { return c == U'\r' || c == U'\n'; }

struct CodePoints {
  std::vector<char32_t> cps;
  std::vector<size_t> offsets;  // byte offset of each code point, and the end
  std::vector<CharClass> classes;

  explicit CodePoints(const std::string& text) {
    for (size_t i = 0; i < text.size();) {
      const size_t length = utf8_sequence_length(text, i);
      cps.push_back(decode_utf8(text, i, length));
      offsets.push_back(i);
      i += length;
    }
    offsets.push_back(text.size());
    for (char32_t c : cps) classes.push_back(class_of(c));
  }
  size_t size() const { return cps.size(); }
};

// '\s+(?!\S)|\s+' from i: a run of spaces keeps its last one for the next word, unless it ends the text or is a
// single space.
size_t space_run(const CodePoints& p, size_t i) {
  size_t end = i;
  while (end < p.size() && p.classes[end] == CharClass::kSpace) ++end;
  if (end < p.size() && end - i >= 2) --end;
  return end;
}

size_t run_of(const CodePoints& p, size_t start, CharClass c) {
  size_t end = start;
  while (end < p.size() && p.classes[end] == c) ++end;
  return end;
}

size_t next_gpt2(const CodePoints& p, size_t i) {
  if (const size_t contraction = contraction_length(p.cps, i, false)) return i + contraction;
  // ' ?X+' for the letter, number and other classes: an optional ASCII space, then a run of one class.
  const size_t start = p.cps[i] == U' ' && i + 1 < p.size() && p.classes[i + 1] != CharClass::kSpace ? i + 1 : i;
  const CharClass run = p.classes[start];
  return run != CharClass::kSpace ? run_of(p, start, run) : space_run(p, i);
}

// The alternatives in order, the first that matches wins (a regex alternation).
size_t next_llama3(const CodePoints& p, size_t i, size_t digit_group) {
  const size_t n = p.size();
  if (const size_t contraction = contraction_length(p.cps, i, true)) return i + contraction;
  // [^\r\n\p{L}\p{N}]?\p{L}+
  const CharClass c = p.classes[i];
  if (c == CharClass::kLetter) return run_of(p, i, CharClass::kLetter);
  const bool prefix = c != CharClass::kNumber && !is_line_break(p.cps[i]);
  if (prefix && i + 1 < n && p.classes[i + 1] == CharClass::kLetter) return run_of(p, i + 1, CharClass::kLetter);
  // \p{N}{1,D}
  if (c == CharClass::kNumber) {
    size_t end = i;
    while (end < n && end - i < digit_group && p.classes[end] == CharClass::kNumber) ++end;
    return end;
  }
  // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
  const size_t start = p.cps[i] == U' ' && i + 1 < n && p.classes[i + 1] == CharClass::kOther ? i + 1 : i;
  if (p.classes[start] == CharClass::kOther) {
    size_t end = run_of(p, start, CharClass::kOther);
    while (end < n && is_line_break(p.cps[end])) ++end;
    return end;
  }
  // '\s*[\r\n]+': the whitespace run up to its last line break.
  size_t run_end = run_of(p, i, CharClass::kSpace), last_break = n;
  for (size_t j = i; j < run_end; ++j)
    if (is_line_break(p.cps[j])) last_break = j;
  if (last_break != n) return last_break + 1;
  return space_run(p, i);
}

}  // namespace

void split_pre_tokens(PreTokenizerPattern pattern, size_t digit_group, const std::string& text,
                      const std::function<void(size_t begin, size_t end)>& word) {
  const CodePoints p(text);
  for (size_t i = 0; i < p.size();) {
    const size_t end =
        pattern == PreTokenizerPattern::kLlama3 ? next_llama3(p, i, digit_group) : next_gpt2(p, i);
    word(p.offsets[i], p.offsets[end]);
    i = end;
  }
}

}  // namespace edgeformer
