// The loader against hostile files: one test per corrupt-file class, each an error status with a message, never a
// crash or a read outside the file (this suite also runs under ASan + UBSan), plus two fuzz loops: random byte
// flips in the FlatBuffer, and random semantic mutations of its fields (which pass the verifier and so reach the
// loader's own checks). A mutated file that still opens must run a decode step without crashing.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <random>

#include "edgeformer/schema/edgeformer_generated.h"
#include "families/llama/llama_graph.h"
#include "families/llama/synthetic_llama.h"
#include "graph/eft_writer.h"
#include "graph/memory_planner.h"
#include "io/file_bytes.h"
#include "test_support.h"

namespace edgeformer::testing {
namespace {

using schema::Model;  // the FlatBuffers table; edgeformer::Model is the runtime's
using ModelPtr = std::shared_ptr<const edgeformer::Model>;

// Per model (f32 and int8). Under 1 s in Release for all of them, about 17 s in the ASan + UBSan Debug build.
constexpr int kByteFlipIterations = 2000;
constexpr int kFieldIterations = 2000;

// A 64-byte aligned, writable copy, as open_buffer requires.
class AlignedBytes {
 public:
  explicit AlignedBytes(const std::vector<uint8_t>& bytes)
      : size_(bytes.size()), data_(static_cast<uint8_t*>(std::aligned_alloc(64, (bytes.size() + 64) / 64 * 64))) {
    if (!bytes.empty()) std::memcpy(data_, bytes.data(), bytes.size());
  }
  AlignedBytes(const AlignedBytes&) = delete;
  AlignedBytes& operator=(const AlignedBytes&) = delete;
  ~AlignedBytes() { std::free(data_); }
  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  size_t size_;
  uint8_t* data_;
};

size_t table_end(const std::vector<uint8_t>& file) { return flatbuffers::ReadScalar<uint32_t>(file.data()) + 4; }

// Whatever a mutated model that opened can do must fail cleanly or work: sessions, a decode step, a short prefill
// (the other entry), the tokenizer.
void exercise(const ModelPtr& model, const std::string& what) {
  std::unique_ptr<Session> session;
  const Status created = Session::create(model, {}, &session);
  if (!created.ok()) {
    EXPECT_FALSE(created.message().empty()) << what;
    return;
  }
  const Status decoded = session->decode(1);
  if (decoded.ok()) {
    EXPECT_NE(session->logits(), nullptr) << what;
  } else {
    EXPECT_FALSE(decoded.message().empty()) << what;
  }
  const int32_t prompt[] = {1, 2, 3};
  const Status prefilled = session->prefill(prompt, 3);
  if (!prefilled.ok()) {
    EXPECT_FALSE(prefilled.message().empty()) << what;
  }
  if (model->has_tokenizer()) {
    std::vector<int32_t> ids;
    if (model->tokenize("Once upon a time, \xE2\x9C\x93 <0x41>", true, &ids).ok()) {
      std::string text;
      int32_t previous = -1;
      for (int32_t id : ids) {
        (void)model->detokenize(previous, id, &text);
        previous = id;
      }
    }
  }
}

class ModelLoader : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = stories260k_dir();
    if (dir_.empty()) GTEST_SKIP() << "../shared/models/stories260K not found (set EDGEFORMER_SHARED)";
    convert_llama2c(dir_ + "/stories260K.bin", dir_ + "/tok512.bin", tmp_.file("f32.eft"));
    converter::GraphOptions int8;
    int8.weights = converter::WeightFormat::kInt8;
    convert_llama2c(dir_ + "/stories260K.bin", dir_ + "/tok512.bin", tmp_.file("int8.eft"), int8);
    valid_ = converter::read_file_bytes(tmp_.file("f32.eft"));
    valid_int8_ = converter::read_file_bytes(tmp_.file("int8.eft"));
    converter::GraphOptions int4;
    int4.weights = converter::WeightFormat::kInt4;
    convert_llama2c(dir_ + "/stories260K.bin", dir_ + "/tok512.bin", tmp_.file("int4.eft"), int4);
    valid_int4_ = converter::read_file_bytes(tmp_.file("int4.eft"));
  }

