// The generated Unicode tables against values known from the Unicode Character Database itself (not from re-running
// the generator), plus structural properties that hold for every code point.
#include <gtest/gtest.h>

#include <vector>

#include "tokenizer/unicode/unicode_tables.h"

namespace edgeformer::unicode {
namespace {

constexpr char32_t kLastCodePoint = 0x10FFFF;

std::vector<char32_t> decompose(char32_t c) {
  char32_t out[32];
  const size_t count = decompose_canonical(c, out, sizeof out / sizeof *out);
  return std::vector<char32_t>(out, out + count);
}

TEST(UnicodeTables, Letters) {
  EXPECT_TRUE(is_letter(U'a'));
  EXPECT_TRUE(is_letter(U'Z'));
  EXPECT_TRUE(is_letter(U'Ä'));
  EXPECT_TRUE(is_letter(0x4E2D));   // 中, Lo
  EXPECT_TRUE(is_letter(0x02B0));   // modifier letter small h, Lm
  EXPECT_TRUE(is_letter(0x01C5));   // Dž, Lt
  EXPECT_TRUE(is_letter(0x10400));  // Deseret capital long i, outside the BMP
  EXPECT_TRUE(is_letter(0xAC00));   // Hangul syllable
  EXPECT_FALSE(is_letter(U'1'));
  EXPECT_FALSE(is_letter(U' '));
  EXPECT_FALSE(is_letter(U'_'));
  EXPECT_FALSE(is_letter(0x0301));  // combining acute, Mn
  EXPECT_FALSE(is_letter(0x110000));
}

TEST(UnicodeTables, Numbers) {
  EXPECT_TRUE(is_number(U'0'));
  EXPECT_TRUE(is_number(U'7'));
  EXPECT_TRUE(is_number(0x00BD));  // ½, No
  EXPECT_TRUE(is_number(0x00B2));  // ², No
  EXPECT_TRUE(is_number(0x0661));  // Arabic-Indic one, Nd
  EXPECT_TRUE(is_number(0x2160));  // Roman numeral one, Nl
  EXPECT_FALSE(is_number(U'a'));
  EXPECT_FALSE(is_number(U'.'));
  EXPECT_FALSE(is_number(0x4E00));  // 一 is a letter (Lo), not a number
}

TEST(UnicodeTables, Whitespace) {
  for (char32_t c : {U' ', U'\t', U'\n', U'\v', U'\f', U'\r'}) EXPECT_TRUE(is_whitespace(c)) << std::hex << c;
  for (char32_t c = 0x1C; c <= 0x1F; ++c) EXPECT_TRUE(is_whitespace(c)) << std::hex << c;
  EXPECT_TRUE(is_whitespace(0x0085));  // next line
  EXPECT_TRUE(is_whitespace(0x00A0));  // no-break space, Zs
  EXPECT_TRUE(is_whitespace(0x1680));  // Ogham space mark
  EXPECT_TRUE(is_whitespace(0x2000));
  EXPECT_TRUE(is_whitespace(0x200A));
  EXPECT_TRUE(is_whitespace(0x2028));
  EXPECT_TRUE(is_whitespace(0x2029));
  EXPECT_TRUE(is_whitespace(0x202F));
  EXPECT_TRUE(is_whitespace(0x205F));
  EXPECT_TRUE(is_whitespace(0x3000));  // ideographic space
  EXPECT_FALSE(is_whitespace(U'a'));
  EXPECT_FALSE(is_whitespace(0x0000));
  EXPECT_FALSE(is_whitespace(0x200B));  // zero width space is Cf
  EXPECT_FALSE(is_whitespace(0x180E));  // Mongolian vowel separator, Cf since Unicode 6.3
  EXPECT_FALSE(is_whitespace(0xFEFF));
}

TEST(UnicodeTables, Punctuation) {
  EXPECT_TRUE(is_punctuation(U'!'));
  EXPECT_TRUE(is_punctuation(U','));
  EXPECT_TRUE(is_punctuation(U'_'));     // Pc
  EXPECT_TRUE(is_punctuation(U'-'));     // Pd
  EXPECT_TRUE(is_punctuation(U'('));     // Ps
  EXPECT_TRUE(is_punctuation(U']'));     // Pe
  EXPECT_TRUE(is_punctuation(0x00AB));   // «, Pi
  EXPECT_TRUE(is_punctuation(0x2019));   // right single quotation mark, Pf
  EXPECT_TRUE(is_punctuation(0x3002));   // ideographic full stop
  EXPECT_TRUE(is_punctuation(0xFF01));   // fullwidth !
  EXPECT_FALSE(is_punctuation(U'$'));    // Sc
  EXPECT_FALSE(is_punctuation(U'+'));    // Sm
  EXPECT_FALSE(is_punctuation(U'^'));    // Sk
  EXPECT_FALSE(is_punctuation(U'|'));    // Sm
  EXPECT_FALSE(is_punctuation(U'a'));
}

TEST(UnicodeTables, NonspacingMarks) {
  EXPECT_TRUE(is_nonspacing_mark(0x0300));
  EXPECT_TRUE(is_nonspacing_mark(0x0301));
  EXPECT_TRUE(is_nonspacing_mark(0x0323));
  EXPECT_TRUE(is_nonspacing_mark(0x05B0));  // Hebrew point sheva
  EXPECT_TRUE(is_nonspacing_mark(0xE0100)); // variation selector 17
  EXPECT_FALSE(is_nonspacing_mark(0x0903)); // Devanagari sign visarga is Mc
  EXPECT_FALSE(is_nonspacing_mark(0x20DD)); // combining enclosing circle is Me
  EXPECT_FALSE(is_nonspacing_mark(U'a'));
}

TEST(UnicodeTables, Controls) {
  EXPECT_TRUE(is_control(0x0000));
  EXPECT_TRUE(is_control(0x0007));    // Cc
  EXPECT_TRUE(is_control(U'\t'));     // Cc; BERT callers exclude it themselves
  EXPECT_TRUE(is_control(0x007F));    // delete
  EXPECT_TRUE(is_control(0x009F));
  EXPECT_TRUE(is_control(0x00AD));    // soft hyphen, Cf
  EXPECT_TRUE(is_control(0x200B));    // Cf
  EXPECT_TRUE(is_control(0xFEFF));    // byte order mark, Cf
  EXPECT_TRUE(is_control(0xD800));    // Cs
  EXPECT_TRUE(is_control(0xE000));    // Co
  EXPECT_TRUE(is_control(0x0378));    // unassigned, Cn
  EXPECT_TRUE(is_control(0xFFFF));    // noncharacter, Cn
  EXPECT_TRUE(is_control(kLastCodePoint));
  EXPECT_FALSE(is_control(U' '));
  EXPECT_FALSE(is_control(U'a'));
  EXPECT_FALSE(is_control(0x00A0));
  EXPECT_FALSE(is_control(0x110000));  // not a code point at all
}

TEST(UnicodeTables, ToLower) {
  EXPECT_EQ(to_lower(U'A'), U'a');
  EXPECT_EQ(to_lower(U'Z'), U'z');
  EXPECT_EQ(to_lower(U'a'), U'a');
  EXPECT_EQ(to_lower(U'1'), U'1');
  EXPECT_EQ(to_lower(0x00C4), char32_t{0x00E4});
  EXPECT_EQ(to_lower(0x0130), char32_t{0x0130});  // İ lowercases to i + combining dot: two code points, kept
  EXPECT_EQ(to_lower(0x0391), char32_t{0x03B1});
  EXPECT_EQ(to_lower(0x03A3), char32_t{0x03C3});  // Σ alone takes the non-final σ
  EXPECT_EQ(to_lower(0x0410), char32_t{0x0430});  // Cyrillic А
  EXPECT_EQ(to_lower(0x1E9E), char32_t{0x00DF});  // capital sharp s
  EXPECT_EQ(to_lower(0x212A), U'k');              // Kelvin sign
  EXPECT_EQ(to_lower(0x01C5), char32_t{0x01C6});  // Dž titlecase to dž
  EXPECT_EQ(to_lower(0x10400), char32_t{0x10428});
  EXPECT_EQ(to_lower(0x00DF), char32_t{0x00DF});
  EXPECT_EQ(to_lower(0x110000), char32_t{0x110000});
}

TEST(UnicodeTables, DecomposeCanonical) {
  EXPECT_EQ(decompose(U'a'), std::vector<char32_t>({U'a'}));
  EXPECT_EQ(decompose(0x00C4), std::vector<char32_t>({0x0041, 0x0308}));
  EXPECT_EQ(decompose(0x00E9), std::vector<char32_t>({0x0065, 0x0301}));
  EXPECT_EQ(decompose(0x1E69), std::vector<char32_t>({0x0073, 0x0323, 0x0307}));          // ṩ, two levels
  EXPECT_EQ(decompose(0x1F82), std::vector<char32_t>({0x03B1, 0x0313, 0x0300, 0x0345}));  // three levels
  EXPECT_EQ(decompose(0x212B), std::vector<char32_t>({0x0041, 0x030A}));  // Ångström sign, via the singleton Å
  EXPECT_EQ(decompose(0x0344), std::vector<char32_t>({0x0308, 0x0301}));
  EXPECT_EQ(decompose(0xFB01), std::vector<char32_t>({0xFB01}));  // ﬁ: compatibility only
  EXPECT_EQ(decompose(0x00BD), std::vector<char32_t>({0x00BD}));  // ½: compatibility only
  EXPECT_EQ(decompose(0x2F800), std::vector<char32_t>({0x4E3D}));  // CJK compatibility ideograph, a singleton
  EXPECT_EQ(decompose(0xAC00), std::vector<char32_t>({0x1100, 0x1161}));
  EXPECT_EQ(decompose(0xAC01), std::vector<char32_t>({0x1100, 0x1161, 0x11A8}));
  EXPECT_EQ(decompose(0xD7A3), std::vector<char32_t>({0x1112, 0x1175, 0x11C2}));  // the last syllable
  EXPECT_EQ(decompose(0xABFF), std::vector<char32_t>({0xABFF}));
  EXPECT_EQ(decompose(0xD7A4), std::vector<char32_t>({0xD7A4}));
  EXPECT_EQ(decompose(0x110000), std::vector<char32_t>({0x110000}));
}

TEST(UnicodeTables, DecomposeCanonicalRespectsMax) {
  char32_t out[4] = {0, 0, 0, 0};
  EXPECT_EQ(decompose_canonical(0x1E69, out, 0), 0u);
  EXPECT_EQ(out[0], char32_t{0});
  EXPECT_EQ(decompose_canonical(0x1E69, out, 2), 2u);
  EXPECT_EQ(out[0], char32_t{0x0073});
  EXPECT_EQ(out[1], char32_t{0x0323});
  EXPECT_EQ(out[2], char32_t{0});
  EXPECT_EQ(decompose_canonical(0xAC01, out, 1), 1u);
  EXPECT_EQ(out[0], char32_t{0x1100});
}

TEST(UnicodeTables, CombiningClass) {
  EXPECT_EQ(combining_class(U'a'), 0);
  EXPECT_EQ(combining_class(0x0300), 230);
  EXPECT_EQ(combining_class(0x0301), 230);
  EXPECT_EQ(combining_class(0x0323), 220);
  EXPECT_EQ(combining_class(0x0327), 202);  // cedilla
  EXPECT_EQ(combining_class(0x0334), 1);    // overlay
  EXPECT_EQ(combining_class(0x0345), 240);  // ypogegrammeni
  EXPECT_EQ(combining_class(0x05B0), 10);   // Hebrew sheva
  EXPECT_EQ(combining_class(0x3099), 8);    // kana voiced sound mark
  EXPECT_EQ(combining_class(0x1100), 0);
  EXPECT_EQ(combining_class(0x110000), 0);
}

TEST(UnicodeTables, CanonicalOrder) {
  // a + dot above (230) + dot below (220) -> dot below first.
  std::vector<char32_t> s = {U'a', 0x0307, 0x0323};
  canonical_order(s.data(), s.size());
  EXPECT_EQ(s, std::vector<char32_t>({U'a', 0x0323, 0x0307}));

  // Equal classes keep their order; a starter is a barrier that marks do not cross.
  s = {U'a', 0x0301, 0x0300, 0x0323, U'b', 0x0345, 0x0301, 0x0327};
  canonical_order(s.data(), s.size());
  EXPECT_EQ(s, std::vector<char32_t>({U'a', 0x0323, 0x0301, 0x0300, U'b', 0x0327, 0x0301, 0x0345}));

  // Marks before the first starter are sorted too.
  s = {0x0301, 0x0323};
  canonical_order(s.data(), s.size());
  EXPECT_EQ(s, std::vector<char32_t>({0x0323, 0x0301}));

  canonical_order(nullptr, 0);
}

// General categories partition the code points, so no two of the category predicates may hold at once.
TEST(UnicodeTables, CategoriesAreDisjoint) {
  for (char32_t c = 0; c <= kLastCodePoint; ++c) {
    const int categories = is_letter(c) + is_number(c) + is_punctuation(c) + is_nonspacing_mark(c) + is_control(c);
    ASSERT_LE(categories, 1) << std::hex << c;
    if (is_whitespace(c)) {
      ASSERT_FALSE(is_letter(c) || is_number(c) || is_punctuation(c)) << std::hex << c;
    }
    if (combining_class(c) != 0) {
      ASSERT_FALSE(is_letter(c) || is_control(c)) << std::hex << c;
    }
  }
}

// Every decomposition is fully expanded, at most 4 long and in canonical order.
TEST(UnicodeTables, DecompositionsAreCompleteAndOrdered) {
  size_t decomposed = 0;
  for (char32_t c = 0; c <= kLastCodePoint; ++c) {
    const std::vector<char32_t> parts = decompose(c);
    ASSERT_FALSE(parts.empty());
    ASSERT_LE(parts.size(), 4u) << std::hex << c;
    if (parts.size() == 1 && parts[0] == c) continue;
    ++decomposed;
    for (size_t i = 0; i < parts.size(); ++i) {
      ASSERT_EQ(decompose(parts[i]), std::vector<char32_t>({parts[i]})) << std::hex << c;
      if (i > 0 && combining_class(parts[i]) != 0) {
        ASSERT_LE(combining_class(parts[i - 1]), combining_class(parts[i])) << std::hex << c;
      }
    }
    std::vector<char32_t> reordered = parts;
    canonical_order(reordered.data(), reordered.size());
    ASSERT_EQ(reordered, parts) << std::hex << c;
  }
  // 11172 Hangul syllables and about two thousand others (2061 in Unicode 14).
  EXPECT_GT(decomposed, 11172u + 2000u);
}

// Lowercasing is idempotent (a Unicode stability guarantee), so no mapping may lead to a further one.
TEST(UnicodeTables, ToLowerIsIdempotent) {
  for (char32_t c = 0; c <= kLastCodePoint; ++c) ASSERT_EQ(to_lower(to_lower(c)), to_lower(c)) << std::hex << c;
}

}  // namespace
}  // namespace edgeformer::unicode
