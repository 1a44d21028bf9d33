#include "tokenizers/hf_tokenizer_reader.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "convert_error.h"
#include "io/json_file.h"

namespace edgeformer::converter {

namespace {

using nlohmann::json;

// SentencePiece marks a space with U+2581; the runtime's pieces carry a plain space, as llama2.c's do.
std::string sentencepiece_to_text(const std::string& piece) {
  static const std::string kSpaceMark = "\xe2\x96\x81";
  std::string text;
  for (size_t i = 0; i < piece.size();) {
    if (piece.compare(i, kSpaceMark.size(), kSpaceMark) == 0) {
      text += ' ';
      i += kSpaceMark.size();
    } else {
      text += piece[i++];
    }
  }
  return text;
}

// GPT-2's byte-level alphabet: every byte is written as one printable code point (printable Latin-1 bytes as
// themselves, the others as U+0100 onwards in byte order). The runtime's pieces hold the raw bytes instead.
class ByteLevelAlphabet {
 public:
  ByteLevelAlphabet() {
    int next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
      byte_of_[printable ? b : next++] = static_cast<char>(b);
    }
  }
  // The raw bytes a vocabulary string stands for; false if it has a code point outside the alphabet.
  bool decode(const std::string& text, std::string* bytes) const {
    bytes->clear();
    for (size_t i = 0; i < text.size();) {
      const unsigned char lead = static_cast<unsigned char>(text[i]);
      char32_t c;
      size_t length;
      if (lead < 0x80) {
        c = lead, length = 1;
      } else if ((lead & 0xe0) == 0xc0 && i + 1 < text.size()) {
        c = ((lead & 0x1fu) << 6) | (static_cast<unsigned char>(text[i + 1]) & 0x3fu), length = 2;
      } else {
        return false;  // the alphabet stops at U+0143
      }
      const auto found = byte_of_.find(c);
      if (found == byte_of_.end()) return false;
      bytes->push_back(found->second);
      i += length;
    }
    return true;
  }

