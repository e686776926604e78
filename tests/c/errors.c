/* Every error path a C caller can take: NULL arguments, invalid UTF-8,
 * bad JSON, a peer network too small, an index past the end, a quota
 * exceeded. Each check asserts the status, the message, and that outputs
 * were not written. usage: errors STATE_DIR (a store with the article's
 * nodes). Prints "errors: N checks passed" or the first failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpc.h"

static int checks = 0;

#define EXPECT(cond, ...)                                                  \
    do {                                                                   \
        checks++;                                                          \
        if (!(cond)) {                                                     \
            fprintf(stderr, "check %d failed at line %d: ", checks, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
            exit(1);                                                       \
        }                                                                  \
    } while (0)

/* A failed call's error: status and a message holding `needle`. */
static void expect_error(vpc_status got, vpc_error *err, vpc_status want, const char *needle) {
    EXPECT(got == want, "status %u, expected %u (%s)", (unsigned)got, (unsigned)want, vpc_error_message(err));
    EXPECT(err != NULL, "no error object for status %u", (unsigned)got);
    EXPECT(vpc_error_status(err) == want, "error status %u", (unsigned)vpc_error_status(err));
    EXPECT(strstr(vpc_error_message(err), needle) != NULL, "message \"%s\" lacks \"%s\"",
           vpc_error_message(err), needle);
    vpc_error_free(err);
}

