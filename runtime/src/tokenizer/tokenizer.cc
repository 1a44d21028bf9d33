#include "tokenizer/tokenizer.h"

#include <cstdint>

#include "tokenizer/utf8.h"

namespace edgeformer {

namespace {

Status encode_stretch(const TokenizerTables& t, const std::string& text, bool at_start, std::vector<int32_t>* ids) {
  if (text.empty()) return Status();
  switch (t.kind) {
    case TokenizerKind::kSentencePieceBpe: return encode_sentencepiece_bpe(t, text, at_start, ids);
    case TokenizerKind::kByteLevelBpe: encode_byte_level_bpe(t, text, ids); return Status();
    case TokenizerKind::kWordPiece: encode_wordpiece(t, text, ids); return Status();
    case TokenizerKind::kSentencePieceUnigram: return encode_sentencepiece_unigram(t, text, ids);
    default: return Status(StatusCode::kUnsupported, "this model has no tokenizer");
  }
}

Status check_text(const TokenizerTables& t, const std::string& text, std::vector<int32_t>* ids) {
  if (t.kind == TokenizerKind::kNone) return Status(StatusCode::kUnsupported, "this model has no tokenizer");
  if (ids == nullptr) return Status(StatusCode::kInvalidArgument, "ids is null");
  // Invalid UTF-8 is refused rather than passed through byte fallback: it means the caller cut a character in two
  // or used another encoding, and the model would see text it was never trained on.
  for (size_t i = 0; i < text.size();) {
    const size_t length = utf8_sequence_length(text, i);
    if (length == 0)
      return Status(StatusCode::kInvalidArgument, "the text is not valid UTF-8 (byte " + std::to_string(i) + ")");
    i += length;
  }
  return Status();
}

// The added tokens' ids, and each stretch of text between them encoded by the model's kind.
Status encode_segments(const TokenizerTables& t, const std::string& text, const std::vector<TextSpan>* plain,
                       std::vector<int32_t>* ids) {
  std::vector<TextSegment> segments;
  split_added_tokens(t, text, plain, &segments);
  for (size_t i = 0; i < segments.size(); ++i) {
    const TextSegment& segment = segments[i];
    if (segment.id >= 0) {
      ids->push_back(segment.id);
      continue;
    }
    // Plain spans cut the text into neighbouring segments; the kind sees the whole stretch, as with none.
    size_t end = segment.end;
    while (i + 1 < segments.size() && segments[i + 1].id < 0) end = segments[++i].end;
    const std::string stretch = text.substr(segment.begin, end - segment.begin);
    const bool at_start = segment.begin == 0 || t.dummy_prefix_per_stretch;
    if (Status s = encode_stretch(t, stretch, at_start, ids); !s.ok()) return s;
  }
  return Status();
}

}  // namespace

Status tokenize(const TokenizerTables& t, const std::string& text, bool add_bos, std::vector<int32_t>* ids) {
  if (Status s = check_text(t, text, ids); !s.ok()) return s;
  // An encoder's tokenizer frames the text with [CLS] / [SEP] (<s> / </s> for XLM-R style unigram ones).
  const int32_t first = t.cls >= 0 ? t.cls : t.append_eos ? -1 : t.bos;
  if (add_bos && first >= 0) ids->push_back(first);
  if (Status s = encode_segments(t, text, nullptr, ids); !s.ok()) return s;
  if (add_bos && t.sep >= 0) ids->push_back(t.sep);
  if (add_bos && t.append_eos && t.eos >= 0) ids->push_back(t.eos);
  return Status();
}

Status tokenize_with_plain_spans(const TokenizerTables& t, const std::string& text, const std::vector<TextSpan>& plain,
                                 std::vector<int32_t>* ids) {
  if (Status s = check_text(t, text, ids); !s.ok()) return s;
  return encode_segments(t, text, &plain, ids);
}

Status detokenize(const TokenizerTables& t, int32_t previous, int32_t id, std::string* text) {
  if (t.kind == TokenizerKind::kNone) return Status(StatusCode::kUnsupported, "this model has no tokenizer");
  if (text == nullptr) return Status(StatusCode::kInvalidArgument, "text is null");
  const int32_t count = static_cast<int32_t>(t.pieces.size());
  if (id < 0 || id >= count)
    return Status(StatusCode::kOutOfRange, "token id " + std::to_string(id) + " is outside the vocabulary [0, " +
                                               std::to_string(count) + ")");
  text->clear();
  // Markers of the sequence, not text.
  if (id == t.bos || id == t.eos || id == t.cls || id == t.sep || id == t.pad) return Status();
  if (t.byte_base >= 0 && id >= t.byte_base && id < t.byte_base + 256) {
    text->push_back(static_cast<char>(id - t.byte_base));
    return Status();
  }
  *text = std::string(t.pieces[id]);
  switch (t.kind) {
    case TokenizerKind::kSentencePieceBpe:
    case TokenizerKind::kSentencePieceUnigram:
      // The space that add_dummy_prefix put before the first word is not part of the text.
      if (t.add_dummy_prefix && previous == t.bos && !text->empty() && (*text)[0] == ' ') text->erase(0, 1);
      break;
    case TokenizerKind::kWordPiece: {
      // Continuations join the previous piece; a new word is set off by a space unless it starts the text.
      const std::string& prefix = t.continuing_prefix;
      if (!prefix.empty() && text->compare(0, prefix.size(), prefix) == 0)
        text->erase(0, prefix.size());
      else if (previous >= 0 && previous != t.cls && previous != t.bos)
        text->insert(0, 1, ' ');
      break;
    }
    default: break;  // byte-level pieces are the raw bytes
  }
  return Status();
}

}  // namespace edgeformer
