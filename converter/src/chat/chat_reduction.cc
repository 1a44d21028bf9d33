#include "chat/chat_reduction.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "chat/chat_layout.h"
#include "chat/jinja_template.h"
#include "convert_error.h"
#include "io/json_file.h"

namespace edgeformer::converter {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int kSystem = 0, kUser = 1, kAssistant = 2, kEdge = -1;
constexpr const char* kRoleNames[] = {"system", "user", "assistant"};
// The date strftime_now gives while probing; a step holding it takes the day the runtime lays it out.
constexpr const char* kDateMarker = "\x01";
// The refusal of a step whose message the template does not write.
constexpr const char* kLeftOut = "the template leaves the text of a message out here";

struct Message {
  int role;
  std::string text;
};

struct Conversation {
  std::vector<Message> messages;
  bool generation = true, no_thinking = false;
};

// A render, or the template's refusal (raise_exception, or an error on this conversation).
struct Render {
  std::optional<std::string> text;
  std::string error;
};

// Why a template does not reduce; the model converts without its layout.
class Irreducible : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Renderer {
 public:
  Renderer(const std::string& source, json special_tokens)
      : template_(parse(source)), special_tokens_(std::move(special_tokens)) {}

  Render render(const Conversation& c) const {
    // Ordered as Python's dicts are: a template iterating a message sees role before content.
    nlohmann::ordered_json context = nlohmann::ordered_json::object();
    context["messages"] = nlohmann::ordered_json::array();
    for (const Message& m : c.messages)
      context["messages"].push_back({{"role", kRoleNames[m.role]}, {"content", m.text}});
    context["tools"] = nullptr;
    context["documents"] = nullptr;
    context["add_generation_prompt"] = c.generation;
    if (c.no_thinking) context["enable_thinking"] = false;
    for (const auto& [key, value] : special_tokens_.items()) context[key] = value;
    try {
      std::string format;
      std::string text = template_.render(context, kDateMarker, &format);
      if (!format.empty()) date_format_ = format;
      return {std::move(text), {}};
    } catch (const jinja::TemplateError& e) {
      // A construct outside the interpreter's subset says nothing about what the template writes.
      if (e.kind() == jinja::TemplateError::Kind::Unsupported || e.kind() == jinja::TemplateError::Kind::Syntax)
        throw Irreducible(e.what());
      return {std::nullopt, e.what()};
    }
  }

  // The format the template gave strftime_now, if it called it.
  const std::string& date_format() const { return date_format_; }

