// Model::format_chat and tokenize_chat: a conversation laid out by the file's reduced template, then tokenized.
#include <ctime>
#include <new>

#include "chat/chat_layout.h"
#include "loader/model_impl.h"

namespace edgeformer {

namespace {

// Today's date as the template's format writes it, or the caller's.
std::string date_text(const ChatLayout& layout, const ChatOptions& options) {
  if (!options.date.empty() || layout.date_format.empty()) return options.date;
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[256];
  const std::string format(layout.date_format);
  const size_t length = std::strftime(text, sizeof text, format.c_str(), &local);
  return std::string(text, length);
}

Status lay_out(const LoadedModel& m, const std::vector<ChatMessage>& messages, const ChatOptions& options,
               std::string* text, std::vector<ChatSpan>* spans) {
  if (!m.chat.status.ok()) return m.chat.status;
  text->clear();
  spans->clear();
  return lay_out_chat(m.chat.layout, messages.data(), messages.size(), options.generation_prompt, options.thinking,
                      date_text(m.chat.layout, options), text, spans);
}

}  // namespace

Status Model::chat_template_status() const { return impl_->chat.status; }

Status Model::format_chat(const std::vector<ChatMessage>& messages, const ChatOptions& options,
                          std::string* text) const {
  if (text == nullptr) return Status(StatusCode::kInvalidArgument, "text is null");
  try {
    std::vector<ChatSpan> spans;
    return lay_out(*impl_, messages, options, text, &spans);
  } catch (const std::bad_alloc&) {
    return Status(StatusCode::kOutOfMemory, "cannot allocate the conversation's text");
  }
}

Status Model::tokenize_chat(const std::vector<ChatMessage>& messages, const ChatOptions& options,
                            std::vector<int32_t>* ids) const {
  if (ids == nullptr) return Status(StatusCode::kInvalidArgument, "ids is null");
  try {
    std::string text;
    std::vector<ChatSpan> spans;
    if (Status s = lay_out(*impl_, messages, options, &text, &spans); !s.ok()) return s;
    ids->clear();
    return tokenize_with_plain_spans(impl_->tokenizer, text, spans, ids);
  } catch (const std::bad_alloc&) {
    return Status(StatusCode::kOutOfMemory, "cannot allocate the conversation's tokens");
  }
}

}  // namespace edgeformer
