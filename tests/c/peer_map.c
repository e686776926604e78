/* The article's peer map and one node's plan through the C API.
 *
 * usage: peer_map STATE_DIR VPC NODE OS
 * Prints one line per link from the vpc_link structs, then "--", then the
 * dry-run text of NODE's plan for OS. tests/c/run.sh compares both with
 * the CLI's answers. Exits 1 on any failed call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpc.h"

static int failed(const char *what, vpc_status status, vpc_error *err) {
    fprintf(stderr, "%s: status %u (%s): %s\n", what, (unsigned)status,
            vpc_status_description(status), vpc_error_message(err));
    vpc_error_free(err);
    return 1;
}

int main(int argc, char **argv) {
    vpc_store *store = NULL;
    vpc_spec *spec = NULL;
    vpc_peer_map *map = NULL;
    vpc_plan *plan = NULL;
    vpc_error *err = NULL;
    char *text = NULL;
    vpc_status s;
    size_t i;
    int rc = 1;

    if (argc != 5) {
        fprintf(stderr, "usage: peer_map STATE_DIR VPC NODE OS\n");
        return 2;
    }
    if (strcmp(vpc_version(), VPC_VERSION_STRING) != 0) {
        fprintf(stderr, "library %s, header %s\n", vpc_version(), VPC_VERSION_STRING);
        return 1;
    }
    if ((s = vpc_store_open(argv[1], &store, &err)) != VPC_OK) return failed("vpc_store_open", s, err);
    if ((s = vpc_store_spec(store, argv[2], &spec, &err)) != VPC_OK) {
        rc = failed("vpc_store_spec", s, err);
        goto out;
    }
    if ((s = vpc_spec_peer_map(spec, &map, &err)) != VPC_OK) {
        rc = failed("vpc_spec_peer_map", s, err);
        goto out;
    }
    for (i = 0; i < vpc_peer_map_len(map); i++) {
        vpc_link l;
        if ((s = vpc_peer_map_get(map, i, &l, &err)) != VPC_OK) {
            rc = failed("vpc_peer_map_get", s, err);
            goto out;
        }
        printf("%llu %u %s v%u %u %s %s %s %u %s %s %s\n", (unsigned long long)l.pair, (unsigned)l.vni,
               l.interface, (unsigned)l.family, (unsigned)l.ends[0].slot, l.ends[0].node,
               l.ends[0].underlay, l.ends[0].link_addr, (unsigned)l.ends[1].slot, l.ends[1].node,
               l.ends[1].underlay, l.ends[1].link_addr);
    }
    printf("--\n");
    if ((s = vpc_plan_new(spec, argv[3], argv[4], &plan, &err)) != VPC_OK) {
        rc = failed("vpc_plan_new", s, err);
        goto out;
    }
    if ((s = vpc_plan_render(plan, &text, &err)) != VPC_OK) {
        rc = failed("vpc_plan_render", s, err);
        goto out;
    }
    fputs(text, stdout);
    rc = 0;
out:
    vpc_string_free(text);
    vpc_plan_free(plan);
    vpc_peer_map_free(map);
    vpc_spec_free(spec);
    vpc_store_free(store);
    return rc;
}
