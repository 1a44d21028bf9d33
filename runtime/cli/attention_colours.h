#pragma once
// The colour map of attention pictures, shared by the PNG and the page (whose script interpolates the same ramp the
// same way, in doubles, so that both give the same colour to the same weight).
#include <vector>

#include "raster_image.h"

namespace edgeformer::cli {

// A perceptual sequential ramp (dark purple, blue, green, yellow): control points evenly spaced from 0 to max.
const std::vector<Rgb>& attention_ramp();
// Exact zeros (masked positions) are light grey, off the ramp, so that they never look like small weights.
Rgb attention_zero_colour();
// The colour of `value` on a scale of [0, max]: zero colour for value <= 0 (or NaN), the ramp's top at or above max.
Rgb attention_colour(double value, double max);

}  // namespace edgeformer::cli
