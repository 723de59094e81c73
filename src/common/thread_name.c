/*
 * thread_name.c - see thread_name.h. Linux's prctl(PR_SET_NAME) names the
 * calling thread and needs no _GNU_SOURCE (pthread_setname_np does).
 */
#include "common/thread_name.h"

#ifdef __linux__
#include <sys/prctl.h>
#endif

void thread_name_set(const char *name)
{
#ifdef __linux__
	(void)prctl(PR_SET_NAME, name, 0, 0, 0);
#else
	(void)name;
#endif
}
