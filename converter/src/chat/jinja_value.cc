#include "chat/jinja_value.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace edgeformer::converter::jinja {

TemplateError::TemplateError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}

void fail(TemplateError::Kind kind, const std::string& message) { throw TemplateError(kind, message); }
void fail_runtime(const std::string& message) { fail(TemplateError::Kind::Runtime, message); }
void fail_unsupported(const std::string& message) { fail(TemplateError::Kind::Unsupported, message); }

namespace {
thread_local bool budget_active = false;
thread_local size_t budget_left = 0;
}  // namespace

StringBudget::StringBudget(size_t bytes) {
  budget_active = true;
  budget_left = bytes;
}
StringBudget::~StringBudget() { budget_active = false; }

void check_string_size(size_t bytes) {
  if (bytes > kMaxStringBytes)
    fail_runtime("a string or the output would exceed " + std::to_string(kMaxStringBytes) + " bytes");
  if (budget_active) {
    if (bytes > budget_left) fail_runtime("the template builds too many strings (budget exhausted)");
    budget_left -= bytes;
  }
}

const Value* DictData::find(std::string_view key) const {
  for (const auto& [k, v] : entries)
    if (k == key) return &v;
  return nullptr;
}

void DictData::set(const std::string& key, Value value) {
  depth = std::max(depth, value.depth() + 1);
  if (depth > kMaxValueDepth) fail_runtime("values nested more than " + std::to_string(kMaxValueDepth) + " deep");
  for (auto& [k, v] : entries)
    if (k == key) {
      v = std::move(value);
      return;
    }
  entries.emplace_back(key, std::move(value));
}

Value Value::undefined(std::string message) {
  Value v;
  v.s_ = std::move(message);
  return v;
}
Value Value::none() {
  Value v;
  v.type_ = Type::None;
  return v;
}
Value Value::boolean(bool b) {
  Value v;
  v.type_ = Type::Bool;
  v.b_ = b;
  return v;
}
Value Value::integer(int64_t i) {
  Value v;
  v.type_ = Type::Int;
  v.i_ = i;
  return v;
}
Value Value::number(double f) {
  Value v;
  v.type_ = Type::Float;
  v.f_ = f;
  return v;
}
Value Value::string(std::string s) {
  check_string_size(s.size());
  Value v;
  v.type_ = Type::String;
  v.s_ = std::move(s);
  return v;
}
Value Value::list(std::vector<Value> items, bool tuple) {
  Value v;
  v.type_ = Type::List;
  v.list_ = std::make_shared<ListData>();
  for (const Value& item : items) v.list_->depth = std::max(v.list_->depth, item.depth() + 1);
  if (v.list_->depth > kMaxValueDepth)
    fail_runtime("values nested more than " + std::to_string(kMaxValueDepth) + " deep");
  v.list_->items = std::move(items);
  v.list_->tuple = tuple;
  return v;
}
Value Value::dict(std::shared_ptr<DictData> data) {
  Value v;
  v.type_ = Type::Dict;
  v.dict_ = std::move(data);
  return v;
}
Value Value::namespace_(std::shared_ptr<DictData> data) {
  Value v = dict(std::move(data));
  v.type_ = Type::Namespace;
  return v;
}
Value Value::function(std::string name) {
  Value v;
  v.type_ = Type::Function;
  v.s_ = std::move(name);
  return v;
}
Value Value::macro(const Stmt* definition) {
  Value v;
  v.type_ = Type::Macro;
  v.macro_ = definition;
  return v;
}

int Value::depth() const {
  if (type_ == Type::List) return list_->depth;
  if (type_ == Type::Dict || type_ == Type::Namespace) return dict_->depth;
  return 0;
}

void Value::fail_undefined() const { fail_runtime(s_); }

