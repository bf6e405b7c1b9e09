/*
 * xlcfg.c - the facts a restore takes from the guest's saved xl
 * configuration, read with yajl (the parser libxl itself uses): the
 * domain xl builds from it has b_info.max_vcpus vcpus and is of
 * c_info.type, and libxenguest restores into that domain
 * (xg_sr_restore_x86_pv.c: nr_vcpus = max_vcpu_id + 1).  `xl restore`
 * refuses a config that does not parse (xl_utils/parse_config_data).
 */
#include <stdio.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "libxc.h"

const char *lx_config_parse(const char *json, struct lx_config *cfg,
                            char *why, size_t whylen)
{
    char err[160];
    memset(cfg, 0, sizeof(*cfg));
    if (!json || !*json)
        return NULL;
    yajl_val root = yajl_tree_parse(json, err, sizeof(err));
    if (!root) {
        /* yajl's message spans lines; the first says what. */
        err[strcspn(err, "\n")] = '\0';
        snprintf(why, whylen, "the xl JSON config does not parse (%s): "
                 "xl restore refuses it", err);
        return why;
    }
    cfg->present = true;
    const char *vp[] = { "b_info", "max_vcpus", NULL };
    const char *tp[] = { "c_info", "type", NULL };
    yajl_val n = yajl_tree_get(root, vp, yajl_t_number);
    if (n && YAJL_IS_INTEGER(n) && YAJL_GET_INTEGER(n) > 0 &&
        YAJL_GET_INTEGER(n) <= 4096)   /* HVM_MAX_VCPUS is far lower */
        cfg->max_vcpus = (uint32_t)YAJL_GET_INTEGER(n);
    yajl_val t = yajl_tree_get(root, tp, yajl_t_string);
    if (t && YAJL_GET_STRING(t))
        snprintf(cfg->type, sizeof(cfg->type), "%s", YAJL_GET_STRING(t));
    yajl_tree_free(root);
    return NULL;
}
