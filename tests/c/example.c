/* The README's example: print a VPC's tunnels. */
#include <stdio.h>
#include <vpc.h>

int main(int argc, char **argv) {
    const char *vpc = argc > 1 ? argv[1] : "vpc1";
    vpc_store *store = NULL;
    vpc_spec *spec = NULL;
    vpc_peer_map *map = NULL;
    vpc_error *err = NULL;
    int rc = 1;

    if (vpc_store_open(NULL, &store, &err) != VPC_OK ||     /* $VPC_STATE_DIR */
        vpc_store_spec(store, vpc, &spec, &err) != VPC_OK ||
        vpc_spec_peer_map(spec, &map, &err) != VPC_OK) {
        fprintf(stderr, "vpc: %s\n", vpc_error_message(err));
        goto out;
    }
    for (size_t i = 0; i < vpc_peer_map_len(map); i++) {
        vpc_link l;
        if (vpc_peer_map_get(map, i, &l, NULL) != VPC_OK) goto out;
        printf("%s (VNI %u): %s %s <-> %s %s\n", l.interface, (unsigned)l.vni,
               l.ends[0].node, l.ends[0].link_addr, l.ends[1].node, l.ends[1].link_addr);
    }
    rc = 0;
out:
    vpc_error_free(err);
    vpc_peer_map_free(map);
    vpc_spec_free(spec);
    vpc_store_free(store);
    return rc;
}
