#include "families/llama/hf_rope_scaling.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "edgeformer/kernels/attention.h"
#include "io/json_file.h"

namespace edgeformer::converter {

using nlohmann::json;

namespace {

constexpr double kPi = 3.14159265358979323846;

// theta's frequencies as the runtime computes them unscaled (float operations), widened for the scaling maths.
std::vector<double> theta_frequencies(float theta, int rotary_dim) {
  std::vector<float> f(size_t(rotary_dim) / 2);
  kernels::rope_inverse_frequencies(theta, size_t(rotary_dim), f.data());
  return std::vector<double>(f.begin(), f.end());
}

std::vector<float> rounded(const std::vector<double>& values) { return std::vector<float>(values.begin(), values.end()); }

// One rope_scaling object with the errors naming its file and key.
class ScalingKeys {
 public:
  ScalingKeys(const json& scaling, const std::string& path, std::string type)
      : scaling_(scaling), path_(path), type_(std::move(type)) {}

  bool has(const char* key) const { return scaling_.contains(key) && !scaling_[key].is_null(); }
  double number(const char* key) const {
    if (!has(key)) throw ConvertError(where(key) + " is missing");
    if (!scaling_[key].is_number()) throw ConvertError(where(key) + " must be a number: " + scaling_[key].dump());
    const double v = scaling_[key].get<double>();
    if (!std::isfinite(v)) throw ConvertError(where(key) + " must be finite");
    return v;
  }
  double number_or(const char* key, double fallback) const { return has(key) ? number(key) : fallback; }
  bool boolean_or(const char* key, bool fallback) const {
    if (!has(key)) return fallback;
    if (!scaling_[key].is_boolean()) throw ConvertError(where(key) + " must be true or false");
    return scaling_[key].get<bool>();
  }
  // A factor that scales a context: at least 1 (what Hugging Face's validation requires).
  double factor(const char* key) const {
    const double f = number(key);
    if (!(f >= 1.0)) throw ConvertError(where(key) + " must be at least 1, found " + std::to_string(f));
    return f;
  }
  std::vector<double> list(const char* key, size_t size) const {
    if (!has(key) || !scaling_[key].is_array() || scaling_[key].size() != size)
      throw ConvertError(where(key) + " must be a list of " + std::to_string(size) + " numbers (rotary dim / 2)");
    std::vector<double> values;
    for (const json& v : scaling_[key]) {
      if (!v.is_number() || !(v.get<double>() > 0.0) || !std::isfinite(v.get<double>()))
        throw ConvertError(where(key) + " must hold positive numbers, found " + v.dump());
      values.push_back(v.get<double>());
    }
    return values;
  }
  // Keys the type does not take change the computation in ways this does not implement.
  void refuse_others(std::set<std::string> known) const {
    known.insert({"type", "rope_type"});
    for (auto it = scaling_.begin(); it != scaling_.end(); ++it)
      if (!known.count(it.key()))
        throw ConvertError(path_ + ": rope_scaling \"" + it.key() + "\" is not supported with type \"" + type_ +
                           "\": " + it.value().dump());
  }
  std::string where(const char* key) const { return path_ + ": rope_scaling (" + type_ + ") \"" + key + "\""; }

