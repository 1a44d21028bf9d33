#include "attention_png.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "attention_colours.h"
#include "bitmap_font.h"
#include "raster_image.h"

namespace edgeformer::cli {

namespace {

constexpr int kMargin = 10;
constexpr int kTitleScale = 2;
constexpr size_t kMaxTitleGlyphs = 100;
constexpr size_t kMaxLabelGlyphs = 16;
constexpr int kLabelGap = 4;
constexpr int kMaxCell = 16;
// The cells' share of the picture's side, so that labels and margins keep it below about 4000 pixels.
constexpr int kMatrixExtent = 3200;
constexpr int kPanelGap = 16;
constexpr int kPanelTitleHeight = kGlyphHeight + 5;
constexpr int kColourBarWidth = 14;
constexpr int kColourBarGap = 16;
constexpr int kMinColourBarHeight = 96;
constexpr size_t kColourBarLabelGlyphs = 9;  // "%.3g" of a probability, e.g. "9.99e-05"
constexpr Rgb kBackground{255, 255, 255};
constexpr Rgb kInk{40, 40, 40};
constexpr Rgb kFrame{150, 150, 150};

std::string picture_title(const AttentionMaps& maps, size_t layer_index, int head_index) {
  std::string title = "layer " + std::to_string(maps.layers[layer_index]);
  title += head_index < 0 ? ", all " + std::to_string(maps.heads.size()) + " heads"
                          : " head " + std::to_string(maps.heads[head_index]);
  return title + " - " + maps.kind + " attention - " + maps.model;
}

std::string panel_title(const AttentionMaps& maps, size_t head_index) {
  return "head " + std::to_string(maps.heads[head_index]);
}

size_t widest_label(const std::vector<std::string>& texts) {
  size_t widest = 0;
  for (const std::string& text : texts) widest = std::max(widest, text_glyphs(text, kMaxLabelGlyphs).size());
  return widest;
}

std::string number_text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", value);
  return text;
}

int text_width(const std::vector<int>& glyphs, int scale) {
  return static_cast<int>(glyphs.size()) * kGlyphAdvance * scale;
}

void draw_heatmap(RasterImage& image, const AttentionMaps& maps, const AttentionPngLayout& layout,
                  const AttentionPngLayout::Heatmap& heatmap, const float* matrix, double max, bool titled) {
  const int cell = layout.cell;
  for (size_t q = 0; q < maps.queries.size(); ++q)
    for (size_t k = 0; k < maps.keys.size(); ++k)
      image.fill_rect(heatmap.left + static_cast<int>(k) * cell, heatmap.top + static_cast<int>(q) * cell, cell, cell,
                      attention_colour(matrix[q * maps.keys.size() + k], max));
  const int label_gap = layout.labels ? kLabelGap : 0;
  if (titled) {
    image.draw_text(heatmap.left, heatmap.top - label_gap - layout.column_label_height - kPanelTitleHeight,
                    text_glyphs(panel_title(maps, heatmap.head_index), kMaxTitleGlyphs), 1, kInk);
  }
  if (!layout.labels) return;
  const int centring = (cell - kGlyphHeight) / 2;
  for (size_t q = 0; q < maps.queries.size(); ++q) {
    const std::vector<int> glyphs = text_glyphs(maps.queries[q], kMaxLabelGlyphs);
    image.draw_text(heatmap.left - kLabelGap - text_width(glyphs, 1) + 1,
                    heatmap.top + static_cast<int>(q) * cell + centring, glyphs, 1, kInk);
  }
  for (size_t k = 0; k < maps.keys.size(); ++k)
    image.draw_text_upward(heatmap.left + static_cast<int>(k) * cell + centring, heatmap.top - kLabelGap,
                           text_glyphs(maps.keys[k], kMaxLabelGlyphs), kInk);
}

// The ramp from 0 (bottom) to max (top), then a swatch of the colour of exact zeros.
void draw_colour_bar(RasterImage& image, const AttentionPngLayout& layout, double max) {
  const int left = layout.colour_bar_left, top = layout.colour_bar_top, height = layout.colour_bar_height;
  for (int y = 0; y < height; ++y)
    image.fill_rect(left, top + y, kColourBarWidth, 1, attention_colour(max * (height - y) / height, max));
  const int label_left = left + kColourBarWidth + kLabelGap;
  image.draw_text(label_left, top, text_glyphs(number_text(max), kColourBarLabelGlyphs), 1, kInk);
  image.draw_text(label_left, top + height - kGlyphHeight, text_glyphs("0", 1), 1, kInk);
  const int swatch_top = top + height + kLabelGap * 2;
  image.fill_rect(left, swatch_top, kColourBarWidth, kColourBarWidth, kFrame);
  image.fill_rect(left + 1, swatch_top + 1, kColourBarWidth - 2, kColourBarWidth - 2, attention_zero_colour());
  image.draw_text(label_left, swatch_top + (kColourBarWidth - kGlyphHeight) / 2, text_glyphs("=0", 2), 1, kInk);
}

}  // namespace

