{{/* Names and labels. */}}
{{- define "accueil.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "accueil.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "accueil.selectorLabels" -}}
app.kubernetes.io/name: {{ include "accueil.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "accueil.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "accueil.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "accueil.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/* Where the pods find their files. */}}
{{- define "accueil.secretKeyPath" -}}/etc/accueil/secret/secret.key{{- end -}}
{{- define "accueil.jwksPath" -}}/etc/accueil/oidc/jwks.json{{- end -}}
{{- define "accueil.serviceKeyDir" -}}/etc/accueil/service-key{{- end -}}
{{- define "accueil.serviceJwksDir" -}}/etc/accueil/service-jwks{{- end -}}
{{- define "accueil.tlsDir" -}}/etc/accueil/tls{{- end -}}
{{- define "accueil.tlsClientCaPath" -}}/etc/accueil/tls-client-ca/ca.crt{{- end -}}

{{/* Volumes shared by the server pods and the migration Job. */}}
{{- define "accueil.volumes" -}}
- name: secret-key
  secret:
    secretName: {{ required "secretKey.existingSecret is required" .Values.secretKey.existingSecret }}
    defaultMode: 0440
    items:
      - key: {{ .Values.secretKey.key }}
        path: secret.key
{{- if .Values.database.caSecret }}
- name: db-ca
  secret:
    secretName: {{ .Values.database.caSecret }}
    defaultMode: 0444
    items:
      - key: {{ .Values.database.caKey }}
        path: ca.crt
{{- end }}
{{- if .Values.auth.jwksConfigMap }}
- name: oidc-jwks
  configMap:
    name: {{ .Values.auth.jwksConfigMap }}
    items:
      - key: {{ .Values.auth.jwksKey }}
        path: jwks.json
{{- end }}
- name: tmp
  emptyDir:
    sizeLimit: 16Mi
{{- end -}}

{{- define "accueil.volumeMounts" -}}
- name: secret-key
  mountPath: /etc/accueil/secret
  readOnly: true
{{- if .Values.database.caSecret }}
- name: db-ca
  mountPath: /etc/accueil/db-ca
  readOnly: true
{{- end }}
{{- if .Values.auth.jwksConfigMap }}
- name: oidc-jwks
  mountPath: /etc/accueil/oidc
  readOnly: true
{{- end }}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{/* Egress both the server and the migration Job need: PostgreSQL and DNS. */}}
{{- define "accueil.egress" -}}
- to:
  {{- range .Values.networkPolicy.databaseCidrs }}
    - ipBlock:
        cidr: {{ . }}
  {{- end }}
  ports:
    - protocol: TCP
      port: {{ .Values.networkPolicy.databasePort }}
- to:
    {{- toYaml .Values.networkPolicy.dns | nindent 4 }}
  ports:
    - protocol: UDP
      port: 53
    - protocol: TCP
      port: 53
{{- end -}}

{{/* Prometheus scrape annotations of the metrics port (metrics.annotations). */}}
{{- define "accueil.scrapeAnnotations" -}}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .Values.metrics.port | quote }}
prometheus.io/path: /metrics
{{- end -}}
