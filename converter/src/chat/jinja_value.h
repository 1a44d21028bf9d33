#pragma once
// The values a template computes with, modelled on the Python objects jinja2 would hold: str/repr and json.dumps
// printing, truthiness, equality and ordering as Python defines them, and UTF-8 code point helpers.
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chat/jinja_template.h"

namespace edgeformer::converter::jinja {

// Nesting of lists/dicts: bounds the recursion of printing, comparing and freeing values built by a template.
constexpr int kMaxValueDepth = 128;
// Any string a template builds, and the rendered output.
constexpr size_t kMaxStringBytes = size_t{8} << 20;

struct Stmt;
class Value;

struct ListData {
  std::vector<Value> items;
  bool tuple = false;  // printed (a, b), as dict.items() and loop targets produce them
  int depth = 1;
};

struct DictData {
  std::vector<std::pair<std::string, Value>> entries;  // insertion order, as Python dicts
  int depth = 1;
  const Value* find(std::string_view key) const;
  void set(const std::string& key, Value value);
};

class Value {
 public:
  enum class Type { Undefined, None, Bool, Int, Float, String, List, Dict, Namespace, Function, Macro };

  Value() = default;  // Undefined, as jinja2's default Undefined: prints empty, falsy, fails when used further
  static Value undefined(std::string message);  // message: the UndefinedError jinja2 would raise on use
  static Value none();
  static Value boolean(bool b);
  static Value integer(int64_t i);
  static Value number(double f);
  static Value string(std::string s);
  static Value list(std::vector<Value> items, bool tuple = false);
  static Value dict(std::shared_ptr<DictData> data);
  static Value namespace_(std::shared_ptr<DictData> data);
  static Value function(std::string name);
  static Value macro(const Stmt* definition);
  static Value from_json(const nlohmann::json& j);
  static Value from_json(const nlohmann::ordered_json& j);

  Type type() const { return type_; }
  bool is(Type t) const { return type_ == t; }
  bool is_undefined() const { return type_ == Type::Undefined; }
  bool is_number() const { return type_ == Type::Int || type_ == Type::Float || type_ == Type::Bool; }
  bool as_bool() const { return b_; }
  int64_t as_int() const { return type_ == Type::Bool ? (b_ ? 1 : 0) : i_; }
  double as_double() const { return type_ == Type::Float ? f_ : static_cast<double>(as_int()); }
  // String contents; for Undefined the error message; for Function its name.
  const std::string& str() const { return s_; }
  const std::vector<Value>& items() const { return list_->items; }
  bool is_tuple() const { return list_->tuple; }
  const DictData& entries() const { return *dict_; }
  DictData& mutable_entries() const { return *dict_; }
  const Stmt* macro_definition() const { return macro_; }
  int depth() const;

  // Throws the UndefinedError jinja2 raises when an undefined value is used (Runtime).
  [[noreturn]] void fail_undefined() const;

 private:
  Type type_ = Type::Undefined;
  bool b_ = false;
  int64_t i_ = 0;
  double f_ = 0;
  std::string s_ = "undefined value";
  std::shared_ptr<ListData> list_;
  std::shared_ptr<DictData> dict_;
  const Stmt* macro_ = nullptr;
};

[[noreturn]] void fail(TemplateError::Kind kind, const std::string& message);
[[noreturn]] void fail_runtime(const std::string& message);
[[noreturn]] void fail_unsupported(const std::string& message);
// Refuses a string over kMaxStringBytes and, while a StringBudget is alive on this thread, charges the bytes to it:
// a template building big strings over and over runs out of budget instead of running for hours.
void check_string_size(size_t bytes);
class StringBudget {
 public:
  explicit StringBudget(size_t bytes);
  ~StringBudget();
  StringBudget(const StringBudget&) = delete;
  StringBudget& operator=(const StringBudget&) = delete;
};

bool truthy(const Value& v);
bool equal(const Value& a, const Value& b);
// Python's <: numbers, strings, lists (lexicographically); other pairs are a TypeError (Runtime).
bool less(const Value& a, const Value& b);
// Python's type name, as TypeErrors and jinja2's UndefinedError messages print it ("str", "dict", "NoneType").
std::string type_name(const Value& v);
// str(v) (what {{ v }} prints; Undefined prints empty) and repr(v).
std::string to_str(const Value& v);
std::string repr(const Value& v);
std::string python_float_repr(double f);
// json.dumps(v, ensure_ascii=False, indent=indent (negative: None), separators, sort_keys).
std::string to_json(const Value& v, int indent, const std::string& item_separator, const std::string& key_separator,
                    bool sort_keys);

// UTF-8 as Python sees str: one code point per character; a byte that is not UTF-8 is a unit of its own
// (kept as 0xDC00 + byte, Python's surrogateescape) so that encoding gives back the same bytes.
std::u32string decode_utf8(std::string_view s);
std::string encode_utf8(const std::u32string& s);
bool is_python_space(char32_t c);
bool is_ascii(std::string_view s);

}  // namespace edgeformer::converter::jinja
