// SentencePiece unigram (Marian's source.spm, T5, XLM-R style): normalize the text as SentencePiece does (the
// model's precompiled character map, then whitespace rules), then pick the segmentation whose pieces' scores sum
// highest (Viterbi). A character no piece covers becomes the unknown token, and a run of them one unknown token.
#include <cmath>
#include <cstring>
#include <limits>

#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace edgeformer {

namespace {

// The precompiled character map: [u32 trie bytes][darts-clone double array][NUL-terminated replacements].
struct CharsMap {
  const uint8_t* units = nullptr;  // u32 units, little-endian
  size_t unit_count = 0;
  const char* replacements = nullptr;
  size_t replacements_size = 0;

  uint32_t unit(size_t i) const {
    uint32_t u;
    std::memcpy(&u, units + 4 * i, 4);
    return u;
  }

  // The longest key that prefixes text[pos...]: its length (0 if none) and its replacement.
  size_t longest_match(const std::string& text, size_t pos, const char** replacement) const {
    if (unit_count == 0) return 0;
    const auto offset = [](uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); };
    size_t node = offset(unit(0)), longest = 0;
    for (size_t i = pos; i < text.size(); ++i) {
      const uint8_t c = static_cast<uint8_t>(text[i]);
      node ^= c;
      if (node >= unit_count) break;
      const uint32_t u = unit(node);
      if ((u & ((1u << 31) | 0xffu)) != c) break;  // label
      node ^= offset(u);
      if (node >= unit_count) break;
      if ((u >> 8) & 1u) {  // has a leaf: the value is a replacement's offset
        const size_t value = unit(node) & ((1u << 31) - 1);
        if (value < replacements_size && std::memchr(replacements + value, 0, replacements_size - value) != nullptr) {
          longest = i + 1 - pos;
          *replacement = replacements + value;
        }
      }
    }
    return longest;
  }
};

CharsMap charsmap_of(const TokenizerTables& t) {
  CharsMap map;
  const uint8_t* blob = t.precompiled_charsmap;
  const size_t size = t.precompiled_charsmap_bytes;
  if (blob == nullptr || size < 4) return map;
  uint32_t trie_bytes;
  std::memcpy(&trie_bytes, blob, 4);
  if (trie_bytes % 4 != 0 || trie_bytes > size - 4) return map;  // refused at load; never here
  map.units = blob + 4;
  map.unit_count = trie_bytes / 4;
  map.replacements = reinterpret_cast<const char*>(blob + 4 + trie_bytes);
  map.replacements_size = size - 4 - trie_bytes;
  return map;
}

// SentencePiece's Normalizer: map each prefix (longest character-map key, else one character), drop leading,
// trailing and repeated spaces when remove_extra_whitespaces, and start with a space when add_dummy_prefix. Spaces
// stay ' ', as the pieces hold them.
std::string normalize(const TokenizerTables& t, const std::string& text) {
  const CharsMap map = charsmap_of(t);
  const auto prefix = [&](size_t pos, std::string* piece) {
    const char* replacement = nullptr;
    const size_t matched = map.longest_match(text, pos, &replacement);
    if (matched > 0) {
      piece->assign(replacement);
      return matched;
    }
    const size_t length = utf8_sequence_length(text, pos);
    piece->assign(text, pos, length);
    return length;
  };
  std::string out, piece;
  size_t pos = 0;
  if (t.remove_extra_whitespaces)
    while (pos < text.size()) {
      const size_t consumed = prefix(pos, &piece);
      if (piece != " ") break;
      pos += consumed;
    }
  if (pos == text.size()) return out;
  if (t.add_dummy_prefix) out.push_back(' ');
  bool previous_space = t.remove_extra_whitespaces;
  while (pos < text.size()) {
    pos += prefix(pos, &piece);
    for (size_t i = 0; i < piece.size(); ++i) {
      const char c = piece[i];
      if (piece.compare(i, 3, "\xe2\x96\x81") == 0) {
        // SentencePiece writes spaces as U+2581, so a literal one in the text is a space to the pieces (but not to
        // the collapsing of repeated spaces).
        out.push_back(' ');
        previous_space = false;
        i += 2;
      } else if (c != ' ') {
        out.push_back(c);
        previous_space = false;
      } else if (!previous_space) {
        out.push_back(' ');
        previous_space = t.remove_extra_whitespaces;
      }
    }
  }
  if (t.remove_extra_whitespaces)
    while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

Status encode_sentencepiece_unigram(const TokenizerTables& t, const std::string& text, std::vector<int32_t>* ids) {
  const std::string s = normalize(t, text);
  if (s.empty()) return Status();
  constexpr float kNone = -std::numeric_limits<float>::infinity();
  // best[i]: the highest score of a segmentation of s[0, i); from[i] and piece[i] its last piece (-1: unknown).
  std::vector<float> best(s.size() + 1, kNone);
  std::vector<size_t> from(s.size() + 1, 0);
  std::vector<int32_t> piece(s.size() + 1, -1);
  best[0] = 0.0f;
  std::string candidate;
  for (size_t start = 0; start < s.size(); start += utf8_sequence_length(s, start)) {
    if (best[start] == kNone) continue;
    const size_t first_char = utf8_sequence_length(s, start);
    bool single = false;
    // Exactly libsentencepiece's arithmetic, so that near-equal paths are decided as there (sentencepiece_test
    // checks it): a piece's path score is the float sum so far plus its score in double, compared with the float
    // best and stored back as float; begins in increasing order, strict improvements only.
    for (size_t end = start + first_char; end <= s.size() && end - start <= t.max_piece_bytes;
         end += end < s.size() ? utf8_sequence_length(s, end) : 1) {
      candidate.assign(s, start, end - start);
      const auto found = t.piece_ids.find(candidate);
      if (found != t.piece_ids.end()) {
        const float score = t.scores[found->second];
        if (score != -std::numeric_limits<float>::infinity()) {
          single |= end == start + first_char;
          const double candidate = double(best[start]) + double(score);
          if (candidate > double(best[end])) {
            best[end] = static_cast<float>(candidate);
            from[end] = start;
            piece[end] = found->second;
          }
        }
      }
      if (end == s.size()) break;
    }
    const size_t end = start + first_char;
    // The unknown character's sum is all float in SentencePiece.
    if (!single && best[start] + t.unknown_score > best[end]) {
      best[end] = best[start] + t.unknown_score;
      from[end] = start;
      piece[end] = -1;
    }
  }
  std::vector<int32_t> reversed;
  bool after_unknown = false;  // the piece after this one (already taken) is an unknown character
  for (size_t end = s.size(); end > 0; end = from[end]) {
    const bool unknown = piece[end] < 0;
    if (unknown && t.unk < 0)
      return Status(StatusCode::kInvalidArgument, "the text has a character the tokenizer cannot represent");
    // A run of unknown characters is one unknown token.
    if (!(unknown && after_unknown)) reversed.push_back(unknown ? t.unk : piece[end]);
    after_unknown = unknown;
  }
  ids->insert(ids->end(), reversed.rbegin(), reversed.rend());
  return Status();
}

}  // namespace edgeformer
