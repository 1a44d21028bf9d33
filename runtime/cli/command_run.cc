#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "commands.h"
#include "npy.h"

namespace edgeformer::cli {

namespace {

const char* npy_dtype(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "<f4";
    case DType::kI8: return "|i1";
    case DType::kI32: return "<i4";
  }
  return "";
}

std::string base_name(const std::string& tensor_name) {
  const size_t slash = tensor_name.find('/');
  return slash == std::string::npos ? tensor_name : tensor_name.substr(slash + 1);
}

// Checks an array against an entry input. An array with one more leading dimension is a batch of items, each
// checked as the input; *batch gets that dimension (0: not a batch) and *rows the rows an item carries (its first
// dimension when dynamic).
std::string match_input(const TensorInfo& t, NpyArray& array, int64_t* batch, size_t* rows) {
  if (array.dtype == "<i8" && t.dtype == DType::kI32) {  // NumPy's default integer: narrow it
    std::vector<uint8_t> narrowed(array.data.size() / 2);
    for (size_t i = 0; i < narrowed.size() / 4; ++i) {
      int64_t wide;
      std::memcpy(&wide, array.data.data() + 8 * i, 8);
      if (wide < INT32_MIN || wide > INT32_MAX) return t.name + ": value " + std::to_string(wide) + " exceeds i32";
      const int32_t narrow = static_cast<int32_t>(wide);
      std::memcpy(narrowed.data() + 4 * i, &narrow, 4);
    }
    array.data.swap(narrowed);
    array.dtype = "<i4";
  }
  if (array.dtype != npy_dtype(t.dtype))
    return t.name + ": expected dtype " + npy_dtype(t.dtype) + ", the file has " + array.dtype;
  const bool batched = array.shape.size() == t.shape.size() + 1 && array.shape[0] >= 1;
  const size_t first = batched ? 1 : 0;
  bool same = array.shape.size() == t.shape.size() + first;
  for (size_t i = 0; same && i < t.shape.size(); ++i) {
    const int64_t n = array.shape[i + first];
    same = (i == 0 && t.dynamic_rows) ? (n >= 1 && n <= t.shape[0]) : n == t.shape[i];
  }
  if (!same) {
    std::string expected;
    for (size_t i = 0; i < t.shape.size(); ++i)
      expected += (i ? ", " : "") + std::string(i == 0 && t.dynamic_rows ? "1.." : "") + std::to_string(t.shape[i]);
    return t.name + ": expected shape (" + expected + "), or (batch, " + expected + ")";
  }
  *batch = batched ? array.shape[0] : 0;
  if (t.dynamic_rows) *rows = static_cast<size_t>(array.shape[first]);
  return "";
}

}  // namespace