namespace {

template <typename Json>
Value json_to_value(const Json& j, int depth) {
  if (depth > kMaxValueDepth) fail_runtime("context nested more than " + std::to_string(kMaxValueDepth) + " deep");
  switch (j.type()) {
    case nlohmann::json::value_t::null: return Value::none();
    case nlohmann::json::value_t::boolean: return Value::boolean(j.template get<bool>());
    case nlohmann::json::value_t::number_integer: return Value::integer(j.template get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: {
      const uint64_t u = j.template get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) fail_unsupported("integer " + std::to_string(u) + " beyond 64 bits");
      return Value::integer(static_cast<int64_t>(u));
    }
    case nlohmann::json::value_t::number_float: return Value::number(j.template get<double>());
    case nlohmann::json::value_t::string: return Value::string(j.template get<std::string>());
    case nlohmann::json::value_t::array: {
      std::vector<Value> items;
      for (const auto& e : j) items.push_back(json_to_value(e, depth + 1));
      return Value::list(std::move(items));
    }
    case nlohmann::json::value_t::object: {
      auto data = std::make_shared<DictData>();
      for (auto it = j.begin(); it != j.end(); ++it) data->set(it.key(), json_to_value(it.value(), depth + 1));
      return Value::dict(std::move(data));
    }
    default: fail_unsupported("JSON value of type " + std::string(j.type_name()) + " in the context");
  }
}

}  // namespace

Value Value::from_json(const nlohmann::json& j) { return json_to_value(j, 0); }
Value Value::from_json(const nlohmann::ordered_json& j) { return json_to_value(j, 0); }

bool truthy(const Value& v) {
  switch (v.type()) {
    case Value::Type::Undefined:
    case Value::Type::None: return false;
    case Value::Type::Bool: return v.as_bool();
    case Value::Type::Int: return v.as_int() != 0;
    case Value::Type::Float: return v.as_double() != 0;
    case Value::Type::String: return !v.str().empty();
    case Value::Type::List: return !v.items().empty();
    case Value::Type::Dict: return !v.entries().entries.empty();
    default: return true;
  }
}

bool equal(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is(Value::Type::Float) || b.is(Value::Type::Float)) return a.as_double() == b.as_double();
    return a.as_int() == b.as_int();
  }
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Value::Type::Undefined:
    case Value::Type::None: return true;
    case Value::Type::String:
    case Value::Type::Function: return a.str() == b.str();
    case Value::Type::List: {
      if (a.items().size() != b.items().size()) return false;
      for (size_t i = 0; i < a.items().size(); ++i)
        if (!equal(a.items()[i], b.items()[i])) return false;
      return true;
    }
    case Value::Type::Dict: {
      const auto& x = a.entries().entries;
      if (x.size() != b.entries().entries.size()) return false;
      for (const auto& [k, v] : x) {
        const Value* other = b.entries().find(k);
        if (!other || !equal(v, *other)) return false;
      }
      return true;
    }
    case Value::Type::Namespace: return &a.entries() == &b.entries();
    case Value::Type::Macro: return a.macro_definition() == b.macro_definition();
    default: return false;
  }
}

bool less(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is(Value::Type::Float) || b.is(Value::Type::Float)) return a.as_double() < b.as_double();
    return a.as_int() < b.as_int();
  }
  if (a.is(Value::Type::String) && b.is(Value::Type::String)) return a.str() < b.str();  // UTF-8 order = code points
  if (a.is(Value::Type::List) && b.is(Value::Type::List)) {
    const auto& x = a.items();
    const auto& y = b.items();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i)
      if (!equal(x[i], y[i])) return less(x[i], y[i]);
    return x.size() < y.size();
  }
  if (a.is_undefined()) a.fail_undefined();
  if (b.is_undefined()) b.fail_undefined();
  fail_runtime("'<' not supported between instances of '" + type_name(a) + "' and '" + type_name(b) + "'");
}

std::string type_name(const Value& v) {
  switch (v.type()) {
    case Value::Type::Undefined: return "Undefined";
    case Value::Type::None: return "NoneType";
    case Value::Type::Bool: return "bool";
    case Value::Type::Int: return "int";
    case Value::Type::Float: return "float";
    case Value::Type::String: return "str";
    case Value::Type::List: return v.is_tuple() ? "tuple" : "list";
    case Value::Type::Dict: return "dict";
    case Value::Type::Namespace: return "Namespace";
    case Value::Type::Function: return "function";
    case Value::Type::Macro: return "Macro";
  }
  return "object";
}

