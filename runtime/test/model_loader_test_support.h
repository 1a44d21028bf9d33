#pragma once
// What the loader tests share: the models every test corrupts (ModelLoader's valid_ files), aligned copies, and
// exercise(), which runs whatever a mutated model that still opened can do.
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

inline size_t table_end(const std::vector<uint8_t>& file) { return flatbuffers::ReadScalar<uint32_t>(file.data()) + 4; }

// Whatever a mutated model that opened can do must fail cleanly or work: sessions, a decode step, a short prefill
// (the other entry), the tokenizer.
inline void exercise(const ModelPtr& model, const std::string& what) {
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


// The operator of `entry` whose first output is tensor `output`.
inline schema::Operator& producer(schema::Entry& entry, int output) {
  auto* ops = entry.mutable_operators();
  for (flatbuffers::uoffset_t i = 0; i < ops->size(); ++i)
    if (ops->Get(i)->outputs()->Get(0) == output) return *ops->GetMutableObject(i);
  throw std::runtime_error("no producer");
}

}  // namespace edgeformer::testing
