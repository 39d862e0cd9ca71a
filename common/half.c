/* common/half.c: float <-> IEEE binary16 by bit manipulation (no F16C needed). */
#include "common/half.h"

#include <math.h>
#include <string.h>

uint16_t em_half_from_float(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    const uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    const uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) return sign | 0x7e00u;  /* NaN */
    if (ax >= 0x477ff000u) return sign | 0x7c00u; /* >= 65520: infinity */
    uint32_t h, rem, half;
    if (ax >= 0x38800000u) {
        /* Normal half: rebias the exponent (127 -> 15), keep 10 of 23 mantissa bits. */
        const uint32_t m = ax - 0x38000000u;
        h = m >> 13;
        rem = m & 0x1fffu;
        half = 0x1000u;
    } else {
        /* Below 2^-14: a subnormal half, round(|f| / 2^-24). */
        const int e = (int)(ax >> 23);
        const int shift = 126 - e; /* |f| / 2^-24 = mant * 2^-shift */
        if (e == 0 || shift > 24) return sign; /* below 2^-25: rounds to zero */
        const uint32_t mant = (ax & 0x7fffffu) | 0x800000u;
        h = mant >> shift;
        rem = mant & ((1u << shift) - 1u);
        half = 1u << (shift - 1);
    }
    if (rem > half || (rem == half && (h & 1u))) h++; /* a carry moves to the exponent */
    return (uint16_t)(sign | h);
}

float em_half_to_float(uint16_t h)
{
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    uint32_t x;
    if (e == 0) {
        float v = ldexpf((float)m, -24);
        memcpy(&x, &v, sizeof x);
        x |= sign;
    } else if (e == 31) {
        x = sign | 0x7f800000u | (m << 13);
    } else {
        x = sign | ((e + 112u) << 23) | (m << 13);
    }
    float f;
    memcpy(&f, &x, sizeof f);
    return f;
}
