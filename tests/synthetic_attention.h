#pragma once
// Synthetic captured attention for the tests of the attention pictures and page.
#include <cstddef>
#include <string>
#include <vector>

#include "attention_maps.h"

namespace edgeformer::testing {

// `count` token texts that a picture or a page must survive: markup, entities, quotes, emoji, spaces, a line break,
// a tab, text beyond ASCII, a label too long to show whole. Valid UTF-8, and no address or "src=".
std::vector<std::string> hostile_tokens(size_t count);

// The model "synthetic <model>.eft", of `kind`, with hostile token texts; each row a softmax of varied logits (sums to
// 1) with exact zeros where a causal mask hides a key (key > query + keys - queries; key 0 is always seen).
cli::AttentionMaps synthetic_attention(const std::vector<int>& layers, const std::vector<int>& heads, size_t queries,
                                       size_t keys, const std::string& kind = "decoder");

}  // namespace edgeformer::testing
