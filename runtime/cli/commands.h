#pragma once
// The subcommands of the `edgeformer` CLI. Each returns the process exit code.
#include <string>
#include <vector>

#include "edgeformer/edgeformer.hpp"

namespace edgeformer::cli {

// Arguments after the subcommand: flags with values, boolean flags, and positionals.
class Arguments {
 public:
  Arguments(int argc, char** argv, const std::vector<std::string>& boolean_flags);
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const std::vector<std::string>& positionals() const { return positionals_; }
  bool has(const std::string& flag) const;
  std::string get(const std::string& flag, const std::string& fallback = "") const;
  std::vector<std::string> get_all(const std::string& flag) const;
  // Parses a numeric flag; on a malformed value sets error() and returns the fallback.
  long get_int(const std::string& flag, long fallback, long min, long max);
  double get_double(const std::string& flag, double fallback, double min, double max);

 private:
  std::vector<std::pair<std::string, std::string>> flags_;
  std::vector<std::string> positionals_;
  std::string error_;
};

int fail(const std::string& message);
// --temperature, --top-k, --top-p and --seed (generate, chat); a malformed value sets args.error().
SamplerOptions sampler_options(Arguments& args);
// Comma-separated token ids ("1,2,3"), each in [0, INT32_MAX]; false if malformed or empty.
bool parse_ids(const std::string& text, std::vector<int32_t>* ids);
Status open_model(const std::string& path, std::shared_ptr<const Model>* model, double* load_ms);
// open_model, then a session with `threads` threads on it.
Status open_session(const std::string& path, long threads, std::shared_ptr<const Model>* model,
                    std::unique_ptr<Session>* session, double* load_ms);
uint64_t peak_rss_bytes();

int command_inspect(int argc, char** argv);
int command_generate(int argc, char** argv);
int command_chat(int argc, char** argv);
int command_run(int argc, char** argv);
int command_bench(int argc, char** argv);
int command_embed(int argc, char** argv);
int command_classify(int argc, char** argv);
int command_translate(int argc, char** argv);
int command_attention(int argc, char** argv);

}  // namespace edgeformer::cli
