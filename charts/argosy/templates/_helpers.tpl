{{/*
Labels of one component's objects. Call with (dict "name" "argosy-server" "component" "server").
*/}}
{{- define "argosy.labels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/part-of: argosy
{{- end }}

{{/* The image of every component. */}}
{{- define "argosy.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* Name of a cluster-scoped object: fixed as Argo CD's, plus clusterResourceSuffix. */}}
{{- define "argosy.clusterName" -}}
{{ .name }}{{ .root.Values.clusterResourceSuffix }}
{{- end }}

{{/* Whether ClusterRoles are rendered (rbac.scope). */}}
{{- define "argosy.clusterScope" -}}
{{- if eq .Values.rbac.scope "cluster" }}true{{ else if eq .Values.rbac.scope "namespace" }}{{ else }}{{ fail (printf "rbac.scope %q: use cluster or namespace" .Values.rbac.scope) }}{{ end }}
{{- end }}

{{/*
Pod-level fields shared by every component. Call with (dict "root" $ "values" .Values.server).
*/}}
{{- define "argosy.podSpec" -}}
securityContext:
  {{- toYaml .root.Values.podSecurityContext | nindent 2 }}
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Container fields shared by every component: image, securityContext, resources.
*/}}
{{- define "argosy.container" -}}
image: {{ include "argosy.image" .root }}
imagePullPolicy: {{ .root.Values.image.imagePullPolicy }}
securityContext:
  {{- toYaml .root.Values.containerSecurityContext | nindent 2 }}
{{- with .values.resources }}
resources:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Environment shared by every component: the namespace it runs in (its control-plane namespace,
so `kubectl apply -n <ns>` just works) and a writable HOME (the root filesystem is read-only).
*/}}
{{- define "argosy.commonEnv" -}}
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: HOME
  value: /home/argosy
{{- end }}

{{/*
Environment variables read from a settings ConfigMap key, optional as in Argo CD's manifests.
Call with a list of [ENV_NAME, key] pairs, the ConfigMap being argocd-cmd-params-cm unless a
third element names another.
*/}}
{{- define "argosy.paramsEnv" -}}
{{- range . }}
- name: {{ index . 0 }}
  valueFrom:
    configMapKeyRef:
      name: {{ if gt (len .) 2 }}{{ index . 2 }}{{ else }}argocd-cmd-params-cm{{ end }}
      key: {{ index . 1 }}
      optional: true
{{- end }}
{{- end }}

{{/* The writable directories every component gets: HOME and /tmp, both emptyDirs. */}}
{{- define "argosy.writableMounts" -}}
- name: home
  mountPath: /home/argosy
- name: tmp
  mountPath: /tmp
{{- end }}

{{- define "argosy.writableVolumes" -}}
- name: home
  emptyDir: {}
- name: tmp
  emptyDir: {}
{{- end }}

{{/*
The server's rules on managed resources: read them (resource tree, diffs, events, Pod logs),
delete and patch them (resource actions), create the Jobs/Workflows actions start.
*/}}
{{- define "argosy.serverResourceRules" -}}
- apiGroups: ["*"]
  resources: ["*"]
  verbs: [get, list, watch, delete, patch]
- apiGroups: [""]
  resources: [pods/log]
  verbs: [get]
- apiGroups: [batch]
  resources: [jobs]
  verbs: [create]
- apiGroups: [argoproj.io]
  resources: [workflows]
  verbs: [create]
{{- end }}

{{/* The image updater's rules on the resources it updates. */}}
{{- define "argosy.imageUpdaterAppRules" -}}
- apiGroups: [argoproj.io]
  resources: [applications]
  verbs: [get, list, update, patch]
- apiGroups: [argocd-image-updater.argoproj.io]
  resources: [imageupdaters]
  verbs: [get, list, watch]
- apiGroups: [argocd-image-updater.argoproj.io]
  resources: [imageupdaters/status]
  verbs: [get, update, patch]
{{- end }}
