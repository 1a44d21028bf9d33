// Added tokens cut out of the text as Hugging Face tokenizers' AddedVocabulary cuts them: the leftmost-longest
// matches, which never overlap (a match single_word discards still hides the text it covers), the non-normalized
// tokens over the whole text first, then the normalized ones in each stretch between those.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode/unicode_tables.h"
#include "tokenizer/utf8.h"

namespace edgeformer {

namespace {

using AddedToken = TokenizerTables::AddedToken;

// The regex \w that single_word tests the neighbours with: letters, marks, numbers, connector punctuation
// (Pc: _ and its kin) and the joiners.
bool is_word_character(char32_t c) {
  if (unicode::is_letter(c) || unicode::is_number(c) || unicode::is_nonspacing_mark(c)) return true;
  return c == '_' || c == 0x200c || c == 0x200d || c == 0x203f || c == 0x2040 || c == 0x2054 || c == 0xfe33 ||
         c == 0xfe34 || (c >= 0xfe4d && c <= 0xfe4f) || c == 0xff3f;
}

// The first byte of the code point that ends at text[end - 1] (the text is valid UTF-8).
size_t code_point_start(const std::string& text, size_t end) {
  size_t i = end - 1;
  while (i > 0 && (static_cast<unsigned char>(text[i]) & 0xc0) == 0x80) --i;
  return i;
}

char32_t code_point_at(const std::string& text, size_t i) {
  return decode_utf8(text, i, utf8_sequence_length(text, i));
}

// The longest added token of `tokens` (by first byte, longest first) at text[i], ending by `end`, or by
// `special_end` for a control token; or null.
const AddedToken* token_at(const std::vector<AddedToken> (&tokens)[256], const std::string& text, size_t i,
                           size_t end, size_t special_end) {
  for (const AddedToken& token : tokens[static_cast<unsigned char>(text[i])]) {
    const size_t limit = token.special ? special_end : end;
    if (limit > i && token.text.size() <= limit - i && text.compare(i, token.text.size(), token.text) == 0)
      return &token;
  }
  return nullptr;
}

// Where a control token starting at text[i] may end: the text's end or the next plain span's start; 0 inside a plain
// span. `next_plain` is the first span not ending by i, and moves on with i.
size_t special_limit(const std::vector<TextSpan>* plain, size_t* next_plain, size_t i, size_t end) {
  if (plain == nullptr) return end;
  while (*next_plain < plain->size() && (*plain)[*next_plain].end <= i) ++*next_plain;
  if (*next_plain == plain->size()) return end;
  const TextSpan& span = (*plain)[*next_plain];
  if (span.begin <= i) return 0;
  return std::min(end, span.begin);
}

// Appends the segments that cover text[begin, end): the added tokens of `tokens` found there (control tokens only
// outside the plain spans), and the text between.
void find_matches(const std::vector<AddedToken> (&tokens)[256], const std::string& text, size_t begin, size_t end,
                  const std::vector<TextSpan>* plain, std::vector<TextSegment>* segments) {
  size_t covered = begin;  // where the last token (with the whitespace it took) ended
  size_t next_plain = 0;
  for (size_t i = begin; i < end;) {
    // Control tokens end before the next plain span; added tokens that are vocabulary match anywhere.
    const AddedToken* token = token_at(tokens, text, i, end, special_limit(plain, &next_plain, i, end));
    if (token == nullptr) {
      ++i;
      continue;
    }
    size_t start = i, stop = i + token->text.size();
    i = stop;
    if (token->single_word) {
      const bool word_before = start > begin && is_word_character(code_point_at(text, code_point_start(text, start)));
      const bool word_after = stop < end && is_word_character(code_point_at(text, stop));
      if (word_before || word_after) continue;
    }
    // Whitespace another token already took stays with it.
    if (token->lstrip)
      while (start > covered && is_white_space(code_point_at(text, code_point_start(text, start))))
        start = code_point_start(text, start);
    if (token->rstrip)
      while (stop < end && is_white_space(code_point_at(text, stop))) stop += utf8_sequence_length(text, stop);
    if (covered < start) segments->push_back({covered, start, -1});
    segments->push_back({start, stop, token->id});
    covered = std::max(covered, stop);
  }
  if (covered < end) segments->push_back({covered, end, -1});
}

}  // namespace

void split_added_tokens(const TokenizerTables& t, const std::string& text, const std::vector<TextSpan>* plain,
                        std::vector<TextSegment>* segments) {
  std::vector<TextSegment> literal;
  find_matches(t.added_by_first_byte[0], text, 0, text.size(), plain, &literal);
  for (const TextSegment& segment : literal) {
    if (segment.id >= 0)
      segments->push_back(segment);
    else
      find_matches(t.added_by_first_byte[1], text, segment.begin, segment.end, plain, segments);
  }
}

}  // namespace edgeformer
