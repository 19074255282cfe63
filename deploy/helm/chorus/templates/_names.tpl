{{/*
Names and labels. Kubernetes names are at most 63 characters; a StatefulSet's at most 52 (its pods carry the label
controller-revision-hash: NAME-HASH, itself at most 63). Selectors stay as they were (instance, chorus/group or
chorus/silo): a StatefulSet's selector cannot change on upgrade.
*/}}

{{- define "chorus.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The prefix of every object's name: the release name when it already holds the chart's name. */}}
{{- define "chorus.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* fullname-SUFFIX in 63 characters: the prefix is cut, never the suffix (dict "root" $ "suffix" "api" "max" 63). */}}
{{- define "chorus.suffixed" -}}
{{- $max := int (.max | default 63) -}}
{{- $prefix := include "chorus.fullname" .root | trunc (int (sub (sub $max (len .suffix)) 1)) | trimSuffix "-" -}}
{{- printf "%s-%s" $prefix .suffix -}}
{{- end -}}

{{/* A group's StatefulSet, headless Service, ConfigMap and PodDisruptionBudget (dict "root" $ "group" $g). */}}
{{- define "chorus.groupName" -}}
{{- include "chorus.suffixed" (dict "root" .root "suffix" .group.name "max" 52) -}}
{{- end -}}

{{- define "chorus.apiName" -}}
{{- include "chorus.suffixed" (dict "root" . "suffix" "api") -}}
{{- end -}}

{{- define "chorus.redisName" -}}
{{- include "chorus.suffixed" (dict "root" . "suffix" "redis") -}}
{{- end -}}

{{- define "chorus.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "chorus.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "chorus.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The standard labels of every object (dict "root" $ "component" "silo"; "name" only where a selector holds another). */}}
{{- define "chorus.labels" -}}
helm.sh/chart: {{ include "chorus.chart" .root }}
app.kubernetes.io/name: {{ .name | default (include "chorus.name" .root) }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: chorus
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end -}}
