{{/* Every model id of every group: a model whose silos are all gone is then Unavailable, not NotFound. */}}
{{- define "chorus.knownModels" -}}
{{- $ids := list -}}
{{- range $g := .Values.groups }}{{ range $m := $g.models }}{{ $ids = append $ids $m.id }}{{ end }}{{ end -}}
{{- $ids | uniq | toJson -}}
{{- end -}}

{{/* The silo configuration of one group (Chorus section); tests/Chorus.Silo.Tests/Deploy/ChartEnvironmentTests.cs starts a silo with it, as rendered. */}}
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
{{- if le (int .Values.cluster.terminationGracePeriodSeconds) (add (int .Values.cluster.drainSeconds) 10) }}
{{- fail "cluster.terminationGracePeriodSeconds must exceed cluster.drainSeconds + 10 (a silo drains, then takes up to 10 s more to leave the membership and exit), or Kubernetes kills silos before they have left" }}
{{- end }}
{{- include "chorus.validateNames" . }}
{{- include "chorus.validateGroups" . }}
{{- if not (or .Values.modelVolume.claimName .Values.modelVolume.perPod.enabled) }}
{{- fail "no model volume: set modelVolume.claimName (an existing PVC shared by every pod) or modelVolume.perPod.enabled=true" }}
{{- end }}
{{- if and .Values.serviceMonitor.enabled .Values.security.apiKeysSecret }}
{{- $secret := .Values.serviceMonitor.apiKeySecret | default .Values.security.apiKeysSecret }}
{{- if and (eq $secret .Values.security.apiKeysSecret) (eq .Values.serviceMonitor.apiKeySecretKey .Values.security.apiKeysSecretKey) }}
{{- fail (printf "serviceMonitor.apiKeySecretKey is the keys file (%s/%s), which may hold several keys, one a line: Prometheus sends it whole as one bearer token. Put one key under another Secret key (serviceMonitor.apiKeySecretKey, default metrics-api-key)" $secret .Values.security.apiKeysSecretKey) }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Two objects of one kind with one name: the second would overwrite the first. Names are compared after truncation. */}}
{{- define "chorus.validateNames" -}}
{{- $services := dict (include "chorus.apiName" .) "the client Service" -}}
{{- if .Values.membership.inChartRedis.enabled }}{{ $_ := set $services (include "chorus.redisName" .) "the in-chart Redis" }}{{ end -}}
{{- range $g := .Values.groups }}
{{- $name := include "chorus.groupName" (dict "root" $ "group" $g) }}
{{- if hasKey $services $name }}
{{- if eq (get $services $name) "a group" }}
{{- fail (printf "two groups would be the Service %s (group names %q): give each group its own name" $name $g.name) }}
{{- end }}
{{- fail (printf "group %q is named like %s (both would be the Service %s): rename the group" $g.name (get $services $name) $name) }}
{{- end }}
{{- $_ := set $services $name "a group" }}
{{- end }}
{{- end -}}

{{/* What a group's values cannot say twice. */}}
{{- define "chorus.validateGroups" -}}
{{- range $g := .Values.groups }}
{{- $limits := ($g.resources | default dict).limits | default dict }}
{{- if and (gt (int ($g.gpus | default 0)) 0) (hasKey $limits "nvidia.com/gpu") (ne (toString (get $limits "nvidia.com/gpu")) (toString $g.gpus)) }}
{{- fail (printf "group %q: gpus is %v but resources.limits sets nvidia.com/gpu to %v; set one of them (gpus is enough)" $g.name $g.gpus (get $limits "nvidia.com/gpu")) }}
{{- end }}
{{- end }}
{{- end -}}
