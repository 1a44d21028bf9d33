#include "graph/graph_options.h"

#include "convert_error.h"

namespace edgeformer::converter {

const char* weight_format_name(WeightFormat format) {
  switch (format) {
    case WeightFormat::kInt8: return "int8";
    case WeightFormat::kInt4: return "int4";
    default: return "f32";
  }
}

WeightFormat weight_format_named(const std::string& name, const std::string& what) {
  if (name == "f32") return WeightFormat::kF32;
  if (name == "int8") return WeightFormat::kInt8;
  if (name == "int4") return WeightFormat::kInt4;
  throw ConvertError(what + ": expected f32, int8 or int4, found '" + name + "'");
}

KvCacheFormat kv_cache_format_named(const std::string& name, const std::string& what) {
  if (name == "f32") return KvCacheFormat::kF32;
  if (name == "f16") return KvCacheFormat::kF16;
  if (name == "int8") return KvCacheFormat::kInt8;
  throw ConvertError(what + ": expected f32, f16 or int8, found '" + name + "'");
}

}  // namespace edgeformer::converter
