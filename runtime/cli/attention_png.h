#pragma once
// Captured attention as a PNG heatmap: one head, or a grid of all captured heads of a layer.
#include <cstddef>
#include <string>
#include <vector>

#include "attention_maps.h"
#include "edgeformer/edgeformer.hpp"

namespace edgeformer::cli {

// Where the picture of one head (head_index >= 0) or of all heads (-1) puts its parts, for maps that
// write_attention_png accepts. Cells shrink (to one pixel at least) to keep the picture below about 4000 pixels.
struct AttentionPngLayout {
  struct Heatmap {
    size_t head_index;
    int left, top;  // of the first cell; cell (q, k) spans [left + k * cell, +cell) x [top + q * cell, +cell)
  };
  int width = 0, height = 0;
  int cell = 0;         // pixels a side
  bool labels = false;  // token labels, drawn where the cells are tall enough for the font
  int row_label_width = 0, column_label_height = 0;
  std::vector<Heatmap> heatmaps;
  int colour_bar_left = 0, colour_bar_top = 0, colour_bar_height = 0;
};
AttentionPngLayout attention_png_layout(const AttentionMaps& maps, size_t layer_index, int head_index);

// Rows are query tokens, columns key tokens; a cell's colour is attention_colour(weight, max) with the head's largest
// weight as max (the layer's largest in the grid, which shares one colour bar). head_index -1 draws the grid.
// Errors name the path: kInvalidArgument for an index out of range or maps whose sizes disagree, kIoError when the
// file cannot be written.
Status write_attention_png(const AttentionMaps& maps, size_t layer_index, int head_index, const std::string& path);

}  // namespace edgeformer::cli
