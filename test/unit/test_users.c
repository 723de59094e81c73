/*
 * test_users.c - user creation (validation, generated ids, password hashing)
 * through a temporary SQLite store, and password checks with their constant
 * cost for unknown users.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "domain/contact.h"
#include "domain/password.h"
#include "domain/users.h"
#include "domain/validate.h"
#include "store_fake.h"

struct fixture {
	char dir[64];
	char path[96];
	struct store *store;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct store_options opt;

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_users.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/db.sqlite", f->dir);
	memset(&opt, 0, sizeof(opt));
	opt.durable = false;
	if (store_open(f->path, &opt, &f->store) != BA_OK)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char p[128];

	store_close(f->store);
	unlink(f->path);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* CPU seconds of this process (every thread: Argon2 may use lanes in
 * threads), so other processes on a loaded machine do not count. */
static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Creates a user through the store; returns the write's rc. */
static int
create(struct fixture *f, const char *id, const char *name, const char *pw,
       char **id_out)
{
	struct store_write w;
	int r;

	if ((r = users_prepare_create(id, name, pw, &w)) != BA_OK)
		return r;
	r = store_write_sync(f->store, &w);
	if (id_out != NULL)
		*id_out = r == BA_OK ? strdup(w.in.user.user_id) : NULL;
	users_write_clear(&w);
	return r;
}

static void
test_create_generated(void **state)
{
	struct fixture *f = *state;
	struct store_write w;
	struct model_user u;
	char *id = NULL;

	assert_int_equal(users_prepare_create(NULL, NULL, NULL, &w), BA_OK);
	assert_int_equal(w.kind, SW_USER_CREATE);
	assert_true(strncmp(w.in.user.user_id, "usr_", 4) == 0);
	assert_int_equal(strlen(w.in.user.user_id), 4 + 22);
	assert_null(w.in.user.username);
	assert_null(w.in.user.password_hash);
	assert_true(w.in.user.created_at > 1600000000);
	assert_int_equal(w.in.user.created_at, w.in.user.updated_at);
	assert_int_equal(store_write_sync(f->store, &w), BA_OK);
	id = strdup(w.in.user.user_id);
	users_write_clear(&w);
	assert_int_equal(w.kind, 0);
	assert_int_equal(store_user_get(f->store, id, &u), BA_OK);
	assert_string_equal(u.user_id, id);
	assert_null(u.username);
	assert_null(u.password_hash);
	model_user_clear(&u);
	free(id);
}

static void
test_create_full(void **state)
{
	struct fixture *f = *state;
	struct store_write w;
	struct model_user u;

	assert_int_equal(users_prepare_create("alice-id", "alice", "pw-of-alice",
	    &w), BA_OK);
	assert_string_equal(w.in.user.user_id, "alice-id");
	assert_string_equal(w.in.user.username, "alice");
	/* Hashed here, never stored in clear. */
	assert_true(strncmp(w.in.user.password_hash, "$argon2id$", 10) == 0);
	assert_int_equal(password_verify(w.in.user.password_hash, "pw-of-alice"),
	    BA_OK);
	assert_int_equal(store_write_sync(f->store, &w), BA_OK);
	users_write_clear(&w);
	assert_int_equal(store_user_get_by_username(f->store, "alice", &u),
	    BA_OK);
	assert_string_equal(u.user_id, "alice-id");
	model_user_clear(&u);

	/* user_id and username are unique. */
	assert_int_equal(create(f, "alice-id", NULL, NULL, NULL), BA_ERR_CONFLICT);
	assert_int_equal(create(f, "other-id", "alice", NULL, NULL),
	    BA_ERR_CONFLICT);
	assert_int_equal(create(f, "\xe7\x94\xa8\xe6\x88\xb7 1",
	    "J\xc3\xbcrgen", "x", NULL), BA_OK);
}

