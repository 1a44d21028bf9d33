#include "graph/memory_planner.h"

#include <algorithm>
#include <map>
#include <numeric>

namespace edgeformer::converter {

namespace {

uint64_t align_up(uint64_t value, uint64_t alignment) { return (value + alignment - 1) / alignment * alignment; }

bool lifetimes_overlap(const BufferRequest& a, const BufferRequest& b) {
  return a.first_op <= b.last_op && b.first_op <= a.last_op;
}

}  // namespace

MemoryPlan plan_memory(const std::vector<BufferRequest>& requests, uint64_t alignment) {
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), size_t{0});
  // Largest first; ties by earlier start so that the plan is deterministic.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (requests[a].size != requests[b].size) return requests[a].size > requests[b].size;
    return requests[a].first_op < requests[b].first_op;
  });

  MemoryPlan plan;
  plan.offsets.assign(requests.size(), 0);
  std::vector<size_t> placed;
  for (size_t index : order) {
    const BufferRequest& request = requests[index];
    // Intervals already taken by buffers that are live at the same time, by offset.
    std::vector<std::pair<uint64_t, uint64_t>> busy;
    for (size_t other : placed)
      if (lifetimes_overlap(request, requests[other]))
        busy.emplace_back(plan.offsets[other], plan.offsets[other] + requests[other].size);
    std::sort(busy.begin(), busy.end());
    // The lowest gap that fits.
    uint64_t candidate = 0;
    for (const auto& [begin, end] : busy) {
      if (candidate + request.size <= begin) break;
      candidate = std::max(candidate, align_up(end, alignment));
    }
    plan.offsets[index] = candidate;
    plan.arena_bytes = std::max(plan.arena_bytes, align_up(candidate + request.size, alignment));
    placed.push_back(index);
  }
  return plan;
}

void plan_entry(Graph& graph, Entry& entry) {
  const int last = static_cast<int>(entry.operators.size()) - 1;
  std::map<int, BufferRequest> lifetimes;
  auto touch = [&](int id, int op) {
    if (graph.tensors[id].storage != Storage::Arena) return;
    auto [it, inserted] = lifetimes.try_emplace(id, BufferRequest{graph.tensors[id].byte_size(), op, op});
    if (!inserted) {
      it->second.first_op = std::min(it->second.first_op, op);
      it->second.last_op = std::max(it->second.last_op, op);
    }
  };
  for (int id : entry.inputs) touch(id, 0);
  for (int op = 0; op <= last; ++op) {
    const Operator& o = entry.operators[op];
    for (int id : o.inputs) touch(id, op);
    for (int id : o.outputs) touch(id, op);
    if (o.scratch >= 0) touch(o.scratch, op);
  }
  for (int id : entry.outputs) touch(id, last);

  std::vector<int> ids;
  std::vector<BufferRequest> requests;
  for (const auto& [id, request] : lifetimes) {
    ids.push_back(id);
    requests.push_back(request);
  }
  MemoryPlan plan = plan_memory(requests);
  for (size_t i = 0; i < ids.size(); ++i) graph.tensors[ids[i]].offset = plan.offsets[i];
  entry.arena_bytes = plan.arena_bytes;
}

}  // namespace edgeformer::converter
