#include "tokenizers/sentencepiece_reader.h"

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>

#include "convert_error.h"
#include "io/json_file.h"

#if defined(EDGEFORMER_HAVE_SENTENCEPIECE)
#include <sentencepiece_processor.h>
#endif

namespace edgeformer::converter {

namespace {

#if defined(EDGEFORMER_HAVE_SENTENCEPIECE)
namespace fs = std::filesystem;

// SentencePiece writes whitespace as U+2581; the runtime's pieces hold ' '.
std::string with_spaces(const std::string& piece) {
  static const std::string kMarker = "\xe2\x96\x81";
  std::string out;
  for (size_t i = 0; i < piece.size();) {
    if (piece.compare(i, kMarker.size(), kMarker) == 0) {
      out.push_back(' ');
      i += kMarker.size();
    } else {
      out.push_back(piece[i++]);
    }
  }
  return out;
}

// The few fields of the serialized ModelProto that libsentencepiece's public header does not expose: its
// TrainerSpec (model type, options) and NormalizerSpec. Protocol Buffers wire format, read strictly.
struct ProtoReader {
  const std::string& bytes;
  size_t pos = 0;
  const std::string& path;

  uint64_t varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= bytes.size()) throw ConvertError(path + ": truncated SentencePiece model");
      const uint8_t b = static_cast<uint8_t>(bytes[pos++]);
      value |= uint64_t(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return value;
    }
    throw ConvertError(path + ": malformed SentencePiece model");
  }
  // Calls field(number, wire type, payload) for each field of the message in [begin, end).
  template <typename Field>
  void message(size_t begin, size_t end, Field&& field) {
    pos = begin;
    while (pos < end) {
      const uint64_t key = varint();
      const int number = static_cast<int>(key >> 3), type = static_cast<int>(key & 7);
      size_t size = 0;
      if (type == 0) {
        const uint64_t value = varint();
        field(number, type, std::string(), value);
        continue;
      }
      if (type == 2) size = static_cast<size_t>(varint());
      else if (type == 1) size = 8;
      else if (type == 5) size = 4;
      else throw ConvertError(path + ": malformed SentencePiece model (wire type " + std::to_string(type) + ")");
      if (size > end - pos) throw ConvertError(path + ": truncated SentencePiece model");
      const size_t after = pos + size;
      field(number, type, bytes.substr(pos, size), 0);
      pos = after;
    }
  }
};

struct SpmOptions {
  int model_type = 1;  // UNIGRAM
  bool byte_fallback = false, whitespace_as_suffix = false;
  bool add_dummy_prefix = true, remove_extra_whitespaces = true, escape_whitespaces = true;
  std::string charsmap;
};

SpmOptions read_options(const std::string& serialized, const std::string& path) {
  SpmOptions o;
  ProtoReader top{serialized, 0, path};
  top.message(0, serialized.size(), [&](int number, int type, const std::string& payload, uint64_t) {
    if (type != 2 || (number != 2 && number != 3)) return;
    ProtoReader inner{payload, 0, path};
    inner.message(0, payload.size(), [&](int field, int, const std::string& data, uint64_t value) {
      if (number == 2) {  // TrainerSpec
        if (field == 3) o.model_type = static_cast<int>(value);
        if (field == 24) o.whitespace_as_suffix = value != 0;
        if (field == 35) o.byte_fallback = value != 0;
      } else {  // NormalizerSpec
        if (field == 2) o.charsmap = data;
        if (field == 3) o.add_dummy_prefix = value != 0;
        if (field == 4) o.remove_extra_whitespaces = value != 0;
        if (field == 5) o.escape_whitespaces = value != 0;
      }
    });
  });
  if (o.model_type != 1)
    throw ConvertError(path + ": SentencePiece model_type " + std::to_string(o.model_type) +
                       " is not supported (unigram)");
  if (o.byte_fallback) throw ConvertError(path + ": SentencePiece byte_fallback is not supported for unigram models");
  if (o.whitespace_as_suffix) throw ConvertError(path + ": SentencePiece treat_whitespace_as_suffix is not supported");
  if (!o.escape_whitespaces) throw ConvertError(path + ": SentencePiece escape_whitespaces false is not supported");
  return o;
}

void apply_options(const SpmOptions& o, TokenizerData* tok) {
  tok->kind = schema::TokenizerKind::SentencePieceUnigram;
  tok->add_dummy_prefix = o.add_dummy_prefix;
  tok->remove_extra_whitespaces = o.remove_extra_whitespaces;
  tok->precompiled_charsmap.assign(o.charsmap.begin(), o.charsmap.end());
}

