// Chat: a conversation kept in one session's KV cache across turns. Each turn lays the whole conversation out and
// prefills only what the cache does not hold yet, so the tokens are those of the conversation prefilled at once.
#include <algorithm>
#include <iterator>
#include <new>

#include "edgeformer/edgeformer.hpp"
#include "tokenizer/utf8.h"

namespace edgeformer {

Chat::Chat(Session& session, const Model& model, const Options& options)
    : session_(session), model_(model), options_(options), sampler_(session.vocab_size(), options.sampling) {}

void Chat::set_system(const std::string& text) {
  if (replying_) end_reply();
  const bool has_system = !messages_.empty() && messages_.front().role == ChatRole::kSystem;
  if (text.empty()) {
    if (has_system) messages_.erase(messages_.begin());
  } else if (has_system) {
    messages_.front().text = text;
  } else {
    messages_.insert(messages_.begin(), {ChatRole::kSystem, text});
  }
}

void Chat::set_history(const std::vector<ChatMessage>& messages) {
  if (replying_) end_reply();
  messages_ = messages;
}

Status Chat::add_user(const std::string& text, Turn* turn) {
  Turn ignored;
  if (turn == nullptr) turn = &ignored;
  *turn = {};
  if (replying_) end_reply();
  try {
    messages_.push_back({ChatRole::kUser, text});
    const size_t context = session_.max_context();
    const size_t room = options_.reply_room > 0 ? options_.reply_room : std::min<size_t>(1024, context / 4);
    const size_t first_droppable = messages_.front().role == ChatRole::kSystem ? 1 : 0;
    // What the shift dropped, oldest first: a failed turn puts it back and changes nothing.
    std::vector<ChatMessage> dropped;
    const auto refuse = [&](Status s) {
      messages_.pop_back();
      messages_.insert(messages_.begin() + first_droppable, std::make_move_iterator(dropped.begin()),
                       std::make_move_iterator(dropped.end()));
      return s;
    };
    for (;;) {
      if (Status s = model_.tokenize_chat(messages_, options_.layout, &ids_); !s.ok()) return refuse(s);
      if (ids_.size() + room <= context) break;
      // Shift: the oldest user message and the replies after it go, never a part of one.
      size_t end = first_droppable + 1;
      while (end < messages_.size() && messages_[end].role != ChatRole::kUser) ++end;
      if (end >= messages_.size())
        return refuse(Status(StatusCode::kOutOfRange,
                             "the message does not fit: with the system message it takes " +
                                 std::to_string(ids_.size()) + " tokens, and the reply needs " + std::to_string(room) +
                                 " more, in a context of " + std::to_string(context)));
      turn->dropped_messages += end - first_droppable;
      dropped.insert(dropped.end(), std::make_move_iterator(messages_.begin() + first_droppable),
                     std::make_move_iterator(messages_.begin() + end));
      messages_.erase(messages_.begin() + first_droppable, messages_.begin() + end);
    }
    if (Status s = prefill_conversation(turn); !s.ok()) return refuse(s);
    return Status();
  } catch (const std::bad_alloc&) {
    return Status(StatusCode::kOutOfMemory, "cannot allocate the conversation");
  }
}

Status Chat::prefill_conversation(Turn* turn) {
  if (ids_.empty())
    return Status(StatusCode::kInvalidArgument, "the chat template lays this conversation out as no text");
  // The session was used for something else since (reset, other tokens): its cache holds none of this chat.
  if (session_.position() != history_.size()) {
    session_.reset();
    history_.clear();
  }
  size_t common = std::mismatch(history_.begin(), history_.end(), ids_.begin(), ids_.end()).first - history_.begin();
  // The reply's logits come from a prefill of at least one token.
  if (common == ids_.size()) --common;
  if (common < history_.size() && !session_.rewind(common).ok()) {
    session_.reset();
    common = 0;
  }
  history_.resize(common);
  history_.reserve(session_.max_context());  // once: the reply's tokens go in without allocating
  if (Status s = session_.prefill(ids_.data() + common, ids_.size() - common); !s.ok()) return s;
  history_.assign(ids_.begin(), ids_.end());
  turn->prompt_tokens = ids_.size();
  turn->reused_tokens = common;
  // The reply's text grows in place: room for 16 bytes (longer than most pieces) per token the context has left.
  messages_.push_back({ChatRole::kAssistant, std::string()});
  messages_.back().text.reserve((session_.max_context() - session_.position() + 1) * 16);
  piece_.reserve(256);
  previous_ = ids_.back();
  replying_ = true;
  first_ = true;
  return Status();
}

Status Chat::next(int32_t* token, Generator::Stop* stop) {
  if (token == nullptr || stop == nullptr) return Status(StatusCode::kInvalidArgument, "token or stop is null");
  if (!replying_) return Status(StatusCode::kInvalidArgument, "add_user() starts a reply first");
  *stop = Generator::Stop::kNone;
  if (!first_) {
    if (session_.position() >= session_.max_context()) {
      *stop = Generator::Stop::kContext;
      end_reply();
      return Status();
    }
    if (Status s = session_.decode(previous_); !s.ok()) return s;
    history_.push_back(previous_);
  }
  first_ = false;
  const int32_t next = sampler_.sample(session_.logits());
  if (model_.is_stop_id(next) || next == model_.bos_id()) {
    *stop = Generator::Stop::kEos;
    end_reply();
    return Status();
  }
  if (Status s = model_.detokenize(previous_, next, &piece_); !s.ok()) return s;
  messages_.back().text += piece_;
  *token = next;
  previous_ = next;
  return Status();
}

void Chat::end_reply() {
  if (!replying_) return;
  replying_ = false;
  // Byte-level pieces may stop inside a character (a reply cut at a token limit) or not make one at all (a model's
  // stray bytes): the reply keeps valid UTF-8, each bad byte a U+FFFD, so that the next turn can lay it out.
  std::string& text = messages_.back().text;
  for (size_t i = 0; i < text.size();) {
    const size_t length = utf8_sequence_length(text, i);
    if (length > 0) {
      i += length;
      continue;
    }
    text.replace(i, 1, "\xef\xbf\xbd");
    i += 3;
  }
}

}  // namespace edgeformer