 private:
  static jinja::Template parse(const std::string& source) {
    try {
      return jinja::Template(source);
    } catch (const jinja::TemplateError& e) {
      throw Irreducible(e.what());
    }
  }
  jinja::Template template_;
  json special_tokens_;
  mutable std::string date_format_;
};

// Marker texts the probes give messages: nothing a template would trim, split or match.
std::string marker(size_t i) { return "EFmsg" + std::to_string(i) + "Q"; }

Conversation probe(const std::vector<int>& roles, bool generation, bool no_thinking = false) {
  Conversation c{{}, generation, no_thinking};
  for (size_t i = 0; i < roles.size(); ++i) c.messages.push_back({roles[i], marker(i)});
  return c;
}

// `c` with other markers for the messages whose markers `text` lacks.
Conversation with_other_markers(Conversation c, const std::string& text) {
  for (size_t i = 0; i < c.messages.size(); ++i)
    if (text.find(c.messages[i].text) == std::string::npos) c.messages[i].text = "EFalt" + std::to_string(i) + "Q";
  return c;
}

// The text before, between and after the markers of `c`, if each appears once, in order.
std::optional<std::vector<std::string>> steps_of(const std::string& text, const Conversation& c) {
  std::vector<std::string> steps;
  size_t at = 0;
  for (const Message& m : c.messages) {
    const size_t found = text.find(m.text, at);
    if (found == std::string::npos || text.find(m.text, found + 1) != std::string::npos) return std::nullopt;
    steps.push_back(text.substr(at, found - at));
    at = found + m.text.size();
  }
  steps.push_back(text.substr(at));
  return steps;
}

// Every role sequence of 1..max_length messages, shortest first.
std::vector<std::vector<int>> role_sequences(size_t max_length) {
  std::vector<std::vector<int>> all = {{}}, out;
  for (size_t length = 1; length <= max_length; ++length) {
    std::vector<std::vector<int>> longer;
    for (const auto& s : all)
      for (int role = 0; role < 3; ++role) {
        auto t = s;
        t.push_back(role);
        longer.push_back(t);
        out.push_back(t);
      }
    all = std::move(longer);
  }
  return out;
}

std::string roles_text(const Conversation& c) {
  std::string text = "[";
  for (const Message& m : c.messages) text += (text.size() > 1 ? ", " : "") + std::string(kRoleNames[m.role]);
  return text + "]" + (c.generation ? " with the generation prompt" : "") + (c.no_thinking ? ", no thinking" : "");
}

std::string shown(const std::string& text) {
  std::string out;
  for (char c : text.substr(0, 200))
    out += c == '\n' ? std::string("\\n") : c == '\x01' ? std::string("<date>") : std::string(1, c);
  return "\"" + out + (text.size() > 200 ? "...\"" : "\"");
}

// The key of step `i` of a conversation (previous role, next role, flags), as lay_out_chat computes it.
ChatTemplateData::Step key_of(const Conversation& c, size_t i) {
  const auto& m = c.messages;
  ChatTemplateData::Step key;
  key.previous = i == 0 ? kEdge : m[i - 1].role;
  key.next = i == m.size() ? kEdge : m[i].role;
  key.flags = i == 1 ? kChatAfterFirst : 0;
  if (key.next == kEdge) {
    if (c.generation) key.flags |= c.no_thinking ? kChatGeneration | kChatNoThinking : kChatGeneration;
  } else if (key.next != kUser) {
    bool user_before = false, user_after = false;
    for (size_t j = 0; j < i; ++j) user_before |= m[j].role == kUser;
    for (size_t j = i + 1; j < m.size(); ++j) user_after |= m[j].role == kUser;
    if (user_before && !user_after) key.flags |= kChatAfterLastUser;
  }
  if (key.next != kEdge && i + 1 == m.size()) key.flags |= kChatToLast;
  return key;
}

class Reducer {
 public:
  explicit Reducer(const Renderer& renderer) : renderer_(renderer) {}

  ChatTemplateData reduce() {
    ChatTemplateData out;
    out.present = true;
    find_system_placement(&out);
    find_text_rules(&out);
    const bool thinking = has_thinking_switch();
    for (int previous = kEdge; previous < 3; ++previous)
      for (int next = kEdge; next < 3; ++next) {
        for (int flags : flag_choices(previous, next, thinking)) {
          // A system message the template moves is never laid out at the start.
          if (out.system_to_last_user && previous == kSystem && (flags & kChatAfterFirst)) continue;
          if (out.system_to_last_user && previous == kEdge && next == kSystem) continue;
          out.steps.push_back(find_step(previous, next, flags, out.system_to_last_user));
        }
      }
    out.date_format = renderer_.date_format();
    // An empty system message written as an empty turn gives the same text as none; a system message is left out
    // (when empty, or always: an old Mistral template ignores them) only where keeping it does not check.
    std::vector<uint8_t> drops = {kChatKeep};
    if (system_left_out(false)) drops.push_back(kChatDropEmpty);
    if (system_left_out(true)) drops.push_back(kChatDropAlways);
    // The choice that checks with the fewest conversations refused for a message left out.
    std::optional<std::pair<size_t, uint8_t>> best;
    std::string failure;
    for (uint8_t drop : drops) {
      out.drop[kSystem] = drop;
      try {
        const size_t left_out = check(out, thinking);
        if (!best || left_out < best->first) best = {left_out, drop};
      } catch (const Irreducible& e) {
        if (failure.empty()) failure = e.what();
      }
    }
    if (!best) throw Irreducible(failure);
    out.drop[kSystem] = best->second;
    return out;
  }

