{{/*
Logging: the console formatter (simple or json) with dated UTC timestamps, as environment variables over the image's
appsettings.json (which has HH:mm:ss). The json formatter writes a timestamp only when TimestampFormat is set.
*/}}
{{- define "chorus.loggingEnv" -}}
- name: Logging__Console__FormatterName
  value: {{ .Values.logging.format }}
- name: Logging__Console__FormatterOptions__UseUtcTimestamp
  value: "true"
- name: Logging__Console__FormatterOptions__TimestampFormat
  value: {{ ternary "yyyy-MM-dd'T'HH:mm:ss.fff'Z'" "yyyy-MM-dd'T'HH:mm:ss.fff'Z' " (eq .Values.logging.format "json") | quote }}
{{- end -}}

{{/*
Probes. grpc: the gRPC health service, "" (NOT_SERVING while models fail or the silo drains) for startup and readiness,
"liveness" (only failing models) for liveness. http: the same checks as GET /ready and /health on the metrics port,
which can be HTTPS (a kubelet's HTTPS probe does not verify the certificate; its gRPC probe cannot speak TLS at all).
*/}}
{{- define "chorus.probes" -}}
{{- $p := .Values.probes -}}
{{- if eq $p.protocol "http" -}}
startupProbe:
  httpGet: { path: /ready, port: metrics, scheme: {{ $p.httpScheme }} }
  periodSeconds: 5
  failureThreshold: {{ $p.startupFailureThreshold }}
readinessProbe:
  httpGet: { path: /ready, port: metrics, scheme: {{ $p.httpScheme }} }
  periodSeconds: {{ $p.readinessPeriodSeconds }}
livenessProbe:
  httpGet: { path: /health, port: metrics, scheme: {{ $p.httpScheme }} }
  periodSeconds: {{ $p.livenessPeriodSeconds }}
  failureThreshold: 3
{{- else -}}
startupProbe:
  grpc: { port: {{ .Values.ports.grpc }} }
  periodSeconds: 5
  failureThreshold: {{ $p.startupFailureThreshold }}
readinessProbe:
  grpc: { port: {{ .Values.ports.grpc }} }
  periodSeconds: {{ $p.readinessPeriodSeconds }}
livenessProbe:
  grpc: { port: {{ .Values.ports.grpc }}, service: liveness }
  periodSeconds: {{ $p.livenessPeriodSeconds }}
  failureThreshold: 3
{{- end -}}
{{- end -}}
