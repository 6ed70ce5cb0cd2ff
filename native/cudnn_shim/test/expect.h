/* EXPECT(condition, printf-style message): counts and prints a failed check (the C tests' one assertion). */
#ifndef ECUD_TEST_EXPECT_H
#define ECUD_TEST_EXPECT_H

#include <stdio.h>

static int failures;
#define EXPECT(condition, ...)            \
  do {                                    \
    if (!(condition)) {                   \
      failures++;                         \
      printf("FAIL line %d: ", __LINE__); \
      printf(__VA_ARGS__);                \
      printf("\n");                       \
    }                                     \
  } while (0)

#endif
