// Chat templates, reduced at conversion, against what the real templates render: the ten instruct models' templates
// in ../shared/chat-templates and what Python's jinja2 renders for them (vectors.json there, and the further
// conversations of tests/reference/chat_vectors.json made by make_chat_vectors.py). Each model here is a random
// decoder with GPT-2's tokenizer plus the templates' special tokens, so that the ids can be checked too: the
// formatted ids are the tokenization of the rendered text.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "conversion.h"
#include "test_support.h"

namespace edgeformer::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Every special token the templates write, added to GPT-2's vocabulary (which ends at 50256 <|endoftext|>).
const char* const kChatTokens[] = {
    "<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<|eom_id|>",
    "<|im_start|>",      "<|im_end|>",      "<|user|>",            "<|assistant|>",     "<|system|>", "<|end|>",
    "<bos>",             "<eos>",           "<start_of_turn>",     "<end_of_turn>",     "<s>",        "</s>",
    "<unk>",             "<pad>",           "[INST]",              "[/INST]",           "<think>",    "</think>"};

json read_json_file(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A folder holding GPT-2's tokenizer.json with kChatTokens added, and a tokenizer_config.json with the special
// token names and the chat template.
void write_tokenizer_folder(const std::string& folder, const json& special_tokens, const std::string& chat_template) {
  fs::create_directories(folder);
  json tokenizer = read_json_file(shared_dir() + "/tokenizers/gpt2/tokenizer.json");
  int id = 50257 + 38;  // after GPT-2's own added tokens (runs of spaces and tabs)
  for (const json& added : tokenizer["added_tokens"]) id = std::max(id, added["id"].get<int>() + 1);
  for (const char* token : kChatTokens) {
    tokenizer["added_tokens"].push_back({{"id", id}, {"content", token}, {"single_word", false}, {"lstrip", false},
                                         {"rstrip", false}, {"normalized", false}, {"special", true}});
    tokenizer["model"]["vocab"][token] = id++;
  }
  std::ofstream(folder + "/tokenizer.json") << tokenizer.dump();
  json config = special_tokens;
  config["chat_template"] = chat_template;
  std::ofstream(folder + "/tokenizer_config.json") << config.dump();
}

// A random decoder whose tokenizer folder holds `chat_template`; notes the converter gave go to *notes.
std::shared_ptr<const Model> chat_model(const TempDir& dir, const json& special_tokens, const std::string& chat_template,
                                        std::string* notes = nullptr) {
  write_tokenizer_folder(dir.file("tokenizer"), special_tokens, chat_template);
  converter::ConversionRequest request;
  request.synthetic = "llama:dim=32,layers=1,heads=2,ffn=64,vocab=50344";
  request.tokenizer = dir.file("tokenizer/tokenizer.json");
  request.output = dir.file("chat.eft");
  converter::convert_model(request, [&](const std::string& note) {
    if (notes) *notes += note + "\n";
  });
  return open_or_fail(request.output);
}

std::vector<ChatMessage> messages_of(const json& list) {
  std::vector<ChatMessage> messages;
  for (const json& m : list) {
    const std::string role = m["role"];
    messages.push_back({role == "system" ? ChatRole::kSystem : role == "user" ? ChatRole::kUser : ChatRole::kAssistant,
                        m["content"].get<std::string>()});
  }
  return messages;
}

// One conversation rendered by the real template: the model's layout must give the same text (or refuse it where
// the template raises), and its ids must be the tokenizer's on that text.
void expect_renders(const Model& model, const std::string& label, const json& messages, bool generation, bool thinking,
                    const json& result) {
  ChatOptions options;
  options.generation_prompt = generation;
  options.thinking = thinking;
  options.date = "26 Jul 2024";
  std::string text;
  const Status s = model.format_chat(messages_of(messages), options, &text);
  if (result.contains("error")) {
    EXPECT_FALSE(s.ok()) << label << ": the template refuses it (" << result["error"].dump() << "), the layout wrote "
                         << text;
    return;
  }
  // A conversation with a message the template writes nothing of (Gemma 3's system message with no user message
  // after it) is refused rather than laid out without that message.
  if (!s.ok() && s.message().find("leaves the text of a message out") != std::string::npos) return;
  ASSERT_TRUE(s.ok()) << label << ": " << s.message();
  const std::string expected = result["output"];
  EXPECT_EQ(text, expected) << label;
  // Special-token text a user typed stays text here, where the rendered text's tokenization makes it tokens
  // (SpecialTokenTextStaysText checks those).
  for (const json& m : messages)
    for (const char* token : kChatTokens)
      if (m["role"] != "assistant" && m["content"].get<std::string>().find(token) != std::string::npos) return;
  std::vector<int32_t> ids, expected_ids;
  ASSERT_TRUE(model.tokenize_chat(messages_of(messages), options, &ids).ok()) << label;
  ASSERT_TRUE(model.tokenize(expected, false, &expected_ids).ok()) << label;
  EXPECT_EQ(ids, expected_ids) << label << ": the ids differ from the rendered text's";
}

struct TemplateCase {
  std::string name, file;
  json special_tokens;
};

// The templates and variants of vectors.json.
std::vector<TemplateCase> template_cases(const json& vectors) {
  std::vector<TemplateCase> cases;
  const std::string root = shared_dir() + "/chat-templates/";
  for (const char* group : {"models", "variants"})
    for (const auto& [name, entry] : vectors[group].items())
      cases.push_back({name, root + entry["file"].get<std::string>(), entry["special_tokens_passed"]});
  return cases;
}

class ChatTemplates : public ::testing::Test {
 protected:
  void SetUp() override {
    if (shared_dir().empty() || !fs::exists(shared_dir() + "/chat-templates/vectors.json"))
      GTEST_SKIP() << "../shared/chat-templates not found (set EDGEFORMER_SHARED)";
    vectors_ = read_json_file(shared_dir() + "/chat-templates/vectors.json");
  }
  json vectors_;
};

TEST_F(ChatTemplates, EveryTemplateReducesAndRendersTheSharedConversations) {
  for (const TemplateCase& c : template_cases(vectors_)) {
    SCOPED_TRACE(c.name);
    ASSERT_TRUE(fs::exists(c.file)) << c.file;
    TempDir dir;
    std::string notes;
    auto model = chat_model(dir, c.special_tokens, read_text(c.file), &notes);
    ASSERT_TRUE(model->chat_template_status().ok()) << model->chat_template_status().message() << "\n" << notes;
    const json& results = vectors_.contains("models") && vectors_["models"].contains(c.name)
                              ? vectors_["models"][c.name]["results"]
                              : vectors_["variants"][c.name]["results"];
    for (const auto& [key, conversation] : vectors_["conversations"].items())
      expect_renders(*model, c.name + " " + key, conversation["messages"], conversation["add_generation_prompt"], true,
                     results[key]);
    for (const auto& [extra, extra_results] : vectors_["extras"].items()) {
      if (extra.rfind(c.name + " enable_thinking=false", 0) != 0) continue;
      for (const auto& [key, conversation] : vectors_["conversations"].items())
        expect_renders(*model, extra + " " + key, conversation["messages"], conversation["add_generation_prompt"],
                       false, extra_results[key]);
    }
  }
}

// The further conversations of make_chat_vectors.py: multi-turn, empty and padded texts, unicode, special-token
// text, a system message alone, Qwen3's enable_thinking.
TEST_F(ChatTemplates, EveryTemplateRendersTheGeneratedConversations) {
  const json cases = read_json_file(std::string(EDGEFORMER_SOURCE_DIR) + "/tests/reference/chat_vectors.json")["cases"];
  std::map<std::string, std::vector<json>> by_template;
  for (const json& c : cases) by_template[c["template"]].push_back(c);
  ASSERT_EQ(by_template.size(), 14u);
  for (const auto& [file, template_cases] : by_template) {
    SCOPED_TRACE(file);
    json special_tokens = json::object();
    for (const char* key : {"bos_token", "eos_token", "unk_token", "pad_token"})
      if (template_cases[0]["context"].contains(key)) special_tokens[key] = template_cases[0]["context"][key];
    TempDir dir;
    auto model = chat_model(dir, special_tokens, read_text(shared_dir() + "/chat-templates/" + file));
    ASSERT_TRUE(model->chat_template_status().ok()) << model->chat_template_status().message();
    for (const json& c : template_cases) {
      const json& context = c["context"];
      // date_string is a template variable, not a chat option (ChatOptions::date replaces what strftime_now gives).
      if (context.contains("date_string")) continue;
      // Qwen3's template cuts the <think> block out of earlier replies; the layout keeps replies as they are (the
      // model's own tokens stay in the cache), docs/chat.md.
      const std::string conversation = c["conversation"];
      if (file.find("Qwen3") != std::string::npos && conversation.rfind("think_", 0) == 0) continue;
      const bool thinking = !(context.contains("enable_thinking") && context["enable_thinking"] == false);
      expect_renders(*model, file + " " + conversation, context["messages"], context["add_generation_prompt"],
                     thinking, c);
    }
  }
}

}  // namespace
}  // namespace edgeformer::testing
