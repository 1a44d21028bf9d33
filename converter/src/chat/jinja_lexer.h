#pragma once
// Splits a template into text and tag tokens, applying the whitespace rules of transformers' environment:
// trim_blocks, lstrip_blocks, {%- -%} {{- -}} {#- -#} and {%+ +%}; comments are dropped.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace edgeformer::converter::jinja {

struct Token {
  enum class Kind {
    Text,
    VariableBegin,
    VariableEnd,
    BlockBegin,
    BlockEnd,
    Name,
    Integer,
    Float,
    String,
    Operator,
    End
  };
  Kind kind;
  std::string text;  // Text, Name, String (unescaped), Operator
  int64_t integer = 0;
  double number = 0;
  int line = 1;
};

std::vector<Token> tokenize(std::string_view source);

}  // namespace edgeformer::converter::jinja