 private:
  static std::vector<int> flag_choices(int previous, int next, bool thinking) {
    std::vector<int> base;
    if (next == kEdge) {
      base = {0, kChatGeneration};
      if (thinking) base.push_back(kChatGeneration | kChatNoThinking);
    } else if (next == kUser) {
      base = {0, kChatToLast};
    } else {
      base = {0, kChatAfterLastUser, kChatToLast, kChatAfterLastUser | kChatToLast};
    }
    std::vector<int> out;
    for (int flags : base) {
      out.push_back(flags);
      if (previous != kEdge) out.push_back(flags | kChatAfterFirst);
    }
    return out;
  }

  bool has_thinking_switch() const {
    const Render on = renderer_.render(probe({kUser}, true)), off = renderer_.render(probe({kUser}, true, true));
    return on.text && off.text && *on.text != *off.text;
  }

  // Mistral v0.3 moves the leading system message into the last user message; the others keep it in place.
  void find_system_placement(ChatTemplateData* out) const {
    const Conversation c = probe({kSystem, kUser, kAssistant, kUser}, true);
    const Render r = renderer_.render(c);
    if (!r.text || steps_of(*r.text, c)) return;
    const Conversation moved{{c.messages[1], c.messages[2], c.messages[0], c.messages[3]}, true};
    const auto steps = steps_of(*r.text, moved);
    if (!steps) return;
    out->system_to_last_user = true;
    out->system_joiner = (*steps)[3];
  }

  // Whether each role's text is trimmed, as the conversation's first message and after it (Gemma 3 trims only the
  // latter), seen in the first short conversation with the role there that writes it; and whether an empty system
  // message is left out.
  void find_text_rules(ChatTemplateData* out) const {
    for (int slot = 0; slot < 6; ++slot) {
      const int role = slot % 3;
      const bool first = slot < 3;
      for (const auto& roles : role_sequences(3)) {
        const auto at = std::find(roles.begin() + (first ? 0 : 1), first ? roles.begin() + 1 : roles.end(), role);
        if (at == (first ? roles.begin() + 1 : roles.end())) continue;
        Conversation c = probe(roles, roles.back() != kAssistant);
        Message& message = c.messages[at - roles.begin()];
        const std::string bare = message.text;
        message.text = "  " + bare + " \n";
        const Render r = renderer_.render(c);
        if (!r.text || r.text->find(bare) == std::string::npos) continue;
        (first ? out->trim_first : out->trim)[role] = r.text->find(message.text) == std::string::npos;
        break;
      }
    }
  }

  // Whether [system, user] renders as [user] alone, with an empty system text or any.
  bool system_left_out(bool any_text) const {
    Conversation with_system = probe({kSystem, kUser}, true);
    if (!any_text) with_system.messages[0].text.clear();
    Conversation user_only = probe({kUser}, true);
    user_only.messages[0].text = marker(1);
    const Render with = renderer_.render(with_system), without = renderer_.render(user_only);
    return with.text && without.text && *with.text == *without.text;
  }

  // The text of the step (previous -> next, flags), read off the first probe that has it and renders; or the
  // template's refusal when none renders.
  ChatTemplateData::Step find_step(int previous, int next, int flags, bool system_moves) const {
    ChatTemplateData::Step step;
    step.previous = previous;
    step.next = next;
    step.flags = flags;
    std::string refusal;
    bool dropped = false;
    auto candidates = realizations(step, system_moves);
    // Where the template moves the system message, a conversation of it alone lays out as none.
    if (system_moves && previous == kEdge && next == kEdge)
      candidates.push_back({probe({kSystem}, (flags & kChatGeneration) != 0, (flags & kChatNoThinking) != 0), 0});
    for (const auto& [c, index] : candidates) {
      const Render r = renderer_.render(c);
      if (!r.text) {
        if (refusal.empty()) refusal = r.error.empty() ? "the template fails on it" : r.error;
        continue;
      }
      Conversation laid = c;
      if (system_moves && !laid.messages.empty() && laid.messages.front().role == kSystem)
        laid.messages.erase(laid.messages.begin());
      const auto steps = steps_of(*r.text, laid);
      if (!steps) {
        // Left out, if other texts render the same; else changed, which steps cannot say.
        if (renderer_.render(with_other_markers(c, *r.text)).text != r.text)
          throw Irreducible("the template changes or moves the text of a message in conversation " + roles_text(c));
        dropped = true;
        continue;
      }
      step.text = (*steps)[index];
      return step;
    }
    // A message whose text the template leaves out (Gemma 3's system message with no user message after it) cannot
    // be laid out by steps: such conversations are refused, which check() allows.
    step.refused = dropped ? kLeftOut : refusal.empty() ? "no conversation with this step renders" : refusal;
    return step;
  }

