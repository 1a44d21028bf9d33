/* edgeformer C API: a stable ABI for apps (JNI, Swift, any C FFI).
 *
 * Every function returns a status; on failure ef_last_error() gives this thread's message. No function aborts or
 * lets a C++ exception escape. Handles are opaque; a model may be shared by sessions on several threads, each
 * session used by one thread at a time. */
#ifndef EDGEFORMER_EDGEFORMER_H_
#define EDGEFORMER_EDGEFORMER_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ef_status {
  EF_OK = 0,
  EF_INVALID_ARGUMENT = 1,
  EF_INVALID_MODEL = 2,
  EF_IO_ERROR = 3,
  EF_OUT_OF_RANGE = 4,
  EF_OUT_OF_MEMORY = 5,
  EF_UNSUPPORTED = 6,
  EF_INTERNAL = 7
} ef_status;

typedef struct ef_model ef_model;
typedef struct ef_session ef_session;
typedef struct ef_sampler ef_sampler;
typedef struct ef_chat ef_chat;

typedef struct ef_session_options {
  int threads;        /* >= 1; 1 creates no thread */
  void* arena;        /* caller-owned, 64-byte aligned, >= ef_model_arena_bytes(); NULL = allocate once */
  size_t arena_bytes;
  size_t max_arena_bytes; /* a model needing more arena is refused with EF_OUT_OF_MEMORY; 0 = physical memory */
} ef_session_options;

/* The message of the last failure on the calling thread ("" if none). Valid until the next call that fails. */
const char* ef_last_error(void);

ef_status ef_model_open_file(const char* path, ef_model** model);
/* The bytes are used in place: keep them valid and unchanged until the model and its sessions are freed. */
ef_status ef_model_open_buffer(const void* data, size_t size, ef_model** model);
void ef_model_free(ef_model* model);
size_t ef_model_arena_bytes(const ef_model* model);
int ef_model_vocab_size(const ef_model* model);
int ef_model_max_context(const ef_model* model);
int32_t ef_model_bos_id(const ef_model* model);
int32_t ef_model_eos_id(const ef_model* model);
/* Every id that ends generation (EOS first, then e.g. Llama 3's <|eot_id|>, Qwen's <|im_end|>): *count ids, valid
 * while the model lives. ef_model_is_stop_id: 1 if `id` is one of them, else 0. */
const int32_t* ef_model_stop_ids(const ef_model* model, size_t* count);
int ef_model_is_stop_id(const ef_model* model, int32_t id);

/* Writes up to `capacity` ids; *count gets the number the text needs (EF_OUT_OF_RANGE if more than capacity). */
ef_status ef_tokenize(const ef_model* model, const char* text, int add_bos, int32_t* ids, size_t capacity,
                      size_t* count);
/* The text of `id` after `previous`, NUL-terminated in `text`; *length gets its byte length. */
ef_status ef_detokenize(const ef_model* model, int32_t previous, int32_t id, char* text, size_t capacity,
                        size_t* length);

ef_status ef_session_create(const ef_model* model, const ef_session_options* options, ef_session** session);
void ef_session_free(ef_session* session);
/* Append tokens to the context and compute the next-token logits. */
ef_status ef_session_prefill(ef_session* session, const int32_t* tokens, size_t count);
ef_status ef_session_decode(ef_session* session, int32_t token);
/* ef_model_vocab_size() floats, valid until the next prefill/decode; NULL before the first. */
const float* ef_session_logits(const ef_session* session);
size_t ef_session_position(const ef_session* session);
void ef_session_reset(ef_session* session);

/* Encoders (BERT): one sequence of `count` tokens (from ef_tokenize with add_bos = 1: [CLS] ... [SEP]).
 * token_types may be NULL (all 0); mask may be NULL (all 1), else 1 for each token then 0 for trailing padding. */
ef_status ef_session_encode(ef_session* session, const int32_t* tokens, const int32_t* token_types,
                            const int32_t* mask, size_t count);
/* An f32 output of the entry that ran last ("encode": "hidden", "embedding", "pooled" or "logits"; "prefill" or
 * "decode": "logits"), valid until the next run; *count gets its number of floats. */
ef_status ef_session_output(const ef_session* session, const char* entry, const char* name, const float** data,
                            size_t* count);
/* Encoder-decoders (Marian): translates `source` (ids ending with EOS, as ef_tokenize makes them) with `beams`
 * beams (1 = greedy) and at most `max_tokens` tokens (0 = up to the context). Writes up to `capacity` target ids
 * (without start token and EOS); *count gets their number (EF_OUT_OF_RANGE if more than capacity). */
ef_status ef_session_translate(ef_session* session, const int32_t* source, size_t count, int beams, size_t max_tokens,
                               int32_t* target, size_t capacity, size_t* target_count);
/* Sequence classifiers: the number of classes (0 for other models) and the name of class `index` (NULL if none). */
int ef_model_label_count(const ef_model* model);
const char* ef_model_label(const ef_model* model, int index);

