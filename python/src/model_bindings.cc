// Model: an opened .eft file, shared by its sessions; tokenizer and description.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>

#include "bindings.h"
#include "edgeformer/schema/entry_names.h"
#include "model_handle.h"
#include "model_json.h"
#include "status_error.h"

namespace py = pybind11;

namespace edgeformer::python {

const std::shared_ptr<const Model>& ModelHandle::get() const {
  if (model == nullptr) invalid_argument("the model is closed");
  return model;
}

namespace {

ModelHandle open_model(const std::string& path) {
  ModelHandle handle;
  const auto start = std::chrono::steady_clock::now();
  Status status;
  {
    py::gil_scoped_release release;
    status = Model::open_file(path, &handle.model);
  }
  check(status);
  handle.load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return handle;
}

std::vector<int32_t> tokenize(const ModelHandle& handle, const std::string& text, bool add_bos) {
  std::vector<int32_t> ids;
  check(handle.get()->tokenize(text, add_bos, &ids));
  return ids;
}

// Bytes, not str: a byte-level BPE piece may end inside a UTF-8 character that the next piece completes.
py::bytes detokenize(const ModelHandle& handle, int32_t previous, const std::vector<int32_t>& ids) {
  std::string text;
  for (int32_t id : ids) {
    std::string piece;
    check(handle.get()->detokenize(previous, id, &piece));
    text += piece;
    previous = id;
  }
  return py::bytes(text);
}

py::bytes translation_text(const ModelHandle& handle, const std::vector<int32_t>& target) {
  std::string text;
  check(handle.get()->translation_text(target, &text));
  return py::bytes(text);
}

// The `encode` entry's longest sequence when it has output `name`, else 0.
int encoder_max_tokens(const ModelHandle& handle, const std::string& name) {
  for (const EntryInfo& entry : handle.get()->info().entries) {
    if (entry.name != schema::names::kEncode) continue;
    for (const TensorInfo& t : entry.outputs)
      if (t.name == schema::names::entry_tensor_name(schema::names::kEncode, name)) return entry.max_rows;
  }
  return 0;
}

std::string info_json(const ModelHandle& handle, bool check_weights) {
  const Model& model = *handle.get();
  if (!check_weights) return cli::model_info_json(model, handle.load_ms, nullptr);
  std::vector<WeightIssue> issues;
  {
    py::gil_scoped_release release;
    issues = model.check_weights();
  }
  return cli::model_info_json(model, handle.load_ms, &issues);
}

}  // namespace

std::vector<ChatMessage> chat_messages(const py::object& messages) {
  std::vector<ChatMessage> out;
  for (const py::handle& item : messages) {
    if (!py::isinstance<py::dict>(item)) invalid_argument("a message is a dict {\"role\": ..., \"content\": ...}");
    const py::dict message = py::reinterpret_borrow<py::dict>(item);
    if (!message.contains("role") || !message.contains("content") || !py::isinstance<py::str>(message["role"]) ||
        !py::isinstance<py::str>(message["content"]))
      invalid_argument("a message is a dict with a str \"role\" and a str \"content\"");
    const std::string role = message["role"].cast<std::string>();
    const ChatRole chat_role = role == "system"      ? ChatRole::kSystem
                               : role == "user"      ? ChatRole::kUser
                               : role == "assistant" ? ChatRole::kAssistant
                                                     : static_cast<ChatRole>(-1);
    if (static_cast<int>(chat_role) < 0) invalid_argument("role \"" + role + "\" is not system, user or assistant");
    out.push_back({chat_role, message["content"].cast<std::string>()});
  }
  return out;
}

namespace {

ChatOptions chat_options(bool add_generation_prompt, bool thinking, const std::string& date) {
  ChatOptions options;
  options.generation_prompt = add_generation_prompt;
  options.thinking = thinking;
  options.date = date;
  return options;
}

std::vector<int32_t> format_chat(const ModelHandle& handle, const py::object& messages, bool add_generation_prompt,
                                 bool thinking, const std::string& date) {
  std::vector<int32_t> ids;
  const ChatOptions options = chat_options(add_generation_prompt, thinking, date);
  check(handle.get()->tokenize_chat(chat_messages(messages), options, &ids));
  return ids;
}

std::string format_chat_text(const ModelHandle& handle, const py::object& messages, bool add_generation_prompt,
                             bool thinking, const std::string& date) {
  std::string text;
  check(handle.get()->format_chat(chat_messages(messages), chat_options(add_generation_prompt, thinking, date), &text));
  return text;
}

std::string chat_template_status(const ModelHandle& handle) {
  const Status s = handle.get()->chat_template_status();
  return s.ok() ? std::string() : s.message();
}

}  // namespace

void bind_model(py::module_& m) {
  py::class_<ModelHandle>(m, "Model")
      .def(py::init(&open_model), py::arg("path"))
      .def("close", [](ModelHandle& h) { h.model.reset(); })
      .def_property_readonly("closed", [](const ModelHandle& h) { return h.model == nullptr; })
      .def("info_json", &info_json, py::arg("check_weights") = false)
      .def("tokenize", &tokenize, py::arg("text"), py::arg("add_bos") = true)
      .def("detokenize", &detokenize, py::arg("previous"), py::arg("ids"))
      .def("translation_text", &translation_text, py::arg("target"))
      .def("encoder_max_tokens", &encoder_max_tokens, py::arg("output"))
      .def("format_chat", &format_chat, py::arg("messages"), py::arg("add_generation_prompt"), py::arg("thinking"),
           py::arg("date"))
      .def("format_chat_text", &format_chat_text, py::arg("messages"), py::arg("add_generation_prompt"),
           py::arg("thinking"), py::arg("date"))
      .def_property_readonly("chat_template_status", &chat_template_status)
      .def_property_readonly("has_tokenizer", [](const ModelHandle& h) { return h.get()->has_tokenizer(); })
      .def_property_readonly("bos_id", [](const ModelHandle& h) { return h.get()->bos_id(); })
      .def_property_readonly("eos_id", [](const ModelHandle& h) { return h.get()->eos_id(); })
      .def_property_readonly("stop_ids", [](const ModelHandle& h) { return h.get()->stop_ids(); })
      .def_property_readonly("vocab_size", [](const ModelHandle& h) { return h.get()->info().vocab_size; })
      .def_property_readonly("max_context", [](const ModelHandle& h) { return h.get()->info().max_context; })
      .def_property_readonly("labels", [](const ModelHandle& h) { return h.get()->info().labels; })
      .def_property_readonly("multi_label", [](const ModelHandle& h) { return h.get()->info().multi_label; })
      .def_property_readonly("arena_bytes", [](const ModelHandle& h) { return h.get()->required_arena_bytes(); });
  m.def("class_probabilities", [](const std::vector<float>& logits, bool multi_label) {
    return class_probabilities(logits.data(), logits.size(), multi_label);
  });
  m.def("truncate_keeping_last", [](std::vector<int32_t> ids, size_t max_tokens) {
    const bool cut = truncate_keeping_last(&ids, max_tokens);
    return py::make_tuple(ids, cut);
  });
}

}  // namespace edgeformer::python
