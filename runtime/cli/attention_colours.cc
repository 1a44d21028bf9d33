#include "attention_colours.h"

#include <algorithm>
#include <cmath>

namespace edgeformer::cli {

const std::vector<Rgb>& attention_ramp() {
  static const std::vector<Rgb> ramp = {{68, 1, 84},    {72, 40, 120},  {62, 74, 137},  {49, 104, 142},
                                        {38, 130, 142}, {31, 158, 137}, {53, 183, 121}, {109, 205, 89},
                                        {180, 222, 44}, {253, 231, 37}};
  return ramp;
}

Rgb attention_zero_colour() { return {224, 224, 224}; }

Rgb attention_colour(double value, double max) {
  if (!(value > 0)) return attention_zero_colour();
  const std::vector<Rgb>& ramp = attention_ramp();
  double t = max > 0 ? value / max : 1.0;
  if (!(t < 1.0)) t = 1.0;  // also infinity / infinity
  const double position = t * static_cast<double>(ramp.size() - 1);
  const size_t low = std::min(static_cast<size_t>(position), ramp.size() - 2);
  const double fraction = position - static_cast<double>(low);
  // Rounds half up with floor, as the page's Math.floor(x + 0.5) does.
  const auto mix = [fraction](uint8_t from, uint8_t to) {
    return static_cast<uint8_t>(std::floor(from + (to - from) * fraction + 0.5));
  };
  return {mix(ramp[low].r, ramp[low + 1].r), mix(ramp[low].g, ramp[low + 1].g), mix(ramp[low].b, ramp[low + 1].b)};
}

}  // namespace edgeformer::cli