 private:
  std::map<char32_t, char> byte_of_;
};

void check_id(const std::string& path, const std::string& piece, int id, int vocab_size) {
  if (id < 0 || id >= vocab_size)
    throw ConvertError(path + ": token '" + piece + "' has id " + std::to_string(id) + ", vocab size is " +
                       std::to_string(vocab_size));
}

std::pair<std::string, std::string> merge_pair(const std::string& path, const json& merge) {
  if (merge.is_string()) {
    const std::string text = merge.get<std::string>();
    const size_t space = text.find(' ');
    if (space == std::string::npos) throw ConvertError(path + ": merge '" + text + "' has no space");
    return {text.substr(0, space), text.substr(space + 1)};
  }
  return {merge.at(0).get<std::string>(), merge.at(1).get<std::string>()};
}

// An added token's matching flags (schema::AddedTokenFlags). A token without "normalized" is normalized unless it is
// special, as AddedToken::from makes it.
schema::AddedTokenFlags added_token_flags(const json& added) {
  using Flags = schema::AddedTokenFlags;
  const bool special = added.value("special", false);
  Flags flags = Flags::NONE;
  if (added.value("lstrip", false)) flags |= Flags::Lstrip;
  if (added.value("rstrip", false)) flags |= Flags::Rstrip;
  if (added.value("single_word", false)) flags |= Flags::SingleWord;
  if (added.value("normalized", !special)) flags |= Flags::Normalized;
  if (special) flags |= Flags::Special;
  return flags;
}

// Added tokens (specials like <|endoftext|> or [CLS]) are matched in the text before the model splits it, with
// their flags. Those past the model's vocabulary (e.g. the whitespace runs CodeGen's packaging of GPT-2 adds) have no
// embedding in it and are left out.
void read_added_tokens(const std::string& path, const json& tokenizer, int vocab_size, TokenizerData& tok,
                       std::map<std::string, int>& ids) {
  for (const json& added : tokenizer.value("added_tokens", json::array())) {
    const std::string content = added.at("content").get<std::string>();
    const int id = added.at("id").get<int>();
    if (id >= vocab_size) continue;
    check_id(path, content, id, vocab_size);
    tok.pieces[id] = content;
    ids[content] = id;
    tok.special_ids.push_back(id);
    tok.special_flags.push_back(added_token_flags(added));
  }
}

TokenizerData read_sentencepiece_bpe(const std::string& path, const json& tokenizer, int vocab_size) {
  const json& model = tokenizer.at("model");
  TokenizerData tok;
  tok.kind = schema::TokenizerKind::SentencePieceBpe;
  tok.pieces.assign(vocab_size, std::string());
  tok.scores.assign(vocab_size, -INFINITY);
  std::map<std::string, int> ids;
  for (auto& [piece, id] : model.at("vocab").items()) {
    check_id(path, piece, id.get<int>(), vocab_size);
    tok.pieces[id.get<int>()] = sentencepiece_to_text(piece);
    ids[tok.pieces[id.get<int>()]] = id.get<int>();
  }
  // Added tokens are cut out of the text first, as Hugging Face does (<s> typed in a prompt is BOS; Gemma's
  // <start_of_turn>, Phi-3's <|user|> are one token each).
  read_added_tokens(path, tokenizer, vocab_size, tok, ids);
  // HF ranks merges; this runtime kind picks the merge whose result scores highest, so score = -rank.
  const json& merges = model.value("merges", json::array());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto [left, right] = merge_pair(path, merges[rank]);
    const auto it = ids.find(sentencepiece_to_text(left + right));
    if (it != ids.end() && std::isinf(tok.scores[it->second])) tok.scores[it->second] = -float(rank);
  }
  const std::string unk = model.value("unk_token", json()).is_string() ? model["unk_token"].get<std::string>() : "";
  tok.unk_id = ids.count(unk) ? ids[unk] : -1;
  tok.byte_fallback_base = ids.count("<0x00>") ? ids["<0x00>"] : -1;
  // LLaMA tokenizers prepend a space marker, through the normalizer (every stretch between added tokens is
  // normalized alone, so each gets one) or the Metaspace pre-tokenizer (prepend_scheme "first": the text's start
  // only; "always", or the older add_prefix_space: every stretch). Gemma's has neither.
  const std::string normalizer = tokenizer.value("normalizer", json()).dump();
  const std::string pre_tokenizer = tokenizer.value("pre_tokenizer", json()).dump();
  const bool prepend = normalizer.find("\"Prepend\"") != std::string::npos;
  const bool metaspace = pre_tokenizer.find("Metaspace") != std::string::npos &&
                         pre_tokenizer.find("\"never\"") == std::string::npos;
  tok.add_dummy_prefix = prepend || metaspace;
  tok.dummy_prefix_per_stretch = prepend || (metaspace && pre_tokenizer.find("\"first\"") == std::string::npos);
  return tok;
}

// The split patterns the runtime spells out (runtime/src/pre_tokenizer.h), as tokenizer.json writes them.
constexpr const char* kLlama3Pattern =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
constexpr const char* kQwen2Pattern =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

// GPT-2: ByteLevel with its own regex. LLaMA-3 / Qwen2: Sequence[Split(pattern, Isolated), ByteLevel without
// regex]. add_prefix_space is not applied, so it must be off.
bool byte_level_split(const json& pre, schema::PreTokenizerPattern* pattern, int* digit_group) {
  if (!pre.is_object()) return false;
  const std::string type = pre.value("type", "");
  if (type == "ByteLevel") {
    *pattern = schema::PreTokenizerPattern::Gpt2;
    return pre.value("use_regex", true) && !pre.value("add_prefix_space", false);
  }
  if (type != "Sequence" || !pre.contains("pretokenizers") || pre["pretokenizers"].size() != 2) return false;
  const json& split = pre["pretokenizers"][0];
  const json& byte_level = pre["pretokenizers"][1];
  if (split.value("type", "") != "Split" || split.value("behavior", "") != "Isolated" ||
      split.value("invert", false) || byte_level.value("type", "") != "ByteLevel" ||
      byte_level.value("use_regex", true) || byte_level.value("add_prefix_space", false))
    return false;
  const json& regex = split.value("pattern", json::object()).value("Regex", json());
  if (!regex.is_string()) return false;
  *pattern = schema::PreTokenizerPattern::Llama3;
  if (regex.get<std::string>() == kLlama3Pattern) *digit_group = 3;
  else if (regex.get<std::string>() == kQwen2Pattern) *digit_group = 1;
  else return false;
  return true;
}