  // Conversations in which the step occurs (with its index), the shortest first.
  static std::vector<std::pair<Conversation, size_t>> realizations(const ChatTemplateData::Step& key,
                                                                   bool system_moves) {
    std::vector<std::vector<int>> prefixes = {{}}, suffixes = {{}};
    for (const auto& s : role_sequences(2)) prefixes.push_back(s);
    for (const auto& s : role_sequences(2)) suffixes.push_back(s);
    std::vector<std::pair<Conversation, size_t>> out;
    for (const auto& prefix : prefixes)
      for (const auto& suffix : suffixes)
        for (bool generation : {true, false}) {
          if (key.previous == kEdge && !prefix.empty()) continue;
          if (key.next == kEdge && !suffix.empty()) continue;
          std::vector<int> roles = prefix;
          if (key.previous != kEdge) roles.push_back(key.previous);
          const size_t index = roles.size();
          if (key.next != kEdge) roles.push_back(key.next);
          roles.insert(roles.end(), suffix.begin(), suffix.end());
          if (system_moves && !roles.empty() && roles.front() == kSystem) continue;
          const Conversation c = probe(roles, key.next == kEdge ? (key.flags & kChatGeneration) != 0 : generation,
                                       (key.flags & kChatNoThinking) != 0);
          const ChatTemplateData::Step found = key_of(c, index);
          if (found.previous == key.previous && found.next == key.next && found.flags == key.flags)
            out.push_back({c, index});
        }
    return out;
  }

  // Every conversation of up to four messages, with texts a user would write, laid out by the steps and rendered
  // by the template: they must agree, refusals included, except that the steps may refuse conversations with a
  // message the template leaves out. Returns how many such conversations there are.
  size_t check(const ChatTemplateData& out, bool thinking) const {
    size_t left_out = 0;
    ChatLayout layout;
    for (const ChatTemplateData::Step& s : out.steps)
      layout.steps.push_back({static_cast<int8_t>(s.previous), static_cast<int8_t>(s.next),
                              static_cast<uint8_t>(s.flags), s.text, s.refused});
    for (int role = 0; role < 3; ++role) {
      layout.trim_first[role] = out.trim_first[role];
      layout.trim[role] = out.trim[role];
      layout.drop[role] = out.drop[role];
    }
    layout.system_to_last_user = out.system_to_last_user;
    layout.system_joiner = out.system_joiner;
    static const char* const kTexts[] = {"Hello!",
                                         "  What is 2+2? ",
                                         "",
                                         "line one\nline two\n",
                                         "Ünïcödé 世界 <b>&amp;</b> {{ x }}",
                                         "4",
                                         "You are a helpful assistant."};
    constexpr size_t kTextCount = sizeof kTexts / sizeof kTexts[0];
    for (const auto& roles : role_sequences(4))
      for (size_t offset : {size_t(0), size_t(2), size_t(5)})
        for (int variant = 0; variant < (thinking ? 3 : 2); ++variant) {
          Conversation c{{}, variant != 0, variant == 2};
          for (size_t i = 0; i < roles.size(); ++i) c.messages.push_back({roles[i], kTexts[(i + offset) % kTextCount]});
          std::vector<ChatMessage> messages;
          for (const Message& m : c.messages) messages.push_back({static_cast<ChatRole>(m.role), m.text});
          std::string laid_out;
          std::vector<ChatSpan> spans;
          const Status s = lay_out_chat(layout, messages.data(), messages.size(), c.generation, !c.no_thinking,
                                        kDateMarker, &laid_out, &spans);
          const Render r = renderer_.render(c);
          if (r.text && s.ok() && *r.text == laid_out) continue;
          if (!s.ok() && !r.text) continue;
          if (!s.ok() && s.message().find(kLeftOut) != std::string::npos) {
            ++left_out;
            continue;
          }
          throw Irreducible("conversation " + roles_text(c) + ": the template " +
                            (r.text ? "writes " + shown(*r.text) : "refuses it (" + r.error + ")") +
                            ", the reduction " +
                            (s.ok() ? "writes " + shown(laid_out) : "refuses it (" + s.message() + ")"));
        }
    return left_out;
  }

