#pragma once
// Offline activation memory planning: greedy by size over tensor lifetimes (as TFLite Micro's
// GreedyMemoryPlanner; Pisarchyk & Lee 2020, "Efficient Memory Management for Deep Neural Net Inference").
#include <cstdint>
#include <vector>

#include "graph/graph.h"

namespace edgeformer::converter {

constexpr uint64_t kArenaAlignment = 64;

// A buffer is live from the operator that first touches it to the one that last does, both inclusive.
struct BufferRequest {
  uint64_t size;
  int first_op;
  int last_op;
};

struct MemoryPlan {
  std::vector<uint64_t> offsets;  // one per request, aligned
  uint64_t arena_bytes = 0;
};

MemoryPlan plan_memory(const std::vector<BufferRequest>& requests, uint64_t alignment = kArenaAlignment);

// Plans every arena tensor an entry touches and stores the offsets in the graph's tensors.
void plan_entry(Graph& graph, Entry& entry);

}  // namespace edgeformer::converter
