#include "chat/chat_layout.h"

#include <string>

namespace edgeformer {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// Jinja's trim: Python's str.strip() of whitespace at both ends.
std::string_view trimmed(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

const ChatLayout::Step* find_step(const ChatLayout& layout, int previous, int next, uint8_t flags) {
  for (const ChatLayout::Step& step : layout.steps)
    if (step.previous == previous && step.next == next && step.flags == flags) return &step;
  return nullptr;
}

std::string side_name(int role, bool start) {
  if (role == kChatEdge) return start ? "the start" : "the end";
  return std::string("a ") + chat_role_name(static_cast<ChatRole>(role)) + " message";
}

void append_step(std::string_view step, std::string_view date, std::string* text) {
  for (char c : step) {
    if (c == '\x01')
      text->append(date);
    else
      text->push_back(c);
  }
}

}  // namespace

const char* chat_role_name(ChatRole role) {
  switch (role) {
    case ChatRole::kSystem: return "system";
    case ChatRole::kUser: return "user";
    case ChatRole::kAssistant: return "assistant";
  }
  return "unknown";
}

Status lay_out_chat(const ChatLayout& layout, const ChatMessage* messages, size_t count, bool generation_prompt,
                    bool thinking, std::string_view date, std::string* text, std::vector<ChatSpan>* spans) {
  if (count > 0 && messages == nullptr) return Status(StatusCode::kInvalidArgument, "messages is null");
  // The messages the steps join: roles checked, the empty ones the template leaves out dropped, the system message
  // moved where the template moves it.
  struct Laid {
    int role;
    std::string_view text;
    bool with_system;  // the leading system message's text goes before this one's
  };
  std::vector<Laid> laid;
  laid.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const int role = static_cast<int>(messages[i].role);
    if (role < 0 || role >= kChatRoles)
      return Status(StatusCode::kInvalidArgument, "message " + std::to_string(i) + " has no role of system, user "
                                                  "or assistant");
    const bool trim = laid.empty() ? layout.trim_first[role] : layout.trim[role];
    const std::string_view message_text = trim ? trimmed(messages[i].text) : std::string_view(messages[i].text);
    if (layout.drop[role] == kChatDropAlways || (layout.drop[role] == kChatDropEmpty && message_text.empty())) continue;
    laid.push_back({role, message_text, false});
  }
  std::string_view system;
  if (layout.system_to_last_user && !laid.empty() && laid.front().role == int(ChatRole::kSystem)) {
    system = laid.front().text;
    laid.erase(laid.begin());
    if (!laid.empty() && laid.back().role == int(ChatRole::kUser)) laid.back().with_system = true;
  }
  size_t last_user = SIZE_MAX;
  for (size_t i = 0; i < laid.size(); ++i)
    if (laid[i].role == int(ChatRole::kUser)) last_user = i;

  for (size_t i = 0; i <= laid.size(); ++i) {
    const int previous = i == 0 ? kChatEdge : laid[i - 1].role;
    const int next = i == laid.size() ? kChatEdge : laid[i].role;
    uint8_t flags = i == 1 ? kChatAfterFirst : 0;
    if (next == kChatEdge) {
      if (generation_prompt) flags |= thinking ? kChatGeneration : kChatGeneration | kChatNoThinking;
    } else {
      if (next != int(ChatRole::kUser) && last_user != SIZE_MAX && i > last_user) flags |= kChatAfterLastUser;
      if (i + 1 == laid.size()) flags |= kChatToLast;
    }
    const ChatLayout::Step* step = find_step(layout, previous, next, flags);
    // Templates without an enable_thinking switch have one generation prompt.
    if (step == nullptr && (flags & kChatNoThinking))
      step = find_step(layout, previous, next, flags & ~kChatNoThinking);
    if (step == nullptr)
      return Status(StatusCode::kUnsupported, "the chat template lays out nothing from " + side_name(previous, true) +
                                                  " to " + side_name(next, false));
    if (!step->refused.empty())
      return Status(StatusCode::kInvalidArgument, "the chat template refuses this conversation: " +
                                                      std::string(step->refused));
    append_step(step->text, date, text);
    if (next == kChatEdge) break;
    if (laid[i].with_system) {
      spans->push_back({text->size(), text->size() + system.size()});
      text->append(system);
      text->append(layout.system_joiner);
    }
    const size_t begin = text->size();
    text->append(laid[i].text);
    // The assistant's text is the model's own (its tokens, e.g. <think>, stay tokens, as in transformers).
    if (laid[i].role != int(ChatRole::kAssistant)) spans->push_back({begin, text->size()});
  }
  return Status();
}

}  // namespace edgeformer
