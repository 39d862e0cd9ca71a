/* tests/test_search_store.c: the evaluation store (search/store.h): exact round trips
 * of doubles, misses on any key field, clear errors for corrupt, foreign and
 * other-schema files, and concurrent writers in separate processes. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "search/store.h"
#include "tests/testutil.h"

static const char *in_dir(const char *dir, const char *name)
{
    static char buf[4][1024];
    static int k;
    char *b = buf[k++ % 4];
    snprintf(b, 1024, "%s/%s", dir, name);
    return b;
}

static sp_store_key key(const char *w, const char *plan, const char *img)
{
    sp_store_key k;
    snprintf(k.weights, sizeof k.weights, "%s", w);
    k.plan = plan;
    snprintf(k.images, sizeof k.images, "%s", img);
    return k;
}

START_TEST(round_trip_and_misses)
{
    const char *path = in_dir(tu_tmpdir(), "s.sqlite");
    em_error err = {0};
    sp_store *s = NULL;
    ck_assert_msg(sp_store_open(path, &s, &err) == 0, "%s", err.msg);
    sp_store_key k = key("aa", "bits=2,3;bn=fold-then-quantize", "bb");
    double acc = 0.1 + 0.2, got = 0; /* not a short decimal: must come back bit for bit */
    bool found = true;
    ck_assert_int_eq(sp_store_get(s, &k, &got, &found, &err), 0);
    ck_assert(!found);
    ck_assert_int_eq(sp_store_put(s, &k, acc, 300, 0.5, &err), 0);
    ck_assert_int_eq(sp_store_get(s, &k, &got, &found, &err), 0);
    ck_assert(found);
    ck_assert(memcmp(&got, &acc, sizeof acc) == 0);
    /* A second put of the same key keeps the first value. */
    ck_assert_int_eq(sp_store_put(s, &k, 0.5, 300, 0.5, &err), 0);
    ck_assert_int_eq(sp_store_get(s, &k, &got, &found, &err), 0);
    ck_assert(got == acc);
    /* Any other field is another key. */
    sp_store_key other[3] = {key("ab", k.plan, "bb"), key("aa", "bits=2,4;bn=fold-then-quantize", "bb"),
                             key("aa", k.plan, "bc")};
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(sp_store_get(s, &other[i], &got, &found, &err), 0);
        ck_assert(!found);
    }
    long rows = 0;
    ck_assert_int_eq(sp_store_count(s, &rows, &err), 0);
    ck_assert_int_eq(rows, 1);
    sp_store_close(s);
    /* Reopened, the row is there; the file is a plain SQLite database. */
    ck_assert_int_eq(sp_store_open(path, &s, &err), 0);
    ck_assert_int_eq(sp_store_get(s, &k, &got, &found, &err), 0);
    ck_assert(found && got == acc);
    sp_store_close(s);
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT engine, n_images FROM accuracy", -1, &st, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), sp_store_engine());
    ck_assert_int_eq(sqlite3_column_int(st, 1), 300);
    sqlite3_finalize(st);
    sqlite3_close(db);
}
END_TEST

START_TEST(bad_files_are_clear_errors)
{
    const char *dir = tu_tmpdir();
    em_error err = {0};
    sp_store *s = NULL;
    /* Not SQLite at all. */
    const char *junk = in_dir(dir, "junk.sqlite");
    FILE *f = fopen(junk, "wb");
    for (int i = 0; i < 4096; i++) fputc((i * 7919) & 0xff, f);
    fclose(f);
    ck_assert_int_ne(sp_store_open(junk, &s, &err), 0);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(err.msg, "junk.sqlite") && strstr(err.msg, "not an emomc evaluation store"),
                  "%s", err.msg);
    /* A SQLite file of someone else's. */
    const char *foreign = in_dir(dir, "foreign.sqlite");
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(foreign, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES(1);", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    ck_assert_int_ne(sp_store_open(foreign, &s, &err), 0);
    ck_assert_msg(strstr(err.msg, "foreign.sqlite") && strstr(err.msg, "not an emomc evaluation store"),
                  "%s", err.msg);
    /* A store of another schema. */
    const char *later = in_dir(dir, "later.sqlite");
    ck_assert_int_eq(sp_store_open(later, &s, &err), 0);
    sp_store_close(s);
    ck_assert_int_eq(sqlite3_open(later, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "UPDATE meta SET value = '99' WHERE key = 'schema'", NULL, NULL,
                                  NULL), SQLITE_OK);
    sqlite3_close(db);
    ck_assert_int_ne(sp_store_open(later, &s, &err), 0);
    ck_assert_msg(strstr(err.msg, "schema 99"), "%s", err.msg);
    /* A folder where the file should be. */
    ck_assert_int_ne(sp_store_open(dir, &s, &err), 0);
    ck_assert_msg(strstr(err.msg, dir), "%s", err.msg);
}
END_TEST

/* Four processes write 150 keys of their own and 50 shared keys at once. */
START_TEST(concurrent_writers)
{
    const char *path = in_dir(tu_tmpdir(), "shared.sqlite");
    em_error err = {0};
    sp_store *s = NULL;
    ck_assert_int_eq(sp_store_open(path, &s, &err), 0); /* made before the writers start */
    sp_store_close(s);
    enum { WRITERS = 4, OWN = 150, SHARED = 50 };
    pid_t pids[WRITERS];
    for (int w = 0; w < WRITERS; w++) {
        pids[w] = fork();
        ck_assert_int_ge(pids[w], 0);
        if (pids[w] == 0) {
            alarm(120);
            em_error e = {0};
            sp_store *c = NULL;
            if (sp_store_open(path, &c, &e)) _exit(1);
            char plan[64];
            for (int i = 0; i < OWN + SHARED; i++) {
                bool own = i < OWN;
                if (own) snprintf(plan, sizeof plan, "w%d-%d", w, i);
                else snprintf(plan, sizeof plan, "shared-%d", i);
                sp_store_key k = key("ff", plan, "ee");
                double acc = own ? w + i / 1000.0 : i / 1000.0;
                if (sp_store_put(c, &k, acc, 10, 0, &e)) _exit(2);
            }
            sp_store_close(c);
            _exit(0);
        }
    }
    for (int w = 0; w < WRITERS; w++) {
        int st = 0;
        ck_assert_int_eq(waitpid(pids[w], &st, 0), pids[w]);
        ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "writer %d: status %d", w, st);
    }
    ck_assert_int_eq(sp_store_open(path, &s, &err), 0);
    long rows = 0;
    ck_assert_int_eq(sp_store_count(s, &rows, &err), 0);
    ck_assert_int_eq(rows, WRITERS * OWN + SHARED);
    char plan[64];
    for (int w = 0; w < WRITERS; w++)
        for (int i = 0; i < OWN; i += 37) {
            snprintf(plan, sizeof plan, "w%d-%d", w, i);
            sp_store_key k = key("ff", plan, "ee");
            double got = -1;
            bool found = false;
            ck_assert_int_eq(sp_store_get(s, &k, &got, &found, &err), 0);
            ck_assert(found && got == w + i / 1000.0);
        }
    sp_store_close(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("search_store");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, round_trip_and_misses);
    tcase_add_test(tc, bad_files_are_clear_errors);
    tcase_add_test(tc, concurrent_writers);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