  const Renderer& renderer_;
};

std::string read_file_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConvertError(path.string() + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// tokenizer_config.json's chat_template: a string, or a list of {"name", "template"} of which "default" is used.
std::string template_in(const json& config, const std::string& path) {
  const json& value = config.at("chat_template");
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    for (const json& entry : value)
      if (entry.is_object() && entry.value("name", "") == "default" && entry.contains("template") &&
          entry.at("template").is_string())
        return entry.at("template").get<std::string>();
    throw ConvertError(path + ": chat_template is a list without a \"default\" template");
  }
  throw ConvertError(path + ": chat_template is neither a string nor a list of named templates");
}

}  // namespace

ChatTemplateSource find_chat_template(const std::string& folder, const std::string& file) {
  if (!file.empty()) {
    const std::string text = read_file_text(file);
    if (fs::path(file).extension() == ".json") {
      json config;
      try {
        config = json::parse(text);
      } catch (const std::exception& e) {
        throw ConvertError(file + ": not valid JSON: " + e.what());
      }
      if (!config.is_object() || !config.contains("chat_template"))
        throw ConvertError(file + ": has no \"chat_template\"");
      return {template_in(config, file), file};
    }
    return {text, file};
  }
  if (folder.empty()) return {};
  // transformers reads chat_template.jinja first, then chat_template.json, then tokenizer_config.json.
  if (const fs::path jinja = fs::path(folder) / "chat_template.jinja"; fs::exists(jinja))
    return {read_file_text(jinja), jinja.string()};
  for (const char* name : {"chat_template.json", "tokenizer_config.json"}) {
    const fs::path path = fs::path(folder) / name;
    if (!fs::exists(path)) continue;
    const json config = read_json(path.string());
    if (config.is_object() && config.contains("chat_template") && !config.at("chat_template").is_null())
      return {template_in(config, path.string()), path.string()};
  }
  return {};
}

json chat_special_tokens(const std::string& folder, const TokenizerData& tokenizer) {
  json tokens = json::object();
  const fs::path config_path = fs::path(folder) / "tokenizer_config.json";
  if (!folder.empty() && fs::exists(config_path)) {
    const json config = read_json(config_path.string());
    for (const char* key : {"bos_token", "eos_token", "unk_token", "pad_token"}) {
      const json& value = config.is_object() ? config.value(key, json()) : json();
      if (value.is_string())
        tokens[key] = value;
      else if (value.is_object() && value.contains("content") && value.at("content").is_string())
        tokens[key] = value.at("content");
    }
    return tokens;
  }
  const auto piece = [&](int id) { return id >= 0 && id < int(tokenizer.pieces.size()) ? tokenizer.pieces[id] : ""; };
  if (!piece(tokenizer.bos_id).empty()) tokens["bos_token"] = piece(tokenizer.bos_id);
  if (!piece(tokenizer.eos_id).empty()) tokens["eos_token"] = piece(tokenizer.eos_id);
  return tokens;
}

ChatTemplateData reduce_chat_template(const ChatTemplateSource& source, const json& special_tokens) {
  ChatTemplateData out;
  if (source.text.empty()) return out;
  try {
    const Renderer renderer(source.text, special_tokens);
    return Reducer(renderer).reduce();
  } catch (const Irreducible& e) {
    out = ChatTemplateData();
    out.present = true;
    out.unreduced = e.what();
    return out;
  }
}

}  // namespace edgeformer::converter
