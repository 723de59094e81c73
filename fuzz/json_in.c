/*
 * json_in.c - fuzzes JSON request bodies the way the edge and the /v1
 * handlers take them in.
 *
 * Input: [2 control bytes][route selector][chunking byte][body...]. The
 * selector picks one BODY_JSON row of the real routing table, and its high
 * bit sends the body as a form (application/x-www-form-urlencoded: parsed
 * by form.c, decoded by json_in_decode_form through api_decode); the path is
 * matched by router_match, the body is fed to req_body_append in up to
 * three chunks and parsed by req_parse_body (json_in_parse with the
 * configured depth limit), then decoded by api_decode with the field table
 * of that endpoint (copied from its handler: the tables are local to the
 * handlers), and the login options, key text and user fields go through the
 * same functions the handlers call next (login_parse_options,
 * pubkey_parse, users_prepare_new without a password: Argon2id would
 * make each run take tens of milliseconds; and the email and phone checks
 * of domain/contact.c on the user's fields).
 *
 * Properties: a body refused by the edge gets exactly one reply, a 4xx
 * (or 500 when an allocation failed); a decoded string respects its field's
 * length bound.
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "api/input.h"
#include "api/login.h"
#include "common/error.h"
#include "crypto/pubkey.h"
#include "domain/contact.h"
#include "domain/users.h"
#include "edge/internal.h"
#include "edge/json_in.h"
#include "fuzz_common.h"

/* The handlers' input structs and tables (src/api/mb_authenticate.c,
 * mb_register.c, password.c, session.c, users.c). */
struct jin_start { const char *user_id, *identifier, *identifier_type, *device_id;
                   json_t *approval_data;
                   int64_t timeout; bool has_timeout; };
struct jin_auth { const char *user_id, *key_id, *challenge, *signature; };
struct jin_register { const char *public_key, *public_key_id, *os, *encryption_type,
                      *challenge, *attestation, *device_id, *display_name; };
struct jin_one { const char *s; };
struct jin_password { const char *username, *password; };
struct jin_user { const char *user_id, *username, *password, *email, *phone_number,
                   *external_user_id; json_t *credentials, *name, *custom_data; };

static const struct json_in_field jin_auth_fields[] = {
	{ "user_id", JIN_STRING, true, 256, offsetof(struct jin_auth, user_id) },
	{ "key_id", JIN_STRING, true, 256, offsetof(struct jin_auth, key_id) },
	{ "challenge", JIN_STRING, true, 1024, offsetof(struct jin_auth, challenge) },
	{ "signature", JIN_STRING, true, 4096, offsetof(struct jin_auth, signature) },
};
static const struct json_in_field jin_register_fields[] = {
	{ "publicKey", JIN_STRING, true, 16384, offsetof(struct jin_register, public_key) },
	{ "publicKeyId", JIN_STRING, true, 256, offsetof(struct jin_register, public_key_id) },
	{ "os", JIN_STRING, true, 64, offsetof(struct jin_register, os) },
	{ "encryptionType", JIN_STRING, false, 16, offsetof(struct jin_register, encryption_type) },
	{ "challenge", JIN_STRING, false, 1024, offsetof(struct jin_register, challenge) },
	{ "attestation_encoded_result", JIN_STRING, false, 16384,
	  offsetof(struct jin_register, attestation) },
	{ "device_id", JIN_STRING, false, 256, offsetof(struct jin_register, device_id) },
	{ "displayName", JIN_STRING, false, 256, offsetof(struct jin_register, display_name) },
};
static const struct json_in_field jin_delete_fields[] = {
	{ "publicKeyId", JIN_STRING, true, 256, offsetof(struct jin_one, s) },
};
static const struct json_in_field jin_password_fields[] = {
	{ "username", JIN_STRING, true, USERS_ID_MAX, offsetof(struct jin_password, username) },
	{ "password", JIN_STRING, true, 1024, offsetof(struct jin_password, password) },
};
static const struct json_in_field jin_refresh_fields[] = {
	{ "refresh_token", JIN_STRING, true, 512, offsetof(struct jin_one, s) },
};
static const struct json_in_field jin_logout_fields[] = {
	{ "session_id", JIN_STRING, true, 256, offsetof(struct jin_one, s) },
};
static const struct json_in_field jin_user_fields[] = {
	{ "user_id", JIN_STRING, false, USERS_ID_MAX, offsetof(struct jin_user, user_id) },
	{ "username", JIN_STRING, false, USERS_ID_MAX, offsetof(struct jin_user, username) },
	{ "password", JIN_STRING, false, 1024, offsetof(struct jin_user, password) },
	{ "email", JIN_STRING, false, CONTACT_EMAIL_MAX, offsetof(struct jin_user, email) },
	{ "phone_number", JIN_STRING, false, CONTACT_PHONE_MAX,
	  offsetof(struct jin_user, phone_number) },
	{ "external_user_id", JIN_STRING, false, USERS_ID_MAX,
	  offsetof(struct jin_user, external_user_id) },
	{ "credentials", JIN_OBJECT, false, 0, offsetof(struct jin_user, credentials) },
	{ "name", JIN_OBJECT, false, 0, offsetof(struct jin_user, name) },
	{ "custom_data", JIN_OBJECT, false, 0, offsetof(struct jin_user, custom_data) },
};

