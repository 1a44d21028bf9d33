#pragma once
// SentencePiece model files (.spm / .model), read with Debian's libsentencepiece: a unigram model's pieces,
// scores and normalizer, as the runtime's SentencePieceUnigram tokenizer; and a Marian folder's tokenizer
// (source.spm for the text, vocab.json for the model's ids).
#include <string>

#include "graph/graph.h"

namespace edgeformer::converter {

// Whether this converter was built with libsentencepiece (else the readers below throw ConvertError saying so).
bool have_sentencepiece();

// A unigram .spm file as a tokenizer whose ids are the file's; `vocab_size` bounds them. Throws ConvertError for
// other model types (bpe, word, char) and options the runtime does not apply (byte fallback, whitespace as suffix).
TokenizerData read_sentencepiece_model(const std::string& path, int vocab_size);

// MarianTokenizer: source.spm segments the text, vocab.json gives each piece its model id (pieces it lacks cannot be
// produced), the source ends with EOS; ">>xx<<" language tokens are matched first. Decoding reads vocab.json's
// pieces.
TokenizerData read_marian_tokenizer(const std::string& folder, int vocab_size, int decoder_start_id, int eos_id,
                                    int pad_id);

}  // namespace edgeformer::converter
