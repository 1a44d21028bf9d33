#pragma once
// A chat template as the converter reduced it (schema ChatTemplate, docs/chat.md): the text written before, between
// and after the messages of a conversation. The converter checks its reduction with this same code against the
// template itself, so what it stores is what the runtime lays out.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "edgeformer/edgeformer.hpp"
#include "tokenizer/tokenizer.h"

namespace edgeformer {

enum ChatStepFlag : uint8_t {
  kChatAfterFirst = 1,       // the step follows the conversation's first message
  kChatAfterLastUser = 2,    // the message it leads to comes after the last user message (Qwen3's think blocks)
  kChatGeneration = 4,       // the end, with the generation prompt
  kChatNoThinking = 8,       // the end, with the generation prompt of enable_thinking = false
  kChatToLast = 16,          // the message it leads to is the conversation's last
};

// Which messages of a role the template leaves out.
enum ChatDrop : uint8_t { kChatKeep = 0, kChatDropEmpty = 1, kChatDropAlways = 2 };

constexpr int kChatRoles = 3;  // ChatRole::kSystem, kUser, kAssistant
constexpr int kChatEdge = -1;  // a step's previous or next side at the conversation's start or end

struct ChatLayout {
  struct Step {
    int8_t previous = kChatEdge, next = kChatEdge;
    uint8_t flags = 0;
    std::string_view text, refused;
  };
  std::vector<Step> steps;
  bool trim_first[kChatRoles] = {};  // the text of the conversation's first message is stripped of whitespace
  bool trim[kChatRoles] = {};        // that of the others
  uint8_t drop[kChatRoles] = {};     // ChatDrop by role
  bool system_to_last_user = false;
  std::string_view system_joiner, date_format;
};

using ChatSpan = TextSpan;

// Appends the laid-out conversation to *text, and to *spans the span of each system and user message's text in it:
// where control tokens are not matched, so that what a user typed stays text. `date` replaces the template's date
// (its 0x01 bytes).
Status lay_out_chat(const ChatLayout& layout, const ChatMessage* messages, size_t count, bool generation_prompt,
                    bool thinking, std::string_view date, std::string* text, std::vector<ChatSpan>* spans);

const char* chat_role_name(ChatRole role);

}  // namespace edgeformer