static void
test_create_validation(void **state)
{
	char s257[258], pw1025[1026];
	struct store_write w;

	(void)state;
	memset(s257, 'u', 257);
	s257[257] = '\0';
	memset(pw1025, 'p', 1025);
	pw1025[1025] = '\0';

	assert_int_equal(users_prepare_create("", NULL, NULL, &w),
	    BA_ERR_INVALID_REQUEST);
	assert_int_equal(w.kind, 0);
	assert_int_equal(users_prepare_create(s257, NULL, NULL, &w),
	    BA_ERR_INVALID_REQUEST);
	assert_int_equal(users_prepare_create("id\n", NULL, NULL, &w),
	    BA_ERR_INVALID_REQUEST);
	assert_int_equal(users_prepare_create("id\x7f", NULL, NULL, &w),
	    BA_ERR_INVALID_REQUEST);
	assert_int_equal(users_prepare_create(NULL, "", NULL, &w),
	    BA_ERR_INVALID_REQUEST);
	assert_int_equal(users_prepare_create(NULL, s257, NULL, &w),
	    BA_ERR_INVALID_REQUEST);
	assert_int_equal(users_prepare_create(NULL, "a\x1b[31m", NULL, &w),
	    BA_ERR_INVALID_REQUEST);
	assert_int_equal(users_prepare_create(NULL, "\xff\xfe", NULL, &w),
	    BA_ERR_INVALID_REQUEST);
	assert_int_equal(users_prepare_create(NULL, "\xed\xa0\x80", NULL, &w),
	    BA_ERR_INVALID_REQUEST);   /* a UTF-16 surrogate */
	assert_int_equal(users_prepare_create(NULL, "\xf4\x90\x80\x80", NULL, &w),
	    BA_ERR_INVALID_REQUEST);   /* above U+10FFFF */
	assert_int_equal(users_prepare_create(NULL, "cut \xe2\x82", NULL, &w),
	    BA_ERR_INVALID_REQUEST);   /* truncated sequence */
	assert_int_equal(users_prepare_create(NULL, NULL, "", &w),
	    BA_ERR_INVALID_REQUEST);
	assert_int_equal(users_prepare_create(NULL, NULL, pw1025, &w),
	    BA_ERR_INVALID_REQUEST);

	/* The limits themselves are fine. */
	s257[256] = '\0';
	pw1025[1024] = '\0';
	assert_int_equal(users_prepare_create(s257, s257, pw1025, &w), BA_OK);
	users_write_clear(&w);
	assert_int_equal(users_prepare_create(NULL, "\xf0\x9f\x98\x80 smile", "p",
	    &w), BA_OK);
	users_write_clear(&w);
}

static void
test_validate_text(void **state)
{
	(void)state;
	assert_true(validate_text("plain", 10));
	assert_true(validate_text("with space", 10));
	assert_true(validate_text("\xc2\xa0nbsp", 10));        /* U+00A0 is fine */
	assert_false(validate_text("\xc2\x9f", 10));           /* U+009F (C1) */
	assert_false(validate_text("\xe0\x80\x80", 10));       /* overlong NUL */
	assert_false(validate_text("\x80", 10));               /* lone continuation */
	assert_false(validate_text("elevenbytes", 10));
	assert_false(validate_text(NULL, 10));
}

static void
test_contact_formats(void **state)
{
	char key[CONTACT_EMAIL_MAX + 1], local[CONTACT_LOCAL_MAX + 2], long_mail[300];

	(void)state;
	assert_true(contact_email_valid("a@b.co"));
	assert_true(contact_email_valid("First.Last+tag@Mail.Example-1.com"));
	assert_true(contact_email_valid("o'hara_!#$%&*=?^`{|}~@x.io"));
	assert_false(contact_email_valid("no-at.example.com"));
	assert_false(contact_email_valid("two@@example.com"));
	assert_false(contact_email_valid("a@b@example.com"));
	assert_false(contact_email_valid("@example.com"));
	assert_false(contact_email_valid("a@localhost"));          /* one label */
	assert_false(contact_email_valid(".a@example.com"));
	assert_false(contact_email_valid("a.@example.com"));
	assert_false(contact_email_valid("a..b@example.com"));
	assert_false(contact_email_valid("a b@example.com"));
	assert_false(contact_email_valid("a@exa_mple.com"));
	assert_false(contact_email_valid("a@-example.com"));
	assert_false(contact_email_valid("a@example-.com"));
	assert_false(contact_email_valid("a@example..com"));
	assert_false(contact_email_valid("a@example.com."));
	assert_false(contact_email_valid("j\xc3\xbcrgen@example.com")); /* ASCII only */
	assert_false(contact_email_valid("a\"b@example.com"));
	assert_false(contact_email_valid(NULL));
	memset(local, 'x', sizeof(local) - 1);
	local[CONTACT_LOCAL_MAX] = '\0';                           /* 64 bytes: fine */
	snprintf(long_mail, sizeof(long_mail), "%s@example.com", local);
	assert_true(contact_email_valid(long_mail));
	local[CONTACT_LOCAL_MAX] = 'x';                            /* 65 bytes */
	local[CONTACT_LOCAL_MAX + 1] = '\0';
	snprintf(long_mail, sizeof(long_mail), "%s@example.com", local);
	assert_false(contact_email_valid(long_mail));
	/* 255 bytes in all */
	snprintf(long_mail, sizeof(long_mail), "a@%.63s.%.63s.%.63s.%.61s", local, local, local, local);
	assert_int_equal(strlen(long_mail), 255);
	assert_false(contact_email_valid(long_mail));

	assert_true(contact_email_key("Ada.Lovelace@Example.COM", key, sizeof(key)));
	assert_string_equal(key, "ada.lovelace@example.com");
	assert_false(contact_email_key("not an address", key, sizeof(key)));
	assert_string_equal(key, "");
	assert_false(contact_email_key("a@b.co", key, 6));          /* no room */

	assert_true(contact_phone_valid("+14155550100"));
	assert_true(contact_phone_valid("+12"));
	assert_true(contact_phone_valid("+123456789012345"));      /* 15 digits */
	assert_false(contact_phone_valid("+1234567890123456"));    /* 16 digits */
	assert_false(contact_phone_valid("14155550100"));
	assert_false(contact_phone_valid("+04155550100"));
	assert_false(contact_phone_valid("+1"));
	assert_false(contact_phone_valid("+1 415 555 0100"));
	assert_false(contact_phone_valid("+1-415-555-0100"));
	assert_false(contact_phone_valid(NULL));
}

