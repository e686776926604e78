/* One operation through the C ABI, as `vpc OP key=value... --json` runs
 * it: `run_op STATE_DIR OP INPUT [key=value...]`, where OP is the words
 * after `vpc` ("node init", "apply"...) and INPUT a file holding the
 * document `receive` reads, or "-" for none. Prints the report's JSON and
 * a newline; on failure prints "error: MESSAGE" and exits 1. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpc.h"

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf != NULL && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2) {
            char *grown = realloc(buf, cap * 2);
            if (grown == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf != NULL) {
        buf[len] = '\0';
    }
    return buf;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: run_op STATE_DIR OP INPUT [key=value...]\n");
        return 2;
    }
    int count = argc - 4;
    const char **keys = calloc((size_t)count + 1, sizeof *keys);
    const char **values = calloc((size_t)count + 1, sizeof *values);
    char **words = calloc((size_t)count + 1, sizeof *words);
    if (keys == NULL || values == NULL || words == NULL) {
        return 2;
    }
    for (int i = 0; i < count; i++) {
        size_t n = strlen(argv[4 + i]) + 1;
        words[i] = malloc(n);
        if (words[i] != NULL) {
            memcpy(words[i], argv[4 + i], n);
        }
        char *eq = words[i] == NULL ? NULL : strchr(words[i], '=');
        if (eq == NULL) {
            fprintf(stderr, "not key=value: %s\n", argv[4 + i]);
            return 2;
        }
        *eq = '\0';
        keys[i] = words[i];
        values[i] = eq + 1;
    }
    char *input = NULL;
    if (strcmp(argv[3], "-") != 0 && (input = slurp(argv[3])) == NULL) {
        fprintf(stderr, "cannot read %s\n", argv[3]);
        return 2;
    }

    struct vpc_store *store = NULL;
    struct vpc_error *err = NULL;
    char *report = NULL;
    int rc = 0;
    if (vpc_store_open(argv[1], &store, &err) != VPC_OK
        || vpc_store_run(store, argv[2], keys, values, (size_t)count, input, &report, &err) != VPC_OK) {
        printf("error: %s\n", vpc_error_message(err));
        rc = 1;
    } else {
        printf("%s\n", report);
    }
    vpc_string_free(report);
    vpc_error_free(err);
    vpc_store_free(store);
    for (int i = 0; i < count; i++) {
        free(words[i]);
    }
    free(words);
    free(keys);
    free(values);
    free(input);
    return rc;
}
