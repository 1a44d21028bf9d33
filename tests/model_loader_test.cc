// The loader against hostile files: one test per corrupt-file class, each an error status with a message, never a
// crash or a read outside the file (this suite also runs under ASan + UBSan), plus a byte-flip fuzz loop.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>

#include "edgeformer/schema/edgeformer_generated.h"
#include "file_bytes.h"
#include "test_support.h"

namespace edgeformer::testing {
namespace {

using schema::Model;  // the FlatBuffers table; edgeformer::Model is the runtime's
constexpr int kFuzzIterations = 5000;

// A 64-byte aligned copy, as open_buffer requires.
class AlignedBytes {
 public:
  explicit AlignedBytes(const std::vector<uint8_t>& bytes)
      : size_(bytes.size()), data_(static_cast<uint8_t*>(std::aligned_alloc(64, (bytes.size() + 64) / 64 * 64))) {
    if (!bytes.empty()) std::memcpy(data_, bytes.data(), bytes.size());
  }
  ~AlignedBytes() { std::free(data_); }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  size_t size_;
  uint8_t* data_;
};

class ModelLoader : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = stories260k_dir();
    if (dir_.empty()) GTEST_SKIP() << "../shared/models/stories260K not found (set EDGEFORMER_SHARED)";
    convert_llama2c(dir_ + "/stories260K.bin", dir_ + "/tok512.bin", tmp_.file("f32.eft"));
    converter::LlamaGraphOptions int8;
    int8.weights = converter::WeightFormat::kInt8;
    convert_llama2c(dir_ + "/stories260K.bin", dir_ + "/tok512.bin", tmp_.file("int8.eft"), int8);
    valid_ = converter::read_file_bytes(tmp_.file("f32.eft"));
    valid_int8_ = converter::read_file_bytes(tmp_.file("int8.eft"));
  }

  // Opens the bytes both from a buffer and from a file; both must give the same verdict.
  Status open_both(const std::vector<uint8_t>& bytes, std::shared_ptr<const edgeformer::Model>* model = nullptr) {
    std::shared_ptr<const edgeformer::Model> from_buffer, from_file;
    AlignedBytes aligned(bytes);
    const Status buffer_status = edgeformer::Model::open_buffer(aligned.data(), aligned.size(), &from_buffer);
    const std::string path = tmp_.file("mutated.eft");
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    const Status file_status = edgeformer::Model::open_file(path, &from_file);
    EXPECT_EQ(buffer_status.code(), file_status.code()) << buffer_status.message() << " | " << file_status.message();
    if (model != nullptr) *model = from_file;
    return file_status;
  }

  // Applies `mutate` to a copy of a valid file's table and expects the loader to refuse it, naming `expected`.
  void expect_rejected(const std::vector<uint8_t>& base, const std::function<void(Model&)>& mutate,
                       const std::string& expected) {
    std::vector<uint8_t> bytes = base;
    mutate(*schema::GetMutableSizePrefixedModel(bytes.data()));
    const Status s = open_both(bytes);
    EXPECT_EQ(s.code(), StatusCode::kInvalidModel) << s.message();
    EXPECT_NE(s.message().find(expected), std::string::npos) << "message: " << s.message();
  }

  static schema::Tensor& tensor_named(Model& m, const std::string& name) {
    for (flatbuffers::uoffset_t i = 0; i < m.tensors()->size(); ++i)
      if (m.tensors()->Get(i)->name()->str() == name) return *m.mutable_tensors()->GetMutableObject(i);
    throw std::runtime_error("no tensor " + name);
  }

  std::string dir_;
  TempDir tmp_;
  std::vector<uint8_t> valid_, valid_int8_;
};

TEST_F(ModelLoader, ValidFilesOpen) {
  EXPECT_TRUE(open_both(valid_).ok());
  EXPECT_TRUE(open_both(valid_int8_).ok());
}

TEST_F(ModelLoader, EmptyFile) {
  const Status s = open_both({});
  EXPECT_EQ(s.code(), StatusCode::kInvalidModel);
  EXPECT_NE(s.message().find("empty"), std::string::npos) << s.message();
}

TEST_F(ModelLoader, MissingFile) {
  std::shared_ptr<const edgeformer::Model> model;
  const Status s = edgeformer::Model::open_file(tmp_.file("does-not-exist.eft"), &model);
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.message().find("does-not-exist.eft"), std::string::npos);
  EXPECT_EQ(edgeformer::Model::open_file(tmp_.path(), &model).code(), StatusCode::kIoError);  // a folder
}

TEST_F(ModelLoader, RandomGarbage) {
  std::mt19937 rng(1);
  std::vector<uint8_t> bytes(4096);
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
  EXPECT_EQ(open_both(bytes).code(), StatusCode::kInvalidModel);
}

