#include "chat/jinja_lexer.h"

#include <cerrno>
#include <cstdlib>

#include "chat/jinja_value.h"

namespace edgeformer::converter::jinja {
namespace {

[[noreturn]] void syntax_error(int line, const std::string& message) {
  fail(TemplateError::Kind::Syntax, "line " + std::to_string(line) + ": " + message);
}

// jinja2 reads "\r\n", "\r" and "\n" as one newline and drops a single trailing one (keep_trailing_newline=False).
std::string normalize_newlines(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out += source[i];
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string strip_leading_space(const std::string& s) {
  const std::u32string u = decode_utf8(s);
  size_t i = 0;
  while (i < u.size() && is_python_space(u[i])) ++i;
  return encode_utf8(u.substr(i));
}

std::string strip_trailing_space(const std::string& s) {
  std::u32string u = decode_utf8(s);
  while (!u.empty() && is_python_space(u.back())) u.pop_back();
  return encode_utf8(u);
}

bool all_space(std::string_view s) {
  for (char32_t c : decode_utf8(s))
    if (!is_python_space(c)) return false;
  return true;
}

class Lexer {
 public:
  explicit Lexer(std::string_view source) : src_(normalize_newlines(source)) {}

  std::vector<Token> run() {
    bool strip_next_text = false;
    while (pos_ < src_.size()) {
      const size_t tag = find_tag(pos_);
      std::string text = src_.substr(pos_, tag - pos_);
      size_t text_start = pos_;
      if (strip_next_text) {
        const std::string stripped = strip_leading_space(text);
        text_start += text.size() - stripped.size();
        text = stripped;
        strip_next_text = false;
      }
      if (tag == src_.size()) {
        emit_text(text);
        pos_ = tag;
        break;
      }
      const char opener = src_[tag + 1];
      // "{{+" is a unary plus, not a sign: only block and comment tags take "+".
      char sign = tag + 2 < src_.size() ? src_[tag + 2] : '\0';
      if (sign == '+' && opener == '{') sign = '\0';
      if (sign == '-') {
        text = strip_trailing_space(text);
      } else if (sign != '+' && opener != '{') {
        // lstrip_blocks: a block or comment tag alone on its line after indentation takes the indentation away.
        const size_t line_start = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
        const bool line_starting = text_start == 0 || src_[text_start - 1] == '\n';
        if ((line_start > 0 || line_starting) && all_space(std::string_view(text).substr(line_start)))
          text.resize(line_start);
      }
      emit_text(text);
      line_ += count_newlines(pos_, tag);
      pos_ = tag + 2 + (sign == '-' || sign == '+' ? 1 : 0);
      if (opener == '#') {
        strip_next_text = comment();
      } else {
        strip_next_text = tag_tokens(opener == '{');
      }
    }
    tokens_.push_back(Token{Token::Kind::End, "", 0, 0, line_});
    return std::move(tokens_);
  }

 private:
  size_t find_tag(size_t from) const {
    for (size_t i = from; i + 1 < src_.size(); ++i)
      if (src_[i] == '{' && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#')) return i;
    return src_.size();
  }

  int count_newlines(size_t from, size_t to) const {
    int n = 0;
    for (size_t i = from; i < to && i < src_.size(); ++i) n += src_[i] == '\n';
    return n;
  }

  void emit_text(const std::string& text) {
    if (!text.empty()) tokens_.push_back(Token{Token::Kind::Text, text, 0, 0, line_});
  }

  // After "{#": skips to "#}". Returns whether the following text loses its leading whitespace ("-#}").
  bool comment() {
    const size_t end = src_.find("#}", pos_);
    if (end == std::string::npos) syntax_error(line_, "missing end of comment tag");
    const char sign = end > pos_ ? src_[end - 1] : '\0';
    line_ += count_newlines(pos_, end);
    pos_ = end + 2;
    if (sign == '-') return true;
    if (sign != '+') trim_newline();
    return false;
  }

  void trim_newline() {
    if (pos_ < src_.size() && src_[pos_] == '\n') {
      ++pos_;
      ++line_;
    }
  }

  // After "{{" or "{%": the expression tokens up to the closing tag (which only closes with brackets balanced).
  bool tag_tokens(bool variable) {
    const int begin_line = line_;
    tokens_.push_back(Token{variable ? Token::Kind::VariableBegin : Token::Kind::BlockBegin, "", 0, 0, line_});
    const char closer = variable ? '}' : '%';
    int brackets = 0;
    while (true) {
      while (pos_ < src_.size() && (src_[pos_] == ' ' || src_[pos_] == '\t' || src_[pos_] == '\n')) {
        line_ += src_[pos_] == '\n';
        ++pos_;
      }
      if (pos_ >= src_.size())
        syntax_error(begin_line, variable ? "unexpected end of template, expected '}}'"
                                          : "unexpected end of template, expected '%}'");
      const std::string_view rest = std::string_view(src_).substr(pos_);
      const char sign = rest[0];
      const size_t close_at = sign == '-' || sign == '+' ? 1 : 0;
      if (brackets == 0 && rest.size() >= close_at + 2 && rest[close_at] == closer && rest[close_at + 1] == '}' &&
          !(variable && sign == '+')) {
        pos_ += close_at + 2;
        tokens_.push_back(Token{variable ? Token::Kind::VariableEnd : Token::Kind::BlockEnd, "", 0, 0, line_});
        if (sign == '-') return true;
        if (!variable && sign != '+') trim_newline();
        return false;
      }
      expression_token(rest, brackets);
    }
  }

  void expression_token(std::string_view rest, int& brackets) {
    const char c = rest[0];
    if (is_name_start(c)) {
      size_t n = 1;
      while (n < rest.size() && (is_name_start(rest[n]) || is_digit(rest[n]))) ++n;
      push(Token::Kind::Name, std::string(rest.substr(0, n)));
      pos_ += n;
    } else if (is_digit(c)) {
      number(rest);
    } else if (c == '\'' || c == '"') {
      string_literal(rest);
    } else {
      static const char* const kOperators[] = {"//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<",
                                               ">",  "=",  "(",  ")",  "[",  "]",  "{", "}", ",", ".", ":", "|"};
      for (const char* op : kOperators) {
        const std::string_view o(op);
        if (rest.substr(0, o.size()) == o) {
          if (o == "(" || o == "[" || o == "{") ++brackets;
          if ((o == ")" || o == "]" || o == "}") && brackets > 0) --brackets;
          push(Token::Kind::Operator, std::string(o));
          pos_ += o.size();
          return;
        }
      }
      syntax_error(line_, "unexpected char '" + std::string(1, c) + "'");
    }
  }

  void push(Token::Kind kind, std::string text) { tokens_.push_back(Token{kind, std::move(text), 0, 0, line_}); }

  void number(std::string_view rest) {
    size_t n = 0;
    std::string digits;
    const auto take_digits = [&] {
      while (n < rest.size() &&
             (is_digit(rest[n]) || (rest[n] == '_' && n + 1 < rest.size() && is_digit(rest[n + 1])))) {
        if (rest[n] != '_') digits += rest[n];
        ++n;
      }
    };
    take_digits();
    bool is_float = false;
    if (n + 1 < rest.size() && rest[n] == '.' && is_digit(rest[n + 1])) {
      is_float = true;
      digits += rest[n++];
      take_digits();
    }
    if (n < rest.size() && (rest[n] == 'e' || rest[n] == 'E')) {
      size_t m = n + 1;
      if (m < rest.size() && (rest[m] == '+' || rest[m] == '-')) ++m;
      if (m < rest.size() && is_digit(rest[m])) {
        is_float = true;
        digits += 'e';
        digits += rest.substr(n + 1, m - n - 1);
        n = m;
        take_digits();
      }
    }
    Token token{is_float ? Token::Kind::Float : Token::Kind::Integer, digits, 0, 0, line_};
    errno = 0;
    if (is_float) {
      token.number = std::strtod(digits.c_str(), nullptr);
    } else {
      token.integer = std::strtoll(digits.c_str(), nullptr, 10);
      if (errno == ERANGE) fail_unsupported("integer literal " + digits + " beyond 64 bits");
    }
    tokens_.push_back(token);
    pos_ += n;
  }

  // Escapes as Python's "unicode-escape" codec reads them, which is what jinja2 applies to string literals.
  void string_literal(std::string_view rest) {
    const char quote = rest[0];
    std::u32string value;
    const int start_line = line_;
    size_t n = 1;
    const auto hex = [&](size_t digits) -> char32_t {
      if (n + digits > rest.size()) syntax_error(line_, "truncated \\x, \\u or \\U escape in a string");
      char32_t v = 0;
      for (size_t k = 0; k < digits; ++k) {
        const char h = rest[n + k];
        const int d = is_digit(h)              ? h - '0'
                      : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                      : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                               : -1;
        if (d < 0) syntax_error(line_, "truncated \\x, \\u or \\U escape in a string");
        v = v * 16 + d;
      }
      n += digits;
      if (v > 0x10ffff) syntax_error(line_, "illegal Unicode character in a string");
      return v;
    };
    while (true) {
      if (n >= rest.size()) syntax_error(start_line, "unexpected end of string");
      const char c = rest[n];
      if (c == quote) break;
      if (c == '\n') ++line_;
      if (c != '\\') {
        size_t m = n + 1;
        while (m < rest.size() && rest[m] != quote && rest[m] != '\\' && rest[m] != '\n') ++m;
        value += decode_utf8(rest.substr(n, m - n));
        n = m;
        continue;
      }
      if (n + 1 >= rest.size()) syntax_error(start_line, "unexpected end of string");
      const char e = rest[n + 1];
      n += 2;
      switch (e) {
        case '\n': ++line_; break;
        case '\\': value += '\\'; break;
        case '\'': value += '\''; break;
        case '"': value += '"'; break;
        case 'a': value += '\a'; break;
        case 'b': value += '\b'; break;
        case 'f': value += '\f'; break;
        case 'n': value += '\n'; break;
        case 'r': value += '\r'; break;
        case 't': value += '\t'; break;
        case 'v': value += '\v'; break;
        case 'x': value += hex(2); break;
        case 'u': value += hex(4); break;
        case 'U': value += hex(8); break;
        case 'N': fail_unsupported("\\N{...} escape in a string");
        default:
          if (e >= '0' && e <= '7') {
            char32_t v = e - '0';
            for (int k = 0; k < 2 && n < rest.size() && rest[n] >= '0' && rest[n] <= '7'; ++k)
              v = v * 8 + (rest[n++] - '0');
            value += v;
          } else {
            value += '\\';
            n -= 1;  // the character after the backslash is read again as itself
          }
      }
    }
    Token token{Token::Kind::String, encode_utf8(value), 0, 0, start_line};
    tokens_.push_back(token);
    pos_ += n + 1;
  }

  std::string src_;
  size_t pos_ = 0;
  int line_ = 1;
  std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> tokenize(std::string_view source) { return Lexer(source).run(); }

}  // namespace edgeformer::converter::jinja
