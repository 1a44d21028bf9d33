#include "tokenizers/stop_ids.h"

#include <algorithm>
#include <filesystem>

#include "convert_error.h"
#include "io/json_file.h"

namespace edgeformer::converter {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class StopSet {
 public:
  explicit StopSet(int vocab_size) : vocab_size_(vocab_size) {}

  void add(int32_t id, const std::string& from) {
    if (id < 0 || id >= vocab_size_)
      throw ConvertError(from + ": stop id " + std::to_string(id) + " is outside the vocabulary [0, " +
                         std::to_string(vocab_size_) + ")");
    if (std::find(ids_.begin(), ids_.end(), id) == ids_.end()) ids_.push_back(id);
  }

  // eos_token_id as generation_config.json and config.json write it: an int, a list of ints, or null.
  void add_json(const json& value, const std::string& path) {
    const std::string from = path + ": eos_token_id";
    if (value.is_number_integer()) return add(value.get<int32_t>(), from);
    if (value.is_null()) return;
    const auto all_ints = [](const json& list) {
      return std::all_of(list.begin(), list.end(), [](const json& id) { return id.is_number_integer(); });
    };
    if (!value.is_array() || !all_ints(value))
      throw ConvertError(from + " must be an int or a list of ints, found " + value.dump());
    for (const json& id : value) add(id.get<int32_t>(), from);
  }

  std::vector<int32_t> ids() const { return ids_; }

 private:
  int vocab_size_;
  std::vector<int32_t> ids_;
};

json json_beside(const std::string& folder, const char* name) {
  const fs::path path = fs::path(folder) / name;
  return fs::exists(path) ? read_json(path.string()) : json::object();
}

}  // namespace

std::vector<int32_t> read_stop_ids(const std::string& folder, const TokenizerData& tok, int vocab_size) {
  StopSet stops(vocab_size);
  if (tok.eos_id >= 0) stops.add(tok.eos_id, folder + ": the EOS id");
  for (const char* name : {"generation_config.json", "config.json"}) {
    const json file = json_beside(folder, name);
    if (file.is_object() && file.contains("eos_token_id"))
      stops.add_json(file["eos_token_id"], (fs::path(folder) / name).string());
  }
  // Chat models often name their end of turn only here (SmolLM2-Instruct: <|im_end|>).
  const json config = json_beside(folder, "tokenizer_config.json");
  const json& eos = config.is_object() ? config.value("eos_token", json()) : json();
  const json& text = eos.is_object() ? eos.value("content", json()) : eos;
  const std::string content = text.is_string() ? text.get<std::string>() : std::string();
  if (!content.empty()) {
    const auto piece = std::find(tok.pieces.begin(), tok.pieces.end(), content);
    if (piece != tok.pieces.end())
      stops.add(static_cast<int32_t>(piece - tok.pieces.begin()), folder + "/tokenizer_config.json: eos_token");
  }
  return stops.ids();
}

}  // namespace edgeformer::converter
