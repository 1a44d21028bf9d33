#include "chat/jinja_render.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <set>
#include <unordered_map>

namespace edgeformer::converter::jinja {
namespace {

// Loop iterations, filter items and macro calls per render, all together.
constexpr int64_t kMaxSteps = 1'000'000;
// Expression and statement evaluations nested (macro recursion included).
constexpr int kMaxEvalDepth = 400;
// Bytes of strings one render may build in all.
constexpr size_t kStringBudget = size_t{256} << 20;
// jinja2's sandbox refuses range() longer than this (MAX_RANGE).
constexpr int64_t kMaxRange = 100000;

using Kind = Value::Type;

const std::set<std::string_view> kFilters = {
    "trim", "length", "count", "string", "upper",   "lower",   "title",  "capitalize", "default",    "d",
    "join", "first",  "last",  "list",   "reverse", "replace", "items",  "tojson",     "int",        "float",
    "abs",  "round",  "safe",  "e",      "escape",  "select",  "reject", "selectattr", "rejectattr", "map"};
const std::set<std::string_view> kTests = {
    "defined",  "undefined", "none", "string", "number", "integer", "float",       "mapping", "iterable",
    "sequence", "boolean",   "true", "false",  "even",   "odd",     "divisibleby", "equalto", "eq",
    "ne",       "in",        "lt",   "gt",     "le",     "ge",      "callable",    "lower",   "upper"};
const std::set<std::string_view> kMutators = {"append", "extend",     "insert", "pop",     "remove", "clear",
                                              "update", "setdefault", "sort",   "reverse", "popitem"};

// jinja2's UndefinedError message for obj.name / obj[name] that found nothing.
Value missing(const Value& object, const Value& name) {
  const std::string what = object.is(Kind::None) ? "None" : type_name(object) + " object";
  if (name.is(Kind::String)) return Value::undefined("'" + what + "' has no attribute " + repr(name));
  return Value::undefined(what + " has no element " + repr(name));
}

[[noreturn]] void type_error(const std::string& message) { fail_runtime(message); }

void require_defined(const Value& v) {
  if (v.is_undefined()) v.fail_undefined();
}

// Python integers do not overflow; 64-bit ones refuse to instead of wrapping.
template <typename Op>
int64_t checked(Op op, int64_t a, int64_t b) {
  int64_t result = 0;
  if (op(a, b, &result)) fail_runtime("integer overflow (64 bits)");
  return result;
}
const auto add_overflow = [](int64_t a, int64_t b, int64_t* r) { return __builtin_add_overflow(a, b, r); };
const auto sub_overflow = [](int64_t a, int64_t b, int64_t* r) { return __builtin_sub_overflow(a, b, r); };
const auto mul_overflow = [](int64_t a, int64_t b, int64_t* r) { return __builtin_mul_overflow(a, b, r); };

// Python's slice.indices: the positions a[start:stop:step] takes from a sequence of `length`.
std::vector<size_t> slice_positions(int64_t length, const Value& start, const Value& stop, const Value& step) {
  const auto as_index = [](const Value& v, const char* what) {
    if (!v.is(Kind::Int) && !v.is(Kind::Bool)) type_error(std::string("slice ") + what + " must be an integer or None");
    return v.as_int();
  };
  const int64_t s = step.is(Kind::None) || step.is_undefined() ? 1 : as_index(step, "step");
  if (s == 0) fail_runtime("slice step cannot be zero");
  const auto clamp = [&](const Value& v, int64_t fallback) {
    if (v.is(Kind::None) || v.is_undefined()) return fallback;
    int64_t i = as_index(v, "index");
    if (i < 0) i = std::max<int64_t>(i + length, s < 0 ? -1 : 0);
    return std::min(i, s < 0 ? length - 1 : length);
  };
  const int64_t first = clamp(start, s < 0 ? length - 1 : 0);
  const int64_t last = clamp(stop, s < 0 ? -1 : length);
  std::vector<size_t> positions;
  for (int64_t i = first; s > 0 ? i < last : i > last; i += s) positions.push_back(static_cast<size_t>(i));
  return positions;
}

std::string strip_chars(const std::string& s, const Value& chars, bool left, bool right) {
  const std::u32string text = decode_utf8(s);
  std::u32string set;
  const bool whitespace = chars.is_undefined() || chars.is(Kind::None);
  if (!whitespace) {
    if (!chars.is(Kind::String)) type_error("strip arg must be None or str");
    set = decode_utf8(chars.str());
  }
  const auto strippable = [&](char32_t c) {
    return whitespace ? is_python_space(c) : set.find(c) != std::u32string::npos;
  };
  size_t begin = 0, end = text.size();
  while (left && begin < end && strippable(text[begin])) ++begin;
  while (right && end > begin && strippable(text[end - 1])) --end;
  return encode_utf8(text.substr(begin, end - begin));
}

char ascii_upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; }
char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }
bool ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), ascii_upper);
  return s;
}
std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), ascii_lower);
  return s;
}
std::string capitalize(const std::string& s) {
  std::string out = lower(s);
  if (!out.empty()) out[0] = ascii_upper(out[0]);
  return out;
}
// str.title(): a letter after a non-letter is upper case, any other letter lower case.
std::string python_title(const std::string& s) {
  std::string out = s;
  bool previous_cased = false;
  for (char& c : out) {
    if (ascii_letter(c)) {
      c = previous_cased ? ascii_lower(c) : ascii_upper(c);
      previous_cased = true;
    } else {
      previous_cased = false;
    }
  }
  return out;
}
// jinja2's title filter: words start after whitespace, '-', '(', '{', '[' or '<'; each is capitalized.
std::string jinja_title(const std::string& s) {
  std::string out;
  bool word_start = true;
  for (char c : s) {
    const bool separator = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == '-' ||
                           c == '(' || c == '{' || c == '[' || c == '<';
    out += separator ? c : word_start ? ascii_upper(c) : ascii_lower(c);
    word_start = separator;
  }
  return out;
}

