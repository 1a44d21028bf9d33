// Greedy and beam-search decoding for encoder-decoders, over the public Session API.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "edgeformer/schema/entry_names.h"
#include "session/session_impl.h"

namespace edgeformer {

namespace {

constexpr double kNever = -std::numeric_limits<double>::infinity();

// log_softmax of the logits in double, with the pad token (never generated) at -infinity.
void log_probabilities(const float* logits, int vocab, int32_t pad, std::vector<double>* out) {
  out->resize(static_cast<size_t>(vocab));
  double max = kNever;
  for (int i = 0; i < vocab; ++i)
    if (i != pad) max = std::max(max, double(logits[i]));
  double sum = 0.0;
  for (int i = 0; i < vocab; ++i)
    if (i != pad) sum += std::exp(double(logits[i]) - max);
  const double log_sum = max + std::log(sum);
  for (int i = 0; i < vocab; ++i) (*out)[i] = i == pad ? kNever : double(logits[i]) - log_sum;
}

struct Beam {
  double score;
  std::vector<int32_t> tokens;  // from BOS; the beam's session has consumed all of them
  size_t slot;
};

struct Candidate {
  double score;
  size_t beam;
  int32_t token;
  bool operator<(const Candidate& o) const {
    if (score != o.score) return score > o.score;
    return beam != o.beam ? beam < o.beam : token < o.token;
  }
};

struct Finished {
  double score;  // summed log-probability over the generated length
  std::vector<int32_t> tokens;
};

}  // namespace

Status Session::translate(const int32_t* source, size_t count, const TranslateOptions& options,
                          std::vector<int32_t>* target) {
  if (target == nullptr) return Status(StatusCode::kInvalidArgument, "target is null");
  if (options.beams < 1 || options.beams > 64)
    return Status(StatusCode::kInvalidArgument, "beams must be 1..64, got " + std::to_string(options.beams));
  const Model& model = *impl_->model_;
  const int32_t bos = model.bos_id(), eos = model.eos_id(), pad = model.impl().tokenizer.pad;
  if (impl_->prefill_ == nullptr || impl_->decode_ == nullptr ||
      impl_->loaded_->find_entry(schema::names::kEncode) == nullptr || bos < 0)
    return Status(StatusCode::kUnsupported, "this model is not an encoder-decoder with a start token");
  if (Status s = encode(source, nullptr, nullptr, count); !s.ok()) return s;
  size_t limit = max_context() - 1;  // BOS takes the first position
  if (options.max_tokens > 0) limit = std::min(limit, options.max_tokens);
  target->clear();
  if (Status s = decode(bos); !s.ok()) return s;
  const int vocab = vocab_size();
  std::vector<double> log_probs;

  if (options.beams == 1) {
    while (target->size() < limit) {
      log_probabilities(logits(), vocab, pad, &log_probs);
      const int32_t token = int32_t(std::max_element(log_probs.begin(), log_probs.end()) - log_probs.begin());
      if (token == eos) break;
      target->push_back(token);
      if (target->size() == limit) break;
      if (Status s = decode(token); !s.ok()) return s;
    }
    return Status();
  }

  // Slots: this session, then sessions created on demand; the last one is a spare for forking in a cycle.
  const size_t beams = static_cast<size_t>(options.beams);
  std::vector<std::unique_ptr<Session>> owned;
  std::vector<Session*> slots = {this};
  const auto slot = [&](size_t index, Session** out) -> Status {
    while (slots.size() <= index) {
      SessionOptions session_options;
      session_options.threads = impl_->pool_.threads();
      std::unique_ptr<Session> created;
      if (Status s = Session::create(impl_->model_, session_options, &created); !s.ok()) return s;
      slots.push_back(created.get());
      owned.push_back(std::move(created));
    }
    *out = slots[index];
    return Status();
  };

  std::vector<Beam> live = {{0.0, {bos}, 0}};
  std::vector<Finished> finished;
  std::vector<Candidate> candidates;
  std::vector<int32_t> order(static_cast<size_t>(vocab));
  while (!live.empty() && finished.size() < beams) {
    candidates.clear();
    for (size_t b = 0; b < live.size(); ++b) {
      log_probabilities(slots[live[b].slot]->logits(), vocab, pad, &log_probs);
      // The best 2 * beams overall hold at most 2 * beams of one beam's.
      for (int i = 0; i < vocab; ++i) order[i] = i;
      const size_t keep = std::min(order.size(), 2 * beams);
      std::partial_sort(order.begin(), order.begin() + keep, order.end(), [&](int32_t x, int32_t y) {
        return log_probs[x] != log_probs[y] ? log_probs[x] > log_probs[y] : x < y;
      });
      for (size_t i = 0; i < keep; ++i)
        if (log_probs[order[i]] != kNever) candidates.push_back({live[b].score + log_probs[order[i]], b, order[i]});
    }
    std::sort(candidates.begin(), candidates.end());
    // This step's token is the last one allowed when the beams hold BOS and limit - 1 tokens.
    const bool at_limit = live.front().tokens.size() >= limit;
    std::vector<Beam> next;
    for (size_t rank = 0; rank < candidates.size() && rank < 2 * beams; ++rank) {
      const Candidate& c = candidates[rank];
      const std::vector<int32_t>& tokens = live[c.beam].tokens;
      const double length = static_cast<double>(tokens.size());  // generated tokens, this one included
      if (c.token == eos) {
        if (rank < beams)
          finished.push_back({c.score / length, std::vector<int32_t>(tokens.begin() + 1, tokens.end())});
      } else if (at_limit) {
        std::vector<int32_t> done(tokens.begin() + 1, tokens.end());
        done.push_back(c.token);
        finished.push_back({c.score / length, std::move(done)});
      } else {
        std::vector<int32_t> extended = tokens;
        extended.push_back(c.token);
        next.push_back({c.score, std::move(extended), c.beam});  // slot: the parent beam's index for now
      }
      if (next.size() == beams || finished.size() >= beams) break;
    }
    if (at_limit || finished.size() >= beams) break;
    // Beam i continues in slot i from its parent's context: copy where the parent is another slot, in an order
    // that never overwrites a context still to be copied (a cycle goes through the spare, slot `beams`).
    std::vector<size_t> parent(next.size());
    for (size_t i = 0; i < next.size(); ++i) parent[i] = live[next[i].slot].slot;
    std::vector<bool> pending(next.size());
    for (size_t i = 0; i < next.size(); ++i) pending[i] = parent[i] != i;
    for (size_t remaining = std::count(pending.begin(), pending.end(), true); remaining > 0;) {
      size_t free_slot = next.size();
      for (size_t i = 0; i < next.size() && free_slot == next.size(); ++i) {
        if (!pending[i]) continue;
        bool needed = false;
        for (size_t j = 0; j < next.size(); ++j) needed |= pending[j] && j != i && parent[j] == i;
        if (!needed) free_slot = i;
      }
      if (free_slot == next.size()) {
        size_t cycle = 0;
        while (!pending[cycle]) ++cycle;
        Session* spare = nullptr;
        if (Status s = slot(beams, &spare); !s.ok()) return s;
        if (Status s = spare->copy_context_from(*slots[cycle]); !s.ok()) return s;
        for (size_t j = 0; j < next.size(); ++j)
          if (pending[j] && parent[j] == cycle) parent[j] = beams;
        continue;
      }
      Session* destination = nullptr;
      if (Status s = slot(free_slot, &destination); !s.ok()) return s;
      if (Status s = destination->copy_context_from(*slots[parent[free_slot]]); !s.ok()) return s;
      pending[free_slot] = false;
      --remaining;
    }
    for (size_t i = 0; i < next.size(); ++i) {
      next[i].slot = i;
      Session* session = nullptr;
      if (Status s = slot(i, &session); !s.ok()) return s;
      if (Status s = session->decode(next[i].tokens.back()); !s.ok()) return s;
    }
    live = std::move(next);
  }
  if (finished.empty()) return Status(StatusCode::kInternal, "beam search finished no hypothesis");
  size_t best = 0;
  for (size_t i = 1; i < finished.size(); ++i)
    if (finished[i].score > finished[best].score) best = i;
  *target = std::move(finished[best].tokens);
  return Status();
}

}  // namespace edgeformer
