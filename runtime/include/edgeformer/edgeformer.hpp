#pragma once
// edgeformer C++ API: open a converted .eft model, run it in a fixed arena, tokenize and sample.
//
// Errors are returned as Status values; no function of this API throws. After Session::create(), prefill(),
// decode() and run() make no heap allocation.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace edgeformer {

enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument = 1,
  kInvalidModel = 2,
  kIoError = 3,
  kOutOfRange = 4,     // e.g. a token id outside the vocabulary, or the context is full
  kOutOfMemory = 5,
  kUnsupported = 6,
  kInternal = 7,
};

class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

enum class DType : int { kF32 = 0, kI8 = 1, kI32 = 2 };
const char* dtype_name(DType dtype);

struct TensorInfo {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;  // for dynamic-row tensors, shape[0] is the largest row count
  bool dynamic_rows;
};

// What one call of an entry reads and computes, for rooflines (`edgeformer bench`): a call of r rows reads
// weight_bytes + r * gathered_bytes_per_row of weights and does 2 * r * matmul_macs_per_row operations in its fully
// connected layers, plus its attention's, which grow with the keys each row sees. Causal self-attention (a row at
// position p sees p + 1 keys, read from the KV cache) is counted apart from the rest (an encoder's rows see each
// other, cross-attention sees the source), both per (row, key) pair.
struct EntryCost {
  uint64_t weight_bytes = 0;            // weights read whole whatever the row count (codes, scales, sums, biases)
  uint64_t gathered_bytes_per_row = 0;  // rows of embedding tables read per row
  uint64_t matmul_macs_per_row = 0;
  uint64_t causal_macs_per_key = 0, causal_cache_bytes_per_key = 0;  // over the layers: q.k and p.v; K and V read
  uint64_t other_macs_per_key = 0, other_kv_bytes_per_key = 0;
};

struct EntryInfo {
  std::string name;
  int max_rows;
  size_t operator_count;
  std::vector<TensorInfo> inputs, outputs;
  EntryCost cost;
};

struct ModelInfo {
  std::string architecture, source, quantization;
  std::string kv_cache;  // what the KV cache holds: f32, f16, int8 (or none)
  uint32_t format_version = 0;
  uint64_t params = 0, weight_bytes = 0, arena_bytes = 0, state_bytes = 0, file_bytes = 0;
  int vocab_size = 0, hidden_size = 0, layers = 0, max_context = 0;
  std::vector<EntryInfo> entries;
  std::vector<std::pair<std::string, int>> op_counts;  // operator type -> count over all entries
  bool has_tokenizer = false;
  // sentencepiece_bpe, byte_level_bpe, wordpiece or none. Only wordpiece loses text (case, accents, spacing).
  std::string tokenizer_kind;
  std::vector<int32_t> stop_ids;  // as Model::stop_ids()
  std::string kernel_isa;  // the kernels this CPU runs: scalar, avx2, avx512vnni (EDGEFORMER_ISA may lower it)
  // Sequence classifiers: the class of each logit (config.json id2label), and whether classes are independent
  // (multi-label: a sigmoid each) or exclusive (a softmax over all).
  std::vector<std::string> labels;
  bool multi_label = false;
};

// A weight whose values cannot be right, found by Model::check_weights().
struct WeightIssue {
  std::string tensor;
  uint64_t nan = 0, infinite = 0;  // float values
  uint64_t wrong_row_sums = 0;     // int8 rows whose stored sum of codes differs from the codes
};

// Chat (docs/chat.md): a conversation of messages laid out as the model's chat template lays it out, the template
// reduced at conversion to the text it writes around each message.
enum class ChatRole : int { kSystem = 0, kUser = 1, kAssistant = 2 };
struct ChatMessage {
  ChatRole role;
  std::string text;
};
struct ChatOptions {
  bool generation_prompt = true;  // end with the start of the assistant's reply
  bool thinking = true;           // false: the prompt of Qwen3's enable_thinking = false (other templates ignore it)
  std::string date;               // the date a template writes (Llama 3.2's "Today Date"); empty: today's
};

