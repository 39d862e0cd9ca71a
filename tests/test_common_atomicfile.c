/* tests/test_common_atomicfile.c: the atomic writer's guarantees (common/atomicfile.h)
 * on what can sit at an output path: nothing, a regular file, a symlink, a directory,
 * a FIFO and character devices made with mknod in a temporary folder (never a system
 * path); planted temporaries; stale temporaries a killed writer left. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "opt/rundir.h"
#include "tests/testutil.h"

static const char *in_dir(const char *dir, const char *name)
{
    static char buf[8][1024];
    static int k;
    char *b = buf[k++ % 8];
    snprintf(b, 1024, "%s/%s", dir, name);
    return b;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* Files in dir other than . and .. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

START_TEST(writes_and_replaces_a_regular_file)
{
    const char *dir = tu_tmpdir();
    const char *p = in_dir(dir, "out.csv");
    em_error err = {0};
    ck_assert_int_eq(em_atomic_write(p, "one\n", 4, &err), 0);
    ck_assert_str_eq(slurp(p), "one\n");
    chmod(p, 0640);
    ck_assert_int_eq(em_atomic_write(p, "two\n", 4, &err), 0);
    ck_assert_str_eq(slurp(p), "two\n");
    struct stat st;
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0640); /* the replaced file's mode */
    ck_assert_int_eq(count_entries(dir), 1);    /* no temporary left */
    /* An abort leaves the old content and no temporary. */
    em_atomic_file af;
    ck_assert_int_eq(em_atomic_open(&af, p, &err), 0);
    fputs("partial", af.fp);
    em_atomic_abort(&af);
    ck_assert_str_eq(slurp(p), "two\n");
    ck_assert_int_eq(count_entries(dir), 1);
}
END_TEST

START_TEST(follows_a_symlink_to_the_file_it_names)
{
    const char *dir = tu_tmpdir();
    put(in_dir(dir, "target.txt"), "old");
    ck_assert_int_eq(symlink("target.txt", in_dir(dir, "link.txt")), 0);
    em_error err = {0};
    ck_assert_int_eq(em_atomic_write(in_dir(dir, "link.txt"), "new", 3, &err), 0);
    struct stat st;
    ck_assert_int_eq(lstat(in_dir(dir, "link.txt"), &st), 0);
    ck_assert(S_ISLNK(st.st_mode)); /* the link stays a link */
    ck_assert_str_eq(slurp(in_dir(dir, "target.txt")), "new");
    /* A dangling link: the file it names is created. */
    ck_assert_int_eq(symlink("made.txt", in_dir(dir, "dangling")), 0);
    ck_assert_int_eq(em_atomic_write(in_dir(dir, "dangling"), "x", 1, &err), 0);
    ck_assert_str_eq(slurp(in_dir(dir, "made.txt")), "x");
}
END_TEST

