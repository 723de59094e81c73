/*
 * health.h - operational endpoints: liveness, readiness, metrics.
 */
#ifndef BIOAUTH_API_HEALTH_H
#define BIOAUTH_API_HEALTH_H

#include "edge/http.h"

/* GET /healthz: 200 {"status":"ok"} while the process serves requests. */
void api_healthz(struct req *r);
/* GET /readyz: 200 {"status":"ready"} when the store answers a read and
 * its write path works, else 503 storage_unavailable. */
void api_readyz(struct req *r);
/* GET /metrics: Prometheus text format 0.0.4. */
void api_metrics(struct req *r);

#endif
