// Two fuzz loops over valid models: random byte flips in the FlatBuffer, and random semantic mutations of its fields
// (which pass the verifier and so reach the loader's own checks); and corrupt tokenizer tables.
#include <gtest/gtest.h>

#include "model_loader_test_support.h"

namespace edgeformer::testing {
namespace {

// ---- fuzzing

class Fuzzer {
 public:
  Fuzzer(const std::vector<uint8_t>& valid, uint32_t seed)
      : valid_(valid), work_(valid), table_end_(table_end(valid)), rng_(seed) {}

  // Opens the working copy in place: it must fail with kInvalidModel and a message, or open and run.
  void open_and_run(const std::string& what) {
    ModelPtr model;
    const Status s = edgeformer::Model::open_buffer(work_.data(), work_.size(), &model);
    if (s.ok()) {
      ++accepted_;
      exercise(model, what);
    } else {
      EXPECT_EQ(s.code(), StatusCode::kInvalidModel) << what << ": " << s.message();
      EXPECT_FALSE(s.message().empty()) << what;
      EXPECT_EQ(model, nullptr) << what;
    }
    // Only the table is mutated: restoring it is enough (and far cheaper than copying the weights).
    std::memcpy(work_.data(), valid_.data(), table_end_);
  }

  void flip_bytes() {
    const int flips = 1 + static_cast<int>(rng_() % 4);
    for (int f = 0; f < flips; ++f) {
      const size_t at = rng_() % table_end_;
      const uint8_t bit = static_cast<uint8_t>(1u << (rng_() % 8));
      work_.data()[at] ^= bit;
    }
  }

  // One random field of the table set to a value near a boundary the loader must check.
  std::string mutate_field() {
    Model& m = *schema::GetMutableSizePrefixedModel(work_.data());
    const int n = static_cast<int>(m.tensors()->size());
    const uint64_t arena = m.arena_bytes(), state = m.state_bytes(), file = work_.size();
    schema::Tensor& t = *m.mutable_tensors()->GetMutableObject(index(n));
    schema::Entry& e = *m.mutable_entries()->GetMutableObject(index(static_cast<int>(m.entries()->size())));
    auto* ops = e.mutable_operators();
    schema::Operator& op = *ops->GetMutableObject(index(static_cast<int>(ops->size())));
    const int kind = static_cast<int>(rng_() % 20);
    switch (kind) {
      case 0:
        t.mutate_offset(pick<uint64_t>({0, 1, 63, 64, arena, arena - 64, arena + 64, state, state - 64, state + 64,
                                        m.weights_offset(), file, file / 64 * 64, t.offset() + 64, t.offset() - 64,
                                        m.tensors()->Get(index(n))->offset(), uint64_t{1} << 40, ~uint64_t{63},
                                        uint64_t{1} << 63}));
        break;
      case 1: {
        auto* shape = t.mutable_shape();
        const flatbuffers::uoffset_t i = index(static_cast<int>(shape->size()));
        const int64_t d = shape->Get(i);  // may already be mutated: no signed arithmetic on it
        const int64_t other = m.tensors()->Get(index(n))->shape()->Get(0);
        shape->Mutate(i, pick<int64_t>({0, 1, -1, 2, wrap(d, -1), wrap(d, 1), wrap(d, d), d / 2, int64_t{1} << 31,
                                        int64_t{1} << 32, (int64_t{1} << 32) + 1, std::numeric_limits<int64_t>::max(),
                                        std::numeric_limits<int64_t>::min(), other}));
        break;
      }
      case 2: t.mutate_storage(static_cast<schema::Storage>(pick<int8_t>({0, 1, 2, 3, -1, 127}))); break;
      case 3: t.mutate_dtype(static_cast<schema::DType>(pick<int8_t>({0, 1, 2, 3, -1, 127}))); break;
      case 4: t.mutate_dynamic_rows(!t.dynamic_rows()); break;
      case 5: t.mutate_quantization(static_cast<schema::Quantization>(pick<int8_t>({0, 1, 2, -1}))); break;
      case 6: t.mutate_scales(id(n)); break;
      case 7: {
        auto* v = rng_() % 2 ? op.mutable_inputs() : op.mutable_outputs();
        if (v->size() > 0) v->Mutate(index(static_cast<int>(v->size())), id(n));
        break;
      }
      case 8: {
        auto* v = rng_() % 2 ? e.mutable_inputs() : e.mutable_outputs();
        if (v->size() > 0) v->Mutate(index(static_cast<int>(v->size())), id(n));
        break;
      }
      case 9: e.mutate_max_rows(small(e.max_rows())); break;
      case 10:
        e.mutate_arena_bytes(pick<uint64_t>({0, 64, arena, arena + 64, e.arena_bytes() - 64, e.arena_bytes() + 64,
                                             ~uint64_t{0}, uint64_t{1} << 48}));
        break;
      case 11: {
        if (auto* a = const_cast<schema::AttentionOptions*>(op.options_as_AttentionOptions())) {
          switch (rng_() % 7) {
            case 0: a->mutate_heads(small(a->heads())); break;
            case 1: a->mutate_kv_heads(small(a->kv_heads())); break;
            case 2: a->mutate_head_dim(small(a->head_dim())); break;
            case 3: a->mutate_k_cache(id(n)); break;
            case 4: a->mutate_v_cache(id(n)); break;
            case 5: a->mutate_rope_style(static_cast<schema::RopeStyle>(pick<int8_t>({0, 1, 2, -1}))); break;
            default: a->mutate_rope_theta(real()); break;
          }
        }
        break;
      }
      case 12:
        if (auto* fc = const_cast<schema::FullyConnectedOptions*>(op.options_as_FullyConnectedOptions()))
          fc->mutate_scratch(id(n));
        break;
      case 13:
        if (auto* norm = const_cast<schema::RmsNormOptions*>(op.options_as_RmsNormOptions()))
          norm->mutate_epsilon(real());
        break;
      case 14: set_options_type(op, pick<uint8_t>({0, 1, 2, 3, 4, 5, 6, 7, 8, 255})); break;
      case 15:
        m.mutate_arena_bytes(pick<uint64_t>({0, 64, arena - 64, arena + 64, arena * 2, ~uint64_t{0}}));
        break;
      case 16: m.mutate_state_bytes(pick<uint64_t>({0, 64, state - 64, state + 64, state * 2, ~uint64_t{0}})); break;
      case 17:
        m.mutate_weights_offset(pick<uint64_t>({0, 64, table_end_, m.weights_offset() - 64, m.weights_offset() + 64,
                                                file, ~uint64_t{63}}));
        break;
      case 18: {
        schema::Tokenizer& tok = *m.mutable_tokenizer();
        const int count = static_cast<int>(tok.pieces()->size());
        const int32_t value = pick<int32_t>({-2, -1, 0, 1, count - 256, count - 255, count - 1, count,
                                             std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::min()});
        switch (rng_() % 6) {
          case 0: tok.mutate_bos_id(value); break;
          case 1: tok.mutate_eos_id(value); break;
          case 2: tok.mutate_unk_id(value); break;
          case 3: tok.mutate_byte_fallback_base(value); break;
          case 4: tok.mutate_kind(static_cast<schema::TokenizerKind>(pick<int8_t>({0, 1, 2, -1}))); break;
          default: tok.mutate_add_dummy_prefix(!tok.add_dummy_prefix()); break;
        }
        break;
      }
      default: m.mutable_metadata()->mutate_vocab_size(small(m.metadata()->vocab_size())); break;
    }
    // Enough to see what happened when an iteration fails (the seed and iteration reproduce it exactly).
    std::string what = "kind " + std::to_string(kind);
    if (kind <= 6) what += " on " + (t.name() ? t.name()->str() : std::string("?"));
    if (kind >= 7 && kind <= 14) what += " in entry " + e.name()->str();
    return what;
  }

