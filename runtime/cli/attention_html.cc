#include "attention_html.h"

#include <nlohmann/json.hpp>

#include "attention_colours.h"
#include "attention_page_assets.h"

namespace edgeformer::cli {

namespace {

std::string html_escape(const std::string& text) {
  std::string escaped;
  for (const char c : text) {
    switch (c) {
      case '&': escaped += "&amp;"; break;
      case '<': escaped += "&lt;"; break;
      case '>': escaped += "&gt;"; break;
      case '"': escaped += "&quot;"; break;
      case '\'': escaped += "&#39;"; break;
      default: escaped += c;
    }
  }
  return escaped;
}

// A script element ends at "</" (and "<!--" derails it); JSON has '<' only inside strings, where \u003c spells it.
std::string script_safe(const std::string& json) {
  std::string safe;
  safe.reserve(json.size());
  for (const char c : json) {
    if (c == '<') safe += "\\u003c";
    else safe += c;
  }
  return safe;
}

std::string colour_map_json() {
  const auto array = [](Rgb colour) { return nlohmann::ordered_json::array({colour.r, colour.g, colour.b}); };
  nlohmann::ordered_json ramp = nlohmann::ordered_json::array();
  for (const Rgb& colour : attention_ramp()) ramp.push_back(array(colour));
  return nlohmann::ordered_json{{"zero", array(attention_zero_colour())}, {"ramp", std::move(ramp)}}.dump();
}

constexpr char kBody[] = R"(<header>
<h1>Attention: <span id="model"></span></h1>
<p id="subtitle"></p>
<div class="controls">
<label>Layer <select id="layer"></select></label>
<label>Head <select id="head"></select></label>
<span id="readout"></span>
</div>
</header>
<main>
<section>
<h2>Matrix</h2>
<p class="hint">Rows: query tokens; columns: key tokens. Hover a query token to follow its row.</p>
<div id="colour-bar"><span>0</span><span class="ramp"></span><span id="colour-max"></span>
<span class="zero"></span><span>exactly 0</span></div>
<div class="scroll"><svg id="matrix"></svg></div>
</section>
<section>
<h2>Lines</h2>
<p class="hint">Each query joined to the keys it gives at least 0.01 of its attention.</p>
<div class="scroll"><svg id="lines"></svg></div>
</section>
<section>
<h2>Heads of this layer</h2>
<p class="hint">Mean entropy of a query's attention (nats), mean share on the first key (a sink).</p>
<table id="summary"><thead><tr><th>head</th><th>entropy</th><th>sink share</th></tr></thead><tbody></tbody></table>
</section>
</main>
)";

}  // namespace

std::string attention_html(const AttentionMaps& maps) {
  std::string page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  // Nothing but the page's own inline script and style may run or load, whatever a token text holds.
  page += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'; "
          "style-src 'unsafe-inline'\">\n";
  page += "<title>" + html_escape("Attention: " + maps.model + " (" + maps.kind + ")") + "</title>\n";
  page += "<style>\n" + std::string(kAttentionPageStyle) + "</style>\n</head>\n<body>\n" + kBody;
  page += "<script type=\"application/json\" id=\"attention-data\">" + script_safe(attention_json(maps));
  page += "</script>\n";
  page += "<script type=\"application/json\" id=\"colour-map\">" + colour_map_json() + "</script>\n";
  page += "<script>\n" + std::string(kAttentionPageScript) + "</script>\n</body>\n</html>\n";
  return page;
}

}  // namespace edgeformer::cli
