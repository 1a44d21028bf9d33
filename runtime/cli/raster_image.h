#pragma once
// An RGB picture drawn in memory with rectangles and bitmap-font text, and its PNG file (libpng).
#include <cstdint>
#include <string>
#include <vector>

#include "edgeformer/edgeformer.hpp"

namespace edgeformer::cli {

struct Rgb {
  uint8_t r, g, b;
  bool operator==(const Rgb& other) const { return r == other.r && g == other.g && b == other.b; }
  bool operator!=(const Rgb& other) const { return !(*this == other); }
};

class RasterImage {
 public:
  RasterImage(int width, int height, Rgb background);
  int width() const { return width_; }
  int height() const { return height_; }
  Rgb pixel(int x, int y) const;
  // Clipped to the picture, as is the text.
  void fill_rect(int x, int y, int width, int height, Rgb colour);
  // Glyphs (bitmap_font.h) left to right from the top-left corner (x, y), each pixel `scale` x `scale`.
  void draw_text(int x, int y, const std::vector<int>& glyphs, int scale, Rgb colour);
  // Glyphs bottom to top from the bottom-left corner (x, y): the text turned a quarter left, for column labels.
  void draw_text_upward(int x, int y, const std::vector<int>& glyphs, Rgb colour);
  const std::vector<uint8_t>& rgb() const { return rgb_; }

 private:
  void set_pixel(int x, int y, Rgb colour);
  int width_, height_;
  std::vector<uint8_t> rgb_;  // row-major, 3 bytes a pixel
};

// Errors (the file cannot be opened or written, libpng fails) are kIoError statuses naming the path.
Status write_png(const RasterImage& image, const std::string& path);

}  // namespace edgeformer::cli
