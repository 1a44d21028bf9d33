// Fuzz target: the chat template interpreter parses and renders any bytes as a template, with a small fixed
// conversation, and either renders or throws TemplateError: no crash, no other exception, no runaway.
#include <cstdint>
#include <string_view>

#include "chat/jinja_template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using edgeformer::converter::jinja::Template;
  using edgeformer::converter::jinja::TemplateError;
  static const nlohmann::json context = {
      {"messages",
       {{{"role", "system"}, {"content", "Be brief."}},
        {{"role", "user"}, {"content", "Hi <|im_start|> caf\u00e9"}},
        {{"role", "assistant"}, {"content", "<think>\nx\n</think>\n\nHello"}},
        {{"role", "user"}, {"content", ""}}}},
      {"add_generation_prompt", true},
      {"bos_token", "<s>"},
      {"eos_token", "</s>"},
      {"tools", nullptr}};
  try {
    Template(std::string_view(reinterpret_cast<const char*>(data), size)).render(context);
  } catch (const TemplateError&) {
  }
  return 0;
}
