/*
 * der.c - bounded BER/DER TLV reader, see der.h.
 */
#include "attest/der.h"

bool der_next(struct der *in, struct der_tlv *t)
{
	const uint8_t *p = in->p;
	size_t n = in->len, i = 0;

	if (n < 2)
		return false;
	t->cls = p[0] & 0xc0;
	t->constructed = (p[0] & 0x20) != 0;
	t->tag = p[0] & 0x1f;
	i = 1;
	if (t->tag == 0x1f) {
		uint32_t tag = 0;
		for (int k = 0;; k++) {
			if (i >= n || k == 4)
				return false;
			tag = (tag << 7) | (p[i] & 0x7f);
			if (!(p[i++] & 0x80))
				break;
		}
		t->tag = tag;
	}
	if (i >= n)
		return false;
	size_t len = p[i++];
	if (len & 0x80) {
		size_t nb = len & 0x7f;
		if (nb == 0 || nb > 4)          /* indefinite, or absurd */
			return false;
		len = 0;
		for (size_t k = 0; k < nb; k++) {
			if (i >= n)
				return false;
			len = (len << 8) | p[i++];
		}
	}
	if (len > n - i)
		return false;
	t->body.p = p + i;
	t->body.len = len;
	in->p = p + i + len;
	in->len = n - i - len;
	return true;
}

bool der_expect(struct der *in, uint8_t cls, uint32_t tag, bool constructed,
                struct der *body)
{
	struct der_tlv t;

	if (!der_next(in, &t) || t.cls != cls || t.tag != tag ||
	    t.constructed != constructed)
		return false;
	*body = t.body;
	return true;
}

bool der_uint(const struct der *body, uint64_t *out)
{
	size_t n = body->len;
	const uint8_t *p = body->p;

	if (n == 0 || (p[0] & 0x80))
		return false;
	while (n > 1 && p[0] == 0) {           /* leading zero octets */
		p++;
		n--;
	}
	if (n > 8)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[i];
	*out = v;
	return true;
}

bool der_bool(const struct der *body, bool *out)
{
	if (body->len != 1)
		return false;
	*out = body->p[0] != 0;
	return true;
}
