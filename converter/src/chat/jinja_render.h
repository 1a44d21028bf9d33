#pragma once
// The evaluator: renders a parsed template with a context, with the filters, tests, methods and globals of
// transformers' jinja2 environment.
#include <string>
#include <string_view>

#include "chat/jinja_parser.h"

namespace edgeformer::converter::jinja {

// The parser refuses filters and tests outside these (as jinja2 refuses unknown ones when compiling).
bool is_supported_filter(std::string_view name);
bool is_supported_test(std::string_view name);

std::string render_body(const Body& body, const Value& context, const std::string& today,
                        std::string* date_format = nullptr);

}  // namespace edgeformer::converter::jinja
