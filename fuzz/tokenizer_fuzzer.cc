// Fuzz target: tokenizing any bytes either is refused as invalid UTF-8 or gives ids inside the vocabulary that
// detokenize back to exactly the same bytes (WordPiece, which folds case and spacing: that detokenize at all; text
// that spells the BOS or EOS marker, which detokenizes to nothing: that detokenize at all); detokenizing any id
// never reads outside the tables.
//
// It runs every tokenizer in the models named by EDGEFORMER_FUZZ_TOKENIZER_MODELS (':'-separated), by default the
// ones the build converts from ../shared and the test fixtures (one per tokenizer kind the runtime has).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "edgeformer/edgeformer.hpp"

namespace {

std::vector<std::shared_ptr<const edgeformer::Model>>& models() {
  static std::vector<std::shared_ptr<const edgeformer::Model>> loaded;
  return loaded;
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "tokenizer_fuzzer: %s\n", what);
  std::abort();
}

void check(const edgeformer::Model& model, const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<int32_t> ids;
  const edgeformer::Status status = model.tokenize(text, /*add_bos=*/true, &ids);
  const int vocab = model.info().vocab_size;
  if (!status.ok()) {
    if (status.code() != edgeformer::StatusCode::kInvalidArgument) fail(status.message().c_str());
  } else {
    // The BPE kinds keep every byte; WordPiece folds case and spacing, SentencePiece unigram normalizes (NFKC,
    // spaces) and frames a translation source with EOS instead of BOS.
    const std::string& kind = model.info().tokenizer_kind;
    const bool lossless = kind == "sentencepiece_bpe" || kind == "byte_level_bpe";
    if (lossless && (ids.empty() || ids[0] != model.bos_id())) fail("the ids do not start with BOS");
    std::string decoded, piece;
    bool spells_marker = false;
    for (size_t i = lossless ? 1 : 0; i < ids.size(); ++i) {
      if (ids[i] < 0 || ids[i] >= vocab) fail("an id is outside the vocabulary");
      spells_marker |= ids[i] == model.bos_id() || ids[i] == model.eos_id();
      if (!model.detokenize(i == 0 ? model.bos_id() : ids[i - 1], ids[i], &piece).ok())
        fail("a tokenized id does not detokenize");
      decoded += piece;
    }
    if (lossless && !spells_marker && decoded != text) fail("the text does not round-trip");
  }
  // The same bytes as a chat's system and user messages, where the model has a template: ids in the vocabulary, or
  // the text refused.
  if (model.chat_template_status().ok()) {
    const std::vector<edgeformer::ChatMessage> messages = {{edgeformer::ChatRole::kSystem, text.substr(0, size / 2)},
                                                           {edgeformer::ChatRole::kUser, text.substr(size / 2)}};
    const edgeformer::Status chat = model.tokenize_chat(messages, edgeformer::ChatOptions(), &ids);
    if (!chat.ok() && chat.code() != edgeformer::StatusCode::kInvalidArgument) fail(chat.message().c_str());
    for (int32_t id : chat.ok() ? ids : std::vector<int32_t>())
      if (id < 0 || id >= vocab) fail("a chat id is outside the vocabulary");
  }
  // The same bytes read as ids: any of them, in or out of range, gives text or kOutOfRange.
  for (size_t i = 0; i + 8 <= size && i < 64; i += 8) {
    int32_t previous, id;
    std::memcpy(&previous, data + i, 4);
    std::memcpy(&id, data + i + 4, 4);
    std::string piece;
    const edgeformer::Status s = model.detokenize(previous, id, &piece);
    if (!s.ok() && s.code() != edgeformer::StatusCode::kOutOfRange) fail(s.message().c_str());
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* list = std::getenv("EDGEFORMER_FUZZ_TOKENIZER_MODELS");
  std::string paths = list != nullptr ? list : EDGEFORMER_FUZZ_TOKENIZER_MODELS;
  for (size_t begin = 0; begin <= paths.size();) {
    size_t end = paths.find(':', begin);
    if (end == std::string::npos) end = paths.size();
    const std::string path = paths.substr(begin, end - begin);
    begin = end + 1;
    if (path.empty()) continue;
    std::shared_ptr<const edgeformer::Model> model;
    const edgeformer::Status s = edgeformer::Model::open_file(path, &model);
    if (!s.ok() || !model->has_tokenizer()) {
      std::fprintf(stderr, "tokenizer_fuzzer: %s: %s\n", path.c_str(), s.ok() ? "no tokenizer" : s.message().c_str());
      std::exit(77);  // ctest's skip code: the models come from ../shared, which may be absent
    }
    models().push_back(std::move(model));
  }
  if (models().empty()) {
    std::fprintf(stderr, "tokenizer_fuzzer: no tokenizer models (set EDGEFORMER_FUZZ_TOKENIZER_MODELS)\n");
    std::exit(77);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for (const auto& model : models()) check(*model, data, size);
  return 0;
}
