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