/* users_prepare_new() names the field it refuses; the email and phone
 * number go into the write as given. */
static void
test_prepare_new_fields(void **state)
{
	struct users_new n = { .email = "Ada@Example.com", .phone_number = "+442071838750",
	                       .name = "{\"first_name\":\"Ada\"}", .external_user_id = "crm-7",
	                       .custom_data = "{}", .force_replace = true };
	struct store_write w;
	char msg[160], big[USERS_JSON_MAX + 2];

	(void)state;
	assert_int_equal(users_prepare_new(&n, &w, msg, sizeof(msg)), BA_OK);
	assert_string_equal(w.in.user.email, "Ada@Example.com");
	assert_string_equal(w.in.user.phone_number, "+442071838750");
	assert_string_equal(w.in.user.external_user_id, "crm-7");
	assert_true(w.in.user.password_force_replace);
	assert_null(w.in.user.password_hash);
	users_write_clear(&w);

	n.email = "ada(at)example.com";
	assert_int_equal(users_prepare_new(&n, &w, msg, sizeof(msg)), BA_ERR_INVALID_REQUEST);
	assert_non_null(strstr(msg, "email:"));
	n.email = NULL;
	n.phone_number = "020 7183 8750";
	assert_int_equal(users_prepare_new(&n, &w, msg, sizeof(msg)), BA_ERR_INVALID_REQUEST);
	assert_non_null(strstr(msg, "phone_number:"));
	n.phone_number = NULL;
	n.external_user_id = "tab\there";
	assert_int_equal(users_prepare_new(&n, &w, msg, sizeof(msg)), BA_ERR_INVALID_REQUEST);
	assert_non_null(strstr(msg, "external_user_id:"));
	n.external_user_id = NULL;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	n.custom_data = big;
	assert_int_equal(users_prepare_new(&n, &w, msg, sizeof(msg)), BA_ERR_INVALID_REQUEST);
	assert_non_null(strstr(msg, "custom_data:"));
	n.custom_data = NULL;
	n.name = big;
	assert_int_equal(users_prepare_new(&n, &w, msg, sizeof(msg)), BA_ERR_INVALID_REQUEST);
	assert_non_null(strstr(msg, "name:"));
	assert_int_equal(w.kind, 0);
}

static void
test_delete(void **state)
{
	struct fixture *f = *state;
	struct store_write w;
	struct model_user u;
	char *id = NULL;

	assert_int_equal(create(f, NULL, "bob", "pw", &id), BA_OK);
	assert_int_equal(users_prepare_delete(id, &w), BA_OK);
	assert_int_equal(store_write_sync(f->store, &w), BA_OK);
	users_write_clear(&w);
	assert_int_equal(store_user_get(f->store, id, &u),
	    BA_ERR_NOT_FOUND);
	assert_int_equal(users_check_password(f->store, "bob", "pw", &u),
	    BA_ERR_INVALID_CREDENTIALS);
	assert_int_equal(users_prepare_delete(id, &w), BA_OK);
	assert_int_equal(store_write_sync(f->store, &w), BA_ERR_NOT_FOUND);
	assert_int_equal(users_prepare_delete("", &w), BA_ERR_INVALID_REQUEST);
	free(id);
}

