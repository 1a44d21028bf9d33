#include "tokenizers/replacement_tokenizer.h"

#include <filesystem>

#include "convert_error.h"
#include "tokenizers/hf_tokenizer_reader.h"
#include "tokenizers/sentencepiece_reader.h"

namespace edgeformer::converter {

namespace {

std::string extension_of(const std::string& path) { return std::filesystem::path(path).extension().string(); }

}  // namespace

bool is_replacement_tokenizer(const std::string& path) {
  const std::string extension = extension_of(path);
  return extension == ".json" || extension == ".txt" || extension == ".spm" || extension == ".model";
}

const char* replacement_tokenizer_kinds() {
  return "a tokenizer.json, a BERT vocab.txt or a SentencePiece .model / .spm";
}

TokenizerData read_replacement_tokenizer(const std::string& path, int vocab_size) {
  const std::string extension = extension_of(path);
  if (extension == ".json") {
    std::string why_not;
    TokenizerData tokenizer = read_hf_tokenizer(path, vocab_size, -1, -1, why_not);
    if (!why_not.empty()) throw ConvertError(path + ": " + why_not);
    return tokenizer;
  }
  if (extension == ".txt") return read_wordpiece_vocab(path, vocab_size);
  return read_sentencepiece_model(path, vocab_size);  // .spm or .model
}

}  // namespace edgeformer::converter