std::vector<std::string> split(const std::string& s, const Value& separator, int64_t max_split) {
  std::vector<std::string> parts;
  if (separator.is_undefined() || separator.is(Kind::None)) {
    const std::u32string text = decode_utf8(s);
    size_t i = 0;
    while (true) {
      while (i < text.size() && is_python_space(text[i])) ++i;
      if (i == text.size()) break;
      if (max_split >= 0 && static_cast<int64_t>(parts.size()) == max_split) {
        std::u32string rest = text.substr(i);
        while (!rest.empty() && is_python_space(rest.back())) rest.pop_back();
        parts.push_back(encode_utf8(rest));
        break;
      }
      size_t j = i;
      while (j < text.size() && !is_python_space(text[j])) ++j;
      parts.push_back(encode_utf8(text.substr(i, j - i)));
      i = j;
    }
    return parts;
  }
  if (!separator.is(Kind::String)) type_error("must be str or None, not " + type_name(separator));
  const std::string& sep = separator.str();
  if (sep.empty()) fail_runtime("empty separator");
  size_t start = 0;
  while (max_split < 0 || static_cast<int64_t>(parts.size()) < max_split) {
    const size_t at = s.find(sep, start);
    if (at == std::string::npos) break;
    parts.push_back(s.substr(start, at - start));
    start = at + sep.size();
  }
  parts.push_back(s.substr(start));
  return parts;
}