// Attention capture (docs/attention.md): the softmax probabilities of chosen layers and heads of one kind of
// attention, written while a session runs into the caller's buffer. Layers count the attention operators of that
// kind in graph order (an encoder-decoder's encoder self-attention, its decoder self-attention, its cross-attention).
enum class AttentionKind : int {
  kEncoder = 0,  // bidirectional self-attention of the `encode` entry (BERT, Marian's encoder)
  kDecoder = 1,  // causal self-attention over the KV cache (GPT-2, LLaMA, Marian's decoder)
  kCross = 2,    // a decoder's attention over the encoded source: target positions over source tokens
};
struct AttentionShape {
  int layers = 0, heads = 0;  // 0 layers: the model has no attention of that kind
};
// Which heads to record, and where. Query position i over key position j of captured layer l and head h (counted
// from layer_begin and head_begin) is at buffer[((l * heads + h) * max_queries + i) * max_keys + j], heads =
// head_end - head_begin; positions are absolute (a decoder's row i is the token at position i of the context, a
// source's column j its token j). Each row a run computes is overwritten whole: keys the query does not see (the
// future, padding, positions a sliding window dropped) are exactly 0. Rows no run computed are left as they were.
struct AttentionCapture {
  AttentionKind kind = AttentionKind::kDecoder;
  int layer_begin = 0, layer_end = -1;  // -1: up to the last layer
  int head_begin = 0, head_end = -1;    // -1: up to the last head
  size_t max_queries = 0, max_keys = 0;  // 0: the session's context (keys of cross-attention: the encode entry's rows)
  float* buffer = nullptr;
  size_t buffer_floats = 0;
};

class LoadedModel;
class SessionImpl;

// An opened, validated model: immutable, and shareable by any number of sessions.
class Model {
 public:
  // Maps the file read-only; weights are used in place.
  static Status open_file(const std::string& path, std::shared_ptr<const Model>* model);
  // Uses the caller's bytes in place; they must stay valid and unchanged while the model and its sessions live.
  // Weights are read through aligned loads: `data` must be 64-byte aligned.
  static Status open_buffer(const void* data, size_t size, std::shared_ptr<const Model>* model);
  ~Model();

  const ModelInfo& info() const;
  // Bytes a caller-owned arena needs: activations + KV cache, each 64-byte aligned.
  size_t required_arena_bytes() const;

  // Reads every weight (the whole file, so it is not part of opening): NaN or Inf in float weights, int8 row sums
  // that disagree with their rows. Empty = all good.
  std::vector<WeightIssue> check_weights() const;

  bool has_tokenizer() const;
  // Appends the ids of `text` to `ids` (with BOS first when add_bos).
  Status tokenize(const std::string& text, bool add_bos, std::vector<int32_t>* ids) const;
  // The text of `id` following `previous` (previous is needed to drop the space that starts a text).
  Status detokenize(int32_t previous, int32_t id, std::string* text) const;
  // The text of a translation's target ids (without BOS and EOS), as MarianTokenizer decodes it: the pieces from
  // BOS on, without trailing spaces.
  Status translation_text(const std::vector<int32_t>& target, std::string* text) const;
  // The vocabulary entry of `id` as the tokenizer stores it ("▁the", "Ġthe", "##ing", "[CLS]"), as transformers'
  // convert_ids_to_tokens gives it: how attention views label tokens.
  Status token_piece(int32_t id, std::string* piece) const;
  int32_t bos_id() const;
  int32_t eos_id() const;
  // Every id that ends generation: eos_id() first, then the others the model's folder names (generation_config.json
  // and config.json eos_token_id lists, tokenizer_config.json's eos_token: Llama 3's <|eot_id|>, Qwen's <|im_end|>).
  const std::vector<int32_t>& stop_ids() const;
  bool is_stop_id(int32_t id) const;

  // Ok when the file holds a reduced chat template; else kUnsupported saying why (none in the model's folder, or
  // the converter's reason for not reducing it).
  Status chat_template_status() const;
  // The layers and heads of one kind of attention.
  AttentionShape attention_shape(AttentionKind kind) const;
  // The conversation's text as the model's template renders it.
  Status format_chat(const std::vector<ChatMessage>& messages, const ChatOptions& options, std::string* text) const;
  // Replaces *ids with that text's ids, tokenized as transformers' apply_chat_template does (no BOS added: templates
  // write it), except that the messages' own text is always text: a user typing "<|im_start|>" opens no turn.
  Status tokenize_chat(const std::vector<ChatMessage>& messages, const ChatOptions& options,
                       std::vector<int32_t>* ids) const;

  const LoadedModel& impl() const { return *impl_; }

 private:
  explicit Model(std::unique_ptr<LoadedModel> impl);
  std::unique_ptr<LoadedModel> impl_;
};

