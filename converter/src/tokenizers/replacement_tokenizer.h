#pragma once
// --tokenizer FILE in place of a model's own tokenizer, in every family: a Hugging Face tokenizer.json, a BERT
// vocab.txt or a SentencePiece unigram .model / .spm, told apart by the file's extension. (A .bin is a llama2.c
// tokenizer, read with its checkpoint.)
#include <string>

#include "graph/graph.h"

namespace edgeformer::converter {

// Whether `path` is one of the kinds above.
bool is_replacement_tokenizer(const std::string& path);

// The kinds above, for messages: "a tokenizer.json, a BERT vocab.txt or a SentencePiece .model / .spm".
const char* replacement_tokenizer_kinds();

// The tokenizer in `path`, one of the kinds above, whose ids must fit `vocab_size`. Throws ConvertError for a
// tokenizer.json of a kind the runtime does not implement.
TokenizerData read_replacement_tokenizer(const std::string& path, int vocab_size);

}  // namespace edgeformer::converter