  // Opens the bytes both from a file and from an aligned buffer; both must give the same verdict, and a refusal
  // must say why.
  Status open_both(const std::vector<uint8_t>& bytes, ModelPtr* model = nullptr) {
    ModelPtr from_buffer, from_file;
    AlignedBytes aligned(bytes);
    const Status buffer_status = edgeformer::Model::open_buffer(aligned.data(), aligned.size(), &from_buffer);
    const std::string path = tmp_.file("mutated.eft");
    std::ofstream(path, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    const Status file_status = edgeformer::Model::open_file(path, &from_file);
    EXPECT_EQ(buffer_status.code(), file_status.code()) << buffer_status.message() << " | " << file_status.message();
    if (!buffer_status.ok()) {
      EXPECT_FALSE(buffer_status.message().empty());
      EXPECT_EQ(from_buffer, nullptr);  // no half-loaded model escapes
    }
    if (!file_status.ok()) {
      EXPECT_FALSE(file_status.message().empty());
      EXPECT_EQ(from_file, nullptr);
    }
    if (model != nullptr) *model = from_file;
    return file_status;
  }

  void expect_invalid(const std::vector<uint8_t>& bytes, const std::string& expected) {
    const Status s = open_both(bytes);
    EXPECT_EQ(s.code(), StatusCode::kInvalidModel) << s.message();
    EXPECT_NE(s.message().find(expected), std::string::npos) << "expected '" << expected << "' in: " << s.message();
  }

  // Applies `mutate` to a copy of a valid file's table and expects the loader to refuse it, naming `expected`.
  void expect_rejected(const std::vector<uint8_t>& base, const std::function<void(Model&)>& mutate,
                       const std::string& expected) {
    std::vector<uint8_t> bytes = base;
    mutate(*schema::GetMutableSizePrefixedModel(bytes.data()));
    expect_invalid(bytes, expected);
  }

  static int tensor_id(const Model& m, const std::string& name) {
    for (flatbuffers::uoffset_t i = 0; i < m.tensors()->size(); ++i)
      if (m.tensors()->Get(i)->name()->str() == name) return static_cast<int>(i);
    ADD_FAILURE() << "no tensor " << name;
    return 0;
  }
  static schema::Tensor& tensor_named(Model& m, const std::string& name) {
    return *m.mutable_tensors()->GetMutableObject(tensor_id(m, name));
  }
  static schema::Entry& entry_named(Model& m, const std::string& name) {
    for (flatbuffers::uoffset_t i = 0; i < m.entries()->size(); ++i)
      if (m.entries()->Get(i)->name()->str() == name) return *m.mutable_entries()->GetMutableObject(i);
    throw std::runtime_error("no entry " + name);
  }
  static schema::AttentionOptions& first_attention(Model& m, const std::string& entry) {
    auto* ops = entry_named(m, entry).mutable_operators();
    for (flatbuffers::uoffset_t i = 0; i < ops->size(); ++i)
      if (const auto* a = ops->Get(i)->options_as_AttentionOptions()) return *const_cast<schema::AttentionOptions*>(a);
    throw std::runtime_error("no attention operator");
  }

  std::string dir_;
  TempDir tmp_;
  std::vector<uint8_t> valid_, valid_int8_, valid_int4_;
};

// Positive control: the files every other test corrupts do open and run, so each refusal below is the mutation's.
TEST_F(ModelLoader, ValidFilesOpenAndRun) {
  for (const auto* bytes : {&valid_, &valid_int8_, &valid_int4_}) {
    ModelPtr model;
    const Status s = open_both(*bytes, &model);
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_EQ(model->info().entries.size(), 2u);
    std::unique_ptr<Session> session;
    ASSERT_TRUE(Session::create(model, {}, &session).ok());
    ASSERT_TRUE(session->decode(1).ok());
    ASSERT_NE(session->logits(), nullptr);
    for (int i = 0; i < session->vocab_size(); ++i) ASSERT_TRUE(std::isfinite(session->logits()[i])) << i;
  }
}

// Loading checks where weights are, not what they hold; check_weights() reads them: NaN/Inf in float weights
// (values and int8 scales) and int8 row sums that disagree with their codes.
TEST_F(ModelLoader, CheckWeightsReportsNanInfAndWrongRowSums) {
  for (const auto* bytes : {&valid_, &valid_int8_}) {
    ModelPtr model;
    ASSERT_TRUE(open_both(*bytes, &model).ok());
    EXPECT_TRUE(model->check_weights().empty());
  }
  std::vector<uint8_t> f32 = valid_;
  const schema::Model& m = *schema::GetSizePrefixedModel(f32.data());
  const uint64_t embedding = m.tensors()->Get(tensor_id(m, "token_embedding"))->offset();
  const float nan = std::nanf(""), inf = -INFINITY;
  std::memcpy(&f32[embedding + 3 * sizeof(float)], &nan, sizeof(float));
  std::memcpy(&f32[embedding + 5 * sizeof(float)], &inf, sizeof(float));
  ModelPtr model;
  ASSERT_TRUE(open_both(f32, &model).ok()) << "values are not part of loading";
  auto issues = model->check_weights();
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].tensor, "token_embedding");
  EXPECT_EQ(issues[0].nan, 1u);
  EXPECT_EQ(issues[0].infinite, 1u);

  std::vector<uint8_t> int8 = valid_int8_;
  const schema::Model& q = *schema::GetSizePrefixedModel(int8.data());
  const schema::Tensor* classifier = q.tensors()->Get(tensor_id(q, "classifier"));
  int8[classifier->offset() + 7] ^= 1;  // one code of row 0 changes; its stored sum no longer matches
  const uint64_t scales = q.tensors()->Get(classifier->scales())->offset();
  std::memcpy(&int8[scales + 2 * sizeof(float)], &nan, sizeof(float));
  ASSERT_TRUE(open_both(int8, &model).ok());
  issues = model->check_weights();
  ASSERT_EQ(issues.size(), 2u);
  std::sort(issues.begin(), issues.end(), [](const auto& a, const auto& b) { return a.tensor < b.tensor; });
  EXPECT_EQ(issues[0].tensor, "classifier");
  EXPECT_EQ(issues[0].wrong_row_sums, 1u);
  EXPECT_EQ(issues[1].tensor, "classifier.scales");
  EXPECT_EQ(issues[1].nan, 1u);
}

TEST_F(ModelLoader, EmptyFile) { expect_invalid({}, "empty"); }

TEST_F(ModelLoader, MissingFile) {
  ModelPtr model;
  const Status s = edgeformer::Model::open_file(tmp_.file("does-not-exist.eft"), &model);
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.message().find("does-not-exist.eft"), std::string::npos) << s.message();
  EXPECT_EQ(model, nullptr);
  const Status folder = edgeformer::Model::open_file(tmp_.path(), &model);  // exists, but is no file
  EXPECT_EQ(folder.code(), StatusCode::kIoError);
  EXPECT_FALSE(folder.message().empty());
}