TokenizerData read_byte_level_bpe(const std::string& path, const json& tokenizer, int vocab_size,
                                  std::string& why_not) {
  const json& pre = tokenizer.value("pre_tokenizer", json());
  TokenizerData tok;
  if (!byte_level_split(pre, &tok.pre_tokenizer, &tok.digit_group)) {
    why_not = "byte-level BPE with pre-tokenizer " + pre.dump() +
              " (the runtime has the GPT-2 ByteLevel split and LLaMA-3's / Qwen2's Split patterns)";
    return {};
  }
  const json& model = tokenizer.at("model");
  tok.kind = schema::TokenizerKind::ByteLevelBpe;
  tok.add_dummy_prefix = false;
  tok.pieces.assign(vocab_size, std::string());
  const ByteLevelAlphabet alphabet;
  std::map<std::string, int> ids;  // by the vocabulary's own (byte-level alphabet) spelling
  std::string bytes;
  for (auto& [piece, id_value] : model.at("vocab").items()) {
    const int id = id_value.get<int>();
    check_id(path, piece, id, vocab_size);
    if (!alphabet.decode(piece, &bytes))
      throw ConvertError(path + ": byte-level token '" + piece + "' has a character outside the byte alphabet");
    tok.pieces[id] = bytes;
    ids[piece] = id;
  }
  read_added_tokens(path, tokenizer, vocab_size, tok, ids);
  const json& merges = model.value("merges", json::array());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto [left, right] = merge_pair(path, merges[rank]);
    const auto l = ids.find(left), r = ids.find(right), merged = ids.find(left + right);
    if (l == ids.end() || r == ids.end() || merged == ids.end())
      throw ConvertError(path + ": merge " + std::to_string(rank) + " ('" + left + "' '" + right +
                         "') names a token that is not in the vocabulary");
    tok.merge_left.push_back(l->second);
    tok.merge_right.push_back(r->second);
  }
  const json& unk = model.value("unk_token", json());
  if (unk.is_string() && ids.count(unk.get<std::string>())) tok.unk_id = ids[unk.get<std::string>()];
  return tok;
}

TokenizerData read_wordpiece(const std::string& path, const json& tokenizer, int vocab_size, std::string& why_not) {
  const json& normalizer = tokenizer.value("normalizer", json());
  if (!normalizer.is_object() || normalizer.value("type", "") != "BertNormalizer") {
    why_not = "WordPiece with normalizer " + normalizer.dump() + " (only BertNormalizer is supported)";
    return {};
  }
  const json& model = tokenizer.at("model");
  TokenizerData tok;
  tok.kind = schema::TokenizerKind::WordPiece;
  tok.add_dummy_prefix = false;
  tok.pieces.assign(vocab_size, std::string());
  std::map<std::string, int> ids;
  for (auto& [piece, id] : model.at("vocab").items()) {
    check_id(path, piece, id.get<int>(), vocab_size);
    tok.pieces[id.get<int>()] = piece;
    ids[piece] = id.get<int>();
  }
  read_added_tokens(path, tokenizer, vocab_size, tok, ids);
  tok.lowercase = normalizer.value("lowercase", true);
  // BertNormalizer's strip_accents: null means "as lowercase".
  const json& strip = normalizer.value("strip_accents", json());
  tok.strip_accents = strip.is_boolean() ? strip.get<bool>() : tok.lowercase;
  tok.split_cjk = normalizer.value("handle_chinese_chars", true);
  tok.continuing_prefix = model.value("continuing_subword_prefix", std::string("##"));
  tok.max_word_chars = model.value("max_input_chars_per_word", 100);
  const auto id_of = [&](const std::string& piece) { return ids.count(piece) ? ids[piece] : -1; };
  tok.unk_id = id_of(model.value("unk_token", std::string("[UNK]")));
  if (tok.unk_id < 0) throw ConvertError(path + ": WordPiece has no unknown token in its vocabulary");
  tok.cls_id = id_of("[CLS]");
  tok.sep_id = id_of("[SEP]");
  tok.pad_id = id_of("[PAD]");
  return tok;
}

// The id of a special token that tokenizer_config.json (beside tokenizer.json) names, or -1.
int configured_special_id(const std::string& tokenizer_path, const char* key, const TokenizerData& tok) {
  namespace fs = std::filesystem;
  const fs::path config_path = fs::path(tokenizer_path).parent_path() / "tokenizer_config.json";
  if (!fs::exists(config_path)) return -1;
  const json config = read_json(config_path.string());
  const json& value = config.value(key, json());
  const std::string content = value.is_string()                                  ? value.get<std::string>()
                              : value.is_object() && value.contains("content") ? value["content"].get<std::string>()
                                                                               : std::string();
  if (content.empty()) return -1;
  for (size_t id = 0; id < tok.pieces.size(); ++id)
    if (tok.pieces[id] == content) return static_cast<int>(id);
  return -1;
}

}  // namespace

