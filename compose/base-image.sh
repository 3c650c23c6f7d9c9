#!/usr/bin/env bash
# Machines without an image registry (like this project's CI): make the base image compose/Dockerfile names
# (python:3.12-slim) from Debian's packages, once. podman must be installed (.ci/run does it).
set -euo pipefail
BASE=docker.io/library/python:3.12-slim
if podman image exists "$BASE"; then exit 0; fi
ROOTFS=$(mktemp -d)
trap 'rm -rf "$ROOTFS"' EXIT
debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates bookworm "$ROOTFS" >/dev/null
tar -C "$ROOTFS" -c . | podman import - "$BASE" >/dev/null
echo "base image $BASE made from Debian bookworm"