TEST_F(ModelLoader, RandomGarbage) {
  std::mt19937 rng(1);
  for (size_t size : {size_t{1}, size_t{7}, size_t{12}, size_t{100}, size_t{4096}, size_t{100000}}) {
    std::vector<uint8_t> bytes(size);
    for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
    SCOPED_TRACE("size " + std::to_string(size));
    EXPECT_EQ(open_both(bytes).code(), StatusCode::kInvalidModel);
    // Garbage behind a plausible header (size prefix, root offset, identifier) gets as far as the verifier.
    if (size >= 12) {
      const uint32_t prefix = static_cast<uint32_t>(size - 4), root = 8;
      std::memcpy(bytes.data(), &prefix, 4);
      std::memcpy(bytes.data() + 4, &root, 4);
      std::memcpy(bytes.data() + 8, "EFT1", 4);
      EXPECT_EQ(open_both(bytes).code(), StatusCode::kInvalidModel);
    }
  }
}

TEST_F(ModelLoader, WrongIdentifier) {
  std::vector<uint8_t> bytes = valid_;
  std::memcpy(bytes.data() + 8, "GGUF", 4);  // after the size prefix and the root offset
  expect_invalid(bytes, "identifier");
  // A plain (not size-prefixed) FlatBuffer has its identifier 4 bytes earlier: not ours either.
  bytes = valid_;
  std::memcpy(bytes.data() + 4, "EFT1", 4);
  std::memcpy(bytes.data() + 8, "\0\0\0\0", 4);
  expect_invalid(bytes, "identifier");
}

TEST_F(ModelLoader, WrongVersion) {
  for (uint32_t version : {0u, 1u, 3u, 0xFFFFFFFFu})  // 1: int8 weights were row-major
    expect_rejected(valid_, [version](Model& m) { ASSERT_TRUE(m.mutate_version(version)); }, "version");
}

TEST_F(ModelLoader, TruncatedAtSeveralPoints) {
  const Model& m = *schema::GetSizePrefixedModel(valid_.data());
  const size_t end = table_end(valid_);
  ASSERT_GT(valid_.size(), m.weights_offset() + 2000);
  for (size_t length : {size_t{1}, size_t{4}, size_t{8}, size_t{11}, size_t{12}, size_t{100}, end / 2, end - 1, end,
                        static_cast<size_t>(m.weights_offset()), static_cast<size_t>(m.weights_offset()) + 1000,
                        valid_.size() - 64, valid_.size() - 1}) {
    SCOPED_TRACE("truncated to " + std::to_string(length) + " of " + std::to_string(valid_.size()));
    const std::vector<uint8_t> bytes(valid_.begin(), valid_.begin() + static_cast<std::ptrdiff_t>(length));
    EXPECT_EQ(open_both(bytes).code(), StatusCode::kInvalidModel);
  }
}

TEST_F(ModelLoader, OperatorTensorIdOutOfRange) {
  for (int bad : {99999, -1, 1 << 30, std::numeric_limits<int>::min()}) {
    SCOPED_TRACE(bad);
    expect_rejected(valid_, [bad](Model& m) {
      auto* op = m.mutable_entries()->GetMutableObject(0)->mutable_operators()->GetMutableObject(3);
      op->mutable_inputs()->Mutate(0, bad);
    }, "out of range");
    expect_rejected(valid_, [bad](Model& m) {
      auto* op = m.mutable_entries()->GetMutableObject(1)->mutable_operators()->GetMutableObject(5);
      op->mutable_outputs()->Mutate(0, bad);
    }, "out of range");
  }
  // The entry's own inputs and outputs are ids too.
  expect_rejected(valid_, [](Model& m) { entry_named(m, "decode").mutable_outputs()->Mutate(0, 123456); },
                  "out of range");
  expect_rejected(valid_, [](Model& m) { m.mutable_entries()->GetMutableObject(0)->mutable_inputs()->Mutate(1, -7); },
                  "out of range");
}

TEST_F(ModelLoader, OptionTensorIdsOutOfRange) {
  expect_rejected(valid_, [](Model& m) { ASSERT_TRUE(first_attention(m, "prefill").mutate_k_cache(777777)); },
                  "KV-cache");
  expect_rejected(valid_, [](Model& m) { ASSERT_TRUE(first_attention(m, "decode").mutate_v_cache(-1)); }, "KV-cache");
  // The int8 model's FullyConnected scratch id.
  expect_rejected(valid_int8_, [](Model& m) {
    auto* ops = entry_named(m, "decode").mutable_operators();
    for (flatbuffers::uoffset_t i = 0; i < ops->size(); ++i)
      if (const auto* fc = ops->Get(i)->options_as_FullyConnectedOptions()) {
        ASSERT_TRUE(const_cast<schema::FullyConnectedOptions*>(fc)->mutate_scratch(424242));
        return;
      }
    FAIL() << "no fully connected operator";
  }, "scratch");
}