int command_run(int argc, char** argv) {
  Arguments args(argc, argv, {});
  const long threads = args.get_int("--threads", 1, 1, 256);
  if (!args.ok()) return fail(args.error());
  if (args.positionals().size() != 1) return fail("run: expected one model path");
  if (!args.has("--out")) return fail("run: --out DIR is required");
  std::shared_ptr<const Model> model;
  std::unique_ptr<Session> session;
  double load_ms = 0;
  if (Status s = open_session(args.positionals()[0], threads, &model, &session, &load_ms); !s.ok())
    return fail(s.message());
  // Entries run in the order given, in one session: an encoder-decoder's `encode` leaves the source for `prefill`.
  const ModelInfo& info = model->info();
  std::vector<std::string> names = args.get_all("--entry");
  if (names.empty()) names.push_back(info.entries.front().name);
  struct EntryRun {
    const EntryInfo* entry = nullptr;
    std::vector<NpyArray> arrays, results;
    size_t rows = 0;
  };
  std::vector<EntryRun> runs(names.size());
  for (size_t e = 0; e < names.size(); ++e) {
    for (const EntryInfo& candidate : info.entries)
      if (candidate.name == names[e]) runs[e].entry = &candidate;
    if (runs[e].entry == nullptr) return fail("no entry named '" + names[e] + "'");
  }
  // With one entry an input is NAME or ENTRY/NAME; with several, ENTRY/NAME.
  const bool single = runs.size() == 1;
  const auto matches = [&](const std::string& key, const TensorInfo& t) {
    return key == t.name || (single && key == base_name(t.name));
  };

  std::vector<std::pair<std::string, std::string>> given;
  for (const std::string& input : args.get_all("--input")) {
    const size_t eq = input.find('=');
    if (eq == std::string::npos) return fail("--input: expected NAME=FILE.npy, got '" + input + "'");
    given.emplace_back(input.substr(0, eq), input.substr(eq + 1));
  }
  // Every input read and checked before anything runs; an entry's inputs agree on the rows, all on the batch.
  int64_t batch = -1;
  for (EntryRun& run : runs) {
    const EntryInfo& entry = *run.entry;
    run.arrays.resize(entry.inputs.size());
    for (size_t i = 0; i < entry.inputs.size(); ++i) {
      const TensorInfo& t = entry.inputs[i];
      const std::string* path = nullptr;
      for (const auto& [key, file] : given)
        if (matches(key, t)) path = &file;
      if (path == nullptr)
        return fail("entry '" + entry.name + "' needs --input " + (single ? base_name(t.name) : t.name) + "=FILE.npy");
      if (std::string error = read_npy(*path, &run.arrays[i]); !error.empty()) return fail(error);
      size_t input_rows = run.rows;
      int64_t input_batch = 0;
      if (std::string error = match_input(t, run.arrays[i], &input_batch, &input_rows); !error.empty())
        return fail(error);
      if (run.rows != 0 && input_rows != run.rows) return fail(t.name + ": row count differs from the other inputs");
      if (batch >= 0 && input_batch != batch) return fail(t.name + ": batch size differs from the other inputs");
      run.rows = input_rows;
      batch = input_batch;
    }
  }
  for (const auto& [key, file] : given) {
    bool known = false;
    for (const EntryRun& run : runs)
      for (const TensorInfo& t : run.entry->inputs) known |= matches(key, t);
    if (!known) return fail("no entry given takes the input '" + key + "'");
  }

  // One pass over the entries per batch item; each output gathers the items' results behind a batch dimension.
  const size_t items = batch > 0 ? static_cast<size_t>(batch) : 1;
  for (size_t item = 0; item < items; ++item) {
    for (EntryRun& run : runs) {
      const EntryInfo& entry = *run.entry;
      for (size_t i = 0; i < entry.inputs.size(); ++i) {
        void* data = nullptr;
        size_t bytes = 0;
        if (Status s = session->input(entry.name, entry.inputs[i].name, &data, &bytes); !s.ok()) return fail(s.message());
        const size_t item_bytes = run.arrays[i].data.size() / items;
        std::memcpy(data, run.arrays[i].data.data() + item * item_bytes, std::min(bytes, item_bytes));
      }
      if (Status s = session->run(entry.name, run.rows == 0 ? 1 : run.rows); !s.ok())
        return fail(batch > 0 ? "batch item " + std::to_string(item) + ": " + s.message() : s.message());
      run.results.resize(entry.outputs.size());
      for (size_t o = 0; o < entry.outputs.size(); ++o) {
        const TensorInfo& t = entry.outputs[o];
        const void* data = nullptr;
        size_t bytes = 0;
        if (Status s = session->output(entry.name, t.name, &data, &bytes); !s.ok()) return fail(s.message());
        NpyArray& result = run.results[o];
        if (item == 0) {
          result.dtype = npy_dtype(t.dtype);
          result.shape = session->output_shape(entry.name, t.name);
          if (batch > 0) result.shape.insert(result.shape.begin(), batch);
        }
        const auto* bytes_begin = static_cast<const uint8_t*>(data);
        result.data.insert(result.data.end(), bytes_begin, bytes_begin + bytes);
      }
    }
  }

  // DIR/NAME.npy for one entry; DIR/ENTRY.NAME.npy for several.
  const std::string out_dir = args.get("--out");
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return fail(out_dir + ": " + ec.message());
  for (const EntryRun& run : runs)
    for (size_t o = 0; o < run.entry->outputs.size(); ++o) {
      const std::string name = base_name(run.entry->outputs[o].name);
      const std::string file = single ? name + ".npy" : run.entry->name + "." + name + ".npy";
      const std::string path = (std::filesystem::path(out_dir) / file).string();
      if (std::string error = write_npy(path, run.results[o]); !error.empty()) return fail(error);
      std::printf("wrote %s\n", path.c_str());
    }
  return 0;
}

}  // namespace edgeformer::cli