  int accepted() const { return accepted_; }

 private:
  flatbuffers::uoffset_t index(int size) { return static_cast<flatbuffers::uoffset_t>(rng_() % size); }
  template <typename T>
  T pick(std::initializer_list<T> values) {
    return *(values.begin() + rng_() % values.size());
  }
  // a + b, wrapping (fields already mutated may sit at the limits: no signed overflow in the test itself).
  static int64_t wrap(int64_t a, int64_t b) {
    return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
  }
  // A tensor id: mostly valid ones (wrong tensor, right range), and the edges of the range.
  int32_t id(int n) {
    if (rng_() % 2) return static_cast<int32_t>(index(n));
    return pick<int32_t>({-1, -2, n, n + 1, std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::min()});
  }
  int32_t small(int32_t current) {
    const int32_t minus = static_cast<int32_t>(wrap(current, -1)), plus = static_cast<int32_t>(wrap(current, 1)),
                  twice = static_cast<int32_t>(wrap(current, current));
    return pick<int32_t>({0, 1, -1, 2, 3, 4, 8, 64, 4096, 4097, minus, plus, twice,
                          std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::min()});
  }
  float real() {
    return pick<float>({0.0f, -1.0f, std::nanf(""), INFINITY, -INFINITY, 1e-30f, 1e30f, FLT_TRUE_MIN, FLT_MAX, 0.5f});
  }
  // The union's type tag has no generated setter: write the field through the table's vtable.
  static void set_options_type(schema::Operator& op, uint8_t type) {
    auto* table = reinterpret_cast<uint8_t*>(&op);
    const uint8_t* vtable = table - flatbuffers::ReadScalar<flatbuffers::soffset_t>(table);
    const auto field = flatbuffers::ReadScalar<flatbuffers::voffset_t>(vtable + schema::Operator::VT_OPTIONS_TYPE);
    if (field != 0) table[field] = type;
  }

