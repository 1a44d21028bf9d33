#pragma once
// What every --synthetic model shares: its "arch:key=value,..." spec and its random weights.
#include <cstddef>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace edgeformer::converter {

// The values of `spec` ("arch:key=value,..."), each a positive integer among the keys of `defaults`, which fills
// the others. Throws ConvertError naming the item that is not.
std::map<std::string, long> parse_synthetic_spec(const std::string& spec, std::map<std::string, long> defaults);

// Throws ConvertError unless `dim` splits into `heads` heads of an even size (GPT-2 and BERT shapes).
void check_synthetic_heads(const std::string& spec, long dim, long heads);

// The architecture part of a spec ("llama" of "llama:dim=8").
std::string synthetic_architecture(const std::string& spec);

// Weights ~ N(0, 0.02) as in GPT-2 / LLaMA / BERT initialization.
std::vector<float> synthetic_normal(std::mt19937& rng, size_t count);

}  // namespace edgeformer::converter
