/**
 * Infra repository layouts from the seeds, as path → content. Seed 000: the note-book app with a
 * Kustomize base and dev/prod overlays (namespaces apps-dev / apps-prod), as its write-up shows.
 */

export const NOTE_BOOK_IMAGE = 'ani2fun/note-book'

export const PROD_KUSTOMIZATION = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization

# Production overlay: the image tag below is written by the promotion pipeline.
namespace: apps-prod

resources:
  - ../../base
  - ingress.yaml

images:
  - name: ani2fun/note-book
    newTag: "0.9.0" # first release
`

export const DEV_KUSTOMIZATION = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: apps-dev
resources:
  - ../../base
`

export function seed000Infra(): Record<string, string> {
  return {
    'README.md': '# infra\n\nGitOps source of truth. Argo CD watches deploy/.\n',
    'deploy/note-book/base/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
  - service.yaml
`,
    'deploy/note-book/base/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: note-book
  labels:
    app: note-book
spec:
  replicas: 1
  selector:
    matchLabels:
      app: note-book
  template:
    metadata:
      labels:
        app: note-book
    spec:
      containers:
        - name: note-book
          image: ani2fun/note-book:latest
          ports:
            - containerPort: 8080
`,
    'deploy/note-book/base/service.yaml': `apiVersion: v1
kind: Service
metadata:
  name: note-book
spec:
  selector:
    app: note-book
  ports:
    - port: 80
      targetPort: 8080
`,
    'deploy/note-book/overlays/dev/kustomization.yaml': DEV_KUSTOMIZATION,
    'deploy/note-book/overlays/prod/kustomization.yaml': PROD_KUSTOMIZATION,
    'deploy/note-book/overlays/prod/ingress.yaml': `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: note-book
spec:
  rules:
    - host: notes.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: note-book
                port:
                  number: 80
`,
    'argocd/apps/note-book.yaml': `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: note-book-prod
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://github.com/ani2fun/infra
    targetRevision: main
    path: deploy/note-book/overlays/prod
  destination:
    server: https://kubernetes.default.svc
    namespace: apps-prod
  syncPolicy:
    automated:
      prune: true
      selfHeal: true
`,
  }
}

// Seed 004: Helm values per environment, image.tag updated by the promotion.
export const VALUES_PROD = `# values-prod.yaml — image.tag updated by CI promotion PR.
replicaCount: 4

image:
  repository: registry.example.com/web-api
  tag: abc123f   # set by CI
  pullPolicy: IfNotPresent

resources:
  limits: {cpu: "1", memory: 512Mi}
`

// Seed 003: a HelmRelease whose values carry a Flux setter marker.
export const HELM_RELEASE = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: app
  namespace: staging
spec:
  interval: 5m
  chart:
    spec:
      chart: nextjs-app
      sourceRef:
        kind: GitRepository
        name: app-charts
  values:
    image:
      repository: ghcr.io/dine-together/app
      tag: sha-abc123 # {"$imagepolicy": "flux-system:app:tag"}
`

/**
 * A "billion laughs" ConfigMap: `levels` anchors of 9 aliases each, a few hundred bytes that
 * kustomize expands 9^levels-fold (6 levels: about 900 MiB of kubectl's memory; 8: over 24 GiB).
 */
export function aliasBombConfigMap(levels: number): string {
  const anchors = ['  l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
  for (let i = 1; i < levels; i++)
    anchors.push(
      `  l${i}: &l${i} [${Array(9)
        .fill(`*l${i - 1}`)
        .join(',')}]`,
    )
  return ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: laughs', 'x:', ...anchors, 'data:', '  a: b', ''].join('\n')
}
