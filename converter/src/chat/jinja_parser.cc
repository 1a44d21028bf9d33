#include "chat/jinja_parser.h"

#include <algorithm>
#include <initializer_list>

#include "chat/jinja_lexer.h"
#include "chat/jinja_render.h"

namespace edgeformer::converter::jinja {
namespace {

// Chains such as a.b.c... or a + b + c... are parsed in loops, not recursively: their height is bounded here so
// that evaluating and freeing them cannot exhaust the stack either.
constexpr int kMaxExpressionHeight = 256;

void raise_height(Expr& parent, const Expr& child) {
  parent.height = std::max(parent.height, child.height + 1);
  if (parent.height > kMaxExpressionHeight)
    fail_runtime("expression nested more than " + std::to_string(kMaxExpressionHeight) + " deep");
}

void adopt(Expr& parent, ExprPtr child) {
  if (child) raise_height(parent, *child);
  parent.args.push_back(std::move(child));
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Body parse() {
    Body body = parse_body({});
    if (peek().kind != Token::Kind::End) syntax_error("unexpected tag");
    return body;
  }

 private:
  // Counts nesting of statements and expressions alike.
  struct DepthGuard {
    explicit DepthGuard(Parser& p) : parser(p) {
      if (++parser.depth_ > kMaxSyntaxDepth)
        fail_runtime("template nested more than " + std::to_string(kMaxSyntaxDepth) + " deep");
    }
    ~DepthGuard() { --parser.depth_; }
    Parser& parser;
  };

  const Token& peek(size_t ahead = 0) const { return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)]; }
  const Token& next() {
    const Token& t = peek();
    if (pos_ < tokens_.size() - 1) ++pos_;
    return t;
  }
  bool is_op(const char* op, size_t ahead = 0) const {
    return peek(ahead).kind == Token::Kind::Operator && peek(ahead).text == op;
  }
  bool is_name(const char* name, size_t ahead = 0) const {
    return peek(ahead).kind == Token::Kind::Name && peek(ahead).text == name;
  }
  bool skip_op(const char* op) {
    if (!is_op(op)) return false;
    next();
    return true;
  }
  bool skip_name(const char* name) {
    if (!is_name(name)) return false;
    next();
    return true;
  }

  [[noreturn]] void syntax_error(const std::string& message) const {
    fail(TemplateError::Kind::Syntax,
         "line " + std::to_string(peek().line) + ": " + message + ", got " + describe(peek()));
  }
  static std::string describe(const Token& t) {
    switch (t.kind) {
      case Token::Kind::Text: return "text";
      case Token::Kind::VariableBegin: return "'{{'";
      case Token::Kind::VariableEnd: return "'}}'";
      case Token::Kind::BlockBegin: return "'{%'";
      case Token::Kind::BlockEnd: return "'%}'";
      case Token::Kind::End: return "end of template";
      case Token::Kind::String: return "a string";
      default: return "'" + t.text + "'";
    }
  }
  void expect_op(const char* op) {
    if (!skip_op(op)) syntax_error(std::string("expected '") + op + "'");
  }
  std::string expect_name() {
    if (peek().kind != Token::Kind::Name) syntax_error("expected a name");
    return next().text;
  }
  void expect_block_end() {
    if (peek().kind != Token::Kind::BlockEnd) syntax_error("expected '%}'");
    next();
  }

  // Statements until a block tag named in `ends` (left unread, after its "{%"); returns at the end of input only
  // when `ends` is empty.
  Body parse_body(std::initializer_list<const char*> ends) {
    DepthGuard guard(*this);
    Body body;
    while (true) {
      const Token& t = peek();
      if (t.kind == Token::Kind::End) {
        if (ends.size() != 0) syntax_error(std::string("missing '{% ") + *ends.begin() + " %}'");
        return body;
      }
      if (t.kind == Token::Kind::Text) {
        auto s = make_stmt(Stmt::Kind::Text);
        s->text = next().text;
        body.push_back(std::move(s));
      } else if (t.kind == Token::Kind::VariableBegin) {
        next();
        auto s = make_stmt(Stmt::Kind::Output);
        s->expr = parse_tuple(true);
        if (peek().kind != Token::Kind::VariableEnd) syntax_error("expected '}}'");
        next();
        body.push_back(std::move(s));
      } else if (t.kind == Token::Kind::BlockBegin) {
        if (std::any_of(ends.begin(), ends.end(), [&](const char* e) { return is_name(e, 1); })) {
          next();
          return body;
        }
        next();
        body.push_back(parse_statement());
      } else {
        syntax_error("unexpected token");
      }
    }
  }