struct SessionOptions {
  int threads = 1;  // 1 runs on the calling thread and creates no thread
  // A caller-owned arena of at least Model::required_arena_bytes(), 64-byte aligned; null = allocate one once.
  void* arena = nullptr;
  size_t arena_bytes = 0;
  // A model that asks for a larger arena (activations + KV cache) is refused with kOutOfMemory instead of being
  // allocated. 0 = the device's physical memory.
  size_t max_arena_bytes = 0;
};

// One conversation with a model: its own arena, KV cache and position. Not thread-safe; use one per thread.
class Session {
 public:
  static Status create(std::shared_ptr<const Model> model, const SessionOptions& options,
                       std::unique_ptr<Session>* session);
  ~Session();

  // Appends tokens to the context and computes the logits after the last one. Long inputs run in chunks of the
  // `prefill` entry's size. Fails with kOutOfRange, changing nothing, if they do not fit in the context.
  Status prefill(const int32_t* tokens, size_t count);
  Status decode(int32_t token);
  const float* logits() const;  // vocab_size floats, valid until the next call

  // Encoders (BERT): runs the `encode` entry on one sequence of `count` tokens ([CLS] ... [SEP] from tokenize()).
  // token_types may be null (all 0); mask may be null (all 1), else 1 for each token then 0 for the padding after
  // them. Read the results with output("encode", "hidden" | "embedding" | "pooled" | "logits").
  // Encoder-decoders (Marian): encodes the source (its ids end with EOS) for the decoder, whose context starts
  // over: prefill/decode then run the target from the model's start token (bos_id()).
  Status encode(const int32_t* tokens, const int32_t* token_types, const int32_t* mask, size_t count);

  // Encoder-decoders: encodes `source` (ids ending with EOS), then generates the target from bos_id() until EOS,
  // `max_tokens` tokens or the end of the context, never emitting the pad token. beams 1 is greedy; more is beam
  // search: the best 2 * beams continuations by summed log-probability each step, an EOS among the first `beams`
  // finishes a hypothesis scored by its summed log-probability over its length (EOS included), and it stops when
  // `beams` hypotheses are finished (or at the limit, where the live ones finish). Beam search creates `beams`
  // more sessions of this model, with this session's thread count. `target` gets the ids without BOS and EOS.
  struct TranslateOptions {
    int beams = 1;
    size_t max_tokens = 0;  // 0: up to the context
  };
  Status translate(const int32_t* source, size_t count, const TranslateOptions& options, std::vector<int32_t>* target);

  // Makes this session's context (KV caches, stored source, position) that of `other`, a session of the same
  // model: how beam search forks a hypothesis. Copies only the rows in use.
  Status copy_context_from(const Session& other);
  // Forgets the context after its first `position` tokens (a chat whose history changed keeps the common part).
  // kUnsupported once a sliding-window cache has wrapped; then reset() and prefill.
  Status rewind(size_t position);
  int vocab_size() const;
  size_t position() const;      // tokens in the context
  size_t max_context() const;
  void reset();                 // forget the context
  // Starts recording attention probabilities as AttentionCapture says; every later run (encode, prefill, decode,
  // translate's own steps) writes the rows it computes. Fails, changing nothing, when the layers or heads are out of
  // range or the buffer is smaller than the layout needs (the message names the floats needed); a run whose queries
  // or keys pass max_queries / max_keys fails before it changes anything. The buffer must outlive the capture.
  Status capture_attention(const AttentionCapture& capture);
  void stop_attention_capture();
  // The capture in force, with its defaults resolved (layer_end, head_end, max_queries, max_keys); null when off.
  const AttentionCapture* attention_capture() const;

  // Time spent per operator type, accumulated over the calls made while profiling is on (off by default; the
  // clock reads cost a little on every operator).
  struct OperatorTime {
    std::string op;
    uint64_t calls;
    double seconds;
  };
  void set_profiling(bool on);
  std::vector<OperatorTime> profile() const;
  void reset_profile();

  // Low level: run entry `name` on `rows` rows. Inputs are written and outputs read in place, in the arena.
  Status run(const std::string& entry, size_t rows);
  Status input(const std::string& entry, const std::string& name, void** data, size_t* bytes);
  Status output(const std::string& entry, const std::string& name, const void** data, size_t* bytes) const;
  // output() and output_shape() answer for the entry that ran last; the shape has the rows of that run ({} for
  // any other entry).
  std::vector<int64_t> output_shape(const std::string& entry, const std::string& name) const;

 private:
  explicit Session(std::unique_ptr<SessionImpl> impl);
  std::unique_ptr<SessionImpl> impl_;
};