TokenizerData read_wordpiece_vocab(const std::string& path, int vocab_size) {
  namespace fs = std::filesystem;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConvertError(path + ": cannot open");
  TokenizerData tok;
  tok.kind = schema::TokenizerKind::WordPiece;
  tok.add_dummy_prefix = false;
  tok.pieces.assign(vocab_size, std::string());
  std::map<std::string, int> ids;
  std::string line;
  for (int id = 0; std::getline(in, line); ++id) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    check_id(path, line, id, vocab_size);
    tok.pieces[id] = line;
    ids.emplace(line, id);
  }
  // BertTokenizer's options, from tokenizer_config.json beside the vocabulary when there is one.
  const fs::path config_path = fs::path(path).parent_path() / "tokenizer_config.json";
  const json config = fs::exists(config_path) ? read_json(config_path.string()) : json::object();
  tok.lowercase = config.value("do_lower_case", true);
  const json& strip = config.value("strip_accents", json());
  tok.strip_accents = strip.is_boolean() ? strip.get<bool>() : tok.lowercase;
  tok.split_cjk = config.value("tokenize_chinese_chars", true);
  tok.continuing_prefix = "##";
  const auto id_of = [&](const char* key, const char* fallback) {
    const json& value = config.value(key, json());
    const std::string piece = value.is_string() ? value.get<std::string>() : fallback;
    return ids.count(piece) ? ids[piece] : -1;
  };
  tok.unk_id = id_of("unk_token", "[UNK]");
  if (tok.unk_id < 0) throw ConvertError(path + ": WordPiece has no unknown token in its vocabulary");
  tok.cls_id = id_of("cls_token", "[CLS]");
  tok.sep_id = id_of("sep_token", "[SEP]");
  tok.pad_id = id_of("pad_token", "[PAD]");
  // The special tokens are never split, as BertTokenizer's never_split has them.
  for (int id : {tok.pad_id, tok.unk_id, tok.cls_id, tok.sep_id, id_of("mask_token", "[MASK]")})
    if (id >= 0) tok.special_ids.push_back(id);
  return tok;
}

std::vector<uint8_t> base64_decode(const std::string& path, const std::string& text) {
  std::vector<uint8_t> out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int value;
    if (c >= 'A' && c <= 'Z') value = c - 'A';
    else if (c >= 'a' && c <= 'z') value = c - 'a' + 26;
    else if (c >= '0' && c <= '9') value = c - '0' + 52;
    else if (c == '+') value = 62;
    else if (c == '/') value = 63;
    else if (c == '=') break;
    else throw ConvertError(path + ": precompiled_charsmap is not base64");
    buffer = (buffer << 6) | uint32_t(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(buffer >> bits));
    }
  }
  return out;
}

// The steps of a normalizer or pre-tokenizer: itself, or a Sequence's.
std::vector<json> steps(const json& step, const char* list) {
  if (!step.is_object()) return {};
  if (step.value("type", "") == "Sequence") return step.value(list, json::array()).get<std::vector<json>>();
  return {step};
}

