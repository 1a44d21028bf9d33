// The offline memory planner: on random lifetimes, and on the real stories260K graph, every invariant the runtime
// relies on holds (checked here by brute force, independently of the planner and of the runtime's checker).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "llama2c_reader.h"
#include "memory_planner.h"
#include "test_support.h"

namespace edgeformer::testing {
namespace {

using converter::BufferRequest;
using converter::MemoryPlan;

constexpr int kRandomGraphs = 300;

void expect_valid_plan(const std::vector<BufferRequest>& requests, const MemoryPlan& plan, uint64_t alignment) {
  ASSERT_EQ(plan.offsets.size(), requests.size());
  EXPECT_EQ(plan.arena_bytes % alignment, 0u);
  int last_op = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(plan.offsets[i] % alignment, 0u) << i;
    EXPECT_LE(plan.offsets[i] + requests[i].size, plan.arena_bytes) << i;
    last_op = std::max(last_op, requests[i].last_op);
    for (size_t j = i + 1; j < requests.size(); ++j) {
      const bool live_together = requests[i].first_op <= requests[j].last_op &&
                                 requests[j].first_op <= requests[i].last_op;
      const bool share_bytes = plan.offsets[i] < plan.offsets[j] + requests[j].size &&
                               plan.offsets[j] < plan.offsets[i] + requests[i].size;
      EXPECT_FALSE(live_together && share_bytes) << "buffers " << i << " and " << j << " overlap while both live";
    }
  }
  // No plan can be smaller than what is live at the busiest op.
  for (int op = 0; op <= last_op; ++op) {
    uint64_t live = 0;
    for (const BufferRequest& r : requests)
      if (r.first_op <= op && op <= r.last_op) live += r.size;
    EXPECT_GE(plan.arena_bytes, live) << "op " << op;
  }
}

TEST(MemoryPlanner, RandomLifetimesKeepEveryInvariant) {
  std::mt19937 rng(2026);
  for (int graph = 0; graph < kRandomGraphs; ++graph) {
    const int count = std::uniform_int_distribution<int>(1, 60)(rng);
    const int ops = std::uniform_int_distribution<int>(1, 40)(rng);
    std::vector<BufferRequest> requests;
    for (int i = 0; i < count; ++i) {
      const int first = std::uniform_int_distribution<int>(0, ops - 1)(rng);
      const int last = std::uniform_int_distribution<int>(first, ops - 1)(rng);
      // Sizes from 1 byte up, mostly not multiples of the alignment.
      const uint64_t size = std::uniform_int_distribution<uint64_t>(1, graph % 3 == 0 ? 100 : 100000)(rng);
      requests.push_back({size, first, last});
    }
    const uint64_t alignment = graph % 2 ? 64 : 16;
    SCOPED_TRACE("graph " + std::to_string(graph));
    expect_valid_plan(requests, converter::plan_memory(requests, alignment), alignment);
  }
}

TEST(MemoryPlanner, DisjointLifetimesShareOneSlot) {
  const std::vector<BufferRequest> requests = {{1000, 0, 0}, {700, 1, 1}, {1000, 2, 3}, {64, 4, 4}};
  const MemoryPlan plan = converter::plan_memory(requests);
  for (uint64_t offset : plan.offsets) EXPECT_EQ(offset, 0u);
  EXPECT_EQ(plan.arena_bytes, 1024u);
}

TEST(MemoryPlanner, BuffersLiveTogetherAddUp) {
  const std::vector<BufferRequest> requests = {{100, 0, 5}, {200, 0, 5}, {64, 2, 3}};
  const MemoryPlan plan = converter::plan_memory(requests);
  expect_valid_plan(requests, plan, 64);
  EXPECT_EQ(plan.arena_bytes, 128u + 256u + 64u);
}

TEST(MemoryPlanner, ReusesAGapBetweenTwoLiveBuffers) {
  // 0 and 2 stay live; 1 dies, and 3 (no larger than 1) must land in 1's place rather than grow the arena.
  const std::vector<BufferRequest> requests = {{512, 0, 3}, {256, 0, 1}, {512, 0, 3}, {192, 2, 3}};
  const MemoryPlan plan = converter::plan_memory(requests);
  expect_valid_plan(requests, plan, 64);
  EXPECT_EQ(plan.arena_bytes, 512u + 512u + 256u);
}

TEST(MemoryPlanner, Stories260kGraphPlanIsValid) {
  EDGEFORMER_REQUIRE_STORIES260K(dir);
  for (auto format : {converter::WeightFormat::kF32, converter::WeightFormat::kInt8}) {
    converter::LlamaGraphOptions options;
    options.weights = format;
    options.prefill_rows = 37;  // not a multiple of anything
    const converter::Graph graph = converter::build_llama_graph(
        converter::read_llama2c(dir + "/stories260K.bin", dir + "/tok512.bin"), options);
    for (const converter::Entry& entry : graph.entries) {
      // Lifetimes from the operator order, computed here, not by the planner.
      std::map<int, BufferRequest> lifetimes;
      auto touch = [&](int id, int op) {
        if (graph.tensors[id].storage != converter::Storage::Arena) return;
        auto [it, inserted] = lifetimes.try_emplace(id, BufferRequest{graph.tensors[id].byte_size(), op, op});
        it->second.first_op = std::min(it->second.first_op, op);
        it->second.last_op = std::max(it->second.last_op, op);
      };
      const int last = static_cast<int>(entry.operators.size()) - 1;
      for (int id : entry.inputs) touch(id, 0);
      for (int op = 0; op <= last; ++op) {
        for (int id : entry.operators[op].inputs) touch(id, op);
        for (int id : entry.operators[op].outputs) touch(id, op);
        if (entry.operators[op].scratch >= 0) touch(entry.operators[op].scratch, op);
      }
      for (int id : entry.outputs) touch(id, last);
      std::vector<BufferRequest> requests;
      MemoryPlan plan;
      plan.arena_bytes = entry.arena_bytes;
      for (const auto& [id, request] : lifetimes) {
        requests.push_back(request);
        plan.offsets.push_back(graph.tensors[id].offset);
      }
      SCOPED_TRACE(entry.name);
      EXPECT_GT(requests.size(), 10u);
      expect_valid_plan(requests, plan, converter::kArenaAlignment);
      EXPECT_LE(entry.arena_bytes, graph.arena_bytes());
    }
  }
}

}  // namespace
}  // namespace edgeformer::testing