 private:
  const json& scaling_;
  const std::string& path_;
  std::string type_;
};

// Llama 3.1: long wavelengths slowed by `factor`, short ones kept, a smooth blend between.
std::vector<double> llama3_frequencies(const ScalingKeys& keys, std::vector<double> f) {
  const double factor = keys.factor("factor"), low = keys.number("low_freq_factor"),
               high = keys.number("high_freq_factor"), original = keys.number("original_max_position_embeddings");
  if (!(high > low) || !(low > 0.0) || !(original > 0.0))
    throw ConvertError(keys.where("high_freq_factor") + " must exceed low_freq_factor > 0, with a positive "
                       "original_max_position_embeddings");
  const double low_wavelength = original / low, high_wavelength = original / high;
  for (double& inv : f) {
    const double wavelength = 2.0 * kPi / inv;
    if (wavelength > low_wavelength) {
      inv /= factor;
    } else if (wavelength >= high_wavelength) {
      const double smooth = (original / wavelength - low) / (high - low);
      inv = (1.0 - smooth) * inv / factor + smooth * inv;
    }
  }
  return f;
}

// YaRN: interpolated (divided by factor) below the correction range, extrapolated (kept) above it, a linear ramp
// across it; cos and sin scaled by the attention factor (0.1 ln(factor) + 1, or DeepSeek's mscale ratio).
RopeScaling yarn_scaling(const ScalingKeys& keys, const std::vector<double>& f, int rotary_dim, float theta,
                         int max_positions) {
  const double original = keys.number_or("original_max_position_embeddings", max_positions);
  if (!(original > 0.0)) throw ConvertError(keys.where("original_max_position_embeddings") + " must be positive");
  const double factor = keys.has("factor") ? keys.factor("factor") : std::max(1.0, max_positions / original);
  auto mscale = [&](double m) { return factor <= 1.0 ? 1.0 : 0.1 * m * std::log(factor) + 1.0; };
  const double m = keys.number_or("mscale", 0.0), m_all = keys.number_or("mscale_all_dim", 0.0);
  const double attention = keys.has("attention_factor") ? keys.number("attention_factor")
                           : m != 0.0 && m_all != 0.0   ? mscale(m) / mscale(m_all)
                                                        : mscale(1.0);
  const double beta_fast = keys.has("beta_fast") && keys.number("beta_fast") != 0.0 ? keys.number("beta_fast") : 32;
  const double beta_slow = keys.has("beta_slow") && keys.number("beta_slow") != 0.0 ? keys.number("beta_slow") : 1;
  const bool truncate = keys.boolean_or("truncate", true);
  const double d = rotary_dim;
  auto correction_dim = [&](double rotations) {
    return d * std::log(original / (rotations * 2.0 * kPi)) / (2.0 * std::log(double(theta)));
  };
  double low = correction_dim(beta_fast), high = correction_dim(beta_slow);
  if (truncate) {
    low = std::floor(low);
    high = std::ceil(high);
  }
  low = std::max(low, 0.0);
  high = std::min(high, d - 1.0);
  if (low == high) high += 0.001;
  RopeScaling r;
  std::vector<double> inv(f.size());
  for (size_t i = 0; i < f.size(); ++i) {
    const double ramp = std::clamp((double(i) - low) / (high - low), 0.0, 1.0);
    const double extrapolation = 1.0 - ramp;
    inv[i] = f[i] / factor * (1.0 - extrapolation) + f[i] * extrapolation;
  }
  r.inverse_frequencies = rounded(inv);
  if (!(attention > 0.0)) throw ConvertError(keys.where("attention_factor") + " must be positive");
  r.attention_factor = float(attention);
  return r;
}

// LongRoPE (Phi-3): per-pair divisors, the short ones up to the original context and the long ones past it; cos and
// sin scaled by sqrt(1 + ln(factor) / ln(original context)).
RopeScaling longrope_scaling(const ScalingKeys& keys, const json& config, const std::string& path,
                             const std::vector<double>& f, int max_positions) {
  const int original = config.contains("original_max_position_embeddings")
                           ? config_value<int>(config, path, "original_max_position_embeddings")
                           : int(keys.number_or("original_max_position_embeddings", max_positions));
  if (original < 1) throw ConvertError(path + ": original_max_position_embeddings must be positive");
  const double factor = keys.has("factor") && !config.contains("original_max_position_embeddings")
                            ? keys.number("factor")
                            : double(max_positions) / original;
  double attention = 1.0;
  if (keys.has("attention_factor")) {
    attention = keys.number("attention_factor");
  } else if (factor > 1.0) {
    attention = std::sqrt(1.0 + std::log(factor) / std::log(double(original)));
  }
  if (!(attention > 0.0)) throw ConvertError(keys.where("attention_factor") + " must be positive");
  const std::vector<double> short_factor = keys.list("short_factor", f.size());
  const std::vector<double> long_factor = keys.list("long_factor", f.size());
  RopeScaling r;
  std::vector<double> short_inv(f.size()), long_inv(f.size());
  for (size_t i = 0; i < f.size(); ++i) {
    short_inv[i] = f[i] / short_factor[i];
    long_inv[i] = f[i] / long_factor[i];
  }
  r.inverse_frequencies = rounded(short_inv);
  r.long_inverse_frequencies = rounded(long_inv);
  r.attention_factor = float(attention);
  r.original_context = original;
  return r;
}

}  // namespace

RopeScaling read_rope_scaling(const json& config, const std::string& config_path, int rotary_dim, float theta,
                              int max_positions) {
  if (!config.contains("rope_scaling") || config["rope_scaling"].is_null()) return RopeScaling();
  const json& scaling = config["rope_scaling"];
  if (!scaling.is_object())
    throw ConvertError(config_path + ": \"rope_scaling\" must be an object: " + scaling.dump());
  const char* type_key = scaling.contains("rope_type") ? "rope_type" : "type";
  if (!scaling.contains(type_key) || !scaling[type_key].is_string())
    throw ConvertError(config_path + ": \"rope_scaling\" has no type (rope_type or type): " + scaling.dump());
  std::string type = scaling[type_key].get<std::string>();
  if (type == "su") type = "longrope";  // Phi-3's first name for it
  const ScalingKeys keys(scaling, config_path, type);
  const std::vector<double> f = theta_frequencies(theta, rotary_dim);
  RopeScaling r;
  if (type == "default") {
    keys.refuse_others({});
  } else if (type == "linear") {
    keys.refuse_others({"factor"});
    std::vector<double> inv = f;
    const double factor = keys.factor("factor");
    for (double& v : inv) v /= factor;
    r.inverse_frequencies = rounded(inv);
  } else if (type == "dynamic") {
    keys.refuse_others({"factor"});
    if (rotary_dim < 4) throw ConvertError(keys.where("factor") + ": dynamic NTK needs a rotary dim of 4 or more");
    r.dynamic_factor = float(keys.factor("factor"));
    r.original_context = max_positions;
  } else if (type == "llama3") {
    keys.refuse_others({"factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"});
    r.inverse_frequencies = rounded(llama3_frequencies(keys, f));
  } else if (type == "yarn") {
    keys.refuse_others({"factor", "original_max_position_embeddings", "attention_factor", "beta_fast", "beta_slow",
                        "mscale", "mscale_all_dim", "truncate"});
    r = yarn_scaling(keys, f, rotary_dim, theta, max_positions);
  } else if (type == "longrope") {
    keys.refuse_others({"factor", "original_max_position_embeddings", "attention_factor", "short_factor",
                        "long_factor"});
    r = longrope_scaling(keys, config, config_path, f, max_positions);
  } else {
    throw ConvertError(config_path + ": rope_scaling type \"" + type +
                       "\" is not supported (default, linear, dynamic, llama3, yarn, longrope)");
  }
  return r;
}

}  // namespace edgeformer::converter
