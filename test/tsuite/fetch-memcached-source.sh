#!/usr/bin/env bash
# Fetches memcached's source, t/ test suite included, exactly as Debian builds the memcached
# package installed here: a deb-src twin of the system's Debian entries, then
# `apt-get source memcached=<installed version>`. The files are unpacked under $1 and never
# committed. Needs root (apt) the first time; later runs find the unpacked tree and return.
set -euo pipefail
dest=${1:?usage: fetch-memcached-source.sh <directory>}
version=$(dpkg-query -W -f='${Version}' memcached 2>/dev/null) || {
  echo "fetch-memcached-source: Debian's memcached is not installed (apt-get install memcached)" >&2
  exit 1
}
upstream=${version%%-*}
tree="$dest/memcached-$upstream"
if [ -f "$tree/t/lib/MemcachedTest.pm" ] && [ "$(cat "$tree/.debian-version" 2>/dev/null)" = "$version" ]; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
sources=/etc/apt/sources.list.d/debian.sources
twin=/etc/apt/sources.list.d/wasmcached-deb-src.sources
if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
  sed 's/^Types: deb$/Types: deb-src/' "$sources" > "$twin"
  apt-get update -qq
fi
command -v dpkg-source >/dev/null || apt-get install -y -qq dpkg-dev >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get source -qq "memcached=$version" >/dev/null 2>&1) || {
  apt-get update -qq
  (cd "$work" && apt-get source -qq "memcached=$version" >/dev/null)
}
mkdir -p "$dest"
rm -rf "$tree"
mv "$work/memcached-$upstream" "$tree"
echo "$version" > "$tree/.debian-version"
echo "fetch-memcached-source: memcached $version unpacked in $tree" >&2