/* Attention capture (docs/attention.md): the probabilities of chosen layers and heads, written while the session
 * runs. Query position i over key position j of captured layer l, head h (counted from layer_begin, head_begin) is
 * at buffer[((l * heads + h) * max_queries + i) * max_keys + j], heads = head_end - head_begin; keys a query does not
 * see are 0. */
typedef enum ef_attention_kind {
  EF_ATTENTION_ENCODER = 0, /* the encode entry's self-attention */
  EF_ATTENTION_DECODER = 1, /* causal self-attention over the KV cache */
  EF_ATTENTION_CROSS = 2    /* a decoder's attention over the encoded source */
} ef_attention_kind;
typedef struct ef_attention_capture {
  int kind;                  /* ef_attention_kind */
  int layer_begin, layer_end; /* layer_end -1: to the last */
  int head_begin, head_end;   /* head_end -1: to the last */
  size_t max_queries, max_keys; /* 0: the session's context (cross keys, encoder: the encode entry's rows) */
  float* buffer;
  size_t buffer_floats;
} ef_attention_capture;
/* The layers and heads of one kind of attention (0 layers: none). */
ef_status ef_model_attention_shape(const ef_model* model, int kind, int* layers, int* heads);
/* Starts capturing (NULL stops). EF_INVALID_ARGUMENT naming the floats needed if the buffer is too small. */
ef_status ef_session_capture_attention(ef_session* session, const ef_attention_capture* capture);

/* Chat (docs/chat.md): conversations laid out by the model's chat template, reduced at conversion. */
typedef enum ef_chat_role { EF_CHAT_SYSTEM = 0, EF_CHAT_USER = 1, EF_CHAT_ASSISTANT = 2 } ef_chat_role;
typedef struct ef_chat_message {
  int role; /* ef_chat_role */
  const char* text;
} ef_chat_message;
enum {
  EF_CHAT_NO_GENERATION_PROMPT = 1, /* do not end with the start of the assistant's reply */
  EF_CHAT_NO_THINKING = 2           /* Qwen3's enable_thinking = false */
};
/* EF_OK if the model holds a reduced chat template; else EF_UNSUPPORTED, and ef_last_error() says why. */
ef_status ef_model_chat_template_status(const ef_model* model);
/* The conversation's ids (as transformers' apply_chat_template tokenizes the rendered text, except that what system
 * and user messages say always stays text), up to `capacity`; *count gets how many it needs (EF_OUT_OF_RANGE if
 * more than capacity). `flags`: EF_CHAT_* above. */
ef_status ef_chat_format(const ef_model* model, const ef_chat_message* messages, size_t message_count, int flags,
                         int32_t* ids, size_t capacity, size_t* count);
/* The conversation's text, NUL-terminated; *length gets its byte length (EF_OUT_OF_RANGE if capacity is short). */
ef_status ef_chat_format_text(const ef_model* model, const ef_chat_message* messages, size_t message_count, int flags,
                              char* text, size_t capacity, size_t* length);

typedef struct ef_chat_options {
  const char* system; /* NULL or "" = none */
  float temperature;  /* 0 = greedy */
  int top_k;          /* 0 = off */
  float top_p;        /* 1 = off */
  uint64_t seed;
  size_t reply_room;  /* tokens kept free for a reply (older messages dropped for it); 0 = a quarter of the context */
  int flags;          /* EF_CHAT_NO_THINKING */
} ef_chat_options;
/* A multi-turn chat on `session` (a session of `model`, which must outlive the chat): each turn prefills only what
 * the KV cache does not hold yet. */
ef_status ef_chat_create(const ef_model* model, ef_session* session, const ef_chat_options* options, ef_chat** chat);
void ef_chat_free(ef_chat* chat);
/* Adds a user message and prefills it; the counts (each may be NULL) get the conversation's tokens, those the cache
 * held already and the oldest messages dropped to make room. EF_OUT_OF_RANGE, changing nothing, if it cannot fit. */
ef_status ef_chat_add_user(ef_chat* chat, const char* text, size_t* prompt_tokens, size_t* reused_tokens,
                           size_t* dropped_messages);
/* The reply's next token in *token with *done = 0; or *done = 1 (a stop id) or 2 (the context is full): the reply is
 * over. The token's text: ef_detokenize(model, previous, token) with previous = the token before it
 * (ef_chat_previous() before this call). */
ef_status ef_chat_next(ef_chat* chat, int32_t* token, int* done);
int32_t ef_chat_previous(const ef_chat* chat);
/* Ends the reply early (e.g. at a token limit). */
void ef_chat_end_reply(ef_chat* chat);

/* temperature 0 = greedy; top_k 0 = off; top_p 1 = off. */
ef_status ef_sampler_create(int vocab_size, float temperature, int top_k, float top_p, uint64_t seed,
                            ef_sampler** sampler);
void ef_sampler_free(ef_sampler* sampler);
int32_t ef_sampler_sample(ef_sampler* sampler, const float* logits);

#ifdef __cplusplus
}
#endif

#endif /* EDGEFORMER_EDGEFORMER_H_ */
