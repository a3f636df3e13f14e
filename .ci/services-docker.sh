#!/usr/bin/env bash
# Docker stage services: Debian's docker.io daemon (vfs storage, no iptables, no bridge: it runs
# inside this sandbox as root) and two Distribution registries on loopback, one open (127.0.0.1:5000)
# and one behind htpasswd basic auth (127.0.0.1:5001, user "ci", password in .ci/services.env).
# Writes the variables the tests read into .ci/services.env.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v htpasswd >/dev/null || need+=(apache2-utils)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

state=/tmp/gitops-promote-services
mkdir -p "$state"

if ! docker info >/dev/null 2>&1; then
  nohup dockerd --storage-driver=vfs --iptables=false --ip6tables=false --bridge=none \
    --data-root "$state/docker" --exec-root "$state/docker-exec" --pidfile "$state/dockerd.pid" \
    >"$state/dockerd.log" 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { tail -20 "$state/dockerd.log" >&2; echo "dockerd did not start" >&2; exit 1; }
fi

password=ci-registry-password
htpasswd -Bbn ci "$password" >"$state/htpasswd"

start_registry() { # port name [auth]
  local port=$1 name=$2 auth=${3:-}
  if curl -fsS -o /dev/null "http://127.0.0.1:$port/v2/" 2>/dev/null || curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/" 2>/dev/null | grep -q 401; then
    return 0
  fi
  mkdir -p "$state/$name"
  {
    echo "version: 0.1"
    echo "storage: {filesystem: {rootdirectory: $state/$name}, delete: {enabled: true}}"
    echo "http: {addr: 127.0.0.1:$port}"
    if [ -n "$auth" ]; then echo "auth: {htpasswd: {realm: gitops-promote-ci, path: $state/htpasswd}}"; fi
  } >"$state/$name.yml"
  nohup docker-registry serve "$state/$name.yml" >"$state/$name.log" 2>&1 &
  for _ in $(seq 1 40); do
    code=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/" 2>/dev/null || true)
    [ "$code" = 200 ] || [ "$code" = 401 ] && return 0
    sleep 0.25
  done
  tail -20 "$state/$name.log" >&2; echo "registry $name did not start" >&2; exit 1
}
start_registry 5000 registry-open
start_registry 5001 registry-auth auth

cat >>.ci/services.env <<ENV
PROMOTE_DOCKER=1
PROMOTE_REGISTRY=127.0.0.1:5000
PROMOTE_AUTH_REGISTRY=127.0.0.1:5001
PROMOTE_AUTH_REGISTRY_USER=ci
PROMOTE_AUTH_REGISTRY_PASSWORD=$password
ENV
echo "docker $(docker version --format '{{.Server.Version}}'), registries on 127.0.0.1:5000 (open) and :5001 (htpasswd)"
