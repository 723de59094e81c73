/*
 * log.h - one JSON object per line on stderr.
 *
 * log_write(LOG_INFO, "request", "req_id", id, "status", "200", NULL) prints
 * {"ts":"2026-11-28T10:00:00.123Z","level":"info","msg":"request","req_id":...}
 * Values are JSON-escaped. Never pass secrets, tokens, passwords or
 * signatures. Thread-safe (one write(2) per line).
 */
#ifndef BIOAUTH_COMMON_LOG_H
#define BIOAUTH_COMMON_LOG_H

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level lvl);
/* Parses "debug|info|warn|error"; returns 0 on success, -1 otherwise. */
int log_level_parse(const char *s, enum log_level *out);
/* Key/value string pairs, terminated by NULL. A NULL value is skipped. */
void log_write(enum log_level lvl, const char *msg, ...);

#endif
