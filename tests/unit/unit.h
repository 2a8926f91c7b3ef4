/*
 * unit.h - a tiny test harness: CHECK counts, TEST groups, a closing line.
 */
#ifndef CORDON_UNIT_H
#define CORDON_UNIT_H

#include <stdio.h>
#include <string.h>

extern int unit_failed_checks;
extern const char *unit_current;

#define CHECK(cond)                                                                    \
	do {                                                                               \
		if (!(cond)) {                                                                 \
			fprintf(stderr, "  FAIL %s: %s:%d: %s\n", unit_current, __FILE__, __LINE__, \
				#cond);                                                                \
			unit_failed_checks++;                                                      \
		}                                                                              \
	} while (0)

#define CHECK_STR(a, b)                                                                \
	do {                                                                               \
		const char *a_ = (a), *b_ = (b);                                               \
		if (a_ == NULL || b_ == NULL ? a_ != b_ : strcmp(a_, b_) != 0) {                 \
			fprintf(stderr, "  FAIL %s: %s:%d: \"%s\" != \"%s\"\n", unit_current,    \
				__FILE__, __LINE__, a_ ? a_ : "(null)", b_ ? b_ : "(null)");             \
			unit_failed_checks++;                                                      \
		}                                                                              \
	} while (0)

struct unit_test {
	const char *name;
	void (*fn)(void);
};

#endif
