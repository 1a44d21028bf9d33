#pragma once
// What the attention operator needs of a session's capture (Session::capture_attention): where a head's matrix
// goes and how a row of captured scores becomes probabilities.
#include <cstddef>

#include "edgeformer/edgeformer.hpp"

namespace edgeformer {

class SessionImpl;
struct BoundOperator;

// kOutOfRange, naming both sizes, when a run of `kind` attention reaching query position query_end - 1 and key
// key_end - 1 would not fit the capture; ok when it fits or that kind is not captured.
Status check_capture_fits(const SessionImpl& s, AttentionKind kind, size_t query_end, size_t key_end);
// The [max_queries][max_keys] matrix of head `head` of this attention operator, or null when it is not captured.
float* captured_matrix(const SessionImpl& s, const BoundOperator& op, int head);
// The kernel's scores at [key_begin, key_end) of a row of `keys` become their softmax (the kernel's probabilities);
// the rest of the row becomes 0.
void softmax_captured_row(float* row, size_t key_begin, size_t key_end, size_t keys);

}  // namespace edgeformer
