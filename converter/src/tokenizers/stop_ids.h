#pragma once
// The ids that end generation in a Hugging Face folder. Instruct models have several (Llama 3: <|end_of_text|>,
// <|eom_id|>, <|eot_id|>; Qwen2.5: <|im_end|>, <|endoftext|>), spread over three files.
#include <cstdint>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace edgeformer::converter {

// tok.eos_id, then generation_config.json's eos_token_id, config.json's (each an int or a list) and
// tokenizer_config.json's eos_token (a string or {"content": ...}, found among tok's pieces), each id once, in that
// order. An id outside [0, vocab_size) is an error naming the file.
std::vector<int32_t> read_stop_ids(const std::string& folder, const TokenizerData& tok, int vocab_size);

}  // namespace edgeformer::converter
