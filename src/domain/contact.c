/*
 * contact.c - email address and phone number formats (contact.h).
 */
#include "domain/contact.h"

#include <string.h>

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* The local part: visible ASCII but the specials, dots only inside and
 * never two in a row. */
static bool
local_ok(const char *s, size_t len)
{
	if (len == 0 || len > CONTACT_LOCAL_MAX || s[0] == '.' || s[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || strchr("(),:;<>[]\\\"@", c) != NULL)
			return false;
		if (c == '.' && s[i + 1] == '.')
			return false;
	}
	return true;
}

/* The domain: labels of 1-63 letters, digits and inner hyphens, at least
 * two of them. */
static bool
domain_ok(const char *s, size_t len)
{
	size_t labels = 0, start = 0;

	if (len == 0)
		return false;
	for (size_t i = 0; i <= len; i++) {
		size_t n;

		if (i < len && s[i] != '.') {
			if (!is_alnum(s[i]) && s[i] != '-')
				return false;
			continue;
		}
		n = i - start;
		if (n == 0 || n > 63 || s[start] == '-' || s[i - 1] == '-')
			return false;
		labels++;
		start = i + 1;
	}
	return labels >= 2;
}

bool
contact_email_valid(const char *s)
{
	const char *at;
	size_t len;

	if (s == NULL)
		return false;
	len = strnlen(s, CONTACT_EMAIL_MAX + 1);
	if (len > CONTACT_EMAIL_MAX || (at = strchr(s, '@')) == NULL)
		return false;
	return local_ok(s, (size_t)(at - s)) &&
	       domain_ok(at + 1, len - (size_t)(at - s) - 1);
}

bool
contact_phone_valid(const char *s)
{
	size_t len;

	if (s == NULL || s[0] != '+' || s[1] < '1' || s[1] > '9')
		return false;
	len = strnlen(s, CONTACT_PHONE_MAX + 1);
	if (len < 3 || len > CONTACT_PHONE_MAX)
		return false;
	return strspn(s + 1, "0123456789") == len - 1;
}

bool
contact_email_key(const char *email, char *out, size_t cap)
{
	size_t i;

	if (cap > 0)
		out[0] = '\0';
	if (!contact_email_valid(email) || cap <= strlen(email))
		return false;
	for (i = 0; email[i] != '\0'; i++)
		out[i] = email[i] >= 'A' && email[i] <= 'Z' ? (char)(email[i] - 'A' + 'a') : email[i];
	out[i] = '\0';
	return true;
}
