/*
 * test_utf8.c - the one strict UTF-8 check (src/common/utf8.c): the
 * boundaries of Table 3-7 of Unicode, truncated sequences with a byte
 * bound and in NUL-terminated strings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/utf8.h"

static bool
valid(const char *s)
{
	return utf8_valid(s, strlen(s));
}

static void
test_well_formed(void **state)
{
	(void)state;
	assert_true(valid(""));
	assert_true(valid("plain ascii"));
	assert_true(valid("\xc2\x80 \xdf\xbf"));                 /* U+0080, U+07FF */
	assert_true(valid("\xe0\xa0\x80 \xed\x9f\xbf \xef\xbf\xbf")); /* U+0800, U+D7FF, U+FFFF */
	assert_true(valid("\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf"));  /* U+10000, U+10FFFF */
	assert_true(utf8_valid("a\0b", 3));                       /* NUL is UTF-8 */
}

static void
test_ill_formed(void **state)
{
	static const char *const bad[] = {
		"\x80", "\xbf",                 /* lone continuation bytes */
		"\xc0\x80", "\xc1\xbf",         /* overlong 2-byte */
		"\xe0\x80\x80", "\xe0\x9f\xbf", /* overlong 3-byte */
		"\xed\xa0\x80", "\xed\xbf\xbf", /* UTF-16 surrogates */
		"\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf", /* overlong 4-byte */
		"\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", /* above U+10FFFF */
		"\xc2", "\xe2\x82", "\xf0\x9f\x98",      /* truncated at the end */
		"\xc2\x41", "\xe2\x41\x82", "\xf0\x9f\x41\x80", /* non-continuation inside */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(valid(bad[i]));
}

static void
test_seq_len_bounds(void **state)
{
	const unsigned char euro[] = { 0xe2, 0x82, 0xac, 0 };
	const unsigned char cut[] = { 0xe2, 0x82, 0 };

	(void)state;
	assert_int_equal(utf8_seq_len(euro, 3), 3);
	assert_int_equal(utf8_seq_len(euro, SIZE_MAX), 3);
	assert_int_equal(utf8_seq_len(euro, 2), 0);       /* the bound is kept */
	assert_int_equal(utf8_seq_len(cut, SIZE_MAX), 0); /* stops at the NUL */
	assert_int_equal(utf8_seq_len((const unsigned char *)"A", 1), 0);
	assert_false(utf8_valid(euro, 2));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_well_formed),
		cmocka_unit_test(test_ill_formed),
		cmocka_unit_test(test_seq_len_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