  StmtPtr make_stmt(Stmt::Kind kind) const {
    auto s = std::make_unique<Stmt>();
    s->kind = kind;
    s->line = peek().line;
    return s;
  }

  StmtPtr parse_statement() {
    if (peek().kind != Token::Kind::Name) syntax_error("expected a statement name");
    const std::string keyword = peek().text;
    if (keyword == "if") return parse_if();
    if (keyword == "for") return parse_for();
    if (keyword == "set") return parse_set();
    if (keyword == "macro") return parse_macro();
    if (keyword == "generation") {
      auto s = make_stmt(Stmt::Kind::Generation);
      next();
      expect_block_end();
      s->body = parse_body({"endgeneration"});
      next();
      expect_block_end();
      return s;
    }
    if (keyword == "break" || keyword == "continue") {
      auto s = make_stmt(keyword == "break" ? Stmt::Kind::Break : Stmt::Kind::Continue);
      next();
      expect_block_end();
      if (loop_depth_ == 0)
        fail(TemplateError::Kind::Syntax, "line " + std::to_string(s->line) + ": '" + keyword + "' outside a loop");
      return s;
    }
    static const char* const kKnown[] = {"raw",     "call",  "filter", "include",    "import", "from",
                                         "extends", "block", "with",   "autoescape", "do",     "trans"};
    for (const char* known : kKnown)
      if (keyword == known) fail_unsupported("the '{% " + keyword + " %}' statement");
    syntax_error("unknown statement");
  }

  StmtPtr parse_if() {
    auto s = make_stmt(Stmt::Kind::If);
    next();
    while (true) {
      ExprPtr condition = parse_tuple(true);
      expect_block_end();
      Body body = parse_body({"elif", "else", "endif"});
      s->branches.emplace_back(std::move(condition), std::move(body));
      const std::string which = next().text;
      if (which == "elif") continue;
      expect_block_end();
      if (which == "else") {
        s->branches.emplace_back(nullptr, parse_body({"endif"}));
        next();
        expect_block_end();
      }
      return s;
    }
  }

  StmtPtr parse_for() {
    auto s = make_stmt(Stmt::Kind::For);
    next();
    s->targets = parse_targets();
    if (!skip_name("in")) syntax_error("expected 'in'");
    s->expr = parse_tuple(false);
    if (skip_name("if")) s->filter = parse_tuple(true);
    if (is_name("recursive")) fail_unsupported("recursive loops");
    expect_block_end();
    ++loop_depth_;
    s->body = parse_body({"else", "endfor"});
    --loop_depth_;
    if (next().text == "else") {
      expect_block_end();
      s->else_body = parse_body({"endfor"});
      next();
    }
    expect_block_end();
    return s;
  }

  std::vector<std::string> parse_targets() {
    std::vector<std::string> targets;
    const bool parenthesized = skip_op("(");
    do {
      targets.push_back(expect_name());
    } while (skip_op(","));
    if (parenthesized) expect_op(")");
    return targets;
  }

