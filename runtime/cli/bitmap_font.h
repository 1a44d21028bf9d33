#pragma once
// A 5x7 bitmap font for the labels of attention pictures: printable ASCII, a placeholder box for any other code
// point, and an ellipsis that marks a cut label.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace edgeformer::cli {

constexpr int kGlyphWidth = 5;
constexpr int kGlyphHeight = 7;
constexpr int kGlyphAdvance = kGlyphWidth + 1;
constexpr int kPlaceholderGlyph = 95;
constexpr int kEllipsisGlyph = 96;

// The glyphs of UTF-8 `text`: a printable ASCII character as itself, anything else (a control character, a code point
// beyond ASCII, a byte of a broken sequence) as one placeholder. More than `max_glyphs` are cut to max_glyphs - 1 and
// an ellipsis.
std::vector<int> text_glyphs(const std::string& text, size_t max_glyphs);
// Row `row` (0 = top) of a glyph; bit 4 is its leftmost column.
uint8_t glyph_row(int glyph, int row);

}  // namespace edgeformer::cli
