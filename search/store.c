/* search/store.c: the evaluation store on SQLite (schema and guarantees in store.h). */
#include "search/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define APP_NAME "emomc-evaluation-store"
#define BUSY_MS 120000 /* a writer waits this long for another's transaction */

struct sp_store {
    sqlite3 *db;
    sqlite3_stmt *get, *put;
    char *path;
};

const char *sp_store_engine(void) { return "emomc " EMOMC_VERSION " engine " SP_STORE_ENGINE_REVISION; }
const char *sp_store_path(const sp_store *s) { return s->path; }

static int db_fail(sp_store *s, const char *what, em_error *err)
{
    return em_fail(err, EM_EIO, "%s: evaluation store: %s: %s", s->path, what,
                   s->db ? sqlite3_errmsg(s->db) : "cannot open");
}

static int exec(sp_store *s, const char *sql, em_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK) return EM_OK;
    int rc = em_fail(err, EM_EIO, "%s: evaluation store: %s", s->path, msg ? msg : "error");
    sqlite3_free(msg);
    return rc;
}

/* The meta value of key, into buf ("" when absent); EM_EFORMAT when the file is not a
 * database or has no meta table of the right shape. */
static int meta_get(sp_store *s, const char *key, char *buf, size_t cap, em_error *err)
{
    sqlite3_stmt *st = NULL;
    buf[0] = '\0';
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return em_fail(err, EM_EFORMAT, "%s: not an emomc evaluation store (%s)", s->path,
                       sqlite3_errmsg(s->db));
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(buf, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return r == SQLITE_ROW || r == SQLITE_DONE ? EM_OK : db_fail(s, "reading meta", err);
}

/* A new file gets the schema; an existing one must be ours, of this schema. */
static int setup_schema(sp_store *s, em_error *err)
{
    int rc = exec(s, "PRAGMA journal_mode=WAL", err);
    if (rc) {
        /* The usual way a foreign or damaged file shows itself. */
        return em_fail(err, EM_EFORMAT, "%s: not an emomc evaluation store (%s)", s->path,
                       sqlite3_errmsg(s->db));
    }
    sqlite3_stmt *st = NULL;
    int tables = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'", -1,
                           &st, NULL) != SQLITE_OK)
        return em_fail(err, EM_EFORMAT, "%s: not an emomc evaluation store (%s)", s->path,
                       sqlite3_errmsg(s->db));
    if (sqlite3_step(st) == SQLITE_ROW) tables = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (tables == 0) {
        char sql[1024];
        snprintf(sql, sizeof sql,
                 "BEGIN IMMEDIATE;"
                 "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
                 "CREATE TABLE IF NOT EXISTS accuracy(weights TEXT NOT NULL, plan TEXT NOT NULL,"
                 " images TEXT NOT NULL, engine TEXT NOT NULL, accuracy REAL NOT NULL,"
                 " n_images INTEGER, seconds REAL, created TEXT,"
                 " PRIMARY KEY (weights, plan, images, engine));"
                 "INSERT OR IGNORE INTO meta VALUES('application', '%s');"
                 "INSERT OR IGNORE INTO meta VALUES('schema', '%d');"
                 "COMMIT;",
                 APP_NAME, SP_STORE_SCHEMA);
        if ((rc = exec(s, sql, err))) return rc;
    }
    char app[64], schema[32];
    if ((rc = meta_get(s, "application", app, sizeof app, err))) return rc;
    if (strcmp(app, APP_NAME))
        return em_fail(err, EM_EFORMAT, "%s: a SQLite file, but not an emomc evaluation store "
                       "(meta 'application' is '%s')", s->path, app);
    if ((rc = meta_get(s, "schema", schema, sizeof schema, err))) return rc;
    if (atoi(schema) != SP_STORE_SCHEMA)
        return em_fail(err, EM_EFORMAT, "%s: evaluation store of schema %s; this emomc reads "
                       "schema %d", s->path, schema, SP_STORE_SCHEMA);
    return EM_OK;
}

int sp_store_open(const char *path, sp_store **out, em_error *err)
{
    *out = NULL;
    sp_store *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        free(s);
        return em_fail(err, EM_ENOMEM, "out of memory");
    }
    int rc = EM_OK;
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        rc = db_fail(s, "cannot open", err);
        goto fail;
    }
    sqlite3_busy_timeout(s->db, BUSY_MS);
    if ((rc = setup_schema(s, err))) goto fail;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT accuracy FROM accuracy WHERE weights = ?1 AND plan = ?2 AND "
                           "images = ?3 AND engine = ?4", -1, &s->get, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db,
                           "INSERT OR IGNORE INTO accuracy VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                           -1, &s->put, NULL) != SQLITE_OK) {
        rc = db_fail(s, "preparing statements", err);
        goto fail;
    }
    *out = s;
    return EM_OK;
fail:
    sp_store_close(s);
    return rc;
}

void sp_store_close(sp_store *s)
{
    if (!s) return;
    sqlite3_finalize(s->get);
    sqlite3_finalize(s->put);
    sqlite3_close(s->db);
    free(s->path);
    free(s);
}

static void bind_key(sqlite3_stmt *st, const sp_store_key *k)
{
    sqlite3_bind_text(st, 1, k->weights, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, k->plan, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, k->images, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, sp_store_engine(), -1, SQLITE_STATIC);
}

int sp_store_get(sp_store *s, const sp_store_key *key, double *accuracy, bool *found,
                 em_error *err)
{
    *found = false;
    sqlite3_reset(s->get);
    sqlite3_clear_bindings(s->get);
    bind_key(s->get, key);
    int r = sqlite3_step(s->get);
    if (r == SQLITE_ROW) {
        *accuracy = sqlite3_column_double(s->get, 0);
        *found = true;
    }
    sqlite3_reset(s->get);
    return r == SQLITE_ROW || r == SQLITE_DONE ? EM_OK : db_fail(s, "lookup", err);
}

int sp_store_put(sp_store *s, const sp_store_key *key, double accuracy, int n_images,
                 double seconds, em_error *err)
{
    char when[32];
    time_t now = time(NULL);
    struct tm tmv;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tmv));
    sqlite3_reset(s->put);
    sqlite3_clear_bindings(s->put);
    bind_key(s->put, key);
    sqlite3_bind_double(s->put, 5, accuracy);
    sqlite3_bind_int(s->put, 6, n_images);
    sqlite3_bind_double(s->put, 7, seconds);
    sqlite3_bind_text(s->put, 8, when, -1, SQLITE_TRANSIENT);
    int r = sqlite3_step(s->put);
    sqlite3_reset(s->put);
    return r == SQLITE_DONE ? EM_OK : db_fail(s, "insert", err);
}

int sp_store_count(sp_store *s, long *rows, em_error *err)
{
    sqlite3_stmt *st = NULL;
    *rows = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM accuracy", -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, "count", err);
    if (sqlite3_step(st) == SQLITE_ROW) *rows = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return EM_OK;
}
