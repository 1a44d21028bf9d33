// Entries: their tensor ids, each operator checked by its type (ops/), the execution order (nothing read before it
// is written), and the memory plan (inside the arena, no two live tensors overlapping).
#include <algorithm>
#include <map>

#include "edgeformer/schema/operator_name.h"
#include "loader/binding.h"
#include "ops/operator.h"

namespace edgeformer {

namespace {

// The memory plan: within the entry's arena, and no two tensors that are live at the same time overlap.
Status check_plan(const std::vector<BoundTensor>& tensors, const BoundEntry& entry) {
  struct Interval {
    uint64_t begin, end;
    int first, last, id;
  };
  std::map<int, Interval> live;
  auto touch = [&](int id, int op) {
    const BoundTensor& t = tensors[id];
    if (t.storage != schema::Storage::Arena) return;
    auto [it, inserted] = live.try_emplace(id, Interval{t.offset, t.offset + t.bytes, op, op, id});
    it->second.first = std::min(it->second.first, op);
    it->second.last = std::max(it->second.last, op);
  };
  const int last = static_cast<int>(entry.operators.size()) - 1;
  for (int id : entry.inputs) touch(id, 0);
  for (int i = 0; i <= last; ++i) {
    for (int id : entry.operators[i].inputs) touch(id, i);
    for (int id : entry.operators[i].outputs) touch(id, i);
    if (entry.operators[i].scratch >= 0) touch(entry.operators[i].scratch, i);
  }
  for (int id : entry.outputs) touch(id, last);

  std::vector<Interval> intervals;
  for (const auto& [id, interval] : live) {
    if (interval.end > entry.arena_bytes)
      return invalid("entry '" + entry.name + "': " + tensor_label(tensors[id], id) + " ends at " +
                     std::to_string(interval.end) + ", past the entry's arena of " +
                     std::to_string(entry.arena_bytes) + " bytes");
    intervals.push_back(interval);
  }
  std::sort(intervals.begin(), intervals.end(), [](const Interval& a, const Interval& b) { return a.begin < b.begin; });
  for (size_t i = 0; i < intervals.size(); ++i)
    for (size_t j = i + 1; j < intervals.size() && intervals[j].begin < intervals[i].end; ++j) {
      const Interval &a = intervals[i], &b = intervals[j];
      if (a.first <= b.last && b.first <= a.last)
        return invalid("entry '" + entry.name + "': " + tensor_label(tensors[a.id], a.id) + " and " +
                       tensor_label(tensors[b.id], b.id) + " overlap in the arena while both are live");
    }
  return Status();
}

Status bind_ids(const flatbuffers::Vector<int32_t>* ids, size_t tensor_count, const std::string& where,
                std::vector<int>* out) {
  if (ids->size() > 4096) return invalid(where + ": too many tensor ids");
  for (int32_t id : *ids) {
    if (id < 0 || static_cast<size_t>(id) >= tensor_count)
      return invalid(where + ": tensor id " + std::to_string(id) + " is out of range (" +
                     std::to_string(tensor_count) + " tensors)");
    out->push_back(id);
  }
  return Status();
}

}  // namespace

Status bind_entry(const schema::Entry& def, const std::vector<BoundTensor>& tensors, const schema::Model& m,
                  BoundEntry* entry) {
  entry->name = def.name()->str();
  entry->max_rows = def.max_rows();
  entry->arena_bytes = def.arena_bytes();
  const std::string where = "entry '" + entry->name + "'";
  if (entry->max_rows < 1 || entry->max_rows > (1 << 24)) return invalid(where + ": max_rows must be positive");
  if (entry->arena_bytes > m.arena_bytes()) return invalid(where + ": arena larger than the model's arena");
  if (def.operators()->size() == 0) return invalid(where + ": no operators");
  if (Status s = bind_ids(def.inputs(), tensors.size(), where + " inputs", &entry->inputs); !s.ok()) return s;
  if (Status s = bind_ids(def.outputs(), tensors.size(), where + " outputs", &entry->outputs); !s.ok()) return s;
  for (int id : entry->inputs)
    if (tensors[id].storage != schema::Storage::Arena) return invalid(where + ": inputs must be arena tensors");
  for (int id : entry->outputs)
    if (tensors[id].storage != schema::Storage::Arena) return invalid(where + ": outputs must be arena tensors");
  // The caller copies up to max_rows rows into a dynamic-rows input (or out of an output), whichever operator reads
  // it, if any: the tensor must hold them.
  for (const std::vector<int>* ids : {&entry->inputs, &entry->outputs})
    for (int id : *ids)
      if (tensors[id].dynamic_rows && tensors[id].shape[0] != entry->max_rows)
        return invalid(where + ": " + tensor_label(tensors[id], id) + " has dynamic rows but " +
                       std::to_string(tensors[id].shape[0]) + " rows, not the entry's " +
                       std::to_string(entry->max_rows));

  std::vector<bool> written(tensors.size(), false);
  for (int id : entry->inputs) written[id] = true;
  int layers_of_kind[3] = {};
  for (size_t i = 0; i < def.operators()->size(); ++i) {
    const schema::Operator* op_def = def.operators()->Get(i);
    BoundOperator op{op_def->options_type(), op_def, {}, {}, -1, find_operator_type(op_def->options_type())};
    const std::string op_where = where + " operator " + std::to_string(i);
    if (Status s = bind_ids(op_def->inputs(), tensors.size(), op_where, &op.inputs); !s.ok()) return s;
    if (Status s = bind_ids(op_def->outputs(), tensors.size(), op_where, &op.outputs); !s.ok()) return s;
    const std::string prefix = op_where + " (" + schema::operator_name(op.type) + "): ";
    if (op.type_info == nullptr) return invalid(prefix + "unknown operator type");
    if (op.type_info->scratch != nullptr) {
      op.scratch = op.type_info->scratch(*op_def);
      if (op.scratch < -1 || op.scratch >= static_cast<int>(tensors.size()))
        return invalid(op_where + ": scratch tensor id " + std::to_string(op.scratch) + " is out of range");
    }
    if (Status s = op.type_info->check(OperatorCheck(tensors, *entry, op, prefix)); !s.ok()) return s;
    // Reading an activation that nothing wrote yet would run on garbage: the graph must be in execution order.
    for (int id : op.inputs)
      if (tensors[id].storage == schema::Storage::Arena && !written[id])
        return invalid(op_where + ": reads " + tensor_label(tensors[id], id) + " before any operator writes it");
    for (int id : op.outputs) {
      if (tensors[id].storage != schema::Storage::Arena && !op.type_info->writes_state)
        return invalid(op_where + ": outputs must be arena tensors (only Store writes state)");
      written[id] = true;
    }
    if (op.type == schema::OperatorOptions::AttentionOptions) {
      op.attention_kind = op_def->options_as_AttentionOptions()->causal() ? AttentionKind::kDecoder
                          : tensors[op.inputs[1]].storage == schema::Storage::State ? AttentionKind::kCross
                                                                                    : AttentionKind::kEncoder;
      op.attention_layer = layers_of_kind[static_cast<int>(op.attention_kind)]++;
    }
    entry->operators.push_back(std::move(op));
  }
  for (int id : entry->outputs)
    if (!written[id]) return invalid(where + ": output " + tensor_label(tensors[id], id) + " is never written");
  return check_plan(tensors, *entry);
}

}  // namespace edgeformer
