/* common/half.h: IEEE 754 binary16 ("half") conversions, for compact weight files.
 * float -> half rounds to nearest, ties to even; values of magnitude 65520 or more
 * become infinity, NaN stays NaN (quiet). half -> float is exact. */
#ifndef EMOMC_COMMON_HALF_H
#define EMOMC_COMMON_HALF_H

#include <stdint.h>

#define EM_HALF_MAX 65504.0f /* largest finite half */

uint16_t em_half_from_float(float f);
float em_half_to_float(uint16_t h);

#endif
