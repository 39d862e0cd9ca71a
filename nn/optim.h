/* nn/optim.h: optimizers that update a network's trainable parameters from their
 * gradients, with PyTorch's semantics (torch.optim.SGD and torch.optim.Adam):
 *
 *   SGD:  g = grad + wd*p;  buf = g (first step) or momentum*buf + (1-dampening)*g;
 *         g = g + momentum*buf (Nesterov) or buf (momentum > 0);  p -= lr*g
 *   Adam: g = grad + wd*p (L2, PyTorch's weight_decay, as in the SBO paper);
 *         m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g^2;
 *         p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
 *
 * Pruning masks are respected: where a parameter's mask is 0 the weight is set to
 * exactly zero and its optimizer state is left at zero, so pruned weights stay
 * pruned through fine-tuning. The state (momentum buffers, Adam moments, step
 * count) can be saved into and restored from a weights set, for checkpoints. */
#ifndef EMOMC_NN_OPTIM_H
#define EMOMC_NN_OPTIM_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/error.h"
#include "../nn/net.h"
#include "../nn/weights.h"

typedef enum { NN_OPT_SGD, NN_OPT_ADAM } nn_optim_kind;

typedef struct nn_optim_cfg {
    nn_optim_kind kind;
    double lr;
    double weight_decay;
    /* SGD */
    double momentum, dampening;
    bool nesterov;
    /* Adam */
    double beta1, beta2, eps;
} nn_optim_cfg;

/* PyTorch's defaults: SGD lr 0.01, no momentum; Adam lr 1e-3, betas (0.9, 0.999),
 * eps 1e-8; no weight decay. */
void nn_optim_cfg_default(nn_optim_cfg *c, nn_optim_kind kind);
const char *nn_optim_kind_name(nn_optim_kind k); /* "sgd", "adam" */

typedef struct nn_optim nn_optim;

/* An optimizer over params[0..n) (pointers kept: the parameters must outlive it;
 * non-trainable entries are skipped). Checks the configuration (nesterov needs
 * momentum > 0 and no dampening, as in PyTorch). */
int nn_optim_new(const nn_optim_cfg *cfg, nn_param *const *params, int n, nn_optim **out,
                 em_error *err);
/* The same over every trainable parameter of net. */
int nn_optim_new_for_net(const nn_optim_cfg *cfg, nn_net *net, nn_optim **out, em_error *err);
void nn_optim_free(nn_optim *o);

void nn_optim_set_lr(nn_optim *o, double lr);
double nn_optim_lr(const nn_optim *o);
/* One update of every parameter from its grad. */
void nn_optim_step(nn_optim *o);
int64_t nn_optim_step_count(const nn_optim *o);

/* State as tensors "optim.<param>.momentum_buffer" (SGD) or "optim.<param>.exp_avg"
 * and "optim.<param>.exp_avg_sq" (Adam), plus metadata optim.kind and optim.steps. */
int nn_optim_save_state(const nn_optim *o, nn_weights *w, em_error *err);
/* Restores what nn_optim_save_state wrote; refuses a different optimizer kind or
 * missing or mis-shaped buffers. `what` names the source in messages. */
int nn_optim_load_state(nn_optim *o, const nn_weights *w, const char *what, em_error *err);

#endif
