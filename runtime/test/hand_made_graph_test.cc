// Graphs LLaMA never has, written by the converter's own planner and writer, and the encoder operators' refusals.
#include <gtest/gtest.h>

#include <fstream>

#include "conversion.h"
#include "model_loader_test_support.h"

namespace edgeformer::testing {
namespace {

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
    embedding.options.Set(schema::EmbeddingOptionsT());
    embedding.inputs = {table, tokens};
    embedding.outputs = {x};
    last_row.options.Set(schema::LastRowOptionsT());
    last_row.inputs = {x};
    last_row.outputs = {last};
    fc.options.Set(schema::FullyConnectedOptionsT());
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

// The decoders' extras: rotary options (rope_dim, frequency tables, the original context), sliding windows whose
// caches are not the window, soft-caps and scales, gate activations.
TEST_F(ModelLoader, CorruptDecoderExtrasAreRefused) {
  const std::string fixtures = std::string(EDGEFORMER_SOURCE_DIR) + "/tests/fixtures/";
  auto convert = [&](const std::string& fixture) {
    converter::ConversionRequest request;
    request.input = fixtures + fixture;
    request.output = tmp_.file(fixture + ".eft");
    converter::convert_model(request, nullptr);
    return converter::read_file_bytes(request.output);
  };
  const std::vector<uint8_t> phi3 = convert("phi3-tiny"), gemma2 = convert("gemma2-tiny");
  ASSERT_TRUE(open_both(phi3).ok());
  ASSERT_TRUE(open_both(gemma2).ok());
  const auto attention = [](Model& m) -> schema::AttentionOptions& { return first_attention(m, "prefill"); };
  expect_rejected(phi3, [&](Model& m) { ASSERT_TRUE(attention(m).mutate_rope_dim(7)); }, "rope_dim 7");
  expect_rejected(phi3, [&](Model& m) { ASSERT_TRUE(attention(m).mutate_rope_dim(64)); }, "at most head dim");
  expect_rejected(phi3, [&](Model& m) {
    ASSERT_TRUE(attention(m).mutate_rope_inverse_frequencies(tensor_id(m, "final_norm")));
  }, "RoPE frequencies");
  expect_rejected(phi3, [&](Model& m) { ASSERT_TRUE(attention(m).mutate_rope_original_context(0)); },
                  "original context");
  expect_rejected(phi3, [&](Model& m) { ASSERT_TRUE(attention(m).mutate_rope_attention_factor(-1.0f)); },
                  "rope_attention_factor");
  expect_rejected(phi3, [&](Model& m) { ASSERT_TRUE(attention(m).mutate_sliding_window(5)); }, "rings");
  expect_rejected(gemma2, [&](Model& m) { ASSERT_TRUE(attention(m).mutate_logit_softcap(-3.0f)); }, "logit_softcap");
  expect_rejected(gemma2, [&](Model& m) { ASSERT_TRUE(attention(m).mutate_scale(NAN)); }, "scale");
  const auto each_op = [](Model& m, const std::function<void(schema::Operator&)>& edit) {
    auto* ops = entry_named(m, "decode").mutable_operators();
    for (flatbuffers::uoffset_t i = 0; i < ops->size(); ++i) edit(*ops->GetMutableObject(i));
  };
  expect_rejected(gemma2, [&](Model& m) {
    each_op(m, [](schema::Operator& op) {
      if (const auto* cap = op.options_as_SoftCapOptions()) {
        ASSERT_TRUE(const_cast<schema::SoftCapOptions*>(cap)->mutate_cap(0.0f));
      }
    });
  }, "cap must be positive");
  expect_rejected(gemma2, [&](Model& m) {
    each_op(m, [](schema::Operator& op) {
      if (const auto* glu = op.options_as_SwiGluOptions()) {
        ASSERT_TRUE(const_cast<schema::SwiGluOptions*>(glu)->mutate_activation(schema::GateActivation(9)));
      }
    });
  }, "gate activation");
}

// A chat template's steps are checked at load: roles, flags, each key once, drop values, the date format.
TEST_F(ModelLoader, CorruptChatTemplatesAreRefused) {
  const std::string llama = shared_dir() + "/chat-templates/meta-llama--Llama-3.2-1B-Instruct.jinja";
  if (!std::ifstream(llama)) GTEST_SKIP() << "../shared/chat-templates not found (set EDGEFORMER_SHARED)";
  converter::ConversionRequest request;
  request.synthetic = "llama:dim=16,layers=1,heads=2,kv_heads=1,ffn=32,vocab=32,context=8,seed=7";
  request.chat_template = llama;
  request.output = tmp_.file("chat.eft");
  converter::convert_model(request, nullptr);
  const std::vector<uint8_t> chat = converter::read_file_bytes(request.output);
  ModelPtr opened;
  ASSERT_TRUE(open_both(chat, &opened).ok());
  ASSERT_TRUE(opened->chat_template_status().ok()) << opened->chat_template_status().message();
  const auto steps = [](Model& m) { return m.mutable_chat_template()->mutable_steps(); };
  expect_rejected(chat, [&](Model& m) { ASSERT_TRUE(steps(m)->GetMutableObject(0)->mutate_next(5)); }, "role");
  expect_rejected(chat, [&](Model& m) { ASSERT_TRUE(steps(m)->GetMutableObject(0)->mutate_flags(200)); }, "flags");
  expect_rejected(chat, [&](Model& m) {
    const schema::ChatStep* first = steps(m)->Get(0);
    schema::ChatStep* second = steps(m)->GetMutableObject(1);
    ASSERT_TRUE(second->mutate_previous(first->previous()) && second->mutate_next(first->next()) &&
                second->mutate_flags(first->flags()));
  }, "twice");
  expect_rejected(chat, [&](Model& m) { m.mutable_chat_template()->mutable_drop()->Mutate(0, 9); }, "drop");
  expect_rejected(chat, [&](Model& m) {
    auto* format = m.mutable_chat_template()->mutable_date_format();
    ASSERT_GT(format->size(), 1u);
    format->Mutate(1, 'n');  // %d -> %n
  }, "date format");
}

}  // namespace
}  // namespace edgeformer::testing
