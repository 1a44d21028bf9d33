#pragma once
// What the user chooses at conversion, for every model family.
#include <string>

namespace edgeformer::converter {

enum class WeightFormat { kF32, kInt8, kInt4 };
// "f32", "int8" or "int4", as the .eft metadata names it.
const char* weight_format_name(WeightFormat format);
// What the KV cache holds: f32, f16, or int8 with a scale per position and KV head.
enum class KvCacheFormat { kF32, kF16, kInt8 };
// The formats by their names ("f32", "int8", "int4"; "f32", "f16", "int8"); ConvertError naming `what` otherwise.
WeightFormat weight_format_named(const std::string& name, const std::string& what);
KvCacheFormat kv_cache_format_named(const std::string& name, const std::string& what);

struct GraphOptions {
  WeightFormat weights = WeightFormat::kF32;
  int max_context = 0;  // KV-cache positions (decoders), longest sequence (encoders); 0 = the model's own
  int prefill_rows = 512;  // tokens one prefill call takes at most (capped by max_context)
  KvCacheFormat kv_cache = KvCacheFormat::kF32;
};

}  // namespace edgeformer::converter
