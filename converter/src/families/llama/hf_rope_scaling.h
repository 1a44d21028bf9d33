#pragma once
// config.json's rope_scaling, as Hugging Face's modeling_rope_utils.py computes it, resolved into the frequency
// tables and factors the runtime's attention applies (docs/families.md: "Scaled RoPE").
#include <string>

#include <nlohmann/json.hpp>

#include "families/llama/llama_checkpoint.h"

namespace edgeformer::converter {

// The rope_scaling of `config` for a rotary embedding of rotary_dim elements per head: none, linear, dynamic,
// llama3, yarn or longrope (su), under either key spelling (rope_type, type). A type or key this does not
// implement is refused by name. max_positions is config.json's max_position_embeddings.
RopeScaling read_rope_scaling(const nlohmann::json& config, const std::string& config_path, int rotary_dim,
                              float theta, int max_positions);

}  // namespace edgeformer::converter
