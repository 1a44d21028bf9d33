// Session and Generator: prefill / decode / encode / run / translate with NumPy in and out. The GIL is released
// while a session runs; a session serves one call at a time (a second thread gets an error, never a race).
// Outputs are copies: the arena they live in is reused by the session's next call.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <climits>
#include <cstring>
#include <mutex>

#include "bindings.h"
#include "edgeformer/schema/entry_names.h"
#include "model_handle.h"
#include "status_error.h"

namespace py = pybind11;

namespace edgeformer::python {

namespace {

struct SessionHandle {
  std::shared_ptr<const Model> model;
  std::unique_ptr<Session> session;
  std::mutex busy;
};

// Holds a session for one call: refuses a second thread instead of racing it.
class Exclusive {
 public:
  explicit Exclusive(SessionHandle& h) : lock_(h.busy, std::try_to_lock) {
    if (!lock_.owns_lock()) invalid_argument("the session is running a call on another thread (use one per thread)");
  }

 private:
  std::unique_lock<std::mutex> lock_;
};

std::unique_ptr<SessionHandle> create_session(const ModelHandle& model, int threads, size_t max_arena_bytes) {
  auto handle = std::make_unique<SessionHandle>();
  handle->model = model.get();
  SessionOptions options;
  options.threads = threads;
  options.max_arena_bytes = max_arena_bytes;
  check(Session::create(handle->model, options, &handle->session));
  return handle;
}

const char* dtype_of(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "float32";
    case DType::kI8: return "int8";
    default: return "int32";
  }
}

// Token ids from a list or a 1-D integer array: any integer dtype whose values fit int32, nothing else.
std::vector<int32_t> ids_of(const py::handle& object, const char* what) {
  const py::array array = py::module_::import("numpy").attr("asarray")(object);
  const char kind = array.dtype().kind();
  if ((kind != 'i' && kind != 'u') || array.ndim() != 1)
    invalid_argument(std::string(what) + ": expected a 1-D sequence of integer ids, got " +
                     std::string(py::str(array.dtype())) + " of " + std::to_string(array.ndim()) + " dimensions");
  const py::array_t<int64_t> wide = array.attr("astype")("int64");
  std::vector<int32_t> ids(static_cast<size_t>(wide.size()));
  const int64_t* data = wide.data();
  for (size_t i = 0; i < ids.size(); ++i) {
    if (data[i] < INT32_MIN || data[i] > INT32_MAX)
      throw StatusError(StatusCode::kOutOfRange, std::string(what) + ": id " + std::to_string(data[i]) +
                                                     " does not fit int32");
    ids[i] = static_cast<int32_t>(data[i]);
  }
  return ids;
}

// An integer array as int32, refusing values that do not fit.
py::array int32_array(const py::array& array, const std::string& what) {
  const py::array_t<int64_t> wide = array.attr("astype")("int64");
  const int64_t* data = wide.data();
  for (py::ssize_t i = 0; i < wide.size(); ++i)
    if (data[i] < INT32_MIN || data[i] > INT32_MAX)
      throw StatusError(StatusCode::kOutOfRange, "input '" + what + "': value " + std::to_string(data[i]) +
                                                     " does not fit int32");
  return array.attr("astype")("int32");
}

py::array output_array(SessionHandle& h, const std::string& entry, const TensorInfo& t) {
  const std::string name = t.name.substr(t.name.find('/') + 1);
  const void* data = nullptr;
  size_t bytes = 0;
  check(h.session->output(entry, name, &data, &bytes));
  const std::vector<int64_t> shape = h.session->output_shape(entry, name);
  py::array array(py::dtype(dtype_of(t.dtype)), std::vector<py::ssize_t>(shape.begin(), shape.end()));
  std::memcpy(array.mutable_data(), data, bytes);
  return array;
}

// One entry on arrays by input name ("tokens" or "encode/tokens"); every input is required, with its exact dtype
// and shape (the first dimension of a dynamic-rows input may be 1..its rows, the same for all of them).
py::dict run_entry(SessionHandle& h, const std::string& entry_name, const py::dict& arrays) {
  Exclusive exclusive(h);
  const EntryInfo* entry = nullptr;
  for (const EntryInfo& e : h.model->info().entries)
    if (e.name == entry_name) entry = &e;
  if (entry == nullptr) invalid_argument("no entry named '" + entry_name + "'");
  std::vector<std::pair<const TensorInfo*, py::array>> inputs;
  size_t rows = 0;
  for (const TensorInfo& t : entry->inputs) {
    const std::string short_name = t.name.substr(t.name.find('/') + 1);
    py::object given;
    for (const auto& [key, value] : arrays) {
      const std::string k = py::str(key);
      if (k == short_name || k == t.name) given = py::reinterpret_borrow<py::object>(value);
    }
    if (!given) invalid_argument("entry '" + entry_name + "' needs the input '" + short_name + "'");
    py::array array = py::module_::import("numpy").attr("asarray")(given);
    if (t.dtype == DType::kI32 && !array.dtype().is(py::dtype("int32")) &&
        (array.dtype().kind() == 'i' || array.dtype().kind() == 'u'))
      array = int32_array(array, short_name);  // NumPy's default int64, as the CLI narrows its .npy files
    if (!array.dtype().is(py::dtype(dtype_of(t.dtype))))
      invalid_argument("input '" + short_name + "': expected " + dtype_of(t.dtype) + ", got " +
                       std::string(py::str(array.dtype())));
    bool same = array.ndim() == static_cast<py::ssize_t>(t.shape.size());
    for (size_t i = 0; same && i < t.shape.size(); ++i) {
      const int64_t n = array.shape(static_cast<py::ssize_t>(i));
      same = (i == 0 && t.dynamic_rows) ? (n >= 1 && n <= t.shape[0]) : n == t.shape[i];
    }
    if (!same) {
      std::string expected;
      for (size_t i = 0; i < t.shape.size(); ++i)
        expected += (i ? ", " : "") + std::string(i == 0 && t.dynamic_rows ? "1.." : "") + std::to_string(t.shape[i]);
      invalid_argument("input '" + short_name + "': expected shape (" + expected + ")");
    }
    if (t.dynamic_rows) {
      const size_t n = static_cast<size_t>(array.shape(0));
      if (rows != 0 && n != rows) invalid_argument("input '" + short_name + "': row count differs from the others");
      rows = n;
    }
    inputs.emplace_back(&t, py::array(py::module_::import("numpy").attr("ascontiguousarray")(array)));
  }
  for (const auto& [key, value] : arrays) {
    const std::string k = py::str(key);
    bool known = false;
    for (const TensorInfo& t : entry->inputs) known |= k == t.name || k == t.name.substr(t.name.find('/') + 1);
    if (!known) invalid_argument("entry '" + entry_name + "' has no input '" + k + "'");
  }
  for (const auto& [t, array] : inputs) {
    void* data = nullptr;
    size_t bytes = 0;
    check(h.session->input(entry_name, t->name.substr(t->name.find('/') + 1), &data, &bytes));
    std::memcpy(data, array.data(), std::min<size_t>(bytes, static_cast<size_t>(array.nbytes())));
  }
  Status status;
  {
    py::gil_scoped_release release;
    status = h.session->run(entry_name, rows == 0 ? 1 : rows);
  }
  check(status);
  py::dict outputs;
  for (const TensorInfo& t : entry->outputs)
    outputs[py::str(t.name.substr(t.name.find('/') + 1))] = output_array(h, entry_name, t);
  return outputs;
}

void prefill(SessionHandle& h, const py::object& tokens) {
  const std::vector<int32_t> ids = ids_of(tokens, "tokens");
  Exclusive exclusive(h);
  py::gil_scoped_release release;
  check(h.session->prefill(ids.data(), ids.size()));
}

void decode(SessionHandle& h, int64_t token) {
  if (token < INT32_MIN || token > INT32_MAX) throw StatusError(StatusCode::kOutOfRange, "token does not fit int32");
  Exclusive exclusive(h);
  py::gil_scoped_release release;
  check(h.session->decode(static_cast<int32_t>(token)));
}

py::object logits(SessionHandle& h) {
  Exclusive exclusive(h);
  const float* data = h.session->logits();
  if (data == nullptr) return py::none();
  py::array_t<float> array(h.session->vocab_size());
  std::memcpy(array.mutable_data(), data, sizeof(float) * static_cast<size_t>(h.session->vocab_size()));
  return std::move(array);
}

void encode(SessionHandle& h, const py::object& tokens, const py::object& token_types, const py::object& mask) {
  const std::vector<int32_t> ids = ids_of(tokens, "tokens");
  std::vector<int32_t> types, masks;
  if (!token_types.is_none()) types = ids_of(token_types, "token_types");
  if (!mask.is_none()) masks = ids_of(mask, "mask");
  if ((!types.empty() && types.size() != ids.size()) || (!masks.empty() && masks.size() != ids.size()))
    invalid_argument("token_types and mask must have one value per token");
  Exclusive exclusive(h);
  py::gil_scoped_release release;
  check(h.session->encode(ids.data(), types.empty() ? nullptr : types.data(), masks.empty() ? nullptr : masks.data(),
                          ids.size()));
}

py::array encode_output(SessionHandle& h, const std::string& name) {
  Exclusive exclusive(h);
  for (const EntryInfo& e : h.model->info().entries)
    for (const TensorInfo& t : e.outputs)
      if (e.name == schema::names::kEncode && t.name == schema::names::entry_tensor_name(e.name, name))
        return output_array(h, e.name, t);
  invalid_argument("the model's encode entry has no output '" + name + "'");
}

std::vector<int32_t> translate(SessionHandle& h, const py::object& source, int beams, size_t max_tokens) {
  const std::vector<int32_t> ids = ids_of(source, "source");
  Exclusive exclusive(h);
  Session::TranslateOptions options;
  options.beams = beams;
  options.max_tokens = max_tokens;
  std::vector<int32_t> target;
  py::gil_scoped_release release;
  check(h.session->translate(ids.data(), ids.size(), options, &target));
  return target;
}

// Generation over a session (Generator of the C++ API): start(prompt), then next() until it returns None.
struct GeneratorHandle {
  GeneratorHandle(SessionHandle& session, const SamplerOptions& options)
      : session(session), generator(*session.session, *session.model, options) {}
  SessionHandle& session;
  Generator generator;
  std::string stop = "none";
};

void start(GeneratorHandle& g, const py::object& prompt) {
  const std::vector<int32_t> ids = ids_of(prompt, "prompt");
  Exclusive exclusive(g.session);
  py::gil_scoped_release release;
  check(g.generator.start(ids.data(), ids.size()));
}

py::object next_token(GeneratorHandle& g) {
  Exclusive exclusive(g.session);
  int32_t token = -1;
  Generator::Stop stop = Generator::Stop::kNone;
  {
    py::gil_scoped_release release;
    check(g.generator.next(&token, &stop));
  }
  if (stop == Generator::Stop::kNone) return py::int_(token);
  g.stop = stop == Generator::Stop::kEos ? "eos" : "context";
  return py::none();
}

// A multi-turn chat over a session (Chat of the C++ API): add_user(text), then next() until it returns None.
struct ChatHandle {
  ChatHandle(SessionHandle& session, const Chat::Options& options)
      : session(session), chat(*session.session, *session.model, options) {}
  SessionHandle& session;
  Chat chat;
  std::string stop = "none";
};

std::unique_ptr<ChatHandle> create_chat(SessionHandle& session, const std::string& system, float temperature,
                                        int top_k, float top_p, uint64_t seed, size_t reply_room, bool thinking,
                                        const std::string& date) {
  check(session.model->chat_template_status());
  Chat::Options options;
  options.sampling = {temperature, top_k, top_p, seed};
  options.reply_room = reply_room;
  options.layout.thinking = thinking;
  options.layout.date = date;
  auto handle = std::make_unique<ChatHandle>(session, options);
  handle->chat.set_system(system);
  return handle;
}

py::dict add_user(ChatHandle& c, const std::string& text) {
  Exclusive exclusive(c.session);
  Chat::Turn turn;
  {
    py::gil_scoped_release release;
    check(c.chat.add_user(text, &turn));
  }
  c.stop = "none";
  return py::dict(py::arg("prompt_tokens") = turn.prompt_tokens, py::arg("reused_tokens") = turn.reused_tokens,
                  py::arg("dropped_messages") = turn.dropped_messages);
}

py::object next_chat_token(ChatHandle& c) {
  Exclusive exclusive(c.session);
  int32_t token = -1;
  Generator::Stop stop = Generator::Stop::kNone;
  {
    py::gil_scoped_release release;
    check(c.chat.next(&token, &stop));
  }
  if (stop == Generator::Stop::kNone) return py::int_(token);
  c.stop = stop == Generator::Stop::kEos ? "eos" : "context";
  return py::none();
}

py::list chat_history(const ChatHandle& c) {
  static const char* const kRoles[] = {"system", "user", "assistant"};
  py::list out;
  for (const ChatMessage& m : c.chat.messages())
    out.append(py::dict(py::arg("role") = kRoles[static_cast<int>(m.role)],
                        py::arg("content") = py::bytes(m.text).attr("decode")("utf-8", "replace")));
  return out;
}

}  // namespace

