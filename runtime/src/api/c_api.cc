// The C API: wraps the C++ API, turns every failure (including std::bad_alloc) into a status and a message.
#include "edgeformer/edgeformer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>
#include <vector>

#include "edgeformer/edgeformer.hpp"

struct ef_model {
  std::shared_ptr<const edgeformer::Model> model;
};
struct ef_session {
  std::unique_ptr<edgeformer::Session> session;
};
struct ef_sampler {
  edgeformer::Sampler sampler;
};
struct ef_chat {
  std::shared_ptr<const edgeformer::Model> model;
  edgeformer::Chat chat;
};

namespace {

thread_local std::string last_error;

ef_status fail(ef_status status, const char* message) {
  try {
    last_error = message;
  } catch (...) {
  }
  return status;
}

ef_status report(const edgeformer::Status& s) {
  if (s.ok()) return EF_OK;
  return fail(static_cast<ef_status>(s.code()), s.message().c_str());
}

// Runs `body`, mapping any exception that escapes the C++ side to a status.
template <typename Body>
ef_status guarded(Body&& body) {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return fail(EF_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return fail(EF_INTERNAL, e.what());
  } catch (...) {
    return fail(EF_INTERNAL, "unknown error");
  }
}

ef_status null_argument(const char* name) {
  try {
    last_error = std::string(name) + " is null";
  } catch (...) {
  }
  return EF_INVALID_ARGUMENT;
}

// The C messages as the C++ API takes them.
ef_status chat_messages(const ef_chat_message* messages, size_t count, std::vector<edgeformer::ChatMessage>* out) {
  if (count > 0 && messages == nullptr) return null_argument("messages");
  for (size_t i = 0; i < count; ++i) {
    if (messages[i].text == nullptr) return null_argument("a message's text");
    if (messages[i].role < EF_CHAT_SYSTEM || messages[i].role > EF_CHAT_ASSISTANT)
      return fail(EF_INVALID_ARGUMENT, "a message's role is not EF_CHAT_SYSTEM, EF_CHAT_USER or EF_CHAT_ASSISTANT");
    out->push_back({static_cast<edgeformer::ChatRole>(messages[i].role), messages[i].text});
  }
  return EF_OK;
}

edgeformer::ChatOptions chat_options(int flags) {
  edgeformer::ChatOptions options;
  options.generation_prompt = (flags & EF_CHAT_NO_GENERATION_PROMPT) == 0;
  options.thinking = (flags & EF_CHAT_NO_THINKING) == 0;
  return options;
}

ef_status open_model(edgeformer::Status status, std::shared_ptr<const edgeformer::Model> opened, ef_model** model) {
  if (!status.ok()) return report(status);
  *model = new ef_model{std::move(opened)};
  return EF_OK;
}

}  // namespace

