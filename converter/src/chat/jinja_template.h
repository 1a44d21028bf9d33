#pragma once
// A Jinja2-subset interpreter for Hugging Face chat templates: renders `chat_template` as transformers does
// (jinja2 ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols, {% generation %}, tojson,
// raise_exception, strftime_now), so that the converter can reduce a template to a layout table offline.
//
// Strings are UTF-8; length, indexing, slicing, iteration and reversal count code points as Python does (bytes that
// are not UTF-8 count one each and are kept). Case mapping (upper, lower, title, capitalize) is ASCII only.
// Integers are 64-bit: arithmetic that overflows is a Runtime error (Python would go on with big integers).
// Everything outside the subset is refused with TemplateError::Kind::Unsupported naming the construct.
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace edgeformer::converter::jinja {

// Why a template could not be rendered. Raised: the template called raise_exception(message) (message = what()).
// Unsupported: a construct, filter or method outside the subset (what() names it). Syntax: a parse error, with its
// line. Runtime: what jinja2 raises while rendering (UndefinedError with jinja2's message, type errors, calls of
// undefined names) and the interpreter's limits (nesting, loop iterations, output size).
class TemplateError : public std::runtime_error {
 public:
  enum class Kind { Syntax, Unsupported, Raised, Runtime };
  TemplateError(Kind kind, const std::string& message);
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

struct Program;

class Template {
 public:
  explicit Template(std::string_view source);  // parses; throws TemplateError
  ~Template();
  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;

  // context: a JSON object of variables (messages, add_generation_prompt, bos_token, eos_token, tools, ...).
  // strftime_now(fmt) returns `today` whatever the format (callers pass a date such as "26 Jul 2024").
  // nlohmann::json keeps object keys sorted, so templates iterating a dict see them in that order; the
  // ordered_json overload keeps the caller's order (as Python dicts do).
  std::string render(const nlohmann::json& context, const std::string& today = "26 Jul 2024") const;
  // *date_format (if not null) gets the format of the last strftime_now call, if any.
  std::string render(const nlohmann::ordered_json& context, const std::string& today = "26 Jul 2024",
                     std::string* date_format = nullptr) const;

 private:
  std::unique_ptr<const Program> program_;
};

}  // namespace edgeformer::converter::jinja
