// The offline memory planner: on random lifetimes, and on the real stories260K graph, every invariant the runtime
// relies on holds (checked here by brute force, independently of the planner and of the runtime's checker).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "families/llama/llama2c_reader.h"
#include "graph/memory_planner.h"
#include "test_support.h"

namespace edgeformer::testing {
namespace {

using converter::BufferRequest;
using converter::MemoryPlan;

constexpr int kRandomGraphs = 300;

uint64_t round_up(uint64_t value, uint64_t alignment) { return (value + alignment - 1) / alignment * alignment; }

void expect_valid_plan(const std::vector<BufferRequest>& requests, const MemoryPlan& plan, uint64_t alignment) {
  ASSERT_EQ(plan.offsets.size(), requests.size());
  EXPECT_EQ(plan.arena_bytes % alignment, 0u);
  int last_op = 0;
  uint64_t aligned_sum = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(plan.offsets[i] % alignment, 0u) << "buffer " << i;
    EXPECT_LE(plan.offsets[i] + requests[i].size, plan.arena_bytes) << "buffer " << i;
    last_op = std::max(last_op, requests[i].last_op);
    aligned_sum += round_up(requests[i].size, alignment);
    for (size_t j = i + 1; j < requests.size(); ++j) {
      // Lifetimes are inclusive at both ends: an op reads its inputs while it writes its outputs.
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
  // Nor need it be larger than no reuse at all: every greedy offset is 0 or the aligned end of a placed buffer.
  EXPECT_LE(plan.arena_bytes, aligned_sum);
}

std::vector<BufferRequest> random_requests(std::mt19937& rng, int graph) {
  const int count = std::uniform_int_distribution<int>(1, 60)(rng);
  const int ops = std::uniform_int_distribution<int>(1, 40)(rng);
  std::vector<BufferRequest> requests;
  for (int i = 0; i < count; ++i) {
    const int first = std::uniform_int_distribution<int>(0, ops - 1)(rng);
    const int last = std::uniform_int_distribution<int>(first, ops - 1)(rng);
    // Sizes from 1 byte up, mostly not multiples of the alignment; some graphs have only tiny ones (many ties).
    const uint64_t size = std::uniform_int_distribution<uint64_t>(1, graph % 3 == 0 ? 100 : 100000)(rng);
    requests.push_back({size, first, last});
  }
  return requests;
}

TEST(MemoryPlanner, RandomLifetimesKeepEveryInvariant) {
  std::mt19937 rng(2026);
  const uint64_t alignments[] = {64, 16, 1, 4096};
  for (int graph = 0; graph < kRandomGraphs; ++graph) {
    const std::vector<BufferRequest> requests = random_requests(rng, graph);
    const uint64_t alignment = alignments[graph % 4];
    SCOPED_TRACE("graph " + std::to_string(graph) + ", alignment " + std::to_string(alignment));
    const MemoryPlan plan = converter::plan_memory(requests, alignment);
    expect_valid_plan(requests, plan, alignment);
    // The converter's output must not depend on anything but its input (reproducible .eft files).
    EXPECT_EQ(converter::plan_memory(requests, alignment).offsets, plan.offsets);
  }
}

TEST(MemoryPlanner, DefaultAlignmentIs64) {
  std::mt19937 rng(5);
  for (int graph = 0; graph < 50; ++graph) {
    const std::vector<BufferRequest> requests = random_requests(rng, graph);
    SCOPED_TRACE("graph " + std::to_string(graph));
    expect_valid_plan(requests, converter::plan_memory(requests), 64);
  }
}

TEST(MemoryPlanner, EmptyAndSingleBuffer) {
  const MemoryPlan empty = converter::plan_memory({});
  EXPECT_TRUE(empty.offsets.empty());
  EXPECT_EQ(empty.arena_bytes, 0u);
  // One byte still takes one aligned slot.
  const MemoryPlan one = converter::plan_memory({{1, 0, 0}});
  ASSERT_EQ(one.offsets.size(), 1u);
  EXPECT_EQ(one.offsets[0], 0u);
  EXPECT_EQ(one.arena_bytes, 64u);
}

TEST(MemoryPlanner, DisjointLifetimesShareOneSlot) {
  const std::vector<BufferRequest> requests = {{1000, 0, 0}, {700, 1, 1}, {1000, 2, 3}, {64, 4, 4}};
  const MemoryPlan plan = converter::plan_memory(requests);
  for (uint64_t offset : plan.offsets) EXPECT_EQ(offset, 0u);
  EXPECT_EQ(plan.arena_bytes, 1024u);
}

TEST(MemoryPlanner, LifetimesTouchingAtOneOpDoNotShare) {
  // Op 2 reads the first buffer and writes the second: both are live there, so they may not alias.
  const std::vector<BufferRequest> requests = {{100, 0, 2}, {100, 2, 4}};
  const MemoryPlan plan = converter::plan_memory(requests);
  expect_valid_plan(requests, plan, 64);
  EXPECT_NE(plan.offsets[0], plan.offsets[1]);
  EXPECT_EQ(plan.arena_bytes, 256u);
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

// Lifetimes of the entry's arena tensors from its operator order, computed here rather than by the planner.
std::map<int, BufferRequest> entry_lifetimes(const converter::Graph& graph, const converter::Entry& entry) {
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
  return lifetimes;
}

void expect_valid_entry_plan(const converter::Graph& graph, const converter::Entry& entry) {
  std::vector<BufferRequest> requests;
  MemoryPlan plan;
  plan.arena_bytes = entry.arena_bytes;
  for (const auto& [id, request] : entry_lifetimes(graph, entry)) {
    requests.push_back(request);
    plan.offsets.push_back(graph.tensors[id].offset);
  }
  SCOPED_TRACE(entry.name);
  EXPECT_GT(requests.size(), 10u);  // the graph really has activations to plan
  expect_valid_plan(requests, plan, converter::kArenaAlignment);
}

converter::Graph stories260k_graph(const std::string& dir, converter::WeightFormat format) {
  converter::GraphOptions options;
  options.weights = format;
  options.prefill_rows = 37;  // not a multiple of anything
  return converter::build_llama_graph(converter::read_llama2c(dir + "/stories260K.bin", dir + "/tok512.bin"),
                                      options);
}

TEST(MemoryPlanner, Stories260kGraphPlanIsValid) {
  EDGEFORMER_REQUIRE_STORIES260K(dir);
  for (auto format : {converter::WeightFormat::kF32, converter::WeightFormat::kInt8}) {
    const converter::Graph graph = stories260k_graph(dir, format);
    ASSERT_EQ(graph.entries.size(), 2u);
    for (const converter::Entry& entry : graph.entries) {
      expect_valid_entry_plan(graph, entry);
      EXPECT_LE(entry.arena_bytes, graph.arena_bytes());
    }
  }
}

TEST(MemoryPlanner, PlanEntryAssignsEveryArenaTensorOfTheEntry) {
  EDGEFORMER_REQUIRE_STORIES260K(dir);
  converter::Graph graph = stories260k_graph(dir, converter::WeightFormat::kInt8);
  const converter::Graph planned_by_builder = graph;
  // Wipe the plan: a misaligned sentinel offset survives only in a tensor plan_entry forgot.
  for (converter::Tensor& t : graph.tensors)
    if (t.storage == converter::Storage::Arena) t.offset = 1;
  for (converter::Entry& entry : graph.entries) {
    entry.arena_bytes = 0;
    converter::plan_entry(graph, entry);
    expect_valid_entry_plan(graph, entry);
  }
  // Planning again from scratch gives what the builder wrote (the plan depends only on the graph), and weight
  // and KV-cache offsets, which are not the planner's, are left alone.
  for (size_t i = 0; i < graph.tensors.size(); ++i)
    EXPECT_EQ(graph.tensors[i].offset, planned_by_builder.tensors[i].offset) << graph.tensors[i].name;
  for (size_t e = 0; e < graph.entries.size(); ++e)
    EXPECT_EQ(graph.entries[e].arena_bytes, planned_by_builder.entries[e].arena_bytes);
}

}  // namespace
}  // namespace edgeformer::testing
