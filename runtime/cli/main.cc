// edgeformer: the device-side command line (inspect, generate, chat, embed, classify, translate, attention, run,
// bench).
#include <sys/resource.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "commands.h"

namespace edgeformer::cli {

Arguments::Arguments(int argc, char** argv, const std::vector<std::string>& boolean_flags) {
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.size() > 1 && arg[0] == '-' && !(arg.size() > 1 && (std::isdigit(static_cast<unsigned char>(arg[1]))))) {
      bool boolean = false;
      for (const std::string& b : boolean_flags) boolean |= b == arg;
      if (boolean) {
        flags_.emplace_back(arg, "");
      } else if (i + 1 < argc) {
        flags_.emplace_back(arg, argv[++i]);
      } else {
        error_ = arg + ": missing value";
      }
    } else {
      positionals_.push_back(arg);
    }
  }
}

bool Arguments::has(const std::string& flag) const {
  for (const auto& [name, value] : flags_)
    if (name == flag) return true;
  return false;
}

std::string Arguments::get(const std::string& flag, const std::string& fallback) const {
  std::string result = fallback;
  for (const auto& [name, value] : flags_)
    if (name == flag) result = value;
  return result;
}

std::vector<std::string> Arguments::get_all(const std::string& flag) const {
  std::vector<std::string> values;
  for (const auto& [name, value] : flags_)
    if (name == flag) values.push_back(value);
  return values;
}

long Arguments::get_int(const std::string& flag, long fallback, long min, long max) {
  if (!has(flag)) return fallback;
  const std::string text = get(flag);
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || value < min || value > max) {
    error_ = flag + ": expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "], got '" +
             text + "'";
    return fallback;
  }
  return value;
}

double Arguments::get_double(const std::string& flag, double fallback, double min, double max) {
  if (!has(flag)) return fallback;
  const std::string text = get(flag);
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(value >= min && value <= max)) {
    error_ = flag + ": expected a number in [" + std::to_string(min) + ", " + std::to_string(max) + "], got '" +
             text + "'";
    return fallback;
  }
  return value;
}

bool parse_ids(const std::string& text, std::vector<int32_t>* ids) {
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    char* end = nullptr;
    const long id = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || id < 0 || id > INT32_MAX) return false;
    ids->push_back(static_cast<int32_t>(id));
  }
  return !ids->empty();
}


int fail(const std::string& message) {
  std::fprintf(stderr, "edgeformer: error: %s\n", message.c_str());
  return 1;
}

Status open_model(const std::string& path, std::shared_ptr<const Model>* model, double* load_ms) {
  const auto start = std::chrono::steady_clock::now();
  Status s = Model::open_file(path, model);
  *load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return s;
}

Status open_session(const std::string& path, long threads, std::shared_ptr<const Model>* model,
                    std::unique_ptr<Session>* session, double* load_ms) {
  if (Status s = open_model(path, model, load_ms); !s.ok()) return s;
  SessionOptions options;
  options.threads = static_cast<int>(threads);
  return Session::create(*model, options, session);
}

// VmHWM belongs to this program's address space; getrusage's ru_maxrss also keeps the peak of whatever process
// exec'd it (a Python harness, a shell), so it is only the fallback.
SamplerOptions sampler_options(Arguments& args) {
  SamplerOptions options;
  options.temperature = static_cast<float>(args.get_double("--temperature", 0.0, 0.0, 100.0));
  options.top_k = static_cast<int>(args.get_int("--top-k", 0, 0, 1 << 24));
  options.top_p = static_cast<float>(args.get_double("--top-p", 1.0, 1e-6, 1.0));
  options.seed = static_cast<uint64_t>(args.get_int("--seed", 0, 0, LONG_MAX));
  return options;
}

uint64_t peak_rss_bytes() {
  if (FILE* status = std::fopen("/proc/self/status", "r")) {
    char line[256];
    unsigned long long kib = 0;
    bool found = false;
    while (!found && std::fgets(line, sizeof line, status)) found = std::sscanf(line, "VmHWM: %llu kB", &kib) == 1;
    std::fclose(status);
    if (found) return kib * 1024;
  }
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<uint64_t>(usage.ru_maxrss) * 1024;
}

}  // namespace edgeformer::cli

namespace {

constexpr const char* kUsage =
    "usage: edgeformer COMMAND MODEL.eft [options]\n"
    "  inspect  MODEL.eft [--json] [--check]\n"
    "  generate MODEL.eft [--prompt TEXT | --prompt-ids 1,2,3] [-n N] [--temperature T] [--top-k K]\n"
    "           [--top-p P] [--seed S] [--threads N] [--json] [--chat [--system TEXT]]\n"
    "  chat     MODEL.eft [--system TEXT] [--messages CONV.json] [-n N] [--temperature T] [--top-k K] [--top-p P]\n"
    "           [--seed S] [--threads N] [--no-think] [--date TEXT] [--reply-room N] [--json]\n"
    "           (a message per line on stdin, the KV cache kept across turns; --messages: reply to the file's\n"
    "           conversation, an OpenAI/Hugging Face messages list)\n"
    "  embed    MODEL.eft TEXT [TEXT ...] [--threads N] [--json]   (sentence embeddings, cosine similarities)\n"
    "  classify MODEL.eft TEXT [TEXT ...] [--threads N] [--json]   (label probabilities)\n"
    "  translate MODEL.eft TEXT | --source-ids 5,6,0 [--beam N] [-n N] [--threads N] [--json]\n"
    "  attention MODEL.eft TEXT | --ids 5,6,7 [--layer L] [--head H] [--kind encoder|decoder|cross] [-n N]\n"
    "           [--beam N] [--json] [--html OUT.html] [--png OUT.png] [--threads N]\n"
    "           (which tokens each head attends to)\n"
    "  run      MODEL.eft [--entry NAME ...] --input [ENTRY/]NAME=FILE.npy ... --out DIR [--threads N]\n"
    "           (entries run in order in one session; an input with one more leading dimension than the\n"
    "           entry's is a batch: one run per item)\n"
    "  bench    MODEL.eft [--prompt-len N] [--gen N] [--threads N] [--reps N] [--profile] [--json]\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace edgeformer::cli;
  if (argc < 2 || std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "--help") == 0) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  try {
    if (command == "inspect") return command_inspect(argc - 2, argv + 2);
    if (command == "generate") return command_generate(argc - 2, argv + 2);
    if (command == "chat") return command_chat(argc - 2, argv + 2);
    if (command == "embed") return command_embed(argc - 2, argv + 2);
    if (command == "classify") return command_classify(argc - 2, argv + 2);
    if (command == "translate") return command_translate(argc - 2, argv + 2);
    if (command == "attention") return command_attention(argc - 2, argv + 2);
    if (command == "run") return command_run(argc - 2, argv + 2);
    if (command == "bench") return command_bench(argc - 2, argv + 2);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  std::fprintf(stderr, "edgeformer: unknown command '%s'\n%s", command.c_str(), kUsage);
  return 2;
}