AttentionPngLayout attention_png_layout(const AttentionMaps& maps, size_t layer_index, int head_index) {
  const bool grid = head_index < 0;
  const int heads = grid ? static_cast<int>(maps.heads.size()) : 1;
  const int grid_columns = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(heads))));
  const int grid_rows = (heads + grid_columns - 1) / grid_columns;
  const int rows = static_cast<int>(maps.queries.size()), columns = static_cast<int>(maps.keys.size());

  AttentionPngLayout layout;
  layout.cell = std::clamp(kMatrixExtent / (grid_columns * std::max({rows, columns, 1})), 1, kMaxCell);
  layout.labels = layout.cell > kGlyphHeight;
  if (layout.labels) {
    layout.row_label_width = static_cast<int>(widest_label(maps.queries)) * kGlyphAdvance;
    layout.column_label_height = static_cast<int>(widest_label(maps.keys)) * kGlyphAdvance;
  }
  const int label_gap = layout.labels ? kLabelGap : 0;
  const int panel_title_height = grid ? kPanelTitleHeight : 0;
  int panel_title_width = 0;  // the head's title starts above the cells and must not reach the next panel
  for (size_t h = 0; grid && h < maps.heads.size(); ++h)
    panel_title_width = std::max(panel_title_width, text_width(text_glyphs(panel_title(maps, h), kMaxTitleGlyphs), 1));
  const int panel_width = layout.row_label_width + label_gap + std::max(columns * layout.cell, panel_title_width);
  const int panel_height = panel_title_height + layout.column_label_height + label_gap + rows * layout.cell;
  const int content_top = kMargin + kGlyphHeight * kTitleScale + kMargin;
  for (int i = 0; i < heads; ++i) {
    const int grid_column = i % grid_columns, grid_row = i / grid_columns;
    const int left = kMargin + grid_column * (panel_width + kPanelGap) + layout.row_label_width + label_gap;
    const int top = content_top + grid_row * (panel_height + kPanelGap) + panel_title_height +
                    layout.column_label_height + label_gap;
    layout.heatmaps.push_back({grid ? static_cast<size_t>(i) : static_cast<size_t>(head_index), left, top});
  }
  layout.colour_bar_left = kMargin + grid_columns * (panel_width + kPanelGap) - kPanelGap + kColourBarGap;
  layout.colour_bar_top = layout.heatmaps[0].top;
  layout.colour_bar_height = std::max(kMinColourBarHeight, rows * layout.cell);
  const int title_width =
      text_width(text_glyphs(picture_title(maps, layer_index, head_index), kMaxTitleGlyphs), kTitleScale);
  const int bar_right = layout.colour_bar_left + kColourBarWidth + kLabelGap + kColourBarLabelGlyphs * kGlyphAdvance;
  layout.width = std::max(bar_right, kMargin + title_width) + kMargin;
  const int panels_bottom = content_top + grid_rows * (panel_height + kPanelGap) - kPanelGap;
  const int swatch_bottom = layout.colour_bar_top + layout.colour_bar_height + kLabelGap * 2 + kColourBarWidth;
  layout.height = std::max(panels_bottom, swatch_bottom) + kMargin;
  return layout;
}

Status write_attention_png(const AttentionMaps& maps, size_t layer_index, int head_index, const std::string& path) {
  const auto refuse = [&path](const std::string& why) {
    return Status(StatusCode::kInvalidArgument, "cannot draw " + path + ": " + why);
  };
  if (layer_index >= maps.layers.size())
    return refuse("layer index " + std::to_string(layer_index) + " of " + std::to_string(maps.layers.size()));
  if (head_index < -1 || (head_index >= 0 && static_cast<size_t>(head_index) >= maps.heads.size()))
    return refuse("head index " + std::to_string(head_index) + " of " + std::to_string(maps.heads.size()));
  if (maps.queries.empty() || maps.keys.empty() || maps.heads.empty()) return refuse("no query, key or head");
  const size_t matrix_size = maps.queries.size() * maps.keys.size();
  if (maps.weights.size() != maps.layers.size() * maps.heads.size() * matrix_size)
    return refuse(std::to_string(maps.weights.size()) + " weights for " + std::to_string(maps.layers.size()) +
                  " layers x " + std::to_string(maps.heads.size()) + " heads x " + std::to_string(matrix_size));

  const AttentionPngLayout layout = attention_png_layout(maps, layer_index, head_index);
  double max = 0;
  for (const AttentionPngLayout::Heatmap& heatmap : layout.heatmaps) {
    const float* matrix = maps.matrix(layer_index, heatmap.head_index);
    for (size_t i = 0; i < matrix_size; ++i) max = std::max(max, static_cast<double>(matrix[i]));
  }
  RasterImage image(layout.width, layout.height, kBackground);
  image.draw_text(kMargin, kMargin, text_glyphs(picture_title(maps, layer_index, head_index), kMaxTitleGlyphs),
                  kTitleScale, kInk);
  for (const AttentionPngLayout::Heatmap& heatmap : layout.heatmaps)
    draw_heatmap(image, maps, layout, heatmap, maps.matrix(layer_index, heatmap.head_index), max, head_index < 0);
  draw_colour_bar(image, layout, max);
  return write_png(image, path);
}

}  // namespace edgeformer::cli