// SentencePiece unigram as Hugging Face writes it (XLM-R, multilingual MiniLM, T5): model.vocab [[piece, score]],
// the normalizer Precompiled (SentencePiece's character map) and a Replace of repeated spaces, the Metaspace
// pre-tokenizer; special tokens framing a sequence come from the post-processor.
TokenizerData read_unigram(const std::string& path, const json& tokenizer, int vocab_size, std::string& why_not) {
  const json& model = tokenizer.at("model");
  if (model.value("byte_fallback", false)) {
    why_not = "unigram with byte_fallback is not supported yet";
    return {};
  }
  TokenizerData tok;
  tok.kind = schema::TokenizerKind::SentencePieceUnigram;
  tok.pieces.assign(vocab_size, std::string());
  tok.scores.assign(vocab_size, -INFINITY);
  const json& vocab = model.at("vocab");
  if (!vocab.is_array()) throw ConvertError(path + ": a unigram vocab must be a list of [piece, score]");
  std::map<std::string, int> ids;
  for (size_t id = 0; id < vocab.size(); ++id) {
    const json& entry = vocab[id];
    if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string() || !entry[1].is_number())
      throw ConvertError(path + ": unigram vocab entry " + std::to_string(id) + " is not [piece, score]");
    check_id(path, entry[0].get<std::string>(), static_cast<int>(id), vocab_size);
    tok.pieces[id] = sentencepiece_to_text(entry[0].get<std::string>());
    tok.scores[id] = entry[1].get<float>();
  }
  read_added_tokens(path, tokenizer, vocab_size, tok, ids);
  for (int id : tok.special_ids) tok.scores[id] = -INFINITY;  // matched literally, never by the search
  tok.unk_id = model.value("unk_id", json()).is_number_integer() ? model["unk_id"].get<int>() : -1;
  tok.remove_extra_whitespaces = false;
  for (const json& step : steps(tokenizer.value("normalizer", json()), "normalizers")) {
    const std::string type = step.value("type", "");
    const json& pattern = step.value("pattern", json::object());
    const std::string replaced = pattern.value("Regex", pattern.value("String", std::string()));
    if (type == "Precompiled") {
      const json& map = step.value("precompiled_charsmap", json());
      if (map.is_string()) tok.precompiled_charsmap = base64_decode(path, map.get<std::string>());
    } else if (type == "Replace" && (replaced == " {2,}" || replaced == "  ") && step.value("content", "") == " ") {
      tok.remove_extra_whitespaces = true;
    } else if (type != "Strip") {
      why_not = "unigram with normalizer " + step.dump() + " (Precompiled, Replace of repeated spaces, Strip)";
      return {};
    }
  }
  tok.add_dummy_prefix = false;
  for (const json& step : steps(tokenizer.value("pre_tokenizer", json()), "pretokenizers")) {
    const std::string type = step.value("type", "");
    if (type == "Metaspace" && step.value("replacement", "") == "\xe2\x96\x81") {
      const bool old_prefix = step.value("add_prefix_space", true);  // before prepend_scheme existed
      const std::string scheme = step.value("prepend_scheme", old_prefix ? "always" : "never");
      tok.add_dummy_prefix = scheme != "never";
    } else if (type != "WhitespaceSplit") {
      why_not = "unigram with pre-tokenizer " + step.dump() + " (Metaspace)";
      return {};
    }
  }
  // RobertaProcessing {cls, sep}, or a TemplateProcessing whose single sequence is special A special.
  const json& post = tokenizer.value("post_processor", json());
  const auto id_of_special = [&](const json& special) {
    const std::string name = special.is_array() && !special.empty() ? special[0].get<std::string>()
                             : special.is_object() ? special.value("id", std::string())
                                                   : std::string();
    const auto found = ids.find(name);
    return found == ids.end() ? -1 : found->second;
  };
  if (post.is_object() && post.value("type", "") == "RobertaProcessing") {
    tok.cls_id = id_of_special(post.value("cls", json()));
    tok.sep_id = id_of_special(post.value("sep", json()));
  } else if (post.is_object() && post.value("type", "") == "TemplateProcessing") {
    const json& single = post.value("single", json::array());
    for (size_t i = 0; i < single.size(); ++i) {
      if (!single[i].contains("SpecialToken")) continue;
      const int id = id_of_special(single[i]["SpecialToken"]);
      (i == 0 ? tok.cls_id : tok.sep_id) = id;
    }
  }
  return tok;
}

TokenizerData read_hf_tokenizer(const std::string& path, int vocab_size, int bos_id, int eos_id,
                                std::string& why_not) {
  const json tokenizer = read_json(path);
  const json& model = tokenizer.value("model", json::object());
  const std::string type = model.value("type", std::string("?"));
  TokenizerData tok;
  if (type == "BPE" && model.value("byte_fallback", false)) {
    tok = read_sentencepiece_bpe(path, tokenizer, vocab_size);
  } else if (type == "BPE") {
    tok = read_byte_level_bpe(path, tokenizer, vocab_size, why_not);
  } else if (type == "WordPiece") {
    tok = read_wordpiece(path, tokenizer, vocab_size, why_not);
  } else if (type == "Unigram") {
    tok = read_unigram(path, tokenizer, vocab_size, why_not);
  } else {
    why_not = "tokenizer model " + type + " is not supported yet";
  }
  tok.bos_id = bos_id >= 0 ? bos_id : configured_special_id(path, "bos_token", tok);
  tok.eos_id = eos_id >= 0 ? eos_id : configured_special_id(path, "eos_token", tok);
  return tok;
}

}  // namespace edgeformer::converter
