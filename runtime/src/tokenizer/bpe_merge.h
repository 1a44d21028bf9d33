#pragma once
// The merge loop BPE tokenizers share: repeatedly merge the adjacent pair the rule ranks first (ties: leftmost).
// O(n log n) with a priority queue over a linked list of symbols, so that a long hostile prompt cannot make
// tokenizing quadratic.
#include <cstddef>
#include <cstdint>
#include <queue>
#include <vector>

namespace edgeformer {

// rule(left_token, right_token, &priority, &merged) says whether the pair merges, into which token, and how
// urgently (a higher priority merges first).
template <typename Priority, typename Rule>
void merge_pairs(std::vector<int32_t>& tokens, Rule&& rule) {
  const size_t n = tokens.size();
  if (n < 2) return;
  constexpr size_t kNone = SIZE_MAX;
  std::vector<size_t> next(n), previous(n);
  for (size_t i = 0; i < n; ++i) {
    next[i] = i + 1 < n ? i + 1 : kNone;
    previous[i] = i > 0 ? i - 1 : kNone;
  }
  std::vector<bool> alive(n, true);
  // The queue may hold merges that an earlier merge made stale; they are recognised by the tokens they were made
  // from and skipped.
  struct Candidate {
    Priority priority;
    size_t left, right;
    int32_t left_token, right_token, merged;
    bool operator<(const Candidate& other) const {
      return priority != other.priority ? priority < other.priority : left > other.left;
    }
  };
  std::priority_queue<Candidate> queue;
  const auto consider = [&](size_t left) {
    if (left == kNone || next[left] == kNone) return;
    const size_t right = next[left];
    Priority priority;
    int32_t merged;
    if (rule(tokens[left], tokens[right], &priority, &merged))
      queue.push({priority, left, right, tokens[left], tokens[right], merged});
  };
  for (size_t i = 0; i + 1 < n; ++i) consider(i);
  while (!queue.empty()) {
    const Candidate m = queue.top();
    queue.pop();
    if (!alive[m.left] || !alive[m.right] || next[m.left] != m.right || tokens[m.left] != m.left_token ||
        tokens[m.right] != m.right_token)
      continue;
    tokens[m.left] = m.merged;
    alive[m.right] = false;
    next[m.left] = next[m.right];
    if (next[m.left] != kNone) previous[next[m.left]] = m.left;
    consider(previous[m.left]);
    consider(m.left);
  }
  size_t kept = 0;
  for (size_t i = 0; i < n; ++i)
    if (alive[i]) tokens[kept++] = tokens[i];
  tokens.resize(kept);
}

}  // namespace edgeformer