TEST_F(ModelLoader, WeightSegmentOutsideTheFile) {
  const uint64_t size = valid_.size();
  expect_rejected(valid_, [size](Model& m) { ASSERT_TRUE(tensor_named(m, "final_norm").mutate_offset(size)); },
                  "outside the weight segment");
  // Aligned and starting inside the file, but its bytes run past the end.
  expect_rejected(valid_, [size](Model& m) {
    ASSERT_TRUE(tensor_named(m, "token_embedding").mutate_offset((size - 64) / 64 * 64));
  }, "outside the weight segment");
  // An offset so large that offset + size wraps around 64 bits.
  expect_rejected(valid_, [](Model& m) { ASSERT_TRUE(tensor_named(m, "final_norm").mutate_offset(~uint64_t{63})); },
                  "outside the weight segment");
  // Weights may not alias the FlatBuffer table itself.
  expect_rejected(valid_, [](Model& m) { ASSERT_TRUE(tensor_named(m, "final_norm").mutate_offset(0)); },
                  "outside the weight segment");
  // A weight segment that starts past the end of the file, or inside the table.
  expect_rejected(valid_, [size](Model& m) { ASSERT_TRUE(m.mutate_weights_offset((size + 64) / 64 * 64)); },
                  "weight segment offset");
  expect_rejected(valid_, [](Model& m) { ASSERT_TRUE(m.mutate_weights_offset(64)); }, "weight segment offset");
  // A KV cache outside the state region is the same class of error.
  expect_rejected(valid_, [](Model& m) {
    ASSERT_TRUE(tensor_named(m, "layers.4.v_cache").mutate_offset(m.state_bytes()));
  }, "outside the");
}

TEST_F(ModelLoader, PlanOutsideTheArena) {
  // Past the model's arena.
  expect_rejected(valid_, [](Model& m) {
    ASSERT_TRUE(tensor_named(m, "decode/layers.0.q").mutate_offset((m.arena_bytes() + 63) / 64 * 64));
  }, "outside the");
  // Inside the model's arena (sized by prefill) but past the decode entry's own.
  expect_rejected(valid_, [](Model& m) {
    const uint64_t decode_arena = entry_named(m, "decode").arena_bytes();
    ASSERT_LT(decode_arena + 4096, m.arena_bytes());
    ASSERT_TRUE(tensor_named(m, "decode/layers.0.q").mutate_offset(decode_arena));
  }, "past the entry's arena");
  expect_rejected(valid_, [](Model& m) { ASSERT_TRUE(m.mutate_arena_bytes(64)); }, "arena");
  expect_rejected(valid_, [](Model& m) { ASSERT_TRUE(entry_named(m, "prefill").mutate_arena_bytes(64)); }, "arena");
}

TEST_F(ModelLoader, AbsurdRegionSizes) {
  for (uint64_t absurd : {~uint64_t{0}, uint64_t{1} << 60, (uint64_t{1} << 48) + 64}) {
    SCOPED_TRACE(absurd);
    expect_rejected(valid_, [absurd](Model& m) { ASSERT_TRUE(m.mutate_arena_bytes(absurd)); }, "absurd");
    expect_rejected(valid_, [absurd](Model& m) { ASSERT_TRUE(m.mutate_state_bytes(absurd)); }, "absurd");
  }
  // Plausible but larger than the tensors need: a flipped size field must not become a huge allocation.
  expect_rejected(valid_, [](Model& m) { ASSERT_TRUE(m.mutate_state_bytes(m.state_bytes() << 20)); }, "state");
  expect_rejected(valid_, [](Model& m) { ASSERT_TRUE(m.mutate_arena_bytes(m.arena_bytes() << 20)); }, "arena");
  expect_rejected(valid_, [](Model& m) {
    auto& decode = entry_named(m, "decode");
    ASSERT_TRUE(decode.mutate_arena_bytes(decode.arena_bytes() + (1 << 20)));
  }, "arena");
}

TEST_F(ModelLoader, LiveTensorsOverlapInThePlan) {
  // q and k of a layer are both alive at the attention operator: putting them at one offset must be refused.
  expect_rejected(valid_, [](Model& m) {
    const uint64_t q_offset = tensor_named(m, "prefill/layers.2.q").offset();
    ASSERT_TRUE(tensor_named(m, "prefill/layers.2.k").mutate_offset(q_offset));
  }, "overlap");
  // A partial overlap: the decode entry's tokens input (live from op 0) moved onto the middle of its embedding.
  expect_rejected(valid_, [](Model& m) {
    const uint64_t embedding = tensor_named(m, "decode/embedding").offset();
    ASSERT_TRUE(tensor_named(m, "decode/tokens").mutate_offset(embedding + 64));
  }, "overlap");
}