TEST_F(ModelLoader, WrongIdentifier) {
  std::vector<uint8_t> bytes = valid_;
  std::memcpy(bytes.data() + 8, "GGUF", 4);  // after the size prefix and the root offset
  const Status s = open_both(bytes);
  EXPECT_EQ(s.code(), StatusCode::kInvalidModel);
  EXPECT_NE(s.message().find("identifier"), std::string::npos) << s.message();
}

TEST_F(ModelLoader, WrongVersion) {
  expect_rejected(valid_, [](Model& m) { ASSERT_TRUE(m.mutate_version(2)); }, "version");
}

TEST_F(ModelLoader, TruncatedAtSeveralPoints) {
  const Model& m = *schema::GetSizePrefixedModel(valid_.data());
  const size_t table_end = flatbuffers::ReadScalar<uint32_t>(valid_.data()) + 4;
  for (size_t length : {size_t{4}, size_t{8}, size_t{11}, size_t{100}, table_end / 2, table_end - 1, table_end,
                        static_cast<size_t>(m.weights_offset()) + 1000, valid_.size() - 64, valid_.size() - 1}) {
    const std::vector<uint8_t> bytes(valid_.begin(), valid_.begin() + length);
    const Status s = open_both(bytes);
    EXPECT_EQ(s.code(), StatusCode::kInvalidModel) << "truncated to " << length << ": " << s.message();
    EXPECT_FALSE(s.message().empty());
  }
}

TEST_F(ModelLoader, OperatorTensorIdOutOfRange) {
  for (int bad : {99999, -1, 1 << 30}) {
    expect_rejected(valid_, [bad](Model& m) {
      m.mutable_entries()->GetMutableObject(0)->mutable_operators()->GetMutableObject(3)->mutable_inputs()->Mutate(0, bad);
    }, "out of range");
  }
  expect_rejected(valid_, [](Model& m) {
    m.mutable_entries()->GetMutableObject(1)->mutable_outputs()->Mutate(0, 123456);
  }, "out of range");
}

TEST_F(ModelLoader, AttentionCacheIdOutOfRange) {
  expect_rejected(valid_, [](Model& m) {
    auto* ops = m.mutable_entries()->GetMutableObject(0)->mutable_operators();
    for (flatbuffers::uoffset_t i = 0; i < ops->size(); ++i) {
      auto* op = ops->GetMutableObject(i);
      if (op->options_type() == schema::OperatorOptions::AttentionOptions) {
        ASSERT_TRUE(const_cast<schema::AttentionOptions*>(op->options_as_AttentionOptions())->mutate_k_cache(777777));
        return;
      }
    }
    FAIL() << "no attention operator";
  }, "KV-cache");
}

TEST_F(ModelLoader, WeightSegmentOutsideTheFile) {
  const uint64_t size = valid_.size();
  expect_rejected(valid_, [size](Model& m) { ASSERT_TRUE(tensor_named(m, "final_norm").mutate_offset(size)); },
                  "outside the weight segment");
  // Just past the end: the last 64 bytes would be read beyond the file.
  expect_rejected(valid_, [size](Model& m) {
    ASSERT_TRUE(tensor_named(m, "token_embedding").mutate_offset((size - 64) / 64 * 64));
  }, "outside the weight segment");
  // An offset so large that offset + size wraps around 64 bits.
  expect_rejected(valid_, [](Model& m) {
    ASSERT_TRUE(tensor_named(m, "final_norm").mutate_offset(~uint64_t{63}));
  }, "outside the weight segment");
  // Weights may not alias the FlatBuffer table itself.
  expect_rejected(valid_, [](Model& m) { ASSERT_TRUE(tensor_named(m, "final_norm").mutate_offset(0)); },
                  "outside the weight segment");
}

TEST_F(ModelLoader, PlanOutsideTheArena) {
  expect_rejected(valid_, [](Model& m) {
    const uint64_t arena = m.arena_bytes();
    ASSERT_TRUE(tensor_named(m, "decode/layers.0.q").mutate_offset((arena + 63) / 64 * 64));
  }, "outside the");
  expect_rejected(valid_, [](Model& m) { ASSERT_TRUE(m.mutate_arena_bytes(64)); }, "arena");
}

TEST_F(ModelLoader, RegionSizesLargerThanTheTensorsNeed) {
  // Found by the fuzz test: a flipped size field must not become a terabyte allocation.
  expect_rejected(valid_, [](Model& m) { ASSERT_TRUE(m.mutate_state_bytes(m.state_bytes() << 20)); }, "state");
  expect_rejected(valid_, [](Model& m) { ASSERT_TRUE(m.mutate_arena_bytes(m.arena_bytes() << 20)); }, "arena");
  expect_rejected(valid_, [](Model& m) {
    auto* decode = m.mutable_entries()->GetMutableObject(1);
    ASSERT_TRUE(decode->mutate_arena_bytes(decode->arena_bytes() + (1 << 20)));
  }, "arena");
}

