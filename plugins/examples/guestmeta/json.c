/*
 * json.c - guest metadata checked with yajl (the JSON library libxl uses;
 * Debian libyajl-dev): RFC 8259 grammar, well-formed UTF-8 in strings,
 * nothing after the object.  The callbacks below add what guestmeta
 * needs on top: the top-level value must be an object, nesting is refused
 * beyond a depth before it is entered (yajl's parser keeps its own stack,
 * never the C stack, so hostile nesting costs nothing), and one top-level
 * member's string value is captured (the uuid) with its name compared
 * after unescaping.
 */
#include <stdio.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "json.h"

struct walk {
    unsigned depth, max_depth;
    struct json_capture *cap;
    struct json_result *res;
    bool capture_next;          /* the last top-level key was cap->key */
    const char *why;            /* our reason for cancelling, or NULL */
};

/* A value at depth 1 (a member of the top-level object) after its key. */
static void member_value(struct walk *w, const unsigned char *s, size_t n)
{
    if (w->depth != 1 || !w->capture_next)
        return;
    w->capture_next = false;
    w->cap->is_string = s != NULL;
    w->cap->fits = s && n <= JSON_CAPTURE_MAX;
    for (size_t i = 0; w->cap->fits && i < n; i++)
        w->cap->fits = s[i] >= 0x20 && s[i] < 0x80;
    if (w->cap->fits) {
        memcpy(w->cap->value, s, n);
        w->cap->value[n] = '\0';
    }
}

static int top_is_object(struct walk *w)
{
    if (w->depth == 0) {
        w->why = "the document must be a JSON object";
        return 0;
    }
    return 1;
}

static int on_scalar(void *ctx)
{
    struct walk *w = ctx;
    if (!top_is_object(w))
        return 0;
    member_value(w, NULL, 0);
    return 1;
}

static int on_bool(void *ctx, int v)
{
    (void)v;
    return on_scalar(ctx);
}

static int on_number(void *ctx, const char *v, size_t n)
{
    (void)v;
    (void)n;
    return on_scalar(ctx);
}

static int on_string(void *ctx, const unsigned char *s, size_t n)
{
    struct walk *w = ctx;
    if (!top_is_object(w))
        return 0;
    member_value(w, s, n);
    return 1;
}

static int on_key(void *ctx, const unsigned char *k, size_t n)
{
    struct walk *w = ctx;
    if (w->depth != 1)
        return 1;
    w->res->members++;
    size_t kl = strlen(w->cap->key);
    w->capture_next = n == kl && !memcmp(k, w->cap->key, kl);
    if (w->capture_next)
        w->cap->found++;
    return 1;
}

static int open_level(struct walk *w, bool map)
{
    if (w->depth == 0 && !map)
        return top_is_object(w);
    member_value(w, NULL, 0);
    if (w->depth >= w->max_depth) {
        w->why = "nested too deep";
        return 0;
    }
    w->depth++;
    if (w->depth > w->res->max_depth_seen)
        w->res->max_depth_seen = w->depth;
    return 1;
}

static int on_map(void *ctx)
{
    return open_level(ctx, true);
}

static int on_array(void *ctx)
{
    return open_level(ctx, false);
}

static int on_close(void *ctx)
{
    struct walk *w = ctx;
    w->depth--;
    return 1;
}

static const yajl_callbacks callbacks = {
    .yajl_null = on_scalar, .yajl_boolean = on_bool,
    .yajl_number = on_number, .yajl_string = on_string,
    .yajl_start_map = on_map, .yajl_map_key = on_key, .yajl_end_map = on_close,
    .yajl_start_array = on_array, .yajl_end_array = on_close,
};

/* yajl's message ("parse error: ...") as one line, without the excerpt
 * it can append. */
static void yajl_reason(yajl_handle y, const uint8_t *p, size_t n, char *err,
                        size_t errlen)
{
    unsigned char *m = yajl_get_error(y, 0, p, n);
    snprintf(err, errlen, "%s", m ? (const char *)m : "invalid JSON");
    err[strcspn(err, "\n")] = '\0';
    if (m)
        yajl_free_error(y, m);
}

int json_check_object(const uint8_t *p, size_t n, unsigned max_depth,
                      struct json_capture *cap, struct json_result *res,
                      char *err, size_t errlen)
{
    struct json_capture dummy = { .key = "" };
    struct walk w = { .max_depth = max_depth ? max_depth : 1,
                      .cap = cap ? cap : &dummy, .res = res };
    w.cap->found = 0;
    w.cap->is_string = w.cap->fits = false;
    w.cap->value[0] = '\0';
    memset(res, 0, sizeof(*res));
    if (w.max_depth > JSON_MAX_DEPTH)
        w.max_depth = JSON_MAX_DEPTH;

    yajl_handle y = yajl_alloc(&callbacks, NULL, &w);
    if (!y) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* One value, nothing after it (yajl's defaults); UTF-8 checked. */
    yajl_status st = yajl_parse(y, p, n);
    size_t at = yajl_get_bytes_consumed(y);
    if (st == yajl_status_ok) {
        st = yajl_complete_parse(y);
        at = n;
    }
    int rc = 0;
    if (st == yajl_status_client_canceled) {
        /* yajl has consumed the token that opened the refused value. */
        res->err_at = at ? at - 1 : 0;
        if (w.why && !strcmp(w.why, "nested too deep"))
            snprintf(err, errlen, "nested deeper than %u levels", w.max_depth);
        else
            snprintf(err, errlen, "%s", w.why ? w.why : "refused");
        rc = -1;
    } else if (st != yajl_status_ok) {
        res->err_at = at;
        yajl_reason(y, p, n, err, errlen);
        rc = -1;
    }
    yajl_free(y);
    return rc;
}