/*
 * The email and phone number checks (domain/contact.c) on client text: a
 * valid address has exactly one '@' and only visible ASCII, its key has its
 * length and no upper-case letter and is itself valid with itself as key;
 * a valid phone number is '+' and 2-15 digits.
 */
static void
jin_contact(const char *email, const char *phone)
{
	char key[CONTACT_EMAIL_MAX + 1], again[CONTACT_EMAIL_MAX + 1];
	bool ok;

	if (email != NULL) {
		ok = contact_email_valid(email);
		FUZZ_CHECK(contact_email_key(email, key, sizeof(key)) == ok);
		if (ok) {
			const char *at = strchr(email, '@');

			FUZZ_CHECK(at != NULL && strchr(at + 1, '@') == NULL);
			FUZZ_CHECK(strlen(key) == strlen(email) && strlen(email) <= CONTACT_EMAIL_MAX);
			for (size_t i = 0; key[i] != '\0'; i++)
				FUZZ_CHECK(key[i] > 0x20 && key[i] < 0x7f && !(key[i] >= 'A' && key[i] <= 'Z'));
			FUZZ_CHECK(contact_email_key(key, again, sizeof(again)) &&
			           strcmp(key, again) == 0);
		} else {
			FUZZ_CHECK(key[0] == '\0');
		}
	}
	if (phone != NULL && contact_phone_valid(phone)) {
		size_t n = strlen(phone);

		FUZZ_CHECK(phone[0] == '+' && n >= 3 && n <= CONTACT_PHONE_MAX &&
		           strspn(phone + 1, "0123456789") == n - 1);
	}
}

#define JIN_N(a) (sizeof(a) / sizeof((a)[0]))

/* True when the optional string `s` fits `max` bytes. */
static bool
jin_len_ok(const char *s, size_t max)
{
	return s == NULL || strlen(s) <= max;
}

/* A login request's options, as login_parse_options sees them, with a
 * caller app that has one resource. */
static void
jin_login_options(struct req *r)
{
	struct login *l = login_attach(r, (char *)"fuzz");

	if (l == NULL)
		return;
	l->caller.app.resources[0] = strdup("https://api.example.com");
	if (l->caller.app.resources[0] != NULL)
		l->caller.app.n_resources = 1;
	if (login_parse_options(r, req_json(r), l))
		FUZZ_CHECK(l->audience != NULL);
}

/* Decodes the body of the route at `path` with its table and runs the
 * checks its handler runs before touching the store. */
