/* common/error.c: filling in em_error values. */
#include "common/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int em_fail(em_error *err, em_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

void em_error_prefix(em_error *err, const char *fmt, ...)
{
    if (!err) return;
    char old[sizeof err->msg];
    memcpy(old, err->msg, sizeof old);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof err->msg - 3) return;
    size_t room = sizeof err->msg - (size_t)n;
    err->msg[n] = ':';
    err->msg[n + 1] = ' ';
    memcpy(err->msg + n + 2, old, room - 2);
    err->msg[sizeof err->msg - 1] = '\0';
}

void em_error_clear(em_error *err)
{
    if (!err) return;
    err->code = EM_OK;
    err->msg[0] = '\0';
}

const char *em_status_name(em_status code)
{
    switch (code) {
    case EM_OK: return "ok";
    case EM_EINVAL: return "invalid argument";
    case EM_EIO: return "I/O error";
    case EM_EFORMAT: return "format error";
    case EM_ENOMEM: return "out of memory";
    case EM_EUNSUPPORTED: return "unsupported";
    case EM_EINTERNAL: return "internal error";
    }
    return "unknown error";
}
