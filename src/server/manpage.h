/*
 * manpage.h - the bioauthd(8) manual page (bioauthd --man).
 */
#ifndef BIOAUTH_SERVER_MANPAGE_H
#define BIOAUTH_SERVER_MANPAGE_H

#include <stdio.h>

/* Writes bioauthd(8) in man(7) format to `out`. */
void manpage_write(FILE *out);

#endif