  const std::vector<uint8_t>& valid_;
  AlignedBytes work_;
  size_t table_end_;
  std::mt19937 rng_;
  int accepted_ = 0;
};

// Random byte flips anywhere in the table: each open either fails cleanly or yields a model that runs a step.
TEST_F(ModelLoader, ByteFlipFuzz) {
  for (const auto* base : {&valid_, &valid_int8_}) {
    Fuzzer fuzzer(*base, base == &valid_ ? 7 : 8);
    for (int i = 0; i < kByteFlipIterations; ++i) {
      fuzzer.flip_bytes();
      fuzzer.open_and_run("flip iteration " + std::to_string(i));
      if (HasFailure()) return;  // the first failure is the useful one
    }
    // Most flips land where the verifier or the checks see them; a few hit names, scores or padding.
    EXPECT_LT(fuzzer.accepted(), kByteFlipIterations / 2);
    std::printf("byte flips: %d of %d mutated files still opened\n", fuzzer.accepted(), kByteFlipIterations);
  }
}

// Scalar fields set to boundary values: the verifier still passes (but for some changed union tags), so the loader's
// own checks judge them.
// A synthetic model carrying a small tokenizer of `kind`: the 256 single bytes, "ab" (merge 0: a + b), and
// [UNK] [CLS] [SEP] for WordPiece.
std::vector<uint8_t> model_with_small_tokenizer(const TempDir& tmp, schema::TokenizerKind kind) {
  converter::LlamaCheckpoint checkpoint =
      converter::synthetic_llama("llama:dim=8,layers=1,heads=1,kv_heads=1,ffn=8,context=8,vocab=260");
  converter::TokenizerData& tok = checkpoint.tokenizer;
  tok = {};
  tok.kind = kind;
  tok.add_dummy_prefix = false;
  for (int b = 0; b < 256; ++b) tok.pieces.push_back(std::string(1, static_cast<char>(b)));
  tok.pieces.insert(tok.pieces.end(), {"ab", "[UNK]", "[CLS]", "[SEP]"});
  tok.merge_left = {'a'};
  tok.merge_right = {'b'};
  tok.special_ids = {258};
  if (kind == schema::TokenizerKind::WordPiece) {
    tok.merge_left.clear(), tok.merge_right.clear();
    tok.unk_id = 257, tok.cls_id = 258, tok.sep_id = 259;
    tok.continuing_prefix = "##";
  }
  converter::Graph graph = converter::build_llama_graph(checkpoint, {});
  converter::write_eft(graph, tmp.file("small_tokenizer.eft"));
  return converter::read_file_bytes(tmp.file("small_tokenizer.eft"));
}

// Corrupt byte-level BPE and WordPiece tables are refused at load, naming what is wrong; the valid ones tokenize.
TEST_F(ModelLoader, CorruptTokenizerTablesAreRefused) {
  const auto bpe = model_with_small_tokenizer(tmp_, schema::TokenizerKind::ByteLevelBpe);
  ModelPtr model;
  ASSERT_TRUE(open_both(bpe, &model).ok());
  std::vector<int32_t> ids;
  ASSERT_TRUE(model->tokenize("abc", false, &ids).ok());
  EXPECT_EQ(ids, (std::vector<int32_t>{256, 'c'}));
  expect_rejected(bpe, [](Model& m) { m.mutable_tokenizer()->mutable_merge_left()->Mutate(0, 9999); },
                  "names a piece out of range");
  expect_rejected(bpe, [](Model& m) { m.mutable_tokenizer()->mutable_merge_right()->Mutate(0, 'c'); },
                  "not in the vocabulary");
  expect_rejected(bpe, [](Model& m) { m.mutable_tokenizer()->mutable_special_ids()->Mutate(0, -5); },
                  "added token id out of range");

  const auto wordpiece = model_with_small_tokenizer(tmp_, schema::TokenizerKind::WordPiece);
  ASSERT_TRUE(open_both(wordpiece, &model).ok());
  ids.clear();
  ASSERT_TRUE(model->tokenize("ab", true, &ids).ok());
  EXPECT_EQ(ids, (std::vector<int32_t>{258, 256, 259}));
  expect_rejected(wordpiece, [](Model& m) { ASSERT_TRUE(m.mutable_tokenizer()->mutate_unk_id(-1)); },
                  "needs an unknown token");
  expect_rejected(wordpiece, [](Model& m) { ASSERT_TRUE(m.mutable_tokenizer()->mutate_max_word_chars(0)); },
                  "max_word_chars must be positive");
  expect_rejected(wordpiece, [](Model& m) { ASSERT_TRUE(m.mutable_tokenizer()->mutate_cls_id(4000)); },
                  "special token id out of range");
}

TEST_F(ModelLoader, FieldMutationFuzz) {
  for (const auto* base : {&valid_, &valid_int8_}) {
    Fuzzer fuzzer(*base, base == &valid_ ? 11 : 12);
    for (int i = 0; i < kFieldIterations; ++i) {
      std::string what = "field iteration " + std::to_string(i) + ":";
      const int mutations = 1 + static_cast<int>(i % 2);
      for (int k = 0; k < mutations; ++k) what += " " + fuzzer.mutate_field();
      fuzzer.open_and_run(what);
      if (HasFailure()) return;
    }
    EXPECT_LT(fuzzer.accepted(), kFieldIterations / 2);
    std::printf("field mutations: %d of %d mutated files still opened\n", fuzzer.accepted(), kFieldIterations);
  }
}

}  // namespace
}  // namespace edgeformer::testing
