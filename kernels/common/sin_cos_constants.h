#pragma once
// The constants of the double-precision sin / cos the SIMD RoPE kernels share: reduction of the angle by the nearest
// multiple of pi/2, with pi/2 in two parts (kPiOver2High has 33 significant bits, so k * kPiOver2High is exact for
// k below 2^20), then fdlibm's kernel polynomials on [-pi/4, pi/4] (error below 2^-58), highest degree first:
//   sin r = r + r z S(z),  cos r = 1 - z / 2 + z^2 C(z),  z = r^2.
namespace edgeformer::kernels {

constexpr double kTwoOverPi = 0.63661977236758134308;
constexpr double kPiOver2High = 1.57079632673412561417e+00;
constexpr double kPiOver2Low = 6.07710050650619224932e-11;
constexpr double kSinCoefficients[] = {1.58969099521155010221e-10, -2.50507602534068634195e-08,
                                       2.75573137070700676789e-06, -1.98412698298579493134e-04,
                                       8.33333333332248946124e-03, -1.66666666666666324348e-01};
constexpr double kCosCoefficients[] = {-1.13596475577881948265e-11, 2.08757232129817482790e-09,
                                       -2.75573143513906633035e-07, 2.48015872894767294178e-05,
                                       -1.38888888888741095749e-03, 4.16666666666666019037e-02};

}  // namespace edgeformer::kernels
