// The chat template's steps, checked once at load: roles in range, known flags, each key once, a date format only
// strftime's safe conversions.
#include <cstring>
#include <string_view>

#include "loader/binding.h"

namespace edgeformer {

namespace {

std::string_view view(const flatbuffers::String* s) {
  return s ? std::string_view(s->data(), s->size()) : std::string_view();
}

}  // namespace

Status bind_chat_template(const schema::Model& m, ChatTemplateState* chat) {
  const schema::ChatTemplate* def = m.chat_template();
  if (def == nullptr) {
    chat->status = Status(StatusCode::kUnsupported, "the model has no chat template (its folder had none, and "
                                                    "edgeformer-convert --chat-template adds one)");
    return Status();
  }
  if (!view(def->unreduced()).empty()) {
    chat->status = Status(StatusCode::kUnsupported, "the converter could not reduce the model's chat template: " +
                                                        std::string(view(def->unreduced())));
    return Status();
  }
  ChatLayout& layout = chat->layout;
  if (def->steps() == nullptr || def->steps()->size() == 0) return invalid("chat template: no steps");
  for (const schema::ChatStep* step : *def->steps()) {
    const int previous = step->previous(), next = step->next();
    if (previous < kChatEdge || previous >= kChatRoles || next < kChatEdge || next >= kChatRoles)
      return invalid("chat template: a step's role is out of range");
    if (step->flags() > 31) return invalid("chat template: unknown step flags " + std::to_string(step->flags()));
    for (const ChatLayout::Step& seen : layout.steps)
      if (seen.previous == previous && seen.next == next && seen.flags == step->flags())
        return invalid("chat template: a step appears twice");
    layout.steps.push_back({static_cast<int8_t>(previous), static_cast<int8_t>(next), step->flags(),
                            view(step->text()), view(step->refused())});
  }
  if (def->trim() != nullptr) {
    if (def->trim()->size() != 2 * kChatRoles) return invalid("chat template: trim must have two flags per role");
    for (int role = 0; role < kChatRoles; ++role) {
      layout.trim_first[role] = def->trim()->Get(role);
      layout.trim[role] = def->trim()->Get(kChatRoles + role);
    }
  }
  if (def->drop() != nullptr) {
    if (def->drop()->size() != kChatRoles) return invalid("chat template: drop must have one value per role");
    for (int role = 0; role < kChatRoles; ++role) {
      if (def->drop()->Get(role) > kChatDropAlways) return invalid("chat template: drop values are 0, 1 or 2");
      layout.drop[role] = def->drop()->Get(role);
    }
  }
  layout.system_to_last_user = def->system_to_last_user();
  layout.system_joiner = view(def->system_joiner());
  // The format goes to strftime: only conversions of the date itself, no field width, nothing else that could
  // write past the buffer or read the locale's time zone.
  layout.date_format = view(def->date_format());
  for (size_t i = 0; i < layout.date_format.size(); ++i) {
    if (layout.date_format[i] != '%') continue;
    const char conversion = i + 1 < layout.date_format.size() ? layout.date_format[i + 1] : '\0';
    if (conversion == '\0' || std::strchr("dmYybBaAejF%", conversion) == nullptr)
      return invalid("chat template: date format conversion %" + std::string(1, conversion) + " is not one of "
                     "%d %m %Y %y %b %B %a %A %e %j %F %%");
    ++i;
  }
  if (layout.date_format.size() > 64) return invalid("chat template: date format longer than 64 bytes");
  chat->status = Status();
  return Status();
}

}  // namespace edgeformer
