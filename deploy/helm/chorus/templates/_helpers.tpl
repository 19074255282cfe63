{{/* Every model id of every group: a model whose silos are all gone is then Unavailable, not NotFound. */}}
{{- define "chorus.knownModels" -}}
{{- $ids := list -}}
{{- range $g := .Values.groups }}{{ range $m := $g.models }}{{ $ids = append $ids $m.id }}{{ end }}{{ end -}}
{{- $ids | uniq | toJson -}}
{{- end -}}

{{/* The silo configuration of one group (Chorus section); tests/Chorus.Silo.Tests/Deploy/ChartValues.cs builds the same. */}}
{{- define "chorus.config" -}}
{{- $v := .root.Values -}}
{{- $cluster := dict "Provider" $v.membership.provider "ClusterId" $v.cluster.clusterId "ServiceId" $v.cluster.serviceId
      "SiloPort" $v.ports.silo "GatewayPort" $v.ports.gateway "GrpcPort" $v.ports.grpc "MetricsPort" $v.ports.metrics "HttpPort" ($v.ports.http | default 0)
      "ListenOnAnyAddress" true "Dashboard" $v.cluster.dashboard
      "InitializeStore" $v.membership.initializeStore -}}
{{- $sessions := merge (dict "DrainSeconds" $v.cluster.drainSeconds) (deepCopy ($v.sessions | default dict)) -}}
{{- $chorus := dict "Cluster" $cluster "Models" .group.models "Packs" $v.packs "Sessions" $sessions
      "KnownModels" (include "chorus.knownModels" .root | fromJsonArray) -}}
{{- dict "Chorus" $chorus | toPrettyJson -}}
{{- end -}}

{{/* What the chart cannot run without; the schema checks shapes, these check combinations. */}}
{{- define "chorus.validate" -}}
{{- if not (or .Values.security.apiKeysSecret .Values.security.allowAnonymous) }}
{{- fail "silos listen on every address: set security.apiKeysSecret (a Secret with one API key per line) or, on a trusted network, security.allowAnonymous=true" }}
{{- end }}
{{- if not (or .Values.membership.connectionStringSecret .Values.membership.inChartRedis.enabled) }}
{{- fail "no membership store: set membership.connectionStringSecret (an existing Redis or PostgreSQL) or, for a trial, membership.inChartRedis.enabled=true" }}
{{- end }}
{{- if and .Values.membership.inChartRedis.enabled (ne .Values.membership.provider "redis") }}
{{- fail "membership.inChartRedis needs membership.provider=redis" }}
{{- end }}
{{- if le (int .Values.cluster.terminationGracePeriodSeconds) (int .Values.cluster.drainSeconds) }}
{{- fail "cluster.terminationGracePeriodSeconds must exceed cluster.drainSeconds, or Kubernetes kills silos in the middle of their drain" }}
{{- end }}
{{- end -}}