void bind_session(py::module_& m) {
  py::class_<SessionHandle>(m, "Session")
      .def(py::init(&create_session), py::arg("model"), py::arg("threads") = 1, py::arg("max_arena_bytes") = 0)
      .def("prefill", &prefill, py::arg("tokens"))
      .def("decode", &decode, py::arg("token"))
      .def_property_readonly("logits", &logits)
      .def("encode", &encode, py::arg("tokens"), py::arg("token_types") = py::none(), py::arg("mask") = py::none())
      .def("encode_output", &encode_output, py::arg("name"))
      .def("run", &run_entry, py::arg("entry"), py::arg("arrays"))
      .def("translate", &translate, py::arg("source"), py::arg("beams") = 1, py::arg("max_tokens") = 0)
      .def("reset", [](SessionHandle& h) { Exclusive exclusive(h); h.session->reset(); })
      .def_property_readonly("position", [](SessionHandle& h) { return h.session->position(); })
      .def_property_readonly("max_context", [](SessionHandle& h) { return h.session->max_context(); })
      .def_property_readonly("vocab_size", [](SessionHandle& h) { return h.session->vocab_size(); });
  py::class_<GeneratorHandle>(m, "Generator")
      .def(py::init([](SessionHandle& session, float temperature, int top_k, float top_p, uint64_t seed) {
             return std::make_unique<GeneratorHandle>(session, SamplerOptions{temperature, top_k, top_p, seed});
           }),
           py::arg("session"), py::arg("temperature") = 0.0f, py::arg("top_k") = 0, py::arg("top_p") = 1.0f,
           py::arg("seed") = 0, py::keep_alive<1, 2>())
      .def("start", &start, py::arg("prompt"))
      .def("next", &next_token)
      .def_property_readonly("previous", [](const GeneratorHandle& g) { return g.generator.previous(); })
      .def_property_readonly("stop", [](const GeneratorHandle& g) { return g.stop; });
  py::class_<ChatHandle>(m, "Chat")
      .def(py::init(&create_chat), py::arg("session"), py::arg("system"), py::arg("temperature"), py::arg("top_k"),
           py::arg("top_p"), py::arg("seed"), py::arg("reply_room"), py::arg("thinking"), py::arg("date"),
           py::keep_alive<1, 2>())
      .def("add_user", &add_user, py::arg("text"))
      .def("next", &next_chat_token)
      .def("end_reply", [](ChatHandle& c) { c.chat.end_reply(); })
      .def(
          "set_history",
          [](ChatHandle& c, const py::object& messages) { c.chat.set_history(chat_messages(messages)); },
          py::arg("messages"))
      .def_property_readonly("messages", &chat_history)
      .def_property_readonly("previous", [](const ChatHandle& c) { return c.chat.previous(); })
      .def_property_readonly("stop", [](const ChatHandle& c) { return c.stop; });
}

}  // namespace edgeformer::python
