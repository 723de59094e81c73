/*
 * secret.h - releasing secrets held in memory as C strings (tokens, client
 * secrets, password hashes, private keys in PEM): wiped before the memory
 * goes back to the allocator, so a later allocation or a core dump does not
 * show them.
 */
#ifndef BIOAUTH_COMMON_SECRET_H
#define BIOAUTH_COMMON_SECRET_H

/* Wipes and frees a NUL-terminated secret; NULL is fine. */
void secret_free(char *s);

#endif