  StmtPtr parse_set() {
    auto s = make_stmt(Stmt::Kind::Set);
    next();
    s->targets.push_back(expect_name());
    if (skip_op(".")) {
      s->attribute = expect_name();
    } else {
      while (skip_op(",")) s->targets.push_back(expect_name());
    }
    if (s->targets.size() == 1 && s->attribute.empty() && peek().kind == Token::Kind::BlockEnd) {
      next();
      s->kind = Stmt::Kind::SetBlock;
      s->body = parse_body({"endset"});
      next();
      expect_block_end();
      return s;
    }
    if (is_op("|")) fail_unsupported("filtered block '{% set %}'");
    expect_op("=");
    s->expr = parse_tuple(true);
    expect_block_end();
    return s;
  }

  StmtPtr parse_macro() {
    auto s = make_stmt(Stmt::Kind::Macro);
    next();
    s->targets.push_back(expect_name());
    expect_op("(");
    while (!is_op(")")) {
      s->params.push_back(expect_name());
      s->defaults.push_back(skip_op("=") ? parse_expression(true) : nullptr);
      if (!skip_op(",")) break;
    }
    expect_op(")");
    expect_block_end();
    const int loops = loop_depth_;
    loop_depth_ = 0;
    s->body = parse_body({"endmacro"});
    loop_depth_ = loops;
    next();
    if (peek().kind == Token::Kind::Name) next();  // {% endmacro name %}
    expect_block_end();
    return s;
  }

  ExprPtr make_expr(Expr::Kind kind, int line) const {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->line = line;
    return e;
  }

  // An expression, or several separated by commas (a tuple), as {{ }}, if, set and for accept them.
  ExprPtr parse_tuple(bool with_conditional) {
    const int line = peek().line;
    ExprPtr first = parse_expression(with_conditional);
    if (!is_op(",")) return first;
    auto tuple = make_expr(Expr::Kind::Tuple, line);
    adopt(*tuple, std::move(first));
    while (skip_op(",")) {
      if (peek().kind == Token::Kind::BlockEnd || peek().kind == Token::Kind::VariableEnd || is_op(")")) break;
      adopt(*tuple, parse_expression(with_conditional));
    }
    return tuple;
  }

  ExprPtr parse_expression(bool with_conditional) {
    DepthGuard guard(*this);
    if (!with_conditional) return parse_or();
    ExprPtr value = parse_or();
    while (is_name("if")) {
      const int line = next().line;
      auto conditional = make_expr(Expr::Kind::Conditional, line);
      adopt(*conditional, std::move(value));
      adopt(*conditional, parse_or());
      adopt(*conditional, skip_name("else") ? parse_expression(true) : nullptr);
      value = std::move(conditional);
    }
    return value;
  }

  ExprPtr binary(Expr::Kind kind, ExprPtr a, ExprPtr b, int line, std::string name = "") {
    auto e = make_expr(kind, line);
    e->name = std::move(name);
    adopt(*e, std::move(a));
    adopt(*e, std::move(b));
    return e;
  }

  ExprPtr parse_or() {
    ExprPtr left = parse_and();
    while (is_name("or")) {
      const int line = next().line;
      left = binary(Expr::Kind::Or, std::move(left), parse_and(), line);
    }
    return left;
  }

  ExprPtr parse_and() {
    ExprPtr left = parse_not();
    while (is_name("and")) {
      const int line = next().line;
      left = binary(Expr::Kind::And, std::move(left), parse_not(), line);
    }
    return left;
  }

