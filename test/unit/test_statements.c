/*
 * test_statements.c - the statement table (src/store/statements.c): every
 * text is written with SQLite's ?N marks and PostgreSQL's is derived from
 * it (st_pg_sql()), so no text may hold a `?` that is not a mark (one in a
 * string literal would be rewritten too), and the derived text must take
 * the same parameters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "store/statements.h"

/* The parameter marks of `sql` written with `mark` ('?' or '$'): their
 * number in *count, the set of their N (1..63) in *set. Fails the test on
 * a mark inside a '...' literal and on a `mark` character that is not
 * followed by a number. */
static void
marks(const char *name, const char *sql, char mark, int *count, uint64_t *set)
{
	int quoted = 0;

	*count = 0;
	*set = 0;
	for (const char *p = sql; *p != '\0'; p++) {
		unsigned long n;
		char *end;

		if (*p == '\'')
			quoted = !quoted;
		if (*p != mark)
			continue;
		if (quoted)
			fail_msg("%s: '%c' inside a string literal", name, mark);
		n = strtoul(p + 1, &end, 10);
		if (end == p + 1 || n < 1 || n > 63)
			fail_msg("%s: '%c' that is no mark", name, mark);
		(*count)++;
		*set |= UINT64_C(1) << n;
	}
}

/* Every entry: a name, a text in at least one dialect, SQLite's with ?N
 * marks only, PostgreSQL's own with $N marks only. */
static void
test_texts_hold_marks_only(void **state)
{
	(void)state;
	for (int i = 0; i < ST__COUNT; i++) {
		const struct st_text *t = &st_table[i];
		uint64_t set;
		int n;

		assert_non_null(t->name);
		assert_true(t->sqlite != NULL || t->pg != NULL);
		assert_true(t->pg == NULL || t->pg_tail == NULL);
		if (t->sqlite != NULL) {
			marks(t->name, t->sqlite, '?', &n, &set);
			assert_null(strchr(t->sqlite, '$'));
		}
		if (t->pg != NULL) {
			marks(t->name, t->pg, '$', &n, &set);
			assert_null(strchr(t->pg, '?'));
		}
		if (t->pg_tail != NULL)
			assert_null(strpbrk(t->pg_tail, "?$"));
	}
}

/* PostgreSQL's text of every entry takes the same parameters as SQLite's:
 * derived, the same marks in the same number and the text unchanged but
 * for them (and the tail); an own text, the same set of N. */
static void
test_pg_text_takes_same_parameters(void **state)
{
	(void)state;
	for (int i = 0; i < ST__COUNT; i++) {
		const struct st_text *t = &st_table[i];
		char *pg = st_pg_sql((enum st_id)i);
		uint64_t sq_set = 0, pg_set = 0;
		int sq_n = 0, pg_n = 0;

		assert_non_null(pg);
		if (t->sqlite != NULL) {
			marks(t->name, t->sqlite, '?', &sq_n, &sq_set);
			marks(t->name, pg, '$', &pg_n, &pg_set);
			assert_null(strchr(pg, '?'));
			assert_true(sq_set == pg_set);
		}
		if (t->pg == NULL) {
			size_t len = strlen(t->sqlite);

			assert_int_equal(sq_n, pg_n);
			assert_int_equal(strlen(pg),
			                 len + (t->pg_tail != NULL ? strlen(t->pg_tail) : 0));
			for (size_t k = 0; k < len; k++)
				if (pg[k] != t->sqlite[k])
					assert_true(t->sqlite[k] == '?' && pg[k] == '$');
			if (t->pg_tail != NULL)
				assert_string_equal(pg + len, t->pg_tail);
		} else {
			assert_string_equal(pg, t->pg);
		}
		free(pg);
	}
}

/* A few derived texts in full, two-digit marks and a tail among them. */
static void
test_pg_text_examples(void **state)
{
	char *pg;

	(void)state;
	pg = st_pg_sql(ST_APP_DELETE);
	assert_string_equal(pg, "DELETE FROM apps WHERE app_id = $1");
	free(pg);
	pg = st_pg_sql(ST_USER_HOLD);
	assert_string_equal(pg, "SELECT password_hash FROM users WHERE user_id = $1 FOR KEY SHARE");
	free(pg);
	pg = st_pg_sql(ST_APP_INSERT);
	assert_non_null(strstr(pg, " $9, $10, $11, $12, $13, $14, $15, $16) ON CONFLICT DO NOTHING"));
	free(pg);
}

/* The strict forms (a lone write's inserts on PostgreSQL): exactly the
 * texts ending in ON CONFLICT DO NOTHING have one, which is that text
 * without it - among them a login's four inserts; an upsert has none. */
static void
test_pg_strict_forms(void **state)
{
	static const char tail[] = " ON CONFLICT DO NOTHING";
	static const enum st_id login[] = { ST_CC_INSERT, ST_UC_INSERT, ST_SESSION_INSERT,
	                                    ST_REFRESH_INSERT };

	(void)state;
	for (int i = 0; i < ST__COUNT; i++) {
		char *sql = st_pg_sql((enum st_id)i), *strict = st_pg_strict_sql((enum st_id)i);
		size_t n;

		assert_non_null(sql);
		n = strlen(sql);
		if (n > strlen(tail) && strcmp(sql + n - strlen(tail), tail) == 0) {
			assert_true(st_pg_has_strict((enum st_id)i));
			assert_non_null(strict);
			assert_int_equal(strlen(strict), n - strlen(tail));
			assert_memory_equal(strict, sql, strlen(strict));
			assert_null(strstr(strict, "ON CONFLICT"));
		} else {
			assert_false(st_pg_has_strict((enum st_id)i));
			assert_null(strict);
		}
		free(sql);
		free(strict);
	}
	for (size_t i = 0; i < sizeof(login) / sizeof(login[0]); i++)
		assert_true(st_pg_has_strict(login[i]));
	assert_false(st_pg_has_strict(ST_SETTING_SET));
	assert_false(st_pg_has_strict(ST_USER_HOLD));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_texts_hold_marks_only),
		cmocka_unit_test(test_pg_text_takes_same_parameters),
		cmocka_unit_test(test_pg_text_examples),
		cmocka_unit_test(test_pg_strict_forms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
