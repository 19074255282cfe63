{{- define "chorus.primary" -}}
{{- $first := index .Values.groups 0 -}}
{{ printf "%s-%s-0.%s-%s.%s.svc.cluster.local:%v" .Release.Name $first.name .Release.Name $first.name .Release.Namespace .Values.ports.silo }}
{{- end -}}
