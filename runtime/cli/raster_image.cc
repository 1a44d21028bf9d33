#include "raster_image.h"

#ifdef EDGEFORMER_HAVE_PNG
#include <png.h>
#endif

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "bitmap_font.h"

namespace edgeformer::cli {

RasterImage::RasterImage(int width, int height, Rgb background)
    : width_(width), height_(height), rgb_(static_cast<size_t>(width) * height * 3) {
  fill_rect(0, 0, width, height, background);
}

Rgb RasterImage::pixel(int x, int y) const {
  const uint8_t* p = &rgb_[(static_cast<size_t>(y) * width_ + x) * 3];
  return {p[0], p[1], p[2]};
}

void RasterImage::set_pixel(int x, int y, Rgb colour) {
  if (x < 0 || y < 0 || x >= width_ || y >= height_) return;
  uint8_t* p = &rgb_[(static_cast<size_t>(y) * width_ + x) * 3];
  p[0] = colour.r;
  p[1] = colour.g;
  p[2] = colour.b;
}

void RasterImage::fill_rect(int x, int y, int width, int height, Rgb colour) {
  const int x_end = std::min(x + width, width_), y_end = std::min(y + height, height_);
  for (int row = std::max(y, 0); row < y_end; ++row)
    for (int column = std::max(x, 0); column < x_end; ++column) set_pixel(column, row, colour);
}

void RasterImage::draw_text(int x, int y, const std::vector<int>& glyphs, int scale, Rgb colour) {
  for (size_t i = 0; i < glyphs.size(); ++i)
    for (int row = 0; row < kGlyphHeight; ++row)
      for (int column = 0; column < kGlyphWidth; ++column)
        if (glyph_row(glyphs[i], row) & (0x10 >> column))
          fill_rect(x + (static_cast<int>(i) * kGlyphAdvance + column) * scale, y + row * scale, scale, scale, colour);
}

void RasterImage::draw_text_upward(int x, int y, const std::vector<int>& glyphs, Rgb colour) {
  for (size_t i = 0; i < glyphs.size(); ++i)
    for (int row = 0; row < kGlyphHeight; ++row)
      for (int column = 0; column < kGlyphWidth; ++column)
        if (glyph_row(glyphs[i], row) & (0x10 >> column))
          set_pixel(x + row, y - (static_cast<int>(i) * kGlyphAdvance + column), colour);
}

#ifdef EDGEFORMER_HAVE_PNG
Status write_png(const RasterImage& image, const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return Status(StatusCode::kIoError, "cannot open " + path + ": " + std::strerror(errno));
  // The simplified API keeps libpng's longjmp inside libpng: no C++ frame is skipped, nothing leaks on failure.
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(image.width());
  png.height = static_cast<png_uint_32>(image.height());
  png.format = PNG_FORMAT_RGB;
  std::string error;
  if (png_image_write_to_stdio(&png, file, 0, image.rgb().data(), 0, nullptr) == 0) error = png.message;
  png_image_free(&png);
  // A full disk may show only when the buffered tail is flushed.
  if (error.empty() && (std::fflush(file) != 0 || std::ferror(file))) error = std::strerror(errno);
  if (std::fclose(file) != 0 && error.empty()) error = std::strerror(errno);
  if (!error.empty()) return Status(StatusCode::kIoError, "cannot write " + path + ": " + error);
  return Status();
}
#else
// A cross build whose sysroot has no libpng (the Android NDK's): the CLI works, --png says why it cannot.
Status write_png(const RasterImage&, const std::string& path) {
  return Status(StatusCode::kUnsupported, "cannot write " + path + ": this build has no libpng");
}
#endif

}  // namespace edgeformer::cli