extern "C" {

const char* ef_last_error(void) { return last_error.c_str(); }

ef_status ef_model_open_file(const char* path, ef_model** model) {
  if (path == nullptr) return null_argument("path");
  if (model == nullptr) return null_argument("model");
  *model = nullptr;
  return guarded([&] {
    std::shared_ptr<const edgeformer::Model> opened;
    edgeformer::Status s = edgeformer::Model::open_file(path, &opened);
    return open_model(s, std::move(opened), model);
  });
}

ef_status ef_model_open_buffer(const void* data, size_t size, ef_model** model) {
  if (data == nullptr) return null_argument("data");
  if (model == nullptr) return null_argument("model");
  *model = nullptr;
  return guarded([&] {
    std::shared_ptr<const edgeformer::Model> opened;
    edgeformer::Status s = edgeformer::Model::open_buffer(data, size, &opened);
    return open_model(s, std::move(opened), model);
  });
}

void ef_model_free(ef_model* model) { delete model; }

size_t ef_model_arena_bytes(const ef_model* model) { return model ? model->model->required_arena_bytes() : 0; }
int ef_model_vocab_size(const ef_model* model) { return model ? model->model->info().vocab_size : 0; }
int ef_model_max_context(const ef_model* model) { return model ? model->model->info().max_context : 0; }
int32_t ef_model_bos_id(const ef_model* model) { return model ? model->model->bos_id() : -1; }
int32_t ef_model_eos_id(const ef_model* model) { return model ? model->model->eos_id() : -1; }

const int32_t* ef_model_stop_ids(const ef_model* model, size_t* count) {
  if (count != nullptr) *count = model ? model->model->stop_ids().size() : 0;
  return model && !model->model->stop_ids().empty() ? model->model->stop_ids().data() : nullptr;
}

int ef_model_is_stop_id(const ef_model* model, int32_t id) { return model && model->model->is_stop_id(id) ? 1 : 0; }

ef_status ef_tokenize(const ef_model* model, const char* text, int add_bos, int32_t* ids, size_t capacity,
                      size_t* count) {
  if (model == nullptr) return null_argument("model");
  if (text == nullptr) return null_argument("text");
  if (count == nullptr) return null_argument("count");
  if (ids == nullptr && capacity != 0) return null_argument("ids");
  return guarded([&] {
    std::vector<int32_t> tokens;
    if (ef_status s = report(model->model->tokenize(text, add_bos != 0, &tokens)); s != EF_OK) return s;
    *count = tokens.size();
    if (tokens.size() > capacity)
      return fail(EF_OUT_OF_RANGE, ("the text needs " + std::to_string(tokens.size()) + " ids, capacity is " +
                                    std::to_string(capacity)).c_str());
    std::copy(tokens.begin(), tokens.end(), ids);
    return EF_OK;
  });
}

ef_status ef_detokenize(const ef_model* model, int32_t previous, int32_t id, char* text, size_t capacity,
                        size_t* length) {
  if (model == nullptr) return null_argument("model");
  if (text == nullptr) return null_argument("text");
  if (length == nullptr) return null_argument("length");
  return guarded([&] {
    std::string piece;
    if (ef_status s = report(model->model->detokenize(previous, id, &piece)); s != EF_OK) return s;
    *length = piece.size();
    if (piece.size() + 1 > capacity) return fail(EF_OUT_OF_RANGE, "text buffer too small");
    std::memcpy(text, piece.c_str(), piece.size() + 1);
    return EF_OK;
  });
}

ef_status ef_session_create(const ef_model* model, const ef_session_options* options, ef_session** session) {
  if (model == nullptr) return null_argument("model");
  if (session == nullptr) return null_argument("session");
  *session = nullptr;
  return guarded([&] {
    edgeformer::SessionOptions o;
    if (options != nullptr) {
      o.threads = options->threads;
      o.arena = options->arena;
      o.arena_bytes = options->arena_bytes;
      o.max_arena_bytes = options->max_arena_bytes;
    }
    std::unique_ptr<edgeformer::Session> created;
    if (ef_status s = report(edgeformer::Session::create(model->model, o, &created)); s != EF_OK) return s;
    *session = new ef_session{std::move(created)};
    return EF_OK;
  });
}

void ef_session_free(ef_session* session) { delete session; }

ef_status ef_session_prefill(ef_session* session, const int32_t* tokens, size_t count) {
  if (session == nullptr) return null_argument("session");
  if (tokens == nullptr) return null_argument("tokens");
  return guarded([&] { return report(session->session->prefill(tokens, count)); });
}

ef_status ef_session_decode(ef_session* session, int32_t token) {
  if (session == nullptr) return null_argument("session");
  return guarded([&] { return report(session->session->decode(token)); });
}

ef_status ef_session_encode(ef_session* session, const int32_t* tokens, const int32_t* token_types,
                            const int32_t* mask, size_t count) {
  if (session == nullptr) return null_argument("session");
  if (tokens == nullptr) return null_argument("tokens");
  return guarded([&] { return report(session->session->encode(tokens, token_types, mask, count)); });
}

ef_status ef_session_output(const ef_session* session, const char* entry, const char* name, const float** data,
                            size_t* count) {
  if (session == nullptr) return null_argument("session");
  if (entry == nullptr) return null_argument("entry");
  if (name == nullptr) return null_argument("name");
  if (data == nullptr) return null_argument("data");
  if (count == nullptr) return null_argument("count");
  return guarded([&] {
    const void* bytes = nullptr;
    size_t size = 0;
    if (ef_status s = report(session->session->output(entry, name, &bytes, &size)); s != EF_OK) return s;
    *data = static_cast<const float*>(bytes);
    *count = size / sizeof(float);
    return EF_OK;
  });
}

ef_status ef_session_translate(ef_session* session, const int32_t* source, size_t count, int beams, size_t max_tokens,
                               int32_t* target, size_t capacity, size_t* target_count) {
  if (session == nullptr) return null_argument("session");
  if (source == nullptr) return null_argument("source");
  if (target == nullptr && capacity > 0) return null_argument("target");
  if (target_count == nullptr) return null_argument("target_count");
  return guarded([&] {
    edgeformer::Session::TranslateOptions options;
    options.beams = beams;
    options.max_tokens = max_tokens;
    std::vector<int32_t> ids;
    if (ef_status s = report(session->session->translate(source, count, options, &ids)); s != EF_OK) return s;
    *target_count = ids.size();
    if (ids.size() > capacity) return fail(EF_OUT_OF_RANGE, "the translation needs more ids than capacity");
    std::copy(ids.begin(), ids.end(), target);
    return EF_OK;
  });
}

ef_status ef_model_attention_shape(const ef_model* model, int kind, int* layers, int* heads) {
  if (model == nullptr) return null_argument("model");
  if (layers == nullptr || heads == nullptr) return null_argument("layers or heads");
  if (kind < EF_ATTENTION_ENCODER || kind > EF_ATTENTION_CROSS)
    return fail(EF_INVALID_ARGUMENT, "unknown attention kind");
  const edgeformer::AttentionShape shape = model->model->attention_shape(static_cast<edgeformer::AttentionKind>(kind));
  *layers = shape.layers;
  *heads = shape.heads;
  return EF_OK;
}

ef_status ef_session_capture_attention(ef_session* session, const ef_attention_capture* capture) {
  if (session == nullptr) return null_argument("session");
  if (capture == nullptr) {
    session->session->stop_attention_capture();
    return EF_OK;
  }
  if (capture->kind < EF_ATTENTION_ENCODER || capture->kind > EF_ATTENTION_CROSS)
    return fail(EF_INVALID_ARGUMENT, "unknown attention kind");
  return guarded([&] {
    edgeformer::AttentionCapture c;
    c.kind = static_cast<edgeformer::AttentionKind>(capture->kind);
    c.layer_begin = capture->layer_begin;
    c.layer_end = capture->layer_end;
    c.head_begin = capture->head_begin;
    c.head_end = capture->head_end;
    c.max_queries = capture->max_queries;
    c.max_keys = capture->max_keys;
    c.buffer = capture->buffer;
    c.buffer_floats = capture->buffer_floats;
    return report(session->session->capture_attention(c));
  });
}

int ef_model_label_count(const ef_model* model) {
  return model ? static_cast<int>(model->model->info().labels.size()) : 0;
}

const char* ef_model_label(const ef_model* model, int index) {
  if (model == nullptr || index < 0 || index >= ef_model_label_count(model)) return nullptr;
  return model->model->info().labels[static_cast<size_t>(index)].c_str();
}

const float* ef_session_logits(const ef_session* session) { return session ? session->session->logits() : nullptr; }
size_t ef_session_position(const ef_session* session) { return session ? session->session->position() : 0; }
void ef_session_reset(ef_session* session) {
  if (session != nullptr) session->session->reset();
}

ef_status ef_sampler_create(int vocab_size, float temperature, int top_k, float top_p, uint64_t seed,
                            ef_sampler** sampler) {
  if (sampler == nullptr) return null_argument("sampler");
  *sampler = nullptr;
  if (vocab_size < 1 || !(temperature >= 0.0f) || std::isinf(temperature) || top_k < 0 || !(top_p > 0.0f) ||
      top_p > 1.0f)
    return fail(EF_INVALID_ARGUMENT, "sampler: need vocab_size >= 1, temperature >= 0, top_k >= 0, 0 < top_p <= 1");
  return guarded([&] {
    *sampler = new ef_sampler{edgeformer::Sampler(vocab_size, {temperature, top_k, top_p, seed})};
    return EF_OK;
  });
}

void ef_sampler_free(ef_sampler* sampler) { delete sampler; }

int32_t ef_sampler_sample(ef_sampler* sampler, const float* logits) {
  if (sampler == nullptr || logits == nullptr) return -1;
  return sampler->sampler.sample(logits);
}

ef_status ef_model_chat_template_status(const ef_model* model) {
  if (model == nullptr) return null_argument("model");
  return guarded([&] { return report(model->model->chat_template_status()); });
}

ef_status ef_chat_format(const ef_model* model, const ef_chat_message* messages, size_t message_count, int flags,
                         int32_t* ids, size_t capacity, size_t* count) {
  if (model == nullptr) return null_argument("model");
  if (count == nullptr) return null_argument("count");
  if (ids == nullptr && capacity > 0) return null_argument("ids");
  return guarded([&] {
    std::vector<edgeformer::ChatMessage> list;
    if (ef_status s = chat_messages(messages, message_count, &list); s != EF_OK) return s;
    std::vector<int32_t> out;
    if (edgeformer::Status s = model->model->tokenize_chat(list, chat_options(flags), &out); !s.ok()) return report(s);
    *count = out.size();
    if (out.size() > capacity) return fail(EF_OUT_OF_RANGE, "ids capacity is smaller than the conversation's tokens");
    std::copy(out.begin(), out.end(), ids);
    return EF_OK;
  });
}

ef_status ef_chat_format_text(const ef_model* model, const ef_chat_message* messages, size_t message_count, int flags,
                              char* text, size_t capacity, size_t* length) {
  if (model == nullptr) return null_argument("model");
  if (length == nullptr) return null_argument("length");
  if (text == nullptr && capacity > 0) return null_argument("text");
  return guarded([&] {
    std::vector<edgeformer::ChatMessage> list;
    if (ef_status s = chat_messages(messages, message_count, &list); s != EF_OK) return s;
    std::string out;
    if (edgeformer::Status s = model->model->format_chat(list, chat_options(flags), &out); !s.ok()) return report(s);
    *length = out.size();
    if (out.size() + 1 > capacity) return fail(EF_OUT_OF_RANGE, "text capacity is smaller than the conversation");
    std::memcpy(text, out.c_str(), out.size() + 1);
    return EF_OK;
  });
}

ef_status ef_chat_create(const ef_model* model, ef_session* session, const ef_chat_options* options, ef_chat** chat) {
  if (model == nullptr) return null_argument("model");
  if (session == nullptr) return null_argument("session");
  if (chat == nullptr) return null_argument("chat");
  *chat = nullptr;
  return guarded([&] {
    if (edgeformer::Status s = model->model->chat_template_status(); !s.ok()) return report(s);
    edgeformer::Chat::Options o;
    if (options != nullptr) {
      if (!(options->temperature >= 0) || !(options->top_p > 0 && options->top_p <= 1) || options->top_k < 0)
        return fail(EF_INVALID_ARGUMENT, "chat options: temperature >= 0, top_k >= 0 and 0 < top_p <= 1");
      o.sampling = {options->temperature, options->top_k, options->top_p, options->seed};
      o.reply_room = options->reply_room;
      o.layout = chat_options(options->flags & EF_CHAT_NO_THINKING);
    }
    auto created =
        std::unique_ptr<ef_chat>(new ef_chat{model->model, edgeformer::Chat(*session->session, *model->model, o)});
    if (options != nullptr && options->system != nullptr) created->chat.set_system(options->system);
    *chat = created.release();
    return EF_OK;
  });
}

void ef_chat_free(ef_chat* chat) { delete chat; }

ef_status ef_chat_add_user(ef_chat* chat, const char* text, size_t* prompt_tokens, size_t* reused_tokens,
                           size_t* dropped_messages) {
  if (chat == nullptr) return null_argument("chat");
  if (text == nullptr) return null_argument("text");
  return guarded([&] {
    edgeformer::Chat::Turn turn;
    if (edgeformer::Status s = chat->chat.add_user(text, &turn); !s.ok()) return report(s);
    if (prompt_tokens != nullptr) *prompt_tokens = turn.prompt_tokens;
    if (reused_tokens != nullptr) *reused_tokens = turn.reused_tokens;
    if (dropped_messages != nullptr) *dropped_messages = turn.dropped_messages;
    return EF_OK;
  });
}

ef_status ef_chat_next(ef_chat* chat, int32_t* token, int* done) {
  if (chat == nullptr) return null_argument("chat");
  if (token == nullptr) return null_argument("token");
  if (done == nullptr) return null_argument("done");
  return guarded([&] {
    edgeformer::Generator::Stop stop = edgeformer::Generator::Stop::kNone;
    if (edgeformer::Status s = chat->chat.next(token, &stop); !s.ok()) return report(s);
    *done = stop == edgeformer::Generator::Stop::kNone ? 0 : stop == edgeformer::Generator::Stop::kEos ? 1 : 2;
    return EF_OK;
  });
}

int32_t ef_chat_previous(const ef_chat* chat) { return chat ? chat->chat.previous() : -1; }

void ef_chat_end_reply(ef_chat* chat) {
  if (chat != nullptr) chat->chat.end_reply();
}

}  // extern "C"
