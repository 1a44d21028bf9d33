#pragma once
// Captured attention as one self-contained HTML page: no network, no other file; its script and style are inline.
#include <string>

#include "attention_maps.h"

namespace edgeformer::cli {

// The page embeds attention_json(maps) in <script type="application/json" id="attention-data"> and the colour map in
// <script type="application/json" id="colour-map"> ({"zero":[r,g,b], "ramp":[[r,g,b], ...]}), and shows, for the
// layer and head picked in <select id="layer"> / <select id="head">:
// - <svg id="matrix">: a <rect class="cell" data-q data-k data-p fill="rgb(r,g,b)"> per weight, coloured as the PNG is
//   (on the scale of the head's largest weight), with <text class="qlabel" data-q> / <text class="klabel" data-k>;
// - <svg id="lines">: queries on the left, keys on the right, a <line class="link" data-q data-k data-p> for each
//   weight of at least 0.01, its width and opacity growing with it;
// - <table id="summary">: entropy and sink share of each head of the layer, the current head's row of class current.
// Hovering a query label gives its row's cells, links and labels the class highlight and dims the others.
std::string attention_html(const AttentionMaps& maps);

}  // namespace edgeformer::cli
