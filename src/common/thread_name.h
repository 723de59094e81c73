/*
 * thread_name.h - names the calling thread (what top -H, perf and
 * /proc/PID/task/TID/comm show), so that the server's CPU can be told apart
 * per thread: the writer, the checkpointer, the HTTP work pool.
 */
#ifndef BIOAUTH_COMMON_THREAD_NAME_H
#define BIOAUTH_COMMON_THREAD_NAME_H

/* Sets the calling thread's name to `name` (at most 15 characters are
 * kept). Does nothing where the system has no thread names. */
void thread_name_set(const char *name);

#endif