TEST_F(ModelLoader, LiveTensorsOverlapInThePlan) {
  // q and k of a layer are both alive at the attention operator: putting them at one offset must be refused.
  expect_rejected(valid_, [](Model& m) {
    const uint64_t q_offset = tensor_named(m, "prefill/layers.2.q").offset();
    ASSERT_TRUE(tensor_named(m, "prefill/layers.2.k").mutate_offset(q_offset));
  }, "overlap");
}

TEST_F(ModelLoader, AbsurdShapeThatWouldOverflowSizeArithmetic) {
  expect_rejected(valid_, [](Model& m) {
    auto* shape = tensor_named(m, "layers.0.wq").mutable_shape();
    shape->Mutate(0, int64_t{1} << 31);
    shape->Mutate(1, int64_t{1} << 31);
  }, "too large");
  expect_rejected(valid_, [](Model& m) { tensor_named(m, "final_norm").mutable_shape()->Mutate(0, -64); },
                  "dimension");
  expect_rejected(valid_, [](Model& m) {
    tensor_named(m, "final_norm").mutable_shape()->Mutate(0, INT64_MAX);
  }, "dimension");
}

TEST_F(ModelLoader, ShapeInconsistentWithTheOperator) {
  // A smaller (but in-bounds) weight than the layer reads: the op check catches it before any kernel runs.
  expect_rejected(valid_, [](Model& m) { tensor_named(m, "layers.1.wq").mutable_shape()->Mutate(0, 32); },
                  "FullyConnected");
  expect_rejected(valid_, [](Model& m) {
    auto* ops = m.mutable_entries()->GetMutableObject(1)->mutable_operators();
    for (flatbuffers::uoffset_t i = 0; i < ops->size(); ++i) {
      auto* op = ops->GetMutableObject(i);
      if (op->options_type() == schema::OperatorOptions::AttentionOptions) {
        ASSERT_TRUE(const_cast<schema::AttentionOptions*>(op->options_as_AttentionOptions())->mutate_kv_heads(3));
        return;
      }
    }
  }, "heads");
}

TEST_F(ModelLoader, Int8WeightWithoutScales) {
  expect_rejected(valid_int8_, [](Model& m) { ASSERT_TRUE(tensor_named(m, "layers.0.wq").mutate_scales(-1)); },
                  "scales");
  expect_rejected(valid_int8_, [](Model& m) {
    ASSERT_TRUE(tensor_named(m, "layers.0.wq").mutate_quantization(schema::Quantization::None));
  }, "quantization");
}

TEST_F(ModelLoader, MisalignedOffsets) {
  expect_rejected(valid_, [](Model& m) {
    ASSERT_TRUE(tensor_named(m, "final_norm").mutate_offset(tensor_named(m, "final_norm").offset() + 4));
  }, "aligned");
  std::vector<uint8_t> padded(valid_.size() + 1);
  std::memcpy(padded.data() + 1, valid_.data(), valid_.size());
  std::shared_ptr<const edgeformer::Model> model;
  void* block = std::aligned_alloc(64, (padded.size() + 64) / 64 * 64);
  std::memcpy(block, padded.data(), padded.size());
  EXPECT_EQ(edgeformer::Model::open_buffer(static_cast<uint8_t*>(block) + 1, valid_.size(), &model).code(),
            StatusCode::kInvalidArgument);
  std::free(block);
}

TEST_F(ModelLoader, TokenizerIdsOutOfRange) {
  expect_rejected(valid_, [](Model& m) {
    ASSERT_TRUE(const_cast<schema::Tokenizer*>(m.tokenizer())->mutate_byte_fallback_base(400));
  }, "tokenizer");
  expect_rejected(valid_, [](Model& m) { ASSERT_TRUE(const_cast<schema::Tokenizer*>(m.tokenizer())->mutate_bos_id(9999)); },
                  "tokenizer");
}

// Random byte flips anywhere in the table: every open either fails cleanly or yields a model that runs a step.
TEST_F(ModelLoader, ByteFlipFuzz) {
  const size_t table_end = flatbuffers::ReadScalar<uint32_t>(valid_.data()) + 4;
  std::mt19937 rng(7);
  int rejected = 0;
  for (int i = 0; i < kFuzzIterations; ++i) {
    std::vector<uint8_t> bytes = valid_;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) bytes[rng() % table_end] ^= static_cast<uint8_t>(1u << (rng() % 8));
    AlignedBytes aligned(bytes);
    std::shared_ptr<const edgeformer::Model> model;
    const Status s = edgeformer::Model::open_buffer(aligned.data(), aligned.size(), &model);
    if (!s.ok()) {
      EXPECT_FALSE(s.message().empty());
      ++rejected;
      continue;
    }
    std::unique_ptr<Session> session;
    if (!Session::create(model, {}, &session).ok()) continue;
    const int32_t bos = 1;
    (void)session->prefill(&bos, 1);
  }
  // Most flips land in data the verifier or the checks see; a few hit names or unused padding.
  EXPECT_GT(rejected, 0);
  std::printf("byte-flip fuzz: %d of %d mutated files rejected\n", rejected, kFuzzIterations);
}

}  // namespace
}  // namespace edgeformer::testing