std::string replace(const std::string& s, const std::string& old, const std::string& replacement, int64_t count) {
  std::string out;
  if (old.empty()) {  // Python inserts the replacement between characters, and at both ends
    const std::u32string text = decode_utf8(s);
    int64_t done = 0;
    for (size_t i = 0; i <= text.size(); ++i) {
      if (count < 0 || done < count) {
        out += replacement;
        ++done;
      }
      if (i < text.size()) out += encode_utf8(text.substr(i, 1));
      check_string_size(out.size());
    }
    return out;
  }
  size_t start = 0;
  int64_t done = 0;
  while (count < 0 || done < count) {
    const size_t at = s.find(old, start);
    if (at == std::string::npos) break;
    out.append(s, start, at - start);
    out += replacement;
    check_string_size(out.size());
    start = at + old.size();
    ++done;
  }
  out.append(s, start, std::string::npos);
  return out;
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

struct Scope {
  std::unordered_map<std::string, Value> vars;
  Scope* parent = nullptr;

  const Value* find(const std::string& name) const {
    for (const Scope* s = this; s; s = s->parent) {
      auto it = s->vars.find(name);
      if (it != s->vars.end()) return &it->second;
    }
    return nullptr;
  }
};

enum class Flow { Normal, Break, Continue };

// Positional and keyword arguments of a call, filter or test, read by position or by name.
struct Arguments {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
  std::string what;  // the callee, for error messages

  const Value* get(size_t position, const char* name) const {
    for (const auto& [k, v] : keyword)
      if (k == name) return &v;
    return position < positional.size() ? &positional[position] : nullptr;
  }
  Value value(size_t position, const char* name, Value fallback = Value()) const {
    const Value* v = get(position, name);
    return v ? *v : fallback;
  }
  void allow(size_t positional_count, std::initializer_list<const char*> names) const {
    if (positional.size() > positional_count)
      type_error(what + " takes at most " + std::to_string(positional_count) + " positional argument(s)");
    for (const auto& entry : keyword) {
      const std::string& name = entry.first;
      if (std::none_of(names.begin(), names.end(), [&](const char* n) { return name == n; }))
        fail_unsupported(what + " with the keyword argument '" + name + "'");
    }
  }
};

int64_t int_argument(const Value& v, const std::string& what) {
  if (!v.is(Kind::Int) && !v.is(Kind::Bool)) type_error(what + ": expected an integer, got " + type_name(v));
  return v.as_int();
}

const std::string& string_argument(const Value& v, const std::string& what) {
  require_defined(v);
  if (!v.is(Kind::String)) type_error(what + ": expected a string, got " + type_name(v));
  return v.str();
}

class Renderer {
 public:
  Renderer(const Value& context, const std::string& today, std::string* date_format)
      : today_(today), date_format_(date_format) {
    for (const char* name : {"raise_exception", "strftime_now", "namespace", "range", "dict"})
      globals_.vars[name] = Value::function(name);
    root_.parent = &globals_;
    if (!context.is(Kind::Dict)) type_error("the context must be a JSON object");
    for (const auto& [k, v] : context.entries().entries) root_.vars[k] = v;
  }

  std::string run(const Body& body) {
    exec(body, root_);
    return std::move(out_);
  }

 private:
  struct DepthGuard {
    explicit DepthGuard(Renderer& r) : renderer(r) {
      if (++renderer.depth_ > kMaxEvalDepth)
        fail_runtime("rendering nested more than " + std::to_string(kMaxEvalDepth) + " deep (recursive macro?)");
    }
    ~DepthGuard() { --renderer.depth_; }
    Renderer& renderer;
  };

  void step() {
    if (++steps_ > kMaxSteps) fail_runtime("more than " + std::to_string(kMaxSteps) + " loop iterations");
  }

  void write(const std::string& text) {
    check_string_size(out_.size() + text.size());
    out_ += text;
  }

  // ---- statements ----

  Flow exec(const Body& body, Scope& scope) {
    DepthGuard guard(*this);
    for (const StmtPtr& stmt : body) {
      const Flow flow = exec(*stmt, scope);
      if (flow != Flow::Normal) return flow;
    }
    return Flow::Normal;
  }

  Flow exec(const Stmt& s, Scope& scope) {
    switch (s.kind) {
      case Stmt::Kind::Text: write(s.text); return Flow::Normal;
      case Stmt::Kind::Output: write(to_str(eval(*s.expr, scope))); return Flow::Normal;
      case Stmt::Kind::If:
        for (const auto& [condition, body] : s.branches)
          if (!condition || truthy(eval(*condition, scope))) return exec(body, scope);
        return Flow::Normal;
      case Stmt::Kind::For: exec_for(s, scope); return Flow::Normal;
      case Stmt::Kind::Set: exec_set(s, scope); return Flow::Normal;
      case Stmt::Kind::SetBlock: scope.vars[s.targets[0]] = Value::string(capture(s.body, scope)); return Flow::Normal;
      case Stmt::Kind::Macro: scope.vars[s.targets[0]] = Value::macro(&s); return Flow::Normal;
      case Stmt::Kind::Generation: return exec(s.body, scope);
      case Stmt::Kind::Break: return Flow::Break;
      case Stmt::Kind::Continue: return Flow::Continue;
    }
    return Flow::Normal;
  }

  std::string capture(const Body& body, Scope& scope) {
    std::string saved = std::move(out_);
    out_.clear();
    exec(body, scope);
    std::string captured = std::move(out_);
    out_ = std::move(saved);
    return captured;
  }

  void bind(Scope& scope, const std::vector<std::string>& targets, const Value& value) {
    if (targets.size() == 1) {
      scope.vars[targets[0]] = value;
      return;
    }
    const std::vector<Value> parts = iterate(value);
    if (parts.size() < targets.size())
      fail_runtime("not enough values to unpack (expected " + std::to_string(targets.size()) + ", got " +
                   std::to_string(parts.size()) + ")");
    if (parts.size() > targets.size())
      fail_runtime("too many values to unpack (expected " + std::to_string(targets.size()) + ")");
    for (size_t i = 0; i < targets.size(); ++i) scope.vars[targets[i]] = parts[i];
  }

  void exec_set(const Stmt& s, Scope& scope) {
    const Value value = eval(*s.expr, scope);
    if (s.attribute.empty()) {
      bind(scope, s.targets, value);
      return;
    }
    const Value* target = scope.find(s.targets[0]);
    if (!target || !target->is(Kind::Namespace)) fail_runtime("cannot assign attribute on non-namespace object");
    if (contains_namespace(value)) fail_unsupported("storing a namespace inside a namespace");
    target->mutable_entries().set(s.attribute, value);
  }

  static bool contains_namespace(const Value& v) {
    if (v.is(Kind::Namespace)) return true;
    if (v.is(Kind::List)) return std::any_of(v.items().begin(), v.items().end(), contains_namespace);
    if (v.is(Kind::Dict))
      for (const auto& entry : v.entries().entries)
        if (contains_namespace(entry.second)) return true;
    return false;
  }

  void exec_for(const Stmt& s, Scope& scope) {
    std::vector<Value> items = iterate(eval(*s.expr, scope));
    if (s.filter) {
      std::vector<Value> kept;
      for (Value& item : items) {
        step();
        Scope test_scope;
        test_scope.parent = &scope;
        bind(test_scope, s.targets, item);
        if (truthy(eval(*s.filter, test_scope))) kept.push_back(std::move(item));
      }
      items = std::move(kept);
    }
    if (items.empty()) {
      exec(s.else_body, scope);
      return;
    }
    const int64_t length = static_cast<int64_t>(items.size());
    for (int64_t i = 0; i < length; ++i) {
      step();
      Scope iteration;  // a fresh scope each time: what the body sets does not outlive the iteration
      iteration.parent = &scope;
      bind(iteration, s.targets, items[i]);
      auto loop = std::make_shared<DictData>();
      loop->set("index0", Value::integer(i));
      loop->set("index", Value::integer(i + 1));
      loop->set("revindex0", Value::integer(length - i - 1));
      loop->set("revindex", Value::integer(length - i));
      loop->set("first", Value::boolean(i == 0));
      loop->set("last", Value::boolean(i == length - 1));
      loop->set("length", Value::integer(length));
      loop->set("depth", Value::integer(1));
      loop->set("depth0", Value::integer(0));
      if (i > 0) loop->set("previtem", items[i - 1]);
      if (i + 1 < length) loop->set("nextitem", items[i + 1]);
      iteration.vars["loop"] = Value::dict(std::move(loop));
      if (exec(s.body, iteration) == Flow::Break) break;
    }
  }

  // ---- expressions ----

  std::vector<Value> iterate(const Value& v) {
    switch (v.type()) {
      case Kind::Undefined: return {};
      case Kind::List: return v.items();
      case Kind::Dict: {
        std::vector<Value> keys;
        for (const auto& entry : v.entries().entries) keys.push_back(Value::string(entry.first));
        return keys;
      }
      case Kind::String: {
        std::vector<Value> chars;
        for (char32_t c : decode_utf8(v.str())) chars.push_back(Value::string(encode_utf8(std::u32string(1, c))));
        return chars;
      }
      default: type_error("'" + type_name(v) + "' object is not iterable");
    }
  }

  Value eval(const Expr& e, Scope& scope) {
    DepthGuard guard(*this);
    switch (e.kind) {
      case Expr::Kind::Literal: return e.literal;
      case Expr::Kind::Name: {
        const Value* v = scope.find(e.name);
        return v ? *v : Value::undefined("'" + e.name + "' is undefined");
      }
      case Expr::Kind::List:
      case Expr::Kind::Tuple: {
        std::vector<Value> items;
        for (const ExprPtr& a : e.args) items.push_back(eval(*a, scope));
        return Value::list(std::move(items), e.kind == Expr::Kind::Tuple);
      }
      case Expr::Kind::Dict: {
        auto data = std::make_shared<DictData>();
        for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
          const Value key = eval(*e.args[i], scope);
          if (!key.is(Kind::String)) fail_unsupported("dict keys other than strings");
          data->set(key.str(), eval(*e.args[i + 1], scope));
        }
        return Value::dict(std::move(data));
      }
      case Expr::Kind::Attribute: return get_attribute(eval(*e.args[0], scope), e.name);
      case Expr::Kind::Item: return get_item(eval(*e.args[0], scope), eval(*e.args[1], scope));
      case Expr::Kind::Slice: {
        const Value object = eval(*e.args[0], scope);
        Value parts[3];
        for (int i = 0; i < 3; ++i) parts[i] = e.args[i + 1] ? eval(*e.args[i + 1], scope) : Value::none();
        return slice(object, parts[0], parts[1], parts[2]);
      }
      case Expr::Kind::Call: return call(e, scope);
      case Expr::Kind::Filter: {
        const Value subject = eval(*e.args[0], scope);
        return filter(e.name, subject, arguments(e, scope, "filter '" + e.name + "'"));
      }
      case Expr::Kind::Test: {
        const Value subject = eval(*e.args[0], scope);
        return Value::boolean(test(e.name, subject, arguments(e, scope, "test '" + e.name + "'")));
      }
      case Expr::Kind::Not: return Value::boolean(!truthy(eval(*e.args[0], scope)));
      case Expr::Kind::Negate:
      case Expr::Kind::Plus: {
        const Value v = eval(*e.args[0], scope);
        require_defined(v);
        if (!v.is_number())
          type_error(std::string("bad operand type for unary ") + (e.kind == Expr::Kind::Negate ? "-" : "+") + ": '" +
                     type_name(v) + "'");
        if (e.kind == Expr::Kind::Plus) return v.is(Kind::Bool) ? Value::integer(v.as_int()) : v;
        if (v.is(Kind::Float)) return Value::number(-v.as_double());
        return Value::integer(checked(sub_overflow, 0, v.as_int()));
      }
      case Expr::Kind::Binary: return binary(e.name, eval(*e.args[0], scope), eval(*e.args[1], scope));
      case Expr::Kind::Compare: {
        Value left = eval(*e.args[0], scope);
        for (size_t i = 0; i < e.ops.size(); ++i) {
          Value right = eval(*e.args[i + 1], scope);
          if (!compare(e.ops[i], left, right)) return Value::boolean(false);
          left = std::move(right);
        }
        return Value::boolean(true);
      }
      case Expr::Kind::And: {
        Value left = eval(*e.args[0], scope);
        return truthy(left) ? eval(*e.args[1], scope) : left;
      }
      case Expr::Kind::Or: {
        Value left = eval(*e.args[0], scope);
        return truthy(left) ? left : eval(*e.args[1], scope);
      }
      case Expr::Kind::Conditional:
        if (truthy(eval(*e.args[1], scope))) return eval(*e.args[0], scope);
        return e.args[2] ? eval(*e.args[2], scope) : Value::undefined("the conditional expression has no else");
    }
    return Value();
  }

  Arguments arguments(const Expr& e, Scope& scope, std::string what) {
    Arguments a;
    a.what = std::move(what);
    for (size_t i = 1; i < e.args.size(); ++i) a.positional.push_back(eval(*e.args[i], scope));
    for (const auto& [k, v] : e.kwargs) a.keyword.emplace_back(k, eval(*v, scope));
    return a;
  }

  static bool is_method_name(const Value& object, const std::string& name) {
    static const std::set<std::string_view> kStringMethods = {
        "startswith", "endswith", "strip",      "lstrip",  "rstrip",  "split",    "replace", "upper",
        "lower",      "title",    "capitalize", "find",    "count",   "join",     "format",  "rsplit",
        "splitlines", "isdigit",  "isalpha",    "isspace", "isalnum", "islower",  "isupper", "center",
        "ljust",      "rjust",    "zfill",      "index",   "rfind",   "partition"};
    static const std::set<std::string_view> kDictMethods = {"items", "keys", "values", "get", "copy"};
    if (object.is(Kind::String)) return kStringMethods.count(name) != 0;
    if (object.is(Kind::Dict)) return kDictMethods.count(name) != 0 || kMutators.count(name) != 0;
    if (object.is(Kind::List))
      return kMutators.count(name) != 0 || name == "index" || name == "count" || name == "copy";
    return false;
  }

  // obj.name: jinja2 tries the attribute first, then the item.
  Value get_attribute(const Value& object, const std::string& name) {
    require_defined(object);
    if (is_method_name(object, name)) fail_unsupported(type_name(object) + "." + name + " other than called");
    if (object.is(Kind::Dict) || object.is(Kind::Namespace)) {
      const Value* v = object.entries().find(name);
      if (v) return *v;
    }
    return missing(object, Value::string(name));
  }

  // obj[key]: the item first, then (for a string key) the attribute.
  Value get_item(const Value& object, const Value& key) {
    require_defined(object);
    if (object.is(Kind::Dict) && key.is(Kind::String)) {
      const Value* v = object.entries().find(key.str());
      if (v) return *v;
    } else if ((object.is(Kind::List) || object.is(Kind::String)) && (key.is(Kind::Int) || key.is(Kind::Bool))) {
      int64_t i = key.as_int();
      if (object.is(Kind::List)) {
        const int64_t n = static_cast<int64_t>(object.items().size());
        if (i < 0) i += n;
        if (i >= 0 && i < n) return object.items()[static_cast<size_t>(i)];
      } else {
        const std::u32string text = decode_utf8(object.str());
        const int64_t n = static_cast<int64_t>(text.size());
        if (i < 0) i += n;
        if (i >= 0 && i < n) return Value::string(encode_utf8(text.substr(static_cast<size_t>(i), 1)));
      }
    } else if (key.is(Kind::String) && object.is(Kind::Namespace)) {
      return get_attribute(object, key.str());
    }
    return missing(object, key);
  }

  Value slice(const Value& object, const Value& start, const Value& stop, const Value& step) {
    require_defined(object);
    if (object.is(Kind::List)) {
      std::vector<Value> items;
      for (size_t i : slice_positions(static_cast<int64_t>(object.items().size()), start, stop, step))
        items.push_back(object.items()[i]);
      return Value::list(std::move(items), object.is_tuple());
    }
    if (object.is(Kind::String)) {
      const std::u32string text = decode_utf8(object.str());
      std::u32string out;
      for (size_t i : slice_positions(static_cast<int64_t>(text.size()), start, stop, step)) out += text[i];
      return Value::string(encode_utf8(out));
    }
    type_error("'" + type_name(object) + "' object is not subscriptable");
  }

  Value binary(const std::string& op, const Value& a, const Value& b) {
    if (op == "~") return Value::string(to_str(a) + to_str(b));
    require_defined(a);
    require_defined(b);
    const auto unsupported = [&]() -> Value {
      type_error("unsupported operand type(s) for " + op + ": '" + type_name(a) + "' and '" + type_name(b) + "'");
    };
    const bool numbers = a.is_number() && b.is_number();
    const bool floats = numbers && (a.is(Kind::Float) || b.is(Kind::Float));
    if (op == "+") {
      if (numbers)
        return floats ? Value::number(a.as_double() + b.as_double())
                      : Value::integer(checked(add_overflow, a.as_int(), b.as_int()));
      if (a.is(Kind::String) && b.is(Kind::String)) {
        check_string_size(a.str().size() + b.str().size());
        return Value::string(a.str() + b.str());
      }
      if (a.is(Kind::List) && b.is(Kind::List) && a.is_tuple() == b.is_tuple()) {
        std::vector<Value> items = a.items();
        items.insert(items.end(), b.items().begin(), b.items().end());
        return Value::list(std::move(items), a.is_tuple());
      }
      if (a.is(Kind::String)) type_error("can only concatenate str (not \"" + type_name(b) + "\") to str");
      if (a.is(Kind::List))
        type_error("can only concatenate " + type_name(a) + " (not \"" + type_name(b) + "\") to " + type_name(a));
      return unsupported();
    }
    if (op == "-") {
      if (!numbers) return unsupported();
      return floats ? Value::number(a.as_double() - b.as_double())
                    : Value::integer(checked(sub_overflow, a.as_int(), b.as_int()));
    }
    if (op == "*") {
      if (numbers)
        return floats ? Value::number(a.as_double() * b.as_double())
                      : Value::integer(checked(mul_overflow, a.as_int(), b.as_int()));
      const bool a_sequence = a.is(Kind::String) || a.is(Kind::List);
      const Value& sequence = a_sequence ? a : b;
      const Value& times = a_sequence ? b : a;
      if (!(sequence.is(Kind::String) || sequence.is(Kind::List)) || !(times.is(Kind::Int) || times.is(Kind::Bool)))
        return unsupported();
      const int64_t n = std::max<int64_t>(times.as_int(), 0);
      if (sequence.is(Kind::String)) {
        if (n > 0 && sequence.str().size() > kMaxStringBytes / static_cast<size_t>(n))
          check_string_size(kMaxStringBytes + 1);
        std::string out;
        for (int64_t i = 0; i < n; ++i) out += sequence.str();
        return Value::string(std::move(out));
      }
      if (n > 0 && sequence.items().size() > static_cast<size_t>(kMaxSteps / n))
        fail_runtime("list repetition too long");
      std::vector<Value> items;
      for (int64_t i = 0; i < n; ++i) items.insert(items.end(), sequence.items().begin(), sequence.items().end());
      return Value::list(std::move(items), sequence.is_tuple());
    }
    if (!numbers) {
      if (op == "%" && a.is(Kind::String)) fail_unsupported("'%' string formatting");
      return unsupported();
    }
    if (op == "**") {
      if (floats || b.as_int() < 0) return Value::number(std::pow(a.as_double(), b.as_double()));
      int64_t result = 1, base = a.as_int();
      for (int64_t e = b.as_int(); e > 0; e >>= 1) {
        if (e & 1) result = checked(mul_overflow, result, base);
        if (e > 1) base = checked(mul_overflow, base, base);
      }
      return Value::integer(result);
    }
    if (floats ? b.as_double() == 0 : b.as_int() == 0)
      fail_runtime(op == "/"    ? "division by zero"
                   : op == "//" ? "integer division or modulo by zero"
                                : "integer modulo by zero");
    if (op == "/") return Value::number(a.as_double() / b.as_double());
    if (floats) {
      const double x = a.as_double(), y = b.as_double();
      const double m = std::fmod(x, y);
      const double mod = (m != 0 && ((m < 0) != (y < 0))) ? m + y : m;
      if (op == "%") return Value::number(mod);
      return Value::number(std::floor(x / y));
    }
    const int64_t x = a.as_int(), y = b.as_int();
    if (x == INT64_MIN && y == -1) fail_runtime("integer overflow (64 bits)");
    int64_t q = x / y, m = x % y;
    if (m != 0 && ((m < 0) != (y < 0))) {
      --q;
      m += y;
    }
    return Value::integer(op == "%" ? m : q);
  }

  bool contains(const Value& container, const Value& item) {
    require_defined(item);
    switch (container.type()) {
      case Kind::Undefined: return false;
      case Kind::String:
        if (!item.is(Kind::String)) type_error("'in <string>' requires string as left operand, not " + type_name(item));
        return container.str().find(item.str()) != std::string::npos;
      case Kind::List:
        return std::any_of(container.items().begin(), container.items().end(),
                           [&](const Value& v) { return equal(v, item); });
      case Kind::Dict: return item.is(Kind::String) && container.entries().find(item.str()) != nullptr;
      default: type_error("argument of type '" + type_name(container) + "' is not iterable");
    }
  }

  bool compare(const std::string& op, const Value& a, const Value& b) {
    if (op == "==") return equal(a, b);
    if (op == "!=") return !equal(a, b);
    if (op == "in") return contains(b, a);
    if (op == "notin") return !contains(b, a);
    if (op == "<") return less(a, b);
    if (op == ">") return less(b, a);
    if (op == "<=") return !less(b, a);
    return !less(a, b);  // >=
  }

  // ---- calls ----

  Value call(const Expr& e, Scope& scope) {
    const Expr& callee = *e.args[0];
    if (callee.kind == Expr::Kind::Attribute) {
      const Value object = eval(*callee.args[0], scope);
      require_defined(object);
      if (is_method_name(object, callee.name))
        return method(object, callee.name, arguments(e, scope, type_name(object) + "." + callee.name + "()"));
    }
    const Value function = eval(callee, scope);
    Arguments args = arguments(e, scope, "");
    if (function.is(Kind::Macro)) return call_macro(*function.macro_definition(), args);
    if (function.is(Kind::Function)) {
      args.what = function.str() + "()";
      return call_global(function.str(), args);
    }
    require_defined(function);
    type_error("'" + type_name(function) + "' object is not callable");
  }

  Value call_macro(const Stmt& macro, const Arguments& args) {
    step();
    const std::string& name = macro.targets[0];
    if (args.positional.size() > macro.params.size())
      type_error("macro '" + name + "' takes not more than " + std::to_string(macro.params.size()) + " argument(s)");
    Scope frame;
    frame.parent = &root_;
    for (const auto& [k, v] : args.keyword)
      if (std::find(macro.params.begin(), macro.params.end(), k) == macro.params.end())
        type_error("macro '" + name + "' takes no keyword argument '" + k + "'");
    for (size_t i = 0; i < macro.params.size(); ++i) {
      const Value* given = args.get(i, macro.params[i].c_str());
      if (given) {
        frame.vars[macro.params[i]] = *given;
      } else if (macro.defaults[i]) {
        frame.vars[macro.params[i]] = eval(*macro.defaults[i], frame);
      } else {
        frame.vars[macro.params[i]] = Value::undefined("parameter '" + macro.params[i] + "' was not provided");
      }
    }
    return Value::string(capture(macro.body, frame));
  }

  Value call_global(const std::string& name, const Arguments& args) {
    if (name == "raise_exception") {
      args.allow(1, {});
      throw TemplateError(TemplateError::Kind::Raised, to_str(args.value(0, "")));
    }
    if (name == "strftime_now") {
      if (date_format_ != nullptr && !args.positional.empty() && args.positional[0].is(Kind::String))
        *date_format_ = args.positional[0].str();
      return Value::string(today_);
    }
    if (name == "namespace" || name == "dict") {
      auto data = std::make_shared<DictData>();
      if (!args.positional.empty()) {
        if (args.positional.size() > 1 || !args.positional[0].is(Kind::Dict))
          fail_unsupported(name + "() with positional arguments other than one dict");
        *data = args.positional[0].entries();
      }
      for (const auto& [k, v] : args.keyword) {
        if (name == "namespace" && contains_namespace(v)) fail_unsupported("storing a namespace inside a namespace");
        data->set(k, v);
      }
      return name == "namespace" ? Value::namespace_(std::move(data)) : Value::dict(std::move(data));
    }
    // range
    args.allow(3, {});
    std::vector<int64_t> bounds;
    for (const Value& v : args.positional) bounds.push_back(int_argument(v, "range()"));
    if (bounds.empty()) type_error("range expected at least 1 argument, got 0");
    const int64_t start = bounds.size() > 1 ? bounds[0] : 0;
    const int64_t stop = bounds.size() > 1 ? bounds[1] : bounds[0];
    const int64_t stride = bounds.size() > 2 ? bounds[2] : 1;
    if (stride == 0) fail_runtime("range() arg 3 must not be zero");
    const double count =
        std::ceil((static_cast<double>(stop) - static_cast<double>(start)) / static_cast<double>(stride));
    if (count > kMaxRange)
      fail_runtime("Range too big. The sandbox blocks ranges larger than MAX_RANGE (" + std::to_string(kMaxRange) +
                   ").");
    std::vector<Value> items;
    for (int64_t i = 0; i < static_cast<int64_t>(std::max(count, 0.0)); ++i)
      items.push_back(Value::integer(start + i * stride));
    return Value::list(std::move(items));
  }

  Value method(const Value& object, const std::string& name, const Arguments& args) {
    if (kMutators.count(name) && !object.is(Kind::String))
      fail_unsupported("access to attribute '" + name + "' of '" + type_name(object) + "' object is unsafe.");
    if (object.is(Kind::Dict)) {
      const DictData& d = object.entries();
      if (name == "get") {
        args.allow(2, {});
        const Value key = args.value(0, "");
        const Value* found = key.is(Kind::String) ? d.find(key.str()) : nullptr;
        return found ? *found : args.value(1, "", Value::none());
      }
      args.allow(0, {});
      std::vector<Value> out;
      for (const auto& [k, v] : d.entries) {
        if (name == "items")
          out.push_back(Value::list({Value::string(k), v}, true));
        else if (name == "keys")
          out.push_back(Value::string(k));
        else if (name == "values")
          out.push_back(v);
      }
      if (name == "copy") return object;
      return Value::list(std::move(out));
    }
    if (!object.is(Kind::String)) fail_unsupported(args.what);
    const std::string& s = object.str();
    if (name == "startswith" || name == "endswith") {
      args.allow(1, {});
      const Value prefix = args.value(0, "");
      std::vector<Value> candidates = prefix.is(Kind::List) ? prefix.items() : std::vector<Value>{prefix};
      for (const Value& c : candidates) {
        const std::string& p = string_argument(c, args.what);
        if (p.size() <= s.size() &&
            (name == "startswith" ? s.compare(0, p.size(), p) == 0 : s.compare(s.size() - p.size(), p.size(), p) == 0))
          return Value::boolean(true);
      }
      return Value::boolean(false);
    }
    if (name == "strip" || name == "lstrip" || name == "rstrip") {
      args.allow(1, {});
      return Value::string(strip_chars(s, args.value(0, "chars"), name != "rstrip", name != "lstrip"));
    }
    if (name == "split") {
      args.allow(2, {"sep", "maxsplit"});
      const Value max = args.value(1, "maxsplit", Value::integer(-1));
      std::vector<Value> parts;
      for (std::string& part : split(s, args.value(0, "sep"), int_argument(max, args.what)))
        parts.push_back(Value::string(std::move(part)));
      return Value::list(std::move(parts));
    }
    if (name == "replace") {
      args.allow(3, {});
      const Value count = args.value(2, "", Value::integer(-1));
      return Value::string(replace(s, string_argument(args.value(0, ""), args.what),
                                   string_argument(args.value(1, ""), args.what), int_argument(count, args.what)));
    }
    if (name == "upper" || name == "lower" || name == "title" || name == "capitalize") {
      args.allow(0, {});
      return Value::string(name == "upper"   ? upper(s)
                           : name == "lower" ? lower(s)
                           : name == "title" ? python_title(s)
                                             : capitalize(s));
    }
    if (name == "find" || name == "count") {
      args.allow(1, {});
      const Value argument = args.value(0, "");
      const std::string& needle = string_argument(argument, args.what);
      if (name == "find") {
        const size_t at = s.find(needle);
        return Value::integer(at == std::string::npos ? -1 : static_cast<int64_t>(decode_utf8(s.substr(0, at)).size()));
      }
      if (needle.empty()) return Value::integer(static_cast<int64_t>(decode_utf8(s).size()) + 1);
      int64_t n = 0;
      for (size_t at = s.find(needle); at != std::string::npos; at = s.find(needle, at + needle.size())) ++n;
      return Value::integer(n);
    }
    if (name == "join") {
      args.allow(1, {});
      std::string out;
      bool first = true;
      for (const Value& item : iterate(args.value(0, ""))) {
        step();
        if (!first) out += s;
        first = false;
        out += string_argument(item, args.what);
        check_string_size(out.size());
      }
      return Value::string(std::move(out));
    }
    fail_unsupported(args.what);
  }

  // ---- filters ----

  // Attribute paths as selectattr, map and join take them: "a.b" reads item a, then item b; "0" is an index.
  Value attribute_path(const Value& object, const std::string& path) {
    Value v = object;
    size_t start = 0;
    while (true) {
      const size_t dot = path.find('.', start);
      const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      const bool index =
          !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
      v = v.is_undefined() ? v : get_item(v, index ? Value::integer(std::atoll(part.c_str())) : Value::string(part));
      if (dot == std::string::npos) return v;
      start = dot + 1;
    }
  }

  Value filter(const std::string& name, const Value& subject, const Arguments& args) {
    if (name == "safe") return subject;
    if (name == "default" || name == "d") {
      args.allow(2, {"default_value", "boolean"});
      const bool use_default = subject.is_undefined() || (truthy(args.value(1, "boolean")) && !truthy(subject));
      return use_default ? args.value(0, "default_value", Value::string("")) : subject;
    }
    if (name == "length" || name == "count") {
      args.allow(0, {});
      switch (subject.type()) {
        case Kind::Undefined: return Value::integer(0);
        case Kind::String: return Value::integer(static_cast<int64_t>(decode_utf8(subject.str()).size()));
        case Kind::List: return Value::integer(static_cast<int64_t>(subject.items().size()));
        case Kind::Dict: return Value::integer(static_cast<int64_t>(subject.entries().entries.size()));
        default: type_error("object of type '" + type_name(subject) + "' has no len()");
      }
    }
    if (name == "string") return Value::string(to_str(subject));
    if (name == "e" || name == "escape") return Value::string(html_escape(to_str(subject)));
    if (name == "tojson") return tojson(subject, args);
    if (name == "items") {
      if (subject.is_undefined()) return Value::list({});
      if (!subject.is(Kind::Dict)) type_error("'" + type_name(subject) + "' object has no attribute 'items'");
      return method(subject, "items", Arguments{{}, {}, "dict.items()"});
    }
    if (name == "list") return Value::list(iterate(subject));
    if (name == "first" || name == "last") {
      std::vector<Value> items = iterate(subject);
      if (items.empty()) return Value::undefined(std::string("No ") + name + " item, sequence was empty.");
      return name == "first" ? items.front() : items.back();
    }
    if (name == "reverse") {
      if (subject.is(Kind::String)) {
        std::u32string text = decode_utf8(subject.str());
        std::reverse(text.begin(), text.end());
        return Value::string(encode_utf8(text));
      }
      std::vector<Value> items = iterate(subject);
      std::reverse(items.begin(), items.end());
      return Value::list(std::move(items));
    }
    if (name == "join") {
      args.allow(2, {"d", "attribute"});
      const Value separator = args.value(0, "d", Value::string(""));
      const Value attribute = args.value(1, "attribute", Value::none());
      std::string out;
      bool first = true;
      for (const Value& item : iterate(subject)) {
        step();
        if (!first) out += to_str(separator);
        first = false;
        out += to_str(attribute.is(Kind::None) ? item : attribute_path(item, to_str(attribute)));
        check_string_size(out.size());
      }
      return Value::string(std::move(out));
    }
    if (name == "int") {
      args.allow(2, {"default", "base"});
      if (args.get(1, "base")) fail_unsupported("filter 'int' with a base");
      return to_int(subject, args.value(0, "default", Value::integer(0)));
    }
    if (name == "float") {
      args.allow(1, {"default"});
      return to_float(subject, args.value(0, "default", Value::number(0)));
    }
    if (name == "abs") {
      require_defined(subject);
      if (!subject.is_number()) type_error("bad operand type for abs(): '" + type_name(subject) + "'");
      if (subject.is(Kind::Float)) return Value::number(std::fabs(subject.as_double()));
      return Value::integer(subject.as_int() < 0 ? checked(sub_overflow, 0, subject.as_int()) : subject.as_int());
    }
    if (name == "round") {
      args.allow(2, {"precision", "method"});
      const int64_t precision = int_argument(args.value(0, "precision", Value::integer(0)), "filter 'round'");
      const std::string method = to_str(args.value(1, "method", Value::string("common")));
      require_defined(subject);
      if (!subject.is_number()) type_error("type " + type_name(subject) + " doesn't define __round__ method");
      if (method == "common" && !subject.is(Kind::Float)) return Value::integer(subject.as_int());
      const double scale = std::pow(10.0, static_cast<double>(precision));
      const double x = subject.as_double() * scale;
      // "common" is Python's round(): to the nearest, ties to even.
      const double rounded = method == "ceil" ? std::ceil(x) : method == "floor" ? std::floor(x) : std::nearbyint(x);
      if (method != "common" && method != "ceil" && method != "floor")
        fail_runtime("method must be common, ceil or floor");
      return Value::number(rounded / scale);
    }
    if (name == "select" || name == "reject" || name == "selectattr" || name == "rejectattr") {
      const bool by_attribute = name == "selectattr" || name == "rejectattr";
      const bool keep_passing = name == "select" || name == "selectattr";
      Arguments test_args{{}, args.keyword, ""};
      size_t next = 0;
      std::string attribute;
      if (by_attribute) {
        if (args.positional.empty()) type_error("filter '" + name + "' needs an attribute");
        attribute = to_str(args.positional[next++]);
      }
      std::string test_name;
      if (next < args.positional.size()) test_name = string_argument(args.positional[next++], "filter '" + name + "'");
      if (!test_name.empty() && !is_supported_test(test_name)) fail_unsupported("test '" + test_name + "'");
      test_args.positional.assign(args.positional.begin() + static_cast<std::ptrdiff_t>(next), args.positional.end());
      test_args.what = "test '" + test_name + "'";
      std::vector<Value> kept;
      for (const Value& item : iterate(subject)) {
        step();
        const Value tested = by_attribute ? attribute_path(item, attribute) : item;
        const bool passes = test_name.empty() ? truthy(tested) : test(test_name, tested, test_args);
        if (passes == keep_passing) kept.push_back(item);
      }
      return Value::list(std::move(kept));
    }
    if (name == "map") {
      std::vector<Value> out;
      const Value* attribute = args.get(static_cast<size_t>(-1), "attribute");
      for (const Value& item : iterate(subject)) {
        step();
        if (attribute) {
          Value v = attribute_path(item, to_str(*attribute));
          out.push_back(v.is_undefined() ? args.value(static_cast<size_t>(-1), "default", v) : v);
        } else {
          if (args.positional.empty()) type_error("map requires a filter argument");
          const std::string filter_name = string_argument(args.positional[0], "filter 'map'");
          if (!is_supported_filter(filter_name)) fail_unsupported("filter '" + filter_name + "'");
          Arguments rest{
              {args.positional.begin() + 1, args.positional.end()}, args.keyword, "filter '" + filter_name + "'"};
          out.push_back(filter(filter_name, item, rest));
        }
      }
      return Value::list(std::move(out));
    }
    // The string filters.
    const std::string text = to_str(subject);
    if (name == "trim") {
      args.allow(1, {"chars"});
      return Value::string(strip_chars(text, args.value(0, "chars"), true, true));
    }
    if (name == "upper") return Value::string(upper(text));
    if (name == "lower") return Value::string(lower(text));
    if (name == "title") return Value::string(jinja_title(text));
    if (name == "capitalize") return Value::string(capitalize(text));
    if (name == "replace") {
      args.allow(3, {"count"});
      const Value count = args.value(2, "count", Value::none());
      return Value::string(replace(text, to_str(args.value(0, "")), to_str(args.value(1, "")),
                                   count.is(Kind::None) ? -1 : int_argument(count, "filter 'replace'")));
    }
    fail_unsupported("filter '" + name + "'");
  }

  static Value to_int(const Value& v, const Value& fallback) {
    if (v.is(Kind::Int) || v.is(Kind::Bool)) return Value::integer(v.as_int());
    if (v.is(Kind::Float)) {
      const double f = v.as_double();
      if (!std::isfinite(f) || std::fabs(f) >= 9.2e18) return fallback;
      return Value::integer(static_cast<int64_t>(f));
    }
    if (!v.is(Kind::String)) return fallback;
    std::string digits;
    for (char c : strip_chars(v.str(), Value(), true, true))
      if (c != '_') digits += c;
    if (digits.empty()) return fallback;
    char* end = nullptr;
    errno = 0;
    const long long i = std::strtoll(digits.c_str(), &end, 10);
    if (*end == '\0' && errno == 0) return Value::integer(i);
    const Value f = to_float(Value::string(digits), Value());
    return f.is_undefined() ? fallback : to_int(f, fallback);
  }

  static Value to_float(const Value& v, const Value& fallback) {
    if (v.is_number()) return Value::number(v.as_double());
    if (!v.is(Kind::String)) return fallback;
    const std::string text = strip_chars(v.str(), Value(), true, true);
    if (text.empty()) return fallback;
    char* end = nullptr;
    const double f = std::strtod(text.c_str(), &end);
    return *end == '\0' ? Value::number(f) : fallback;
  }

  static Value tojson(const Value& subject, const Arguments& args) {
    args.allow(1, {"ensure_ascii", "indent", "separators", "sort_keys"});
    if (truthy(args.value(0, "ensure_ascii"))) fail_unsupported("filter 'tojson' with ensure_ascii");
    const Value indent = args.value(static_cast<size_t>(-1), "indent", Value::none());
    if (!indent.is(Kind::None) && !indent.is(Kind::Int)) fail_unsupported("filter 'tojson' with a non-integer indent");
    const int width = indent.is(Kind::None) ? -1 : static_cast<int>(std::clamp<int64_t>(indent.as_int(), 0, 64));
    std::string item_separator = width >= 0 ? "," : ", ", key_separator = ": ";
    const Value separators = args.value(static_cast<size_t>(-1), "separators", Value::none());
    if (!separators.is(Kind::None)) {
      if (!separators.is(Kind::List) || separators.items().size() != 2)
        type_error("separators must be a pair of strings");
      item_separator = string_argument(separators.items()[0], "filter 'tojson'");
      key_separator = string_argument(separators.items()[1], "filter 'tojson'");
    }
    require_defined(subject);
    return Value::string(to_json(subject, width, item_separator, key_separator,
                                 truthy(args.value(static_cast<size_t>(-1), "sort_keys"))));
  }

  // ---- tests ----

  bool test(const std::string& name, const Value& v, const Arguments& args) {
    if (name == "defined") return !v.is_undefined();
    if (name == "undefined") return v.is_undefined();
    if (name == "none") return v.is(Kind::None);
    if (name == "string") return v.is(Kind::String);
    if (name == "number") return v.is_number();
    if (name == "integer") return v.is(Kind::Int);
    if (name == "float") return v.is(Kind::Float);
    if (name == "mapping") return v.is(Kind::Dict);
    if (name == "iterable") return v.is(Kind::String) || v.is(Kind::List) || v.is(Kind::Dict) || v.is_undefined();
    if (name == "sequence") return v.is(Kind::String) || v.is(Kind::List) || v.is(Kind::Dict);
    if (name == "boolean") return v.is(Kind::Bool);
    if (name == "true") return v.is(Kind::Bool) && v.as_bool();
    if (name == "false") return v.is(Kind::Bool) && !v.as_bool();
    if (name == "callable") return v.is(Kind::Function) || v.is(Kind::Macro);
    if (name == "lower" || name == "upper") {
      const std::string s = to_str(v);
      const bool any_cased = std::any_of(s.begin(), s.end(), ascii_letter);
      return any_cased && (name == "lower" ? lower(s) == s : upper(s) == s);
    }
    const Value other = args.value(0, name == "divisibleby" ? "num" : "other");
    if (name == "equalto" || name == "eq") return equal(v, other);
    if (name == "ne") return !equal(v, other);
    if (name == "lt") return less(v, other);
    if (name == "gt") return less(other, v);
    if (name == "le") return !less(other, v);
    if (name == "ge") return !less(v, other);
    if (name == "in") return contains(other, v);
    // even, odd, divisibleby
    const Value divisor = name == "divisibleby" ? other : Value::integer(2);
    const Value remainder = binary("%", v, divisor);
    if (name == "odd") return equal(remainder, Value::integer(1));
    return equal(remainder, Value::integer(0));
  }

  std::string today_;
  std::string* date_format_;
  Scope globals_, root_;
  std::string out_;
  int64_t steps_ = 0;
  int depth_ = 0;
};

}  // namespace

bool is_supported_filter(std::string_view name) { return kFilters.count(name) != 0; }
bool is_supported_test(std::string_view name) { return kTests.count(name) != 0; }

std::string render_body(const Body& body, const Value& context, const std::string& today, std::string* date_format) {
  StringBudget budget(kStringBudget);
  return Renderer(context, today, date_format).run(body);
}

}  // namespace edgeformer::converter::jinja
