// The attention pictures: head summaries against hand-computed values, the JSON read back, the PNG read back with
// libpng (size, the colour of every cell), its errors, and the page's self-containment and embedded data.
#include <gtest/gtest.h>
#include <png.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>

#include <nlohmann/json.hpp>

#include "attention_colours.h"
#include "attention_html.h"
#include "attention_maps.h"
#include "attention_png.h"
#include "bitmap_font.h"
#include "synthetic_attention.h"
#include "test_support.h"

namespace edgeformer::cli {
// Failures print colours as rgb(r,g,b).
void PrintTo(const Rgb& colour, std::ostream* out) {
  *out << "rgb(" << int{colour.r} << "," << int{colour.g} << "," << int{colour.b} << ")";
}
}  // namespace edgeformer::cli

namespace edgeformer::testing {
namespace {

using cli::AttentionMaps;
using cli::AttentionPngLayout;
using cli::Rgb;

// One layer, one head, 3 queries x 4 keys: a uniform row, a one-hot row, a row split in two.
AttentionMaps hand_made_maps() {
  AttentionMaps maps;
  maps.model = "hand.eft";
  maps.kind = "encoder";
  maps.queries = {"a", "b", "c"};
  maps.keys = {"w", "x", "y", "z"};
  maps.layers = {2};
  maps.heads = {7};
  maps.weights = {0.25f, 0.25f, 0.25f, 0.25f, 0, 0, 1, 0, 0.5f, 0, 0, 0.5f};
  return maps;
}

TEST(AttentionSummary, UniformOneHotAndSplitRows) {
  const cli::HeadSummary summary = cli::summarize_head(hand_made_maps(), 0, 0);
  EXPECT_NEAR(summary.entropy, (std::log(4.0) + 0 + std::log(2.0)) / 3, 1e-12);
  EXPECT_NEAR(summary.sink, (0.25 + 0 + 0.5) / 3, 1e-12);
}

TEST(AttentionSummary, EachHeadReadsItsOwnMatrix) {
  AttentionMaps maps = synthetic_attention({0, 1}, {0, 1}, 1, 3);
  // Layer 1, head 0 (the third matrix) attends to key 0 alone; the others are spread.
  maps.weights[6] = 1;
  maps.weights[7] = maps.weights[8] = 0;
  const cli::HeadSummary sink_head = cli::summarize_head(maps, 1, 0);
  EXPECT_EQ(sink_head.entropy, 0);
  EXPECT_EQ(sink_head.sink, 1);
  EXPECT_GT(cli::summarize_head(maps, 0, 1).entropy, 0);
  EXPECT_NEAR(cli::summarize_head(maps, 1, 1).sink, maps.weights[9], 1e-7);
}

TEST(AttentionJson, ParsesBackToTheInput) {
  const AttentionMaps maps = synthetic_attention({1, 4}, {0, 2, 5}, 5, 7, "cross");
  const nlohmann::json json = nlohmann::json::parse(cli::attention_json(maps));
  EXPECT_EQ(json["model"], maps.model);
  EXPECT_EQ(json["kind"], "cross");
  EXPECT_EQ(json["queries"].get<std::vector<std::string>>(), maps.queries);
  EXPECT_EQ(json["keys"].get<std::vector<std::string>>(), maps.keys);
  ASSERT_EQ(json["layers"].size(), maps.layers.size());
  for (size_t l = 0; l < maps.layers.size(); ++l) {
    const nlohmann::json& layer = json["layers"][l];
    EXPECT_EQ(layer["layer"], maps.layers[l]);
    ASSERT_EQ(layer["heads"].size(), maps.heads.size());
    for (size_t h = 0; h < maps.heads.size(); ++h) {
      const nlohmann::json& head = layer["heads"][h];
      EXPECT_EQ(head["head"], maps.heads[h]);
      const cli::HeadSummary summary = cli::summarize_head(maps, l, h);
      EXPECT_EQ(head["entropy"].get<double>(), summary.entropy);
      EXPECT_EQ(head["sink"].get<double>(), summary.sink);
      const float* matrix = maps.matrix(l, h);
      ASSERT_EQ(head["weights"].size(), maps.queries.size());
      for (size_t q = 0; q < maps.queries.size(); ++q) {
        ASSERT_EQ(head["weights"][q].size(), maps.keys.size());
        for (size_t k = 0; k < maps.keys.size(); ++k)
          EXPECT_EQ(head["weights"][q][k].get<float>(), matrix[q * maps.keys.size() + k]) << l << h << q << k;
      }
    }
  }
}

TEST(AttentionJson, BrokenUtf8BecomesReplacementCharacters) {
  AttentionMaps maps = hand_made_maps();
  maps.queries[0] = "a\xFF" "b";
  const nlohmann::json json = nlohmann::json::parse(cli::attention_json(maps));
  EXPECT_EQ(json["queries"][0], "a\xEF\xBF\xBD" "b");
}

TEST(AttentionColours, ZerosStandApartFromTheRamp) {
  const std::vector<Rgb>& ramp = cli::attention_ramp();
  const Rgb zero = cli::attention_zero_colour();
  EXPECT_EQ(cli::attention_colour(0, 1), zero);
  EXPECT_EQ(cli::attention_colour(-0.5, 1), zero);
  EXPECT_EQ(cli::attention_colour(std::numeric_limits<double>::quiet_NaN(), 1), zero);
  EXPECT_EQ(cli::attention_colour(1e-9, 1), ramp.front());
  const int distance = std::abs(zero.r - ramp.front().r) + std::abs(zero.g - ramp.front().g) +
                       std::abs(zero.b - ramp.front().b);
  EXPECT_GT(distance, 200);
  for (size_t i = 1; i < ramp.size(); ++i)
    EXPECT_EQ(cli::attention_colour(0.6 * i / (ramp.size() - 1), 0.6), ramp[i]) << i;
  EXPECT_EQ(cli::attention_colour(2, 1), ramp.back());
  EXPECT_EQ(cli::attention_colour(0.3, 0), ramp.back());
  // Brighter (more green) as the weight grows: the ramp is sequential.
  for (size_t i = 1; i < ramp.size(); ++i) EXPECT_GT(ramp[i].g, ramp[i - 1].g) << i;
}

TEST(BitmapFont, GlyphsOfTexts) {
  EXPECT_EQ(cli::text_glyphs("A b", 16), (std::vector<int>{'A' - ' ', 0, 'b' - ' '}));
  const int box = cli::kPlaceholderGlyph;
  // One placeholder per code point (2-, 3- and 4-byte sequences), per control character, per broken byte.
  EXPECT_EQ(cli::text_glyphs("\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80", 16), (std::vector<int>{box, box, box}));
  EXPECT_EQ(cli::text_glyphs("\n\t", 16), (std::vector<int>{box, box}));
  EXPECT_EQ(cli::text_glyphs("\xFF\xC3" "x", 16), (std::vector<int>{box, box, 'x' - ' '}));
  EXPECT_EQ(cli::text_glyphs("abcd", 4).back(), 'd' - ' ');
  const std::vector<int> cut = cli::text_glyphs("abcde", 4);
  EXPECT_EQ(cut, (std::vector<int>{'a' - ' ', 'b' - ' ', 'c' - ' ', cli::kEllipsisGlyph}));
}

struct Picture {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;
  Rgb at(int x, int y) const {
    const uint8_t* p = &rgb[(static_cast<size_t>(y) * width + x) * 3];
    return {p[0], p[1], p[2]};
  }
};

Picture read_png(const std::string& path) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  Picture picture;
  if (png_image_begin_read_from_file(&image, path.c_str()) == 0) {
    ADD_FAILURE() << path << ": " << image.message;
    return picture;
  }
  image.format = PNG_FORMAT_RGB;
  picture.width = static_cast<int>(image.width);
  picture.height = static_cast<int>(image.height);
  picture.rgb.resize(PNG_IMAGE_SIZE(image));
  if (png_image_finish_read(&image, nullptr, picture.rgb.data(), 0, nullptr) == 0) {
    ADD_FAILURE() << path << ": " << image.message;
    picture = Picture();
  }
  return picture;
}

double largest(const float* weights, size_t count) {
  double max = 0;
  for (size_t i = 0; i < count; ++i) max = std::max(max, static_cast<double>(weights[i]));
  return max;
}

// The picture has the layout's size, and every cell's centre is the colour of its weight on the scale of `max`.
void expect_cells(const AttentionMaps& maps, size_t layer_index, int head_index, const std::string& path) {
  const AttentionPngLayout layout = cli::attention_png_layout(maps, layer_index, head_index);
  const Picture picture = read_png(path);
  ASSERT_EQ(picture.width, layout.width);
  ASSERT_EQ(picture.height, layout.height);
  const size_t rows = maps.queries.size(), columns = maps.keys.size();
  double max = 0;
  for (const AttentionPngLayout::Heatmap& heatmap : layout.heatmaps)
    max = std::max(max, largest(maps.matrix(layer_index, heatmap.head_index), rows * columns));
  for (const AttentionPngLayout::Heatmap& heatmap : layout.heatmaps) {
    const float* matrix = maps.matrix(layer_index, heatmap.head_index);
    ASSERT_LE(heatmap.left + static_cast<int>(columns) * layout.cell, layout.width);
    ASSERT_LE(heatmap.top + static_cast<int>(rows) * layout.cell, layout.height);
    for (size_t q = 0; q < rows; ++q) {
      for (size_t k = 0; k < columns; ++k) {
        const Rgb got = picture.at(heatmap.left + static_cast<int>(k) * layout.cell + layout.cell / 2,
                                   heatmap.top + static_cast<int>(q) * layout.cell + layout.cell / 2);
        const Rgb want = cli::attention_colour(matrix[q * columns + k], max);
        ASSERT_EQ(got, want) << "head index " << heatmap.head_index << " cell " << q << "," << k;
      }
    }
  }
}

TEST(AttentionPng, OneHeadReadsBackCellByCell) {
  const AttentionMaps maps = synthetic_attention({1, 4}, {0, 2, 5}, 5, 7);
  TempDir tmp;
  const std::string path = tmp.file("head.png");
  const Status status = cli::write_attention_png(maps, 1, 2, path);
  ASSERT_TRUE(status.ok()) << status.message();
  const AttentionPngLayout layout = cli::attention_png_layout(maps, 1, 2);
  EXPECT_EQ(layout.cell, 16);
  EXPECT_TRUE(layout.labels);
  ASSERT_EQ(layout.heatmaps.size(), 1u);
  EXPECT_EQ(layout.heatmaps[0].head_index, 2u);
  EXPECT_GT(layout.heatmaps[0].left, layout.row_label_width);
  EXPECT_GT(layout.heatmaps[0].top, layout.column_label_height);
  expect_cells(maps, 1, 2, path);
}

TEST(AttentionPng, GridOfAllHeadsReadsBackCellByCell) {
  const AttentionMaps maps = synthetic_attention({1, 4}, {0, 2, 5}, 5, 7);
  TempDir tmp;
  const Status status = cli::write_attention_png(maps, 0, -1, tmp.file("grid.png"));
  ASSERT_TRUE(status.ok()) << status.message();
  const AttentionPngLayout layout = cli::attention_png_layout(maps, 0, -1);
  ASSERT_EQ(layout.heatmaps.size(), 3u);
  for (size_t h = 0; h < 3; ++h) EXPECT_EQ(layout.heatmaps[h].head_index, h);
  // Two heads side by side, the third below: no overlap.
  EXPECT_GT(layout.heatmaps[1].left, layout.heatmaps[0].left + 7 * layout.cell);
  EXPECT_GT(layout.heatmaps[2].top, layout.heatmaps[0].top + 5 * layout.cell);
  expect_cells(maps, 0, -1, tmp.file("grid.png"));
}

TEST(AttentionPng, OneQueryRowAndOneHead) {
  const AttentionMaps maps = synthetic_attention({0}, {3}, 1, 4, "cross");
  TempDir tmp;
  for (const int head_index : {0, -1}) {
    const std::string path = tmp.file("one" + std::to_string(head_index) + ".png");
    const Status status = cli::write_attention_png(maps, 0, head_index, path);
    ASSERT_TRUE(status.ok()) << status.message();
    expect_cells(maps, 0, head_index, path);
  }
}

TEST(AttentionPng, LongSequencesStayBelow4000Pixels) {
  const AttentionMaps maps = synthetic_attention({0}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 400, 700);
  TempDir tmp;
  for (const int head_index : {0, -1}) {
    const AttentionPngLayout layout = cli::attention_png_layout(maps, 0, head_index);
    EXPECT_LT(layout.width, 4000) << head_index;
    EXPECT_LT(layout.height, 4000) << head_index;
    EXPECT_GE(layout.cell, 1);
    EXPECT_FALSE(layout.labels);
    const std::string path = tmp.file("long" + std::to_string(head_index) + ".png");
    const Status status = cli::write_attention_png(maps, 0, head_index, path);
    ASSERT_TRUE(status.ok()) << status.message();
    expect_cells(maps, 0, head_index, path);
  }
}

TEST(AttentionPng, ErrorsNameThePath) {
  const AttentionMaps maps = hand_made_maps();
  const std::string unwritable = "/nonexistent-folder-of-edgeformer/attention.png";
  Status status = cli::write_attention_png(maps, 0, 0, unwritable);
  EXPECT_EQ(status.code(), StatusCode::kIoError);
  EXPECT_NE(status.message().find(unwritable), std::string::npos) << status.message();
  // A full disk: the open succeeds, the writing fails.
  if (std::ifstream("/dev/full").good()) {
    status = cli::write_attention_png(maps, 0, -1, "/dev/full");
    EXPECT_EQ(status.code(), StatusCode::kIoError);
    EXPECT_NE(status.message().find("/dev/full"), std::string::npos) << status.message();
  }
  TempDir tmp;
  for (const auto& [layer_index, head_index] : std::vector<std::pair<size_t, int>>{{1, 0}, {0, 1}, {0, -2}}) {
    status = cli::write_attention_png(maps, layer_index, head_index, tmp.file("bad.png"));
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << layer_index << " " << head_index;
    EXPECT_NE(status.message().find(tmp.file("bad.png")), std::string::npos) << status.message();
  }
  AttentionMaps short_weights = maps;
  short_weights.weights.pop_back();
  EXPECT_EQ(cli::write_attention_png(short_weights, 0, 0, tmp.file("bad.png")).code(), StatusCode::kInvalidArgument);
  AttentionMaps no_head = maps;
  no_head.heads.clear();
  no_head.weights.clear();
  EXPECT_EQ(cli::write_attention_png(no_head, 0, -1, tmp.file("bad.png")).code(), StatusCode::kInvalidArgument);
}

// The text of the element that starts with `opening` (up to its closing tag), or "" if there is none.
std::string element_text(const std::string& page, const std::string& opening, const std::string& closing) {
  const size_t begin = page.find(opening);
  if (begin == std::string::npos) return "";
  const size_t end = page.find(closing, begin + opening.size());
  return end == std::string::npos ? "" : page.substr(begin + opening.size(), end - begin - opening.size());
}

TEST(AttentionHtml, SelfContainedWithItsParts) {
  const AttentionMaps maps = synthetic_attention({1, 4}, {0, 2, 5}, 5, 7);
  const std::string page = cli::attention_html(maps);
  for (const char* outside : {"http://", "https://", "src=", "<link", "@import", "url("})
    EXPECT_EQ(page.find(outside), std::string::npos) << outside;
  for (const char* part : {"<select id=\"layer\">", "<select id=\"head\">", "<svg id=\"matrix\">", "<svg id=\"lines\">",
                           "<table id=\"summary\">", "<script type=\"application/json\" id=\"attention-data\">"})
    EXPECT_NE(page.find(part), std::string::npos) << part;
  // The model name is escaped in the title: "synthetic <decoder>.eft".
  EXPECT_NE(page.find("<title>Attention: synthetic &lt;decoder&gt;.eft (decoder)</title>"), std::string::npos);
  const nlohmann::json colour_map =
      nlohmann::json::parse(element_text(page, "<script type=\"application/json\" id=\"colour-map\">", "</script>"));
  const Rgb zero = cli::attention_zero_colour();
  EXPECT_EQ(colour_map["zero"], nlohmann::json({zero.r, zero.g, zero.b}));
  ASSERT_EQ(colour_map["ramp"].size(), cli::attention_ramp().size());
  for (size_t i = 0; i < cli::attention_ramp().size(); ++i) {
    const Rgb stop = cli::attention_ramp()[i];
    EXPECT_EQ(colour_map["ramp"][i], nlohmann::json({stop.r, stop.g, stop.b})) << i;
  }
}

TEST(AttentionHtml, EmbeddedJsonSurvivesHostileTokenTexts) {
  AttentionMaps maps = synthetic_attention({0}, {0}, 13, 13, "encoder");
  maps.queries = hostile_tokens(13);
  maps.keys = maps.queries;
  maps.model = "</script><script>alert(1)</script>";
  const std::string page = cli::attention_html(maps);
  const std::string data =
      element_text(page, "<script type=\"application/json\" id=\"attention-data\">", "</script>");
  ASSERT_FALSE(data.empty());
  // Nothing in the data can end the script element or open a comment in it.
  EXPECT_EQ(data.find('<'), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(data), nlohmann::json::parse(cli::attention_json(maps)));
  EXPECT_EQ(nlohmann::json::parse(data)["queries"].get<std::vector<std::string>>(), maps.queries);
}

}  // namespace
}  // namespace edgeformer::testing