TEST_F(ModelLoader, AbsurdShapeThatWouldOverflowSizeArithmetic) {
  const int64_t two31 = int64_t{1} << 31, two32 = int64_t{1} << 32;
  // 32-bit targets cap dimensions and sizes at 2^31 (so that they fit size_t), 64-bit ones at 2^32 and 2^48.
  const bool wide_addresses = sizeof(size_t) >= 8;
  // 2^32 x 2^32 elements: a naive product is 2^64, i.e. 0 after wrapping, which would fit anywhere.
  expect_rejected(valid_, [two32](Model& m) {
    auto* shape = tensor_named(m, "layers.0.wq").mutable_shape();
    shape->Mutate(0, two32);
    shape->Mutate(1, two32);
  }, wide_addresses ? "too large" : "dimension 0 is 4294967296");
  // 2^31 x 2^31 f32: the element count fits, the byte count (x4) wraps to 0.
  expect_rejected(valid_, [two31](Model& m) {
    auto* shape = tensor_named(m, "layers.0.wq").mutable_shape();
    shape->Mutate(0, two31);
    shape->Mutate(1, two31);
  }, "too large");
  // The same on an arena tensor, whose bytes are checked against the arena.
  expect_rejected(valid_, [two31](Model& m) {
    auto* shape = tensor_named(m, "prefill/layers.0.swiglu").mutable_shape();
    shape->Mutate(0, two31);
    shape->Mutate(1, two31);
  }, "too large");
  // 2^24 x 2^24 f32 (2^15 x 2^15 on 32-bit): the element count is at the limit, its 4-byte elements are not.
  const int64_t side = wide_addresses ? int64_t{1} << 24 : int64_t{1} << 15;
  expect_rejected(valid_, [side](Model& m) {
    auto* shape = tensor_named(m, "layers.0.wq").mutable_shape();
    shape->Mutate(0, side);
    shape->Mutate(1, side);
  }, "byte size is too large");
  for (int64_t bad : {int64_t{0}, int64_t{-64}, two32 + 1, std::numeric_limits<int64_t>::max(),
                      std::numeric_limits<int64_t>::min()}) {
    SCOPED_TRACE(bad);
    expect_rejected(valid_, [bad](Model& m) { tensor_named(m, "final_norm").mutable_shape()->Mutate(0, bad); },
                    "dimension");
  }
}

TEST_F(ModelLoader, ShapeInconsistentWithTheOperator) {
  // A smaller (but in-bounds) weight than the layer reads: the op check catches it before any kernel runs.
  expect_rejected(valid_, [](Model& m) { tensor_named(m, "layers.1.wq").mutable_shape()->Mutate(0, 32); },
                  "FullyConnected");
  // A KV cache shorter than its twin: attention would read past its end.
  expect_rejected(valid_, [](Model& m) {
    tensor_named(m, "layers.3.k_cache").mutable_shape()->Mutate(0, 100);
  }, "differ in length");
  // A decode entry claiming more rows than its tensors hold.
  expect_rejected(valid_, [](Model& m) { ASSERT_TRUE(entry_named(m, "decode").mutate_max_rows(2)); }, "decode");
}

// The operator of `entry` whose first output is tensor `output`.
schema::Operator& producer(schema::Entry& entry, int output) {
  auto* ops = entry.mutable_operators();
  for (flatbuffers::uoffset_t i = 0; i < ops->size(); ++i)
    if (ops->Get(i)->outputs()->Get(0) == output) return *ops->GetMutableObject(i);
  throw std::runtime_error("no producer");
}

TEST_F(ModelLoader, OperatorOptionsOutOfRange) {
  // Operator 1 of every entry is the first layer's attention norm.
  auto first_norm = [](Model& m) {
    const auto* norm = entry_named(m, "decode").operators()->Get(1)->options_as_RmsNormOptions();
    if (norm == nullptr) throw std::runtime_error("operator 1 is no RmsNorm");
    return const_cast<schema::RmsNormOptions*>(norm);
  };
  for (float eps : {0.0f, -1e-5f, std::nanf(""), INFINITY}) {
    SCOPED_TRACE(eps);
    expect_rejected(valid_, [&](Model& m) { ASSERT_TRUE(first_norm(m)->mutate_epsilon(eps)); }, "epsilon");
    expect_rejected(valid_, [&](Model& m) { ASSERT_TRUE(first_attention(m, "prefill").mutate_rope_theta(eps)); },
                    "rope_theta");
  }
  // stories260K has 8 heads, 4 KV heads of 8 dims: 3 KV heads do not divide 8, 7 dims are odd, 0 heads is none.
  expect_rejected(valid_, [](Model& m) { ASSERT_TRUE(first_attention(m, "decode").mutate_kv_heads(3)); }, "heads");
  expect_rejected(valid_, [](Model& m) { ASSERT_TRUE(first_attention(m, "decode").mutate_head_dim(7)); }, "head dim");
  expect_rejected(valid_, [](Model& m) { ASSERT_TRUE(first_attention(m, "decode").mutate_heads(0)); }, "heads");
  expect_rejected(valid_, [](Model& m) {
    ASSERT_TRUE(first_attention(m, "decode").mutate_rope_style(static_cast<schema::RopeStyle>(9)));
  }, "rope style");
}

TEST_F(ModelLoader, DuplicateEntryName) {
  // "prefill" renamed in place to "decode" (7 bytes, of which the string now uses 6 and a terminator).
  expect_rejected(valid_, [](Model& m) {
    flatbuffers::String* name = entry_named(m, "prefill").mutable_name();
    std::memcpy(name->data(), "decode", 7);
    flatbuffers::WriteScalar<flatbuffers::uoffset_t>(name, 6);
  }, "appears twice");
}

TEST_F(ModelLoader, ReadBeforeWrite) {
  // layers.0.q reading the layer's residual sum, which is computed only later: same shape, so only the order check
  // sees that it would run on stale arena bytes.
  expect_rejected(valid_, [](Model& m) {
    schema::Operator& q = producer(entry_named(m, "decode"), tensor_id(m, "decode/layers.0.q"));
    q.mutable_inputs()->Mutate(0, tensor_id(m, "decode/layers.0.attention_residual"));
  }, "before any operator writes it");
}