static void
test_check_password(void **state)
{
	struct fixture *f = *state;
	struct model_user u;
	char *id = NULL;

	assert_int_equal(create(f, NULL, "carol", "s3cret!", &id), BA_OK);
	assert_int_equal(create(f, NULL, "nopw", NULL, NULL), BA_OK);

	assert_int_equal(users_check_password(f->store, "carol", "s3cret!", &u),
	    BA_OK);
	assert_string_equal(u.user_id, id);
	assert_string_equal(u.username, "carol");
	model_user_clear(&u);

	assert_int_equal(users_check_password(f->store, "carol", "s3cret", &u),
	    BA_ERR_INVALID_CREDENTIALS);
	assert_null(u.user_id);
	assert_int_equal(users_check_password(f->store, "carol", "", &u),
	    BA_ERR_INVALID_CREDENTIALS);
	assert_int_equal(users_check_password(f->store, "carol", NULL, &u),
	    BA_ERR_INVALID_CREDENTIALS);
	assert_int_equal(users_check_password(f->store, "Carol", "s3cret!", &u),
	    BA_ERR_INVALID_CREDENTIALS);
	assert_int_equal(users_check_password(f->store, "nobody", "s3cret!", &u),
	    BA_ERR_INVALID_CREDENTIALS);
	/* A user without a password cannot log in with any password. */
	assert_int_equal(users_check_password(f->store, "nopw", "", &u),
	    BA_ERR_INVALID_CREDENTIALS);
	assert_int_equal(users_check_password(f->store, "nopw", "x", &u),
	    BA_ERR_INVALID_CREDENTIALS);
	/* The login name is the username, not the user_id. */
	assert_int_equal(users_check_password(f->store, id, "s3cret!", &u),
	    BA_ERR_INVALID_CREDENTIALS);
	assert_int_equal(users_check_password(f->store, "", "s3cret!", &u),
	    BA_ERR_INVALID_CREDENTIALS);
	assert_int_equal(users_check_password(f->store, NULL, "s3cret!", &u),
	    BA_ERR_INVALID_CREDENTIALS);
	free(id);
}

/* Best-of-5 CPU time of one users_check_password() call. */
static double
best_time(struct fixture *f, const char *user, const char *pw)
{
	struct model_user u;
	double best = 1e9, t;
	int i;

	for (i = 0; i < 5; i++) {
		t = cpu_s();
		assert_int_equal(users_check_password(f->store, user, pw, &u),
		    BA_ERR_INVALID_CREDENTIALS);
		t = cpu_s() - t;
		if (t < best)
			best = t;
	}
	return best;
}

/* An unknown user (or one without a password) costs what a wrong password
 * costs: one Argon2id verification. */
static void
test_check_password_timing(void **state)
{
	struct fixture *f = *state;
	double wrong, unknown, nopw;

	assert_int_equal(create(f, NULL, "dave", "right", NULL), BA_OK);
	assert_int_equal(create(f, NULL, "erin", NULL, NULL), BA_OK);
	(void)best_time(f, "nobody", "warm-up");
	wrong = best_time(f, "dave", "wrong");
	unknown = best_time(f, "nobody", "wrong");
	nopw = best_time(f, "erin", "wrong");
	print_message("wrong password %.1f ms, unknown user %.1f ms, "
	    "no password %.1f ms\n", wrong * 1e3, unknown * 1e3, nopw * 1e3);
	assert_true(unknown > wrong * 0.5 && unknown < wrong * 2.0);
	assert_true(nopw > wrong * 0.5 && nopw < wrong * 2.0);
}

/* A store whose lookups fail: its error passes through untouched. */
static void
test_check_password_store_error(void **state)
{
	struct store fake;
	struct model_user u;

	(void)state;
	store_fake_failing(&fake, BA_ERR_STORE_UNAVAILABLE);
	assert_int_equal(users_check_password(&fake, "x", "y", &u),
	    BA_ERR_STORE_UNAVAILABLE);
	assert_int_equal(store_fake_runs(), 1);
	assert_null(u.user_id);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_generated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_full, setup, teardown),
		cmocka_unit_test(test_create_validation),
		cmocka_unit_test(test_validate_text),
		cmocka_unit_test(test_contact_formats),
		cmocka_unit_test(test_prepare_new_fields),
		cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_password, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_password_timing, setup,
		    teardown),
		cmocka_unit_test(test_check_password_store_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
