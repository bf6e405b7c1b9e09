/*
 * json.c - the --json output: one object per line on stdout, generated
 * with yajl (as libxl writes its JSON), so escaping and UTF-8 are never
 * hand-rolled.  Numbers are emitted as exact integer text: offsets beyond
 * 2^53 stay exact for parsers that keep integers (python's json does).
 */
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "cli.h"

struct cli_json {
    yajl_gen g;
};

struct cli_json *cli_json_new(void)
{
    struct cli_json *j = calloc(1, sizeof(*j));
    if (!j || !(j->g = yajl_gen_alloc(NULL))) {
        free(j);
        return NULL;
    }
    yajl_gen_config(j->g, yajl_gen_validate_utf8, 1);
    return j;
}

void cli_json_free(struct cli_json *j)
{
    if (!j)
        return;
    yajl_gen_free(j->g);
    free(j);
}

static void key(struct cli_json *j, const char *k)
{
    if (k)
        yajl_gen_string(j->g, (const unsigned char *)k, strlen(k));
}

void cli_json_open(struct cli_json *j)
{
    yajl_gen_map_open(j->g);
}

void cli_json_close(struct cli_json *j)
{
    yajl_gen_map_close(j->g);
}

void cli_json_array(struct cli_json *j, const char *k)
{
    key(j, k);
    yajl_gen_array_open(j->g);
}

void cli_json_array_end(struct cli_json *j)
{
    yajl_gen_array_close(j->g);
}

void cli_json_object(struct cli_json *j, const char *k)
{
    key(j, k);
    yajl_gen_map_open(j->g);
}

/* yajl checks UTF-8; a string that is not (a path, a plugin's text) is
 * written with its non-ASCII bytes as '?', so every line stays JSON. */
static void utf8_string(struct cli_json *j, const char *s)
{
    size_t n = strlen(s);
    if (yajl_gen_string(j->g, (const unsigned char *)s, n) !=
        yajl_gen_invalid_string)
        return;
    char *ascii = strdup(s);
    for (char *p = ascii; p && *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    yajl_gen_string(j->g, (const unsigned char *)(ascii ? ascii : ""),
                    ascii ? n : 0);
    free(ascii);
}

void cli_json_str(struct cli_json *j, const char *k, const char *v)
{
    key(j, k);
    if (v)
        utf8_string(j, v);
    else
        yajl_gen_null(j->g);
}

void cli_json_u64(struct cli_json *j, const char *k, uint64_t v)
{
    char num[24];
    key(j, k);
    int n = snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
    yajl_gen_number(j->g, num, (size_t)n);
}

void cli_json_i64(struct cli_json *j, const char *k, int64_t v)
{
    char num[24];
    key(j, k);
    int n = snprintf(num, sizeof(num), "%lld", (long long)v);
    yajl_gen_number(j->g, num, (size_t)n);
}

void cli_json_bool(struct cli_json *j, const char *k, bool v)
{
    key(j, k);
    yajl_gen_bool(j->g, v);
}

/* "error": {message, reason, rc, and whatever of offset, record type,
 * handler and where is known}. */
void cli_json_error(struct cli_json *j, const struct xlsr_error *err)
{
    char buf[1200];
    xlsr_error_format(err, buf, sizeof(buf));
    cli_json_object(j, "error");
    cli_json_str(j, "message", buf);
    cli_json_str(j, "reason", err->reason[0] ? err->reason
                                             : xlsr_strerror(err->rc));
    cli_json_i64(j, "rc", err->rc);
    cli_json_str(j, "kind", xlsr_strerror(err->rc));
    if (err->have_offset)
        cli_json_u64(j, "offset", err->offset);
    if (err->have_type) {
        cli_json_u64(j, "record_type", err->type);
    }
    if (err->handler[0])
        cli_json_str(j, "handler", err->handler);
    if (err->where[0])
        cli_json_str(j, "where", err->where);
    cli_json_close(j);
}

int cli_json_flush(struct cli_json *j)
{
    const unsigned char *buf;
    size_t len;
    int rc = 0;
    if (yajl_gen_get_buf(j->g, &buf, &len) != yajl_gen_status_ok)
        return -1;
    if (fwrite(buf, 1, len, stdout) != len || fputc('\n', stdout) == EOF)
        rc = -1;
    /* Nothing accumulates: each object leaves as soon as it is whole. */
    yajl_gen_clear(j->g);
    yajl_gen_reset(j->g, NULL);
    return rc;
}
