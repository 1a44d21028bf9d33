// Fuzz target: a mutated small model either is refused, or opens and runs one prefill and one decode step, or one
// encode (and, for any graph, each entry once) returning statuses: no out-of-bounds access, no crash, whatever the weights,
// shapes, plan or options say.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "aligned_copy.h"
#include "edgeformer/edgeformer.hpp"

namespace {

// A fuzzed model may ask for any arena the checks allow; more than this is refused before it is allocated.
constexpr size_t kMaxArenaBytes = size_t{256} << 20;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const edgeformer::fuzz::AlignedCopy bytes(data, size);
  std::shared_ptr<const edgeformer::Model> model;
  if (!edgeformer::Model::open_buffer(bytes.data(), bytes.size(), &model).ok()) return 0;
  // A chat template that loaded lays out and tokenizes a conversation, or says why not.
  if (model->chat_template_status().ok()) {
    const std::vector<edgeformer::ChatMessage> conversation = {
        {edgeformer::ChatRole::kSystem, "s"}, {edgeformer::ChatRole::kUser, "u"},
        {edgeformer::ChatRole::kAssistant, "a"}, {edgeformer::ChatRole::kUser, "v"}};
    std::string text;
    (void)model->format_chat(conversation, edgeformer::ChatOptions(), &text);
    std::vector<int32_t> ids;
    if (model->has_tokenizer()) (void)model->tokenize_chat(conversation, edgeformer::ChatOptions(), &ids);
  }
  edgeformer::SessionOptions options;
  options.max_arena_bytes = kMaxArenaBytes;
  std::unique_ptr<edgeformer::Session> session;
  if (!edgeformer::Session::create(model, options, &session).ok()) return 0;
  if (session->vocab_size() > 0) {
    const int32_t prompt[2] = {0, 1 % session->vocab_size()};
    if (session->prefill(prompt, 2).ok()) {
      if (session->logits() == nullptr) std::abort();
      (void)session->decode(0);
    }
    session->reset();
  }
  // Encoders: a sequence of two tokens, then the same with its second row as padding; encoder-decoders decode a
  // step after the source and translate it with two beams.
  const int32_t tokens[2] = {0, 1}, padding[2] = {1, 0};
  if (session->encode(tokens, nullptr, nullptr, 2).ok()) {
    (void)session->encode(tokens, nullptr, padding, 2);
    if (session->vocab_size() > 0) {
      (void)session->decode(0);
      edgeformer::Session::TranslateOptions options;
      options.beams = 2;
      options.max_tokens = 3;
      std::vector<int32_t> target;
      (void)session->translate(tokens, 2, options, &target);
    }
  }
  // The low-level entry points, with inputs zeroed (token 0, position 0) so that each entry can run.
  for (const edgeformer::EntryInfo& entry : model->info().entries) {
    for (const edgeformer::TensorInfo& input : entry.inputs) {
      void* input_data = nullptr;
      size_t input_bytes = 0;
      if (session->input(entry.name, input.name, &input_data, &input_bytes).ok()) std::memset(input_data, 0, input_bytes);
    }
    (void)session->run(entry.name, 1);
  }
  return 0;
}
