#pragma once
// UTF-8 as the tokenizers read it: strict validation (RFC 3629) and code point decoding / encoding.
#include <cstddef>
#include <string>

namespace edgeformer {

// Length of the well-formed UTF-8 sequence (no overlong forms, surrogates or values above U+10FFFF) starting at
// text[i], or 0 if there is none.
size_t utf8_sequence_length(const std::string& text, size_t i);
// The code point of the well-formed sequence of `length` bytes at text[i].
char32_t decode_utf8(const std::string& text, size_t i, size_t length);
void append_utf8(char32_t c, std::string* out);

}  // namespace edgeformer