  ExprPtr parse_not() {
    if (is_name("not")) {
      DepthGuard guard(*this);
      auto e = make_expr(Expr::Kind::Not, next().line);
      adopt(*e, parse_not());
      return e;
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    const int line = peek().line;
    ExprPtr first = parse_math1();
    ExprPtr compare;
    while (true) {
      std::string op;
      if (peek().kind == Token::Kind::Operator &&
          (is_op("==") || is_op("!=") || is_op("<") || is_op("<=") || is_op(">") || is_op(">="))) {
        op = next().text;
      } else if (is_name("in")) {
        next();
        op = "in";
      } else if (is_name("not") && is_name("in", 1)) {
        next();
        next();
        op = "notin";
      } else {
        break;
      }
      if (!compare) {
        compare = make_expr(Expr::Kind::Compare, line);
        adopt(*compare, std::move(first));
      }
      compare->ops.push_back(op);
      adopt(*compare, parse_math1());
    }
    return compare ? std::move(compare) : std::move(first);
  }

  ExprPtr parse_math1() {
    ExprPtr left = parse_concat();
    while (is_op("+") || is_op("-")) {
      const Token& op = next();
      left = binary(Expr::Kind::Binary, std::move(left), parse_concat(), op.line, op.text);
    }
    return left;
  }

  ExprPtr parse_concat() {
    ExprPtr left = parse_math2();
    while (is_op("~")) {
      const int line = next().line;
      left = binary(Expr::Kind::Binary, std::move(left), parse_math2(), line, "~");
    }
    return left;
  }

  ExprPtr parse_math2() {
    ExprPtr left = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      const Token& op = next();
      left = binary(Expr::Kind::Binary, std::move(left), parse_pow(), op.line, op.text);
    }
    return left;
  }

  ExprPtr parse_pow() {
    ExprPtr left = parse_unary(true);
    while (is_op("**")) {
      const int line = next().line;
      left = binary(Expr::Kind::Binary, std::move(left), parse_unary(true), line, "**");
    }
    return left;
  }

  ExprPtr parse_unary(bool with_filter) {
    DepthGuard guard(*this);
    ExprPtr node;
    if (is_op("-") || is_op("+")) {
      const Token& op = next();
      node = make_expr(op.text == "-" ? Expr::Kind::Negate : Expr::Kind::Plus, op.line);
      adopt(*node, parse_unary(false));
    } else {
      node = parse_primary();
    }
    node = parse_postfix(std::move(node));
    return with_filter ? parse_filter_expr(std::move(node)) : std::move(node);
  }

  ExprPtr parse_primary() {
    const Token& t = peek();
    switch (t.kind) {
      case Token::Kind::Name: {
        next();
        auto e = make_expr(Expr::Kind::Literal, t.line);
        if (t.text == "true" || t.text == "True") {
          e->literal = Value::boolean(true);
        } else if (t.text == "false" || t.text == "False") {
          e->literal = Value::boolean(false);
        } else if (t.text == "none" || t.text == "None") {
          e->literal = Value::none();
        } else {
          e->kind = Expr::Kind::Name;
          e->name = t.text;
        }
        return e;
      }
      case Token::Kind::String: {
        auto e = make_expr(Expr::Kind::Literal, t.line);
        std::string text;
        while (peek().kind == Token::Kind::String) text += next().text;  // 'a' 'b' is 'ab', as in Python
        e->literal = Value::string(std::move(text));
        return e;
      }
      case Token::Kind::Integer:
      case Token::Kind::Float: {
        next();
        auto e = make_expr(Expr::Kind::Literal, t.line);
        e->literal = t.kind == Token::Kind::Integer ? Value::integer(t.integer) : Value::number(t.number);
        return e;
      }
      case Token::Kind::Operator: {
        if (t.text == "(") {
          next();
          if (skip_op(")")) return make_expr(Expr::Kind::Tuple, t.line);
          ExprPtr inner = parse_tuple(true);
          expect_op(")");
          return inner;
        }
        if (t.text == "[") {
          next();
          auto e = make_expr(Expr::Kind::List, t.line);
          while (!is_op("]")) {
            adopt(*e, parse_expression(true));
            if (!skip_op(",")) break;
          }
          expect_op("]");
          return e;
        }
        if (t.text == "{") {
          next();
          auto e = make_expr(Expr::Kind::Dict, t.line);
          while (!is_op("}")) {
            adopt(*e, parse_expression(true));
            expect_op(":");
            adopt(*e, parse_expression(true));
            if (!skip_op(",")) break;
          }
          expect_op("}");
          return e;
        }
        break;
      }
      default: break;
    }
    syntax_error("expected an expression");
  }

