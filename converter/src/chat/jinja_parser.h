#pragma once
// The syntax tree of a template and the parser that builds it from the lexer's tokens.
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chat/jinja_template.h"
#include "chat/jinja_value.h"

namespace edgeformer::converter::jinja {

// Statements and expressions nested deeper than this are refused (Runtime), so that parsing and rendering
// untrusted templates cannot exhaust the stack.
constexpr int kMaxSyntaxDepth = 100;

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind {
    Literal,     // literal
    Name,        // name
    List,        // args: the elements
    Tuple,       // args: the elements
    Dict,        // args: key, value, key, value...
    Attribute,   // args[0].name
    Item,        // args[0][args[1]]
    Slice,       // args[0][args[1]:args[2]:args[3]], null where omitted
    Call,        // args[0](args[1...], kwargs)
    Filter,      // args[0] | name(args[1...], kwargs)
    Test,        // args[0] is name(args[1...]); `is not` wraps it in Not
    Not,         // not args[0]
    Negate,      // -args[0]
    Plus,        // +args[0]
    Binary,      // args[0] name args[1]: + - * / // % ** ~
    Compare,     // args[0] ops[0] args[1] ops[1] args[2]...: == != < <= > >= in notin
    And,         // args[0] and args[1]
    Or,          // args[0] or args[1]
    Conditional  // args[0] if args[1] else args[2] (args[2] null: undefined)
  };
  Kind kind;
  int line;
  int height = 1;  // of the subtree
  Value literal;
  std::string name;
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  std::vector<std::string> ops;
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Stmt {
  enum class Kind {
    Text,        // text
    Output,      // {{ expr }}
    If,          // branches: (condition, body), the else branch with a null condition
    For,         // for targets in expr [if filter]: body [else: else_body]
    Set,         // set targets[0][.attribute] = expr, or set a, b = expr
    SetBlock,    // set targets[0]: body, captured
    Macro,       // macro targets[0](params = defaults): body
    Generation,  // generation: body, rendered as is
    Break,
    Continue
  };
  Kind kind;
  int line;
  std::string text;
  ExprPtr expr;
  ExprPtr filter;
  std::vector<std::string> targets;
  std::string attribute;
  std::vector<std::pair<ExprPtr, Body>> branches;
  Body body, else_body;
  std::vector<std::string> params;
  std::vector<ExprPtr> defaults;  // one per param, null without a default
};

Body parse_template(std::string_view source);

}  // namespace edgeformer::converter::jinja
