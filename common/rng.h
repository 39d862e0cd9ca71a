/* common/rng.h: a small, seedable, portable random generator (xoshiro256**, seeded
 * by splitmix64) so every run is reproducible from its seed on any platform. */
#ifndef EMOMC_COMMON_RNG_H
#define EMOMC_COMMON_RNG_H

#include <stdint.h>

typedef struct em_rng { uint64_t s[4]; } em_rng;

void em_rng_seed(em_rng *r, uint64_t seed);
uint64_t em_rng_u64(em_rng *r);
double em_rng_uniform(em_rng *r);            /* [0, 1) with 53 random bits */
uint64_t em_rng_below(em_rng *r, uint64_t n); /* uniform in [0, n), unbiased; n > 0 */
double em_rng_normal(em_rng *r);             /* standard normal (Box-Muller) */
void em_rng_shuffle_u32(em_rng *r, uint32_t *a, uint32_t n);

#endif
