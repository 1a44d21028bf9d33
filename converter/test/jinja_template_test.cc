// The chat template interpreter: renders the real templates of ../shared/chat-templates exactly as Python's jinja2
// did in transformers' environment (vectors.json, and tests/reference/chat_vectors.json made by
// tests/reference/make_chat_vectors.py), and refuses what it cannot render with the right kind of error.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "chat/jinja_template.h"
#include "test_support.h"

namespace edgeformer::testing {
namespace {

using converter::jinja::Template;
using converter::jinja::TemplateError;
using Json = nlohmann::ordered_json;  // keeps message keys in their order, as Python dicts

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string templates_dir() {
  const std::string shared = shared_dir();
  if (shared.empty() || !std::filesystem::exists(shared + "/chat-templates/vectors.json")) return "";
  return shared + "/chat-templates";
}

// Renders `source` with `context` and compares with the expected {"output"} or {"error": {"type", "message"}}.
void check_case(const std::string& label, const Template& tmpl, const Json& context, const Json& expected) {
  SCOPED_TRACE(label);
  try {
    const std::string output = tmpl.render(context);
    ASSERT_TRUE(expected.contains("output")) << "rendered, expected " << expected.dump() << "\ngot: " << output;
    EXPECT_EQ(output, expected["output"].get<std::string>());
  } catch (const TemplateError& e) {
    ASSERT_TRUE(expected.contains("error")) << "unexpected TemplateError: " << e.what();
    const std::string type = expected["error"]["type"];
    // raise_exception gives jinja2's TemplateError; UndefinedError and Python's TypeErrors are Runtime here.
    const auto kind = type == "TemplateError" ? TemplateError::Kind::Raised : TemplateError::Kind::Runtime;
    EXPECT_EQ(static_cast<int>(e.kind()), static_cast<int>(kind)) << e.what();
    EXPECT_EQ(std::string(e.what()), expected["error"]["message"].get<std::string>());
  }
}

TEST(JinjaTemplateTest, RendersTheSharedVectors) {
  const std::string dir = templates_dir();
  if (dir.empty()) GTEST_SKIP() << "../shared/chat-templates not found (set EDGEFORMER_SHARED)";
  const Json vectors = Json::parse(read_file(dir + "/vectors.json"));
  int cases = 0;
  const auto context_for = [&](const Json& entry, const std::string& conversation) {
    Json context = vectors["conversations"][conversation];
    context["tools"] = nullptr;
    context["documents"] = nullptr;
    for (const auto& [k, v] : entry["special_tokens_passed"].items()) context[k] = v;
    return context;
  };
  for (const char* group : {"models", "variants"})
    for (const auto& [name, entry] : vectors[group].items()) {
      const Template tmpl(read_file(dir + "/" + entry["file"].get<std::string>()));
      for (const auto& [conversation, expected] : entry["results"].items()) {
        check_case(name + " " + conversation, tmpl, context_for(entry, conversation), expected);
        ++cases;
      }
    }
  // extras: Qwen3 with enable_thinking=False.
  const Json& qwen3 = vectors["models"]["Qwen--Qwen3-0.6B"];
  const Template tmpl(read_file(dir + "/" + qwen3["file"].get<std::string>()));
  for (const auto& [conversation, expected] : vectors["extras"]["Qwen--Qwen3-0.6B enable_thinking=false"].items()) {
    Json context = context_for(qwen3, conversation);
    context["enable_thinking"] = false;
    check_case("Qwen3 enable_thinking=false " + conversation, tmpl, context, expected);
    ++cases;
  }
  EXPECT_EQ(cases, 14 * 3 + 3);
}

TEST(JinjaTemplateTest, RendersTheGeneratedVectors) {
  const std::string dir = templates_dir();
  if (dir.empty()) GTEST_SKIP() << "../shared/chat-templates not found (set EDGEFORMER_SHARED)";
  const Json vectors = Json::parse(read_file(std::string(EDGEFORMER_SOURCE_DIR) + "/tests/reference/chat_vectors.json"));
  ASSERT_GT(vectors["cases"].size(), 100u);
  std::map<std::string, Template> templates;
  for (const Json& c : vectors["cases"]) {
    const std::string file = c["template"];
    auto it = templates.find(file);
    if (it == templates.end()) it = templates.emplace(file, Template(read_file(dir + "/" + file))).first;
    check_case(file + " " + c["conversation"].get<std::string>(), it->second, c["context"], c);
  }
}

std::string render(const std::string& source, const Json& context = Json::object()) {
  return Template(source).render(context);
}

TemplateError::Kind error_kind(const std::string& source, const Json& context = Json::object()) {
  try {
    render(source, context);
  } catch (const TemplateError& e) {
    return e.kind();
  }
  ADD_FAILURE() << "no error from " << source.substr(0, 80);
  return TemplateError::Kind::Runtime;
}

TEST(JinjaTemplateTest, WhitespaceControl) {
  EXPECT_EQ(render("  {% if true %}\n  x\n  {% endif %}\n  y  {% if true %} z {% endif %}"), "  x\n  y   z ");
  EXPECT_EQ(render("a\n  {#- c #}\n b {# c #}\nq"), "a b q");
  EXPECT_EQ(render("a  {{- 'b' -}}  \n c"), "abc");
  EXPECT_EQ(render("a\n  {%+ if true %}b{% endif +%}\nc"), "a\n  b\nc");
  EXPECT_EQ(render("x\r\ny\n"), "x\ny");  // newlines normalized, one trailing newline dropped
}

TEST(JinjaTemplateTest, LoopsAndScopes) {
  EXPECT_EQ(render("{% for x in [1,2,3] if x > 1 %}{{ loop.index }}/{{ loop.length }}{{ loop.last }} {% endfor %}"),
            "1/2False 2/2True ");
  EXPECT_EQ(render("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}"), "a=1;b=2;");
  EXPECT_EQ(render("{% for x in [1,2,3,4] %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}"
                   "{% endif %}{{ x }}{% endfor %}"),
            "13");
  EXPECT_EQ(render("{% set x = 5 %}{% for i in [1,2] %}[{{ x }}]{% set x = i %}{% endfor %}{{ x }}"), "[5][5]5");
  EXPECT_EQ(render("{% set ns = namespace(n=0) %}{% for i in range(4) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}"),
            "6");
  EXPECT_EQ(render("{% for x in none_such %}a{% else %}empty{% endfor %}"), "empty");
  EXPECT_EQ(render("{% macro m(a, b='z') %}[{{ a }}{{ b }}]{% endmacro %}{{ m(1) }}{{ m(1, b=2) }}"), "[1z][12]");
  EXPECT_EQ(render("{% set x %}a{{ 1 }}{% endset %}[{{ x }}]"), "[a1]");
  EXPECT_EQ(render("{% generation %}g{% endgeneration %}"), "g");
}

TEST(JinjaTemplateTest, ExpressionsAsPython) {
  EXPECT_EQ(render("{{ 'abc'[::-1] }}{{ 'h\xc3\xa9llo'[1:3] }}{{ 'h\xc3\xa9llo'|length }}{{ [1,2,3][-1] }}"), "cba\xc3\xa9l53");
  EXPECT_EQ(render("{{ 1e16 }} {{ 1.5e-7 }} {{ 0.1+0.2 }} {{ 2.0 }} {{ 7/2 }} {{ 7//2 }} {{ -7 % 3 }} {{ 2**10 }}"),
            "1e+16 1.5e-07 0.30000000000000004 2.0 3.5 3 2 1024");
  EXPECT_EQ(render("{{ [1, 'a', none, true, 1.5, {'k': \"it's\"}] }}"), "[1, 'a', None, True, 1.5, {'k': \"it's\"}]");
  EXPECT_EQ(render("{{ 0 or 'x' }}{{ 'a' and 'b' }}{{ 'y' if false else 'n' }}{{ 'x' ~ 1 ~ none ~ u }}"), "xbnx1None");
  EXPECT_EQ(render("{{ 'a' in 'cat' }}{{ 2 not in [1] }}{{ 1 == 1.0 }}{{ 1 < 2 < 3 }}"), "TrueTrueTrueTrue");
  EXPECT_EQ(render("{{ {'a': 1}.items()|list }}{{ (1,) }}"), "[('a', 1)](1,)");
  EXPECT_EQ(render("{{ d.a }}|{{ d.a is defined }}", Json{{"d", Json::object()}}), "|False");
}

TEST(JinjaTemplateTest, FiltersTestsAndMethods) {
  EXPECT_EQ(render("{{ '  a  '|trim }}|{{ 'xxaxx'.strip('x') }}|{{ ' a b '.split() }}|{{ 'a,b,c'.split(',', 1) }}"),
            "a|a|['a', 'b']|['a', 'b,c']");
  EXPECT_EQ(render("{{ 'a-b c(d'|title }} {{ 'hello world'.title() }} {{ 'aBC'|capitalize }} {{ 'x'|upper }}"),
            "A-B C(D Hello World Abc X");
  EXPECT_EQ(render("{{ u|default('d') }}{{ ''|d('e', true) }}{{ [1,2]|join(', ') }}{{ [3,1]|first }}{{ 'ab'|last }}"),
            "de1, 23b");
  EXPECT_EQ(render("{{ {'b': 1, 'a': [1, 2]}|tojson(indent=2) }}|{{ 'h\xc3\xa9\\n\\u0001'|tojson }}|{{ [1, {}]|tojson }}"),
            "{\n  \"b\": 1,\n  \"a\": [\n    1,\n    2\n  ]\n}|\"h\xc3\xa9\\n\\u0001\"|[1, {}]");
  EXPECT_EQ(render("{{ '1.5'|int }} {{ 'a'|int }} {{ '3'|float }} {{ -3|abs }} {{ 2.5|round }} {{ '<a>'|e }}"),
            "1 0 3.0 3 2.0 &lt;a&gt;");
  EXPECT_EQ(render("{{ [{'r': 'u'}, {'r': 'a'}]|selectattr('r', 'equalto', 'u')|list|length }}"
                   "{{ [1, 2, 3]|reject('odd')|list }}{{ [{'n': 'x'}]|map(attribute='n')|join }}"),
            "1[2]x");
  EXPECT_EQ(render("{{ 4 is even }}{{ 3 is divisibleby 3 }}{{ x is none }}{{ 'a' is string }}{{ {} is mapping }}",
                   Json{{"x", nullptr}}),
            "TrueTrueTrueTrueTrue");
  EXPECT_EQ(render("{{ 'a<b>c'.replace('<b>', '') }}{{ 'abcb'.find('b') }}{{ 'abcb'.count('b') }}{{ '-'.join(['a', 'b']) }}"),
            "ac12a-b");
  EXPECT_EQ(render("{{ strftime_now('%Y') }}"), "26 Jul 2024");
}

TEST(JinjaTemplateTest, Errors) {
  using Kind = TemplateError::Kind;
  EXPECT_EQ(error_kind("{{ x|no_such_filter }}"), Kind::Unsupported);
  EXPECT_EQ(error_kind("{{ x is no_such_test }}"), Kind::Unsupported);
  EXPECT_EQ(error_kind("{{ 'a {}'.format(1) }}"), Kind::Unsupported);
  EXPECT_EQ(error_kind("{% set l = [] %}{{ l.append(1) }}"), Kind::Unsupported);
  EXPECT_EQ(error_kind("{% include 'x' %}"), Kind::Unsupported);
  EXPECT_EQ(error_kind("{% if %}"), Kind::Syntax);
  EXPECT_EQ(error_kind("{% if x %}"), Kind::Syntax);
  EXPECT_EQ(error_kind("{{ 'unterminated }}"), Kind::Syntax);
  EXPECT_EQ(error_kind("{% for x in y %}{% endif %}"), Kind::Syntax);
  EXPECT_EQ(error_kind("{{ u.a }}"), Kind::Runtime);
  EXPECT_EQ(error_kind("{{ 1 + 'a' }}"), Kind::Runtime);
  EXPECT_EQ(error_kind("{{ 1 / 0 }}"), Kind::Runtime);
  try {
    render("{{ raise_exception('no ' ~ 'way') }}");
    FAIL();
  } catch (const TemplateError& e) {
    EXPECT_EQ(e.kind(), Kind::Raised);
    EXPECT_STREQ(e.what(), "no way");
  }
}

TEST(JinjaTemplateTest, LimitsInsteadOfCrashes) {
  using Kind = TemplateError::Kind;
  EXPECT_EQ(error_kind("{{ " + std::string(100000, '(') + "1" + std::string(100000, ')') + " }}"), Kind::Runtime);
  EXPECT_EQ(error_kind("{{ " + std::string(100000, '[') + std::string(100000, ']') + " }}"), Kind::Runtime);
  EXPECT_EQ(error_kind("{{ " + std::string(100000, '[') + " }}"), Kind::Syntax);
  EXPECT_EQ(error_kind("{{ x" + std::string(300000, '.') + " }}"), Kind::Syntax);
  std::string chain = "{{ x";
  for (int i = 0; i < 100000; ++i) chain += ".a";
  EXPECT_EQ(error_kind(chain + " }}"), Kind::Runtime);
  std::string sum = "{{ 1";
  for (int i = 0; i < 100000; ++i) sum += "+1";
  EXPECT_EQ(error_kind(sum + " }}"), Kind::Runtime);
  std::string ifs;
  for (int i = 0; i < 10000; ++i) ifs += "{% if true %}";
  EXPECT_EQ(error_kind(ifs), Kind::Runtime);
  EXPECT_EQ(error_kind("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}"), Kind::Runtime);
  EXPECT_EQ(error_kind("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"),
            Kind::Runtime);
  EXPECT_EQ(error_kind("{{ range(1000000)|length }}"), Kind::Runtime);
  EXPECT_EQ(error_kind("{{ 'x' * 100000000 }}"), Kind::Runtime);
  EXPECT_EQ(error_kind("{% set ns = namespace(s='xxxxxxxxxxxxxxxx') %}{% for i in range(40) %}"
                       "{% set ns.s = ns.s ~ ns.s %}{% endfor %}"),
            Kind::Runtime);
  EXPECT_EQ(error_kind("{% set ns = namespace(l=[]) %}{% for i in range(1000) %}{% set ns.l = [ns.l] %}{% endfor %}"),
            Kind::Runtime);
  EXPECT_EQ(error_kind("{{ 9223372036854775807 + 1 }}"), Kind::Runtime);
}

}  // namespace
}  // namespace edgeformer::testing