std::string python_float_repr(double f) {
  if (std::isnan(f)) return "nan";
  if (std::isinf(f)) return f < 0 ? "-inf" : "inf";
  // The shortest digits that read back as f, laid out as Python's repr: fixed for exponents -4..15, else d.ddde+XX.
  char buf[64];
  int precision = 1;
  for (; precision < 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*e", precision - 1, f);
    if (std::strtod(buf, nullptr) == f) break;
  }
  std::snprintf(buf, sizeof buf, "%.*e", precision - 1, f);
  std::string text(buf);
  const bool negative = text[0] == '-';
  if (negative) text.erase(0, 1);
  const size_t e = text.find('e');
  const int exponent = std::atoi(text.c_str() + e + 1);
  std::string digits;
  for (size_t i = 0; i < e; ++i)
    if (text[i] != '.') digits += text[i];
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  std::string out;
  if (exponent >= -4 && exponent < 16) {
    if (exponent >= 0) {
      std::string whole = digits.substr(0, std::min(digits.size(), static_cast<size_t>(exponent) + 1));
      whole.append(exponent + 1 - whole.size(), '0');
      const std::string fraction = digits.size() > whole.size() ? digits.substr(whole.size()) : "0";
      out = whole + "." + fraction;
    } else {
      out = "0." + std::string(-exponent - 1, '0') + digits;
    }
  } else {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char exp[16];
    std::snprintf(exp, sizeof exp, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    out += exp;
  }
  return negative ? "-" + out : out;
}

namespace {

std::string repr_string(const std::string& s) {
  const bool has_single = s.find('\'') != std::string::npos;
  const char quote = has_single && s.find('"') == std::string::npos ? '"' : '\'';
  std::string out(1, quote);
  for (char32_t c : decode_utf8(s)) {
    if (c == static_cast<char32_t>(quote) || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(c));
      out += buf;
    } else if (c >= 0xdc80 && c <= 0xdcff) {  // a byte that is not UTF-8, as Python prints a lone surrogate
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\udc%02x", static_cast<unsigned>(c & 0xff));
      out += buf;
    } else {
      out += encode_utf8(std::u32string(1, c));
    }
  }
  return out + quote;
}

void append_checked(std::string& out, const std::string& piece) {
  check_string_size(out.size() + piece.size());
  out += piece;
}

void repr_into(const Value& v, std::string& out);

// A dict's or namespace's entries as Python prints them: 'key': value, ...
void repr_entries_into(const Value& v, std::string& out) {
  bool first = true;
  for (const auto& [k, item] : v.entries().entries) {
    if (!first) out += ", ";
    first = false;
    append_checked(out, repr_string(k) + ": ");
    repr_into(item, out);
  }
}

void repr_into(const Value& v, std::string& out) {
  switch (v.type()) {
    case Value::Type::String: append_checked(out, repr_string(v.str())); return;
    case Value::Type::List: {
      out += v.is_tuple() ? '(' : '[';
      for (size_t i = 0; i < v.items().size(); ++i) {
        if (i) out += ", ";
        repr_into(v.items()[i], out);
      }
      if (v.is_tuple() && v.items().size() == 1) out += ',';
      out += v.is_tuple() ? ')' : ']';
      return;
    }
    case Value::Type::Dict:
      out += '{';
      repr_entries_into(v, out);
      out += '}';
      return;
    case Value::Type::Namespace:
      out += "<Namespace {";
      repr_entries_into(v, out);
      out += "}>";
      return;
    default: append_checked(out, to_str(v));
  }
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

struct JsonStyle {
  int indent;
  std::string item_separator, key_separator;
  bool sort_keys;
};

void json_into(const Value& v, const JsonStyle& style, int level, std::string& out) {
  const auto newline = [&](int at) {
    if (style.indent >= 0) append_checked(out, "\n" + std::string(static_cast<size_t>(style.indent) * at, ' '));
  };
  switch (v.type()) {
    case Value::Type::None: out += "null"; return;
    case Value::Type::Bool: out += v.as_bool() ? "true" : "false"; return;
    case Value::Type::Int: out += std::to_string(v.as_int()); return;
    case Value::Type::Float: {
      const double f = v.as_double();
      out += std::isnan(f) ? "NaN" : std::isinf(f) ? (f < 0 ? "-Infinity" : "Infinity") : python_float_repr(f);
      return;
    }
    case Value::Type::String: append_checked(out, json_string(v.str())); return;
    case Value::Type::List: {
      if (v.items().empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (size_t i = 0; i < v.items().size(); ++i) {
        if (i) out += style.item_separator;
        newline(level + 1);
        json_into(v.items()[i], style, level + 1, out);
      }
      newline(level);
      out += ']';
      return;
    }
    case Value::Type::Dict: {
      std::vector<const std::pair<std::string, Value>*> entries;
      for (const auto& entry : v.entries().entries) entries.push_back(&entry);
      if (entries.empty()) {
        out += "{}";
        return;
      }
      if (style.sort_keys)
        std::stable_sort(entries.begin(), entries.end(), [](auto* a, auto* b) { return a->first < b->first; });
      out += '{';
      for (size_t i = 0; i < entries.size(); ++i) {
        if (i) out += style.item_separator;
        newline(level + 1);
        append_checked(out, json_string(entries[i]->first) + style.key_separator);
        json_into(entries[i]->second, style, level + 1, out);
      }
      newline(level);
      out += '}';
      return;
    }
    default: fail_runtime("Object of type " + type_name(v) + " is not JSON serializable");
  }
}

}  // namespace

std::string to_str(const Value& v) {
  switch (v.type()) {
    case Value::Type::Undefined: return "";
    case Value::Type::None: return "None";
    case Value::Type::Bool: return v.as_bool() ? "True" : "False";
    case Value::Type::Int: return std::to_string(v.as_int());
    case Value::Type::Float: return python_float_repr(v.as_double());
    case Value::Type::String: return v.str();
    case Value::Type::Function: return "<function " + v.str() + ">";
    case Value::Type::Macro: return "<Macro>";
    default: {
      std::string out;
      repr_into(v, out);
      return out;
    }
  }
}

std::string repr(const Value& v) {
  if (v.is(Value::Type::Undefined)) return "Undefined";
  std::string out;
  repr_into(v, out);
  return out;
}

std::string to_json(const Value& v, int indent, const std::string& item_separator, const std::string& key_separator,
                    bool sort_keys) {
  std::string out;
  json_into(v, JsonStyle{indent, item_separator, key_separator, sort_keys}, 0, out);
  return out;
}

std::u32string decode_utf8(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    int length = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    char32_t cp = length == 1 ? c : length == 2 ? c & 0x1f : length == 3 ? c & 0x0f : c & 0x07;
    bool valid = length > 0 && i + length <= s.size();
    for (int k = 1; valid && k < length; ++k) {
      const unsigned char next = static_cast<unsigned char>(s[i + k]);
      if ((next & 0xc0) != 0x80) valid = false;
      cp = (cp << 6) | (next & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8 either.
    static constexpr char32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (valid && (cp < kMinimum[length] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))) valid = false;
    if (!valid) {
      out += static_cast<char32_t>(0xdc00 + c);
      ++i;
    } else {
      out += cp;
      i += length;
    }
  }
  return out;
}

std::string encode_utf8(const std::u32string& s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c >= 0xdc80 && c <= 0xdcff) {
      out += static_cast<char>(c & 0xff);
    } else if (c < 0x800) {
      out += static_cast<char>(0xc0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xe0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (c & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (c & 0x3f));
    }
  }
  return out;
}

bool is_python_space(char32_t c) {
  return (c >= 9 && c <= 13) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

}  // namespace edgeformer::converter::jinja
