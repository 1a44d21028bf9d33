#include "families/llama/llama_checkpoint.h"

#include "convert_error.h"

namespace edgeformer::converter {

void check_llama_config(const LlamaConfig& c, const std::string& where) {
  auto require = [&](bool ok, const std::string& what) {
    if (!ok) throw ConvertError(where + ": " + what);
  };
  require(c.dim > 0 && c.hidden_dim > 0 && c.layers > 0 && c.heads > 0 && c.kv_heads > 0 && c.vocab_size > 0,
          "dimensions must be positive (dim " + std::to_string(c.dim) + ", hidden " + std::to_string(c.hidden_dim) +
              ", layers " + std::to_string(c.layers) + ", heads " + std::to_string(c.heads) + ", kv_heads " +
              std::to_string(c.kv_heads) + ", vocab " + std::to_string(c.vocab_size) + ")");
  require(c.head_dim > 0 || c.dim % c.heads == 0, "hidden size " + std::to_string(c.dim) +
                                                    " is not a multiple of heads " + std::to_string(c.heads));
  require(c.head_dim >= 0 && c.head_dim <= 4096, "head_dim " + std::to_string(c.head_dim) + " is out of range");
  require(c.heads % c.kv_heads == 0, "heads " + std::to_string(c.heads) + " is not a multiple of kv heads " +
                                         std::to_string(c.kv_heads));
  require(c.head_size() % 2 == 0, "head dim " + std::to_string(c.head_size()) + " must be even for RoPE");
  require(c.max_context > 0, "max context must be positive, found " + std::to_string(c.max_context));
  require(c.rope_theta > 0.0f, "rope_theta must be positive");
  require(c.rotary_dim() >= 2 && c.rotary_dim() % 2 == 0 && c.rotary_dim() <= c.head_size(),
          "rotary dim " + std::to_string(c.rotary_dim()) + " must be even and at most head dim " +
              std::to_string(c.head_size()));
  require(c.sliding_windows.empty() || c.sliding_windows.size() == size_t(c.layers),
          "sliding windows for " + std::to_string(c.sliding_windows.size()) + " of " + std::to_string(c.layers) +
              " layers");
  for (int w : c.sliding_windows) require(w >= 0, "sliding_window must be positive, found " + std::to_string(w));
  const size_t pairs = size_t(c.rotary_dim()) / 2;
  const RopeScaling& r = c.rope_scaling;
  require(r.inverse_frequencies.empty() || r.inverse_frequencies.size() == pairs,
          "rope_scaling gives " + std::to_string(r.inverse_frequencies.size()) + " frequencies for " +
              std::to_string(pairs) + " pairs");
  require(r.long_inverse_frequencies.empty() || r.long_inverse_frequencies.size() == pairs,
          "rope_scaling gives " + std::to_string(r.long_inverse_frequencies.size()) + " long frequencies for " +
              std::to_string(pairs) + " pairs");
  require(c.norm_epsilon > 0.0f, "rms_norm_eps must be positive");
}

}  // namespace edgeformer::converter
