#include "test_support.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "conversion.h"
#include "families/bert/bert_graph.h"
#include "families/llama/hf_llama_reader.h"
#include "families/llama/llama2c_reader.h"
#include "families/marian/marian_graph.h"
#include "graph/eft_writer.h"

namespace edgeformer::testing {

namespace fs = std::filesystem;

std::string shared_dir() {
  const char* env = std::getenv("EDGEFORMER_SHARED");
  const std::string dir = env != nullptr ? env : EDGEFORMER_DEFAULT_SHARED;
  return fs::is_directory(dir) ? dir : std::string();
}

std::string stories260k_dir() {
  const std::string shared = shared_dir();
  const std::string dir = shared + "/models/stories260K";
  return !shared.empty() && fs::exists(dir + "/stories260K.bin") ? dir : std::string();
}

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "edgeformer-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void convert_llama2c(const std::string& checkpoint, const std::string& tokenizer, const std::string& output,
                     const converter::GraphOptions& options) {
  converter::Graph graph = converter::build_llama_graph(converter::read_llama2c(checkpoint, tokenizer), options);
  converter::write_eft(graph, output);
}

std::string convert_stories260k_chat(const TempDir& tmp, const converter::GraphOptions& options) {
  const std::string dir = stories260k_dir();
  const std::string chat_template = shared_dir() + "/chat-templates/TinyLlama--TinyLlama-1.1B-Chat-v1.0.jinja";
  if (dir.empty() || !fs::exists(chat_template)) return "";
  converter::ConversionRequest request;
  request.input = dir + "/stories260K.bin";
  request.tokenizer = dir + "/tok512.bin";
  request.chat_template = chat_template;
  request.output = tmp.file("stories-chat.eft");
  request.options = options;
  converter::convert_model(request, nullptr);
  return request.output;
}

void convert_hf(const std::string& folder, const std::string& output, const converter::GraphOptions& options) {
  converter::Graph graph = converter::build_llama_graph(converter::read_hf_llama(folder), options);
  converter::write_eft(graph, output);
}

void convert_hf_marian(const std::string& folder, const std::string& output, const converter::GraphOptions& options) {
  converter::Graph graph = converter::build_marian_graph(converter::read_hf_marian(folder), options);
  converter::write_eft(graph, output);
}

void convert_hf_bert(const std::string& folder, const std::string& output, const converter::GraphOptions& options) {
  converter::Graph graph = converter::build_bert_graph(converter::read_hf_bert(folder), options);
  converter::write_eft(graph, output);
}

std::unique_ptr<Session> session_of(const std::shared_ptr<const Model>& model, int threads) {
  std::unique_ptr<Session> session;
  SessionOptions options;
  options.threads = threads;
  const Status s = model == nullptr ? Status(StatusCode::kInvalidArgument, "no model")
                                    : Session::create(model, options, &session);
  EXPECT_TRUE(s.ok()) << s.message();
  return session;
}

void copy_with_json_key(const std::string& folder, const TempDir& temp, const std::string& file, const std::string& key,
                        const nlohmann::json& value) {
  copy_with_json_keys(folder, temp, file, nlohmann::json{{key, value}});
}

void copy_with_json_keys(const std::string& folder, const TempDir& temp, const std::string& file,
                         const nlohmann::json& keys) {
  namespace fs = std::filesystem;
  fs::copy(folder, temp.path(), fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  std::ifstream in(temp.file(file));
  nlohmann::json json = nlohmann::json::parse(in);
  in.close();
  for (auto it = keys.begin(); it != keys.end(); ++it) json[it.key()] = it.value();
  std::ofstream(temp.file(file)) << json.dump(2);
}

void expect_refused(const std::function<void()>& read, const std::string& word) {
  try {
    read();
    ADD_FAILURE() << "accepted; expected a refusal naming " << word;
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find(word), std::string::npos) << e.what();
  }
}

std::shared_ptr<const Model> open_or_fail(const std::string& path) {
  std::shared_ptr<const Model> model;
  const Status s = Model::open_file(path, &model);
  EXPECT_TRUE(s.ok()) << s.message();
  return model;
}

double cosine_similarity(const float* got, const std::vector<double>& want) {
  double dot = 0.0, a = 0.0, b = 0.0;
  for (size_t i = 0; i < want.size(); ++i) {
    dot += got[i] * want[i];
    a += double(got[i]) * got[i];
    b += want[i] * want[i];
  }
  return dot / std::sqrt(a * b);
}

int32_t argmax(const float* logits, int vocab) {
  return int32_t(std::max_element(logits, logits + vocab) - logits);
}

void expect_logits_near(const float* got, const std::vector<double>& want, double relative_error) {
  double scale = 0.0;
  for (double w : want) scale = std::max(scale, std::fabs(w));
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::fabs(got[i] - want[i]) > relative_error * scale) {
      ADD_FAILURE() << "logit " << i << ": " << got[i] << ", the reference " << want[i] << " (budget "
                    << relative_error * scale << ")";
      return;
    }
  }
}

std::vector<int32_t> greedy_continuation(Session& session, size_t steps) {
  std::vector<int32_t> ids;
  while (ids.size() < steps) {
    ids.push_back(argmax(session.logits(), session.vocab_size()));
    if (ids.size() == steps) break;
    if (Status s = session.decode(ids.back()); !s.ok()) {
      ADD_FAILURE() << "decode: " << s.message();
      break;
    }
  }
  return ids;
}

}  // namespace edgeformer::testing
