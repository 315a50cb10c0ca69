#include "test.h"

int test_failures;

void check_no_sanitizer_report(const char *output, const char *command)
{
    if (strstr(output, "Sanitizer") || strstr(output, "runtime error:")) {
        printf("  a sanitizer report from '%s':\n%s\n", command, output);
        test_failures++;
    }
}

int test_main(const test_case *tests, int n)
{
    int passed = 0, failed = 0;
    ax_set_num_threads(getenv("AXON_TEST_THREADS") ? atoi(getenv("AXON_TEST_THREADS")) : 2);
    for (int i = 0; i < n; i++) {
        test_failures = 0;
        tests[i].fn();
        if (test_failures) {
            failed++;
            printf("FAIL %s (%d checks)\n", tests[i].name, test_failures);
        } else {
            passed++;
            printf("ok   %s\n", tests[i].name);
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
