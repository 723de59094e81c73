/*
 * health.c - /healthz, /readyz and /metrics.
 */
#include "api/health.h"

#include <stdlib.h>
#include <string.h>

#include "api/ctx.h"
#include "common/error.h"
#include "common/log.h"
#include "common/metrics.h"

void
api_healthz(struct req *r)
{
	req_reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

void
api_readyz(struct req *r)
{
	struct store *st = req_ctx(r)->store;
	int rc = st != NULL ? store_ready(st) : BA_ERR_STORE_UNAVAILABLE;

	if (rc != BA_OK) {
		log_write(LOG_WARN, "not ready", "req_id", req_id(r),
		          "error", ba_strerror(rc), NULL);
		/* Whatever went wrong, the answer is "storage unavailable". */
		req_reply_error(r, BA_ERR_STORE_UNAVAILABLE, NULL);
		return;
	}
	req_reply_json(r, 200, json_pack("{s:s}", "status", "ready"));
}

void
api_metrics(struct req *r)
{
	char *text = metrics_render();

	if (text == NULL) {
		req_reply_error(r, BA_ERR_NOMEM, NULL);
		return;
	}
	req_reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", text,
	               strlen(text));
	free(text);
}