static void
jin_decode(struct req *r, const char *path)
{
	const struct config *cfg = fuzz_config();

	if (strcmp(path, "/v1/auth/mobile-biometrics/start") == 0) {
		const struct json_in_field fields[] = {
			{ "user_id", JIN_STRING, false, 256, offsetof(struct jin_start, user_id) },
			{ "identifier", JIN_STRING, false, 256, offsetof(struct jin_start, identifier) },
			{ "identifier_type", JIN_STRING, false, 32,
			  offsetof(struct jin_start, identifier_type) },
			{ "device_id", JIN_STRING, false, 256, offsetof(struct jin_start, device_id) },
			{ "approval_data", JIN_OBJECT, false, 0,
			  offsetof(struct jin_start, approval_data) },
			{ "timeout", JIN_INT, false, 0, offsetof(struct jin_start, timeout),
			  JIN_HAS(struct jin_start, has_timeout), 1, cfg->challenge_max_ttl },
		};
		struct jin_start in = {0};

		if (api_decode(r, fields, JIN_N(fields), &in)) {
			FUZZ_CHECK(jin_len_ok(in.user_id, 256) && jin_len_ok(in.identifier, 256) &&
			           jin_len_ok(in.identifier_type, 32));
			FUZZ_CHECK(!in.has_timeout ||
			           (in.timeout >= 1 && in.timeout <= cfg->challenge_max_ttl));
			FUZZ_CHECK(in.approval_data == NULL || json_is_object(in.approval_data));
		}
	} else if (strcmp(path, "/v1/auth/mobile-biometrics/authenticate") == 0) {
		struct jin_auth in = {0};

		if (api_decode(r, jin_auth_fields, JIN_N(jin_auth_fields), &in)) {
			FUZZ_CHECK(in.signature != NULL && jin_len_ok(in.signature, 4096));
			jin_login_options(r);
		}
	} else if (strcmp(path, "/v1/auth/mobile-biometrics/register") == 0) {
		struct jin_register in = {0};
		struct pubkey pk;
		int expected = 0;

		if (!api_decode(r, jin_register_fields, JIN_N(jin_register_fields), &in))
			return;
		FUZZ_CHECK(in.public_key != NULL && jin_len_ok(in.public_key, 16384));
		FUZZ_CHECK(jin_len_ok(in.os, 64) && jin_len_ok(in.encryption_type, 16));
		/* mb_register.c's expected_key_type() */
		if (in.encryption_type != NULL)
			expected = strcasecmp(in.encryption_type, "ec") == 0 ||
			           strcasecmp(in.encryption_type, "ecdsa") == 0 ? 1 :
			           strcasecmp(in.encryption_type, "rsa") == 0 ? 2 : -1;
		if (expected >= 0 &&
		    pubkey_parse(in.public_key, strlen(in.public_key), expected, &pk) == BA_OK) {
			FUZZ_CHECK(pk.pkey != NULL && pk.der != NULL);
			pubkey_clear(&pk);
		}
	} else if (strcmp(path, "/v1/auth/mobile-biometrics/delete") == 0) {
		struct jin_one in = {0};

		if (api_decode(r, jin_delete_fields, 1, &in))
			FUZZ_CHECK(in.s != NULL && in.s[0] != '\0');
	} else if (strcmp(path, "/v1/auth/password/authenticate") == 0) {
		struct jin_password in = {0};

		if (api_decode(r, jin_password_fields, JIN_N(jin_password_fields), &in))
			jin_login_options(r);
	} else if (strcmp(path, "/v1/auth/token/refresh") == 0) {
		struct jin_one in = {0};

		if (api_decode(r, jin_refresh_fields, 1, &in))
			FUZZ_CHECK(jin_len_ok(in.s, 512));
	} else if (strcmp(path, "/v1/auth/session/logout") == 0) {
		struct jin_one in = {0};

		if (api_decode(r, jin_logout_fields, 1, &in))
			FUZZ_CHECK(jin_len_ok(in.s, 256));
	} else if (strcmp(path, "/v1/users") == 0) {
		struct jin_user in = {0};
		struct store_write w;

		struct users_new nu = {0};
		char msg[160];
		int rc;

		if (!api_decode(r, jin_user_fields, JIN_N(jin_user_fields), &in) ||
		    in.password != NULL)
			return;
		jin_contact(in.email, in.phone_number);
		memset(&w, 0, sizeof(w));
		nu.user_id = in.user_id;
		nu.username = in.username;
		nu.email = in.email;
		nu.phone_number = in.phone_number;
		nu.external_user_id = in.external_user_id;
		rc = users_prepare_new(&nu, &w, msg, sizeof(msg));
		if (rc == BA_OK)
			FUZZ_CHECK(w.in.user.user_id != NULL &&
			           (in.email == NULL || contact_email_valid(w.in.user.email)) &&
			           (in.phone_number == NULL || contact_phone_valid(w.in.user.phone_number)));
		else
			FUZZ_CHECK(rc == BA_ERR_INVALID_REQUEST || rc == BA_ERR_NOMEM || rc == BA_ERR_INTERNAL);
		users_write_clear(&w);
	}
}

FUZZ_TARGET(json_in)
{
	const struct route *routes[32], *rt;
	size_t n = 0, cut1, cut2;
	uint8_t sel, chunk;
	struct req *r;
	bool ok, failed, refused = false;

	alloc_fail_install();
	fuzz_warm_up();
	fuzz_take_alloc_control(&data, &size);
	sel = fuzz_take_u8(&data, &size);
	chunk = fuzz_take_u8(&data, &size);
	for (rt = api_routes; rt->method != NULL && n < 32; rt++)
		if (rt->body == BODY_JSON)
			routes[n++] = rt;
	FUZZ_CHECK(n > 0);
	rt = routes[(sel & 0x7f) % n];
	cut1 = size * (chunk & 0x0f) / 16;
	cut2 = cut1 + (size - cut1) * (chunk >> 4) / 16;

	r = fuzz_req_new(rt->method, rt->pattern);
	r->json_from_form = (sel & 0x80) != 0;
	fuzz_alloc_begin();
	ok = router_match(r);
	if (ok) {
		FUZZ_CHECK(r->route == rt);
		ok = req_body_append(r, (const char *)data, cut1) &&
		     req_body_append(r, (const char *)data + cut1, cut2 - cut1) &&
		     req_body_append(r, (const char *)data + cut2, size - cut2);
	}
	if (ok) {
		ok = req_parse_body(r);
		refused = !ok;
		if (ok)
			FUZZ_CHECK(json_is_object(req_json(r)) && !r->replied);
	}
	if (ok)
		jin_decode(r, rt->pattern);
	failed = fuzz_alloc_end();
	if (refused && !failed)
		FUZZ_CHECK(r->replied);
	if (r->replied && !failed)
		FUZZ_CHECK(r->status >= 400 && r->status < 500);
	req_free(r);
	return 0;
}
