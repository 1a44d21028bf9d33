#pragma once
// An operator type of the runtime, as TFLite Micro shapes one: a check, run once per operator at load, and a run
// function, called per invoke. The check proves every dtype, storage and shape the run relies on, so that a run
// checks only data (token ids, positions, masks). Each type lives in its own ops/<operator>.cc and has one line in
// ops/operators.inc.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "edgeformer/edgeformer.hpp"
#include "loader/model_impl.h"

namespace edgeformer {

class SessionImpl;

// What an operator's check sees, with the claims operators make about their tensors.
class OperatorCheck {
 public:
  OperatorCheck(const std::vector<BoundTensor>& tensors, const BoundEntry& entry, const BoundOperator& op,
                std::string prefix)
      : tensors(tensors), entry(entry), op(op), prefix_(std::move(prefix)) {}

  // An invalid-model error naming the entry, the operator's index and its type.
  Status fail(const std::string& what) const;
  // Exactly this many inputs and outputs.
  Status arity(size_t inputs, size_t outputs) const;
  const BoundTensor& tensor(int id) const { return tensors[id]; }
  // Columns of a rank-2 tensor, -1 for another rank (no claim then holds).
  int64_t columns(int id) const { return tensors[id].rank == 2 ? tensors[id].shape[1] : -1; }
  // An activation of [rows, cols] in `dtype` whose rows are the entry's dynamic rows or a fixed count.
  bool is_matrix(int id, int64_t cols, schema::DType dtype = schema::DType::F32) const;
  bool same_rows(int a, int b) const;
  bool is_weight(int id, schema::DType dtype, std::initializer_list<int64_t> shape) const;
  // An i32 [rows] activation with the same rows as activation `like`.
  bool is_row_mask(int id, int like) const;
  // One input and one output, equal f32 matrices.
  Status unary() const;
  // Two inputs and one output, equal f32 matrices.
  Status binary() const;
  Status positive_epsilon(float epsilon) const;

  const std::vector<BoundTensor>& tensors;
  const BoundEntry& entry;
  const BoundOperator& op;

 private:
  std::string prefix_;
};

struct OperatorType {
  Status (*check)(const OperatorCheck& check);
  Status (*run)(SessionImpl& session, const BoundOperator& op, size_t rows);
  // The id of the arena scratch tensor an operator of this type uses besides its inputs and outputs (planned and
  // checked with them), or null for types that use none.
  int (*scratch)(const schema::Operator& def) = nullptr;
  // Only operators of such a type may write persistent state (everything else writes the arena).
  bool writes_state = false;
};

// The check and run of an operator type (ops/operators.inc), or null for a type this runtime does not know.
const OperatorType* find_operator_type(schema::OperatorOptions type);

}  // namespace edgeformer
