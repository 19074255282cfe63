#!/bin/sh
# Docker's HEALTHCHECK for a Chorus silo: its health endpoint on the metrics port, over HTTPS when the silo serves TLS
# (Chorus:Security:CertificatePath, which may come from the environment or the configuration file, so both schemes
# are tried) and plain HTTP otherwise. -k: this checks the process beside it over the loopback, it trusts nothing.
# /health (the liveness checks) where the silo has it, else the older /healthz. Exit 0 healthy, 1 not.
port="${Chorus__Cluster__MetricsPort:-9464}"
for scheme in https http; do
  for path in /health /healthz; do
    if curl --fail --silent --insecure --max-time 2 --output /dev/null "$scheme://127.0.0.1:$port$path"; then
      exit 0
    fi
  done
done
exit 1