TEST_F(ModelLoader, Int8ScratchTooSmall) {
  // The int8 layer quantizes its input rows into the scratch: a 4-byte tensor would be overrun.
  expect_rejected(valid_int8_, [](Model& m) {
    schema::Operator& q = producer(entry_named(m, "prefill"), tensor_id(m, "prefill/layers.0.q"));
    auto* fc = const_cast<schema::FullyConnectedOptions*>(q.options_as_FullyConnectedOptions());
    ASSERT_NE(fc, nullptr);
    ASSERT_TRUE(fc->mutate_scratch(tensor_id(m, "prefill/position")));
  }, "scratch must be");
  // And an int8 layer with no scratch at all.
  expect_rejected(valid_int8_, [](Model& m) {
    schema::Operator& down = producer(entry_named(m, "decode"), tensor_id(m, "decode/layers.1.down"));
    auto* fc = const_cast<schema::FullyConnectedOptions*>(down.options_as_FullyConnectedOptions());
    ASSERT_NE(fc, nullptr);
    ASSERT_TRUE(fc->mutate_scratch(-1));
  }, "needs a scratch");
}

TEST_F(ModelLoader, Int8WeightWithoutScales) {
  // The int8 conversion really has int8 weights to corrupt.
  const Model& int8 = *schema::GetSizePrefixedModel(valid_int8_.data());
  ASSERT_EQ(int8.tensors()->Get(tensor_id(int8, "layers.0.wq"))->dtype(), schema::DType::I8);
  expect_rejected(valid_int8_, [](Model& m) { ASSERT_TRUE(tensor_named(m, "layers.0.wq").mutate_scales(-1)); },
                  "scales");
  expect_rejected(valid_int8_, [](Model& m) { ASSERT_TRUE(tensor_named(m, "layers.0.wq").mutate_scales(1 << 20)); },
                  "scales");
  expect_rejected(valid_int8_, [](Model& m) {
    ASSERT_TRUE(tensor_named(m, "layers.0.wq").mutate_quantization(schema::Quantization::None));
  }, "quantization");
  // Scales of the wrong length (w_gate has hidden_dim rows, wq has dim) or of the wrong kind.
  expect_rejected(valid_int8_, [](Model& m) {
    ASSERT_TRUE(tensor_named(m, "layers.0.wq").mutate_scales(tensor_id(m, "layers.0.w_gate.scales")));
  }, "scales must be");
  expect_rejected(valid_int8_, [](Model& m) {
    ASSERT_TRUE(tensor_named(m, "layers.0.wq").mutate_scales(tensor_id(m, "layers.0.wk")));
  }, "scales must be");
  // The kernels subtract 128 * row sum: an int8 weight without them, or with another layer's, is refused.
  expect_rejected(valid_int8_, [](Model& m) { ASSERT_TRUE(tensor_named(m, "layers.0.wq").mutate_row_sums(-1)); },
                  "need their row sums");
  expect_rejected(valid_int8_, [](Model& m) {
    ASSERT_TRUE(tensor_named(m, "layers.0.wq").mutate_row_sums(tensor_id(m, "layers.0.w_gate.row_sums")));
  }, "row sums must be");
}

TEST_F(ModelLoader, Int4WeightWithWrongScalesOrKind) {
  const Model& int4 = *schema::GetSizePrefixedModel(valid_int4_.data());
  ASSERT_EQ(int4.tensors()->Get(tensor_id(int4, "layers.0.wq"))->dtype(), schema::DType::I4);
  // Another layer's scales have another shape (w_gate: 192 x 64, wq: 64 x 64).
  expect_rejected(valid_int4_, [](Model& m) {
    ASSERT_TRUE(tensor_named(m, "layers.0.wq").mutate_scales(tensor_id(m, "layers.0.w_gate.scales")));
  }, "scales must be an f16 weight");
  expect_rejected(valid_int4_, [](Model& m) { ASSERT_TRUE(tensor_named(m, "layers.0.wq").mutate_scales(-1)); },
                  "scales id");
  expect_rejected(valid_int4_, [](Model& m) {
    ASSERT_TRUE(tensor_named(m, "layers.0.wq").mutate_quantization(schema::Quantization::PerRowSymmetricI8));
  }, "int4 tensor must be");
  // int4 and f16 exist only as weights.
  expect_rejected(valid_int4_, [](Model& m) {
    ASSERT_TRUE(tensor_named(m, "decode/layers.0.q").mutate_dtype(schema::DType::F16));
  }, "can only be weights");
  // An f32 weight that claims int4 codes.
  expect_rejected(valid_int4_, [](Model& m) {
    ASSERT_TRUE(tensor_named(m, "final_norm").mutate_dtype(schema::DType::I4));
  }, "int4 tensor must be");
}