START_TEST(refuses_a_directory)
{
    const char *dir = tu_tmpdir();
    em_error err = {0};
    ck_assert_int_eq(mkdir(in_dir(dir, "sub"), 0755), 0);
    ck_assert_int_eq(em_atomic_write(in_dir(dir, "sub"), "x", 1, &err), EM_EIO);
    ck_assert_msg(strstr(err.msg, "is a directory"), "%s", err.msg);
    struct stat st;
    ck_assert_int_eq(stat(in_dir(dir, "sub"), &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
}
END_TEST

/* A planted symlink where the old writer put its temporary ("<out>.tmp.<pid>") is
 * never followed: the victim keeps its content. */
START_TEST(planted_temporary_names_are_not_followed)
{
    const char *dir = tu_tmpdir();
    put(in_dir(dir, "victim.txt"), "precious");
    char planted[64];
    snprintf(planted, sizeof planted, "o.csv.tmp.%ld", (long)getpid());
    ck_assert_int_eq(symlink("victim.txt", in_dir(dir, planted)), 0);
    em_error err = {0};
    ck_assert_int_eq(em_atomic_write(in_dir(dir, "o.csv"), "csv", 3, &err), 0);
    ck_assert_str_eq(slurp(in_dir(dir, "victim.txt")), "precious");
    ck_assert_str_eq(slurp(in_dir(dir, "o.csv")), "csv");
    /* The temporary's name is unique: two writers to one path in one process. */
    em_atomic_file a, b;
    ck_assert_int_eq(em_atomic_open(&a, in_dir(dir, "o.csv"), &err), 0);
    ck_assert_int_eq(em_atomic_open(&b, in_dir(dir, "o.csv"), &err), 0);
    ck_assert_str_ne(a.temp_path, b.temp_path);
    struct stat st;
    ck_assert_int_eq(stat(a.temp_path, &st), 0);
    ck_assert_int_eq(st.st_mode & 077, 0); /* 0600 until the final mode is set */
    em_atomic_abort(&a);
    em_atomic_abort(&b);
}
END_TEST

/* Character devices made here with mknod (root only; skipped otherwise): the null
 * device takes the write and stays a device; the full device fails it. */
START_TEST(writes_devices_in_place)
{
    const char *dir = tu_tmpdir();
    const char *nul = in_dir(dir, "null"), *full = in_dir(dir, "full");
    if (mknod(nul, S_IFCHR | 0666, makedev(1, 3)) != 0 ||
        mknod(full, S_IFCHR | 0666, makedev(1, 7)) != 0) {
        fprintf(stderr, "writes_devices_in_place: mknod: %s (not root?): skipped\n",
                strerror(errno));
        return;
    }
    em_error err = {0};
    ck_assert_int_eq(em_atomic_write(nul, "data", 4, &err), 0);
    struct stat st;
    ck_assert_int_eq(stat(nul, &st), 0);
    ck_assert(S_ISCHR(st.st_mode));
    char big[65536];
    memset(big, 'x', sizeof big);
    int rc = em_atomic_write(full, big, sizeof big, &err);
    ck_assert_int_eq(rc, EM_EIO);
    ck_assert_msg(strstr(err.msg, "full") != NULL, "%s", err.msg);
    ck_assert_int_eq(stat(full, &st), 0);
    ck_assert(S_ISCHR(st.st_mode));
    ck_assert_int_eq(count_entries(dir), 2); /* nothing else was created */
}
END_TEST

START_TEST(writes_a_fifo_in_place)
{
    const char *dir = tu_tmpdir();
    const char *fifo = in_dir(dir, "pipe"), *got = in_dir(dir, "got.txt");
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) { /* the reader: copies the pipe to got.txt */
        alarm(20);
        int in = open(fifo, O_RDONLY), out = open(got, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        char b[256];
        ssize_t n;
        while (in >= 0 && out >= 0 && (n = read(in, b, sizeof b)) > 0)
            if (write(out, b, (size_t)n) != n) _exit(2);
        _exit(in >= 0 && out >= 0 ? 0 : 1);
    }
    em_error err = {0};
    ck_assert_int_eq(em_atomic_write(fifo, "through the pipe\n", 17, &err), 0);
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert_str_eq(slurp(got), "through the pipe\n");
    struct stat st;
    ck_assert_int_eq(lstat(fifo, &st), 0);
    ck_assert(S_ISFIFO(st.st_mode));
}
END_TEST

START_TEST(stale_temporaries_are_removed)
{
    const char *dir = tu_tmpdir();
    put(in_dir(dir, ".final.csv.tmp-a1B2c3"), "debris");
    put(in_dir(dir, "final.csv"), "kept");
    put(in_dir(dir, "notes.tmp-a1B2c3"), "not ours: no leading dot");
    put(in_dir(dir, ".x.tmp-abc"), "not ours: not six characters");
    ck_assert_int_eq(mkdir(in_dir(dir, ".d.tmp-qwerty"), 0755), 0); /* not a file */
    ck_assert(em_atomic_is_temp_name(".final.csv.tmp-a1B2c3"));
    ck_assert(!em_atomic_is_temp_name("final.csv"));
    /* A run directory prepared again (as --resume does) is cleared of the debris. */
    em_error err = {0};
    ck_assert_int_eq(opt_rundir_prepare(dir, &err), 0);
    ck_assert_int_eq(access(in_dir(dir, ".final.csv.tmp-a1B2c3"), F_OK), -1);
    ck_assert_str_eq(slurp(in_dir(dir, "final.csv")), "kept");
    ck_assert_int_eq(access(in_dir(dir, "notes.tmp-a1B2c3"), F_OK), 0);
    ck_assert_int_eq(access(in_dir(dir, ".x.tmp-abc"), F_OK), 0);
    ck_assert_int_eq(access(in_dir(dir, ".d.tmp-qwerty"), F_OK), 0);
    /* And what an open writer's temporary looks like is such a name. */
    em_atomic_file af;
    ck_assert_int_eq(em_atomic_open(&af, in_dir(dir, "final.csv"), &err), 0);
    const char *base = strrchr(af.temp_path, '/') + 1;
    ck_assert_msg(em_atomic_is_temp_name(base), "%s", base);
    em_atomic_abort(&af);
}
END_TEST

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    Suite *s = suite_create("common_atomicfile");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, writes_and_replaces_a_regular_file);
    tcase_add_test(tc, follows_a_symlink_to_the_file_it_names);
    tcase_add_test(tc, refuses_a_directory);
    tcase_add_test(tc, planted_temporary_names_are_not_followed);
    tcase_add_test(tc, writes_devices_in_place);
    tcase_add_test(tc, writes_a_fifo_in_place);
    tcase_add_test(tc, stale_temporaries_are_removed);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
