#pragma once
// Hugging Face tokenizer.json files, read into the tables the runtime tokenizes with:
// - BPE with byte_fallback and "▁" for spaces (LLaMA 1/2): SentencePieceBpe;
// - BPE with the ByteLevel pre-tokenizer and the GPT-2 split pattern (GPT-2, RoBERTa-style): ByteLevelBpe;
// - WordPiece with the BERT normalizer and pre-tokenizer (BERT, sentence-transformers): WordPiece.
#include <string>

#include "graph/graph.h"

namespace edgeformer::converter {

// Returns kind None, with the reason in `why_not`, for tokenizers the runtime does not implement (it then runs from
// token ids). Vocabulary ids at or above vocab_size are an error (the tokenizer does not belong to the model); added
// tokens there are left out.
TokenizerData read_hf_tokenizer(const std::string& path, int vocab_size, int bos_id, int eos_id,
                                std::string& why_not);

// A BERT vocab.txt (one WordPiece token per line, id = line number), with BertTokenizer's options from the
// tokenizer_config.json beside it (do_lower_case, strip_accents, tokenize_chinese_chars, special tokens).
TokenizerData read_wordpiece_vocab(const std::string& path, int vocab_size);

}  // namespace edgeformer::converter
