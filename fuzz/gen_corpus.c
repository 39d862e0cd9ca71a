/* fuzz/gen_corpus.c: writes the binary seeds of fuzz/corpus/ that need the library
 * to make (build target fuzz_gen_corpus; run it as `fuzz_gen_corpus fuzz/corpus`):
 * .emw weights sets of a tiny model (float32, float16 storage, with a pruning mask
 * and metadata) and optimizer checkpoints (with and without constraints and an
 * evaluator archive). Every file is a few KB at most. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/arch.h"
#include "nn/net.h"
#include "nn/weights.h"
#include "opt/checkpoint.h"

static const char *tiny_yaml =
    "name: tiny\n"
    "input: [1, 6, 6]\n"
    "classes: 3\n"
    "layers:\n"
    "  - {name: conv1, type: conv, out: 2, kernel: 3}\n"
    "  - {name: bn1, type: bn}\n"
    "  - {type: relu}\n"
    "  - {type: flatten}\n"
    "  - {name: fc1, type: linear, out: 3}\n";

static void die(const char *what, const em_error *err)
{
    fprintf(stderr, "gen_corpus: %s: %s\n", what, err ? err->msg : "failed");
    exit(1);
}

static void write_weights(const char *dir)
{
    em_error err = {0};
    nn_arch *a = NULL;
    nn_net *net = NULL;
    if (nn_arch_parse(tiny_yaml, "tiny.yaml", &a, &err) || nn_net_new(a, &net, &err))
        die("tiny model", &err);
    char path[4096];
    for (int v = 0; v < 3; v++) {
        nn_weights *w = NULL;
        if (v == 2) { /* prune half of conv1.weight */
            float mask[18];
            for (int i = 0; i < 18; i++) mask[i] = (float)(i % 2);
            if (nn_net_set_mask(net, "conv1.weight", mask, &err)) die("mask", &err);
        }
        if (nn_weights_from_net(net, &w, &err)) die("weights", &err);
        if (v >= 1 && (nn_weights_set_meta(w, "model", "tiny", &err) ||
                       nn_weights_set_meta(w, "dataset", "none", &err)))
            die("meta", &err);
        if (v == 1 && nn_weights_round_half(w, &err)) die("half", &err);
        snprintf(path, sizeof path, "%s/weights/tiny-%s.emw", dir,
                 v == 0 ? "f32" : v == 1 ? "f16-meta" : "mask");
        if (nn_weights_save(w, path, &err)) die(path, &err);
        nn_weights_free(w);
    }
    nn_net_free(net);
    nn_arch_free(a);
}

static opt_pop *pop_of(int nv, int no, int nc, int n, double base)
{
    opt_pop *p = opt_pop_new(nv, no, nc, n);
    if (!p || opt_pop_resize(p, n)) die("population", NULL);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < nv; j++) p->X[i * nv + j] = base + 0.1 * i + 0.01 * j;
        for (int j = 0; j < no; j++) p->F[i * no + j] = base * j - i;
        for (int j = 0; j < nc; j++) p->G[i * nc + j] = 0.5 - i;
        p->CV[i] = i * 0.25;
        p->rank[i] = i % 3;
        p->crowd[i] = i;
    }
    return p;
}

static size_t slurp_file(const char *path, unsigned char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static void frame(const char *out, const char *state, const char *archive)
{
    static unsigned char a[1 << 16], b[1 << 16];
    size_t na = slurp_file(state, a, sizeof a), nb = slurp_file(archive, b, sizeof b);
    FILE *f = fopen(out, "wb");
    if (!f) return;
    unsigned char len[4] = {(unsigned char)na, (unsigned char)(na >> 8), (unsigned char)(na >> 16),
                            (unsigned char)(na >> 24)};
    fwrite(len, 1, 4, f);
    fwrite(a, 1, na, f);
    fwrite(b, 1, nb, f);
    fclose(f);
}

static void write_checkpoints(const char *dir)
{
    em_error err = {0};
    char path[4096];
    for (int v = 0; v < 2; v++) {
        opt_checkpoint ck;
        memset(&ck, 0, sizeof ck);
        snprintf(ck.algorithm, sizeof ck.algorithm, "%s", v ? "ctaea" : "nsga2");
        snprintf(ck.problem, sizeof ck.problem, "%s", v ? "c1dtlz1" : "zdt1");
        ck.n_var = v ? 4 : 3;
        ck.n_obj = 2;
        ck.n_con = v;
        ck.seed = 7;
        ck.pop_size = 4;
        ck.gen = 3;
        for (int i = 0; i < 4; i++) ck.rng.s[i] = 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1);
        ck.n_pops = v ? 2 : 1;
        for (int i = 0; i < ck.n_pops; i++) ck.pops[i] = pop_of(ck.n_var, 2, ck.n_con, 4, i + 1);
        if (v) ck.evals = pop_of(ck.n_var, 2, ck.n_con, 6, 0.5);
        ck.extra[0] = 1.5;
        /* Written as a run writes it (state + archive), then framed into one seed:
         * [u32 LE length of the state][state][archive] (fuzz_checkpoint.c). */
        char tmp[4096], arch[4200];
        snprintf(tmp, sizeof tmp, "%s/checkpoint/.gen-%d", dir, v);
        opt_checkpoint_log log;
        memset(&log, 0, sizeof log);
        if (!ck.evals) ck.evals = pop_of(ck.n_var, 2, ck.n_con, 3, 0.25);
        if (opt_checkpoint_write(tmp, &ck, &log, &err)) die(tmp, &err);
        if (opt_checkpoint_archive_path(tmp, arch, sizeof arch, &err)) die(tmp, &err);
        snprintf(path, sizeof path, "%s/checkpoint/%s", dir, v ? "ctaea-evals" : "nsga2");
        frame(path, tmp, arch);
        remove(tmp);
        remove(arch);
        for (int i = 0; i < ck.n_pops; i++) opt_pop_free(ck.pops[i]);
        opt_pop_free(ck.evals);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_gen_corpus CORPUS_DIR (holding weights/ and checkpoint/)\n");
        return 2;
    }
    write_weights(argv[1]);
    write_checkpoints(argv[1]);
    return 0;
}