  ExprPtr parse_postfix(ExprPtr node) {
    while (true) {
      if (is_op(".")) {
        const int line = next().line;
        auto e = make_expr(Expr::Kind::Item, line);
        adopt(*e, std::move(node));
        if (peek().kind == Token::Kind::Integer) {  // x.0 is x[0]
          auto index = make_expr(Expr::Kind::Literal, line);
          index->literal = Value::integer(next().integer);
          adopt(*e, std::move(index));
        } else {
          e->kind = Expr::Kind::Attribute;
          e->name = expect_name();
        }
        node = std::move(e);
      } else if (is_op("[")) {
        node = parse_subscript(std::move(node));
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr node) {
    const int line = next().line;
    ExprPtr parts[3];
    bool slice = false;
    for (int part = 0; part < 3; ++part) {
      if (!is_op(":") && !is_op("]")) parts[part] = parse_expression(true);
      if (part < 2 && skip_op(":")) {
        slice = true;
        continue;
      }
      break;
    }
    expect_op("]");
    auto e = make_expr(slice ? Expr::Kind::Slice : Expr::Kind::Item, line);
    adopt(*e, std::move(node));
    if (!slice) {
      if (!parts[0]) syntax_error("expected a subscript");
      adopt(*e, std::move(parts[0]));
    } else {
      for (auto& part : parts) adopt(*e, std::move(part));
    }
    return e;
  }

  // The arguments of a call, filter or test, after its "(".
  void parse_arguments(Expr& e) {
    expect_op("(");
    while (!is_op(")")) {
      if (is_op("*") || is_op("**")) fail_unsupported("*args and **kwargs in calls");
      if (peek().kind == Token::Kind::Name && is_op("=", 1)) {
        std::string key = next().text;
        next();
        ExprPtr value = parse_expression(true);
        raise_height(e, *value);
        e.kwargs.emplace_back(std::move(key), std::move(value));
      } else {
        if (!e.kwargs.empty()) syntax_error("positional argument after a keyword argument");
        adopt(e, parse_expression(true));
      }
      if (!skip_op(",")) break;
    }
    expect_op(")");
  }

  ExprPtr parse_call(ExprPtr callee) {
    auto e = make_expr(Expr::Kind::Call, peek().line);
    adopt(*e, std::move(callee));
    parse_arguments(*e);
    return e;
  }

  std::string dotted_name() {
    std::string name = expect_name();
    while (skip_op(".")) name += "." + expect_name();
    return name;
  }

  ExprPtr parse_filter_expr(ExprPtr node) {
    while (true) {
      if (is_op("|")) {
        const int line = next().line;
        auto e = make_expr(Expr::Kind::Filter, line);
        e->name = dotted_name();
        if (!is_supported_filter(e->name)) fail_unsupported("filter '" + e->name + "'");
        adopt(*e, std::move(node));
        if (is_op("(")) parse_arguments(*e);
        node = std::move(e);
      } else if (is_name("is")) {
        const int line = next().line;
        const bool negated = skip_name("not");
        auto e = make_expr(Expr::Kind::Test, line);
        e->name = dotted_name();
        if (!is_supported_test(e->name)) fail_unsupported("test '" + e->name + "'");
        adopt(*e, std::move(node));
        if (is_op("(")) {
          parse_arguments(*e);
        } else if ((peek().kind == Token::Kind::Name || peek().kind == Token::Kind::String ||
                    peek().kind == Token::Kind::Integer || peek().kind == Token::Kind::Float || is_op("[") ||
                    is_op("{")) &&
                   !is_name("else") && !is_name("or") && !is_name("and")) {
          if (is_name("is")) syntax_error("cannot chain tests with 'is'");
          adopt(*e, parse_postfix(parse_primary()));  // `is divisibleby 3`, `is equalto 'x'`
        }
        if (negated) {
          auto n = make_expr(Expr::Kind::Not, line);
          adopt(*n, std::move(e));
          node = std::move(n);
        } else {
          node = std::move(e);
        }
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
};

}  // namespace

Body parse_template(std::string_view source) { return Parser(tokenize(source)).parse(); }

}  // namespace edgeformer::converter::jinja
