// `embed` and `classify`: texts through an encoder's `encode` entry, one sequence per run.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "commands.h"
#include "edgeformer/schema/entry_names.h"
#include "json_writer.h"

namespace edgeformer::cli {

namespace {

struct EncoderCall {
  std::shared_ptr<const Model> model;
  std::unique_ptr<Session> session;
  size_t max_tokens = 0;
};

// Opens the model and checks that it is an encoder with `output` (the head the command reads).
std::string open_encoder(const Arguments& args, long threads, const char* command, const char* output,
                         EncoderCall* call) {
  if (args.positionals().size() < 2) return std::string(command) + ": expected a model path and at least one text";
  double load_ms = 0;
  if (Status s = open_session(args.positionals()[0], threads, &call->model, &call->session, &load_ms); !s.ok())
    return s.message();
  for (const EntryInfo& entry : call->model->info().entries) {
    if (entry.name != schema::names::kEncode) continue;
    for (const TensorInfo& t : entry.outputs)
      if (t.name == schema::names::entry_tensor_name(schema::names::kEncode, output))
        call->max_tokens = static_cast<size_t>(entry.max_rows);
  }
  if (call->max_tokens == 0)
    return std::string(command) + ": the model has no encode/" + output + " output (" +
           (std::string(output) == "embedding" ? "convert a sentence-transformers folder" : "convert a "
                                                 "BertForSequenceClassification folder") + ")";
  if (!call->model->has_tokenizer()) return std::string(command) + ": the model has no tokenizer";
  return "";
}

// [CLS] text [SEP], cut to the model's longest sequence keeping [SEP] last (as Hugging Face truncation does).
std::string encode_text(EncoderCall& call, const std::string& text, const char* output, std::vector<float>* values,
                        size_t* tokens, bool* truncated) {
  std::vector<int32_t> ids;
  if (Status s = call.model->tokenize(text, true, &ids); !s.ok()) return s.message();
  *truncated = truncate_keeping_last(&ids, call.max_tokens);
  *tokens = ids.size();
  if (Status s = call.session->encode(ids.data(), nullptr, nullptr, ids.size()); !s.ok()) return s.message();
  const void* data = nullptr;
  size_t bytes = 0;
  if (Status s = call.session->output(schema::names::kEncode, output, &data, &bytes); !s.ok()) return s.message();
  const float* floats = static_cast<const float*>(data);
  values->assign(floats, floats + bytes / sizeof(float));
  return "";
}

void print_vector(const std::vector<float>& v) {
  std::printf("[");
  for (size_t i = 0; i < v.size(); ++i) std::printf(i ? ", %.6g" : "%.6g", v[i]);
  std::printf("]\n");
}

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double dot = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += double(a[i]) * b[i];
    aa += double(a[i]) * a[i];
    bb += double(b[i]) * b[i];
  }
  return aa > 0 && bb > 0 ? dot / std::sqrt(aa * bb) : 0.0;
}

}  // namespace

int command_embed(int argc, char** argv) {
  Arguments args(argc, argv, {"--json"});
  const long threads = args.get_int("--threads", 1, 1, 256);
  if (!args.ok()) return fail(args.error());
  EncoderCall call;
  if (std::string error = open_encoder(args, threads, "embed", "embedding", &call); !error.empty()) return fail(error);
  const std::vector<std::string> texts(args.positionals().begin() + 1, args.positionals().end());
  std::vector<std::vector<float>> embeddings(texts.size());
  std::vector<size_t> tokens(texts.size());
  std::vector<bool> truncated(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    bool cut = false;
    if (std::string error = encode_text(call, texts[i], "embedding", &embeddings[i], &tokens[i], &cut);
        !error.empty())
      return fail("text " + std::to_string(i) + ": " + error);
    truncated[i] = cut;
  }
  if (args.has("--json")) {
    JsonWriter json;
    json.begin_object().key("embeddings").begin_array();
    for (size_t i = 0; i < texts.size(); ++i) {
      json.begin_object().key("text").value(texts[i]).key("tokens").value(static_cast<uint64_t>(tokens[i]));
      json.key("truncated").value(static_cast<bool>(truncated[i])).key("embedding").begin_array();
      for (float x : embeddings[i]) json.value(static_cast<double>(x));
      json.end_array().end_object();
    }
    json.end_array();
    if (texts.size() > 1) {
      json.key("similarity").begin_array();
      for (size_t i = 0; i < texts.size(); ++i) {
        json.begin_array();
        for (size_t j = 0; j < texts.size(); ++j) json.value(cosine(embeddings[i], embeddings[j]));
        json.end_array();
      }
      json.end_array();
    }
    std::printf("%s\n", json.end_object().str().c_str());
    return 0;
  }
  for (size_t i = 0; i < texts.size(); ++i) {
    std::printf("embedding %zu (%zu tokens%s): ", i, tokens[i], truncated[i] ? ", truncated" : "");
    print_vector(embeddings[i]);
  }
  if (texts.size() > 1) {
    std::printf("cosine similarity:\n     ");
    for (size_t j = 0; j < texts.size(); ++j) std::printf(" %7zu", j);
    std::printf("\n");
    for (size_t i = 0; i < texts.size(); ++i) {
      std::printf("%5zu", i);
      for (size_t j = 0; j < texts.size(); ++j) std::printf(" %7.4f", cosine(embeddings[i], embeddings[j]));
      std::printf("\n");
    }
  }
  return 0;
}

int command_classify(int argc, char** argv) {
  Arguments args(argc, argv, {"--json"});
  const long threads = args.get_int("--threads", 1, 1, 256);
  if (!args.ok()) return fail(args.error());
  EncoderCall call;
  if (std::string error = open_encoder(args, threads, "classify", "logits", &call); !error.empty()) return fail(error);
  const ModelInfo& info = call.model->info();
  JsonWriter json;
  json.begin_object().key("results").begin_array();
  for (size_t t = 1; t < args.positionals().size(); ++t) {
    const std::string& text = args.positionals()[t];
    std::vector<float> logits;
    size_t tokens = 0;
    bool truncated = false;
    if (std::string error = encode_text(call, text, "logits", &logits, &tokens, &truncated); !error.empty())
      return fail("text " + std::to_string(t - 1) + ": " + error);
    const std::vector<double> probabilities = class_probabilities(logits.data(), logits.size(), info.multi_label);
    std::vector<size_t> order(logits.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return probabilities[a] > probabilities[b]; });
    const auto label = [&](size_t i) { return i < info.labels.size() ? info.labels[i] : "LABEL_" + std::to_string(i); };
    if (args.has("--json")) {
      json.begin_object().key("text").value(text).key("tokens").value(static_cast<uint64_t>(tokens));
      json.key("truncated").value(truncated).key("label").value(label(order[0])).key("probabilities").begin_object();
      for (size_t i = 0; i < logits.size(); ++i) json.key(label(i)).value(probabilities[i]);
      json.end_object().key("logits").begin_array();
      for (float x : logits) json.value(static_cast<double>(x));
      json.end_array().end_object();
    } else {
      std::printf("%s%s\n", text.c_str(), truncated ? "  (truncated)" : "");
      for (size_t i : order) std::printf("  %-20s %.4f\n", label(i).c_str(), probabilities[i]);
    }
  }
  if (args.has("--json")) std::printf("%s\n", json.end_array().end_object().str().c_str());
  return 0;
}

}  // namespace edgeformer::cli