struct LoadedSpm {
  sentencepiece::SentencePieceProcessor processor;
  SpmOptions options;
};

void load(const std::string& path, LoadedSpm* spm) {
  const auto status = spm->processor.Load(path);
  if (!status.ok()) throw ConvertError(path + ": not a SentencePiece model: " + status.ToString());
  spm->options = read_options(spm->processor.serialized_model_proto(), path);
}

// Pieces text can be segmented into: normal (and user-defined) ones, not control, unknown, unused or byte pieces.
bool encodable(const sentencepiece::SentencePieceProcessor& p, int id) {
  return !p.IsControl(id) && !p.IsUnknown(id) && !p.IsUnused(id) && !p.IsByte(id);
}
#endif

}  // namespace

bool have_sentencepiece() {
#if defined(EDGEFORMER_HAVE_SENTENCEPIECE)
  return true;
#else
  return false;
#endif
}

#if defined(EDGEFORMER_HAVE_SENTENCEPIECE)
TokenizerData read_sentencepiece_model(const std::string& path, int vocab_size) {
  LoadedSpm spm;
  load(path, &spm);
  const int count = spm.processor.GetPieceSize();
  if (count > vocab_size)
    throw ConvertError(path + ": " + std::to_string(count) + " pieces do not fit the model's vocabulary of " +
                       std::to_string(vocab_size));
  TokenizerData tok;
  apply_options(spm.options, &tok);
  tok.pieces.resize(vocab_size);
  tok.scores.assign(vocab_size, -std::numeric_limits<float>::infinity());
  for (int id = 0; id < count; ++id) {
    tok.pieces[id] = with_spaces(spm.processor.IdToPiece(id));
    if (encodable(spm.processor, id)) tok.scores[id] = spm.processor.GetScore(id);
  }
  tok.unk_id = spm.processor.unk_id();
  tok.bos_id = spm.processor.bos_id();
  tok.eos_id = spm.processor.eos_id();
  tok.pad_id = spm.processor.pad_id();
  return tok;
}

TokenizerData read_marian_tokenizer(const std::string& folder, int vocab_size, int decoder_start_id, int eos_id,
                                    int pad_id) {
  const std::string source_path = (fs::path(folder) / "source.spm").string();
  const std::string vocab_path = (fs::path(folder) / "vocab.json").string();
  LoadedSpm source;
  load(source_path, &source);
  const nlohmann::json vocab = read_json(vocab_path);
  if (!vocab.is_object()) throw ConvertError(vocab_path + ": expected an object of piece: id");
  TokenizerData tok;
  apply_options(source.options, &tok);
  tok.pieces.resize(vocab_size);
  tok.scores.assign(vocab_size, -std::numeric_limits<float>::infinity());
  std::map<std::string, int> source_ids;
  for (int id = 0; id < source.processor.GetPieceSize(); ++id)
    if (encodable(source.processor, id)) source_ids.emplace(source.processor.IdToPiece(id), id);
  for (const auto& [piece, value] : vocab.items()) {
    if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() >= vocab_size)
      throw ConvertError(vocab_path + ": \"" + piece + "\" has an id outside [0, " + std::to_string(vocab_size) + ")");
    const int id = value.get<int>();
    tok.pieces[id] = with_spaces(piece);
    if (const auto found = source_ids.find(piece); found != source_ids.end())
      tok.scores[id] = source.processor.GetScore(found->second);
    // Language tokens of multilingual models (">>fra<<") come first in the text and are matched literally.
    if (piece.size() > 4 && piece.compare(0, 2, ">>") == 0 && piece.compare(piece.size() - 2, 2, "<<") == 0)
      tok.special_ids.push_back(id);
  }
  const auto unk = vocab.find("<unk>");
  tok.unk_id = unk != vocab.end() ? unk->get<int>() : -1;
  tok.bos_id = decoder_start_id;
  tok.eos_id = eos_id;
  tok.pad_id = pad_id;
  tok.append_eos = true;
  return tok;
}
#else
TokenizerData read_sentencepiece_model(const std::string& path, int) {
  throw ConvertError(path + ": this converter was built without libsentencepiece-dev");
}

TokenizerData read_marian_tokenizer(const std::string& folder, int, int, int, int) {
  throw ConvertError(folder + ": this converter was built without libsentencepiece-dev (source.spm)");
}
#endif

}  // namespace edgeformer::converter
