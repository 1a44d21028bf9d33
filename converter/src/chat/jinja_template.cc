#include "chat/jinja_template.h"

#include "chat/jinja_parser.h"
#include "chat/jinja_render.h"

namespace edgeformer::converter::jinja {

struct Program {
  Body body;
};

Template::Template(std::string_view source) : program_(std::make_unique<Program>(Program{parse_template(source)})) {}
Template::~Template() = default;
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;

std::string Template::render(const nlohmann::json& context, const std::string& today) const {
  return render_body(program_->body, Value::from_json(context), today);
}

std::string Template::render(const nlohmann::ordered_json& context, const std::string& today,
                             std::string* date_format) const {
  return render_body(program_->body, Value::from_json(context), today, date_format);
}

}  // namespace edgeformer::converter::jinja
