// --synthetic checkpoints: the requested llama, gpt2 and bert shapes (a sentence embedder, or a classifier with
// labels=N) convert and run, and bad specs are refused.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "conversion_errors.h"
#include "families/bert/bert_graph.h"
#include "families/bert/synthetic_bert.h"
#include "families/gpt2/gpt2_graph.h"
#include "families/gpt2/synthetic_gpt2.h"
#include "families/llama/llama_graph.h"
#include "families/llama/synthetic_llama.h"
#include "graph/eft_writer.h"
#include "model_runs.h"
#include "test_support.h"

namespace edgeformer::testing {
namespace {

TEST(Synthetic, BuildsTheRequestedShape) {
  TempDir tmp;
  const auto ckpt = converter::synthetic_llama("llama:dim=48,layers=3,heads=6,kv_heads=2,ffn=100,vocab=300,context=64");
  EXPECT_EQ(ckpt.config.kv_heads, 2);
  converter::Graph graph = converter::build_llama_graph(ckpt, {});
  converter::write_eft(graph, tmp.file("s.eft"));
  auto model = open_or_fail(tmp.file("s.eft"));
  ASSERT_NE(model, nullptr);
  const ModelInfo& info = model->info();
  EXPECT_EQ(info.layers, 3);
  EXPECT_EQ(info.hidden_size, 48);
  EXPECT_EQ(info.vocab_size, 300);
  EXPECT_EQ(info.max_context, 64);
  // embedding + classifier + per layer (q, o: 48x48; k, v: 16x48; 3 x 100x48; 2 norms) + final norm
  EXPECT_EQ(info.params, 2u * 300 * 48 + 3u * (2 * 48 * 48 + 2 * 16 * 48 + 3 * 100 * 48 + 2 * 48) + 48);
  auto session = new_session(model);
  ASSERT_NE(session, nullptr);
  const std::vector<int32_t> prompt = {1, 5, 299};
  EXPECT_TRUE(session->prefill(prompt.data(), prompt.size()).ok());
  EXPECT_EQ(model->bos_id(), 1);
}

// GPT-2 and BERT shapes convert and run: a GPT-2 generates, a BERT sentence embedder gives unit vectors, and
// labels=N makes a classifier with N logits.
TEST(Synthetic, Gpt2AndBertShapesConvertAndRun) {
  TempDir temp;
  converter::Graph gpt2 = converter::build_gpt2_graph(
      converter::synthetic_gpt2("gpt2:dim=32,layers=2,heads=4,ffn=64,vocab=100,context=16"), {});
  converter::write_eft(gpt2, temp.file("gpt2.eft"));
  auto model = open_or_fail(temp.file("gpt2.eft"));
  ASSERT_TRUE(model);
  EXPECT_EQ(model->info().max_context, 16);
  auto session = new_session(model);
  const std::vector<int32_t> prompt = {1, 5, 99};
  EXPECT_TRUE(session->prefill(prompt.data(), prompt.size()).ok());

  for (const char* spec : {"bert:dim=32,layers=2,heads=4,ffn=64,vocab=100,context=16",
                           "bert:dim=32,layers=2,heads=4,ffn=64,vocab=100,context=16,labels=3"}) {
    SCOPED_TRACE(spec);
    converter::Graph bert = converter::build_bert_graph(converter::synthetic_bert(spec), {});
    converter::write_eft(bert, temp.file("bert.eft"));
    model = open_or_fail(temp.file("bert.eft"));
    ASSERT_TRUE(model);
    session = new_session(model);
    ASSERT_TRUE(session->encode(prompt.data(), nullptr, nullptr, prompt.size()).ok());
    const bool classifier = std::string(spec).find("labels") != std::string::npos;
    const void* data = nullptr;
    size_t bytes = 0;
    ASSERT_TRUE(session->output("encode", classifier ? "logits" : "embedding", &data, &bytes).ok());
    EXPECT_EQ(bytes / sizeof(float), classifier ? 3u : 32u);
    if (!classifier) {
      const float* embedding = static_cast<const float*>(data);
      double norm = 0;
      for (size_t i = 0; i < 32; ++i) norm += double(embedding[i]) * embedding[i];
      EXPECT_NEAR(norm, 1.0, 1e-5);
    }
  }
}

TEST(Synthetic, BadSpecsAreErrors) {
  expect_convert_error([] { converter::synthetic_gpt2("gpt2:dim=30,heads=4"); }, {"heads"});
  expect_convert_error([] { converter::synthetic_bert("bert:kv_heads=2"); }, {"kv_heads"});
  expect_convert_error([] { converter::synthetic_llama("bert:dim=8"); }, {"bert"});
  expect_convert_error([] { converter::synthetic_llama("llama:dim=x"); }, {"dim"});
  expect_convert_error([] { converter::synthetic_llama("llama:depth=3"); }, {"depth"});
  expect_convert_error([] { converter::synthetic_llama("llama:dim=50,heads=4"); }, {"heads"});
}

}  // namespace
}  // namespace edgeformer::testing
