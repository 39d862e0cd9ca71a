/* common/error.h: the error value every fallible emomc function fills in.
 *
 * Library code never prints and never exits: a function that can fail returns an
 * em_status (EM_OK or a negative code) and, when given a non-NULL em_error, writes a
 * message that names the file, line or field at fault. Only cli/ prints it. */
#ifndef EMOMC_COMMON_ERROR_H
#define EMOMC_COMMON_ERROR_H

#include <stddef.h>

typedef enum {
    EM_OK = 0,
    EM_EINVAL = -1,   /* bad argument or out-of-range parameter */
    EM_EIO = -2,      /* file cannot be opened, read or written */
    EM_EFORMAT = -3,  /* malformed, truncated or corrupt file content */
    EM_ENOMEM = -4,   /* allocation failed */
    EM_EUNSUPPORTED = -5,
    EM_EINTERNAL = -6
} em_status;

typedef struct em_error {
    em_status code;
    char msg[1024];
} em_error;

/* Records code and a printf-style message in err (if not NULL); returns code. */
int em_fail(em_error *err, em_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes the message already in err with "prefix: " (for adding context). */
void em_error_prefix(em_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void em_error_clear(em_error *err);
const char *em_status_name(em_status code);

#endif
