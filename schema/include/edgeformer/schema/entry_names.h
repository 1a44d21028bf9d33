#pragma once
// The names the converter gives entries and their tensors, and the runtime looks up: one definition for both.
// An entry's own tensors are named "<entry>/<name>" in the file (entry_tensor_name); weights and state keep the
// plain names the graph builders give them.
#include <cstring>
#include <string>

namespace edgeformer::schema::names {

// Entries.
inline constexpr char kPrefill[] = "prefill";  // decoders: up to max_rows prompt tokens -> logits of the last one
inline constexpr char kDecode[] = "decode";    // decoders: one token -> its logits
inline constexpr char kEncode[] = "encode";    // encoders and encoder-decoders: a padded sequence -> its outputs

// Inputs.
inline constexpr char kTokens[] = "tokens";            // i32 [rows]: token ids
inline constexpr char kPosition[] = "position";        // i32 [1]: where the rows start in the KV cache
inline constexpr char kTokenTypes[] = "token_types";   // i32 [rows]: BERT's segment ids
inline constexpr char kMask[] = "mask";                // i32 [rows]: 1 for a token, 0 for the padding after them

// Outputs.
inline constexpr char kLogits[] = "logits";        // f32 [1, vocab] (decoders) or [1, labels] (classifiers)
inline constexpr char kHidden[] = "hidden";        // f32 [rows, dim]: an encoder's last hidden states
inline constexpr char kEmbedding[] = "embedding";  // f32 [1, dim]: a sentence embedding
inline constexpr char kPooled[] = "pooled";        // f32 [1, dim]: a classifier's pooled [CLS] state

inline std::string entry_tensor_name(const std::string& entry, const std::string& name) { return entry + "/" + name; }

// Whether `full` is entry_tensor_name(entry, name), compared in place (the runtime allocates nothing while running).
inline bool is_entry_tensor(const char* full, const char* entry, const char* name) {
  const size_t entry_length = std::strlen(entry);
  return std::strncmp(full, entry, entry_length) == 0 && full[entry_length] == '/' &&
         std::strcmp(full + entry_length + 1, name) == 0;
}

}  // namespace edgeformer::schema::names
