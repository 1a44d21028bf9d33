#pragma once
// A model's chat template reduced to the text it writes around each message (docs/chat.md), so that the runtime lays
// conversations out without a template engine. The reduction renders the template (chat/jinja_template.h) for probe
// conversations whose messages are marker strings, reads off the text of each step between messages, then checks
// the steps against the template on every conversation of up to four messages with real texts. A template that
// does not reduce (a step depends on more than its neighbours, or the text of a message is changed beyond trimming)
// is stored as unreduced, with why; never as a wrong layout.
#include <nlohmann/json.hpp>
#include <string>

#include "graph/graph.h"

namespace edgeformer::converter {

// The template's text and where it came from, or nothing.
struct ChatTemplateSource {
  std::string text, origin;
};

// `file` if given (a .jinja file, or a JSON file with "chat_template"), else the folder's chat_template.jinja,
// chat_template.json or tokenizer_config.json's chat_template (a string, or a list of named ones: "default").
// Empty text when there is none.
ChatTemplateSource find_chat_template(const std::string& folder, const std::string& file);

// The strings a template reads for the special tokens (bos_token, eos_token, unk_token, pad_token), from the
// tokenizer_config.json in `folder`, else the tokenizer's BOS and EOS pieces.
nlohmann::json chat_special_tokens(const std::string& folder, const TokenizerData& tokenizer);

ChatTemplateData reduce_chat_template(const ChatTemplateSource& source, const nlohmann::json& special_tokens);

}  // namespace edgeformer::converter
