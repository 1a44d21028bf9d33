// --synthetic checkpoints: the requested llama, gpt2 and bert shapes (a sentence embedder, or a classifier with
// labels=N) convert and run, and bad specs are refused.
#include <gtest/gtest.h>

#include <cmath>
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

// The keys real LLaMA-layout models need (Qwen2.5's and Llama 3.2's shapes): a head_dim apart from dim / heads,
// tied embeddings, q/k/v biases, rope_theta and Llama 3's rope_scaling.
TEST(Synthetic, RealModelKeysBuildTheirShape) {
  TempDir tmp;
  const auto ckpt = converter::synthetic_llama(
      "llama:dim=40,layers=2,heads=4,kv_heads=2,head_dim=16,ffn=96,vocab=200,context=64,tied=1,qkv_bias=1,"
      "theta=500000,llama3_factor=32,original_context=32");
  const converter::LlamaConfig& c = ckpt.config;
  EXPECT_EQ(c.head_size(), 16);
  EXPECT_TRUE(c.qkv_bias);
  EXPECT_FLOAT_EQ(c.rope_theta, 500000.0f);
  EXPECT_TRUE(ckpt.classifier.empty());
  ASSERT_EQ(ckpt.layers[0].wq.size(), 64u * 40);  // [heads * head_dim][dim]
  EXPECT_EQ(ckpt.layers[0].wo.size(), 40u * 64);
  EXPECT_EQ(ckpt.layers[0].bq.size(), 64u);
  EXPECT_EQ(ckpt.layers[0].bk.size(), 32u);
  EXPECT_EQ(ckpt.layers[0].bv.size(), 32u);
  // Llama 3: the shortest wavelength (2 pi) is kept, the longest (past original_context / low_freq_factor) is
  // slowed by the factor.
  const std::vector<float>& inv = c.rope_scaling.inverse_frequencies;
  ASSERT_EQ(inv.size(), 8u);
  EXPECT_FLOAT_EQ(inv[0], 1.0f);
  EXPECT_NEAR(inv[7], std::pow(500000.0, -14.0 / 16) / 32, 1e-5 * inv[7]);

  converter::Graph graph = converter::build_llama_graph(ckpt, {});
  converter::write_eft(graph, tmp.file("s.eft"));
  auto model = open_or_fail(tmp.file("s.eft"));
  ASSERT_NE(model, nullptr);
  // embedding (also the classifier) + per layer (q: 64x40, o: 40x64; k, v: 32x40; biases 64 + 2 x 32; 3 x 96x40;
  // 2 norms) + final norm + the scaled RoPE's 8 inverse frequencies
  EXPECT_EQ(model->info().params,
            200u * 40 + 2u * (2 * 64 * 40 + 2 * 32 * 40 + 64 + 2 * 32 + 3 * 96 * 40 + 2 * 40) + 40 + 8);
  auto session = new_session(model);
  ASSERT_NE(session, nullptr);
  const std::vector<int32_t> prompt = {1, 5, 199};
  ASSERT_TRUE(session->prefill(prompt.data(), prompt.size()).ok());
  EXPECT_TRUE(std::isfinite(session->logits()[0]));

  // Without them: no biases, an untied classifier, theta 10000, unscaled RoPE.
  const auto plain = converter::synthetic_llama("llama:dim=48,layers=1,heads=6,ffn=64,vocab=50");
  EXPECT_TRUE(plain.layers[0].bq.empty());
  EXPECT_EQ(plain.classifier.size(), 50u * 48);
  EXPECT_TRUE(plain.config.rope_scaling.inverse_frequencies.empty());
  EXPECT_FLOAT_EQ(plain.config.rope_theta, 10000.0f);
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
  expect_convert_error([] { converter::synthetic_llama("llama:rope=llama3"); }, {"rope=llama3", "llama3_factor"});
  expect_convert_error([] { converter::synthetic_llama("llama:tied=2"); }, {"tied", "1"});
  expect_convert_error([] { converter::synthetic_llama("llama:qkv_bias=0"); }, {"qkv_bias"});
  expect_convert_error([] { converter::synthetic_llama("llama:head_dim=7"); }, {"head dim 7"});
  expect_convert_error([] { converter::synthetic_llama("llama:original_context=8192"); }, {"llama3_factor"});
  expect_convert_error([] { converter::synthetic_gpt2("gpt2:tied=1"); }, {"tied"});
}

}  // namespace
}  // namespace edgeformer::testing
