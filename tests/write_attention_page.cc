// write_attention_page OUT_DIR (made if missing): the browser test's input, from a synthetic capture (2 layers x 3
// heads, 5 queries x 7 keys, hostile token texts, causal zeros): attention.html, a PNG of one head and one of a layer's
// grid, and colours.json, the C++ colour map's answer ([value, max, r, g, b]) for every weight of the page on its
// head's scale and for a sweep of values, which the browser test compares with the page's script.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "attention_colours.h"
#include "attention_html.h"
#include "attention_png.h"
#include "synthetic_attention.h"

namespace {

using edgeformer::cli::AttentionMaps;

void add_colour(nlohmann::json& colours, double value, double max) {
  const edgeformer::cli::Rgb rgb = edgeformer::cli::attention_colour(value, max);
  colours.push_back({value, max, rgb.r, rgb.g, rgb.b});
}

nlohmann::json colour_table(const AttentionMaps& maps) {
  nlohmann::json colours = nlohmann::json::array();
  const size_t cells = maps.queries.size() * maps.keys.size();
  for (size_t l = 0; l < maps.layers.size(); ++l) {
    for (size_t h = 0; h < maps.heads.size(); ++h) {
      const float* matrix = maps.matrix(l, h);
      double max = 0;
      for (size_t i = 0; i < cells; ++i) max = std::max(max, static_cast<double>(matrix[i]));
      for (size_t i = 0; i < cells; ++i) add_colour(colours, matrix[i], max);
    }
  }
  constexpr int kSweep = 4096;
  for (int i = 0; i <= kSweep; ++i) {
    add_colour(colours, 0.83 * i / kSweep, 0.83);
    add_colour(colours, static_cast<float>(i) / kSweep, 1.0f);
  }
  return colours;
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary);
  file << text;
  return static_cast<bool>(file);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: write_attention_page OUT_DIR\n");
    return 2;
  }
  const std::string folder = argv[1];
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  AttentionMaps maps = edgeformer::testing::synthetic_attention({1, 4}, {0, 2, 5}, 5, 7);
  maps.keys[6] = "broken \xFF utf-8";
  for (const auto& [path, text] : {std::pair{folder + "/attention.html", edgeformer::cli::attention_html(maps)},
                                   std::pair{folder + "/colours.json", colour_table(maps).dump()}}) {
    if (!write_file(path, text)) {
      std::fprintf(stderr, "write_attention_page: cannot write %s\n", path.c_str());
      return 1;
    }
  }
  for (const auto& [head_index, name] : {std::pair{1, "/attention_head.png"}, std::pair{-1, "/attention_grid.png"}}) {
    const edgeformer::Status status = edgeformer::cli::write_attention_png(maps, 1, head_index, folder + name);
    if (!status.ok()) {
      std::fprintf(stderr, "write_attention_page: %s\n", status.message().c_str());
      return 1;
    }
  }
  return 0;
}