TEST_F(ModelLoader, QuantizedKvCacheWithWrongScalesOrTypes) {
  converter::GraphOptions options;
  options.kv_cache = converter::KvCacheFormat::kInt8;
  convert_llama2c(dir_ + "/stories260K.bin", dir_ + "/tok512.bin", tmp_.file("kv8.eft"), options);
  const std::vector<uint8_t> kv8 = converter::read_file_bytes(tmp_.file("kv8.eft"));
  ModelPtr model;
  ASSERT_TRUE(open_both(kv8, &model).ok());
  expect_rejected(kv8, [](Model& m) { ASSERT_TRUE(first_attention(m, "decode").mutate_k_scales(-1)); },
                  "need scale ids");
  expect_rejected(kv8, [](Model& m) {
    auto& a = first_attention(m, "decode");
    ASSERT_TRUE(a.mutate_v_scales(a.k_scales()));
  }, "share their scales");
  // Scales of the wrong shape: the K cache itself is int8 [context, kv_dim].
  expect_rejected(kv8, [](Model& m) {
    auto& a = first_attention(m, "decode");
    ASSERT_TRUE(a.mutate_k_scales(a.k_cache()));
  }, "scales must be f32 state");
  expect_rejected(kv8, [](Model& m) { ASSERT_TRUE(tensor_named(m, "layers.0.v_cache").mutate_dtype(schema::DType::F16)); },
                  "both of one type");
  // An f32 cache with scales, and f16 activations.
  expect_rejected(valid_, [](Model& m) { ASSERT_TRUE(first_attention(m, "decode").mutate_k_scales(0)); },
                  "only int8 KV caches have scales");
  expect_rejected(valid_, [](Model& m) {
    ASSERT_TRUE(tensor_named(m, "decode/layers.0.q").mutate_dtype(schema::DType::F16));
  }, "f16 tensors can only be");
}

TEST_F(ModelLoader, MisalignedOffsets) {
  expect_rejected(valid_, [](Model& m) {
    ASSERT_TRUE(tensor_named(m, "final_norm").mutate_offset(tensor_named(m, "final_norm").offset() + 4));
  }, "aligned");
  expect_rejected(valid_, [](Model& m) {
    schema::Tensor& v = tensor_named(m, "prefill/layers.1.v");
    ASSERT_TRUE(v.mutate_offset(v.offset() + 1));
  }, "aligned");
  expect_rejected(valid_, [](Model& m) { ASSERT_TRUE(m.mutate_weights_offset(m.weights_offset() + 8)); },
                  "weight segment offset");
  // The bytes themselves off alignment: refused as a bad argument before anything is read from them.
  std::vector<uint8_t> shifted(1);
  shifted.insert(shifted.end(), valid_.begin(), valid_.end());
  AlignedBytes block(shifted);
  ModelPtr model;
  const Status s = edgeformer::Model::open_buffer(block.data() + 1, valid_.size(), &model);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("aligned"), std::string::npos) << s.message();
}

TEST_F(ModelLoader, TokenizerIdsOutOfRange) {
  expect_rejected(valid_, [](Model& m) { ASSERT_TRUE(m.mutable_tokenizer()->mutate_byte_fallback_base(400)); },
                  "tokenizer");
  expect_rejected(valid_, [](Model& m) { ASSERT_TRUE(m.mutable_tokenizer()->mutate_bos_id(9999)); }, "tokenizer");
  expect_rejected(valid_, [](Model& m) { ASSERT_TRUE(m.mutable_tokenizer()->mutate_unk_id(-2)); }, "tokenizer");
}

// ---- hand-made graphs, written by the converter's own planner and writer: shapes LLaMA never has

// vocab 16, width 8: Embedding(table, tokens) -> x [rows, 8] -> LastRow -> FullyConnected -> logits, in entries
// `prefill` (`rows` rows) and `decode` (1 row), with a 512-position i8 state tensor so that a Session accepts prompts.
// `tweak` edits each entry before it is planned.
converter::Graph tiny_graph(int rows, const std::function<void(converter::Graph&, converter::Entry&)>& tweak) {
  using converter::Storage;
  using schema::DType;
  converter::Graph g;
  g.architecture = "llama";
  g.vocab_size = 16;
  g.hidden_size = 8;
  g.max_context = 512;
  auto add = [&](const std::string& name, DType dtype, std::vector<int64_t> shape, Storage storage, bool dynamic) {
    converter::Tensor t;
    t.name = name;
    t.dtype = dtype;
    t.shape = std::move(shape);
    t.storage = storage;
    t.dynamic_rows = dynamic;
    if (storage == Storage::Weight) t.data.assign(t.byte_size(), 0);
    return g.add_tensor(std::move(t));
  };
  const int table = add("table", DType::F32, {16, 8}, Storage::Weight, false);
  const int classifier = add("classifier", DType::F32, {16, 8}, Storage::Weight, false);
  add("state", DType::I8, {512, 1}, Storage::State, false);
  g.state_bytes = 512;
  g.entries.reserve(2);
  for (const auto& [name, entry_rows] : {std::pair<std::string, int>{"prefill", rows}, {"decode", 1}}) {
    converter::Entry& e = g.entries.emplace_back();
    e.name = name;
    e.max_rows = entry_rows;
    const int tokens = add(name + "/tokens", DType::I32, {entry_rows}, Storage::Arena, true);
    const int position = add(name + "/position", DType::I32, {1}, Storage::Arena, false);
    const int x = add(name + "/x", DType::F32, {entry_rows, 8}, Storage::Arena, true);
    const int last = add(name + "/last", DType::F32, {1, 8}, Storage::Arena, false);
    const int logits = add(name + "/logits", DType::F32, {1, 16}, Storage::Arena, false);
    converter::Operator embedding, last_row, fc;
    embedding.type = schema::OperatorOptions::EmbeddingOptions;
    embedding.inputs = {table, tokens};
    embedding.outputs = {x};
    last_row.type = schema::OperatorOptions::LastRowOptions;
    last_row.inputs = {x};
    last_row.outputs = {last};
    fc.type = schema::OperatorOptions::FullyConnectedOptions;
    fc.inputs = {last, classifier};
    fc.outputs = {logits};
    e.operators = {embedding, last_row, fc};
    e.inputs = {tokens, position};
    e.outputs = {logits};
    tweak(g, e);
    converter::plan_entry(g, e);
  }
  return g;
}