struct SamplerOptions {
  float temperature = 0.0f;  // 0 = greedy (argmax)
  int top_k = 0;             // 0 = off
  float top_p = 1.0f;        // 1 = off
  uint64_t seed = 0;
};

// Picks the next token from logits. Buffers are allocated once, at construction.
class Sampler {
 public:
  Sampler(int vocab_size, const SamplerOptions& options);
  int32_t sample(const float* logits);

 private:
  float next_uniform();
  SamplerOptions options_;
  uint64_t state_;
  std::vector<std::pair<float, int32_t>> candidates_;
};

// Cuts `ids` to at most `max_tokens`, keeping the last one (an encoder's [SEP], a translation source's EOS), as
// Hugging Face truncation does. Returns whether it cut.
bool truncate_keeping_last(std::vector<int32_t>* ids, size_t max_tokens);

// A sequence classifier's logits as probabilities: a softmax over exclusive classes, a sigmoid each over
// independent ones (multi_label); in double.
std::vector<double> class_probabilities(const float* logits, size_t count, bool multi_label);

// Text generation from a prompt, one token at a time, as `edgeformer generate` and the Python package run it: the
// first token is sampled from the prompt's logits, each later one after decoding the one before; it stops at any of
// the model's stop ids or BOS (as llama2.c: BOS starts a new text) and when the context is full. Nothing is
// allocated after construction.
class Generator {
 public:
  enum class Stop { kNone, kEos, kContext };
  // `session` and `model` (the session's) must outlive the generator.
  Generator(Session& session, const Model& model, const SamplerOptions& options);
  // Prefills the prompt (at least one token) after whatever the session's context holds.
  Status start(const int32_t* prompt, size_t count);
  // The next token in *token with *stop = kNone, or no token and why. Fails if start() did not succeed.
  Status next(int32_t* token, Stop* stop);
  // The token the next one follows (the prompt's last, then the last generated): what detokenize() needs.
  int32_t previous() const { return previous_; }

 private:
  Session& session_;
  const Model& model_;
  Sampler sampler_;
  int32_t bos_, previous_ = -1;
  bool started_ = false, first_ = true;
};

// A multi-turn chat on one session, as `edgeformer chat` runs it. Each turn lays the whole conversation out, keeps the
// part the KV cache already holds and prefills only the rest (so a chat gives the tokens that prefilling the whole
// conversation gives); the reply is sampled until a stop id, the context's end or end_reply(). The conversation is
// shifted, never cut inside a message: when it would leave less than `reply_room` tokens for the reply, its oldest
// messages after the system message are dropped, a user message with the replies after it at a time. Buffers grow
// to the context's size on the first turns and are reused after.
class Chat {
 public:
  struct Options {
    SamplerOptions sampling;
    ChatOptions layout;
    size_t reply_room = 0;  // 0: a quarter of the context, at most 1024 tokens
  };
  struct Turn {
    size_t prompt_tokens = 0;    // the laid-out conversation's tokens
    size_t reused_tokens = 0;    // of those, the ones the KV cache held already
    size_t dropped_messages = 0; // the oldest messages the shift dropped (0: none)
  };
  // `session` and `model` (the session's) must outlive the chat.
  Chat(Session& session, const Model& model, const Options& options);
  // The system message, before the first turn; empty = none.
  void set_system(const std::string& text);
  // The conversation so far (e.g. read from a file), in place of this one's; the next add_user() prefills it.
  void set_history(const std::vector<ChatMessage>& messages);
  // Adds a user message and prefills it with the template's start of the reply. kOutOfRange, changing nothing, if
  // the system message and this one leave no reply room.
  Status add_user(const std::string& text, Turn* turn);
  // The reply's next token in *token with *stop = kNone, or no token and why (then the reply is over).
  Status next(int32_t* token, Generator::Stop* stop);
  // Ends the reply before a stop id (e.g. at a token limit); next() ends it by itself at a stop.
  void end_reply();
  const std::vector<ChatMessage>& messages() const { return messages_; }
  // The token the next one follows: what detokenize() needs.
  int32_t previous() const { return previous_; }

 private:
  Status prefill_conversation(Turn* turn);
  Session& session_;
  const Model& model_;
  Options options_;
  Sampler sampler_;
  std::vector<ChatMessage> messages_;
  std::vector<int32_t> ids_, history_;  // the laid-out conversation; the tokens in the KV cache
  std::string piece_;
  int32_t previous_ = -1;
  bool replying_ = false, first_ = true;
};

}  // namespace edgeformer