int main(int argc, char **argv) {
    vpc_store *store = NULL;
    vpc_spec *spec = (vpc_spec *)0x1; /* a sentinel: must stay untouched */
    vpc_spec *good = NULL;
    vpc_peer_map *map = NULL;
    vpc_error *err = NULL;
    char *text = (char *)0x1;
    uint32_t mtu = 7;
    vpc_status s;
    vpc_link link;
    const char bad_utf8[] = {'v', (char)0xff, 'c', 0};

    if (argc != 2) return 2;

    /* Statuses: distinct, described. */
    EXPECT(strcmp(vpc_status_description(VPC_OK), "success") == 0, "VPC_OK");
    EXPECT(strcmp(vpc_status_description(12345), "unknown status code") == 0, "unknown");
    EXPECT(strlen(vpc_status_description(VPC_CAPACITY)) > 0, "VPC_CAPACITY");
    {
        /* Every status the header defines: a new one is added here too. */
        const vpc_status all[] = {
            VPC_OK,       VPC_NULL_ARGUMENT, VPC_INVALID_UTF8, VPC_OUT_OF_RANGE, VPC_INVALID,
            VPC_CAPACITY, VPC_CONFLICT,      VPC_NOT_FOUND,    VPC_STALE,        VPC_CORRUPT,
            VPC_QUOTA,    VPC_BACKEND,       VPC_UNSUPPORTED,  VPC_IO,           VPC_REMOTE,
            VPC_INTERNAL,
        };
        const size_t n = sizeof all / sizeof all[0];
        size_t i, j;
        for (i = 0; i < n; i++) {
            const char *d = vpc_status_description(all[i]);
            EXPECT(d != NULL && strlen(d) > 0 && strcmp(d, "unknown status code") != 0,
                   "status %u has no description", (unsigned)all[i]);
            for (j = 0; j < i; j++) {
                EXPECT(all[i] != all[j], "status %u twice", (unsigned)all[i]);
                EXPECT(strcmp(d, vpc_status_description(all[j])) != 0, "statuses %u and %u share \"%s\"",
                       (unsigned)all[i], (unsigned)all[j], d);
            }
        }
        EXPECT(VPC_REMOTE == 210, "VPC_REMOTE is %u", (unsigned)VPC_REMOTE);
        EXPECT(strcmp(vpc_status_description(VPC_REMOTE), "another node failed over SSH") == 0, "VPC_REMOTE");
    }

    /* NULL arguments: VPC_NULL_ARGUMENT naming the argument; a NULL err is fine. */
    s = vpc_store_open(argv[1], NULL, &err);
    expect_error(s, err, VPC_NULL_ARGUMENT, "argument out is NULL");
    err = NULL;
    EXPECT(vpc_store_open(argv[1], NULL, NULL) == VPC_NULL_ARGUMENT, "NULL err");
    s = vpc_spec_from_json(NULL, &spec, &err);
    expect_error(s, err, VPC_NULL_ARGUMENT, "argument json is NULL");
    EXPECT(spec == (vpc_spec *)0x1, "output written on failure");
    err = NULL;
    s = vpc_store_spec(NULL, "vpc1", &spec, &err);
    expect_error(s, err, VPC_NULL_ARGUMENT, "argument store is NULL");
    err = NULL;
    EXPECT(vpc_peer_map_len(NULL) == 0, "len of NULL");
    EXPECT(vpc_error_status(NULL) == 0 && strcmp(vpc_error_message(NULL), "") == 0, "NULL error");

    /* Every _free takes NULL. */
    vpc_error_free(NULL);
    vpc_store_free(NULL);
    vpc_spec_free(NULL);
    vpc_peer_map_free(NULL);
    vpc_plan_free(NULL);
    vpc_string_free(NULL);

    /* Invalid UTF-8. */
    EXPECT(vpc_store_open(argv[1], &store, NULL) == VPC_OK, "open");
    s = vpc_store_spec(store, bad_utf8, &spec, &err);
    expect_error(s, err, VPC_INVALID_UTF8, "argument vpc is not valid UTF-8");
    err = NULL;

    /* Bad JSON, and a spec breaking a rule. */
    s = vpc_spec_from_json("{\"schema_version\": 1, \"name\": ", &spec, &err);
    expect_error(s, err, VPC_INVALID, "spec JSON is not valid");
    err = NULL;
    s = vpc_spec_from_json("{\"name\": \"bad-name\"}", &spec, &err);
    expect_error(s, err, VPC_INVALID, "\"bad-name\"");
    err = NULL;
    EXPECT(spec == (vpc_spec *)0x1, "output written on failure");

    /* A peer network too small, and an unknown key. */
    {
        const char *keys[] = {"vpc_name", "node_member", "peer_network"};
        const char *small[] = {"vpc9", "all", "10.200.0.0/29"};
        const char *fine[] = {"vpc9", "all", "10.200.0.0/24"};
        const char *odd_keys[] = {"vpc_name", "node_member", "colour"};
        s = vpc_spec_define(store, keys, small, 3, &spec, &err);
        expect_error(s, err, VPC_CAPACITY, "peer_network 10.200.0.0/29 holds 2 links of /30; 3 are needed");
        err = NULL;
        s = vpc_spec_define(store, odd_keys, fine, 3, &spec, &err);
        expect_error(s, err, VPC_INVALID, "unknown key colour=");
        err = NULL;
        const char *twice_keys[] = {"vpc_name", "node_member", "peer_network", "vpc_name"};
        const char *twice[] = {"vpc9", "all", "10.200.0.0/24", "vpc8"};
        s = vpc_spec_define(store, twice_keys, twice, 4, &spec, &err);
        expect_error(s, err, VPC_INVALID, "key vpc_name= is given twice");
        err = NULL;
        s = vpc_spec_define(store, keys, fine, 3, &good, &err);
        EXPECT(s == VPC_OK, "define: %s", vpc_error_message(err));
        EXPECT(vpc_spec_validate(good, NULL) == VPC_OK, "validate");
        EXPECT(vpc_spec_mtu(good, &mtu, NULL) == VPC_OK && mtu == 1430, "mtu %u", (unsigned)mtu);
    }

    /* An empty state directory path is refused, not taken as "here". */
    {
        vpc_store *empty = (vpc_store *)0x1;
        s = vpc_store_open("", &empty, &err);
        expect_error(s, err, VPC_INVALID, "the state directory \"\" is not valid");
        err = NULL;
        EXPECT(empty == (vpc_store *)0x1, "output written on failure");
    }

    /* Not there. */
    s = vpc_store_spec(store, "nope", &spec, &err);
    expect_error(s, err, VPC_NOT_FOUND, "VPC nope does not exist");
    err = NULL;

    /* An index past the end. */
    EXPECT(vpc_spec_peer_map(good, &map, NULL) == VPC_OK, "peer map");
    EXPECT(vpc_peer_map_len(map) == 3, "3 links");
    s = vpc_peer_map_get(map, 3, &link, &err);
    expect_error(s, err, VPC_OUT_OF_RANGE, "index 3 is past the end");
    err = NULL;

    /* MTU arithmetic and its limits. */
    EXPECT(vpc_mtu(1500, 4, false, 0, &mtu, NULL) == VPC_OK && mtu == 1450, "1450");
    EXPECT(vpc_mtu(1500, 6, false, 0, &mtu, NULL) == VPC_OK && mtu == 1430, "1430");
    EXPECT(vpc_mtu(1500, 4, true, 0, &mtu, NULL) == VPC_OK && mtu == 1446, "1446");
    mtu = 7;
    s = vpc_mtu(1500, 4, false, 1451, &mtu, &err);
    expect_error(s, err, VPC_INVALID, "mtu 1451 is not valid");
    err = NULL;
    EXPECT(mtu == 7, "output written on failure");
    s = vpc_mtu(1500, 5, false, 0, &mtu, &err);
    expect_error(s, err, VPC_INVALID, "family 5");
    err = NULL;

    /* Quota. */
    {
        vpc_quota q = {2, 8, 0, 0};
        vpc_usage used = {2, 4, 0, 0};
        vpc_usage one = {1, 1, 0, 0};
        vpc_usage after = {0, 0, 0, 0};
        s = vpc_quota_admit(&q, &used, &one, &after, &err);
        expect_error(s, err, VPC_QUOTA, "max_guests 2 would be exceeded: 2 in use, 1 requested");
        err = NULL;
        used.guests = 1;
        EXPECT(vpc_quota_admit(&q, &used, &one, &after, NULL) == VPC_OK && after.guests == 2 && after.cpus == 5,
               "admit");
    }

    /* A plan for a node that is no member. */
    {
        vpc_plan *plan = (vpc_plan *)0x1;
        s = vpc_plan_new(good, "nobody", "linux", &plan, &err);
        expect_error(s, err, VPC_NOT_FOUND, "node nobody is not a member of VPC vpc9");
        err = NULL;
        s = vpc_plan_new(good, "jhoster1.olevole.ru", "windows", &plan, &err);
        expect_error(s, err, VPC_INVALID, "os \"windows\"");
        err = NULL;
        EXPECT(plan == (vpc_plan *)0x1, "output written on failure");
    }

    /* A stale receive. */
    EXPECT(vpc_spec_to_json(good, &text, NULL) == VPC_OK, "to_json");
    EXPECT(vpc_store_receive(store, text, NULL) == VPC_OK, "receive");
    EXPECT(vpc_store_receive(store, text, NULL) == VPC_OK, "receive again: unchanged");
    vpc_string_free(text);
    text = NULL;

    vpc_peer_map_free(map);
    vpc_spec_free(good);
    vpc_store_free(store);
    printf("errors: %d checks passed\n", checks);
    return 0;
}