TEST_F(ModelLoader, HandMadeGraphOpensAndRuns) {
  // Control for the two tests below: the graph as built is valid (its `position` input is read by no operator, so
  // this also needs the loader to count such inputs in the plan) and runs a 64-token prompt.
  converter::Graph g = tiny_graph(64, [](converter::Graph&, converter::Entry&) {});
  converter::write_eft(g, tmp_.file("tiny.eft"));
  ModelPtr model;
  const Status s = open_both(converter::read_file_bytes(tmp_.file("tiny.eft")), &model);
  ASSERT_TRUE(s.ok()) << s.message();
  std::unique_ptr<Session> session;
  ASSERT_TRUE(Session::create(model, {}, &session).ok());
  const std::vector<int32_t> prompt(64, 3);
  const Status prefilled = session->prefill(prompt.data(), prompt.size());
  EXPECT_TRUE(prefilled.ok()) << prefilled.message();
}

TEST_F(ModelLoader, DynamicInputSmallerThanTheEntryRows) {
  // The prefill entry takes 512 rows, but its tokens input holds 1 (the embedding reads `position` instead, so no
  // operator check sees it): Session::prefill would copy a 512-token prompt 2044 bytes past the tensor, beyond the
  // whole arena and state (a heap overflow under ASan before the loader checked this).
  converter::Graph g = tiny_graph(512, [](converter::Graph& graph, converter::Entry& e) {
    if (e.name != "prefill") return;
    converter::Tensor& x = graph.tensors[e.operators[0].outputs[0]];
    graph.tensors[e.inputs[0]].shape = {1};
    x.shape = {1, 8};  // a fixed [1, 8] embedding of the position
    x.dynamic_rows = false;
    e.operators[0].inputs[1] = e.inputs[1];
  });
  converter::write_eft(g, tmp_.file("tiny.eft"));
  expect_invalid(converter::read_file_bytes(tmp_.file("tiny.eft")), "has dynamic rows but 1 rows");
}

TEST_F(ModelLoader, EntryInputNoOperatorReadsIsPlannedLikeTheOthers) {
  // An extra input that no operator reads: the converter plans it (it is written by the caller), and the loader
  // must accept that plan rather than call the arena larger than its tensors need.
  converter::Graph g = tiny_graph(64, [](converter::Graph& graph, converter::Entry& e) {
    converter::Tensor t;
    t.name = e.name + "/unused";
    t.dtype = schema::DType::F32;
    t.shape = {256};
    e.inputs.push_back(graph.add_tensor(std::move(t)));
  });
  converter::write_eft(g, tmp_.file("tiny.eft"));
  const Status s = open_both(converter::read_file_bytes(tmp_.file("tiny.eft")));
  EXPECT_TRUE(s.ok()) << s.message();
}

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

// An encoder's operators: bidirectional attention takes a mask and no cache, pooling a known mode and an i32 mask,
// L2 normalization a positive epsilon.
TEST_F(ModelLoader, CorruptEncoderOperatorsAreRefused) {
  converter::GraphOptions options;
  convert_hf_bert(std::string(EDGEFORMER_SOURCE_DIR) + "/tests/fixtures/bert-tiny-sentence", tmp_.file("bert.eft"),
                  options);
  const std::vector<uint8_t> bert = converter::read_file_bytes(tmp_.file("bert.eft"));
  ASSERT_TRUE(open_both(bert).ok());
  const auto op_of = [](Model& m, schema::OperatorOptions type) -> schema::Operator& {
    auto* ops = entry_named(m, "encode").mutable_operators();
    for (flatbuffers::uoffset_t i = 0; i < ops->size(); ++i)
      if (ops->Get(i)->options_type() == type) return *ops->GetMutableObject(i);
    throw std::runtime_error("no such operator");
  };
  const int hidden = [&] {
    std::vector<uint8_t> copy = bert;
    return tensor_id(*schema::GetMutableSizePrefixedModel(copy.data()), "encode/hidden");
  }();
  expect_rejected(bert, [](Model& m) { ASSERT_TRUE(first_attention(m, "encode").mutate_k_cache(0)); }, "no KV cache");
  expect_rejected(bert, [](Model& m) { ASSERT_TRUE(first_attention(m, "encode").mutate_causal(true)); },
                  "position");
  expect_rejected(bert, [&](Model& m) {
    op_of(m, schema::OperatorOptions::AttentionOptions).mutable_inputs()->Mutate(3, hidden);
  }, "mask");
  expect_rejected(bert, [&](Model& m) {
    auto& pool = op_of(m, schema::OperatorOptions::PoolOptions);
    ASSERT_TRUE(const_cast<schema::PoolOptions*>(pool.options_as_PoolOptions())->mutate_mode(schema::PoolMode(7)));
  }, "pooling mode");
  expect_rejected(bert, [&](Model& m) {
    op_of(m, schema::OperatorOptions::PoolOptions).mutable_inputs()->Mutate(1, hidden);
  }, "mask");
  expect_rejected(bert, [&](Model& m) {
    auto& normalize = op_of(m, schema::OperatorOptions::L2NormalizeOptions);
    ASSERT_TRUE(const_cast<schema::L2NormalizeOptions*>(normalize.options_as_L2NormalizeOptions())->mutate_epsilon(0));
  }, "epsilon");
}

}  // namespace
}  // namespace edgeformer::testing
