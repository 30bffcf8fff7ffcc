#!/bin/sh
# Runs as root only long enough to make $DISCO_HOME writable (Railway and some Docker hosts mount volumes
# owned by root), then drops to the unprivileged `disco` user for the real command.
set -eu
home="${DISCO_HOME:-/data}"
if [ "$(id -u)" = "0" ]; then
  mkdir -p "$home"
  if [ "$(stat -c %U "$home")" != "disco" ]; then chown -R disco:disco "$home"; fi
  exec setpriv --reuid=disco --regid=disco --init-groups --inh-caps=-all --bounding-set=-all -- "$@"
fi
exec "$@"
