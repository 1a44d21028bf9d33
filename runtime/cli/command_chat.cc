// edgeformer chat: a multi-turn conversation on the terminal (or from a messages file) with the model's chat
// template, the KV cache kept across turns.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "json_writer.h"

namespace edgeformer::cli {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// An OpenAI / Hugging Face messages list: [{"role": "system" | "user" | "assistant", "content": "..."}, ...].
Status read_messages(const std::string& path, std::vector<ChatMessage>* messages) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(StatusCode::kIoError, path + ": cannot open");
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json list;
  try {
    list = nlohmann::json::parse(text.str());
  } catch (const std::exception& e) {
    return Status(StatusCode::kInvalidArgument, path + ": not valid JSON: " + e.what());
  }
  if (list.is_object() && list.contains("messages")) list = list["messages"];
  if (!list.is_array()) return Status(StatusCode::kInvalidArgument, path + ": expected a list of messages");
  for (size_t i = 0; i < list.size(); ++i) {
    const nlohmann::json& m = list[i];
    const std::string where = path + ": message " + std::to_string(i);
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string() || !m.contains("content") ||
        !m["content"].is_string())
      return Status(StatusCode::kInvalidArgument, where + ": expected {\"role\": ..., \"content\": \"text\"}");
    const std::string role = m["role"];
    ChatRole chat_role;
    if (role == "system") chat_role = ChatRole::kSystem;
    else if (role == "user") chat_role = ChatRole::kUser;
    else if (role == "assistant") chat_role = ChatRole::kAssistant;
    else
      return Status(StatusCode::kInvalidArgument, where + ": role \"" + role + "\" is not system, user or assistant");
    messages->push_back({chat_role, m["content"].get<std::string>()});
  }
  if (messages->empty() || messages->back().role != ChatRole::kUser)
    return Status(StatusCode::kInvalidArgument, path + ": the conversation must end with a user message to reply to");
  return Status();
}

struct TurnReport {
  Chat::Turn turn;
  std::vector<int32_t> ids;
  std::string text, stop = "length";
  double prefill_seconds = 0, decode_seconds = 0;
};

// One turn: the user's message prefilled, the reply streamed to stdout unless `quiet`.
Status run_turn(Chat& chat, const Model& model, const std::string& message, long max_tokens, bool quiet,
                TurnReport* report) {
  const auto prefill_start = Clock::now();
  if (Status s = chat.add_user(message, &report->turn); !s.ok()) return s;
  report->prefill_seconds = seconds_since(prefill_start);
  if (report->turn.dropped_messages > 0)
    std::fprintf(stderr, "[the context is full: the %zu oldest messages were dropped to make room]\n",
                 report->turn.dropped_messages);
  for (long i = 0; i < max_tokens; ++i) {
    const auto start = Clock::now();
    const int32_t previous = chat.previous();
    int32_t token = -1;
    Generator::Stop stop = Generator::Stop::kNone;
    if (Status s = chat.next(&token, &stop); !s.ok()) return s;
    if (i > 0) report->decode_seconds += seconds_since(start);
    if (stop != Generator::Stop::kNone) {
      report->stop = stop == Generator::Stop::kEos ? "eos" : "context";
      break;
    }
    report->ids.push_back(token);
    std::string piece;
    if (model.detokenize(previous, token, &piece).ok()) {
      report->text += piece;
      if (!quiet) {
        std::fwrite(piece.data(), 1, piece.size(), stdout);
        std::fflush(stdout);
      }
    }
  }
  if (report->stop == "length") chat.end_reply();
  if (report->stop == "context")
    std::fprintf(stderr, "\n[the context is full: the reply was cut after %zu tokens; the next turn drops the oldest "
                 "messages]\n", report->ids.size());
  return Status();
}

void print_turn_json(const TurnReport& r, size_t index) {
  const size_t decode_steps = r.ids.empty() ? 0 : r.ids.size() - 1;
  const size_t prefilled = r.turn.prompt_tokens - r.turn.reused_tokens;
  JsonWriter json;
  json.begin_object().key("turn").value(static_cast<uint64_t>(index)).key("ids").begin_array();
  for (int32_t id : r.ids) json.value(id);
  json.end_array()
      .key("text").value(r.text)
      .key("stop").value(r.stop)
      .key("prompt_tokens").value(static_cast<uint64_t>(r.turn.prompt_tokens))
      .key("reused_tokens").value(static_cast<uint64_t>(r.turn.reused_tokens))
      .key("prefill_tokens").value(static_cast<uint64_t>(prefilled))
      .key("prefill_tokens_per_s").value(r.prefill_seconds > 0 ? prefilled / r.prefill_seconds : 0.0)
      .key("decode_tokens").value(static_cast<uint64_t>(decode_steps))
      .key("decode_tokens_per_s").value(decode_steps > 0 ? decode_steps / r.decode_seconds : 0.0)
      .key("dropped_messages").value(static_cast<uint64_t>(r.turn.dropped_messages))
      .end_object();
  std::printf("%s\n", json.str().c_str());
  std::fflush(stdout);
}

}  // namespace

int command_chat(int argc, char** argv) {
  Arguments args(argc, argv, {"--json", "--no-think"});
  const long max_tokens = args.get_int("-n", 1024, 1, 1 << 24);
  Chat::Options options;
  options.sampling = sampler_options(args);
  const long threads = args.get_int("--threads", 1, 1, 256);
  const long reply_room = args.get_int("--reply-room", 0, 0, 1 << 24);
  if (!args.ok()) return fail(args.error());
  if (args.positionals().size() != 1) return fail("chat: expected one model path");
  const bool json_output = args.has("--json");

  std::shared_ptr<const Model> model;
  std::unique_ptr<Session> session;
  double load_ms = 0;
  if (Status s = open_session(args.positionals()[0], threads, &model, &session, &load_ms); !s.ok())
    return fail(s.message());
  if (Status s = model->chat_template_status(); !s.ok()) return fail(s.message());

  options.layout.thinking = !args.has("--no-think");
  options.layout.date = args.get("--date");
  options.reply_room = static_cast<size_t>(reply_room);
  Chat chat(*session, *model, options);
  chat.set_system(args.get("--system"));

  size_t turns = 0;
  const auto turn = [&](const std::string& message) -> bool {
    TurnReport report;
    if (Status s = run_turn(chat, *model, message, max_tokens, json_output, &report); !s.ok()) {
      std::fprintf(stderr, "edgeformer: %s\n", s.message().c_str());
      return false;
    }
    if (json_output)
      print_turn_json(report, turns);
    else
      std::printf("\n");
    ++turns;
    return true;
  };

  if (args.has("--messages")) {
    std::vector<ChatMessage> messages;
    if (Status s = read_messages(args.get("--messages"), &messages); !s.ok()) return fail(s.message());
    const std::string last = messages.back().text;
    messages.pop_back();
    if (args.has("--system")) messages.insert(messages.begin(), {ChatRole::kSystem, args.get("--system")});
    chat.set_history(messages);
    return turn(last) ? 0 : 1;
  }
  const bool interactive = isatty(STDIN_FILENO);
  if (interactive)
    std::fprintf(stderr, "chat with %s: a message per line, Ctrl-D to end\n", args.positionals()[0].c_str());
  std::string line;
  bool ok = true;
  while (true) {
    if (interactive) std::fprintf(stderr, "> ");
    if (!std::getline(std::cin, line)) break;
    if (line.empty()) continue;
    // A failed turn (e.g. a message too long for the context) changes nothing: the chat goes on.
    ok = turn(line) && ok;
  }
  return ok ? 0 : 1;
}

}  // namespace edgeformer::cli
