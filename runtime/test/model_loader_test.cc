// The loader against hostile files: one test per corrupt-file class, each an error status with a message, never a
// crash or a read outside the file (this suite also runs under ASan + UBSan). The fuzz loops are in
// loader_fuzz_test.cc.
#include <gtest/gtest.h>

#include "model_loader_test_support.h"

namespace edgeformer::testing {
namespace {

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

}  // namespace
}  // namespace edgeformer::testing
