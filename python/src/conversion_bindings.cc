// convert(): one conversion as edgeformer-convert runs it (converter/src/conversion.h), with its summary as a dict.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings.h"
#include "conversion.h"
#include "convert_error.h"

namespace py = pybind11;

namespace edgeformer::python {

namespace {

py::dict convert(const std::string& input, const std::string& output, const std::string& quant,
                 const std::string& kv, int max_seq, int prefill_chunk, const std::string& tokenizer,
                 const std::string& synthetic, const std::string& chat_template) {
  converter::ConversionRequest request;
  request.input = input;
  request.output = output;
  request.tokenizer = tokenizer;
  request.synthetic = synthetic;
  request.chat_template = chat_template;
  request.options.weights = converter::weight_format_named(quant, "quant");
  request.options.kv_cache = converter::kv_cache_format_named(kv, "kv");
  if (max_seq < 0 || prefill_chunk < 0 || max_seq > (1 << 24) || prefill_chunk > (1 << 24))
    throw converter::ConvertError("max_seq and prefill_chunk: expected positive integers");
  if (max_seq > 0) request.options.max_context = max_seq;
  if (prefill_chunk > 0) request.options.prefill_rows = prefill_chunk;
  if (output.empty()) throw converter::ConvertError("output: the .eft path is empty");
  if (input.empty() == synthetic.empty()) throw converter::ConvertError("give a checkpoint or a synthetic spec");
  std::vector<std::string> notes;
  converter::ConversionSummary summary;
  {
    py::gil_scoped_release release;
    summary = converter::convert_model(request, [&](const std::string& note) { notes.push_back(note); });
  }
  py::list entries;
  for (const auto& entry : summary.entries)
    entries.append(py::dict(py::arg("name") = entry.name, py::arg("operators") = entry.operators,
                            py::arg("max_rows") = entry.max_rows));
  py::dict ops;
  for (const auto& [name, count] : summary.op_counts) ops[py::str(name)] = count;
  return py::dict(py::arg("output") = summary.output, py::arg("file_bytes") = summary.file_bytes,
                  py::arg("architecture") = summary.architecture, py::arg("quantization") = summary.quantization,
                  py::arg("entries") = entries, py::arg("operators") = summary.operators, py::arg("ops") = ops,
                  py::arg("params") = summary.params, py::arg("weight_bytes") = summary.weight_bytes,
                  py::arg("arena_bytes") = summary.arena_bytes, py::arg("kv_cache_bytes") = summary.state_bytes,
                  py::arg("max_context") = summary.max_context, py::arg("tokenizer") = summary.tokenizer,
                  py::arg("chat_template") = summary.chat_template, py::arg("notes") = notes);
}

}  // namespace

void bind_conversion(py::module_& m) {
  m.def("convert", &convert, py::arg("input"), py::arg("output"), py::arg("quant"), py::arg("kv"), py::arg("max_seq"),
        py::arg("prefill_chunk"), py::arg("tokenizer"), py::arg("synthetic"), py::arg("chat_template"));
}

}  // namespace edgeformer::python
